//! The command line, a contract other tools rely on (the README's usage sections describe it):
//! flags and subcommands may be added, not renamed. Definitions only; `crate::run` acts on them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::domain::Region;
use crate::report::{Format, Show};

const EXAMPLES: &str = "\
Examples:
  bedrock-preflight doctor                          will Claude calls work with my current AWS setup?
  bedrock-preflight doctor --profile dev --region eu-west-1 --output json
  bedrock-preflight doctor --model sonnet --model haiku --expect-tpm 400000
  bedrock-preflight doctor --fix --yes              apply the fixes this tool makes, then check again
  bedrock-preflight checks list                     what each check establishes
  bedrock-preflight policy render claude-code --model sonnet --region us-east-1
  bedrock-preflight policy validate team-policy.json --model us.anthropic.claude-sonnet-4-6
  bedrock-preflight policy apply claude-invoke --attach-to role/dev --model sonnet --yes

Credentials, region and endpoints come from the standard AWS chain (AWS_PROFILE, AWS_REGION,
~/.aws/config, SSO, credential_process, AWS_ENDPOINT_URL, ...), as in the AWS CLI.

Exit codes: 0 nothing failed, 1 a check failed, 2 invalid invocation or input,
3 nothing failed but a check could not run.";

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-preflight",
    version,
    about = "Will your Claude calls on Amazon Bedrock work from here? Checks, fixes, audits and least-privilege IAM.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Named profile from ~/.aws/config (default: AWS_PROFILE, else "default")
    #[arg(long, global = true, value_name = "P")]
    pub profile: Option<String>,
    /// Region to check; repeat for several (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)
    #[arg(long = "region", global = true, value_name = "R", value_parser = parse_region)]
    pub regions: Vec<Region>,
    /// Send every AWS request to this endpoint (a proxy, a VPC endpoint, a local emulator)
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint_url)]
    pub endpoint_url: Option<String>,
    /// Report format
    #[arg(long, global = true, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub output: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seconds each check may take before it is reported as an error
    #[arg(long, global = true, value_name = "SECS", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Table rows: all, or failures only (default: passes summed up per check when something
    /// failed, every row otherwise)
    #[arg(long, global = true, value_enum, value_name = "ROWS")]
    pub show: Option<Show>,
    /// No colors (also when NO_COLOR is set or the output is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print the report only: no progress, no logs
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log to stderr and print the AWS calls made (repeat for more detail)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Will Claude calls on Bedrock work from here, and if not, what to run to fix it
    Doctor(DoctorArgs),
    /// Compliance report: invocation logging, CloudTrail, long-term API keys, broad grants
    Audit(AuditArgs),
    /// Least-privilege IAM policy templates: list, render, validate, apply, evaluate
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Set up account features (invocation logging), plan first
    #[command(subcommand)]
    Setup(SetupCommand),
    /// The check catalog
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// Print a shell completion script for bash, zsh, fish, powershell or elvish
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command to a directory
    #[command(after_help = MAN_HELP)]
    Man {
        /// Write bedrock-preflight.1 and a page for every subcommand
        /// (bedrock-preflight-policy-render.1, ...) to this directory
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
    /// Serve the read-only commands to an AI assistant over MCP (stdio): doctor, audit,
    /// policy evaluate, explain and render, checks list
    #[command(after_help = MCP_HELP)]
    Mcp,
}

const COMPLETIONS_HELP: &str = "\
Where to put the script:
  bash        bedrock-preflight completions bash > ~/.local/share/bash-completion/completions/bedrock-preflight
  zsh         bedrock-preflight completions zsh > ~/.zfunc/_bedrock-preflight
              (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)
  fish        bedrock-preflight completions fish > ~/.config/fish/completions/bedrock-preflight.fish
  powershell  bedrock-preflight completions powershell >> $PROFILE
  elvish      bedrock-preflight completions elvish >> ~/.config/elvish/rc.elv";

const MAN_HELP: &str = "\
Examples:
  bedrock-preflight man | man -l -
  bedrock-preflight man --dir ~/.local/share/man/man1";

const MCP_HELP: &str = "\
Add it to Claude Code:
  claude mcp add --transport stdio --scope user bedrock-preflight -- bedrock-preflight mcp
