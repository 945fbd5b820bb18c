//! The command line, a contract other tools rely on (the README's usage sections describe it):
//! flags and subcommands may be added, not renamed. Definitions only; `crate::run` acts on them.

use std::path::PathBuf;
use std::time::Duration;

use std::ffi::OsStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, Args, Parser, Subcommand};

use crate::domain::Region;
use crate::report::{Format, Show};

const EXAMPLES: &str = "\
Examples:
  Will Claude calls work with my current AWS setup?
    bedrock-preflight doctor
    bedrock-preflight doctor --profile dev --region eu-west-1 --output json
    bedrock-preflight doctor --model sonnet --model haiku --expect-tpm 400k
  Apply the fixes this tool makes, then check again:
    bedrock-preflight doctor --fix --yes
  What each check establishes, and what a finding's code means:
    bedrock-preflight checks list
    bedrock-preflight checks explain logging.invocation/off
  Least-privilege IAM policies:
    bedrock-preflight policy render claude-code --model sonnet --region us-east-1
    bedrock-preflight policy validate team-policy.json --model sonnet
    bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes

Credentials, region and endpoints come from the standard AWS chain
(AWS_PROFILE, AWS_REGION, ~/.aws/config, SSO, credential_process,
AWS_ENDPOINT_URL, ...), as in the AWS CLI.

Exit codes: 0 nothing failed, 1 a check failed, 2 invalid invocation or input,
3 nothing failed but a check could not run.";

/// clap's default help layout with `text` after the options, as written: clap rewraps
/// `after_help` to the terminal's width, which splits example lines in two, and leaves a
/// template's own text alone. `after_help` keeps the same text for the man page.
fn help_with(text: &str) -> String {
    format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{{all-args}}\n\n{text}\n"
    )
}

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-preflight",
    version,
    about = "Will your Claude calls on Amazon Bedrock work from here? Checks, fixes, audits and least-privilege IAM.",
    after_help = EXAMPLES,
    help_template = help_with(EXAMPLES)
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
    /// Region to check; repeat or separate with commas for several (--regions is the same
    /// flag), `all` for every region Bedrock is offered in (audit only; default: regions in the
    /// configuration file, else AWS_REGION, AWS_DEFAULT_REGION, the profile)
    #[arg(
        long = "region",
        global = true,
        value_name = "R",
        value_delimiter = ',',
        value_parser = parse_region
    )]
    region: Vec<RegionArg>,
    /// The same as --region (audit's older spelling)
    // A flag of its own rather than an alias, so that giving both is refused, not merged.
    #[arg(
        long = "regions",
        global = true,
        hide = true,
        value_name = "R",
        value_delimiter = ',',
        value_parser = parse_region,
        conflicts_with = "region"
    )]
    regions_alias: Vec<RegionArg>,
    /// Send every AWS request to this endpoint (a proxy, a VPC endpoint, a local emulator)
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint_url)]
    pub endpoint_url: Option<String>,
    /// Report format
    #[arg(
        long,
        global = true,
        value_parser = FormatParser(ALL_FORMATS),
        default_value = "table",
        value_name = "FORMAT"
    )]
    pub output: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The configuration file doctor and audit read (default: bedrock-preflight.toml in the
    /// working directory, when there is one): accepted findings ([[ignore]] entries), and
    /// regions, residency and strict, defaults that a flag given here beats; its regions beat
    /// AWS_REGION and the profile's. Other commands refuse --config
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    /// Log to stderr: -v one line per AWS call, -vv request IDs and retries, -vvv the SDK's
    /// debug (RUST_LOG, when set, decides instead)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// One `--region` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionArg {
    /// Every region Bedrock is offered in.
    All,
    Named(Region),
}

impl GlobalArgs {
    /// The regions named with `--region` (or `--regions`), each once, in the order given.
    pub fn regions(&self) -> Vec<Region> {
        let mut regions: Vec<Region> = Vec::new();
        for arg in self.region.iter().chain(&self.regions_alias) {
            if let RegionArg::Named(region) = arg
                && !regions.contains(region)
            {
                regions.push(region.clone());
            }
        }
        regions
    }

