//! The checker engine: the `Check` trait, what a check may read while it runs, and the runner
//! that schedules checks by their dependencies. The engine knows no concrete check, no command
//! and no output format: its input is a `Scope` and whatever facts the command hands in;
//! checks register in `crate::checks`, renderers live in `crate::report`.

mod finding;
mod runner;
mod scope;

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

pub use finding::{Finding, FindingRef, Kind, Remediation, Severity, Status, Summary, Suppression};
pub use runner::{NoProgress, Progress, run_checks};
pub use scope::Scope;

tokio::task_local! {
    /// When the running check's time is up, and the budget it was given (`--timeout`).
    pub(crate) static CHECK_DEADLINE: (Instant, Duration);
}

use crate::aws::{AwsError, AwsReader};

/// The subcommands a check belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    Doctor,
    Audit,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Doctor => "doctor",
            CommandKind::Audit => "audit",
        }
    }
}

/// A check's identity card: its catalog ID (part of the report contract), what it
/// establishes, which commands run it and which checks must finish before it starts.
#[derive(Debug)]
pub struct CheckMeta {
    pub id: &'static str,
    /// Short noun phrase, used as the title of error and skip findings.
    pub title: &'static str,
    /// One sentence for `checks list` and the README.
    pub description: &'static str,
    pub commands: &'static [CommandKind],
    pub depends_on: &'static [&'static str],
    /// Checks to wait for, whatever their outcome, to read what they provided if anything.
    pub after: &'static [&'static str],
    /// What is at stake when the check fails or cannot run.
    pub severity: Severity,
    /// The kinds of finding the check itself produces; with the engine's own
    /// (`Kind::ENGINE`) they make its stable codes, `<id>/<kind>`.
    pub kinds: &'static [KindMeta],
}

/// One kind of finding a check declares, with the explanation of its code.
#[derive(Debug)]
pub struct KindMeta {
    pub name: &'static str,
    /// The lines of the kind's doc comment in `check!`, each with rustdoc's leading space.
    pub doc: &'static [&'static str],
}

impl KindMeta {
    /// The doc comment as text: lines joined, a blank line between paragraphs.
    pub fn explanation(&self) -> String {
        explanation(self.doc)
    }

    /// The explanation's first sentence, for lists of codes.
    pub fn summary(&self) -> String {
        first_sentence(&self.explanation()).to_string()
    }
}

/// Text up to the first `.`, `!` or `?` that ends a sentence: followed by a space or the end,
/// and outside a code span (`` `claude-code.config/region` ``).
fn first_sentence(text: &str) -> &str {
    let mut in_code = false;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '`' => in_code = !in_code,
            '.' | '!' | '?'
                if !in_code && chars.peek().is_none_or(|(_, next)| next.is_whitespace()) =>
            {
                return &text[..at + c.len_utf8()];
            }
            _ => {}
        }
    }
    text
}

/// Doc-comment lines as paragraphs of running text.
pub(crate) fn explanation(lines: &[&str]) -> String {
    let mut text = String::new();
    for line in lines {
        let line = line.strip_prefix(' ').unwrap_or(line).trim_end();
        if line.is_empty() {
            if !text.is_empty() && !text.ends_with("\n\n") {
                text.push_str("\n\n");
            }
        } else {
            if !(text.is_empty() || text.ends_with('\n')) {
                text.push(' ');
            }
            text.push_str(line);
        }
    }
    text.trim_end().to_string()
}

impl CheckMeta {
    /// A kind this check's findings can carry, its own or the engine's.
    pub fn kind(&self, name: &str) -> Option<&'static KindMeta> {
        self.all_kinds().into_iter().find(|k| k.name == name)
    }

    /// Every kind a finding of this check can carry: its own, then the engine's.
    pub fn all_kinds(&self) -> Vec<&'static KindMeta> {
        self.kinds
            .iter()
            .chain(finding::ENGINE_KINDS.iter())
            .collect()
    }

    /// The stable code of one of its kinds: `<id>/<kind>`.
    pub fn code(&self, kind: &KindMeta) -> String {
        format!("{}/{}", self.id, kind.name)
    }

    /// Every stable code a finding of this check can carry.
    pub fn codes(&self) -> Vec<String> {
        self.all_kinds().into_iter().map(|k| self.code(k)).collect()
    }
}

/// The reason a check could not reach a verdict; the runner turns it into an `error` finding.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("internal error: {0}")]
    Internal(String),
}

#[async_trait]
pub trait Check: Send + Sync {
    fn meta(&self) -> &'static CheckMeta;

    /// Looks, and says what it saw. Facts that dependent checks need are handed over with
    /// `cx.provide`; a check never calls another check's code.
    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError>;

    /// Sends, as the run starts, the reads `run` will make whose parameters need no fact
    /// from another check (a region's catalog, its quotas): their answers wait in the run's
    /// call cache, so `run` does not wait for its dependencies before asking. It sends only
    /// what `run` sends when its dependencies pass, and leaves errors to `run`.
    async fn prefetch(&self, _cx: &CheckContext) {}
}

