//! `region.config`: a region is configured, and each target region is one where Bedrock is
//! offered.

use async_trait::async_trait;

use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};

check! {
    RegionConfig = "region.config" {
        title: "Region configuration",
        description: "A region is set (flag, AWS_REGION, or profile) and each target region is one \
                      where Amazon Bedrock is offered",
        commands: [Doctor],
        depends_on: [],
        after: [],
        severity: High,
        kinds: {
            OFFERED = "bedrock-offered",
            NOT_KNOWN = "bedrock-not-known",
            NO_REGION = "no-region",
        },
    }
}

/// Regions with a Bedrock endpoint, from AWS's endpoint list (docs.aws.amazon.com/general/
/// latest/gr/bedrock.html) as of 2026-11. A region missing here warns instead of failing,
/// since Bedrock launches in new regions faster than this list is updated.
const BEDROCK_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
];

#[async_trait]
impl Check for RegionConfig {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let scope = &cx.scope;
        if scope.regions.is_empty() {
            return Ok(vec![Finding::fail(
                &META,
                kind::NO_REGION,
                Severity::High,
                "No AWS region is set",
                "Neither --region, AWS_REGION, AWS_DEFAULT_REGION nor the profile sets a region, \
                 and Bedrock is regional",
                Remediation::new(
                    "export AWS_REGION=us-east-1 (Claude Code reads only AWS_REGION, never the \
                     profile), or aws configure set region us-east-1",
                ),
            )]);
        }
        let (source, set_by) = match scope.region_source {
            Some(source) => (source.as_str(), source.describe()),
            None => ("unknown", "an unknown source"),
        };
        let findings = scope
            .regions
            .iter()
            .map(|region| {
                let finding = if BEDROCK_REGIONS.contains(&region.as_str()) {
                    Finding::pass(
                        &META,
                        kind::OFFERED,
                        "Region offers Amazon Bedrock",
                        format!("{region} (set by {set_by}) offers Amazon Bedrock"),
                    )
                } else {
                    Finding::warn(
                        &META,
                        kind::NOT_KNOWN,
                        Severity::Medium,
                        "Region not known to offer Amazon Bedrock",
                        format!(
                            "{region} (set by {set_by}) is not among the regions this version \
                             knows to offer Amazon Bedrock; calls there may fail to connect"
                        ),
                        Remediation::new(
                            "Use a Bedrock region, e.g. --region us-east-1 or export \
                             AWS_REGION=us-east-1; see https://docs.aws.amazon.com/general/latest/gr/bedrock.html",
                        ),
                    )
                };
                finding
                    .region(region.as_str())
                    .evidence("region_source", source)
            })
            .collect();
        Ok(findings)
    }
}
