//! The command line: usage errors, help, `checks list`, `--out`, the table.

use bedrock_preflight::aws::catalog;

use crate::support::front::Rule;
use crate::support::{Emulator, fixture};
use crate::{Run, finding};

fn assert_usage_error(run: &Run, mentions: &str) {
    assert_eq!(run.code, 2, "{}\n{}", run.stderr, run.stdout);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "one line: {:?}",
        run.stderr
    );
    assert!(
        run.stderr.contains(mentions),
        "{}\n{}",
        run.stderr,
        run.stdout
    );
}

/// Each command line is refused with one line naming what it says, before any AWS call.
fn refused_before_any_call(emulator: &Emulator, cases: &[(&[&str], &str)]) {
    for (args, says) in cases {
        let run = Run::of(emulator.cmd().args(*args));
        assert_usage_error(&run, says);
    }
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn an_invalid_output_is_one_line_and_nothing_sent() {
    let emulator = Emulator::front_only();
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "xml"]));
    assert_usage_error(&run, "--output");
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn an_invalid_region_is_one_line_and_nothing_sent() {
    let emulator = Emulator::front_only();
    let run = Run::of(emulator.cmd().args(["doctor", "--region", "not_a_region"]));
    assert_usage_error(&run, "not_a_region");
    let from_env = Run::of(
        emulator
            .cmd()
            .env("AWS_REGION", "us east 1")
            .args(["doctor"]),
    );
    assert_usage_error(&from_env, "us east 1");
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn region_is_repeated_or_comma_separated_and_regions_is_its_alias() {
    let emulator = Emulator::start();
    for args in [
        &["--region", "us-east-1,us-west-2"][..],
        &["--region", "us-east-1", "--region", "us-west-2"],
        &["--regions", "us-east-1,us-west-2"],
    ] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["doctor", "--no-probe", "--output", "json"])
                .args(args),
        );
        assert_eq!(
            run.report()["target"]["regions"],
            serde_json::json!(["us-east-1", "us-west-2"]),
            "{args:?}"
        );
    }
}

#[test]
fn region_and_regions_together_or_all_outside_audit_are_usage_errors() {
    let emulator = Emulator::front_only();
    let both =
        Run::of(
            emulator
                .cmd()
                .args(["audit", "--region", "us-east-1", "--regions", "eu-west-1"]),
        );
    assert_usage_error(&both, "'--region <R>' cannot be used with '--regions <R>'");
    let all = Run::of(emulator.cmd().args(["doctor", "--region", "all"]));
    assert_usage_error(&all, "--region all is for audit");
    let listed = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--region", "us-east-1,moon-1"]),
    );
    assert_usage_error(&listed, "'moon-1' is not an AWS region name");
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn other_bad_flags_are_usage_errors() {
    let emulator = Emulator::front_only();
    // Each line names what was typed and what is wrong with it.
    refused_before_any_call(
        &emulator,
        &[
            (
                &["doctor", "--timeout", "soon"][..],
                "'soon' is not a number of seconds above 0 and at most 3600",
            ),
            (
                &["doctor", "--endpoint-url", "localhost"],
                "'localhost' is not an http:// or https:// URL",
            ),
            (&["doctor", "--expect-tpm=-5"], "'-5'"),
            (&["doctor", "--no-such-flag"], "'--no-such-flag'"),
            (
                &["policy", "list", "--output", "junit"],
                "'junit' for '--output <FORMAT>': this command writes table, json",
            ),
            (
                &["doctor", "--out", "/nonexistent-dir/report.json"],
                "cannot write /nonexistent-dir/report.json",
            ),
        ],
    );
}

