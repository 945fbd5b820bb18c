//! `audit-role`, the read-only role `audit --org` assumes in each account, through the binary:
//! rendered for the aws CLI and as a CloudFormation template that moto's CloudFormation
//! deploys, its variables refused before any AWS call, and `policy apply` refusing it.

use serde_json::{Value, json};

use crate::Run;
use crate::audit::emulator_python;
use crate::support::{ACCOUNT, Emulator};

fn policy(emulator: &Emulator, args: &[&str]) -> Run {
    Run::of(
        emulator
            .cmd()
            .args(["policy"])
            .args(args)
            .args(["--output", "json"]),
    )
}

/// preflight-readonly without doctor's zero-token probe, which it must have had: an audit
/// role may not invoke models.
fn without_probe(mut readonly: Value) -> Value {
    let statements = readonly["Statement"].as_array_mut().unwrap();
    let before = statements.len();
    statements.retain(|s| s["Sid"] != "PreflightZeroTokenProbe");
    assert_eq!(statements.len(), before - 1, "{readonly:#}");
    readonly
}

fn json_of(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn the_role_renders_for_the_aws_cli_with_and_without_an_external_id() {
    let emulator = Emulator::start();
    let readonly = without_probe(json_of(&policy(
        &emulator,
        &["render", "preflight-readonly"],
    )));
    let role = json_of(&policy(&emulator, &["render", "audit-role"]));
    let keys: Vec<&str> = role
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "RoleName",
            "Description",
            "AssumeRolePolicyDocument",
            "PolicyName",
            "PolicyDocument"
        ],
        "create-role's input, then put-role-policy's"
    );
    assert_eq!(role["RoleName"], "bedrock-preflight-audit");
    assert_eq!(role["PolicyName"], "preflight-audit");
    assert_eq!(
        role["PolicyDocument"], readonly,
        "preflight-readonly, but the probe's invoke"
    );
    let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        trust["Principal"],
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        "the caller's account by default"
    );
    assert_eq!(trust["Action"], "sts:AssumeRole");
    assert!(
        trust.get("Condition").is_none(),
        "no external ID, no condition"
    );

    // Every variable the live account would fill is given: nothing is sent.
    emulator.front.reset();
    let with = json_of(&policy(
        &emulator,
        &[
            "render",
            "audit-role",
            "--var",
            "auditing_account=111122223333",
            "--var",
            "partition=aws-us-gov",
            "--var",
            "external_id=org-audit:2026/q3",
            "--var",
            "role_name=auditor",
        ],
    ));
    assert!(emulator.front.requests().is_empty());
    assert_eq!(with["RoleName"], "auditor");
    let trust = &with["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        trust["Principal"]["AWS"],
        "arn:aws-us-gov:iam::111122223333:root"
    );
    assert_eq!(
        trust["Condition"],
        json!({"StringEquals": {"sts:ExternalId": "org-audit:2026/q3"}})
    );
    assert!(
        with["Description"]
            .as_str()
            .unwrap()
            .contains("111122223333")
    );
}

