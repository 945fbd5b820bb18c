//! `logging.retention`: where each region sends its invocation logs, they are kept at least
//! 30 days, and the role Bedrock delivers them with is in place.

use async_trait::async_trait;

use super::facts::LoggingConfigs;
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
        let answers = per_region(
            configs
                .list
                .iter()
                .map(|(region, config)| read(&cx.aws, region, config))
                .collect(),
        )
        .await;
        Ok(configs
            .list
            .iter()
            .zip(answers)
            .flat_map(|((region, config), answers)| judge(region, config, answers))
            .collect())
    }
}

/// What AWS answered about where one region's invocation logs go.
struct Answers {
    cloudwatch: Option<LogGroupAnswers>,
    /// What the S3 bucket's lifecycle does to the log prefix.
    bucket: Option<Result<Option<BucketKeeping>, AwsError>>,
}

/// The CloudWatch Logs group, and the role Bedrock writes to it with.
struct LogGroupAnswers {
    group: Result<Option<LogGroup>, AwsError>,
    role: Result<RoleInfo, AwsError>,
}

async fn read(aws: &AwsReader, region: &Region, config: &InvocationLogging) -> Answers {
    let cloudwatch = async {
        match &config.cloudwatch {
            Some(cloudwatch) => {
                let (group, role) = tokio::join!(
                    aws.log_group(region, &cloudwatch.log_group),
                    aws.role(role_name(&cloudwatch.role_arn))
                );
                Some(LogGroupAnswers { group, role })
            }
            None => None,
        }
    };
    let bucket = async {
        match &config.s3 {
            Some((bucket, prefix)) => Some(
                aws.bucket_keeping(region, bucket, prefix.as_deref().unwrap_or(""))
                    .await,
            ),
            None => None,
        }
    };
    let (cloudwatch, bucket) = tokio::join!(cloudwatch, bucket);
    Answers { cloudwatch, bucket }
}

/// The findings of one region that logs: its log group and role, its bucket.
fn judge(region: &Region, config: &InvocationLogging, answers: Answers) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let (Some(cloudwatch), Some(LogGroupAnswers { group, role })) =
        (&config.cloudwatch, answers.cloudwatch)
    {
        findings.push(group_kept(region, &cloudwatch.log_group, group));
        findings.push(role_trusts_bedrock(&cloudwatch.role_arn, role));
    }
    if let (Some((bucket, prefix)), Some(keeping)) = (&config.s3, answers.bucket) {
        findings.push(bucket_kept(
            region,
            bucket,
            prefix.as_deref().unwrap_or(""),
            keeping,
        ));
    }
    findings
        .into_iter()
        .map(|f| f.region(region.as_str()))
        .collect()
}

/// The log group exists and keeps the logs at least 30 days.
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
        .resource(group.to_string()),
    }
}

