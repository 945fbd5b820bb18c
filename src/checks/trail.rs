//! `cloudtrail.trail`: each audited region's Bedrock calls are recorded by a trail that is
//! logging and selects management events without excluding `bedrock.amazonaws.com`
//! (field-failures 50). Basic and advanced event selectors are both read, always: a trail's
//! `HasCustomEventSelectors` is not trusted.

use async_trait::async_trait;

use super::{Judged, judged_trails, per_region};
use crate::aws::AwsReader;
use crate::domain::{Region, TrailSelectors};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

check! {
    CloudTrailTrail = "cloudtrail.trail" {
        title: "CloudTrail covers Bedrock",
        description: "Each region is covered by a multi-region trail or an organization trail (its shadow: \
                      DescribeTrails) that is logging (GetTrailStatus) and records management events \
                      without excluding bedrock.amazonaws.com, by basic or advanced event selectors \
                      (GetEventSelectors, never HasCustomEventSelectors); a single-region trail is not \
                      the control",
        commands: [Audit],
        depends_on: [],
        after: [],
        severity: High,
        kinds: {
            /// A multi-region or organization trail that covers the region is logging and records
            /// Bedrock's management events: a basic selector of all management events that does not
            /// exclude bedrock.amazonaws.com, or an advanced selector of management events that
            /// neither excludes it nor keeps only reads or only writes. Selectors are always read,
            /// whatever the trail's HasCustomEventSelectors says.
            COVERED = "covered",
            /// No CloudTrail trail covers the region (none of its own, no multi-region or
            /// organization trail), so Bedrock calls made there, and changes to their logging,
            /// leave no record. Create a multi-region trail and start it: the remediation has
            /// `aws cloudtrail create-trail ... --is-multi-region-trail` and
            /// `aws cloudtrail start-logging`.
            NO_TRAIL = "no-trail",
            /// Trails cover the region, but none records Bedrock's management events: each is not
            /// logging, selects no management events or only reads or only writes, excludes
            /// bedrock.amazonaws.com, or is a single-region trail (the control, CIS 3.1, is a trail
            /// over every region). The finding gives each trail's reason. Make the trail
            /// multi-region, start its logging, or give it a selector of all management events; the
            /// remediation has the commands (put-event-selectors replaces all of a trail's
            /// selectors).
            NOT_COVERED = "bedrock-not-recorded",
            /// An organization trail covers the region, but its status and selectors can be read
            /// only from the organization's management account, and none of the account's own
            /// trails records Bedrock, so whether Bedrock is recorded here is unverified. Run the
            /// audit from the management account (or a delegated administrator), or confirm there
            /// that the trail logs management events without excluding bedrock.amazonaws.com.
            ORGANIZATION_UNVERIFIED = "organization-trail-unverified",
        },
    }
}

pub const BEDROCK_SOURCE: &str = "bedrock.amazonaws.com";

/// What one trail does for Bedrock's management events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    Covered,
    /// Why not, as a person reads it.
    Not(String),
}

/// Whether selectors record every Bedrock management event.
pub fn management_coverage(selectors: &TrailSelectors) -> Coverage {
    if selectors.basic.is_empty() && selectors.advanced.is_empty() {
        return Coverage::Not("selects no events".into());
    }
    let mut why = Vec::new();
    for basic in &selectors.basic {
        if !basic.management {
            why.push("a basic selector leaves out management events".to_string());
        } else if basic.excluded_sources.iter().any(|s| s == BEDROCK_SOURCE) {
            why.push(format!("a basic selector excludes {BEDROCK_SOURCE}"));
        } else if basic.read_write != "All" {
            why.push(format!(
                "a basic selector records only {} management events",
                basic.read_write
            ));
        } else {
            return Coverage::Covered;
        }
    }
    for advanced in &selectors.advanced {
        let has = |field: &str, operator: &str, value: &str| {
            advanced.fields.iter().any(|(f, o, values)| {
                f == field && o == operator && values.iter().any(|v| v == value)
            })
        };
        if !has("eventCategory", "Equals", "Management") {
            continue;
        }
        let name = advanced.name.as_deref().unwrap_or("an advanced selector");
        let excluded = has("eventSource", "NotEquals", BEDROCK_SOURCE)
            || has("eventSource", "NotStartsWith", "bedrock")
            || advanced.fields.iter().any(|(f, o, values)| {
                f == "eventSource" && o == "Equals" && !values.iter().any(|v| v == BEDROCK_SOURCE)
            });
        let one_side = advanced.fields.iter().any(|(f, _, _)| f == "readOnly");
        if excluded {
            why.push(format!("{name} excludes {BEDROCK_SOURCE}"));
        } else if one_side {
            why.push(format!(
                "{name} records only read or only write management events"
            ));
        } else {
            return Coverage::Covered;
        }
    }
    if why.is_empty() {
        why.push("its advanced selectors select no management events".into());
    }
    Coverage::Not(why.join("; "))
}

