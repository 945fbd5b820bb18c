//! `doctor` against the emulator: credentials, identity and region, good and bad.

use std::time::{Duration, SystemTime};

use crate::support::front::{Fault, Rule};
use crate::support::{ACCOUNT, Emulator, fixture};
use crate::{Run, finding};

#[test]
fn a_good_identity_passes() {
    let emulator = Emulator::start();
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    assert_eq!(report["command"], "doctor");
    assert_eq!(report["target"]["account"], ACCOUNT);
    assert_eq!(
        report["target"]["principal"],
        "arn:aws:iam::123456789012:user/team/dev"
    );
    assert_eq!(
        report["target"]["regions"],
        serde_json::json!(["us-east-1"])
    );

    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "pass");
    assert_eq!(credentials["code"], "credentials.resolve/resolved");
    assert_eq!(credentials["evidence"]["source"], "env");
    assert_eq!(credentials["evidence"]["bedrock_auth"], "sigv4");

    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "pass");
    assert_eq!(identity["evidence"]["account"], ACCOUNT);
    assert_eq!(identity["evidence"]["principal_kind"], "user");
    assert_eq!(
        identity["resource"],
        "arn:aws:iam::123456789012:user/team/dev"
    );

    assert_eq!(finding(&report, "region.config")["status"], "pass");
    assert!(
        run.stderr.is_empty(),
        "no progress or logs when stderr is not a terminal: {}",
        run.stderr
    );

    let sent = emulator.front.requests();
    assert_eq!(emulator.front.count("sts:GetCallerIdentity"), 1, "{sent:?}");
    assert!(sent.iter().all(|r| !r.mutating), "{sent:?}");
    let sts: Vec<_> = sent.iter().filter(|r| r.service == "sts").collect();
    assert_eq!(
        (sts[0].answered_by.as_str(), sts[0].region.as_deref()),
        ("moto", Some("us-east-1"))
    );
}

#[test]
fn no_credentials_fails_and_skips_dependents() {
    let emulator = Emulator::front_only();
    let run = Run::of(
        emulator
            .bare_cmd()
            .env("AWS_REGION", "us-east-1")
            .args(["doctor", "--output", "json"]),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "fail");
    assert_eq!(credentials["code"], "credentials.resolve/not-found");
    assert_eq!(credentials["title"], "No AWS credentials found");
    assert!(
        credentials["remediation"]
            .as_str()
            .unwrap()
            .contains("aws configure")
    );
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "skip");
    assert_eq!(identity["message"], "Skipped: credentials.resolve failed");
    assert_eq!(report["target"]["account"], serde_json::Value::Null);
    assert!(
        emulator.front.requests().is_empty(),
        "nothing can be sent without credentials"
    );
}

#[test]
fn an_assumed_role_is_mapped_to_its_role_with_path() {
    let emulator = Emulator::start();
    emulator.create_role("claude-dev", "/engineering/");
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.assumed-role.xml")),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "pass");
    assert_eq!(identity["evidence"]["principal_kind"], "assumed-role");
    assert_eq!(
        identity["evidence"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/claude-dev/alice"
    );
    assert_eq!(identity["evidence"]["role_path_known"], true);
    assert_eq!(
        report["target"]["principal"],
        "arn:aws:iam::123456789012:role/engineering/claude-dev"
    );
    assert_eq!(emulator.front.count("iam:GetRole"), 1);
}

#[test]
fn a_role_whose_path_cannot_be_read_still_identifies_the_caller() {
    let emulator = Emulator::front_only();
    as_role_session_without_role_read(&emulator);
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "pass");
    assert_eq!(identity["evidence"]["role_path_known"], false);
    assert!(
        identity["message"]
            .as_str()
            .unwrap()
            .contains("iam:GetRole was denied")
    );
    assert_eq!(
        report["target"]["principal"],
        "arn:aws:iam::123456789012:role/claude-dev"
    );
}

#[test]
fn root_credentials_warn_and_strict_turns_that_into_failure() {
    let emulator = Emulator::front_only();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.root.xml")),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let root = finding(&run.report(), "identity.caller").clone();
    assert_eq!(root["status"], "warn");
    assert_eq!(root["code"], "identity.caller/root-user");
    assert!(
        root["remediation"]
            .as_str()
            .unwrap()
            .contains("aws configure sso"),
        "{root}"
    );
    let strict = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--output", "json", "--strict"]),
    );
    assert_eq!(strict.code, 1);
}

