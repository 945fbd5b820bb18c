//! The fault matrix: every read the tool sends (the operation catalog's reads, so a new
//! operation joins the matrix by being catalogued) under each fault the front server can
//! play: throttling past retries, HTTP 500 and access denied (each with the service's own error
//! codes), a malformed body, and an answer slower than `--timeout`. For each, the run completes
//! with a valid report, an `error` names the read (or, for the reads whose failure has a
//! documented fallback, the fallback says so), exactly the checks that read it end in `error`
//! (`READERS`: a fault that leaks into another check fails the test), every other check keeps
//! its verdict or skips for a dependency that failed to run, the exit code is the report's, and
//! nothing panics.
//!
//! Scenarios are the commands and account states in which the reads are sent; each read is
//! faulted in the first scenario found to send it, and a catalogued read that no scenario sends
//! fails the test.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bedrock_preflight::aws::catalog::{ALL, Access};
use serde_json::Value;

use crate::Run;
use crate::org::{accounts_page, units_page};
use crate::support::front::{Fault, Rule, load_scenario};
use crate::support::{Emulator, fixture};

struct Scenario {
    name: &'static str,
    args: &'static [&'static str],
    setup: fn(&Emulator),
}

fn invoke_policy(emulator: &Emulator) {
    emulator.attach_to_dev(
        "claude-invoke",
        &serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Invoke", "Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": "*"}]}),
    );
}

fn list_policy() -> Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:List*", "Resource": "*"}]})
}

/// A customer managed policy in moto; its ARN.
async fn managed_policy(iam: &aws_sdk_iam::Client, name: &str) -> String {
    iam.create_policy()
        .policy_name(name)
        .policy_document(list_policy().to_string())
        .send()
        .await
        .unwrap()
        .policy
        .and_then(|p| p.arn)
        .unwrap()
}

