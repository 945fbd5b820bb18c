//! Every AWS failure is classified once, here, into the few kinds a check acts on. Checks
//! match on `AwsErrorKind`; they never look at SDK error types.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::catalog::Operation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The principal may not make this call.
    Denied,
    /// Throttled, still after the SDK's retries.
    Throttled,
    /// A hard service limit (`LimitExceededException`: Bedrock, Service Quotas, IAM), which
    /// waiting does not lift.
    LimitExceeded,
    NotFound,
    /// AWS rejected the request's parameters.
    Invalid,
    /// AWS rejected the credentials themselves (expired, unknown key, bad signature).
    InvalidCredentials,
    /// No credentials could be resolved to sign the call.
    NoCredentials,
    /// A 5xx answer or a connection that could not be made.
    Unavailable,
    Timeout,
    /// An answer the SDK could not parse.
    Malformed,
    Other,
}

impl AwsErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AwsErrorKind::Denied => "access_denied",
            AwsErrorKind::Throttled => "throttled",
            AwsErrorKind::LimitExceeded => "limit_exceeded",
            AwsErrorKind::NotFound => "not_found",
            AwsErrorKind::Invalid => "invalid_request",
            AwsErrorKind::InvalidCredentials => "invalid_credentials",
            AwsErrorKind::NoCredentials => "no_credentials",
            AwsErrorKind::Unavailable => "unavailable",
            AwsErrorKind::Timeout => "timeout",
            AwsErrorKind::Malformed => "malformed_response",
            AwsErrorKind::Other => "other",
        }
    }
}

/// A failed AWS call, with the operation it was (`sts:GetCallerIdentity`), what kind of
/// failure it is and AWS's own code and message when there was one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    kind: AwsErrorKind,
    operation: &'static Operation,
    code: Option<String>,
    message: String,
}

impl AwsError {
    pub fn new(
        kind: AwsErrorKind,
        operation: &'static Operation,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            kind,
            operation,
            code: None,
            message: crate::secrets::redact(&message.into()),
        }
    }

    pub fn from_sdk<E>(operation: &'static Operation, error: SdkError<E, Response>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let detail = error_chain(&error);
        match &error {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let err = service.err();
                let code = err.code().map(str::to_string);
                let message = err.message().unwrap_or_default().to_string();
                let kind = match code.as_deref() {
                    Some(code) => kind_of_code(code, status),
                    // A success status with an error means the body did not parse.
                    None if (200..300).contains(&status) => AwsErrorKind::Malformed,
                    None => kind_of_code("", status),
                };
                let message = if message.is_empty() {
                    format!("HTTP {status}: {detail}")
                } else {
                    message
                };
                AwsError {
                    kind,
                    operation,
                    code,
                    message: crate::secrets::redact(&message),
                }
            }
            SdkError::ResponseError(_) => AwsError::new(AwsErrorKind::Malformed, operation, detail),
            SdkError::TimeoutError(_) => AwsError::new(AwsErrorKind::Timeout, operation, detail),
            SdkError::DispatchFailure(dispatch) => {
                let kind = if has_source::<CredentialsError>(&error) {
                    AwsErrorKind::NoCredentials
                } else if dispatch.is_timeout() {
                    AwsErrorKind::Timeout
                } else if dispatch.is_io() {
                    AwsErrorKind::Unavailable
                } else {
                    AwsErrorKind::Other
                };
                AwsError::new(kind, operation, detail)
            }
            _ => AwsError::new(AwsErrorKind::Other, operation, detail),
        }
    }

    /// The same error with AWS's error code, as a service would have sent it.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn kind(&self) -> AwsErrorKind {
        self.kind
    }

    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// What a person can do about it, where the kind alone tells.
    pub fn hint(&self) -> Option<String> {
        let action = self.operation.iam_action();
        match self.kind {
            AwsErrorKind::Denied => Some(format!(
                "Allow {action} for this principal (the preflight-readonly policy has every read \
                 bedrock-preflight makes), or run with a principal that has it"
            )),
            AwsErrorKind::Throttled => Some(
                "Run again in a minute; if it persists, other clients share this account's API \
                 rate for this call"
                    .to_string(),
            ),
            AwsErrorKind::Timeout | AwsErrorKind::Unavailable => Some(
                "Check network access to the AWS endpoint (proxy, VPC endpoint, firewall), or \
                 raise --timeout"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            AwsErrorKind::Denied => "was denied",
            AwsErrorKind::Throttled => "was throttled, also after retries",
            AwsErrorKind::LimitExceeded => "hit a service limit",
            AwsErrorKind::NotFound => "found nothing",
            AwsErrorKind::Invalid => "was rejected as invalid",
            AwsErrorKind::InvalidCredentials => "rejected the credentials",
            AwsErrorKind::NoCredentials => "could not be signed: no credentials",
            AwsErrorKind::Unavailable => "failed on the service side or could not connect",
            AwsErrorKind::Timeout => "timed out",
            AwsErrorKind::Malformed => "returned an answer that could not be read",
            AwsErrorKind::Other => "failed",
        };
        write!(f, "{} {what}", self.operation)?;
        match &self.code {
            Some(code) => write!(f, " ({code}: {})", self.message),
            None => write!(f, " ({})", self.message),
        }
    }
}

