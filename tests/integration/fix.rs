//! The doctor's fixes, end to end against moto: a principal that may not simulate and has no
//! invoke access fails `iam.invoke` by local evaluation of its real policies; the fix printed
//! in the finding, run as printed, makes the next `doctor` pass it. `doctor --fix` does the
//! same in one command: the plan, nothing sent without `--yes`, then the checks again.

use serde_json::Value;

use crate::support::Emulator;
use crate::support::front::{Fault, Rule};
use crate::{Run, findings};

fn doctor(emulator: &Emulator, extra: &[&str]) -> (Run, Value) {
    let run = Run::of(
        emulator
            .cmd()
            .args([
                "doctor",
                "--model",
                "sonnet",
                "--no-probe",
                "--output",
                "json",
            ])
            .args(extra),
    );
    let report = run.report();
    (run, report)
}

fn iam_statuses(report: &Value) -> Vec<String> {
    findings(report, "iam.invoke")
        .iter()
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

/// A developer with no invoke access who may not simulate their own policies.
fn denied_developer() -> Emulator {
    let emulator = Emulator::start();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator
}

#[test]
fn the_printed_fix_run_as_printed_makes_iam_invoke_pass() {
    let emulator = denied_developer();
    let (run, report) = doctor(&emulator, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let denied = findings(&report, "iam.invoke");
    assert!(!denied.is_empty() && denied.iter().all(|f| f["status"] == "fail"));
    assert!(denied.iter().all(|f| f["evidence"]["source"] == "local"));
    let fix = denied[0]["remediation"].as_str().unwrap();
    let command = fix.lines().next().unwrap();
    assert_eq!(
        command,
        "bedrock-preflight policy apply claude-invoke --attach-to user/dev --model sonnet --region us-east-1 --yes"
    );
    // Every denial offers the same command: one run fixes them all.
    assert!(
        denied
            .iter()
            .all(|f| f["remediation"].as_str().unwrap().starts_with(command))
    );

    let words: Vec<&str> = command.split(' ').collect();
    assert_eq!(words[0], "bedrock-preflight");
    let applied = Run::of(emulator.cmd().args(&words[1..]));
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(applied.stdout.contains("Applied."), "{}", applied.stdout);

    let (run, report) = doctor(&emulator, &[]);
    assert_eq!(iam_statuses(&report), ["pass"], "{report:#}");
    assert_eq!(
        findings(&report, "iam.invoke")[0]["evidence"]["source"],
        "local",
        "still judged from the real policies"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn doctor_fix_plans_then_applies_and_checks_again() {
    let emulator = denied_developer();
    for confirmation in [&["--fix", "--dry-run"][..], &["--fix"]] {
        let (run, report) = doctor(&emulator, confirmation);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let steps = report["plan"]["steps"].as_array().unwrap();
        let operations: Vec<&str> = steps
            .iter()
            .map(|s| s["operation"].as_str().unwrap())
            .collect();
        assert_eq!(operations, ["iam:CreatePolicy", "iam:AttachUserPolicy"]);
        assert!(steps.iter().all(|s| s["result"] == "not-sent"));
        assert!(iam_statuses(&report).iter().all(|s| s == "fail"));
    }
    let writes = |emulator: &Emulator| {
        emulator
            .front
            .requests()
            .iter()
            .filter(|r| r.mutating)
            .count()
    };
    assert_eq!(writes(&emulator), 0, "no write without --yes");

    let (run, report) = doctor(&emulator, &["--fix", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(report["plan"]["confirmation"], "yes");
    assert!(
        report["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["result"] == "done")
    );
    assert_eq!(
        iam_statuses(&report),
        ["pass"],
        "checked again after the fix"
    );
    assert_eq!(writes(&emulator), 2);

    let (run, report) = doctor(&emulator, &["--fix", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(report["plan"]["steps"].as_array().unwrap().is_empty());
    assert_eq!(writes(&emulator), 2, "nothing left to fix, nothing sent");

    let refused = Run::of(emulator.cmd().args(["doctor", "--yes"]));
    assert_eq!(refused.code, 2, "--yes needs --fix");
}
