//! IAM reads: policy simulation for a principal, and the principal's own policies (inline,
//! attached, its groups', its permission boundary) for local evaluation when simulation is
//! denied. Every read is a cached call, so a document is fetched once per run.

use std::sync::Arc;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use futures_util::future::try_join_all;

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{Arn, ManagedPolicy, PolicyVersion, RoleInfo, SimulatedDecision};
use crate::iam::{NamedPolicy, Policy, PolicySet};

/// The operations that read a user's, group's or role's own policies.
struct PolicyReads {
    list_inline: &'static Operation,
    get_inline: &'static Operation,
    list_attached: &'static Operation,
}

fn policy_reads(kind: &str) -> PolicyReads {
    match kind {
        "user" => PolicyReads {
            list_inline: &catalog::LIST_USER_POLICIES,
            get_inline: &catalog::GET_USER_POLICY,
            list_attached: &catalog::LIST_ATTACHED_USER_POLICIES,
        },
        "group" => PolicyReads {
            list_inline: &catalog::LIST_GROUP_POLICIES,
            get_inline: &catalog::GET_GROUP_POLICY,
            list_attached: &catalog::LIST_ATTACHED_GROUP_POLICIES,
        },
        _ => PolicyReads {
            list_inline: &catalog::LIST_ROLE_POLICIES,
            get_inline: &catalog::GET_ROLE_POLICY,
            list_attached: &catalog::LIST_ATTACHED_ROLE_POLICIES,
        },
    }
}

/// The per-resource decisions of one simulated action: from `ResourceSpecificResults` (IAM's
/// current answer), else from the result itself (the older shape, where the top level named
/// the requested resource).
fn decisions(result: aws_sdk_iam::types::EvaluationResult) -> Vec<SimulatedDecision> {
    let organizations = result
        .organizations_decision_detail
        .as_ref()
        .map(|d| d.allowed_by_organizations);
    let top_boundary = result
        .permissions_boundary_decision_detail
        .as_ref()
        .map(|d| d.allowed_by_permissions_boundary);
    let per_resource = result.resource_specific_results.unwrap_or_default();
    if per_resource.is_empty() {
        return vec![SimulatedDecision {
            action: result.eval_action_name,
            resource: result.eval_resource_name.unwrap_or_default(),
            decision: result.eval_decision.as_str().to_string(),
            matched: statements(result.matched_statements),
            allowed_by_organizations: organizations,
            allowed_by_boundary: top_boundary,
        }];
    }
    per_resource
        .into_iter()
        .map(|r| SimulatedDecision {
            action: result.eval_action_name.clone(),
            resource: r.eval_resource_name,
            decision: r.eval_resource_decision.as_str().to_string(),
            matched: statements(r.matched_statements),
            allowed_by_organizations: organizations,
            allowed_by_boundary: r
                .permissions_boundary_decision_detail
                .map(|d| d.allowed_by_permissions_boundary)
                .or(top_boundary),
        })
        .collect()
}

/// `SourcePolicyId (SourcePolicyType)` of each matched statement.
fn statements(matched: Option<Vec<aws_sdk_iam::types::Statement>>) -> Vec<String> {
    matched
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let id = s.source_policy_id.unwrap_or_else(|| "(unnamed)".into());
            match s.source_policy_type {
                Some(kind) => format!("{id} ({})", kind.as_str()),
                None => id,
            }
        })
        .collect()
}

/// IAM returns policy documents URL-encoded.
pub(super) fn decode(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned()
    }
}

fn document(op: &'static Operation, name: &str, raw: &str) -> Result<Policy, AwsError> {
    Policy::from_json(&decode(raw))
        .map_err(|e| AwsError::new(AwsErrorKind::Malformed, op, format!("policy {name}: {e}")))
}