#[test]
fn each_command_s_output_lists_and_takes_only_the_formats_it_writes() {
    let emulator = Emulator::front_only();
    let help = Run::of(emulator.cmd().args(["policy", "list", "--help"]));
    assert!(
        help.stdout.contains("[possible values: table, json]"),
        "{}",
        help.stdout
    );
    let doctor = Run::of(emulator.cmd().args(["doctor", "--help"]));
    for value in [
        "table", "json", "junit", "sarif", "markdown", "asff", "ocsf",
    ] {
        assert!(
            doctor.stdout.contains(&format!("- {value}: ")),
            "{value}: {}",
            doctor.stdout
        );
    }
    let short = Run::of(emulator.cmd().args(["doctor", "-h"]));
    // Wrapped to the width: the words, whatever the line breaks.
    let words = short
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains("[possible values: table, json, junit, sarif, markdown, asff, ocsf]"),
        "{}",
        short.stdout
    );
    let run = Run::of(emulator.cmd().args(["policy", "list", "--output", "sarif"]));
    assert_usage_error(&run, "this command writes table, json");
    for format in ["asff", "ocsf"] {
        let run = Run::of(emulator.cmd().args(["checks", "list", "--output", format]));
        assert_usage_error(&run, "this command writes table, json");
        let early = Run::of(emulator.cmd().args(["policy", "--output", format, "list"]));
        assert_usage_error(
            &early,
            &format!("--output {format}: this command writes table or json"),
        );
    }
    // Before the subcommand's name, the flag is the parent's: refused when the command runs.
    let early = Run::of(emulator.cmd().args(["policy", "--output", "sarif", "list"]));
    assert_usage_error(&early, "--output sarif: this command writes table or json");
    let file = Run::of(emulator.cmd().args(["doctor", "--output", "report.json"]));
    assert_usage_error(&file, "use --out report.json");
    // A script, a page or a JSON-RPC server has no report format to choose.
    for command in [&["completions", "bash"][..], &["man"], &["mcp"]] {
        let run = Run::of(emulator.cmd().args(command).args(["--output", "json"]));
        assert_usage_error(&run, "--output does not apply to");
    }
    assert!(emulator.front.requests().is_empty());
}

/// Every command, from clap's own tree: each flag and argument has help, and `--help` shows
/// the text after the options line for line as written, however narrow the terminal.
#[test]
fn every_command_s_help_documents_every_flag_and_argument() {
    use clap::CommandFactory;
    fn walk(
        command: &clap::Command,
        path: Vec<String>,
        found: &mut Vec<(Vec<String>, clap::Command)>,
    ) {
        found.push((path.clone(), command.clone()));
        // clap's own `help` subcommand takes subcommand names, not --help.
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, found);
        }
    }
    let mut root = bedrock_preflight::cli::Cli::command();
    root.build();
    let mut commands = Vec::new();
    walk(&root, Vec::new(), &mut commands);
    assert!(commands.len() > 15, "{}", commands.len());
    let emulator = Emulator::front_only();
    for (path, command) in commands {
        let run = Run::of(
            emulator
                .cmd()
                .env("COLUMNS", "60")
                .env("LINES", "24")
                .args(&path)
                .arg("--help"),
        );
        assert_eq!(run.code, 0, "{path:?}: {}", run.stderr);
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            let help = arg.get_help().or(arg.get_long_help());
            assert!(
                help.is_some_and(|h| !h.to_string().trim().is_empty()),
                "{path:?}: {} has no help",
                arg.get_id()
            );
            let shown = match (arg.get_long(), arg.get_value_names()) {
                (Some(long), _) => format!("--{long}"),
                (None, Some(names)) => format!("<{}>", names[0]),
                (None, None) => format!("<{}>", arg.get_id().to_string().to_uppercase()),
            };
            assert!(
                run.stdout.contains(&shown),
                "{path:?}: {shown} not in --help"
            );
        }
        if let Some(after) = command.get_after_help() {
            let lines: Vec<&str> = run.stdout.lines().collect();
            for line in after.to_string().lines() {
                assert!(
                    lines.contains(&line),
                    "{path:?}: {line:?} rewrapped in\n{}",
                    run.stdout
                );
            }
        }
    }
}

#[test]
fn the_man_page_sets_examples_line_for_line() {
    let emulator = Emulator::front_only();
    let page = Run::of(emulator.cmd().arg("man")).stdout;
    let (_, extra) = page
        .split_once(".SH EXTRA\n.nf\n")
        .expect(".nf after EXTRA");
    let (verbatim, _) = extra.split_once("\n.fi\n").expect(".fi");
    assert!(verbatim.contains("    bedrock\\-preflight doctor \\-\\-fix \\-\\-yes\n"));
    assert!(verbatim.lines().count() > 15);
}

