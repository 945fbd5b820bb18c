//! `models.access`: the account may use the model here. Access passes three gates since the
//! Bedrock console's model access page was retired, and each is checked on its own, saying
//! which one blocks: the Anthropic use case (first-time-use) form (GetUseCaseForModelAccess),
//! the model agreement and the rest of GetFoundationModelAvailability, and, while the
//! agreement is not in place, whether this principal may complete the automatic Marketplace
//! subscription its first call triggers (simulated as Bedrock calls it). A value this version
//! does not know is never read as available.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::facts::{
    CallerIdentity, MissingAgreement, MissingAgreements, ModelTarget, ModelTargets, PrincipalKind,
};
use crate::aws::AwsError;
use crate::domain::Availability;
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Kind, Remediation, Severity, Status,
};
use crate::iam::Decision;
use crate::remediation::{model_access_command, use_case_fix};

// After identity.caller: to simulate the Marketplace subscription for the caller, if known.
check! {
    ModelsAccess = "models.access" {
        title: "Model access",
        description: "The three gates of model access: the Anthropic use case form is submitted \
                      (GetUseCaseForModelAccess); the model agreement is accepted and the account \
                      authorized, entitled and served in the region (GetFoundationModelAvailability); \
                      while the agreement is missing, whether this principal may complete the \
                      Marketplace subscription its first call triggers",
        commands: [Doctor],
        depends_on: ["models.lifecycle"],
        after: ["identity.caller"],
        severity: High,
        kinds: {
            /// All three gates of model access are open: the account submitted the Anthropic use
            /// case form (GetUseCaseForModelAccess), and GetFoundationModelAvailability reads the
            /// model agreement available, the account authorized and entitled, and the model
            /// available in the region. Whether the principal may invoke it is iam.invoke's
            /// question.
            GRANTED = "granted",
            /// GetUseCaseForModelAccess says the account never submitted the Anthropic use case
            /// (first-time-use) form. Every call to an Anthropic model then fails with "Model use
            /// case details have not been submitted for this account" (a 404), whatever IAM allows.
            /// Submit it once for the account, or once in the organization's management account for
            /// every member: `bedrock-preflight setup model-access --use-case-form FILE --yes` (the
            /// remediation has the exact command); it applies within 15 minutes.
            USE_CASE_FORM = "use-case-form-missing",
            /// Every other gate is open, but whether the account submitted the Anthropic use case
            /// form could not be read (GetUseCaseForModelAccess failed, usually denied). A missing
            /// form is the most common first-day failure, so this is no pass. Allow
            /// `bedrock:GetUseCaseForModelAccess` (the preflight-readonly policy has it), or check
            /// in the Bedrock console's Model catalog that the use case details were submitted.
            USE_CASE_UNKNOWN = "use-case-form-unverified",
            /// The model agreement (the AWS Marketplace subscription behind it) is not in place
            /// yet, but this principal may complete the subscription through Bedrock, so its first
            /// call creates it. That call, and those of the next minutes (up to about 15), may
            /// fail. Call the model once and wait a few minutes, or have an administrator accept
            /// the agreement with
            /// `bedrock-preflight setup model-access --model MODEL --region REGION --yes`.
            AGREEMENT_ON_FIRST_CALL = "agreement-on-first-call",
            /// The model agreement is not in place (NOT_AVAILABLE, ERROR, or a state this version
            /// does not know), and this principal may not complete the Marketplace subscription its
            /// first call would create, or whether it may could not be told. Calls fail with "Model
            /// access is denied due to IAM user or service role is not authorized to perform the
            /// required AWS Marketplace actions". Allow `aws-marketplace:Subscribe` and
            /// `aws-marketplace:ViewSubscriptions` only through Bedrock (the remediation has the
            /// statement), or have an administrator accept the agreement once with
            /// `bedrock-preflight setup model-access`; an ERROR with a payment message needs a
            /// valid payment method.
            AGREEMENT = "agreement-not-accepted",
            /// The model agreement is still being processed (PENDING), which can take up to 15
            /// minutes; calls may fail until it is done. Wait a few minutes and run again.
            PENDING = "agreement-pending",
            /// GetFoundationModelAvailability reads the account as not authorized to use the model,
            /// so its calls are denied; the usual causes are principals that may not perform the
            /// AWS Marketplace actions and an SCP that denies `aws-marketplace:Subscribe`. Allow
            /// the Marketplace actions for the principals that call Bedrock, only through Bedrock
            /// (the remediation has the statement), and check that no SCP denies
            /// `aws-marketplace:Subscribe`.
            NOT_AUTHORIZED = "not-authorized",
            /// GetFoundationModelAvailability reads the account as not entitled to the model, so
            /// its calls are denied: typically the account has no valid payment method, or the
            /// model's Marketplace subscription does not exist. Make sure the account has a valid
            /// payment method and that the subscription exists (AWS Marketplace console > Manage
            /// subscriptions).
            NOT_ENTITLED = "not-entitled",
            /// GetFoundationModelAvailability reads the model as not available in this region for
            /// the account, so calls to it by its own ID here fail. Call it through a cross-region
            /// inference profile, or from a region that offers it (`--region`).
            REGION = "region-unavailable",
        },
    }
}