#[test]
fn rejected_credentials_fail_with_a_fix_for_their_source() {
    let emulator = Emulator::front_only();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/ExpiredToken.xml").with_status(403)),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "fail");
    assert_eq!(identity["code"], "identity.caller/credentials-rejected");
    assert_eq!(identity["evidence"]["error_code"], "ExpiredToken");
    assert!(
        identity["remediation"]
            .as_str()
            .unwrap()
            .contains("AWS_ACCESS_KEY_ID")
    );
}

#[test]
fn an_arn_of_unknown_shape_is_an_error_not_a_pass() {
    let emulator = Emulator::front_only();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.unknown-shape.xml")),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "error");
    assert_eq!(identity["code"], "identity.caller/unrecognized-arn");
    // What STS did say is kept.
    assert_eq!(report["target"]["account"], ACCOUNT);
    assert_eq!(report["target"]["principal"], serde_json::Value::Null);
}

#[test]
fn an_account_that_differs_from_the_caller_arn_s_is_not_trusted() {
    let emulator = Emulator::front_only();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.account-mismatch.xml")),
    );
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let identity = finding(&report, "identity.caller");
    assert_eq!(identity["status"], "error");
    assert_eq!(identity["code"], "identity.caller/account-mismatch");
    assert!(
        identity["message"]
            .as_str()
            .unwrap()
            .contains("account 123456789012 but an ARN in account 210987654321"),
        "{identity}"
    );
    assert_eq!(
        report["target"]["principal"],
        serde_json::Value::Null,
        "no principal is taken from an answer that contradicts itself"
    );
}

#[test]
fn an_sso_profile_without_a_login_says_to_log_in() {
    let emulator = Emulator::front_only();
    let aws = emulator.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Developer\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    let run = Run::of(
        emulator
            .bare_cmd()
            .args(["doctor", "--profile", "dev", "--output", "json"]),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "fail");
    assert_eq!(credentials["code"], "credentials.resolve/unresolved");
    assert_eq!(credentials["remediation"], "aws sso login --profile dev");
    let region = finding(&report, "region.config");
    assert_eq!(region["region"], "eu-west-1");
    assert_eq!(region["evidence"]["region_source"], "profile");
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn credentials_about_to_expire_warn_with_their_source() {
    let emulator = Emulator::front_only();
    as_role_session_without_role_read(&emulator);
    let expires = SystemTime::now() + Duration::from_secs(10 * 60);
    let expiration = aws_smithy_types::DateTime::from(expires)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    let aws = emulator.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let process = format!(
        r#"echo '{{"Version": 1, "AccessKeyId": "ASIAPROCESS000000000", "SecretAccessKey": "process-secret-0000000000000000000000000", "SessionToken": "process-session-token", "Expiration": "{expiration}"}}'"#
    );
    std::fs::write(
        aws.join("config"),
        format!("[profile tool]\ncredential_process = {process}\n"),
    )
    .unwrap();
    let run = Run::of(
        emulator
            .bare_cmd()
            .env("AWS_PROFILE", "tool")
            .env("AWS_REGION", "us-east-1")
            .args(["doctor", "--output", "json"]),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "warn");
    assert_eq!(credentials["code"], "credentials.resolve/expiring");
    assert_eq!(credentials["evidence"]["source"], "process");
    assert_eq!(credentials["evidence"]["temporary"], true);
    assert_eq!(credentials["evidence"]["profile"], "tool");
    assert!(
        credentials["message"]
            .as_str()
            .unwrap()
            .contains("expire in 9 min")
            || credentials["message"]
                .as_str()
                .unwrap()
                .contains("expire in 10 min")
    );
    assert!(
        !run.stdout.contains("process-secret")
            && !run.stdout.contains("ASIAPROCESS")
            && !run.stdout.contains("process-session-token")
    );
}

#[test]
fn a_bedrock_api_key_alone_is_reported_and_never_printed() {
    let emulator = Emulator::front_only();
    let token = "bedrock-api-key-c2VjcmV0LXZhbHVl";
    let run = Run::of(
        emulator
            .bare_cmd()
            .env("AWS_REGION", "us-west-2")
            .env("AWS_BEARER_TOKEN_BEDROCK", token)
            .args(["doctor", "--output", "json", "-vv"]),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "warn");
    assert_eq!(credentials["code"], "credentials.resolve/bearer-token-only");
    assert_eq!(credentials["evidence"]["bedrock_auth"], "bearer_token");
    assert_eq!(finding(&report, "identity.caller")["status"], "skip");
    assert_eq!(
        finding(&report, "identity.caller")["code"],
        "identity.caller/no-sigv4-credentials",
        "STS takes only signed requests"
    );
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
}

#[test]
fn secrets_never_reach_the_output() {
    let emulator = Emulator::start();
    for format in ["json", "table"] {
        let run = Run::of(emulator.cmd().args(["doctor", "--output", format, "-vv"]));
        for secret in [&emulator.access_key_id, &emulator.secret_access_key] {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{format}"
            );
        }
    }
}

