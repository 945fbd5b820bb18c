//! Account-wide reads for `audit`: every principal's policies at once
//! (GetAccountAuthorizationDetails), the users and their Bedrock API keys, and whether Claude is
//! invoked in a region at all (CloudWatch's Bedrock metrics).

use std::sync::Arc;

use aws_smithy_types::date_time::Format;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::bedrock::metric_sum;
use super::catalog::{self, Operation};
use super::iam::decode;
use super::{AwsError, AwsReader};
use crate::domain::{
    AccountAuthorization, CustomerPolicy, HolderKind, PolicyHolder, Region, ServiceCredential,
};

/// The service name IAM files Bedrock's long-term API keys under.
pub const BEDROCK_SERVICE_NAME: &str = "bedrock.amazonaws.com";
/// Users whose keys are listed at the same time.
const KEY_LISTS_AT_ONCE: usize = 8;

fn time(value: &aws_smithy_types::DateTime) -> String {
    value.fmt(Format::DateTime).unwrap_or_default()
}

fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Vec<(String, String)> {
    list.iter()
        .map(|p| {
            (
                p.policy_name().unwrap_or_default().to_string(),
                decode(p.policy_document().unwrap_or_default()),
            )
        })
        .collect()
}

fn attached(list: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    list.iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

impl AwsReader {
    /// GetAccountAuthorizationDetails (every page): users, groups, roles and customer-managed
    /// policies with their documents.
    pub async fn account_authorization(&self) -> Result<Arc<AccountAuthorization>, AwsError> {
        use aws_sdk_iam::types::EntityType;
        let entities = vec![
            EntityType::User,
            EntityType::Group,
            EntityType::Role,
            EntityType::LocalManagedPolicy,
        ];
        self.cached_call(
            &catalog::GET_ACCOUNT_AUTHORIZATION_DETAILS,
            None,
            "",
            || {
                let iam = &self.session.iam;
                all_pages!(
                    iam.get_account_authorization_details()
                        .set_filter(Some(entities))
                )
            },
            |pages| {
                let mut account = AccountAuthorization::default();
                for page in pages {
                    for user in page.user_detail_list() {
                        account.holders.push(PolicyHolder {
                            kind: HolderKind::User,
                            name: user.user_name().unwrap_or_default().to_string(),
                            arn: user.arn().unwrap_or_default().to_string(),
                            inline: inline(user.user_policy_list()),
                            attached: attached(user.attached_managed_policies()),
                            groups: user.group_list().to_vec(),
                            trust: None,
                        });
                    }
                    for group in page.group_detail_list() {
                        account.holders.push(PolicyHolder {
                            kind: HolderKind::Group,
                            name: group.group_name().unwrap_or_default().to_string(),
                            arn: group.arn().unwrap_or_default().to_string(),
                            inline: inline(group.group_policy_list()),
                            attached: attached(group.attached_managed_policies()),
                            groups: Vec::new(),
                            trust: None,
                        });
                    }
                    for role in page.role_detail_list() {
                        account.holders.push(PolicyHolder {
                            kind: HolderKind::Role,
                            name: role.role_name().unwrap_or_default().to_string(),
                            arn: role.arn().unwrap_or_default().to_string(),
                            inline: inline(role.role_policy_list()),
                            attached: attached(role.attached_managed_policies()),
                            groups: Vec::new(),
                            trust: role.assume_role_policy_document().map(decode),
                        });
                    }
                    for policy in page.policies() {
                        let default = policy
                            .policy_version_list()
                            .iter()
                            .find(|v| v.is_default_version());
                        account.policies.push(CustomerPolicy {
                            name: policy.policy_name().unwrap_or_default().to_string(),
                            arn: policy.arn().unwrap_or_default().to_string(),
                            document: default
                                .and_then(|v| v.document())
                                .map(decode)
                                .unwrap_or_default(),
                        });
                    }
                }
                Ok(Arc::new(account))
            },
        )
        .await
    }

    /// ListUsers (every page): the account's user names.
    pub async fn user_names(&self) -> Result<Arc<Vec<String>>, AwsError> {
        self.cached_call(
            &catalog::LIST_USERS,
            None,
            "",
            || all_items!(self.session.iam.list_users()),
            |users| Ok(Arc::new(users.into_iter().map(|u| u.user_name).collect())),
        )
        .await
    }

    /// Every user's Bedrock API keys (ListServiceSpecificCredentials per user, every page), a
    /// few users at a time.
    pub async fn bedrock_api_keys(&self) -> Result<Vec<ServiceCredential>, AwsError> {
        let users = self.user_names().await?;
        // Futures made first, then driven: a closure inside the stream would not be `Send`
        // for every lifetime, which the checks' `async_trait` needs.
        let lists: Vec<_> = users.iter().map(|u| self.user_bedrock_keys(u)).collect();
        let per_user: Vec<Vec<ServiceCredential>> = stream::iter(lists)
            .buffered(KEY_LISTS_AT_ONCE)
            .try_collect()
            .await?;
        Ok(per_user.into_iter().flatten().collect())
    }

    async fn user_bedrock_keys(&self, user: &str) -> Result<Vec<ServiceCredential>, AwsError> {
        const OP: &Operation = &catalog::LIST_SERVICE_SPECIFIC_CREDENTIALS;
        // The SDK has no paginator for this operation: its marker is followed here.
        let every_page =
            || async {
                let mut keys = Vec::new();
                let mut marker: Option<String> = None;
                loop {
                    let out = self
                        .session
                        .iam
                        .list_service_specific_credentials()
                        .user_name(user)
                        .service_name(BEDROCK_SERVICE_NAME)
                        .set_marker(marker.take())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(OP, e))?;
                    keys.extend(out.service_specific_credentials().iter().map(|c| {
                        ServiceCredential {
                            user: c.user_name().to_string(),
                            id: c.service_specific_credential_id().to_string(),
                            status: c.status().as_str().to_string(),
                            created: time(c.create_date()),
                            expires: c.expiration_date().map(time),
                        }
                    }));
                    match out.marker() {
                        Some(next) if out.is_truncated() => marker = Some(next.to_string()),
                        _ => return Ok::<_, AwsError>(keys),
                    }
                }
            };
        self.cached_call(OP, None, user, every_page, Ok).await
    }

    /// Whether Claude was invoked in `region` over the last `days` days: the sum of the
    /// `AWS/Bedrock` `Invocations` of every Anthropic model ID (a metric search, so models and
    /// profiles this version does not know count too).
    pub async fn claude_invocations(&self, region: &Region, days: u32) -> Result<f64, AwsError> {
        use aws_sdk_cloudwatch::types::MetricDataQuery;
        let sum = || {
            let period = days as i32 * 86_400;
            let end = std::time::SystemTime::now();
            let start = end - std::time::Duration::from_secs(period as u64);
            let search = format!(
                "SEARCH('{{AWS/Bedrock,ModelId}} MetricName=\"Invocations\" anthropic', 'Sum', {period})"
            );
            let query = MetricDataQuery::builder()
                .id("claude")
                .expression(search)
                .return_data(true)
                .build();
            let cloudwatch = self.session.cloudwatch(region);
            metric_sum(
                cloudwatch
                    .get_metric_data()
                    .start_time(start.into())
                    .end_time(end.into())
                    .metric_data_queries(query),
            )
        };
        let params = format!("search|{days}");
        let op = &catalog::GET_METRIC_DATA;
        self.cached_call(op, Some(region.as_str()), params, sum, Ok)
            .await
    }
}
