//! `region.config`: a region is configured, and each target region is one where Bedrock is
//! offered.

use async_trait::async_trait;

use crate::domain::BEDROCK_REGIONS;
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
            /// A region is set (by `--region`, `AWS_REGION` or `AWS_DEFAULT_REGION`, the AWS
            /// profile or instance metadata; the finding says which) and it is one where Amazon
            /// Bedrock is offered. The other checks of the run look at Bedrock there.
            OFFERED = "bedrock-offered",
            /// The region is not among those this version knows to offer Amazon Bedrock: a typo, a
            /// region without Bedrock, or one added since this release. Calls there may fail to
            /// connect. Use a Bedrock region (`--region us-east-1`, or
            /// `export AWS_REGION=us-east-1`).
            NOT_KNOWN = "bedrock-not-known",
            /// No region is set: neither `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION` nor the AWS
            /// profile names one, and Bedrock is regional, so nothing regional can be checked.
            /// Clients then fall back to a default of their own (Claude Code and the Python SDK use
            /// us-east-1), which may not be where the account's access is. Set one:
            /// `export AWS_REGION=us-east-1`, or `aws configure set region us-east-1`.
            NO_REGION = "no-region",
        },
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{context, region};
    use crate::domain::RegionSource;
    use crate::engine::{Scope, Status};

    async fn judged(regions: &[&str], source: Option<RegionSource>) -> Vec<Finding> {
        let cx = context(Scope {
            regions: regions.iter().map(|r| region(r)).collect(),
            region_source: source,
            ..Scope::default()
        });
        RegionConfig.run(&cx).await.unwrap()
    }

    #[tokio::test]
    async fn a_region_without_bedrock_warns_and_one_with_it_passes_naming_its_source() {
        let found = judged(&["us-east-1", "af-south-1"], Some(RegionSource::Profile)).await;
        let got: Vec<(String, Status)> = found.iter().map(|f| (f.code(), f.status)).collect();
        assert_eq!(
            got,
            [
                ("region.config/bedrock-offered".to_string(), Status::Pass),
                ("region.config/bedrock-not-known".to_string(), Status::Warn),
            ]
        );
        assert!(
            found[0]
                .message
                .contains("(set by the profile's region setting)"),
            "{}",
            found[0].message
        );
        assert_eq!(found[1].region.as_deref(), Some("af-south-1"));
        assert_eq!(found[1].evidence["region_source"], "profile");
        assert!(
            found[1]
                .remediation
                .as_deref()
                .unwrap()
                .contains("--region us-east-1")
        );
    }

    #[tokio::test]
    async fn no_region_anywhere_fails_with_the_export_to_run() {
        let found = judged(&[], None).await;
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code().as_str(), found[0].status),
            ("region.config/no-region", Status::Fail)
        );
        assert!(
            found[0]
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("export AWS_REGION=us-east-1")
        );
    }
}