fn scenarios() -> Vec<Scenario> {
    vec![
        // First: the organization's reads matter only for a member account.
        Scenario {
            name: "doctor, a member of an organization",
            args: &["doctor", "--model", "sonnet"],
            setup: |emulator| {
                invoke_policy(emulator);
                let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/organizations/member.scenario.json");
                for (operation, rule) in load_scenario(&scenario).unwrap() {
                    emulator.on(&operation, rule);
                }
            },
        },
        Scenario {
            name: "doctor",
            args: &["doctor", "--model", "sonnet", "--model", "haiku"],
            setup: invoke_policy,
        },
        Scenario {
            // Simulation refused: the user's own policies and its group's are read.
            name: "doctor, local evaluation",
            args: &["doctor", "--model", "sonnet"],
            setup: |emulator| {
                invoke_policy(emulator);
                emulator.put_dev_inline("inline", &list_policy());
                emulator.on_moto("us-east-1", |config| async move {
                    let iam = aws_sdk_iam::Client::new(&config);
                    iam.create_group().group_name("devs").send().await.unwrap();
                    iam.add_user_to_group()
                        .group_name("devs")
                        .user_name("dev")
                        .send()
                        .await
                        .unwrap();
                    iam.put_group_policy()
                        .group_name("devs")
                        .policy_name("group-inline")
                        .policy_document(list_policy().to_string())
                        .send()
                        .await
                        .unwrap();
                    let arn = managed_policy(&iam, "group-managed").await;
                    iam.attach_group_policy()
                        .group_name("devs")
                        .policy_arn(arn)
                        .send()
                        .await
                        .unwrap();
                });
                emulator.on(
                    "iam:SimulatePrincipalPolicy",
                    Rule::Fault(Fault::AccessDenied),
                );
            },
        },
        Scenario {
            // An assumed role that may not simulate: the role's own policies are read.
            name: "doctor, an assumed role evaluated locally",
            args: &["doctor", "--model", "sonnet", "--no-probe"],
            setup: |emulator| {
                emulator.create_role("claude-dev", "/engineering/");
                emulator.on_moto("us-east-1", |config| async move {
                    let iam = aws_sdk_iam::Client::new(&config);
                    iam.put_role_policy()
                        .role_name("claude-dev")
                        .policy_name("role-inline")
                        .policy_document(list_policy().to_string())
                        .send()
                        .await
                        .unwrap();
                    let arn = managed_policy(&iam, "role-managed").await;
                    iam.attach_role_policy()
                        .role_name("claude-dev")
                        .policy_arn(arn)
                        .send()
                        .await
                        .unwrap();
                });
                emulator.on(
                    "sts:GetCallerIdentity",
                    Rule::Fixture(fixture("sts/GetCallerIdentity.assumed-role.xml")),
                );
                emulator.on(
                    "iam:SimulatePrincipalPolicy",
                    Rule::Fault(Fault::AccessDenied),
                );
            },
        },
        Scenario {
            // The fix's plan reads the policy it would update, the model's agreement offers
            // and the open requests of the quota below the expected load; a dry run sends no
            // write.
            name: "doctor --fix --dry-run, invoke denied, the agreement missing, a quota low",
            args: &[
                "doctor",
                "--model",
                "sonnet",
                "--expect-tpm",
                "5M",
                "--fix",
                "--dry-run",
            ],
            setup: |emulator| {
                emulator.on_moto("us-east-1", |config| async move {
                    managed_policy(&aws_sdk_iam::Client::new(&config), "claude-invoke-user-dev")
                        .await;
                });
                emulator.on(
                    "iam:SimulatePrincipalPolicy",
                    Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.implicit-deny.xml")),
                );
                emulator.on(
                    "bedrock:GetFoundationModelAvailability",
                    Rule::Fixture(fixture(
                        "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
                    )),
                );
            },
        },
        Scenario {
            name: "audit, logging to CloudWatch Logs and S3",
            args: &["audit", "--regions", "us-east-1"],
            setup: |emulator| {
                invoke_policy(emulator);
                emulator.on(
                    "bedrock:GetModelInvocationLoggingConfiguration",
                    Rule::Fixture(fixture(
                        "bedrock/GetModelInvocationLoggingConfiguration.both.json",
                    )),
                );
                emulator.on_moto("us-east-1", |config| async move {
                    aws_sdk_s3::Client::from_conf(
                        aws_sdk_s3::config::Builder::from(&config)
                            .force_path_style(true)
                            .build(),
                    )
                    .create_bucket()
                    .bucket("bedrock-invocation-logs")
                    .send()
                    .await
                    .unwrap();
                });
            },
        },
        Scenario {
            name: "doctor, a legacy model",
            args: &[
                "doctor",
                "--model",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
            ],
            setup: invoke_policy,
        },
        Scenario {
            name: "doctor, the model agreement missing",
            args: &["doctor", "--model", "sonnet"],
            setup: |emulator| {
                invoke_policy(emulator);
                emulator.on(
                    "bedrock:GetFoundationModelAvailability",
                    Rule::Fixture(fixture(
                        "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
                    )),
                );
            },
        },
        Scenario {
            name: "doctor, an application inference profile",
            args: &[
                "doctor",
                "--model",
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            ],
            setup: |emulator| {
                invoke_policy(emulator);
                emulator.on(
                    "bedrock:GetInferenceProfile",
                    Rule::Fixture(fixture("bedrock/GetInferenceProfile.application.json")),
                );
            },
        },
        Scenario {
            name: "doctor, an assumed role",
            args: &["doctor", "--model", "sonnet", "--no-probe"],
            setup: |emulator| {
                emulator.create_role("claude-dev", "/engineering/");
                emulator.on(
                    "sts:GetCallerIdentity",
                    Rule::Fixture(fixture("sts/GetCallerIdentity.assumed-role.xml")),
                );
            },
        },
        Scenario {
            name: "doctor --mantle, a model held back by data retention",
            args: &["doctor", "--mantle", "--model", "anthropic.claude-fable-5"],
            setup: invoke_policy,
        },
        Scenario {
            name: "audit",
            args: &["audit", "--regions", "us-east-1"],
            setup: invoke_policy,
        },
        // Last, so that they own only the organization's listing: every read of the accounts
        // they audit is faulted in the scenarios above.
        Scenario {
            name: "audit --org",
            args: &[
                "audit",
                "--regions",
                "us-east-1",
                "--org",
                "--role-name",
                "audit",
            ],
            setup: |emulator| {
                emulator.on(
                    "organizations:ListAccounts",
                    Rule::Fixture(accounts_page(&[MEMBER], None)),
                );
            },
        },
        Scenario {
            name: "audit --org --ou",
            args: &[
                "audit",
                "--regions",
                "us-east-1",
                "--org",
                "--role-name",
                "audit",
                "--ou",
                "r-ab12",
            ],
            setup: |emulator| {
                let (empty_units, empty_accounts) = (units_page(&[]), accounts_page(&[], None));
                emulator.on(
                    "organizations:ListOrganizationalUnitsForParent",
                    Rule::Match(
                        vec![(
                            "ParentId=r-ab12".into(),
                            Rule::Fixture(units_page(&["ou-ab12-team0001"])),
                        )],
                        Box::new(Rule::Fixture(empty_units)),
                    ),
                );
                emulator.on(
                    "organizations:ListAccountsForParent",
                    Rule::Match(
                        vec![(
                            "ParentId=ou-ab12-team0001".into(),
                            Rule::Fixture(accounts_page(&[MEMBER], None)),
                        )],
                        Box::new(Rule::Fixture(empty_accounts)),
                    ),
                );
            },
        },
    ]
}

