//! What the commands share: the global flags resolved once into a `Run` (the session, its
//! reader, the regions asked for, the time a check may take), the configuration file and where
//! its defaults give way to flags, the models asked for, the templates filled from flags and
//! the live account, and the plan of a policy to attach.
//! Command files import from here and from `super` (the output), never from each other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::aws::{
    AttachTarget, AwsError, AwsOptions, AwsReader, EnvOverrides, ProfileRule, Session,
};
use crate::checks::{self, CallerAccount, CallerIdentity, Invocations, ModelTargets, meta};
use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::domain::{Arn, Family, Invocation, ModelName, ModelRequest, Region, RegionSource};
use crate::engine::{CheckContext, NoProgress, Scope, Status, run_checks};
use crate::plan;
use crate::policy::apply::{Desired, TargetArg, plan_apply};
use crate::policy::{self, Account, Filled, RoleNames, Template, catalog_values, render};
use crate::remediation::QuotaIncrease;
use crate::report::Examined;
use crate::setup::quotas;
use crate::{CommandError, EXIT_ERROR, EXIT_FAILED};

/// The global flags, resolved once at the top of a command. Below the commands nothing
/// reads a raw flag: what they need of the flags is here, typed.
pub(super) struct Run {
    /// What every AWS call of the run signs with and is sent through.
    pub session: Arc<Session>,
    /// The session's cached reads.
    pub aws: Arc<AwsReader>,
    /// The regions named (`--region`, else the configuration file's `regions`), and by whom.
    asked: AskedRegions,
    /// `all` among them (`--region all`, or the file's): audit's every Bedrock region.
    pub all_regions: bool,
    /// `--timeout`: what a check, or a plan's reads, may take.
    pub timeout: Duration,
    /// `-q`: no progress drawn.
    pub quiet: bool,
}

/// Whom another program's environment signs as (Claude Code's settings): its profile, and
/// the keys and bearer token its settings set.
#[derive(Default)]
pub(super) struct Signing {
    pub profile: Option<String>,
    pub overrides: EnvOverrides,
}

/// The regions a run is asked about and who asked: `--region`, else the configuration file's
/// `regions`; neither, and the AWS configuration's region (environment, profile) is the run's.
/// The file outranks the environment: it is the project's statement of what to check, while
/// AWS_REGION is often only where a CI runner's credentials were set up.
#[derive(Clone, Debug, Default)]
pub(super) struct AskedRegions {
    named: Vec<Region>,
    all: bool,
    /// `Flag` or `ConfigFile`; `None` when nothing was asked.
    by: Option<RegionSource>,
}

impl AskedRegions {
    /// `--region` alone, for the commands that read no configuration file.
    pub fn flags(global: &GlobalArgs) -> AskedRegions {
        AskedRegions::of(global, None)
    }

    /// `--region`, else `config`'s `regions`: a flag replaces the file's list, never adds to it.
    pub fn of(global: &GlobalArgs, config: Option<&Config>) -> AskedRegions {
        if !global.regions().is_empty() || global.all_regions() {
            return AskedRegions {
                named: global.regions(),
                all: global.all_regions(),
                by: Some(RegionSource::Flag),
            };
        }
        match config.and_then(|c| c.regions.as_ref()) {
            Some(file) => AskedRegions {
                named: file.named.clone(),
                all: file.all,
                by: Some(RegionSource::ConfigFile),
            },
            None => AskedRegions::default(),
        }
    }
}

impl Run {
    /// The session from the global flags and the standard chain, with `signing` where no flag
    /// says otherwise: `--profile` wins over all of it, and a profile named either way
    /// outranks keys in the environment, as the aws CLI and Claude Code's SDK rank them.
    pub async fn resolve(global: &GlobalArgs, signing: Signing) -> Run {
        Run::resolve_asking(global, signing, AskedRegions::flags(global)).await
    }

