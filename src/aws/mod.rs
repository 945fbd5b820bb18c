//! The one place that talks to AWS, in two halves. A `Session` holds the SDK clients built
//! from one `SdkConfig` (the standard chain of `aws-config`, plus `--profile`, `--region` and
//! `--endpoint-url`), credentials resolved once, and the call count. Its read side,
//! `AwsReader`, is what checks get: every read cached and single-flight, failures classified.
//! Its write side, `AwsWriter`, is uncached and only plan executors get it; nothing reachable
//! from a check leads to it. Every operation is named in `catalog`.

/// Every item of a paginated SDK request, as a future; its failure is the SDK's.
macro_rules! all_items {
    ($request:expr) => {{
        let request = $request;
        async move {
            request
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
        }
    }};
}

/// Every page of a paginated SDK request, as a future; its failure is the SDK's.
macro_rules! all_pages {
    ($request:expr) => {{
        let request = $request;
        async move {
            request
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
        }
    }};
}

/// A client of the SDK crate `$sdk` on `config`, every call counted and logged by `hooks`;
/// `$tune` sets what the service alone has. With a retry scope (another account's session),
/// the client retries and backs off on its own: the SDK otherwise shares one retry budget and
/// one adaptive rate limiter per service and region across the whole process, so throttling
/// in one account would slow every other.
macro_rules! client {
    ($sdk:ident, $config:expr, $hooks:expr, $scope:expr $(, $tune:path)?) => {{
        let config: &SdkConfig = $config;
        let mut builder = $sdk::config::Builder::from(config);
        if let Some(scope) = $scope {
            let region = config.region().map(|r| r.as_ref()).unwrap_or("global");
            builder.set_retry_partition(Some(aws_smithy_runtime::client::retries::RetryPartition::new(
                format!("{}-{region}-{scope}", stringify!($sdk)),
            )));
        }
        $(let builder = $tune(builder, config);)?
        $sdk::Client::from_conf(builder.interceptor($hooks).build())
    }};
}

/// The clients of regional services: one per region on `RegionalClients`, built on first use
/// and kept for the run, and the `Session` method that hands it out.
macro_rules! regional_clients {
    ($($name:ident: $sdk:ident $(with $tune:path)?),* $(,)?) => {
        #[derive(Default)]
        struct RegionalClients {
            $($name: Mutex<HashMap<String, $sdk::Client>>,)*
        }

        impl Session {
            $(
                fn $name(&self, region: &Region) -> $sdk::Client {
                    self.regional(&self.clients.$name, region, |config| {
                        client!($sdk, config, self.hooks(), self.retry_scope.as_deref() $(, $tune)?)
                    })
                }
            )*
        }
    };
}

mod account;
mod bedrock;
mod calls;
pub mod catalog;
mod cloudtrail;
mod credentials;
mod error;
mod iam;
mod logging;
mod mantle;
mod organizations;
mod s3;
mod securityhub;
mod service_quotas;
mod write;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_config::meta::region::ProvideRegion;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::SdkConfig;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

pub use account::BEDROCK_SERVICE_NAME;
pub use bedrock::{MetricSeries, ProbeAnswer, ProbeCall};
pub use calls::CallCount;
pub use credentials::{CredentialSource, CredentialsProblem, CredentialsSummary};
pub use error::{AwsError, AwsErrorKind, error_chain};
pub use mantle::{MantleModel, ModelRetention};
pub use organizations::{AccountState, MemberAccount, Organization, OrganizationPolicies};
pub use securityhub::RefusedFinding;
pub use write::{AttachTarget, AwsWriter};

use crate::domain::{CallerIdentityAnswer, Region, RegionSource};
use calls::{CallCache, CallHooks, CallKey, CallLog};
use catalog::Operation;
use credentials::ResolveOnce;
use error::Classify;

/// STS and IAM need a region to sign with even when the user configured none; their global
/// endpoints answer from here.
const FALLBACK_SIGNING_REGION: &str = "us-east-1";

