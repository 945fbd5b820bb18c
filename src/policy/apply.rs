//! `policy apply`'s planner: from the rendered document and what IAM holds, the steps still
//! needed to have it as a customer-managed policy attached to the target. Pure: the command
//! reads IAM, this decides, `plan::apply` sends.

use serde_json::Value;

use crate::aws::AttachTarget;
use crate::domain::ManagedPolicy;
use crate::plan::{Change, Plan, Rerun, Step};

/// The tag that marks a policy as this tool's, so `apply` never rewrites someone else's.
pub const MANAGED_TAG: (&str, &str) = ("managed-by", "bedrock-preflight");

/// The tags this tool puts on what it creates.
pub fn managed_tags() -> Vec<(String, String)> {
    vec![(MANAGED_TAG.0.into(), MANAGED_TAG.1.into())]
}

/// Whether `tags` mark a resource as this tool's.
pub fn is_managed(tags: &[(String, String)]) -> bool {
    tags.iter()
        .any(|(k, v)| k == MANAGED_TAG.0 && v == MANAGED_TAG.1)
}

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// What the user asked for.
pub struct Desired<'a> {
    pub policy_name: &'a str,
    pub policy_arn: &'a str,
    pub document: &'a Value,
    pub description: String,
    pub target: &'a AttachTarget,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{0} exists and is not managed by bedrock-preflight (no tag managed-by=bedrock-preflight): \
         choose another --policy-name, or tag it if it is yours to replace"
    )]
    NotManaged(String),
}

/// `--attach-to` as given: the principal, and the account its ARN names when it was an ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetArg {
    pub target: AttachTarget,
    /// `(partition, account)` of an ARN; the caller's account must be this one.
    pub account: Option<(String, String)>,
}

/// `role/NAME`, `role/PATH/NAME`, `user/...`, `group/...`, or the IAM ARN of any of them (what
/// `doctor` prints). IAM attaches by name alone, so a path is checked for shape and dropped.
pub fn parse_target(text: &str) -> Result<TargetArg, String> {
    let invalid = || {
        format!(
            "--attach-to '{text}' is not role/[PATH/]NAME, user/[PATH/]NAME, group/[PATH/]NAME \
             or the ARN of one (arn:aws:iam::ACCOUNT:role/NAME)"
        )
    };
    let (resource, account) = match text.strip_prefix("arn:") {
        Some(_) => {
            let arn: crate::domain::Arn = text.parse().map_err(|_| invalid())?;
            let account = arn
                .account()
                .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
            match (arn.service(), arn.region(), account) {
                ("iam", None, Some(account)) => (
                    arn.resource().to_string(),
                    Some((arn.partition().to_string(), account.to_string())),
                ),
                _ => return Err(invalid()),
            }
        }
        None => (text.to_string(), None),
    };
    let (kind, rest) = resource.split_once('/').ok_or_else(invalid)?;
    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    // IAM names: letters, digits and +=,.@_-; a path: printable ASCII between slashes.
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    let path_ok = path.is_empty()
        || path
            .split('/')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_graphic()));
    if !name_ok || !path_ok {
        return Err(invalid());
    }
    let target = match kind {
        "role" => AttachTarget::Role(name.to_string()),
        "user" => AttachTarget::User(name.to_string()),
        "group" => AttachTarget::Group(name.to_string()),
        _ => return Err(invalid()),
    };
    Ok(TargetArg { target, account })
}

impl TargetArg {
    /// Why this target cannot be changed with the caller's credentials, if it cannot: IAM
    /// attaches a policy only to principals of the caller's own account.
    pub fn refusal(&self, caller_partition: &str, caller_account: &str) -> Option<String> {
        let (partition, account) = self.account.as_ref()?;
        (partition != caller_partition || account != caller_account).then(|| {
            format!(
                "--attach-to names {} in account {account}, but the credentials are of account \
                 {caller_account}: run with credentials of account {account} (--profile)",
                self.target
            )
        })
    }
}

