//! S3 reads for `audit`: what a bucket that receives invocation logs keeps, from its lifecycle
//! configuration.

use aws_sdk_s3::types::{ExpirationStatus, LifecycleRule};
use aws_smithy_types::date_time::Format;
use aws_types::SdkConfig;

use super::catalog;
use super::{AwsError, AwsReader};
use crate::domain::{BucketKeeping, Expiry, Region};

/// An endpoint override (an emulator, a VPC endpoint) serves buckets by path.
pub(super) fn by_path(
    builder: aws_sdk_s3::config::Builder,
    config: &SdkConfig,
) -> aws_sdk_s3::config::Builder {
    builder.force_path_style(config.endpoint_url().is_some())
}

/// The prefix a rule applies to; `None` when it selects by tag or size too, which Bedrock's
/// log objects do not carry, so it does not apply to them as a whole.
fn rule_prefix(rule: &LifecycleRule) -> Option<String> {
    #[allow(deprecated)]
    let legacy = rule.prefix();
    match rule.filter() {
        None => Some(legacy.unwrap_or_default().to_string()),
        Some(filter) => {
            if filter.tag().is_some() {
                return None;
            }
            match filter.and() {
                Some(and) if !and.tags().is_empty() => None,
                Some(and) => Some(and.prefix().unwrap_or_default().to_string()),
                None => Some(filter.prefix().unwrap_or_default().to_string()),
            }
        }
    }
}

impl AwsReader {
    /// GetBucketLifecycleConfiguration: the enabled rules that expire objects under `prefix`;
    /// `Ok(None)` when the bucket does not exist. A bucket without lifecycle keeps everything.
    pub async fn bucket_keeping(
        &self,
        region: &Region,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<BucketKeeping>, AwsError> {
        self.cached_reply(
            &catalog::GET_BUCKET_LIFECYCLE_CONFIGURATION,
            Some(region.as_str()),
            format!("{bucket}|{prefix}"),
            || {
                let s3 = self.session.s3(region);
                s3.get_bucket_lifecycle_configuration()
                    .bucket(bucket)
                    .send()
            },
            |reply| {
                let rules = match reply {
                    Ok(out) => out.rules,
                    Err(error) => match error.code() {
                        Some("NoSuchLifecycleConfiguration") => None,
                        Some("NoSuchBucket") => return Ok(None),
                        _ => return Err(error),
                    },
                };
                let expiries = rules
                    .unwrap_or_default()
                    .iter()
                    .filter(|r| *r.status() == ExpirationStatus::Enabled)
                    .filter(|r| {
                        rule_prefix(r)
                            .is_some_and(|p| prefix.starts_with(&p) || p.starts_with(prefix))
                    })
                    .filter_map(|r| {
                        let expiration = r.expiration()?;
                        let days = expiration.days();
                        let date = expiration.date().and_then(|d| d.fmt(Format::DateTime).ok());
                        (days.is_some() || date.is_some()).then(|| Expiry {
                            rule: r.id().unwrap_or("(unnamed)").to_string(),
                            days,
                            date,
                        })
                    })
                    .collect();
                Ok(Some(BucketKeeping { expiries }))
            },
        )
        .await
    }
}
