//! `audit` through the binary against moto and the front server: a compliant account passes
//! every control, each control broken alone fails alone, regions are judged each on their own,
//! and `--regions all` passes over the regions where Bedrock is not used.

use serde_json::{Value, json};

use crate::support::front::Rule;
use crate::support::{Emulator, fixture};
use crate::{Run, plan_run};

fn audit(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    let mut cmd = emulator.cmd();
    cmd.args(["audit", "--output", "json"]).args(args);
    let run = Run::of(&mut cmd);
    let report = run.report();
    (run, report)
}

/// (check, kind, status, region) of every finding of the audit's own checks.
fn controls(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            !matches!(
                f["check"].as_str(),
                Some("credentials.resolve" | "identity.caller")
            )
        })
        .map(|f| {
            let code = f["code"].as_str().unwrap();
            (
                f["check"].as_str().unwrap().to_string(),
                code.rsplit('/').next().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["region"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn row(check: &str, kind: &str, status: &str, region: &str) -> (String, String, String, String) {
    (check.into(), kind.into(), status.into(), region.into())
}

/// An account with invocation logging set up in `regions` by this tool, kept 30 days.
fn logging_set_up(emulator: &Emulator, regions: &[&str], retention: &str) {
    let mut args = vec![
        "setup",
        "logging",
        "--log-group",
        "bedrock-invocations",
        "--create-role",
        "--retention-days",
        retention,
        "--yes",
    ];
    for region in regions {
        args.extend(["--region", region]);
    }
    let (run, _) = plan_run(emulator.cmd().args(&args));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

const COMPLIANT: [(&str, &str, &str); 7] = [
    ("logging.invocation", "enabled", "pass"),
    ("logging.retention", "kept", "pass"),
    ("logging.retention", "kept", "pass"),
    ("cloudtrail.trail", "covered", "pass"),
    ("cloudtrail.data-events", "selected", "pass"),
    ("iam.overbroad", "least-privilege", "pass"),
    ("iam.api-keys", "no-long-term-keys", "pass"),
];

fn compliant_in(region: &str) -> Vec<(String, String, String, String)> {
    COMPLIANT
        .iter()
        .map(|(check, kind, status)| {
            let regional = check.starts_with("logging.") || check.starts_with("cloudtrail.");
            row(check, kind, status, if regional { region } else { "" })
        })
        .collect()
}

/// An account meeting every control in `regions`: logging set up by this tool and kept
/// `retention` days, and its trail recording Bedrock's data events too.
fn compliant_account(regions: &[&str], retention: &str) -> Emulator {
    let emulator = Emulator::start();
    logging_set_up(&emulator, regions, retention);
    emulator.on(
        "cloudtrail:GetEventSelectors",
        Rule::Fixture(fixture("cloudtrail/GetEventSelectors.bedrock-data.json")),
    );
    emulator
}

#[test]
fn a_compliant_account_passes_every_control() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let before = emulator.front.requests().len();
    let (run, report) = audit(&emulator, &["--regions", "us-east-1"]);
    assert_eq!(
        controls(&report),
        compliant_in("us-east-1"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 0);
    assert_eq!(report["command"], "audit");
    assert_eq!(report["target"]["regions"], json!(["us-east-1"]));
    assert!(
        emulator.front.requests()[before..]
            .iter()
            .all(|r| !r.mutating),
        "an audit only reads"
    );
}

#[test]
fn each_control_broken_alone_fails_alone() {
    // Logging off in a second region: that region fails, the first still passes.
    let emulator = compliant_account(&["us-east-1"], "30");
    let (run, report) = audit(&emulator, &["--regions", "us-east-1,us-west-2"]);
    assert_eq!(run.code, 1);
    let got = controls(&report);
    assert!(got.contains(&row("logging.invocation", "enabled", "pass", "us-east-1")));
    assert!(got.contains(&row("logging.invocation", "off", "fail", "us-west-2")));
    let off = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "logging.invocation/off")
        .unwrap();
    assert_eq!(
        off["remediation"],
        "bedrock-preflight setup logging --region us-west-2 --log-group bedrock-invocations --create-role --yes"
    );

    // Text delivery off.
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.on(
        "bedrock:GetModelInvocationLoggingConfiguration",
        Rule::Fixture(fixture(
            "bedrock/GetModelInvocationLoggingConfiguration.text-off.json",
        )),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[0] = row(
        "logging.invocation",
        "text-not-delivered",
        "fail",
        "us-east-1",
    );
    assert_eq!(controls(&report), expect);

    // Logs kept a week.
    let emulator = compliant_account(&["us-east-1"], "7");
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[1] = row(
        "logging.retention",
        "retention-too-short",
        "fail",
        "us-east-1",
    );
    assert_eq!(controls(&report), expect);

    // The trail stopped; then logging, but with Bedrock excluded; then no trail at all.
    for (rule, fixture_file, kind) in [
        (
            "cloudtrail:GetTrailStatus",
            "cloudtrail/GetTrailStatus.stopped.json",
            "bedrock-not-recorded",
        ),
        (
            "cloudtrail:GetEventSelectors",
            "cloudtrail/GetEventSelectors.excludes-bedrock.json",
            "bedrock-not-recorded",
        ),
        (
            "cloudtrail:DescribeTrails",
            "cloudtrail/DescribeTrails.none.json",
            "no-trail",
        ),
    ] {
        let emulator = compliant_account(&["us-east-1"], "30");
        emulator.on(rule, Rule::Fixture(fixture(fixture_file)));
        let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
        let mut expect = compliant_in("us-east-1");
        expect[3] = row("cloudtrail.trail", kind, "fail", "us-east-1");
        // Data events count only on a logging trail.
        expect[4] = row(
            "cloudtrail.data-events",
            "not-selected",
            "warn",
            "us-east-1",
        );
        assert_eq!(controls(&report), expect, "{fixture_file}");
    }

    // Every Bedrock action granted to a user.
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.attach_to_dev(
        "bedrock-everything",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "All", "Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}
        ]}),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[5] = row("iam.overbroad", "broad-grant", "fail", "");
    assert_eq!(controls(&report), expect);
    let broad = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "iam.overbroad/broad-grant")
        .unwrap();
    assert_eq!(broad["resource"], "arn:aws:iam::123456789012:user/team/dev");
    assert_eq!(broad["evidence"]["statements"][0]["Sid"], "All");

    // An active long-term API key.
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.on(
        "iam:ListServiceSpecificCredentials",
        Rule::Match(
            vec![(
                "UserName=dev".into(),
                Rule::Fixture(fixture("iam/ListServiceSpecificCredentials.active.xml")),
            )],
            Box::new(Rule::Fixture(fixture(
                "iam/ListServiceSpecificCredentials.none.xml",
            ))),
        ),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[6] = row("iam.api-keys", "active-long-term-key", "fail", "");
    assert_eq!(
        controls(&report),
        expect,
        "one finding for the active key, none for the revoked"
    );
    let key = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "iam.api-keys/active-long-term-key")
        .unwrap();
    assert_eq!(key["resource"], "user/dev");
    assert_eq!(key["evidence"]["expires"], "never");

    // The same key, with its use denied by the user's own policy.
    emulator.attach_to_dev(
        "deny-long-term-api-keys",
        &serde_json::from_str(include_str!("../../policies/deny-long-term-api-keys.json")).unwrap(),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    assert!(
        controls(&report).contains(&row("iam.api-keys", "active-key-use-denied", "warn", "")),
        "{:?}",
        controls(&report)
    );
}

#[test]
fn with_all_regions_a_region_without_claude_is_not_in_use_unless_strict() {
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.on(
        "monitoring:GetMetricData",
        Rule::Fixture(fixture("cloudwatch/GetMetricData.none.json")),
    );
    emulator.on(
        "monitoring:GetMetricData@eu-west-1",
        Rule::Fixture(fixture("cloudwatch/GetMetricData.json")),
    );
    let before = emulator.front.requests().len();
    let (run, report) = audit(&emulator, &["--regions", "all"]);
    let logging: Vec<_> = controls(&report)
        .into_iter()
        .filter(|(check, ..)| check == "logging.invocation")
        .collect();
    let regions = report["target"]["regions"].as_array().unwrap().len();
    assert!(regions >= 16, "every commercial Bedrock region: {regions}");
    assert_eq!(logging.len(), regions);
    for (_, kind, status, region) in &logging {
        let expect = match region.as_str() {
            "us-east-1" => ("enabled", "pass"),
            // Claude is invoked there, with no logging.
            "eu-west-1" => ("off", "fail"),
            _ => ("region-not-in-use", "skip"),
        };
        assert_eq!((kind.as_str(), status.as_str()), expect, "{region}");
    }
    assert_eq!(run.code, 1);
    let reads = emulator.front.requests()[before..]
        .iter()
        .filter(|r| r.key() == "bedrock:GetModelInvocationLoggingConfiguration")
        .count();
    assert_eq!(reads, regions, "each region read once");

    let (_, report) = audit(&emulator, &["--regions", "all", "--strict"]);
    let skipped = controls(&report)
        .into_iter()
        .filter(|(check, _, status, _)| check == "logging.invocation" && status == "skip")
        .count();
    assert_eq!(skipped, 0, "--strict judges every region");
}

#[test]
fn bad_regions_and_options_not_built_are_usage_errors() {
    let emulator = Emulator::start();
    for args in [
        &["audit", "--regions", "us-east-1,not a region"][..],
        &[
            "audit",
            "--regions",
            "us-east-1",
            "--role-arn",
            "arn:aws:iam::111122223333:role/audit",
        ],
        &["audit", "--regions", "us-east-1", "--residency", "eu"],
    ] {
        let run = Run::of(emulator.cmd().args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    assert!(emulator.front.requests().is_empty(), "nothing sent");
}
