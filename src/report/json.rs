//! The JSON report, version 1: a frozen contract (see DESIGN.md). Fields may be added, never
//! renamed or removed; these types exist apart from `Finding` so that internal changes
//! cannot leak into it.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Report, format_time};
use crate::engine::Summary;

pub const SCHEMA: &str = "bedrock-preflight/report/v1";

#[derive(Serialize)]
struct ReportV1<'a> {
    schema: &'static str,
    tool: Tool,
    command: &'a str,
    started_at: String,
    duration_ms: u128,
    target: TargetV1<'a>,
    summary: Summary,
    findings: Vec<FindingV1<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct TargetV1<'a> {
    account: Option<&'a str>,
    principal: Option<&'a str>,
    regions: &'a [String],
    models: &'a [String],
}

#[derive(Serialize)]
struct FindingV1<'a> {
    check: &'a str,
    status: &'a str,
    severity: &'a str,
    title: &'a str,
    message: &'a str,
    region: Option<&'a str>,
    resource: Option<&'a str>,
    remediation: Option<&'a str>,
    evidence: &'a Map<String, Value>,
    controls: &'a [String],
}

pub fn render_json(report: &Report) -> String {
    let document = ReportV1 {
        schema: SCHEMA,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        command: report.command,
        started_at: format_time(report.started_at),
        duration_ms: report.duration.as_millis(),
        target: TargetV1 {
            account: report.target.account.as_deref(),
            principal: report.target.principal.as_deref(),
            regions: &report.target.regions,
            models: &report.target.models,
        },
        summary: report.summary(),
        findings: report
            .findings
            .iter()
            .map(|f| FindingV1 {
                check: f.check,
                status: f.status.as_str(),
                severity: f.severity.as_str(),
                title: &f.title,
                message: &f.message,
                region: f.region.as_deref(),
                resource: f.resource.as_deref(),
                remediation: f.remediation.as_deref(),
                evidence: &f.evidence,
                controls: &f.controls,
            })
            .collect(),
    };
    // Serializing strings, numbers and maps of JSON values cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_v1_contract() {
        insta::assert_snapshot!(render_json(&super::super::sample::report()));
    }
}
