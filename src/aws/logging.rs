//! Model invocation logging: Bedrock's logging configuration of a region and CloudWatch Logs
//! log groups, read for plans (`setup logging`) and audits.

use aws_sdk_bedrock::types::{CloudWatchConfig, LoggingConfig, S3Config};

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{CloudWatchDestination, InvocationLogging, LogGroup, Region};

fn from_sdk(config: Option<LoggingConfig>) -> InvocationLogging {
    let Some(config) = config else {
        return InvocationLogging::default();
    };
    InvocationLogging {
        cloudwatch: config.cloud_watch_config.map(|c| CloudWatchDestination {
            log_group: c.log_group_name,
            role_arn: c.role_arn,
            large_data_bucket: c.large_data_delivery_s3_config.map(|s| s.bucket_name),
        }),
        s3: config.s3_config.map(|s| (s.bucket_name, s.key_prefix)),
        text: config.text_data_delivery_enabled.unwrap_or(false),
        image: config.image_data_delivery_enabled.unwrap_or(false),
        embedding: config.embedding_data_delivery_enabled.unwrap_or(false),
        video: config.video_data_delivery_enabled.unwrap_or(false),
        audio: config.audio_data_delivery_enabled.unwrap_or(false),
    }
}

pub(super) fn to_sdk(
    logging: &InvocationLogging,
    op: &'static Operation,
) -> Result<LoggingConfig, AwsError> {
    let invalid = |e: aws_sdk_bedrock::error::BuildError| {
        AwsError::new(AwsErrorKind::Invalid, op, e.to_string())
    };
    let cloudwatch = match &logging.cloudwatch {
        Some(c) => Some(
            CloudWatchConfig::builder()
                .log_group_name(&c.log_group)
                .role_arn(&c.role_arn)
                .set_large_data_delivery_s3_config(
                    c.large_data_bucket
                        .as_ref()
                        .map(|b| S3Config::builder().bucket_name(b).build())
                        .transpose()
                        .map_err(invalid)?,
                )
                .build()
                .map_err(invalid)?,
        ),
        None => None,
    };
    let s3 = match &logging.s3 {
        Some((bucket, prefix)) => Some(
            S3Config::builder()
                .bucket_name(bucket)
                .set_key_prefix(prefix.clone())
                .build()
                .map_err(invalid)?,
        ),
        None => None,
    };
    Ok(LoggingConfig::builder()
        .set_cloud_watch_config(cloudwatch)
        .set_s3_config(s3)
        .text_data_delivery_enabled(logging.text)
        .image_data_delivery_enabled(logging.image)
        .embedding_data_delivery_enabled(logging.embedding)
        .video_data_delivery_enabled(logging.video)
        .audio_data_delivery_enabled(logging.audio)
        .build())
}

impl AwsReader {
    /// GetModelInvocationLoggingConfiguration: the region's configuration (empty when
    /// logging is off).
    pub async fn invocation_logging(&self, region: &Region) -> Result<InvocationLogging, AwsError> {
        self.cached_call(
            &catalog::GET_MODEL_INVOCATION_LOGGING_CONFIGURATION,
            Some(region.as_str()),
            "",
            || {
                let bedrock = self.session.bedrock(region);
                bedrock.get_model_invocation_logging_configuration().send()
            },
            |out| Ok(from_sdk(out.logging_config)),
        )
        .await
    }

    /// DescribeLogGroups: the log group named exactly `name`, if the region has it.
    pub async fn log_group(
        &self,
        region: &Region,
        name: &str,
    ) -> Result<Option<LogGroup>, AwsError> {
        self.cached_call(
            &catalog::DESCRIBE_LOG_GROUPS,
            Some(region.as_str()),
            name,
            || {
                let logs = self.session.logs(region);
                all_items!(logs.describe_log_groups().log_group_name_prefix(name))
            },
            |groups| {
                Ok(groups
                    .into_iter()
                    .find(|g| g.log_group_name.as_deref() == Some(name))
                    .map(|g| LogGroup {
                        name: name.to_string(),
                        retention_days: g.retention_in_days,
                    }))
            },
        )
        .await
    }
}
