//! `audit --send security-hub` through the binary against moto's Security Hub: a dry run
//! sends nothing, `--yes` imports every finding once in batches of at most 100 and as the
//! account it names, a re-run updates the same findings, and a refused import (denied, or
//! findings Security Hub answers it did not take) is said and exits non-zero.

use serde_json::{Value, json};

use crate::audit::{compliant_account, emulator_python, valid_asff};
use crate::support::front::{Fault, Rule};
use crate::support::{ACCOUNT, Emulator, fixture};
use crate::{Run, plan_run, plan_steps};

const IMPORT: &str = "securityhub:BatchImportFindings";

/// `audit --output json --residency us` with `args`.
fn audit(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    plan_run(
        emulator
            .cmd()
            .args(["audit", "--residency", "us"])
            .args(args),
    )
}

/// The findings moto's Security Hub holds for `account` in `region`, read with boto3 as that
/// account (the caller's own, or through `arn:aws:iam::ACCOUNT:role/audit`).
pub(crate) fn held(emulator: &Emulator, region: &str, account: &str) -> Vec<Value> {
    let script = r#"
import json, sys
import boto3
ask = json.load(sys.stdin)
keys = dict(endpoint_url=ask["url"], region_name=ask["region"],
            aws_access_key_id="test", aws_secret_access_key="test")
if ask["role"]:
    c = boto3.client("sts", **keys).assume_role(RoleArn=ask["role"], RoleSessionName="check")["Credentials"]
    keys.update(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])