/// The organization's one member account of the `--org` scenarios.
const MEMBER: (&str, &str, Option<&str>, Option<&str>) =
    ("111122223333", "member", Some("ACTIVE"), Some("ACTIVE"));

/// Reads whose failure leaves nothing to audit: one error of `credentials.resolve` says so.
fn lists_the_organization(operation: &str) -> bool {
    matches!(
        operation,
        "organizations:ListAccounts"
            | "organizations:ListAccountsForParent"
            | "organizations:ListOrganizationalUnitsForParent"
    )
}

/// A clean emulator in the scenario's state.
fn prepared(scenario: &Scenario) -> Emulator {
    let emulator = Emulator::start();
    (scenario.setup)(&emulator);
    emulator
}

fn run(emulator: &Emulator, scenario: &Scenario, extra: &[&str]) -> Run {
    emulator.front.clear_log();
    Run::of(
        emulator
            .cmd()
            .args(scenario.args)
            .args(["--output", "json"])
            .args(extra),
    )
}

/// Each check's worst status.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    let order = ["pass", "skip", "warn", "fail", "error"];
    let mut worst: BTreeMap<String, String> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let check = finding["check"].as_str().unwrap().to_string();
        let status = finding["status"].as_str().unwrap().to_string();
        let rank = |s: &str| order.iter().position(|o| *o == s).unwrap_or(0);
        let entry = worst.entry(check).or_insert_with(|| status.clone());
        if rank(&status) > rank(entry) {
            *entry = status;
        }
    }
    worst
}

/// DESIGN's exit codes from the report: 1 when something failed, else 3 when something could
/// not run, else 0.
fn exit_code_of(report: &Value) -> i32 {
    let statuses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    if statuses.contains(&"fail") {
        1
    } else if statuses.contains(&"error") {
        3
    } else {
        0
    }
}

#[derive(Clone, Copy, Debug)]
enum Injected {
    Fault(Fault),
    Timeout,
}

