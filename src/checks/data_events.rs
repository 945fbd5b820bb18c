//! `cloudtrail.data-events` (advisory): a logging trail over the region selects Bedrock data
//! events (`AWS::Bedrock::*` resources: agents, flows, guardrails, knowledge bases, models,
//! prompts), which management events do not cover. Most Claude-on-Bedrock accounts do not
//! need them, so their absence warns, never fails.

use async_trait::async_trait;

use super::{Judged, judged_trails, per_region};
use crate::aws::AwsError;
use crate::domain::{Region, TrailSelectors};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};

check! {
    CloudTrailDataEvents = "cloudtrail.data-events" {
        title: "Bedrock data events",
        description: "Advisory: a logging trail over the region selects Bedrock data events \
                      (AWS::Bedrock::* resource types, by basic DataResources or an advanced selector \
                      with eventCategory Data)",
        commands: [Audit],
        depends_on: [],
        after: [],
        severity: Low,
        kinds: {
            /// A logging CloudTrail trail over the region selects Bedrock data events (an
            /// `AWS::Bedrock::` resource type, through a basic data-resource selector or an
            /// advanced selector with `eventCategory` `Data`), so calls to Bedrock resources such
            /// as agents, knowledge bases, flows and guardrails are recorded. Nothing to fix; data
            /// events are billed per event, so keep the selector as narrow as your audit needs.
            SELECTED = "selected",
            /// No logging trail over the region selects Bedrock data events. This is advisory:
            /// Claude calls themselves (`InvokeModel`, `Converse` and their streaming forms) are
            /// management events, and model invocation logging records their content; data events
            /// add the calls to agents, knowledge bases, flows, guardrails and other
            /// `AWS::Bedrock::` resources. If you need those, add an advanced event selector with
            /// `eventCategory` `Data` and a `resources.type` such as `AWS::Bedrock::Model` to a
            /// trail (the remediation carries one; `put-event-selectors` replaces the trail's
            /// selectors, so send the existing ones too).
            NOT_SELECTED = "not-selected",
        },
    }
}

const BEDROCK_TYPES: &str = "AWS::Bedrock::";

/// Whether selectors record any Bedrock data event.
pub fn selects_bedrock_data(selectors: &TrailSelectors) -> bool {
    let basic = selectors
        .basic
        .iter()
        .any(|s| s.data_types.iter().any(|t| t.starts_with(BEDROCK_TYPES)));
    let advanced = selectors.advanced.iter().any(|s| {
        let data = s.fields.iter().any(|(f, o, v)| {
            f == "eventCategory" && o == "Equals" && v.iter().any(|v| v == "Data")
        });
        let bedrock = s.fields.iter().any(|(f, o, v)| {
            f == "resources.type"
                && (o == "Equals" || o == "StartsWith")
                && v.iter().any(|v| v.starts_with(BEDROCK_TYPES))
        });
        data && bedrock
    });
    basic || advanced
}

#[async_trait]
impl Check for CloudTrailDataEvents {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let regions = &cx.scope.regions;
        let trails = per_region(
            regions
                .iter()
                .map(|region| judged_trails(&cx.aws, region))
                .collect(),
        )
        .await;
        Ok(regions
            .iter()
            .zip(&trails)
            .map(|(region, trails)| judge(region, trails))
            .collect())
    }
}

