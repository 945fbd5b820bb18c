//! `audit`: does this account meet the controls promised for Claude on Bedrock? The audit's
//! checks over every region asked for (`--region all`: every region Bedrock is offered in),
//! read-only, in one report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;

use super::Output;
use super::resolve::{AskedRegions, Run, Signing, caller_examined, config_file, strict};
use crate::aws::{AwsReader, CredentialsProblem, Session};
use crate::checks::{self, AuditOptions, GEOGRAPHIES, ResidencyInput, role_not_assumed};
use crate::claude_code::{Places, Setup};
use crate::cli::{AuditArgs, GlobalArgs};
use crate::domain::{Arn, BEDROCK_REGIONS, Region};
use crate::engine::{Check, CheckContext, CommandKind, Finding, Progress, Scope, run_checks};
use crate::report::{Document, Examined, Report, controls};
use crate::ui::Spinner;
use crate::{CommandError, exit_code};

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
    // The caller's own account, or each --role-arn's, audited at the same time.
    let accounts: Vec<(Option<String>, Arc<Session>)> = if roles.is_empty() {
        vec![(None, Arc::clone(&run.session))]
    } else {
        join_all(roles.into_iter().map(|role| {
            let session = Arc::clone(&run.session);
            async move {
                let assumed = session.assuming(&role).await;
                (Some(role), assumed)
            }
        }))
        .await
    };
    let checks = checks::for_command(CommandKind::Audit);
    let spinner = Spinner::new(run.quiet, checks.len() * accounts.len(), output.on_stderr());
    let runs = join_all(accounts.into_iter().map(|(role, session)| {
        audit_account(
            role,
            session,
            &scope,
            (&options, &residency),
            &checks,
            run.timeout,
            &spinner,
        )
    }))
    .await;
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
    };
    for (examined, findings) in runs {
        report.scope.accounts.extend(examined.accounts);
        report.scope.principals.extend(examined.principals);
        report.findings.extend(findings);
    }
    if let Some(config) = &config {
        config.suppress(&mut report.findings, crate::config::Date::today());
    }
    let written = output.write(&Document::Report(&report));
    run.log_call_totals();
    written?;
    Ok(exit_code(report.summary(), strict))
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

/// One account's audit: what it examined and its findings, each naming the account. A role
/// that cannot be assumed is one error finding for its account.
async fn audit_account(
    role: Option<String>,
    session: Arc<Session>,
    scope: &Scope,
    (options, residency): (&AuditOptions, &Option<ResidencyInput>),
    checks: &[Arc<dyn Check>],
    timeout: Duration,
    progress: &dyn Progress,
) -> (Examined, Vec<Finding>) {
    let aws = Arc::new(AwsReader::new(session));
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
        let mut findings = vec![role_not_assumed(role, why)];
        controls::annotate(&mut findings, account.as_deref());
        let examined = Examined {
            accounts: account.into_iter().collect(),
            principals: vec![role.clone()],
            ..Examined::default()
        };
        return (examined, findings);
    }
    let mut cx = CheckContext::new(aws, scope.clone()).with_input(options.clone());
    if let Some(residency) = residency {
        cx = cx.with_input(residency.clone());
    }
    let cx = Arc::new(cx);
    let mut findings = run_checks(checks, Arc::clone(&cx), timeout, progress).await;
    let examined = caller_examined(&cx);
    controls::annotate(&mut findings, examined.accounts.first().map(String::as_str));
    (examined, findings)
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
