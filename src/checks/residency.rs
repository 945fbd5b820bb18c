//! `residency.profiles` (`audit --residency GEO`): inference stays in one geography. A
//! `global.` profile sends requests to any commercial region, and another geography's profile
//! to that geography (field-failures 53), so each fails where it is granted by a customer policy
//! or configured for Claude Code on this machine.

use async_trait::async_trait;

use super::facts::CallerIdentity;
use super::per_region;
use crate::aws::AwsError;
use crate::domain::{AccountAuthorization, Region, in_geography};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::iam::{Decision, NamedPolicy, Policy, PolicySet, Request, evaluate};
use crate::shell::sh;

check! {
    ResidencyProfiles = "residency.profiles" {
        title: "Data residency of inference",
        description: "With --residency GEO: no customer-managed or inline policy grants invoke on a global. \
                      inference profile or one of another geography (each judged by local evaluation on a \
                      sample profile ARN of every geography), Claude Code on this machine is configured \
                      with none, and no Claude invocation of the last 7 days that CloudTrail shows \
                      (LookupEvents, additionalEventData.inferenceRegion) was served outside GEO",
        commands: [Audit],
        depends_on: [],
        after: ["identity.caller"],
        severity: High,
        kinds: {
            /// audit ran without `--residency GEO`, so data residency was not judged. Give
            /// `--residency` (for example `eu`) to check that inference stays in one geography.
            NOT_ASKED = "not-asked",
            /// With `--residency GEO`: no customer-managed or inline policy grants invoke on a
            /// `global.` inference profile or another geography's (each judged by local evaluation
            /// on a sample profile ARN), Claude Code on this machine calls none, and no Claude
            /// invocation of the last 7 days that CloudTrail shows was served outside GEO. The
            /// message names the regions whose CloudTrail events could not be read.
            KEPT = "kept-in-geography",
            /// A customer-managed or inline policy grants `bedrock:InvokeModel` on `global.`
            /// inference profiles or those of another geography, whose requests leave GEO (a
            /// `global.` profile may send them to any commercial region); the finding names the
            /// geographies and who holds the policy. Grant only GEO's profiles
            /// (`bedrock-preflight policy render claude-invoke --model GEO.anthropic.MODEL`), in
            /// place of the statements that allow the others.
            GRANTED = "granted-outside-geography",
            /// Claude Code on this machine is set to call a `global.` profile or one of another
            /// geography (the finding names the setting and where it is set), so its requests may
            /// be served outside GEO. Set it to the GEO profile of the same model.
            CONFIGURED = "configured-outside-geography",
            /// CloudTrail shows Claude invocations from the region in the last 7 days that were
            /// served outside GEO (additionalEventData.inferenceRegion), counted per region. Find
            /// the callers in CloudTrail (`aws cloudtrail lookup-events`, in the remediation) and
            /// move them to GEO's profiles; an SCP that denies `bedrock:InvokeModel` where
            /// `aws:RequestedRegion` is outside GEO enforces it.
            INVOKED = "invoked-outside-geography",
        },
    }
}

/// Geographies of cross-region inference profiles, each with a region its profiles are
/// called from.
pub const GEOGRAPHIES: &[(&str, &str)] = &[
    ("us", "us-east-1"),
    ("eu", "eu-west-1"),
    ("apac", "ap-southeast-1"),
    ("jp", "ap-northeast-1"),
    ("au", "ap-southeast-2"),
];

/// How far back CloudTrail's recent invocations are read.
const EVENT_DAYS: u64 = 7;

/// The finding for invocations from `region` served outside `geography`, if any were.
fn invoked(region: &Region, served: &[String], geography: &str) -> Option<Finding> {
    let mut outside: Vec<(&str, usize)> = Vec::new();
    for place in served.iter().filter(|r| !in_geography(geography, r)) {
        match outside.iter_mut().find(|(r, _)| *r == place.as_str()) {
            Some((_, n)) => *n += 1,
            None => outside.push((place, 1)),
        }
    }
    if outside.is_empty() {
        return None;
    }
    let count: usize = outside.iter().map(|(_, n)| n).sum();
    let regions: Vec<String> = outside.iter().map(|(r, n)| format!("{r} ({n})")).collect();
    Some(
        Finding::fail(
            &META,
            kind::INVOKED,
            Severity::High,
            "Recent invocations were served outside the geography",
            format!(
                "{count} of the {} Claude invocations from {region} in the last {EVENT_DAYS} days that CloudTrail shows \
                 were served outside {geography}: {}",
                served.len(),
                regions.join(", ")
            ),
            Remediation::new(format!(
                "Find the callers in CloudTrail ({}) and move them to {geography}. profiles; an SCP denying \
                 bedrock:InvokeModel where aws:RequestedRegion is outside {geography} enforces it",
                sh![
                    "aws",
                    "cloudtrail",
                    "lookup-events",
                    "--region",
                    region,
                    "--lookup-attributes",
                    "AttributeKey=EventSource,AttributeValue=bedrock.amazonaws.com"
                ]
            )),
        )
        .region(region.as_str())
        .evidence(
            "served_in",
            outside
                .iter()
                .map(|(r, n)| (r.to_string(), serde_json::Value::from(*n)))
                .collect::<serde_json::Map<_, _>>(),
        ),
    )
}

