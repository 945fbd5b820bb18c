//! S3 reads for `audit`: what a bucket that receives invocation logs keeps, from its lifecycle
//! configuration.

use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationError;
use aws_sdk_s3::types::{ExpirationStatus, LifecycleRule};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::catalog::{self, Operation};
use super::{AwsError, AwsReader, CallKey, Session};
use crate::domain::{BucketKeeping, Expiry, Region};

impl Session {
    fn s3(&self, region: &Region) -> aws_sdk_s3::Client {
        let path_style = self.config.endpoint_url().is_some();
        self.regional(&self.clients.s3, region, |config| {
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    // An endpoint override (an emulator, a VPC endpoint) serves buckets by path.
                    .force_path_style(path_style)
                    .interceptor(self.hooks())
                    .build(),
            )
        })
    }
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
        const OP: &Operation = &catalog::GET_BUCKET_LIFECYCLE_CONFIGURATION;
        self.cache
            .get(
                self.log(),
                CallKey::new(OP, Some(region.as_str()), format!("{bucket}|{prefix}")),
                || async {
                    let answer = self
                        .session
                        .s3(region)
                        .get_bucket_lifecycle_configuration()
                        .bucket(bucket)
                        .send()
                        .await;
                    let rules = match answer {
                        Ok(out) => out.rules().to_vec(),
                        Err(error) => {
                            let code = error
                                .as_service_error()
                                .and_then(GetBucketLifecycleConfigurationError::code)
                                .map(str::to_string);
                            match code.as_deref() {
                                Some("NoSuchLifecycleConfiguration") => Vec::new(),
                                Some("NoSuchBucket") => return Ok(None),
                                _ => return Err(AwsError::from_sdk(OP, error)),
                            }
                        }
                    };
                    let expiries = rules
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