/// The policy name `apply` uses without `--policy-name`: one policy per template and
/// principal, so applying for one role never changes what another role holds.
pub fn default_policy_name(template: &str, target: &AttachTarget) -> String {
    let (kind, name) = match target {
        AttachTarget::Role(name) => ("role", name),
        AttachTarget::User(name) => ("user", name),
        AttachTarget::Group(name) => ("group", name),
    };
    let mut policy_name = format!("{template}-{kind}-{name}");
    // IAM policy names are at most 128 characters.
    policy_name.truncate(128);
    policy_name
}

/// The steps from what IAM holds (`current`, and whether the target already has the
/// policy attached) to what is desired; empty when they agree.
pub fn plan_apply(
    desired: &Desired,
    current: Option<&ManagedPolicy>,
    attached: bool,
) -> Result<Plan, Refusal> {
    let mut steps = Vec::new();
    let new_text = pretty(desired.document);
    match current {
        None => steps.push(Step {
            summary: format!("Create the customer-managed policy {}", desired.policy_name),
            change: Change::CreatePolicy {
                name: desired.policy_name.to_string(),
                path: "/".into(),
                document: desired.document.to_string(),
                description: desired.description.clone(),
                tags: managed_tags(),
            },
            rerun: Rerun::PlanFirst,
            detail: Some(new_text),
        }),
        Some(policy) => {
            if !is_managed(&policy.tags) {
                return Err(Refusal::NotManaged(policy.arn.clone()));
            }
            if &policy.document != desired.document {
                let oldest = policy.versions.iter().find(|v| !v.is_default);
                if let Some(oldest) = oldest.filter(|_| policy.versions.len() >= MAX_VERSIONS) {
                    steps.push(Step {
                        summary: format!(
                            "Delete its oldest version {} (IAM keeps {MAX_VERSIONS})",
                            oldest.id
                        ),
                        change: Change::DeletePolicyVersion {
                            policy_arn: policy.arn.clone(),
                            version_id: oldest.id.clone(),
                        },
                        rerun: Rerun::PlanFirst,
                        detail: None,
                    });
                }
                steps.push(Step {
                    summary: format!(
                        "Make the rendered document its default version (now {})",
                        policy.default_version
                    ),
                    change: Change::CreateDefaultPolicyVersion {
                        policy_arn: policy.arn.clone(),
                        document: desired.document.to_string(),
                    },
                    rerun: Rerun::PlanFirst,
                    detail: Some(diff(
                        &pretty(&policy.document),
                        &new_text,
                        &policy.default_version,
                    )),
                });
            }
        }
    }
    if !attached {
        steps.push(Step {
            summary: format!("Attach it to {}", desired.target),
            change: Change::AttachPolicy {
                target: desired.target.clone(),
                policy_arn: desired.policy_arn.to_string(),
            },
            rerun: Rerun::Safe,
            detail: None,
        });
    }
    Ok(Plan {
        goal: format!(
            "{} attached to {}, as rendered",
            desired.policy_name, desired.target
        ),
        steps,
        unchanged: Vec::new(),
    })
}

fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap_or_default() + "\n"
}

