//! Runs checks as soon as what they depend on is done, all at once otherwise. Whatever a check
//! does (fails, times out, panics), the run completes and every selected check ends with at
//! least one finding.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::{CHECK_DEADLINE, Check, CheckContext, CheckError, Finding, Kind, Status};

/// How much longer than `--timeout` a check is given. Every AWS call ends by `--timeout` on its
/// own (the SDK's operation timeout) with an error that names the call; a check of one call
/// started a moment before it, so without this margin the check's own limit would win the
/// race under load and report a timeout that names no call.
const CALL_TIMEOUT_FIRST: Duration = Duration::from_millis(250);

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
    /// `usable`: the check established something (a pass or warn) for at least one target,
    /// so dependents run, for the targets it provided facts about.
    Done {
        worst: Status,
        usable: bool,
    },
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
    cx.begin(checks.iter().map(|c| c.meta().id));
    // Reads that need no other check's facts go out now; dropped (aborted) with the run.
    let mut prefetches = JoinSet::new();
    for check in checks {
        let check = Arc::clone(check);
        let cx = Arc::clone(&cx);
        prefetches.spawn(async move { check.prefetch(&cx).await });
    }

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
                match readiness(meta.depends_on, meta.after, &state) {
                    Readiness::Wait => continue,
                    Readiness::Blocked(reason) => {
                        findings[index] = vec![Finding::skip(meta, Kind::DEPENDENCY_UNMET, reason)];
                        state.insert(
                            meta.id,
                            State::Done {
                                worst: Status::Skip,
                                usable: false,
                            },
                        );
                        cx.finish(meta.id);
                        progress.finished(meta.id, Status::Skip);
                    }
                    Readiness::Ready => {
                        state.insert(meta.id, State::Running);
                        progress.started(meta.id);
                        let check = Arc::clone(check);
                        let cx = Arc::clone(&cx);
                        let limit = timeout + CALL_TIMEOUT_FIRST;
                        let deadline = (tokio::time::Instant::now() + limit, limit);
                        let task = running.spawn(CHECK_DEADLINE.scope(deadline, async move {
                            tokio::time::timeout(limit, check.run(&cx)).await
                        }));
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
                (index, vec![Finding::error(meta, Kind::TIMED_OUT, message)])
            }
            Err(join_error) => {
                let index = task_index[&join_error.id()];
                let meta = checks[index].meta();
                let message = format!("internal error: {} crashed ({join_error})", meta.id);
                (index, vec![Finding::error(meta, Kind::INTERNAL, message)])
            }
        };
        let meta = checks[index].meta();
        let found = if found.is_empty() {
            vec![Finding::error(
                meta,
                Kind::INTERNAL,
                "internal error: the check reported nothing",
            )]
        } else {
            found
        };
        let status = worst(&found);
        let usable = found.iter().any(|f| f.status.satisfies_dependents());
        cx.finish(meta.id);
        progress.finished(meta.id, status);
        state.insert(
            meta.id,
            State::Done {
                worst: status,
                usable,
            },
        );
        findings[index] = found;
    }

    // Anything still waiting has a dependency that can never finish: a cycle or a check that
    // is not part of this run. Say so rather than hang or drop it.
    for (index, check) in checks.iter().enumerate() {
        let meta = check.meta();
        if matches!(state[meta.id], State::Waiting) {
            findings[index] = vec![Finding::skip(
                meta,
                Kind::DEPENDENCY_UNMET,
                format!(
                    "Skipped: its dependencies ({}) form a cycle",
                    meta.depends_on.join(", ")
                ),
            )];
        }
    }
    prefetches.abort_all();
    findings.into_iter().flatten().collect()
}

enum Readiness {
    Ready,
    Wait,
    Blocked(String),
}

