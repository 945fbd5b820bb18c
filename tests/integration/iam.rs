//! `iam.invoke` scenarios: what IAM's simulator says (in-process), and what local evaluation
//! of the principal's real policies (held by moto, through the real binary) says when
//! simulation is denied; `policy evaluate` and `policy explain`.

use serde_json::{Value, json};

use crate::support::front::{Fault, Router, Rule, load_scenario};
use crate::support::sandbox::Sandbox;
use crate::support::{Emulator, fixture, simulation_denying};
use crate::{Run, findings};

const SONNET: &str = "anthropic.claude-sonnet-4-6";
const PROFILE: &str =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6";

fn model(region: &str) -> String {
    format!("arn:aws:bedrock:{region}::foundation-model/{SONNET}")
}

/// doctor in-process, the probe off, and its `iam.invoke` findings.
fn iam_findings(sandbox: &Sandbox, args: &[&str]) -> (Run, Vec<Value>) {
    let (run, report) = sandbox.doctor(&[&["--no-probe"], args].concat());
    let found = findings(&report, "iam.invoke")
        .into_iter()
        .cloned()
        .collect();
    (run, found)
}

/// The same with the real binary against moto, whose IAM holds the principal's policies.
fn iam_findings_e2e(emulator: &Emulator, args: &[&str]) -> (Run, Vec<Value>) {
    let run = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--output", "json", "--no-probe"])
            .args(args),
    );
    let report = run.report();
    let found = findings(&report, "iam.invoke")
        .into_iter()
        .cloned()
        .collect();
    (run, found)
}

/// Simulation answers `deny` for requests whose resource starts with `resource`.
fn simulate_denies(front: &Router, resource: &str, deny: &str) {
    front.on(
        "iam:SimulatePrincipalPolicy",
        simulation_denying(&format!("ResourceArns.member.1={resource}"), deny),
    );
}

#[test]
fn simulation_allowing_everything_passes_per_invocation() {
    let emulator = Sandbox::new();
    let (run, found) = iam_findings(&emulator, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|f| f["status"] == "pass" && f["evidence"]["source"] == "simulate")
    );
    // One simulation per resource: the profile and its three destination models, per model.
    assert_eq!(emulator.front.count("iam:SimulatePrincipalPolicy"), 8);
    assert_eq!(
        found[0]["evidence"]["resources"].as_array().unwrap().len(),
        4
    );
}

#[test]
fn one_destination_region_not_allowed_fails_on_that_model() {
    let emulator = Sandbox::new();
    simulate_denies(
        &emulator.front,
        &model("us-west-2"),
        "iam/SimulatePrincipalPolicy.implicit-deny.xml",
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    let denied = &found[0];
    assert_eq!(denied["status"], "fail");
    assert_eq!(
        denied["title"],
        "Principal may not invoke the inference profile's destination models"
    );
    assert_eq!(denied["resource"], model("us-west-2"));
    assert_eq!(denied["region"], "us-west-2");
    assert_eq!(denied["evidence"]["decision"], "implicitDeny");
    assert_eq!(denied["evidence"]["source"], "simulate");
    assert_eq!(
        denied["evidence"]["context"]["bedrock:InferenceProfileArn"],
        json!([PROFILE])
    );
    assert_eq!(
        denied["evidence"]["context"]["aws:RequestedRegion"],
        json!(["us-west-2"])
    );
    let fix = denied["remediation"].as_str().unwrap();
    assert!(
        fix.starts_with(
            "bedrock-preflight policy apply claude-invoke --attach-to user/dev --model sonnet \
             --region us-east-1 --yes\n(or add this policy statement to arn:aws:iam::123456789012:user/team/dev"
        ),
        "{fix}"
    );
    assert!(
        fix.contains("\"bedrock:InferenceProfileArn\"") && fix.contains(&model("us-west-2")),
        "{fix}"
    );
}

#[test]
fn a_global_profile_without_the_region_less_model_arn_fails() {
    let emulator = Sandbox::new();
    simulate_denies(
        &emulator.front,
        "arn:aws:bedrock:::foundation-model/",
        "iam/SimulatePrincipalPolicy.implicit-deny.xml",
    );
    let (run, found) = iam_findings(
        &emulator,
        &["--model", "global.anthropic.claude-sonnet-4-6"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0]["resource"],
        format!("arn:aws:bedrock:::foundation-model/{SONNET}")
    );
    assert_eq!(
        found[0]["evidence"]["context"]["aws:RequestedRegion"],
        json!(["unspecified"])
    );
    assert_eq!(found[0]["region"], "us-east-1");
}

#[test]
fn an_explicit_deny_on_one_region_names_the_statement() {
    let emulator = Sandbox::new();
    simulate_denies(
        &emulator.front,
        &model("us-east-2"),
        "iam/SimulatePrincipalPolicy.explicit-deny.xml",
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    assert_eq!(found.len(), 1);
    let denied = &found[0];
    assert_eq!(denied["evidence"]["decision"], "explicitDeny");
    assert_eq!(
        denied["evidence"]["matched"],
        json!(["deny-us-east-2 (user-managed)"])
    );
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("explicitly denied")
    );
    assert!(
        denied["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Remove or narrow the Deny")
    );
}

#[test]
fn an_application_profile_is_checked_with_its_own_arn() {
    let emulator = Sandbox::new();
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    let (run, found) = iam_findings(&emulator, &["--model", arn]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let resources = found[0]["evidence"]["resources"].as_array().unwrap();
    assert_eq!(resources[0], arn);
    assert_eq!(resources.len(), 4);
}

fn scoped_policy(profile_in_condition: &str, regions: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Profile", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], "Resource": PROFILE},
            {"Sid": "Destinations", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
             "Resource": regions.iter().map(|r| model(r)).collect::<Vec<_>>(),
             "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile_in_condition}}}
        ]
    })
}