    /// As `resolve`, about the regions `asked` (a command that reads the configuration file).
    pub async fn resolve_asking(global: &GlobalArgs, signing: Signing, asked: AskedRegions) -> Run {
        // A --profile is what the user asked to be checked: another program's keys too give
        // way to it.
        let (profile, profile_rule, overrides) = match (&global.profile, signing.profile) {
            (Some(flag), _) => (
                Some(flag.clone()),
                Some(ProfileRule::CommandLine),
                EnvOverrides::default(),
            ),
            (None, Some(other)) => (
                Some(other),
                Some(ProfileRule::ClaudeCode),
                signing.overrides,
            ),
            (None, None) => (None, None, signing.overrides),
        };
        let session = Session::load(&AwsOptions {
            profile,
            profile_rule,
            region: asked.named.first().cloned(),
            endpoint_url: global.endpoint_url.clone(),
            operation_timeout: Some(global.timeout),
            env_overrides: overrides,
        })
        .await;
        Run::over(global, session, asked)
    }

    /// The run on a session already made (in-process callers bring their own transport),
    /// about the regions `asked`.
    pub fn over(global: &GlobalArgs, session: Arc<Session>, asked: AskedRegions) -> Run {
        Run {
            aws: Arc::new(AwsReader::new(Arc::clone(&session))),
            session,
            all_regions: asked.all,
            asked,
            timeout: global.timeout,
            quiet: global.quiet,
        }
    }

    /// Whether `--region` or the configuration file named any region.
    pub fn regions_named(&self) -> bool {
        !self.asked.named.is_empty()
    }

    /// The regions named, else the region the AWS configuration names (none when it names
    /// none); a configured region that is not one is the user's to fix.
    pub fn regions(&self) -> Result<Vec<Region>, CommandError> {
        regions(&self.asked.named, &self.session)
    }

    /// Where the run's regions come from, `all` counted as named (audit's).
    pub async fn region_source(&self) -> Option<RegionSource> {
        if self.regions_named() || self.all_regions {
            return self.asked.by;
        }
        self.session.region_source(false).await
    }

    /// What checks examine: the regions (never `all`), where they came from, and `models`.
    pub async fn scope(&self, models: Vec<ModelRequest>) -> Result<Scope, CommandError> {
        let region_source = if self.regions_named() {
            self.asked.by
        } else {
            self.session.region_source(false).await
        };
        Ok(Scope {
            regions: self.regions()?,
            region_source,
            models,
            principals: Vec::new(),
        })
    }

    /// `-v`'s totals, one line per operation, after the run's one line per call.
    pub fn log_call_totals(&self) {
        log_call_totals(&self.session);
    }
}

fn regions(named: &[Region], session: &Session) -> Result<Vec<Region>, CommandError> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    session
        .configured_region()
        .map(|name| {
            name.parse::<Region>().map_err(|why| {
                CommandError::Usage(format!("the configured region is invalid: {why}"))
            })
        })
        .into_iter()
        .collect()
}

pub(super) fn log_call_totals(session: &Session) {
    for (operation, count) in session.call_counts() {
        tracing::info!(
            "total {operation}: calls={} pages={} attempts={}",
            count.calls,
            count.pages,
            count.attempts
        );
    }
}

/// `--model` values, or the defaults (the newest Sonnet and Haiku): checked before any AWS
/// session exists.
pub(super) fn requested_models(models: &[String]) -> Result<Vec<ModelRequest>, CommandError> {
    if models.is_empty() {
        return Ok(vec![
            ModelName::Family(Family::Sonnet).into(),
            ModelName::Family(Family::Haiku).into(),
        ]);
    }
    models
        .iter()
        .map(|m| m.parse::<ModelRequest>().map_err(CommandError::Usage))
        .collect()
}

/// Who ran the checks: the caller's account and principal, as far as they resolved.
pub(super) fn caller_examined(cx: &CheckContext) -> Examined {
    let identity = cx.fact::<CallerIdentity>();
    let account = identity
        .as_ref()
        .map(|i| i.account.clone())
        .or_else(|| cx.fact::<CallerAccount>().map(|a| a.0.clone()));
    Examined {
        accounts: account.into_iter().collect(),
        principals: identity.iter().map(|i| i.principal_arn.clone()).collect(),
        ..Examined::default()
    }
}

/// The caller's account and partition, and the ARN STS answered with (cached for the run).
pub(super) async fn caller_account(aws: &AwsReader) -> Result<(Account, String), AwsError> {
    let identity = aws.caller_identity().await?;
    let partition = identity
        .arn
        .parse::<Arn>()
        .map(|a| a.partition().to_string())
        .unwrap_or_else(|_| "aws".into());
    Ok((
        Account {
            partition,
            id: identity.account,
        },
        identity.arn,
    ))
}

