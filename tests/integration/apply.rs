//! `policy apply` through the binary against moto: the plan first and nothing sent without
//! `--yes`, create and attach, a no-op re-run, a new version for a changed rendering, the
//! oldest version pruned at IAM's five, a fault mid-way repaired by running again, and a
//! policy this tool did not make left alone.

use serde_json::{Value, json};

use crate::support::Emulator;
use crate::support::front::{Fault, Rule};
use crate::{Run, plan_run, plan_steps, writes};

/// The policy `apply` makes for the user `dev` without `--policy-name`.
const POLICY_ARN: &str = "arn:aws:iam::123456789012:policy/claude-invoke-user-dev";

/// `policy apply claude-invoke` for the user `dev`.
fn apply_cmd(emulator: &Emulator) -> assert_cmd::Command {
    let mut cmd = emulator.cmd();
    cmd.args([
        "policy",
        "apply",
        "claude-invoke",
        "--attach-to",
        "user/dev",
    ]);
    cmd
}

fn apply(emulator: &Emulator, extra: &[&str]) -> (Run, Value) {
    plan_run(apply_cmd(emulator).args(extra))
}

/// The user's attached policies and the policy's versions, as IAM holds them.
fn iam_state(emulator: &Emulator) -> (Vec<String>, Vec<String>) {
    let iam = emulator.moto.as_ref().unwrap().iam();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let attached = iam
                .list_attached_user_policies()
                .user_name("dev")
                .send()
                .await
                .unwrap()
                .attached_policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.policy_arn)
                .collect();
            let versions = match iam
                .list_policy_versions()
                .policy_arn(POLICY_ARN)
                .send()
                .await
            {
                Ok(out) => out
                    .versions
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| v.version_id)
                    .collect(),
                Err(_) => Vec::new(),
            };
            (attached, versions)
        })
}

