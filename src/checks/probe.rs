//! `runtime.probe`: live calls that cost no tokens, read strictly. For each target, the two
//! calls clients make, on the exact ID they will use, concurrently: InvokeModel (SDKs) and
//! InvokeModelWithResponseStream (Claude Code), each with a body Bedrock must reject before
//! any inference. Bedrock complaining about the body is the proof that the call was
//! authorized and reached the model; every other answer AWS is known to give has its own
//! reading and fix. Any answer this module does not recognize is an error, never a pass.

use async_trait::async_trait;

use super::DoctorOptions;
use super::access::use_case_fix;
use super::iam::{IamVerdicts, grant_command, likely_outside_iam, scp_exemption};
use super::identity::CallerIdentity;
use super::routes::{Invocation, Invocations};
use crate::aws::catalog::{self, Operation};
use crate::aws::{AwsError, AwsErrorKind, ProbeAnswer, ProbeCall};
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Kind, Remediation, Severity, Status,
};
use crate::shell::sh;

// Its calls go out once the routes are known; only its verdicts wait for iam.invoke's, to
// tell a denial that IAM explains from one an SCP or session policy causes.
check! {
    RuntimeProbe = "runtime.probe" {
        title: "Live probe",
        description: "Zero-token live calls to Bedrock Runtime on the exact ID clients use: InvokeModel \
                      and InvokeModelWithResponseStream (what Claude Code calls), each with a body \
                      Bedrock must reject before inference, and a precise reading of each answer; \
                      --no-probe skips them",
        commands: [Doctor],
        depends_on: ["profiles.resolve"],
        after: [],
        severity: High,
        kinds: {
            AUTHORIZED = "authorized",
            DISABLED = "disabled",
            NEEDS_PROFILE = "needs-inference-profile",
            INVALID_MODEL_ID = "invalid-model-id",
            USE_CASE_FORM = "use-case-form-missing",
            AGREEMENT = "agreement-not-accepted",
            MARKETPLACE_DENIED = "marketplace-denied",
            PAYMENT = "invalid-payment-instrument",
            VERIFYING = "account-being-verified",
            NO_MODEL_ACCESS = "no-model-access",
            LEGACY_NOT_USED = "legacy-not-recently-used",
            END_OF_LIFE = "end-of-life",
            DENIED_BY_IDENTITY = "denied-by-identity-policy",
            DENIED_BY_SCP = "denied-by-scp",
            DENIED_BY_RCP = "denied-by-rcp",
            DENIED_BY_SESSION = "denied-by-session-policy",
            DENIED_BY_BOUNDARY = "denied-by-permission-boundary",
            DENIED_OUTSIDE_IAM = "denied-outside-iam",
            DENIED = "denied",
            DAILY_TOKENS = "daily-tokens-exhausted",
            THROTTLED = "throttled",
            NOT_FOUND = "model-not-found",
            CREDENTIALS_REJECTED = "credentials-rejected",
            UNTRUSTED_SUCCESS = "untrusted-success",
            UNRECOGNIZED = "unrecognized-answer",
        },
    }
}

/// No `max_tokens` and no `messages`: every Claude model rejects it before inference.
const REJECTED: &str = r#"{"anthropic_version":"bedrock-2023-05-31"}"#;

/// The two calls probed, and what each is for.
const CALLS: [(&Operation, &str); 2] = [
    (&catalog::INVOKE_MODEL, "what SDKs call"),
    (
        &catalog::INVOKE_MODEL_WITH_RESPONSE_STREAM,
        "what Claude Code calls",
    ),
];