#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// When set (with `profile`), the named profile outranks credentials in the environment.
    pub profile_rule: Option<ProfileRule>,
    pub region: Option<Region>,
    pub endpoint_url: Option<String>,
    /// `--timeout`: no single AWS call, its retries included, outlasts it.
    pub operation_timeout: Option<std::time::Duration>,
    /// What another program's environment sets over the shell's (Claude Code's settings).
    pub env_overrides: EnvOverrides,
}

/// Why a named profile outranks `AWS_ACCESS_KEY_ID` in the environment, where it does; without
/// one, the standard chain puts the environment first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileRule {
    /// `--profile` on the command line: the aws CLI (botocore) drops its environment provider
    /// when a profile is named explicitly; `AWS_PROFILE` alone does not.
    CommandLine,
    /// Claude Code with `AWS_PROFILE` set: the AWS SDK for JavaScript it runs on skips its
    /// environment provider ("AWS_PROFILE is set, skipping fromEnv provider", in
    /// @aws-sdk/credential-provider-node's defaultProvider).
    ClaudeCode,
}

impl ProfileRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileRule::CommandLine => "command-line",
            ProfileRule::ClaudeCode => "claude-code",
        }
    }

    /// Why the environment's keys were not used, for the report.
    pub fn describe(self, profile: &str) -> String {
        match self {
            ProfileRule::CommandLine => format!(
                "--profile {profile} was given, and the aws CLI then ignores AWS_ACCESS_KEY_ID \
                 and AWS_SECRET_ACCESS_KEY in the environment"
            ),
            ProfileRule::ClaudeCode => format!(
                "Claude Code has AWS_PROFILE={profile}, and the AWS SDK for JavaScript it runs on \
                 then ignores AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            ),
        }
    }
}

/// Environment keys the run passed over for a named profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredEnvKeys {
    pub profile: String,
    pub rule: ProfileRule,
}

/// Credentials set in another program's environment rather than this process's: Claude
/// Code's settings files put `env` values over the shell's, so a doctor of Claude Code signs
/// with them. Never shown by `Debug`.
#[derive(Clone, Default)]
pub struct EnvOverrides {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    pub keys: Option<(String, String, Option<String>)>,
    /// `AWS_BEARER_TOKEN_BEDROCK`.
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvOverrides")
            .field("keys", &self.keys.is_some())
            .field("bearer_token", &self.bearer_token.is_some())
            .finish()
    }
}

/// The shell's service settings with the Bedrock API key of `EnvOverrides` in front, so every
/// Bedrock client (and the Mantle reads) sends the key Claude Code would.
#[derive(Clone)]
struct BearerOverride {
    token: String,
    shell: SdkConfig,
}

impl std::fmt::Debug for BearerOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerOverride")
    }
}

impl LoadServiceConfig for BearerOverride {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if key.service_id() == "bedrock" && key.env() == "AWS_BEARER_TOKEN" {
            return Some(self.token.clone());
        }
        self.shell.service_config()?.load_config(key)
    }
}

/// How Bedrock requests will authenticate from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BedrockAuth {
    SigV4,
    /// `AWS_BEARER_TOKEN_BEDROCK` is set: the Bedrock clients send it instead of signing.
    BearerToken,
}

/// The clients, credentials and call count of one run, shared by its read and write sides.
pub struct Session {
    config: SdkConfig,
    aws_profile_override: Option<String>,
    ignored_env_keys: Option<IgnoredEnvKeys>,
    credentials: ResolveOnce,
    /// Another account's session: its clients keep retry budgets of their own.
    retry_scope: Option<String>,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    organizations: aws_sdk_organizations::Client,
    clients: RegionalClients,
    log: Arc<CallLog>,
}

/// What checks may do with AWS: read, each distinct request at most once per run.
pub struct AwsReader {
    session: Arc<Session>,
    cache: CallCache,
}

regional_clients! {
    bedrock: aws_sdk_bedrock,
    runtime: aws_sdk_bedrockruntime,
    quotas: aws_sdk_servicequotas,
    cloudwatch: aws_sdk_cloudwatch,
    logs: aws_sdk_cloudwatchlogs,
    cloudtrail: aws_sdk_cloudtrail,
    s3: aws_sdk_s3 with s3::by_path,
    securityhub: aws_sdk_securityhub,
}

