//! The Bedrock readiness checks in-process, against the default account and swapped-in
//! scenarios: each failure mode names the right check, status and message.

use serde_json::Value;

use crate::support::front::{Fault, Rule};
use crate::support::sandbox::Sandbox;
use crate::support::{Emulator, fixture, rest_error, simulation_denying};
use crate::{Run, finding, findings};

fn doctor(sandbox: &Sandbox, args: &[&str]) -> (Run, Value) {
    sandbox.doctor(args)
}

fn statuses(report: &Value, check: &str) -> Vec<String> {
    findings(report, check)
        .iter()
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_default_targets_are_the_newest_sonnet_and_haiku_and_all_is_well() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(&emulator, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(
        report["target"]["models"],
        serde_json::json!([
            "us.anthropic.claude-sonnet-4-6",
            "us.anthropic.claude-haiku-4-5-20251001-v1:0"
        ])
    );
    for check in [
        "models.lifecycle",
        "models.access",
        "profiles.resolve",
        "quotas.inference",
        "runtime.probe",
    ] {
        assert_eq!(statuses(&report, check), ["pass", "pass"], "{check}");
    }
    let route = &findings(&report, "profiles.resolve")[0];
    assert_eq!(route["evidence"]["route"], "geographic-profile");
    assert_eq!(
        route["evidence"]["destination_regions"],
        serde_json::json!(["us-east-1", "us-east-2", "us-west-2"])
    );
    assert_eq!(
        route["resource"],
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
    );
    let quota = &findings(&report, "quotas.inference")[0];
    assert!(
        quota["message"]
            .as_str()
            .unwrap()
            .contains("3000000 tokens per minute (raised from the default 2000000)"),
        "{quota}"
    );
}

#[test]
fn catalogs_and_lists_are_fetched_once_per_region_while_models_and_regions_run_together() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &[
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--model",
            "sonnet",
            "--model",
            "haiku",
            "--model",
            "opus",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(statuses(&report, "runtime.probe").len(), 6);
    let sent = emulator.front.requests();
    for region in ["us-east-1", "eu-west-1"] {
        let count = |op: &str| {
            sent.iter()
                .filter(|r| r.key() == op && r.region.as_deref() == Some(region))
                .count()
        };
        assert_eq!(count("bedrock:ListFoundationModels"), 1, "{region}");
        assert_eq!(
            count("bedrock:ListInferenceProfiles"),
            3,
            "{region}: two pages once, and the application profiles once"
        );
        assert_eq!(
            count("servicequotas:ListServiceQuotas"),
            2,
            "{region}: two pages, once"
        );
        assert_eq!(
            count("servicequotas:ListAWSDefaultServiceQuotas"),
            2,
            "{region}"
        );
        assert_eq!(
            count("bedrock:GetFoundationModelAvailability"),
            3,
            "{region}: once per model"
        );
    }
    let eu: Vec<&str> = findings(&report, "profiles.resolve")
        .iter()
        .filter(|f| f["region"] == "eu-west-1")
        .map(|f| f["evidence"]["model_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        eu,
        [
            "eu.anthropic.claude-sonnet-4-6",
            "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
            "eu.anthropic.claude-opus-4-6-v1"
        ]
    );
}

#[test]
fn a_base_id_of_a_profile_only_model_fails_with_the_profile_to_use() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(&emulator, &["--model", "anthropic.claude-sonnet-4-6"]);
    assert_eq!(run.code, 1);
    let route = finding(&report, "profiles.resolve");
    assert_eq!(route["status"], "fail");
    assert_eq!(route["title"], "Model needs an inference profile");
    assert!(
        route["message"]
            .as_str()
            .unwrap()
            .contains("on-demand throughput isn't supported")
    );
    assert!(
        route["remediation"]
            .as_str()
            .unwrap()
            .contains("--model us.anthropic.claude-sonnet-4-6")
    );
    assert_eq!(
        route["evidence"]["suggested_profile_id"],
        "us.anthropic.claude-sonnet-4-6"
    );
    // Nothing is left to probe or count quotas for.
    assert_eq!(statuses(&report, "runtime.probe"), ["skip"]);
    assert_eq!(emulator.front.count("bedrock-runtime:InvokeModel"), 0);
}

#[test]
fn a_profile_of_another_geography_fails_with_the_local_one() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &[
            "--region",
            "us-east-1",
            "--model",
            "eu.anthropic.claude-sonnet-4-6",
        ],
    );
    assert_eq!(run.code, 1);
    let route = finding(&report, "profiles.resolve");
    assert_eq!(route["status"], "fail");
    assert_eq!(
        route["title"],
        "Inference profile not offered from this region"
    );
    assert_eq!(
        route["evidence"]["suggested_profile_id"],
        "us.anthropic.claude-sonnet-4-6"
    );
    assert_eq!(finding(&report, "models.lifecycle")["status"], "pass");
}

