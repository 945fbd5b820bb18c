//! `audit --org` through the binary against moto's organization and cross-account roles: each
//! account judged on its own state through its role, the management account through the
//! caller's own credentials, an account that cannot be reached one error, the listing's
//! states, pages and refusals, `--ou`, `--accounts`, `--exclude-accounts`, `--external-id`
//! and the bound on how many accounts are audited at once.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Run;
use crate::support::front::{Fault, Fixture, Rule};
use crate::support::{Emulator, fixture};

const MANAGEMENT: &str = "123456789012";

/// An organization in moto, the caller's account its management account, with a member
/// account per name; the members' IDs in the order named.
fn organization(emulator: &Emulator, names: &[&str]) -> Vec<String> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    emulator.on_moto("us-east-1", |config| async move {
        let org = aws_sdk_organizations::Client::new(&config);
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .expect("create the organization");
        let mut ids = Vec::new();
        for name in &names {
            let created = org
                .create_account()
                .account_name(name)
                .email(format!("{name}@example.com"))
                .send()
                .await
                .expect("create an account");
            ids.push(
                created
                    .create_account_status
                    .and_then(|s| s.account_id)
                    .expect("moto names the new account"),
            );
        }
        ids
    })
}

/// An account with invocation logging set up in us-east-1 by this tool, kept 30 days, as
/// `credentials` (environment variables) sign.
fn logging_set_up_as(emulator: &Emulator, credentials: &[(&str, String)]) {
    let mut cmd = emulator.cmd();
    cmd.args([
        "setup",
        "logging",
        "--log-group",
        "bedrock-invocations",
        "--create-role",
        "--retention-days",
        "30",
        "--region",
        "us-east-1",
        "--yes",
    ]);
    for (name, value) in credentials {
        cmd.env(name, value);
    }
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Credentials of a role in `account`, from moto's STS (which lets any role be assumed).
fn credentials_in(emulator: &Emulator, account: &str) -> Vec<(&'static str, String)> {
    let role = format!("arn:aws:iam::{account}:role/seed");
    emulator.on_moto("us-east-1", |config| async move {
        let sts = aws_sdk_sts::Client::new(&config);
        let keys = sts
            .assume_role()
            .role_arn(role)
            .role_session_name("seed")
            .send()
            .await
            .expect("assume a role in moto")
            .credentials
            .expect("credentials");
        vec![
            ("AWS_ACCESS_KEY_ID", keys.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key),
            ("AWS_SESSION_TOKEN", keys.session_token),
        ]
    })
}

/// The management account compliant, with the trail selectors every account reads.
fn compliant_management() -> Emulator {
    let emulator = Emulator::start();
    logging_set_up_as(&emulator, &[]);
    emulator.on(
        "cloudtrail:GetEventSelectors",
        Rule::Fixture(fixture("cloudtrail/GetEventSelectors.bedrock-data.json")),
    );
    emulator
}

fn audit(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    let mut cmd = emulator.cmd();
    cmd.args(["audit", "--output", "json", "--regions", "us-east-1"])
        .args(args);
    let run = Run::of(&mut cmd);
    let report = if run.stdout.is_empty() {
        Value::Null
    } else {
        run.report()
    };
    (run, report)
}

/// AssumeRole of `role` denied, every other role assumed by moto.
pub(crate) fn refuse_assuming(emulator: &Emulator, role: &str) {
    emulator.on(
        "sts:AssumeRole",
        Rule::Match(
            vec![(format!("RoleArn={role}"), Rule::Fault(Fault::AccessDenied))],
            Box::new(Rule::Forward),
        ),
    );
}

/// `code status` of each finding of `account`.
pub(crate) fn of(report: &Value, account: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account"] == account)
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["status"].as_str().unwrap()
            )
        })
        .collect()
}

fn has(findings: &[String], entry: &str) -> bool {
    findings.iter().any(|f| f == entry)
}

/// The report's per-account summaries by account ID.
fn summaries(report: &Value) -> Vec<(String, Value, Value)> {
    report["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no accounts in {report:#}"))
        .iter()
        .map(|a| {
            (
                a["account"].as_str().unwrap().to_string(),
                a["role"].clone(),
                a["summary"].clone(),
            )
        })
        .collect()
}

