//! The front server itself: it forwards to moto, records what it saw, and answers from
//! fixtures or with faults in each protocol's own error shape.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use crate::support::front::{Fault, Rule};
use crate::support::{Emulator, fixture};

struct Answer {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

fn send(
    emulator: &Emulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", emulator.front.url()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = client
            .request(
                request
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body =
            String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
                .into_owned();
        Answer {
            status,
            headers,
            body,
        }
    })
}

fn signed(service: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

#[test]
fn forwards_to_moto_and_records_each_request() {
    let emulator = Emulator::start();
    let auth = signed("iam", "us-east-1");
    let created = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &auth)],
        "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Version=2010-05-08",
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let read = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &auth)],
        "Action=GetRole&RoleName=r&Version=2010-05-08",
    );
    assert!(
        read.body.contains("<RoleName>r</RoleName>"),
        "{}",
        read.body
    );

    let log = emulator.front.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].key(), log[0].mutating, log[0].answered_by.as_str()),
        ("iam:CreateRole".to_string(), true, "moto")
    );
    assert_eq!(
        (log[1].key(), log[1].mutating),
        ("iam:GetRole".to_string(), false)
    );
    assert_eq!(log[1].region.as_deref(), Some("us-east-1"));
}

#[test]
fn answers_from_a_fixture_instead_of_moto() {
    let emulator = Emulator::start();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Fixture(fixture("sts/GetCallerIdentity.root.xml")),
    );
    let auth = signed("sts", "eu-west-1");
    let answer = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &auth)],
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("arn:aws:iam::123456789012:root"));
    assert_eq!(answer.headers["content-type"], "text/xml");
    assert_eq!(emulator.front.requests()[0].answered_by, "fixture");
}

#[test]
fn faults_take_the_shape_of_each_protocol() {
    let emulator = Emulator::front_only();
    emulator.on("sts:GetCallerIdentity", Rule::Fault(Fault::Throttle));
    emulator.on(
        "servicequotas:ListServiceQuotas",
        Rule::Fault(Fault::AccessDenied),
    );
    emulator.on("bedrock:ListFoundationModels", Rule::Fault(Fault::Throttle));
    emulator.on(
        "bedrock-runtime:InvokeModel",
        Rule::Fault(Fault::ServerError),
    );
    emulator.on("iam:GetRole", Rule::Fault(Fault::MalformedBody));

    let query = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &signed("sts", "us-east-1"))],
        "Action=GetCallerIdentity",
    );
    assert_eq!(query.status, 400);
    assert!(
        query.body.contains("<Code>Throttling</Code>"),
        "{}",
        query.body
    );

    let list_quotas = || {
        send(
            &emulator,
            "POST",
            "/",
            &[
                ("authorization", &signed("servicequotas", "us-east-1")),
                ("x-amz-target", "ServiceQuotasV20190624.ListServiceQuotas"),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            "{}",
        )
    };
    let json = list_quotas();
    // JSON services answer client errors with 400, as Service Quotas' model has it.
    assert_eq!(json.status, 400);
    assert!(
        json.body.contains(r#""__type":"AccessDeniedException""#),
        "{}",
        json.body
    );
    // Each service throttles and fails with its own model's codes.
    emulator.on(
        "servicequotas:ListServiceQuotas",
        Rule::Fault(Fault::Throttle),
    );
    let throttled = list_quotas();
    assert!(
        throttled
            .body
            .contains(r#""__type":"TooManyRequestsException""#),
        "{}",
        throttled.body
    );

    let rest = send(
        &emulator,
        "GET",
        "/foundation-models",
        &[("authorization", &signed("bedrock", "us-west-2"))],
        "",
    );
    assert_eq!(rest.status, 429);
    assert_eq!(rest.headers["x-amzn-errortype"], "ThrottlingException");

    let runtime = send(
        &emulator,
        "POST",
        "/model/us.anthropic.claude-sonnet-4-6/invoke",
        &[("authorization", &signed("bedrock", "us-west-2"))],
        "{}",
    );
    assert_eq!(runtime.status, 500);

    let malformed = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &signed("iam", "us-east-1"))],
        "Action=GetRole&RoleName=x",
    );
    assert_eq!(malformed.status, 200);
    assert!(!malformed.body.starts_with('<') || !malformed.body.contains("GetRoleResponse"));

    let keys: Vec<String> = emulator.front.requests().iter().map(|r| r.key()).collect();
    assert_eq!(
        keys,
        [
            "sts:GetCallerIdentity",
            "servicequotas:ListServiceQuotas",
            "servicequotas:ListServiceQuotas",
            "bedrock:ListFoundationModels",
            "bedrock-runtime:InvokeModel",
            "iam:GetRole"
        ]
    );
}

#[test]
fn delays_then_answers() {
    let emulator = Emulator::front_only();
    emulator.on(
        "sts:GetCallerIdentity",
        Rule::Delay(
            Duration::from_millis(300),
            Box::new(Rule::Fixture(fixture("sts/GetCallerIdentity.root.xml"))),
        ),
    );
    let clock = Instant::now();
    let answer = send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &signed("sts", "us-east-1"))],
        "Action=GetCallerIdentity",
    );
    assert!(clock.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
}

#[test]
fn the_log_is_served_for_standalone_use() {
    let emulator = Emulator::front_only();
    emulator.on("sts:GetCallerIdentity", Rule::Fault(Fault::AccessDenied));
    send(
        &emulator,
        "POST",
        "/",
        &[FORM, ("authorization", &signed("sts", "us-east-1"))],
        "Action=GetCallerIdentity",
    );
    let log = send(&emulator, "GET", "/_front/requests", &[], "");
    let entries: serde_json::Value = serde_json::from_str(&log.body).unwrap();
    assert_eq!(entries[0]["operation"], "GetCallerIdentity");
    assert_eq!(entries[0]["answered_by"], "fault:access-denied");
    send(&emulator, "POST", "/_front/reset", &[], "");
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn the_in_process_doctor_is_the_command_itself() {
    let sandbox = crate::support::sandbox::Sandbox::new();
    // The command's own validation, before any call, with its exit code and no report.
    let refused = sandbox.run_doctor(&["--model", "not a model"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("not a model"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(sandbox.front.requests().is_empty());

    // What the command does after the checks: each finding names the caller's account.
    let (run, report) = sandbox.doctor(&["--model", "sonnet"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for finding in findings {
        assert_eq!(finding["account"], crate::support::ACCOUNT, "{finding}");
    }
}
