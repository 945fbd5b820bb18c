//! `models.access`: GetFoundationModelAvailability says the account may use the model here.
//! Each of its four fields fails with its own cause and fix; a value this version does not
//! know is never read as available.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::models::{ModelTarget, ModelTargets};
use crate::domain::Availability;
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};

check! {
    ModelsAccess = "models.access" {
        title: "Model access",
        description: "GetFoundationModelAvailability: the model's agreement is accepted, the account \
                      is authorized and entitled, and the model is available in the region",
        commands: [Doctor],
        depends_on: ["models.lifecycle"],
        after: [],
        severity: High,
        kinds: {
            GRANTED = "granted",
            PENDING = "agreement-pending",
            NO_ACCESS = "no-access",
        },
    }
}

#[async_trait]
impl Check for ModelsAccess {
    fn meta(&self) -> &'static CheckMeta {
        &META
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
        let findings = join_all(unique.into_iter().map(|target| async move {
            let finding = match cx
                .aws
                .model_availability(&target.region, &target.model.id)
                .await
            {
                Ok(availability) => judge(&availability, target),
                Err(error) => Finding::aws_error(&META, &error),
            };
            finding
                .region(target.region.as_str())
                .resource(target.model.arn.clone())
        }))
        .await;
        Ok(findings)
    }
}

fn judge(a: &Availability, target: &ModelTarget) -> Finding {
    let id = &target.model.id;
    let region = &target.region;
    let mut problems: Vec<(Severity, String, String, bool)> = Vec::new(); // (severity, message, fix, is_warning)
    match a.agreement.as_str() {
        "AVAILABLE" => {}
        "PENDING" => problems.push((
            Severity::Medium,
            format!("the model agreement for {id} is still being processed (it can take up to 15 minutes)"),
            "Wait a few minutes and run again".to_string(),
            true,
        )),
        "NOT_AVAILABLE" => problems.push((
            Severity::High,
            format!("the model agreement for {id} has not been accepted in this account"),
            format!(
                "Submit the Anthropic first-time-use form once per account (Bedrock console > Model catalog > {} > Submit use case details, \
                 or aws bedrock put-use-case-for-model-access from the organization's management account), then invoke the model once \
                 with aws-marketplace:Subscribe allowed so the Marketplace subscription is created",
                target.model.name.as_deref().unwrap_or(id)
            ),
            false,
        )),
        other => problems.push((
            Severity::High,
            format!(
                "the model agreement for {id} is in state {}{}",
                if other.is_empty() { "(none)" } else { other },
                a.agreement_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            ),
            "Open the model in the Bedrock console (Model catalog) to see what the agreement needs, or contact AWS Support".to_string(),
            false,
        )),
    }
    match a.authorization.as_str() {
        "AUTHORIZED" => {}
        other => problems.push((
            Severity::High,
            format!("the account is not authorized to use {id} ({})", if other.is_empty() { "no status" } else { other }),
            "Allow aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe (condition aws:CalledViaLast = bedrock.amazonaws.com) \
             for the principals that call Bedrock, and check that no SCP denies them"
                .to_string(),
            false,
        )),
    }
    match a.entitlement.as_str() {
        "AVAILABLE" => {}
        other => problems.push((
            Severity::High,
            format!("the account is not entitled to {id} ({})", if other.is_empty() { "no status" } else { other }),
            "Make sure the account has a valid payment method and that the Marketplace subscription for the model exists \
             (AWS Marketplace console > Manage subscriptions)"
                .to_string(),
            false,
        )),
    }
    match a.region.as_str() {
        "AVAILABLE" => {}
        other => problems.push((
            Severity::High,
            format!("{id} is not available in {region} ({})", if other.is_empty() { "no status" } else { other }),
            format!("Call it through a cross-region inference profile, or from a region that offers it (--region ...); {region} does not"),
            false,
        )),
    }

    let evidence = |finding: Finding| {
        finding
            .evidence("model_id", id.clone())
            .evidence("agreement", a.agreement.clone())
            .evidence("authorization", a.authorization.clone())
            .evidence("entitlement", a.entitlement.clone())
            .evidence("region_availability", a.region.clone())
    };
    if problems.is_empty() {
        return evidence(Finding::pass(
            &META,
            kind::GRANTED,
            "Model access granted",
            format!("{id}: agreement, authorization, entitlement and region all available"),
        ));
    }
    let severity = problems.iter().map(|p| p.0).max().unwrap_or(Severity::High);
    let message = problems
        .iter()
        .map(|p| p.1.clone())
        .collect::<Vec<_>>()
        .join("; ");
    let fix = Remediation::new(
        problems
            .iter()
            .map(|p| p.2.clone())
            .collect::<Vec<_>>()
            .join(". "),
    );
    let finding = if problems.iter().all(|p| p.3) {
        Finding::warn(
            &META,
            kind::PENDING,
            severity,
            "Model access pending",
            message,
            fix,
        )
    } else {
        Finding::fail(
            &META,
            kind::NO_ACCESS,
            severity,
            "No access to the model",
            message,
            fix,
        )
    };
    evidence(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn judged(change: impl FnOnce(&mut Availability)) -> Finding {
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
        judge(&a, &t)
    }

    #[test]
    fn every_field_available_passes() {
        let finding = judged(|_| {});
        assert_eq!(finding.code(), "models.access/granted");
        assert_eq!(finding.evidence["authorization"], "AUTHORIZED");
    }

    #[test]
    fn each_missing_field_fails_with_its_own_fix() {
        let cases: [(Change, &str); 4] = [
            (
                |a| a.agreement = "NOT_AVAILABLE".into(),
                "first-time-use form",
            ),
            (
                |a| a.authorization = "NOT_AUTHORIZED".into(),
                "aws-marketplace:Subscribe",
            ),
            (|a| a.entitlement = "NOT_AVAILABLE".into(), "payment method"),
            (
                |a| a.region = "NOT_AVAILABLE".into(),
                "cross-region inference profile",
            ),
        ];
        for (change, fix) in cases {
            let finding = judged(change);
            assert_eq!(finding.code(), "models.access/no-access");
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
        assert_eq!(both.status, Status::Fail);
    }

    #[test]
    fn a_value_this_version_does_not_know_is_never_read_as_available() {
        for change in [
            (|a: &mut Availability| a.agreement = "SOMETHING_NEW".into()) as Change,
            |a| a.authorization = String::new(),
            |a| a.entitlement = "MAYBE".into(),
            |a| a.region = "SOON".into(),
        ] {
            assert_eq!(judged(change).status, Status::Fail);
        }
    }
}
