//! What IAM says of each need, action by action: the simulator's answer read strictly (either
//! shape it returns), local evaluation of the principal's policies where it may not simulate,
//! or the root user's standing. The organization's policies are applied afterwards
//! (`organizations`).

use super::organizations::OrgDenial;
use crate::domain::{INVOKE_ACTIONS, Need, SimulatedDecision};
use crate::iam::{Decision, PolicySet, Request, evaluate};

/// What one source said about one (action, resource).
#[derive(Clone, Debug)]
pub(super) struct Answer {
    pub(super) action: String,
    /// AWS's word when it is none this version knows.
    pub(super) decision: Result<Decision, String>,
    pub(super) matched: Vec<String>,
    /// What the simulator said of the organization's SCPs and the permission boundary;
    /// `None` where it said nothing (and for local evaluation).
    pub(super) allowed_by_organizations: Option<bool>,
    pub(super) allowed_by_boundary: Option<bool>,
    /// Where the organization's policies were read and they deny: which and how.
    pub(super) organization: Option<OrgDenial>,
}

impl Answer {
    pub(super) fn allowed(&self) -> bool {
        self.decision == Ok(Decision::Allowed) && self.organization.is_none()
    }

    pub(super) fn explicit(&self) -> bool {
        self.decision == Ok(Decision::ExplicitDeny)
            || self.organization.as_ref().is_some_and(|o| o.explicit)
    }
}

/// The simulator's decisions on one need, read as one answer per invoke action.
pub(super) fn simulated(decisions: &[SimulatedDecision], need: &Need) -> Vec<Answer> {
    INVOKE_ACTIONS
        .iter()
        .map(|action| {
            // Each simulation asks about one resource, so a result that names none (the older
            // shape's `*`, or a template such as `arn:${Partition}:bedrock:...`) is about it.
            let about = |d: &&SimulatedDecision| {
                d.action.eq_ignore_ascii_case(action)
                    && (d.resource == need.resource
                        || d.resource == "*"
                        || d.resource.is_empty()
                        || d.resource.contains("${"))
            };
            let exact = decisions
                .iter()
                .find(|d| d.action.eq_ignore_ascii_case(action) && d.resource == need.resource);
            match exact.or_else(|| decisions.iter().find(about)) {
                Some(d) => Answer {
                    action: action.to_string(),
                    decision: Decision::from_simulator(&d.decision)
                        .ok_or_else(|| d.decision.clone()),
                    matched: d.matched.clone(),
                    allowed_by_organizations: d.allowed_by_organizations,
                    allowed_by_boundary: d.allowed_by_boundary,
                    organization: None,
                },
                None => Answer {
                    action: action.to_string(),
                    decision: Err("(no answer)".into()),
                    matched: Vec::new(),
                    allowed_by_organizations: None,
                    allowed_by_boundary: None,
                    organization: None,
                },
            }
        })
        .collect()
}

/// The root user's answers: IAM cannot simulate it, and no IAM policy limits it; only the
/// organization's policies can.
pub(super) fn as_root(needs: &[Need]) -> Vec<Vec<Answer>> {
    let allowed = |action: &str| Answer {
        action: action.to_string(),
        decision: Ok(Decision::Allowed),
        matched: Vec::new(),
        allowed_by_organizations: None,
        allowed_by_boundary: None,
        organization: None,
    };
    needs
        .iter()
        .map(|_| INVOKE_ACTIONS.iter().map(|a| allowed(a)).collect())
        .collect()
}

/// Local evaluation of the principal's policies, for a principal that may not simulate them.
pub(super) fn locally(policies: &PolicySet, needs: &[Need]) -> Vec<Vec<Answer>> {
    needs
        .iter()
        .map(|need| {
            INVOKE_ACTIONS
                .iter()
                .map(|action| {
                    let request = need.context.iter().fold(
                        Request::new(*action, need.resource.clone()),
                        |r, (key, values)| r.with(key, values.clone()),
                    );
                    let evaluation = evaluate(policies, &request);
                    Answer {
                        action: action.to_string(),
                        decision: Ok(evaluation.decision),
                        allowed_by_organizations: None,
                        allowed_by_boundary: None,
                        organization: None,
                        matched: evaluation.matched.iter().map(|m| m.label()).collect(),
                    }
                })
                .collect()
        })
        .collect()
}
