//! The front server's rules as the AWS SDK's HTTP client, in-process: every request the
//! library's real clients build (signed, serialized, with endpoints resolved) is answered by a
//! `Router` from fixtures shaped as AWS answers, and parsed by the real SDK. No socket, no
//! moto: a test of a check's logic against modelled answers runs in milliseconds.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_types::SdkConfig;
use bytes::Bytes;
use http_body_util::BodyExt;

use super::front::Router;

#[derive(Clone)]
pub struct InProcess {
    router: Router,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

impl InProcess {
    pub fn new(router: Router) -> Self {
        InProcess { router }
    }

    /// An `SdkConfig` as the binary would load it in `region` with static keys, whose every
    /// request goes to the router. Retries keep the SDK's standard mode and attempt count,
    /// with a millisecond backoff so that throttling tests stay fast.
    pub fn sdk_config(&self, region: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIAINPROCESS0000000",
                "in-process-secret-key-000000000000000000",
                None,
                None,
                "in-process",
            )))
            .http_client(SharedHttpClient::new(self.clone()))
            .sleep_impl(TokioSleep::new())
            .time_source(SystemTimeSource::new())
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(5)),
            )
            .build()
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let router = self.router.clone();
        HttpConnectorFuture::new(async move {
            let mut builder = hyper::Request::builder()
                .method(request.method())
                .uri(request.uri());
            for (name, value) in request.headers() {
                builder = builder.header(name, value);
            }
            let body = Bytes::copy_from_slice(request.body().bytes().unwrap_or_default());
            let (parts, ()) = builder
                .body(())
                .map_err(|e| ConnectorError::other(e.into(), None))?
                .into_parts();
            let response = router.answer(parts, body).await;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let mut answer = HttpResponse::new(
                StatusCode::try_from(status).map_err(|e| ConnectorError::other(e.into(), None))?,
                SdkBody::from(body),
            );
            for (name, value) in &headers {
                if let Ok(value) = value.to_str() {
                    answer
                        .headers_mut()
                        .insert(name.as_str().to_string(), value.to_string());
                }
            }
            Ok(answer)
        })
    }
}