/// A template by name, for the commands that take no file (`render`, `apply`).
pub(super) fn template(name: &str) -> Result<Template, CommandError> {
    policy::template(name).ok_or_else(|| {
        CommandError::Usage(format!(
            "no policy template named '{name}' (templates: {})",
            template_names()
        ))
    })
}

pub(super) fn template_names() -> String {
    let names: Vec<String> = policy::templates().into_iter().map(|t| t.name).collect();
    names.join(", ")
}

/// A template filled in: its permissions document, the trust policy of a role template and
/// the names of a role deployed by name, with the values that filled them.
pub(super) struct Rendered {
    pub document: Value,
    pub trust: Option<Value>,
    pub role: Option<RoleNames>,
    pub values: BTreeMap<String, Filled>,
}

impl Rendered {
    /// What `render` prints: the document alone, or a role's two documents by the names
    /// CloudFormation and the IAM API give them; a role deployed by name also with the
    /// rest of `aws iam create-role`'s and `put-role-policy`'s input.
    pub fn shown(&self) -> Value {
        match (&self.trust, &self.role) {
            (None, _) => self.document.clone(),
            (Some(trust), None) => json!({
                "PolicyDocument": self.document,
                "AssumeRolePolicyDocument": trust,
            }),
            (Some(trust), Some(role)) => json!({
                "RoleName": role.name,
                "Description": role.description,
                "AssumeRolePolicyDocument": trust,
                "PolicyName": role.policy_name,
                "PolicyDocument": self.document,
            }),
        }
    }
}

/// `template` filled from `--var` flags and the live account. Invalid flags are a usage
/// error; when the account cannot say what the models are called through, the reasons are
/// printed and the inner `Err` is the exit code.
pub(super) async fn rendered(
    run: &Run,
    template: &Template,
    vars: &[String],
    models: &[String],
) -> Result<Rendered, CommandError> {
    let requests = requested_models(models)?;
    // Flags are checked before any AWS call.
    let flags = template.flag_values(&parse_vars(vars)?).map_err(usage)?;
    let live = if template.needs_live(&flags) {
        let depth = if template.needs_routes() {
            Resolve::Routes
        } else {
            Resolve::Caller
        };
        Some(live(run, requests, depth).await?)
    } else {
        None
    };
    fill(template, vars, live.as_ref())
}

/// The template with its flag variables and, when given, the live account's values filled.
pub(super) fn fill(
    template: &Template,
    vars: &[String],
    live: Option<&Live>,
) -> Result<Rendered, CommandError> {
    let flags = template.flag_values(&parse_vars(vars)?).map_err(usage)?;
    let mut values = flags.clone();
    if let Some(live) = live {
        values.extend(catalog_values(
            template,
            &live.account,
            &live.invocations,
            &live.regions,
            &flags,
        ));
    }
    let document = render(&template.document(), &values).map_err(usage)?;
    let trust = template
        .trust_document()
        .map(|trust| render(&trust, &values))
        .transpose()
        .map_err(usage)?;
    let role = template
        .role
        .as_ref()
        .map(|role| role.filled(&values))
        .transpose()
        .map_err(usage)?;
    Ok(Rendered {
        document,
        trust,
        role,
        values,
    })
}

pub(super) fn usage(error: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(error.to_string())
}

/// `--var K=V` values, in order.
pub(super) fn parse_vars(vars: &[String]) -> Result<Vec<(String, String)>, CommandError> {
    vars.iter()
        .map(|entry| {
            entry
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| CommandError::Usage(format!("--var '{entry}' is not K=V")))
        })
        .collect()
}

/// What the live account says: who the caller is and, as far as asked, which model each
/// request is in each region and how it is called.
pub(super) struct Live {
    pub account: Account,
    /// (region, model ID) of each request that resolved.
    pub models: Vec<(Region, String)>,
    pub invocations: Vec<Invocation>,
    pub regions: Vec<Region>,
}

/// How far `live` resolves.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Resolve {
    /// The caller's account and partition.
    Caller,
    /// And each requested model in each region's catalog.
    Models,
    /// And how each is called: its inference profile and destinations.
    Routes,
}

