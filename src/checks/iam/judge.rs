//! One invocation judged: what IAM (or local evaluation) answers for each resource Bedrock
//! authorizes for the call, with the organization's policies applied, as findings.

use futures_util::future::join_all;

use super::denial::{denial, region_of};
use super::organizations::{self, organization_seen};
use super::simulator::{self, Answer};
use super::{META, kind};
use crate::aws::{AwsError, AwsErrorKind, AwsReader, Organization};
use crate::checks::facts::{CallerIdentity, PrincipalKind, Source};
use crate::domain::{INVOKE_ACTIONS, Invocation, needs};
use crate::engine::{Finding, FindingRef, Remediation};

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
        None if root => (simulator::as_root(&needs), Source::Root),
        None => {
            let answers = simulated
                .into_iter()
                .zip(&needs)
                .map(|(result, need)| simulator::simulated(&result.unwrap_or_default(), need))
                .collect();
            (answers, Source::Simulate)
        }
        Some(error) if error.kind() == AwsErrorKind::Denied => {
            match aws.principal_policies(principal).await {
                Ok(policies) => (simulator::locally(&policies, &needs), Source::Local),
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
                    return Judged::undecided(located(finding, invocation));
                }
            }
        }
        Some(error) => {
            return Judged::undecided(located(Finding::aws_error(&META, error), invocation));
        }
    };

    organizations::apply(&organization, identity, &needs, &mut answers);
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
