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
use crate::aws::ProbeCall;
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
            /// Both live calls, InvokeModel (what SDKs call) and InvokeModelWithResponseStream
            /// (what Claude Code calls), on the exact ID clients use reached the model: Bedrock
            /// rejected the probe's deliberately incomplete body (no `max_tokens`, no `messages`)
            /// as invalid, which it does only for a call that was authorized and reached the model.
            /// No tokens are used. This is the strongest evidence the tool has that Claude calls
            /// from here work.
            AUTHORIZED = "authorized",
            /// `--no-probe` was given, so no live call was sent to Bedrock Runtime. The other
            /// checks' verdicts stand, but what only a live call shows (a session policy, a
            /// resource control policy, an account still being verified) is unproven. Run doctor
            /// without `--no-probe` to have it checked.
            DISABLED = "disabled",
            /// Bedrock Runtime refused the ID with "Invocation of model ID ... with on-demand
            /// throughput isn't supported. Retry your request with the ID or ARN of an inference
            /// profile that contains this model.": the model cannot be called on demand by its own
            /// ID in this region, so every call with that ID fails. Call it through an inference
            /// profile (`us.`, `eu.`, `global.` and so on); profiles.resolve names the one to use.
            NEEDS_PROFILE = "needs-inference-profile",
            /// Bedrock Runtime answered "The provided model identifier is invalid.": the region
            /// does not know this ID (a typo, the Anthropic API's name without `anthropic.`, or a
            /// profile whose prefix belongs to another geography), so every call with it fails with
            /// a 400. Use an ID the region lists; the remediation gives the
            /// `aws bedrock list-inference-profiles` command for the region.
            INVALID_MODEL_ID = "invalid-model-id",
            /// Bedrock Runtime answered "Model use case details have not been submitted for this
            /// account": the Anthropic use case (first-time-use) form was never submitted for the
            /// account or its organization's management account. Every call to an Anthropic model
            /// fails with this 404 until it is, and a submission takes up to 15 minutes to apply.
            /// Write the form's fields to a JSON file and run
            /// `bedrock-preflight setup model-access --use-case-form FILE --yes`; the remediation
            /// has the exact command.
            USE_CASE_FORM = "use-case-form-missing",
            /// Bedrock Runtime answered "ValidationException: Operation not allowed", its answer
            /// while the model's agreement (the AWS Marketplace subscription behind it) is not
            /// accepted in this account. Every call fails until it is. An administrator accepts it
            /// once with
            /// `bedrock-preflight setup model-access --model MODEL --region REGION --yes`; the
            /// remediation has the exact command.
            AGREEMENT = "agreement-not-accepted",
            /// Bedrock Runtime answered "Model access is denied due to IAM user or service role is
            /// not authorized to perform the required AWS Marketplace actions
            /// (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe)": the model's
            /// Marketplace subscription does not exist yet, and this principal, whose first call
            /// would create it, may not. Calls fail until someone allowed creates it. Allow both
            /// actions for this principal only through Bedrock (`aws:CalledViaLast` =
            /// `bedrock.amazonaws.com`; the remediation has the statement), or have an
            /// administrator invoke the model once, then call again after a few minutes.
            MARKETPLACE_DENIED = "marketplace-denied",
            /// Bedrock Runtime answered "Model access is denied due to INVALID_PAYMENT_INSTRUMENT:
            /// A valid payment instrument must be provided.": the account has no valid payment
            /// method (or an unpaid balance), so the Marketplace subscription Anthropic models need
            /// cannot be completed and every call is denied. Add a payment method (Billing and Cost
            /// Management console > Payment preferences), settle any balance and call again after a
            /// few minutes; accounts billed through AISPL (India) may need another account for
            /// Marketplace models.
            PAYMENT = "invalid-payment-instrument",
            /// Bedrock Runtime answered "Your account is currently being verified": AWS has not
            /// finished verifying this new account and refuses model calls until it has, even while
            /// the other checks pass. Wait: verification usually completes within 2 hours; if it
            /// takes longer, contact AWS Support (Account and billing).
            VERIFYING = "account-being-verified",
            /// Bedrock Runtime answered "You don't have access to the model with the specified
            /// model ID.": Bedrock denies the model to this account rather than naming an IAM
            /// policy, which points at the model-access gates (the Anthropic use case form, the
            /// Marketplace subscription). Every call is denied. Submit the use case form
            /// (`bedrock-preflight setup model-access --use-case-form FILE --yes`; the remediation
            /// has the command) and make sure the principal may complete the Marketplace
            /// subscription through bedrock.amazonaws.com; models.access says which gate is closed.
            NO_MODEL_ACCESS = "no-model-access",
            /// Bedrock Runtime answered "This Model is marked by provider as Legacy and you have
            /// not been actively using the model in the last 30 days": AWS serves a Legacy model
            /// only to accounts that called it within 30 days, and this one did not, so every call
            /// fails. There is no access to request: move to an ACTIVE model; models.lifecycle
            /// names its successor.
            LEGACY_NOT_USED = "legacy-not-recently-used",
            /// Bedrock Runtime answered "This model version has reached the end of its life.": AWS
            /// has retired the model and no account can call it any more. Move to an ACTIVE model;
            /// models.lifecycle names the successor in its family.
            END_OF_LIFE = "end-of-life",
            /// Bedrock Runtime denied the call "because no identity-based policy allows" the
            /// action: none of the principal's IAM policies grants `bedrock:InvokeModel` (or
            /// `bedrock:InvokeModelWithResponseStream`) on the resource Bedrock named, often an
            /// inference profile ARN or a destination region's foundation-model ARN. Claude Code
            /// shows it as "API Error: 403 ... is not authorized to perform". The remediation gives
            /// the statements to add and, when the caller is known,
            /// `bedrock-preflight policy apply claude-invoke` for every target of the run.
            DENIED_BY_IDENTITY = "denied-by-identity-policy",
            /// Bedrock Runtime denied the call "with an explicit deny in a service control policy":
            /// an SCP of the organization blocks it, and no IAM policy in the account can override
            /// that. The usual cause is a region deny on `aws:RequestedRegion` that also blocks the
            /// destination regions a cross-region profile routes to. Ask the organization's
            /// administrators for the exemption the remediation gives (an `ArnNotLike` condition on
            /// `bedrock:InferenceProfileArn`), or call a profile whose destinations the SCP allows.
            DENIED_BY_SCP = "denied-by-scp",
            /// Bedrock Runtime denied the call "with an explicit deny in a resource control
            /// policy": a resource control policy of the organization blocks it, and no IAM policy
            /// of the caller can override that. Ask the organization's administrators which one
            /// denies it (AWS Organizations console > Policies > Resource control policies).
            DENIED_BY_RCP = "denied-by-rcp",
            /// Bedrock Runtime denied the call "because no session policy allows" the action: the
            /// session was created with a session policy (an IAM Identity Center permission set's
            /// inline policy, or a policy passed to sts:AssumeRole) that lacks it, whatever the
            /// role's own policies allow. No AWS API reads session policies, so iam.invoke cannot
            /// see this layer. Add the action for the model ID and its destination model ARNs to
            /// that session policy, then sign in again.
            DENIED_BY_SESSION = "denied-by-session-policy",
            /// Bedrock Runtime denied the call "because no permissions boundary allows" the action:
            /// the principal's permission boundary lacks it, so the grant in its identity policies
            /// has no effect. Add the statements the remediation gives to the boundary as well.
            DENIED_BY_BOUNDARY = "denied-by-permission-boundary",
            /// Bedrock Runtime denied the call without naming a policy type, while iam.invoke found
            /// the principal's IAM policies allow it. The denial then comes from a layer that
            /// verdict does not cover: a service control policy, a resource control policy or a
            /// session policy. Ask the organization's administrators which SCP or RCP denies it
            /// (region denies on `aws:RequestedRegion` often block cross-region profiles'
            /// destinations); for an assumed role, check the session policy.
            DENIED_OUTSIDE_IAM = "denied-outside-iam",
            /// Bedrock Runtime denied the call without naming a policy type, and iam.invoke did not
            /// find it allowed (it found a denial, or could not tell). Most often the principal's
            /// identity policy lacks `bedrock:InvokeModel` (or
            /// `bedrock:InvokeModelWithResponseStream`) on the profile or a destination model ARN.
            /// Add the statement the remediation gives; if IAM already allows the call, a service
            /// control policy, permission boundary or session policy denies it.
            DENIED = "denied",
            /// Bedrock Runtime throttled even a zero-token call with "Too many tokens per day,
            /// please wait before trying again.": the account's daily token quota for the model is
            /// used up, or applied at 0 as on new and Free-plan accounts. Every call fails with
            /// this 429 until the quota resets or is raised. See quotas.inference and Service
            /// Quotas' "Model invocation max tokens per day"; a quota at 0 that is not adjustable
            /// needs an AWS Support case.
            DAILY_TOKENS = "daily-tokens-exhausted",
            /// Bedrock Runtime throttled the zero-token call by requests or tokens per minute ("Too
            /// many requests, please wait before trying again." or "Rate exceeded"), not by the
            /// daily quota. Other clients use the quota right now, or it is low: calls work but are
            /// slowed or refused under load. See quotas.inference, and run again later.
            THROTTLED = "throttled",
            /// Bedrock Runtime answered ResourceNotFoundException for the ID with no reason this
            /// version knows (not the use case form, a legacy model or its end of life): the model
            /// may have been retired in this region. See models.lifecycle and move to an ACTIVE
            /// model.
            NOT_FOUND = "model-not-found",
            /// Bedrock Runtime rejected the credentials themselves (an expired or unknown token, a
            /// bad signature), so no call from here works. With `AWS_BEARER_TOKEN_BEDROCK` set, the
            /// API key is expired, revoked, or was made for another region (a short-term key works
            /// only in the region that issued it). Refresh the credentials (`aws sso login`, new
            /// keys), or make a new API key in this region.
            CREDENTIALS_REJECTED = "credentials-rejected",
            /// Bedrock Runtime answered success to a body it must reject (no `max_tokens`, no
            /// `messages`). Bedrock does not do that, so the answer likely came from something in
            /// between (a proxy, a gateway, an `--endpoint-url`), or Bedrock changed how it
            /// validates; either way it proves nothing and is no pass. Check what answers for
            /// bedrock-runtime from here, then run again.
            UNTRUSTED_SUCCESS = "untrusted-success",
            /// Bedrock Runtime answered the probe with something this version does not recognize
            /// (the finding's evidence has AWS's code and message). Rather than guess, the tool
            /// reaches no verdict: the call may or may not work. Read the answer; a newer
            /// bedrock-preflight may know it.
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