/// Runs doctor's resolving checks (credentials, caller; region and models; profiles) and
/// keeps their facts. Any of them failing or erring stops the command: a policy or a setup
/// for a model that did not resolve would grant or set up the wrong thing.
pub(super) async fn live(
    run: &Run,
    models: Vec<ModelRequest>,
    depth: Resolve,
) -> Result<Live, CommandError> {
    let mut wanted = vec![&meta::CREDENTIALS_RESOLVE, &meta::IDENTITY_CALLER];
    if depth >= Resolve::Models {
        wanted.extend([&meta::REGION_CONFIG, &meta::MODELS_LIFECYCLE]);
    }
    if depth >= Resolve::Routes {
        wanted.push(&meta::PROFILES_RESOLVE);
    }
    let checks: Vec<_> = checks::all()
        .into_iter()
        .filter(|c| wanted.iter().any(|meta| meta.id == c.meta().id))
        .collect();
    let scope = run.scope(models).await?;
    let cx = Arc::new(CheckContext::new(Arc::clone(&run.aws), scope));
    let findings = run_checks(&checks, Arc::clone(&cx), run.timeout, &NoProgress).await;
    let blocking: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error))
        .collect();
    let identity = cx.fact::<CallerIdentity>();
    let invocations = cx.fact::<Invocations>();
    let targets = cx.fact::<ModelTargets>();
    match (identity, invocations) {
        (Some(identity), invocations) if blocking.is_empty() => Ok(Live {
            account: Account {
                partition: identity.partition.clone(),
                id: identity.account.clone(),
            },
            models: targets
                .map(|t| {
                    t.list
                        .iter()
                        .map(|t| (t.region.clone(), t.model.id.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            invocations: invocations.map(|i| i.list.clone()).unwrap_or_default(),
            regions: cx.scope.regions.clone(),
        }),
        _ => Err(CommandError::Halted {
            reason: "the live account cannot resolve what was asked".into(),
            code: if blocking.iter().any(|f| f.status == Status::Fail) {
                EXIT_FAILED
            } else {
                EXIT_ERROR
            },
            findings: blocking.into_iter().cloned().collect(),
        }),
    }
}

/// A plan not yet applied, with whose account and principal it changes.
pub(super) struct Planned {
    pub plan: plan::Plan,
    pub account: String,
    pub principal: String,
}

/// Reads the caller, the policy and the target's attachments, and plans. A target that is
/// not there is the user's input to fix (exit 2); a read that fails, or a policy this tool
/// must not touch, halts the command.
pub(super) async fn plan_policy(
    aws: &AwsReader,
    (template, policy_name, target_arg): (&str, &str, &TargetArg),
    document: serde_json::Value,
) -> Result<Planned, CommandError> {
    let halted = |reason: String, code| CommandError::Halted {
        reason,
        findings: Vec::new(),
        code,
    };
    let (account, _) = caller_account(aws)
        .await
        .map_err(|e| halted(format!("cannot read the caller's account: {e}"), EXIT_ERROR))?;
    if let Some(refusal) = target_arg.refusal(&account.partition, &account.id) {
        return Err(CommandError::Usage(refusal));
    }
    let target = &target_arg.target;
    let policy_arn = format!(
        "arn:{}:iam::{}:policy/{policy_name}",
        account.partition, account.id
    );
    let (kind, name) = match target {
        AttachTarget::Role(name) => ("role", name),
        AttachTarget::User(name) => ("user", name),
        AttachTarget::Group(name) => ("group", name),
    };
    let (current, attached) = tokio::join!(
        aws.managed_policy_state(&policy_arn),
        aws.attached_policy_arns(kind, name)
    );
    let attached = match attached {
        Ok(arns) => arns.contains(&policy_arn),
        Err(e) if e.kind() == crate::aws::AwsErrorKind::NotFound => {
            return Err(CommandError::Usage(format!(
                "{target} does not exist in account {}",
                account.id
            )));
        }
        Err(e) => {
            return Err(halted(
                format!("cannot read the policies attached to {target}: {e}"),
                EXIT_ERROR,
            ));
        }
    };
    let current =
        current.map_err(|e| halted(format!("cannot read {policy_arn}: {e}"), EXIT_ERROR))?;
    let desired = Desired {
        policy_name,
        policy_arn: &policy_arn,
        document: &document,
        description: format!("bedrock-preflight template {template} for {target}"),
        target,
    };
    let plan = plan_apply(&desired, current.as_ref(), attached)
        .map_err(|refusal| halted(refusal.to_string(), EXIT_FAILED))?;
    Ok(Planned {
        plan,
        principal: format!("arn:{}:iam::{}:{target}", account.partition, account.id),
        account: account.id,
    })
}

/// The configuration file (`--config`, else `bedrock-preflight.toml` here): the findings it
/// accepts and the defaults of its flags, read and validated before any AWS call; each entry
/// that has ended is said on stderr, since a CI file outlives the day it was written.
pub(super) async fn config_file(global: &GlobalArgs) -> Result<Option<Config>, CommandError> {
    let explicit = global.config.clone();
    // A file read: off the runtime's threads.
    let loaded = tokio::task::spawn_blocking(move || crate::config::load(explicit.as_deref()))
        .await
        .map_err(|e| CommandError::Usage(format!("the configuration file: {e}")))?;
    let config = loaded.map_err(CommandError::Usage)?;
    if let Some(config) = &config {
        for line in config.expired(crate::config::Date::today()) {
            say!("warning: {line}");
        }
    }
    Ok(config)
}

/// `--strict`, else `--no-strict`, else the configuration file's `strict`, else off.
pub(super) fn strict(flag: bool, no_flag: bool, config: Option<&Config>) -> bool {
    if flag || no_flag {
        return flag;
    }
    config.and_then(|c| c.strict).unwrap_or(false)
}

/// The plan of the quota increases asked, each for the calls of its invocation: each region's
/// Bedrock quotas and their AWS defaults, then the increase requests of each quota the value
/// asked is above, read concurrently (the run's reader caches what a check read already).
/// What the plan cannot do comes with it; a read that fails is the `Err`, naming the call.
pub(super) async fn plan_quota_increases(
    aws: &AwsReader,
    goal: String,
    asked: &[(Invocation, QuotaIncrease)],
) -> Result<(plan::Plan, Vec<quotas::Blocker>), String> {
    let mut regions: Vec<&Region> = asked.iter().map(|(i, _)| &i.region).collect();
    regions.sort();
    regions.dedup();
    let read = join_all(regions.into_iter().map(|region| async move {
        let (applied, defaults) = tokio::join!(
            aws.bedrock_quotas(region),
            aws.bedrock_default_quotas(region)
        );
        let applied =
            applied.map_err(|e| format!("cannot read the Bedrock quotas of {region}: {e}"))?;
        let defaults = defaults.map_err(|e| {
            format!("cannot read the AWS defaults of the Bedrock quotas of {region}: {e}")
        })?;
        Ok::<_, String>((region.clone(), (applied, defaults)))
    }))
    .await;
    let (read, unread): (Vec<_>, Vec<_>) = read.into_iter().partition(Result::is_ok);
    if !unread.is_empty() {
        let reasons: Vec<String> = unread.into_iter().filter_map(Result::err).collect();
        return Err(reasons.join("; "));
    }
    let by_region: BTreeMap<Region, _> = read.into_iter().filter_map(Result::ok).collect();
    let mut asked_quotas = Vec::new();
    let mut blockers = Vec::new();
    for (invocation, increase) in asked {
        let (applied, defaults) = &by_region[&invocation.region];
        let (found, missing) = quotas::quotas_asked(invocation, applied, defaults, increase);
        asked_quotas.extend(found);
        blockers.extend(missing);
    }
    let mut asked_quotas = quotas::each_once(asked_quotas);
    let requests = join_all(asked_quotas.iter().map(|now| async move {
        if !now.needs_requests() {
            return Ok(Vec::new());
        }
        aws.quota_requests(&now.region, &now.quota.code)
            .await
            .map(|requests| requests.to_vec())
            .map_err(|e| {
                format!(
                    "cannot read the increase requests of bedrock/{} in {}: {e}",
                    now.quota.code, now.region
                )
            })
    }))
    .await;
    let mut unread = Vec::new();
    for (now, requests) in asked_quotas.iter_mut().zip(requests) {
        match requests {
            Ok(requests) => now.requests = requests,
            Err(why) => unread.push(why),
        }
    }
    if !unread.is_empty() {
        return Err(unread.join("; "));
    }
    let (plan, more) = quotas::plan_quotas(goal, &asked_quotas);
    blockers.extend(more);
    Ok((plan, blockers))
}
