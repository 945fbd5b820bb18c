//! Runs checks as soon as what they depend on is done, all at once otherwise. Whatever a check
//! does (fails, times out, panics), the run completes and every selected check ends with at
//! least one finding.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::{Check, CheckContext, CheckError, Finding, Remediation, Status};

/// Told what the runner does, for a progress display. Must not block.
pub trait Progress: Send + Sync {
    fn started(&self, _check: &'static str) {}
    fn finished(&self, _check: &'static str, _status: Status) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

enum State {
    Waiting,
    Running,
    Done(Status),
}

/// Runs `checks` and returns their findings in the order the checks were given.
pub async fn run_checks(
    checks: &[Arc<dyn Check>],
    cx: Arc<CheckContext>,
    timeout: Duration,
    progress: &dyn Progress,
) -> Vec<Finding> {
    let mut state: HashMap<&'static str, State> = checks
        .iter()
        .map(|c| (c.meta().id, State::Waiting))
        .collect();
    let mut findings: Vec<Vec<Finding>> = vec![Vec::new(); checks.len()];
    let mut running = JoinSet::new();
    let mut task_index = HashMap::new();

    loop {
        // Starting or skipping one check can unblock or skip another, so sweep until stable.
        let mut changed = true;
        while changed {
            changed = false;
            for (index, check) in checks.iter().enumerate() {
                let meta = check.meta();
                if !matches!(state[meta.id], State::Waiting) {
                    continue;
                }
                match readiness(meta.depends_on, &state) {
                    Readiness::Wait => continue,
                    Readiness::Blocked(reason) => {
                        findings[index] = vec![Finding::skip(meta, reason)];
                        state.insert(meta.id, State::Done(Status::Skip));
                        progress.finished(meta.id, Status::Skip);
                    }
                    Readiness::Ready => {
                        state.insert(meta.id, State::Running);
                        progress.started(meta.id);
                        let check = Arc::clone(check);
                        let cx = Arc::clone(&cx);
                        let task = running.spawn(async move {
                            tokio::time::timeout(timeout, check.run(&cx)).await
                        });
                        task_index.insert(task.id(), index);
                    }
                }
                changed = true;
            }
        }

        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (index, found) = match joined {
            Ok((task, Ok(Ok(found)))) => (task_index[&task], found),
            Ok((task, Ok(Err(error)))) => {
                let index = task_index[&task];
                (index, vec![error_finding(&*checks[index], error)])
            }
            Ok((task, Err(_elapsed))) => {
                let index = task_index[&task];
                let meta = checks[index].meta();
                let message = format!(
                    "{} did not finish within {} s (--timeout); the AWS calls it waits on are slow or hanging",
                    meta.id,
                    timeout.as_secs_f64()
                );
                (index, vec![Finding::error(meta, message)])
            }
            Err(join_error) => {
                let index = task_index[&join_error.id()];
                let meta = checks[index].meta();
                let message = format!("internal error: {} crashed ({join_error})", meta.id);
                (index, vec![Finding::error(meta, message)])
            }
        };
        let meta = checks[index].meta();
        let found = if found.is_empty() {
            vec![Finding::error(
                meta,
                "internal error: the check reported nothing",
            )]
        } else {
            found
        };
        let status = worst(&found);
        progress.finished(meta.id, status);
        state.insert(meta.id, State::Done(status));
        findings[index] = found;
    }

    // Anything still waiting has a dependency that can never finish: a cycle or a check that
    // is not part of this run. Say so rather than hang or drop it.
    for (index, check) in checks.iter().enumerate() {
        let meta = check.meta();
        if matches!(state[meta.id], State::Waiting) {
            findings[index] = vec![Finding::skip(
                meta,
                format!(
                    "Skipped: its dependencies ({}) form a cycle",
                    meta.depends_on.join(", ")
                ),
            )];
        }
    }
    findings.into_iter().flatten().collect()
}

enum Readiness {
    Ready,
    Wait,
    Blocked(String),
}

fn readiness(depends_on: &[&'static str], state: &HashMap<&'static str, State>) -> Readiness {
    let mut waiting = false;
    for dependency in depends_on {
        match state.get(dependency) {
            None => {
                return Readiness::Blocked(format!(
                    "Skipped: it depends on {dependency}, which is not part of this run"
                ));
            }
            Some(State::Done(status)) if !status.satisfies_dependents() => {
                let what = match status {
                    Status::Fail => "failed",
                    Status::Error => "could not run",
                    _ => "was skipped",
                };
                return Readiness::Blocked(format!("Skipped: {dependency} {what}"));
            }
            Some(State::Done(_)) => {}
            Some(State::Waiting | State::Running) => waiting = true,
        }
    }
    if waiting {
        Readiness::Wait
    } else {
        Readiness::Ready
    }
}

fn worst(findings: &[Finding]) -> Status {
    let rank = |status: Status| match status {
        Status::Pass => 0,
        Status::Skip => 1,
        Status::Warn => 2,
        Status::Error => 3,
        Status::Fail => 4,
    };
    findings
        .iter()
        .map(|f| f.status)
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::Skip)
}

fn error_finding(check: &dyn Check, error: CheckError) -> Finding {
    let meta = check.meta();
    match error {
        CheckError::Aws(aws) => {
            let finding = Finding::error(meta, aws.to_string())
                .evidence("operation", aws.operation())
                .evidence("error_kind", aws.kind().as_str());
            let finding = match aws.code() {
                Some(code) => finding.evidence("error_code", code),
                None => finding,
            };
            match aws.hint() {
                Some(hint) => finding.remediation(Remediation::new(hint)),
                None => finding,
            }
        }
        CheckError::Internal(message) => Finding::error(meta, format!("internal error: {message}")),
    }
}
