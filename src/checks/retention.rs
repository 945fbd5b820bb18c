//! `logging.retention`: where each region sends its invocation logs, they are kept at least
//! 30 days, and the role Bedrock delivers them with is in place.

use async_trait::async_trait;

use super::facts::LoggingConfigs;
use super::per_region;
use crate::aws::{AwsErrorKind, AwsReader};
use crate::domain::{InvocationLogging, Region};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

/// The retention an auditor expects of invocation logs.
const MIN_RETENTION_DAYS: i32 = 30;

check! {
    LoggingRetention = "logging.retention" {
        title: "Invocation log retention",
        description: "Where each region sends its invocation logs, they are kept: the CloudWatch Logs \
                      group exists and keeps at least 30 days (or never expires), and the role Bedrock \
                      writes with exists and trusts bedrock.amazonaws.com; an S3 destination's bucket \
                      exists and no enabled lifecycle rule expires the log prefix sooner \
                      (GetBucketLifecycleConfiguration)",
        commands: [Audit],
        depends_on: [],
        // Whatever logging.invocation concluded, every region that logs somewhere is judged.
        after: ["logging.invocation"],
        severity: High,
        kinds: {
            KEPT = "kept",
            GROUP_MISSING = "log-group-missing",
            SHORT = "retention-too-short",
            ROLE_MISSING = "role-missing",
            ROLE_NOT_TRUSTED = "role-not-trusted-by-bedrock",
            BUCKET_MISSING = "bucket-missing",
            BUCKET_EXPIRES = "bucket-expires-too-soon",
            NOTHING_LOGGED = "nothing-logged",
        },
    }
}

#[async_trait]
impl Check for LoggingRetention {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let configs = cx.fact::<LoggingConfigs>().unwrap_or_default();
        if configs.list.is_empty() {
            return Ok(vec![Finding::skip(
                &META,
                kind::NOTHING_LOGGED,
                "Skipped: no audited region logs invocations anywhere (see logging.invocation)",
            )]);
        }
        let judged = per_region(
            configs
                .list
                .iter()
                .map(|(region, config)| kept(&cx.aws, region, config))
                .collect(),
        )
        .await;
        Ok(judged.into_iter().flatten().collect())
    }
}

async fn kept(aws: &AwsReader, region: &Region, config: &InvocationLogging) -> Vec<Finding> {
    let meta = &META;
    let mut findings = Vec::new();
    if let Some(cloudwatch) = &config.cloudwatch {
        let group = &cloudwatch.log_group;
        let (group_answer, role_answer) = tokio::join!(
            aws.log_group(region, group),
            role_trusts_bedrock(aws, &cloudwatch.role_arn)
        );
        findings.push(match group_answer {
            Err(error) => Finding::aws_error(meta, &error),
            Ok(None) => Finding::fail(
                meta,
                kind::GROUP_MISSING,
                Severity::High,
                "The invocation log group does not exist",
                format!(
                    "{region}'s invocation logging writes to the log group {group}, which does not exist: Bedrock \
                     cannot deliver, and nothing is kept"
                ),
                Remediation::new(format!(
                    "{} && {}",
                    sh!["aws", "logs", "create-log-group", "--log-group-name", group, "--region", region],
                    sh![
                        "aws", "logs", "put-retention-policy", "--log-group-name", group,
                        "--retention-in-days", MIN_RETENTION_DAYS, "--region", region
                    ]
                )),
            ),
            Ok(Some(found)) => match found.retention_days {
                Some(days) if days < MIN_RETENTION_DAYS => Finding::fail(
                    meta,
                    kind::SHORT,
                    Severity::High,
                    "Invocation logs are kept too briefly",
                    format!(
                        "The log group {group} in {region} keeps invocation logs {days} days, under the \
                         {MIN_RETENTION_DAYS} an audit expects"
                    ),
                    Remediation::new(sh![
                        "aws", "logs", "put-retention-policy", "--log-group-name", group,
                        "--retention-in-days", MIN_RETENTION_DAYS, "--region", region
                    ]),
                )
                .evidence("retention_days", days),
                days => Finding::pass(
                    meta,
                    kind::KEPT,
                    "Invocation logs are kept",
                    format!(
                        "The log group {group} in {region} keeps invocation logs {}",
                        days.map_or("without expiry".to_string(), |d| format!("{d} days"))
                    ),
                ),
            }
            .resource(group.clone()),
        });
        findings.push(role_answer);
    }
    if let Some((bucket, prefix)) = &config.s3 {
        findings.push(bucket_kept(aws, region, bucket, prefix.as_deref().unwrap_or("")).await);
    }
    findings
        .into_iter()
        .map(|f| f.region(region.as_str()))
        .collect()
}

