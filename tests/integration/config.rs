//! The configuration file's defaults through the binary: `regions`, `residency` and `strict`
//! used by doctor and audit, each beaten by its flag, the file's regions beating AWS_REGION,
//! each malformed default refused before any AWS call with its line, and `--config` refused by
//! the commands that read no file.

use serde_json::{Value, json};

use crate::support::front::Rule;
use crate::support::{Emulator, fixture};
use crate::{Run, findings};

/// A directory holding `bedrock-preflight.toml` with `text`, and the file's path.
fn config_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bedrock-preflight.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn json_run(emulator: &Emulator, dir: &std::path::Path, args: &[&str]) -> (Run, Value) {
    // The file is found in the working directory, as a CI job finds it in its checkout.
    let run = Run::of(
        emulator
            .cmd()
            .current_dir(dir)
            .args(args)
            .args(["--output", "json"]),
    );
    let report = run.report();
    (run, report)
}

/// (region, status, region_source) of each region.config finding.
fn judged_regions(report: &Value) -> Vec<(String, String, String)> {
    findings(report, "region.config")
        .iter()
        .map(|f| {
            (
                f["region"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["evidence"]["region_source"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn row(region: &str, status: &str, source: &str) -> (String, String, String) {
    (region.into(), status.into(), source.into())
}

#[test]
fn doctor_takes_the_file_s_regions_over_aws_region_and_its_strict_and_a_flag_beats_both() {
    let emulator = Emulator::start();
    // AWS_REGION is us-east-1 (Emulator::cmd): the file's regions outrank it.
    let (dir, _) = config_file("regions = ['eu-west-1', 'ap-southeast-9']\n");
    let (run, report) = json_run(&emulator, dir.path(), &["doctor"]);
    assert_eq!(
        judged_regions(&report),
        [
            row("eu-west-1", "pass", "config-file"),
            row("ap-southeast-9", "warn", "config-file"),
        ]
    );
    assert_eq!(
        report["target"]["regions"],
        json!(["eu-west-1", "ap-southeast-9"])
    );
    let unknown = &findings(&report, "region.config")[1];
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("(set by regions in the configuration file)"),
        "{unknown}"
    );
    assert!(
        unknown["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Name Bedrock regions in the configuration file"),
        "{unknown}"
    );
    assert_eq!(run.code, 0, "a warning alone passes: {}", run.stderr);
    let sts = emulator
        .front
        .requests()
        .into_iter()
        .find(|r| r.service == "sts")
        .unwrap();
    assert_eq!(
        sts.region.as_deref(),
        Some("eu-west-1"),
        "signed in the first"
    );

    std::fs::write(
        dir.path().join("bedrock-preflight.toml"),
        "regions = ['eu-west-1', 'ap-southeast-9']\nstrict = true\n",
    )
    .unwrap();
    let (strict, _) = json_run(&emulator, dir.path(), &["doctor"]);
    assert_eq!(strict.code, 1, "the file's strict fails the warning");
    let (not_strict, _) = json_run(&emulator, dir.path(), &["doctor", "--no-strict"]);
    assert_eq!(not_strict.code, 0, "--no-strict beats the file");

    let (flagged, report) = json_run(&emulator, dir.path(), &["doctor", "--region", "us-west-2"]);
    assert_eq!(
        judged_regions(&report),
        [row("us-west-2", "pass", "flag")],
        "a flag replaces the file's list: {}",
        flagged.stderr
    );
    assert_eq!(flagged.code, 0);
}

#[test]
fn doctor_leaves_the_file_s_all_to_audit() {
    let emulator = Emulator::start();
    let (dir, _) = config_file("regions = 'all'\n");
    let (run, report) = json_run(&emulator, dir.path(), &["doctor"]);
    assert_eq!(
        judged_regions(&report),
        [row("us-east-1", "pass", "environment")],
        "{}",
        run.stderr
    );
}

#[test]
fn audit_takes_the_file_s_regions_and_residency_and_flags_beat_them() {
    let emulator = Emulator::start();
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "ANTHROPIC_MODEL": "eu.anthropic.claude-sonnet-4-6",
    }}));
    let (dir, _) = config_file("regions = 'eu-west-1'\nresidency = 'eu'\n");
    let residency = |report: &Value| -> Vec<String> {
        findings(report, "residency.profiles")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };

    let (run, report) = json_run(&emulator, dir.path(), &["audit"]);
    assert_eq!(
        report["target"]["regions"],
        json!(["eu-west-1"]),
        "{}",
        run.stderr
    );
    let judged = residency(&report);
    assert!(
        !judged.is_empty()
            && !judged.iter().any(|code| code.ends_with("/not-asked")
                || code.ends_with("/configured-outside-geography")),
        "the file's residency is audited, and Claude Code's eu. profile kept in it: {judged:?}"
    );

    let (run, report) = json_run(
        &emulator,
        dir.path(),
        &["audit", "--region", "us-east-1", "--residency", "us"],
    );
    assert_eq!(
        report["target"]["regions"],
        json!(["us-east-1"]),
        "{}",
        run.stderr
    );
    assert!(
        residency(&report).contains(&"residency.profiles/configured-outside-geography".into()),
        "--residency beats the file, and the verdict changes: {:?}",
        residency(&report)
    );

    let (_, report) = json_run(&emulator, dir.path(), &["audit", "--region", "us-east-1"]);
    assert_eq!(
        residency(&report),
        judged,
        "the file's residency stands where only --region is given"
    );
}

#[test]
fn audit_takes_the_file_s_all_and_strict_and_no_strict_beats_it() {
    let emulator = Emulator::start();
    emulator.on(
        "monitoring:GetMetricData",
        Rule::Fixture(fixture("cloudwatch/GetMetricData.none.json")),
    );
    let (dir, _) = config_file("regions = 'all'\nstrict = true\n");
    let not_in_use = |report: &Value| {
        findings(report, "logging.invocation")
            .iter()
            .filter(|f| f["code"] == "logging.invocation/region-not-in-use")
            .count()
    };

    let (run, report) = json_run(&emulator, dir.path(), &["audit"]);
    let regions = report["target"]["regions"].as_array().unwrap().len();
    assert!(regions >= 16, "every commercial Bedrock region: {regions}");
    assert_eq!(
        not_in_use(&report),
        0,
        "strict judges every region: {}",
        run.stderr
    );
    assert_eq!(run.code, 1);

    let (_, report) = json_run(&emulator, dir.path(), &["audit", "--no-strict"]);
    assert_eq!(
        report["target"]["regions"].as_array().unwrap().len(),
        regions
    );
    assert_eq!(
        not_in_use(&report),
        regions,
        "without strict, a region where Claude is not used is passed over"
    );
}

#[test]
fn each_malformed_default_is_refused_with_its_line_before_any_aws_call() {
    let emulator = Emulator::start();
    let cases = [
        (
            "# defaults\nregions = [\n  'us-east-1',\n  'Europe',\n]\n",
            ":4: regions: 'Europe' is not an AWS region name",
        ),
        ("regions = []\n", ":1: regions is empty"),
        ("\nregions = 1\n", ":2: invalid type: integer `1`"),
        (
            "residency = 'mars'\n",
            ":1: residency 'mars': one of us, eu, apac, jp, au",
        ),
        (
            "\n\nstrict = 'yes'\n",
            ":3: invalid type: string \"yes\", expected a boolean",
        ),
        ("regoins = ['us-east-1']\n", ":1: unknown field `regoins`"),
        (
            "[[ignore]]\ncode = 'logging.invocation'\nreason = 'sandbox'\nregions = 'all'\n",
            ":4: unknown field `regions`",
        ),
    ];
    for (text, says) in cases {
        let (dir, path) = config_file(text);
        for command in ["doctor", "audit"] {
            for explicit in [false, true] {
                let mut cmd = emulator.cmd();
                cmd.current_dir(dir.path()).arg(command);
                if explicit {
                    cmd.arg("--config").arg(&path);
                }
                let run = Run::of(&mut cmd);
                let place = if explicit {
                    path.display().to_string()
                } else {
                    "bedrock-preflight.toml".to_string()
                };
                assert_eq!(run.code, 2, "{command} {text:?}: {}", run.stderr);
                assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
                assert!(
                    run.stderr.contains(&format!("{place}{says}")),
                    "{command} {text:?}: {}",
                    run.stderr
                );
                assert!(run.stdout.is_empty());
            }
        }
    }
    assert!(emulator.front.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_command_that_reads_no_file_refuses_config_and_ignores_the_one_here() {
    let emulator = Emulator::start();
    let (dir, path) = config_file("strict = 'not a boolean'\n");
    for (args, command) in [
        (&["checks", "list"][..], "checks list"),
        (&["policy", "list"], "policy list"),
        (&["policy", "render", "claude-code"], "policy render"),
        (
            &["setup", "logging", "--log-group", "g", "--dry-run"],
            "setup logging",
        ),
        (&["mcp"], "mcp"),
    ] {
        let run = Run::of(emulator.cmd().args(args).arg("--config").arg(&path));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim_end(),
            format!(
                "error: --config {}: `{command}` reads no configuration file (doctor and audit do)",
                path.display()
            ),
        );
    }
    // The malformed file here is no business of theirs.
    let run = Run::of(
        emulator
            .cmd()
            .current_dir(dir.path())
            .args(["checks", "list"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(emulator.front.requests().is_empty(), "nothing was sent");
}