#[test]
fn denied_simulation_falls_back_to_local_evaluation_of_the_real_policies() {
    let emulator = Emulator::start();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.attach_to_dev(
        "claude-invoke",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    let (run, found) = iam_findings_e2e(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(found[0]["status"], "pass");
    assert_eq!(found[0]["evidence"]["source"], "local");
    // The grant scoped by bedrock:InferenceProfileArn matched: both statements decided.
    assert_eq!(
        found[0]["evidence"]["matched"],
        json!([
            "arn:aws:iam::123456789012:policy/claude-invoke (Sid Destinations)",
            "arn:aws:iam::123456789012:policy/claude-invoke (Sid Profile)"
        ])
    );
}

#[test]
fn local_evaluation_finds_the_missing_region_and_the_wrong_profile_condition() {
    let emulator = Emulator::start();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.attach_to_dev(
        "claude-invoke",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2"]),
    );
    emulator.put_dev_inline("extra", &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:ListFoundationModels", "Resource": "*"}]}));
    let (run, found) = iam_findings_e2e(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (
            found[0]["resource"].as_str(),
            found[0]["evidence"]["source"].as_str()
        ),
        (Some(model("us-west-2").as_str()), Some("local"))
    );

    let other = Emulator::start();
    other.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    let global = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6";
    other.attach_to_dev(
        "claude-invoke",
        &scoped_policy(global, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    let (_, found) = iam_findings_e2e(&other, &["--model", "sonnet"]);
    let denied: Vec<&str> = found
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        denied,
        [model("us-east-1"), model("us-east-2"), model("us-west-2")],
        "a condition on another profile grants nothing"
    );
}

#[test]
fn both_simulation_and_policy_reads_denied_is_an_error() {
    let emulator = Sandbox::new();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.on("iam:ListGroupsForUser", Rule::Fault(Fault::AccessDenied));
    emulator.on("iam:GetUser", Rule::Fault(Fault::AccessDenied));
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(found[0]["status"], "error");
    assert_eq!(found[0]["code"], "iam.invoke/cannot-evaluate");
    assert_eq!(found[0]["evidence"]["source"], "none");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("may neither simulate its policies") && message.contains("runtime.probe"),
        "{message}"
    );
    assert!(
        found[0]["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Allow iam:SimulatePrincipalPolicy on the principal itself")
    );
}

fn write(dir: &std::path::Path, name: &str, document: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, document.to_string()).unwrap();
    path
}

#[test]
fn policy_evaluate_reports_the_decision_and_the_statements() {
    let emulator = Emulator::front_only();
    let dir = emulator.home();
    let policy = write(
        dir,
        "invoke.json",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    let boundary = write(
        dir,
        "boundary.json",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "All", "Effect": "Allow", "Action": "bedrock:*", "Resource": "*"},
            {"Sid": "NoWest", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}}]}),
    );
    let evaluate = |resource: &str, context: &[&str], with_boundary: bool| {
        let mut cmd = emulator.cmd();
        cmd.args(["policy", "evaluate", "--output", "json", "--policy"])
            .arg(&policy)
            .args(["--action", "bedrock:InvokeModel", "--resource", resource]);
        if with_boundary {
            cmd.arg("--boundary").arg(&boundary);
        }
        for entry in context {
            cmd.args(["--context", entry]);
        }
        let run = Run::of(&mut cmd);
        let answer: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        (run.code, answer)
    };
    let through = format!("bedrock:InferenceProfileArn={PROFILE}");
    let (code, allowed) = evaluate(
        &model("us-east-2"),
        &["aws:RequestedRegion=us-east-2", &through],
        true,
    );
    assert_eq!(code, 0);
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(
        allowed["matched"][0]["policy"],
        policy.display().to_string()
    );
    assert_eq!(
        (
            allowed["matched"][0]["sid"].as_str(),
            allowed["matched"][0]["effect"].as_str()
        ),
        (Some("Destinations"), Some("Allow"))
    );
    assert_eq!(allowed["matched"][1]["boundary"], true);

    let (code, direct) = evaluate(
        &model("us-east-2"),
        &["aws:RequestedRegion=us-east-2"],
        true,
    );
    assert_eq!(
        (code, direct["decision"].as_str()),
        (1, Some("implicitDeny"))
    );
    assert_eq!(direct["matched"], json!([]));

    let (code, west) = evaluate(
        &model("us-west-2"),
        &["aws:RequestedRegion=us-west-2", &through],
        true,
    );
    assert_eq!(
        (
            code,
            west["decision"].as_str(),
            west["matched"][0]["sid"].as_str()
        ),
        (1, Some("explicitDeny"), Some("NoWest"))
    );
    assert!(emulator.front.requests().is_empty(), "evaluate is local");
}