#[async_trait]
impl Check for CloudTrailTrail {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let findings = per_region(
            cx.scope
                .regions
                .iter()
                .map(|region| in_region(&cx.aws, region))
                .collect(),
        )
        .await;
        Ok(findings)
    }
}

async fn in_region(aws: &AwsReader, region: &Region) -> Finding {
    let judged = match judged_trails(aws, region).await {
        Ok(judged) => judged,
        Err(error) => return Finding::aws_error(&META, &error).region(region.as_str()),
    };
    judge(region, &judged).region(region.as_str())
}

fn judge(region: &Region, judged: &[Judged]) -> Finding {
    if judged.is_empty() {
        return Finding::fail(
            &META,
            kind::NO_TRAIL,
            Severity::High,
            "No trail records this region",
            format!(
                "No CloudTrail trail covers {region} (none of its own, no multi-region or organization trail): \
                 Bedrock calls made there, and changes to their logging, leave no record"
            ),
            Remediation::new(
                "aws cloudtrail create-trail --name bedrock-audit --s3-bucket-name BUCKET --is-multi-region-trail \
                 && aws cloudtrail start-logging --name bedrock-audit (the bucket's policy must let CloudTrail write)",
            ),
        );
    }
    let mut reasons = Vec::new();
    let mut unverified_org = Vec::new();
    let mut unreadable = Vec::new();
    for Judged { trail, answer } in judged {
        let scope = if trail.organization {
            "organization trail"
        } else if trail.multi_region {
            "multi-region trail"
        } else {
            "trail"
        };
        match answer {
            Ok((true, selectors)) if !trail.multi_region && !trail.organization => {
                if management_coverage(selectors) == Coverage::Covered {
                    reasons.push(format!(
                        "trail {} records Bedrock in {region} only: the control is a trail over every region \
                         (CIS 3.1), so a region Bedrock is used in next is not recorded",
                        trail.arn
                    ));
                }
            }
            Ok((true, selectors)) => match management_coverage(selectors) {
                Coverage::Covered => {
                    return Finding::pass(
                        &META,
                        kind::COVERED,
                        "A trail records Bedrock",
                        format!(
                            "The {scope} {} (home {}) is logging and records Bedrock's management events in {region}",
                            trail.name, trail.home_region
                        ),
                    )
                    .resource(trail.arn.clone());
                }
                Coverage::Not(why) => reasons.push(format!("{} {}: {why}", scope, trail.arn)),
            },
            Ok((false, _)) => reasons.push(format!(
                "{scope} {} is not logging ({})",
                trail.arn,
                sh![
                    "aws",
                    "cloudtrail",
                    "start-logging",
                    "--name",
                    trail.arn,
                    "--region",
                    trail.home_region
                ]
            )),
            Err(error) if trail.organization => {
                unverified_org.push(format!("{} ({error})", trail.arn));
            }
            Err(error) => unreadable.push((trail.arn.clone(), error)),
        }
    }
    if !unverified_org.is_empty() {
        return Finding::warn(
            &META,
            kind::ORGANIZATION_UNVERIFIED,
            Severity::Medium,
            "An organization trail covers this region, unverified",
            format!(
                "{region} is covered by the organization trail {}, whose status and selectors are readable only \
                 from the organization's management account{}",
                unverified_org.join(", "),
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the account's other trails do not record Bedrock: {}",
                        reasons.join("; ")
                    )
                }
            ),
            Remediation::new(
                "Run the audit from the management account (or a delegated administrator), or confirm there that \
                 the trail is logging management events without excluding bedrock.amazonaws.com",
            ),
        );
    }
    // A trail that could not be read may be the one that covers: no verdict without it.
    if let Some((arn, error)) = unreadable.first() {
        return Finding::aws_error(&META, error)
            .region(region.as_str())
            .resource(arn.clone())
            .message(format!(
                "Whether a trail records Bedrock in {region} is unknown: the status or selectors of {} could not \
                 be read ({}){}",
                unreadable
                    .iter()
                    .map(|(arn, _)| arn.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                error,
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!("; the others do not: {}", reasons.join("; "))
                }
            ));
    }
    Finding::fail(
        &META,
        kind::NOT_COVERED,
        Severity::High,
        "No trail records Bedrock here",
        format!(
            "Trails cover {region}, but none records Bedrock's management events: {}",
            reasons.join("; ")
        ),
        Remediation::new(
            "Make the trail multi-region (aws cloudtrail update-trail --name TRAIL --is-multi-region-trail), start \
             its logging, or give it a selector of all management events without excluding \
             bedrock.amazonaws.com: aws cloudtrail put-event-selectors --trail-name TRAIL --event-selectors \
             '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]' (this replaces its selectors: \
             add any data-event selectors it has)",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsError;
    use crate::domain::{AdvancedSelector, BasicSelector, Trail};

    fn basic(read_write: &str, management: bool, excluded: &[&str]) -> TrailSelectors {
        TrailSelectors {
            basic: vec![BasicSelector {
                read_write: read_write.into(),
                management,
                excluded_sources: excluded.iter().map(|s| s.to_string()).collect(),
                data_types: Vec::new(),
            }],
            advanced: Vec::new(),
        }
    }

    fn advanced(fields: &[(&str, &str, &[&str])]) -> TrailSelectors {
        TrailSelectors {
            basic: Vec::new(),
            advanced: vec![AdvancedSelector {
                name: Some("mgmt".into()),
                fields: fields
                    .iter()
                    .map(|(f, o, v)| {
                        (
                            f.to_string(),
                            o.to_string(),
                            v.iter().map(|s| s.to_string()).collect(),
                        )
                    })
                    .collect(),
            }],
        }
    }

    fn trail(multi_region: bool) -> Trail {
        Trail {
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t".into(),
            home_region: "us-east-1".into(),
            multi_region,
            organization: false,
        }
    }

    #[test]
    fn only_a_trail_over_every_region_is_the_control() {
        let region: Region = "us-east-1".parse().unwrap();
        let judged = |multi_region| {
            judge(
                &region,
                &[Judged {
                    trail: trail(multi_region),
                    answer: Ok((true, basic("All", true, &[]))),
                }],
            )
        };
        assert_eq!(judged(true).kind, kind::COVERED);
        let single = judged(false);
        assert_eq!(single.kind, kind::NOT_COVERED);
        assert!(single.message.contains("CIS 3.1"), "{}", single.message);
    }

    #[test]
    fn basic_and_advanced_selectors_both_decide() {
        assert_eq!(
            management_coverage(&basic("All", true, &[])),
            Coverage::Covered
        );
        assert!(matches!(
            management_coverage(&basic("All", true, &["kms.amazonaws.com", BEDROCK_SOURCE])),
            Coverage::Not(why) if why.contains("excludes bedrock")
        ));
        assert!(matches!(
            management_coverage(&basic("WriteOnly", true, &[])),
            Coverage::Not(_)
        ));
        assert!(matches!(
            management_coverage(&basic("All", false, &[])),
            Coverage::Not(_)
        ));
        assert_eq!(
            management_coverage(&advanced(&[("eventCategory", "Equals", &["Management"])])),
            Coverage::Covered
        );
        assert_eq!(
            management_coverage(&advanced(&[
                ("eventCategory", "Equals", &["Management"]),
                ("eventSource", "NotEquals", &["kms.amazonaws.com"]),
            ])),
            Coverage::Covered,
            "excluding another service leaves Bedrock in"
        );
        assert!(matches!(
            management_coverage(&advanced(&[
                ("eventCategory", "Equals", &["Management"]),
                (
                    "eventSource",
                    "NotEquals",
                    &["kms.amazonaws.com", BEDROCK_SOURCE]
                ),
            ])),
            Coverage::Not(_)
        ));
        assert!(matches!(
            management_coverage(&advanced(&[
                ("eventCategory", "Equals", &["Management"]),
                ("readOnly", "Equals", &["false"]),
            ])),
            Coverage::Not(_)
        ));
        assert!(matches!(
            management_coverage(&advanced(&[("eventCategory", "Equals", &["Data"])])),
            Coverage::Not(_)
        ));
        assert!(matches!(
            management_coverage(&TrailSelectors::default()),
            Coverage::Not(_)
        ));
    }

    #[test]
    fn an_organization_trail_only_its_management_account_may_read_is_unverified() {
        let region: Region = "eu-west-1".parse().unwrap();
        let organization = Trail {
            name: "org".into(),
            arn: "arn:aws:cloudtrail:us-east-1:999988887777:trail/org".into(),
            home_region: "us-east-1".into(),
            multi_region: true,
            organization: true,
        };
        let refused = AwsError::new(
            crate::aws::AwsErrorKind::Denied,
            &crate::aws::catalog::GET_TRAIL_STATUS,
            "not authorized to perform: cloudtrail:GetTrailStatus",
        );
        // The account's own single-region trail records Bedrock, but is not the control.
        let finding = judge(
            &region,
            &[
                Judged {
                    trail: organization,
                    answer: Err(refused),
                },
                Judged {
                    trail: trail(false),
                    answer: Ok((true, basic("All", true, &[]))),
                },
            ],
        );
        assert_eq!(
            (finding.code().as_str(), finding.status),
            (
                "cloudtrail.trail/organization-trail-unverified",
                crate::engine::Status::Warn
            )
        );
        assert!(
            finding
                .message
                .contains("covered by the organization trail arn:aws:cloudtrail:us-east-1:999988887777:trail/org"),
            "{}",
            finding.message
        );
        assert!(
            finding
                .message
                .contains("the account's other trails do not record Bedrock"),
            "{}",
            finding.message
        );
        assert!(
            finding
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Run the audit from the management account")
        );
    }
}

#[cfg(test)]
mod judging {
    use super::*;
    use crate::aws::catalog::GET_EVENT_SELECTORS;
    use crate::checks::testing::{basic_selector, denied, region, trail};
    use crate::domain::Trail;
    use crate::engine::Status;

    fn read(trail: Trail, logging: bool) -> Judged {
        Judged {
            trail,
            answer: Ok((logging, basic_selector(&[]))),
        }
    }

    fn unread(trail: Trail) -> Judged {
        Judged {
            trail,
            answer: Err(denied(&GET_EVENT_SELECTORS)),
        }
    }

    fn organization(name: &str) -> Trail {
        Trail {
            organization: true,
            ..trail(name, true)
        }
    }

    #[test]
    fn no_trail_fails_with_the_commands_that_make_one() {
        let found = judge(&region("eu-west-1"), &[]);
        assert_eq!(
            (found.status, found.code().as_str()),
            (Status::Fail, "cloudtrail.trail/no-trail")
        );
        assert!(
            found
                .message
                .starts_with("No CloudTrail trail covers eu-west-1")
        );
        let fix = found.remediation.unwrap();
        assert!(
            fix.contains("aws cloudtrail create-trail --name bedrock-audit"),
            "{fix}"
        );
        assert!(fix.contains("--is-multi-region-trail"), "{fix}");
    }

    #[test]
    fn a_trail_that_is_not_logging_is_no_record_and_says_how_to_start_it() {
        let found = judge(&region("us-east-1"), &[read(trail("stopped", true), false)]);
        assert_eq!(
            (found.status, found.code().as_str()),
            (Status::Fail, "cloudtrail.trail/bedrock-not-recorded")
        );
        assert!(
            found.message.contains(
                "multi-region trail arn:aws:cloudtrail:us-east-1:123456789012:trail/stopped is not logging \
                 (aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:123456789012:trail/stopped \
                 --region us-east-1)"
            ),
            "{}",
            found.message
        );
    }

    #[test]
    fn an_organization_trail_read_from_a_member_account_is_unverified_not_passed() {
        let found = judge(
            &region("us-east-1"),
            &[unread(organization("org")), read(trail("own", true), false)],
        );
        assert_eq!(
            (found.status, found.code().as_str()),
            (
                Status::Warn,
                "cloudtrail.trail/organization-trail-unverified"
            )
        );
        assert!(
            found
                .message
                .contains("trail/org (cloudtrail:GetEventSelectors was denied"),
            "{}",
            found.message
        );
        assert!(
            found
                .message
                .contains("the account's other trails do not record Bedrock"),
            "{}",
            found.message
        );
        assert!(found.remediation.unwrap().contains("management account"));
        let verified = judge(
            &region("us-east-1"),
            &[read(organization("org"), true), unread(trail("own", true))],
        );
        assert_eq!(
            verified.code(),
            "cloudtrail.trail/covered",
            "a trail that covers decides"
        );
    }

    #[test]
    fn a_trail_whose_status_cannot_be_read_leaves_no_verdict() {
        let found = judge(
            &region("ap-south-1"),
            &[
                unread(trail("hidden", true)),
                read(trail("stopped", true), false),
            ],
        );
        assert_eq!(
            (found.status, found.code().as_str()),
            (Status::Error, "cloudtrail.trail/read-failed")
        );
        assert_eq!(found.region.as_deref(), Some("ap-south-1"));
        assert_eq!(
            found.resource.as_deref(),
            Some("arn:aws:cloudtrail:us-east-1:123456789012:trail/hidden")
        );
        assert!(
            found.message.contains("; the others do not: "),
            "{}",
            found.message
        );
    }
}