impl AwsReader {
    /// SimulatePrincipalPolicy for `actions` on one resource with the given context entries.
    pub async fn simulate(
        &self,
        principal_arn: &str,
        actions: &[&str],
        resource: &str,
        context: &[(String, Vec<String>)],
    ) -> Result<Vec<SimulatedDecision>, AwsError> {
        let params = format!(
            "{principal_arn}|{}|{resource}|{context:?}",
            actions.join(",")
        );
        let request = || {
            let mut request = self
                .session
                .iam
                .simulate_principal_policy()
                .policy_source_arn(principal_arn)
                .resource_arns(resource);
            for action in actions {
                request = request.action_names(*action);
            }
            for (key, values) in context {
                request = request.context_entries(
                    ContextEntry::builder()
                        .context_key_name(key)
                        .set_context_key_values(Some(values.clone()))
                        .context_key_type(if values.len() > 1 {
                            ContextKeyTypeEnum::StringList
                        } else {
                            ContextKeyTypeEnum::String
                        })
                        .build(),
                );
            }
            all_items!(request)
        };
        self.cached_call(
            &catalog::SIMULATE_PRINCIPAL_POLICY,
            None,
            params,
            request,
            |results| Ok(results.into_iter().flat_map(decisions).collect()),
        )
        .await
    }