    /// Whether `--region all` was given.
    pub fn all_regions(&self) -> bool {
        self.region
            .iter()
            .chain(&self.regions_alias)
            .any(|arg| *arg == RegionArg::All)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Will Claude calls on Bedrock work from here, and if not, what to run to fix it
    Doctor(DoctorArgs),
    /// Compliance report: invocation logging, CloudTrail, long-term API keys, broad grants
    Audit(AuditArgs),
    /// Least-privilege IAM policy templates (list, show, render, validate, apply) and the
    /// local IAM evaluator (evaluate, explain)
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Set up the account, plan first: invocation logging, model access, quotas
    #[command(subcommand)]
    Setup(SetupCommand),
    /// The check catalog: list the checks, explain a finding's code
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// Print a shell completion script for bash, zsh, fish, powershell or elvish
    #[command(after_help = COMPLETIONS_HELP, help_template = help_with(COMPLETIONS_HELP))]
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command to a directory
    #[command(after_help = MAN_HELP, help_template = help_with(MAN_HELP))]
    Man {
        /// Write bedrock-preflight.1 and a page for every subcommand
        /// (bedrock-preflight-policy-render.1, ...) to this directory
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
    /// Serve the read-only commands to an AI assistant over MCP (stdio): doctor, audit,
    /// policy evaluate, explain and render, checks list
    #[command(after_help = MCP_HELP, help_template = help_with(MCP_HELP))]
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
    /// Tokens per minute you plan to use (400000, 400k, 2M); quotas below it warn
    #[arg(long, value_name = "N", value_parser = parse_tokens_per_minute)]
    pub expect_tpm: Option<u64>,
    /// Days of CloudWatch metrics the usage check (quotas.usage) reads: 1 to 15, as long as
    /// CloudWatch keeps per-minute data
    #[arg(long, value_name = "DAYS", default_value_t = crate::checks::DEFAULT_WINDOW_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=crate::checks::MAX_WINDOW_DAYS as i64))]
    pub usage_window: u32,
    /// Exit 1 on warnings too (default: the configuration file's strict)
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,
    /// Not --strict, whatever the configuration file's strict says
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,
    /// After the run, print a ready-to-paste Claude Code block with the region and the
    /// models proven to work here (shell exports, or a settings.json env fragment); the
    /// report then goes to stderr, or to --out
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Option<Emit>,
    /// Plan the fixes this tool can make for what fails (IAM invoke access, with the
    /// claude-invoke template; model agreements; quota increases a finding asks for, as
    /// setup quotas plans them); with --yes apply them and check again
    #[arg(long)]
    pub fix: bool,
    /// With --fix: show the plan and change nothing
    #[arg(long, requires = "fix", conflicts_with = "yes")]
    pub dry_run: bool,
    /// With --fix: apply the plan
    #[arg(long, requires = "fix")]
    pub yes: bool,
}

/// What `policy render --format` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RenderFormat {
    /// The policy document; for a role its trust policy too
    Json,
    /// A CloudFormation template (JSON) that creates the policy or the role
    #[value(name = "cloudformation")]
    CloudFormation,
    /// Terraform (HCL2, the AWS provider) that creates the policy and its attachments, or the
    /// role
    Terraform,
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
#[command(group(clap::ArgGroup::new("role_name_scope").args(["org", "accounts"]).multiple(true)))]
#[command(group(clap::ArgGroup::new("assumed").args(["role_name", "role_arns"]).multiple(true)))]
pub struct AuditArgs {
    /// Role to audit; repeat for several
    #[arg(long = "role-arn", value_name = "ARN", conflicts_with_all = ["org", "role_name"])]
    pub role_arns: Vec<String>,
    /// Audit every active account of the organization (from its management account or a
    /// delegated administrator), each through the role --role-name names
    #[arg(long, requires = "role_name")]
    pub org: bool,
    /// The role to assume in each account (arn:PARTITION:iam::ACCOUNT:role/NAME; a path may
    /// precede the name); the caller's own account is audited with its own credentials
    #[arg(long, value_name = "NAME", value_parser = parse_role_name, requires = "role_name_scope")]
    pub role_name: Option<String>,
    /// With --org: only the accounts in this organizational unit or root, and in the units
    /// below it; repeat or comma-separate for several
    #[arg(long, value_name = "ID", requires = "org", value_delimiter = ',', value_parser = parse_parent_id)]
    pub ou: Vec<String>,
    /// Only these accounts (with --org, of the organization's); without --org, these accounts
    /// through --role-name, without listing the organization
    #[arg(long, value_name = "ID,...", requires = "role_name", value_delimiter = ',', value_parser = parse_account_id)]
    pub accounts: Vec<String>,
    /// With --org: leave these accounts out
    #[arg(long, value_name = "ID,...", requires = "org", value_delimiter = ',', value_parser = parse_account_id)]
    pub exclude_accounts: Vec<String>,
    /// The external ID the roles' trust policies require (sts:ExternalId)
    #[arg(long, value_name = "X", value_parser = ExternalIdParser, requires = "assumed")]
    pub external_id: Option<String>,
    /// How many account-region pairs are audited at once (an account's regions go together:
    /// an account of more regions than N is audited alone)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONCURRENCY, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrency: u32,
    /// Days of CloudWatch metrics the usage check (quotas.usage) reads: 1 to 15, as long as
    /// CloudWatch keeps per-minute data
    #[arg(long, value_name = "DAYS", default_value_t = crate::checks::DEFAULT_WINDOW_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=crate::checks::MAX_WINDOW_DAYS as i64))]
    pub usage_window: u32,
    /// Geography data must stay in (e.g. eu; default: the configuration file's residency)
    #[arg(long, value_name = "GEO")]
    pub residency: Option<String>,
    /// Exit 1 on warnings too, and judge regions where Bedrock is not in use (default: the
    /// configuration file's strict)
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,
    /// Not --strict, whatever the configuration file's strict says
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,
    /// Import the findings into Security Hub, each account's as that account, in the first
    /// --region: a plan, shown with --dry-run, sent with --yes
    #[arg(
        long,
        value_enum,
        value_name = "SERVICE",
        requires = "send_confirmation"
    )]
    pub send: Option<SendTo>,
    /// With --send: show the plan and send nothing
    #[arg(long, group = "send_confirmation", requires = "send")]
    pub dry_run: bool,
    /// With --send: send the findings
    #[arg(long, group = "send_confirmation", requires = "send")]
    pub yes: bool,
}