#[test]
fn a_model_missing_from_the_region_fails_and_typos_get_a_suggestion() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock:ListFoundationModels@ap-south-2",
        Rule::Fixture(fixture("bedrock/ListFoundationModels.haiku-only.json")),
    );
    let (run, report) = doctor(
        &emulator,
        &[
            "--region",
            "ap-south-2",
            "--model",
            "opus",
            "--model",
            "us.anthropic.claude-opus-4-6-v1",
            "--model",
            "haiku",
        ],
    );
    assert_eq!(run.code, 1);
    let lifecycle = findings(&report, "models.lifecycle");
    assert_eq!(
        (
            lifecycle[0]["status"].as_str(),
            lifecycle[0]["title"].as_str()
        ),
        (Some("fail"), Some("No such model in this region"))
    );
    assert_eq!(
        (
            lifecycle[1]["status"].as_str(),
            lifecycle[1]["title"].as_str()
        ),
        (Some("fail"), Some("Model not offered in this region"))
    );
    assert_eq!(lifecycle[2]["status"], "pass");
    // The model that is there is still checked all the way.
    assert_eq!(statuses(&report, "models.access"), ["pass"]);

    let (_, typo) = doctor(&emulator, &["--model", "anthropic.claude-sonet-4-6"]);
    let absent = finding(&typo, "models.lifecycle");
    assert!(
        absent["message"]
            .as_str()
            .unwrap()
            .contains("did you mean anthropic.claude-sonnet-4-6?"),
        "{absent}"
    );
    assert!(
        absent["remediation"]
            .as_str()
            .unwrap()
            .starts_with("--model anthropic.claude-sonnet-4-6")
    );
}