#[test]
fn apply_plans_first_creates_attaches_and_then_has_nothing_to_do() {
    let emulator = Emulator::start();
    let sonnet = ["--model", "sonnet", "--region", "us-east-1"];
    for confirmation in [&["--dry-run"][..], &[]] {
        let (run, report) = apply(&emulator, &[&sonnet[..], confirmation].concat());
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            plan_steps(&report),
            [
                ("iam:CreatePolicy".to_string(), "not-sent".to_string()),
                ("iam:AttachUserPolicy".to_string(), "not-sent".to_string())
            ]
        );
        let created = report["plan"]["steps"][0]["detail"].as_str().unwrap();
        assert!(
            created.contains("inference-profile/us.anthropic.claude-sonnet-4-6"),
            "{created}"
        );
    }
    // The Markdown plan says what became of each step in words, and what its runner needs.
    let markdown =
        Run::of(
            apply_cmd(&emulator)
                .args(sonnet)
                .args(["--dry-run", "--output", "markdown"]),
        );
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    assert_eq!(
        markdown.stdout.matches("| not sent |").count(),
        2,
        "{}",
        markdown.stdout
    );
    assert!(!markdown.stdout.contains("NotSent"), "{}", markdown.stdout);
    assert!(
        markdown.stdout.contains("- iam:CreatePolicy\n"),
        "{}",
        markdown.stdout
    );
    assert!(writes(&emulator).is_empty(), "{:?}", writes(&emulator));

    let (run, report) = apply(&emulator, &[&sonnet[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["plan"]["confirmation"], "yes");
    assert!(
        plan_steps(&report)
            .iter()
            .all(|(_, result)| result == "done")
    );
    assert_eq!(
        writes(&emulator),
        ["iam:CreatePolicy", "iam:AttachUserPolicy"]
    );
    assert_eq!(
        iam_state(&emulator),
        (vec![POLICY_ARN.to_string()], vec!["v1".to_string()])
    );

    let emulator = reload(emulator);
    let (run, report) = apply(&emulator, &[&sonnet[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    assert!(writes(&emulator).is_empty(), "a re-run sends no write");
    let table = Run::of(apply_cmd(&emulator).args(sonnet));
    assert!(
        table.stdout.contains("Nothing to change"),
        "{}",
        table.stdout
    );
}

/// The emulator with its request log cleared (`reset` clears the rules too, so the default
/// account's are loaded again).
fn reload(emulator: Emulator) -> Emulator {
    emulator.front.reset();
    let account =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/account.json");
    for (operation, rule) in crate::support::front::load_scenario(&account).unwrap() {
        emulator.front.on(&operation, rule);
    }
    emulator
}

#[test]
fn a_changed_rendering_adds_a_version_and_the_sixth_prunes_the_oldest() {
    let emulator = Emulator::start();
    let (run, _) = apply(&emulator, &["--model", "sonnet", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Each model set renders another document: versions 2 to 5, then a sixth.
    let sets: [&[&str]; 5] = [
        &["--model", "haiku"],
        &["--model", "opus"],
        &["--model", "sonnet", "--model", "haiku"],
        &["--model", "global.anthropic.claude-sonnet-4-6"],
        &["--model", "haiku", "--model", "opus"],
    ];
    for (i, set) in sets.iter().enumerate() {
        let (run, report) = apply(&emulator, &[&set[..], &["--yes"]].concat());
        assert_eq!(run.code, 0, "{set:?}: {}", run.stderr);
        let operations: Vec<String> = plan_steps(&report).into_iter().map(|(op, _)| op).collect();
        if i < 4 {
            assert_eq!(operations, ["iam:CreatePolicyVersion"], "{set:?}");
            let diff = report["plan"]["steps"][0]["detail"].as_str().unwrap();
            assert!(diff.contains("\n-") && diff.contains("\n+"), "{diff}");
        } else {
            assert_eq!(
                operations,
                ["iam:DeletePolicyVersion", "iam:CreatePolicyVersion"],
                "at five versions the oldest goes first"
            );
        }
    }
    let (attached, versions) = iam_state(&emulator);
    assert_eq!(attached, [POLICY_ARN]);
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert!(!versions.contains(&"v1".to_string()), "{versions:?}");
}

#[test]
fn a_fault_between_create_and_attach_is_repaired_by_running_again() {
    let emulator = Emulator::start();
    for fault in [Fault::Throttle, Fault::ServerError] {
        emulator.on("iam:AttachUserPolicy", Rule::Fault(fault));
        let (run, report) = apply(&emulator, &["--model", "sonnet", "--yes"]);
        assert_eq!(run.code, 3, "{fault:?}: {}", run.stderr);
        let results: Vec<String> = plan_steps(&report).into_iter().map(|(_, r)| r).collect();
        // The first run creates the policy; the second finds it and only tries to attach.
        let expected: &[&str] = if fault == Fault::Throttle {
            &["done", "failed"]
        } else {
            &["failed"]
        };
        assert_eq!(results, expected, "{fault:?}");
    }
    emulator.on("iam:AttachUserPolicy", Rule::Forward);
    let (run, report) = apply(&emulator, &["--model", "sonnet", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        plan_steps(&report),
        [("iam:AttachUserPolicy".to_string(), "done".to_string())]
    );
    assert_eq!(
        iam_state(&emulator),
        (vec![POLICY_ARN.to_string()], vec!["v1".to_string()])
    );
    assert_eq!(emulator.front.count("iam:CreatePolicy"), 1, "created once");
}

#[test]
fn apply_leaves_alone_what_it_did_not_make_and_refuses_bad_targets() {
    let emulator = Emulator::start();
    emulator.attach_to_dev(
        "claude-invoke-user-dev",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let emulator = reload(emulator);
    let (run, _) = apply(&emulator, &["--model", "sonnet", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not managed by bedrock-preflight"),
        "{}",
        run.stderr
    );
    assert!(writes(&emulator).is_empty());

    for (args, mentions) in [
        (
            &["--attach-to", "user/nobody", "--dry-run"][..],
            "user/nobody",
        ),
        (&["--attach-to", "team/dev"], "team/dev"),
        (
            &["--attach-to", "user/dev", "--policy-name", "no spaces"],
            "no spaces",
        ),
    ] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["policy", "apply", "claude-invoke", "--model", "sonnet"])
                .args(args),
        );
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(mentions), "{args:?}: {}", run.stderr);
    }
    assert!(writes(&emulator).is_empty());
}

#[test]
fn a_read_that_fails_ends_apply_before_any_write() {
    let emulator = Emulator::start();
    emulator.on("iam:GetPolicy", Rule::Fault(Fault::AccessDenied));
    let (run, report) = apply(&emulator, &["--model", "sonnet", "--yes"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    // JSON was asked for, so JSON comes: no plan from half the facts, and why.
    assert!(report.get("plan").is_none(), "{report}");
    assert_eq!(report["command"], "policy apply");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("cannot read arn:aws:iam::123456789012:policy/claude-invoke-user-dev"),
        "{report}"
    );
    assert!(
        run.stderr
            .contains("cannot read arn:aws:iam::123456789012:policy/claude-invoke-user-dev"),
        "{}",
        run.stderr
    );
    // Every document format says the run stopped, where its readers look for that.
    let halted = |format: &str| {
        let run =
            Run::of(apply_cmd(&emulator).args(["--model", "sonnet", "--yes", "--output", format]));
        assert_eq!(run.code, 3, "{format}: {}", run.stderr);
        run.stdout
    };
    let sarif: Value = serde_json::from_str(&halted("sarif")).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{sarif}");
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("cannot read arn:aws:iam::123456789012:policy/claude-invoke-user-dev")
    );
    let junit = halted("junit");
    let xml = roxmltree::Document::parse(&junit).unwrap();
    let root = xml.root_element();
    assert_eq!(root.attribute("errors"), Some("1"), "{junit}");
    assert!(
        xml.descendants()
            .any(|n| n.has_tag_name("error") && n.attribute("type") == Some("halted")),
        "{junit}"
    );
    assert!(
        halted("markdown").contains("## The run stopped before its result"),
        "the Markdown report says so"
    );
    // The table names no file on stdout; with --out it is written all the same.
    let out = emulator.home().join("halted.txt");
    let run = Run::of(
        apply_cmd(&emulator)
            .args(["--model", "sonnet", "--yes", "--out"])
            .arg(&out),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&out).unwrap().starts_with(
            "error: cannot read arn:aws:iam::123456789012:policy/claude-invoke-user-dev"
        ),
        "the table file says why"
    );
    assert!(writes(&emulator).is_empty());
}

#[test]
fn attach_to_takes_the_arn_doctor_prints_and_refuses_another_accounts() {
    let emulator = Emulator::start();
    emulator.create_role("claude-developer", "/engineering/");
    let role_policies = |emulator: &Emulator| {
        let iam = emulator.moto.as_ref().unwrap().iam();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                iam.list_attached_role_policies()
                    .role_name("claude-developer")
                    .send()
                    .await
                    .unwrap()
                    .attached_policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.policy_arn)
                    .collect::<Vec<_>>()
            })
    };
    let apply_to = |target: &str, confirm: &str| {
        plan_run(emulator.cmd().args([
            "policy",
            "apply",
            "claude-invoke",
            "--model",
            "sonnet",
            "--region",
            "us-east-1",
            "--attach-to",
            target,
            confirm,
        ]))
    };
    let arn = "arn:aws:iam::123456789012:role/engineering/claude-developer";
    let (run, report) = apply_to(arn, "--yes");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        plan_steps(&report),
        [
            ("iam:CreatePolicy".to_string(), "done".to_string()),
            ("iam:AttachRolePolicy".to_string(), "done".to_string())
        ]
    );
    assert_eq!(
        role_policies(&emulator),
        ["arn:aws:iam::123456789012:policy/claude-invoke-role-claude-developer"]
    );
    // The same role by its path, or by name alone, is the same target: nothing left to do.
    for same in ["role/engineering/claude-developer", "role/claude-developer"] {
        let (run, report) = apply_to(same, "--yes");
        assert_eq!(run.code, 0, "{same}: {}", run.stderr);
        assert!(plan_steps(&report).is_empty(), "{same}: {report:#}");
    }
    let sent = writes(&emulator).len();

    let run = Run::of(emulator.cmd().args([
        "policy",
        "apply",
        "claude-invoke",
        "--model",
        "sonnet",
        "--attach-to",
        "arn:aws:iam::210987654321:role/engineering/claude-developer",
        "--dry-run",
    ]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("account 210987654321") && run.stderr.contains("123456789012"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(writes(&emulator).len(), sent);
}

#[test]
fn a_write_that_times_out_has_an_unknown_outcome_and_running_again_converges() {
    let emulator = Emulator::start();
    // Answered, but only after --timeout: moto may well have made the policy.
    emulator.on(
        "iam:CreatePolicy",
        Rule::Delay(std::time::Duration::from_secs(4), Box::new(Rule::Forward)),
    );
    let sonnet = [
        "--model",
        "sonnet",
        "--region",
        "us-east-1",
        "--timeout",
        "2",
    ];
    let (run, report) = apply(&emulator, &[&sonnet[..], &["--yes"]].concat());
    assert_eq!(run.code, 3, "{}", run.stderr);
    let step = &report["plan"]["steps"][0];
    assert_eq!(step["result"], "failed", "{report:#}");
    let error = step["error"].as_str().unwrap();
    assert!(
        error.starts_with("unknown outcome") && error.contains("run the same command again"),
        "{error}"
    );
    emulator.on("iam:CreatePolicy", Rule::Forward);
    let (run, _) = apply(&emulator, &[&sonnet[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (run, report) = apply(&emulator, &[&sonnet[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
}
