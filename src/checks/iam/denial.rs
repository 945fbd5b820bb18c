//! A denial as a finding: the layer of AWS's evaluation that stops the call (an SCP, an RCP,
//! the permission boundary or the identity policies), its kind and message, and what to change
//! at that layer.

use serde_json::json;

use super::simulator::Answer;
use super::{META, kind};
use crate::checks::facts::Source;
use crate::domain::{INVOKE_ACTIONS, Invocation, Need, arn_region};
use crate::engine::{Finding, Remediation, Severity};
use crate::iam::{Decision, PolicyType};
use crate::remediation::scp_exemption;

/// The region a need is authorized in: its ARN's, or the call's for a region-less one.
pub(super) fn region_of(need: &Need, invocation: &Invocation) -> String {
    arn_region(&need.resource).unwrap_or_else(|| invocation.region.to_string())
}

/// The finding for the actions IAM or the organization denies on one need, naming the layer
/// that denies and what to change there; and whether a grant attached to the principal
/// repairs it (no statement allows, and nothing above the identity policies denies).
pub(super) fn denial(
    principal: &str,
    invocation: &Invocation,
    need: &Need,
    denied: &[&Answer],
    source: Source,
    fix: Option<&str>,
) -> (Finding, bool) {
    let explicit = denied.iter().any(|a| a.explicit());
    let decision = if explicit {
        Decision::ExplicitDeny
    } else {
        Decision::ImplicitDeny
    };
    let actions: Vec<&str> = denied.iter().map(|a| a.action.as_str()).collect();
    let org_denial = denied.iter().find_map(|a| a.organization.as_ref());
    let matched: Vec<String> = denied
        .iter()
        .flat_map(|a| {
            // Where IAM allowed and only the organization denies, IAM's statements are the
            // allows: they did not deny.
            let iam_denied = a.decision != Ok(Decision::Allowed);
            a.organization
                .iter()
                .flat_map(|o| o.statements.clone())
                .chain(a.matched.iter().filter(move |_| iam_denied).cloned())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let is_profile = invocation
        .profile
        .as_ref()
        .is_some_and(|p| p.arn == need.resource);
    let layer = if org_denial.is_some_and(|o| o.layer == PolicyType::Rcp) {
        Layer::ResourceControlPolicy
    } else if org_denial.is_some()
        || denied
            .iter()
            .any(|a| a.allowed_by_organizations == Some(false))
    {
        Layer::ServiceControlPolicy
    } else if denied.iter().any(|a| a.allowed_by_boundary == Some(false)) {
        Layer::PermissionBoundary
    } else {
        Layer::IdentityPolicy
    };
    let (kind, title) = match (layer, &invocation.profile, is_profile) {
        (Layer::ServiceControlPolicy, ..) => {
            (kind::SCP_DENIED, "A service control policy denies the call")
        }
        (Layer::ResourceControlPolicy, ..) => (
            kind::RCP_DENIED,
            "A resource control policy denies the call",
        ),
        (Layer::PermissionBoundary, ..) => (
            kind::BOUNDARY_DENIED,
            "The permission boundary does not allow the call",
        ),
        (_, Some(_), true) => (
            kind::PROFILE_DENIED,
            "Principal may not invoke the inference profile",
        ),
        (_, Some(_), false) => (
            kind::DESTINATION_DENIED,
            "Principal may not invoke the inference profile's destination models",
        ),
        (_, None, _) => (kind::MODEL_DENIED, "Principal may not invoke the model"),
    };
    let how = match (layer, explicit) {
        (Layer::ServiceControlPolicy, _) => {
            "denied by a service control policy of the organization (an IAM policy cannot override it)"
        }
        (Layer::ResourceControlPolicy, _) => {
            "denied by a resource control policy of the organization (an IAM policy cannot override it)"
        }
        (Layer::PermissionBoundary, _) => {
            "outside the principal's permission boundary (the boundary allows no such call)"
        }
        (_, true) => "explicitly denied",
        (_, false) => "implicitly denied (no statement allows it)",
    };
    let mut message = format!("{} is {how} on {}", actions.join(" and "), need.resource);
    if !matched.is_empty() {
        message.push_str(&format!(", by {}", matched.join(", ")));
    }
    let fix = match layer {
        Layer::ServiceControlPolicy if invocation.profile.is_some() && !is_profile => {
            match org_denial {
                Some(org) if org.explicit => Remediation::new(format!(
                    "{} The statement that denies: {}",
                    scp_exemption(invocation),
                    org.statements.join(", ")
                )),
                _ => Remediation::new(scp_exemption(invocation)),
            }
        }
        Layer::ServiceControlPolicy | Layer::ResourceControlPolicy if !matched.is_empty() => {
            Remediation::new(format!(
                "Ask the organization's administrators to change {} so that it allows {} on {}",
                matched.join(", "),
                actions.join(" and "),
                need.resource
            ))
        }
        Layer::ServiceControlPolicy | Layer::ResourceControlPolicy => Remediation::new(format!(
            "Ask the organization's administrators which {} denies {} on {} \
             (AWS Organizations console > Policies, on this account and its OUs; or run bedrock-preflight \
             as the management account or a delegated administrator, which may read them)",
            if layer == Layer::ServiceControlPolicy {
                "service control policy"
            } else {
                "resource control policy"
            },
            actions.join(" and "),
            need.resource
        )),
        Layer::PermissionBoundary => Remediation::new(format!(
            "Add this statement to the permission boundary of {principal} (a boundary must allow what \
             the identity policies grant): {}",
            grant(invocation)
        )),
        Layer::IdentityPolicy if explicit => Remediation::new(format!(
            "Remove or narrow the Deny that matches ({}): an Allow cannot override an explicit deny",
            if matched.is_empty() {
                "see the principal's policies".to_string()
            } else {
                matched.join(", ")
            }
        )),
        Layer::IdentityPolicy => Remediation::new(match fix {
            Some(command) => format!(
                "{command}\n(or add this policy statement to {principal}: {})",
                grant(invocation)
            ),
            None => format!(
                "Add this policy statement to {principal}: {}",
                grant(invocation)
            ),
        }),
    };
    let attachable = layer == Layer::IdentityPolicy && !explicit;
    let finding = Finding::fail(&META, kind, Severity::High, title, message, fix)
        .region(region_of(need, invocation))
        .resource(need.resource.clone())
        .evidence("decision", decision.as_str())
        .evidence("denied_by", layer.as_str())
        .evidence("source", source.as_str())
        .evidence("actions", actions)
        .evidence("matched", matched)
        .evidence("model_id", invocation.model_id.clone())
        .evidence(
            "context",
            need.context
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect::<serde_json::Map<_, _>>(),
        );
    (finding, attachable)
}

/// Which layer of AWS's evaluation denies, as the simulator attributes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layer {
    ServiceControlPolicy,
    ResourceControlPolicy,
    PermissionBoundary,
    IdentityPolicy,
}

impl Layer {
    fn as_str(self) -> &'static str {
        match self {
            Layer::ServiceControlPolicy => "service-control-policy",
            Layer::ResourceControlPolicy => "resource-control-policy",
            Layer::PermissionBoundary => "permission-boundary",
            Layer::IdentityPolicy => "identity-policy",
        }
    }
}

