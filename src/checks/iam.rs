//! `iam.invoke`: may this principal invoke the target models the way Bedrock will authorize the
//! call? Through a profile that is the profile ARN and the foundation model in every
//! destination region (and the region-less ARN of global profiles), each with the context
//! Bedrock sets. IAM's simulator answers first; where the principal may not simulate, its own
//! policies are read and evaluated locally. The finding says which source decided.

use async_trait::async_trait;
use futures_util::future::join_all;
use serde_json::json;

use super::facts::{CallerIdentity, IamVerdict, IamVerdicts, Invocations, PrincipalKind, Source};
use crate::aws::{AwsError, AwsErrorKind, AwsReader, Organization, OrganizationPolicies};
use crate::domain::{Arn, INVOKE_ACTIONS, Invocation, Need, SimulatedDecision, arn_region, needs};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::iam::{Caller, Decision, PolicySet, PolicyType, Request, evaluate};
use crate::remediation::{invoke_fix_command, scp_exemption};

check! {
    IamInvoke = "iam.invoke" {
        title: "Invoke permission",
        description: "The principal may call bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream \
                      on the profile and on the foundation model in every destination region \
                      (SimulatePrincipalPolicy, either answer shape; when that is denied, local \
                      evaluation of the policies it can read), and within the SCPs and RCPs of every \
                      level of the organization where the caller may read them (management account or \
                      delegated administrator), naming the statements that decided and the layer that \
                      denies: an SCP, an RCP, the permission boundary or identity policies",
        commands: [Doctor],
        depends_on: ["identity.caller", "profiles.resolve"],
        after: [],
        severity: High,
        kinds: {
            ALLOWED = "allowed",
            ROOT_USER = "root-user",
            FEDERATED_USER = "federated-user",
            PROFILE_DENIED = "profile-denied",
            DESTINATION_DENIED = "destination-denied",
            MODEL_DENIED = "model-denied",
            SCP_DENIED = "scp-denied",
            RCP_DENIED = "rcp-denied",
            BOUNDARY_DENIED = "boundary-denied",
            UNKNOWN_DECISION = "unknown-decision",
            CANNOT_EVALUATE = "cannot-evaluate",
        },
    }
}

/// What one source said about one (action, resource).
#[derive(Clone, Debug)]
struct Answer {
    action: String,
    /// AWS's word when it is none this version knows.
    decision: Result<Decision, String>,
    matched: Vec<String>,
    /// What the simulator said of the organization's SCPs and the permission boundary;
    /// `None` where it said nothing (and for local evaluation).
    allowed_by_organizations: Option<bool>,
    allowed_by_boundary: Option<bool>,
    /// Where the organization's policies were read and they deny: which and how.
    organization: Option<OrgDenial>,
}

impl Answer {
    fn allowed(&self) -> bool {
        self.decision == Ok(Decision::Allowed) && self.organization.is_none()
    }

    fn explicit(&self) -> bool {
        self.decision == Ok(Decision::ExplicitDeny)
            || self.organization.as_ref().is_some_and(|o| o.explicit)
    }
}

/// An SCP or RCP denial found by evaluating the organization's policies.
#[derive(Clone, Debug)]
struct OrgDenial {
    layer: PolicyType,
    explicit: bool,
    /// `FullAWSAccess (p-FullAWSAccess) (Sid X), level 2 (ou-ab12-cdef3456)`; for an implicit
    /// denial, the level that allows nothing.
    statements: Vec<String>,
}

/// What the run could see of the organization's policies.
fn organization_seen(organization: &Result<Organization, AwsError>) -> &'static str {
    match organization {
        Ok(Organization::None) => "not-in-organization",
        Ok(Organization::Management { .. }) => "management-account",
        Ok(Organization::Member(_)) => "read",
        Err(_) => "unreadable",
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

#[async_trait]
impl Check for IamInvoke {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        // The organization's policies need only the caller's account.
        if !super::signs(cx).await {
            return;
        }
        if let Ok(answer) = cx.aws.caller_identity().await
            && !answer.arn.contains(":federated-user/")
        {
            let _ = cx.aws.organization(&answer.account).await;
        }
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let identity = cx.require::<CallerIdentity>()?;
        let invocations = cx.require::<Invocations>()?;
        match identity.kind {
            PrincipalKind::FederatedUser => {
                return Ok(vec![Finding::skip(
                    &META,
                    kind::FEDERATED_USER,
                    "Skipped: IAM cannot simulate a federated user's session; runtime.probe is the evidence",
                )]);
            }
            PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::Root => {}
        }
        let fix = invoke_fix_command(&identity.principal_arn, &cx.scope.models, &cx.scope.regions);
        let results = join_all(
            invocations
                .list
                .iter()
                .map(|invocation| judge(&cx.aws, &identity, invocation, fix.as_deref())),
        )
        .await;
        let mut findings = Vec::new();
        let mut verdicts = IamVerdicts::default();
        for (invocation, (invocation_findings, verdict)) in invocations.list.iter().zip(results) {
            if let Some((allowed, source)) = verdict {
                verdicts.list.push(IamVerdict {
                    region: invocation.region.clone(),
                    model_id: invocation.model_id.clone(),
                    allowed,
                    source,
                });
            }
            findings.extend(invocation_findings);
        }
        cx.provide(verdicts);
        // A refused read of the organization is the usual case for member accounts and leaves
        // the verdicts standing (each says what it did not see); any other failure is an error
        // the run reports, once.
        if let Err(error) = cx.aws.organization(&identity.account).await
            && error.kind() != AwsErrorKind::Denied
        {
            findings.push(Finding::aws_error(&META, &error));
        }
        Ok(findings)
    }
}

