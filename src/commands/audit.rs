//! `audit`: does this account meet the controls promised for Claude on Bedrock? The audit's
//! checks over every region asked for (`--region all`: every region Bedrock is offered in),
//! read-only, in one report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::stream::{self, StreamExt};

use super::resolve::{
    AskedRegions, Run, Signing, caller_account, caller_examined, config_file, strict,
};
use super::{Output, send};
use crate::aws::{AwsReader, CredentialsProblem, Session};
use crate::checks::{
    self, AccountsNamedBy, AuditOptions, GEOGRAPHIES, ResidencyInput, UsageOptions,
    account_not_active, account_not_in_organization, accounts_not_listed, role_not_assumed,
};
use crate::claude_code::{Places, Setup};
use crate::cli::{AuditArgs, GlobalArgs};
use crate::domain::{Arn, BEDROCK_REGIONS, Region};
use crate::engine::{
    Check, CheckContext, CommandKind, Finding, Progress, Scope, Status, run_checks,
};
use crate::report::{AccountEntry, Document, Examined, Report, controls};
use crate::ui::Spinner;
use crate::{CommandError, EXIT_OK, exit_code};

pub async fn audit(global: &GlobalArgs, args: &AuditArgs) -> Result<u8, CommandError> {
    let config = config_file(global).await?;
    let file_residency = config.as_ref().and_then(|c| c.residency);
    let geography = match args.residency.as_deref().or(file_residency) {
        None => None,
        Some(g) if GEOGRAPHIES.iter().any(|(name, _)| *name == g) => Some(g.to_string()),
        Some(other) => {
            return Err(CommandError::Usage(format!(
                "--residency {other}: one of {}",
                GEOGRAPHIES
                    .iter()
                    .map(|(g, _)| *g)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let roles = roles(&args.role_arns)?;
    let strict = strict(args.strict, args.no_strict, config.as_ref());
    let mut output = Output::open_report(global)?;
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let asked = AskedRegions::of(global, config.as_ref());
    let run = Run::resolve_asking(global, Signing::default(), asked).await;
    let all_regions = run.all_regions;
    let regions = if all_regions {
        commercial_regions()
    } else {
        run.regions()?
    };
    if regions.is_empty() {
        return Err(CommandError::Usage(
            "no region to audit: pass --region all or --region R,R..., or set AWS_REGION".into(),
        ));
    }
    let claude_code = claude_code_here().await;
    let options = AuditOptions {
        all_regions,
        strict,
        mantle_here: claude_code.as_ref().is_some_and(Setup::uses_mantle),
    };
    let residency = geography.map(|geography| ResidencyInput {
        geography,
        claude_code_models: claude_code
            .iter()
            .flat_map(|setup| setup.pinned_models())
            .map(|m| (m.value, format!("{} (from {})", m.named_by, m.origin)))
            .collect(),
    });
    let scope = Scope {
        regions,
        region_source: run.region_source().await,
        models: Vec::new(),
        principals: Vec::new(),
    };
    let (targets, unreached) = targets(&run, args, roles).await;
    let named_by = match (&args.role_name, args.org) {
        (None, _) => AccountsNamedBy::RoleArns,
        (Some(_), true) => AccountsNamedBy::Organization,
        (Some(_), false) => AccountsNamedBy::AccountList,
    };
    // Any run that names other accounts reports each one's line, even when the caller's own is
    // all it could reach.
    let reached_by_role = args.role_name.is_some() || !args.role_arns.is_empty();
    let checks = checks::for_command(CommandKind::Audit);
    let spinner = Spinner::new(run.quiet, checks.len() * targets.len(), output.on_stderr());
    let ctx = AccountContext {
        run: &run,
        keep_sessions: args.send.is_some(),
        external_id: args.external_id.as_deref(),
        named_by,
        scope: &scope,
        options: &options,
        usage: UsageOptions {
            window_days: args.usage_window,
            expect_tpm: None,
            targets_only: false,
        },
        residency: &residency,
        checks: &checks,
        progress: &spinner,
    };
    // Each account's raw AWS answers are dropped with its reader when its audit ends: what
    // stays for the report is its findings. An account that is slow to answer holds only its
    // own place: the next starts as any finishes, and the report keeps the targets' order.
    let at_once = accounts_at_once(args.max_concurrency, scope.regions.len());
    let ctx = &ctx;
    let mut runs: Vec<(usize, AccountAudit)> = stream::iter(targets.into_iter().enumerate())
        .map(|(index, target)| async move { (index, audit_account(target, ctx).await) })
        .buffer_unordered(at_once)
        .collect()
        .await;
    runs.sort_by_key(|(index, _)| *index);
    spinner.finish();
    let mut report = Report {
        command: CommandKind::Audit.as_str(),
        started_at,
        duration: clock.elapsed(),
        scope: Examined {
            regions: scope.regions.iter().map(|r| r.to_string()).collect(),
            ..Examined::default()
        },
        findings: Vec::new(),
        plan: None,
        checks: checks.iter().map(|c| c.meta()).collect(),
        halted: None,
        accounts: Vec::new(),
    };
    // Each audited account's session, for --send: an account's findings go as that account.
    let mut audited: Vec<(String, Arc<Session>)> = Vec::new();
    for (_, run) in runs {
        report
            .scope
            .accounts
            .extend(run.examined.accounts.iter().cloned());
        report.scope.principals.extend(run.examined.principals);
        report.findings.extend(run.findings);
        let Some(id) = run.examined.accounts.into_iter().next() else {
            continue;
        };
        if let Some(session) = run.session {
            audited.push((id.clone(), session));
        }
        if reached_by_role {
            report.accounts.push(AccountEntry {
                id,
                name: run.name,
                role: run.role,
            });
        }
    }
    for mut finding in unreached {
        let id = finding.account.clone();
        controls::annotate(std::slice::from_mut(&mut finding), None);
        // Listed in the report's accounts, not in its scope: nothing in it was examined.
        if let Some(id) = id
            && !report.accounts.iter().any(|a| a.id == id)
        {
            report.accounts.push(AccountEntry {
                id,
                name: None,
                role: None,
            });
        }
        report.findings.push(finding);
    }
    if let Some(config) = &config {
        config.suppress(&mut report.findings, crate::config::Date::today());
    }
    // Sent before the report is written: the plan and what became of it are in the report.
    let sent = send::send(args, &mut report, &audited).await;
    let written = output.write(&Document::Report(&report));
    run.log_call_totals();
    written?;
    let code = exit_code(report.summary(), strict);
    Ok(match sent {
        Some(sent) => {
            say!("{}", sent.closing);
            if code == EXIT_OK { sent.code } else { code }
        }
        None => code,
    })
}

/// The `--role-arn` values, each an IAM role ARN; anything else is a usage error.
fn roles(values: &[String]) -> Result<Vec<String>, CommandError> {
    let mut roles: Vec<String> = Vec::new();
    for value in values {
        let arn: Arn = value
            .parse()
            .map_err(|why| CommandError::Usage(format!("--role-arn {value}: {why}")))?;
        if !matches!(arn.iam_principal(), Some(("role", _))) {
            return Err(CommandError::Usage(format!(
                "--role-arn {value}: not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )));
        }
        if !roles.contains(value) {
            roles.push(value.clone());
        }
    }
    Ok(roles)
}

/// One account to audit, and how it is reached.
struct Target {
    /// The account's name in the organization.
    name: Option<String>,
    /// The role assumed in it; `None`: the caller's own credentials.
    role: Option<String>,
}

/// The accounts to audit, and a finding for each account in scope that cannot be: the
/// caller's own account alone; each `--role-arn`; or, with `--role-name`, the organization's
/// accounts (`--org`) or those `--accounts` names, the caller's own through its own
/// credentials.
async fn targets(run: &Run, args: &AuditArgs, roles: Vec<String>) -> (Vec<Target>, Vec<Finding>) {
    let own = || Target {
        name: None,
        role: None,
    };
    let Some(role_name) = &args.role_name else {
        if roles.is_empty() {
            return (vec![own()], Vec::new());
        }
        let targets = roles
            .into_iter()
            .map(|role| Target {
                name: None,
                role: Some(role),
            })
            .collect();
        return (targets, Vec::new());
    };
    // Without the caller's identity there is no partition to build ARNs in, nor an
    // organization to list: its own audit says why.
    let Ok((caller, _)) = caller_account(&run.aws).await else {
        return (vec![own()], Vec::new());
    };
    let mut unreached = Vec::new();
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    if args.org {
        let members = match run.aws.member_accounts(&args.ou).await {
            Ok(members) => members,
            Err(error) => {
                let mut finding = accounts_not_listed(&error);
                finding.account = Some(caller.id.clone());
                return (Vec::new(), vec![finding]);
            }
        };
        for id in &args.accounts {
            if !members.iter().any(|m| &m.id == id) {
                unreached.push(account_not_in_organization(id, &args.ou));
            }
        }
        for member in members {
            if !args.accounts.is_empty() && !args.accounts.contains(&member.id) {
                continue;
            }
            if args.exclude_accounts.contains(&member.id) {
                continue;
            }
            match account_not_active(&member) {
                Some(finding) => unreached.push(finding),
                None => wanted.push((member.id, member.name)),
            }
        }
    } else {
        for id in &args.accounts {
            if !wanted.iter().any(|(w, _)| w == id) {
                wanted.push((id.clone(), None));
            }
        }
    }
    wanted.sort();
    let targets = wanted
        .into_iter()
        .map(|(id, name)| Target {
            role: (id != caller.id)
                .then(|| format!("arn:{}:iam::{id}:role/{role_name}", caller.partition)),
            name,
        })
        .collect();
    (targets, unreached)
}

/// How many accounts are audited at once: `--max-concurrency` counts account-region pairs,
/// and an account's regions are audited together, so an account of more regions than that is
/// audited alone.
fn accounts_at_once(max_concurrency: u32, regions: usize) -> usize {
    (max_concurrency as usize / regions.max(1)).max(1)
}

/// What every account's audit shares.
struct AccountContext<'a> {
    run: &'a Run,
    /// `--send`: each account's session outlives its audit, to send its findings as it.
    keep_sessions: bool,
    external_id: Option<&'a str>,
    named_by: AccountsNamedBy,
    scope: &'a Scope,
    options: &'a AuditOptions,
    usage: UsageOptions,
    residency: &'a Option<ResidencyInput>,
    checks: &'a [Arc<dyn Check>],
    progress: &'a dyn Progress,
}

/// One account's audit: what it examined, its findings (each naming the account), and how it
/// was reached.
struct AccountAudit {
    examined: Examined,
    findings: Vec<Finding>,
    name: Option<String>,
    role: Option<String>,
    /// With `--send`, the session the account was audited with.
    session: Option<Arc<Session>>,
}

/// One account's audit. A role that cannot be assumed is one error finding for its account.
async fn audit_account(target: Target, ctx: &AccountContext<'_>) -> AccountAudit {
    let Target { name, role } = target;
    let aws = match &role {
        None => Arc::clone(&ctx.run.aws),
        Some(role) => Arc::new(AwsReader::new(
            ctx.run.session.assuming(role, ctx.external_id).await,
        )),
    };
    if let Some(role) = &role
        && let Err(problem) = aws.credentials().await
    {
        let account = role
            .parse::<Arn>()
            .ok()
            .and_then(|a| a.account().map(str::to_string));
        let why = match &problem {
            CredentialsProblem::NotFound(why)
            | CredentialsProblem::Failed(why)
            | CredentialsProblem::TimedOut(why) => why.as_str(),
        };
        let mut findings = vec![role_not_assumed(role, why, ctx.named_by)];
        controls::annotate(&mut findings, account.as_deref());
        for check in ctx.checks {
            ctx.progress.finished(check.meta().id, Status::Skip);
        }
        return AccountAudit {
            examined: Examined {
                accounts: account.into_iter().collect(),
                principals: vec![role.clone()],
                ..Examined::default()
            },
            findings,
            name,
            role: Some(role.clone()),
            session: None,
        };
    }
    let mut cx = CheckContext::new(aws, ctx.scope.clone())
        .with_input(ctx.options.clone())
        .with_input(ctx.usage);
    if let Some(residency) = ctx.residency {
        cx = cx.with_input(residency.clone());
    }
    let cx = Arc::new(cx);
    let mut findings = run_checks(ctx.checks, Arc::clone(&cx), ctx.run.timeout, ctx.progress).await;
    let examined = caller_examined(&cx);
    controls::annotate(&mut findings, examined.accounts.first().map(String::as_str));
    AccountAudit {
        examined,
        findings,
        name,
        role,
        session: ctx.keep_sessions.then(|| Arc::clone(cx.aws.session())),
    }
}

/// Bedrock's regions in the commercial partition: GovCloud needs its own credentials.
fn commercial_regions() -> Vec<Region> {
    BEDROCK_REGIONS
        .iter()
        .filter(|r| !r.starts_with("us-gov-"))
        .filter_map(|r| r.parse().ok())
        .collect()
}

/// Claude Code's setup on this machine when it is set up for Bedrock or Mantle (its settings
/// read off the runtime's threads).
async fn claude_code_here() -> Option<Setup> {
    let shell: BTreeMap<String, String> = std::env::vars().collect();
    tokio::task::spawn_blocking(move || Setup::discover(&shell, &Places::here(&shell), None))
        .await
        .ok()
        .filter(|setup| setup.uses_bedrock() || setup.uses_mantle())
}
