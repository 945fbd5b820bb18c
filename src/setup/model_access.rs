//! `setup model-access`: what an account needs before its first Claude call now that the
//! Bedrock model access page is gone: the Anthropic use case form, submitted from the file
//! the admin wrote, and each model's agreement, accepted from its offer.

use serde_json::Value;

use crate::domain::Region;
use crate::plan::{Change, Plan, Rerun, Step};

/// What a region says of one model's agreement.
pub struct AgreementNow {
    pub region: Region,
    pub model_id: String,
    /// `AVAILABLE`, `PENDING`, `NOT_AVAILABLE`, `ERROR`, or what AWS adds.
    pub status: String,
    /// The offer tokens, read when the agreement is not in place.
    pub offers: Vec<String>,
}

/// What the plan cannot do; the command names each and exits 1.
#[derive(Debug, PartialEq, Eq)]
pub enum Blocker {
    /// The form is not submitted and no `--use-case-form` was given: the tool never writes
    /// one itself.
    FormMissing,
    NoOffer {
        region: Region,
        model_id: String,
    },
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocker::FormMissing => write!(
                f,
                "the account has not submitted the Anthropic use case form: write it as a JSON file (the fields of \
                 the form in the Bedrock console > Model catalog > an Anthropic model) and pass --use-case-form FILE"
            ),
            Blocker::NoOffer { region, model_id } => write!(
                f,
                "Bedrock lists no agreement offer for {model_id} in {region}: accept it in the Bedrock console > \
                 Model catalog > {model_id}, or check that the model is offered in {region}"
            ),
        }
    }
}

/// The steps from what the account holds to the form submitted and every agreement in
/// place, and what stands in the way that the plan cannot remove.
pub fn plan_model_access(
    form_submitted: bool,
    form_region: &Region,
    form: Option<&Value>,
    agreements: &[AgreementNow],
) -> (Plan, Vec<Blocker>) {
    let mut steps = Vec::new();
    let mut blockers = Vec::new();
    match (form_submitted, form) {
        (true, _) => {}
        (false, Some(form)) => steps.push(Step {
            summary: "Submit the Anthropic use case form (once for the account)".into(),
            change: Change::PutUseCase {
                region: form_region.clone(),
                form: form.to_string(),
            },
            rerun: Rerun::Safe,
            detail: Some(serde_json::to_string_pretty(form).unwrap_or_default() + "\n"),
        }),
        (false, None) => blockers.push(Blocker::FormMissing),
    }
    for agreement in agreements {
        if matches!(agreement.status.as_str(), "AVAILABLE" | "PENDING") {
            continue;
        }
        match agreement.offers.first() {
            Some(token) => steps.push(Step {
                summary: format!(
                    "Accept the {} agreement in {} (now {})",
                    agreement.model_id,
                    agreement.region,
                    if agreement.status.is_empty() {
                        "none"
                    } else {
                        &agreement.status
                    }
                ),
                change: Change::CreateModelAgreement {
                    region: agreement.region.clone(),
                    model_id: agreement.model_id.clone(),
                    offer_token: token.clone(),
                },
                rerun: Rerun::PlanFirst,
                detail: None,
            }),
            None => blockers.push(Blocker::NoOffer {
                region: agreement.region.clone(),
                model_id: agreement.model_id.clone(),
            }),
        }
    }
    let mut unique: Vec<&str> = Vec::new();
    for agreement in agreements {
        if !unique.contains(&agreement.model_id.as_str()) {
            unique.push(&agreement.model_id);
        }
    }
    (
        Plan {
            goal: format!("access to {} for this account", unique.join(", ")),
            steps,
            unchanged: Vec::new(),
        },
        blockers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agreement(status: &str, offers: &[&str]) -> AgreementNow {
        AgreementNow {
            region: "us-east-1".parse().unwrap(),
            model_id: "anthropic.claude-sonnet-4-6".into(),
            status: status.into(),
            offers: offers.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[test]
    fn the_form_from_the_file_and_the_agreement_from_its_offer() {
        let region: Region = "us-east-1".parse().unwrap();
        let form = json!({"companyName": "Example Corp", "useCases": "Coding assistant"});
        let (plan, blockers) = plan_model_access(
            false,
            &region,
            Some(&form),
            &[agreement("NOT_AVAILABLE", &["tok"])],
        );
        assert!(blockers.is_empty());
        assert_eq!(
            plan.operations(),
            [
                "bedrock:PutUseCaseForModelAccess",
                "bedrock:CreateFoundationModelAgreement"
            ]
        );
        let Change::PutUseCase { form: sent, .. } = &plan.steps[0].change else {
            panic!()
        };
        assert_eq!(
            serde_json::from_str::<Value>(sent).unwrap(),
            form,
            "sent as written"
        );

        let (plan, blockers) = plan_model_access(
            true,
            &region,
            Some(&form),
            &[agreement("AVAILABLE", &[]), agreement("PENDING", &[])],
        );
        assert!(plan.is_converged() && blockers.is_empty());
    }

    #[test]
    fn what_the_plan_cannot_do_is_named_not_invented() {
        let region: Region = "us-east-1".parse().unwrap();
        let (plan, blockers) = plan_model_access(false, &region, None, &[agreement("ERROR", &[])]);
        assert!(plan.is_converged(), "no form is made up, no offer guessed");
        assert_eq!(blockers.len(), 2);
        assert_eq!(blockers[0], Blocker::FormMissing);
        assert!(blockers[1].to_string().contains("no agreement offer"));
    }
}