#[test]
fn list_show_and_validate_know_the_role() {
    let emulator = Emulator::start();
    let list = json_of(&policy(&emulator, &["list"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "audit-role")
    );
    let shown = json_of(&policy(&emulator, &["show", "audit-role"]));
    assert_eq!(shown["role"]["name"], "{{role_name}}");
    assert_eq!(
        shown["trust_document"]["Statement"][0]["Principal"]["AWS"],
        "arn:{{partition}}:iam::{{auditing_account}}:root"
    );
    let variable = |name: &str| {
        shown["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(variable("auditing_account")["source"], "caller");
    assert_eq!(variable("external_id")["optional"], true);
    assert_eq!(variable("role_name")["default"], "bedrock-preflight-audit");

    for vars in [&[][..], &["--var", "external_id=org-audit"][..]] {
        let run = policy(&emulator, &[&["validate", "audit-role"][..], vars].concat());
        let validation = json_of(&run);
        assert_eq!(validation["valid"], true, "{validation:#}");
        // preflight-readonly is over a user's 2,048 inline characters, a warning; nothing
        // about the trust policy.
        let problems = validation["problems"].as_array().unwrap();
        assert!(
            problems
                .iter()
                .all(|p| p["severity"] == "warning" && p["statement"].is_null()),
            "{vars:?}: {problems:#?}"
        );
    }
}

#[test]
fn bad_variables_and_apply_are_refused_in_one_line_before_any_call() {
    let emulator = Emulator::front_only();
    for (args, names) in [
        (
            &["render", "audit-role", "--var", "auditing_account=12345"][..],
            "12-digit",
        ),
        (
            &[
                "render",
                "audit-role",
                "--var",
                "external_id=has a space",
                "--format",
                "cloudformation",
            ][..],
            "external_id",
        ),
        (
            &["render", "audit-role", "--var", "partition=aws-moon"][..],
            "partition",
        ),
        (
            &["validate", "audit-role", "--var", "role_name=a/b"][..],
            "role_name",
        ),
        (
            &["apply", "audit-role", "--attach-to", "role/dev", "--yes"][..],
            "StackSet",
        ),
    ] {
        let run = policy(&emulator, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(names), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(
            !run.stderr.contains("has a space"),
            "the external ID is not echoed"
        );
    }
    assert!(emulator.front.requests().is_empty());
}

/// Creates each (stack name, template, parameters) in moto's CloudFormation and reads back
/// the role each made: its name, trust, inline policies and the stack's outputs.
fn deploy_in_moto(emulator: &Emulator, stacks: &[(&str, &Value, Value)]) -> Vec<Value> {
    let script = r#"
import ast, json, sys, boto3
spec = json.load(sys.stdin)
client = dict(endpoint_url=spec["endpoint"], region_name="us-east-1",
              aws_access_key_id="test", aws_secret_access_key="test")
cfn = boto3.client("cloudformation", **client)
iam = boto3.client("iam", **client)
out = []
for stack in spec["stacks"]:
    cfn.create_stack(StackName=stack["name"], TemplateBody=stack["template"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                 for k, v in stack["parameters"].items()],
                     Capabilities=["CAPABILITY_NAMED_IAM"])
    described = cfn.describe_stacks(StackName=stack["name"])["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    name = outputs["RoleArn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=name)["Role"]
    policies = {}
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        # moto keeps a policy a stack made as the Python dict's repr.
        policies[policy] = ast.literal_eval(document) if isinstance(document, str) else document
    out.append({"status": described["StackStatus"], "outputs": outputs,
                "name": role["RoleName"], "trust": role["AssumeRolePolicyDocument"],
                "policies": policies})
print(json.dumps(out))
"#;
    let spec = json!({
        "endpoint": emulator.moto.as_ref().unwrap().url,
        "stacks": stacks.iter().map(|(name, template, parameters)| json!({
            "name": name,
            "template": template.to_string(),
            "parameters": parameters,
        })).collect::<Vec<_>>(),
    });
    let out = emulator_python(script, &spec.to_string());
    assert!(
        out.status.success(),
        "moto's CloudFormation refused the template:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_cloudformation_template_deploys_the_role_in_moto() {
    let emulator = Emulator::start();
    let readonly = without_probe(json_of(&policy(
        &emulator,
        &["render", "preflight-readonly"],
    )));
    let plain = json_of(&policy(
        &emulator,
        &["render", "audit-role", "--format", "cloudformation"],
    ));
    let with_id = json_of(&policy(
        &emulator,
        &[
            "render",
            "audit-role",
            "--format",
            "cloudformation",
            "--var",
            "external_id=org-audit-7",
            "--var",
            "role_name=auditor-with-id",
            "--var",
            "auditing_account=111122223333",
        ],
    ));
    assert_eq!(
        with_id["Parameters"]["AuditingAccountId"]["Default"],
        "111122223333"
    );
    let deployed = deploy_in_moto(
        &emulator,
        &[
            ("plain", &plain, json!({})),
            ("with-id", &with_id, json!({})),
            // A StackSet's parameter overrides: the external ID's condition follows them.
            (
                "overridden",
                &plain,
                json!({"ExternalId": "set-at-deploy", "RoleName": "auditor-overridden"}),
            ),
        ],
    );
    let statement = |i: usize| deployed[i]["trust"]["Statement"][0].clone();
    for role in &deployed {
        assert_eq!(role["status"], "CREATE_COMPLETE");
        assert_eq!(
            role["policies"],
            json!({"preflight-audit": readonly}),
            "the inline policy is preflight-readonly, but the probe's invoke"
        );
        assert_eq!(
            role["outputs"]["RoleArn"],
            format!(
                "arn:aws:iam::{ACCOUNT}:role/{}",
                role["name"].as_str().unwrap()
            )
        );
    }
    assert_eq!(deployed[0]["name"], "bedrock-preflight-audit");
    assert_eq!(
        statement(0)["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert!(statement(0).get("Condition").is_none(), "{}", statement(0));
    assert_eq!(deployed[1]["name"], "auditor-with-id");
    assert_eq!(
        statement(1)["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(
        statement(1)["Condition"],
        json!({"StringEquals": {"sts:ExternalId": "org-audit-7"}})
    );
    assert_eq!(deployed[2]["name"], "auditor-overridden");
    assert_eq!(
        statement(2)["Condition"],
        json!({"StringEquals": {"sts:ExternalId": "set-at-deploy"}})
    );
}

#[test]
fn a_policy_template_renders_as_a_managed_policy_stack() {
    let emulator = Emulator::start();
    let document = json_of(&policy(&emulator, &["render", "deny-long-term-api-keys"]));
    let stack = json_of(&policy(
        &emulator,
        &[
            "render",
            "deny-long-term-api-keys",
            "--format",
            "cloudformation",
        ],
    ));
    assert_eq!(stack["AWSTemplateFormatVersion"], "2010-09-09");
    let resource = &stack["Resources"]["Policy"];
    assert_eq!(resource["Type"], "AWS::IAM::ManagedPolicy");
    assert_eq!(resource["Properties"]["PolicyDocument"], document);
    let terraform = Run::of(emulator.cmd().args([
        "policy",
        "render",
        "deny-long-term-api-keys",
        "--format",
        "terraform",
    ]));
    assert_eq!(terraform.code, 0, "{}", terraform.stderr);
    assert!(
        terraform
            .stdout
            .contains("resource \"aws_iam_policy\" \"this\""),
        "{}",
        terraform.stdout
    );
}

#[test]
fn the_json_is_what_create_role_and_put_role_policy_take() {
    let emulator = Emulator::front_only();
    let run = policy(
        &emulator,
        &[
            "render",
            "audit-role",
            "--var",
            "auditing_account=111122223333",
            "--var",
            "partition=aws",
            "--var",
            "external_id=org-audit-7",
        ],
    );
    json_of(&run);
    // The README's jq steps (each document through `tojson`), held to botocore's model of
    // the two operations as the aws CLI holds its --cli-input-json.
    let check = r#"
import json, sys, botocore.session
from botocore.validate import validate_parameters
role = json.load(sys.stdin)
iam = botocore.session.get_session().get_service_model("iam")
for operation, keys, document in [
    ("CreateRole", ["RoleName", "Description"], "AssumeRolePolicyDocument"),
    ("PutRolePolicy", ["RoleName", "PolicyName"], "PolicyDocument"),
]:
    given = {key: role[key] for key in keys}
    given[document] = json.dumps(role[document], separators=(",", ":"))
    validate_parameters(given, iam.operation_model(operation).input_shape)
print("valid")
"#;
    let out = emulator_python(check, &run.stdout);
    assert!(
        out.status.success(),
        "not create-role's or put-role-policy's input:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(emulator.front.requests().is_empty());
}