#[test]
fn a_legacy_model_warns_with_its_dates_and_successor() {
    let emulator = Sandbox::new();
    // Its profile is on the second page of ListInferenceProfiles.
    let (run, report) = doctor(
        &emulator,
        &["--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let lifecycle = finding(&report, "models.lifecycle");
    assert_eq!(lifecycle["status"], "warn");
    assert!(
        lifecycle["message"]
            .as_str()
            .unwrap()
            .contains("called it 42 times in the last 30 days")
    );
    assert_eq!(
        lifecycle["evidence"]["end_of_life_time"],
        "2027-04-08T00:00:00Z"
    );
    assert!(
        lifecycle["message"]
            .as_str()
            .unwrap()
            .contains("end of life 2027-04-08T00:00:00Z")
    );
    assert!(
        lifecycle["remediation"]
            .as_str()
            .unwrap()
            .contains("--model anthropic.claude-sonnet-4-6")
    );
    assert_eq!(finding(&report, "profiles.resolve")["status"], "pass");
    let (strict, _) = doctor(
        &emulator,
        &[
            "--strict",
            "--model",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ],
    );
    assert_eq!(strict.code, 1);
}

/// Each gate AWS keeps closed is named by its own code, with the state AWS answered as
/// evidence and its own fix.
#[test]
fn each_missing_access_has_its_own_code_message_and_fix() {
    for (variant, status, code, gate, fix) in [
        // The caller may subscribe (the default account allows it): its first call creates it.
        (
            "agreement-not-available",
            "warn",
            "models.access/agreement-on-first-call",
            ("agreement", "NOT_AVAILABLE"),
            "Call the model once",
        ),
        (
            "agreement-pending",
            "warn",
            "models.access/agreement-pending",
            ("agreement", "PENDING"),
            "Wait a few minutes",
        ),
        (
            "not-authorized",
            "fail",
            "models.access/not-authorized",
            ("authorization", "NOT_AUTHORIZED"),
            "check that no SCP denies aws-marketplace:Subscribe",
        ),
        (
            "not-entitled",
            "fail",
            "models.access/not-entitled",
            ("entitlement", "NOT_AVAILABLE"),
            "payment method",
        ),
        (
            "region-not-available",
            "fail",
            "models.access/region-unavailable",
            ("region_availability", "NOT_AVAILABLE"),
            "Call it through a cross-region inference profile",
        ),
    ] {
        let emulator = Sandbox::new();
        emulator.on(
            "bedrock:GetFoundationModelAvailability",
            Rule::Fixture(fixture(&format!(
                "bedrock/GetFoundationModelAvailability.{variant}.json"
            ))),
        );
        let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
        let access = finding(&report, "models.access");
        assert_eq!(
            (access["code"].as_str(), access["status"].as_str()),
            (Some(code), Some(status)),
            "{variant}: {access:#}"
        );
        assert_eq!(access["evidence"][gate.0], gate.1, "{variant}: {access:#}");
        if status == "fail" {
            assert_eq!(access["title"], "No access to the model");
        }
        assert!(
            access["remediation"].as_str().unwrap().contains(fix),
            "{variant}: {access}"
        );
        assert_eq!(run.code, if status == "fail" { 1 } else { 0 }, "{variant}");
    }
}

#[test]
fn a_quota_applied_at_zero_fails_with_the_increase_command() {
    let emulator = Sandbox::new();
    emulator.on(
        "servicequotas:ListServiceQuotas",
        Rule::Fixture(fixture("servicequotas/ListServiceQuotas.zero.json")),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let quota = finding(&report, "quotas.inference");
    assert_eq!(quota["status"], "fail");
    assert_eq!(quota["title"], "Quota applied at 0");
    let fix = quota["remediation"].as_str().unwrap();
    assert!(fix.starts_with("aws service-quotas request-service-quota-increase --service-code bedrock --quota-code L-"), "{fix}");
    assert!(fix.contains("--desired-value 2000000"), "{fix}");
}

#[test]
fn a_quota_below_the_expected_load_warns() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(&emulator, &["--expect-tpm", "2500000"]);
    assert_eq!(run.code, 0);
    // Sonnet's was raised to 3,000,000; Haiku's is the 2,000,000 default.
    assert_eq!(statuses(&report, "quotas.inference"), ["pass", "warn"]);
    let low = &findings(&report, "quotas.inference")[1];
    let fix = low["remediation"].as_str().unwrap();
    assert!(
        fix.starts_with("bedrock-preflight setup quotas --model us.anthropic.claude-haiku-4-5")
            && fix.ends_with(" --region us-east-1 --tpm 2500000 --yes"),
        "{fix}"
    );
    assert_eq!(low["evidence"]["expect_tpm"], 2500000);
    assert_eq!(low["evidence"]["quota_increase"]["tpm"], 2500000);
}

fn probe_answered(status: u16, code: &str, message: &str) -> (Run, Value) {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock-runtime:InvokeModel",
        Rule::Fixture(rest_error(status, code, message)),
    );
    doctor(&emulator, &["--model", "sonnet"])
}

const DENIED: &str = "User: arn:aws:iam::123456789012:user/team/dev is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-6";

#[test]
fn the_probe_reads_access_denied() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock-runtime:InvokeModel",
        Rule::Fixture(rest_error(403, "AccessDeniedException", DENIED)),
    );
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.implicit-deny.xml")),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(
        (probe["status"].as_str(), probe["title"].as_str()),
        (Some("fail"), Some("Invoke denied"))
    );
    let fix = probe["remediation"].as_str().unwrap();
    assert!(
        fix.contains("inference-profile/us.anthropic.claude-sonnet-4-6")
            && fix.contains(
                "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6"
            ),
        "{fix}"
    );
}

#[test]
fn a_probe_denied_that_iam_allows_points_outside_iam() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock-runtime:InvokeModel",
        Rule::Fixture(rest_error(403, "AccessDeniedException", DENIED)),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    assert_eq!(finding(&report, "iam.invoke")["status"], "pass");
    let probe = finding(&report, "runtime.probe");
    assert_eq!(
        (probe["status"].as_str(), probe["title"].as_str()),
        (Some("fail"), Some("Invoke denied outside IAM policies"))
    );
    let message = probe["message"].as_str().unwrap();
    assert!(
        message.contains("service control policy, resource control policy or session policy"),
        "{message}"
    );
}

