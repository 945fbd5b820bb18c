//! `doctor`: will Claude calls work from here?

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{Output, print_call_counts, regions, session};
use crate::aws::{AwsReader, Session};
use crate::checks::{
    self, CallerAccount, CallerIdentity, DoctorOptions, Invocations, ModelTargets,
};
use crate::cli::{DoctorArgs, GlobalArgs};
use crate::domain::{Family, ModelName, ModelRequest};
use crate::engine::{CheckContext, CommandKind, Progress, Scope, run_checks};
use crate::report::{Document, Examined, Report};
use crate::ui::Spinner;
use crate::{CommandError, exit_code};

pub async fn doctor(global: &GlobalArgs, args: &DoctorArgs) -> Result<u8, CommandError> {
    if args.claude_code {
        return Err(CommandError::NotImplemented("doctor --claude-code".into()));
    }
    let mut output = Output::open(global)?;
    let models = requested_models(&args.models)?;
    let started_at = SystemTime::now();
    let clock = Instant::now();

    let session = session(global).await;
    let (scope, options) = doctor_inputs(global, args, models, &session).await?;
    let spinner = Spinner::new(global, checks::for_command(CommandKind::Doctor).len());
    let mut report = doctor_report(&session, scope, options, global.timeout, &spinner).await;
    spinner.finish();
    report.started_at = started_at;
    report.duration = clock.elapsed();
    let written = output.write(&Document::Report(&report));
    if global.verbose > 0 {
        print_call_counts(&session);
    }
    written?;
    Ok(exit_code(report.summary(), args.strict))
}

/// `--model` values, or the defaults (the newest Sonnet and Haiku): checked before any AWS
/// session exists.
pub(super) fn requested_models(models: &[String]) -> Result<Vec<ModelRequest>, CommandError> {
    if models.is_empty() {
        // Claude Code's settings will come first here once claude-code.config reads them.
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

/// What doctor examines and how, from its flags and the session's configuration.
async fn doctor_inputs(
    global: &GlobalArgs,
    args: &DoctorArgs,
    models: Vec<ModelRequest>,
    session: &Session,
) -> Result<(Scope, DoctorOptions), CommandError> {
    let scope = Scope {
        regions: regions(global, session)?,
        region_source: session.region_source(!global.regions.is_empty()).await,
        models,
        principals: Vec::new(),
    };
    let options = DoctorOptions {
        expect_tpm: args.expect_tpm,
        no_probe: args.no_probe,
    };
    Ok((scope, options))
}

/// Parses doctor's flags as the binary does and returns what it would examine: for callers
/// that run doctor in-process.
pub async fn doctor_inputs_from(
    global: &GlobalArgs,
    args: &DoctorArgs,
    session: &Session,
) -> Result<(Scope, DoctorOptions), CommandError> {
    doctor_inputs(global, args, requested_models(&args.models)?, session).await
}

/// Runs doctor's checks on `scope` and returns its report: what the binary prints, for
/// callers that run it in-process.
pub async fn doctor_report(
    session: &Arc<Session>,
    scope: Scope,
    options: DoctorOptions,
    timeout: Duration,
    progress: &dyn Progress,
) -> Report {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let checks = checks::for_command(CommandKind::Doctor);
    let reader = Arc::new(AwsReader::new(Arc::clone(session)));
    let cx = Arc::new(CheckContext::new(reader, scope).with_input(options));
    let findings = run_checks(&checks, Arc::clone(&cx), timeout, progress).await;
    Report {
        command: CommandKind::Doctor.as_str(),
        started_at,
        duration: clock.elapsed(),
        scope: examined(&cx),
        findings,
        plan: None,
    }
}

/// What the run looked at: the caller, and the models as they resolved (the routes when
/// known, else the catalog models, else what was asked).
fn examined(cx: &CheckContext) -> Examined {
    let identity = cx.fact::<CallerIdentity>();
    let models = match (cx.fact::<Invocations>(), cx.fact::<ModelTargets>()) {
        (Some(invocations), _) => unique(invocations.list.iter().map(|i| i.model_id.clone())),
        (None, Some(targets)) => unique(targets.list.iter().map(|t| t.model.id.clone())),
        (None, None) => cx.scope.models.iter().map(|m| m.to_string()).collect(),
    };
    // The account STS named is kept even when its ARN was not understood.
    let account = identity
        .as_ref()
        .map(|i| i.account.clone())
        .or_else(|| cx.fact::<CallerAccount>().map(|a| a.0.clone()));
    Examined {
        accounts: account.into_iter().collect(),
        principals: identity.iter().map(|i| i.principal_arn.clone()).collect(),
        regions: cx.scope.regions.iter().map(|r| r.to_string()).collect(),
        models,
    }
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}
