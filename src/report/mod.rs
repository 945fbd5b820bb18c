//! Renderers: a finished run in, text out. A renderer knows findings, never checks.

mod json;
mod table;

use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::engine::{Finding, Summary};

pub use json::render_json;
pub use table::render_table;

/// The result of one command run, as every renderer sees it.
#[derive(Clone, Debug)]
pub struct Report {
    pub command: &'static str,
    pub started_at: SystemTime,
    pub duration: Duration,
    pub target: Target,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Target {
    pub account: Option<String>,
    pub principal: Option<String>,
    pub regions: Vec<String>,
    pub models: Vec<String>,
}

/// RFC 3339 in UTC to the second, as the report contract writes times.
pub fn format_time(time: SystemTime) -> String {
    let seconds = DateTime::from(time).secs();
    DateTime::from_secs(seconds)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
pub(crate) mod sample {
    //! One fixed run that every renderer is snapshot-tested against.
    use super::*;
    use crate::engine::{CheckMeta, CommandKind, Remediation, Severity};

    const META: CheckMeta = CheckMeta {
        id: "identity.caller",
        title: "Caller identity",
        description: "",
        commands: &[CommandKind::Doctor],
        depends_on: &[],
        after: &[],
        severity: Severity::Critical,
    };
    const IAM: CheckMeta = CheckMeta {
        id: "iam.invoke",
        title: "Invoke permission",
        description: "",
        commands: &[CommandKind::Doctor],
        depends_on: &["identity.caller"],
        after: &[],
        severity: Severity::High,
    };

    pub fn report() -> Report {
        Report {
            command: "doctor",
            started_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_341_600),
            duration: Duration::from_millis(412),
            target: Target {
                account: Some("123456789012".into()),
                principal: Some("arn:aws:iam::123456789012:role/dev".into()),
                regions: vec!["us-east-1".into()],
                models: vec!["us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()],
            },
            findings: vec![
                Finding::pass(&META, "Caller identity established", "Calling as arn:aws:iam::123456789012:role/dev")
                    .resource("arn:aws:iam::123456789012:role/dev")
                    .evidence("account", "123456789012"),
                Finding::fail(
                    &IAM,
                    Severity::High,
                    "Principal may not invoke the inference profile's destination models",
                    "bedrock:InvokeModel is implicitly denied on arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                    Remediation::new("bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes"),
                )
                .region("us-west-2")
                .resource("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0")
                .evidence("decision", "implicitDeny")
                .evidence("source", "simulate"),
                Finding::warn(
                    &META,
                    Severity::Medium,
                    "AWS credentials expire soon",
                    "Credentials from IAM Identity Center (SSO) expire in 9 min",
                    Remediation::new("aws sso login --profile dev"),
                ),
                Finding::error(&IAM, "iam:SimulatePrincipalPolicy was throttled, also after retries (Throttling: Rate exceeded)"),
                Finding::skip(&IAM, "Skipped: identity.caller failed"),
            ],
        }
    }
}