fn readiness(
    depends_on: &[&'static str],
    after: &[&'static str],
    state: &HashMap<&'static str, State>,
) -> Readiness {
    let mut waiting = after
        .iter()
        .any(|id| matches!(state.get(id), Some(State::Waiting | State::Running)));
    for dependency in depends_on {
        match state.get(dependency) {
            None => {
                return Readiness::Blocked(format!(
                    "Skipped: it depends on {dependency}, which is not part of this run"
                ));
            }
            Some(State::Done {
                worst,
                usable: false,
            }) => {
                let what = match worst {
                    Status::Fail => "failed",
                    Status::Error => "could not run",
                    _ => "was skipped",
                };
                return Readiness::Blocked(format!("Skipped: {dependency} {what}"));
            }
            Some(State::Done { .. }) => {}
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
    findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Skip)
}

fn error_finding(check: &dyn Check, error: CheckError) -> Finding {
    let meta = check.meta();
    match error {
        CheckError::Aws(aws) => Finding::aws_error(meta, &aws),
        CheckError::Internal(message) => {
            Finding::error(meta, Kind::INTERNAL, format!("internal error: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsError, AwsErrorKind, AwsReader, Session, catalog};
    use crate::engine::{CheckMeta, CommandKind, KindMeta, Remediation, Scope, Severity};
    use async_trait::async_trait;
    use std::future::Future;
    use std::pin::Pin;

    const OK: Kind = Kind::new("ok");
    const NO: Kind = Kind::new("no");

    type Behavior = Box<
        dyn Fn(
                &CheckContext,
            )
                -> Pin<Box<dyn Future<Output = Result<Vec<Finding>, CheckError>> + Send + '_>>
            + Send
            + Sync,
    >;

    struct Fake {
        meta: &'static CheckMeta,
        behavior: Behavior,
    }

    #[async_trait]
    impl Check for Fake {
        fn meta(&self) -> &'static CheckMeta {
            self.meta
        }
        async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
            (self.behavior)(cx).await
        }
    }

    fn fake<F, Fut>(
        id: &'static str,
        depends_on: &'static [&'static str],
        behavior: F,
    ) -> Arc<dyn Check>
    where
        F: Fn(&'static CheckMeta, &CheckContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Finding>, CheckError>> + Send + 'static,
    {
        let meta: &'static CheckMeta = Box::leak(Box::new(CheckMeta {
            id,
            title: id,
            description: "",
            commands: &[CommandKind::Doctor],
            depends_on,
            after: if id == "reader" { &["writer"] } else { &[] },
            severity: Severity::High,
            kinds: &[
                KindMeta {
                    name: "ok",
                    doc: &[" Test kind."],
                },
                KindMeta {
                    name: "no",
                    doc: &[" Test kind."],
                },
            ],
        }));
        Arc::new(Fake {
            meta,
            behavior: Box::new(move |cx| Box::pin(behavior(meta, cx))),
        })
    }

    fn passing(id: &'static str, depends_on: &'static [&'static str]) -> Arc<dyn Check> {
        fake(id, depends_on, |meta, _| async move {
            Ok(vec![Finding::pass(meta, OK, "ok", "")])
        })
    }

    fn context() -> Arc<CheckContext> {
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        Arc::new(CheckContext::new(
            Arc::new(AwsReader::new(Session::from_config(config))),
            Scope::default(),
        ))
    }

    async fn run(checks: &[Arc<dyn Check>], timeout_ms: u64) -> Vec<Finding> {
        run_checks(
            checks,
            context(),
            Duration::from_millis(timeout_ms),
            &NoProgress,
        )
        .await
    }

    fn statuses(findings: &[Finding]) -> Vec<(&'static str, Status)> {
        findings.iter().map(|f| (f.check, f.status)).collect()
    }

    #[tokio::test]
    async fn independent_checks_run_at_the_same_time() {
        // Each waits for the other: run one after the other, both would time out.
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let wait = |id| {
            let barrier = Arc::clone(&barrier);
            fake(id, &[], move |meta, _| {
                let barrier = Arc::clone(&barrier);
                async move {
                    barrier.wait().await;
                    Ok(vec![Finding::pass(meta, OK, "ok", "")])
                }
            })
        };
        let findings = run(&[wait("a"), wait("b")], 2000).await;
        assert_eq!(
            statuses(&findings),
            [("a", Status::Pass), ("b", Status::Pass)]
        );
    }

    #[tokio::test]
    async fn a_dependent_starts_after_its_dependency_and_reads_its_fact() {
        #[derive(Debug)]
        struct Answer(u32);
        let producer = fake("producer", &[], |meta, cx| {
            cx.provide(Answer(42));
            async move { Ok(vec![Finding::pass(meta, OK, "ok", "")]) }
        });
        let consumer = fake("consumer", &["producer"], |meta, cx| {
            let answer = cx.require::<Answer>().map(|a| a.0);
            async move { Ok(vec![Finding::pass(meta, OK, "ok", format!("{}", answer?))]) }
        });
        // Registry order decides report order, not start order.
        let findings = run(&[consumer, producer], 1000).await;
        assert_eq!(
            statuses(&findings),
            [("consumer", Status::Pass), ("producer", Status::Pass)]
        );
        assert_eq!(findings[0].message, "42");
    }

    #[tokio::test]
    async fn failures_skip_dependents_transitively_and_say_why() {
        let failing = fake("root", &[], |meta, _| async move {
            Ok(vec![Finding::fail(
                meta,
                NO,
                Severity::High,
                "no",
                "",
                Remediation::new("fix"),
            )])
        });
        let findings = run(
            &[
                failing,
                passing("child", &["root"]),
                passing("grandchild", &["child"]),
                passing("other", &[]),
            ],
            1000,
        )
        .await;
        assert_eq!(
            statuses(&findings),
            [
                ("root", Status::Fail),
                ("child", Status::Skip),
                ("grandchild", Status::Skip),
                ("other", Status::Pass)
            ]
        );
        assert_eq!(findings[1].message, "Skipped: root failed");
        assert_eq!(findings[2].message, "Skipped: child was skipped");
    }

    #[tokio::test]
    async fn a_check_usable_for_some_targets_lets_dependents_run() {
        let partial = fake("catalog", &[], |meta, _| async move {
            Ok(vec![
                Finding::fail(
                    meta,
                    NO,
                    Severity::High,
                    "absent",
                    "",
                    Remediation::new("fix"),
                )
                .region("eu-west-1"),
                Finding::pass(meta, OK, "present", "").region("us-east-1"),
            ])
        });
        let findings = run(&[partial, passing("access", &["catalog"])], 1000).await;
        assert_eq!(
            statuses(&findings),
            [
                ("catalog", Status::Fail),
                ("catalog", Status::Pass),
                ("access", Status::Pass)
            ]
        );
    }

    #[tokio::test]
    async fn errors_timeouts_and_panics_become_error_findings() {
        let aws_error = fake("denied", &[], |_, _| async {
            Err(AwsError::new(AwsErrorKind::Denied, &catalog::GET_ROLE, "not authorized").into())
        });
        let slow = fake("slow", &[], |meta, _| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(vec![Finding::pass(meta, OK, "ok", "")])
        });
        let crashing = fake("crash", &[], |_, _| async { panic!("boom") });
        let silent = fake("silent", &[], |_, _| async { Ok(vec![]) });
        let findings = run(
            &[
                aws_error,
                slow,
                crashing,
                silent,
                passing("after-slow", &["slow"]),
            ],
            200,
        )
        .await;
        assert_eq!(
            statuses(&findings),
            [
                ("denied", Status::Error),
                ("slow", Status::Error),
                ("crash", Status::Error),
                ("silent", Status::Error),
                ("after-slow", Status::Skip)
            ]
        );
        assert_eq!(findings[0].evidence["error_kind"], "access_denied");
        assert!(
            findings[0]
                .remediation
                .as_deref()
                .unwrap()
                .contains("iam:GetRole")
        );
        assert!(findings[1].message.contains("did not finish within 0.2 s"));
        assert!(findings[2].message.contains("crashed"));
        assert_eq!(findings[4].message, "Skipped: slow could not run");
        let codes: Vec<String> = findings.iter().map(Finding::code).collect();
        assert_eq!(
            codes,
            [
                "denied/read-failed",
                "slow/timed-out",
                "crash/internal-error",
                "silent/internal-error",
                "after-slow/dependency-unmet"
            ]
        );
    }

    #[tokio::test]
    async fn after_waits_for_a_check_whatever_its_outcome() {
        #[derive(Debug)]
        struct Note;
        let writer = fake("writer", &[], |meta, cx| {
            cx.provide(Note);
            async move {
                Ok(vec![Finding::fail(
                    meta,
                    NO,
                    Severity::High,
                    "no",
                    "",
                    Remediation::new("fix"),
                )])
            }
        });
        let reader = fake("reader", &[], |meta, cx| {
            let saw = cx.fact::<Note>().is_some();
            async move { Ok(vec![Finding::pass(meta, OK, "ok", format!("{saw}"))]) }
        });
        let findings = run(&[reader, writer], 1000).await;
        assert_eq!(
            statuses(&findings),
            [("reader", Status::Pass), ("writer", Status::Fail)]
        );
        assert_eq!(findings[0].message, "true");
    }

    #[tokio::test]
    async fn unknown_dependencies_and_cycles_end_in_skips_not_hangs() {
        let findings = run(
            &[
                passing("orphan", &["missing"]),
                passing("a", &["b"]),
                passing("b", &["a"]),
            ],
            1000,
        )
        .await;
        assert_eq!(
            statuses(&findings),
            [
                ("orphan", Status::Skip),
                ("a", Status::Skip),
                ("b", Status::Skip)
            ]
        );
        assert!(findings[0].message.contains("not part of this run"));
        assert!(findings[1].message.contains("cycle"));
    }

    /// "slow" provides a verdict after a while; "waiter" starts at once and reads it when
    /// "slow" finishes, and does not wait for a skipped check or one not in the run.
    struct Slow(&'static CheckMeta);
    struct Waiter(&'static CheckMeta);

    #[derive(Debug, PartialEq)]
    struct Verdict(u8);

    #[async_trait]
    impl Check for Slow {
        fn meta(&self) -> &'static CheckMeta {
            self.0
        }
        async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cx.provide(Verdict(7));
            Ok(vec![Finding::pass(self.0, OK, "ok", "")])
        }
    }

    #[async_trait]
    impl Check for Waiter {
        fn meta(&self) -> &'static CheckMeta {
            self.0
        }
        async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
            let verdict = cx.fact_after::<Verdict>("slow").await;
            let skipped = cx.fact_after::<String>("blocked").await;
            let absent = cx.fact_after::<u32>("absent").await;
            let seen =
                verdict.as_deref() == Some(&Verdict(7)) && skipped.is_none() && absent.is_none();
            Ok(vec![if seen {
                Finding::pass(self.0, OK, "ok", "")
            } else {
                Finding::fail(self.0, NO, Severity::High, "no", "", Remediation::new(""))
            }])
        }
    }

    #[tokio::test]
    async fn a_check_may_wait_for_another_check_s_fact_without_depending_on_it() {
        let meta = |id| passing(id, &[]).meta();
        let blocked = fake("blocked", &["missing"], |meta, _| async move {
            Ok(vec![Finding::pass(meta, OK, "ok", "")])
        });
        let checks: Vec<Arc<dyn Check>> = vec![
            Arc::new(Waiter(meta("waiter"))),
            Arc::new(Slow(meta("slow"))),
            blocked,
        ];
        let findings = run(&checks, 2000).await;
        assert_eq!(
            statuses(&findings),
            [
                ("waiter", Status::Pass),
                ("slow", Status::Pass),
                ("blocked", Status::Skip)
            ]
        );
    }

    /// Passes when it judged without the hung check's verdict, within its own time.
    struct Patient(&'static CheckMeta);

    #[async_trait]
    impl Check for Patient {
        fn meta(&self) -> &'static CheckMeta {
            self.0
        }
        async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
            let verdict = cx.fact_after::<Verdict>("hung").await;
            Ok(vec![if verdict.is_none() {
                Finding::pass(self.0, OK, "judged without it", "")
            } else {
                Finding::fail(self.0, NO, Severity::High, "no", "", Remediation::new(""))
            }])
        }
    }

    /// A check that waits for a hung check's fact still reports its own verdict: the wait
    /// ends short of its time limit, and it judges without the fact.
    #[tokio::test]
    async fn waiting_for_a_hung_check_does_not_time_out_the_waiter() {
        let hung = fake("hung", &[], |_, _| async move {
            std::future::pending::<()>().await;
            Ok(Vec::new())
        });
        let waiter: Arc<dyn Check> = Arc::new(Patient(passing("waiter", &[]).meta()));
        let findings = run(&[hung, waiter], 300).await;
        assert_eq!(
            statuses(&findings),
            [("hung", Status::Error), ("waiter", Status::Pass)]
        );
        assert_eq!(findings[0].kind, Kind::TIMED_OUT);
    }
}