#[test]
fn every_account_of_the_organization_is_judged_through_its_role() {
    let emulator = compliant_management();
    let ids = organization(&emulator, &["compliant", "open", "refused"]);
    let (compliant, open, refused) = (&ids[0], &ids[1], &ids[2]);
    logging_set_up_as(&emulator, &credentials_in(&emulator, compliant));
    let refused_role = format!("arn:aws:iam::{refused}:role/audit");
    refuse_assuming(&emulator, &refused_role);
    emulator.front.clear_log();

    let (run, report) = audit(&emulator, &["--org", "--role-name", "audit"]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut expected: Vec<&str> = vec![MANAGEMENT, compliant, open, refused];
    expected.sort();
    assert_eq!(report["scope"]["accounts"], json!(expected), "{report:#}");
    let management = of(&report, MANAGEMENT);
    assert!(
        has(&management, "logging.invocation/enabled pass"),
        "{management:?}"
    );
    assert!(
        has(&management, "identity.caller/identified pass"),
        "{management:?}"
    );
    let compliant_findings = of(&report, compliant);
    assert!(
        has(&compliant_findings, "logging.invocation/enabled pass"),
        "the member's own logging, read through its role: {compliant_findings:?}"
    );
    let open_findings = of(&report, open);
    assert!(
        has(&open_findings, "logging.invocation/off fail"),
        "{open_findings:?}"
    );
    assert_eq!(
        of(&report, refused),
        ["credentials.resolve/role-not-assumed error"],
        "the account that cannot be reached is one error, and the rest completes"
    );
    let not_assumed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"] == refused.as_str())
        .unwrap();
    assert_eq!(not_assumed["resource"], refused_role.as_str());
    assert!(
        not_assumed["remediation"]
            .as_str()
            .unwrap()
            .contains(&format!("--exclude-accounts {refused}")),
        "{not_assumed:#}"
    );

    // One summary per account, the management account reached with the caller's own
    // credentials and each member through the role; each summary counts its own findings.
    let summaries = summaries(&report);
    assert_eq!(
        summaries
            .iter()
            .map(|(id, ..)| id.as_str())
            .collect::<Vec<_>>(),
        expected
    );
    for (id, role, summary) in &summaries {
        if id == MANAGEMENT {
            assert_eq!(role, &Value::Null);
        } else {
            assert_eq!(role, &json!(format!("arn:aws:iam::{id}:role/audit")));
        }
        let count = |status: &str| {
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["account"] == id.as_str() && f["status"] == status)
                .count()
        };
        for status in ["pass", "warn", "fail", "error", "skip"] {
            assert_eq!(summary[status], json!(count(status)), "{id} {status}");
        }
    }
    let front = &emulator.front;
    assert_eq!(front.count("organizations:ListAccounts"), 1);
    assert_eq!(
        front.count("sts:AssumeRole"),
        3,
        "each member's role assumed once, the management account's own credentials used"
    );
}

#[test]
fn the_table_has_a_line_per_account_before_the_findings() {
    let emulator = compliant_management();
    let ids = organization(&emulator, &["open"]);
    let mut cmd = emulator.cmd();
    cmd.args([
        "audit",
        "--regions",
        "us-east-1",
        "--org",
        "--role-name",
        "audit",
    ])
    .env("COLUMNS", "160");
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let line_of = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in\n{}", run.stdout))
    };
    let header = line_of("Reached as");
    let member = line_of("role/audit");
    assert!(lines[member].contains(&ids[0]), "{}", lines[member]);
    assert!(lines[line_of("own credentials")].contains(MANAGEMENT));
    assert!(
        header < member && member < line_of("logging.invocation"),
        "{}",
        run.stdout
    );
}

#[test]
fn accounts_narrow_the_organization_and_exclusions_remove_some() {
    let emulator = compliant_management();
    let ids = organization(&emulator, &["a", "b", "c"]);
    emulator.front.clear_log();
    let unknown = "999999999999";
    let (run, report) = audit(
        &emulator,
        &[
            "--org",
            "--role-name",
            "audit",
            "--accounts",
            &format!("{},{},{unknown}", ids[0], ids[1]),
            "--exclude-accounts",
            &ids[1],
        ],
    );
    assert_eq!(
        report["scope"]["accounts"],
        json!([ids[0]]),
        "only what was examined: {}",
        run.stderr
    );
    let listed: Vec<String> = summaries(&report).into_iter().map(|(id, ..)| id).collect();
    assert_eq!(
        listed,
        [ids[0].as_str(), unknown],
        "the unknown account has its line"
    );
    assert_eq!(
        of(&report, unknown),
        ["credentials.resolve/account-not-in-organization error"]
    );
    assert_eq!(emulator.front.count("sts:AssumeRole"), 1);
}

