//! What Bedrock Runtime's answer to the probe says, read from AWS's own words and then the
//! kind of error: the same answer arrives with different codes, and different answers with the
//! same code.

use crate::aws::{AwsError, AwsErrorKind};

/// Who denied, as Bedrock's message says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Denier {
    IdentityPolicy,
    ServiceControlPolicy,
    ResourceControlPolicy,
    SessionPolicy,
    PermissionBoundary,
}

/// What Bedrock's answer to the probe says, before the probe says what it means
/// (`messages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reading {
    BodyRejected,
    OnDemandUnsupported,
    InvalidModelId,
    UseCaseFormMissing,
    AgreementNotAccepted,
    MarketplaceDenied,
    PaymentInstrument,
    AccountBeingVerified,
    NoModelAccess,
    LegacyNotRecentlyUsed,
    EndOfLife,
    Denied(Option<Denier>),
    DailyTokens,
    Throttled,
    NotFound,
    CredentialsRejected,
    Unrecognized,
}

/// What an error from Bedrock Runtime means, by AWS's own words and then its kind. The words
/// come first: the same answer arrives with different codes (an account being verified as
/// AccessDenied or Validation; a legacy model as ResourceNotFound or Validation).
pub(super) fn reading(error: &AwsError) -> Reading {
    let message = error.message().to_lowercase();
    let has = |text: &str| message.contains(text);
    if has("currently being verified") {
        return Reading::AccountBeingVerified;
    }
    if has("use case details have not been submitted") {
        return Reading::UseCaseFormMissing;
    }
    if has("marked by provider as legacy") || has("not been actively using the model") {
        return Reading::LegacyNotRecentlyUsed;
    }
    if has("invalid_payment_instrument") || has("valid payment instrument") {
        return Reading::PaymentInstrument;
    }
    match error.kind() {
        AwsErrorKind::Invalid if error.code() == Some("ValidationException") => {
            if has("on-demand throughput") {
                Reading::OnDemandUnsupported
            } else if has("model identifier is invalid") {
                Reading::InvalidModelId
            } else if has("malformed input request") || has("required key") {
                Reading::BodyRejected
            } else if message.trim_end_matches('.') == "operation not allowed" {
                Reading::AgreementNotAccepted
            } else {
                Reading::Unrecognized
            }
        }
        AwsErrorKind::Denied if has("marketplace") || has("subscription") => {
            Reading::MarketplaceDenied
        }
        AwsErrorKind::Denied
            if has("don't have access to the model") || has("do not have access to the model") =>
        {
            Reading::NoModelAccess
        }
        AwsErrorKind::Denied => Reading::Denied(if has("service control policy") {
            Some(Denier::ServiceControlPolicy)
        } else if has("resource control policy") {
            Some(Denier::ResourceControlPolicy)
        } else if has("session policy") {
            Some(Denier::SessionPolicy)
        } else if has("permissions boundary") || has("permission boundary") {
            Some(Denier::PermissionBoundary)
        } else if has("identity-based policy") {
            Some(Denier::IdentityPolicy)
        } else {
            None
        }),
        AwsErrorKind::Throttled if has("tokens per day") => Reading::DailyTokens,
        AwsErrorKind::Throttled => Reading::Throttled,
        AwsErrorKind::NotFound if has("end of its life") => Reading::EndOfLife,
        AwsErrorKind::NotFound => Reading::NotFound,
        AwsErrorKind::InvalidCredentials => Reading::CredentialsRejected,
        _ => Reading::Unrecognized,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog;

    fn error(kind: AwsErrorKind, code: &str, message: &str) -> AwsError {
        AwsError::new(kind, &catalog::INVOKE_MODEL, message).with_code(code)
    }

    /// The answers of `../shared/reference/field-failures.md`, verbatim, each with its reading.
    #[test]
    fn each_verbatim_answer_has_its_own_reading() {
        use AwsErrorKind::*;
        use Denier::*;
        let cases = [
            (
                Invalid,
                "ValidationException",
                "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
                Reading::BodyRejected,
            ),
            (
                Invalid,
                "ValidationException",
                "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
                Reading::OnDemandUnsupported,
            ),
            (
                Invalid,
                "ValidationException",
                "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
                Reading::OnDemandUnsupported,
            ),
            (
                Invalid,
                "ValidationException",
                "The provided model identifier is invalid.",
                Reading::InvalidModelId,
            ),
            (
                Invalid,
                "ValidationException",
                "Operation not allowed",
                Reading::AgreementNotAccepted,
            ),
            (
                NotFound,
                "ResourceNotFoundException",
                "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes.",
                Reading::UseCaseFormMissing,
            ),
            (
                Denied,
                "AccessDeniedException",
                "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 2 minutes.",
                Reading::MarketplaceDenied,
            ),
            (
                Denied,
                "AccessDeniedException",
                "Model access is denied due to INVALID_PAYMENT_INSTRUMENT: A valid payment instrument must be provided.. Your AWS Marketplace subscription for this model cannot be completed at this time.",
                Reading::PaymentInstrument,
            ),
            (
                Denied,
                "AccessDeniedException",
                "Your account is currently being verified",
                Reading::AccountBeingVerified,
            ),
            (
                Invalid,
                "ValidationException",
                "Your account is currently being verified",
                Reading::AccountBeingVerified,
            ),
            (
                NotFound,
                "ResourceNotFoundException",
                "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock",
                Reading::LegacyNotRecentlyUsed,
            ),
            (
                Invalid,
                "ValidationException",
                "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock",
                Reading::LegacyNotRecentlyUsed,
            ),
            (
                NotFound,
                "ResourceNotFoundException",
                "This model version has reached the end of its life.",
                Reading::EndOfLife,
            ),
            (
                Denied,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.",
                Reading::NoModelAccess,
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6 because no identity-based policy allows the bedrock:InvokeModelWithResponseStream action",
                Reading::Denied(Some(IdentityPolicy)),
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0 with an explicit deny in a service control policy",
                Reading::Denied(Some(ServiceControlPolicy)),
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0 because no session policy allows the bedrock:InvokeModel action",
                Reading::Denied(Some(SessionPolicy)),
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6 because no permissions boundary allows the bedrock:InvokeModel action",
                Reading::Denied(Some(PermissionBoundary)),
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6 with an explicit deny in a resource control policy",
                Reading::Denied(Some(ResourceControlPolicy)),
            ),
            (
                Denied,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel",
                Reading::Denied(None),
            ),
            (
                Throttled,
                "ThrottlingException",
                "Too many tokens per day, please wait before trying again.",
                Reading::DailyTokens,
            ),
            (
                Throttled,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
                Reading::Throttled,
            ),
            (
                Throttled,
                "ThrottlingException",
                "Rate exceeded",
                Reading::Throttled,
            ),
            (
                NotFound,
                "ResourceNotFoundException",
                "Some other resource is missing.",
                Reading::NotFound,
            ),
            (
                Invalid,
                "ValidationException",
                "Something else entirely.",
                Reading::Unrecognized,
            ),
            (
                Other,
                "BrandNewException",
                "Surprise",
                Reading::Unrecognized,
            ),
            (
                Unavailable,
                "ServiceUnavailableException",
                "Try later",
                Reading::Unrecognized,
            ),
        ];
        for (kind, code, message, expected) in cases {
            assert_eq!(reading(&error(kind, code, message)), expected, "{message}");
        }
    }
}