async fn judge(
    aws: &AwsReader,
    identity: &CallerIdentity,
    invocation: &Invocation,
    fix: Option<&str>,
) -> (Vec<Finding>, Option<(bool, Source)>) {
    let principal = identity.principal_arn.as_str();
    let needs = needs(invocation);
    // The organization's policies do not depend on the simulation: both go out at once.
    let root = identity.kind == PrincipalKind::Root;
    let simulations = needs
        .iter()
        .filter(|_| !root)
        .map(|need| aws.simulate(principal, &INVOKE_ACTIONS, &need.resource, &need.context));
    // IAM cannot simulate the root user, whom only the organization's policies limit.
    let (simulated, organization) =
        tokio::join!(join_all(simulations), aws.organization(&identity.account));
    let (mut answers, source) = match simulated.iter().find_map(|r| r.as_ref().err()) {
        None if root => {
            let allowed = |action: &str| Answer {
                action: action.to_string(),
                decision: Ok(Decision::Allowed),
                matched: Vec::new(),
                allowed_by_organizations: None,
                allowed_by_boundary: None,
                organization: None,
            };
            let answers = needs
                .iter()
                .map(|_| INVOKE_ACTIONS.iter().map(|a| allowed(a)).collect())
                .collect();
            (answers, Source::Root)
        }
        None => {
            let answers = simulated
                .into_iter()
                .zip(&needs)
                .map(|(result, need)| {
                    let decisions = result.unwrap_or_default();
                    INVOKE_ACTIONS
                        .iter()
                        .map(|action| {
                            // Each simulation asks about one resource, so a result that
                            // names none (the older shape's `*`, or a template such as
                            // `arn:${Partition}:bedrock:...`) is about that one.
                            let about = |d: &&SimulatedDecision| {
                                d.action.eq_ignore_ascii_case(action)
                                    && (d.resource == need.resource
                                        || d.resource == "*"
                                        || d.resource.is_empty()
                                        || d.resource.contains("${"))
                            };
                            let exact = decisions.iter().find(|d| {
                                d.action.eq_ignore_ascii_case(action) && d.resource == need.resource
                            });
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
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>();
            (answers, Source::Simulate)
        }
        Some(error) if error.kind() == AwsErrorKind::Denied => {
            match aws.principal_policies(principal).await {
                Ok(policies) => (locally(&policies, &needs), Source::Local),
                Err(read_error) => {
                    let finding = Finding::error(
                    &META,
                    kind::CANNOT_EVALUATE,
                    format!(
                        "The principal may neither simulate its policies ({error}) nor read them ({read_error}); \
                         runtime.probe's live call is the remaining evidence"
                    ),
                )
                .evidence("source", "none")
                .remediation(Remediation::new(
                    "Allow iam:SimulatePrincipalPolicy on the principal itself (the preflight-readonly policy), or run bedrock-preflight as a principal that may",
                ));
                    return (vec![located(finding, invocation)], None);
                }
            }
        }
        Some(error) => {
            return (
                vec![located(Finding::aws_error(&META, error), invocation)],
                None,
            );
        }
    };

    if let Ok(Organization::Member(org)) = &organization {
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
    let unseen = unseen(identity, &organization, source);
    let mut findings = Vec::new();
    let mut all_allowed = true;
    for (need, answers) in needs.iter().zip(&answers) {
        if let Some((unknown, said)) = answers
            .iter()
            .find_map(|a| a.decision.as_ref().err().map(|said| (a, said)))
        {
            all_allowed = false;
            findings.push(
                Finding::error(
                    &META,
                    kind::UNKNOWN_DECISION,
                    format!(
                        "IAM answered '{said}' for {} on {}, which this version does not read as allowed or denied",
                        unknown.action, need.resource
                    ),
                )
                .region(region_of(need, invocation))
                .resource(need.resource.clone()),
            );
            continue;
        }
        let denied: Vec<&Answer> = answers.iter().filter(|a| !a.allowed()).collect();
        if denied.is_empty() {
            continue;
        }
        all_allowed = false;
        findings.push(
            denial(principal, invocation, need, &denied, source, fix)
                .evidence("organization", organization_seen(&organization))
                .evidence("unseen", unseen.layers.clone()),
        );
    }
    if findings.is_empty() {
        let resources: Vec<&str> = needs.iter().map(|n| n.resource.as_str()).collect();
        let (kind, title) = if root {
            (kind::ROOT_USER, "The root user may invoke")
        } else {
            (kind::ALLOWED, "Principal may invoke the model")
        };
        let finding = Finding::pass(
            &META,
            kind,
            title,
            format!(
                "{principal} may call {} on {} and its {} destination model ARN(s) ({}{}){}",
                INVOKE_ACTIONS.join(" and "),
                invocation.model_id,
                resources.len().saturating_sub(1),
                source.describe(),
                if matches!(organization, Ok(Organization::Member(_))) {
                    ", and the organization's SCPs at every level"
                } else {
                    ""
                },
                unseen.sentence
            ),
        )
        .evidence("source", source.as_str())
        .evidence("organization", organization_seen(&organization))
        .evidence("unseen", unseen.layers.clone())
        .evidence("resources", resources)
        .evidence(
            "matched",
            answers
                .iter()
                .flatten()
                .flat_map(|a| a.matched.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>(),
        );
        findings.push(
            located(finding, invocation).resource(
                invocation
                    .profile
                    .as_ref()
                    .map(|p| p.arn.clone())
                    .unwrap_or_else(|| invocation.model.arn.clone()),
            ),
        );
    }
    (findings, Some((all_allowed, source)))
}

fn locally(policies: &PolicySet, needs: &[Need]) -> Vec<Vec<Answer>> {
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

/// The layers of AWS's evaluation this verdict could not see, and how the finding says so.
struct Unseen {
    layers: Vec<&'static str>,
    sentence: String,
}

fn unseen(
    identity: &CallerIdentity,
    organization: &Result<Organization, AwsError>,
    source: Source,
) -> Unseen {
    let mut layers = Vec::new();
    let mut reasons = Vec::new();
    // IAM's simulation reflects the account's SCPs; local evaluation sees them only when the
    // organization's policies could be read. (RCPs do not govern Bedrock: it is not among the
    // services AWS lists for them.)
    if let (Err(error), Source::Local | Source::Root) = (organization, source) {
        layers.push("service-control-policies");
        reasons.push(format!(
            "the organization's SCPs, which this principal may not read ({})",
            error.message()
        ));
    }
    if matches!(
        identity.kind,
        PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
    ) {
        layers.push("session-policy");
        reasons
            .push("a session policy passed when the session was created (no API reads it)".into());
    }
    let sentence = if reasons.is_empty() {
        String::new()
    } else {
        format!(
            ". Not seen: {}; runtime.probe's live call is the evidence for those",
            reasons.join("; ")
        )
    };
    Unseen { layers, sentence }
}

fn region_of(need: &Need, invocation: &Invocation) -> String {
    arn_region(&need.resource).unwrap_or_else(|| invocation.region.to_string())
}

fn located(finding: Finding, invocation: &Invocation) -> Finding {
    finding
        .region(invocation.region.as_str())
        .evidence("model_id", invocation.model_id.clone())
}

fn denial(
    principal: &str,
    invocation: &Invocation,
    need: &Need,
    denied: &[&Answer],
    source: Source,
    fix: Option<&str>,
) -> Finding {
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
    Finding::fail(&META, kind, Severity::High, title, message, fix)
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
        )
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
    use crate::checks::testing::{SONNET, invocation, model, profile};
    use crate::iam::{NamedPolicy, Policy};
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
        let finding = denial(PRINCIPAL, &call, &needs[2], &denied, Source::Local, None);
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
        let finding = denial(
            PRINCIPAL,
            &call,
            &needs[0],
            &denied,
            Source::Local,
            Some(command),
        );
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
        let needs = super::needs(&on_demand);
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
            .code(),
            "iam.invoke/model-denied"
        );
    }
}
