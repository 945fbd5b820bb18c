//! The service and resource control policies that apply to an account, level by level from the
//! organization's root down to the account: DescribeOrganization (is there an organization, and
//! is this its management account), ListParents up to the root, then ListPoliciesForTarget and
//! DescribePolicy on every level at once. Only the management account and a delegated
//! administrator may list an organization's policies, so callers treat a refusal as a layer
//! they could not see.

use std::collections::BTreeMap;

use aws_sdk_organizations::types::{Account, ParentType, PolicyType};
use futures_util::future::try_join_all;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::iam::{NamedPolicy, Policy, PolicyType as Layer};

/// The organization as it bears on one account's requests.
#[derive(Clone, Debug)]
pub enum Organization {
    /// The account is in no organization: no SCP or RCP applies.
    None,
    /// The organization's management account: SCPs and RCPs do not apply to it.
    Management {
        organization_id: String,
    },
    Member(OrganizationPolicies),
}

#[derive(Clone, Debug)]
pub struct OrganizationPolicies {
    pub organization_id: String,
    /// Root, organizational units and the account itself, root first.
    pub levels: Vec<String>,
    /// One entry per level; empty when the organization has the policy type off.
    pub scps: Vec<Vec<NamedPolicy>>,
    pub rcps: Vec<Vec<NamedPolicy>>,
}

/// One account of the organization, as ListAccounts names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberAccount {
    pub id: String,
    pub name: Option<String>,
    pub state: AccountState,
}

/// Where an account stands in the organization: only an active one can be audited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Suspended,
    /// Not open for use, and not meant to be: being activated, closing or closed (AWS's name).
    Inactive(String),
    /// A state this version does not know, or none at all.
    Unrecognized(String),
}

impl MemberAccount {
    fn from_sdk(account: Account) -> Option<MemberAccount> {
        use aws_sdk_organizations::types::{AccountState as State, AccountStatus as Status};
        // `Status` is retired on 2026-09-09 in favour of `State` (botocore's organizations
        // model); an answer from before then, or from an emulator, may still carry only it.
        let state = match (&account.state, &account.status) {
            (Some(State::Active), _) | (None, Some(Status::Active)) => AccountState::Active,
            (Some(State::Suspended), _) | (None, Some(Status::Suspended)) => {
                AccountState::Suspended
            }
            (
                Some(state @ (State::PendingActivation | State::PendingClosure | State::Closed)),
                _,
            ) => AccountState::Inactive(state.as_str().to_string()),
            (None, Some(Status::PendingClosure)) => {
                AccountState::Inactive(Status::PendingClosure.as_str().to_string())
            }
            (Some(state), _) => AccountState::Unrecognized(state.as_str().to_string()),
            (None, Some(status)) => AccountState::Unrecognized(status.as_str().to_string()),
            (None, None) => AccountState::Unrecognized(String::new()),
        };
        Some(MemberAccount {
            id: account.id?,
            name: account.name,
            state,
        })
    }
}

/// Units listed at once while walking down from `--ou`: two calls each.
const UNITS_AT_ONCE: usize = 4;

/// Deeper than AWS allows (a root and five levels of OUs, then the account): a loop guard.
const MAX_DEPTH: usize = 8;

impl AwsReader {
    /// What the organization's policies say for `account`.
    pub async fn organization(&self, account: &str) -> Result<Organization, AwsError> {
        // The walk to the root needs only the account, so it goes out with DescribeOrganization;
        // its answer matters only for a member account.
        let (described, levels) = tokio::join!(self.describe_organization(), self.levels(account));
        let Some((organization_id, management)) = described? else {
            return Ok(Organization::None);
        };
        if management == account {
            return Ok(Organization::Management { organization_id });
        }
        let levels = levels?;
        let (scps, rcps) = tokio::try_join!(
            self.level_policies(&levels, PolicyType::ServiceControlPolicy),
            self.level_policies(&levels, PolicyType::ResourceControlPolicy),
        )?;
        Ok(Organization::Member(OrganizationPolicies {
            organization_id,
            levels,
            scps,
            rcps,
        }))
    }

