//! `quotas.usage`: the account's CloudWatch metrics, recorded per minute in the front server's
//! metric store (moto cannot answer CloudWatch's CBOR protocol), judged against the quotas of
//! the default account (`tests/fixtures/account.json`): Sonnet 4.6 through `us.` has 3,000,000
//! cross-region tokens and 2,000 requests per minute, and 720,000,000 tokens per day (doubled
//! for cross-region calls).

use clap::Parser;
use serde_json::Value;

use crate::support::fixture;
use crate::support::front::{Fault, Rule};
use crate::support::sandbox::Sandbox;
use crate::{Run, findings};

const SONNET_US: &str = "us.anthropic.claude-sonnet-4-6";
const SONNET_GLOBAL: &str = "global.anthropic.claude-sonnet-4-6";

fn now_minute() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    now - now % 60
}

/// One minute of one ID's traffic.
#[derive(Clone, Copy)]
struct Traffic {
    invocations: f64,
    throttles: f64,
    input: f64,
    output: f64,
}

impl Traffic {
    const STEADY: Traffic = Traffic {
        invocations: 87.0,
        throttles: 13.0,
        input: 100_000.0,
        output: 20_000.0,
    };
}

fn record(sandbox: &Sandbox, id: &str, at: i64, t: Traffic) {
    let mut store = sandbox.front.metrics();
    for (metric, value) in [
        ("Invocations", t.invocations),
        ("InvocationThrottles", t.throttles),
        ("InputTokenCount", t.input),
        ("OutputTokenCount", t.output),
    ] {
        store.record_bedrock("us-east-1", id, metric, at, value);
    }
}

/// `t` every minute of the last `hours` hours (the current minute left out: CloudWatch's
/// end is exclusive).
fn steady(sandbox: &Sandbox, id: &str, hours: i64, t: Traffic) {
    let now = now_minute();
    for minute in 1..=hours * 60 {
        record(sandbox, id, now - minute * 60, t);
    }
}

/// The sandbox with GetMetricData answered from its metric store, whatever the query.
fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.front.forget("monitoring:GetMetricData");
    sandbox
}

fn usage(report: &Value) -> Vec<Value> {
    findings(report, "quotas.usage")
        .into_iter()
        .cloned()
        .collect()
}

fn by_code<'a>(findings: &'a [Value], code: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {findings:#?}"))
}

/// The fix as sh splits it: it is the command alone, safe to paste.
fn words(command: &str) -> Vec<String> {
    shlex::split(command).expect("the fix splits as sh would")
}

#[test]
fn throttling_fails_and_a_peak_near_the_quota_warns_with_the_figures_and_the_increase() {
    let sandbox = sandbox();
    // Pages of 5,000 values: the verdict must see every page.
    sandbox.front.metrics().page_limit = Some(5_000);
    steady(&sandbox, SONNET_US, 72, Traffic::STEADY);
    // One minute two hours ago at 95% of 3,000,000: 1,900,000 in and 190,000 out, which
    // count five times (Claude 4 output burndown).
    let spike = now_minute() - 120 * 60;
    {
        let mut store = sandbox.front.metrics();
        store.record_bedrock(
            "us-east-1",
            SONNET_US,
            "InputTokenCount",
            spike,
            1_800_000.0,
        );
        store.record_bedrock("us-east-1", SONNET_US, "OutputTokenCount", spike, 170_000.0);
    }
    let (run, report) = sandbox.doctor(&["--model", SONNET_US]);
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let usage = usage(&report);
    let throttled = by_code(&usage, "quotas.usage/throttled");
    assert_eq!(throttled["status"], "fail");
    assert_eq!(throttled["resource"], SONNET_US);
    assert_eq!(throttled["region"], "us-east-1");
    let message = throttled["message"].as_str().unwrap();
    assert!(message.contains("13.0% of 432,000 requests"), "{message}");
    assert_eq!(throttled["evidence"]["throttled_share"], 0.13);
    let near = by_code(&usage, "quotas.usage/near-quota");
    assert_eq!(near["status"], "warn");
    let message = near["message"].as_str().unwrap();
    assert!(
        message.contains("peak 2,850,000 tokens per minute")
            && message.contains("is 95.0% of Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6 (3,000,000)"),
        "{message}"
    );
    assert_eq!(near["evidence"]["output_burndown"], 5.0);
    // The increase puts the peak, scaled up by the 13% its hour lost, at 60% of the quota:
    // 2,850,000 / 0.87 / 0.6 = 5,459,770, rounded up to two figures.
    let fix = near["remediation"].as_str().unwrap();
    assert_eq!(
        words(fix),
        [
            "bedrock-preflight",
            "setup",
            "quotas",
            "--model",
            SONNET_US,
            "--region",
            "us-east-1",
            "--tpm",
            "5500000",
            "--yes"
        ]
    );
    let message = near["message"].as_str().unwrap();
    assert!(
        message.contains("a global profile (global.anthropic.claude-sonnet-4-6)"),
        "{message}"
    );
    assert!(message.contains("prompt caching"), "{message}");
    // Warn only: doctor --fix would not request it.
    assert!(near["evidence"].get("quota_increase").is_none());
    // The throttling is the quota's doing here, so its fix is the same increase.
    assert_eq!(
        words(throttled["remediation"].as_str().unwrap()),
        words(fix)
    );
    assert_eq!(throttled["evidence"]["quota_increase"]["tpm"], 5_500_000);
    // One request, every page of it.
    let asked: Vec<_> = sandbox
        .front
        .requests()
        .into_iter()
        .filter(|r| r.key() == "monitoring:GetMetricData")
        .collect();
    assert!(asked.len() > 1, "pages: {}", asked.len());
    let digests: std::collections::HashSet<_> = asked.iter().map(|r| &r.digest).collect();
    assert_eq!(digests.len(), asked.len(), "a page was asked twice");
}