#[test]
fn errors_in_values_say_what_to_type_instead() {
    let emulator = Emulator::front_only();
    refused_before_any_call(
        &emulator,
        &[
            (
                &["doctor", "--timeout", "0"][..],
                "above 0 and at most 3600",
            ),
            (
                &["doctor", "--expect-tpm", "400x"],
                "like 400000, 400k or 2M",
            ),
            (
                &["doctor", "--model", "claude-sonnet-4-6"],
                "on Bedrock it is anthropic.claude-sonnet-4-6",
            ),
            (
                &["doctor", "--regoin", "us-east-1"],
                "a similar argument exists: '--region'",
            ),
            (
                &["setup", "logging", "--dry-run"],
                "<--log-group <G>|--bucket <B>>",
            ),
            (
                &["policy", "render", "no-such-template"],
                "no policy template named 'no-such-template' (templates: claude-invoke",
            ),
        ],
    );
}

#[test]
fn policy_evaluate_refuses_a_resource_or_action_that_names_nothing() {
    let emulator = Emulator::front_only();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("team.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let evaluate = |action: &str, resource: &str| {
        Run::of(
            emulator
                .cmd()
                .args(["policy", "evaluate", "--policy"])
                .arg(&policy)
                .args(["--action", action, "--resource", resource]),
        )
    };
    assert_usage_error(
        &evaluate("bedrock:InvokeModle", "*"),
        "'bedrock:InvokeModle' is not an IAM action: did you mean bedrock:InvokeModel?",
    );
    assert_usage_error(
        &evaluate("bedrok:InvokeModel", "*"),
        "IAM has no service 'bedrok': did you mean bedrock:InvokeModel?",
    );
    assert_usage_error(
        &evaluate("bedrock:InvokeModel", "notanarn"),
        "--resource 'notanarn' is not an ARN",
    );
    // An ARN, or a service this reference does not carry, is still a decision.
    assert_eq!(evaluate("bedrock:InvokeModel", "*").code, 0);
    assert_eq!(evaluate("s3:GetObject", "arn:aws:s3:::bucket/key").code, 1);
}

#[test]
fn policy_show_reads_a_file_that_is_not_a_template_name() {
    let emulator = Emulator::front_only();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("team.json");
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}"#;
    std::fs::write(&policy, text).unwrap();
    let run = Run::of(
        emulator
            .cmd()
            .args(["policy", "show", "--output", "json"])
            .arg(&policy),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        shown,
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
    let missing = Run::of(emulator.cmd().args(["policy", "show", "no-such.json"]));
    assert_usage_error(
        &missing,
        "no policy template named 'no-such.json' and no such file",
    );
}

#[test]
fn checks_list_names_every_check() {
    let emulator = Emulator::front_only();
    let table = Run::of(emulator.cmd().args(["checks", "list"]));
    assert_eq!(table.code, 0);
    let json = Run::of(emulator.cmd().args(["checks", "list", "--output", "json"]));
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "credentials.resolve",
            "identity.caller",
            "region.config",
            "claude-code.config",
            "models.lifecycle",
            "models.access",
            "profiles.resolve",
            "iam.invoke",
            "quotas.inference",
            "quotas.usage",
            "runtime.probe",
            "mantle.access",
            "logging.invocation",
            "logging.retention",
            "cloudtrail.trail",
            "cloudtrail.data-events",
            "iam.overbroad",
            "iam.api-keys",
            "residency.profiles"
        ]
    );
    for id in ids {
        assert!(table.stdout.contains(id));
    }
    assert_eq!(
        list[1]["depends_on"],
        serde_json::json!(["credentials.resolve"])
    );
    let codes = list[7]["codes"].as_array().unwrap();
    assert!(codes.contains(&serde_json::json!("iam.invoke/destination-denied")));
    assert!(codes.contains(&serde_json::json!("iam.invoke/read-failed")));
}

#[test]
fn a_report_that_cannot_be_written_is_not_a_usage_error() {
    let emulator = Emulator::front_only();
    // /dev/full opens, and every write to it fails.
    let run = Run::of(
        emulator
            .cmd()
            .args(["checks", "list", "--out", "/dev/full"]),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write /dev/full"),
        "{}",
        run.stderr
    );
}