/// Where `audit --send` imports the findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SendTo {
    /// AWS Security Hub (BatchImportFindings, the records --output asff writes)
    SecurityHub,
}

impl Command {
    /// The command as a person types it, for a report's `command`: `policy apply`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Doctor(_) => "doctor",
            Command::Audit(_) => "audit",
            Command::Policy(policy) => match policy {
                PolicyCommand::List => "policy list",
                PolicyCommand::Show { .. } => "policy show",
                PolicyCommand::Render { .. } => "policy render",
                PolicyCommand::Validate { .. } => "policy validate",
                PolicyCommand::Apply { .. } => "policy apply",
                PolicyCommand::Evaluate(_) => "policy evaluate",
                PolicyCommand::Explain(_) => "policy explain",
            },
            Command::Setup(SetupCommand::Logging { .. }) => "setup logging",
            Command::Setup(SetupCommand::ModelAccess { .. }) => "setup model-access",
            Command::Setup(SetupCommand::Quotas { .. }) => "setup quotas",
            Command::Checks(ChecksCommand::List) => "checks list",
            Command::Checks(ChecksCommand::Explain { .. }) => "checks explain",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
            Command::Mcp => "mcp",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the policy templates
    #[command(arg = document_output())]
    List,
    /// Show a template: what it is for, its variables and its document
    #[command(arg = document_output())]
    Show {
        /// The template's name (policy list names them), or a policy template file
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Render a template with its variables filled in from flags and the live account
    #[command(arg = document_output())]
    Render {
        /// The template's name (policy list names them)
        name: String,
        /// Template variable; repeat for several (a list variable takes V1,V2)
        #[arg(long = "var", value_name = "K=V")]
        vars: Vec<String>,
        /// Model to grant (as doctor's --model); repeat for several (default: the newest
        /// Sonnet and Haiku)
        #[arg(long = "model", value_name = "M")]
        models: Vec<String>,
        /// What to print: the policy (a role's documents and names), or a CloudFormation
        /// template that deploys it, as a stack or a StackSet
        #[arg(long, value_enum, value_name = "FORMAT", default_value = "json")]
        format: RenderFormat,
    },
    /// Parse, lint and prove a policy file or template: it must allow what the models' calls
    /// need and deny another model, region or account (exit 1 naming what fails)
    #[command(arg = document_output())]
    Validate {
        /// A policy JSON file (or a CloudFormation or Terraform file rendered by this tool),
        /// or a template's name
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
        /// The template's name (policy list names them)
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
    #[command(arg = document_output())]
    Evaluate(EvaluateArgs),
    /// Evaluate a live principal's own policies (read from IAM) for one action and resource
    #[command(arg = document_output())]
    Explain(ExplainArgs),
}

/// `policy evaluate`'s flags.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// An identity policy of the caller (JSON); repeat for several
    #[arg(long = "policy", value_name = "FILE", required = true)]
    pub policies: Vec<PathBuf>,
    /// The IAM action requested, like bedrock:InvokeModel
    #[arg(long, value_name = "A")]
    pub action: String,
    /// The ARN of the resource requested, or * for an action that takes none
    #[arg(long, value_name = "ARN")]
    pub resource: String,
    /// The caller's permission boundary
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// Request context; repeat a key for several values
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The caller: a user, role, assumed-role, federated-user or root ARN, or a service
    /// principal; sets aws:PrincipalArn and aws:PrincipalAccount, and is what a
    /// resource-based policy's Principal is matched against
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// The account owning the resource [default: the account in the resource ARN]; a
    /// different account from the principal's makes the request cross-account
    #[arg(long, value_name = "ID")]
    pub resource_account: Option<String>,
    /// Service control policies of one organization level, comma-separated; once per
    /// level, root first (an empty value is a level with no policy)
    #[arg(long = "scp", value_name = "FILES")]
    pub scps: Vec<String>,
    /// Resource control policies of one organization level, as --scp; RCPFullAWSAccess
    /// is implied at every level, as AWS keeps it attached, so only a Deny denies
    #[arg(long = "rcp", value_name = "FILES")]
    pub rcps: Vec<String>,
    /// The resource-based policy of the resource
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// The session policy passed when the caller's session was created
    #[arg(long, value_name = "FILE")]
    pub session_policy: Option<PathBuf>,
}

/// `policy explain`'s flags.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// User, role or assumed-role ARN
    #[arg(long, value_name = "ARN")]
    pub principal: String,
    /// The IAM action requested, like bedrock:InvokeModel
    #[arg(long, value_name = "A")]
    pub action: String,
    /// The ARN of the resource requested, or * for an action that takes none
    #[arg(long, value_name = "ARN")]
    pub resource: String,
    /// Request context; repeat a key for several values
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Turn on model invocation logging (text delivery on) in each --region, to a
    /// CloudWatch Logs log group or an S3 bucket: shows the plan, changes nothing without
    /// --yes, converges when run again
    #[command(group = clap::ArgGroup::new("destination").args(["log_group", "bucket"]).required(true))]
    Logging {
        /// The log group (created when absent, the same name in every region)
        #[arg(long, value_name = "G")]
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
        #[arg(long, value_name = "B")]
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
    /// Raise, through Service Quotas, the Bedrock quotas one model's calls are limited by in
    /// each --region (found by name for the route the calls take: on-demand, cross-region or
    /// global); an increase is requested only where the value is above the applied one and
    /// every open request's; shows the plan, changes nothing without --yes, converges when
    /// run again
    #[command(group = clap::ArgGroup::new("quota_value").args(["tpm", "rpm", "tokens_per_day"]).required(true).multiple(true))]
    Quotas {
        /// Model (as doctor's --model: sonnet, a model ID, an inference profile ID or an ARN;
        /// with [1m], the 1M-token context window's quotas)
        #[arg(long, value_name = "M")]
        model: String,
        /// Tokens per minute the route's quota should allow (400000, 400k, 2M)
        #[arg(long, value_name = "N", value_parser = parse_tpm_quota)]
        tpm: Option<u64>,
        /// Requests per minute the route's quota should allow
        #[arg(long, value_name = "N", value_parser = parse_rpm_quota)]
        rpm: Option<u64>,
        /// Tokens per day the model's daily quota should allow (cross-region calls get double)
        #[arg(long, value_name = "N", value_parser = parse_daily_quota)]
        tokens_per_day: Option<u64>,
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
    #[command(arg = document_output())]
    List,
    /// What a finding's code means, why it matters and how to fix it; given a check's ID,
    /// each of its codes in a sentence
    #[command(arg = document_output(), after_help = EXPLAIN_HELP, help_template = help_with(EXPLAIN_HELP))]
    Explain {
        /// A finding's code, CHECK/KIND as reports print it (logging.invocation/off), or a
        /// check's ID to list its codes (logging.invocation)
        #[arg(value_name = "CODE")]
        code: String,
    },
}

const EXPLAIN_HELP: &str = "\
Examples:
  bedrock-preflight checks explain logging.invocation/off
  bedrock-preflight checks explain logging.invocation
  bedrock-preflight checks explain iam.invoke/destination-denied --output json";

fn parse_region(value: &str) -> Result<RegionArg, String> {
    if value.trim() == "all" {
        return Ok(RegionArg::All);
    }
    value.trim().parse().map(RegionArg::Named)
}

const ALL_FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Junit,
    Format::Sarif,
    Format::Markdown,
    Format::Asff,
    Format::Ocsf,
];

/// `--output` for a command whose answer is a document, not a run's report: a table or JSON.
// The global flag is replaced in this command only (clap propagates a global flag to a
// subcommand that has none of its own id), so its help and errors list what it can write.
fn document_output() -> Arg {
    Arg::new("output")
        .long("output")
        .global(true)
        .value_name("FORMAT")
        .value_parser(FormatParser(&[Format::Table, Format::Json]))
        .default_value("table")
        .help("Output format")
}

/// `--output`'s values for one command; a file name given instead is pointed at `--out`.
#[derive(Clone)]
struct FormatParser(&'static [Format]);

impl TypedValueParser for FormatParser {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _: Option<&Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        let text = value.to_string_lossy();
        if let Some(format) = self.0.iter().find(|f| f.as_str() == text) {
            return Ok(*format);
        }
        let names: Vec<&str> = self.0.iter().map(|f| f.as_str()).collect();
        let mut message = format!(
            "invalid value '{text}' for '--output <FORMAT>': this command writes {}",
            names.join(", ")
        );
        if text.contains(['.', '/']) {
            message.push_str(&format!(
                "; to write the report to a file, use --out {text}"
            ));
        }
        Err(clap::Error::raw(ErrorKind::InvalidValue, message + "\n").with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|format| match self.0.len() {
            // Table or JSON needs no gloss; a run's many formats do.
            ..=2 => PossibleValue::new(format.as_str()),
            _ => PossibleValue::new(format.as_str()).help(format.help()),
        })))
    }
}