/// What every check may read: the read side of AWS, the scope of this run, the inputs its
/// command handed in, and the facts that the checks it depends on provided.
pub struct CheckContext {
    pub aws: Arc<AwsReader>,
    pub scope: Scope,
    facts: Facts,
    /// The checks of this run and which have finished, for `fact_after`.
    progress: Mutex<RunProgress>,
    finished: tokio::sync::Notify,
}

#[derive(Default)]
struct RunProgress {
    checks: HashSet<&'static str>,
    finished: HashSet<&'static str>,
}

impl CheckContext {
    pub fn new(aws: Arc<AwsReader>, scope: Scope) -> Self {
        CheckContext {
            aws,
            scope,
            facts: Facts::default(),
            progress: Mutex::new(RunProgress::default()),
            finished: tokio::sync::Notify::new(),
        }
    }

    /// The runner says which checks this run has.
    pub(crate) fn begin(&self, checks: impl IntoIterator<Item = &'static str>) {
        self.progress().checks = checks.into_iter().collect();
    }

    /// The runner says a check is done (run, failed, skipped or timed out).
    pub(crate) fn finish(&self, check: &'static str) {
        self.progress().finished.insert(check);
        self.finished.notify_waiters();
    }

    /// The fact `check` provides, once it has finished; `None` when it finished without
    /// providing it or is not part of this run. For a check that may start its own calls
    /// before another check's verdict and only needs that verdict to judge the answers.
    ///
    /// The wait ends short of the waiting check's own time limit (`CHECK_DEADLINE`, set by
    /// the runner): a check that hangs must not turn the one waiting on it into a timeout
    /// too, when that one's own calls have answered. It then judges without the fact, as
    /// when `check` established nothing.
    pub async fn fact_after<T: Any + Send + Sync>(&self, check: &str) -> Option<Arc<T>> {
        let give_up = CHECK_DEADLINE.try_with(|&(deadline, budget)| {
            // Room to judge and report after giving up: a tenth of the budget, at most 1 s.
            deadline - (budget / 10).min(Duration::from_secs(1))
        });
        loop {
            // Registered before looking, so a finish between the look and the wait is seen.
            let finished = self.finished.notified();
            {
                let progress = self.progress();
                let done = progress.finished.contains(check) || !progress.checks.contains(check);
                if done {
                    return self.fact();
                }
            }
            match give_up {
                Ok(give_up) => {
                    tokio::select! {
                        () = finished => {}
                        () = tokio::time::sleep_until(give_up) => {
                            tracing::info!("gave up waiting for {check}: its verdict is not in by this check's time limit");
                            return self.fact();
                        }
                    }
                }
                Err(_) => finished.await,
            }
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, RunProgress> {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A command's own setting for its checks (doctor's `--expect-tpm`, say), read like a fact.
    pub fn with_input<T: Any + Send + Sync>(self, input: T) -> Self {
        self.facts.insert(input);
        self
    }

    pub fn provide<T: Any + Send + Sync>(&self, fact: T) {
        self.facts.insert(fact);
    }

    pub fn fact<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.facts.get()
    }

    /// A fact from a declared dependency. The runner only starts a check once its
    /// dependencies passed, so a missing fact is a bug in the check, reported as an error.
    pub fn require<T: Any + Send + Sync>(&self) -> Result<Arc<T>, CheckError> {
        self.fact().ok_or_else(|| {
            CheckError::Internal(format!(
                "no {} was provided by the checks this one depends on",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// Facts by type: each kind of fact is provided by exactly one check.
#[derive(Default)]
struct Facts(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Facts {
    fn insert<T: Any + Send + Sync>(&self, fact: T) {
        self.lock().insert(TypeId::of::<T>(), Arc::new(fact));
    }

    fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let fact = self.lock().get(&TypeId::of::<T>())?.clone();
        fact.downcast().ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Arc<dyn Any + Send + Sync>>> {
        // A check that panicked while holding the lock cannot have left a half-written map:
        // insert is a single call.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_comment_reads_as_paragraphs_and_its_first_sentence_skips_code_spans() {
        let kind = KindMeta {
            name: "off",
            doc: &[
                " Logging is off in `us-east-1.` and",
                " nothing is kept. Turn it on.",
                "",
                " A second paragraph.",
            ],
        };
        assert_eq!(
            kind.explanation(),
            "Logging is off in `us-east-1.` and nothing is kept. Turn it on.\n\nA second paragraph."
        );
        assert_eq!(
            kind.summary(),
            "Logging is off in `us-east-1.` and nothing is kept."
        );
        let one = KindMeta {
            name: "x",
            doc: &[" No full stop"],
        };
        assert_eq!(one.summary(), "No full stop");
        let version = KindMeta {
            name: "x",
            doc: &[" Needs version 2.1.9 or later. Update."],
        };
        assert_eq!(version.summary(), "Needs version 2.1.9 or later.");
    }
}
