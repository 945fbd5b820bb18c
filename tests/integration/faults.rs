//! Faults on the tool's own reads: each becomes an `error` finding with its cause, and the
//! run completes with a valid report.

use std::time::{Duration, Instant};

use crate::support::Emulator;
use crate::support::front::{Fault, Rule};
use crate::{Run, finding};

fn identity_error(fault: Fault) -> (serde_json::Value, Emulator) {
    let emulator = Emulator::front_only();
    emulator.on("sts:GetCallerIdentity", Rule::Fault(fault));
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 3, "{fault:?}: {}", run.stderr);
    let report = run.report();
    let identity = finding(&report, "identity.caller").clone();
    assert_eq!(identity["status"], "error", "{fault:?}");
    assert_eq!(identity["evidence"]["operation"], "sts:GetCallerIdentity");
    // The run went on: the region check does not depend on STS.
    assert_eq!(finding(&report, "region.config")["status"], "pass");
    (identity, emulator)
}

#[test]
fn throttling_past_retries_is_an_error_and_the_run_completes() {
    let (identity, emulator) = identity_error(Fault::Throttle);
    assert_eq!(identity["evidence"]["error_kind"], "throttled");
    assert_eq!(identity["evidence"]["error_code"], "Throttling");
    assert!(identity["remediation"].as_str().is_some());
    // The SDK's standard retry mode: three attempts, then the error.
    assert_eq!(emulator.front.count("sts:GetCallerIdentity"), 3);
}

#[test]
fn a_server_error_is_an_error() {
    let (identity, _) = identity_error(Fault::ServerError);
    assert_eq!(identity["evidence"]["error_kind"], "unavailable");
}

#[test]
fn access_denied_on_our_own_read_is_an_error_with_a_fix() {
    let (identity, emulator) = identity_error(Fault::AccessDenied);
    assert_eq!(identity["evidence"]["error_kind"], "access_denied");
    assert!(
        identity["remediation"]
            .as_str()
            .unwrap()
            .contains("sts:GetCallerIdentity")
    );
    assert_eq!(
        emulator.front.count("sts:GetCallerIdentity"),
        1,
        "access denied is not retried"
    );
}

#[test]
fn a_malformed_answer_is_an_error_not_a_pass() {
    let (identity, _) = identity_error(Fault::MalformedBody);
    assert_eq!(identity["evidence"]["error_kind"], "malformed_response");
}

#[test]
fn a_delay_past_the_timeout_is_an_error_not_a_hang() {
    let emulator = Emulator::start();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Delay(Duration::from_secs(60), Box::new(Rule::Forward)),
    );
    let clock = Instant::now();
    let run = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--output", "json", "--timeout", "1"]),
    );
    let took = clock.elapsed();
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "error");
    let message = identity["message"].as_str().unwrap();
    assert!(
        message.contains("timed out") && message.contains("sts:GetCallerIdentity"),
        "{message}"
    );
    assert_eq!(identity["evidence"]["error_kind"], "timeout");
    assert_eq!(finding(&report, "credentials.resolve")["status"], "pass");
}