#[async_trait]
impl Check for RuntimeProbe {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        if cx.fact::<DoctorOptions>().is_some_and(|o| o.no_probe) {
            return Ok(vec![Finding::skip(
                &META,
                kind::DISABLED,
                "Skipped: --no-probe",
            )]);
        }
        let invocations = cx.require::<Invocations>()?;
        let findings =
            futures_util::future::join_all(invocations.list.iter().map(|invocation| async move {
                let region = &invocation.region;
                let id = &invocation.model_id;
                let (invoke, stream) = tokio::join!(
                    cx.aws
                        .probe_rejected_body(ProbeCall::InvokeModel, region, id, REJECTED),
                    cx.aws.probe_rejected_body(
                        ProbeCall::InvokeModelWithResponseStream,
                        region,
                        id,
                        REJECTED
                    ),
                );
                let allowed_by_iam = cx
                    .fact_after::<IamVerdicts>(super::iam::META.id)
                    .await
                    .is_some_and(|v| v.allowed(region, id).is_some());
                let fix = cx
                    .fact_after::<CallerIdentity>(super::identity::META.id)
                    .await
                    .and_then(|identity| grant_command(cx, &identity.principal_arn));
                let judged = [invoke, stream]
                    .into_iter()
                    .zip(CALLS)
                    .map(|(answer, (op, _))| {
                        let finding = match answer {
                            Ok(answer) => {
                                verdict(invocation, op, &answer, allowed_by_iam, fix.as_deref())
                            }
                            Err(error) => Finding::aws_error(&META, &error),
                        };
                        (op, finding)
                    });
                combine(invocation, judged.collect())
                    .region(region.as_str())
                    .resource(id.clone())
            }))
            .await;
        Ok(findings)
    }
}

/// One finding per target from the two calls' verdicts: a pass when both passed, otherwise
/// the worse of the two, saying which call it is about.
fn combine(invocation: &Invocation, judged: Vec<(&'static Operation, Finding)>) -> Finding {
    let answers: serde_json::Map<String, serde_json::Value> = judged
        .iter()
        .map(|(op, f)| (op.to_string(), f.kind.as_str().into()))
        .collect();
    let worst = judged
        .iter()
        .map(|(_, f)| f.status)
        .max()
        .unwrap_or(Status::Error);
    if worst == Status::Pass {
        return Finding::pass(
            &META,
            kind::AUTHORIZED,
            "Live calls authorized",
            format!(
                "InvokeModel and InvokeModelWithResponseStream on {} in {} were authorized and reached \
                 the model (Bedrock rejected the probe's deliberately incomplete body, so no tokens were used)",
                invocation.model_id, invocation.region
            ),
        )
        .evidence("operation", catalog::INVOKE_MODEL.to_string())
        .evidence("answers", answers);
    }
    let bad: Vec<&(&Operation, Finding)> =
        judged.iter().filter(|(_, f)| f.status == worst).collect();
    let (op, finding) = bad[0];
    let both = bad.len() == judged.len();
    let scope = if both {
        "Both InvokeModel and InvokeModelWithResponseStream".to_string()
    } else {
        let (_, purpose) = CALLS
            .iter()
            .find(|(o, _)| std::ptr::eq(*o, *op))
            .copied()
            .unwrap_or((*op, ""));
        let other = judged
            .iter()
            .find(|(o, _)| !std::ptr::eq(*o, *op))
            .map(|(o, f)| format!("; {} was {}", o.name, f.kind.as_str()))
            .unwrap_or_default();
        format!("{} ({purpose}){other}", op.name)
    };
    let mut finding = finding.clone();
    finding.message = format!("{scope}: {}", finding.message);
    finding
        .evidence("operation", op.to_string())
        .evidence("answers", answers)
}

/// Who denied, as Bedrock's message says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Denier {
    IdentityPolicy,
    ServiceControlPolicy,
    ResourceControlPolicy,
    SessionPolicy,
    PermissionBoundary,
}

