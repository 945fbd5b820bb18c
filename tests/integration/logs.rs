//! What `-v`, `-vv` and `RUST_LOG` put on stderr, and that progress never does when stderr is
//! not a terminal. The report stays alone on stdout throughout.

use crate::Run;
use crate::support::Emulator;
use crate::support::front::{Fault, Rule};

/// The lines of `stderr` about `operation`, at `level` (`INFO`, `DEBUG`).
fn lines<'a>(stderr: &'a str, level: &str, operation: &str) -> Vec<&'a str> {
    stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(level) && l.contains(&format!("{operation} ")))
        .collect()
}

#[test]
fn verbose_logs_one_line_per_call_with_pages_apart_from_attempts() {
    let emulator = Emulator::front_only();
    emulator.on("sts:GetCallerIdentity", Rule::Fault(Fault::Throttle));
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json", "-v"]));
    run.report();
    // The front server answers ListServiceQuotas in two pages: one call, two pages, no retry.
    let quotas = lines(&run.stderr, "INFO", "servicequotas:ListServiceQuotas");
    assert_eq!(quotas.len(), 1, "{}", run.stderr);
    assert!(
        quotas[0].contains("region=us-east-1 status=ok http=200 pages=2 attempts=2 ms="),
        "{}",
        quotas[0]
    );
    // Throttled on every attempt: one call, one page, three attempts.
    let identity = lines(&run.stderr, "INFO", "sts:GetCallerIdentity");
    assert_eq!(identity.len(), 1, "{}", run.stderr);
    assert!(
        identity[0].contains("region=us-east-1 status=throttled http=400 pages=1 attempts=3 ms="),
        "{}",
        identity[0]
    );
    assert!(
        run.stderr
            .contains("total sts:GetCallerIdentity: calls=1 pages=1 attempts=3"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("DEBUG"),
        "-v is not -vv: {}",
        run.stderr
    );
}

#[test]
fn very_verbose_logs_request_ids_and_each_retry_with_its_cause() {
    let emulator = Emulator::front_only();
    emulator.on("sts:GetCallerIdentity", Rule::Fault(Fault::Throttle));
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json", "-vv"]));
    run.report();
    let attempts = lines(&run.stderr, "DEBUG", "sts:GetCallerIdentity");
    assert!(
        attempts.iter().any(|l| l.contains(
            "sts:GetCallerIdentity retry: attempt 2, after HTTP 400 (throttling error, retryable)"
        )),
        "{}",
        run.stderr
    );
    assert!(
        attempts
            .iter()
            .any(|l| l.contains("attempt 3 (request ID front-fault)")),
        "{}",
        run.stderr
    );
    // Each page's answer has its own request ID.
    let pages = lines(&run.stderr, "DEBUG", "servicequotas:ListServiceQuotas");
    assert!(
        pages
            .iter()
            .any(|l| l.contains("page 2 attempt 1 (request ID front-fixture): HTTP 200")),
        "{}",
        run.stderr
    );
    // The SDK's own debug is -vvv's.
    assert!(!run.stderr.contains("beginning attempt"), "{}", run.stderr);
}

#[test]
fn an_aws_config_warning_is_printed_once() {
    let emulator = Emulator::front_only();
    let missing = emulator.home().join("no-such-config");
    let run = Run::of(
        emulator
            .cmd()
            .env("AWS_CONFIG_FILE", &missing)
            .args(["doctor", "--output", "json", "-v"]),
    );
    run.report();
    let warning = format!("not found path={}", missing.display());
    assert_eq!(run.stderr.matches(&warning).count(), 1, "{}", run.stderr);
}

#[test]
fn rust_log_overrides_the_verbosity() {
    let emulator = Emulator::front_only();
    let run = Run::of(
        emulator
            .cmd()
            .env("RUST_LOG", "bedrock_preflight=debug")
            .args(["doctor", "--output", "json"]),
    );
    run.report();
    assert!(
        !lines(&run.stderr, "DEBUG", "sts:GetCallerIdentity").is_empty(),
        "{}",
        run.stderr
    );
    let run = Run::of(
        emulator
            .cmd()
            .env("RUST_LOG", "error")
            .args(["doctor", "--output", "json", "-vv"]),
    );
    run.report();
    assert!(!run.stderr.contains("INFO"), "{}", run.stderr);
    let run = Run::of(
        emulator
            .cmd()
            .env("RUST_LOG", "bedrock_preflight=debug")
            .args(["doctor", "--output", "json", "-q"]),
    );
    run.report();
    assert_eq!(run.stderr, "", "-q stays quiet");
}

#[test]
fn no_progress_is_drawn_when_stderr_is_not_a_terminal() {
    let emulator = Emulator::start();
    for args in [
        &[
            "audit",
            "--regions",
            "us-east-1,us-west-2,eu-west-1",
            "--output",
            "json",
        ][..],
        &["doctor", "--fix", "--dry-run", "--output", "json"][..],
    ] {
        let run = Run::of(emulator.cmd().args(args));
        run.report();
        assert!(
            !run.stderr.contains("checks done")
                && !run.stderr.contains('\r')
                && !run.stderr.contains('\u{1b}'),
            "{args:?}: {:?}",
            run.stderr
        );
    }
}