#[test]
fn no_region_fails_region_config_but_identity_still_runs() {
    let emulator = Emulator::start();
    let run = Run::of(
        emulator
            .cmd()
            .env_remove("AWS_REGION")
            .args(["doctor", "--output", "json"]),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let region = finding(&report, "region.config");
    assert_eq!(region["status"], "fail");
    assert!(
        region["remediation"]
            .as_str()
            .unwrap()
            .contains("export AWS_REGION=")
    );
    assert_eq!(finding(&report, "identity.caller")["status"], "pass");
    assert_eq!(report["target"]["regions"], serde_json::json!([]));
}

#[test]
fn each_region_is_judged_on_its_own() {
    let emulator = Emulator::start();
    let run = Run::of(emulator.cmd().args([
        "doctor",
        "--output",
        "json",
        "--region",
        "eu-west-1",
        "--region",
        "ap-southeast-9",
    ]));
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = run.report();
    let regions = crate::findings(&report, "region.config");
    assert_eq!(regions.len(), 2);
    assert_eq!(
        (regions[0]["region"].as_str(), regions[0]["status"].as_str()),
        (Some("eu-west-1"), Some("pass"))
    );
    assert_eq!(
        (regions[1]["region"].as_str(), regions[1]["status"].as_str()),
        (Some("ap-southeast-9"), Some("warn"))
    );
    assert_eq!(regions[0]["evidence"]["region_source"], "flag");
    // STS is asked in the first region given.
    let sts: Vec<_> = emulator
        .front
        .requests()
        .into_iter()
        .filter(|r| r.service == "sts")
        .collect();
    assert_eq!(sts[0].region.as_deref(), Some("eu-west-1"));
}

/// The caller is a session of role `claude-dev`, and may not read the role itself.
fn as_role_session_without_role_read(emulator: &Emulator) {
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.assumed-role.xml")),
    );
    emulator.on("iam:GetRole", Rule::Fault(Fault::AccessDenied));
}

/// When each request arrived and was answered, by operation (the first of each).
fn timeline(
    front: &crate::support::front::Router,
) -> std::collections::HashMap<String, (u64, u64)> {
    let mut seen = std::collections::HashMap::new();
    for request in front.requests() {
        seen.entry(request.key())
            .or_insert((request.arrived_ms, request.answered_ms));
    }
    seen
}

