//! One invocation judged: what IAM (or local evaluation) answers for each resource Bedrock
//! authorizes for the call, with the organization's policies applied, as findings.

use std::sync::Arc;

use futures_util::future::join_all;

use super::denial::{denial, region_of};
use super::organizations::{self, organization_seen};
use super::simulator::{self, Answer};
use super::{META, kind};
use crate::aws::{AwsError, AwsErrorKind, AwsReader, Organization};
use crate::checks::facts::{CallerIdentity, PrincipalKind, Source};
use crate::domain::{INVOKE_ACTIONS, Invocation, Need, SimulatedDecision, needs};
use crate::engine::{Finding, FindingRef, Remediation};
use crate::iam::PolicySet;

/// One invocation judged.
#[derive(Default)]
pub(super) struct Judged {
    pub findings: Vec<Finding>,
    /// Whether IAM allows it and which source decided (`None` when nothing could decide).
    pub verdict: Option<(bool, Source)>,
    /// The denials a grant attached to the principal repairs.
    pub attachable: Vec<FindingRef>,
}

impl Judged {
    fn undecided(finding: Finding) -> Judged {
        Judged {
            findings: vec![finding],
            ..Judged::default()
        }
    }
}

pub(super) async fn judge(
    aws: &AwsReader,
    identity: &CallerIdentity,
    invocation: &Invocation,
    fix: Option<&str>,
) -> Judged {
    let needs = needs(invocation);
    let answers = read(aws, identity, &needs).await;
    judge_answers(identity, invocation, &needs, fix, answers)
}

/// What AWS answered about one invocation's needs.
struct Answers {
    iam: Iam,
    organization: Result<Organization, AwsError>,
}

/// IAM's part: what decides for the principal's own policies.
enum Iam {
    /// The root user, whom IAM cannot simulate and no IAM policy limits: nothing was asked.
    Root,
    /// The simulator's decisions, one list per need, in the needs' order.
    Simulated(Vec<Vec<SimulatedDecision>>),
    /// The principal may not simulate (`refused`): its own policies, or why they could not be
    /// read either.
    Local {
        refused: AwsError,
        policies: Result<Arc<PolicySet>, AwsError>,
    },
    /// A simulation failed for another reason than a refusal.
    Failed(AwsError),
}

async fn read(aws: &AwsReader, identity: &CallerIdentity, needs: &[Need]) -> Answers {
    let principal = identity.principal_arn.as_str();
    // The organization's policies do not depend on the simulation: both go out at once.
    let root = identity.kind == PrincipalKind::Root;
    let simulations = needs
        .iter()
        .filter(|_| !root)
        .map(|need| aws.simulate(principal, &INVOKE_ACTIONS, &need.resource, &need.context));
    // IAM cannot simulate the root user, whom only the organization's policies limit.
    let (simulated, organization) =
        tokio::join!(join_all(simulations), aws.organization(&identity.account));
    let iam = match simulated.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(_) if root => Iam::Root,
        Ok(decisions) => Iam::Simulated(decisions),
        Err(refused) if refused.kind() == AwsErrorKind::Denied => Iam::Local {
            policies: aws.principal_policies(principal).await,
            refused,
        },
        Err(error) => Iam::Failed(error),
    };
    Answers { iam, organization }
}

