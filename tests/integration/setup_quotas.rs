//! `setup quotas` through the binary against moto and the front server's Service Quotas (the
//! default account's quotas, increase requests in botocore's shapes): the plan names each
//! quota by code with its value now and the value asked, nothing is sent without `--yes`, an
//! increase goes out once per quota and region, an open request for as much is nothing to
//! change, and what Service Quotas cannot raise is refused with the way that can.

use serde_json::Value;

use crate::support::front::{Fault, Rule};
use crate::support::{Emulator, fixture};
use crate::{Run, plan_run, plan_steps, writes};

const HISTORY: &str = "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota";
const INCREASE: &str = "servicequotas:RequestServiceQuotaIncrease";
/// Sonnet 4.6's cross-region tokens per minute in the default account: 3,000,000 applied.
const SONNET_TPM: &str = "L-00000007";
const TPM_NAME: &str =
    "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6";

fn setup(emulator: &Emulator, args: &[&str]) -> (Run, Value) {
    plan_run(emulator.cmd().args(["setup", "quotas"]).args(args))
}

/// Once an increase in `region` is sent, that region's history lists it, pending.
fn pending_once_requested(emulator: &Emulator, region: &str) {
    emulator.on(
        &format!("{INCREASE}@{region}"),
        Rule::Then(
            Box::new(Rule::Fixture(fixture(
                "servicequotas/RequestServiceQuotaIncrease.json",
            ))),
            vec![(
                format!("{HISTORY}@{region}"),
                Rule::Fixture(fixture(
                    "servicequotas/ListRequestedServiceQuotaChangeHistoryByQuota.pending.json",
                )),
            )],
        ),
    );
}

/// The writes that succeeded, as (region, body).
fn increases_made(emulator: &Emulator) -> Vec<(String, Value)> {
    emulator
        .front
        .requests()
        .into_iter()
        .filter(|r| r.mutating && (200..300).contains(&r.status))
        .map(|r| {
            assert_eq!(r.key(), INCREASE);
            let body = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            (r.region.unwrap_or_default(), body)
        })
        .collect()
}

