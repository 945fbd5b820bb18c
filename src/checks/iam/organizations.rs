//! The organization's service and resource control policies, where the caller may read them
//! (management account or delegated administrator): evaluated alone for each answer, so that
//! a denial names the SCP or RCP that decides and the level of the organization it is
//! attached at.

use super::simulator::Answer;
use crate::aws::{AwsError, Organization, OrganizationPolicies};
use crate::checks::facts::CallerIdentity;
use crate::domain::{Arn, Need};
use crate::iam::{Caller, Decision, PolicySet, PolicyType, Request, evaluate};

/// An SCP or RCP denial found by evaluating the organization's policies.
#[derive(Clone, Debug)]
pub(super) struct OrgDenial {
    pub(super) layer: PolicyType,
    pub(super) explicit: bool,
    /// `FullAWSAccess (p-FullAWSAccess) (Sid X), level 2 (ou-ab12-cdef3456)`; for an implicit
    /// denial, the level that allows nothing.
    pub(super) statements: Vec<String>,
}

/// What the run could see of the organization's policies.
pub(super) fn organization_seen(organization: &Result<Organization, AwsError>) -> &'static str {
    match organization {
        Ok(Organization::None) => "not-in-organization",
        Ok(Organization::Management { .. }) => "management-account",
        Ok(Organization::Member(_)) => "read",
        Err(_) => "unreadable",
    }
}

/// Each answer with the organization's own verdict on it, where its policies could be read.
pub(super) fn apply(
    organization: &Result<Organization, AwsError>,
    identity: &CallerIdentity,
    needs: &[Need],
    answers: &mut [Vec<Answer>],
) {
    if let Ok(Organization::Member(org)) = organization {
        let caller = identity.caller_arn.parse::<Caller>().ok();
        for (need, answers) in needs.iter().zip(answers.iter_mut()) {
            for answer in answers {
                answer.organization = organization_verdict(
                    org,
                    caller.as_ref(),
                    &identity.account,
                    need,
                    &answer.action,
                );
            }
        }
    }
}

/// The organization's own verdict on one action and resource: its SCPs (and, for resources
/// of the account, its RCPs) evaluated alone, so that only their denial shows.
fn organization_verdict(
    org: &OrganizationPolicies,
    caller: Option<&Caller>,
    account: &str,
    need: &Need,
    action: &str,
) -> Option<OrgDenial> {
    let owned = need
        .resource
        .parse::<Arn>()
        .ok()
        .is_some_and(|arn| arn.account() == Some(account));
    let set = PolicySet {
        scps: org.scps.clone(),
        rcps: if owned { org.rcps.clone() } else { Vec::new() },
        ..PolicySet::default()
    };
    let mut request = need.context.iter().fold(
        Request::new(action, need.resource.clone()),
        |r, (key, values)| r.with(key, values.clone()),
    );
    if let Some(caller) = caller {
        request = request.with_caller(caller.clone());
    }
    let evaluation = evaluate(&set, &request);
    let layer = evaluation
        .denied_by
        .filter(|l| matches!(l.source, PolicyType::Scp | PolicyType::Rcp))?;
    let target = |level: Option<usize>| {
        level
            .and_then(|l| org.levels.get(l - 1))
            .map(|target| format!("level {} ({target})", level.unwrap_or_default()))
            .unwrap_or_default()
    };
    let statements = if evaluation.decision == Decision::ExplicitDeny {
        evaluation
            .matched
            .iter()
            .map(|m| format!("{}, {}", m.label(), target(m.level)))
            .collect()
    } else {
        vec![format!(
            "no {} at {} allows it",
            layer.source.describe(),
            target(layer.level)
        )]
    };
    Some(OrgDenial {
        layer: layer.source,
        explicit: evaluation.decision == Decision::ExplicitDeny,
        statements,
    })
}