impl Session {
    /// Loads the shared configuration the way every AWS SDK does.
    pub async fn load(options: &AwsOptions) -> Arc<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.as_str().to_string()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(timeout) = options.operation_timeout {
            // Every client, the credential providers' included, inherits it: a read or a write
            // to an endpoint that accepts and never answers ends, whatever command sent it.
            loader = loader.timeout_config(
                aws_smithy_types::timeout::TimeoutConfig::builder()
                    .operation_timeout(timeout)
                    .build(),
            );
        }
        let overrides = &options.env_overrides;
        // Read by aws-config itself; registered here so that no echo of it is ever printed.
        if let Ok(token) = std::env::var("AWS_BEARER_TOKEN_BEDROCK") {
            crate::secrets::register(&token);
        }
        if let Some(token) = &overrides.bearer_token {
            crate::secrets::register(token);
        }
        if let Some((id, secret, token)) = &overrides.keys {
            let mut keys = aws_credential_types::Credentials::new(
                id,
                secret,
                token.clone(),
                None,
                "Claude Code settings",
            );
            // Read as the environment variables they are, in Claude Code's environment.
            keys.get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
                .push(AwsCredentialFeature::CredentialsEnvVars);
            loader = loader.credentials_provider(keys);
        }
        let mut config = loader.load().await;
        let mut ignored_env_keys = None;
        if let (Some(profile), Some(rule), None) =
            (&options.profile, options.profile_rule, &overrides.keys)
        {
            let chain = chain_without_env_keys(profile, &config);
            config = config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(chain))
                .build();
            // Presence only, for the report: the keys themselves are never read here.
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty()) {
                ignored_env_keys = Some(IgnoredEnvKeys {
                    profile: profile.clone(),
                    rule,
                });
            }
        }
        if let Some(token) = &overrides.bearer_token {
            let layered = BearerOverride {
                token: token.clone(),
                shell: config.clone(),
            };
            config = config.into_builder().service_config(layered).build();
        }
        let mut session = Self::new(config, options.profile.clone(), Arc::default(), None);
        session.ignored_env_keys = ignored_env_keys;
        Arc::new(session)
    }

    /// A session of another account: `role_arn` assumed with this session's credentials
    /// (aws-config's own AssumeRole provider), with `external_id` when the role's trust asks
    /// for one, everything else as configured here. Its clients retry on budgets of their own,
    /// adaptively (backing off when that account is throttled) unless a retry mode other than
    /// the default was configured.
    pub async fn assuming(&self, role_arn: &str, external_id: Option<&str>) -> Arc<Self> {
        let signing_region = self
            .config
            .region()
            .cloned()
            .unwrap_or_else(|| aws_config::Region::from_static(FALLBACK_SIGNING_REGION));
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("bedrock-preflight-audit")
            .configure(&self.config)
            .region(signing_region);
        if let Some(external_id) = external_id {
            provider = provider.external_id(external_id);
        }
        let provider = provider.build().await;
        let retry = self
            .config
            .retry_config()
            .cloned()
            .unwrap_or_else(aws_smithy_types::retry::RetryConfig::standard);
        let retry = if retry.mode() == aws_smithy_types::retry::RetryMode::Standard {
            aws_smithy_types::retry::RetryConfig::adaptive()
                .with_max_attempts(retry.max_attempts())
                .with_initial_backoff(retry.initial_backoff())
                .with_max_backoff(retry.max_backoff())
        } else {
            retry
        };
        let config = self
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .retry_config(retry)
            .build();
        let account = role_arn.split(':').nth(4).unwrap_or(role_arn).to_string();
        // The same log: `-v`'s totals cover every account of the run.
        Arc::new(Self::new(
            config,
            None,
            Arc::clone(&self.log),
            Some(account),
        ))
    }

    pub fn from_config(config: SdkConfig) -> Arc<Self> {
        Arc::new(Self::new(config, None, Arc::default(), None))
    }

    fn new(
        config: SdkConfig,
        aws_profile_override: Option<String>,
        log: Arc<CallLog>,
        retry_scope: Option<String>,
    ) -> Self {
        let credentials = ResolveOnce::new(
            config
                .credentials_provider()
                .unwrap_or_else(|| SharedCredentialsProvider::new(NoChain)),
        );
        let config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
            .build();
        let signing_region = config
            .region()
            .cloned()
            .unwrap_or_else(|| aws_config::Region::from_static(FALLBACK_SIGNING_REGION));
        let global = config.to_builder().region(signing_region).build();
        let hooks = || CallHooks(Arc::clone(&log));
        let scope = retry_scope.as_deref();
        let sts = client!(aws_sdk_sts, &global, hooks(), scope);
        let iam = client!(aws_sdk_iam, &global, hooks(), scope);
        let organizations = client!(aws_sdk_organizations, &global, hooks(), scope);
        Session {
            config,
            aws_profile_override,
            ignored_env_keys: None,
            credentials,
            retry_scope,
            sts,
            iam,
            organizations,
            clients: RegionalClients::default(),
            log,
        }
    }

    fn hooks(&self) -> CallHooks {
        CallHooks(Arc::clone(&self.log))
    }

    /// The client of one region, from the run's one `SdkConfig` with only the region changed.
    fn regional<C: Clone>(
        &self,
        clients: &Mutex<HashMap<String, C>>,
        region: &Region,
        build: impl FnOnce(&SdkConfig) -> C,
    ) -> C {
        let mut clients = clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.as_str().to_string())
            .or_insert_with(|| {
                let config = self
                    .config
                    .to_builder()
                    .region(aws_config::Region::new(region.as_str().to_string()))
                    .build();
                build(&config)
            })
            .clone()
    }

    /// The region the SDK chain settled on (flag, environment, profile or instance metadata).
    pub fn configured_region(&self) -> Option<&str> {
        self.config.region().map(|r| r.as_ref())
    }

    /// Which link of the chain set the region, asked of `aws-config`'s own providers.
    pub async fn region_source(&self, from_flag: bool) -> Option<RegionSource> {
        self.configured_region()?;
        if from_flag {
            return Some(RegionSource::Flag);
        }
        let env = aws_config::environment::EnvironmentVariableRegionProvider::new();
        if env.region().await.is_some() {
            return Some(RegionSource::Environment);
        }
        let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(name) = &self.aws_profile_override {
            profile = profile.profile_name(name);
        }
        let profile = profile.build();
        if profile.region().await.is_some() {
            return Some(RegionSource::Profile);
        }
        Some(RegionSource::InstanceMetadata)
    }

    /// Calls sent (reads and writes), their pages and HTTP attempts, by catalog name, for `-v`.
    pub fn call_counts(&self) -> Vec<(String, CallCount)> {
        self.log.counts()
    }
}

