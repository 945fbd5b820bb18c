//! `mcp`: the read-only commands as Model Context Protocol tools over stdio, so an assistant
//! can diagnose and explain a Bedrock setup. The protocol is rmcp's; what each tool does is
//! the command line's own.
//!
//! Each call runs this same binary as a child with `--output json`: here stdout is the
//! protocol's channel, which a command writing its report would corrupt, and a child gets
//! what a person running the command gets (its own call cache, exit code and redaction). It
//! costs a few milliseconds per call. A cancelled call kills its child and is not answered.
//!
//! Nothing that changes AWS is served: no `--fix`, no `policy apply`, no `setup`.

mod stdio;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::{RequestContext, RoleServer, ServerInitializeError};
use rmcp::{ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use crate::cli::GlobalArgs;
use crate::{CommandError, EXIT_OK, EXIT_USAGE};

const INSTRUCTIONS: &str = "\
bedrock-preflight checks whether Claude calls on Amazon Bedrock will work from this machine's \
AWS credentials, and why not. Start with `doctor` (credentials, region, model access, inference \
profiles, IAM invoke permissions, quotas, a zero-token live call); each finding that fails \
carries a `remediation` command to show the user. `audit` is the compliance view (invocation \
logging, CloudTrail, API keys, broad grants). `policy_evaluate` and `policy_explain` say which \
IAM statement allows or denies an action; `policy_render` prints a least-privilege policy. \
Every tool is read-only: to apply a fix, show the user the remediation command to run.";

/// Serve until the client closes stdin.
pub async fn serve(global: &GlobalArgs) -> Result<u8, CommandError> {
    let exe = std::env::current_exe()
        .map_err(|e| CommandError::Mcp(format!("cannot find this program's path: {e}")))?;
    let server = Server {
        defaults: Defaults::from(global, exe),
        tool_router: Server::tool_router(),
    };
    let (framing, output) = stdio::Framing::start(server.supported_protocol_versions().into());
    let ended = match server.serve(framing).await {
        Ok(running) => running.waiting().await.map(drop).map_err(|e| e.to_string()),
        // A client that leaves before initializing has ended the session, not broken it.
        Err(ServerInitializeError::ConnectionClosed(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    output.finish().await;
    ended.map(|()| EXIT_OK).map_err(CommandError::Mcp)
}

/// The global flags `mcp` was started with: every call's defaults.
#[derive(Clone, Debug)]
struct Defaults {
    exe: PathBuf,
    profile: Option<String>,
    regions: Vec<String>,
    endpoint_url: Option<String>,
    timeout_secs: f64,
    verbose: u8,
}

impl Defaults {
    fn from(global: &GlobalArgs, exe: PathBuf) -> Self {
        Defaults {
            exe,
            profile: global.profile.clone(),
            regions: global.regions().iter().map(|r| r.to_string()).collect(),
            endpoint_url: global.endpoint_url.clone(),
            timeout_secs: global.timeout.as_secs_f64(),
            verbose: global.verbose,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Server {
    defaults: Defaults,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DoctorParams {
    /// Models to check: sonnet, opus, haiku (the newest of that family), a model ID, an
    /// inference profile ID or an ARN, optionally with [1m] (default: Claude Code's settings,
    /// else the newest Sonnet and Haiku)
    #[serde(default)]
    models: Vec<String>,
    /// AWS regions to check (default: the configured region)
    #[serde(default)]
    regions: Vec<String>,
    /// Named AWS profile (default: the server's, else AWS_PROFILE)
    profile: Option<String>,
    /// Run the Claude Code checks even when Claude Code is not configured for Bedrock
    #[serde(default)]
    claude_code: bool,
    /// Also check the Mantle endpoint (bedrock-mantle.<region>.api.aws) for the models
    #[serde(default)]
    mantle: bool,
    /// Skip the zero-token live call to Bedrock
    #[serde(default)]
    no_probe: bool,
    /// Tokens per minute the user plans to run; quotas below it warn
    expect_tpm: Option<u64>,
    /// Days of CloudWatch metrics the quota usage check reads (1 to 15; default 7)
    usage_window: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Regions to audit, or ["all"] for every region Bedrock is offered in (default: the
    /// configured region)
    #[serde(default)]
    regions: Vec<String>,
    /// Role ARNs to audit for broad Bedrock grants
    #[serde(default)]
    role_arns: Vec<String>,
    /// Audit every active account of the organization through role_name (from the management
    /// account or a delegated administrator)
    #[serde(default)]
    org: bool,
    /// The role to assume in each account of org or accounts
    role_name: Option<String>,
    /// With org: only the accounts in these organizational units (or roots) and below them
    #[serde(default)]
    ou: Vec<String>,
    /// Only these account IDs (without org: these accounts through role_name, unlisted)
    #[serde(default)]
    accounts: Vec<String>,
    /// With org: leave these account IDs out
    #[serde(default)]
    exclude_accounts: Vec<String>,
    /// Geography data must stay in, e.g. "eu"
    residency: Option<String>,
    /// Days of CloudWatch metrics the quota usage check reads (1 to 15; default 7)
    usage_window: Option<u32>,
    /// Named AWS profile (default: the server's, else AWS_PROFILE)
    profile: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EvaluateParams {
    /// Identity policy files (JSON), paths relative to the directory the server runs in
    policies: Vec<String>,
    /// The action, e.g. bedrock:InvokeModel
    action: String,
    /// The resource ARN
    resource: String,
    /// The caller's permission boundary file
    boundary: Option<String>,
    /// Request context: key to values, e.g. {"aws:RequestedRegion": ["us-east-1"]}
    #[serde(default)]
    context: BTreeMap<String, Vec<String>>,
    /// The caller: a user, role, assumed-role, federated-user or root ARN, or a service
    /// principal
    principal: Option<String>,
    /// The 12-digit account owning the resource (default: the one in the resource ARN)
    resource_account: Option<String>,
    /// Service control policy files, one list per organization level, root first (an empty
    /// list is a level with no policy)
    #[serde(default)]
    scps: Vec<Vec<String>>,
    /// Resource control policy files, as scps
    #[serde(default)]
    rcps: Vec<Vec<String>>,
    /// The resource's own resource-based policy file
    resource_policy: Option<String>,
    /// The session policy file passed when the caller's session was created
    session_policy: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExplainParams {
    /// User, role or assumed-role ARN whose policies IAM holds
    principal: String,
    /// The action, e.g. bedrock:InvokeModel
    action: String,
    /// The resource ARN
    resource: String,
    /// Request context: key to values, e.g. {"aws:RequestedRegion": ["us-east-1"]}
    #[serde(default)]
    context: BTreeMap<String, Vec<String>>,
    /// Named AWS profile (default: the server's, else AWS_PROFILE)
    profile: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RenderParams {
    /// Template name: claude-code, claude-invoke, preflight-readonly,
    /// invocation-logging-role, deny-long-term-api-keys, audit-role
    name: String,
    /// Template variables (a list variable takes "V1,V2")
    #[serde(default)]
    vars: BTreeMap<String, String>,
    /// Models to grant, as doctor's models (default: the newest Sonnet and Haiku)
    #[serde(default)]
    models: Vec<String>,
    /// Regions to grant (default: the configured region)
    #[serde(default)]
    regions: Vec<String>,
    /// Named AWS profile (default: the server's, else AWS_PROFILE)
    profile: Option<String>,
}

#[tool_router]
impl Server {
    #[tool(
        description = "Will Claude calls on Amazon Bedrock work from here? Runs every check and returns the JSON report: each finding has a status (pass, warn, fail, error, skip), a message, evidence and, when it fails, a remediation command.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn doctor(
        &self,
        Parameters(p): Parameters<DoctorParams>,
        call: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let mut args = self.globals(p.profile, &p.regions);
        args.push("doctor".into());
        repeated(&mut args, "--model", &p.models);
        flag(&mut args, "--claude-code", p.claude_code);
        flag(&mut args, "--mantle", p.mantle);
        flag(&mut args, "--no-probe", p.no_probe);
        optional(
            &mut args,
            "--expect-tpm",
            p.expect_tpm.map(|n| n.to_string()),
        );
        optional(
            &mut args,
            "--usage-window",
            p.usage_window.map(|n| n.to_string()),
        );
        self.run(args, &call).await
    }

    #[tool(
        description = "Compliance report for the account, or every account of the organization (org with role_name): model invocation logging, CloudTrail, long-term Bedrock API keys, broad grants, data residency. Returns the JSON report with controls and remediations.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn audit(
        &self,
        Parameters(p): Parameters<AuditParams>,
        call: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let mut args = self.globals(p.profile, &p.regions);
        args.push("audit".into());
        repeated(&mut args, "--role-arn", &p.role_arns);
        flag(&mut args, "--org", p.org);
        optional(&mut args, "--role-name", p.role_name);
        repeated(&mut args, "--ou", &p.ou);
        repeated(&mut args, "--accounts", &p.accounts);
        repeated(&mut args, "--exclude-accounts", &p.exclude_accounts);
        optional(&mut args, "--residency", p.residency);
        optional(
            &mut args,
            "--usage-window",
            p.usage_window.map(|n| n.to_string()),
        );
        self.run(args, &call).await
    }

    #[tool(
        description = "Evaluate IAM policy files locally, as AWS does, for one action and resource: returns the decision (allowed, explicitDeny, implicitDeny) and the statements that decided it. Covers identity policies, permission boundaries, session policies, SCPs and RCPs per organization level, and resource-based policies.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn policy_evaluate(
        &self,
        Parameters(p): Parameters<EvaluateParams>,
        call: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let mut args = self.globals(None, &[]);
        args.extend(["policy".into(), "evaluate".into()]);
        repeated(&mut args, "--policy", &p.policies);
        option(&mut args, "--action", &p.action);
        option(&mut args, "--resource", &p.resource);
        optional(&mut args, "--boundary", p.boundary);
        context(&mut args, &p.context);
        optional(&mut args, "--principal", p.principal);
        optional(&mut args, "--resource-account", p.resource_account);
        for level in &p.scps {
            option(&mut args, "--scp", &level.join(","));
        }
        for level in &p.rcps {
            option(&mut args, "--rcp", &level.join(","));
        }
        optional(&mut args, "--resource-policy", p.resource_policy);
        optional(&mut args, "--session-policy", p.session_policy);
        self.run(args, &call).await
    }

    #[tool(
        description = "Evaluate a live user's or role's own IAM policies (read from IAM), with its organization's SCPs and RCPs where readable, for one action and resource: the decision and the statements that decided it.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn policy_explain(
        &self,
        Parameters(p): Parameters<ExplainParams>,
        call: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let mut args = self.globals(p.profile, &[]);
        args.extend(["policy".into(), "explain".into()]);
        option(&mut args, "--principal", &p.principal);
        option(&mut args, "--action", &p.action);
        option(&mut args, "--resource", &p.resource);
        context(&mut args, &p.context);
        self.run(args, &call).await
    }

    #[tool(
        description = "Render a least-privilege IAM policy template with its variables filled in from the arguments and the live account (model and inference profile ARNs): returns the policy document.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn policy_render(
        &self,
        Parameters(p): Parameters<RenderParams>,
        call: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let mut args = self.globals(p.profile, &p.regions);
        args.extend(["policy".into(), "render".into()]);
        for (key, value) in &p.vars {
            option(&mut args, "--var", &format!("{key}={value}"));
        }
        repeated(&mut args, "--model", &p.models);
        // After `--`, a name that looks like a flag is still the name.
        args.extend(["--".into(), p.name.into()]);
        self.run(args, &call).await
    }

    #[tool(
        description = "The check catalog: every check's ID, the commands that run it, its dependencies and what it establishes.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn checks_list(&self, call: RequestContext<RoleServer>) -> CallToolResult {
        let mut args = self.globals(None, &[]);
        args.extend(["checks".into(), "list".into()]);
        self.run(args, &call).await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("bedrock-preflight", env!("CARGO_PKG_VERSION"))
                    .with_title("bedrock-preflight")
                    .with_description(
                        "Will your Claude calls on Amazon Bedrock work from here, and why not",
                    ),
            )
            .with_instructions(INSTRUCTIONS)
    }
}

impl Server {
    /// The global flags of one call: the report as JSON with nothing else, and the server's
    /// own flags unless the call names a profile or regions of its own.
    fn globals(&self, profile: Option<String>, regions: &[String]) -> Vec<OsString> {
        let d = &self.defaults;
        let mut args: Vec<OsString> = vec!["--output=json".into(), "--no-color".into()];
        args.push(if d.verbose > 0 { "-v" } else { "--quiet" }.into());
        optional(
            &mut args,
            "--profile",
            profile.or_else(|| d.profile.clone()),
        );
        let regions = if regions.is_empty() {
            &d.regions
        } else {
            regions
        };
        repeated(&mut args, "--region", regions);
        optional(&mut args, "--endpoint-url", d.endpoint_url.clone());
        option(&mut args, "--timeout", &d.timeout_secs.to_string());
        args
    }

    async fn run(&self, args: Vec<OsString>, call: &RequestContext<RoleServer>) -> CallToolResult {
        let exe = &self.defaults.exe;
        let mut command = tokio::process::Command::new(exe);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // A group of its own, so that a cancel stops what the child started too (a
        // credential_process, Claude Code's version probe), not the child alone.
        #[cfg(unix)]
        command.process_group(0);
        let spawned = command.spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return failure(format!("cannot run {}: {e}", exe.display())),
        };
        // Read on tasks of their own, so that neither pipe fills while the child is awaited.
        let stdout = child.stdout.take().map(|pipe| tokio::spawn(read_all(pipe)));
        let stderr = child.stderr.take().map(|pipe| tokio::spawn(read_all(pipe)));
        let status = tokio::select! {
            status = child.wait() => Some(status),
            () = call.ct.cancelled() => None,
        };
        let status = match status {
            Some(Ok(status)) => status,
            Some(Err(e)) => return failure(format!("cannot wait for {}: {e}", exe.display())),
            None => {
                // Killed and reaped now, not when a drop gets to it. rmcp sends no answer to
                // a cancelled request, so this result goes nowhere.
                kill_group(&child);
                let _ = child.kill().await;
                return failure("the call was cancelled".into());
            }
        };
        let (stdout, stderr) = (collected(stdout).await, collected(stderr).await);
        let stderr = String::from_utf8_lossy(&stderr);
        if self.defaults.verbose > 0 {
            let _ = std::io::stderr().write_all(stderr.as_bytes());
        }
        match status.code() {
            Some(code) if code == i32::from(EXIT_USAGE) => failure(stderr.trim().to_string()),
            // Exit 1 and 3 are verdicts (a check failed, a check could not run), which the
            // report itself says: the call worked.
            Some(_) => match serde_json::from_slice::<serde_json::Value>(&stdout) {
                Ok(report @ serde_json::Value::Object(_)) => CallToolResult::structured(report),
                Ok(report) => CallToolResult::success(vec![ContentBlock::text(report.to_string())]),
                Err(_) => failure(no_report(status, stderr.trim())),
            },
            None => failure(no_report(status, stderr.trim())),
        }
    }
}

/// SIGKILL to the child's process group (its pid, as spawned with `process_group(0)`).
fn kill_group(child: &tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
        // names the group, which is the child's own and holds nothing of this server.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

async fn read_all(mut pipe: impl tokio::io::AsyncRead + Unpin) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = pipe.read_to_end(&mut bytes).await;
    bytes
}

async fn collected(reading: Option<tokio::task::JoinHandle<Vec<u8>>>) -> Vec<u8> {
    match reading {
        Some(reading) => reading.await.unwrap_or_default(),
        None => Vec::new(),
    }
}

/// Why a run gave no report, in words: "exited with code 3", "was killed by signal 9".
fn no_report(status: ExitStatus, stderr: &str) -> String {
    let ended = match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => stopped_by(status),
    };
    if stderr.is_empty() {
        format!("the command printed no JSON report: it {ended}")
    } else {
        format!("the command printed no JSON report: it {ended}: {stderr}")
    }
}

#[cfg(unix)]
fn stopped_by(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(signal) => format!("was killed by signal {signal}"),
        None => format!("ended ({status})"),
    }
}

#[cfg(not(unix))]
fn stopped_by(status: ExitStatus) -> String {
    format!("ended ({status})")
}

fn failure(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

fn flag(args: &mut Vec<OsString>, name: &str, on: bool) {
    if on {
        args.push(name.into());
    }
}

/// `--name=value`, one word: a value that looks like a flag (`--fix`) stays a value.
fn option(args: &mut Vec<OsString>, name: &str, value: &str) {
    args.push(format!("{name}={value}").into());
}

fn optional(args: &mut Vec<OsString>, name: &str, value: Option<String>) {
    if let Some(value) = value {
        option(args, name, &value);
    }
}

fn repeated(args: &mut Vec<OsString>, name: &str, values: &[String]) {
    for value in values {
        option(args, name, value);
    }
}

fn context(args: &mut Vec<OsString>, context: &BTreeMap<String, Vec<String>>) {
    for (key, values) in context {
        for value in values {
            option(args, "--context", &format!("{key}={value}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_render_tool_names_every_template() {
        let schema = serde_json::to_value(schemars::schema_for!(RenderParams)).unwrap();
        let described = schema["properties"]["name"]["description"]
            .as_str()
            .unwrap()
            .to_string();
        for template in crate::policy::templates() {
            assert!(described.contains(&template.name), "{}", template.name);
        }
    }

    #[test]
    fn values_that_look_like_flags_stay_values() {
        let mut args = Vec::new();
        repeated(&mut args, "--model", &["--fix".to_string()]);
        context(
            &mut args,
            &BTreeMap::from([("aws:SourceIp".to_string(), vec!["--yes".to_string()])]),
        );
        assert_eq!(args, ["--model=--fix", "--context=aws:SourceIp=--yes"]);
    }
}