/// `audit --max-concurrency`'s default. AWS limits request rates per account and region, and
/// each pair audited at once is its own account and region; what the caller's side can carry
/// is what bounds it: a pair keeps a handful of requests in flight, so 64 pairs are a few
/// hundred connections, and the AssumeRole calls stay within the caller's own STS rate. With
/// `--region all` (28 regions) that is two accounts at a time.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 64;

/// An IAM role's name, a path allowed before it (`audit/bedrock-preflight`): IAM's characters,
/// a name of at most 64.
fn parse_role_name(value: &str) -> Result<String, String> {
    let segments: Vec<&str> = value.split('/').collect();
    let name = segments.last().copied().unwrap_or_default();
    let iam_chars = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    };
    if segments.iter().all(|s| iam_chars(s)) && name.len() <= 64 && value.len() <= 512 {
        Ok(value.to_string())
    } else {
        Err(format!(
            "'{value}' is not a role name (letters, digits and _+=,.@- up to 64, a PATH/ before it allowed)"
        ))
    }
}

/// An organization's root (`r-` and 4 to 32 characters) or organizational unit
/// (`ou-ROOT-` and 8 to 32 characters), as Organizations' ParentId pattern has them.
fn parse_parent_id(value: &str) -> Result<String, String> {
    let part = |s: &str, min: usize| {
        (min..=32).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    };
    let valid = match value.split('-').collect::<Vec<_>>().as_slice() {
        ["r", root] => part(root, 4),
        ["ou", root, unit] => part(root, 4) && part(unit, 8),
        _ => false,
    };
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "'{value}' is not an organizational unit (ou-xxxx-xxxxxxxx) or root (r-xxxx) ID"
        ))
    }
}

