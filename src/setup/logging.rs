//! `setup logging`: a log group with its retention, the role Bedrock writes with, and each
//! region's invocation logging configuration with text delivery on.

use serde_json::Value;

use crate::domain::{CloudWatchDestination, InvocationLogging, LogGroup, Region, RoleInfo};
use crate::plan::{Change, Plan, Rerun, Step};
use crate::policy::apply::{is_managed, managed_tags};

/// The role `--create-role` makes, and the name of its inline policy.
pub const ROLE_NAME: &str = "bedrock-invocation-logging";
pub const ROLE_POLICY_NAME: &str = "invocation-logging";

/// The retention values CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub enum Destination {
    LogGroup {
        name: String,
        retention_days: i32,
        role_arn: String,
        /// The role to create (trust and permissions), with `--create-role`.
        create_role: Option<(Value, Value)>,
    },
    Bucket(String),
}

/// What one region holds now.
pub struct RegionNow {
    pub region: Region,
    /// The log group, for a log-group destination.
    pub log_group: Option<LogGroup>,
    pub logging: InvocationLogging,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "role/{0} exists and is not managed by bedrock-preflight (no tag managed-by=bedrock-preflight): \
         pass its ARN with --role-arn instead of --create-role"
    )]
    RoleNotManaged(String),
}

/// The steps from `regions` (and the role as IAM holds it: `None` when absent, with its
/// inline policy when present) to `destination` in every region.
pub fn plan_logging(
    destination: &Destination,
    role: Option<&(RoleInfo, Option<Value>)>,
    regions: &[RegionNow],
) -> Result<Plan, Refusal> {
    let mut steps = Vec::new();
    if let Destination::LogGroup {
        create_role: Some((trust, permissions)),
        ..
    } = destination
    {
        match role {
            None => steps.push(Step {
                summary: format!("Create the role {ROLE_NAME}, which only Bedrock in this account may assume"),
                change: Change::CreateRole {
                    name: ROLE_NAME.into(),
                    trust: trust.to_string(),
                    description: "Bedrock writes model invocation logs with this role (bedrock-preflight setup logging)".into(),
                    tags: managed_tags(),
                },
                rerun: Rerun::PlanFirst,
                detail: Some(pretty(trust)),
            }),
            Some((info, _)) if !is_managed(&info.tags) => {
                return Err(Refusal::RoleNotManaged(ROLE_NAME.into()));
            }
            Some(_) => {}
        }
        let current = role.and_then(|(_, policy)| policy.as_ref());
        if current != Some(permissions) {
            steps.push(Step {
                summary: format!(
                    "Let the role write to the log group (inline policy {ROLE_POLICY_NAME})"
                ),
                change: Change::PutRolePolicy {
                    role: ROLE_NAME.into(),
                    policy_name: ROLE_POLICY_NAME.into(),
                    document: permissions.to_string(),
                },
                rerun: Rerun::Safe,
                detail: Some(pretty(permissions)),
            });
        }
    }
    for now in regions {
        let region = &now.region;
        let mut wanted = now.logging.clone();
        wanted.text = true;
        match destination {
            Destination::LogGroup {
                name,
                retention_days,
                role_arn,
                ..
            } => {
                if now.log_group.is_none() {
                    steps.push(Step {
                        summary: format!("Create the log group {name} in {region}"),
                        change: Change::CreateLogGroup {
                            region: region.clone(),
                            name: name.clone(),
                        },
                        rerun: Rerun::PlanFirst,
                        detail: None,
                    });
                }
                let retention = now.log_group.as_ref().and_then(|g| g.retention_days);
                if retention != Some(*retention_days) {
                    steps.push(Step {
                        summary: format!(
                            "Keep its logs {retention_days} days (now {})",
                            retention
                                .map_or("none set: forever".to_string(), |d| format!("{d} days"))
                        ),
                        change: Change::PutRetentionPolicy {
                            region: region.clone(),
                            name: name.clone(),
                            days: *retention_days,
                        },
                        rerun: Rerun::Safe,
                        detail: None,
                    });
                }
                wanted.cloudwatch = Some(CloudWatchDestination {
                    log_group: name.clone(),
                    role_arn: role_arn.clone(),
                    large_data_bucket: now
                        .logging
                        .cloudwatch
                        .as_ref()
                        .and_then(|c| c.large_data_bucket.clone()),
                });
            }
            Destination::Bucket(bucket) => {
                let prefix = now.logging.s3.as_ref().and_then(|(_, p)| p.clone());
                wanted.s3 = Some((bucket.clone(), prefix));
            }
        }
        if wanted != now.logging {
            steps.push(Step {
                summary: format!("Turn on invocation logging in {region}, text delivery on"),
                detail: Some(describe_change(&now.logging, &wanted)),
                change: Change::PutInvocationLogging {
                    region: region.clone(),
                    logging: wanted,
                },
                rerun: Rerun::Safe,
            });
        }
    }
    let goal = match destination {
        Destination::LogGroup { name, .. } => {
            format!("model invocation logging to log group {name}")
        }
        Destination::Bucket(bucket) => format!("model invocation logging to s3://{bucket}"),
    };
    Ok(Plan {
        goal,
        steps,
        unchanged: Vec::new(),
    })
}

fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap_or_default() + "\n"
}

/// The configuration before and after, in a line each.
fn describe_change(now: &InvocationLogging, wanted: &InvocationLogging) -> String {
    format!("now:   {}\nafter: {}\n", describe(now), describe(wanted))
}

fn describe(logging: &InvocationLogging) -> String {
    if !logging.has_destination() {
        return "off".into();
    }
    let mut parts = Vec::new();
    if let Some(c) = &logging.cloudwatch {
        parts.push(format!("log group {} as {}", c.log_group, c.role_arn));
    }
    if let Some((bucket, prefix)) = &logging.s3 {
        parts.push(format!("s3://{bucket}/{}", prefix.as_deref().unwrap_or("")));
    }
    let kinds: Vec<&str> = [
        (logging.text, "text"),
        (logging.image, "image"),
        (logging.embedding, "embedding"),
        (logging.video, "video"),
        (logging.audio, "audio"),
    ]
    .into_iter()
    .filter_map(|(on, kind)| on.then_some(kind))
    .collect();
    format!(
        "{}; delivers {}",
        parts.join(" and "),
        if kinds.is_empty() {
            "nothing".to_string()
        } else {
            kinds.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/bedrock-invocation-logging";

    fn to_group(create_role: bool) -> Destination {
        Destination::LogGroup {
            name: "bedrock-invocations".into(),
            retention_days: 30,
            role_arn: ROLE_ARN.into(),
            create_role: create_role.then(|| (json!({"trust": 1}), json!({"permissions": 1}))),
        }
    }

    fn region(name: &str, group: Option<i32>, logging: InvocationLogging) -> RegionNow {
        RegionNow {
            region: name.parse().unwrap(),
            log_group: group.map(|days| LogGroup {
                name: "bedrock-invocations".into(),
                retention_days: (days > 0).then_some(days),
            }),
            logging,
        }
    }

    fn done() -> InvocationLogging {
        InvocationLogging {
            cloudwatch: Some(CloudWatchDestination {
                log_group: "bedrock-invocations".into(),
                role_arn: ROLE_ARN.into(),
                large_data_bucket: None,
            }),
            text: true,
            ..InvocationLogging::default()
        }
    }

    #[test]
    fn from_nothing_every_piece_in_order_then_nothing() {
        let regions = [
            region("us-east-1", None, InvocationLogging::default()),
            region("eu-west-1", Some(0), InvocationLogging::default()),
        ];
        let plan = plan_logging(&to_group(true), None, &regions).unwrap();
        assert_eq!(
            plan.operations(),
            [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "logs:CreateLogGroup",
                "logs:PutRetentionPolicy",
                "bedrock:PutModelInvocationLoggingConfiguration",
                "logs:PutRetentionPolicy",
                "bedrock:PutModelInvocationLoggingConfiguration",
            ]
        );
        let role = RoleInfo {
            arn: ROLE_ARN.into(),
            boundary_arn: None,
            tags: vec![("managed-by".into(), "bedrock-preflight".into())],
            trust: None,
        };
        let held = (role, Some(json!({"permissions": 1})));
        let regions = [
            region("us-east-1", Some(30), done()),
            region("eu-west-1", Some(30), done()),
        ];
        assert!(
            plan_logging(&to_group(true), Some(&held), &regions)
                .unwrap()
                .is_converged()
        );
    }

    #[test]
    fn what_else_the_configuration_holds_is_kept() {
        let mut now = done();
        now.text = false;
        now.image = true;
        now.s3 = Some(("archive".into(), Some("bedrock/".into())));
        let plan = plan_logging(
            &to_group(false),
            None,
            &[region("us-east-1", Some(30), now)],
        )
        .unwrap();
        assert_eq!(
            plan.operations(),
            ["bedrock:PutModelInvocationLoggingConfiguration"]
        );
        let Change::PutInvocationLogging { logging, .. } = &plan.steps[0].change else {
            panic!()
        };
        assert!(logging.text && logging.image);
        assert_eq!(
            logging.s3,
            Some(("archive".into(), Some("bedrock/".into())))
        );

        let plan = plan_logging(
            &Destination::Bucket("logs-bucket".into()),
            None,
            &[region("us-east-1", None, done())],
        )
        .unwrap();
        let Change::PutInvocationLogging { logging, .. } = &plan.steps[0].change else {
            panic!()
        };
        assert_eq!(logging.s3, Some(("logs-bucket".into(), None)));
        assert!(
            logging.cloudwatch.is_some(),
            "the log group destination stays"
        );
    }

    #[test]
    fn a_role_of_that_name_not_made_here_is_refused() {
        let role = RoleInfo {
            arn: ROLE_ARN.into(),
            boundary_arn: None,
            tags: vec![],
            trust: None,
        };
        assert_eq!(
            plan_logging(&to_group(true), Some(&(role, None)), &[]),
            Err(Refusal::RoleNotManaged(ROLE_NAME.into()))
        );
    }
}
