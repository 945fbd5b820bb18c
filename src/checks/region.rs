//! `region.config`: a region is configured, and each target region is one where Bedrock is
//! offered.

use async_trait::async_trait;

use crate::claude_code::FACTS;
use crate::domain::{BEDROCK_REGIONS, Region, RegionSource};
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
            /// A region is set (by `--region`, `regions` in the configuration file, `AWS_REGION` or
            /// `AWS_DEFAULT_REGION`, the AWS profile or instance metadata; the finding says which)
            /// and it is one where Amazon Bedrock is offered. The other checks of the run look at
            /// Bedrock there.
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
        Ok(judge(&cx.scope.regions, cx.scope.region_source))
    }
}

/// One finding per target region, or one failure when none is set.
fn judge(regions: &[Region], region_source: Option<RegionSource>) -> Vec<Finding> {
    if regions.is_empty() {
        return vec![Finding::fail(
            &META,
            kind::NO_REGION,
            Severity::High,
            "No AWS region is set",
            "Neither --region, AWS_REGION, AWS_DEFAULT_REGION nor the profile sets a region, \
             and Bedrock is regional",
            Remediation::new(format!(
                "export AWS_REGION=us-east-1 (Claude Code before {} reads only AWS_REGION, never \
                 the profile), or aws configure set region us-east-1",
                FACTS.region_fallback.since
            )),
        )
        .evidence("fact_source", FACTS.region_fallback.source.as_str())];
    }
    let (source, set_by) = match region_source {
        Some(source) => (source.as_str(), source.describe()),
        None => ("unknown", "an unknown source"),
    };
    regions
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
                    Remediation::new(not_known_fix(region_source)),
                )
            };
            finding
                .region(region.as_str())
                .evidence("region_source", source)
        })
        .collect()
}

/// Where to change a region that is not known to offer Bedrock: the file's `regions` outrank
/// the environment, so there exporting AWS_REGION would change nothing.
fn not_known_fix(region_source: Option<RegionSource>) -> &'static str {
    match region_source {
        Some(RegionSource::ConfigFile) => {
            "Name Bedrock regions in the configuration file, e.g. regions = [\"us-east-1\"], or \
             pass --region us-east-1; see https://docs.aws.amazon.com/general/latest/gr/bedrock.html"
        }
        _ => {
            "Use a Bedrock region, e.g. --region us-east-1 or export AWS_REGION=us-east-1; see \
             https://docs.aws.amazon.com/general/latest/gr/bedrock.html"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::region;
    use crate::engine::Status;

    #[test]
    fn no_region_fails_once_with_the_variable_claude_code_reads() {
        let found = judge(&[], Some(RegionSource::Profile));
        assert_eq!(found.len(), 1);
        let none = &found[0];
        assert_eq!(
            (none.status, none.code().as_str()),
            (Status::Fail, "region.config/no-region")
        );
        assert_eq!(none.region, None);
        assert!(
            none.remediation
                .as_deref()
                .unwrap()
                .starts_with("export AWS_REGION=us-east-1 ")
        );
        // Only older Claude Code ignores the profile's region, and the fix says from when,
        // citing the CHANGELOG entry it rests on.
        assert!(
            none.remediation
                .as_deref()
                .unwrap()
                .contains("Claude Code before 2.1.172 reads only AWS_REGION"),
            "{:?}",
            none.remediation
        );
        assert!(
            none.evidence["fact_source"]
                .as_str()
                .unwrap()
                .starts_with("CHANGELOG 2.1.172")
        );
    }

    #[test]
    fn each_region_is_judged_in_order_and_says_what_set_it() {
        let found = judge(
            &[region("eu-west-1"), region("xx-north-9")],
            Some(RegionSource::Flag),
        );
        let seen: Vec<_> = found
            .iter()
            .map(|f| (f.region.as_deref().unwrap(), f.status, f.code()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "eu-west-1",
                    Status::Pass,
                    "region.config/bedrock-offered".into()
                ),
                (
                    "xx-north-9",
                    Status::Warn,
                    "region.config/bedrock-not-known".into()
                ),
            ]
        );
        for finding in &found {
            assert_eq!(finding.evidence["region_source"], "flag");
            assert!(
                finding.message.contains("(set by --region)"),
                "{}",
                finding.message
            );
        }
        assert!(
            found[1]
                .remediation
                .as_deref()
                .unwrap()
                .contains("--region us-east-1")
        );
    }

    #[test]
    fn a_region_of_unknown_origin_is_still_judged() {
        let found = judge(&[region("us-gov-west-1")], None);
        assert_eq!(found[0].status, Status::Pass);
        assert_eq!(found[0].evidence["region_source"], "unknown");
        assert!(found[0].message.contains("set by an unknown source"));
        let from_environment = judge(&[region("us-east-1")], Some(RegionSource::Environment));
        assert_eq!(from_environment[0].evidence["region_source"], "environment");
        assert!(
            from_environment[0]
                .message
                .contains("AWS_REGION or AWS_DEFAULT_REGION")
        );
    }

    #[test]
    fn a_region_from_the_configuration_file_is_fixed_there() {
        let found = judge(
            &[region("eu-west-1"), region("xx-north-9")],
            Some(RegionSource::ConfigFile),
        );
        assert_eq!(found[0].evidence["region_source"], "config-file");
        assert!(
            found[0]
                .message
                .contains("(set by regions in the configuration file)"),
            "{}",
            found[0].message
        );
        let fix = found[1].remediation.as_deref().unwrap();
        assert!(
            fix.starts_with("Name Bedrock regions in the configuration file"),
            "{fix}"
        );
        assert!(!fix.contains("AWS_REGION"), "the file outranks it: {fix}");
    }
}
