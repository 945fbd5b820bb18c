//! What each reading of Bedrock's answer means for the person running the probe, as data: one
//! `Message` per reading (two for a denial no policy is named for: whether iam.invoke allowed
//! the call tells them apart), with the finding's kind, outcome, title, message and fix.
//! Messages and fixes are templates whose `{placeholders}` are filled from the call and the
//! answer (`PLACEHOLDERS`); the code looks the table up and builds nothing else.

use super::reading::{Denier, Reading, reading};
use super::{META, kind};
use crate::aws::AwsError;
use crate::aws::catalog::Operation;
use crate::domain::Invocation;
use crate::engine::{Finding, Kind, Remediation, Severity};
use crate::remediation::{model_access_command, scp_exemption, use_case_fix};
use crate::shell::sh;

/// What the probe reports for one reading.
pub(super) struct Message {
    pub reading: Reading,
    /// `Some(allowed)`: only when iam.invoke did (or did not) allow the call; `None`: either.
    pub iam_allowed: Option<bool>,
    pub kind: Kind,
    pub outcome: Outcome,
    /// Empty for an error, whose title is the engine's ("Could not check: ...").
    pub title: &'static str,
    pub message: &'static str,
    pub fix: Fix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Pass,
    Warn(Severity),
    Fail(Severity),
    /// An answer this version does not recognize: never a pass.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fix {
    None,
    Text(&'static str),
    /// The text, after the command that grants invoke when there is one:
    /// `COMMAND\n(or: TEXT)`.
    AfterGrantCommand(&'static str),
}

/// The placeholders templates may use.
const PLACEHOLDERS: &[&str] = &[
    "operation",        // the call probed: InvokeModel or InvokeModelWithResponseStream
    "action",           // its IAM action: bedrock:InvokeModel or ...WithResponseStream
    "id",               // the model ID the call passed
    "region",           // the region it was sent to
    "aws",              // AWS's message
    "said",             // AWS's error code and message
    "grant",            // the identity-policy statement that allows the call, in words
    "list-profiles",    // the command that lists the region's inference profiles
    "accept-agreement", // the command with which an administrator accepts the agreement
    "use-case-form",    // how to submit the Anthropic use case form
    "scp-exemption",    // what to ask of administrators whose SCP's region deny blocks a profile
];

const MARKETPLACE: &str = "Allow aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe for this principal, only \
                           through Bedrock: {\"Effect\": \"Allow\", \"Action\": [\"aws-marketplace:ViewSubscriptions\", \
                           \"aws-marketplace:Subscribe\"], \"Resource\": \"*\", \"Condition\": {\"StringEquals\": \
                           {\"aws:CalledViaLast\": \"bedrock.amazonaws.com\"}}}; or have an administrator invoke the model \
                           once; then call again after a few minutes";
const SUCCESSOR: &str = "Move to an ACTIVE model: see models.lifecycle for its successor";

use Outcome::{Error, Fail, Pass, Warn};
use Severity::{Critical, High, Medium};

pub(super) static MESSAGES: &[Message] = &[
    Message {
        reading: Reading::BodyRejected,
        iam_allowed: None,
        kind: kind::AUTHORIZED,
        outcome: Pass,
        title: "Live call authorized",
        message: "{operation} on {id} in {region} was authorized and reached the model (Bedrock rejected the probe's \
                  deliberately incomplete body, so no tokens were used)",
        fix: Fix::None,
    },
    Message {
        reading: Reading::OnDemandUnsupported,
        iam_allowed: None,
        kind: kind::NEEDS_PROFILE,
        outcome: Fail(High),
        title: "Model needs an inference profile",
        message: "Bedrock refused {id} in {region}: {aws}",
        fix: Fix::Text(
            "Call the model through an inference profile: see profiles.resolve for the profile ID to use",
        ),
    },
    Message {
        reading: Reading::InvalidModelId,
        iam_allowed: None,
        kind: kind::INVALID_MODEL_ID,
        outcome: Fail(High),
        title: "Bedrock does not know this model ID",
        message: "Bedrock Runtime in {region} answered that {id} is not a valid model identifier",
        fix: Fix::Text("List what {region} offers: {list-profiles}, and use one of its IDs"),
    },
    Message {
        reading: Reading::UseCaseFormMissing,
        iam_allowed: None,
        kind: kind::USE_CASE_FORM,
        outcome: Fail(High),
        title: "Anthropic use case form not submitted",
        message: "Bedrock refused {id} in {region}: the account has not submitted the Anthropic use case \
                  (first-time-use) form: {aws}",
        fix: Fix::Text("{use-case-form}"),
    },
    Message {
        reading: Reading::AgreementNotAccepted,
        iam_allowed: None,
        kind: kind::AGREEMENT,
        outcome: Fail(High),
        title: "Model agreement not accepted",
        message: "Bedrock refused {id} in {region} (\"{aws}\"): the model's agreement has not been accepted in \
                  this account",
        fix: Fix::Text("An administrator accepts it once: {accept-agreement}"),
    },
    Message {
        reading: Reading::MarketplaceDenied,
        iam_allowed: None,
        kind: kind::MARKETPLACE_DENIED,
        outcome: Fail(High),
        title: "Marketplace subscription missing",
        message: "Bedrock denied {id} in {region} because the model's AWS Marketplace subscription is missing \
                  and this principal may not create it: {aws}",
        fix: Fix::Text(MARKETPLACE),
    },
    Message {
        reading: Reading::PaymentInstrument,
        iam_allowed: None,
        kind: kind::PAYMENT,
        outcome: Fail(High),
        title: "No valid payment method",
        message: "Bedrock denied {id} in {region}: the account has no valid payment instrument, so the model's \
                  Marketplace subscription cannot be completed: {aws}",
        fix: Fix::Text(
            "Add a valid payment method (Billing and Cost Management console > Payment preferences) and settle \
             any outstanding balance, then call again after a few minutes; accounts billed through AISPL \
             (India) may need another account for Marketplace models",
        ),
    },
    Message {
        reading: Reading::AccountBeingVerified,
        iam_allowed: None,
        kind: kind::VERIFYING,
        outcome: Fail(High),
        title: "AWS account still being verified",
        message: "Bedrock refused {id} in {region}: {aws}",
        fix: Fix::Text(
            "Wait: verification of a new account usually completes within 2 hours; if it takes longer, \
             contact AWS Support (Account and billing)",
        ),
    },
    Message {
        reading: Reading::NoModelAccess,
        iam_allowed: None,
        kind: kind::NO_MODEL_ACCESS,
        outcome: Fail(High),
        title: "No access to the model",
        message: "Bedrock denied {id} in {region}: {aws}",
        fix: Fix::Text(
            "{use-case-form}; and make sure the principal may complete the Marketplace subscription \
             (aws-marketplace:Subscribe through bedrock.amazonaws.com)",
        ),
    },
    Message {
        reading: Reading::LegacyNotRecentlyUsed,
        iam_allowed: None,
        kind: kind::LEGACY_NOT_USED,
        outcome: Fail(High),
        title: "Legacy model denied to this account",
        message: "Bedrock refused {id} in {region}: the model is Legacy and this account has not used it in \
                  the last 30 days: {aws}",
        fix: Fix::Text(SUCCESSOR),
    },
    Message {
        reading: Reading::EndOfLife,
        iam_allowed: None,
        kind: kind::END_OF_LIFE,
        outcome: Fail(High),
        title: "Model reached end of life",
        message: "Bedrock Runtime in {region}: {id} has reached the end of its life ({aws})",
        fix: Fix::Text(SUCCESSOR),
    },
    Message {
        reading: Reading::Denied(Some(Denier::ServiceControlPolicy)),
        iam_allowed: None,
        kind: kind::DENIED_BY_SCP,
        outcome: Fail(High),
        title: "A service control policy denies the call",
        message: "Bedrock denied {action} on {id} in {region} with an explicit deny in a service control \
                  policy: {aws}",
        fix: Fix::Text("{scp-exemption}"),
    },
    Message {
        reading: Reading::Denied(Some(Denier::ResourceControlPolicy)),
        iam_allowed: None,
        kind: kind::DENIED_BY_RCP,
        outcome: Fail(High),
        title: "A resource control policy denies the call",
        message: "Bedrock denied {action} on {id} in {region} with an explicit deny in a resource control \
                  policy: {aws}",
        fix: Fix::Text(
            "Ask the organization's administrators which resource control policy denies it (AWS \
             Organizations console > Policies > Resource control policies); no IAM policy of the caller \
             can override it",
        ),
    },
    Message {
        reading: Reading::Denied(Some(Denier::SessionPolicy)),
        iam_allowed: None,
        kind: kind::DENIED_BY_SESSION,
        outcome: Fail(High),
        title: "The session policy does not allow the call",
        message: "Bedrock denied {action} on {id} in {region}: no session policy allows it ({aws})",
        fix: Fix::Text(
            "The session was assumed with a session policy (an IAM Identity Center permission set's inline \
             policy, or the policy a broker passed to sts:AssumeRole) that lacks {action}: add it there for \
             {id} and its destination model ARNs, then sign in again",
        ),
    },
    Message {
        reading: Reading::Denied(Some(Denier::PermissionBoundary)),
        iam_allowed: None,
        kind: kind::DENIED_BY_BOUNDARY,
        outcome: Fail(High),
        title: "The permission boundary does not allow the call",
        message: "Bedrock denied {action} on {id} in {region}: no permissions boundary allows it ({aws})",
        fix: Fix::Text("{grant}, in the principal's permission boundary too"),
    },
    Message {
        reading: Reading::Denied(Some(Denier::IdentityPolicy)),
        iam_allowed: None,
        kind: kind::DENIED_BY_IDENTITY,
        outcome: Fail(High),
        title: "Invoke denied",
        message: "Bedrock denied {action} on {id} in {region}: {aws}",
        fix: Fix::AfterGrantCommand("{grant}"),
    },
    Message {
        reading: Reading::Denied(None),
        iam_allowed: Some(true),
        kind: kind::DENIED_OUTSIDE_IAM,
        outcome: Fail(High),
        title: "Invoke denied outside IAM policies",
        message: "Bedrock denied {action} on {id} in {region}. iam.invoke found this call allowed, yet Bedrock \
                  denied it ({aws}): a service control policy, resource control policy or session policy is \
                  the likely cause",
        fix: Fix::Text(
            "Ask the organization's administrators which SCP or RCP denies the call (aws:RequestedRegion \
             conditions in SCPs commonly block cross-region profiles' destination regions); for an assumed \
             role, check the session policy",
        ),
    },
    Message {
        reading: Reading::Denied(None),
        iam_allowed: Some(false),
        kind: kind::DENIED,
        outcome: Fail(High),
        title: "Invoke denied",
        message: "Bedrock denied {action} on {id} in {region}: {aws}",
        fix: Fix::Text(
            "{grant}; if IAM already allows it, a service control policy, permission boundary or session \
             policy denies the call",
        ),
    },
    Message {
        reading: Reading::DailyTokens,
        iam_allowed: None,
        kind: kind::DAILY_TOKENS,
        outcome: Fail(High),
        title: "Daily token quota exhausted or zero",
        message: "Bedrock throttled {id} in {region} with \"{aws}\": the account's tokens-per-day quota is used \
                  up or applied at 0",
        fix: Fix::Text(
            "Check quotas.inference and Service Quotas (Amazon Bedrock, {region}) for \"Model invocation max \
             tokens per day\"; new accounts may need AWS Support to raise it",
        ),
    },
    Message {
        reading: Reading::Throttled,
        iam_allowed: None,
        kind: kind::THROTTLED,
        outcome: Warn(Medium),
        title: "Live call throttled",
        message: "Bedrock throttled even a zero-token call to {id} in {region} (requests or tokens per minute, \
                  not the daily quota): {aws}",
        fix: Fix::Text(
            "Other clients use this quota now, or it is low: see quotas.inference, and run again later",
        ),
    },
    Message {
        reading: Reading::NotFound,
        iam_allowed: None,
        kind: kind::NOT_FOUND,
        outcome: Fail(High),
        title: "Model not found",
        message: "Bedrock Runtime in {region} did not find {id}: {aws}",
        fix: Fix::Text(
            "The model may have been retired in this region: see models.lifecycle and move to an ACTIVE \
             model",
        ),
    },
    Message {
        reading: Reading::CredentialsRejected,
        iam_allowed: None,
        kind: kind::CREDENTIALS_REJECTED,
        outcome: Fail(Critical),
        title: "Bedrock rejects the credentials",
        message: "Bedrock Runtime rejected the credentials for {id} in {region}: {aws}",
        fix: Fix::Text(
            "Refresh the credentials (or the API key in AWS_BEARER_TOKEN_BEDROCK, which is valid only in the \
             region that issued it)",
        ),
    },
    Message {
        reading: Reading::Unrecognized,
        iam_allowed: None,
        kind: kind::UNRECOGNIZED,
        outcome: Error,
        title: "",
        message: "Bedrock Runtime answered the probe of {id} in {region} with something this version does not \
                  recognize, so it is not a pass: {said}",
        fix: Fix::None,
    },
];

/// The table's entry for `reading`, given whether iam.invoke allowed the call.
fn message(reading: Reading, allowed_by_iam: bool) -> Option<&'static Message> {
    MESSAGES.iter().find(|m| {
        m.reading == reading
            && m.iam_allowed
                .is_none_or(|allowed| allowed == allowed_by_iam)
    })
}

/// The finding for Bedrock's rejection of one probe call, from the table.
pub(super) fn finding(
    invocation: &Invocation,
    operation: &Operation,
    error: &AwsError,
    allowed_by_iam: bool,
    grant_command: Option<&str>,
) -> Finding {
    let value = |name: &str| placeholder(name, invocation, operation, error);
    let reading = reading(error);
    let entry = message(reading, allowed_by_iam)
        .expect("the table has a message for every reading, whichever iam.invoke said (tested)");
    let text = fill(entry.message, value);
    let fix = match entry.fix {
        Fix::None => String::new(),
        Fix::Text(template) => fill(template, value),
        Fix::AfterGrantCommand(template) => match grant_command {
            Some(command) => format!("{command}\n(or: {})", fill(template, value)),
            None => fill(template, value),
        },
    };
    // Every warning and failure of the table has a fix (tested).
    match entry.outcome {
        Pass => Finding::pass(&META, entry.kind, entry.title, text),
        Warn(severity) => Finding::warn(
            &META,
            entry.kind,
            severity,
            entry.title,
            text,
            Remediation::new(fix),
        ),
        Fail(severity) => Finding::fail(
            &META,
            entry.kind,
            severity,
            entry.title,
            text,
            Remediation::new(fix),
        ),
        Error => Finding::error(&META, entry.kind, text),
    }
    .evidence("answer", said(error))
}

fn said(error: &AwsError) -> String {
    format!("{}: {}", error.code().unwrap_or("error"), error.message())
}

/// What placeholder `name` stands for in this call and answer; `None` for no placeholder.
fn placeholder(
    name: &str,
    invocation: &Invocation,
    operation: &Operation,
    error: &AwsError,
) -> Option<String> {
    let region = &invocation.region;
    let action = operation.iam_action();
    Some(match name {
        "operation" => operation.name.to_string(),
        "action" => action,
        "id" => invocation.model_id.clone(),
        "region" => region.to_string(),
        "aws" => error.message().to_string(),
        "said" => said(error),
        "grant" => {
            let arns = invocation.model_arns().join(", ");
            match &invocation.profile {
                Some(profile) => format!(
                    "Allow {action} on {} and on {arns} in the principal's identity policy",
                    profile.arn
                ),
                None => format!("Allow {action} on {arns} in the principal's identity policy"),
            }
        }
        "list-profiles" => sh![
            "aws",
            "bedrock",
            "list-inference-profiles",
            "--region",
            region
        ],
        "accept-agreement" => model_access_command(&invocation.model.id, region),
        "use-case-form" => use_case_fix(&invocation.model, region),
        "scp-exemption" => scp_exemption(invocation),
        _ => return None,
    })
}

/// `template` with each `{name}` of `PLACEHOLDERS` replaced by its value, in one pass: what a
/// value holds (an AWS message, say) is never read as a placeholder. Other braces, such as the
/// JSON of a policy statement, stay as they are.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .filter(|&close| is_placeholder(&after[..close]))
            .and_then(|close| Some((value(&after[..close])?, close)));
        match filled {
            Some((text, close)) => {
                out.push_str(&text);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_placeholder(name: &str) -> bool {
    PLACEHOLDERS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsErrorKind, catalog};
    use crate::checks::testing::sonnet_through_us;
    use std::collections::HashSet;

    /// Every reading the probe can make of an answer.
    fn readings() -> Vec<Reading> {
        let mut all = vec![
            Reading::BodyRejected,
            Reading::OnDemandUnsupported,
            Reading::InvalidModelId,
            Reading::UseCaseFormMissing,
            Reading::AgreementNotAccepted,
            Reading::MarketplaceDenied,
            Reading::PaymentInstrument,
            Reading::AccountBeingVerified,
            Reading::NoModelAccess,
            Reading::LegacyNotRecentlyUsed,
            Reading::EndOfLife,
            Reading::Denied(None),
            Reading::DailyTokens,
            Reading::Throttled,
            Reading::NotFound,
            Reading::CredentialsRejected,
            Reading::Unrecognized,
        ];
        all.extend(
            [
                Denier::IdentityPolicy,
                Denier::ServiceControlPolicy,
                Denier::ResourceControlPolicy,
                Denier::SessionPolicy,
                Denier::PermissionBoundary,
            ]
            .map(|denier| Reading::Denied(Some(denier))),
        );
        all
    }

    /// What reads as a `{name}` in a text, known or not (a misspelt placeholder included).
    fn placeholders_in(text: &str) -> Vec<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|after| after.split_once('}').map(|(name, _)| name))
            .filter(|name| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            })
            .collect()
    }

    #[test]
    fn every_reading_has_one_message_whichever_iam_said() {
        let readings = readings();
        for reading in &readings {
            for allowed in [true, false] {
                let matching = MESSAGES
                    .iter()
                    .filter(|m| m.reading == *reading && m.iam_allowed.is_none_or(|a| a == allowed))
                    .count();
                assert_eq!(
                    matching, 1,
                    "{reading:?} when iam.invoke allowed: {allowed}"
                );
            }
        }
        for message in MESSAGES {
            assert!(readings.contains(&message.reading), "{:?}", message.reading);
        }
    }

    #[test]
    fn each_message_is_complete_and_names_only_known_placeholders() {
        let invocation = sonnet_through_us();
        let error = AwsError::new(AwsErrorKind::Other, &catalog::INVOKE_MODEL, "AWS's words")
            .with_code("SomeException");
        let value = |name: &str| placeholder(name, &invocation, &catalog::INVOKE_MODEL, &error);
        for name in PLACEHOLDERS {
            assert!(value(name).is_some(), "{{{name}}} has no value");
        }
        let declared: Vec<&str> = META.kinds.iter().map(|k| k.name).collect();
        let mut kinds = HashSet::new();
        for message in MESSAGES {
            let kind = message.kind.as_str();
            assert!(
                declared.contains(&kind),
                "{kind} is not among check!'s kinds"
            );
            assert!(kinds.insert(kind), "{kind} twice");
            assert_eq!(
                message.title.is_empty(),
                message.outcome == Error,
                "{kind}: a title, unless an error (whose title is the engine's)"
            );
            assert_eq!(
                message.fix == Fix::None,
                matches!(message.outcome, Pass | Error),
                "{kind}: a fix for every warning and failure, and only for them"
            );
            let fix = match message.fix {
                Fix::None => None,
                Fix::Text(template) | Fix::AfterGrantCommand(template) => Some(template),
            };
            for template in std::iter::once(message.message).chain(fix) {
                for name in placeholders_in(template) {
                    assert!(
                        PLACEHOLDERS.contains(&name),
                        "{kind}: {{{name}}} is no placeholder"
                    );
                }
                let filled = fill(template, value);
                assert!(placeholders_in(&filled).is_empty(), "{kind}: {filled}");
                assert!(!filled.contains("  "), "{kind}: {filled}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_once_and_other_braces_are_kept() {
        let value = |name: &str| match name {
            "aws" => Some("{id}".to_string()),
            "id" => Some("anthropic.claude-sonnet-4-6".to_string()),
            _ => None,
        };
        assert_eq!(
            fill("{aws} and {id}, {\"Effect\": \"Allow\"} {unknown} {", value),
            "{id} and anthropic.claude-sonnet-4-6, {\"Effect\": \"Allow\"} {unknown} {"
        );
    }
}