/// Whether the run says what the fault did: an `error` finding naming the read (in its
/// evidence or its message), or for a read made after the checks (a fix's plan) an error line
/// naming it. Reads with a documented reading of their own:
/// - a role whose path cannot be read still identifies the caller (the path is reported
///   unknown);
/// - a refused simulation is answered by local evaluation of the principal's policies;
/// - a refused read of the organization's policies is the usual case for member accounts (the
///   findings say the layer was not seen, and the verdict is the simulation's);
/// - the live probe's calls are the question itself: a denial or throttling is its verdict.
fn cause_reported(
    report: &Value,
    stderr: &str,
    operation: &str,
    injected: Injected,
) -> Result<(), String> {
    let findings = report["findings"].as_array().unwrap();
    let text = report.to_string();
    let names = |f: &&Value| f.to_string().contains(operation);
    match injected {
        Injected::Timeout => {
            // The call itself ends at --timeout (a finding naming it says it timed out), or the
            // check waiting on it does. A supplementary read (the quotas' defaults, the use case form) is named where
            // the verdict that stands without it says what was not read.
            let timed_out = findings.iter().any(|f| {
                f["status"] == "error" && f["code"].as_str().unwrap().ends_with("/timed-out")
                    || names(&f) && f.to_string().contains("timed out")
            });
            (timed_out || stderr.contains("--timeout") || stderr.contains("timed out"))
                .then_some(())
                .ok_or_else(|| "no check reported a timeout".to_string())
        }
        Injected::Fault(fault) => {
            let documented = match (operation, fault) {
                ("iam:GetRole", _) => Some(text.contains("the role's path is unknown")),
                ("iam:SimulatePrincipalPolicy", Fault::AccessDenied) => {
                    Some(text.contains("\"source\":\"local\""))
                }
                (op, Fault::AccessDenied)
                    if op.starts_with("organizations:") && !lists_the_organization(op) =>
                {
                    Some(text.contains("\"organization\":\"unreadable\""))
                }
                (op, Fault::AccessDenied | Fault::Throttle)
                    if op.starts_with("bedrock-runtime:") =>
                {
                    Some(findings.iter().any(|f| {
                        f["check"] == "runtime.probe"
                            && matches!(f["status"].as_str(), Some("fail" | "warn"))
                    }))
                }
                _ => None,
            };
            if let Some(reported) = documented {
                return reported
                    .then_some(())
                    .ok_or_else(|| format!("{operation}'s documented reading is missing"));
            }
            // An error naming the read; or, for a supplementary read (a legacy model's recent
            // use, the quotas' defaults, the account's retention mode, CloudTrail's Mantle
            // calls), the verdict that stands on what was read, saying what was not.
            // A command that stopped says why in the report's `error`.
            let in_report = findings.iter().any(|f| names(&f))
                || report["error"]
                    .as_str()
                    .is_some_and(|why| why.contains(operation));
            (in_report
                || stderr
                    .lines()
                    .any(|l| l.starts_with("error:") && l.contains(operation)))
            .then_some(())
            .ok_or_else(|| format!("no error names {operation}"))
        }
    }
}

/// Verdicts a fault may change: a refused organization read leaves the simulation's verdict,
/// and the probe's own answers are its verdict.
fn verdict_may_change(operation: &str, injected: Injected, check: &str) -> bool {
    matches!(injected, Injected::Fault(Fault::AccessDenied))
        && operation.starts_with("organizations:")
        && check == "iam.invoke"
        || operation.starts_with("bedrock-runtime:") && check == "runtime.probe"
}

/// The checks whose outcome `check` waits for (`depends_on` and `after` in its `check!`): it
/// skips when one of them established nothing.
fn waits_for(check: &str) -> Vec<&'static str> {
    bedrock_preflight::checks::all()
        .iter()
        .find(|c| c.meta().id == check)
        .map(|c| [c.meta().depends_on, c.meta().after].concat())
        .unwrap_or_default()
}