impl AwsReader {
    pub fn new(session: Arc<Session>) -> Self {
        AwsReader {
            session,
            cache: CallCache::default(),
        }
    }

    /// One read, sent only when no answer to (`op`, `region`, `params`) is cached or on its
    /// way: `send` makes the request, its failure is classified as `op`, and `answer` turns
    /// what AWS said into the domain's types. The answer, or the failure, is kept for the run.
    async fn cached_call<T, O, E, Fut>(
        &self,
        op: &'static Operation,
        region: Option<&str>,
        params: impl Into<String>,
        send: impl FnOnce() -> Fut,
        answer: impl FnOnce(O) -> Result<T, AwsError>,
    ) -> Result<T, AwsError>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>>,
        E: Classify,
    {
        self.cached_reply(op, region, params, send, |reply| answer(reply?))
            .await
    }

    /// `cached_call` for a read where a failure can be the answer (no form submitted, no
    /// organization): `answer` gets the classified failure too.
    async fn cached_reply<T, O, E, Fut>(
        &self,
        op: &'static Operation,
        region: Option<&str>,
        params: impl Into<String>,
        send: impl FnOnce() -> Fut,
        answer: impl FnOnce(Result<O, AwsError>) -> Result<T, AwsError>,
    ) -> Result<T, AwsError>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>>,
        E: Classify,
    {
        let key = CallKey::new(op, region, params);
        self.cache
            .get(&self.session.log, key, || async {
                answer(send().await.map_err(|e| e.classify(op)))
            })
            .await
    }