/// What `audit --residency` hands this check.
#[derive(Clone, Debug)]
pub struct ResidencyInput {
    /// One of `GEOGRAPHIES`.
    pub geography: String,
    /// Models Claude Code on this machine will call, with where each was named.
    pub claude_code_models: Vec<(String, String)>,
}

/// The geography a model ID or profile ID sends requests to: `global`, a geography prefix, or
/// `None` for an in-region (foundation model) ID.
pub fn geography_of(id: &str) -> Option<&str> {
    let id = id.rsplit('/').next().unwrap_or(id);
    let (prefix, rest) = id.split_once('.')?;
    (rest.starts_with("anthropic.")
        && (prefix == "global" || GEOGRAPHIES.iter().any(|(g, _)| *g == prefix)))
    .then_some(prefix)
}

#[async_trait]
impl Check for ResidencyProfiles {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let Some(input) = cx.fact::<ResidencyInput>() else {
            return Ok(vec![Finding::skip(
                &META,
                kind::NOT_ASKED,
                "Skipped: no --residency geography was given",
            )]);
        };
        let account = cx
            .fact::<CallerIdentity>()
            .map(|i| i.account.clone())
            .unwrap_or_else(|| "123456789012".into());
        let recent = per_region(
            cx.scope
                .regions
                .iter()
                .map(|region| async move {
                    (
                        region,
                        cx.aws.recent_invocation_regions(region, EVENT_DAYS).await,
                    )
                })
                .collect(),
        );
        let (authorization, recent) = tokio::join!(cx.aws.account_authorization(), recent);
        Ok(judge(&input, &account, authorization.as_deref(), &recent))
    }
}

/// Where inference may leave `input.geography`: Claude Code's settings here, the account's
/// policies (`authorization`) and the regions CloudTrail saw recent invocations served in;
/// the pass when none does.
fn judge(
    input: &ResidencyInput,
    account: &str,
    authorization: Result<&AccountAuthorization, &AwsError>,
    recent: &[(&Region, Result<Vec<String>, AwsError>)],
) -> Vec<Finding> {
    let geography = input.geography.as_str();
    let mut findings = Vec::new();
    for (value, named_by) in &input.claude_code_models {
        let id = value.trim_end_matches("[1m]");
        if let Some(found) = geography_of(id).filter(|g| *g != geography) {
            findings.push(
                Finding::fail(
                    &META,
                    kind::CONFIGURED,
                    Severity::High,
                    "Claude Code here calls outside the geography",
                    format!(
                        "{named_by} is {id}, a {found} profile: its requests may be served outside {geography}"
                    ),
                    Remediation::new(format!(
                        "Set {} to the {geography}. profile of the same model (for example {geography}.{})",
                        named_by.split(' ').next().unwrap_or(named_by),
                        id.split_once('.').map_or(id, |(_, rest)| rest)
                    )),
                )
                .resource(id.to_string()),
            );
        }
    }
    match authorization {
        Ok(authorization) => {
            findings.extend(granted(authorization, geography, account));
        }
        Err(error) => findings.push(Finding::aws_error(&META, error)),
    }
    let mut unread = Vec::new();
    for (region, served) in recent {
        match served {
            Ok(served) => findings.extend(invoked(region, served, geography)),
            Err(error) => unread.push(format!("{region} ({})", error.kind().as_str())),
        }
    }
    if findings.is_empty() {
        findings.push(Finding::pass(
            &META,
            kind::KEPT,
            "Inference stays in the geography",
            format!(
                "No customer policy grants invoke on a global. profile or another geography's, Claude Code \
                 here calls none, and no recent invocation CloudTrail shows was served outside {geography}{}",
                if unread.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (CloudTrail's recent events could not be read in {})",
                        unread.join(", ")
                    )
                }
            ),
        ));
    }
    findings
}