const MARKETPLACE_ACTIONS: [&str; 2] = [
    "aws-marketplace:Subscribe",
    "aws-marketplace:ViewSubscriptions",
];

/// The statement that lets a principal complete the subscription through Bedrock only.
const MARKETPLACE_STATEMENT: &str = r#"{"Effect": "Allow", "Action": ["aws-marketplace:ViewSubscriptions", "aws-marketplace:Subscribe"], "Resource": "*", "Condition": {"StringEquals": {"aws:CalledViaLast": "bedrock.amazonaws.com"}}}"#;

#[async_trait]
impl Check for ModelsAccess {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        super::prefetch_per_region(cx, |region| cx.aws.use_case_submitted(region)).await;
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let targets = cx.require::<ModelTargets>()?;
        // Two requests that resolve to the same model in a region are one question.
        let mut unique: Vec<&ModelTarget> = Vec::new();
        for target in &targets.list {
            if !unique
                .iter()
                .any(|t| t.region == target.region && t.model.id == target.model.id)
            {
                unique.push(target);
            }
        }
        let judged = join_all(unique.into_iter().map(|target| async move {
            let (availability, form) = tokio::join!(
                cx.aws.model_availability(&target.region, &target.model.id),
                cx.aws.use_case_submitted(&target.region),
            );
            let (finding, agreement) = match availability {
                Ok(availability) => {
                    let subscribe = if availability.agreement == "AVAILABLE" {
                        None
                    } else {
                        may_subscribe(cx).await
                    };
                    let finding = judge(&availability, target, &form, subscribe);
                    (finding, Some(availability.agreement))
                }
                Err(error) => (Finding::aws_error(&META, &error), None),
            };
            let finding = finding
                .region(target.region.as_str())
                .resource(target.model.arn.clone());
            // What an administrator's acceptance repairs: the agreement is what fails.
            let missing = agreement
                .filter(|_| finding.kind == kind::AGREEMENT && finding.status == Status::Fail)
                .map(|status| MissingAgreement {
                    region: target.region.clone(),
                    model_id: target.model.id.clone(),
                    status,
                    finding: finding.reference(),
                });
            (finding, missing)
        }))
        .await;
        let (findings, missing): (Vec<Finding>, Vec<Option<MissingAgreement>>) =
            judged.into_iter().unzip();
        cx.provide(MissingAgreements {
            list: missing.into_iter().flatten().collect(),
        });
        Ok(findings)
    }
}

/// Whether the caller may complete the Marketplace subscription as Bedrock does it for them;
/// `None` when that cannot be told (no identity, a root or federated caller, simulation denied).
async fn may_subscribe(cx: &CheckContext) -> Option<bool> {
    let identity = cx.fact::<CallerIdentity>()?;
    if !matches!(
        identity.kind,
        PrincipalKind::User | PrincipalKind::AssumedRole
    ) {
        return None;
    }
    let context = [(
        "aws:CalledViaLast".to_string(),
        vec!["bedrock.amazonaws.com".to_string()],
    )];
    let decisions = cx
        .aws
        .simulate(&identity.principal_arn, &MARKETPLACE_ACTIONS, "*", &context)
        .await
        .ok()?;
    let allowed = |action: &str| {
        decisions
            .iter()
            .find(|d| d.action.eq_ignore_ascii_case(action))
            .and_then(|d| Decision::from_simulator(&d.decision))
            .map(|d| d == Decision::Allowed)
    };
    let answers: Option<Vec<bool>> = MARKETPLACE_ACTIONS.iter().map(|a| allowed(a)).collect();
    answers.map(|a| a.iter().all(|allowed| *allowed))
}

