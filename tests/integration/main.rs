//! Integration tests: the real binary against moto and the front server, one test binary
//! with a module per area (each extra binary would link the whole AWS SDK again).

#[path = "../support/mod.rs"]
mod support;

mod action;
mod apply;
mod audit;
mod audit_role;
mod bedrock;
mod claude_code;
mod cli;
mod config;
mod container;
mod doctor;
mod explain;
mod fault_matrix;
mod faults;
mod fix;
mod harness;
mod hostile;
mod iac;
mod iam;
mod iam_corpus;
mod injection;
mod integrate;
mod logs;
mod mantle;
mod mcp;
mod org;
mod plan;
mod plugin;
mod readme;
mod secrets;
mod send;
mod setup;
mod setup_quotas;
mod silent;
mod templates;
mod usage;

use assert_cmd::Command;
use serde_json::Value;

/// What one run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(cmd: &mut Command) -> Run {
        let output = cmd.output().expect("run bedrock-preflight");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// The JSON report, checked against the v1 contract's shape.
    pub fn report(&self) -> Value {
        let report: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        });
        assert_v1_shape(&report);
        report
    }
}

/// A mutating command's run: its JSON report (`Null` when it printed none, as when it
/// refused its input).
pub fn plan_run(cmd: &mut Command) -> (Run, Value) {
    let run = Run::of(cmd.args(["--output", "json"]));
    let report = if run.stdout.is_empty() {
        Value::Null
    } else {
        run.report()
    };
    (run, report)
}

/// (operation, result) of each step of a report's plan.
pub fn plan_steps(report: &Value) -> Vec<(String, String)> {
    report["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["operation"].as_str().unwrap().to_string(),
                s["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The writes that reached the front server, as `service:Operation`.
pub fn writes(emulator: &support::Emulator) -> Vec<String> {
    emulator
        .front
        .requests()
        .iter()
        .filter(|r| r.mutating)
        .map(|r| r.key())
        .collect()
}

/// The one finding of `check` (for checks that report one).
pub fn finding<'a>(report: &'a Value, check: &str) -> &'a Value {
    let found: Vec<&Value> = findings(report, check);
    assert_eq!(found.len(), 1, "expected one {check} finding in {report:#}");
    found[0]
}

pub fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

fn assert_v1_shape(report: &Value) {
    assert_eq!(report["schema"], "bedrock-preflight/report/v1");
    assert_eq!(report["tool"]["name"], "bedrock-preflight");
    assert!(report["tool"]["version"].is_string());
    assert!(report["command"].is_string());
    assert!(report["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(report["duration_ms"].is_u64());
    for key in ["account", "principal"] {
        assert!(report["target"][key].is_string() || report["target"][key].is_null());
    }
    assert!(report["target"]["regions"].is_array() && report["target"]["models"].is_array());
    for key in ["accounts", "principals", "regions", "models"] {
        assert!(report["scope"][key].is_array(), "scope.{key}");
    }
    assert_eq!(report["scope"]["regions"], report["target"]["regions"]);
    let findings = report["findings"].as_array().unwrap();
    let mut counted = serde_json::Map::new();
    for status in ["pass", "warn", "fail", "error", "skip"] {
        let n = findings.iter().filter(|f| f["status"] == status).count();
        counted.insert(status.into(), n.into());
    }
    // Added in v1: present only when the configuration file accepted a finding.
    let suppressed = findings
        .iter()
        .filter(|f| f["status"] == "suppressed")
        .count();
    if suppressed > 0 {
        counted.insert("suppressed".into(), suppressed.into());
    }
    assert_eq!(report["summary"], Value::Object(counted));
    for f in findings {
        for key in ["check", "code", "status", "severity", "title", "message"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        let code = f["code"].as_str().unwrap();
        assert!(
            code.strip_prefix(f["check"].as_str().unwrap())
                .and_then(|kind| kind.strip_prefix('/'))
                .is_some_and(|kind| !kind.is_empty()),
            "code {code} is not <check>/<kind>"
        );
        for key in ["region", "resource", "remediation"] {
            assert!(f[key].is_string() || f[key].is_null(), "{key} in {f}");
        }
        assert!(f["evidence"].is_object() && f["controls"].is_array());
        if f["status"] == "fail" || f["status"] == "warn" {
            assert!(
                f["remediation"].as_str().is_some_and(|r| !r.is_empty()),
                "a {} without a fix: {f}",
                f["status"]
            );
        }
    }
}