impl StdError for AwsError {}

fn kind_of_code(code: &str, status: u16) -> AwsErrorKind {
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError"
        | "AuthFailure"
        | "Forbidden" => AwsErrorKind::Denied,
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown" => AwsErrorKind::Throttled,
        "LimitExceededException" | "LimitExceeded" | "ServiceQuotaExceededException" => {
            AwsErrorKind::LimitExceeded
        }
        "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "IncompleteSignature"
        | "InvalidToken"
        | "TokenRefreshRequired" => AwsErrorKind::InvalidCredentials,
        "NoSuchEntity"
        | "ResourceNotFoundException"
        | "NotFound"
        | "NotFoundException"
        | "NoSuchResourceException" => AwsErrorKind::NotFound,
        "ValidationException"
        | "ValidationError"
        | "InvalidParameterValue"
        | "InvalidParameterException"
        | "InvalidInput"
        | "InvalidRequestException"
        | "MalformedPolicyDocument" => AwsErrorKind::Invalid,
        _ if status >= 500 => AwsErrorKind::Unavailable,
        _ if status == 429 => AwsErrorKind::Throttled,
        _ if status == 403 => AwsErrorKind::Denied,
        // Codes outside AWS's own (the Mantle endpoint's Anthropic and OpenAI error types).
        _ if status == 401 => AwsErrorKind::InvalidCredentials,
        _ if status == 404 => AwsErrorKind::NotFound,
        _ => AwsErrorKind::Other,
    }
}

/// A request's failure as the operation it was: the SDK's, classified by `AwsError::from_sdk`,
/// or one a read classified already (a page of its own loop, an answer it could not read).
pub(super) trait Classify {
    fn classify(self, operation: &'static Operation) -> AwsError;
}

impl<E> Classify for SdkError<E, Response>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn classify(self, operation: &'static Operation) -> AwsError {
        AwsError::from_sdk(operation, self)
    }
}

impl Classify for AwsError {
    fn classify(self, _: &'static Operation) -> AwsError {
        self
    }
}

/// An error and its causes as one line: `outer: cause: root cause`. Unlike the SDK's
/// `DisplayErrorContext` it leaves out the Debug dump, which can carry raw response bodies.
pub fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

fn has_source<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(err) = current {
        if err.is::<T>() {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_kinds_checks_act_on() {
        assert_eq!(
            kind_of_code("AccessDeniedException", 403),
            AwsErrorKind::Denied
        );
        assert_eq!(kind_of_code("Throttling", 400), AwsErrorKind::Throttled);
        assert_eq!(
            kind_of_code("LimitExceededException", 400),
            AwsErrorKind::LimitExceeded
        );
        assert_eq!(
            kind_of_code("ExpiredToken", 403),
            AwsErrorKind::InvalidCredentials
        );
        assert_eq!(kind_of_code("NoSuchEntity", 404), AwsErrorKind::NotFound);
        assert_eq!(
            kind_of_code("InternalFailure", 500),
            AwsErrorKind::Unavailable
        );
        assert_eq!(kind_of_code("SomethingNew", 429), AwsErrorKind::Throttled);
        assert_eq!(kind_of_code("SomethingNew", 400), AwsErrorKind::Other);
        // The Mantle endpoint's Anthropic and OpenAI error types, known by their status.
        assert_eq!(
            kind_of_code("authentication_error", 401),
            AwsErrorKind::InvalidCredentials
        );
        assert_eq!(kind_of_code("not_found_error", 404), AwsErrorKind::NotFound);
        assert_eq!(kind_of_code("permission_error", 403), AwsErrorKind::Denied);
    }

    #[test]
    fn error_chains_are_one_line_without_repeats() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("dispatch failure")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(error_chain(&error), "dispatch failure: connection refused");
    }

    #[test]
    fn display_names_the_operation_and_aws_code() {
        let mut error = AwsError::new(
            AwsErrorKind::Throttled,
            &crate::aws::catalog::GET_CALLER_IDENTITY,
            "Rate exceeded",
        );
        error.code = Some("Throttling".into());
        assert_eq!(
            error.to_string(),
            "sts:GetCallerIdentity was throttled, also after retries (Throttling: Rate exceeded)"
        );
    }
}
