//! The write side: every operation that changes AWS, here and nowhere else. Nothing here is
//! cached (a write sent twice is sent twice), the clients' `CallHooks` log and count every call,
//! and only a plan executor holds an `AwsWriter`: its one constructor takes the `Confirmed` that
//! `plan::apply` alone makes, and its field is private to this module, so no other code (the
//! rest of `aws/` included) can build one. Checks get the read side alone.

use std::sync::Arc;

use aws_smithy_types::Blob;

use super::catalog::{self, Operation};
use super::logging::to_sdk;
use super::{AwsError, AwsErrorKind, RefusedFinding, Session};
use crate::domain::{InvocationLogging, Region};

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
    session: Arc<Session>,
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

    /// PutUseCaseForModelAccess: the Anthropic use case form, as the admin wrote it.
    pub async fn put_use_case(&self, region: &Region, form: &str) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::PUT_USE_CASE_FOR_MODEL_ACCESS;
        self.session
            .bedrock(region)
            .put_use_case_for_model_access()
            .form_data(Blob::new(form.as_bytes()))
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    /// CreateFoundationModelAgreement with the offer's token.
    pub async fn create_model_agreement(
        &self,
        region: &Region,
        model_id: &str,
        offer_token: &str,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::CREATE_FOUNDATION_MODEL_AGREEMENT;
        self.session
            .bedrock(region)
            .create_foundation_model_agreement()
            .model_id(model_id)
            .offer_token(offer_token)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    pub async fn create_log_group(&self, region: &Region, name: &str) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::CREATE_LOG_GROUP;
        self.session
            .logs(region)
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    pub async fn put_retention_policy(
        &self,
        region: &Region,
        name: &str,
        days: i32,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::PUT_RETENTION_POLICY;
        self.session
            .logs(region)
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    pub async fn put_invocation_logging(
        &self,
        region: &Region,
        logging: &InvocationLogging,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::PUT_MODEL_INVOCATION_LOGGING_CONFIGURATION;
        self.session
            .bedrock(region)
            .put_model_invocation_logging_configuration()
            .logging_config(to_sdk(logging, OP)?)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsError::from_sdk(OP, e))
    }

    /// RequestServiceQuotaIncrease of a `bedrock` quota to `desired`. Service Quotas takes one
    /// open request per quota, so sending it again fails (ResourceAlreadyExistsException).
    pub async fn request_quota_increase(
        &self,
        region: &Region,
        quota_code: &str,
        desired: u64,
    ) -> Result<(), AwsError> {
        const OP: &Operation = &catalog::REQUEST_SERVICE_QUOTA_INCREASE;
        let out = self
            .session
            .quotas(region)
            .request_service_quota_increase()
            .service_code("bedrock")
            .quota_code(quota_code)
            .desired_value(desired as f64)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        // The request it opened is what a re-run finds: an answer without one is not a success.
        match out.requested_quota.and_then(|r| r.id) {
            Some(_) => Ok(()),
            None => Err(AwsError::new(
                AwsErrorKind::Malformed,
                OP,
                "the answer lacks RequestedQuota.Id",
            )),
        }
    }

    /// BatchImportFindings: ASFF records (at most 100) of this session's account into
    /// Security Hub in `region`. Security Hub answers success when only some were imported;
    /// the others come back with its reason for each.
    pub async fn import_findings(
        &self,
        region: &Region,
        records: &[&serde_json::Value],
    ) -> Result<Vec<RefusedFinding>, AwsError> {
        const OP: &Operation = &catalog::BATCH_IMPORT_FINDINGS;
        let findings = records
            .iter()
            .map(|record| super::securityhub::finding(record))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|why| AwsError::new(AwsErrorKind::Invalid, OP, why))?;
        let out = self
            .session
            .securityhub(region)
            .batch_import_findings()
            .set_findings(Some(findings))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        // The counts are the answer's own account of it (both required in botocore's model):
        // a failure it counts but does not list, or a total that is not what was sent, is an
        // answer this version cannot read, never a success.
        let count = |n: Option<i32>| n.and_then(|n| usize::try_from(n).ok());
        let (failed, succeeded) = (count(out.failed_count()), count(out.success_count()));
        let listed = out.failed_findings().len();
        if failed != Some(listed)
            || failed.zip(succeeded).map(|(f, s)| f + s) != Some(records.len())
        {
            let said = |n: Option<usize>| n.map_or("no".to_string(), |n| n.to_string());
            let (failed, succeeded) = (said(failed), said(succeeded));
            return Err(AwsError::new(
                AwsErrorKind::Malformed,
                OP,
                format!(
                    "Security Hub answered {succeeded} imported and {failed} failed ({listed} listed) \
                     for {} findings sent",
                    records.len()
                ),
            ));
        }
        Ok(out
            .failed_findings()
            .iter()
            .map(|f| RefusedFinding {
                id: f.id().unwrap_or_default().to_string(),
                code: f.error_code().unwrap_or_default().to_string(),
                message: f.error_message().unwrap_or_default().to_string(),
            })
            .collect())
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