fn parse_account_id(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err(format!("'{value}' is not an AWS account ID (12 digits)"))
    }
}

/// STS's ExternalId: 2 to 1224 of letters, digits and _+=,.@:/-. Its own parser, because
/// clap's error for a value parser repeats the value, and an external ID is half a secret.
#[derive(Clone)]
struct ExternalIdParser;

impl TypedValueParser for ExternalIdParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _: Option<&Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
        match value.to_str() {
            Some(id) if (2..=1224).contains(&id.len()) && id.chars().all(allowed) => {
                Ok(id.to_string())
            }
            _ => Err(clap::Error::raw(
                ErrorKind::InvalidValue,
                "--external-id: the external ID is 2 to 1224 letters, digits or _+=,.@:/- \
                 (STS's rule)\n",
            )
            .with_cmd(cmd)),
        }
    }
}

/// Seconds above 0 (a check given no time at all could only time out) up to an hour.
fn parse_timeout(value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "'{value}' is not a number of seconds above 0 and at most 3600, like 30 or 2.5"
        )),
    }
}

/// Tokens per minute: a whole number, or with k (thousands) or M (millions), as quotas are
/// usually quoted: 400000, 400k, 1.5M.
fn parse_tokens_per_minute(value: &str) -> Result<u64, String> {
    parse_amount(value, "tokens per minute")
}

