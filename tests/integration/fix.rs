//! The doctor's fixes, end to end against moto: a principal that may not simulate and has no
//! invoke access fails `iam.invoke` by local evaluation of its real policies; the fix printed
//! in the finding, run as printed, makes the next `doctor` pass it. `doctor --fix` does the
//! same in one command: the plan, nothing sent without `--yes`, then the checks again.

use base64::Engine;
use serde_json::Value;

use crate::support::front::{Fault, Rule};
use crate::support::{Emulator, fixture, simulation_denying};
use crate::{Run, findings, writes};

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
    for (confirmation, closing) in [
        (
            &["--fix", "--dry-run"][..],
            "Dry run: nothing was sent (2 steps planned above).\n",
        ),
        (
            &["--fix"],
            "Nothing was sent: run the same command with --yes to apply the 2 steps above.\n",
        ),
    ] {
        let (run, report) = doctor(&emulator, confirmation);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.ends_with(closing), "{}", run.stderr);
        let steps = report["plan"]["steps"].as_array().unwrap();
        let operations: Vec<&str> = steps
            .iter()
            .map(|s| s["operation"].as_str().unwrap())
            .collect();
        assert_eq!(operations, ["iam:CreatePolicy", "iam:AttachUserPolicy"]);
        assert!(steps.iter().all(|s| s["result"] == "not-sent"));
        assert!(iam_statuses(&report).iter().all(|s| s == "fail"));
    }
    assert_eq!(writes(&emulator).len(), 0, "no write without --yes");

    let (run, report) = doctor(&emulator, &["--fix", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert!(
        run.stderr
            .ends_with("Applied 2 steps, then checked again: all clear.\n"),
        "{}",
        run.stderr
    );
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
    assert_eq!(writes(&emulator).len(), 2);

    let (run, report) = doctor(&emulator, &["--fix", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.ends_with("Nothing to fix.\n"), "{}", run.stderr);
    assert!(report["plan"]["steps"].as_array().unwrap().is_empty());
    assert_eq!(
        writes(&emulator).len(),
        2,
        "nothing left to fix, nothing sent"
    );

    let refused = Run::of(emulator.cmd().args(["doctor", "--yes"]));
    assert_eq!(refused.code, 2, "--yes needs --fix");
}

/// An account that never submitted the use case form and has no agreement for the model.
fn new_account() -> Emulator {
    let emulator = Emulator::start();
    emulator.on(
        "bedrock:GetUseCaseForModelAccess",
        Rule::Fixture(
            fixture("bedrock/GetUseCaseForModelAccess.not-submitted.json")
                .with_status(404)
                .with_header("x-amzn-errortype", "ResourceNotFoundException"),
        ),
    );
    emulator.on(
        "bedrock:GetFoundationModelAvailability",
        Rule::Fixture(fixture(
            "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
        )),
    );
    emulator
}

#[test]
fn setup_model_access_as_printed_submits_the_form_as_written_and_accepts_the_agreement() {
    let emulator = new_account();
    let (run, report) = doctor(&emulator, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let access = &findings(&report, "models.access")[0];
    assert_eq!(access["code"], "models.access/use-case-form-missing");
    let fix = access["remediation"].as_str().unwrap();
    let start = fix.find("bedrock-preflight setup model-access").unwrap();
    let end = start + fix[start..].find("--yes").unwrap() + "--yes".len();
    let command = &fix[start..end];
    assert_eq!(
        command,
        "bedrock-preflight setup model-access --model anthropic.claude-sonnet-4-6 --region us-east-1 \
         --use-case-form use-case-form.json --yes"
    );

    // The admin writes the form; the tool sends it as written.
    let dir = tempfile::tempdir().unwrap();
    let form = serde_json::json!({
        "companyName": "Example Corp",
        "companyWebsite": "https://example.com",
        "intendedUsers": "0",
        "industryOption": "Software",
        "otherIndustryOption": "",
        "useCases": "Coding assistant for our engineers"
    });
    std::fs::write(dir.path().join("use-case-form.json"), form.to_string()).unwrap();
    let words: Vec<&str> = command.split(' ').collect();
    let applied = Run::of(emulator.cmd().current_dir(dir.path()).args(&words[1..]));
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    let writes: Vec<_> = emulator
        .front
        .requests()
        .into_iter()
        .filter(|r| r.mutating)
        .collect();
    let operations: Vec<String> = writes.iter().map(|r| r.key()).collect();
    assert_eq!(
        operations,
        [
            "bedrock:PutUseCaseForModelAccess",
            "bedrock:CreateFoundationModelAgreement"
        ]
    );
    let sent: Value = serde_json::from_str(writes[0].body.as_deref().unwrap()).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(sent["formData"].as_str().unwrap())
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), form);
    let agreement: Value = serde_json::from_str(writes[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(agreement["modelId"], "anthropic.claude-sonnet-4-6");
    assert_eq!(
        agreement["offerToken"],
        "AQIDAHgEXAMPLEofferTOKENfor-anthropic.claude-sonnet-4-6"
    );

    // Bedrock now answers as it does once both are in place.
    emulator.on(
        "bedrock:GetUseCaseForModelAccess",
        Rule::Fixture(fixture("bedrock/GetUseCaseForModelAccess.json")),
    );
    emulator.on(
        "bedrock:GetFoundationModelAvailability",
        Rule::Fixture(fixture("bedrock/GetFoundationModelAvailability.json")),
    );
    let (_, report) = doctor(&emulator, &[]);
    assert_eq!(findings(&report, "models.access")[0]["status"], "pass");
    let again = Run::of(emulator.cmd().current_dir(dir.path()).args(&words[1..]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("Nothing to change"),
        "{}",
        again.stdout
    );
    assert_eq!(
        emulator
            .front
            .requests()
            .iter()
            .filter(|r| r.mutating)
            .count(),
        2,
        "converged: nothing sent again"
    );
}

#[test]
fn setup_model_access_without_the_form_names_it_and_invents_nothing() {
    let emulator = new_account();
    let run = Run::of(emulator.cmd().args([
        "setup",
        "model-access",
        "--model",
        "sonnet",
        "--yes",
        "--output",
        "json",
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--use-case-form"), "{}", run.stderr);
    assert_eq!(
        writes(&emulator),
        ["bedrock:CreateFoundationModelAgreement"],
        "the agreement goes ahead; no form is made up"
    );

    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("empty.json", "{}"),
        ("list.json", "[1]"),
        ("broken.json", "{"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let run = Run::of(emulator.cmd().current_dir(dir.path()).args([
            "setup",
            "model-access",
            "--use-case-form",
            name,
            "--dry-run",
        ]));
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{}", run.stderr);
    }
}

#[test]
fn doctor_fix_accepts_an_agreement_the_caller_could_not_create() {
    let emulator = Emulator::start();
    emulator.on(
        "bedrock:GetFoundationModelAvailability",
        Rule::Fixture(fixture(
            "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
        )),
    );
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        simulation_denying(
            "ActionNames.member.1=aws-marketplace:Subscribe",
            "iam/SimulatePrincipalPolicy.implicit-deny.xml",
        ),
    );
    let (run, report) = doctor(&emulator, &["--fix", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        findings(&report, "models.access")[0]["code"],
        "models.access/agreement-not-accepted"
    );
    let steps = report["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(
        steps[0]["operation"],
        "bedrock:CreateFoundationModelAgreement"
    );
    assert_eq!(steps[0]["result"], "not-sent");

    // Bedrock shows the new agreement one read late, as a change does before it has reached
    // every host: doctor waits and checks again rather than asking for the same fix.
    let agreed = Rule::Fixture(fixture("bedrock/GetFoundationModelAvailability.json"));
    let stale = Rule::Then(
        Box::new(Rule::Fixture(fixture(
            "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
        ))),
        vec![("bedrock:GetFoundationModelAvailability".into(), agreed)],
    );
    let create = emulator
        .front
        .rule("bedrock:CreateFoundationModelAgreement")
        .unwrap();
    emulator.on(
        "bedrock:CreateFoundationModelAgreement",
        Rule::Then(
            Box::new(create),
            vec![("bedrock:GetFoundationModelAvailability".into(), stale)],
        ),
    );
    let (run, report) = doctor(&emulator, &["--fix", "--yes"]);
    assert!(
        run.stderr
            .contains("The change is made; AWS does not show it yet: checking again in 2 s"),
        "{}",
        run.stderr
    );
    assert_eq!(
        findings(&report, "models.access")[0]["status"],
        "pass",
        "checked again once the agreement showed"
    );
    assert_eq!(report["plan"]["steps"][0]["result"], "done");
    assert_eq!(
        writes(&emulator),
        ["bedrock:CreateFoundationModelAgreement"]
    );
}

#[test]
fn a_model_bedrock_lists_no_offer_for_is_named_and_nothing_is_guessed() {
    let emulator = new_account();
    emulator.on(
        "bedrock:GetUseCaseForModelAccess",
        Rule::Fixture(fixture("bedrock/GetUseCaseForModelAccess.json")),
    );
    emulator.on(
        "bedrock:ListFoundationModelAgreementOffers",
        Rule::Fixture(fixture(
            "bedrock/ListFoundationModelAgreementOffers.none.json",
        )),
    );
    let run = Run::of(emulator.cmd().args([
        "setup",
        "model-access",
        "--model",
        "sonnet",
        "--yes",
        "--output",
        "json",
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no agreement offer for anthropic.claude-sonnet-4-6"),
        "{}",
        run.stderr
    );
    assert!(writes(&emulator).is_empty());
}

#[test]
fn emit_after_a_fix_prints_what_the_checks_prove_now() {
    let emulator = denied_developer();
    let run = Run::of(emulator.cmd().args([
        "doctor",
        "--model",
        "sonnet",
        "--no-probe",
        "--fix",
        "--yes",
        "--emit",
        "claude-code-env",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("export ANTHROPIC_MODEL=us.anthropic.claude-sonnet-4-6"),
        "{}",
        run.stdout
    );
}

/// A team that plans 5,000,000 tokens per minute on Sonnet, whose cross-region quota is
/// 3,000,000: the finding carries the increase, `--fix` plans it as `setup quotas` would, and
/// once requested neither the fix nor the printed command asks again.
#[test]
fn doctor_fix_with_the_expected_load_requests_the_quota_increase_once() {
    const INCREASE: &str = "servicequotas:RequestServiceQuotaIncrease";
    let emulator = Emulator::start();
    let load = ["--expect-tpm", "5M"];
    let (run, report) = doctor(&emulator, &load);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let quota = &findings(&report, "quotas.inference")[0];
    assert_eq!(quota["code"], "quotas.inference/below-expected-load");
    let command = quota["remediation"].as_str().unwrap();
    assert_eq!(
        command,
        "bedrock-preflight setup quotas --model us.anthropic.claude-sonnet-4-6 --region us-east-1 --tpm 5000000 --yes"
    );
    assert_eq!(
        quota["evidence"]["quota_increase"],
        serde_json::json!({"model": "us.anthropic.claude-sonnet-4-6", "region": "us-east-1", "tpm": 5_000_000})
    );

    let (run, report) = doctor(&emulator, &[&load[..], &["--fix", "--dry-run"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .ends_with("Dry run: nothing was sent (1 step planned above).\n"),
        "{}",
        run.stderr
    );
    let steps = report["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["operation"], INCREASE);
    assert_eq!(steps[0]["resource"], "bedrock/L-00000007 in us-east-1");
    assert_eq!(
        steps[0]["summary"],
        "Request 5000000 (now 3000000) for Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6"
    );
    assert!(writes(&emulator).is_empty());

    let increase = emulator.front.rule(INCREASE).unwrap();
    emulator.on(
        INCREASE,
        Rule::Then(
            Box::new(increase),
            vec![(
                "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota".into(),
                Rule::Fixture(fixture(
                    "servicequotas/ListRequestedServiceQuotaChangeHistoryByQuota.pending.json",
                )),
            )],
        ),
    );
    let (run, report) = doctor(&emulator, &[&load[..], &["--fix", "--yes"]].concat());
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(report["plan"]["steps"][0]["result"], "done");
    assert!(
        run.stderr.contains(
            "Applied 1 step, then checked again: all clear. The quota increases are requested"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&emulator), [INCREASE]);
    let sent = emulator
        .front
        .requests()
        .into_iter()
        .find(|r| r.mutating)
        .unwrap();
    let body: Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (body["QuotaCode"].as_str(), body["DesiredValue"].as_f64()),
        (Some("L-00000007"), Some(5_000_000.0))
    );

    // Pending now: the printed command and the fix both find it and send nothing.
    let words: Vec<&str> = command.split(' ').collect();
    let again = Run::of(emulator.cmd().args(&words[1..]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("Nothing to change: bedrock/L-00000007 in us-east-1"),
        "{}",
        again.stdout
    );
    let (run, report) = doctor(&emulator, &[&load[..], &["--fix", "--yes"]].concat());
    assert!(run.stderr.ends_with("Nothing to fix.\n"), "{}", run.stderr);
    assert!(
        report["plan"]["unchanged"][0]
            .as_str()
            .unwrap()
            .contains("already asks for 5000000"),
        "{report:#}"
    );
    assert_eq!(writes(&emulator), [INCREASE], "requested once in all");
}
