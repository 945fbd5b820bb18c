//! mantle.access through the binary: the Mantle endpoint's model list (answered by the front
//! server from fixtures shaped as the endpoint's list), signed for `bedrock-mantle`, with its
//! faults, the data-retention gate, IAM's word on CreateInference, and the models Claude Code's
//! settings send there.

use serde_json::{Value, json};

use crate::support::front::{Fault, Rule};
use crate::support::{Emulator, fixture, rest_error};
use crate::{Run, findings};

fn doctor(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    let mut cmd = emulator.cmd();
    cmd.args(["doctor", "--no-probe", "--output", "json"])
        .args(args);
    let run = Run::of(&mut cmd);
    let report = run.report();
    (run, report)
}

/// (kind, status) of each mantle.access finding, keyed by its resource.
fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    findings(report, "mantle.access")
        .iter()
        .map(|f| {
            (
                f["resource"].as_str().unwrap_or_default().to_string(),
                kind_of(f).to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The kind of a finding: its code after the check's ID.
fn kind_of(finding: &Value) -> &str {
    finding["code"]
        .as_str()
        .and_then(|code| code.rsplit('/').next())
        .unwrap_or_default()
}

fn verdict<'a>(report: &'a Value, resource: &str) -> &'a Value {
    findings(report, "mantle.access")
        .into_iter()
        .find(|f| f["resource"] == resource)
        .unwrap_or_else(|| panic!("no mantle.access finding on {resource} in {report:#}"))
}

#[test]
fn each_model_is_judged_against_the_paged_list_signed_for_bedrock_mantle() {
    let emulator = Emulator::start();
    let (_, report) = doctor(
        &emulator,
        &[
            "--mantle",
            "--model",
            "anthropic.claude-haiku-4-5",
            "--model",
            "anthropic.claude-sonnet-5[1m]",
            "--model",
            "anthropic.claude-fable-5",
            "--model",
            "us.anthropic.claude-sonnet-4-6",
            "--model",
            "anthropic.claude-opus-9",
        ],
    );
    let mut got = verdicts(&report);
    got.sort();
    let expect = |r: &str, k: &str, s: &str| (r.to_string(), k.to_string(), s.to_string());
    assert_eq!(
        got,
        vec![
            expect("anthropic.claude-fable-5", "data-retention-mode", "fail"),
            expect("anthropic.claude-haiku-4-5", "served", "pass"),
            expect("anthropic.claude-opus-9", "model-not-listed", "fail"),
            // On the list's second page: both pages were read.
            expect("anthropic.claude-sonnet-5", "served", "pass"),
            expect("us.anthropic.claude-sonnet-4-6", "not-a-mantle-id", "fail"),
        ]
    );
    let wrong = verdict(&report, "us.anthropic.claude-sonnet-4-6");
    assert_eq!(
        wrong["remediation"], "Set --model to anthropic.claude-sonnet-4-6",
        "the right ID, which the endpoint lists"
    );
    let retention = verdict(&report, "anthropic.claude-fable-5");
    assert_eq!(retention["evidence"]["mode"], "default");
    assert_eq!(retention["evidence"]["account_mode"], "default");
    assert_eq!(
        retention["evidence"]["allowed_modes"],
        json!(["aws_review"])
    );
    let fix = retention["remediation"].as_str().unwrap();
    assert!(fix.contains("privacy decision"), "{fix}");
    assert!(
        fix.contains("aws bedrock put-account-data-retention --mode aws_review --region us-east-1"),
        "{fix}"
    );
    let not_listed = verdict(&report, "anthropic.claude-opus-9");
    assert!(
        not_listed["message"]
            .as_str()
            .unwrap()
            .contains("anthropic.claude-opus-4-8")
    );
    // Mantle IDs leave Bedrock's checks; the profile ID stays with them.
    let lifecycle: Vec<&str> = findings(&report, "models.lifecycle")
        .iter()
        .map(|f| f["resource"].as_str().unwrap_or_default())
        .collect();
    assert!(
        lifecycle.iter().all(|r| r.contains("claude-sonnet-4-6")),
        "{lifecycle:?}"
    );

    let requests = emulator.front.requests();
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| r.key() == "bedrock-mantle:ListModels")
        .collect();
    assert_eq!(lists.len(), 2, "two pages, each once");
    assert!(
        lists
            .iter()
            .all(|r| r.signed_for.as_deref() == Some("bedrock-mantle")
                && r.region.as_deref() == Some("us-east-1")
                && r.status == 200),
        "signed with the bedrock-mantle name in the region's scope: {lists:?}"
    );
    assert_eq!(emulator.front.count("bedrock:GetAccountDataRetention"), 1);
}