hub = boto3.client("securityhub", **keys)
print(json.dumps([f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]))
"#;
    let role = match account {
        ACCOUNT => Value::Null,
        other => json!(format!("arn:aws:iam::{other}:role/audit")),
    };
    let ask = json!({
        "url": emulator.moto.as_ref().unwrap().url,
        "region": region,
        "role": role,
    });
    let out = emulator_python(script, &ask.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The bodies of the BatchImportFindings requests that reached the front server.
fn imports(emulator: &Emulator) -> Vec<Vec<Value>> {
    emulator
        .front
        .requests()
        .iter()
        .filter(|r| r.key() == IMPORT)
        .map(|r| {
            let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            body["Findings"].as_array().unwrap().clone()
        })
        .collect()
}

fn ids(findings: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = findings
        .iter()
        .map(|f| f["Id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_dry_run_plans_every_batch_and_sends_nothing() {
    let emulator = Emulator::start();
    let (run, report) = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1",
            "--send",
            "security-hub",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 1, "logging is off here: {}", run.stderr);
    let plan = &report["plan"];
    assert_eq!(plan["confirmation"], "dry-run");
    let findings = report["findings"].as_array().unwrap().len();
    assert_eq!(
        plan["goal"],
        format!("import {findings} findings of 1 account into Security Hub in us-east-1")
    );
    let steps = plan_steps(&report);
    assert_eq!(steps, [(IMPORT.to_string(), "not-sent".to_string())]);
    let step = &plan["steps"][0];
    assert_eq!(
        step["summary"],
        format!(
            "import {findings} findings of account {ACCOUNT} into Security Hub in us-east-1 (batch 1 of 1)"
        )
    );
    assert_eq!(step["rerun"], "safe");
    let product = format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default");
    assert_eq!(step["resource"], product.as_str());
    assert_eq!(
        step["detail"].as_str().unwrap().lines().count(),
        findings,
        "the plan names each finding's Id"
    );
    assert_eq!(
        plan["permissions"],
        json!([{"action": IMPORT, "resource": product, "passed_to_service": null}])
    );
    assert_eq!(emulator.front.count(IMPORT), 0);
    assert!(crate::writes(&emulator).is_empty());
    assert!(held(&emulator, "us-east-1", ACCOUNT).is_empty());
    assert!(
        run.stderr.contains("Dry run: nothing was sent"),
        "{}",
        run.stderr
    );
}

#[test]
fn yes_imports_each_finding_once_in_batches_and_a_rerun_updates_the_same_ids() {
    let emulator = Emulator::start();
    // A finding each, so that the account has more than one batch's worth.
    for n in 0..20 {
        emulator.attach_to_dev(
            &format!("broad-{n}"),
            &json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]
            }),
        );
    }
    let (run, report) = audit(
        &emulator,
        &["--region", "all", "--send", "security-hub", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = report["findings"].as_array().unwrap().len();
    assert!(
        findings > 100,
        "{findings} findings: too few for two batches"
    );
    let batches = findings.div_ceil(100);
    assert_eq!(
        plan_steps(&report),
        vec![(IMPORT.to_string(), "done".to_string()); batches]
    );
    let sent = imports(&emulator);
    assert_eq!(sent.len(), batches, "one call per batch");
    assert!(sent.iter().all(|batch| batch.len() <= 100));
    let every: Vec<Value> = sent.concat();
    let first = ids(&every);
    let mut unique = first.clone();
    unique.dedup();
    assert_eq!(unique, first, "each finding sent once");
    assert_eq!(first.len(), findings);
    let stored = held(&emulator, "us-east-1", ACCOUNT);
    assert_eq!(stored.len(), findings);
    assert!(stored.iter().all(|f| f["AwsAccountId"] == ACCOUNT));
    assert!(
        run.stderr.contains(&format!(
            "Sent {findings} findings to Security Hub in {batches} batches"
        )),
        "{}",
        run.stderr
    );

    // Again, writing the ASFF of the same run: the same Ids, updated, and what Security Hub
    // now holds is, record for record, what --output asff wrote.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.asff");
    let again = Run::of(emulator.cmd().args([
        "audit",
        "--residency",
        "us",
        "--region",
        "all",
        "--output",
        "asff",
        "--out",
        path.to_str().unwrap(),
        "--send",
        "security-hub",
        "--yes",
    ]));
    assert_eq!(again.code, 1, "{}", again.stderr);
    let written = valid_asff(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(emulator.front.count(IMPORT), 2 * batches);
    let stored = held(&emulator, "us-east-1", ACCOUNT);
    assert_eq!(stored.len(), findings, "a re-run updates, never duplicates");
    assert_eq!(ids(&stored), first);
    for record in &written {
        let held = stored.iter().find(|f| f["Id"] == record["Id"]).unwrap();
        assert_eq!(held, record, "sent as --output asff writes it");
    }
}

#[test]
fn each_account_imports_its_own_findings_as_itself() {
    let emulator = Emulator::start();
    let accounts = ["111122223333", "444455556666"];
    let (run, report) = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1",
            "--role-arn",
            "arn:aws:iam::111122223333:role/audit",
            "--role-arn",
            "arn:aws:iam::444455556666:role/audit",
            "--send",
            "security-hub",
            "--yes",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let steps = report["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "one batch per account");
    assert!(steps.iter().all(|s| s["result"] == "done"), "{steps:#?}");
    // The accounts send at the same time: each batch is one account's, in either order.
    let mut batch_accounts: Vec<&str> = Vec::new();
    let batches = imports(&emulator);
    for batch in &batches {
        let account = batch[0]["AwsAccountId"].as_str().unwrap();
        assert!(batch.iter().all(|f| f["AwsAccountId"] == account));
        batch_accounts.push(account);
    }
    batch_accounts.sort();
    assert_eq!(batch_accounts, accounts);
    for account in accounts {
        let of_account: Vec<Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["account"] == account)
            .cloned()
            .collect();
        let stored = held(&emulator, "us-east-1", account);
        assert_eq!(stored.len(), of_account.len(), "{account}");
        assert!(
            stored.iter().all(|f| f["AwsAccountId"] == account),
            "{account} holds only its own findings"
        );
    }
    assert!(
        held(&emulator, "us-east-1", ACCOUNT).is_empty(),
        "the caller, not audited, imported nothing"
    );
}

#[test]
fn a_denied_import_names_the_permission_and_exits_3() {
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.on(IMPORT, Rule::Fault(Fault::AccessDenied));
    let (run, report) = audit(
        &emulator,
        &["--regions", "us-east-1", "--send", "security-hub", "--yes"],
    );
    assert_eq!(
        run.code, 3,
        "every control passed, the send failed: {}",
        run.stderr
    );
    let step = &report["plan"]["steps"][0];
    assert_eq!(step["result"], "failed");
    let error = step["error"].as_str().unwrap();
    assert!(
        error.starts_with("securityhub:BatchImportFindings was denied (AccessDeniedException"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "allow securityhub:BatchImportFindings on arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"
        )),
        "{error}"
    );
    assert_eq!(emulator.front.count(IMPORT), 1);
    assert!(held(&emulator, "us-east-1", ACCOUNT).is_empty());
    assert!(
        run.stderr.contains("Security Hub took 0 of"),
        "{}",
        run.stderr
    );
}

#[test]
fn findings_security_hub_answers_it_did_not_take_are_not_sent() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let args = ["--regions", "us-east-1", "--send", "security-hub"];
    let (_, planned) = audit(&emulator, &[&args[..], &["--dry-run"]].concat());
    let detail = planned["plan"]["steps"][0]["detail"].as_str().unwrap();
    let refused = detail.lines().next().unwrap();
    let total = detail.lines().count();

    // The model's answer with one refusal, naming a finding the run sends.
    let path = "securityhub/BatchImportFindings.partial.json";
    let mut answer: Value =
        serde_json::from_slice(&fixture(path).body).expect("the fixture is JSON");
    matches_botocore_output(&answer);
    answer["SuccessCount"] = json!(total - 1);
    answer["FailedFindings"][0]["Id"] = json!(refused);
    let mut partial = fixture(path);
    partial.body = answer.to_string().into();
    emulator.on(IMPORT, Rule::Fixture(partial));

    let (run, report) = audit(&emulator, &[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 3, "{}", run.stderr);
    let step = &report["plan"]["steps"][0];
    assert_eq!(step["result"], "failed");
    let error = step["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "1 of {total} findings were not imported: InvalidAccess: Account {ACCOUNT} is not subscribed to AWS Security Hub"
        )),
        "{error}"
    );
    assert!(
        error.contains("aws securityhub enable-security-hub --region us-east-1"),
        "{error}"
    );
    assert!(
        error.ends_with(&format!("{refused})")),
        "the refused finding is named: {error}"
    );
}

