//! The front server: a small HTTP server on loopback between bedrock-preflight and moto.
//!
//! It forwards every request to moto by default and records each one (service, region,
//! operation, whether it mutates). Per operation it can instead answer from a fixture, inject a
//! fault (throttling, HTTP 500, access denied, a malformed body) or add a delay. Operations are
//! recognized the way AWS routes them: the SigV4 credential scope gives service and region;
//! `X-Amz-Target`, the `Action` form field or the REST path gives the operation.
//!
//! The rules and the log live in a `Router`, which answers over TCP (`FrontServer`, forwarding
//! to moto) or in-process (`tests/support/inprocess.rs`, no socket and no moto). Used by the
//! integration tests and as a standalone process by `examples/front_server.rs` (the sandbox
//! and benchmarks). It never listens beyond 127.0.0.1.

#![allow(dead_code)] // Each user of this module uses a different part of it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Serialize;
use tokio::net::TcpListener;

#[path = "metrics.rs"]
pub mod metrics;
use metrics::MetricStore;

/// An operation as AWS routes it: `sts:GetCallerIdentity`, `bedrock-runtime:InvokeModel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub service: String,
    pub region: Option<String>,
    pub name: String,
}

impl Operation {
    pub fn key(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub service: String,
    pub region: Option<String>,
    pub operation: String,
    pub mutating: bool,
    /// `moto`, `fixture`, or `fault:<kind>`.
    pub answered_by: String,
    pub status: u16,
    /// The body of a write, as sent (what a test checks arrived as the user wrote it).
    pub body: Option<String>,
    /// The service name the request was signed for (its SigV4 credential scope), if signed.
    pub signed_for: Option<String>,
    /// When the request arrived and when its answer was ready, in milliseconds since the
    /// router was made: what benchmarks derive the chain of dependent calls from.
    pub arrived_ms: u64,
    pub answered_ms: u64,
    /// A digest of the request's method, path, query and body: two requests with the same
    /// digest asked the same question (benchmarks count them as duplicates).
    pub digest: String,
}

impl RecordedRequest {
    pub fn key(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

#[derive(Clone, Debug)]
pub enum Rule {
    Forward,
    Fixture(Fixture),
    Fault(Fault),
    /// The first rule whose text occurs in the request's decoded form body (or query, or a
    /// CBOR body's strings), else the last: `Match(vec![("ResourceArns.member.1=arn:aws:bedrock:us-west-2", deny)], allow)`.
    Match(Vec<(String, Rule)>, Box<Rule>),
    /// A paginated answer: the first fixture without a token, then the one a `page-N` token
    /// (`nextToken` in the query or `NextToken` in a JSON body) names.
    Pages(Vec<Fixture>),
    /// Wait, then follow the inner rule.
    Delay(Duration, Box<Rule>),
    /// Answer as the inner rule; once that answer succeeds, these operations answer by these
    /// rules: a write that changes what later reads see (an agreement created).
    Then(Box<Rule>, Vec<(String, Rule)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The protocol's throttling error, on every attempt (so also after the SDK's retries).
    Throttle,
    ServerError,
    AccessDenied,
    /// 200 with a body that is neither the protocol's XML nor JSON.
    MalformedBody,
    /// Access denied with a message that repeats the request's credentials (the Authorization
    /// and X-Amz-Security-Token headers), as S3's SignatureDoesNotMatch and some proxies do.
    EchoCredentials,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "throttle" => Some(Fault::Throttle),
            "server-error" => Some(Fault::ServerError),
            "access-denied" => Some(Fault::AccessDenied),
            "malformed-body" => Some(Fault::MalformedBody),
            "echo-credentials" => Some(Fault::EchoCredentials),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::ServerError => "server-error",
            Fault::AccessDenied => "access-denied",
            Fault::EchoCredentials => "echo-credentials",
            Fault::MalformedBody => "malformed-body",
        }
    }
}

/// A canned answer shaped exactly like AWS's.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Fixture {
    /// The body from a file; `.xml` answers as `text/xml`, anything else as JSON.
    pub fn from_file(path: &Path) -> std::io::Result<Fixture> {
        let body = std::fs::read(path)?;
        let content_type = match path.extension().and_then(|e| e.to_str()) {
            Some("xml") => "text/xml",
            _ => "application/json",
        };
        Ok(Fixture {
            status: 200,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body: body.into(),
        })
    }