#[derive(Debug, PartialEq, Eq)]
enum Reading {
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
fn reading(error: &AwsError) -> Reading {
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

fn verdict(
    invocation: &Invocation,
    operation: &Operation,
    answer: &ProbeAnswer,
    allowed_by_iam: bool,
    grant_command: Option<&str>,
) -> Finding {
    let id = &invocation.model_id;
    let region = &invocation.region;
    let action = operation.iam_action();
    let error = match answer {
        ProbeAnswer::Invoked => {
            return Finding::error(
                &META,
                kind::UNTRUSTED_SUCCESS,
                format!(
                    "{} on {id} accepted a body it must reject; this answer is not trusted",
                    operation.name
                ),
            );
        }
        ProbeAnswer::Rejected(error) => error,
    };
    let said = format!("{}: {}", error.code().unwrap_or("error"), error.message());
    let fail = |kind: Kind, severity, title: &str, message: String, fix: String| {
        Finding::fail(&META, kind, severity, title, message, Remediation::new(fix))
            .evidence("answer", said.clone())
    };
    let grant = || {
        let arns = invocation.model_arns().join(", ");
        match &invocation.profile {
            Some(profile) => format!(
                "Allow {action} on {} and on {arns} in the principal's identity policy",
                profile.arn
            ),
            None => format!("Allow {action} on {arns} in the principal's identity policy"),
        }
    };
    let use_case_form = || use_case_fix(&invocation.model, region);
    let marketplace = "Allow aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe for this principal, only \
                       through Bedrock: {\"Effect\": \"Allow\", \"Action\": [\"aws-marketplace:ViewSubscriptions\", \
                       \"aws-marketplace:Subscribe\"], \"Resource\": \"*\", \"Condition\": {\"StringEquals\": \
                       {\"aws:CalledViaLast\": \"bedrock.amazonaws.com\"}}}; or have an administrator invoke the model \
                       once; then call again after a few minutes";
    match reading(error) {
        Reading::BodyRejected => Finding::pass(
            &META,
            kind::AUTHORIZED,
            "Live call authorized",
            format!(
                "{} on {id} in {region} was authorized and reached the model (Bedrock rejected the probe's \
                 deliberately incomplete body, so no tokens were used)",
                operation.name
            ),
        )
        .evidence("answer", said),
        Reading::OnDemandUnsupported => fail(
            kind::NEEDS_PROFILE,
            Severity::High,
            "Model needs an inference profile",
            format!("Bedrock refused {id} in {region}: {}", error.message()),
            "Call the model through an inference profile: see profiles.resolve for the profile ID to use".into(),
        ),
        Reading::InvalidModelId => fail(
            kind::INVALID_MODEL_ID,
            Severity::High,
            "Bedrock does not know this model ID",
            format!("Bedrock Runtime in {region} answered that {id} is not a valid model identifier"),
            format!(
                "List what {region} offers: {}, and use one of its IDs",
                sh!["aws", "bedrock", "list-inference-profiles", "--region", region]
            ),
        ),
        Reading::UseCaseFormMissing => fail(
            kind::USE_CASE_FORM,
            Severity::High,
            "Anthropic use case form not submitted",
            format!("Bedrock refused {id} in {region}: the account has not submitted the Anthropic use case (first-time-use) form: {}", error.message()),
            use_case_form(),
        ),
        Reading::AgreementNotAccepted => fail(
            kind::AGREEMENT,
            Severity::High,
            "Model agreement not accepted",
            format!("Bedrock refused {id} in {region} (\"{}\"): the model's agreement has not been accepted in this account", error.message()),
            format!(
                "An administrator accepts it once: {}",
                sh![
                    "bedrock-preflight",
                    "setup",
                    "model-access",
                    "--model",
                    invocation.model.id,
                    "--region",
                    region,
                    "--yes"
                ]
            ),
        ),
        Reading::MarketplaceDenied => fail(
            kind::MARKETPLACE_DENIED,
            Severity::High,
            "Marketplace subscription missing",
            format!("Bedrock denied {id} in {region} because the model's AWS Marketplace subscription is missing and this principal may not create it: {}", error.message()),
            marketplace.into(),
        ),
        Reading::PaymentInstrument => fail(
            kind::PAYMENT,
            Severity::High,
            "No valid payment method",
            format!("Bedrock denied {id} in {region}: the account has no valid payment instrument, so the model's Marketplace subscription cannot be completed: {}", error.message()),
            "Add a valid payment method (Billing and Cost Management console > Payment preferences) and settle any \
             outstanding balance, then call again after a few minutes; accounts billed through AISPL (India) may need \
             another account for Marketplace models"
                .into(),
        ),
        Reading::AccountBeingVerified => fail(
            kind::VERIFYING,
            Severity::High,
            "AWS account still being verified",
            format!("Bedrock refused {id} in {region}: {}", error.message()),
            "Wait: verification of a new account usually completes within 2 hours; if it takes longer, contact AWS \
             Support (Account and billing)"
                .into(),
        ),
        Reading::NoModelAccess => fail(
            kind::NO_MODEL_ACCESS,
            Severity::High,
            "No access to the model",
            format!("Bedrock denied {id} in {region}: {}", error.message()),
            format!("{}; and make sure the principal may complete the Marketplace subscription ({})", use_case_form(), "aws-marketplace:Subscribe through bedrock.amazonaws.com"),
        ),
        Reading::LegacyNotRecentlyUsed => fail(
            kind::LEGACY_NOT_USED,
            Severity::High,
            "Legacy model denied to this account",
            format!("Bedrock refused {id} in {region}: the model is Legacy and this account has not used it in the last 30 days: {}", error.message()),
            "Move to an ACTIVE model: see models.lifecycle for its successor".into(),
        ),
        Reading::EndOfLife => fail(
            kind::END_OF_LIFE,
            Severity::High,
            "Model reached end of life",
            format!("Bedrock Runtime in {region}: {id} has reached the end of its life ({})", error.message()),
            "Move to an ACTIVE model: see models.lifecycle for its successor".into(),
        ),
        Reading::Denied(Some(Denier::ServiceControlPolicy)) => fail(
            kind::DENIED_BY_SCP,
            Severity::High,
            "A service control policy denies the call",
            format!("Bedrock denied {action} on {id} in {region} with an explicit deny in a service control policy: {}", error.message()),
            scp_exemption(invocation).text().to_string(),
        ),
        Reading::Denied(Some(Denier::ResourceControlPolicy)) => fail(
            kind::DENIED_BY_RCP,
            Severity::High,
            "A resource control policy denies the call",
            format!("Bedrock denied {action} on {id} in {region} with an explicit deny in a resource control policy: {}", error.message()),
            "Ask the organization's administrators which resource control policy denies it (AWS Organizations console > \
             Policies > Resource control policies); no IAM policy of the caller can override it"
                .into(),
        ),
        Reading::Denied(Some(Denier::SessionPolicy)) => fail(
            kind::DENIED_BY_SESSION,
            Severity::High,
            "The session policy does not allow the call",
            format!("Bedrock denied {action} on {id} in {region}: no session policy allows it ({})", error.message()),
            format!(
                "The session was assumed with a session policy (an IAM Identity Center permission set's inline policy, or \
                 the policy a broker passed to sts:AssumeRole) that lacks {action}: add it there for {} and its destination \
                 model ARNs, then sign in again",
                invocation.model_id
            ),
        ),
        Reading::Denied(Some(Denier::PermissionBoundary)) => fail(
            kind::DENIED_BY_BOUNDARY,
            Severity::High,
            "The permission boundary does not allow the call",
            format!("Bedrock denied {action} on {id} in {region}: no permissions boundary allows it ({})", error.message()),
            format!("{}, in the principal's permission boundary too", grant()),
        ),
        Reading::Denied(Some(Denier::IdentityPolicy)) => fail(
            kind::DENIED_BY_IDENTITY,
            Severity::High,
            "Invoke denied",
            format!("Bedrock denied {action} on {id} in {region}: {}", error.message()),
            match grant_command {
                Some(command) => format!("{command}\n(or: {})", grant()),
                None => grant(),
            },
        ),
        Reading::Denied(None) if allowed_by_iam => fail(
            kind::DENIED_OUTSIDE_IAM,
            Severity::High,
            "Invoke denied outside IAM policies",
            format!("Bedrock denied {action} on {id} in {region}. {}", likely_outside_iam(error)),
            "Ask the organization's administrators which SCP or RCP denies the call (aws:RequestedRegion conditions in SCPs \
             commonly block cross-region profiles' destination regions); for an assumed role, check the session policy"
                .into(),
        ),
        Reading::Denied(None) => fail(
            kind::DENIED,
            Severity::High,
            "Invoke denied",
            format!("Bedrock denied {action} on {id} in {region}: {}", error.message()),
            format!(
                "{}; if IAM already allows it, a service control policy, permission boundary or session policy denies the call",
                grant()
            ),
        ),
        Reading::DailyTokens => fail(
            kind::DAILY_TOKENS,
            Severity::High,
            "Daily token quota exhausted or zero",
            format!("Bedrock throttled {id} in {region} with \"{}\": the account's tokens-per-day quota is used up or applied at 0", error.message()),
            format!("Check quotas.inference and Service Quotas (Amazon Bedrock, {region}) for \"Model invocation max tokens per day\"; new accounts may need AWS Support to raise it"),
        ),
        Reading::Throttled => Finding::warn(
            &META,
            kind::THROTTLED,
            Severity::Medium,
            "Live call throttled",
            format!("Bedrock throttled even a zero-token call to {id} in {region} (requests or tokens per minute, not the daily quota): {}", error.message()),
            Remediation::new("Other clients use this quota now, or it is low: see quotas.inference, and run again later"),
        )
        .evidence("answer", said),
        Reading::NotFound => fail(
            kind::NOT_FOUND,
            Severity::High,
            "Model not found",
            format!("Bedrock Runtime in {region} did not find {id}: {}", error.message()),
            "The model may have been retired in this region: see models.lifecycle and move to an ACTIVE model".into(),
        ),
        Reading::CredentialsRejected => fail(
            kind::CREDENTIALS_REJECTED,
            Severity::Critical,
            "Bedrock rejects the credentials",
            format!("Bedrock Runtime rejected the credentials for {id} in {region}: {}", error.message()),
            "Refresh the credentials (or the API key in AWS_BEARER_TOKEN_BEDROCK, which is valid only in the region that issued it)".into(),
        ),
        Reading::Unrecognized => Finding::error(
            &META,
            kind::UNRECOGNIZED,
            format!("Bedrock Runtime answered the probe of {id} in {region} with something this version does not recognize, so it is not a pass: {said}"),
        )
        .evidence("answer", said),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::sonnet_through_us;

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

    fn rejected(kind: AwsErrorKind, code: &str, message: &str) -> ProbeAnswer {
        ProbeAnswer::Rejected(error(kind, code, message))
    }

    fn judged(answer: &ProbeAnswer, allowed_by_iam: bool) -> Finding {
        verdict(
            &sonnet_through_us(),
            &catalog::INVOKE_MODEL,
            answer,
            allowed_by_iam,
            None,
        )
    }

    #[test]
    fn every_reading_but_the_body_rejection_is_not_a_pass_and_has_its_own_fix() {
        let answers = [
            (
                "ValidationException",
                AwsErrorKind::Invalid,
                "Operation not allowed",
                "setup model-access --model",
            ),
            (
                "ResourceNotFoundException",
                AwsErrorKind::NotFound,
                "Model use case details have not been submitted for this account.",
                "--use-case-form use-case-form.json",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "Model access is denied due to INVALID_PAYMENT_INSTRUMENT: A valid payment instrument must be provided..",
                "payment method",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "Your account is currently being verified",
                "2 hours",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe)",
                "aws:CalledViaLast",
            ),
            (
                "ResourceNotFoundException",
                AwsErrorKind::NotFound,
                "This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days.",
                "ACTIVE model",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "not authorized to perform: bedrock:InvokeModel on resource: x with an explicit deny in a service control policy",
                "ArnNotLike",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "not authorized to perform: bedrock:InvokeModel on resource: x because no session policy allows the bedrock:InvokeModel action",
                "session policy",
            ),
            (
                "AccessDeniedException",
                AwsErrorKind::Denied,
                "not authorized to perform: bedrock:InvokeModel on resource: x because no permissions boundary allows the bedrock:InvokeModel action",
                "permission boundary",
            ),
        ];
        let mut codes = std::collections::HashSet::new();
        for (code, kind, message, fix) in answers {
            let finding = judged(&rejected(kind, code, message), false);
            assert_eq!(finding.status, Status::Fail, "{message}");
            assert!(codes.insert(finding.code()), "{} twice", finding.code());
            let remediation = finding.remediation.unwrap();
            assert!(remediation.contains(fix), "{message}: {remediation}");
            assert!(!remediation.contains("Model access page"), "{remediation}");
        }
    }

    #[test]
    fn a_denial_iam_allows_and_the_message_does_not_explain_points_outside_iam() {
        let denied = rejected(
            AwsErrorKind::Denied,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: bedrock:InvokeModel",
        );
        let outside = judged(&denied, true);
        assert_eq!(outside.code(), "runtime.probe/denied-outside-iam");
        assert!(
            outside
                .message
                .contains("service control policy, resource control policy or session policy")
        );
        assert!(!outside.remediation.as_deref().unwrap().contains("  "));
        let inside = judged(&denied, false);
        assert_eq!(inside.code(), "runtime.probe/denied");
        let fix = inside.remediation.unwrap();
        assert!(
            fix.contains("inference-profile/us.anthropic.claude-sonnet-4-6"),
            "{fix}"
        );
        assert!(
            fix.contains("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6"),
            "{fix}"
        );
    }

    #[test]
    fn streaming_denied_while_invoke_is_authorized_fails_naming_the_stream() {
        let invocation = sonnet_through_us();
        let authorized = verdict(
            &invocation,
            &catalog::INVOKE_MODEL,
            &rejected(
                AwsErrorKind::Invalid,
                "ValidationException",
                "Malformed input request: #: required key [max_tokens] not found",
            ),
            false,
            None,
        );
        let command = "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes";
        let denied = verdict(
            &invocation,
            &catalog::INVOKE_MODEL_WITH_RESPONSE_STREAM,
            &rejected(
                AwsErrorKind::Denied,
                "AccessDeniedException",
                "User: x is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: y because no identity-based policy allows the bedrock:InvokeModelWithResponseStream action",
            ),
            false,
            Some(command),
        );
        let finding = combine(
            &invocation,
            vec![
                (&catalog::INVOKE_MODEL, authorized.clone()),
                (&catalog::INVOKE_MODEL_WITH_RESPONSE_STREAM, denied),
            ],
        );
        assert_eq!(finding.code(), "runtime.probe/denied-by-identity-policy");
        assert!(
            finding.message.starts_with(
                "InvokeModelWithResponseStream (what Claude Code calls); InvokeModel was authorized"
            ),
            "{}",
            finding.message
        );
        let fix = finding.remediation.unwrap();
        assert!(
            fix.starts_with(&format!(
                "{command}\n(or: Allow bedrock:InvokeModelWithResponseStream on"
            )),
            "{fix}"
        );
        assert_eq!(
            finding.evidence["operation"],
            "bedrock-runtime:InvokeModelWithResponseStream"
        );
        let both = combine(
            &invocation,
            vec![
                (&catalog::INVOKE_MODEL, authorized.clone()),
                (&catalog::INVOKE_MODEL_WITH_RESPONSE_STREAM, authorized),
            ],
        );
        assert_eq!(both.code(), "runtime.probe/authorized");
    }

    #[test]
    fn an_answer_it_does_not_know_and_a_success_it_must_not_get_are_errors() {
        let unknown = judged(
            &rejected(AwsErrorKind::Other, "BrandNewException", "Surprise"),
            false,
        );
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (Status::Error, "runtime.probe/unrecognized-answer")
        );
        assert_eq!(unknown.evidence["answer"], "BrandNewException: Surprise");
        assert_eq!(judged(&ProbeAnswer::Invoked, true).status, Status::Error);
    }

    #[test]
    fn throttling_per_minute_warns_and_daily_tokens_fail() {
        let throttled = judged(
            &rejected(
                AwsErrorKind::Throttled,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
            ),
            false,
        );
        assert_eq!(throttled.status, Status::Warn);
        let daily = judged(
            &rejected(
                AwsErrorKind::Throttled,
                "ThrottlingException",
                "Too many tokens per day, please wait before trying again.",
            ),
            false,
        );
        assert_eq!(daily.code(), "runtime.probe/daily-tokens-exhausted");
    }
}