    /// The session this reader's calls go through (a plan's writes take the same one).
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    pub fn configured_region(&self) -> Option<&str> {
        self.session.configured_region()
    }

    pub async fn credentials(&self) -> Result<CredentialsSummary, CredentialsProblem> {
        self.session.credentials.summary().await
    }

    /// Keys in the environment that the named profile outranked, if any were set.
    pub fn ignored_env_keys(&self) -> Option<&IgnoredEnvKeys> {
        self.session.ignored_env_keys.as_ref()
    }

    /// Bedrock clients read `AWS_BEARER_TOKEN_BEDROCK` through the config's service-config
    /// loader; asking the same loader tells which path their requests take.
    pub fn bedrock_auth(&self) -> BedrockAuth {
        if self.bearer_token().is_some() {
            BedrockAuth::BearerToken
        } else {
            BedrockAuth::SigV4
        }
    }

    /// The Bedrock API key the SDK would send, for the Mantle requests that send it too. Never
    /// logged or stored beyond the request.
    fn bearer_token(&self) -> Option<String> {
        let key = ServiceConfigKey::builder()
            .service_id("bedrock")
            .env("AWS_BEARER_TOKEN")
            .profile("")
            .build()
            .ok()?;
        self.session
            .config
            .service_config()?
            .load_config(key)
            .filter(|t| !t.is_empty())
    }

    /// The selected AWS profile's settings, read by `aws-config`'s own parser, for advice on
    /// how to fix it. `None` when the config files cannot be read.
    pub async fn aws_profile(&self) -> Option<AwsProfile> {
        let fs = aws_types::os_shim_internal::Fs::real();
        let env = aws_types::os_shim_internal::Env::real();
        let files = aws_runtime::env_config::file::EnvConfigFiles::default();
        let set = aws_config::profile::load(
            &fs,
            &env,
            &files,
            self.session.aws_profile_override.clone().map(Into::into),
        )
        .await
        .ok()?;
        let name = set.selected_profile().to_string();
        let Some(profile) = set.get_profile(&name) else {
            return Some(AwsProfile {
                name,
                exists: false,
                kind: AwsProfileKind::Other,
            });
        };
        let kind = if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some()
        {
            AwsProfileKind::Sso
        } else if profile.get("login_session").is_some() {
            AwsProfileKind::Login
        } else if profile.get("credential_process").is_some() {
            AwsProfileKind::Process
        } else if profile.get("role_arn").is_some() {
            AwsProfileKind::AssumeRole
        } else if profile.get("aws_access_key_id").is_some() {
            AwsProfileKind::StaticKeys
        } else {
            AwsProfileKind::Other
        };
        Some(AwsProfile {
            name,
            exists: true,
            kind,
        })
    }

    /// STS GetCallerIdentity: who the credentials belong to.
    pub async fn caller_identity(&self) -> Result<CallerIdentityAnswer, AwsError> {
        const OP: &Operation = &catalog::GET_CALLER_IDENTITY;
        self.cached_call(
            OP,
            self.configured_region(),
            "",
            || self.session.sts.get_caller_identity().send(),
            |out| match (out.account, out.arn) {
                (Some(account), Some(arn)) => Ok(CallerIdentityAnswer { account, arn }),
                _ => Err(AwsError::new(
                    AwsErrorKind::Malformed,
                    OP,
                    "the answer lacks Account or Arn",
                )),
            },
        )
        .await
    }

    /// IAM GetRole: the role's full ARN, path included.
    pub async fn role_arn(&self, role_name: &str) -> Result<String, AwsError> {
        self.role(role_name).await.map(|role| role.arn)
    }
}

/// The AWS profile (`--profile`, `AWS_PROFILE`) the chain uses, and what kind it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsProfile {
    pub name: String,
    pub exists: bool,
    pub kind: AwsProfileKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsProfileKind {
    Sso,
    Login,
    Process,
    AssumeRole,
    StaticKeys,
    Other,
}