#[test]
fn out_writes_the_report_to_a_file() {
    let emulator = Emulator::start();
    let path = emulator.home().join("report.json");
    let run = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--output", "json", "--out"])
            .arg(&path),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert!(run.stdout.is_empty());
    let written = Run {
        code: 0,
        stdout: std::fs::read_to_string(&path).unwrap(),
        stderr: String::new(),
    };
    assert_eq!(
        finding(&written.report(), "identity.caller")["status"],
        "pass"
    );
}

#[test]
fn the_table_report() {
    let emulator = Emulator::start();
    // Sonnet resolves to the EU profile; Opus by its base ID cannot be called on demand.
    let doctor = |columns: Option<&str>| {
        let mut cmd = emulator.cmd();
        cmd.env("NO_COLOR", "1").env_remove("COLUMNS");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        Run::of(cmd.args([
            "doctor",
            "--region",
            "eu-west-1",
            "--model",
            "sonnet",
            "--model",
            "anthropic.claude-opus-4-6-v1",
        ]))
    };
    // Piped, the table wraps at 100 columns, or at COLUMNS; the fixes below it, commands to
    // paste, are never cut.
    let table_width = |stdout: &str| {
        stdout
            .lines()
            .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    let wide = doctor(Some("160"));
    assert!(
        (101..=160).contains(&table_width(&wide.stdout)),
        "{}",
        wide.stdout
    );
    let run = doctor(None);
    assert!(table_width(&run.stdout) <= 100, "{}", run.stdout);
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no color when piped or NO_COLOR"
    );
    let masked: String = run
        .stdout
        .lines()
        .map(|line| match line.split_once(" in ") {
            Some((counts, rest)) if line.contains("passed,") => {
                let after = rest.split_once(" ms").map(|(_, tail)| tail).unwrap_or("");
                format!("{counts} in [ms] ms{after}")
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(masked);
}

/// Two models denied in two regions: sixteen `iam.invoke` failures, one fix.
#[test]
fn a_fix_shared_by_many_findings_is_printed_once() {
    let emulator = Emulator::start();
    emulator.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Fixture(fixture("iam/SimulatePrincipalPolicy.implicit-deny.xml")),
    );
    let doctor = |args: &[&str]| {
        let mut cmd = emulator.cmd();
        cmd.env("NO_COLOR", "1").env_remove("COLUMNS");
        Run::of(
            cmd.args([
                "doctor",
                "--no-probe",
                "--model",
                "sonnet",
                "--model",
                "haiku",
                "--region",
                "us-east-1",
                "--region",
                "us-west-2",
            ])
            .args(args),
        )
    };
    let json = doctor(&["--output", "json"]);
    let report = json.report();
    let denied: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "iam.invoke" && f["status"] == "fail")
        .collect();
    assert_eq!(denied.len(), 16, "{}", json.stdout);
    // JSON keeps each finding's own remediation.
    assert!(denied.iter().all(|f| {
        f["remediation"]
            .as_str()
            .is_some_and(|r| r.contains("policy apply"))
    }));

    let run = doctor(&[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let fixes = &run.stdout[run.stdout.find("How to fix:").expect("fixes")..];
    assert_eq!(
        fixes.matches("bedrock-preflight policy apply").count(),
        1,
        "{fixes}"
    );
    assert_eq!(
        fixes.lines().filter(|l| l.starts_with("  2. ")).count(),
        0,
        "{fixes}"
    );
    // Every line is indented under the fix; each model's findings name it, once per title.
    assert!(
        fixes.lines().skip(1).all(|l| l.starts_with("  ")),
        "{fixes}"
    );
    for model in [
        "us.anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    ] {
        assert_eq!(
            fixes.matches(&format!("iam.invoke [{model} ")).count(),
            2,
            "{fixes}"
        );
    }
    let table: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
        .collect();
    assert!(
        table.iter().all(|l| l.chars().count() <= 100),
        "{}",
        run.stdout
    );
    // Passes are one row per check; the IDs are broken only after a dot, colon or slash.
    assert_eq!(
        run.stdout.matches("Model is active").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        table
            .iter()
            .any(|l| l.contains("claude-haiku-4-5-20251001-v1:0"))
    );
    let all = doctor(&["--show", "all"]);
    assert_eq!(
        all.stdout.matches("Model is active").count(),
        4,
        "{}",
        all.stdout
    );
    let failures = doctor(&["--show", "failures"]);
    assert!(!failures.stdout.contains("✓"), "{}", failures.stdout);
}

#[test]
fn endpoint_url_flag_sends_every_call_there() {
    let emulator = Emulator::start();
    let run = Run::of(emulator.cmd().env_remove("AWS_ENDPOINT_URL").args([
        "doctor",
        "--output",
        "json",
        "--endpoint-url",
        &emulator.front.url(),
    ]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert_eq!(emulator.front.count("sts:GetCallerIdentity"), 1);
}

#[test]
fn every_call_doctor_makes_is_a_catalog_read() {
    let emulator = Emulator::start();
    emulator.create_role("claude-dev", "/");
    emulator.on(
        "sts:GetCallerIdentity",
        crate::support::front::Rule::Fixture(crate::support::fixture(
            "sts/GetCallerIdentity.assumed-role.xml",
        )),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);

    // The catalog's unit test proves preflight-readonly.json allows exactly its reads; this
    // proves every request doctor sends is such a read.
    let sent = emulator.front.requests();
    assert!(!sent.is_empty());
    for request in sent {
        let operation = catalog::ALL
            .iter()
            .find(|op| op.to_string() == request.key())
            .unwrap_or_else(|| panic!("{} is sent but not in the catalog", request.key()));
        assert_eq!(
            operation.access,
            catalog::Access::Read,
            "doctor must not change anything: {operation}"
        );
        assert!(!request.mutating, "{operation}");
    }
}

#[test]
fn input_files_are_regular_files_within_a_bound_or_one_line() {
    let emulator = Emulator::front_only();
    let dir = emulator.home().join("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let large = dir.join("large.json");
    std::fs::write(
        &large,
        format!("{{\"Version\": \"{}\"}}", "x".repeat(2 << 20)),
    )
    .unwrap();
    let as_path = |p: &std::path::Path| p.display().to_string();
    let cases = [
        ("/dev/zero".to_string(), "character device"),
        (as_path(&fifo), "named pipe"),
        (as_path(&dir), "directory"),
        (as_path(&large), "larger than 1 MiB"),
    ];
    for (path, says) in &cases {
        let started = std::time::Instant::now();
        let run = Run::of(
            emulator
                .cmd()
                .timeout(std::time::Duration::from_secs(20))
                .args([
                    "policy",
                    "evaluate",
                    "--policy",
                    path,
                    "--action",
                    "bedrock:InvokeModel",
                    "--resource",
                    "*",
                ]),
        );
        assert_usage_error(&run, says);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{path}"
        );
        let run = Run::of(
            emulator
                .cmd()
                .timeout(std::time::Duration::from_secs(20))
                .args(["policy", "validate", path]),
        );
        assert_usage_error(&run, says);
        let run = Run::of(
            emulator
                .cmd()
                .timeout(std::time::Duration::from_secs(20))
                .args([
                    "setup",
                    "model-access",
                    "--model",
                    "anthropic.claude-sonnet-4-6",
                    "--use-case-form",
                    path,
                    "--dry-run",
                ]),
        );
        assert_usage_error(&run, says);
    }
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn out_never_touches_an_input_a_link_or_a_settings_file() {
    let emulator = Emulator::front_only();
    let dir = emulator.home().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("pol.json");
    let document = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]}"#;
    std::fs::write(&policy, document).unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&policy, &link).unwrap();
    let hard = dir.join("hard.json");
    std::fs::hard_link(&policy, &hard).unwrap();
    let settings = emulator.home().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, r#"{"env": {"CLAUDE_CODE_USE_BEDROCK": "1"}}"#).unwrap();
    let evaluate = |out: &std::path::Path| {
        Run::of(
            emulator
                .cmd()
                .args(["policy", "evaluate", "--policy"])
                .arg(&policy)
                .args([
                    "--action",
                    "bedrock:InvokeModel",
                    "--resource",
                    "*",
                    "--output",
                    "json",
                    "--out",
                ])
                .arg(out),
        )
    };
    for (out, says) in [
        (&policy, "which this run reads"),
        (&link, "symbolic link"),
        (&hard, "which this run reads"),
        (&dir, "directory"),
    ] {
        let run = evaluate(out);
        assert_usage_error(&run, says);
        assert_eq!(
            std::fs::read_to_string(&policy).unwrap(),
            document,
            "{out:?}"
        );
    }
    let run = Run::of(emulator.cmd().args(["doctor", "--out"]).arg(&settings));
    assert_usage_error(&run, "which this run reads");
    assert!(
        std::fs::read_to_string(&settings)
            .unwrap()
            .contains("CLAUDE_CODE_USE_BEDROCK")
    );
    assert!(
        emulator.front.requests().is_empty(),
        "refused before any AWS call"
    );

    // A device is written in place; the report lands whole in a new file, and no temporary
    // file is left beside it.
    let run = evaluate(std::path::Path::new("/dev/null"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.join("report.json");
    let run = evaluate(&report);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["decision"], "allowed");
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["hard.json", "link.json", "pol.json", "report.json"]);
}

#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    let emulator = Emulator::front_only();
    // Every call waits, so the run is still going when the signal comes.
    emulator.on(
        "sts:GetCallerIdentity",
        crate::support::front::Rule::Delay(
            std::time::Duration::from_secs(30),
            Box::new(crate::support::front::Rule::Forward),
        ),
    );
    let dir = emulator.home().join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = emulator
            .std_cmd()
            .args(["doctor", "--output", "json", "--out"])
            .arg(dir.join("report.json"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The temporary file exists once the run has started.
        let started = std::time::Instant::now();
        while std::fs::read_dir(&dir).unwrap().next().is_none() {
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
    }
}

#[test]
fn out_knows_files_not_there_yet_devices_and_the_process_s_own_streams() {
    let emulator = Emulator::front_only();
    let evaluate = |out: &std::path::Path, token: Option<&std::path::Path>| {
        let mut cmd = evaluate_into(&emulator, out);
        if let Some(token) = token {
            cmd.env("AWS_WEB_IDENTITY_TOKEN_FILE", token);
        }
        Run::of(&mut assert_cmd::Command::from_std(cmd))
    };
    // Claude Code's user settings, not written yet: the report would become them.
    let settings = emulator.home().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    assert_usage_error(&evaluate(&settings, None), "which this run reads");
    assert!(!settings.exists());
    let token = emulator.home().join("token");
    std::fs::write(&token, "eyJ.token").unwrap();
    assert_usage_error(&evaluate(&token, Some(&token)), "which this run reads");
    assert_eq!(std::fs::read_to_string(&token).unwrap(), "eyJ.token");

    // A disk is never a report's place (where this machine shows one).
    let disk = std::fs::read_dir("/dev").unwrap().flatten().find(|e| {
        use std::os::unix::fs::FileTypeExt;
        e.file_type().is_ok_and(|t| t.is_block_device())
    });
    if let Some(disk) = disk {
        assert_usage_error(&evaluate(&disk.path(), None), "is a device");
    }

    // /dev/stdout is the stream the shell gave: a file opened with > keeps the report whole.
    let redirected = emulator.home().join("stdout.json");
    let status = evaluate_into(&emulator, std::path::Path::new("/dev/stdout"))
        .stdout(std::fs::File::create(&redirected).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&redirected).unwrap()).unwrap();
    assert_eq!(written["decision"], "allowed");
}

#[test]
fn a_signal_ends_a_run_waiting_to_write_to_a_pipe_nobody_reads() {
    let emulator = Emulator::front_only();
    let fifo = emulator.home().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = evaluate_into(&emulator, &fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The evaluation takes milliseconds; after this the run waits in open() for a reader.
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting for a reader"
    );
    let signalled = std::time::Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > std::time::Duration::from_secs(5) {
            let _ = child.kill();
            panic!("SIGINT did not end a run blocked opening a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

/// `policy evaluate` of a policy that allows InvokeModel (written in the emulator's home),
/// its JSON report going to `out`.
fn evaluate_into(emulator: &Emulator, out: &std::path::Path) -> std::process::Command {
    let policy = emulator.home().join("pol.json");
    std::fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]}"#,
    )
    .unwrap();
    let mut cmd = emulator.std_cmd();
    cmd.args(["policy", "evaluate", "--policy"])
        .arg(&policy)
        .args(["--action", "bedrock:InvokeModel", "--resource", "*"])
        .args(["--output", "json", "--out"])
        .arg(out);
    cmd
}
