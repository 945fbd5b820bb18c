//! No access key ID, secret access key, session token or Bedrock API key reaches stdout,
//! stderr or a written file: every command and output format, run with credentials of
//! distinctive values, including runs whose error answers repeat the request's credentials.

use crate::Run;
use crate::support::Emulator;
use crate::support::front::{Fault, Rule};

const KEY_ID: &str = "AKIAZLEAKCHECK000001";
const SECRET: &str = "leakcheck/SECRET+value/00000000000000000000";
const TOKEN: &str = "IQoJb3JpZ2luX2VjLEAKCHECKsessiontoken0001";
const BEARER: &str = "ABSKbGVha2NoZWNrYmVhcmVydG9rZW4wMDAx";

/// One run with the distinctive credentials; fails naming the run and the secret if any of
/// them shows in its output or the file it wrote.
fn check(emulator: &Emulator, name: &str, args: &[&str], bearer: bool) -> Run {
    check_with(emulator, name, args, bearer, &[])
}

fn check_with(
    emulator: &Emulator,
    name: &str,
    args: &[&str],
    bearer: bool,
    env: &[(&str, &str)],
) -> Run {
    let out = emulator.home().join(format!("{name}.out"));
    let mut cmd = emulator.cmd();
    cmd.envs(env.iter().copied());
    cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .args(
            args.iter()
                .map(|a| a.replace("{out}", &out.display().to_string())),
        );
    if bearer {
        cmd.env("AWS_BEARER_TOKEN_BEDROCK", BEARER);
    }
    let run = Run::of(&mut cmd);
    // A run told to write a file must have written one: an absent file would read as empty
    // and hide nothing.
    let written = if args.contains(&"{out}") {
        let written = std::fs::read_to_string(&out)
            .unwrap_or_else(|e| panic!("{name}: --out {} was not written: {e}", out.display()));
        assert!(!written.is_empty(), "{name}: --out wrote nothing");
        written
    } else {
        String::new()
    };
    for secret in [KEY_ID, SECRET, TOKEN, BEARER] {
        for (stream, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("file", &written),
        ] {
            assert!(
                !text.contains(secret),
                "{name}: {secret} in {stream}:\n{text}"
            );
        }
    }
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    run
}

#[test]
fn no_command_or_format_prints_or_writes_a_credential() {
    let emulator = Emulator::start();
    let runs: &[(&str, &[&str])] = &[
        ("doctor-table", &["doctor", "--model", "sonnet"]),
        ("doctor-json-verbose", &["doctor", "--output", "json", "-v"]),
        ("doctor-sdk-debug", &["doctor", "--output", "json", "-vvv"]),
        (
            "doctor-sarif-file",
            &["doctor", "--output", "sarif", "--out", "{out}"],
        ),
        ("doctor-markdown", &["doctor", "--output", "markdown"]),
        ("doctor-junit", &["doctor", "--output", "junit"]),
        ("doctor-emit-env", &["doctor", "--emit", "claude-code-env"]),
        (
            "doctor-emit-settings",
            &["doctor", "--emit", "claude-code-settings"],
        ),
        ("doctor-mantle", &["doctor", "--mantle", "--output", "json"]),
        ("audit-json", &["audit", "--output", "json"]),
        (
            "audit-sarif-file",
            &["audit", "--output", "sarif", "--out", "{out}"],
        ),
        ("audit-markdown", &["audit", "--output", "markdown"]),
        (
            "audit-junit",
            &["audit", "--output", "junit", "--out", "{out}"],
        ),
        ("checks-list", &["checks", "list", "--output", "json"]),
        ("policy-render", &["policy", "render", "claude-invoke"]),
        (
            "policy-explain",
            &[
                "policy",
                "explain",
                "--principal",
                "arn:aws:iam::123456789012:user/moto",
                "--action",
                "bedrock:InvokeModel",
                "--resource",
                "*",
                "--output",
                "json",
            ],
        ),
        (
            "policy-apply-dry-run",
            &[
                "policy",
                "apply",
                "claude-invoke",
                "--attach-to",
                "role/dev",
                "--dry-run",
            ],
        ),
        (
            "setup-logging-dry-run",
            &[
                "setup",
                "logging",
                "--log-group",
                "g",
                "--create-role",
                "--dry-run",
            ],
        ),
    ];
    for (name, args) in runs {
        for bearer in [false, true] {
            check(&emulator, &format!("{name}-bearer-{bearer}"), args, bearer);
        }
    }
}

#[test]
fn errors_that_repeat_the_request_s_credentials_are_blanked() {
    // Each of these answers with access denied and a message carrying the request's
    // Authorization header (the access key ID, or the bearer key) and its session token.
    let emulator = Emulator::start();
    for operation in [
        "sts:GetCallerIdentity",
        "bedrock:ListFoundationModels",
        "bedrock:ListInferenceProfiles",
        "iam:SimulatePrincipalPolicy",
        "bedrock-runtime:InvokeModel",
        "bedrock-mantle:ListModels",
        "cloudtrail:DescribeTrails",
        "organizations:DescribeOrganization",
    ] {
        emulator.on(operation, Rule::Fault(Fault::EchoCredentials));
    }
    for bearer in [false, true] {
        for (format, out) in [("json", false), ("table", false), ("sarif", true)] {
            let mut args = vec![
                "doctor", "--mantle", "--model", "sonnet", "--output", format,
            ];
            if out {
                args.extend(["--out", "{out}"]);
            }
            let run = check(
                &emulator,
                &format!("doctor-{format}-{bearer}"),
                &args,
                bearer,
            );
            assert_ne!(run.code, 0);
            let mut args = vec!["audit", "--output", format];
            if out {
                args.extend(["--out", "{out}"]);
            }
            check(
                &emulator,
                &format!("audit-{format}-{bearer}"),
                &args,
                bearer,
            );
        }
    }
    // A narrow table wraps messages and Markdown escapes them: a secret is blanked before
    // either could cut it where the blanking would no longer find it whole.
    for (format, columns) in [("table", "24"), ("table", "41"), ("markdown", "80")] {
        let run = check_with(
            &emulator,
            &format!("doctor-{format}-{columns}"),
            &[
                "doctor", "--mantle", "--model", "sonnet", "--output", format,
            ],
            true,
            &[("COLUMNS", columns)],
        );
        // The table's last column, its wrapped lines joined again without the spaces the
        // wrapping put between pieces: what a secret cut in two would read as.
        let joined: String = run
            .stdout
            .lines()
            .filter_map(|line| line.rsplit('┆').next())
            .flat_map(|cell| cell.chars().filter(|c| !c.is_whitespace() && *c != '│'))
            .collect();
        for secret in [KEY_ID, SECRET, TOKEN, BEARER] {
            assert!(
                !joined.contains(secret),
                "{secret} cut in pieces:\n{}",
                run.stdout
            );
        }
        // Markdown shows the brackets escaped.
        assert!(joined.contains("redacted"), "{}", run.stdout);
    }
    // The echo did reach the tool, and what it shows of it is the blank.
    let run = check(
        &emulator,
        "doctor-echo-shown",
        &["doctor", "--output", "json"],
        false,
    );
    assert!(run.stdout.contains("[redacted]"), "{}", run.stdout);
    assert!(
        emulator
            .front
            .requests()
            .iter()
            .any(|r| r.answered_by == "fault:echo-credentials"),
    );
}