#[test]
fn accounts_without_org_are_reached_without_listing_the_organization() {
    let emulator = compliant_management();
    emulator.front.clear_log();
    let (run, report) = audit(
        &emulator,
        &[
            "--role-name",
            "audit",
            "--accounts",
            &format!("111122223333,{MANAGEMENT}"),
            "--external-id",
            "preflight-2026",
        ],
    );
    assert_eq!(
        report["scope"]["accounts"],
        json!(["111122223333", MANAGEMENT]),
        "{}",
        run.stderr
    );
    let front = &emulator.front;
    assert_eq!(front.count("organizations:ListAccounts"), 0);
    let assumed: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.key() == "sts:AssumeRole")
        .collect();
    assert_eq!(assumed.len(), 1, "the caller's own account is not assumed");
    let body = assumed[0].body.clone().unwrap_or_default();
    assert!(body.contains("ExternalId=preflight-2026"), "{body}");
    assert!(
        body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Faudit"),
        "{body}"
    );
}

/// A ListAccounts (or ListAccountsForParent) page shaped as botocore's organizations model
/// has it: (ID, name, State, Status) of each account.
pub fn accounts_page(
    accounts: &[(&str, &str, Option<&str>, Option<&str>)],
    next: Option<&str>,
) -> Fixture {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|(id, name, state, status)| {
            let mut account = json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::{MANAGEMENT}:account/o-exampleorgid/{id}"),
                "Email": format!("{name}@example.com"),
                "Name": name,
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": 1.7e9
            });
            if let Some(state) = state {
                account["State"] = json!(state);
            }
            if let Some(status) = status {
                account["Status"] = json!(status);
            }
            account
        })
        .collect();
    let mut body = json!({ "Accounts": accounts });
    if let Some(next) = next {
        body["NextToken"] = json!(next);
    }
    json_fixture(&body)
}

/// A ListOrganizationalUnitsForParent page of these units.
pub fn units_page(units: &[&str]) -> Fixture {
    let units: Vec<Value> = units
        .iter()
        .map(|id| {
            json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::{MANAGEMENT}:ou/o-exampleorgid/{id}"),
                "Name": id
            })
        })
        .collect();
    json_fixture(&json!({ "OrganizationalUnits": units }))
}

fn json_fixture(body: &Value) -> Fixture {
    Fixture {
        status: 200,
        content_type: "application/x-amz-json-1.1".into(),
        headers: Vec::new(),
        body: serde_json::to_vec(body).unwrap().into(),
    }
}

#[test]
fn every_page_is_read_and_an_account_not_active_is_not_audited() {
    let emulator = compliant_management();
    emulator.on(
        "organizations:ListAccounts",
        Rule::Pages(vec![
            accounts_page(
                &[
                    (MANAGEMENT, "management", Some("ACTIVE"), Some("ACTIVE")),
                    (
                        "222200000001",
                        "suspended",
                        Some("SUSPENDED"),
                        Some("SUSPENDED"),
                    ),
                    ("222200000002", "closed", Some("CLOSED"), None),
                ],
                Some("page-2"),
            ),
            accounts_page(
                &[
                    // Before State existed, Status alone said it.
                    ("222200000003", "status-only", None, Some("ACTIVE")),
                    (
                        "222200000004",
                        "new-state",
                        Some("MIGRATING"),
                        Some("ACTIVE"),
                    ),
                ],
                None,
            ),
        ]),
    );
    emulator.front.clear_log();
    let (run, report) = audit(&emulator, &["--org", "--role-name", "audit"]);
    assert_eq!(emulator.front.count("organizations:ListAccounts"), 2);
    assert_eq!(
        of(&report, "222200000001"),
        ["credentials.resolve/account-suspended error"],
        "{}",
        run.stderr
    );
    assert_eq!(
        of(&report, "222200000002"),
        ["credentials.resolve/account-inactive skip"]
    );
    assert_eq!(
        of(&report, "222200000004"),
        ["credentials.resolve/account-state-unrecognized error"],
        "a state this version does not know is not audited as if active"
    );
    assert!(has(
        &of(&report, "222200000003"),
        "identity.caller/identified pass"
    ));
    assert_eq!(
        emulator.front.count("sts:AssumeRole"),
        1,
        "only the active member is assumed"
    );
    let listed: Vec<String> = summaries(&report).into_iter().map(|(id, ..)| id).collect();
    assert_eq!(listed.len(), 5, "{listed:?}");
}

