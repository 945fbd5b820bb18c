//! `logging.retention`: where each region sends its invocation logs, they are kept at least
//! 30 days, and the role Bedrock delivers them with is in place.

use async_trait::async_trait;

use super::logging::LoggingConfigs;
use super::per_region;
use crate::aws::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{BucketKeeping, InvocationLogging, LogGroup, Region, RoleInfo};
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
            /// Where the region sends its invocation logs, they are kept: the CloudWatch Logs group
            /// exists and keeps them at least 30 days (or never expires), the role Bedrock writes
            /// with exists and trusts bedrock.amazonaws.com, or the S3 bucket exists and no enabled
            /// lifecycle rule expires the log prefix sooner. There is one finding per log group,
            /// role and bucket.
            KEPT = "kept",
            /// Invocation logging writes to a CloudWatch Logs group that does not exist, so Bedrock
            /// cannot deliver the logs and nothing is kept. Create the group and set its retention:
            /// the remediation gives `aws logs create-log-group` and
            /// `aws logs put-retention-policy --retention-in-days 30` for the group and region.
            GROUP_MISSING = "log-group-missing",
            /// The log group deletes invocation logs after fewer than 30 days, less than an audit
            /// expects. Raise its retention with
            /// `aws logs put-retention-policy --retention-in-days 30`; the remediation has the
            /// group and region.
            SHORT = "retention-too-short",
            /// The IAM role that invocation logging names for Bedrock to write CloudWatch Logs with
            /// does not exist, so Bedrock cannot deliver the logs. Create it with
            /// `bedrock-preflight setup logging --region REGION --create-role --yes` for each
            /// region that uses it.
            ROLE_MISSING = "role-missing",
            /// The logging role exists, but its trust policy has no Allow of `sts:AssumeRole` for
            /// the service principal bedrock.amazonaws.com, so Bedrock cannot assume it to write
            /// the logs. Replace the trust policy: the remediation gives
            /// `aws iam update-assume-role-policy` with a document that trusts Bedrock.
            ROLE_NOT_TRUSTED = "role-not-trusted-by-bedrock",
            /// Invocation logging writes to an S3 bucket that does not exist, so nothing is kept.
            /// Create the bucket in the region (the remediation has the `aws s3api create-bucket`
            /// command), with a bucket policy that lets bedrock.amazonaws.com put objects.
            BUCKET_MISSING = "bucket-missing",
            /// An enabled lifecycle rule of the log bucket deletes objects under the log prefix
            /// after fewer than 30 days, or all of them on a fixed date, so invocation logs are not
            /// kept as long as an audit expects. Raise the rule's expiration to 30 days or more, or
            /// scope it away from the log prefix; `aws s3api put-bucket-lifecycle-configuration`
            /// replaces every rule, so send them all.
            BUCKET_EXPIRES = "bucket-expires-too-soon",
            /// No audited region logs model invocations anywhere, so there is no log retention to
            /// judge. logging.invocation reports each region's logging, and
            /// `bedrock-preflight setup logging` turns it on.
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
    let mut findings = Vec::new();
    if let Some(cloudwatch) = &config.cloudwatch {
        let group = &cloudwatch.log_group;
        let role_arn = &cloudwatch.role_arn;
        let (group_answer, role_answer) =
            tokio::join!(aws.log_group(region, group), aws.role(role_name(role_arn)));
        findings.push(group_kept(region, group, group_answer));
        findings.push(role_trusts_bedrock(role_arn, role_answer));
    }
    if let Some((bucket, prefix)) = &config.s3 {
        let prefix = prefix.as_deref().unwrap_or("");
        let answer = aws.bucket_keeping(region, bucket, prefix).await;
        findings.push(bucket_kept(region, bucket, prefix, answer));
    }
    findings
        .into_iter()
        .map(|f| f.region(region.as_str()))
        .collect()
}

/// The log group invocation logs go to exists and keeps them at least 30 days.
fn group_kept(region: &Region, group: &str, answer: Result<Option<LogGroup>, AwsError>) -> Finding {
    let meta = &META;
    match answer {
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
    }
    .resource(group.to_string())
}