    pub fn with_status(mut self, status: u16) -> Fixture {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Fixture {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

struct State {
    upstream: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
    rules: Mutex<HashMap<String, Rule>>,
    log: Mutex<Vec<RecordedRequest>>,
    /// Added to every answer, as a network's round trip would be.
    latency: Mutex<Duration>,
    epoch: std::time::Instant,
    /// What CloudWatch's GetMetricData answers from, moto being unable to.
    metrics: Mutex<MetricStore>,
}

/// The rules per operation and the log of what was asked; clones share both.
#[derive(Clone)]
pub struct Router {
    state: Arc<State>,
}

impl Router {
    /// Without an upstream (moto's URL), an operation with no rule answers 501.
    pub fn new(upstream: Option<String>) -> Router {
        Router {
            state: Arc::new(State {
                upstream,
                client: Client::builder(TokioExecutor::new()).build_http(),
                rules: Mutex::new(HashMap::new()),
                log: Mutex::new(Vec::new()),
                latency: Mutex::new(Duration::ZERO),
                epoch: std::time::Instant::now(),
                metrics: Mutex::new(MetricStore::default()),
            }),
        }
    }

    /// Every answer from now on waits `latency` first.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.state.latency) = latency;
    }

    /// Sets the rule for an operation key such as `sts:GetCallerIdentity`, or for the
    /// operation in one region only: `bedrock:ListInferenceProfiles@eu-west-1`.
    pub fn on(&self, operation: &str, rule: Rule) {
        lock(&self.state.rules).insert(operation.to_string(), rule);
    }

    /// The rule an operation key has now, if any.
    pub fn rule(&self, operation: &str) -> Option<Rule> {
        lock(&self.state.rules).get(operation).cloned()
    }

    /// Back to forwarding (or 501 without an upstream) for this operation key.
    pub fn forget(&self, operation: &str) {
        lock(&self.state.rules).remove(operation);
    }

    /// The recorded CloudWatch metrics GetMetricData answers from when it has no rule.
    pub fn metrics(&self) -> MutexGuard<'_, MetricStore> {
        lock(&self.state.metrics)
    }

    pub fn clear_log(&self) {
        lock(&self.state.log).clear();
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).clone()
    }

    /// How many requests reached `operation` (`sts:GetCallerIdentity`).
    pub fn count(&self, operation: &str) -> usize {
        lock(&self.state.log)
            .iter()
            .filter(|r| r.key() == operation)
            .count()
    }

    pub fn reset(&self) {
        lock(&self.state.rules).clear();
        lock(&self.state.log).clear();
    }

    /// The answer to one request, recorded in the log.
    pub async fn answer(
        &self,
        parts: hyper::http::request::Parts,
        body: Bytes,
    ) -> Response<Full<Bytes>> {
        respond(&self.state, parts, body).await
    }
}