#[test]
fn an_organization_that_cannot_be_listed_is_one_error_and_a_valid_report() {
    let emulator = compliant_management();
    emulator.on(
        "organizations:ListAccounts",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.front.clear_log();
    let (run, report) = audit(&emulator, &["--org", "--role-name", "audit"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0]["code"],
        "credentials.resolve/accounts-not-listed"
    );
    assert_eq!(findings[0]["account"], MANAGEMENT);
    assert!(
        findings[0]["remediation"]
            .as_str()
            .unwrap()
            .contains("organizations:ListAccounts"),
        "{:#}",
        findings[0]
    );
    assert_eq!(emulator.front.count("sts:AssumeRole"), 0);
}

#[test]
fn an_organizational_unit_covers_the_units_below_it() {
    let emulator = compliant_management();
    let ids = organization(&emulator, &["outside", "in-unit", "in-child"]);
    let moved = ids.clone();
    let unit = emulator.on_moto("us-east-1", |config| async move {
        let org = aws_sdk_organizations::Client::new(&config);
        let root = org.list_roots().send().await.unwrap().roots.unwrap()[0]
            .id
            .clone()
            .unwrap();
        let unit = |parent: String, name: &'static str| {
            let org = org.clone();
            async move {
                org.create_organizational_unit()
                    .parent_id(parent)
                    .name(name)
                    .send()
                    .await
                    .unwrap()
                    .organizational_unit
                    .unwrap()
                    .id
                    .unwrap()
            }
        };
        let team = unit(root.clone(), "team").await;
        let child = unit(team.clone(), "child").await;
        for (account, to) in [(&moved[1], &team), (&moved[2], &child)] {
            org.move_account()
                .account_id(account)
                .source_parent_id(&root)
                .destination_parent_id(to)
                .send()
                .await
                .unwrap();
        }
        team
    });
    let (run, report) = audit(&emulator, &["--org", "--role-name", "audit", "--ou", &unit]);
    let mut expected = vec![ids[1].as_str(), ids[2].as_str()];
    expected.sort();
    assert_eq!(
        report["scope"]["accounts"],
        json!(expected),
        "{}",
        run.stderr
    );
}

/// The spans of time (arrived, answered) of each request of `operation`.
fn spans(emulator: &Emulator, operation: &str) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = emulator
        .front
        .requests()
        .into_iter()
        .filter(|r| r.key() == operation)
        .map(|r| (r.arrived_ms, r.answered_ms))
        .collect();
    spans.sort();
    spans
}

