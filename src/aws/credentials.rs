//! Credentials are resolved once per run through the standard chain that `aws-config` builds,
//! and every client signs with that one resolution: the SSO, STS or process calls behind it
//! are never made twice, and `credentials.resolve` sees exactly what the clients use.

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use tokio::sync::OnceCell;

/// Where the credentials came from, in the words of the AWS documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    Environment,
    Profile,
    Sso,
    Login,
    Process,
    AssumeRole,
    WebIdentity,
    Container,
    InstanceMetadata,
    Unknown,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Environment => "env",
            CredentialSource::Profile => "profile",
            CredentialSource::Sso => "sso",
            CredentialSource::Login => "login",
            CredentialSource::Process => "process",
            CredentialSource::AssumeRole => "assume-role",
            CredentialSource::WebIdentity => "web-identity",
            CredentialSource::Container => "container",
            CredentialSource::InstanceMetadata => "instance",
            CredentialSource::Unknown => "unknown",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            CredentialSource::Environment => "environment variables (AWS_ACCESS_KEY_ID)",
            CredentialSource::Profile => "static keys in a shared config/credentials profile",
            CredentialSource::Sso => "IAM Identity Center (SSO)",
            CredentialSource::Login => "aws login",
            CredentialSource::Process => "credential_process",
            CredentialSource::AssumeRole => "an assumed role (role_arn in the profile)",
            CredentialSource::WebIdentity => "web identity (OIDC token)",
            CredentialSource::Container => "the container credentials endpoint",
            CredentialSource::InstanceMetadata => "EC2 instance metadata",
            CredentialSource::Unknown => "an unrecognized provider",
        }
    }

    /// The most specific source among the features the SDK recorded while resolving (a role
    /// assumed from an SSO profile is SSO at its root, but what signs is the assumed role).
    fn from_features(features: &[AwsCredentialFeature]) -> Self {
        use AwsCredentialFeature as F;
        let has = |wanted: &[F]| features.iter().any(|f| wanted.contains(f));
        if has(&[
            F::CredentialsStsAssumeRoleWebId,
            F::CredentialsProfileStsWebIdToken,
            F::CredentialsEnvVarsStsWebIdToken,
        ]) {
            CredentialSource::WebIdentity
        } else if has(&[F::CredentialsStsAssumeRole, F::CredentialsStsAssumeRoleSaml]) {
            CredentialSource::AssumeRole
        } else if has(&[F::CredentialsSso, F::CredentialsProfileSso]) {
            CredentialSource::Sso
        } else if has(&[F::CredentialsLogin, F::CredentialsProfileLogin]) {
            CredentialSource::Login
        } else if has(&[F::CredentialsProcess, F::CredentialsProfileProcess]) {
            CredentialSource::Process
        } else if has(&[F::CredentialsHttp]) {
            CredentialSource::Container
        } else if has(&[F::CredentialsImds]) {
            CredentialSource::InstanceMetadata
        } else if has(&[F::CredentialsEnvVars]) {
            CredentialSource::Environment
        } else if has(&[F::CredentialsProfile, F::CredentialsProfileSourceProfile]) {
            CredentialSource::Profile
        } else {
            CredentialSource::Unknown
        }
    }
}

/// What the resolved credentials are, without the credentials themselves: nothing secret
/// leaves this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsSummary {
    pub source: CredentialSource,
    pub temporary: bool,
    pub expires_at: Option<SystemTime>,
}

/// Why the chain gave no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialsProblem {
    /// No provider in the chain had anything.
    NotFound(String),
    /// A provider was configured but failed (expired SSO token, failing process, bad profile).
    Failed(String),
    /// The provider did not answer in time.
    TimedOut(String),
}

/// A credentials provider that asks the chain once per run and hands every later caller the
/// same answer.
#[derive(Clone, Debug)]
pub struct ResolveOnce {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    chain: SharedCredentialsProvider,
    answer: OnceCell<Result<Credentials, CredentialsProblem>>,
}

impl ResolveOnce {
    pub fn new(chain: SharedCredentialsProvider) -> Self {
        ResolveOnce {
            inner: Arc::new(Inner {
                chain,
                answer: OnceCell::new(),
            }),
        }
    }

    async fn resolve(&self) -> &Result<Credentials, CredentialsProblem> {
        self.inner
            .answer
            .get_or_init(|| async {
                let answer = self.inner.chain.provide_credentials().await;
                if let Ok(credentials) = &answer {
                    crate::secrets::register(credentials.access_key_id());
                    crate::secrets::register(credentials.secret_access_key());
                    if let Some(token) = credentials.session_token() {
                        crate::secrets::register(token);
                    }
                }
                answer.map_err(problem_of)
            })
            .await
    }

    pub async fn summary(&self) -> Result<CredentialsSummary, CredentialsProblem> {
        let credentials = self.resolve().await.clone()?;
        let features = credentials
            .get_property::<Vec<AwsCredentialFeature>>()
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(CredentialsSummary {
            source: CredentialSource::from_features(features),
            temporary: credentials.session_token().is_some(),
            expires_at: credentials.expiry(),
        })
    }
}