/// Each read, in the scenario it is faulted in: the checks that need it, so that they end in
/// `error` when it fails (save `answered_by_fault`), and the checks that also wait on it without
/// needing it (a read they do without, or another check's verdict, as `runtime.probe` waits for
/// `iam.invoke`'s). When the read hangs past `--timeout` those may run out of their own
/// `--timeout` first; which of them does is a race, so a hang allows them, never requires them.
const READERS: &[(&str, &[&str], &[&str])] = &[
    ("bedrock-mantle:ListModels", &["mantle.access"], &[]),
    ("bedrock-runtime:InvokeModel", &["runtime.probe"], &[]),
    (
        "bedrock-runtime:InvokeModelWithResponseStream",
        &["runtime.probe"],
        &[],
    ),
    ("bedrock:GetAccountDataRetention", &[], &["mantle.access"]),
    (
        "bedrock:GetFoundationModelAvailability",
        &["models.access"],
        &[],
    ),
    ("bedrock:GetInferenceProfile", &["models.lifecycle"], &[]),
    (
        "bedrock:GetModelInvocationLoggingConfiguration",
        &["logging.invocation"],
        &[],
    ),
    ("bedrock:GetUseCaseForModelAccess", &["models.access"], &[]),
    ("bedrock:ListFoundationModelAgreementOffers", &[], &[]),
    (
        "bedrock:ListFoundationModels",
        &["models.lifecycle"],
        &["quotas.usage"],
    ),
    (
        "bedrock:ListInferenceProfiles",
        &["profiles.resolve", "quotas.usage"],
        &[],
    ),
    (
        "cloudtrail:DescribeTrails",
        &["cloudtrail.data-events", "cloudtrail.trail"],
        &[],
    ),
    (
        "cloudtrail:GetEventSelectors",
        &["cloudtrail.trail"],
        &["cloudtrail.data-events"],
    ),
    (
        "cloudtrail:GetTrailStatus",
        &["cloudtrail.trail"],
        &["cloudtrail.data-events"],
    ),
    ("cloudtrail:LookupEvents", &[], &["logging.invocation"]),
    (
        "iam:GetAccountAuthorizationDetails",
        &["iam.overbroad"],
        &["iam.api-keys"],
    ),
    ("iam:GetGroupPolicy", &["iam.invoke"], &["runtime.probe"]),
    ("iam:GetPolicy", &["iam.invoke"], &["runtime.probe"]),
    ("iam:GetPolicyVersion", &["iam.invoke"], &["runtime.probe"]),
    // identity.caller reads the role's path too, and says when it could not.
    ("iam:GetRole", &["iam.invoke"], &["identity.caller"]),
    ("iam:GetRolePolicy", &["iam.invoke"], &[]),
    ("iam:GetUser", &["iam.invoke"], &["runtime.probe"]),
    ("iam:GetUserPolicy", &["iam.invoke"], &["runtime.probe"]),
    (
        "iam:ListAttachedGroupPolicies",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    ("iam:ListAttachedRolePolicies", &["iam.invoke"], &[]),
    (
        "iam:ListAttachedUserPolicies",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    ("iam:ListGroupPolicies", &["iam.invoke"], &["runtime.probe"]),
    ("iam:ListGroupsForUser", &["iam.invoke"], &["runtime.probe"]),
    ("iam:ListPolicyVersions", &[], &[]),
    ("iam:ListRolePolicies", &["iam.invoke"], &[]),
    ("iam:ListServiceSpecificCredentials", &["iam.api-keys"], &[]),
    ("iam:ListUserPolicies", &["iam.invoke"], &["runtime.probe"]),
    ("iam:ListUsers", &["iam.api-keys"], &[]),
    (
        "iam:SimulatePrincipalPolicy",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    ("logs:DescribeLogGroups", &["logging.retention"], &[]),
    (
        "monitoring:GetMetricData",
        &["quotas.usage"],
        &["models.lifecycle"],
    ),
    (
        "organizations:DescribeOrganization",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    (
        "organizations:DescribePolicy",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    (
        "organizations:ListParents",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    (
        "organizations:ListPoliciesForTarget",
        &["iam.invoke"],
        &["runtime.probe"],
    ),
    (
        "s3:GetBucketLifecycleConfiguration",
        &["logging.retention"],
        &[],
    ),
    (
        "servicequotas:ListAWSDefaultServiceQuotas",
        &[],
        &["quotas.inference"],
    ),
    (
        "servicequotas:ListServiceQuotas",
        &["quotas.inference"],
        &["quotas.usage"],
    ),
    // Read by a fix's plan (`setup quotas`' planner), after the checks.
    (
        "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota",
        &[],
        &[],
    ),
    ("organizations:ListAccounts", &["credentials.resolve"], &[]),
    (
        "organizations:ListAccountsForParent",
        &["credentials.resolve"],
        &[],
    ),
    (
        "organizations:ListOrganizationalUnitsForParent",
        &["credentials.resolve"],
        &[],
    ),
    ("sts:GetCallerIdentity", &["identity.caller"], &[]),
];

/// Faults that are an answer rather than a failure, so that no check errs (`cause_reported`
/// says what the run makes of each): a refused simulation is answered by local evaluation, a
/// refused organization read leaves that layer unseen, and a denied or throttled probe is the
/// probe's verdict.
fn answered_by_fault(operation: &str, fault: Fault) -> bool {
    match (operation, fault) {
        ("iam:SimulatePrincipalPolicy", Fault::AccessDenied) => true,
        (op, Fault::AccessDenied) if op.starts_with("organizations:") => {
            !lists_the_organization(op)
        }
        (op, Fault::AccessDenied | Fault::Throttle) => op.starts_with("bedrock-runtime:"),
        _ => false,
    }
}

/// Whether exactly the checks that need `operation` ended in error under `injected` (under a
/// hang: some of those and of the ones that wait on it, and no other).
fn errors_are_the_readers(
    operation: &str,
    injected: Injected,
    errored: &BTreeSet<&str>,
) -> Result<(), String> {
    let Some((_, needed, waiting)) = READERS.iter().find(|(op, _, _)| *op == operation) else {
        return Err(format!(
            "{operation} is not in READERS: add the checks that read it"
        ));
    };
    match injected {
        Injected::Fault(fault) => {
            let expected: BTreeSet<&str> = if answered_by_fault(operation, fault) {
                BTreeSet::new()
            } else {
                needed.iter().copied().collect()
            };
            (*errored == expected).then_some(()).ok_or_else(|| {
                format!("{errored:?} ended in error, where {expected:?} need the call")
            })
        }
        Injected::Timeout => {
            let allowed: BTreeSet<&str> = needed.iter().chain(*waiting).copied().collect();
            let leaked: Vec<&&str> = errored.difference(&allowed).collect();
            if !leaked.is_empty() {
                Err(format!(
                    "{leaked:?} ended in error, though only {allowed:?} wait on the call"
                ))
            } else if errored.is_empty() && !needed.is_empty() {
                Err(format!(
                    "no check ended in error, though {needed:?} need the call"
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// One scenario's reads under every fault; the problems found, one line each.
fn faults_of(scenario: &Scenario, reads: &[String]) -> Vec<String> {
    let emulator = prepared(scenario);
    let baseline = run(&emulator, scenario, &[]);
    let base = verdicts(&baseline.report());
    let mut problems = Vec::new();
    for operation in reads {
        let before = emulator.front.rule(operation);
        for injected in [
            Injected::Fault(Fault::Throttle),
            Injected::Fault(Fault::ServerError),
            Injected::Fault(Fault::AccessDenied),
            Injected::Fault(Fault::MalformedBody),
            Injected::Timeout,
        ] {
            let (rule, extra): (Rule, &[&str]) = match injected {
                Injected::Fault(fault) => (Rule::Fault(fault), &[]),
                Injected::Timeout => (
                    Rule::Delay(
                        Duration::from_secs(4),
                        Box::new(before.clone().unwrap_or(Rule::Forward)),
                    ),
                    &["--timeout", "1"],
                ),
            };
            emulator.on(operation, rule);
            let faulted = run(&emulator, scenario, extra);
            let label = format!("{} / {operation} / {injected:?}", scenario.name);
            let report: Value = match serde_json::from_str(&faulted.stdout) {
                Ok(report) => report,
                Err(e) => {
                    problems.push(format!("{label}: no JSON report ({e}): {}", faulted.stderr));
                    continue;
                }
            };
            if faulted.stderr.contains("panicked") || report.to_string().contains("/internal\"") {
                problems.push(format!("{label}: panicked: {}", faulted.stderr));
            }
            if faulted.code != exit_code_of(&report) {
                problems.push(format!(
                    "{label}: exit {} for a report that says {}",
                    faulted.code,
                    exit_code_of(&report)
                ));
            }
            if let Err(why) = cause_reported(&report, &faulted.stderr, operation, injected) {
                problems.push(format!("{label}: {why}"));
            }
            // Exactly the checks that need the faulted call end in error; every other check
            // keeps its verdict, or skips because a check it waits for established nothing.
            let now = verdicts(&report);
            let errored: BTreeSet<&str> = now
                .iter()
                .filter(|(check, status)| {
                    *status == "error" && base.get(*check).map(String::as_str) != Some("error")
                })
                .map(|(check, _)| check.as_str())
                .collect();
            if let Err(why) = errors_are_the_readers(operation, injected, &errored) {
                problems.push(format!("{label}: {why}"));
            }
            for (check, status) in &now {
                let was = base.get(check).map_or("", String::as_str);
                let skipped_for_another = status == "skip"
                    && waits_for(check).iter().any(|other| {
                        matches!(now.get(*other).map(String::as_str), Some("error" | "skip"))
                    });
                if status != was
                    && !errored.contains(check.as_str())
                    && !skipped_for_another
                    && !verdict_may_change(operation, injected, check)
                {
                    problems.push(format!("{label}: {check} went from {was} to {status}"));
                }
            }
        }
        match before {
            Some(rule) => {
                emulator.on(operation, rule);
            }
            None => emulator.front.forget(operation),
        }
    }
    problems
}

#[test]
fn every_read_under_every_fault_leaves_a_valid_report_and_an_error_naming_it() {
    let scenarios = scenarios();
    // Which scenario first sends each read.
    let mut sent_by: BTreeMap<String, usize> = BTreeMap::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        let emulator = prepared(scenario);
        let baseline = run(&emulator, scenario, &[]);
        baseline.report();
        for request in emulator.front.requests() {
            sent_by.entry(request.key()).or_insert(index);
        }
    }
    let reads: BTreeSet<String> = ALL
        .iter()
        .filter(|op| op.access == Access::Read)
        .map(|op| op.to_string())
        .collect();
    let unsent: Vec<&String> = reads.iter().filter(|r| !sent_by.contains_key(*r)).collect();
    assert!(
        unsent.is_empty(),
        "catalogued reads no scenario sends (add a scenario): {unsent:?}"
    );
    let mut by_scenario: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for read in &reads {
        by_scenario
            .entry(sent_by[read])
            .or_default()
            .push(read.clone());
    }
    // Scenarios are independent: each on its own emulator, at the same time.
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = by_scenario
            .iter()
            .map(|(index, reads)| {
                let scenario = &scenarios[*index];
                scope.spawn(move || faults_of(scenario, reads))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scenario thread panicked"))
            .collect()
    });
    println!(
        "fault matrix: {} reads × 5 faults, {} problems",
        reads.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A mutating command: its name, its arguments, and the account state it starts from.
type MutatingCommand = (&'static str, &'static [&'static str], fn(&Emulator));

/// The model agreement is missing until CreateFoundationModelAgreement succeeds.
fn agreement_missing_until_created(emulator: &Emulator) {
    emulator.on(
        "bedrock:GetFoundationModelAvailability",
        Rule::Fixture(fixture(
            "bedrock/GetFoundationModelAvailability.agreement-not-available.json",
        )),
    );
    let create = emulator
        .front
        .rule("bedrock:CreateFoundationModelAgreement")
        .unwrap_or(Rule::Forward);
    emulator.on(
        "bedrock:CreateFoundationModelAgreement",
        Rule::Then(
            Box::new(create),
            vec![(
                "bedrock:GetFoundationModelAvailability".into(),
                Rule::Fixture(fixture("bedrock/GetFoundationModelAvailability.json")),
            )],
        ),
    );
}

/// A quota increase request is pending once RequestServiceQuotaIncrease succeeds.
fn request_pending_once_sent(emulator: &Emulator) {
    let increase = emulator
        .front
        .rule("servicequotas:RequestServiceQuotaIncrease")
        .unwrap_or(Rule::Forward);
    emulator.on(
        "servicequotas:RequestServiceQuotaIncrease",
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
}

/// The mutating commands, a fault at each step of their plan: the run stops with an error,
/// running again converges (every planned change made once, none twice, none lost), and a
/// third run has nothing to do. Bedrock's agreement state and Service Quotas' requests are
/// the front server's: creating the agreement makes the model's availability say so, and
/// requesting an increase makes the quota's history list it pending. (`doctor --fix --yes` applies through the
/// same plan layer; its exit code also carries the checks' verdicts, so it is not in this loop.)
#[test]
fn a_fault_at_each_step_of_a_mutating_command_is_repaired_by_running_again() {
    let commands: &[MutatingCommand] = &[
        (
            "setup logging",
            &[
                "setup",
                "logging",
                "--log-group",
                "g",
                "--create-role",
                "--region",
                "us-east-1",
            ],
            |_| {},
        ),
        (
            "policy apply",
            &[
                "policy",
                "apply",
                "claude-invoke",
                "--attach-to",
                "user/dev",
                "--model",
                "sonnet",
            ],
            |_| {},
        ),
        (
            "setup model-access",
            &["setup", "model-access", "--model", "sonnet"],
            agreement_missing_until_created,
        ),
        (
            "setup quotas",
            &[
                "setup",
                "quotas",
                "--model",
                "sonnet",
                "--region",
                "us-east-1",
                "--tpm",
                "5M",
            ],
            request_pending_once_sent,
        ),
    ];
    let mut problems = Vec::new();
    for (name, args, setup) in commands {
        let planned = {
            let emulator = Emulator::start();
            setup(&emulator);
            let (run, report) = crate::plan_run(emulator.cmd().args(*args).arg("--dry-run"));
            assert_eq!(run.code, 0, "{name}: {}", run.stderr);
            crate::plan_steps(&report)
                .into_iter()
                .map(|(op, _)| op)
                .collect::<Vec<_>>()
        };
        assert!(!planned.is_empty(), "{name} plans nothing to fault");
        let mut wanted: BTreeMap<String, usize> = BTreeMap::new();
        for op in &planned {
            *wanted.entry(op.clone()).or_default() += 1;
        }
        for (step, operation) in planned.iter().enumerate() {
            for fault in [Fault::ServerError, Fault::Throttle] {
                let label = format!("{name} / step {} {operation} / {fault:?}", step + 1);
                let emulator = Emulator::start();
                setup(&emulator);
                let before = emulator.front.rule(operation);
                emulator.on(operation, Rule::Fault(fault));
                let (run, report) = crate::plan_run(emulator.cmd().args(*args).arg("--yes"));
                let results: Vec<String> = crate::plan_steps(&report)
                    .into_iter()
                    .map(|(_, r)| r)
                    .collect();
                if run.code != 3 || !results.iter().any(|r| r == "failed") {
                    problems.push(format!("{label}: exit {} with {results:?}", run.code));
                }
                match before {
                    Some(rule) => {
                        emulator.on(operation, rule);
                    }
                    None => emulator.front.forget(operation),
                }
                let (again, _) = crate::plan_run(emulator.cmd().args(*args).arg("--yes"));
                let (third, last) = crate::plan_run(emulator.cmd().args(*args).arg("--yes"));
                if again.code != 0 || third.code != 0 {
                    problems.push(format!(
                        "{label}: re-runs exit {} and {}: {}",
                        again.code, third.code, again.stderr
                    ));
                }
                if !crate::plan_steps(&last).is_empty() {
                    problems.push(format!("{label}: a third run still plans {last:#}"));
                }
                // Each planned change arrived once in all: nothing twice, nothing lost.
                let mut made: BTreeMap<String, usize> = BTreeMap::new();
                for request in emulator.front.requests() {
                    if request.mutating && (200..300).contains(&request.status) {
                        *made.entry(request.key()).or_default() += 1;
                    }
                }
                if made != wanted {
                    problems.push(format!("{label}: made {made:?}, planned {wanted:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