    /// IAM GetRole: the role's full ARN (path included) and its permission boundary.
    pub async fn role(&self, role_name: &str) -> Result<RoleInfo, AwsError> {
        const OP: &Operation = &catalog::GET_ROLE;
        self.cached_call(
            OP,
            None,
            role_name,
            || self.session.iam.get_role().role_name(role_name).send(),
            |out| match out.role {
                Some(role) if !role.arn.is_empty() => Ok(RoleInfo {
                    boundary_arn: role
                        .permissions_boundary
                        .and_then(|b| b.permissions_boundary_arn),
                    tags: role
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key, t.value))
                        .collect(),
                    trust: role.assume_role_policy_document.as_deref().map(decode),
                    arn: role.arn,
                }),
                _ => Err(AwsError::new(
                    AwsErrorKind::Malformed,
                    OP,
                    "the answer lacks Role.Arn",
                )),
            },
        )
        .await
    }

    async fn user_boundary(&self, user_name: &str) -> Result<Option<String>, AwsError> {
        self.cached_call(
            &catalog::GET_USER,
            None,
            user_name,
            || self.session.iam.get_user().user_name(user_name).send(),
            |out| {
                Ok(out
                    .user
                    .and_then(|u| u.permissions_boundary)
                    .and_then(|b| b.permissions_boundary_arn))
            },
        )
        .await
    }

    /// Every identity policy of a user or role and its permission boundary, as documents.
    pub async fn principal_policies(
        &self,
        principal_arn: &str,
    ) -> Result<Arc<PolicySet>, AwsError> {
        let arn = principal_arn.parse::<Arn>().ok();
        let Some((kind, name)) = arn.as_ref().and_then(Arn::iam_principal) else {
            return Err(AwsError::new(
                AwsErrorKind::Invalid,
                &catalog::GET_POLICY,
                format!("{principal_arn} is not an IAM user or role"),
            ));
        };
        let mut identity = Vec::new();
        let boundary_arn = if kind == "user" {
            let (boundary, groups) =
                tokio::try_join!(self.user_boundary(name), self.groups_for_user(name))?;
            for group in groups {
                identity.extend(self.inline_policies("group", &group).await?);
                identity.extend(self.attached_policies("group", &group).await?);
            }
            boundary
        } else {
            self.role(name).await?.boundary_arn
        };
        identity.extend(self.inline_policies(kind, name).await?);
        identity.extend(self.attached_policies(kind, name).await?);
        let boundary = match boundary_arn {
            Some(arn) => Some(self.managed_policy(&arn).await?),
            None => None,
        };
        Ok(Arc::new(PolicySet {
            identity,
            boundary,
            ..PolicySet::default()
        }))
    }

    async fn groups_for_user(&self, user_name: &str) -> Result<Vec<String>, AwsError> {
        self.cached_call(
            &catalog::LIST_GROUPS_FOR_USER,
            None,
            user_name,
            || all_items!(self.session.iam.list_groups_for_user().user_name(user_name)),
            |groups| Ok(groups.into_iter().map(|g| g.group_name).collect()),
        )
        .await
    }

    async fn inline_policies(&self, kind: &str, name: &str) -> Result<Vec<NamedPolicy>, AwsError> {
        let names = self.inline_policy_names(kind, name).await?;
        try_join_all(
            names
                .iter()
                .map(|policy| self.inline_policy(kind, name, policy)),
        )
        .await
    }

    async fn inline_policy_names(&self, kind: &str, name: &str) -> Result<Vec<String>, AwsError> {
        let op = policy_reads(kind).list_inline;
        let iam = &self.session.iam;
        let names = || async {
            match kind {
                "user" => all_items!(iam.list_user_policies().user_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
                "group" => all_items!(iam.list_group_policies().group_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
                _ => all_items!(iam.list_role_policies().role_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
            }
        };
        self.cached_call(op, None, name, names, Ok).await
    }

    async fn inline_policy(
        &self,
        kind: &str,
        name: &str,
        policy: &str,
    ) -> Result<NamedPolicy, AwsError> {
        let op = policy_reads(kind).get_inline;
        let raw = self.inline_policy_text(kind, name, policy).await?;
        let label = format!("{kind}/{name} inline policy {policy}");
        Ok(NamedPolicy {
            policy: document(op, &label, &raw)?,
            name: label,
        })
    }

    /// GetUserPolicy, GetGroupPolicy or GetRolePolicy: the document as IAM returns it.
    async fn inline_policy_text(
        &self,
        kind: &str,
        name: &str,
        policy: &str,
    ) -> Result<String, AwsError> {
        let op = policy_reads(kind).get_inline;
        let iam = &self.session.iam;
        let text = || async {
            match kind {
                "user" => iam
                    .get_user_policy()
                    .user_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .map(|o| o.policy_document)
                    .map_err(|e| AwsError::from_sdk(op, e)),
                "group" => iam
                    .get_group_policy()
                    .group_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .map(|o| o.policy_document)
                    .map_err(|e| AwsError::from_sdk(op, e)),
                _ => iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .map(|o| o.policy_document)
                    .map_err(|e| AwsError::from_sdk(op, e)),
            }
        };
        self.cached_call(op, None, format!("{name}/{policy}"), text, Ok)
            .await
    }

    /// A role this tool may manage, with one of its inline policies as a document: `None`
    /// when there is no such role; the policy `None` when the role has no policy of that
    /// name.
    pub async fn role_with_inline_policy(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<Option<(RoleInfo, Option<serde_json::Value>)>, AwsError> {
        let role = match self.role(role_name).await {
            Ok(role) => role,
            Err(error) if error.kind() == AwsErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        let op = policy_reads("role").get_inline;
        let document = match self
            .inline_policy_text("role", role_name, policy_name)
            .await
        {
            Ok(raw) => Some(serde_json::from_str(&decode(&raw)).map_err(|e| {
                AwsError::new(
                    AwsErrorKind::Malformed,
                    op,
                    format!("role/{role_name} inline policy {policy_name}: not JSON: {e}"),
                )
            })?),
            Err(error) if error.kind() == AwsErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        Ok(Some((role, document)))
    }

    async fn attached_policies(
        &self,
        kind: &str,
        name: &str,
    ) -> Result<Vec<NamedPolicy>, AwsError> {
        let arns = self.attached_policy_arns(kind, name).await?;
        try_join_all(arns.iter().map(|arn| self.managed_policy(arn))).await
    }

    /// The managed policies attached to a user, group or role (`kind`), by ARN. A principal
    /// that does not exist is a `NotFound` error.
    pub async fn attached_policy_arns(
        &self,
        kind: &str,
        name: &str,
    ) -> Result<Vec<String>, AwsError> {
        let op = policy_reads(kind).list_attached;
        let iam = &self.session.iam;
        let attached = || async {
            match kind {
                "user" => all_items!(iam.list_attached_user_policies().user_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
                "group" => all_items!(iam.list_attached_group_policies().group_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
                _ => all_items!(iam.list_attached_role_policies().role_name(name))
                    .await
                    .map_err(|e| AwsError::from_sdk(op, e)),
            }
        };
        self.cached_call(op, None, name, attached, |attached| {
            Ok(attached.into_iter().filter_map(|p| p.policy_arn).collect())
        })
        .await
    }

    /// GetPolicy: the default version's ID and the tags.
    async fn policy_info(&self, arn: &str) -> Result<(String, Vec<(String, String)>), AwsError> {
        const OP: &Operation = &catalog::GET_POLICY;
        self.cached_call(
            OP,
            None,
            arn,
            || self.session.iam.get_policy().policy_arn(arn).send(),
            |out| {
                let policy = out
                    .policy
                    .unwrap_or_else(|| aws_sdk_iam::types::Policy::builder().build());
                let tags = policy
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value))
                    .collect();
                let version = policy.default_version_id.ok_or_else(|| {
                    AwsError::new(
                        AwsErrorKind::Malformed,
                        OP,
                        format!("{arn} has no default version"),
                    )
                })?;
                Ok((version, tags))
            },
        )
        .await
    }

    /// GetPolicyVersion: one version's document, as IAM returns it (URL-encoded).
    async fn policy_version_text(&self, arn: &str, version: &str) -> Result<String, AwsError> {
        const OP: &Operation = &catalog::GET_POLICY_VERSION;
        self.cached_call(
            OP,
            None,
            format!("{arn}@{version}"),
            || {
                let iam = &self.session.iam;
                iam.get_policy_version()
                    .policy_arn(arn)
                    .version_id(version)
                    .send()
            },
            |out| {
                out.policy_version.and_then(|v| v.document).ok_or_else(|| {
                    AwsError::new(
                        AwsErrorKind::Malformed,
                        OP,
                        format!("{arn} {version} has no document"),
                    )
                })
            },
        )
        .await
    }

    /// A managed policy's default version.
    async fn managed_policy(&self, arn: &str) -> Result<NamedPolicy, AwsError> {
        let (version, _) = self.policy_info(arn).await?;
        let raw = self.policy_version_text(arn, &version).await?;
        Ok(NamedPolicy {
            policy: document(&catalog::GET_POLICY_VERSION, arn, &raw)?,
            name: arn.to_string(),
        })
    }

    /// A customer-managed policy with its default document and versions; `None` when IAM
    /// has no policy at `arn`.
    pub async fn managed_policy_state(&self, arn: &str) -> Result<Option<ManagedPolicy>, AwsError> {
        let (default_version, tags) = match self.policy_info(arn).await {
            Ok(info) => info,
            Err(error) if error.kind() == AwsErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        let (raw, versions) = tokio::try_join!(
            self.policy_version_text(arn, &default_version),
            self.policy_versions(arn),
        )?;
        let decoded = decode(&raw);
        let document = serde_json::from_str(&decoded).map_err(|e| {
            AwsError::new(
                AwsErrorKind::Malformed,
                &catalog::GET_POLICY_VERSION,
                format!("{arn} {default_version}: not JSON: {e}"),
            )
        })?;
        let mut versions = versions;
        // Oldest first: by creation time, then by the number in `vN`.
        versions.sort_by_key(|(created, v)| {
            (
                *created,
                v.id.trim_start_matches('v')
                    .parse::<u64>()
                    .unwrap_or(u64::MAX),
            )
        });
        Ok(Some(ManagedPolicy {
            arn: arn.to_string(),
            tags,
            default_version,
            document,
            versions: versions.into_iter().map(|(_, v)| v).collect(),
        }))
    }

    /// ListPolicyVersions (every page): each version with its creation time in seconds.
    async fn policy_versions(&self, arn: &str) -> Result<Vec<(i64, PolicyVersion)>, AwsError> {
        self.cached_call(
            &catalog::LIST_POLICY_VERSIONS,
            None,
            arn,
            || all_items!(self.session.iam.list_policy_versions().policy_arn(arn)),
            |versions| {
                Ok(versions
                    .into_iter()
                    .map(|v| {
                        (
                            v.create_date.map(|d| d.secs()).unwrap_or_default(),
                            PolicyVersion {
                                id: v.version_id.unwrap_or_default(),
                                is_default: v.is_default_version,
                            },
                        )
                    })
                    .collect())
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_when_iam_encoded_them() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert!(document(&catalog::GET_POLICY_VERSION, "p", encoded).is_ok());
        assert!(
            document(
                &catalog::GET_POLICY_VERSION,
                "p",
                r#"{"Version":"2012-10-17","Statement":[]}"#
            )
            .is_ok()
        );
        assert_eq!(
            document(&catalog::GET_POLICY_VERSION, "p", "%7Bnot")
                .unwrap_err()
                .kind(),
            AwsErrorKind::Malformed
        );
    }
}
