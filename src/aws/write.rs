//! The write side: operations that change AWS. Nothing here is cached (a write sent twice is
//! sent twice), the clients' `CallHooks` log and count every call, and only a plan executor
//! holds an `AwsWriter`; checks get the read side alone.

use std::sync::Arc;

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, Session};

/// An IAM principal a managed policy is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachTarget {
    Role(String),
    User(String),
    Group(String),
}

impl AttachTarget {
    pub fn operation(&self) -> &'static Operation {
        match self {
            AttachTarget::Role(_) => &catalog::ATTACH_ROLE_POLICY,
            AttachTarget::User(_) => &catalog::ATTACH_USER_POLICY,
            AttachTarget::Group(_) => &catalog::ATTACH_GROUP_POLICY,
        }
    }
}

impl std::fmt::Display for AttachTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachTarget::Role(name) => write!(f, "role/{name}"),
            AttachTarget::User(name) => write!(f, "user/{name}"),
            AttachTarget::Group(name) => write!(f, "group/{name}"),
        }
    }
}

pub struct AwsWriter {
    pub(super) session: Arc<Session>,
}

impl AwsWriter {
    /// Only `plan::apply` holds a `Confirmed`, and only for a plan confirmed with `--yes`.
    pub fn new(session: Arc<Session>, _confirmed: &crate::plan::Confirmed) -> Self {
        AwsWriter { session }
    }

    fn iam(&self) -> &aws_sdk_iam::Client {
        &self.session.iam
    }

    /// CreatePolicy: a customer-managed policy; its ARN.
    pub async fn create_policy(
        &self,
        name: &str,
        path: &str,
        document: &str,
        description: &str,
        tags: &[(String, String)],
    ) -> Result<String, AwsError> {
        const OP: &Operation = &catalog::CREATE_POLICY;
        let out = self
            .iam()
            .create_policy()
            .policy_name(name)
            .path(path)
            .policy_document(document)
            .description(description)
            .set_tags(Some(iam_tags(OP, tags)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        out.policy.and_then(|p| p.arn).ok_or_else(|| {
            AwsError::new(AwsErrorKind::Malformed, OP, "the answer lacks Policy.Arn")
        })
    }

    /// CreatePolicyVersion, made the default version.
    pub async fn create_default_policy_version(
        &self,
        policy_arn: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::CREATE_POLICY_VERSION;
        self.iam()
            .create_policy_version()
            .policy_arn(policy_arn)
            .policy_document(document)
            .set_as_default(true)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    pub async fn delete_policy_version(
        &self,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::DELETE_POLICY_VERSION;
        self.iam()
            .delete_policy_version()
            .policy_arn(policy_arn)
            .version_id(version_id)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    /// AttachRolePolicy, AttachUserPolicy or AttachGroupPolicy. IAM answers success when the
    /// policy is attached already, so this converges on re-run.
    pub async fn attach_policy(
        &self,
        target: &AttachTarget,
        policy_arn: &str,
    ) -> Result<(), AwsError> {
        let op = target.operation();
        let iam = self.iam();
        match target {
            AttachTarget::Role(name) => iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| AwsError::from_sdk(op, e)),
            AttachTarget::User(name) => iam
                .attach_user_policy()
                .user_name(name)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| AwsError::from_sdk(op, e)),
            AttachTarget::Group(name) => iam
                .attach_group_policy()
                .group_name(name)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| AwsError::from_sdk(op, e)),
        }
    }
}

impl AwsWriter {
    /// CreateRole with its trust policy and tags; the role's ARN.
    pub async fn create_role(
        &self,
        name: &str,
        trust: &str,
        description: &str,
        tags: &[(String, String)],
    ) -> Result<String, AwsError> {
        const OP: &Operation = &catalog::CREATE_ROLE;
        let out = self
            .iam()
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .description(description)
            .set_tags(Some(iam_tags(OP, tags)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        Ok(out.role.map(|r| r.arn).unwrap_or_default())
    }

    /// PutRolePolicy: creates or replaces the role's inline policy of that name.
    pub async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::PUT_ROLE_POLICY;
        self.iam()
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }
}

fn iam_tags(
    op: &'static Operation,
    tags: &[(String, String)],
) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| AwsError::new(AwsErrorKind::Invalid, op, e.to_string()))
        })
        .collect()
}
