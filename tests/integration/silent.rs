//! `--timeout` bounds every AWS call of every command: against an endpoint that accepts
//! connections and never answers, each command ends within a few multiples of it.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::Run;
use crate::support::Emulator;

/// A loopback server that accepts and never answers, for at most `life`: it holds every
/// connection open until then, and stops by itself.
fn silent_endpoint(life: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let until = Instant::now() + life;
        let mut held = Vec::new();
        while Instant::now() < until {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    url
}

#[test]
fn every_command_ends_by_its_timeout_against_an_endpoint_that_never_answers() {
    let emulator = Emulator::front_only();
    let silent = silent_endpoint(Duration::from_secs(300));
    let role = "arn:aws:iam::123456789012:role/dev";
    let profile =
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6";
    let commands: &[&[&str]] = &[
        &["doctor", "--output", "json"],
        &["audit", "--output", "json"],
        &[
            "setup",
            "logging",
            "--log-group",
            "g",
            "--create-role",
            "--dry-run",
        ],
        &[
            "setup",
            "logging",
            "--log-group",
            "g",
            "--role-arn",
            role,
            "--yes",
        ],
        &["setup", "logging", "--bucket", "bedrock-logs", "--dry-run"],
        &[
            "setup",
            "model-access",
            "--model",
            "anthropic.claude-sonnet-4-6",
            "--dry-run",
        ],
        &[
            "setup",
            "quotas",
            "--model",
            "anthropic.claude-sonnet-4-6",
            "--tpm",
            "5M",
            "--dry-run",
        ],
        &[
            "policy",
            "explain",
            "--principal",
            role,
            "--action",
            "bedrock:InvokeModel",
            "--resource",
            profile,
        ],
        &[
            "policy",
            "apply",
            "claude-invoke",
            "--attach-to",
            "role/dev",
            "--dry-run",
        ],
        &[
            "policy",
            "apply",
            "claude-invoke",
            "--attach-to",
            "role/dev",
            "--model",
            "us.anthropic.claude-sonnet-4-6",
            "--yes",
        ],
        &["policy", "render", "claude-invoke"],
    ];
    for args in commands {
        let started = Instant::now();
        let mut cmd = emulator.cmd();
        cmd.env("AWS_ENDPOINT_URL", &silent)
            .args(["--timeout", "2"])
            .args(*args)
            .timeout(Duration::from_secs(60));
        let run = Run::of(&mut cmd);
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "{args:?} took {took:?} with --timeout 2"
        );
        assert_ne!(run.code, 0, "{args:?}: nothing answered, so nothing passed");
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains("timed out") || said.contains("timeout"),
            "{args:?} does not say it timed out: {said}"
        );
    }
}