#[test]
fn the_probe_reads_an_invalid_model_identifier() {
    let (run, report) = probe_answered(
        400,
        "ValidationException",
        "The provided model identifier is invalid.",
    );
    assert_eq!(run.code, 1);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(
        (probe["status"].as_str(), probe["title"].as_str()),
        (Some("fail"), Some("Bedrock does not know this model ID"))
    );
    assert_eq!(probe["code"], "runtime.probe/invalid-model-id");
    assert!(
        probe["remediation"]
            .as_str()
            .unwrap()
            .contains("aws bedrock list-inference-profiles --region us-east-1"),
        "{probe}"
    );
}

#[test]
fn the_probe_reads_throttling_with_too_many_tokens_per_day() {
    let (run, report) = probe_answered(
        429,
        "ThrottlingException",
        "Too many tokens per day, please wait before trying again.",
    );
    assert_eq!(run.code, 1);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(
        (probe["status"].as_str(), probe["title"].as_str()),
        (Some("fail"), Some("Daily token quota exhausted or zero"))
    );
}

#[test]
fn the_probe_never_passes_an_answer_it_does_not_know() {
    let (run, report) = probe_answered(
        400,
        "BrandNewException",
        "Something this tool has never seen.",
    );
    assert_eq!(run.code, 3);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(probe["status"], "error");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .contains("does not recognize")
    );
    assert_eq!(
        probe["evidence"]["answer"],
        "BrandNewException: Something this tool has never seen."
    );
}

#[test]
fn list_foundation_models_denied_is_an_error_and_the_rest_skips() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock:ListFoundationModels",
        Rule::Fault(Fault::AccessDenied),
    );
    let (run, report) = doctor(&emulator, &[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    let lifecycle = finding(&report, "models.lifecycle");
    assert_eq!(lifecycle["status"], "error");
    assert_eq!(lifecycle["evidence"]["error_kind"], "access_denied");
    for check in [
        "models.access",
        "profiles.resolve",
        "quotas.inference",
        "runtime.probe",
    ] {
        assert_eq!(statuses(&report, check), ["skip"], "{check}");
    }
    assert_eq!(finding(&report, "identity.caller")["status"], "pass");
}

#[test]
fn no_probe_sends_nothing_to_bedrock_runtime() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(&emulator, &["--no-probe"]);
    assert_eq!(run.code, 0);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(probe["message"], "Skipped: --no-probe");
    assert_eq!(
        (probe["code"].as_str(), probe["status"].as_str()),
        (Some("runtime.probe/disabled"), Some("skip"))
    );
    assert!(
        emulator
            .front
            .requests()
            .iter()
            .all(|r| r.service != "bedrock-runtime")
    );
}

#[test]
fn an_on_demand_model_is_probed_by_its_own_id_with_both_calls() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &["--model", "anthropic.claude-3-5-haiku-20241022-v1:0"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(
        finding(&report, "profiles.resolve")["evidence"]["route"],
        "on-demand"
    );
    let probe = finding(&report, "runtime.probe");
    assert_eq!(probe["code"], "runtime.probe/authorized");
    assert_eq!(
        probe["evidence"]["answers"],
        serde_json::json!({
            "bedrock-runtime:InvokeModel": "authorized",
            "bedrock-runtime:InvokeModelWithResponseStream": "authorized"
        })
    );
    assert!(
        finding(&report, "quotas.inference")["message"]
            .as_str()
            .unwrap()
            .starts_with("On-demand quotas")
    );
    for op in [
        "bedrock-runtime:InvokeModel",
        "bedrock-runtime:InvokeModelWithResponseStream",
    ] {
        let sent = emulator.front.requests();
        let calls: Vec<_> = sent.iter().filter(|r| r.key() == op).collect();
        assert_eq!(calls.len(), 1, "{op} once");
    }
}

