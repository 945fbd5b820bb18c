//! Values that try to take over the reader's screen or document: a settings value with
//! terminal escapes, carriage returns and Markdown markup reaches the table, stderr and the
//! Markdown report shown, never obeyed.

use serde_json::json;

use crate::Run;
use crate::support::Emulator;

/// Clears the screen, returns the cursor to overwrite the row, and plants a heading, an
/// image, a link and HTML.
const HOSTILE_MODEL: &str = "us.anthropic.claude-x\u{1b}[2J\r\u{9b}31m\n# Owned ![pixel](http://evil.example/p.png) [click](http://evil.example) <img src=x>";

#[test]
fn a_hostile_settings_value_is_shown_not_obeyed() {
    let emulator = Emulator::start();
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_REGION": "us-east-1",
        "ANTHROPIC_MODEL": HOSTILE_MODEL
    }}));
    for format in ["table", "markdown"] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["doctor", "--no-probe", "--output", format]),
        );
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{9b}'),
                "{format} {stream} carries raw control characters: {text:?}"
            );
        }
        assert!(
            // Markdown escapes the backslash and the bracket of the shown escape too.
            run.stdout.contains("\\u001b[2J") || run.stdout.contains("\\\\u001b\\[2J"),
            "{format}: the escape is shown: {}",
            run.stdout
        );
    }
    // JSON keeps the value (as JSON escapes), SARIF too, JUnit as XML text: none of them
    // carries a raw character a terminal obeys, since CI logs and `cat` show them.
    for format in ["json", "sarif", "junit"] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["doctor", "--no-probe", "--output", format]),
        );
        assert!(
            !run.stdout.contains(['\u{1b}', '\r', '\u{9b}', '\u{7f}']),
            "{format} carries raw control characters: {:?}",
            run.stdout
        );
        if format == "json" {
            let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            // Parsed, the escapes are the characters again: nothing was lost.
            assert!(
                report.to_string().contains("2J\\r\u{9b}31m"),
                "the value itself is kept: {report}"
            );
        }
    }
    let markdown = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--no-probe", "--output", "markdown"]),
    );
    for planted in ["\n# Owned", "![pixel](", "[click](", "<img"] {
        assert!(
            !markdown.stdout.contains(planted),
            "Markdown passes {planted:?} through: {}",
            markdown.stdout
        );
    }
}

/// Runs `line` in sh with a fake `aws` first on PATH that prints its arguments one per line,
/// in `dir`; what it printed.
fn run_in_shell(dir: &std::path::Path, line: &str) -> Vec<String> {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let aws = bin.join("aws");
    std::fs::write(
        &aws,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&aws)
        .status()
        .unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn a_printed_fix_with_a_hostile_profile_name_runs_as_one_argument() {
    let emulator = Emulator::front_only();
    let profile = "dev$(touch pwned);touch pwned2 `touch pwned3`";
    let aws = emulator.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), "[profile dev]\nregion = us-east-1\n").unwrap();
    // As Claude Code's settings would name it: the profile is a settings value, and no such
    // profile exists, so the fix is the command that creates it.
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_REGION": "us-east-1",
        "AWS_PROFILE": profile
    }}));
    let run = Run::of(
        emulator
            .bare_cmd()
            .args(["doctor", "--no-probe", "--output", "json"]),
    );
    let report = run.report();
    let credentials = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "credentials.resolve")
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let fix = credentials["remediation"].as_str().unwrap();
    let command = fix
        .split_once("create it with ")
        .and_then(|(_, rest)| rest.split_once(" (or "))
        .map(|(command, _)| command)
        .unwrap_or_else(|| panic!("{fix}"));
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_in_shell(dir.path(), command),
        ["configure", "sso", "--profile", profile],
        "{fix}"
    );
    for planted in ["pwned", "pwned2", "pwned3"] {
        assert!(!dir.path().join(planted).exists(), "{planted}: {fix}");
    }
}