/// The bucket S3 delivery writes to exists, and none of its lifecycle rules expires the log
/// prefix before 30 days.
async fn bucket_kept(aws: &AwsReader, region: &Region, bucket: &str, prefix: &str) -> Finding {
    let arn = format!("arn:aws:s3:::{bucket}");
    let where_ = if prefix.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{prefix}")
    };
    let keeping = match aws.bucket_keeping(region, bucket, prefix).await {
        Ok(Some(keeping)) => keeping,
        Ok(None) => {
            return Finding::fail(
                &META,
                kind::BUCKET_MISSING,
                Severity::High,
                "The invocation log bucket does not exist",
                format!(
                    "{region}'s invocation logging writes to {where_}, whose bucket does not exist: nothing is kept"
                ),
                Remediation::new(format!(
                    "{} (outside us-east-1 add {}), with a bucket policy that lets \
                     bedrock.amazonaws.com put objects",
                    sh!["aws", "s3api", "create-bucket", "--bucket", bucket, "--region", region],
                    sh![
                        "--create-bucket-configuration",
                        format!("LocationConstraint={region}")
                    ]
                )),
            )
            .resource(arn);
        }
        Err(error) => return Finding::aws_error(&META, &error).resource(arn),
    };
    let short: Vec<String> = keeping
        .expiries
        .iter()
        .filter(|e| e.date.is_some() || e.days.is_some_and(|d| d < MIN_RETENTION_DAYS))
        .map(|e| match (&e.days, &e.date) {
            (Some(days), _) => format!("rule {} expires them after {days} days", e.rule),
            (None, Some(date)) => format!("rule {} expires them all on {date}", e.rule),
            (None, None) => format!("rule {}", e.rule),
        })
        .collect();
    if short.is_empty() {
        let kept = keeping
            .expiries
            .iter()
            .filter_map(|e| e.days)
            .min()
            .map_or("without expiry".to_string(), |d| format!("{d} days"));
        return Finding::pass(
            &META,
            kind::KEPT,
            "Invocation logs are kept",
            format!("{where_} keeps invocation logs {kept}"),
        )
        .resource(arn);
    }
    Finding::fail(
        &META,
        kind::BUCKET_EXPIRES,
        Severity::High,
        "The log bucket expires invocation logs too soon",
        format!(
            "{where_} receives {region}'s invocation logs, but its lifecycle deletes them before {MIN_RETENTION_DAYS} \
             days: {}",
            short.join("; ")
        ),
        Remediation::new(format!(
            "Raise the rule's Expiration to {MIN_RETENTION_DAYS} days or more ({} with every rule, \
             since it replaces them all), or scope it away from the log prefix",
            sh!["aws", "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket]
        )),
    )
    .resource(arn)
}

/// The role Bedrock writes CloudWatch logs with: it exists, and its trust policy lets
/// `bedrock.amazonaws.com` assume it.
async fn role_trusts_bedrock(aws: &AwsReader, role_arn: &str) -> Finding {
    let meta = &META;
    let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let role = match aws.role(name).await {
        Ok(role) => role,
        Err(error) if error.kind() == AwsErrorKind::NotFound => {
            return Finding::fail(
                meta,
                kind::ROLE_MISSING,
                Severity::High,
                "The logging role does not exist",
                format!(
                    "Invocation logging delivers with the role {role_arn}, which does not exist: Bedrock cannot \
                     write the logs"
                ),
                Remediation::new(
                    "bedrock-preflight setup logging --region REGION --create-role --yes (for each region that uses it)",
                ),
            )
            .resource(role_arn.to_string());
        }
        Err(error) => return Finding::aws_error(meta, &error).resource(role_arn.to_string()),
    };
    if trusts_bedrock(role.trust.as_deref().unwrap_or_default()) {
        Finding::pass(
            meta,
            kind::KEPT,
            "The logging role is in place",
            format!("{role_arn} exists and bedrock.amazonaws.com may assume it"),
        )
    } else {
        Finding::fail(
            meta,
            kind::ROLE_NOT_TRUSTED,
            Severity::High,
            "Bedrock may not assume the logging role",
            format!(
                "The trust policy of {role_arn} does not let bedrock.amazonaws.com assume it: Bedrock cannot write \
                 the invocation logs"
            ),
            Remediation::new(sh![
                "aws",
                "iam",
                "update-assume-role-policy",
                "--role-name",
                name,
                "--policy-document",
                serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            ]),
        )
    }
    .resource(role.arn)
}

/// Whether a trust policy has an Allow for `sts:AssumeRole` whose principal names Bedrock.
fn trusts_bedrock(trust: &str) -> bool {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(trust) else {
        return false;
    };
    let statements = match &document["Statement"] {
        serde_json::Value::Array(list) => list.iter().collect(),
        single @ serde_json::Value::Object(_) => vec![single],
        _ => Vec::new(),
    };
    let names = |value: &serde_json::Value, wanted: &str| match value {
        serde_json::Value::String(s) => s == wanted || s == "*",
        serde_json::Value::Array(list) => list.iter().any(|v| v == wanted || v == "*"),
        _ => false,
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && (names(&s["Action"], "sts:AssumeRole") || names(&s["Action"], "sts:*"))
            && names(&s["Principal"]["Service"], "bedrock.amazonaws.com")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_policy_must_name_bedrock_for_assume_role() {
        assert!(trusts_bedrock(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#
        ));
        assert!(trusts_bedrock(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","bedrock.amazonaws.com"]},"Action":["sts:AssumeRole"]}}"#
        ));
        assert!(!trusts_bedrock(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        ));
        assert!(!trusts_bedrock(
            r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        ));
        assert!(!trusts_bedrock("not json"));
    }
}