Global flags given here (--profile, --region, --endpoint-url, --timeout) are the defaults of
every tool call. Nothing that changes AWS is served: no --fix, no apply, no setup.";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Model to check: sonnet, opus, haiku, a model ID, an inference profile ID or an ARN,
    /// optionally with [1m] for the 1M-token context window; repeat for several (default:
    /// Claude Code's settings, else the newest Sonnet and Haiku)
    #[arg(long = "model", value_name = "M")]
    pub models: Vec<String>,
    /// Run the Claude Code checks even when Claude Code is not configured for Bedrock
    #[arg(long)]
    pub claude_code: bool,
    /// Check the Mantle endpoint (bedrock-mantle.<region>.api.aws) for the models, even when
    /// Claude Code is not set to use it
    #[arg(long)]
    pub mantle: bool,
    /// Skip the zero-token live call to Bedrock
    #[arg(long)]
    pub no_probe: bool,
    /// Tokens per minute you plan to use; quotas below it warn
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub expect_tpm: Option<u64>,
    /// Exit 1 on warnings too
    #[arg(long)]
    pub strict: bool,
    /// After the run, print a ready-to-paste Claude Code block with the region and the
    /// models proven to work here (shell exports, or a settings.json env fragment); the
    /// report then goes to stderr, or to --out
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Option<Emit>,
    /// Plan the fixes this tool can make for what fails (IAM invoke access, with the
    /// claude-invoke template); with --yes apply them and check again
    #[arg(long)]
    pub fix: bool,
    /// With --fix: show the plan and change nothing
    #[arg(long, requires = "fix", conflicts_with = "yes")]
    pub dry_run: bool,
    /// With --fix: apply the plan
    #[arg(long, requires = "fix")]
    pub yes: bool,
}