#[test]
fn policy_evaluate_takes_every_layer_and_names_the_one_that_denies() {
    let emulator = Emulator::front_only();
    let dir = emulator.home();
    let invoke = write(
        dir,
        "invoke.json",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    let full = write(
        dir,
        "full.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    // Control Tower's region deny: the destination region of every hop is evaluated.
    let region_deny = write(
        dir,
        "region-deny.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyOutsideApprovedRegions", "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}}}]}),
    );
    let session = write(
        dir,
        "session.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "EastOnly", "Effect": "Allow", "Action": "bedrock:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}]}),
    );
    let bucket_policy = write(
        dir,
        "bucket.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "Partner", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}),
    );
    let evaluate = |args: &[&str]| {
        let run = Run::of(
            emulator
                .cmd()
                .args(["policy", "evaluate", "--output", "json", "--policy"])
                .arg(&invoke)
                .args(args),
        );
        let answer: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        (run.code, answer)
    };
    let scps = format!("{}", full.display());
    let account_scps = format!("{},{}", full.display(), region_deny.display());
    let through = format!("bedrock:InferenceProfileArn={PROFILE}");
    let hop = |region: &str| {
        let resource = model(region);
        let context = format!("aws:RequestedRegion={region}");
        evaluate(&[
            "--action",
            "bedrock:InvokeModelWithResponseStream",
            "--resource",
            &resource,
            "--context",
            &context,
            "--context",
            &through,
            "--principal",
            "arn:aws:sts::123456789012:assumed-role/dev/alice",
            "--scp",
            &scps,
            "--scp",
            &account_scps,
        ])
    };
    let (code, east2) = hop("us-east-2");
    assert_eq!(code, 1);
    assert_eq!(east2["decision"], "explicitDeny");
    assert_eq!(
        east2["principal"],
        "arn:aws:sts::123456789012:assumed-role/dev/alice"
    );
    assert_eq!(east2["denied_by"], json!({"type": "scp", "level": 2}));
    assert_eq!(
        (
            east2["matched"][0]["sid"].as_str(),
            east2["matched"][0]["type"].as_str(),
            east2["matched"][0]["level"].as_u64(),
            east2["matched"][0]["policy"].as_str()
        ),
        (
            Some("DenyOutsideApprovedRegions"),
            Some("scp"),
            Some(2),
            Some(region_deny.display().to_string().as_str())
        )
    );
    let (code, west2) = hop("us-west-2");
    assert_eq!((code, west2["decision"].as_str()), (0, Some("allowed")));
    let types: Vec<&str> = west2["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["identity", "scp", "scp"], "{west2}");

    // A session policy narrower than the role: the hop outside it is an implicit deny of
    // the session layer (field-failures 42).
    let session_arg = session.display().to_string();
    let east2_resource = model("us-east-2");
    let (code, narrowed) = evaluate(&[
        "--action",
        "bedrock:InvokeModel",
        "--resource",
        &east2_resource,
        "--context",
        "aws:RequestedRegion=us-east-2",
        "--context",
        &through,
        "--principal",
        "arn:aws:sts::123456789012:assumed-role/dev/alice",
        "--session-policy",
        &session_arg,
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        narrowed["denied_by"],
        json!({"type": "session", "level": null})
    );

    // Cross-account: the bucket's owner is given, the bucket grants the caller's account,
    // and the identity side must allow as well.
    let bucket_arg = bucket_policy.display().to_string();
    let cross = |resource_account: &str| {
        evaluate(&[
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::logs/a.json",
            "--principal",
            "arn:aws:sts::210987654321:assumed-role/dev/alice",
            "--resource-account",
            resource_account,
            "--resource-policy",
            &bucket_arg,
        ])
    };
    let (code, partner) = cross("123456789012");
    assert_eq!(code, 1, "the invoke policy grants no s3:GetObject");
    assert_eq!(
        partner["denied_by"],
        json!({"type": "identity", "level": null})
    );
    assert!(emulator.front.requests().is_empty(), "evaluate is local");

    // The table names the layer in AWS's words.
    let run = Run::of(
        emulator
            .cmd()
            .args(["policy", "evaluate", "--policy"])
            .arg(&invoke)
            .args([
                "--action",
                "bedrock:InvokeModel",
                "--resource",
                &model("us-east-1"),
            ])
            .args(["--scp", &scps, "--scp", ""]),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("no service control policy at organization level 2 allows it"),
        "{}",
        run.stdout
    );
}

#[test]
fn policy_evaluate_refuses_bad_input_in_one_line() {
    let emulator = Emulator::front_only();
    let bad = write(
        emulator.home(),
        "bad.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "X", "Effect": "Permit", "Action": "*", "Resource": "*"}]}),
    );
    for args in [
        vec![
            "--policy".to_string(),
            bad.display().to_string(),
            "--action".into(),
            "bedrock:InvokeModel".into(),
            "--resource".into(),
            "*".into(),
        ],
        vec![
            "--policy".into(),
            "/nonexistent/policy.json".into(),
            "--action".into(),
            "bedrock:InvokeModel".into(),
            "--resource".into(),
            "*".into(),
        ],
        vec![
            "--policy".into(),
            bad.display().to_string(),
            "--action".into(),
            "InvokeModel".into(),
            "--resource".into(),
            "*".into(),
        ],
    ]
    .into_iter()
    .chain(layer_misuse(emulator.home(), &bad))
    {
        let run = Run::of(emulator.cmd().args(["policy", "evaluate"]).args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    }
    let run = Run::of(
        emulator
            .cmd()
            .args(["policy", "evaluate", "--policy"])
            .arg(&bad)
            .args(["--action", "bedrock:InvokeModel", "--resource", "*"]),
    );
    assert!(
        run.stderr
            .contains("bad.json: statement 1 (Sid X): Effect must be Allow or Deny"),
        "{}",
        run.stderr
    );
}

/// The new flags misused: each must be one line and exit 2.
fn layer_misuse(dir: &std::path::Path, bad: &std::path::Path) -> Vec<Vec<String>> {
    let identity = write(
        dir,
        "identity.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    let with_principal = write(
        dir,
        "with-principal.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
    );
    let base = |extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "--policy".into(),
            identity.display().to_string(),
            "--action".into(),
            "s3:GetObject".into(),
            "--resource".into(),
            "arn:aws:s3:::b/k".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let with_principal = with_principal.display().to_string();
    let identity = identity.display().to_string();
    let bad = bad.display().to_string();
    vec![
        base(&["--principal", "dev"]),
        base(&["--principal", "arn:aws:iam::123456789012:group/devs"]),
        base(&["--resource-account", "1234"]),
        base(&["--resource-policy", &identity]),
        base(&[
            "--principal",
            "arn:aws:iam::123456789012:user/dev",
            "--resource-policy",
            &identity,
        ]),
        base(&[
            "--principal",
            "arn:aws:iam::123456789012:user/dev",
            "--session-policy",
            &identity,
        ]),
        base(&["--scp", &with_principal]),
        base(&["--scp", &format!("{identity},{bad}")]),
        base(&["--rcp", &identity]),
        base(&["--boundary", &with_principal]),
    ]
}

#[test]
fn policy_explain_reads_the_live_principal() {
    let emulator = Emulator::start();
    emulator.attach_to_dev("claude-invoke", &scoped_policy(PROFILE, &["us-east-1"]));
    let run = Run::of(emulator.cmd().args([
        "policy",
        "explain",
        "--principal",
        "arn:aws:iam::123456789012:user/team/dev",
        "--action",
        "bedrock:InvokeModelWithResponseStream",
        "--resource",
        PROFILE,
    ]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert!(
        run.stdout
            .starts_with("allowed: bedrock:InvokeModelWithResponseStream on "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Allow by arn:aws:iam::123456789012:policy/claude-invoke, Sid Profile"),
        "{}",
        run.stdout
    );
    // moto's account is in no organization, which is a layer seen, not one missing.
    assert!(!run.stdout.contains("not seen"), "{}", run.stdout);
}

#[test]
fn a_principal_that_does_not_exist_is_an_input_error_in_explain_as_in_apply() {
    let emulator = Emulator::start();
    let explain = Run::of(emulator.cmd().args([
        "policy",
        "explain",
        "--principal",
        "arn:aws:iam::123456789012:role/nobody",
        "--action",
        "bedrock:InvokeModel",
        "--resource",
        PROFILE,
    ]));
    assert_eq!(explain.code, 2, "{}\n{}", explain.stderr, explain.stdout);
    assert!(explain.stdout.is_empty(), "{}", explain.stdout);
    assert!(
        explain
            .stderr
            .contains("does not exist in account 123456789012"),
        "{}",
        explain.stderr
    );
    let apply = Run::of(emulator.cmd().args([
        "policy",
        "apply",
        "claude-invoke",
        "--attach-to",
        "role/nobody",
        "--model",
        "sonnet",
        "--dry-run",
    ]));
    assert_eq!(
        apply.code, explain.code,
        "{}\n{}",
        apply.stderr, apply.stdout
    );
}

#[test]
fn simulation_is_asked_with_the_context_bedrock_sets() {
    // Allowed only where the request carries what Bedrock sets: a grant scoped by
    // bedrock:InferenceProfileArn that matches. Without the context entry every destination
    // model would be denied.
    let emulator = Sandbox::new();
    let allowed = || Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.allowed.xml"));
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Match(
            vec![
                (format!("ResourceArns.member.1={PROFILE}&"), allowed()),
                (format!("ContextKeyName=bedrock:InferenceProfileArn&ContextEntries.member.2.ContextKeyValues.member.1={PROFILE}"), allowed()),
            ],
            Box::new(Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.implicit-deny.xml"))),
        ),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["status"], "pass");
}

#[test]
fn a_decision_iam_adds_later_is_an_error_not_a_pass() {
    let emulator = Sandbox::new();
    let mut answer = fixture("iam/SimulatePrincipalPolicy.allowed.xml");
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    answer.body = text
        .replacen(
            "<EvalResourceDecision>allowed",
            "<EvalResourceDecision>conditionallyAllowed",
            1,
        )
        .into();
    emulator.on("iam:SimulatePrincipalPolicy", Rule::Fixture(answer));
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(found.iter().all(|f| f["status"] == "error"), "{found:?}");
    assert_eq!(found[0]["code"], "iam.invoke/unknown-decision");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("IAM answered 'conditionallyAllowed' for bedrock:InvokeModel")
    );
}

#[test]
fn the_per_resource_decision_wins_over_the_top_level_one() {
    // IAM's current shape: the top level names a template and may summarize differently;
    // the decision for the requested ARN is in ResourceSpecificResults.
    let emulator = Sandbox::new();
    let mut answer = fixture("iam/SimulatePrincipalPolicy.allowed.xml");
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    answer.body = text
        .replace(
            "<EvalResourceDecision>allowed",
            "<EvalResourceDecision>implicitDeny",
        )
        .into();
    emulator.on("iam:SimulatePrincipalPolicy", Rule::Fixture(answer));
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(found.iter().all(|f| f["status"] == "fail"), "{found:?}");
    assert_eq!(found[0]["evidence"]["decision"], "implicitDeny");
}

#[test]
fn the_older_answer_shape_still_reads() {
    let emulator = Sandbox::new();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fixture(fixture(
            "iam/SimulatePrincipalPolicy.allowed.older-shape.xml",
        )),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["code"], "iam.invoke/allowed");
    assert_eq!(
        found[0]["evidence"]["matched"],
        json!(["claude-invoke (user-managed)"])
    );
}

#[test]
fn a_service_control_policy_denial_is_named_with_the_exemption_to_ask_for() {
    let emulator = Sandbox::new();
    simulate_denies(
        &emulator.front,
        &model("us-west-2"),
        "iam/SimulatePrincipalPolicy.scp-deny.xml",
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    let denied = &found[0];
    assert_eq!(denied["code"], "iam.invoke/scp-denied");
    assert_eq!(denied["evidence"]["denied_by"], "service-control-policy");
    assert_eq!(denied["region"], "us-west-2");
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("denied by a service control policy")
    );
    let fix = denied["remediation"].as_str().unwrap();
    assert!(
        fix.contains("ArnNotLike") && fix.contains("inference-profile/*"),
        "{fix}"
    );
}

#[test]
fn a_permission_boundary_denial_asks_for_the_boundary_statement() {
    let emulator = Sandbox::new();
    simulate_denies(
        &emulator.front,
        PROFILE,
        "iam/SimulatePrincipalPolicy.boundary-deny.xml",
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1);
    let denied = &found[0];
    assert_eq!(denied["code"], "iam.invoke/boundary-denied");
    assert_eq!(denied["evidence"]["denied_by"], "permission-boundary");
    assert_eq!(denied["resource"], PROFILE);
    let fix = denied["remediation"].as_str().unwrap();
    assert!(
        fix.starts_with("Add this statement to the permission boundary of arn:aws:iam::123456789012:user/team/dev"),
        "{fix}"
    );
}

/// The organization of `tests/fixtures/organizations`: this account under one OU whose SCP
/// denies every region but us-east-1 and us-west-2.
fn member_of_organization(front: &Router) {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/organizations/member.scenario.json");
    for (operation, rule) in load_scenario(&scenario).unwrap() {
        front.on(&operation, rule);
    }
}

#[test]
fn an_scp_read_from_the_organization_names_the_statement_the_simulation_missed() {
    // The simulation (the sandbox's) allows everything; the organization's region deny is
    // what stops the profile's hop to us-east-2.
    let emulator = Sandbox::new();
    member_of_organization(&emulator.front);
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(found.len(), 1, "{found:#?}");
    let denied = &found[0];
    assert_eq!(denied["code"], "iam.invoke/scp-denied");
    assert_eq!(denied["region"], "us-east-2");
    assert_eq!(denied["evidence"]["decision"], "explicitDeny");
    assert_eq!(denied["evidence"]["organization"], "read");
    let statement = "service control policy DenyOutsideApprovedRegions (p-7n8ab2cd) (Sid DenyOutsideApprovedRegions), level 2 (ou-ab12-cdef3456)";
    assert!(
        denied["evidence"]["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == statement),
        "{denied:#}"
    );
    let fix = denied["remediation"].as_str().unwrap();
    assert!(
        fix.contains("ArnNotLike") && fix.contains(statement),
        "{fix}"
    );
    assert!(
        !denied["message"].as_str().unwrap().contains("user-managed"),
        "IAM's allows are not what denied: {denied:#}"
    );

    // Every level read once, both policy types at once, each policy described once.
    let front = &emulator.front;
    assert_eq!(front.count("organizations:DescribeOrganization"), 1);
    assert_eq!(front.count("organizations:ListParents"), 2);
    assert_eq!(front.count("organizations:ListPoliciesForTarget"), 6);
    assert_eq!(front.count("organizations:DescribePolicy"), 2);
}

#[test]
fn an_organization_that_allows_is_said_to_have_been_read() {
    let emulator = Sandbox::new();
    member_of_organization(&emulator.front);
    // The OU keeps FullAWSAccess only.
    emulator.on(
        "organizations:ListPoliciesForTarget",
        Rule::Match(
            vec![(
                "RESOURCE_CONTROL_POLICY".into(),
                Rule::Fixture(fixture("organizations/ListPoliciesForTarget.none.json")),
            )],
            Box::new(Rule::Fixture(fixture(
                "organizations/ListPoliciesForTarget.full-access.json",
            ))),
        ),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let allowed: Vec<&Value> = found.iter().filter(|f| f["status"] == "pass").collect();
    assert_eq!(allowed.len(), found.len(), "{found:#?}");
    let message = allowed[0]["message"].as_str().unwrap();
    assert!(
        message.contains("and the organization's SCPs at every level"),
        "{message}"
    );
    assert_eq!(allowed[0]["evidence"]["organization"], "read");
}

#[test]
fn the_management_account_is_not_bound_by_scps_and_reads_no_further() {
    let emulator = Sandbox::new();
    member_of_organization(&emulator.front);
    emulator.on(
        "organizations:DescribeOrganization",
        Rule::Fixture(fixture(
            "organizations/DescribeOrganization.management.json",
        )),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(found.iter().all(|f| f["status"] == "pass"), "{found:#?}");
    assert_eq!(found[0]["evidence"]["organization"], "management-account");
    // The walk to the root goes out with DescribeOrganization; no policy is read.
    assert_eq!(
        emulator.front.count("organizations:ListPoliciesForTarget")
            + emulator.front.count("organizations:DescribePolicy"),
        0
    );
}

#[test]
fn organization_reads_refused_leave_the_verdict_to_iam_and_say_what_was_not_seen() {
    // Simulation reflects SCPs, so its allow stands; local evaluation does not, and says so.
    let emulator = Sandbox::new();
    emulator.on(
        "organizations:DescribeOrganization",
        Rule::Fault(Fault::AccessDenied),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(found[0]["evidence"]["organization"], "unreadable");
    assert_eq!(found[0]["evidence"]["unseen"], json!([]));

    let emulator = Emulator::start();
    emulator.attach_to_dev(
        "claude-invoke",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.on(
        "organizations:DescribeOrganization",
        Rule::Fault(Fault::AccessDenied),
    );
    let (run, found) = iam_findings_e2e(&emulator, &["--model", "us.anthropic.claude-sonnet-4-6"]);
    let pass = found
        .iter()
        .find(|f| f["status"] == "pass")
        .unwrap_or_else(|| panic!("{}\n{found:#?}", run.stderr));
    assert_eq!(pass["evidence"]["source"], "local");
    assert_eq!(
        pass["evidence"]["unseen"],
        json!(["service-control-policies"])
    );
    let message = pass["message"].as_str().unwrap();
    assert!(
        message.contains("Not seen: the organization's SCPs") && message.contains("runtime.probe"),
        "{message}"
    );
}

#[test]
fn policy_explain_evaluates_the_organization_s_scps_for_the_principal() {
    let emulator = Emulator::start();
    emulator.attach_to_dev(
        "claude-invoke",
        &scoped_policy(PROFILE, &["us-east-1", "us-east-2", "us-west-2"]),
    );
    member_of_organization(&emulator.front);
    let explain = |region: &str| {
        let context = format!("aws:RequestedRegion={region}");
        let through = format!("bedrock:InferenceProfileArn={PROFILE}");
        let run = Run::of(emulator.cmd().args([
            "policy",
            "explain",
            "--output",
            "json",
            "--principal",
            "arn:aws:iam::123456789012:user/team/dev",
            "--action",
            "bedrock:InvokeModel",
            "--resource",
            &model(region),
            "--context",
            &context,
            "--context",
            &through,
        ]));
        let answer: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        (run.code, answer)
    };
    let (code, east2) = explain("us-east-2");
    assert_eq!(code, 1);
    assert_eq!(east2["decision"], "explicitDeny");
    assert_eq!(east2["denied_by"], json!({"type": "scp", "level": 2}));
    assert_eq!(
        east2["matched"][0]["policy"],
        "DenyOutsideApprovedRegions (p-7n8ab2cd)"
    );
    assert_eq!(east2["unseen"], json!([]));
    let (code, west2) = explain("us-west-2");
    assert_eq!((code, west2["decision"].as_str()), (0, Some("allowed")));
}

#[test]
fn the_root_user_is_bound_by_the_organization_s_scps_only() {
    let emulator = Sandbox::new();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.root.xml")),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(found[0]["code"], "iam.invoke/root-user");
    assert_eq!(found[0]["evidence"]["organization"], "not-in-organization");
    assert_eq!(
        emulator.front.count("iam:SimulatePrincipalPolicy"),
        0,
        "IAM cannot simulate the root user"
    );

    member_of_organization(&emulator.front);
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let denied: Vec<&Value> = found.iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(denied.len(), 1, "{found:#?}");
    assert_eq!(denied[0]["code"], "iam.invoke/scp-denied");
    assert_eq!(denied[0]["region"], "us-east-2");
    assert_eq!(denied[0]["evidence"]["source"], "root");
}

#[test]
fn a_federated_user_is_left_to_the_live_probe() {
    let emulator = Sandbox::new();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(crate::support::front::Fixture {
            status: 200,
            content_type: "text/xml".into(),
            headers: Vec::new(),
            body: r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:federated-user/alice</Arn>
    <UserId>123456789012:alice</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>"#
                .into(),
        }),
    );
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0]["code"].as_str(), found[0]["status"].as_str()),
        (Some("iam.invoke/federated-user"), Some("skip"))
    );
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("runtime.probe is the evidence")
    );
    assert_eq!(
        emulator.front.count("iam:SimulatePrincipalPolicy"),
        0,
        "IAM cannot simulate a federated user's session"
    );
}

/// The organization of `member_of_organization`, with FullAWSAccess as its only SCP and
/// RCPFullAWSAccess at every level, plus at the OU a resource control policy that denies
/// invoking any Bedrock resource of its accounts.
fn member_with_a_bedrock_rcp(front: &Router) {
    member_of_organization(front);
    let json = |body: Value| {
        Rule::Fixture(crate::support::front::Fixture {
            status: 200,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.to_string().into(),
        })
    };
    let summary = |id: &str, name: &str, managed: bool| {
        json!({
            "Id": id,
            "Arn": format!("arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/resource_control_policy/{id}"),
            "Name": name,
            "Description": name,
            "Type": "RESOURCE_CONTROL_POLICY",
            "AwsManaged": managed,
        })
    };
    let full = summary("p-RCPFullAWSAccess", "RCPFullAWSAccess", true);
    let deny = summary("p-rcp0bedrock", "DenyBedrockInvoke", false);
    front.on(
        "organizations:ListPoliciesForTarget",
        Rule::Match(
            vec![(
                "RESOURCE_CONTROL_POLICY".into(),
                Rule::Match(
                    vec![(
                        "ou-ab12-cdef3456".into(),
                        json(json!({"Policies": [full.clone(), deny.clone()]})),
                    )],
                    Box::new(json(json!({"Policies": [full.clone()]}))),
                ),
            )],
            Box::new(Rule::Fixture(fixture(
                "organizations/ListPoliciesForTarget.full-access.json",
            ))),
        ),
    );
    let described = |summary: &Value, statement: Value| {
        let content = json!({"Version": "2012-10-17", "Statement": [statement]});
        json(json!({"Policy": {"PolicySummary": summary, "Content": content.to_string()}}))
    };
    front.on(
        "organizations:DescribePolicy",
        Rule::Match(
            vec![
                (
                    "p-rcp0bedrock".into(),
                    described(
                        &deny,
                        json!({
                            "Sid": "DenyBedrockInvoke",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                            "Resource": "*"
                        }),
                    ),
                ),
                (
                    "p-RCPFullAWSAccess".into(),
                    described(
                        &full,
                        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
                    ),
                ),
            ],
            Box::new(Rule::Fixture(fixture(
                "organizations/DescribePolicy.FullAWSAccess.json",
            ))),
        ),
    );
}

#[test]
fn a_resource_control_policy_denying_the_profile_is_named_with_its_statement() {
    let emulator = Sandbox::new();
    member_with_a_bedrock_rcp(&emulator.front);
    let (run, found) = iam_findings(&emulator, &["--model", "sonnet"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let denied: Vec<&Value> = found.iter().filter(|f| f["status"] == "fail").collect();
    // RCPs govern the account's own resources: the profile, not AWS's foundation models.
    assert_eq!(denied.len(), 1, "{found:#?}");
    let rcp = denied[0];
    assert_eq!(rcp["code"], "iam.invoke/rcp-denied");
    assert_eq!(rcp["resource"], PROFILE);
    assert_eq!(rcp["region"], "us-east-1");
    assert_eq!(rcp["evidence"]["denied_by"], "resource-control-policy");
    assert_eq!(rcp["evidence"]["decision"], "explicitDeny");
    let statement = "resource control policy DenyBedrockInvoke (p-rcp0bedrock) (Sid DenyBedrockInvoke), level 2 (ou-ab12-cdef3456)";
    assert_eq!(rcp["evidence"]["matched"], json!([statement]));
    assert_eq!(
        rcp["remediation"],
        format!(
            "Ask the organization's administrators to change {statement} so that it allows \
             bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on {PROFILE}"
        )
    );
}
