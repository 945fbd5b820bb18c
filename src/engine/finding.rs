//! What a check says: one finding per thing it looked at. A finding is built through
//! constructors that make the status, severity, title and (for fail and warn) the remediation
//! impossible to forget; renderers turn findings into text, checks never format output.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{CheckMeta, KindMeta};

/// Ordered from best to worst, as a run is summed up: a skip is worse than a pass, an error
/// (nothing known) worse than a warning, a failure worst. `Suppressed` is a warning, failure
/// or error the configuration file accepts: it ranks just above a pass and never fails a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Error,
    Skip,
    Suppressed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::Suppressed => "suppressed",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Status::Pass => 0,
            Status::Suppressed => 1,
            Status::Skip => 2,
            Status::Warn => 3,
            Status::Error => 4,
            Status::Fail => 5,
        }
    }

    /// Whether a check that produced this status leaves its dependents something to build on.
    pub fn satisfies_dependents(self) -> bool {
        matches!(self, Status::Pass | Status::Warn)
    }
}

impl Ord for Status {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Status {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The kind of a finding within its check: with the check's ID, its stable code
/// (`iam.invoke/destination-denied`), which SARIF rule IDs, JUnit case names and suppressions
/// use. Checks declare theirs with `check!`; the engine adds its own four.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kind(pub(super) &'static str);

impl Kind {
    pub const fn new(kind: &'static str) -> Self {
        Kind(kind)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// A check it depends on established nothing.
    pub const DEPENDENCY_UNMET: Kind = Kind("dependency-unmet");
    /// The check's own AWS read failed (denied, throttled, unavailable, unreadable).
    pub const READ_FAILED: Kind = Kind("read-failed");
    pub const TIMED_OUT: Kind = Kind("timed-out");
    /// A bug: the check crashed, reported nothing, or lacked a fact it was promised.
    pub const INTERNAL: Kind = Kind("internal-error");
    pub const ENGINE: [Kind; 4] = [
        Kind::DEPENDENCY_UNMET,
        Kind::READ_FAILED,
        Kind::TIMED_OUT,
        Kind::INTERNAL,
    ];
}

/// A finding as the report shows it (its code, region and resource): how a fact that a
/// command acts on (`doctor --fix`) names the findings it explains, without reading them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRef {
    code: String,
    region: Option<String>,
    resource: Option<String>,
}

impl FindingRef {
    pub fn names(&self, finding: &Finding) -> bool {
        *self == finding.reference()
    }
}

/// The explanations of the engine's own kinds, which every check's codes share.
pub(crate) static ENGINE_KINDS: [KindMeta; 4] = [
    KindMeta {
        name: Kind::DEPENDENCY_UNMET.0,
        doc: &[
            " A check this one depends on established nothing (it failed, errored or was",
            " skipped), so this one did not run: its verdict is unknown, not a pass. The finding",
            " names the check it waited for; fix what that check reports and run again.",
        ],
    },
    KindMeta {
        name: Kind::READ_FAILED.0,
        doc: &[
            " One of the check's own AWS reads failed after retries: access denied, throttled,",
            " a 5xx, an endpoint that could not be reached or an answer the tool could not read.",
            " The check reached no verdict, so nothing it covers is proven. The finding names",
            " the call and AWS's error code; for access denied, grant the read-only policy",
            " (`bedrock-preflight policy apply preflight-readonly --attach-to role/NAME --yes`);",
            " otherwise run again.",
        ],
    },
    KindMeta {
        name: Kind::TIMED_OUT.0,
        doc: &[
            " The check did not finish within the run's time limit (`--timeout` bounds each AWS",
            " call; a check gets a budget of its own). It reached no verdict. Run again, or give",
            " a larger `--timeout` when the network or AWS is slow.",
        ],
    },
    KindMeta {
        name: Kind::INTERNAL.0,
        doc: &[
            " A bug in bedrock-preflight: the check crashed, reported nothing, or lacked a fact",
            " it was promised. Nothing it covers is proven. Please report it with the finding's",
            " message and the output of the run with `-vv`.",
        ],
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A fix a person can run or paste: a command, a policy snippet or a console path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remediation(String);

impl Remediation {
    pub fn new(text: impl Into<String>) -> Self {
        Remediation(text.into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub check: &'static str,
    pub kind: Kind,
    pub status: Status,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    /// The account the finding is about; filled by the command for its caller's account.
    pub account: Option<String>,
    pub region: Option<String>,
    pub resource: Option<String>,
    pub remediation: Option<String>,
    pub evidence: Map<String, Value>,
    pub controls: Vec<String>,
    /// Set with `Status::Suppressed`: the accepting entry of the configuration file (boxed:
    /// findings are moved around by value, and nearly all have none).
    pub suppression: Option<Box<Suppression>>,
}

/// Why a finding is reported `suppressed`: an `[[ignore]]` entry of the configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The status the finding had before it was accepted.
    pub status: Status,
    pub reason: String,
    /// The entry's last day is the day before this one (`YYYY-MM-DD`).
    pub expires: Option<String>,
    /// `FILE:LINE` of the entry.
    pub source: String,
}

impl Finding {
    /// The finding with every credential blanked in each of its texts, before any renderer
    /// escapes or wraps them and a secret's shape is no longer whole to find.
    pub fn redacted(&self) -> Finding {
        let text = |t: &String| crate::secrets::redact(t);
        let some = |t: &Option<String>| t.as_ref().map(text);
        Finding {
            title: text(&self.title),
            message: text(&self.message),
            account: some(&self.account),
            region: some(&self.region),
            resource: some(&self.resource),
            remediation: some(&self.remediation),
            evidence: self
                .evidence
                .iter()
                .map(|(key, value)| (key.clone(), redact_value(value)))
                .collect(),
            suppression: self.suppression.as_ref().map(|s| {
                Box::new(Suppression {
                    reason: text(&s.reason),
                    ..(**s).clone()
                })
            }),
            ..self.clone()
        }
    }

    fn new(
        meta: &CheckMeta,
        kind: Kind,
        status: Status,
        severity: Severity,
        title: String,
    ) -> Self {
        debug_assert!(
            meta.kinds.iter().any(|k| k.name == kind.0) || Kind::ENGINE.contains(&kind),
            "{}: kind {} is not declared",
            meta.id,
            kind.0
        );
        Finding {
            check: meta.id,
            kind,
            status,
            severity,
            title,
            message: String::new(),
            account: None,
            region: None,
            resource: None,
            remediation: None,
            evidence: Map::new(),
            controls: Vec::new(),
            suppression: None,
        }
    }

    /// The stable code: `<check>/<kind>`.
    pub fn code(&self) -> String {
        format!("{}/{}", self.check, self.kind.0)
    }

    /// What the checks found: the status, or for an accepted finding the one it had.
    pub fn verdict(&self) -> Status {
        match &self.suppression {
            Some(accepted) if self.status == Status::Suppressed => accepted.status,
            _ => self.status,
        }
    }

    /// Which finding this is, for a fact that names it.
    pub fn reference(&self) -> FindingRef {
        FindingRef {
            code: self.code(),
            region: self.region.clone(),
            resource: self.resource.clone(),
        }
    }

    pub fn pass(
        meta: &CheckMeta,
        kind: Kind,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(meta, kind, Status::Pass, Severity::Info, title.into()).message(message)
    }

    pub fn warn(
        meta: &CheckMeta,
        kind: Kind,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
        fix: Remediation,
    ) -> Self {
        Self::new(meta, kind, Status::Warn, severity, title.into())
            .message(message)
            .remediation(fix)
    }

    pub fn fail(
        meta: &CheckMeta,
        kind: Kind,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
        fix: Remediation,
    ) -> Self {
        Self::new(meta, kind, Status::Fail, severity, title.into())
            .message(message)
            .remediation(fix)
    }

    /// The check could not establish anything: its own read failed, timed out or was refused,
    /// or AWS answered something it does not know. The severity is the check's own, since
    /// that is what stays unverified.
    pub fn error(meta: &CheckMeta, kind: Kind, message: impl Into<String>) -> Self {
        Self::new(
            meta,
            kind,
            Status::Error,
            meta.severity,
            format!("Could not check: {}", meta.title),
        )
        .message(message)
    }

    /// The check's own AWS read failed: an error finding with the operation, the kind of
    /// failure and AWS's code as evidence.
    pub fn aws_error(meta: &CheckMeta, error: &crate::aws::AwsError) -> Self {
        let mut finding = Self::error(meta, Kind::READ_FAILED, error.to_string())
            .evidence("operation", error.operation().to_string())
            .evidence("error_kind", error.kind().as_str());
        if let Some(code) = error.code() {
            finding = finding.evidence("error_code", code);
        }
        if let Some(hint) = error.hint() {
            finding = finding.remediation(Remediation::new(hint));
        }
        finding
    }

    pub fn skip(meta: &CheckMeta, kind: Kind, message: impl Into<String>) -> Self {
        Self::new(
            meta,
            kind,
            Status::Skip,
            Severity::Info,
            meta.title.to_string(),
        )
        .message(message)
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// A fix that helps even where the status does not demand one (an error, a pass with a
    /// caveat).
    pub fn remediation(mut self, fix: Remediation) -> Self {
        self.remediation = Some(fix.0);
        self
    }

    pub fn evidence(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }

    pub fn controls(mut self, controls: &[&str]) -> Self {
        self.controls = controls.iter().map(|c| c.to_string()).collect();
        self
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    /// Added in v1: findings the configuration file accepts; left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            match finding.status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Error => summary.error += 1,
                Status::Skip => summary.skip += 1,
                Status::Suppressed => summary.suppressed += 1,
            }
        }
        summary
    }
}

fn redact_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(crate::secrets::redact(s)),
        Value::Array(items) => Value::Array(items.iter().map(redact_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), redact_value(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_finding_blanks_a_registered_secret_in_every_text() {
        let secret = "finding/SECRET+redaction/0000000000";
        crate::secrets::register(secret);
        let check = crate::checks::all().remove(0);
        let finding = Finding::fail(
            check.meta(),
            Kind::INTERNAL,
            Severity::High,
            format!("title {secret}"),
            format!("message {secret}"),
            Remediation::new(format!("fix {secret}")),
        )
        .resource(secret)
        .evidence(
            "nested",
            serde_json::json!({"list": [secret, 1], "plain": "kept"}),
        );
        let redacted = format!("{:?}", finding.redacted());
        assert!(!redacted.contains("SECRET+redaction"), "{redacted}");
        assert_eq!(redacted.matches("[redacted]").count(), 5, "{redacted}");
        assert!(redacted.contains("String(\"kept\")"), "{redacted}");
    }

    #[test]
    fn statuses_order_from_best_to_worst_as_a_run_is_summed_up() {
        let mut statuses = [
            Status::Fail,
            Status::Warn,
            Status::Pass,
            Status::Error,
            Status::Skip,
        ];
        statuses.sort();
        assert_eq!(
            statuses,
            [
                Status::Pass,
                Status::Skip,
                Status::Warn,
                Status::Error,
                Status::Fail
            ]
        );
    }
}