#[test]
fn max_concurrency_bounds_the_accounts_audited_at_once() {
    let emulator = compliant_management();
    organization(&emulator, &["a", "b", "c"]);
    // Each account asks STS who it is once, early in its audit: slowed down, the calls of
    // accounts audited together overlap, and those of accounts audited one after another
    // cannot.
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Delay(Duration::from_millis(300), Box::new(Rule::Forward)),
    );
    let overlapping = |spans: &[(u64, u64)]| spans.windows(2).any(|w| w[1].0 < w[0].1);

    emulator.front.clear_log();
    let (run, _) = audit(
        &emulator,
        &["--org", "--role-name", "audit", "--max-concurrency", "1"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let one_at_a_time = spans(&emulator, "sts:GetCallerIdentity");
    assert_eq!(one_at_a_time.len(), 4, "{one_at_a_time:?}");
    assert!(!overlapping(&one_at_a_time), "{one_at_a_time:?}");

    emulator.front.clear_log();
    let (run, _) = audit(&emulator, &["--org", "--role-name", "audit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let together = spans(&emulator, "sts:GetCallerIdentity");
    assert!(overlapping(&together), "{together:?}");

    // The bound counts account-region pairs: four regions in four pairs are one account at a
    // time, in sixteen every account at once.
    let four_regions = ["--regions", "us-west-2,eu-west-1,ap-northeast-1"];
    for (bound, overlap) in [("4", false), ("16", true)] {
        emulator.front.clear_log();
        let args = [
            &["--org", "--role-name", "audit", "--max-concurrency", bound][..],
            &four_regions,
        ]
        .concat();
        let (run, _) = audit(&emulator, &args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let spans = spans(&emulator, "sts:GetCallerIdentity");
        assert_eq!(spans.len(), 4, "{spans:?}");
        assert_eq!(
            overlapping(&spans),
            overlap,
            "--max-concurrency {bound}: {spans:?}"
        );
    }
}

#[test]
fn organization_flags_that_cannot_work_are_usage_errors() {
    let emulator = Emulator::front_only();
    for (args, says) in [
        (vec!["--org"], "--role-name"),
        (
            vec!["--ou", "ou-ab12-cd34ef56", "--role-name", "a"],
            "--org",
        ),
        (
            vec!["--exclude-accounts", "111122223333", "--role-name", "a"],
            "--org",
        ),
        (vec!["--accounts", "111122223333"], "--role-name"),
        (
            vec![
                "--org",
                "--role-name",
                "a",
                "--role-arn",
                "arn:aws:iam::111122223333:role/a",
            ],
            "--role-arn",
        ),
        (
            vec!["--org", "--role-name", "a", "--accounts", "12345"],
            "12345",
        ),
        (vec!["--org", "--role-name", "a b"], "role name"),
        (
            vec!["--org", "--role-name", "a", "--ou", "ou-BAD"],
            "ou-BAD",
        ),
        (
            vec!["--org", "--role-name", "a", "--max-concurrency", "0"],
            "0",
        ),
        (
            vec!["--org", "--role-name", "a", "--external-id", "x"],
            "external ID",
        ),
        // A role name with no account to use it in would audit nothing and pass.
        (vec!["--role-name", "a"], "--org"),
        (
            vec![
                "--role-name",
                "a",
                "--accounts",
                "111122223333",
                "--role-arn",
                "arn:aws:iam::111122223333:role/a",
            ],
            "--role-arn",
        ),
        (vec!["--external-id", "abc"], "--role-name"),
    ] {
        let mut cmd = emulator.cmd();
        cmd.arg("audit").args(&args);
        let run = Run::of(&mut cmd);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(
            emulator.front.requests().is_empty(),
            "{args:?} sent a request"
        );
    }
    let mut cmd = emulator.cmd();
    cmd.args([
        "audit",
        "--org",
        "--role-name",
        "a",
        "--external-id",
        "not so secret!",
    ]);
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 2);
    assert!(
        !run.stderr.contains("not so secret"),
        "an external ID is not repeated: {}",
        run.stderr
    );
}

#[test]
fn an_organizations_findings_go_to_security_hub_each_as_its_account() {
    let emulator = compliant_management();
    let ids = organization(&emulator, &["member", "refused"]);
    refuse_assuming(&emulator, &format!("arn:aws:iam::{}:role/audit", ids[1]));
    let (run, report) = audit(
        &emulator,
        &[
            "--org",
            "--role-name",
            "audit",
            "--send",
            "security-hub",
            "--yes",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let steps = report["plan"]["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["result"] == "done"), "{steps:#?}");
    let count = |account: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["account"] == account)
            .count()
    };
    for account in [MANAGEMENT, ids[0].as_str()] {
        let held = crate::send::held(&emulator, "us-east-1", account);
        assert_eq!(held.len(), count(account), "{account}");
        assert!(
            held.iter().all(|f| f["AwsAccountId"] == account),
            "{account}"
        );
    }
    assert_eq!(
        steps.len(),
        2,
        "a batch for the management account and for the member; none for the account never reached: {steps:#?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "this run has no credentials of account {}",
            ids[1]
        )),
        "the unreached account's finding is said to be left out: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 finding was left out"),
        "{}",
        run.stderr
    );
}