/// What `doctor --emit` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// `export NAME=value` lines for a shell
    ClaudeCodeEnv,
    /// `{"env": {...}}` for ~/.claude/settings.json
    ClaudeCodeSettings,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Regions to audit: all (every region Bedrock is offered in), or a comma-separated list
    /// (default: the configured region)
    // Its own id: the global --region's field is also named `regions`.
    #[arg(long = "regions", id = "audit_regions", value_name = "all|R,R...")]
    pub regions: Option<String>,
    /// Role to audit; repeat for several
    #[arg(long = "role-arn", value_name = "ARN")]
    pub role_arns: Vec<String>,
    /// Geography data must stay in (e.g. eu)
    #[arg(long, value_name = "GEO")]
    pub residency: Option<String>,
    /// Exit 1 on warnings too, and judge regions where Bedrock is not in use
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the policy templates
    List,
    /// Show a template: what it is for, its variables and its document
    Show { name: String },
    /// Render a template with its variables filled in from flags and the live account
    Render {
        name: String,
        /// Template variable; repeat for several (a list variable takes V1,V2)
        #[arg(long = "var", value_name = "K=V")]
        vars: Vec<String>,
        /// Model to grant (as doctor's --model); repeat for several (default: the newest
        /// Sonnet and Haiku)
        #[arg(long = "model", value_name = "M")]
        models: Vec<String>,
    },
    /// Parse, lint and prove a policy file or template: it must allow what the models' calls
    /// need and deny another model, region or account (exit 1 naming what fails)
    Validate {
        #[arg(value_name = "FILE|NAME")]
        target: String,
        /// Template variable, when NAME is a template; repeat for several
        #[arg(long = "var", value_name = "K=V")]
        vars: Vec<String>,
        /// Model the policy is for (as doctor's --model); repeat for several (default: the
        /// newest Sonnet and Haiku)
        #[arg(long = "model", value_name = "M")]
        models: Vec<String>,
    },
    /// Create or update a template as a customer-managed policy and attach it: shows the
    /// plan, changes nothing without --yes, and converges when run again
    Apply {
        name: String,
        /// role/NAME, user/NAME or group/NAME (a path may precede the name), or the
        /// principal's ARN as doctor prints it (arn:aws:iam::ACCOUNT:role/PATH/NAME)
        #[arg(long, value_name = "KIND/NAME|ARN")]
        attach_to: String,
        /// The managed policy's name (default: TEMPLATE-KIND-NAME, one per principal)
        #[arg(long, value_name = "N")]
        policy_name: Option<String>,
        /// Template variable; repeat for several (a list variable takes V1,V2)
        #[arg(long = "var", value_name = "K=V")]
        vars: Vec<String>,
        /// Model to grant (as doctor's --model); repeat for several (default: the newest
        /// Sonnet and Haiku)
        #[arg(long = "model", value_name = "M")]
        models: Vec<String>,
        /// Show the plan and change nothing
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Apply the plan
        #[arg(long)]
        yes: bool,
    },
    /// Evaluate policy files locally for one action and resource (exit 0 allowed, 1 denied)
    Evaluate {
        #[arg(long = "policy", value_name = "FILE", required = true)]
        policies: Vec<PathBuf>,
        #[arg(long, value_name = "A")]
        action: String,
        #[arg(long, value_name = "ARN")]
        resource: String,
        /// The caller's permission boundary
        #[arg(long, value_name = "FILE")]
        boundary: Option<PathBuf>,
        /// Request context; repeat a key for several values
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// The caller: a user, role, assumed-role, federated-user or root ARN, or a service
        /// principal; sets aws:PrincipalArn and aws:PrincipalAccount, and is what a
        /// resource-based policy's Principal is matched against
        #[arg(long, value_name = "ARN")]
        principal: Option<String>,
        /// The account owning the resource [default: the account in the resource ARN]; a
        /// different account from the principal's makes the request cross-account
        #[arg(long, value_name = "ID")]
        resource_account: Option<String>,
        /// Service control policies of one organization level, comma-separated; once per
        /// level, root first (an empty value is a level with no policy)
        #[arg(long = "scp", value_name = "FILES")]
        scps: Vec<String>,
        /// Resource control policies of one organization level, as --scp; RCPFullAWSAccess
        /// is implied at every level, as AWS keeps it attached, so only a Deny denies
        #[arg(long = "rcp", value_name = "FILES")]
        rcps: Vec<String>,
        /// The resource-based policy of the resource
        #[arg(long, value_name = "FILE")]
        resource_policy: Option<PathBuf>,
        /// The session policy passed when the caller's session was created
        #[arg(long, value_name = "FILE")]
        session_policy: Option<PathBuf>,
    },
    /// Evaluate a live principal's own policies (read from IAM) for one action and resource
    Explain {
        /// User, role or assumed-role ARN
        #[arg(long, value_name = "ARN")]
        principal: String,
        #[arg(long, value_name = "A")]
        action: String,
        #[arg(long, value_name = "ARN")]
        resource: String,
        /// Request context; repeat a key for several values
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Turn on model invocation logging (text delivery on) in each --region, to a
    /// CloudWatch Logs log group or an S3 bucket: shows the plan, changes nothing without
    /// --yes, converges when run again
    Logging {
        /// The log group (created when absent, the same name in every region)
        #[arg(long, value_name = "G", conflicts_with = "bucket")]
        log_group: Option<String>,
        /// Days the log group keeps logs
        #[arg(long, value_name = "N", default_value_t = 30, requires = "log_group")]
        retention_days: i32,
        /// The role Bedrock writes to the log group with
        #[arg(
            long,
            value_name = "A",
            requires = "log_group",
            conflicts_with = "create_role"
        )]
        role_arn: Option<String>,
        /// Create that role (bedrock-invocation-logging) from the invocation-logging-role template
        #[arg(long, requires = "log_group")]
        create_role: bool,
        /// The S3 bucket logs go to instead (its bucket policy must let Bedrock write)
        #[arg(long, value_name = "B", required_unless_present = "log_group")]
        bucket: Option<String>,
        /// Show the plan and change nothing
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Apply the plan
        #[arg(long)]
        yes: bool,
    },
    /// What an account needs before its first Claude call: the Anthropic use case form and
    /// each model's agreement, in each --region; shows the plan, changes nothing without
    /// --yes, converges when run again
    ModelAccess {
        /// Model (as doctor's --model); repeat for several (default: the newest Sonnet and
        /// Haiku)
        #[arg(long = "model", value_name = "M")]
        models: Vec<String>,
        /// The Anthropic use case form as a JSON object you wrote (the fields of the form in
        /// the Bedrock console); sent as written when the account has not submitted one
        #[arg(long, value_name = "FILE")]
        use_case_form: Option<PathBuf>,
        /// Show the plan and change nothing
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Apply the plan
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Every check: its ID, the commands that run it, and what it establishes
    List,
}

fn parse_region(value: &str) -> Result<Region, String> {
    value.parse()
}

fn parse_timeout(value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "'{value}' is not a number of seconds between 0 and 3600"
        )),
    }
}

fn parse_endpoint_url(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !host.contains(char::is_whitespace) =>
        {
            Ok(value.to_string())
        }
        _ => Err(format!("'{value}' is not an http:// or https:// URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "bedrock-preflight",
            "doctor",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--output",
            "json",
            "--timeout",
            "2.5",
        ])
        .unwrap();
        assert_eq!(cli.global.regions.len(), 2);
        assert_eq!(cli.global.output, Format::Json);
        assert_eq!(cli.global.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["bedrock-preflight", "doctor", "--region", "moon-1"][..],
            &["bedrock-preflight", "doctor", "--timeout", "0"],
            &[
                "bedrock-preflight",
                "doctor",
                "--endpoint-url",
                "localhost:4566",
            ],
            &["bedrock-preflight", "doctor", "--output", "xml"],
            &["bedrock-preflight", "doctor", "--expect-tpm", "0"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