#[test]
fn no_traffic_is_a_pass_that_says_so() {
    let sandbox = sandbox();
    let (run, report) = sandbox.doctor(&["--model", SONNET_US]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let usage = usage(&report);
    assert_eq!(usage.len(), 1, "{usage:#?}");
    assert_eq!(usage[0]["code"], "quotas.usage/no-traffic");
    assert_eq!(usage[0]["status"], "pass");
    assert!(
        usage[0]["message"]
            .as_str()
            .unwrap()
            .contains("no call to us.anthropic.claude-sonnet-4-6 (cross-region) in us-east-1 in the last 7 days"),
        "{}",
        usage[0]
    );
}

#[test]
fn throttling_on_the_global_profile_is_judged_against_its_own_quota_only() {
    let sandbox = sandbox();
    let calm = Traffic {
        throttles: 0.0,
        ..Traffic::STEADY
    };
    steady(&sandbox, SONNET_US, 24, calm);
    steady(
        &sandbox,
        SONNET_GLOBAL,
        24,
        Traffic {
            invocations: 97.0,
            throttles: 3.0,
            ..Traffic::STEADY
        },
    );
    let (run, report) = sandbox.doctor(&["--model", SONNET_US, "--model", SONNET_GLOBAL]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let usage = usage(&report);
    let of = |id: &str| -> Vec<&Value> { usage.iter().filter(|f| f["resource"] == id).collect() };
    let regional = of(SONNET_US);
    assert_eq!(regional.len(), 1, "{regional:#?}");
    assert_eq!(regional[0]["code"], "quotas.usage/within-quota");
    let global = of(SONNET_GLOBAL);
    assert_eq!(global.len(), 1, "{global:#?}");
    // 3% is above 1% (warn) and below 5% (fail); 200,000 tokens a minute is 5% of the
    // global 4,000,000, so the cause is not the quota.
    assert_eq!(global[0]["code"], "quotas.usage/throttled-below-quota");
    assert_eq!(global[0]["status"], "warn");
    let fix = global[0]["remediation"].as_str().unwrap();
    assert!(fix.contains("CLAUDE_CODE_MAX_OUTPUT_TOKENS"), "{fix}");
    assert!(!fix.contains("setup quotas"), "{fix}");
    assert!(!fix.contains("a global profile"), "{fix}");
    // Held against the global quotas, not the cross-region ones.
    let held: Vec<&str> = global[0]["evidence"]["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        held[..2],
        [
            "Global cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6",
            "Global cross-region model inference requests per minute for Anthropic Claude Sonnet 4.6"
        ]
    );
}

#[test]
fn application_profiles_are_summed_with_the_route_they_copy_and_named_by_share() {
    let sandbox = sandbox();
    let listed = sandbox.front.rule("bedrock:ListInferenceProfiles").unwrap();
    sandbox.front.on(
        "bedrock:ListInferenceProfiles",
        Rule::Match(
            vec![(
                "type=APPLICATION".into(),
                Rule::Fixture(fixture("bedrock/ListInferenceProfiles.application.json")),
            )],
            Box::new(listed),
        ),
    );
    // Each alone is below 80% of the 3,000,000 cross-region quota; together, at the same
    // minute, 2,700,000 is 90%. One profile's calls are recorded under its ID, the other's
    // under its ARN: the check reads both forms.
    let at = now_minute() - 600;
    let load = |input: f64| Traffic {
        invocations: 50.0,
        throttles: 0.0,
        input,
        output: 0.0,
    };
    record(&sandbox, SONNET_US, at, load(300_000.0));
    record(&sandbox, "a1b2c3d4e5f6", at, load(1_500_000.0));
    record(
        &sandbox,
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/f6e5d4c3b2a1",
        at,
        load(900_000.0),
    );
    let (run, report) = sandbox.doctor(&["--model", SONNET_US]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let near = by_code(&usage(&report), "quotas.usage/near-quota").clone();
    assert_eq!(near["status"], "warn");
    let message = near["message"].as_str().unwrap();
    assert!(
        message.contains("peak 2,700,000 tokens per minute"),
        "{message}"
    );
    assert!(
        message.contains(
            "most of it through team-claude-code (1,500,000), team-batch (900,000), us.anthropic.claude-sonnet-4-6 (300,000)"
        ),
        "{message}"
    );
}

#[test]
fn metrics_that_cannot_be_read_are_an_error_naming_the_permission() {
    let sandbox = Sandbox::new();
    sandbox.front.on(
        "monitoring:GetMetricData",
        Rule::Match(
            vec![(
                "InvocationThrottles".into(),
                Rule::Fault(Fault::AccessDenied),
            )],
            Box::new(Rule::Forward),
        ),
    );
    let (run, report): (Run, Value) = sandbox.doctor(&["--model", SONNET_US]);
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    let usage = usage(&report);
    assert_eq!(usage.len(), 1, "{usage:#?}");
    assert_eq!(usage[0]["status"], "error");
    assert_eq!(
        usage[0]["evidence"]["operation"],
        "monitoring:GetMetricData"
    );
    let said = format!("{} {}", usage[0]["message"], usage[0]["remediation"]);
    assert!(said.contains("cloudwatch:GetMetricData"), "{said}");
}

#[test]
fn a_window_past_what_cloudwatch_keeps_per_minute_is_refused() {
    let sandbox = sandbox();
    let cli = bedrock_preflight::cli::Cli::try_parse_from([
        "bedrock-preflight",
        "doctor",
        "--usage-window",
        "30",
    ]);
    let Err(error) = cli else {
        panic!("--usage-window 30 was accepted");
    };
    let error = error.to_string();
    assert!(error.contains("--usage-window"), "{error}");
    let (run, report) = sandbox.doctor(&["--model", SONNET_US, "--usage-window", "1"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        usage(&report)[0]["message"]
            .as_str()
            .unwrap()
            .contains("in the last day"),
        "{report}"
    );
}

#[test]
fn audit_judges_every_claude_quota_with_traffic_in_the_region_and_only_those() {
    let emulator = crate::audit::compliant_account(&["us-east-1"], "30");
    emulator.on(
        "bedrock:ListFoundationModels",
        Rule::Fixture(fixture("bedrock/ListFoundationModels.json")),
    );
    emulator.on(
        "bedrock:ListInferenceProfiles",
        Rule::Match(
            vec![(
                "type=APPLICATION".into(),
                Rule::Fixture(fixture(
                    "bedrock/ListInferenceProfiles.application-one.json",
                )),
            )],
            Box::new(Rule::Pages(vec![
                fixture("bedrock/ListInferenceProfiles.us.json"),
                fixture("bedrock/ListInferenceProfiles.us.page-2.json"),
            ])),
        ),
    );
    emulator.on(
        "servicequotas:ListServiceQuotas",
        Rule::Pages(vec![
            fixture("servicequotas/ListServiceQuotas.json"),
            fixture("servicequotas/ListServiceQuotas.page-2.json"),
        ]),
    );
    let now = now_minute();
    {
        let mut store = emulator.front.metrics();
        for minute in 1..=180 {
            let at = now - minute * 60;
            // Sonnet 4.6 through us., and through the team's application profile: 8% throttled.
            for id in [SONNET_US, "a1b2c3d4e5f6"] {
                store.record_bedrock("us-east-1", id, "Invocations", at, 46.0);
                store.record_bedrock("us-east-1", id, "InvocationThrottles", at, 4.0);
                store.record_bedrock("us-east-1", id, "InputTokenCount", at, 10_000.0);
            }
            // Haiku 4.5 through global., calm.
            let haiku = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
            store.record_bedrock("us-east-1", haiku, "Invocations", at, 10.0);
            store.record_bedrock("us-east-1", haiku, "InputTokenCount", at, 5_000.0);
        }
    }
    let mut cmd = emulator.cmd();
    cmd.args(["audit", "--output", "json", "--region", "us-east-1"]);
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let mut judged: Vec<(String, String)> = usage(&report)
        .iter()
        .map(|f| {
            (
                f["resource"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    judged.sort();
    assert_eq!(
        judged,
        [
            (
                "global.anthropic.claude-haiku-4-5-20251001-v1:0".to_string(),
                "quotas.usage/within-quota".to_string()
            ),
            (
                SONNET_US.to_string(),
                "quotas.usage/throttled-below-quota".to_string()
            ),
        ]
    );
    let sonnet = usage(&report)
        .into_iter()
        .find(|f| f["resource"] == SONNET_US)
        .unwrap();
    assert_eq!(sonnet["status"], "fail");
    assert_eq!(sonnet["controls"], serde_json::json!(["BP-CAP-1"]));
    let message = sonnet["message"].as_str().unwrap();
    assert!(message.contains("8.0% of 18,000 requests"), "{message}");
    assert!(message.contains("most of it through"), "{message}");
}

/// A peak past the quota fails, and `doctor --fix` plans the increase its finding asks for,
/// through setup quotas' planner.
#[test]
fn doctor_fix_requests_the_increase_a_failed_usage_finding_asks_for() {
    let emulator = crate::support::Emulator::start();
    let at = now_minute() - 300;
    {
        let mut store = emulator.front.metrics();
        store.record_bedrock("us-east-1", SONNET_US, "Invocations", at, 100.0);
        // 3,150,000 is 105% of the 3,000,000 cross-region quota.
        store.record_bedrock("us-east-1", SONNET_US, "InputTokenCount", at, 3_150_000.0);
    }
    let doctor = |extra: &[&str]| {
        let run = Run::of(
            emulator
                .cmd()
                .args([
                    "doctor",
                    "--model",
                    SONNET_US,
                    "--no-probe",
                    "--output",
                    "json",
                ])
                .args(extra),
        );
        let report = run.report();
        (run, report)
    };
    let (run, report) = doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let near = by_code(&usage(&report), "quotas.usage/near-quota").clone();
    assert_eq!(near["status"], "fail");
    // 3,150,000 / 0.6 = 5,250,000, two figures: 5,300,000.
    assert_eq!(
        near["evidence"]["quota_increase"],
        serde_json::json!({"model": SONNET_US, "region": "us-east-1", "tpm": 5_300_000})
    );
    let fix = near["remediation"].as_str().unwrap();
    let parsed = bedrock_preflight::cli::Cli::try_parse_from(words(fix));
    assert!(
        parsed.is_ok(),
        "{fix}: {:?}",
        parsed.err().map(|e| e.to_string())
    );

    let (run, report) = doctor(&["--fix", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let steps = report["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(
        steps[0]["operation"],
        "servicequotas:RequestServiceQuotaIncrease"
    );
    assert_eq!(
        steps[0]["summary"],
        "Request 5300000 (now 3000000) for Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6"
    );
    assert!(crate::writes(&emulator).is_empty());
}

#[test]
fn expect_tpm_is_the_tokens_per_minute_the_increase_asks_for() {
    let sandbox = sandbox();
    let at = now_minute() - 300;
    record(
        &sandbox,
        SONNET_US,
        at,
        Traffic {
            invocations: 100.0,
            throttles: 0.0,
            input: 2_700_000.0,
            output: 0.0,
        },
    );
    let (_, report) = sandbox.doctor(&["--model", SONNET_US, "--expect-tpm", "8M"]);
    let near = by_code(&usage(&report), "quotas.usage/near-quota").clone();
    assert_eq!(near["status"], "warn", "{near}");
    let fix = words(near["remediation"].as_str().unwrap());
    assert_eq!(fix[7..9], ["--tpm", "8000000"], "{fix:?}");
}

/// The daily quota is the model's: calls through `us.` and `global.` both draw on it.
#[test]
fn the_daily_quota_is_held_against_every_route_of_the_model() {
    let sandbox = sandbox();
    let at = now_minute() - 600;
    let day = |input: f64| Traffic {
        invocations: 100.0,
        throttles: 0.0,
        input,
        output: 0.0,
    };
    // 700,000,000 and 800,000,000: each below, together 104% of 1,440,000,000 (720,000,000
    // doubled for cross-region calls).
    record(&sandbox, SONNET_US, at, day(700_000_000.0));
    record(&sandbox, SONNET_GLOBAL, at, day(800_000_000.0));
    let (_, report) = sandbox.doctor(&["--model", SONNET_US]);
    let near = by_code(&usage(&report), "quotas.usage/near-quota").clone();
    let message = near["message"].as_str().unwrap();
    assert!(
        message.contains("peak 1,500,000,000 tokens per day")
            && message.contains(
                "is 104.2% of Model invocation max tokens per day for Anthropic Claude Sonnet 4.6"
            ),
        "{message}"
    );
}
