//! `cloudtrail.data-events` (advisory): a logging trail over the region selects Bedrock data
//! events (`AWS::Bedrock::*` resources: agents, flows, guardrails, knowledge bases, models,
//! prompts), which management events do not cover. Most Claude-on-Bedrock accounts do not
//! need them, so their absence warns, never fails.

use async_trait::async_trait;

use super::{judged_trails, per_region};
use crate::aws::AwsReader;
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
            SELECTED = "selected",
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
        Ok(per_region(
            cx.scope
                .regions
                .iter()
                .map(|region| in_region(&cx.aws, region))
                .collect(),
        )
        .await)
    }
}

async fn in_region(aws: &AwsReader, region: &Region) -> Finding {
    let judged = match judged_trails(aws, region).await {
        Ok(judged) => judged,
        Err(error) => return Finding::aws_error(&META, &error).region(region.as_str()),
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
