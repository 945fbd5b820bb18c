//! The Mantle endpoint (Claude in Amazon Bedrock's Messages API, `bedrock-mantle.<region>.api.aws`)
//! has no SDK crate. Its reads go through smithy's generic `Operation`, so they get the SDK's HTTP
//! client, retries, timeouts and attempt counting; each attempt is signed by `aws-sigv4` under
//! the `bedrock-mantle` signing name, or carries the Bedrock API key when that is how this run's
//! Bedrock calls authenticate (as Claude Code's would).
//!
//! The model list's shape is not in any AWS service model: `data[].id` (OpenAI's and
//! Anthropic's list shape, which AWS documents the endpoint as compatible with), Anthropic's
//! `has_more`/`last_id` paging, and the per-model `status`, `status_reason` and `data_retention`
//! that Bedrock's data-retention documentation shows. A body without `data` is malformed, never
//! an empty list.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::service_config::ServiceConfigKey;
use serde::Deserialize;

use super::catalog::{self, Operation as CatalogOperation};
use super::{AwsError, AwsErrorKind, AwsReader, BedrockAuth};
use crate::domain::Region;

/// The signing name, and the service name the call log counts attempts under.
const SIGNING_NAME: &str = "bedrock-mantle";
const SERVICE_NAME: &str = "Bedrock Mantle";
/// Far more models than the endpoint serves; a list that pages on past this is not trusted.
const MAX_PAGES: usize = 20;

/// One model the Mantle endpoint lists.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MantleModel {
    pub id: String,
    /// `available`, `unavailable` or whatever the endpoint adds; absent in the plain list shape.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub data_retention: Option<ModelRetention>,
}

/// The data-retention mode that applies to one model, as the model list reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ModelRetention {
    #[serde(default)]
    pub mode: Option<String>,
    /// Where the effective mode comes from: the project, the account or the model's default.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub allowed_modes: Vec<String>,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<serde_json::Value>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

/// How a Mantle request authenticates. The secrets never reach `Debug`.
#[derive(Clone)]
enum Auth {
    SigV4(Credentials),
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::SigV4(_) => "SigV4",
            Auth::Bearer(_) => "Bearer",
        })
    }
}

/// A Mantle answer that is not a success, with the code and message its body carries.
#[derive(Debug)]
pub struct MantleError {
    meta: ErrorMetadata,
}

impl fmt::Display for MantleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.meta.code(), self.meta.message()) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (None, Some(message)) => f.write_str(message),
            (Some(code), None) => f.write_str(code),
            (None, None) => f.write_str("the Mantle endpoint refused the request"),
        }
    }
}

impl std::error::Error for MantleError {}

impl ProvideErrorMetadata for MantleError {
    fn meta(&self) -> &ErrorMetadata {
        &self.meta
    }
}

/// The code and message of an error body in any of the shapes the endpoint's APIs use:
/// AWS's (`x-amzn-errortype`, `message`), Anthropic's (`error.type`) and OpenAI's
/// (`error.code`).
fn error_of(response: &HttpResponse) -> MantleError {
    let body: serde_json::Value = response
        .body()
        .bytes()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let header = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.split(':').next().unwrap_or(v).to_string());
    let nested = &body["error"];
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let code = header
        .or_else(|| text(&nested["code"]))
        .or_else(|| text(&nested["type"]))
        .or_else(|| text(&body["__type"]));
    let message = text(&nested["message"])
        .or_else(|| text(&body["message"]))
        .or_else(|| text(&body["Message"]));
    let mut meta = ErrorMetadata::builder();
    if let Some(code) = code {
        meta = meta.code(code);
    }
    if let Some(message) = message {
        meta = meta.message(message);
    }
    MantleError { meta: meta.build() }
}

/// Signs each attempt as it leaves, so a retry carries a fresh signature.
#[derive(Debug)]
struct Authenticate {
    auth: Auth,
    region: String,
}