#[test]
fn streaming_denied_while_invoke_is_allowed_fails_naming_the_stream() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock-runtime:InvokeModelWithResponseStream",
        Rule::Fixture(rest_error(
            403,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/team/dev is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6 because no identity-based policy allows the bedrock:InvokeModelWithResponseStream action",
        )),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(probe["code"], "runtime.probe/denied-by-identity-policy");
    assert!(
        probe["message"].as_str().unwrap().starts_with(
            "InvokeModelWithResponseStream (what Claude Code calls); InvokeModel was authorized"
        ),
        "{probe}"
    );
    let fix = probe["remediation"].as_str().unwrap();
    assert!(
        fix.starts_with(
            "bedrock-preflight policy apply claude-invoke --attach-to user/dev --model sonnet --region us-east-1 --yes\n\
             (or: Allow bedrock:InvokeModelWithResponseStream on arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
        ),
        "{fix}"
    );
}

#[test]
fn the_use_case_form_missing_fails_with_the_form_not_the_retired_page() {
    let emulator = Sandbox::new();
    let answer = rest_error(
        404,
        "ResourceNotFoundException",
        "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes.",
    );
    emulator.on("bedrock-runtime:InvokeModel", Rule::Fixture(answer.clone()));
    emulator.on(
        "bedrock-runtime:InvokeModelWithResponseStream",
        Rule::Fixture(answer),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(probe["code"], "runtime.probe/use-case-form-missing");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .starts_with("Both InvokeModel and InvokeModelWithResponseStream")
    );
    let fix = probe["remediation"].as_str().unwrap();
    assert!(fix.contains("setup model-access"), "{fix}");
    assert!(!fix.contains("Model access page"), "{fix}");
}

#[test]
fn a_global_profile_reaches_the_region_less_model_arn() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &["--model", "global.anthropic.claude-opus-4-6-v1"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let route = finding(&report, "profiles.resolve");
    assert_eq!(route["evidence"]["route"], "global-profile");
    let arns = route["evidence"]["model_arns"].as_array().unwrap();
    assert!(
        arns.iter()
            .any(|a| a == "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1"),
        "{arns:?}"
    );
    assert!(
        finding(&report, "quotas.inference")["message"]
            .as_str()
            .unwrap()
            .starts_with("Global cross-region quotas")
    );
}