impl ProvideCredentials for ResolveOnce {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            match self.resolve().await {
                Ok(credentials) => Ok(credentials.clone()),
                Err(CredentialsProblem::NotFound(why)) => {
                    Err(CredentialsError::not_loaded(why.clone()))
                }
                Err(CredentialsProblem::Failed(why) | CredentialsProblem::TimedOut(why)) => {
                    Err(CredentialsError::provider_error(why.clone()))
                }
            }
        })
    }
}

fn problem_of(error: CredentialsError) -> CredentialsProblem {
    let text = summarize_process_stderr(&super::error_chain(&error));
    match error {
        CredentialsError::CredentialsNotLoaded(_) => CredentialsProblem::NotFound(text),
        CredentialsError::ProviderTimedOut(_) => CredentialsProblem::TimedOut(text),
        // Instance metadata is the chain's last resort: when it cannot be reached (any laptop)
        // the chain reports that failure, but what the user has is no credentials at all.
        _ if text.contains("IMDS") => CredentialsProblem::NotFound(format!(
            "the last source tried, EC2 instance metadata, is not reachable from here ({text})"
        )),
        _ => CredentialsProblem::Failed(text),
    }
}

/// What aws-config puts before a failed `credential_process`'s whole stderr.
const PROCESS_STDERR: &str = "Stderr: ";
/// How much of a `credential_process`'s first stderr line a report keeps.
const STDERR_LINE_MAX: usize = 200;

/// A failed `credential_process` error with its stderr cut to the first non-empty line (at
/// most `STDERR_LINE_MAX` characters, secrets blanked): the whole of it, which a helper may
/// fill with a trace or a token, is never copied into a report.
fn summarize_process_stderr(text: &str) -> String {
    let Some((before, stderr)) = text.split_once(PROCESS_STDERR) else {
        return text.to_string();
    };
    let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return format!("{before}{PROCESS_STDERR}(empty)");
    };
    let mut line: String = first.chars().take(STDERR_LINE_MAX).collect();
    if line.len() < first.len() {
        line.push('…');
    }
    let more = lines.count();
    let more = match more {
        0 => String::new(),
        1 => " (and 1 more line)".to_string(),
        n => format!(" (and {n} more lines)"),
    };
    format!(
        "{before}{PROCESS_STDERR}{}{more}",
        crate::secrets::redact(&line)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use AwsCredentialFeature as F;

    #[test]
    fn a_failed_processs_stderr_is_summarized_not_copied() {
        let stderr = format!(
            "Error retrieving credentials: external process exited with code exit status: 1. \
             Stderr: \n  token refresh failed for alice\nTraceback (most recent call last):\n  \
             File \"helper.py\"\n{}\n",
            "x".repeat(50)
        );
        let summary = summarize_process_stderr(&stderr);
        assert_eq!(
            summary,
            "Error retrieving credentials: external process exited with code exit status: 1. \
             Stderr: token refresh failed for alice (and 3 more lines)"
        );
        let long = format!("exited. Stderr: {}", "y".repeat(500));
        let summary = summarize_process_stderr(&long);
        assert!(summary.ends_with('…') && summary.len() < 260, "{summary}");
        let keyed = "exited. Stderr: bad key AKIAIOSFODNN7EXAMPLE here";
        assert!(
            !summarize_process_stderr(keyed).contains("AKIAIOSFODNN7EXAMPLE"),
            "secrets are blanked by shape"
        );
        assert_eq!(summarize_process_stderr("no stderr here"), "no stderr here");
    }

    #[test]
    fn the_signing_source_wins_over_where_it_started() {
        assert_eq!(
            CredentialSource::from_features(&[
                F::CredentialsProfileSso,
                F::CredentialsStsAssumeRole
            ]),
            CredentialSource::AssumeRole
        );
        assert_eq!(
            CredentialSource::from_features(&[F::CredentialsProfile, F::CredentialsProfileSso]),
            CredentialSource::Sso
        );
        assert_eq!(
            CredentialSource::from_features(&[F::CredentialsEnvVars]),
            CredentialSource::Environment
        );
        assert_eq!(
            CredentialSource::from_features(&[]),
            CredentialSource::Unknown
        );
    }

    #[test]
    fn unreachable_instance_metadata_means_no_credentials() {
        let imds =
            CredentialsError::provider_error("failed to load IMDS session token: dispatch failure");
        assert!(matches!(problem_of(imds), CredentialsProblem::NotFound(_)));
        let sso = CredentialsError::provider_error("the SSO token has expired");
        assert!(matches!(problem_of(sso), CredentialsProblem::Failed(_)));
    }

    #[tokio::test]
    async fn the_chain_is_asked_once() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static ASKED: AtomicU32 = AtomicU32::new(0);
        let chain = SharedCredentialsProvider::new(
            aws_credential_types::credential_fn::provide_credentials_fn(|| async {
                ASKED.fetch_add(1, Ordering::SeqCst);
                Err(CredentialsError::not_loaded("nothing here"))
            }),
        );
        let once = ResolveOnce::new(chain);
        assert!(once.provide_credentials().await.is_err());
        assert!(matches!(
            once.summary().await,
            Err(CredentialsProblem::NotFound(_))
        ));
        assert_eq!(ASKED.load(Ordering::SeqCst), 1);
    }
}
