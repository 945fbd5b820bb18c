//! `audit --send security-hub (--dry-run | --yes)`: the audit's findings imported into each
//! audited account's Security Hub, planned from the report and applied as confirmed, every
//! account's batches sent with that account's session. The plan becomes the report's `plan`.

use std::sync::Arc;

use crate::aws::Session;
use crate::cli::{AuditArgs, SendTo};
use crate::plan::{self, Confirmation, Outcome, Plan, Sessions, StepResult};
use crate::report::{Report, asff_records};
use crate::send::plan_import;
use crate::{EXIT_ERROR, EXIT_OK};

/// What sending came to: the exit code it asks for (3 when a batch failed) and the line that
/// ends the run on stderr.
pub(super) struct Sent {
    pub code: u8,
    pub closing: String,
}

/// Plans and applies `--send` for `report`, whose accounts are `accounts` (account ID and the
/// session the audit read it with); `None` without `--send`.
pub(super) async fn send(
    args: &AuditArgs,
    report: &mut Report,
    accounts: &[(String, Arc<Session>)],
) -> Option<Sent> {
    let SendTo::SecurityHub = args.send?;
    let confirmation = Confirmation::from_flags(args.dry_run, args.yes);
    let records = asff_records(report);
    let nameless = report.findings.len() - records.len();
    if nameless > 0 {
        say!(
            "--send security-hub: {nameless} of {} findings left out: they name no AWS account \
             (the caller's identity was not resolved), and Security Hub takes no finding without one",
            report.findings.len()
        );
    }
    let ids: Vec<&str> = accounts.iter().map(|(id, _)| id.as_str()).collect();
    let planned = plan_import(records, &ids);
    for why in &planned.left_out {
        say!("--send security-hub: left out {why}");
    }
    let outcome = plan::apply_as(
        &planned.plan,
        confirmation,
        &Sessions::per_account(accounts),
    )
    .await;
    // A finding left out did not reach Security Hub either: the send is not whole.
    let left_out = planned.left_out.len();
    let mut closing = closing_line(&planned.plan, &outcome);
    if left_out > 0 {
        closing.push_str(&format!(
            " {left_out} finding{} left out (said above).",
            if left_out == 1 { " was" } else { "s were" }
        ));
    }
    let sent = Sent {
        code: if outcome.failed() || left_out > 0 {
            EXIT_ERROR
        } else {
            EXIT_OK
        },
        closing,
    };
    report.plan = Some((planned.plan, outcome));
    Some(sent)
}

/// What sending came to, in one line.
fn closing_line(plan: &Plan, outcome: &Outcome) -> String {
    let batches = |n: usize| match n {
        1 => "1 batch".to_string(),
        n => format!("{n} batches"),
    };
    let sizes: Vec<(usize, &StepResult)> = plan
        .steps
        .iter()
        .zip(&outcome.results)
        .map(|(step, result)| match &step.change {
            plan::Change::ImportFindings(batch) => (batch.findings.len(), result),
            _ => (0, result),
        })
        .collect();
    let total: usize = sizes.iter().map(|(n, _)| n).sum();
    let whole: usize = sizes
        .iter()
        .filter(|(_, r)| **r == StepResult::Done)
        .map(|(n, _)| n)
        .sum();
    let failed = sizes
        .iter()
        .filter(|(_, r)| matches!(r, StepResult::Failed(_)))
        .count();
    let unsent = sizes
        .iter()
        .filter(|(_, r)| **r == StepResult::NotSent)
        .count();
    match outcome.confirmation {
        _ if plan.is_converged() => "Nothing to send to Security Hub.".into(),
        Confirmation::DryRun => format!(
            "Dry run: nothing was sent ({total} findings in {} planned; --yes sends them).",
            batches(plan.steps.len())
        ),
        Confirmation::Unconfirmed => format!(
            "Nothing was sent: run the same command with --yes to send the {total} findings."
        ),
        Confirmation::Yes if failed > 0 => format!(
            "Security Hub took {whole} of {total} findings in whole batches; {} failed and {} \
             not sent after them (see the plan's errors). Running the same command again sends \
             every batch again, updating what was imported.",
            batches(failed),
            batches(unsent)
        ),
        Confirmation::Yes => format!(
            "Sent {total} findings to Security Hub in {}; running again updates the same findings.",
            batches(plan.steps.len())
        ),
    }
}
