//! `runtime.probe`: one live call per target that costs no tokens, read strictly. CountTokens
//! (free) where the model is called by its own ID; otherwise InvokeModel on the exact ID the
//! user will call with a body Bedrock must reject before any inference. Bedrock complaining
//! about the body is the proof: the call was authorized and reached the model. Any answer this
//! module does not recognize is an error, never a pass.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::DoctorOptions;
use super::iam::{IamVerdicts, likely_outside_iam};
use super::routes::{Invocation, Invocations, Route};
use crate::aws::{AwsError, AwsErrorKind, ProbeAnswer, catalog};
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Kind, Remediation, Severity,
};

// After iam.invoke: to tell a denial that IAM explains from one an SCP or session policy causes.
check! {
    RuntimeProbe = "runtime.probe" {
        title: "Live probe",
        description: "A zero-token live call to Bedrock Runtime (CountTokens, or InvokeModel with a \
                      deliberately invalid body) and a precise reading of the answer; --no-probe \
                      skips it",
        commands: [Doctor],
        depends_on: ["profiles.resolve"],
        after: ["iam.invoke"],
        severity: High,
        kinds: {
            AUTHORIZED = "authorized",
            DISABLED = "disabled",
            NEEDS_PROFILE = "needs-inference-profile",
            INVALID_MODEL_ID = "invalid-model-id",
            MARKETPLACE_DENIED = "marketplace-denied",
            NO_MODEL_ACCESS = "no-model-access",
            DENIED_OUTSIDE_IAM = "denied-outside-iam",
            DENIED = "denied",
            DAILY_TOKENS = "daily-tokens-exhausted",
            THROTTLED = "throttled",
            NOT_FOUND = "model-not-found",
            CREDENTIALS_REJECTED = "credentials-rejected",
            COUNTING_UNSUPPORTED = "counting-unsupported",
            UNTRUSTED_SUCCESS = "untrusted-success",
            UNRECOGNIZED = "unrecognized-answer",
        },
    }
}

/// A request CountTokens can count.
const COUNTABLE: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":1,"messages":[{"role":"user","content":"ping"}]}"#;
/// No `max_tokens` and no `messages`: every Claude model rejects it before inference.
const REJECTED: &str = r#"{"anthropic_version":"bedrock-2023-05-31"}"#;

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
        let findings = join_all(invocations.list.iter().map(|invocation| async move {
            let (operation, answer) = probe(cx, invocation).await;
            let iam = cx.fact::<IamVerdicts>();
            let allowed_by_iam = iam
                .as_ref()
                .and_then(|v| v.allowed(&invocation.region, &invocation.model_id))
                .is_some();
            let finding = match answer {
                Ok(answer) => verdict(invocation, &answer, allowed_by_iam),
                Err(error) => Finding::aws_error(&META, &error),
            };
            finding
                .region(invocation.region.as_str())
                .resource(invocation.model_id.clone())
                .evidence("operation", operation)
        }))
        .await;
        Ok(findings)
    }
}

async fn probe(
    cx: &CheckContext,
    invocation: &Invocation,
) -> (String, Result<ProbeAnswer, AwsError>) {
    let region = &invocation.region;
    if invocation.route == Route::OnDemand {
        let counted = cx
            .aws
            .count_tokens(region, &invocation.model_id, COUNTABLE)
            .await;
        // CountTokens is offered for some models and regions only; where it says so, the
        // rejected-body InvokeModel answers the same question.
        let unsupported = matches!(&counted, Ok(ProbeAnswer::Rejected(e)) if reading(e) == Reading::CountingUnsupported);
        if !unsupported {
            return (catalog::COUNT_TOKENS.to_string(), counted);
        }
    }
    (
        catalog::INVOKE_MODEL.to_string(),
        cx.aws
            .invoke_rejected_body(region, &invocation.model_id, REJECTED)
            .await,
    )
}

#[derive(Debug, PartialEq, Eq)]
enum Reading {
    BodyRejected,
    OnDemandUnsupported,
    InvalidModelId,
    CountingUnsupported,
    MarketplaceDenied,
    NoModelAccess,
    Denied,
    DailyTokens,
    Throttled,
    NotFound,
    CredentialsRejected,
    Unrecognized,
}

