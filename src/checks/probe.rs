//! `runtime.probe`: live calls that cost no tokens, read strictly. For each target, the two
//! calls clients make, on the exact ID they will use, concurrently: InvokeModel (SDKs) and
//! InvokeModelWithResponseStream (Claude Code), each with a body Bedrock must reject before
//! any inference. Bedrock complaining about the body is the proof that the call was
//! authorized and reached the model; every other answer AWS is known to give has its own
//! reading and fix. Any answer this module does not recognize is an error, never a pass.

mod messages;
mod reading;

use async_trait::async_trait;

use super::DoctorOptions;
use super::facts::{CallerIdentity, IamVerdicts, Invocations};
use crate::aws::ProbeAnswer;
use crate::aws::catalog::{self, Operation};
use crate::domain::Invocation;
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Status};
use crate::remediation::invoke_fix_command;

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
                    cx.aws.invoke_rejected_body(region, id, REJECTED),
                    cx.aws.stream_rejected_body(region, id, REJECTED),
                );
                let allowed_by_iam = cx
                    .fact_after::<IamVerdicts>(IamVerdicts::PROVIDER)
                    .await
                    .is_some_and(|v| v.allowed(region, id).is_some());
                let fix = cx
                    .fact_after::<CallerIdentity>(CallerIdentity::PROVIDER)
                    .await
                    .and_then(|identity| {
                        invoke_fix_command(
                            &identity.principal_arn,
                            &cx.scope.models,
                            &cx.scope.regions,
                        )
                    });
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

/// The finding for one call's answer: a success the probe must not get is not trusted; a
/// rejection means what the table of messages says.
fn verdict(
    invocation: &Invocation,
    operation: &Operation,
    answer: &ProbeAnswer,
    allowed_by_iam: bool,
    grant_command: Option<&str>,
) -> Finding {
    match answer {
        ProbeAnswer::Invoked => Finding::error(
            &META,
            kind::UNTRUSTED_SUCCESS,
            format!(
                "{} on {} accepted a body it must reject; this answer is not trusted",
                operation.name, invocation.model_id
            ),
        ),
        ProbeAnswer::Rejected(error) => {
            messages::finding(invocation, operation, error, allowed_by_iam, grant_command)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsError, AwsErrorKind};
    use crate::checks::testing::sonnet_through_us;

    fn error(kind: AwsErrorKind, code: &str, message: &str) -> AwsError {
        AwsError::new(kind, &catalog::INVOKE_MODEL, message).with_code(code)
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