/// The least statement set that lets `invocation` through, as JSON to paste.
fn grant(invocation: &Invocation) -> String {
    let statements = match &invocation.profile {
        Some(profile) => json!([
            {"Sid": "InvokeThroughProfile", "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": profile.arn},
            {"Sid": "InvokeProfileDestinations", "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": profile.model_arns,
             "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile.arn}}}
        ]),
        None => {
            json!([{"Sid": "InvokeModel", "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": invocation.model.arn}])
        }
    };
    statements.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::iam::simulator::locally;
    use crate::domain::needs;
    use crate::domain::testing::{SONNET, invocation, model, profile};
    use crate::iam::{NamedPolicy, Policy, PolicySet};
    use serde_json::Value;

    const PRINCIPAL: &str = "arn:aws:iam::123456789012:user/team/dev";

    fn through(id: &str, destinations: &[&str]) -> Invocation {
        invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(id, SONNET, destinations)),
        )
    }

    fn policies(document: Value) -> PolicySet {
        PolicySet::identity(vec![NamedPolicy {
            name: "team-policy".into(),
            policy: Policy::parse(&document).unwrap(),
        }])
    }

    #[test]
    fn local_evaluation_finds_the_region_a_policy_leaves_out() {
        let call = through(&format!("us.{SONNET}"), &["us-east-1", "us-west-2"]);
        let profile_arn = call.profile.as_ref().unwrap().arn.clone();
        let set = policies(json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Profile", "Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": profile_arn},
                {"Sid": "East", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
                 "Resource": format!("arn:aws:bedrock:us-east-1::foundation-model/{SONNET}"),
                 "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile_arn}}},
                {"Sid": "NoStreaming", "Effect": "Deny", "Action": "bedrock:InvokeModelWithResponseStream",
                 "Resource": format!("arn:aws:bedrock:us-west-2::foundation-model/{SONNET}")}
            ]
        }));
        let needs = needs(&call);
        let answers = locally(&set, &needs);
        let decisions: Vec<Vec<&str>> = answers
            .iter()
            .map(|a| {
                a.iter()
                    .map(|a| a.decision.as_ref().map_or("?", |d| d.as_str()))
                    .collect()
            })
            .collect();
        assert_eq!(
            decisions,
            [
                ["allowed", "allowed"],
                ["allowed", "allowed"],
                ["implicitDeny", "explicitDeny"]
            ]
        );
        let denied: Vec<&Answer> = answers[2].iter().collect();
        let (finding, attachable) =
            denial(PRINCIPAL, &call, &needs[2], &denied, Source::Local, None);
        assert!(!attachable, "no grant overrides an explicit Deny");
        assert_eq!(finding.code(), "iam.invoke/destination-denied");
        assert_eq!(finding.evidence["decision"], "explicitDeny");
        assert_eq!(finding.region.as_deref(), Some("us-west-2"));
        assert!(
            finding.message.contains("team-policy (Sid NoStreaming)"),
            "{}",
            finding.message
        );
        assert!(
            finding
                .remediation
                .unwrap()
                .starts_with("Remove or narrow the Deny")
        );
    }

    #[test]
    fn an_implicit_denial_offers_the_statements_to_add() {
        let call = through(&format!("us.{SONNET}"), &["us-east-1", "us-west-2"]);
        let needs = needs(&call);
        let answers = locally(
            &policies(json!({"Version": "2012-10-17", "Statement": []})),
            &needs,
        );
        let denied: Vec<&Answer> = answers[0].iter().collect();
        let command = "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes";
        let (finding, attachable) = denial(
            PRINCIPAL,
            &call,
            &needs[0],
            &denied,
            Source::Local,
            Some(command),
        );
        assert!(attachable, "a grant attached to the principal repairs it");
        assert_eq!(finding.code(), "iam.invoke/profile-denied");
        let fix = finding.remediation.unwrap();
        let (first, rest) = fix.split_once('\n').unwrap();
        assert_eq!(first, command, "the command first, runnable as printed");
        let statement = rest.split_once(": ").unwrap().1.trim_end_matches(')');
        let grant: Value = serde_json::from_str(statement).unwrap();
        assert_eq!(grant[1]["Resource"].as_array().unwrap().len(), 2);
        assert_eq!(
            grant[1]["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"],
            call.profile.unwrap().arn
        );
        let on_demand = invocation(model(SONNET, "ACTIVE", &["ON_DEMAND"]), None);
        let needs = crate::domain::needs(&on_demand);
        let answers = locally(
            &policies(json!({"Version": "2012-10-17", "Statement": []})),
            &needs,
        );
        let denied: Vec<&Answer> = answers[0].iter().collect();
        assert_eq!(
            denial(
                PRINCIPAL,
                &on_demand,
                &needs[0],
                &denied,
                Source::Local,
                None
            )
            .0
            .code(),
            "iam.invoke/model-denied"
        );
    }
}