#[test]
fn iam_decides_create_inference_explicit_deny_fails_implicit_deny_advises() {
    let emulator = Emulator::start();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Match(
            vec![
                (
                    "ContextEntries.member.1.ContextKeyValues.member.1=anthropic.claude-haiku-4-5"
                        .into(),
                    Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.explicit-deny.xml")),
                ),
                (
                    "ContextEntries.member.1.ContextKeyValues.member.1=anthropic.claude-opus-4-8"
                        .into(),
                    Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.implicit-deny.xml")),
                ),
            ],
            Box::new(Rule::Fixture(fixture(
                "iam/SimulatePrincipalPolicy.allowed.xml",
            ))),
        ),
    );
    let (run, report) = doctor(
        &emulator,
        &[
            "--mantle",
            "--model",
            "anthropic.claude-haiku-4-5",
            "--model",
            "anthropic.claude-opus-4-8",
            "--model",
            "anthropic.claude-sonnet-4-6",
        ],
    );
    assert_eq!(run.code, 1);
    let explicit = verdict(&report, "anthropic.claude-haiku-4-5");
    assert_eq!(
        (&json!(kind_of(explicit)), &explicit["status"]),
        (&json!("inference-denied"), &json!("fail"))
    );
    assert!(
        explicit["message"]
            .as_str()
            .unwrap()
            .contains("deny-us-east-2")
    );
    let implicit = verdict(&report, "anthropic.claude-opus-4-8");
    assert_eq!(
        (&json!(kind_of(implicit)), &implicit["status"]),
        (&json!("inference-denied"), &json!("warn"))
    );
    let statement = implicit["remediation"].as_str().unwrap();
    assert!(
        statement.contains(
            r#""Resource":"arn:aws:bedrock-mantle:us-east-1:123456789012:project/default""#
        ) && statement.contains(r#""bedrock-mantle:Model":["anthropic.claude-opus-4-8"]"#),
        "{statement}"
    );
    let allowed = verdict(&report, "anthropic.claude-sonnet-4-6");
    assert_eq!(allowed["status"], "pass");
    assert_eq!(allowed["evidence"]["source"], "simulate");
}

#[test]
fn the_endpoints_faults_become_errors_and_the_run_completes() {
    for (rule, kind, error_kind) in [
        (
            Rule::Fixture(fixture("bedrock-mantle/ListModels.denied.json").with_status(403)),
            "list-denied",
            None,
        ),
        (
            Rule::Fault(Fault::Throttle),
            "read-failed",
            Some("throttled"),
        ),
        (
            Rule::Fault(Fault::ServerError),
            "read-failed",
            Some("unavailable"),
        ),
        (
            Rule::Fault(Fault::MalformedBody),
            "read-failed",
            Some("malformed_response"),
        ),
    ] {
        let emulator = Emulator::start();
        emulator.on("bedrock-mantle:ListModels", rule);
        let (run, report) = doctor(
            &emulator,
            &[
                "--mantle",
                "--model",
                "anthropic.claude-haiku-4-5",
                "--model",
                "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
            ],
        );
        assert_eq!(run.code, 1, "{kind}: {}", run.stderr);
        let got = verdicts(&report);
        let list = got
            .iter()
            .find(|(resource, _, _)| resource.is_empty())
            .unwrap_or_else(|| panic!("{kind}: no finding about the list in {got:?}"));
        assert_eq!((list.1.as_str(), list.2.as_str()), (kind, "error"));
        if let Some(error_kind) = error_kind {
            let finding = findings(&report, "mantle.access")
                .into_iter()
                .find(|f| f["resource"].is_null())
                .unwrap();
            assert_eq!(finding["evidence"]["error_kind"], error_kind);
        }
        if kind == "list-denied" {
            // The fix says preflight-readonly has what it names: hold it to the file.
            let finding = findings(&report, "mantle.access")
                .into_iter()
                .find(|f| f["resource"].is_null())
                .unwrap();
            let fix = finding["remediation"].as_str().unwrap();
            let readonly = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("policies/preflight-readonly.json"),
            )
            .unwrap();
            let named: Vec<&str> = fix
                .split('"')
                .filter(|word| word.starts_with("bedrock-mantle:"))
                .collect();
            assert!(!named.is_empty(), "{fix}");
            for action in named {
                assert!(
                    readonly.contains(&format!("\"{action}\"")),
                    "the fix names {action}, which preflight-readonly does not grant: {fix}"
                );
            }
        }
        // The ID's form is judged whatever the list said.
        assert!(got.contains(&(
            "eu.anthropic.claude-haiku-4-5-20251001-v1:0".into(),
            "not-a-mantle-id".into(),
            "fail".into()
        )));
        assert!(
            !got.iter().any(|(_, _, status)| status == "pass"),
            "nothing passes unproven: {got:?}"
        );
    }
}