/// Whether a trail over `region` that is logging selects Bedrock data events; `trails` as
/// `judged_trails` read them.
fn judge(region: &Region, trails: &Result<Vec<Judged>, AwsError>) -> Finding {
    let judged = match trails {
        Ok(judged) => judged,
        Err(error) => return Finding::aws_error(&META, error).region(region.as_str()),
    };
    let selecting = judged
        .iter()
        .find(|j| matches!(&j.answer, Ok((true, selectors)) if selects_bedrock_data(selectors)));
    match selecting {
        Some(found) => Finding::pass(
            &META,
            kind::SELECTED,
            "Bedrock data events are recorded",
            format!(
                "The trail {} records Bedrock data events in {region}",
                found.trail.name
            ),
        )
        .resource(found.trail.arn.clone()),
        None => Finding::warn(
            &META,
            kind::NOT_SELECTED,
            Severity::Low,
            "Bedrock data events are not recorded",
            format!(
                "No logging trail over {region} selects Bedrock data events (agents, flows, guardrails, knowledge \
                 bases, models, prompts). Advisory: Claude calls themselves are management events and model \
                 invocation logging records their content"
            ),
            Remediation::new(
                "Add to the trail's advanced selectors (put-event-selectors replaces them all, so send the existing \
                 ones too): {\"Name\":\"Bedrock data events\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\
                 \"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::Bedrock::Model\"]}]}",
            ),
        ),
    }
    .region(region.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::DESCRIBE_TRAILS;
    use crate::checks::testing::{
        advanced_selector, basic_selector, denied, region, trail as named_trail,
    };
    use crate::domain::Trail;
    use crate::engine::Status;

    const MODELS: &str = "AWS::Bedrock::Model";

    fn logging(trail: Trail, selectors: TrailSelectors) -> Judged {
        Judged {
            trail,
            answer: Ok((true, selectors)),
        }
    }

    fn data_of(types: &[&str]) -> TrailSelectors {
        advanced_selector(&[
            ("eventCategory", "Equals", &["Data"]),
            ("resources.type", "Equals", types),
        ])
    }

    #[test]
    fn a_logging_trail_selecting_bedrock_data_passes_and_names_itself() {
        let us_east_1 = region("us-east-1");
        let trails = Ok(vec![
            logging(named_trail("management", true), basic_selector(&[])),
            logging(
                named_trail("data", true),
                data_of(&["AWS::S3::Object", MODELS]),
            ),
        ]);
        let found = judge(&us_east_1, &trails);
        assert_eq!(
            (found.status, found.code().as_str()),
            (Status::Pass, "cloudtrail.data-events/selected")
        );
        assert_eq!(found.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            found.resource.as_deref(),
            Some("arn:aws:cloudtrail:us-east-1:123456789012:trail/data")
        );
        assert!(
            found.message.contains("The trail data records"),
            "{}",
            found.message
        );

        let by_basic = Ok(vec![logging(
            named_trail("basic", false),
            basic_selector(&["AWS::Bedrock::KnowledgeBase"]),
        )]);
        assert_eq!(judge(&us_east_1, &by_basic).status, Status::Pass);
        let by_prefix = Ok(vec![logging(
            named_trail("prefix", true),
            advanced_selector(&[
                ("eventCategory", "Equals", &["Data"]),
                ("resources.type", "StartsWith", &["AWS::Bedrock::"]),
            ]),
        )]);
        assert_eq!(judge(&us_east_1, &by_prefix).status, Status::Pass);
    }

    #[test]
    fn anything_short_of_a_logging_trail_selecting_bedrock_data_warns_with_the_selector_to_add() {
        let eu_west_1 = region("eu-west-1");
        let not_logging = Judged {
            trail: named_trail("stopped", true),
            answer: Ok((false, data_of(&[MODELS]))),
        };
        let unreadable = Judged {
            trail: named_trail("hidden", true),
            answer: Err(denied(&crate::aws::catalog::GET_EVENT_SELECTORS)),
        };
        for (why, trails) in [
            ("no trail", Vec::new()),
            (
                "management events only",
                vec![logging(named_trail("m", true), basic_selector(&[]))],
            ),
            (
                "another service's data",
                vec![logging(
                    named_trail("s3", true),
                    data_of(&["AWS::S3::Object"]),
                )],
            ),
            (
                "Bedrock management events",
                vec![logging(
                    named_trail("mgmt", true),
                    advanced_selector(&[
                        ("eventCategory", "Equals", &["Management"]),
                        ("resources.type", "Equals", &[MODELS]),
                    ]),
                )],
            ),
            (
                "an operator that leaves Bedrock out",
                vec![logging(
                    named_trail("not", true),
                    advanced_selector(&[
                        ("eventCategory", "Equals", &["Data"]),
                        ("resources.type", "NotEquals", &[MODELS]),
                    ]),
                )],
            ),
            ("a trail that is not logging", vec![not_logging]),
            (
                "a trail whose selectors could not be read",
                vec![unreadable],
            ),
        ] {
            let found = judge(&eu_west_1, &Ok(trails));
            assert_eq!(
                (found.status, found.code().as_str()),
                (Status::Warn, "cloudtrail.data-events/not-selected"),
                "{why}"
            );
            assert_eq!(found.severity, Severity::Low, "{why}");
            assert_eq!(found.region.as_deref(), Some("eu-west-1"), "{why}");
            assert!(found.message.contains("over eu-west-1"), "{why}");
            let fix = found.remediation.as_deref().unwrap();
            assert!(
                fix.contains(r#"{"Field":"eventCategory","Equals":["Data"]}"#)
                    && fix
                        .contains(r#"{"Field":"resources.type","Equals":["AWS::Bedrock::Model"]}"#),
                "{fix}"
            );
        }
    }

    #[test]
    fn trails_that_cannot_be_listed_are_an_error_of_the_region() {
        let found = judge(&region("ap-south-1"), &Err(denied(&DESCRIBE_TRAILS)));
        assert_eq!(
            (found.status, found.code().as_str()),
            (Status::Error, "cloudtrail.data-events/read-failed")
        );
        assert_eq!(found.region.as_deref(), Some("ap-south-1"));
        assert_eq!(found.evidence["operation"], "cloudtrail:DescribeTrails");
        assert_eq!(found.evidence["error_kind"], "access_denied");
    }
}