#[test]
fn an_application_profile_arn_is_described_and_called_by_its_arn() {
    let emulator = Sandbox::new();
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    let (run, report) = doctor(&emulator, &["--model", arn]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(
        finding(&report, "models.lifecycle")["evidence"]["model_id"],
        "anthropic.claude-sonnet-4-6"
    );
    let route = finding(&report, "profiles.resolve");
    assert_eq!(
        (
            route["evidence"]["route"].as_str(),
            route["evidence"]["model_id"].as_str()
        ),
        (Some("application-profile"), Some(arn))
    );
    assert_eq!(finding(&report, "runtime.probe")["status"], "pass");
    assert_eq!(report["target"]["models"], serde_json::json!([arn]));
}

#[test]
fn a_japanese_region_uses_the_jp_profile() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &["--region", "ap-northeast-1", "--model", "sonnet"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(
        finding(&report, "profiles.resolve")["evidence"]["model_id"],
        "jp.anthropic.claude-sonnet-4-6"
    );
}

#[test]
fn a_malformed_model_flag_is_a_usage_error() {
    let emulator = Emulator::front_only();
    let run = Run::of(emulator.cmd().args(["doctor", "--model", "gpt4"]));
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn a_daily_token_quota_at_zero_on_a_new_account_fails_with_the_support_case() {
    let emulator = Sandbox::new();
    let mut page = fixture("servicequotas/ListServiceQuotas.json");
    let mut body: Value = serde_json::from_slice(&page.body).unwrap();
    for quota in body["Quotas"].as_array_mut().unwrap() {
        if quota["QuotaName"]
            == "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 (doubled for cross-region calls)"
        {
            quota["Value"] = 0.into();
        }
    }
    page.body = body.to_string().into();
    emulator.on(
        "servicequotas:ListServiceQuotas",
        Rule::Pages(vec![
            page,
            fixture("servicequotas/ListServiceQuotas.page-2.json"),
        ]),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let quota = finding(&report, "quotas.inference");
    assert_eq!(
        quota["code"],
        "quotas.inference/applied-zero-not-adjustable"
    );
    let fix = quota["remediation"].as_str().unwrap();
    assert!(
        fix.contains("AWS Support case") && fix.contains("L-0000000B"),
        "{fix}"
    );
    // With the daily quota in place, the pass says it too.
    let (_, fine) = doctor(&Sandbox::new(), &["--model", "sonnet"]);
    assert!(
        finding(&fine, "quotas.inference")["message"]
            .as_str()
            .unwrap()
            .contains("720000000 tokens per day (doubled for cross-region calls)")
    );
}

#[test]
fn the_use_case_form_never_submitted_blocks_access() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock:GetUseCaseForModelAccess",
        Rule::Fixture(
            fixture("bedrock/GetUseCaseForModelAccess.not-submitted.json")
                .with_status(404)
                .with_header("x-amzn-errortype", "ResourceNotFoundException"),
        ),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let access = finding(&report, "models.access");
    assert_eq!(access["code"], "models.access/use-case-form-missing");
    assert_eq!(access["evidence"]["use_case_form"], "not-submitted");
    assert!(
        access["remediation"]
            .as_str()
            .unwrap()
            .contains("--use-case-form use-case-form.json --yes")
    );
}

#[test]
fn a_missing_agreement_fails_only_when_the_caller_may_not_subscribe() {
    let not_available = || {
        Rule::Fixture(fixture(
            "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
        ))
    };
    // May subscribe (the default simulation allows everything): the first call creates it.
    let emulator = Sandbox::new();
    emulator.on("bedrock:GetFoundationModelAvailability", not_available());
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let access = finding(&report, "models.access");
    assert_eq!(access["code"], "models.access/agreement-on-first-call");
    assert_eq!(access["evidence"]["may_subscribe"], true);
    // Asked as Bedrock calls it: through bedrock.amazonaws.com, on any resource.
    assert!(
        emulator
            .front
            .requests()
            .iter()
            .any(|r| r.key() == "iam:SimulatePrincipalPolicy")
    );

    // May not: calls fail on the Marketplace actions.
    let emulator = Sandbox::new();
    emulator.on("bedrock:GetFoundationModelAvailability", not_available());
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        simulation_denying(
            "ActionNames.member.1=aws-marketplace:Subscribe",
            "iam/SimulatePrincipalPolicy.implicit-deny.xml",
        ),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let access = finding(&report, "models.access");
    assert_eq!(access["code"], "models.access/agreement-not-accepted");
    assert_eq!(access["evidence"]["may_subscribe"], false);
    assert!(
        access["remediation"]
            .as_str()
            .unwrap()
            .contains("\"aws:CalledViaLast\": \"bedrock.amazonaws.com\"")
    );
}

#[test]
fn a_1m_target_is_called_without_the_suffix_and_judged_by_its_own_quotas() {
    let emulator = Sandbox::new();
    let (run, report) = doctor(
        &emulator,
        &["--model", "us.anthropic.claude-sonnet-4-6[1m]"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        finding(&report, "profiles.resolve")["evidence"]["model_id"],
        "us.anthropic.claude-sonnet-4-6"
    );
    let quota = finding(&report, "quotas.inference");
    assert_eq!(quota["evidence"]["context_window"], "1m");
    assert!(
        quota["message"]
            .as_str()
            .unwrap()
            .starts_with("Cross-region quotas for Anthropic Claude Sonnet 4.6 (1M Context Length)"),
        "{quota}"
    );
    let names: Vec<&str> = quota["evidence"]["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.contains("1M Context Length")),
        "{names:?}"
    );
}

#[test]
fn a_legacy_model_this_account_has_not_used_in_30_days_fails() {
    let emulator = Sandbox::new();
    emulator.on(
        "monitoring:GetMetricData",
        Rule::Fixture(fixture("cloudwatch/GetMetricData.none.json")),
    );
    let (run, report) = doctor(
        &emulator,
        &["--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let lifecycle = finding(&report, "models.lifecycle");
    assert_eq!(
        lifecycle["code"],
        "models.lifecycle/legacy-not-recently-used"
    );
    assert!(
        lifecycle["remediation"]
            .as_str()
            .unwrap()
            .contains("--model anthropic.claude-sonnet-4-6")
    );
    // One read of the metric, asking for the model's own ID and every profile prefix.
    assert_eq!(emulator.front.count("monitoring:GetMetricData"), 1);
}

#[test]
fn a_legacy_models_recent_use_that_cannot_be_read_keeps_the_warning_and_says_why() {
    let emulator = Sandbox::new();
    // The legacy model's recent use is denied; quotas.usage's read (the one asking for
    // throttles) goes through.
    emulator.on(
        "monitoring:GetMetricData",
        Rule::Match(
            vec![("InvocationThrottles".into(), Rule::Forward)],
            Box::new(Rule::Fault(Fault::AccessDenied)),
        ),
    );
    let (run, report) = doctor(
        &emulator,
        &["--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let lifecycle = finding(&report, "models.lifecycle");
    assert_eq!(lifecycle["code"], "models.lifecycle/legacy");
    assert!(
        lifecycle["message"]
            .as_str()
            .unwrap()
            .contains("could not be read (monitoring:GetMetricData was denied"),
        "{lifecycle}"
    );
    assert!(
        lifecycle["remediation"]
            .as_str()
            .unwrap()
            .contains("cloudwatch:GetMetricData")
    );
}

/// What the probe must make of one answer of Bedrock Runtime to InvokeModel, while
/// InvokeModelWithResponseStream is authorized: the finding's code, status and a piece of its fix.
struct ProbeCase<'a> {
    status: u16,
    error: &'a str,
    message: &'a str,
    code: &'a str,
    verdict: &'a str,
    fix: &'a str,
}

/// Runs doctor on `model` with InvokeModel answered by each case's error, and checks the
/// finding: its code, status and fix, AWS's answer as evidence, and the call it is about.
fn probe_reads(model: &str, cases: &[ProbeCase]) {
    for case in cases {
        let emulator = Sandbox::new();
        emulator.on(
            "bedrock-runtime:InvokeModel",
            Rule::Fixture(rest_error(case.status, case.error, case.message)),
        );
        let (run, report) = doctor(&emulator, &["--model", model]);
        let probe = finding(&report, "runtime.probe");
        assert_eq!(
            (probe["code"].as_str(), probe["status"].as_str()),
            (Some(case.code), Some(case.verdict)),
            "{}: {probe:#}",
            case.message
        );
        assert_eq!(
            run.code,
            if case.verdict == "warn" { 0 } else { 1 },
            "{}",
            case.code
        );
        let fix = probe["remediation"].as_str().unwrap();
        assert!(fix.contains(case.fix), "{}: {fix}", case.code);
        assert_eq!(
            probe["evidence"]["answer"],
            format!("{}: {}", case.error, case.message)
        );
        let kind = case.code.strip_prefix("runtime.probe/").unwrap();
        assert_eq!(
            probe["evidence"]["answers"],
            serde_json::json!({
                "bedrock-runtime:InvokeModel": kind,
                "bedrock-runtime:InvokeModelWithResponseStream": "authorized"
            })
        );
        assert!(
            probe["message"].as_str().unwrap().starts_with(
                "InvokeModel (what SDKs call); InvokeModelWithResponseStream was authorized: "
            ),
            "{probe}"
        );
    }
}

#[test]
fn the_probe_names_each_access_gate_bedrock_refuses_with() {
    probe_reads(
        "sonnet",
        &[
            ProbeCase {
                status: 400,
                error: "ValidationException",
                message: "Operation not allowed",
                code: "runtime.probe/agreement-not-accepted",
                verdict: "fail",
                fix: "bedrock-preflight setup model-access --model anthropic.claude-sonnet-4-6 --region us-east-1 --yes",
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 2 minutes.",
                code: "runtime.probe/marketplace-denied",
                verdict: "fail",
                fix: r#"{"StringEquals": {"aws:CalledViaLast": "bedrock.amazonaws.com"}}"#,
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: "Model access is denied due to INVALID_PAYMENT_INSTRUMENT: A valid payment instrument must be provided.. Your AWS Marketplace subscription for this model cannot be completed at this time.",
                code: "runtime.probe/invalid-payment-instrument",
                verdict: "fail",
                fix: "Add a valid payment method",
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: "Your account is currently being verified",
                code: "runtime.probe/account-being-verified",
                verdict: "fail",
                fix: "within 2 hours",
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: "You don't have access to the model with the specified model ID.",
                code: "runtime.probe/no-model-access",
                verdict: "fail",
                fix: "--use-case-form use-case-form.json --yes",
            },
        ],
    );
}

#[test]
fn the_probe_reads_models_bedrock_no_longer_serves_here() {
    probe_reads(
        "sonnet",
        &[
            ProbeCase {
                status: 404,
                error: "ResourceNotFoundException",
                message: "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock",
                code: "runtime.probe/legacy-not-recently-used",
                verdict: "fail",
                fix: "Move to an ACTIVE model",
            },
            ProbeCase {
                status: 404,
                error: "ResourceNotFoundException",
                message: "This model version has reached the end of its life.",
                code: "runtime.probe/end-of-life",
                verdict: "fail",
                fix: "see models.lifecycle for its successor",
            },
            ProbeCase {
                status: 404,
                error: "ResourceNotFoundException",
                message: "Model not found.",
                code: "runtime.probe/model-not-found",
                verdict: "fail",
                fix: "may have been retired in this region",
            },
        ],
    );
    // The catalog offers this one on demand; Bedrock Runtime says otherwise.
    probe_reads(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        &[ProbeCase {
            status: 400,
            error: "ValidationException",
            message: "Invocation of model ID anthropic.claude-3-5-haiku-20241022-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
            code: "runtime.probe/needs-inference-profile",
            verdict: "fail",
            fix: "through an inference profile: see profiles.resolve",
        }],
    );
}

const NOT_AUTHORIZED: &str = "User: arn:aws:iam::123456789012:user/team/dev is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-6";

#[test]
fn the_probe_names_the_policy_layer_bedrock_says_denied() {
    let scp = format!("{NOT_AUTHORIZED} with an explicit deny in a service control policy");
    let rcp = format!("{NOT_AUTHORIZED} with an explicit deny in a resource control policy");
    let session =
        format!("{NOT_AUTHORIZED} because no session policy allows the bedrock:InvokeModel action");
    let boundary = format!(
        "{NOT_AUTHORIZED} because no permissions boundary allows the bedrock:InvokeModel action"
    );
    probe_reads(
        "sonnet",
        &[
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: &scp,
                code: "runtime.probe/denied-by-scp",
                verdict: "fail",
                fix: r#"{"ArnNotLike": {"bedrock:InferenceProfileArn""#,
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: &rcp,
                code: "runtime.probe/denied-by-rcp",
                verdict: "fail",
                fix: "Policies > Resource control policies",
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: &session,
                code: "runtime.probe/denied-by-session-policy",
                verdict: "fail",
                fix: "lacks bedrock:InvokeModel: add it there for us.anthropic.claude-sonnet-4-6",
            },
            ProbeCase {
                status: 403,
                error: "AccessDeniedException",
                message: &boundary,
                code: "runtime.probe/denied-by-permission-boundary",
                verdict: "fail",
                fix: "in the principal's permission boundary too",
            },
        ],
    );
}

#[test]
fn the_probe_reads_throttling_per_minute_and_rejected_credentials() {
    probe_reads(
        "sonnet",
        &[
            ProbeCase {
                status: 429,
                error: "ThrottlingException",
                message: "Too many requests, please wait before trying again.",
                code: "runtime.probe/throttled",
                verdict: "warn",
                fix: "see quotas.inference",
            },
            ProbeCase {
                status: 403,
                error: "UnrecognizedClientException",
                message: "The security token included in the request is invalid.",
                code: "runtime.probe/credentials-rejected",
                verdict: "fail",
                fix: "Refresh the credentials",
            },
        ],
    );
}

#[test]
fn a_probe_bedrock_should_have_rejected_but_answered_is_not_trusted() {
    let emulator = Sandbox::new();
    emulator.on(
        "bedrock-runtime:InvokeModel",
        Rule::Fixture(crate::support::front::Fixture {
            status: 200,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: r#"{"id":"msg_01","type":"message","role":"assistant","content":[]}"#.into(),
        }),
    );
    let (run, report) = doctor(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 3, "no verdict: {}", run.stdout);
    let probe = finding(&report, "runtime.probe");
    assert_eq!(
        (probe["code"].as_str(), probe["status"].as_str()),
        (Some("runtime.probe/untrusted-success"), Some("error"))
    );
    assert_eq!(
        probe["message"],
        "InvokeModel (what SDKs call); InvokeModelWithResponseStream was authorized: InvokeModel on \
         us.anthropic.claude-sonnet-4-6 accepted a body it must reject; this answer is not trusted"
    );
}