/// `answer` has only members of BatchImportFindings' output shape in botocore's securityhub
/// model, every required one, and each refusal every member `ImportFindingsError` requires.
#[test]
fn an_answer_whose_counts_do_not_add_up_is_not_taken_for_an_import() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let args = ["--regions", "us-east-1", "--send", "security-hub"];
    let path = "securityhub/BatchImportFindings.partial.json";
    let mut answer: Value = serde_json::from_slice(&fixture(path).body).unwrap();
    // Two failures counted, one listed: which findings were refused cannot be told.
    answer["FailedCount"] = json!(2);
    let mut miscounted = fixture(path);
    miscounted.body = answer.to_string().into();
    emulator.on(IMPORT, Rule::Fixture(miscounted));
    let (run, report) = audit(&emulator, &[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 3, "{}", run.stderr);
    let step = &report["plan"]["steps"][0];
    assert_eq!(step["result"], "failed", "{step:#}");
    assert!(
        step["error"]
            .as_str()
            .unwrap()
            .contains("answered 9 imported and 2 failed (1 listed)"),
        "{step:#}"
    );
}

fn matches_botocore_output(answer: &Value) {
    let check = r#"
import json, sys
import botocore.session
model = botocore.session.get_session().get_service_model('securityhub')
shape = model.operation_model('BatchImportFindings').output_shape
answer = json.load(sys.stdin)
assert set(answer) <= set(shape.members), set(answer) - set(shape.members)
assert set(shape.required_members) <= set(answer), shape.required_members
error = shape.members['FailedFindings'].member
for failed in answer['FailedFindings']:
    assert set(failed) <= set(error.members) and set(error.required_members) <= set(failed), failed
print('ok')
"#;
    let out = emulator_python(check, &answer.to_string());
    assert!(
        out.status.success(),
        "not BatchImportFindings' answer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn send_needs_dry_run_or_yes_and_they_need_send() {
    let emulator = Emulator::front_only();
    for args in [
        &["--send", "security-hub"][..],
        &["--send", "security-hub", "--dry-run", "--yes"],
        &["--dry-run"],
        &["--yes"],
        &["--send", "elsewhere", "--yes"],
    ] {
        let run = Run::of(emulator.cmd().arg("audit").args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    assert!(emulator.front.requests().is_empty(), "nothing was sent");
}