/// The bucket S3 delivery writes to exists, and none of its lifecycle rules expires the log
/// prefix before 30 days.
fn bucket_kept(
    region: &Region,
    bucket: &str,
    prefix: &str,
    answer: Result<Option<BucketKeeping>, AwsError>,
) -> Finding {
    let arn = format!("arn:aws:s3:::{bucket}");
    let where_ = if prefix.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{prefix}")
    };
    let keeping = match answer {
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

/// The name of the role an ARN names, which GetRole takes.
fn role_name(role_arn: &str) -> &str {
    role_arn.rsplit('/').next().unwrap_or(role_arn)
}

/// The role Bedrock writes CloudWatch logs with: it exists, and its trust policy lets
/// `bedrock.amazonaws.com` assume it.
fn role_trusts_bedrock(role_arn: &str, answer: Result<RoleInfo, AwsError>) -> Finding {
    let meta = &META;
    let name = role_name(role_arn);
    let role = match answer {
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

    use crate::aws::catalog;
    use crate::checks::testing::{context, region};
    use crate::domain::Expiry;
    use crate::engine::{Scope, Status};

    const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/bedrock-logging";
    const TRUSTS_BEDROCK: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn group(retention_days: Option<i32>) -> Result<Option<LogGroup>, AwsError> {
        Ok(Some(LogGroup {
            name: "bedrock-invocations".into(),
            retention_days,
        }))
    }

    fn role(trust: &str) -> Result<RoleInfo, AwsError> {
        Ok(RoleInfo {
            arn: ROLE.into(),
            boundary_arn: None,
            tags: Vec::new(),
            trust: Some(trust.into()),
        })
    }

    fn expiring(days: Option<i32>, date: Option<&str>) -> Result<Option<BucketKeeping>, AwsError> {
        Ok(Some(BucketKeeping {
            expiries: vec![Expiry {
                rule: "tidy".into(),
                days,
                date: date.map(str::to_string),
            }],
        }))
    }

    fn code_and_status(finding: &Finding) -> (String, Status) {
        (finding.code(), finding.status)
    }

    #[test]
    fn a_log_group_is_kept_30_days_or_forever_and_anything_less_fails() {
        let east = region("us-east-1");
        let kept = group_kept(&east, "bedrock-invocations", group(Some(30)));
        assert_eq!(
            code_and_status(&kept),
            ("logging.retention/kept".into(), Status::Pass)
        );
        assert!(kept.message.ends_with("keeps invocation logs 30 days"));
        let forever = group_kept(&east, "bedrock-invocations", group(None));
        assert!(
            forever.message.ends_with("without expiry"),
            "{}",
            forever.message
        );

        let short = group_kept(&east, "bedrock-invocations", group(Some(7)));
        assert_eq!(
            code_and_status(&short),
            ("logging.retention/retention-too-short".into(), Status::Fail)
        );
        assert_eq!(short.evidence["retention_days"], 7);
        assert_eq!(
            short.remediation.as_deref(),
            Some(
                "aws logs put-retention-policy --log-group-name bedrock-invocations \
                 --retention-in-days 30 --region us-east-1"
            )
        );
        assert_eq!(short.resource.as_deref(), Some("bedrock-invocations"));
    }

    #[test]
    fn a_missing_log_group_fails_with_the_commands_that_create_and_keep_it() {
        let missing = group_kept(&region("eu-west-1"), "bedrock-invocations", Ok(None));
        assert_eq!(
            code_and_status(&missing),
            ("logging.retention/log-group-missing".into(), Status::Fail)
        );
        assert_eq!(
            missing.remediation.as_deref(),
            Some(
                "aws logs create-log-group --log-group-name bedrock-invocations --region eu-west-1 \
                 && aws logs put-retention-policy --log-group-name bedrock-invocations \
                 --retention-in-days 30 --region eu-west-1"
            )
        );
    }

    #[test]
    fn the_logging_role_must_exist_and_trust_bedrock() {
        let trusted = role_trusts_bedrock(ROLE, role(TRUSTS_BEDROCK));
        assert_eq!(
            code_and_status(&trusted),
            ("logging.retention/kept".into(), Status::Pass)
        );

        let gone = AwsError::new(
            crate::aws::AwsErrorKind::NotFound,
            &catalog::GET_ROLE,
            "The role with name bedrock-logging cannot be found.",
        )
        .with_code("NoSuchEntity");
        let missing = role_trusts_bedrock(ROLE, Err(gone));
        assert_eq!(
            code_and_status(&missing),
            ("logging.retention/role-missing".into(), Status::Fail)
        );
        assert_eq!(missing.resource.as_deref(), Some(ROLE));
        assert!(
            missing
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("bedrock-preflight setup logging --region REGION --create-role --yes")
        );

        let ec2_only = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let untrusted = role_trusts_bedrock(ROLE, role(ec2_only));
        assert_eq!(
            code_and_status(&untrusted),
            (
                "logging.retention/role-not-trusted-by-bedrock".into(),
                Status::Fail
            )
        );
        let fix = untrusted.remediation.as_deref().unwrap();
        assert!(
            fix.starts_with(
                "aws iam update-assume-role-policy --role-name bedrock-logging --policy-document "
            ) && fix.contains("bedrock.amazonaws.com"),
            "{fix}"
        );
    }

    #[test]
    fn a_log_bucket_must_exist_and_keep_the_prefix_30_days() {
        let east = region("us-east-2");
        let kept = bucket_kept(&east, "logs", "bedrock/", expiring(Some(90), None));
        assert_eq!(
            code_and_status(&kept),
            ("logging.retention/kept".into(), Status::Pass)
        );
        assert_eq!(
            kept.message,
            "s3://logs/bedrock/ keeps invocation logs 90 days"
        );

        let missing = bucket_kept(&east, "logs", "bedrock/", Ok(None));
        assert_eq!(
            code_and_status(&missing),
            ("logging.retention/bucket-missing".into(), Status::Fail)
        );
        assert_eq!(missing.resource.as_deref(), Some("arn:aws:s3:::logs"));
        assert!(
            missing
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("aws s3api create-bucket --bucket logs --region us-east-2 (outside us-east-1 add --create-bucket-configuration LocationConstraint=us-east-2)")
        );

        for (answer, said) in [
            (
                expiring(Some(7), None),
                "rule tidy expires them after 7 days",
            ),
            (
                expiring(None, Some("2027-01-01T00:00:00Z")),
                "rule tidy expires them all on 2027-01-01T00:00:00Z",
            ),
        ] {
            let soon = bucket_kept(&east, "logs", "bedrock/", answer);
            assert_eq!(
                code_and_status(&soon),
                (
                    "logging.retention/bucket-expires-too-soon".into(),
                    Status::Fail
                )
            );
            assert!(soon.message.ends_with(said), "{}", soon.message);
            assert!(
                soon.remediation
                    .as_deref()
                    .unwrap()
                    .contains("aws s3api put-bucket-lifecycle-configuration --bucket logs")
            );
        }
    }

    #[tokio::test]
    async fn with_no_region_logging_there_is_nothing_to_keep() {
        let found = LoggingRetention
            .run(&context(Scope::default()))
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            code_and_status(&found[0]),
            ("logging.retention/nothing-logged".into(), Status::Skip)
        );
    }
}