/// What an error from Bedrock Runtime means, by its kind and AWS's own words.
fn reading(error: &AwsError) -> Reading {
    let message = error.message().to_lowercase();
    let has = |text: &str| message.contains(text);
    match error.kind() {
        AwsErrorKind::Invalid if error.code() == Some("ValidationException") => {
            if has("on-demand throughput") {
                Reading::OnDemandUnsupported
            } else if has("model identifier is invalid") {
                Reading::InvalidModelId
            } else if has("malformed input request") || has("required key") {
                Reading::BodyRejected
            } else if has("count")
                && (has("not support") || has("doesn't support") || has("does not support"))
            {
                Reading::CountingUnsupported
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
        AwsErrorKind::Denied => Reading::Denied,
        AwsErrorKind::Throttled if has("tokens per day") => Reading::DailyTokens,
        AwsErrorKind::Throttled => Reading::Throttled,
        AwsErrorKind::NotFound => Reading::NotFound,
        AwsErrorKind::InvalidCredentials => Reading::CredentialsRejected,
        _ => Reading::Unrecognized,
    }
}

fn verdict(invocation: &Invocation, answer: &ProbeAnswer, allowed_by_iam: bool) -> Finding {
    let id = &invocation.model_id;
    let region = &invocation.region;
    let error = match answer {
        ProbeAnswer::Counted(tokens) => {
            return Finding::pass(
                &META,
                kind::AUTHORIZED,
                "Live call authorized",
                format!(
                    "CountTokens on {id} in {region} answered ({tokens} tokens): the call is authorized and the model reachable"
                ),
            );
        }
        ProbeAnswer::Invoked => {
            return Finding::error(
                &META,
                kind::UNTRUSTED_SUCCESS,
                format!(
                    "InvokeModel on {id} accepted a body it must reject; this answer is not trusted"
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
    let invoke_grant = || {
        let arns = invocation.model_arns().join(", ");
        match &invocation.profile {
            Some(profile) => format!(
                "Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on {} and on {arns}; if IAM already allows them, \
                 a service control policy, permission boundary or session policy denies the call",
                profile.arn
            ),
            None => format!(
                "Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on {arns}; if IAM already allows them, a service \
                 control policy, permission boundary or session policy denies the call"
            ),
        }
    };
    match reading(error) {
        Reading::BodyRejected => Finding::pass(
            &META,
            kind::AUTHORIZED,
            "Live call authorized",
            format!("InvokeModel on {id} in {region} was authorized and reached the model (Bedrock rejected the probe's deliberately incomplete body, so no tokens were used)"),
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
            format!("List what {region} offers: aws bedrock list-inference-profiles --region {region}, and use one of its IDs"),
        ),
        Reading::CountingUnsupported => Finding::error(&META, kind::COUNTING_UNSUPPORTED, format!("CountTokens does not support {id} and no fallback answered: {said}")),
        Reading::MarketplaceDenied => fail(
            kind::MARKETPLACE_DENIED,
            Severity::High,
            "Marketplace subscription missing",
            format!("Bedrock denied {id} in {region} because the model's AWS Marketplace subscription is missing or cannot be created: {}", error.message()),
            "Allow aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe (condition aws:CalledViaLast = bedrock.amazonaws.com) for this principal, then call again; the subscription takes up to 15 minutes".into(),
        ),
        Reading::NoModelAccess => fail(
            kind::NO_MODEL_ACCESS,
            Severity::High,
            "No access to the model",
            format!("Bedrock denied {id} in {region}: {}", error.message()),
            "Submit the Anthropic first-time-use form (Bedrock console > Model catalog > the model > Submit use case details) and make sure Marketplace permissions allow the subscription".into(),
        ),
        Reading::Denied if allowed_by_iam => fail(
            kind::DENIED_OUTSIDE_IAM,
            Severity::High,
            "Invoke denied outside IAM policies",
            format!("Bedrock denied bedrock:InvokeModel on {id} in {region}. {}", likely_outside_iam(error)),
            "Ask the organization's administrators which SCP or RCP denies bedrock:InvokeModel (aws:RequestedRegion conditions in SCPs commonly block cross-region profiles' destination regions); for an assumed role, check the session policy"
                .into(),
        ),
        Reading::Denied => fail(
            kind::DENIED,
            Severity::High,
            "Invoke denied",
            format!("Bedrock denied bedrock:InvokeModel on {id} in {region}: {}", error.message()),
            invoke_grant(),
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
            format!("Bedrock throttled even a zero-token call to {id} in {region}: {}", error.message()),
            Remediation::new("Other clients use this quota now, or it is low: see quotas.inference, and run again later"),
        )
        .evidence("answer", said),
        Reading::NotFound => fail(
            kind::NOT_FOUND,
            Severity::High,
            "Model not found",
            format!("Bedrock Runtime in {region} did not find {id}: {}", error.message()),
            "The model may have reached end of life in this region: see models.lifecycle and move to an ACTIVE model".into(),
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

    fn error(kind: AwsErrorKind, code: &str, message: &str) -> AwsError {
        AwsError::new(kind, &catalog::INVOKE_MODEL, message).with_code(code)
    }

    #[test]
    fn each_answer_has_its_own_reading() {
        use AwsErrorKind::*;
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
                "The model doesn't support counting tokens.",
                Reading::CountingUnsupported,
            ),
            (
                Invalid,
                "ValidationException",
                "Something else entirely.",
                Reading::Unrecognized,
            ),
            (
                Denied,
                "AccessDeniedException",
                "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe)",
                Reading::MarketplaceDenied,
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
                "User: arn:aws:sts::123456789012:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel",
                Reading::Denied,
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
                NotFound,
                "ResourceNotFoundException",
                "This model version has reached the end of its life.",
                Reading::NotFound,
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

#[cfg(test)]
mod verdicts {
    use super::*;
    use crate::checks::testing::sonnet_through_us;
    use crate::engine::Status;

    fn rejected(kind: AwsErrorKind, code: &str, message: &str) -> ProbeAnswer {
        ProbeAnswer::Rejected(AwsError::new(kind, &catalog::INVOKE_MODEL, message).with_code(code))
    }

    #[test]
    fn the_body_rejection_proves_the_call_authorized() {
        let answer = rejected(
            AwsErrorKind::Invalid,
            "ValidationException",
            "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
        );
        let finding = verdict(&sonnet_through_us(), &answer, true);
        assert_eq!(finding.code(), "runtime.probe/authorized");
        assert_eq!(
            verdict(&sonnet_through_us(), &ProbeAnswer::Counted(7), false).code(),
            "runtime.probe/authorized"
        );
    }

    #[test]
    fn a_denial_iam_allows_points_outside_iam_and_one_it_denies_asks_for_the_grant() {
        let denied = rejected(
            AwsErrorKind::Denied,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: bedrock:InvokeModel",
        );
        let outside = verdict(&sonnet_through_us(), &denied, true);
        assert_eq!(outside.code(), "runtime.probe/denied-outside-iam");
        assert!(
            outside
                .message
                .contains("service control policy, resource control policy or session policy")
        );
        assert!(!outside.remediation.as_deref().unwrap().contains("  "));
        let inside = verdict(&sonnet_through_us(), &denied, false);
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
    fn an_answer_it_does_not_know_and_a_success_it_must_not_get_are_errors() {
        let unknown = verdict(
            &sonnet_through_us(),
            &rejected(AwsErrorKind::Other, "BrandNewException", "Surprise"),
            false,
        );
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (Status::Error, "runtime.probe/unrecognized-answer")
        );
        assert_eq!(unknown.evidence["answer"], "BrandNewException: Surprise");
        let invoked = verdict(&sonnet_through_us(), &ProbeAnswer::Invoked, true);
        assert_eq!(invoked.status, Status::Error);
    }

    #[test]
    fn throttling_warns_and_daily_tokens_fail() {
        let throttled = verdict(
            &sonnet_through_us(),
            &rejected(
                AwsErrorKind::Throttled,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
            ),
            false,
        );
        assert_eq!(throttled.status, Status::Warn);
        let daily = verdict(
            &sonnet_through_us(),
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