/// A unified diff of the current default version and the new document.
fn diff(current: &str, new: &str, version: &str) -> String {
    similar::TextDiff::from_lines(current, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("default version {version}"), "rendered")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PolicyVersion;
    use serde_json::json;

    const ARN: &str = "arn:aws:iam::123456789012:policy/claude-invoke-role-dev";

    fn document(resource: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": resource}]})
    }

    fn desired<'a>(document: &'a Value, target: &'a AttachTarget) -> Desired<'a> {
        Desired {
            policy_name: "claude-invoke-role-dev",
            policy_arn: ARN,
            document,
            description: "d".into(),
            target,
        }
    }

    fn held(document: Value, versions: usize, tagged: bool) -> ManagedPolicy {
        ManagedPolicy {
            arn: ARN.into(),
            tags: if tagged { managed_tags() } else { vec![] },
            default_version: format!("v{versions}"),
            document,
            versions: (1..=versions)
                .map(|n| PolicyVersion {
                    id: format!("v{n}"),
                    is_default: n == versions,
                })
                .collect(),
        }
    }

    #[test]
    fn from_nothing_to_same_document_attached_is_nothing_to_do() {
        let target = AttachTarget::Role("dev".into());
        let wanted = document("arn:a");
        let desired = desired(&wanted, &target);
        let create = plan_apply(&desired, None, false).unwrap();
        assert_eq!(
            create.operations(),
            ["iam:CreatePolicy", "iam:AttachRolePolicy"]
        );
        let Change::CreatePolicy { tags, .. } = &create.steps[0].change else {
            panic!()
        };
        assert_eq!(tags, &[("managed-by".into(), "bedrock-preflight".into())]);

        let same = held(document("arn:a"), 1, true);
        assert!(
            plan_apply(&desired, Some(&same), true)
                .unwrap()
                .is_converged()
        );
        assert_eq!(
            plan_apply(&desired, Some(&same), false)
                .unwrap()
                .operations(),
            ["iam:AttachRolePolicy"],
            "created, then interrupted before attaching"
        );
    }

    #[test]
    fn a_changed_document_adds_a_version_and_prunes_the_oldest_at_five() {
        let target = AttachTarget::User("dev".into());
        let wanted = document("arn:b");
        let desired = desired(&wanted, &target);
        let changed = plan_apply(&desired, Some(&held(document("arn:a"), 2, true)), true).unwrap();
        assert_eq!(changed.operations(), ["iam:CreatePolicyVersion"]);
        let detail = changed.steps[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("-      \"Resource\": \"arn:a\"")
                && detail.contains("+      \"Resource\": \"arn:b\""),
            "{detail}"
        );
        let full = plan_apply(&desired, Some(&held(document("arn:a"), 5, true)), true).unwrap();
        assert_eq!(
            full.operations(),
            ["iam:DeletePolicyVersion", "iam:CreatePolicyVersion"]
        );
        assert_eq!(
            full.steps[0].change,
            Change::DeletePolicyVersion {
                policy_arn: ARN.into(),
                version_id: "v1".into()
            }
        );
    }

    #[test]
    fn a_policy_not_made_by_this_tool_is_left_alone() {
        let target = AttachTarget::Group("devs".into());
        let wanted = document("arn:b");
        let desired = desired(&wanted, &target);
        assert_eq!(
            plan_apply(&desired, Some(&held(document("arn:a"), 1, false)), false),
            Err(Refusal::NotManaged(ARN.into()))
        );
    }

    #[test]
    fn targets_parse_and_name_the_default_policy() {
        let role = |name: &str| AttachTarget::Role(name.into());
        let parsed = |text| parse_target(text).map(|t| t.target);
        assert_eq!(
            parsed("role/claude-developer"),
            Ok(role("claude-developer"))
        );
        assert_eq!(
            parsed("role/engineering/claude-developer"),
            Ok(role("claude-developer")),
            "a path is dropped: IAM attaches by name"
        );
        assert_eq!(parsed("user/a/b/dev"), Ok(AttachTarget::User("dev".into())));
        let arn =
            parse_target("arn:aws:iam::123456789012:role/engineering/claude-developer").unwrap();
        assert_eq!(arn.target, role("claude-developer"));
        assert_eq!(arn.account, Some(("aws".into(), "123456789012".into())));
        assert_eq!(arn.refusal("aws", "123456789012"), None);
        let refusal = arn.refusal("aws", "210987654321").unwrap();
        assert!(
            refusal.contains("account 123456789012") && refusal.contains("210987654321"),
            "{refusal}"
        );
        assert_eq!(
            parsed("arn:aws-us-gov:iam::123456789012:group/admins"),
            Ok(AttachTarget::Group("admins".into()))
        );
        for bad in [
            "role",
            "role/",
            "team/dev",
            "role/a//b",
            "role/a b/dev",
            "role/dev/",
            "arn:aws:iam::1:role/x",
            "arn:aws:iam::123456789012:policy/x",
            "arn:aws:iam::123456789012:root",
            "arn:aws:sts::123456789012:assumed-role/dev/session",
            "arn:aws:iam:us-east-1:123456789012:role/x",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        assert_eq!(
            default_policy_name("claude-invoke", &AttachTarget::User("dev".into())),
            "claude-invoke-user-dev"
        );
    }
}