impl Intercept for Authenticate {
    fn name(&self) -> &'static str {
        "MantleAuthenticate"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        match &self.auth {
            Auth::Bearer(token) => {
                request
                    .headers_mut()
                    .insert("authorization", format!("Bearer {token}"));
            }
            Auth::SigV4(credentials) => {
                let identity: Identity = credentials.clone().into();
                let now = runtime_components
                    .time_source()
                    .map_or_else(std::time::SystemTime::now, |t| t.now());
                let params = aws_sigv4::sign::v4::SigningParams::builder()
                    .identity(&identity)
                    .region(&self.region)
                    .name(SIGNING_NAME)
                    .time(now)
                    .settings(SigningSettings::default())
                    .build()?
                    .into();
                let headers: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let signable = SignableRequest::new(
                    request.method(),
                    request.uri().to_string(),
                    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    SignableBody::Bytes(&[]),
                )?;
                let (instructions, _) = sign(signable, &params)?.into_parts();
                let (signed, _) = instructions.into_parts();
                for header in signed {
                    request
                        .headers_mut()
                        .insert(header.name(), header.value().to_string());
                }
            }
        }
        Ok(())
    }
}

impl AwsReader {
    /// The endpoint's model list in `region` (`GET /v1/models`, every page).
    pub async fn mantle_models(&self, region: &Region) -> Result<Arc<Vec<MantleModel>>, AwsError> {
        const OP: &CatalogOperation = &catalog::LIST_MANTLE_MODELS;
        let every_page = || async {
            let auth = self.mantle_auth(OP).await?;
            let get = self.mantle_get(OP, &self.mantle_endpoint(region), region, auth);
            let mut models = Vec::new();
            let mut after: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let path = match &after {
                    None => "/v1/models".to_string(),
                    Some(id) => format!(
                        "/v1/models?after_id={}",
                        percent_encoding::utf8_percent_encode(
                            id,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ),
                };
                let page = get
                    .invoke(path)
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, e))?;
                let page: Page = serde_json::from_slice(&page).map_err(|e| {
                    AwsError::new(
                        AwsErrorKind::Malformed,
                        OP,
                        format!("the model list is not the list shape ({e})"),
                    )
                })?;
                models.extend(
                    page.data
                        .into_iter()
                        .filter_map(|m| serde_json::from_value::<MantleModel>(m).ok()),
                );
                match (page.has_more, page.last_id) {
                    (true, Some(last)) if after.as_deref() != Some(last.as_str()) => {
                        after = Some(last)
                    }
                    _ => return Ok(Arc::new(models)),
                }
            }
            Err(AwsError::new(
                AwsErrorKind::Malformed,
                OP,
                format!("the model list still has more after {MAX_PAGES} pages"),
            ))
        };
        self.cached_call(OP, Some(region.as_str()), "", every_page, Ok)
            .await
    }

    /// The endpoint's base URL: `AWS_ENDPOINT_URL_BEDROCK_MANTLE`, else the run's endpoint
    /// override (the sandbox's front server), else AWS's.
    fn mantle_endpoint(&self, region: &Region) -> String {
        let config = &self.session.config;
        let specific = ServiceConfigKey::builder()
            .service_id(SIGNING_NAME)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()
            .and_then(|key| config.service_config()?.load_config(key));
        specific
            .or_else(|| config.endpoint_url().map(str::to_string))
            .unwrap_or_else(|| format!("https://{SIGNING_NAME}.{region}.api.aws"))
    }

    /// The API key when Bedrock calls send one, else the chain's credentials to sign with.
    async fn mantle_auth(&self, op: &'static CatalogOperation) -> Result<Auth, AwsError> {
        if self.bedrock_auth() == BedrockAuth::BearerToken
            && let Some(token) = self.bearer_token()
        {
            return Ok(Auth::Bearer(token));
        }
        let provider = self.session.config.credentials_provider().ok_or_else(|| {
            AwsError::new(AwsErrorKind::NoCredentials, op, "no credentials chain")
        })?;
        provider
            .provide_credentials()
            .await
            .map(Auth::SigV4)
            .map_err(|e| AwsError::new(AwsErrorKind::NoCredentials, op, super::error_chain(&e)))
    }

    /// A GET of the endpoint, built once and invoked for each path (each page of a list):
    /// the SDK's HTTP client, retries and timeouts, with `auth` on every attempt.
    fn mantle_get(
        &self,
        op: &'static CatalogOperation,
        base: &str,
        region: &Region,
        auth: Auth,
    ) -> Operation<String, Vec<u8>, MantleError> {
        let config = &self.session.config;
        let mut builder = Operation::builder()
            .service_name(SERVICE_NAME)
            .operation_name(op.name)
            .endpoint_url(base)
            .no_auth()
            .timeout_config(
                config
                    .timeout_config()
                    .cloned()
                    .unwrap_or_else(|| TimeoutConfig::builder().build()),
            )
            .interceptor(Authenticate {
                auth,
                region: region.as_str().to_string(),
            })
            .interceptor(self.session.hooks());
        if let Some(client) = config.http_client() {
            builder = builder.http_client(client);
        }
        builder = match config.sleep_impl() {
            Some(sleep) => builder
                .standard_retry(
                    &config
                        .retry_config()
                        .cloned()
                        .unwrap_or_else(RetryConfig::standard),
                )
                .retry_classifier(TransientErrorClassifier::<MantleError>::new())
                .retry_classifier(HttpStatusCodeClassifier::new_from_codes(Cow::Borrowed(
                    &[429, 500, 502, 503, 504][..],
                )))
                .sleep_impl(sleep),
            None => builder.no_retry(),
        };
        if let Some(time) = config.time_source() {
            builder = builder.time_source(time);
        }
        builder
            .serializer(move |path: String| {
                let mut request = HttpRequest::new(SdkBody::empty());
                request.set_uri(path.as_str())?;
                request.headers_mut().insert("accept", "application/json");
                Ok(request)
            })
            .deserializer(|response: &HttpResponse| {
                if !response.status().is_success() {
                    return Err(OrchestratorError::operation(error_of(response)));
                }
                response
                    .body()
                    .bytes()
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| OrchestratorError::other("the answer was streamed"))
            })
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body.to_string()),
        );
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        response
    }

    #[test]
    fn error_bodies_of_every_shape_give_code_and_message() {
        let aws = error_of(&response(
            403,
            &[("x-amzn-errortype", "AccessDeniedException:http://internal")],
            r#"{"message": "not authorized"}"#,
        ));
        assert_eq!(aws.code(), Some("AccessDeniedException"));
        assert_eq!(aws.message(), Some("not authorized"));
        let anthropic = error_of(&response(
            403,
            &[],
            r#"{"type": "error", "error": {"type": "permission_error", "message": "no access"}}"#,
        ));
        assert_eq!(anthropic.code(), Some("permission_error"));
        let openai = error_of(&response(
            400,
            &[],
            r#"{"error": {"code": "model_not_found", "message": "The model 'x' does not exist"}}"#,
        ));
        assert_eq!(openai.code(), Some("model_not_found"));
        let bare = error_of(&response(502, &[], "<html>bad gateway</html>"));
        assert_eq!((bare.code(), bare.message()), (None, None));
    }

    #[test]
    fn models_read_with_and_without_their_optional_fields() {
        let page: Page = serde_json::from_str(
            r#"{"object": "list", "data": [
                {"id": "anthropic.claude-haiku-4-5", "object": "model", "owned_by": "anthropic"},
                {"id": "anthropic.claude-fable-5", "status": "unavailable",
                 "status_reason": "This model is not available under data retention mode 'default'.",
                 "data_retention": {"mode": "default", "source": "account", "allowed_modes": ["aws_review"]}},
                {"object": "model"}
            ]}"#,
        )
        .unwrap();
        let models: Vec<MantleModel> = page
            .data
            .into_iter()
            .filter_map(|m| serde_json::from_value(m).ok())
            .collect();
        assert_eq!(models.len(), 2, "an entry without an id is no model");
        assert_eq!(models[0].status, None);
        let retention = models[1].data_retention.as_ref().unwrap();
        assert_eq!(retention.allowed_modes, ["aws_review"]);
        assert!(serde_json::from_str::<Page>(r#"{"models": []}"#).is_err());
    }

    #[test]
    fn credentials_never_reach_debug() {
        let auth = Auth::Bearer("bedrock-api-key-secretvalue".into());
        assert_eq!(format!("{auth:?}"), "Bearer");
    }
}