#[test]
fn reads_that_need_no_other_answer_go_out_at_once_and_none_twice() {
    // The catalog answers late. Every check after it (profiles, quotas, model access, IAM)
    // would wait for it, but their reads whose parameters are the region or the caller's
    // account go out at once; and the prefetch doubles none of them.
    let sandbox = crate::support::sandbox::Sandbox::new();
    sandbox.on(
        "bedrock:ListFoundationModels",
        Rule::Delay(
            Duration::from_millis(1500),
            Box::new(Rule::Fixture(fixture("bedrock/ListFoundationModels.json"))),
        ),
    );
    let (run, _) = sandbox.doctor(&["--model", "sonnet", "--model", "haiku"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let at = timeline(&sandbox.front);
    let catalog_answered = at["bedrock:ListFoundationModels"].1;
    for early in [
        "bedrock:ListInferenceProfiles",
        "servicequotas:ListServiceQuotas",
        "servicequotas:ListAWSDefaultServiceQuotas",
        "bedrock:GetUseCaseForModelAccess",
        "organizations:DescribeOrganization",
    ] {
        assert!(
            at[early].0 < catalog_answered,
            "{early} waited for the catalog: {at:?}"
        );
    }
    for once in [
        "bedrock:ListFoundationModels",
        "bedrock:GetUseCaseForModelAccess",
        "organizations:DescribeOrganization",
        "sts:GetCallerIdentity",
    ] {
        assert_eq!(sandbox.front.count(once), 1, "{once}");
    }
    assert_eq!(
        sandbox.front.count("bedrock:ListInferenceProfiles"),
        3,
        "two pages, and the application profiles"
    );
    assert_eq!(
        sandbox.front.count("servicequotas:ListServiceQuotas"),
        2,
        "two pages"
    );
}

#[test]
fn the_probe_goes_out_before_iam_has_answered() {
    // Only the probe's verdict waits for iam.invoke's; its calls need only the route.
    let sandbox = crate::support::sandbox::Sandbox::new();
    sandbox.on(
        "iam:SimulatePrincipalPolicy",
        Rule::Delay(
            Duration::from_millis(1500),
            Box::new(Rule::Fixture(fixture(
                "iam/SimulatePrincipalPolicy.allowed.xml",
            ))),
        ),
    );
    let (run, report) = sandbox.doctor(&["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let at = timeline(&sandbox.front);
    assert!(
        at["bedrock-runtime:InvokeModel"].0 < at["iam:SimulatePrincipalPolicy"].1,
        "{at:?}"
    );
    assert_eq!(finding(&report, "runtime.probe")["check"], "runtime.probe");
}

#[test]
fn profile_on_the_command_line_outranks_keys_in_the_environment() {
    let emulator = Emulator::start();
    let (key, secret) = emulator.user_with_key("prod");
    let aws = emulator.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!("[prod]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let principal_of = |report: &serde_json::Value| report["target"]["principal"].clone();

    // The environment holds the dev user's keys (`cmd`): --profile prod checks prod, as the
    // aws CLI would call as prod, and says that the environment's keys were passed over.
    let run = Run::of(emulator.cmd().args([
        "doctor",
        "--profile",
        "prod",
        "--no-probe",
        "--output",
        "json",
    ]));
    let report = run.report();
    assert_eq!(
        principal_of(&report),
        "arn:aws:iam::123456789012:user/prod",
        "{}",
        run.stderr
    );
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "pass");
    assert_eq!(credentials["evidence"]["source"], "profile");
    assert_eq!(credentials["evidence"]["env_keys_ignored"], true);
    assert_eq!(credentials["evidence"]["profile_rule"], "command-line");
    let message = credentials["message"].as_str().unwrap();
    assert!(
        message.contains("--profile prod") && message.contains("AWS_ACCESS_KEY_ID"),
        "{message}"
    );

    // AWS_PROFILE alone keeps the standard chain: the environment's keys come first.
    let run = Run::of(emulator.cmd().env("AWS_PROFILE", "prod").args([
        "doctor",
        "--no-probe",
        "--output",
        "json",
    ]));
    let report = run.report();
    assert_eq!(
        principal_of(&report),
        "arn:aws:iam::123456789012:user/team/dev"
    );
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["evidence"]["source"], "env");
    assert!(credentials["evidence"].get("env_keys_ignored").is_none());

    // A named profile that does not exist fails, rather than falling back to the
    // environment's keys and passing for the wrong principal.
    let run = Run::of(emulator.cmd().args([
        "doctor",
        "--profile",
        "staging",
        "--no-probe",
        "--output",
        "json",
    ]));
    let report = run.report();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let credentials = finding(&report, "credentials.resolve");
    assert_eq!(credentials["status"], "fail");
    assert_eq!(credentials["evidence"]["env_keys_ignored"], true);
    assert!(principal_of(&report).is_null(), "{report:#}");
}

#[test]
fn a_failing_credential_process_is_summarized_in_the_report() {
    let emulator = Emulator::front_only();
    let aws = emulator.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let helper = emulator.home().join("helper.sh");
    std::fs::write(
        &helper,
        "#!/bin/sh\necho 'token refresh failed for alice' >&2\n\
         echo 'debug: refresh_token=rt-0123456789abcdef0123456789abcdef' >&2\n\
         echo 'Traceback (most recent call last)' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile tool]\ncredential_process = sh {}\nregion = us-east-1\n",
            helper.display()
        ),
    )
    .unwrap();
    for format in ["json", "markdown", "table"] {
        let run =
            Run::of(
                emulator
                    .bare_cmd()
                    .args(["doctor", "--profile", "tool", "--output", format]),
            );
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert!(
            run.stdout.contains("token refresh failed for"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("rt-0123456789abcdef") && !run.stdout.contains("Traceback"),
            "{format}: only the first line of the helper's stderr is kept: {}",
            run.stdout
        );
    }
}

#[test]
fn doctor_s_asff_report_is_what_security_hub_imports() {
    let emulator = Emulator::start();
    let run = Run::of(emulator.cmd().args(["doctor", "--output", "asff"]));
    let json = Run::of(emulator.cmd().args(["doctor", "--output", "json"]));
    assert_eq!(run.code, json.code, "{}", run.stderr);
    let findings = crate::audit::valid_asff(&run.stdout);
    assert_eq!(
        findings.len(),
        json.report()["findings"].as_array().unwrap().len()
    );
    let identity = findings
        .iter()
        .find(|f| f["GeneratorId"] == "identity.caller")
        .unwrap();
    assert_eq!(identity["Compliance"]["Status"], "PASSED");
    assert_eq!(identity["Resources"][0]["Type"], "AwsIamUser");
    assert_eq!(identity["AwsAccountId"], ACCOUNT);
}