    /// Every account of the organization (ListAccounts, every page); with `parents`, the
    /// accounts in those roots or units and in every unit below them. Only the management
    /// account and a delegated administrator may list them.
    pub async fn member_accounts(
        &self,
        parents: &[String],
    ) -> Result<Vec<MemberAccount>, AwsError> {
        let accounts = if parents.is_empty() {
            self.cached_call(
                &catalog::LIST_ACCOUNTS,
                None,
                "",
                || all_pages!(self.session.organizations.list_accounts()),
                |pages| {
                    Ok(pages
                        .into_iter()
                        .flat_map(|p| p.accounts.unwrap_or_default())
                        .collect())
                },
            )
            .await?
        } else {
            self.accounts_below(parents).await?
        };
        let operation = match parents {
            [] => &catalog::LIST_ACCOUNTS,
            _ => &catalog::LIST_ACCOUNTS_FOR_PARENT,
        };
        let mut members: Vec<MemberAccount> = Vec::new();
        for account in accounts {
            let Some(account) = MemberAccount::from_sdk(account) else {
                return Err(AwsError::new(
                    AwsErrorKind::Malformed,
                    operation,
                    "an account listed without its Id",
                ));
            };
            if !members.iter().any(|m| m.id == account.id) {
                members.push(account);
            }
        }
        Ok(members)
    }

    /// The accounts of `parents` and of the units below them, a level at a time, each
    /// level's calls at once.
    async fn accounts_below(&self, parents: &[String]) -> Result<Vec<Account>, AwsError> {
        let mut accounts = Vec::new();
        let mut level: Vec<String> = parents.to_vec();
        for _ in 0..MAX_DEPTH {
            if level.is_empty() {
                return Ok(accounts);
            }
            // Organizations throttles early: a wide level is listed a few units at a time.
            let found: Vec<(Vec<Account>, Vec<String>)> = stream::iter(std::mem::take(&mut level))
                .map(|parent: String| async move {
                    tokio::try_join!(self.accounts_of(&parent), self.units_of(&parent))
                })
                .buffer_unordered(UNITS_AT_ONCE)
                .try_collect()
                .await?;
            for (of_parent, units) in found {
                accounts.extend(of_parent);
                level.extend(units);
            }
        }
        Err(AwsError::new(
            AwsErrorKind::Malformed,
            &catalog::LIST_ORGANIZATIONAL_UNITS_FOR_PARENT,
            format!("organizational units still nested after {MAX_DEPTH} levels"),
        ))
    }

    async fn accounts_of(&self, parent: &str) -> Result<Vec<Account>, AwsError> {
        self.cached_call(
            &catalog::LIST_ACCOUNTS_FOR_PARENT,
            None,
            parent,
            || {
                all_pages!(
                    self.session
                        .organizations
                        .list_accounts_for_parent()
                        .parent_id(parent)
                )
            },
            |pages| {
                Ok(pages
                    .into_iter()
                    .flat_map(|p| p.accounts.unwrap_or_default())
                    .collect())
            },
        )
        .await
    }

    async fn units_of(&self, parent: &str) -> Result<Vec<String>, AwsError> {
        self.cached_call(
            &catalog::LIST_ORGANIZATIONAL_UNITS_FOR_PARENT,
            None,
            parent,
            || {
                all_pages!(
                    self.session
                        .organizations
                        .list_organizational_units_for_parent()
                        .parent_id(parent)
                )
            },
            |pages| {
                Ok(pages
                    .into_iter()
                    .flat_map(|p| p.organizational_units.unwrap_or_default())
                    .filter_map(|unit| unit.id)
                    .collect())
            },
        )
        .await
    }

    /// The organization's ID and management account; `None` outside an organization.
    async fn describe_organization(&self) -> Result<Option<(String, String)>, AwsError> {
        self.cached_reply(
            &catalog::DESCRIBE_ORGANIZATION,
            None,
            "",
            || self.session.organizations.describe_organization().send(),
            |reply| match reply {
                Ok(out) => {
                    let org = out.organization.unwrap_or_else(|| {
                        aws_sdk_organizations::types::Organization::builder().build()
                    });
                    Ok(Some((
                        org.id.unwrap_or_default(),
                        org.master_account_id.unwrap_or_default(),
                    )))
                }
                Err(error) if error.code() == Some("AWSOrganizationsNotInUseException") => Ok(None),
                Err(error) => Err(error),
            },
        )
        .await
    }

