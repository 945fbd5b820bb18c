//! `audit`: does this account meet the controls promised for Claude on Bedrock? The audit's
//! checks over every region asked for (`--regions all`: every region Bedrock is offered in),
//! read-only, in one report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::{Output, print_call_counts, regions, session};
use crate::aws::AwsReader;
use crate::checks::{self, AuditOptions, CallerAccount, CallerIdentity};
use crate::claude_code::{Places, Setup};
use crate::cli::{AuditArgs, GlobalArgs};
use crate::domain::{BEDROCK_REGIONS, Region};
use crate::engine::{CheckContext, CommandKind, Scope, run_checks};
use crate::report::{Document, Examined, Report, controls};
use crate::ui::Spinner;
use crate::{CommandError, exit_code};

pub async fn audit(global: &GlobalArgs, args: &AuditArgs) -> Result<u8, CommandError> {
    if !args.role_arns.is_empty() {
        return Err(CommandError::NotImplemented("audit --role-arn".into()));
    }
    if args.residency.is_some() {
        return Err(CommandError::NotImplemented("audit --residency".into()));
    }
    let listed = listed_regions(args.regions.as_deref())?;
    let mut output = Output::open_report(global)?;
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let session = session(global).await;
    let (regions, all_regions) = match listed {
        Some(Listed::All) => (commercial_regions(), true),
        Some(Listed::These(regions)) => (regions, false),
        None => (regions(global, &session)?, false),
    };
    if regions.is_empty() {
        return Err(CommandError::Usage(
            "no region to audit: pass --regions all or --regions R,R..., or set AWS_REGION".into(),
        ));
    }
    let options = AuditOptions {
        all_regions,
        strict: args.strict,
        mantle_here: mantle_here().await,
    };
    let scope = Scope {
        regions,
        region_source: None,
        models: Vec::new(),
        principals: Vec::new(),
    };
    let aws = Arc::new(AwsReader::new(Arc::clone(&session)));
    let cx = Arc::new(CheckContext::new(aws, scope).with_input(options));
    let checks = checks::for_command(CommandKind::Audit);
    let spinner = Spinner::new(global, checks.len());
    let findings = run_checks(&checks, Arc::clone(&cx), global.timeout, &spinner).await;
    spinner.finish();
    let mut report = Report {
        command: CommandKind::Audit.as_str(),
        started_at,
        duration: clock.elapsed(),
        scope: examined(&cx),
        findings,
        plan: None,
        checks: checks.iter().map(|c| c.meta()).collect(),
    };
    let account = report.scope.accounts.first().cloned();
    controls::annotate(&mut report.findings, account.as_deref());
    let written = output.write(&Document::Report(&report));
    if global.verbose > 0 {
        print_call_counts(&session);
    }
    written?;
    Ok(exit_code(report.summary(), args.strict))
}

enum Listed {
    All,
    These(Vec<Region>),
}

/// `--regions all` or `--regions R,R...`; a name that is not a region is a usage error.
fn listed_regions(flag: Option<&str>) -> Result<Option<Listed>, CommandError> {
    let Some(flag) = flag else {
        return Ok(None);
    };
    if flag.trim() == "all" {
        return Ok(Some(Listed::All));
    }
    let mut regions: Vec<Region> = Vec::new();
    for name in flag.split(',').map(str::trim) {
        let region = name
            .parse::<Region>()
            .map_err(|why| CommandError::Usage(format!("--regions: {why}")))?;
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    Ok(Some(Listed::These(regions)))
}

/// Bedrock's regions in the commercial partition: GovCloud needs its own credentials.
fn commercial_regions() -> Vec<Region> {
    BEDROCK_REGIONS
        .iter()
        .filter(|r| !r.starts_with("us-gov-"))
        .filter_map(|r| r.parse().ok())
        .collect()
}

/// Whether Claude Code on this machine calls the Mantle endpoint (its settings read off the
/// runtime's threads).
async fn mantle_here() -> bool {
    let shell: BTreeMap<String, String> = std::env::vars().collect();
    tokio::task::spawn_blocking(move || {
        Setup::discover(&shell, &Places::here(&shell), None).uses_mantle()
    })
    .await
    .unwrap_or(false)
}

/// What the audit looked at: the account and caller, and the regions.
fn examined(cx: &CheckContext) -> Examined {
    let identity = cx.fact::<CallerIdentity>();
    let account = identity
        .as_ref()
        .map(|i| i.account.clone())
        .or_else(|| cx.fact::<CallerAccount>().map(|a| a.0.clone()));
    Examined {
        accounts: account.into_iter().collect(),
        principals: identity.iter().map(|i| i.principal_arn.clone()).collect(),
        regions: cx.scope.regions.iter().map(|r| r.to_string()).collect(),
        models: Vec::new(),
    }
}