/// One gate that does not let the model through.
struct Blocked {
    kind: Kind,
    severity: Severity,
    message: String,
    fix: String,
    /// Clears by itself, or with the caller's own first call.
    passing: bool,
}

fn judge(
    a: &Availability,
    target: &ModelTarget,
    form: &Result<bool, AwsError>,
    may_subscribe: Option<bool>,
) -> Finding {
    let id = &target.model.id;
    let region = &target.region;
    let mut blocked: Vec<Blocked> = Vec::new();
    if let Ok(false) = form {
        blocked.push(Blocked {
            kind: kind::USE_CASE_FORM,
            severity: Severity::High,
            message: "the account has not submitted the Anthropic use case (first-time-use) form, so every call to an \
                      Anthropic model fails (\"Model use case details have not been submitted for this account\")"
                .to_string(),
            fix: use_case_fix(&target.model, &target.region),
            passing: false,
        });
    }
    let admin_agreement = format!(
        "or an administrator accepts the agreement once: {}",
        model_access_command(id, region)
    );
    match a.agreement.as_str() {
        "AVAILABLE" => {}
        "PENDING" => blocked.push(Blocked {
            kind: kind::PENDING,
            severity: Severity::Medium,
            message: format!("the model agreement for {id} is still being processed (it can take up to 15 minutes)"),
            fix: "Wait a few minutes and run again".to_string(),
            passing: true,
        }),
        other => {
            let state = match (other, &a.agreement_error) {
                ("", _) => "(none)".to_string(),
                (state, Some(error)) => format!("{state}: {error}"),
                (state, None) => state.to_string(),
            };
            let known = matches!(other, "NOT_AVAILABLE" | "ERROR");
            match may_subscribe {
                Some(true) if known && other == "NOT_AVAILABLE" => blocked.push(Blocked {
                    kind: kind::AGREEMENT_ON_FIRST_CALL,
                    severity: Severity::Low,
                    message: format!(
                        "the model agreement for {id} is not in place yet ({state}); this principal may complete the \
                         Marketplace subscription, so its first call creates it (the call may fail for up to 15 minutes)"
                    ),
                    fix: format!("Call the model once and wait a few minutes, {admin_agreement}"),
                    passing: true,
                }),
                Some(false) => blocked.push(Blocked {
                    kind: kind::AGREEMENT,
                    severity: Severity::High,
                    message: format!(
                        "the model agreement for {id} is not in place ({state}), and this principal may not complete the \
                         Marketplace subscription its first call would create (aws-marketplace:Subscribe and \
                         ViewSubscriptions are not allowed through Bedrock): calls fail with \"Model access is denied due \
                         to IAM user or service role is not authorized to perform the required AWS Marketplace actions\""
                    ),
                    fix: format!(
                        "Add this statement to the principal: {MARKETPLACE_STATEMENT}; {admin_agreement}"
                    ),
                    passing: false,
                }),
                _ => blocked.push(Blocked {
                    kind: kind::AGREEMENT,
                    severity: Severity::High,
                    message: format!(
                        "the model agreement for {id} is not in place ({state}); whether this principal may complete the \
                         Marketplace subscription could not be told"
                    ),
                    fix: format!(
                        "Make sure the caller may complete the subscription ({MARKETPLACE_STATEMENT}) and call the model \
                         once; {admin_agreement}; an ERROR state with a payment message needs a valid payment method \
                         (Billing and Cost Management console > Payment preferences)"
                    ),
                    passing: false,
                }),
            }
        }
    }
    if a.authorization != "AUTHORIZED" {
        blocked.push(Blocked {
            kind: kind::NOT_AUTHORIZED,
            severity: Severity::High,
            message: format!("the account is not authorized to use {id} ({})", or_none(&a.authorization)),
            fix: format!(
                "Allow the Marketplace actions for the principals that call Bedrock, only through Bedrock: \
                 {MARKETPLACE_STATEMENT}; and check that no SCP denies aws-marketplace:Subscribe"
            ),
            passing: false,
        });
    }
    if a.entitlement != "AVAILABLE" {
        blocked.push(Blocked {
            kind: kind::NOT_ENTITLED,
            severity: Severity::High,
            message: format!("the account is not entitled to {id} ({})", or_none(&a.entitlement)),
            fix: "Make sure the account has a valid payment method and that the Marketplace subscription for the model \
                  exists (AWS Marketplace console > Manage subscriptions)"
                .to_string(),
            passing: false,
        });
    }
    if a.region != "AVAILABLE" {
        blocked.push(Blocked {
            kind: kind::REGION,
            severity: Severity::High,
            message: format!("{id} is not available in {region} ({})", or_none(&a.region)),
            fix: format!("Call it through a cross-region inference profile, or from a region that offers it (--region ...); {region} does not"),
            passing: false,
        });
    }

    let evidence = |finding: Finding| {
        let finding = finding
            .evidence("model_id", id.clone())
            .evidence(
                "use_case_form",
                match form {
                    Ok(true) => "submitted",
                    Ok(false) => "not-submitted",
                    Err(_) => "unknown",
                },
            )
            .evidence("agreement", a.agreement.clone())
            .evidence("authorization", a.authorization.clone())
            .evidence("entitlement", a.entitlement.clone())
            .evidence("region_availability", a.region.clone());
        match may_subscribe {
            Some(allowed) => finding.evidence("may_subscribe", allowed),
            None => finding,
        }
    };
    if blocked.is_empty() {
        if let Err(error) = form {
            // Every other gate is open; the one left unread is the most common first-day failure.
            return evidence(
                Finding::error(
                    &META,
                    kind::USE_CASE_UNKNOWN,
                    format!(
                        "{id}: agreement, authorization, entitlement and region are available, but whether the account \
                         submitted the Anthropic use case form could not be read: {error}"
                    ),
                )
                .remediation(Remediation::new(
                    "Allow bedrock:GetUseCaseForModelAccess (in the preflight-readonly policy), or check in the Bedrock \
                     console > Model catalog that the Anthropic use case details were submitted",
                )),
            );
        }
        return evidence(Finding::pass(
            &META,
            kind::GRANTED,
            "Model access granted",
            format!(
                "{id}: use case form submitted; agreement, authorization, entitlement and region all available"
            ),
        ));
    }
    let first = &blocked[0];
    let severity = blocked
        .iter()
        .map(|b| b.severity)
        .max()
        .unwrap_or(Severity::High);
    let message = blocked
        .iter()
        .map(|b| b.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let fix = Remediation::new(
        blocked
            .iter()
            .map(|b| b.fix.as_str())
            .collect::<Vec<_>>()
            .join(". "),
    );
    let finding = if blocked.iter().all(|b| b.passing) {
        Finding::warn(
            &META,
            first.kind,
            severity,
            "Model access pending",
            message,
            fix,
        )
    } else {
        let blocking = blocked.iter().find(|b| !b.passing).unwrap_or(first);
        Finding::fail(
            &META,
            blocking.kind,
            severity,
            "No access to the model",
            message,
            fix,
        )
    };
    evidence(finding)
}

fn or_none(value: &str) -> &str {
    if value.is_empty() { "no status" } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsErrorKind, catalog};
    use crate::checks::testing::{model, target};
    use crate::engine::Status;

    fn available() -> Availability {
        Availability {
            agreement: "AVAILABLE".into(),
            agreement_error: None,
            authorization: "AUTHORIZED".into(),
            entitlement: "AVAILABLE".into(),
            region: "AVAILABLE".into(),
        }
    }

    type Change = fn(&mut Availability);

    fn judged_with(
        change: impl FnOnce(&mut Availability),
        form: Result<bool, AwsError>,
        may_subscribe: Option<bool>,
    ) -> Finding {
        let mut a = available();
        change(&mut a);
        let t = target(
            "anthropic.claude-sonnet-4-6",
            model(
                "anthropic.claude-sonnet-4-6",
                "ACTIVE",
                &["INFERENCE_PROFILE"],
            ),
        );
        judge(&a, &t, &form, may_subscribe)
    }

    fn judged(change: impl FnOnce(&mut Availability)) -> Finding {
        judged_with(change, Ok(true), None)
    }

    #[test]
    fn every_gate_open_passes() {
        let finding = judged(|_| {});
        assert_eq!(finding.code(), "models.access/granted");
        assert_eq!(finding.evidence["use_case_form"], "submitted");
    }

    #[test]
    fn the_use_case_form_is_its_own_gate() {
        let missing = judged_with(|_| {}, Ok(false), None);
        assert_eq!(
            (missing.status, missing.code().as_str()),
            (Status::Fail, "models.access/use-case-form-missing")
        );
        let fix = missing.remediation.unwrap();
        assert!(
            fix.contains(
                "bedrock-preflight setup model-access --model anthropic.claude-sonnet-4-6 --region us-east-1 \
                 --use-case-form use-case-form.json --yes"
            ),
            "{fix}"
        );
        assert!(!fix.to_lowercase().contains("model access page"), "{fix}");
        let denied = AwsError::new(
            AwsErrorKind::Denied,
            &catalog::GET_USE_CASE_FOR_MODEL_ACCESS,
            "not authorized",
        );
        let unknown = judged_with(|_| {}, Err(denied), None);
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (Status::Error, "models.access/use-case-form-unverified")
        );
    }

    #[test]
    fn a_missing_agreement_depends_on_whether_the_caller_may_subscribe() {
        let missing = |a: &mut Availability| a.agreement = "NOT_AVAILABLE".into();
        let may = judged_with(missing, Ok(true), Some(true));
        assert_eq!(
            (may.status, may.code().as_str()),
            (Status::Warn, "models.access/agreement-on-first-call")
        );
        let may_not = judged_with(missing, Ok(true), Some(false));
        assert_eq!(
            (may_not.status, may_not.code().as_str()),
            (Status::Fail, "models.access/agreement-not-accepted")
        );
        assert!(
            may_not
                .message
                .contains("may not complete the Marketplace subscription")
        );
        let fix = may_not.remediation.unwrap();
        assert!(
            fix.contains("aws:CalledViaLast")
                && fix.contains(
                    "bedrock-preflight setup model-access --model anthropic.claude-sonnet-4-6 --region us-east-1 --yes"
                ),
            "{fix}"
        );
        let unknown = judged_with(missing, Ok(true), None);
        assert_eq!(unknown.status, Status::Fail);
    }

    #[test]
    fn each_missing_field_fails_with_its_own_code_and_fix() {
        let cases: [(Change, &str, &str); 3] = [
            (
                |a| a.authorization = "NOT_AUTHORIZED".into(),
                "not-authorized",
                "aws-marketplace:Subscribe",
            ),
            (
                |a| a.entitlement = "NOT_AVAILABLE".into(),
                "not-entitled",
                "payment method",
            ),
            (
                |a| a.region = "NOT_AVAILABLE".into(),
                "region-unavailable",
                "cross-region inference profile",
            ),
        ];
        for (change, kind, fix) in cases {
            let finding = judged(change);
            assert_eq!(finding.code(), format!("models.access/{kind}"));
            assert!(
                finding.remediation.as_deref().unwrap().contains(fix),
                "{fix}"
            );
        }
    }

    #[test]
    fn a_pending_agreement_warns_and_a_pending_one_with_a_denial_fails() {
        let pending = judged(|a| a.agreement = "PENDING".into());
        assert_eq!(
            (pending.status, pending.code().as_str()),
            (Status::Warn, "models.access/agreement-pending")
        );
        let both = judged(|a| {
            a.agreement = "PENDING".into();
            a.entitlement = "NOT_AVAILABLE".into();
        });
        assert_eq!(
            (both.status, both.code().as_str()),
            (Status::Fail, "models.access/not-entitled")
        );
    }

    #[test]
    fn a_value_this_version_does_not_know_is_never_read_as_available() {
        for change in [
            (|a: &mut Availability| a.agreement = "SOMETHING_NEW".into()) as Change,
            |a| a.authorization = String::new(),
            |a| a.entitlement = "MAYBE".into(),
            |a| a.region = "SOON".into(),
        ] {
            assert_eq!(
                judged_with(change, Ok(true), Some(true)).status,
                Status::Fail
            );
        }
    }
}
