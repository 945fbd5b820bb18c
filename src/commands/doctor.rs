//! `doctor`: will Claude calls work from here?

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::Output;
use crate::aws::{Aws, AwsOptions};
use crate::checks::{self, CallerIdentity, Invocations, ModelTargets};
use crate::cli::{DoctorArgs, GlobalArgs};
use crate::engine::{CheckContext, CommandKind, run_checks};
use crate::models::{Family, ModelRequest};
use crate::report::{Report, Target};
use crate::target::{Region, RunTargets};
use crate::ui::Spinner;
use crate::{UsageError, exit_code};

pub async fn doctor(global: &GlobalArgs, args: &DoctorArgs) -> Result<u8, UsageError> {
    let mut output = Output::open(global)?;
    let models = if args.models.is_empty() {
        // Claude Code's settings will come first here once claude-code.config reads them.
        vec![
            ModelRequest::Family(Family::Sonnet),
            ModelRequest::Family(Family::Haiku),
        ]
    } else {
        args.models
            .iter()
            .map(|m| m.parse::<ModelRequest>().map_err(UsageError::Invalid))
            .collect::<Result<Vec<_>, _>>()?
    };
    let started_at = SystemTime::now();
    let clock = Instant::now();

    let aws = Aws::load(&AwsOptions {
        profile: global.profile.clone(),
        region: global.regions.first().cloned(),
        endpoint_url: global.endpoint_url.clone(),
    })
    .await;
    let regions = if global.regions.is_empty() {
        match aws.configured_region() {
            Some(name) => vec![name.parse::<Region>().map_err(|why| {
                UsageError::Invalid(format!("the configured region is invalid: {why}"))
            })?],
            None => Vec::new(),
        }
    } else {
        global.regions.clone()
    };
    let region_source = aws.region_source(!global.regions.is_empty()).await;
    let targets = RunTargets {
        regions,
        region_source,
        models,
        expect_tpm: args.expect_tpm,
        probe: !args.no_probe,
    };

    let checks = checks::for_command(CommandKind::Doctor);
    let cx = Arc::new(CheckContext::new(Arc::new(aws), targets));
    let spinner = Spinner::new(global, checks.len());
    let findings = run_checks(&checks, Arc::clone(&cx), global.timeout, &spinner).await;
    spinner.finish();

    let identity = cx.fact::<CallerIdentity>();
    let models = match (cx.fact::<Invocations>(), cx.fact::<ModelTargets>()) {
        (Some(invocations), _) => unique(invocations.list.iter().map(|i| i.model_id.clone())),
        (None, Some(targets)) => unique(targets.list.iter().map(|t| t.model.id.clone())),
        (None, None) => cx.targets.models.iter().map(|m| m.to_string()).collect(),
    };
    let report = Report {
        command: CommandKind::Doctor.as_str(),
        started_at,
        duration: clock.elapsed(),
        target: Target {
            account: identity.as_ref().map(|i| i.account.clone()),
            principal: identity.as_ref().map(|i| i.principal_arn.clone()),
            regions: cx.targets.regions.iter().map(|r| r.to_string()).collect(),
            models,
        },
        findings,
    };
    output.write(global, &report)?;
    if global.verbose > 0 {
        print_call_counts(&cx.aws);
    }
    Ok(exit_code(report.summary(), args.strict))
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

fn print_call_counts(aws: &Aws) {
    let counts = aws.call_counts();
    let mut text = String::from("AWS calls this run (operation: calls, HTTP attempts):\n");
    if counts.is_empty() {
        text.push_str("  none\n");
    }
    for (operation, count) in counts {
        text.push_str(&format!(
            "  {operation}: {} calls, {} attempts\n",
            count.calls, count.attempts
        ));
    }
    eprint!("{text}");
}