/// `aws-config`'s default credentials chain without its first link, the environment's keys,
/// the way botocore builds its resolver for an explicitly named profile: every other provider
/// is aws-config's own, in the default chain's order.
fn chain_without_env_keys(
    profile: &str,
    config: &SdkConfig,
) -> aws_config::meta::credentials::CredentialsProviderChain {
    use aws_config::provider_config::ProviderConfig;
    // The loader's settings, as the default chain's providers get them: region, FIPS and
    // dual-stack endpoints, retries, timeouts, the HTTP client, sleep and clock. The profile
    // name for the providers after the first is aws-config's to set (crate-private): they
    // read the endpoint settings of IMDS and the like from the environment's profile.
    let mut conf = ProviderConfig::default()
        .with_region(config.region().cloned())
        .with_use_fips(config.use_fips())
        .with_use_dual_stack(config.use_dual_stack())
        .with_behavior_version(config.behavior_version());
    if let Some(retry) = config.retry_config() {
        conf = conf.with_retry_config(retry.clone());
    }
    if let Some(timeout) = config.timeout_config() {
        conf = conf.with_timeout_config(timeout.clone());
    }
    if let Some(client) = config.http_client() {
        conf = conf.with_http_client(client);
    }
    if let Some(sleep) = config.sleep_impl() {
        conf = conf.with_sleep_impl(sleep);
    }
    if let Some(clock) = config.time_source() {
        conf = conf.with_time_source(clock);
    }
    aws_config::meta::credentials::CredentialsProviderChain::first_try(
        "Profile",
        aws_config::profile::ProfileFileCredentialsProvider::builder()
            .configure(&conf)
            .profile_name(profile)
            .build(),
    )
    .or_else(
        "WebIdentityToken",
        aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "EcsContainer",
        aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "Ec2InstanceMetadata",
        aws_config::imds::credentials::ImdsCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
}

/// Stands in when the config has no credentials chain at all (never the case with
/// `aws_config::defaults`, but `SdkConfig` allows it).
#[derive(Debug)]
struct NoChain;

impl aws_credential_types::provider::ProvideCredentials for NoChain {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no credentials provider is configured",
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::retry::{RetryConfig, RetryMode};

    async fn config(retry: RetryConfig) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::from_static("eu-west-1"))
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .retry_config(retry)
            .load()
            .await
    }

    /// Throttling in one audited account must not spend another's retries: each assumed
    /// account's clients have a retry partition of their own, in adaptive mode, where the
    /// SDK's default partition is one per service and region for the whole process.
    #[tokio::test]
    async fn each_assumed_account_retries_on_its_own() {
        let caller = Session::from_config(config(RetryConfig::standard()).await);
        let a = caller
            .assuming("arn:aws:iam::111122223333:role/audit", None)
            .await;
        let b = caller
            .assuming("arn:aws:iam::444455556666:role/audit", None)
            .await;
        let partition = |s: &Session, region: &str| {
            let regional = s.bedrock(&region.parse().unwrap());
            (
                s.sts.config().retry_partition().map(|p| p.to_string()),
                regional.config().retry_partition().map(|p| p.to_string()),
            )
        };
        assert_eq!(
            partition(&a, "us-west-2"),
            (
                Some("aws_sdk_sts-eu-west-1-111122223333".into()),
                Some("aws_sdk_bedrock-us-west-2-111122223333".into())
            )
        );
        assert_ne!(partition(&a, "us-west-2"), partition(&b, "us-west-2"));
        assert_eq!(
            partition(&caller, "us-west-2"),
            (None, None),
            "the caller keeps the SDK's own"
        );
        assert_eq!(
            a.config.retry_config().map(RetryConfig::mode),
            Some(RetryMode::Adaptive)
        );
        assert_eq!(
            a.config.retry_config().map(RetryConfig::max_attempts),
            Some(RetryConfig::standard().max_attempts())
        );
    }

    /// A retry mode the user chose is kept.
    #[tokio::test]
    async fn a_configured_retry_mode_is_kept_for_assumed_accounts() {
        let configured = RetryConfig::adaptive().with_max_attempts(7);
        let caller = Session::from_config(config(configured.clone()).await);
        let assumed = caller
            .assuming("arn:aws:iam::111122223333:role/audit", None)
            .await;
        assert_eq!(assumed.config.retry_config(), Some(&configured));
    }
}