pub struct FrontServer {
    addr: SocketAddr,
    router: Router,
    accept: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for FrontServer {
    type Target = Router;

    fn deref(&self) -> &Router {
        &self.router
    }
}

impl FrontServer {
    /// Listens on 127.0.0.1:`port` (0: any free port) and forwards to `upstream` (moto's URL);
    /// without an upstream, an operation with no rule answers 501.
    pub async fn start(port: u16, upstream: Option<String>) -> std::io::Result<FrontServer> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let router = Router::new(upstream);
        let accept_state = Arc::clone(&router.state);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FrontServer {
            addr,
            router,
            accept,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FrontServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(response) = control(&state, &parts.method, parts.uri.path()) {
        return Ok(response);
    }
    Ok(respond(&state, parts, body).await)
}

async fn respond(
    state: &State,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let arrived_ms = state.epoch.elapsed().as_millis() as u64;
    let latency = *lock(&state.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let operation = identify(&parts.method, &parts.uri, &parts.headers, &body);
    let protocol = if operation.service == "s3" {
        Protocol::RestXml
    } else {
        Protocol::of(&parts.headers, &body, &parts.uri)
    };
    let rule = {
        let rules = lock(&state.rules);
        let in_region = operation
            .region
            .as_ref()
            .and_then(|r| rules.get(&format!("{}@{r}", operation.key())));
        in_region
            .or_else(|| rules.get(&operation.key()))
            .cloned()
            .unwrap_or(Rule::Forward)
    };
    let template = Template {
        region: operation
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".into()),
        path: parts
            .uri
            .path()
            .split('/')
            .skip(1)
            .map(percent_decode)
            .collect(),
        form: form_pairs(&body)
            .chain(form_pairs(parts.uri.query().unwrap_or_default().as_bytes()))
            .chain(
                (protocol == Protocol::RpcV2Cbor).then(|| ("cbor".to_string(), cbor_text(&body))),
            )
            .collect(),
    };
    let mutating = is_mutating(&operation.name);
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (parts.method.as_str(), parts.uri.to_string(), &body[..]).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    };
    let sent = mutating.then(|| String::from_utf8_lossy(&body).into_owned());
    let (rule, later) = match rule {
        Rule::Then(inner, later) => (*inner, later),
        other => (other, Vec::new()),
    };
    let (response, answered_by) = answer(
        state,
        rule,
        &parts,
        body,
        (protocol, &operation.service),
        &template,
    )
    .await;
    if response.status().is_success() {
        let mut rules = lock(&state.rules);
        for (operation, rule) in later {
            rules.insert(operation, rule);
        }
    }
    let signed_for = credential_scope(&parts.headers, &parts.uri).map(|(_, service)| service);
    lock(&state.log).push(RecordedRequest {
        signed_for,
        mutating,
        body: sent,
        service: operation.service,
        region: operation.region,
        operation: operation.name,
        answered_by,
        status: response.status().as_u16(),
        arrived_ms,
        answered_ms: state.epoch.elapsed().as_millis() as u64,
        digest,
    });
    response
}

async fn answer(
    state: &State,
    mut rule: Rule,
    parts: &hyper::http::request::Parts,
    body: Bytes,
    (protocol, service): (Protocol, &str),
    template: &Template,
) -> (Response<Full<Bytes>>, String) {
    rule = loop {
        rule = match rule {
            Rule::Delay(wait, inner) => {
                tokio::time::sleep(wait).await;
                *inner
            }
            // Unwrapped by `respond` at the top; nested, only the answer counts.
            Rule::Then(inner, _) => *inner,
            Rule::Match(cases, otherwise) => {
                let text = template.form_text();
                cases
                    .into_iter()
                    .find(|(needle, _)| text.contains(needle.as_str()))
                    .map(|(_, rule)| rule)
                    .unwrap_or(*otherwise)
            }
            other => break other,
        };
    };
    if let Rule::Pages(pages) = rule {
        let token = page_token(&parts.uri, &body);
        let index = match (
            after_id(&parts.uri),
            token.as_deref().and_then(|t| t.strip_prefix("page-")),
        ) {
            // Anthropic's paging: the page after the one whose `last_id` is named.
            (Some(after), _) => pages
                .iter()
                .position(|p| last_id(&p.body).as_deref() == Some(after.as_str()))
                .map_or(usize::MAX, |i| i + 1),
            (None, None) => 0,
            (None, Some(n)) => n.parse::<usize>().unwrap_or(0).saturating_sub(1),
        };
        rule = match pages.get(index) {
            Some(page) => Rule::Fixture(page.clone()),
            None => Rule::Fixture(Fixture {
                status: 400,
                content_type: "application/json".into(),
                headers: vec![("x-amzn-errortype".into(), "ValidationException".into())],
                body: Bytes::from_static(br#"{"message":"Invalid pagination token"}"#),
            }),
        };
    }
    match rule {
        Rule::Delay(..) | Rule::Match(..) | Rule::Pages(..) | Rule::Then(..) => {
            unreachable!("unwrapped above")
        }
        Rule::Fixture(fixture) => {
            let body = template.fill(&fixture.body);
            // Fixtures are JSON; an RPC v2 CBOR service gets the same document in CBOR.
            let (body, content_type) = match protocol {
                Protocol::RpcV2Cbor => (to_cbor(&body), "application/cbor"),
                _ => (body, fixture.content_type.as_str()),
            };
            let mut response = Response::new(Full::new(body));
            *response.status_mut() = StatusCode::from_u16(fixture.status).unwrap_or(StatusCode::OK);
            set_header(&mut response, "content-type", content_type);
            if protocol == Protocol::RpcV2Cbor {
                set_header(&mut response, "smithy-protocol", "rpc-v2-cbor");
            }
            set_header(&mut response, "x-amzn-requestid", "front-fixture");
            for (name, value) in &fixture.headers {
                set_header(&mut response, name, value);
            }
            (response, "fixture".to_string())
        }
        Rule::Fault(Fault::EchoCredentials) => {
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            let message = format!(
                "Request denied. Authorization: {}; X-Amz-Security-Token: {}",
                header("authorization"),
                header("x-amz-security-token")
            );
            let code = if protocol == Protocol::Query {
                "AccessDenied"
            } else {
                "AccessDeniedException"
            };
            (
                error_response(protocol, 403, code, &message),
                "fault:echo-credentials".to_string(),
            )
        }
        Rule::Fault(fault) => (
            fault_response(fault, protocol, service),
            format!("fault:{}", fault.name()),
        ),
        Rule::Forward
            if protocol == Protocol::RpcV2Cbor
                && parts.uri.path().ends_with("/operation/GetMetricData") =>
        {
            let answer = lock(&state.metrics).get_metric_data(&template.region, &body);
            match answer {
                Ok(cbor) => {
                    let mut response = Response::new(Full::new(Bytes::from(cbor)));
                    set_header(&mut response, "content-type", "application/cbor");
                    set_header(&mut response, "smithy-protocol", "rpc-v2-cbor");
                    set_header(&mut response, "x-amzn-requestid", "front-metrics");
                    (response, "metrics".to_string())
                }
                Err((code, message)) => (
                    error_response(protocol, 400, &code, &message),
                    "metrics".to_string(),
                ),
            }
        }
        Rule::Forward => match &state.upstream {
            Some(upstream) => (
                forward(state, upstream, parts, body).await,
                "moto".to_string(),
            ),
            None => (
                error_response(
                    protocol,
                    501,
                    "NotImplemented",
                    "the front server has no upstream and no rule for this operation",
                ),
                "none".to_string(),
            ),
        },
    }
}

async fn forward(
    state: &State,
    upstream: &str,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let Ok(uri) = format!("{upstream}{path}").parse::<Uri>() else {
        return error_response(
            Protocol::RestJson,
            502,
            "BadGateway",
            "cannot build the upstream URI",
        );
    };
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = parts.headers.clone();
    match state.client.request(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Response::from_parts(parts, Full::new(body))
        }
        Err(error) => error_response(
            Protocol::RestJson,
            502,
            "BadGateway",
            &format!("moto did not answer: {error}"),
        ),
    }
}

/// Rules from a scenario file: a JSON object from operation key (optionally `@region`) to
/// `{"fixture": FILE, "status": N, "headers": {..}}`, `{"pages": [FILE, ...]}`,
/// `{"match": [{"contains": TEXT, ...rule}], "otherwise": {...rule}}`,
/// `{"fault": "throttle|server-error|access-denied|malformed-body"}`, each optionally with
/// `"delay_ms": N`. Files are relative to the scenario file.
pub fn load_scenario(path: &Path) -> Result<Vec<(String, Rule)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let scenario: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    scenario
        .into_iter()
        .map(|(operation, spec)| {
            let rule = rule_of(&spec, base)
                .map_err(|e| format!("{}: {operation}: {e}", path.display()))?;
            Ok((operation, rule))
        })
        .collect()
}

fn rule_of(spec: &serde_json::Value, base: &Path) -> Result<Rule, String> {
    let fixture = |file: &str| -> Result<Fixture, String> {
        let mut fixture =
            Fixture::from_file(&base.join(file)).map_err(|e| format!("{file}: {e}"))?;
        if let Some(status) = spec.get("status").and_then(|s| s.as_u64()) {
            fixture = fixture.with_status(status as u16);
        }
        if let Some(headers) = spec.get("headers").and_then(|h| h.as_object()) {
            for (name, value) in headers {
                fixture = fixture.with_header(name, value.as_str().unwrap_or_default());
            }
        }
        Ok(fixture)
    };
    let mut rule = if let Some(file) = spec.get("fixture").and_then(|f| f.as_str()) {
        Rule::Fixture(fixture(file)?)
    } else if let Some(pages) = spec.get("pages").and_then(|p| p.as_array()) {
        let files = pages
            .iter()
            .map(|p| p.as_str().ok_or("pages are file names"));
        Rule::Pages(files.map(|f| fixture(f?)).collect::<Result<_, _>>()?)
    } else if let Some(cases) = spec.get("match").and_then(|m| m.as_array()) {
        let cases = cases
            .iter()
            .map(|case| {
                let needle = case
                    .get("contains")
                    .and_then(|c| c.as_str())
                    .ok_or("a match case needs \"contains\"")?;
                Ok((needle.to_string(), rule_of(case, base)?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let otherwise = spec.get("otherwise").ok_or("a match needs \"otherwise\"")?;
        Rule::Match(cases, Box::new(rule_of(otherwise, base)?))
    } else if let Some(fault) = spec.get("fault").and_then(|f| f.as_str()) {
        Rule::Fault(Fault::parse(fault).ok_or_else(|| format!("unknown fault {fault}"))?)
    } else {
        Rule::Forward
    };
    if let Some(ms) = spec.get("delay_ms").and_then(|d| d.as_u64()) {
        rule = Rule::Delay(Duration::from_millis(ms), Box::new(rule));
    }
    Ok(rule)
}

/// Values a fixture body may name: `{{region}}` (the request's signing region) and
/// `{{path.N}}` (the Nth segment of the request path, decoded).
struct Template {
    region: String,
    path: Vec<String>,
    /// Decoded form fields of a query-protocol request (`ResourceArns.member.1`, ...); for a
    /// CBOR request, its text strings under `cbor`.
    form: Vec<(String, String)>,
}

impl Template {
    fn fill(&self, body: &Bytes) -> Bytes {
        let Ok(text) = std::str::from_utf8(body) else {
            return body.clone();
        };
        if !text.contains("{{") {
            return body.clone();
        }
        let mut text = text.replace("{{region}}", &self.region);
        for (index, segment) in self.path.iter().enumerate() {
            text = text.replace(&format!("{{{{path.{index}}}}}"), segment);
        }
        for (key, value) in &self.form {
            text = text.replace(&format!("{{{{form.{key}}}}}"), value);
        }
        Bytes::from(text)
    }

    fn form_text(&self) -> String {
        self.form
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn form_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

fn page_token(uri: &Uri, body: &[u8]) -> Option<String> {
    let from_query = uri.query().and_then(|q| {
        form_value(q.as_bytes(), "nextToken").or_else(|| form_value(q.as_bytes(), "NextToken"))
    });
    from_query.or_else(|| {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        json.get("NextToken")
            .or_else(|| json.get("nextToken"))?
            .as_str()
            .map(str::to_string)
    })
}

fn after_id(uri: &Uri) -> Option<String> {
    uri.query()
        .and_then(|q| form_value(q.as_bytes(), "after_id"))
}

fn last_id(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    json.get("last_id")?.as_str().map(str::to_string)
}

/// `GET /_front/requests` (the log as JSON) and `POST /_front/reset`, for the standalone server.
fn control(state: &State, method: &Method, path: &str) -> Option<Response<Full<Bytes>>> {
    let body = match (method, path) {
        (&Method::GET, "/_front/requests") => {
            serde_json::to_vec(&*lock(&state.log)).unwrap_or_default()
        }
        (&Method::POST, "/_front/reset") => {
            lock(&state.log).clear();
            b"{}".to_vec()
        }
        _ => return None,
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    set_header(&mut response, "content-type", "application/json");
    Some(response)
}

/// How the request's service speaks, so that errors come back in the shape its SDK parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// Query protocol (STS, IAM): form body in, XML out.
    Query,
    /// `X-Amz-Target` JSON (Service Quotas, CloudTrail, CloudWatch Logs).
    AwsJson,
    /// REST paths with JSON (Bedrock, Bedrock Runtime).
    RestJson,
    /// Smithy RPC v2 CBOR (CloudWatch): `POST /service/<S>/operation/<Op>`, CBOR both ways.
    RpcV2Cbor,
    /// REST paths with XML (S3).
    RestXml,
}

impl Protocol {
    fn of(headers: &HeaderMap, body: &[u8], uri: &Uri) -> Protocol {
        if headers
            .get("smithy-protocol")
            .is_some_and(|v| v == "rpc-v2-cbor")
        {
            Protocol::RpcV2Cbor
        } else if headers.contains_key("x-amz-target") {
            Protocol::AwsJson
        } else if form_value(body, "Action").is_some()
            || uri
                .query()
                .and_then(|q| form_value(q.as_bytes(), "Action"))
                .is_some()
        {
            Protocol::Query
        } else {
            Protocol::RestJson
        }
    }
}

/// The error each service answers a fault with, from its own model (`faults.json`, written by
/// `generate_faults.py` from botocore's service models).
fn fault_codes() -> &'static serde_json::Value {
    static CODES: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/faults.json"))
            .expect("tests/fixtures/faults.json is JSON")
    })
}

fn fault_response(fault: Fault, protocol: Protocol, service: &str) -> Response<Full<Bytes>> {
    if fault == Fault::MalformedBody {
        let content_type = if matches!(protocol, Protocol::Query | Protocol::RestXml) {
            "text/xml"
        } else {
            "application/json"
        };
        let mut response = Response::new(Full::new(Bytes::from_static(
            b"<<<not what the protocol promised{",
        )));
        set_header(&mut response, "content-type", content_type);
        return response;
    }
    let name = match fault {
        Fault::Throttle => "throttle",
        Fault::ServerError => "server-error",
        _ => "access-denied",
    };
    let entry = &fault_codes()[service][name];
    let code = entry["code"].as_str().unwrap_or(match fault {
        Fault::Throttle => "ThrottlingException",
        Fault::ServerError => "InternalServerException",
        _ => "AccessDeniedException",
    });
    let status = entry["status"].as_u64().unwrap_or(match fault {
        Fault::Throttle => 400,
        Fault::ServerError => 500,
        _ => 403,
    }) as u16;
    let message = match fault {
        Fault::Throttle => "Rate exceeded",
        Fault::ServerError => "The request processing has failed because of an unknown error.",
        _ => "User is not authorized to perform this action",
    };
    error_response(protocol, status, code, message)
}

fn error_response(
    protocol: Protocol,
    status: u16,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    let (content_type, body) = match protocol {
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>front-fault</RequestId></ErrorResponse>",
                if status >= 500 { "Receiver" } else { "Sender" }
            ),
        ),
        Protocol::AwsJson => (
            "application/x-amz-json-1.1",
            serde_json::json!({"__type": code, "message": message}).to_string(),
        ),
        Protocol::RestJson => (
            "application/json",
            serde_json::json!({"message": message}).to_string(),
        ),
        Protocol::RestXml => (
            "application/xml",
            format!(
                "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>front-fault</RequestId></Error>"
            ),
        ),
        Protocol::RpcV2Cbor => {
            let body = serde_json::json!({"__type": code, "message": message}).to_string();
            let mut response = Response::new(Full::new(to_cbor(body.as_bytes())));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            set_header(&mut response, "content-type", "application/cbor");
            set_header(&mut response, "smithy-protocol", "rpc-v2-cbor");
            set_header(&mut response, "x-amzn-requestid", "front-fault");
            return response;
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    set_header(&mut response, "content-type", content_type);
    set_header(&mut response, "x-amzn-requestid", "front-fault");
    if protocol == Protocol::RestJson {
        set_header(&mut response, "x-amzn-errortype", code);
    }
    response
}

/// Every text string of a CBOR body, space-separated: what `Rule::Match` looks into.
fn cbor_text(body: &[u8]) -> String {
    fn walk(value: &ciborium::Value, out: &mut Vec<String>) {
        match value {
            ciborium::Value::Text(t) => out.push(t.clone()),
            ciborium::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            ciborium::Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                walk(k, out);
                walk(v, out);
            }),
            ciborium::Value::Tag(_, inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = ciborium::from_reader::<ciborium::Value, _>(body) {
        walk(&value, &mut out);
    }
    out.join(" ")
}

/// A JSON document as CBOR; text that is not JSON is passed through.
fn to_cbor(json: &[u8]) -> Bytes {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Bytes::copy_from_slice(json);
    };
    let mut out = Vec::new();
    match ciborium::into_writer(&value, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(_) => Bytes::copy_from_slice(json),
    }
}

/// Recognizes the operation of a request the way AWS routes it.
pub fn identify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Operation {
    let (scope_region, scope_service) = credential_scope(headers, uri).unzip();
    let region = scope_region.filter(|r| !r.is_empty());
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let name = target.rsplit('.').next().unwrap_or(target).to_string();
        return Operation {
            service: scope_service.unwrap_or_else(|| "unknown".into()),
            region,
            name,
        };
    }
    let action = form_value(body, "Action")
        .or_else(|| uri.query().and_then(|q| form_value(q.as_bytes(), "Action")));
    if let Some(name) = action {
        return Operation {
            service: scope_service.unwrap_or_else(|| "unknown".into()),
            region,
            name,
        };
    }
    // S3 names its operations by method and subresource (`GET /bucket?lifecycle`).
    if scope_service.as_deref() == Some("s3") {
        let query = uri.query().unwrap_or_default();
        let subresource = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
        let name = match (method.as_str(), subresource("lifecycle")) {
            ("GET", true) => "GetBucketLifecycleConfiguration".to_string(),
            ("PUT", false) => "CreateBucket".to_string(),
            _ => format!("Unknown {method} {}", uri.path()),
        };
        return Operation {
            service: "s3".into(),
            region,
            name,
        };
    }
    let segments: Vec<&str> = uri.path().split('/').collect();
    if let ["", "service", _, "operation", name] = segments.as_slice() {
        return Operation {
            service: scope_service.unwrap_or_else(|| "unknown".into()),
            region,
            name: name.to_string(),
        };
    }
    match rest_route(method, uri.path()) {
        Some((service, name)) => Operation {
            service: service.to_string(),
            region,
            name: name.to_string(),
        },
        None => Operation {
            service: scope_service.unwrap_or_else(|| "unknown".into()),
            region,
            name: format!("Unknown {method} {}", uri.path()),
        },
    }
}

/// `Credential=AKID/20261122/us-east-1/sts/aws4_request` from the Authorization header or a
/// presigned URL's `X-Amz-Credential`.
fn credential_scope(headers: &HeaderMap, uri: &Uri) -> Option<(String, String)> {
    let from_header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or(rest).to_string());
    let credential = from_header.or_else(|| {
        uri.query()
            .and_then(|q| form_value(q.as_bytes(), "X-Amz-Credential"))
    })?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [.., _date, region, service, "aws4_request"] => {
            Some((region.to_string(), service.to_string()))
        }
        _ => None,
    }
}

/// REST operations of the services moto lacks, from the botocore service models. The signing
/// name of Bedrock Runtime is `bedrock`, so the path alone tells the two apart.
const REST_ROUTES: &[(&str, &str, &str, &str)] = &[
    (
        "bedrock",
        "GET",
        "/foundation-models",
        "ListFoundationModels",
    ),
    (
        "bedrock",
        "GET",
        "/foundation-models/*",
        "GetFoundationModel",
    ),
    (
        "bedrock",
        "GET",
        "/foundation-model-availability/*",
        "GetFoundationModelAvailability",
    ),
    (
        "bedrock",
        "GET",
        "/list-foundation-model-agreement-offers/*",
        "ListFoundationModelAgreementOffers",
    ),
    (
        "bedrock",
        "GET",
        "/inference-profiles",
        "ListInferenceProfiles",
    ),
    (
        "bedrock",
        "POST",
        "/inference-profiles",
        "CreateInferenceProfile",
    ),
    (
        "bedrock",
        "GET",
        "/inference-profiles/*",
        "GetInferenceProfile",
    ),
    (
        "bedrock",
        "DELETE",
        "/inference-profiles/*",
        "DeleteInferenceProfile",
    ),
    (
        "bedrock",
        "GET",
        "/logging/modelinvocations",
        "GetModelInvocationLoggingConfiguration",
    ),
    (
        "bedrock",
        "PUT",
        "/logging/modelinvocations",
        "PutModelInvocationLoggingConfiguration",
    ),
    (
        "bedrock",
        "DELETE",
        "/logging/modelinvocations",
        "DeleteModelInvocationLoggingConfiguration",
    ),
    ("bedrock", "GET", "/guardrails", "ListGuardrails"),
    (
        "bedrock",
        "GET",
        "/data-retention",
        "GetAccountDataRetention",
    ),
    ("bedrock-mantle", "GET", "/v1/models", "ListModels"),
    ("bedrock-mantle", "GET", "/v1/models/*", "GetModel"),
    (
        "bedrock",
        "GET",
        "/use-case-for-model-access",
        "GetUseCaseForModelAccess",
    ),
    (
        "bedrock",
        "POST",
        "/use-case-for-model-access",
        "PutUseCaseForModelAccess",
    ),
    (
        "bedrock",
        "POST",
        "/create-foundation-model-agreement",
        "CreateFoundationModelAgreement",
    ),
    ("bedrock-runtime", "POST", "/model/*/invoke", "InvokeModel"),
    (
        "bedrock-runtime",
        "POST",
        "/model/*/invoke-with-response-stream",
        "InvokeModelWithResponseStream",
    ),
    ("bedrock-runtime", "POST", "/model/*/converse", "Converse"),
    (
        "bedrock-runtime",
        "POST",
        "/model/*/converse-stream",
        "ConverseStream",
    ),
    (
        "bedrock-runtime",
        "POST",
        "/model/*/count-tokens",
        "CountTokens",
    ),
    // Security Hub is moto's; named here so that tests count and fault its calls.
    (
        "securityhub",
        "POST",
        "/findings/import",
        "BatchImportFindings",
    ),
    ("securityhub", "POST", "/findings", "GetFindings"),
];

fn rest_route(method: &Method, path: &str) -> Option<(&'static str, &'static str)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    REST_ROUTES
        .iter()
        .find_map(|(service, route_method, pattern, name)| {
            let wanted: Vec<&str> = pattern.split('/').collect();
            let matches = method.as_str() == *route_method
                && wanted.len() == segments.len()
                && wanted
                    .iter()
                    .zip(&segments)
                    .all(|(w, s)| *w == "*" && !s.is_empty() || w == s);
            matches.then_some((*service, *name))
        })
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A path segment, decoded (a `+` stays a `+` in a path).
fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether an operation changes state, by AWS's naming conventions.
pub fn is_mutating(operation: &str) -> bool {
    const READS: &[&str] = &[
        "Get", "List", "Describe", "Simulate", "Count", "Lookup", "Search", "Check", "Invoke",
        "Converse", "Generate", "Decode",
    ];
    !READS.iter().any(|prefix| operation.starts_with(prefix)) && !operation.starts_with("Unknown")
}

fn set_header(response: &mut Response<Full<Bytes>>, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        hyper::header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        response.headers_mut().insert(name, value);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    const STS_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=abc";

    #[test]
    fn query_protocol_by_action_field() {
        let op = identify(
            &Method::POST,
            &"/".parse().unwrap(),
            &headers(&[("authorization", STS_AUTH)]),
            b"Action=GetCallerIdentity&Version=2011-06-15",
        );
        assert_eq!(
            op,
            Operation {
                service: "sts".into(),
                region: Some("eu-west-1".into()),
                name: "GetCallerIdentity".into()
            }
        );
    }

    #[test]
    fn json_protocol_by_target_header() {
        let auth = STS_AUTH.replace("/sts/", "/servicequotas/");
        let op = identify(
            &Method::POST,
            &"/".parse().unwrap(),
            &headers(&[
                ("authorization", &auth),
                ("x-amz-target", "ServiceQuotasV20190624.ListServiceQuotas"),
            ]),
            b"{}",
        );
        assert_eq!(op.key(), "servicequotas:ListServiceQuotas");
    }

    #[test]
    fn rest_protocol_by_path_and_runtime_told_apart() {
        let auth = STS_AUTH.replace("/sts/", "/bedrock/");
        let h = headers(&[("authorization", &auth)]);
        let op = identify(
            &Method::GET,
            &"/foundation-model-availability/anthropic.claude-sonnet-4-6"
                .parse()
                .unwrap(),
            &h,
            b"",
        );
        assert_eq!(op.key(), "bedrock:GetFoundationModelAvailability");
        let op = identify(
            &Method::POST,
            &"/model/us.anthropic.claude-sonnet-4-6/count-tokens"
                .parse()
                .unwrap(),
            &h,
            b"{}",
        );
        assert_eq!(op.key(), "bedrock-runtime:CountTokens");
        assert_eq!(op.region.as_deref(), Some("eu-west-1"));
        let bearer = identify(
            &Method::GET,
            &"/foundation-models".parse().unwrap(),
            &headers(&[("authorization", "Bearer x")]),
            b"",
        );
        assert_eq!(bearer.key(), "bedrock:ListFoundationModels");
        assert_eq!(bearer.region, None);
    }

    #[test]
    fn mutations_by_name() {
        assert!(is_mutating("PutRolePolicy"));
        assert!(is_mutating("CreatePolicyVersion"));
        assert!(!is_mutating("GetCallerIdentity"));
        assert!(!is_mutating("SimulatePrincipalPolicy"));
    }

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value(b"A=1&RoleName=a%2Fb+c", "RoleName").as_deref(),
            Some("a/b c")
        );
        assert_eq!(form_value(b"A=%zz", "A").as_deref(), Some("%zz"));
        assert_eq!(form_value(b"A=%4", "A").as_deref(), Some("%4"));
    }
}