    /// The root, the organizational units and the account, root first.
    async fn levels(&self, account: &str) -> Result<Vec<String>, AwsError> {
        let mut levels = vec![account.to_string()];
        loop {
            let child = levels.last().cloned().unwrap_or_default();
            let (parent, kind) = self.parent(&child).await?;
            levels.push(parent);
            if kind == ParentType::Root {
                break;
            }
            if levels.len() > MAX_DEPTH {
                return Err(AwsError::new(
                    AwsErrorKind::Malformed,
                    &catalog::LIST_PARENTS,
                    format!("no root above {account} after {MAX_DEPTH} levels"),
                ));
            }
        }
        levels.reverse();
        Ok(levels)
    }

    async fn parent(&self, child: &str) -> Result<(String, ParentType), AwsError> {
        const OP: &Operation = &catalog::LIST_PARENTS;
        self.cached_call(
            OP,
            None,
            child,
            || all_pages!(self.session.organizations.list_parents().child_id(child)),
            |pages| {
                pages
                    .into_iter()
                    .flat_map(|page| page.parents.unwrap_or_default())
                    .find_map(|p| Some((p.id?, p.r#type?)))
                    .ok_or_else(|| {
                        AwsError::new(
                            AwsErrorKind::Malformed,
                            OP,
                            format!("ListParents named no parent of {child}"),
                        )
                    })
            },
        )
        .await
    }

    /// The policies of `kind` attached at each level. AWS attaches FullAWSAccess (or
    /// RCPFullAWSAccess) to every level when a type is enabled and keeps at least one policy
    /// on each, so no policy at any level means the type is off: then no level is returned,
    /// and nothing is evaluated for it.
    async fn level_policies(
        &self,
        levels: &[String],
        kind: PolicyType,
    ) -> Result<Vec<Vec<NamedPolicy>>, AwsError> {
        let attached =
            try_join_all(levels.iter().map(|target| self.attached(target, &kind))).await?;
        if attached.iter().all(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let layer = match kind {
            PolicyType::ResourceControlPolicy => Layer::Rcp,
            _ => Layer::Scp,
        };
        let unique: BTreeMap<&str, &str> = attached
            .iter()
            .flatten()
            .map(|(id, name)| (id.as_str(), name.as_str()))
            .collect();
        let documents = try_join_all(unique.iter().map(|(id, name)| async move {
            let content = self.policy_content(id).await?;
            let policy = Policy::from_json_as(&content, layer).map_err(|e| {
                AwsError::new(
                    AwsErrorKind::Malformed,
                    &catalog::DESCRIBE_POLICY,
                    format!("policy {id} ({name}) does not parse: {e}"),
                )
            })?;
            Ok::<_, AwsError>(NamedPolicy {
                name: format!("{name} ({id})"),
                policy,
            })
        }))
        .await?;
        let by_id: BTreeMap<&str, &NamedPolicy> =
            unique.keys().copied().zip(documents.iter()).collect();
        Ok(attached
            .iter()
            .map(|level| {
                level
                    .iter()
                    .filter_map(|(id, _)| by_id.get(id.as_str()).map(|p| (*p).clone()))
                    .collect()
            })
            .collect())
    }

    /// (policy ID, name) of each policy of `kind` attached directly to `target`.
    async fn attached(
        &self,
        target: &str,
        kind: &PolicyType,
    ) -> Result<Vec<(String, String)>, AwsError> {
        self.cached_call(
            &catalog::LIST_POLICIES_FOR_TARGET,
            None,
            format!("{target} {}", kind.as_str()),
            || {
                let organizations = &self.session.organizations;
                all_pages!(
                    organizations
                        .list_policies_for_target()
                        .target_id(target)
                        .filter(kind.clone())
                )
            },
            |pages| {
                Ok(pages
                    .into_iter()
                    .flat_map(|page| page.policies.unwrap_or_default())
                    .filter_map(|p| {
                        let id = p.id?;
                        let name = p.name.unwrap_or_else(|| id.clone());
                        Some((id, name))
                    })
                    .collect())
            },
        )
        .await
    }

    async fn policy_content(&self, id: &str) -> Result<String, AwsError> {
        const OP: &Operation = &catalog::DESCRIBE_POLICY;
        self.cached_call(
            OP,
            None,
            id,
            || {
                self.session
                    .organizations
                    .describe_policy()
                    .policy_id(id)
                    .send()
            },
            |out| {
                out.policy.and_then(|p| p.content).ok_or_else(|| {
                    AwsError::new(AwsErrorKind::Malformed, OP, "a policy without Content")
                })
            },
        )
        .await
    }
}