/// One finding per customer-managed or inline policy that grants invoke on a profile outside
/// `geography`, naming the geographies and who holds it.
fn granted(account: &AccountAuthorization, geography: &str, account_id: &str) -> Vec<Finding> {
    let (_, home) = GEOGRAPHIES
        .iter()
        .find(|(g, _)| *g == geography)
        .copied()
        .unwrap_or(("us", "us-east-1"));
    let samples: Vec<(&str, String, &str)> = std::iter::once(("global", home))
        .chain(
            GEOGRAPHIES
                .iter()
                .filter(|(g, _)| *g != geography)
                .copied(),
        )
        .map(|(g, region)| {
            (
                g,
                format!(
                    "arn:aws:bedrock:{region}:{account_id}:inference-profile/{g}.anthropic.claude-sonnet-4-6"
                ),
                region,
            )
        })
        .collect();
    let mut documents: Vec<(String, &str, Vec<String>)> = account
        .policies
        .iter()
        .map(|p| {
            let holders = account
                .holders
                .iter()
                .filter(|h| h.attached.contains(&p.arn))
                .map(|h| h.arn.clone())
                .collect();
            (p.arn.clone(), p.document.as_str(), holders)
        })
        .collect();
    for holder in &account.holders {
        for (name, document) in &holder.inline {
            documents.push((
                format!(
                    "{} {} inline policy {name}",
                    holder.kind.as_str(),
                    holder.name
                ),
                document.as_str(),
                vec![holder.arn.clone()],
            ));
        }
    }
    let mut findings = Vec::new();
    for (name, document, holders) in documents {
        let Ok(policy) = Policy::from_json(document) else {
            continue;
        };
        let set = PolicySet::identity(vec![NamedPolicy {
            name: name.clone(),
            policy,
        }]);
        let outside: Vec<&str> = samples
            .iter()
            .filter(|(_, arn, region)| {
                let request = Request::new("bedrock:InvokeModel", arn.clone())
                    .with("aws:RequestedRegion", vec![region.to_string()]);
                evaluate(&set, &request).decision == Decision::Allowed
            })
            .map(|(g, _, _)| *g)
            .collect();
        if outside.is_empty() {
            continue;
        }
        findings.push(
            Finding::fail(
                &META,
                kind::GRANTED,
                Severity::High,
                "A policy grants inference outside the geography",
                format!(
                    "{name} grants bedrock:InvokeModel on {} inference profiles, whose requests leave {geography}{}",
                    outside.join(", "),
                    if holders.is_empty() {
                        " (it is attached to no one)".to_string()
                    } else {
                        format!("; held by {}", holders.join(", "))
                    }
                ),
                Remediation::new(format!(
                    "Grant only {geography}. profiles: bedrock-preflight policy render claude-invoke --model \
                     {geography}.anthropic.MODEL --region REGION, in place of the statements that allow the others"
                )),
            )
            .resource(name)
            .evidence("geographies", outside.iter().map(|g| g.to_string()).collect::<Vec<_>>()),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CustomerPolicy, HolderKind, PolicyHolder};

    #[test]
    fn regions_belong_to_their_geographies() {
        assert!(in_geography("eu", "eu-west-3"));
        assert!(!in_geography("eu", "us-east-1"));
        assert!(in_geography("apac", "ap-northeast-1"));
        assert!(!in_geography("jp", "ap-southeast-2"));
        assert!(in_geography("au", "ap-southeast-4"));
        assert!(!in_geography("us", "us-gov-west-1"));
    }

    #[test]
    fn ids_name_their_geography() {
        assert_eq!(
            geography_of("global.anthropic.claude-sonnet-4-6"),
            Some("global")
        );
        assert_eq!(
            geography_of(
                "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-6-v1"
            ),
            Some("eu")
        );
        assert_eq!(geography_of("anthropic.claude-sonnet-4-6"), None);
        assert_eq!(geography_of("sonnet"), None);
    }

    fn policy(arn: &str, resource: &str) -> CustomerPolicy {
        CustomerPolicy {
            name: arn.rsplit('/').next().unwrap().into(),
            arn: arn.into(),
            document: format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"{resource}"}}]}}"#
            ),
        }
    }

    #[test]
    fn a_wildcard_or_global_grant_leaves_the_geography_a_geographic_one_does_not() {
        let account = AccountAuthorization {
            holders: vec![PolicyHolder {
                kind: HolderKind::Role,
                name: "app".into(),
                arn: "arn:aws:iam::123456789012:role/app".into(),
                inline: Vec::new(),
                attached: vec!["arn:aws:iam::123456789012:policy/any".into()],
                groups: Vec::new(),
                trust: None,
            }],
            policies: vec![
                policy(
                    "arn:aws:iam::123456789012:policy/any",
                    "arn:aws:bedrock:*:*:inference-profile/*",
                ),
                policy(
                    "arn:aws:iam::123456789012:policy/eu-only",
                    "arn:aws:bedrock:*:*:inference-profile/eu.*",
                ),
                policy(
                    "arn:aws:iam::123456789012:policy/global",
                    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6",
                ),
            ],
        };
        let findings = granted(&account, "eu", "123456789012");
        let got: Vec<(&str, &serde_json::Value)> = findings
            .iter()
            .map(|f| (f.resource.as_deref().unwrap(), &f.evidence["geographies"]))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "arn:aws:iam::123456789012:policy/any",
                    &serde_json::json!(["global", "us", "apac", "jp", "au"])
                ),
                (
                    "arn:aws:iam::123456789012:policy/global",
                    &serde_json::json!(["global"])
                ),
            ]
        );
        assert!(findings[0].message.contains("role/app"));
    }

    fn input(geography: &str) -> ResidencyInput {
        ResidencyInput {
            geography: geography.into(),
            claude_code_models: vec![(
                "eu.anthropic.claude-sonnet-4-6".into(),
                "ANTHROPIC_MODEL (~/.claude/settings.json)".into(),
            )],
        }
    }

    #[test]
    fn nothing_leaving_the_geography_passes_and_says_what_was_not_read() {
        let eu_west_1 = "eu-west-1".parse::<Region>().unwrap();
        let eu_central_1 = "eu-central-1".parse::<Region>().unwrap();
        let unread = AwsError::new(
            crate::aws::AwsErrorKind::Denied,
            &crate::aws::catalog::LOOKUP_EVENTS,
            "not authorized",
        );
        let account = AccountAuthorization {
            holders: Vec::new(),
            policies: vec![policy(
                "arn:aws:iam::123456789012:policy/eu-only",
                "arn:aws:bedrock:*:*:inference-profile/eu.*",
            )],
        };
        let found = judge(
            &input("eu"),
            "123456789012",
            Ok(&account),
            &[
                (&eu_west_1, Ok(vec!["eu-west-3".into(), "eu-west-1".into()])),
                (&eu_central_1, Err(unread)),
            ],
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].code().as_str(), found[0].status),
            (
                "residency.profiles/kept-in-geography",
                crate::engine::Status::Pass
            )
        );
        assert!(
            found[0].message.ends_with(
                "served outside eu (CloudTrail's recent events could not be read in eu-central-1 (access_denied))"
            ),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_policy_granting_another_geography_fails_with_the_profiles_to_grant_instead() {
        let account = AccountAuthorization {
            holders: Vec::new(),
            policies: vec![policy(
                "arn:aws:iam::123456789012:policy/us",
                "arn:aws:bedrock:us-east-1:*:inference-profile/us.*",
            )],
        };
        let found = judge(&input("eu"), "123456789012", Ok(&account), &[]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let granted = &found[0];
        assert_eq!(
            (granted.kind, granted.status),
            (kind::GRANTED, crate::engine::Status::Fail)
        );
        assert_eq!(granted.evidence["geographies"], serde_json::json!(["us"]));
        assert!(
            granted
                .message
                .ends_with("whose requests leave eu (it is attached to no one)"),
            "{}",
            granted.message
        );
        assert!(
            granted.remediation.as_deref().unwrap().starts_with(
                "Grant only eu. profiles: bedrock-preflight policy render claude-invoke --model eu.anthropic.MODEL"
            )
        );
    }

    #[tokio::test]
    async fn without_a_geography_residency_is_not_judged() {
        let cx = crate::checks::testing::context(crate::engine::Scope::default());
        let found = ResidencyProfiles.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code().as_str(), found[0].status),
            ("residency.profiles/not-asked", crate::engine::Status::Skip)
        );
    }
}