/// The answers judged: IAM's decisions (simulated, or local evaluation where the principal may
/// not simulate, or the root user's standing) with the organization's policies applied.
fn judge_answers(
    identity: &CallerIdentity,
    invocation: &Invocation,
    needs: &[Need],
    fix: Option<&str>,
    answers: Answers,
) -> Judged {
    let principal = identity.principal_arn.as_str();
    let root = identity.kind == PrincipalKind::Root;
    let Answers { iam, organization } = answers;
    let (mut answers, source) = match iam {
        Iam::Root => (simulator::as_root(needs), Source::Root),
        Iam::Simulated(decisions) => {
            // A need the simulator was not asked about has no answer: an unknown decision.
            let answers = needs
                .iter()
                .enumerate()
                .map(|(i, need)| {
                    simulator::simulated(decisions.get(i).map_or(&[], Vec::as_slice), need)
                })
                .collect();
            (answers, Source::Simulate)
        }
        Iam::Local {
            policies: Ok(policies),
            ..
        } => (simulator::locally(&policies, needs), Source::Local),
        Iam::Local {
            refused: error,
            policies: Err(read_error),
        } => {
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
            return Judged::undecided(located(finding, invocation));
        }
        Iam::Failed(error) => {
            return Judged::undecided(located(Finding::aws_error(&META, &error), invocation));
        }
    };

    organizations::apply(&organization, identity, needs, &mut answers);
    let unseen = unseen(identity, &organization, source);
    let mut judged = Judged::default();
    let findings = &mut judged.findings;
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
        let (finding, attachable) = denial(principal, invocation, need, &denied, source, fix);
        let finding = finding
            .evidence("organization", organization_seen(&organization))
            .evidence("unseen", unseen.layers.clone());
        if attachable {
            judged.attachable.push(finding.reference());
        }
        findings.push(finding);
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
    judged.verdict = Some((all_allowed, source));
    judged
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

fn located(finding: Finding, invocation: &Invocation) -> Finding {
    finding
        .region(invocation.region.as_str())
        .evidence("model_id", invocation.model_id.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::OrganizationPolicies;
    use crate::aws::catalog::{
        DESCRIBE_ORGANIZATION, LIST_ATTACHED_USER_POLICIES, SIMULATE_PRINCIPAL_POLICY,
    };
    use crate::checks::testing::{ACCOUNT, denied, sonnet_through_us};
    use crate::engine::{Kind, Status};
    use crate::iam::{NamedPolicy, Policy};
    use crate::remediation::scp_exemption;

    const USER: &str = "arn:aws:iam::123456789012:user/dev";
    const FIX: &str = "bedrock-preflight policy apply claude-invoke --attach-to user/dev --yes";

    fn caller(kind: PrincipalKind) -> CallerIdentity {
        let (caller_arn, principal_arn) = match kind {
            PrincipalKind::Root => (
                "arn:aws:iam::123456789012:root",
                "arn:aws:iam::123456789012:root",
            ),
            PrincipalKind::AssumedRole => (
                "arn:aws:sts::123456789012:assumed-role/dev/alice",
                "arn:aws:iam::123456789012:role/dev",
            ),
            _ => (USER, USER),
        };
        CallerIdentity {
            account: ACCOUNT.into(),
            partition: "aws".into(),
            caller_arn: caller_arn.into(),
            principal_arn: principal_arn.into(),
            kind,
        }
    }

    /// The simulator saying `decision` for both invoke actions on every need.
    fn simulated(needs: &[Need], decision: &str) -> Vec<Vec<SimulatedDecision>> {
        needs
            .iter()
            .map(|need| {
                INVOKE_ACTIONS
                    .iter()
                    .map(|action| SimulatedDecision {
                        action: action.to_string(),
                        resource: need.resource.clone(),
                        decision: decision.into(),
                        matched: Vec::new(),
                        allowed_by_organizations: None,
                        allowed_by_boundary: None,
                    })
                    .collect()
            })
            .collect()
    }

    /// Sonnet through `us.` (its profile, then `us-east-1` and `us-west-2`) judged for `who`.
    fn judge_call(
        who: PrincipalKind,
        iam: impl FnOnce(&[Need]) -> Iam,
        organization: Result<Organization, AwsError>,
    ) -> Judged {
        let call = sonnet_through_us();
        let needs = needs(&call);
        let answers = Answers {
            iam: iam(&needs),
            organization,
        };
        judge_answers(&caller(who), &call, &needs, Some(FIX), answers)
    }

    fn policy(name: &str, document: serde_json::Value) -> NamedPolicy {
        NamedPolicy {
            name: name.into(),
            policy: Policy::parse(&document).unwrap(),
        }
    }

    /// A member account whose organization lets everything through but, at its root, denies
    /// invoking models in `us-west-2`.
    fn member_denying_west() -> Organization {
        let full = policy(
            "FullAWSAccess (p-FullAWSAccess)",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        );
        let no_west = policy(
            "no-west (p-nowest)",
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoWest", "Effect": "Deny",
                "Action": "bedrock:InvokeModel*", "Resource": "arn:aws:bedrock:us-west-2::foundation-model/*"}]}),
        );
        Organization::Member(OrganizationPolicies {
            organization_id: "o-example".into(),
            levels: vec!["r-root".into(), ACCOUNT.into()],
            scps: vec![vec![full.clone(), no_west], vec![full]],
            rcps: Vec::new(),
        })
    }

    fn unreadable_organization() -> Result<Organization, AwsError> {
        Err(denied(&DESCRIBE_ORGANIZATION))
    }

    fn codes(judged: &Judged) -> Vec<(String, Status)> {
        judged
            .findings
            .iter()
            .map(|f| (f.code(), f.status))
            .collect()
    }

    #[test]
    fn everything_allowed_is_one_pass_naming_what_decided() {
        let judged = judge_call(
            PrincipalKind::User,
            |needs| Iam::Simulated(simulated(needs, "allowed")),
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [("iam.invoke/allowed".to_string(), Status::Pass)]
        );
        let pass = &judged.findings[0];
        assert_eq!(
            pass.message,
            format!(
                "{USER} may call bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on \
                 us.anthropic.claude-sonnet-4-6 and its 2 destination model ARN(s) (IAM policy simulation)"
            )
        );
        assert_eq!(
            pass.resource.as_deref(),
            Some(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
            )
        );
        assert_eq!(pass.region.as_deref(), Some("us-east-1"));
        assert_eq!(pass.evidence["source"], "simulate");
        assert_eq!(pass.evidence["organization"], "not-in-organization");
        assert_eq!(pass.evidence["resources"].as_array().unwrap().len(), 3);
        assert_eq!(judged.verdict, Some((true, Source::Simulate)));
        assert!(judged.attachable.is_empty());
    }

    #[test]
    fn a_profile_the_principal_may_not_invoke_fails_and_a_grant_repairs_it() {
        let judged = judge_call(
            PrincipalKind::User,
            |needs| {
                let mut decisions = simulated(needs, "allowed");
                decisions[0][1].decision = "implicitDeny".into();
                Iam::Simulated(decisions)
            },
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [("iam.invoke/profile-denied".to_string(), Status::Fail)]
        );
        let denial = &judged.findings[0];
        assert_eq!(
            denial.message,
            "bedrock:InvokeModelWithResponseStream is implicitly denied (no statement allows it) on \
             arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
        );
        assert!(
            denial
                .remediation
                .as_deref()
                .unwrap()
                .starts_with(&format!("{FIX}\n(or add this policy statement to {USER}: ")),
            "{:?}",
            denial.remediation
        );
        assert_eq!(denial.evidence["organization"], "not-in-organization");
        assert_eq!(judged.verdict, Some((false, Source::Simulate)));
        assert_eq!(judged.attachable, [denial.reference()]);
    }

    #[test]
    fn a_destination_the_principal_may_not_invoke_fails_in_its_region() {
        let judged = judge_call(
            PrincipalKind::User,
            |needs| {
                let mut decisions = simulated(needs, "allowed");
                for answer in &mut decisions[2] {
                    answer.decision = "implicitDeny".into();
                }
                Iam::Simulated(decisions)
            },
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [("iam.invoke/destination-denied".to_string(), Status::Fail)]
        );
        let denial = &judged.findings[0];
        assert_eq!(denial.region.as_deref(), Some("us-west-2"));
        assert_eq!(
            denial.resource.as_deref(),
            Some("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6")
        );
        assert_eq!(judged.attachable, [denial.reference()]);
    }

    #[test]
    fn a_service_control_policy_denies_as_the_simulator_says_or_as_its_policies_read() {
        let simulator_says = judge_call(
            PrincipalKind::User,
            |needs| {
                let mut decisions = simulated(needs, "allowed");
                for answer in &mut decisions[2] {
                    answer.decision = "implicitDeny".into();
                    answer.allowed_by_organizations = Some(false);
                }
                Iam::Simulated(decisions)
            },
            unreadable_organization(),
        );
        assert_eq!(
            codes(&simulator_says),
            [("iam.invoke/scp-denied".to_string(), Status::Fail)]
        );
        let denial = &simulator_says.findings[0];
        assert_eq!(denial.evidence["denied_by"], "service-control-policy");
        assert_eq!(
            denial.remediation.as_deref(),
            Some(scp_exemption(&sonnet_through_us()).as_str())
        );
        assert!(
            simulator_says.attachable.is_empty(),
            "no grant overrides an SCP"
        );

        let policies_say = judge_call(
            PrincipalKind::User,
            |needs| Iam::Simulated(simulated(needs, "allowed")),
            Ok(member_denying_west()),
        );
        assert_eq!(
            codes(&policies_say),
            [("iam.invoke/scp-denied".to_string(), Status::Fail)]
        );
        let denial = &policies_say.findings[0];
        assert_eq!(denial.region.as_deref(), Some("us-west-2"));
        assert_eq!(denial.evidence["organization"], "read");
        assert!(
            denial
                .message
                .contains("no-west (p-nowest) (Sid NoWest), level 1 (r-root)"),
            "{}",
            denial.message
        );
        assert!(
            denial
                .remediation
                .as_deref()
                .unwrap()
                .ends_with(" The statement that denies: service control policy no-west (p-nowest) (Sid NoWest), level 1 (r-root)"),
            "{:?}",
            denial.remediation
        );
        assert!(policies_say.attachable.is_empty());
        assert_eq!(policies_say.verdict, Some((false, Source::Simulate)));
    }

    #[test]
    fn only_denials_a_grant_attached_to_the_principal_repairs_are_attachable() {
        let judged = judge_call(
            PrincipalKind::User,
            |needs| {
                let mut decisions = simulated(needs, "allowed");
                // The profile: no statement allows. us-east-1: a Deny. us-west-2: an SCP.
                decisions[0][0].decision = "implicitDeny".into();
                decisions[1][0].decision = "explicitDeny".into();
                decisions[1][0].matched = vec!["no-streaming (IAM Policy)".into()];
                decisions[2][0].decision = "implicitDeny".into();
                decisions[2][0].allowed_by_organizations = Some(false);
                Iam::Simulated(decisions)
            },
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [
                ("iam.invoke/profile-denied".to_string(), Status::Fail),
                ("iam.invoke/destination-denied".to_string(), Status::Fail),
                ("iam.invoke/scp-denied".to_string(), Status::Fail),
            ]
        );
        assert_eq!(judged.findings[1].evidence["decision"], "explicitDeny");
        assert!(
            judged.findings[1]
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Remove or narrow the Deny that matches (no-streaming (IAM Policy))")
        );
        assert_eq!(judged.attachable, [judged.findings[0].reference()]);
    }

    #[test]
    fn a_decision_iam_gives_that_is_not_known_is_an_error_never_a_pass() {
        let judged = judge_call(
            PrincipalKind::User,
            |needs| {
                let mut decisions = simulated(needs, "allowed");
                decisions[1][0].decision = "maybeAllowed".into();
                // The simulator said nothing about the last destination.
                decisions[2].clear();
                Iam::Simulated(decisions)
            },
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [
                ("iam.invoke/unknown-decision".to_string(), Status::Error),
                ("iam.invoke/unknown-decision".to_string(), Status::Error),
            ]
        );
        assert_eq!(
            judged.findings[0].message,
            "IAM answered 'maybeAllowed' for bedrock:InvokeModel on \
             arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6, which this \
             version does not read as allowed or denied"
        );
        assert!(
            judged.findings[1].message.starts_with(
                "IAM answered '(no answer)' for bedrock:InvokeModel on arn:aws:bedrock:us-west-2::"
            ),
            "{}",
            judged.findings[1].message
        );
        assert_eq!(judged.verdict, Some((false, Source::Simulate)));
        assert!(judged.attachable.is_empty());

        // Fewer answers than needs leave the unanswered needs unknown too.
        let short = judge_call(
            PrincipalKind::User,
            |needs| Iam::Simulated(simulated(&needs[..1], "allowed")),
            Ok(Organization::None),
        );
        assert_eq!(short.findings.len(), 2);
        assert!(
            short
                .findings
                .iter()
                .all(|f| f.kind == kind::UNKNOWN_DECISION)
        );
        assert_eq!(short.verdict, Some((false, Source::Simulate)));
    }

    #[test]
    fn a_principal_that_may_not_simulate_is_judged_on_its_own_policies() {
        let invoke_anything = Arc::new(PolicySet::identity(vec![policy(
            "invoke",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": "*"}]}),
        )]));
        let judged = judge_call(
            PrincipalKind::AssumedRole,
            |_| Iam::Local {
                refused: denied(&SIMULATE_PRINCIPAL_POLICY),
                policies: Ok(invoke_anything),
            },
            unreadable_organization(),
        );
        assert_eq!(
            codes(&judged),
            [("iam.invoke/allowed".to_string(), Status::Pass)]
        );
        let pass = &judged.findings[0];
        assert_eq!(pass.evidence["source"], "local");
        assert_eq!(
            pass.evidence["unseen"],
            json!(["service-control-policies", "session-policy"])
        );
        assert!(
            pass.message.contains(
                "(local evaluation of its policies). Not seen: the organization's SCPs, which this \
                 principal may not read (not authorized to perform this call); a session policy"
            ),
            "{}",
            pass.message
        );
        assert_eq!(judged.verdict, Some((true, Source::Local)));

        let nothing_allowed = judge_call(
            PrincipalKind::User,
            |_| Iam::Local {
                refused: denied(&SIMULATE_PRINCIPAL_POLICY),
                policies: Ok(Arc::new(PolicySet::default())),
            },
            Ok(Organization::None),
        );
        assert_eq!(nothing_allowed.findings.len(), 3);
        assert!(
            nothing_allowed
                .findings
                .iter()
                .all(|f| f.status == Status::Fail && f.evidence["source"] == "local")
        );
        assert_eq!(nothing_allowed.attachable.len(), 3);
        assert_eq!(nothing_allowed.verdict, Some((false, Source::Local)));
    }

    #[test]
    fn a_principal_that_may_neither_simulate_nor_read_its_policies_gets_no_verdict() {
        let judged = judge_call(
            PrincipalKind::User,
            |_| Iam::Local {
                refused: denied(&SIMULATE_PRINCIPAL_POLICY),
                policies: Err(denied(&LIST_ATTACHED_USER_POLICIES)),
            },
            Ok(Organization::None),
        );
        assert_eq!(
            codes(&judged),
            [("iam.invoke/cannot-evaluate".to_string(), Status::Error)]
        );
        let finding = &judged.findings[0];
        assert_eq!(
            finding.message,
            "The principal may neither simulate its policies (iam:SimulatePrincipalPolicy was denied \
             (AccessDeniedException: not authorized to perform this call)) nor read them \
             (iam:ListAttachedUserPolicies was denied (AccessDeniedException: not authorized to \
             perform this call)); runtime.probe's live call is the remaining evidence"
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "Allow iam:SimulatePrincipalPolicy on the principal itself (the preflight-readonly \
                 policy), or run bedrock-preflight as a principal that may"
            )
        );
        assert_eq!(finding.evidence["source"], "none");
        assert_eq!(
            finding.evidence["model_id"],
            "us.anthropic.claude-sonnet-4-6"
        );
        assert_eq!(finding.region.as_deref(), Some("us-east-1"));
        assert_eq!(judged.verdict, None);
        assert!(judged.attachable.is_empty());
    }

    #[test]
    fn a_simulation_that_fails_otherwise_is_a_read_error_with_no_verdict() {
        let throttled = AwsError::new(
            AwsErrorKind::Throttled,
            &SIMULATE_PRINCIPAL_POLICY,
            "Rate exceeded",
        );
        let judged = judge_call(
            PrincipalKind::User,
            |_| Iam::Failed(throttled),
            Ok(Organization::None),
        );
        assert_eq!(judged.findings.len(), 1);
        assert_eq!(
            (judged.findings[0].status, judged.findings[0].kind),
            (Status::Error, Kind::READ_FAILED)
        );
        assert_eq!(judged.findings[0].region.as_deref(), Some("us-east-1"));
        assert_eq!(judged.verdict, None);
    }

    #[test]
    fn the_root_user_passes_unless_the_organization_denies() {
        let judged = judge_call(PrincipalKind::Root, |_| Iam::Root, Ok(Organization::None));
        assert_eq!(
            codes(&judged),
            [("iam.invoke/root-user".to_string(), Status::Pass)]
        );
        assert_eq!(judged.findings[0].title, "The root user may invoke");
        assert_eq!(judged.findings[0].evidence["source"], "root");
        assert_eq!(judged.verdict, Some((true, Source::Root)));

        let unseen = judge_call(
            PrincipalKind::Root,
            |_| Iam::Root,
            unreadable_organization(),
        );
        assert_eq!(unseen.findings[0].kind, kind::ROOT_USER);
        assert_eq!(
            unseen.findings[0].evidence["unseen"],
            json!(["service-control-policies"])
        );

        let denied = judge_call(
            PrincipalKind::Root,
            |_| Iam::Root,
            Ok(member_denying_west()),
        );
        assert_eq!(
            codes(&denied),
            [("iam.invoke/scp-denied".to_string(), Status::Fail)]
        );
        assert_eq!(denied.findings[0].evidence["source"], "root");
        assert_eq!(denied.verdict, Some((false, Source::Root)));
        assert!(denied.attachable.is_empty());
    }
}