/// The largest value Service Quotas takes (botocore's `QuotaValue`).
pub const QUOTA_VALUE_MAX: u64 = 10_000_000_000;

fn quota_value(value: &str, unit: &str) -> Result<u64, String> {
    match parse_amount(value, unit)? {
        n if n <= QUOTA_VALUE_MAX => Ok(n),
        _ => Err(format!(
            "'{value}' is above {QUOTA_VALUE_MAX}, the largest quota value Service Quotas takes"
        )),
    }
}

fn parse_tpm_quota(value: &str) -> Result<u64, String> {
    quota_value(value, "tokens per minute")
}

fn parse_rpm_quota(value: &str) -> Result<u64, String> {
    quota_value(value, "requests per minute")
}

fn parse_daily_quota(value: &str) -> Result<u64, String> {
    quota_value(value, "tokens per day")
}

/// A whole number above 0 of `unit`, or with k (thousands) or M (millions).
fn parse_amount(value: &str, unit: &str) -> Result<u64, String> {
    let invalid =
        || format!("'{value}' is not a number of {unit} above 0: write it like 400000, 400k or 2M");
    let (number, scale) = match value.trim() {
        v if v.ends_with(['k', 'K']) => (&v[..v.len() - 1], 1_000.0),
        v if v.ends_with(['m', 'M']) => (&v[..v.len() - 1], 1_000_000.0),
        v => return v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(invalid),
    };
    let amount = number.parse::<f64>().map_err(|_| invalid())? * scale;
    if amount >= 1.0 && amount.fract() == 0.0 && amount <= u64::MAX as f64 {
        Ok(amount as u64)
    } else {
        Err(invalid())
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
        assert_eq!(cli.global.regions().len(), 2);
        assert_eq!(cli.global.output, Format::Json);
        assert_eq!(cli.global.timeout, Duration::from_millis(2500));
        let tpm = Cli::try_parse_from(["bedrock-preflight", "doctor", "--expect-tpm", "400k"]);
        let Command::Doctor(doctor) = tpm.unwrap().command else {
            unreachable!("parsed as doctor");
        };
        assert_eq!(doctor.expect_tpm, Some(400_000));
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
            &["bedrock-preflight", "doctor", "--expect-tpm", "1.0005k"],
            &["bedrock-preflight", "doctor", "--expect-tpm", "400x"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn tokens_per_minute_take_k_and_m() {
        for (typed, tokens) in [
            ("400000", 400_000),
            ("400k", 400_000),
            ("400K", 400_000),
            ("2M", 2_000_000),
            ("1.5m", 1_500_000),
        ] {
            assert_eq!(parse_tokens_per_minute(typed), Ok(tokens), "{typed}");
        }
        assert!(parse_tokens_per_minute("-5").is_err());
        assert!(parse_tokens_per_minute("k").is_err());
    }
}