#[test]
fn setup_quotas_plans_applies_and_converges() {
    let emulator = Emulator::start();
    let args = [
        "--model",
        "sonnet",
        "--region",
        "us-east-1,eu-west-1",
        "--tpm",
        "5M",
    ];
    let (run, report) = setup(&emulator, &[&args[..], &["--dry-run"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["command"], "setup quotas");
    assert_eq!(report["plan"]["confirmation"], "dry-run");
    let steps = report["plan"]["steps"].as_array().unwrap();
    let mut resources: Vec<&str> = steps
        .iter()
        .map(|s| s["resource"].as_str().unwrap())
        .collect();
    resources.sort();
    assert_eq!(
        resources,
        [
            "bedrock/L-00000007 in eu-west-1",
            "bedrock/L-00000007 in us-east-1"
        ],
        "each region's own route: eu. and us. profiles, both cross-region"
    );
    for step in steps {
        assert_eq!(step["operation"], INCREASE);
        assert_eq!(step["result"], "not-sent");
        assert_eq!(step["rerun"], "plan-first");
        assert_eq!(
            step["summary"],
            format!("Request 5000000 (now 3000000) for {TPM_NAME}")
        );
    }
    assert_eq!(
        report["plan"]["permissions"],
        serde_json::json!([{"action": "servicequotas:RequestServiceQuotaIncrease", "resource": null, "passed_to_service": null}])
    );
    assert!(writes(&emulator).is_empty(), "{:?}", writes(&emulator));
    assert_eq!(
        emulator.front.count(HISTORY),
        2,
        "one read per region's quota"
    );

    // As a person reads it: the code, the value now and the value asked.
    let table = Run::of(
        emulator
            .cmd()
            .env("COLUMNS", "240")
            .args(["setup", "quotas"])
            .args(args),
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    for said in [
        "bedrock/L-00000007 in us-east-1",
        &format!("Request 5000000 (now 3000000) for {TPM_NAME}"),
        "Nothing was sent: run again with --yes to apply this plan.",
    ] {
        assert!(table.stdout.contains(said), "{said}:\n{}", table.stdout);
    }
    assert!(writes(&emulator).is_empty(), "nothing without --yes");

    pending_once_requested(&emulator, "us-east-1");
    pending_once_requested(&emulator, "eu-west-1");
    let (run, report) = setup(&emulator, &[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert!(
        plan_steps(&report)
            .iter()
            .all(|(_, result)| result == "done")
    );
    let mut made = increases_made(&emulator);
    made.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(made.len(), 2, "{made:?}");
    for ((region, body), wanted) in made.iter().zip(["eu-west-1", "us-east-1"]) {
        assert_eq!(region, wanted);
        assert_eq!(body["ServiceCode"], "bedrock");
        assert_eq!(body["QuotaCode"], SONNET_TPM);
        assert_eq!(body["DesiredValue"].as_f64(), Some(5_000_000.0), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    }

    // The requests are pending now: the next run finds them and sends nothing.
    let (run, report) = setup(&emulator, &[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    let unchanged = report["plan"]["unchanged"].as_array().unwrap();
    assert_eq!(unchanged.len(), 2);
    assert!(
        unchanged.iter().all(|u| u.as_str().unwrap().contains(
            "request c6a1e1b2f4d34a5e9b7c0d1e2f3a4b5c (PENDING) already asks for 5000000"
        )),
        "{unchanged:?}"
    );
    assert_eq!(increases_made(&emulator).len(), 2, "a re-run sends nothing");
    let table = Run::of(
        emulator
            .cmd()
            .args(["setup", "quotas"])
            .args(args)
            .arg("--yes"),
    );
    assert!(
        table.stdout.contains(&format!(
            "  Nothing to change: bedrock/L-00000007 in us-east-1 ({TPM_NAME}) is 3000000, and request \
             c6a1e1b2f4d34a5e9b7c0d1e2f3a4b5c (PENDING) already asks for 5000000, at or above the 5000000 asked"
        )),
        "{}",
        table.stdout
    );

    // At or below the applied value: nothing to read, nothing to change.
    emulator.front.clear_log();
    let (run, report) = setup(
        &emulator,
        &[
            "--model",
            "sonnet",
            "--region",
            "us-east-1",
            "--tpm",
            "3M",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty());
    assert_eq!(emulator.front.count(HISTORY), 0);
}

#[test]
fn a_request_already_open_for_more_is_nothing_to_change_and_one_for_less_is_named() {
    let emulator = Emulator::start();
    // Every page: the first holds a denied request, the second the open one.
    emulator.on(
        HISTORY,
        Rule::Pages(vec![
            fixture("servicequotas/ListRequestedServiceQuotaChangeHistoryByQuota.case-opened.json"),
            fixture(
                "servicequotas/ListRequestedServiceQuotaChangeHistoryByQuota.case-opened.page-2.json",
            ),
        ]),
    );
    let args = ["--model", "sonnet", "--region", "us-east-1", "--yes"];
    let (run, report) = setup(&emulator, &[&args[..], &["--tpm", "5M"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    assert_eq!(
        report["plan"]["unchanged"][0],
        format!(
            "bedrock/L-00000007 in us-east-1 ({TPM_NAME}) is 3000000, and request \
             5b4a3c2d1e0f4a9b8c7d6e5f4a3b2c1d (case 17491234561, CASE_OPENED) already asks for 8000000, \
             at or above the 5000000 asked"
        )
    );
    assert_eq!(emulator.front.count(HISTORY), 2, "both pages read");

    // Above the open request: Service Quotas would refuse a second one, so none is sent.
    let (run, report) = setup(&emulator, &[&args[..], &["--tpm", "12M"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    assert!(
        run.stderr.contains(
            "has request 5b4a3c2d1e0f4a9b8c7d6e5f4a3b2c1d (case 17491234561, CASE_OPENED) open for 8000000, \
             below the 12000000 asked"
        ) && run.stderr.contains("ask in AWS Support case 17491234561 for 12000000 instead"),
        "{}",
        run.stderr
    );
    assert!(writes(&emulator).is_empty());
}

#[test]
fn a_quota_service_quotas_cannot_raise_is_refused_with_the_support_case() {
    let emulator = Emulator::start();
    let (run, report) = setup(
        &emulator,
        &[
            "--model",
            "sonnet",
            "--region",
            "us-east-1",
            "--tokens-per-day",
            "800M",
            "--yes",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    let refused = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    for said in [
        "bedrock/L-0000000B in us-east-1 (Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 \
         (doubled for cross-region calls)) is 720000000 and Service Quotas cannot raise it",
        "AWS Support > Create case > Service limit increase > Amazon Bedrock, region us-east-1, asking for \
         800000000 for quota L-0000000B",
    ] {
        assert!(refused.contains(said), "{said}: {}", run.stderr);
    }
    assert!(writes(&emulator).is_empty());
    assert_eq!(emulator.front.count(HISTORY), 0, "nothing to ask of it");

    // With a value it can raise, that one goes ahead and the refusal still fails the run.
    let (run, report) = setup(
        &emulator,
        &[
            "--model",
            "sonnet",
            "--region",
            "us-east-1",
            "--tokens-per-day",
            "800M",
            "--tpm",
            "5M",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(plan_steps(&report).len(), 1);
}

#[test]
fn a_quota_service_quotas_does_not_list_is_refused_with_the_console_route() {
    let emulator = Emulator::start();
    // The 1M-token window of Sonnet 4.6 has a tokens-per-minute quota and no requests one.
    let (run, report) = setup(
        &emulator,
        &[
            "--model",
            "us.anthropic.claude-sonnet-4-6[1m]",
            "--region",
            "us-east-1",
            "--rpm",
            "100",
            "--tpm",
            "2M",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "Service Quotas lists no \"Cross-region model inference requests per minute for Anthropic Claude \
             Sonnet 4.6 1M Context Length\" quota in us-east-1"
        ) && run
            .stderr
            .contains("the Service Quotas console > AWS services > Amazon Bedrock (us-east-1)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        plan_steps(&report)
            .iter()
            .map(|(op, _)| op.as_str())
            .collect::<Vec<_>>(),
        [INCREASE]
    );
    assert_eq!(
        report["plan"]["steps"][0]["resource"], "bedrock/L-0000000C in us-east-1",
        "the 1M Context Length quota, not the standard window's"
    );
    assert!(writes(&emulator).is_empty());
}

#[test]
fn a_fault_in_one_region_is_repaired_by_running_again() {
    let emulator = Emulator::start();
    let args = [
        "--model",
        "sonnet",
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--tpm",
        "5M",
        "--yes",
    ];
    pending_once_requested(&emulator, "us-east-1");
    emulator.on(
        &format!("{INCREASE}@eu-west-1"),
        Rule::Fault(Fault::ServerError),
    );
    let (run, report) = setup(&emulator, &args);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let results: Vec<(String, String)> = report["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["resource"].as_str().unwrap().to_string(),
                s["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        results.contains(&("bedrock/L-00000007 in eu-west-1".into(), "failed".into())),
        "{results:?}"
    );

    pending_once_requested(&emulator, "eu-west-1");
    let (run, report) = setup(&emulator, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).iter().all(|(_, r)| r == "done"));
    let (run, report) = setup(&emulator, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plan_steps(&report).is_empty(), "{report:#}");
    let mut regions: Vec<String> = increases_made(&emulator)
        .into_iter()
        .map(|(region, _)| region)
        .collect();
    regions.sort();
    assert_eq!(regions, ["eu-west-1", "us-east-1"], "each made once");
}

#[test]
fn a_read_that_fails_names_the_call_and_sends_nothing() {
    let emulator = Emulator::start();
    let args = [
        "--model",
        "sonnet",
        "--region",
        "us-east-1",
        "--tpm",
        "5M",
        "--yes",
    ];
    for (operation, fault, said) in [
        (
            HISTORY,
            Fault::AccessDenied,
            "cannot read the increase requests of bedrock/L-00000007 in us-east-1: \
             servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota was denied",
        ),
        (
            "servicequotas:ListServiceQuotas",
            Fault::Throttle,
            "cannot read the Bedrock quotas of us-east-1: servicequotas:ListServiceQuotas was throttled",
        ),
    ] {
        let before = emulator.front.rule(operation).unwrap();
        emulator.on(operation, Rule::Fault(fault));
        let (run, report) = setup(&emulator, &args);
        assert_eq!(run.code, 3, "{operation}: {}", run.stderr);
        assert!(report.get("plan").is_none(), "no plan from half the facts");
        assert!(
            report["error"].as_str().unwrap().contains(said),
            "{operation}: {report}"
        );
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(errors[0].contains(said), "{}", run.stderr);
        emulator.on(operation, before);
    }
    assert!(writes(&emulator).is_empty());
}

#[test]
fn bad_setup_quotas_flags_are_one_line_and_nothing_is_sent() {
    let emulator = Emulator::front_only();
    for (args, mentions) in [
        (&["--model", "sonnet", "--dry-run"][..], "--tpm"),
        (&["--model", "sonnet", "--tpm", "0", "--dry-run"], "'0'"),
        (
            &["--model", "sonnet", "--tpm", "lots", "--dry-run"],
            "'lots'",
        ),
        (
            &["--model", "sonnet", "--rpm", "1.5", "--dry-run"],
            "requests per minute",
        ),
        (
            &[
                "--model",
                "sonnet",
                "--tokens-per-day",
                "20000000000",
                "--dry-run",
            ],
            "10000000000",
        ),
        (&["--tpm", "5M", "--dry-run"], "--model"),
        (
            &["--model", "sonnet", "--tpm", "5M", "--dry-run", "--yes"],
            "--yes",
        ),
        (
            &["--model", "claude-sonnet-4-6", "--tpm", "5M", "--dry-run"],
            "claude-sonnet-4-6",
        ),
    ] {
        let run = Run::of(emulator.cmd().args(["setup", "quotas"]).args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(mentions), "{args:?}: {}", run.stderr);
    }
    assert!(emulator.front.requests().is_empty());
}