#[test]
fn throttling_is_retried_before_it_becomes_an_error() {
    let emulator = Emulator::start();
    emulator.on("bedrock-mantle:ListModels", Rule::Fault(Fault::Throttle));
    let mut cmd = emulator.cmd();
    let run = Run::of(cmd.args(["doctor", "--no-probe", "--mantle", "-v", "--output", "json"]));
    assert!(
        run.stderr
            .contains("total bedrock-mantle:ListModels: calls=1 pages=1 attempts=3"),
        "{}",
        run.stderr
    );
}

#[test]
fn statuses_it_does_not_know_and_the_plain_list_shape() {
    let emulator = Emulator::start();
    emulator.on(
        "bedrock-mantle:ListModels",
        Rule::Fixture(fixture("bedrock-mantle/ListModels.plain.json")),
    );
    let (_, report) = doctor(
        &emulator,
        &["--mantle", "--model", "anthropic.claude-haiku-4-5"],
    );
    assert_eq!(
        verdicts(&report),
        vec![(
            "anthropic.claude-haiku-4-5".into(),
            "served".into(),
            "pass".into()
        )],
        "a list without status fields lists what is served"
    );

    let emulator = Emulator::start();
    let body = json!({"data": [{"id": "anthropic.claude-haiku-4-5", "status": "provisioning"}]});
    emulator.on(
        "bedrock-mantle:ListModels",
        Rule::Fixture(crate::support::front::Fixture {
            status: 200,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.to_string().into(),
        }),
    );
    let (_, report) = doctor(
        &emulator,
        &["--mantle", "--model", "anthropic.claude-haiku-4-5"],
    );
    let finding = verdict(&report, "anthropic.claude-haiku-4-5");
    assert_eq!(
        (&json!(kind_of(finding)), &finding["status"]),
        (&json!("unknown-status"), &json!("error"))
    );
}

#[test]
fn without_models_the_endpoint_itself_is_judged() {
    let emulator = Emulator::start();
    let (_, report) = doctor(&emulator, &["--mantle"]);
    let reachable = crate::finding(&report, "mantle.access");
    assert_eq!(kind_of(reachable), "reachable");
    assert_eq!(
        reachable["evidence"]["models"],
        json!([
            "anthropic.claude-haiku-4-5",
            "anthropic.claude-sonnet-4-6",
            "anthropic.claude-opus-4-7",
            "anthropic.claude-opus-4-8",
            "anthropic.claude-sonnet-5",
            "anthropic.claude-fable-5"
        ]),
        "Claude models only"
    );
}

#[test]
fn an_api_key_is_sent_instead_of_a_signature_and_a_rejected_key_fails() {
    let emulator = Emulator::start();
    let key = "bedrock-api-key-c2VjcmV0LXNob3J0LXRlcm0ta2V5LXZhbHVl";
    emulator.on(
        "bedrock-mantle:ListModels",
        Rule::Fixture(rest_error(401, "UnauthorizedException", "Invalid API key")),
    );
    let mut cmd = emulator.cmd();
    cmd.env("AWS_BEARER_TOKEN_BEDROCK", key).args([
        "doctor",
        "--no-probe",
        "--mantle",
        "--model",
        "anthropic.claude-haiku-4-5",
        "--output",
        "json",
    ]);
    let run = Run::of(&mut cmd);
    let report = run.report();
    let rejected = findings(&report, "mantle.access")
        .into_iter()
        .find(|f| kind_of(f) == "api-key-rejected")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(rejected["status"], "fail");
    assert_eq!(rejected["evidence"]["auth"], "api-key");
    let list = emulator
        .front
        .requests()
        .into_iter()
        .find(|r| r.key() == "bedrock-mantle:ListModels")
        .unwrap();
    assert_eq!(list.signed_for, None, "the key is sent, not a signature");
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains("c2VjcmV0"), "the key leaked");
    }
}

