//! SARIF 2.1.0, as GitHub code scanning reads it: one rule per finding code of the checks the
//! run had (the code's explanation as help, its check's controls as tags), one result per
//! finding that needs action (fail and error as `error`, warn as `warning`). Findings are about AWS resources, not files:
//! each result's location is a stable pseudo-path (`aws/ACCOUNT/REGION/check`) with the
//! resource as a logical location, and a fingerprint so a re-run updates the same alert.

use serde_json::{Value, json};

use super::controls;
use super::{Document, Report};
use crate::engine::{CheckMeta, Finding, KindMeta, Severity, Status};

pub fn render(document: &Document) -> Option<String> {
    match document {
        Document::Report(report) => Some(super::escape::json_visible(
            serde_json::to_string_pretty(&sarif(report)).unwrap_or_default() + "\n",
        )),
        _ => None,
    }
}

/// GitHub's `security-severity`: 9+ critical, 7+ high, 4+ medium, else low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn level(status: Status) -> &'static str {
    match status {
        Status::Fail => "error",
        Status::Error | Status::Warn => "warning",
        Status::Pass | Status::Skip | Status::Suppressed => "none",
    }
}

/// A stable identity for the same finding across runs and builds (FNV-1a, 64 bits).
pub(super) fn fingerprint(f: &Finding) -> String {
    let key = format!(
        "{}|{}|{}|{}",
        f.code(),
        f.account.as_deref().unwrap_or(""),
        f.region.as_deref().unwrap_or(""),
        f.resource.as_deref().unwrap_or("")
    );
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn sarif(report: &Report) -> Value {
    // One rule per finding code of the checks that ran: the code is the rule ID (DESIGN).
    let codes: Vec<(&CheckMeta, &KindMeta, String)> = report
        .checks
        .iter()
        .flat_map(|meta| {
            meta.all_kinds()
                .into_iter()
                .map(move |kind| (*meta, kind, meta.code(kind)))
        })
        .collect();
    let rules: Vec<Value> = codes
        .iter()
        .map(|(meta, kind, code)| {
            let tags: Vec<String> = std::iter::once("security".to_string())
                .chain(controls::of_check(meta.id).iter().cloned())
                .collect();
            let explanation = Some(kind.explanation())
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| {
                    format!(
                        "{}. Each result carries the fix for what it found.",
                        meta.description
                    )
                });
            json!({
                "id": code,
                "name": code.replace(['.', '-', '/'], "_"),
                "shortDescription": {"text": format!("{}: {}", meta.title, kind.name)},
                "fullDescription": {"text": meta.description},
                // The code's explanation (`checks explain`): what it means, why, how to fix it.
                "help": {
                    "text": explanation,
                    "markdown": super::markdown::explanation_markdown(&explanation),
                },
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(meta.severity),
                }
            })
        })
        .collect();
    let index = |code: &str| codes.iter().position(|(_, _, c)| c == code);
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.status,
                Status::Fail | Status::Error | Status::Warn | Status::Suppressed
            )
        })
        .map(|f| {
            // An accepted finding keeps its level; the suppression says it is accepted.
            let status = f.suppression.as_ref().map_or(f.status, |s| s.status);
            let mut text = format!("{}: {}", f.title, f.message);
            if let Some(fix) = &f.remediation {
                text.push_str(&format!(" Fix: {fix}"));
            }
            let path = format!(
                "aws/{}/{}/{}",
                f.account.as_deref().unwrap_or("account"),
                f.region.as_deref().unwrap_or("global"),
                f.check
            );
            let mut result = json!({
                "ruleId": f.code(),
                "level": level(status),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": path}},
                    "logicalLocations": [{
                        "name": f.resource.as_deref().unwrap_or(f.check),
                        "kind": "resource",
                    }],
                }],
                "partialFingerprints": {"bedrockPreflight/v1": fingerprint(f)},
                "properties": {
                    "code": f.code(),
                    "status": f.status.as_str(),
                    "severity": f.severity.as_str(),
                    "controls": f.controls,
                    "evidence": f.evidence,
                },
            });
            if let Some(i) = index(&f.code()) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(accepted) = &f.suppression {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": accepted.reason,
                    "properties": {"expires": accepted.expires, "source": accepted.source},
                }]);
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": env!("CARGO_PKG_NAME"),
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "automationDetails": {"id": format!("bedrock-preflight/{}/", report.command)},
        "results": results,
    });
    // SARIF's place for a tool that could not finish: the invocation, not a result.
    if let Some(why) = &report.halted {
        run["invocations"] = json!([{
            "executionSuccessful": false,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": why}}],
        }]);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn each_rule_s_help_is_its_code_s_explanation() {
        let report = sample::report();
        let document = sarif(&report);
        let rules = document["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        for meta in &report.checks {
            for kind in meta.all_kinds() {
                let code = meta.code(kind);
                let rule = rules.iter().find(|r| r["id"] == code).expect(&code);
                let explanation = kind.explanation();
                assert_eq!(rule["help"]["text"], explanation, "{code}");
                assert_eq!(
                    rule["help"]["markdown"],
                    super::super::markdown::explanation_markdown(&explanation),
                    "{code}"
                );
            }
        }
        let read_failed = rules
            .iter()
            .find(|r| r["id"] == "iam.invoke/read-failed")
            .unwrap();
        assert!(
            read_failed["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("`bedrock-preflight policy apply preflight-readonly")
        );
    }
}
