//! `setup logging` through the binary against moto (CloudWatch Logs, IAM and Bedrock's
//! logging configuration): the plan first, nothing sent without `--yes`, every piece made
//! in order, a re-run that sends nothing, a fault mid-way repaired by running again.

use serde_json::Value;

use crate::support::front::{Fault, Rule};
use crate::support::{Emulator, fixture};
use crate::{Run, plan_run, plan_steps, writes};

const REGIONS: [&str; 4] = ["--region", "us-east-1", "--region", "eu-west-1"];

fn setup(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    plan_run(emulator.cmd().args(["setup", "logging"]).args(args))
}

/// Bedrock's logging configuration of `region` as moto holds it.
fn logging_in(emulator: &Emulator, region: &str) -> Option<(String, String, bool)> {
    emulator.on_moto(region, |config| async move {
        let out = aws_sdk_bedrock::Client::new(&config)
            .get_model_invocation_logging_configuration()
            .send()
            .await
            .unwrap();
        let config = out.logging_config?;
        let cloudwatch = config.cloud_watch_config?;
        Some((
            cloudwatch.log_group_name,
            cloudwatch.role_arn,
            config.text_data_delivery_enabled.unwrap_or(false),
        ))
    })
}

#[test]
fn setup_logging_plans_applies_and_converges() {
    let emulator = Emulator::start();
    let to_group = [
        &["--log-group", "bedrock-invocations", "--create-role"][..],
        &REGIONS,
    ]
    .concat();
    let (run, report) = setup(&emulator, &[&to_group[..], &["--dry-run"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let planned: Vec<String> = plan_steps(&report).into_iter().map(|(op, _)| op).collect();
    assert_eq!(
        planned,
        [
            "iam:CreateRole",
            "iam:PutRolePolicy",
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "bedrock:PutModelInvocationLoggingConfiguration",
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "bedrock:PutModelInvocationLoggingConfiguration",
        ]
    );
    assert!(writes(&emulator).is_empty(), "{:?}", writes(&emulator));
    // Bedrock is handed the new role: the caller needs iam:PassRole on it, for Bedrock only,
    // besides each step's own action.
    let permissions = report["plan"]["permissions"].as_array().unwrap();
    let actions: Vec<&str> = permissions
        .iter()
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "iam:CreateRole",
            // The role is created with its managed-by tag.
            "iam:TagRole",
            "iam:PutRolePolicy",
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "bedrock:PutModelInvocationLoggingConfiguration",
            "iam:PassRole",
        ]
    );
    assert_eq!(
        permissions[6],
        serde_json::json!({
            "action": "iam:PassRole",
            "resource": "arn:aws:iam::123456789012:role/bedrock-invocation-logging",
            "passed_to_service": "bedrock.amazonaws.com",
        })
    );
    let mut table = emulator.cmd();
    let text = Run::of(
        table
            .args(["setup", "logging"])
            .args(&to_group)
            .arg("--dry-run"),
    );
    assert!(
        text.stdout.contains(
            "iam:PassRole on arn:aws:iam::123456789012:role/bedrock-invocation-logging \
             (iam:PassedToService = bedrock.amazonaws.com)"
        ),
        "{}",
        text.stdout
    );

    let (run, report) = setup(&emulator, &[&to_group[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert!(
        plan_steps(&report)
            .iter()
            .all(|(_, result)| result == "done")
    );
    assert_eq!(writes(&emulator).len(), 8);
    let role = "arn:aws:iam::123456789012:role/bedrock-invocation-logging".to_string();
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(
            logging_in(&emulator, region),
            Some(("bedrock-invocations".into(), role.clone(), true)),
            "{region}"
        );
    }

    let (run, report) = setup(&emulator, &[&to_group[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    assert_eq!(writes(&emulator).len(), 8, "a re-run sends nothing");

    // A longer retention is one step per region.
    let (run, report) = setup(
        &emulator,
        &[&to_group[..], &["--retention-days", "90", "--yes"]].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let changed: Vec<String> = plan_steps(&report).into_iter().map(|(op, _)| op).collect();
    assert_eq!(
        changed,
        ["logs:PutRetentionPolicy", "logs:PutRetentionPolicy"]
    );
}

#[test]
fn a_fault_mid_way_is_repaired_by_running_again() {
    let emulator = Emulator::start();
    let args = [
        "--log-group",
        "g",
        "--role-arn",
        "arn:aws:iam::123456789012:role/logs",
        "--region",
        "us-east-1",
        "--yes",
    ];
    emulator.on(
        "bedrock:PutModelInvocationLoggingConfiguration",
        Rule::Fault(Fault::ServerError),
    );
    let (run, report) = setup(&emulator, &args);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let results: Vec<String> = plan_steps(&report).into_iter().map(|(_, r)| r).collect();
    assert_eq!(results, ["done", "done", "failed"]);
    assert_eq!(logging_in(&emulator, "us-east-1"), None);

    emulator.on(
        "bedrock:PutModelInvocationLoggingConfiguration",
        Rule::Forward,
    );
    let (run, report) = setup(&emulator, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        plan_steps(&report),
        [(
            "bedrock:PutModelInvocationLoggingConfiguration".to_string(),
            "done".to_string()
        )]
    );
    assert_eq!(emulator.front.count("logs:CreateLogGroup"), 1, "made once");
    assert!(logging_in(&emulator, "us-east-1").is_some());
}

#[test]
fn bad_setup_flags_are_one_line_and_nothing_is_sent() {
    let emulator = Emulator::front_only();
    for (args, mentions) in [
        (
            &[
                "--log-group",
                "g",
                "--create-role",
                "--retention-days",
                "31",
            ][..],
            "31",
        ),
        (&["--log-group", "g"], "--role-arn"),
        (
            &["--log-group", "g", "--role-arn", "arn:aws:iam::1:user/x"],
            "user/x",
        ),
        (&["--log-group", "has space", "--create-role"], "has space"),
        (&["--bucket", "Not_A_Bucket"], "Not_A_Bucket"),
        (&["--log-group", "g", "--bucket", "b"], "--bucket"),
    ] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["setup", "logging", "--dry-run"])
                .args(args),
        );
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(mentions), "{args:?}: {}", run.stderr);
    }
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn setup_logging_to_a_bucket_keeps_what_else_is_set_and_converges() {
    let emulator = Emulator::start();
    let to_bucket = [
        "--bucket",
        "bedrock-logs-123",
        "--region",
        "us-east-1",
        "--yes",
    ];
    let (run, report) = setup(&emulator, &to_bucket);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        plan_steps(&report),
        [(
            "bedrock:PutModelInvocationLoggingConfiguration".to_string(),
            "done".to_string()
        )]
    );
    let sent: Value = serde_json::from_str(
        emulator
            .front
            .requests()
            .iter()
            .find(|r| r.mutating)
            .and_then(|r| r.body.clone())
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        sent["loggingConfig"]["s3Config"]["bucketName"],
        "bedrock-logs-123"
    );
    assert_eq!(sent["loggingConfig"]["textDataDeliveryEnabled"], true);
    let (run, report) = setup(&emulator, &to_bucket);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
}

#[test]
fn bedrocks_own_answers_for_logging_off_and_on_are_read() {
    let emulator = Emulator::start();
    let args = [
        "--log-group",
        "bedrock-invocations",
        "--role-arn",
        "arn:aws:iam::123456789012:role/logs",
        "--region",
        "us-east-1",
        "--dry-run",
    ];
    // The log group exists with its retention, so only the configuration is in question.
    let (run, _) = setup(&emulator, &[&args[..6], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (fixture_name, steps_wanted) in [
        ("bedrock/GetModelInvocationLoggingConfiguration.off.json", 1),
        ("bedrock/GetModelInvocationLoggingConfiguration.json", 0),
    ] {
        emulator.on(
            "bedrock:GetModelInvocationLoggingConfiguration",
            Rule::Fixture(fixture(fixture_name)),
        );
        let (run, report) = setup(&emulator, &args);
        assert_eq!(run.code, 0, "{fixture_name}: {}", run.stderr);
        let planned: Vec<String> = plan_steps(&report).into_iter().map(|(op, _)| op).collect();
        assert_eq!(planned.len(), steps_wanted, "{fixture_name}: {planned:?}");
    }
}

#[test]
fn a_read_that_fails_ends_the_run_before_any_write() {
    let emulator = Emulator::start();
    emulator.on("logs:DescribeLogGroups", Rule::Fault(Fault::AccessDenied));
    let (run, report) = setup(
        &emulator,
        &[
            "--log-group",
            "g",
            "--create-role",
            "--region",
            "us-east-1",
            "--yes",
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(report.get("plan").is_none(), "no plan from half the facts");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("cannot read the log groups of us-east-1"),
        "{report}"
    );
    assert!(
        run.stderr
            .contains("cannot read the log groups of us-east-1"),
        "{}",
        run.stderr
    );
    assert!(writes(&emulator).is_empty());
}