/// The bucket S3 delivery writes to exists, and none of its lifecycle rules expires the log
/// prefix before 30 days.
fn bucket_kept(
    region: &Region,
    bucket: &str,
    prefix: &str,
    keeping: Result<Option<BucketKeeping>, AwsError>,
) -> Finding {
    let arn = format!("arn:aws:s3:::{bucket}");
    let where_ = if prefix.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{prefix}")
    };
    let keeping = match keeping {
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
fn role_trusts_bedrock(role_arn: &str, role: Result<RoleInfo, AwsError>) -> Finding {
    let meta = &META;
    let name = role_name(role_arn);
    let role = match role {
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

/// A role's name, from its ARN (after its path).
fn role_name(role_arn: &str) -> &str {
    role_arn.rsplit('/').next().unwrap_or(role_arn)
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

#[cfg(test)]
mod judging {
    use super::*;
    use crate::aws::catalog::{DESCRIBE_LOG_GROUPS, GET_BUCKET_LIFECYCLE_CONFIGURATION, GET_ROLE};
    use crate::checks::testing::{denied, region};
    use crate::domain::{CloudWatchDestination, Expiry};
    use crate::engine::Status;

    const ROLE: &str = "arn:aws:iam::123456789012:role/service/bedrock-logging";
    const TRUSTS_BEDROCK: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn to_log_group() -> InvocationLogging {
        InvocationLogging {
            cloudwatch: Some(CloudWatchDestination {
                log_group: "claude-invocations".into(),
                role_arn: ROLE.into(),
                large_data_bucket: None,
            }),
            text: true,
            ..InvocationLogging::default()
        }
    }

    fn to_bucket(prefix: Option<&str>) -> InvocationLogging {
        InvocationLogging {
            s3: Some(("audit-logs".into(), prefix.map(str::to_string))),
            text: true,
            ..InvocationLogging::default()
        }
    }

    fn group(retention_days: Option<i32>) -> Result<Option<LogGroup>, AwsError> {
        Ok(Some(LogGroup {
            name: "claude-invocations".into(),
            retention_days,
        }))
    }

    fn role(trust: Option<&str>) -> Result<RoleInfo, AwsError> {
        Ok(RoleInfo {
            arn: ROLE.into(),
            boundary_arn: None,
            tags: Vec::new(),
            trust: trust.map(str::to_string),
        })
    }

    fn expiring(rule: &str, days: Option<i32>, date: Option<&str>) -> Expiry {
        Expiry {
            rule: rule.into(),
            days,
            date: date.map(str::to_string),
        }
    }

    fn in_cloudwatch(
        group: Result<Option<LogGroup>, AwsError>,
        role: Result<RoleInfo, AwsError>,
    ) -> Vec<Finding> {
        let answers = Answers {
            cloudwatch: Some(LogGroupAnswers { group, role }),
            bucket: None,
        };
        judge(&region("us-east-1"), &to_log_group(), answers)
    }

    fn in_bucket(
        prefix: Option<&str>,
        keeping: Result<Option<BucketKeeping>, AwsError>,
    ) -> Finding {
        let answers = Answers {
            cloudwatch: None,
            bucket: Some(keeping),
        };
        let mut found = judge(&region("eu-west-1"), &to_bucket(prefix), answers);
        assert_eq!(found.len(), 1);
        found.remove(0)
    }

    fn seen(findings: &[Finding]) -> Vec<(Status, String)> {
        findings.iter().map(|f| (f.status, f.code())).collect()
    }

    #[test]
    fn a_log_group_kept_a_month_with_a_role_bedrock_may_assume_passes_twice() {
        let found = in_cloudwatch(group(Some(30)), role(Some(TRUSTS_BEDROCK)));
        assert_eq!(
            seen(&found),
            [
                (Status::Pass, "logging.retention/kept".into()),
                (Status::Pass, "logging.retention/kept".into())
            ]
        );
        assert_eq!(found[0].resource.as_deref(), Some("claude-invocations"));
        assert!(found[0].message.ends_with("keeps invocation logs 30 days"));
        assert_eq!(found[1].resource.as_deref(), Some(ROLE));
        assert!(
            found
                .iter()
                .all(|f| f.region.as_deref() == Some("us-east-1"))
        );
        let forever = in_cloudwatch(group(None), role(Some(TRUSTS_BEDROCK)));
        assert!(
            forever[0]
                .message
                .ends_with("keeps invocation logs without expiry")
        );
    }

    #[test]
    fn a_missing_or_short_lived_log_group_fails_with_the_commands_that_keep_it() {
        let missing = &in_cloudwatch(Ok(None), role(Some(TRUSTS_BEDROCK)))[0];
        assert_eq!(missing.code(), "logging.retention/log-group-missing");
        assert_eq!(
            missing.remediation.as_deref(),
            Some(
                "aws logs create-log-group --log-group-name claude-invocations --region us-east-1 && \
                 aws logs put-retention-policy --log-group-name claude-invocations --retention-in-days 30 \
                 --region us-east-1"
            )
        );
        let short = &in_cloudwatch(group(Some(7)), role(Some(TRUSTS_BEDROCK)))[0];
        assert_eq!(
            (short.status, short.code().as_str()),
            (Status::Fail, "logging.retention/retention-too-short")
        );
        assert_eq!(short.evidence["retention_days"], 7);
        assert_eq!(
            short.remediation.as_deref(),
            Some(
                "aws logs put-retention-policy --log-group-name claude-invocations --retention-in-days 30 \
                 --region us-east-1"
            )
        );
        let unread = &in_cloudwatch(
            Err(denied(&DESCRIBE_LOG_GROUPS)),
            role(Some(TRUSTS_BEDROCK)),
        )[0];
        assert_eq!(unread.code(), "logging.retention/read-failed");
        assert_eq!(unread.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn the_role_must_exist_and_name_bedrock_in_its_trust_policy() {
        let gone = AwsError::new(AwsErrorKind::NotFound, &GET_ROLE, "no such role")
            .with_code("NoSuchEntity");
        let missing = &in_cloudwatch(group(Some(30)), Err(gone))[1];
        assert_eq!(
            (missing.status, missing.code().as_str()),
            (Status::Fail, "logging.retention/role-missing")
        );
        assert_eq!(missing.resource.as_deref(), Some(ROLE));

        let ec2_only = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        for trust in [Some(ec2_only), None, Some("{not json")] {
            let untrusted = &in_cloudwatch(group(Some(30)), role(trust))[1];
            assert_eq!(
                (untrusted.status, untrusted.code().as_str()),
                (
                    Status::Fail,
                    "logging.retention/role-not-trusted-by-bedrock"
                ),
                "{trust:?}"
            );
            let fix = untrusted.remediation.as_deref().unwrap();
            assert!(
                fix.starts_with("aws iam update-assume-role-policy --role-name bedrock-logging --policy-document '"),
                "{fix}"
            );
            assert!(
                fix.contains(r#""Service":"bedrock.amazonaws.com""#),
                "{fix}"
            );
        }

        let unread = &in_cloudwatch(group(Some(30)), Err(denied(&GET_ROLE)))[1];
        assert_eq!(
            (unread.status, unread.code().as_str()),
            (Status::Error, "logging.retention/read-failed"),
            "a refused read proves neither"
        );
    }

    #[test]
    fn a_bucket_keeps_the_logs_unless_a_rule_expires_their_prefix_within_a_month() {
        let kept = in_bucket(
            Some("bedrock"),
            Ok(Some(BucketKeeping {
                expiries: vec![
                    expiring("archive", Some(400), None),
                    expiring("tidy", Some(90), None),
                ],
            })),
        );
        assert_eq!(kept.code(), "logging.retention/kept");
        assert_eq!(kept.resource.as_deref(), Some("arn:aws:s3:::audit-logs"));
        assert_eq!(kept.region.as_deref(), Some("eu-west-1"));
        assert!(
            kept.message
                .contains("s3://audit-logs/bedrock keeps invocation logs 90 days")
        );
        let forever = in_bucket(
            None,
            Ok(Some(BucketKeeping {
                expiries: Vec::new(),
            })),
        );
        assert!(
            forever
                .message
                .contains("s3://audit-logs keeps invocation logs without expiry")
        );

        let expiring_soon = in_bucket(
            Some("bedrock"),
            Ok(Some(BucketKeeping {
                expiries: vec![
                    expiring("tidy", Some(7), None),
                    expiring("purge", None, Some("2027-01-01T00:00:00Z")),
                    expiring("archive", Some(400), None),
                ],
            })),
        );
        assert_eq!(
            (expiring_soon.status, expiring_soon.code().as_str()),
            (Status::Fail, "logging.retention/bucket-expires-too-soon")
        );
        assert!(
            expiring_soon.message.ends_with(
                "rule tidy expires them after 7 days; rule purge expires them all on 2027-01-01T00:00:00Z"
            ),
            "{}",
            expiring_soon.message
        );
        assert!(
            expiring_soon
                .remediation
                .as_deref()
                .unwrap()
                .contains("aws s3api put-bucket-lifecycle-configuration --bucket audit-logs")
        );
    }

    #[test]
    fn a_missing_bucket_fails_with_the_command_that_makes_it_in_its_region() {
        let missing = in_bucket(None, Ok(None));
        assert_eq!(
            (missing.status, missing.code().as_str()),
            (Status::Fail, "logging.retention/bucket-missing")
        );
        assert!(
            missing.remediation.as_deref().unwrap().starts_with(
                "aws s3api create-bucket --bucket audit-logs --region eu-west-1 (outside us-east-1 add \
                 --create-bucket-configuration LocationConstraint=eu-west-1)"
            ),
            "{:?}",
            missing.remediation
        );
        let unread = in_bucket(None, Err(denied(&GET_BUCKET_LIFECYCLE_CONFIGURATION)));
        assert_eq!(unread.code(), "logging.retention/read-failed");
        assert_eq!(unread.resource.as_deref(), Some("arn:aws:s3:::audit-logs"));
    }

    #[test]
    fn a_region_logging_to_both_places_is_judged_for_each_in_order() {
        let both = InvocationLogging {
            s3: Some(("audit-logs".into(), None)),
            ..to_log_group()
        };
        let answers = Answers {
            cloudwatch: Some(LogGroupAnswers {
                group: group(Some(30)),
                role: role(Some(TRUSTS_BEDROCK)),
            }),
            bucket: Some(Ok(None)),
        };
        let found = judge(&region("us-west-2"), &both, answers);
        let resources: Vec<_> = found
            .iter()
            .map(|f| f.resource.as_deref().unwrap())
            .collect();
        assert_eq!(
            resources,
            ["claude-invocations", ROLE, "arn:aws:s3:::audit-logs"]
        );
        assert_eq!(found[2].code(), "logging.retention/bucket-missing");
    }

    #[tokio::test]
    async fn with_no_region_logging_there_is_nothing_to_keep() {
        let found = LoggingRetention
            .run(&crate::checks::testing::context(
                crate::engine::Scope::default(),
            ))
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code(), found[0].status),
            ("logging.retention/nothing-logged".to_string(), Status::Skip)
        );
    }
}