#[test]
fn claude_codes_mantle_models_leave_bedrocks_checks() {
    let emulator = Emulator::start();
    let mut settings = json!({"env": {
        "CLAUDE_CODE_USE_MANTLE": "1",
        "ANTHROPIC_MODEL": "anthropic.claude-opus-4-8",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    }});
    emulator.claude_settings(&settings);
    let (_, report) = doctor(&emulator, &[]);
    let mut got = verdicts(&report);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "anthropic.claude-opus-4-8".into(),
                "served".into(),
                "pass".into()
            ),
            (
                "us.anthropic.claude-haiku-4-5-20251001-v1:0".into(),
                "not-a-mantle-id".into(),
                "fail".into()
            ),
        ]
    );
    let wrong = verdict(&report, "us.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert!(
        wrong["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Set ANTHROPIC_DEFAULT_HAIKU_MODEL (from "),
        "{wrong:#}"
    );
    let lifecycle = crate::finding(&report, "models.lifecycle");
    assert_eq!(
        (&json!(kind_of(lifecycle)), &lifecycle["status"]),
        (&json!("no-bedrock-model"), &json!("skip")),
        "with only Mantle on, nothing goes to Bedrock Runtime"
    );
    assert_eq!(emulator.front.count("bedrock:ListFoundationModels"), 0);

    // Both on: Claude Code routes by the ID's form.
    settings["env"]["CLAUDE_CODE_USE_BEDROCK"] = json!("1");
    emulator.claude_settings(&settings);
    let (_, report) = doctor(&emulator, &[]);
    assert_eq!(
        verdicts(&report),
        vec![(
            "anthropic.claude-opus-4-8".into(),
            "served".into(),
            "pass".into()
        )]
    );
    let lifecycle: Vec<&str> = findings(&report, "models.lifecycle")
        .iter()
        .map(|f| f["resource"].as_str().unwrap_or_default())
        .collect();
    assert!(
        lifecycle.len() == 1 && lifecycle[0].contains("claude-haiku-4-5-20251001-v1:0"),
        "{lifecycle:?}"
    );
}

#[test]
fn without_mantle_in_use_the_check_skips() {
    let emulator = Emulator::start();
    let (_, report) = doctor(&emulator, &["--model", "sonnet"]);
    let skipped = crate::finding(&report, "mantle.access");
    assert_eq!(
        (&json!(kind_of(skipped)), &skipped["status"]),
        (&json!("not-configured"), &json!("skip"))
    );
    assert_eq!(emulator.front.count("bedrock-mantle:ListModels"), 0);
}

#[test]
fn emit_with_only_mantle_on_pins_what_the_endpoint_proved() {
    let emulator = Emulator::start();
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_MANTLE": "1",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "anthropic.claude-opus-4-8",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "anthropic.claude-sonnet-5",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "ANTHROPIC_DEFAULT_FABLE_MODEL": "anthropic.claude-fable-5"
    }}));
    let mut cmd = emulator.cmd();
    let run = Run::of(cmd.args(["doctor", "--no-probe", "--emit", "claude-code-env"]));
    assert_eq!(
        run.stdout,
        "# Claude Code on Bedrock: what bedrock-preflight proved in us-east-1\n\
         export CLAUDE_CODE_USE_MANTLE=1\n\
         export AWS_REGION=us-east-1\n\
         export ANTHROPIC_MODEL=anthropic.claude-sonnet-5\n\
         export ANTHROPIC_DEFAULT_SONNET_MODEL=anthropic.claude-sonnet-5\n\
         export ANTHROPIC_DEFAULT_OPUS_MODEL=anthropic.claude-opus-4-8\n",
        "neither the Haiku in Bedrock form nor Fable held back by its retention mode: {}",
        run.stderr
    );
}

#[test]
fn a_key_only_in_claude_codes_settings_is_what_the_mantle_reads_send() {
    let emulator = Emulator::start();
    let key = "bedrock-api-key-c2V0dGluZ3Mtb25seS1rZXk=";
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_MANTLE": "1",
        "ANTHROPIC_MODEL": "anthropic.claude-haiku-4-5",
        "AWS_BEARER_TOKEN_BEDROCK": key
    }}));
    let (run, report) = doctor(&emulator, &[]);
    let served = verdict(&report, "anthropic.claude-haiku-4-5");
    assert_eq!(served["evidence"]["auth"], "api-key", "{served:#}");
    let list = emulator
        .front
        .requests()
        .into_iter()
        .find(|r| r.key() == "bedrock-mantle:ListModels")
        .unwrap();
    assert_eq!(
        list.signed_for, None,
        "the settings' key, as Claude Code sends it"
    );
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains("c2V0dGluZ3M"), "the key leaked");
    }
}
