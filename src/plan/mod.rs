//! Changes to AWS as data. A command that mutates (`policy apply`, `setup`, `doctor --fix`,
//! `audit --send`) reads the current state, builds a `Plan` of the steps that are still needed
//! (each naming the call it makes and whether it is safe to run again) and hands it to a
//! renderer for a person to read. `apply` is the one way a plan reaches AWS: it builds the
//! write side only for a plan confirmed with `--yes`, so a dry run or an unconfirmed plan
//! cannot send anything. A step that names an account is sent with that account's session.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::catalog::{self, Operation};
use crate::aws::{AttachTarget, AwsError, AwsErrorKind, AwsWriter, RefusedFinding, Session};
use crate::domain::{InvocationLogging, Region};
use crate::report::AsffRecord;

/// One change, with everything its call needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    CreatePolicy {
        name: String,
        path: String,
        document: String,
        description: String,
        tags: Vec<(String, String)>,
    },
    /// A new version of a customer-managed policy, made its default.
    CreateDefaultPolicyVersion {
        policy_arn: String,
        document: String,
    },
    DeletePolicyVersion {
        policy_arn: String,
        version_id: String,
    },
    AttachPolicy {
        target: AttachTarget,
        policy_arn: String,
    },
    CreateRole {
        name: String,
        trust: String,
        description: String,
        tags: Vec<(String, String)>,
    },
    /// Creates or replaces one inline policy of a role.
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: String,
    },
    CreateLogGroup {
        region: Region,
        name: String,
    },
    PutRetentionPolicy {
        region: Region,
        name: String,
        days: i32,
    },
    /// The region's whole invocation logging configuration.
    PutInvocationLogging {
        region: Region,
        logging: InvocationLogging,
    },
    /// The account's Anthropic use case form (sent through one region's endpoint).
    PutUseCase {
        region: Region,
        form: String,
    },
    CreateModelAgreement {
        region: Region,
        model_id: String,
        offer_token: String,
    },
    /// Findings of one account into its Security Hub, as that account.
    ImportFindings(FindingBatch),
    /// An increase of one of Bedrock's quotas in a region, which AWS then reviews.
    RequestQuotaIncrease {
        region: Region,
        quota_code: String,
        quota_name: String,
        desired: u64,
    },
}

/// One `BatchImportFindings` call: some of one account's findings, in the region their
/// `ProductArn` names. With the default product ARN only the account a finding names may
/// import it, so the step is sent with that account's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingBatch {
    pub account: String,
    pub region: Region,
    /// This batch's place among its account's batches: 1 of 3.
    pub number: usize,
    pub of: usize,
    pub findings: Vec<AsffRecord>,
}

impl FindingBatch {
    /// The account's default product, which the import is authorized on.
    pub fn product_arn(&self) -> String {
        self.findings
            .first()
            .map(|f| f.product_arn.clone())
            .unwrap_or_default()
    }

    /// What to do about a refused import. Security Hub answers both a missing permission
    /// and an account that has not enabled it in the region as denied.
    fn explained(&self, error: AwsError) -> AwsError {
        let fix = match (error.kind(), error.code()) {
            (_, Some("InvalidAccessException")) => Some(self.enable_fix()),
            (AwsErrorKind::Denied, _) => Some(self.permission_fix()),
            _ => None,
        };
        match fix {
            Some(fix) => AwsError::new(
                error.kind(),
                error.operation(),
                format!("{}: {fix}", error.message()),
            )
            .with_code(error.code().unwrap_or_default()),
            None => error,
        }
    }

    fn permission_fix(&self) -> String {
        format!(
            "allow securityhub:BatchImportFindings on {} to the principal that audits account {} \
             (its --role-arn role, or the caller)",
            self.product_arn(),
            self.account
        )
    }

    fn enable_fix(&self) -> String {
        format!(
            "Security Hub must be enabled in account {} in {} (aws securityhub \
             enable-security-hub --region {}), or put the region where it is first in --region",
            self.account, self.region, self.region
        )
    }

    /// The refused findings, grouped by Security Hub's reason, as a step's failure.
    fn refused(&self, refused: &[RefusedFinding]) -> AwsError {
        let mut reasons: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for f in refused {
            reasons
                .entry((f.code.as_str(), f.message.as_str()))
                .or_default()
                .push(f.id.as_str());
        }
        let shown = 3;
        let reasons: Vec<String> = reasons
            .into_iter()
            .map(|((code, message), ids)| {
                let mut named = ids
                    .iter()
                    .take(shown)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                if ids.len() > shown {
                    named.push_str(&format!(" and {} more", ids.len() - shown));
                }
                let fix = match code {
                    "InvalidAccess" => format!(" ({})", self.enable_fix()),
                    _ => String::new(),
                };
                format!("{code}: {message}{fix}: {named}")
            })
            .collect();
        AwsError::new(
            AwsErrorKind::Other,
            &catalog::BATCH_IMPORT_FINDINGS,
            format!(
                "{} of {} findings were not imported: {}",
                refused.len(),
                self.findings.len(),
                reasons.join("; ")
            ),
        )
    }
}

impl Change {
    pub fn operation(&self) -> &'static Operation {
        match self {
            Change::CreatePolicy { .. } => &catalog::CREATE_POLICY,
            Change::CreateDefaultPolicyVersion { .. } => &catalog::CREATE_POLICY_VERSION,
            Change::DeletePolicyVersion { .. } => &catalog::DELETE_POLICY_VERSION,
            Change::AttachPolicy { target, .. } => target.operation(),
            Change::CreateRole { .. } => &catalog::CREATE_ROLE,
            Change::PutRolePolicy { .. } => &catalog::PUT_ROLE_POLICY,
            Change::CreateLogGroup { .. } => &catalog::CREATE_LOG_GROUP,
            Change::PutRetentionPolicy { .. } => &catalog::PUT_RETENTION_POLICY,
            Change::PutInvocationLogging { .. } => {
                &catalog::PUT_MODEL_INVOCATION_LOGGING_CONFIGURATION
            }
            Change::PutUseCase { .. } => &catalog::PUT_USE_CASE_FOR_MODEL_ACCESS,
            Change::CreateModelAgreement { .. } => &catalog::CREATE_FOUNDATION_MODEL_AGREEMENT,
            Change::ImportFindings(_) => &catalog::BATCH_IMPORT_FINDINGS,
            Change::RequestQuotaIncrease { .. } => &catalog::REQUEST_SERVICE_QUOTA_INCREASE,
        }
    }

    /// The account whose own session sends this change; `None` for the run's session.
    pub fn account(&self) -> Option<&str> {
        match self {
            Change::ImportFindings(batch) => Some(&batch.account),
            _ => None,
        }
    }

    /// The one resource IAM authorizes the change's own action on, where it is the same
    /// for every principal that may send it.
    fn authorized_on(&self) -> Option<String> {
        match self {
            Change::ImportFindings(batch) => Some(batch.product_arn()),
            _ => None,
        }
    }

    /// The resource the change acts on.
    pub fn resource(&self) -> String {
        match self {
            Change::CreatePolicy { name, path, .. } => format!("policy {path}{name}"),
            Change::CreateDefaultPolicyVersion { policy_arn, .. } => policy_arn.clone(),
            Change::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => format!("{policy_arn} {version_id}"),
            Change::AttachPolicy { target, policy_arn } => format!("{policy_arn} to {target}"),
            Change::CreateRole { name, .. } => format!("role/{name}"),
            Change::PutRolePolicy {
                role, policy_name, ..
            } => format!("role/{role} inline policy {policy_name}"),
            Change::CreateLogGroup { region, name } => format!("log group {name} in {region}"),
            Change::PutRetentionPolicy { region, name, days } => {
                format!("log group {name} in {region}: {days} days")
            }
            Change::PutInvocationLogging { region, .. } => {
                format!("invocation logging of {region}")
            }
            Change::PutUseCase { region, .. } => {
                format!("the account's Anthropic use case form (through {region})")
            }
            Change::CreateModelAgreement {
                region, model_id, ..
            } => format!("the {model_id} agreement in {region}"),
            Change::ImportFindings(batch) => batch.product_arn(),
            Change::RequestQuotaIncrease {
                region, quota_code, ..
            } => format!("bedrock/{quota_code} in {region}"),
        }
    }

    /// What IAM checks besides the call's own action. Handing Bedrock a role to write logs
    /// with is `iam:PassRole` on that role, for Bedrock only. Tags sent with a create are
    /// authorized as the tagging action too (IAM User Guide, "Permissions required to tag IAM
    /// resources"). Accepting a model's offer subscribes through AWS Marketplace (Bedrock User
    /// Guide, model access: Subscribe and ViewSubscriptions are prerequisites).
    fn also_needs(&self) -> Vec<Permission> {
        let plain = |action: &str| Permission {
            action: action.into(),
            resource: None,
            passed_to_service: None,
        };
        match self {
            Change::PutInvocationLogging { logging, .. } => logging
                .cloudwatch
                .iter()
                .map(|cloudwatch| Permission {
                    action: "iam:PassRole".into(),
                    resource: Some(cloudwatch.role_arn.clone()),
                    passed_to_service: Some(crate::aws::BEDROCK_SERVICE_NAME),
                })
                .collect(),
            Change::CreatePolicy { tags, .. } if !tags.is_empty() => vec![plain("iam:TagPolicy")],
            Change::CreateRole { tags, .. } if !tags.is_empty() => vec![plain("iam:TagRole")],
            Change::CreateModelAgreement { .. } => vec![
                plain("aws-marketplace:Subscribe"),
                plain("aws-marketplace:ViewSubscriptions"),
            ],
            _ => Vec::new(),
        }
    }

    async fn send(&self, writer: &AwsWriter) -> Result<(), AwsError> {
        match self {
            Change::CreatePolicy {
                name,
                path,
                document,
                description,
                tags,
            } => writer
                .create_policy(name, path, document, description, tags)
                .await
                .map(drop),
            Change::CreateDefaultPolicyVersion {
                policy_arn,
                document,
            } => {
                writer
                    .create_default_policy_version(policy_arn, document)
                    .await
            }
            Change::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => writer.delete_policy_version(policy_arn, version_id).await,
            Change::AttachPolicy { target, policy_arn } => {
                writer.attach_policy(target, policy_arn).await
            }
            Change::CreateRole {
                name,
                trust,
                description,
                tags,
            } => writer
                .create_role(name, trust, description, tags)
                .await
                .map(drop),
            Change::PutRolePolicy {
                role,
                policy_name,
                document,
            } => writer.put_role_policy(role, policy_name, document).await,
            Change::CreateLogGroup { region, name } => writer.create_log_group(region, name).await,
            Change::PutRetentionPolicy { region, name, days } => {
                writer.put_retention_policy(region, name, *days).await
            }
            Change::PutInvocationLogging { region, logging } => {
                writer.put_invocation_logging(region, logging).await
            }
            Change::PutUseCase { region, form } => writer.put_use_case(region, form).await,
            Change::CreateModelAgreement {
                region,
                model_id,
                offer_token,
            } => {
                writer
                    .create_model_agreement(region, model_id, offer_token)
                    .await
            }
            Change::ImportFindings(batch) => {
                let records: Vec<&serde_json::Value> =
                    batch.findings.iter().map(|f| &f.body).collect();
                let refused = writer
                    .import_findings(&batch.region, &records)
                    .await
                    .map_err(|e| batch.explained(e))?;
                match refused.is_empty() {
                    true => Ok(()),
                    false => Err(batch.refused(&refused)),
                }
            }
            Change::RequestQuotaIncrease {
                region,
                quota_code,
                desired,
                ..
            } => {
                writer
                    .request_quota_increase(region, quota_code, *desired)
                    .await
            }
        }
    }
}

/// Whether sending a step's call again, after it succeeded, leaves AWS as one send did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rerun {
    Safe,
    /// Sending it again fails or adds a second copy; the planner reads first and leaves the
    /// step out once it is done, which is how re-running the command converges.
    PlanFirst,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What the step achieves, in a person's words.
    pub summary: String,
    pub change: Change,
    pub rerun: Rerun,
    /// What a person reviews before saying yes: the document a step creates, or the diff
    /// of the one it replaces.
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// What the plan is for: `attach claude-invoke to role/dev`.
    pub goal: String,
    pub steps: Vec<Step>,
    /// What was asked and is already so, each with why nothing is sent for it: `a request
    /// for 5000000 is open (case 1234)`.
    pub unchanged: Vec<String>,
}

/// A permission the principal running a plan needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permission {
    pub action: String,
    /// The one resource it is needed on, where the plan knows it.
    pub resource: Option<String>,
    /// `iam:PassedToService`, for `iam:PassRole`.
    pub passed_to_service: Option<&'static str>,
}

impl Permission {
    /// As a person reads it: `iam:PassRole on ARN (iam:PassedToService = bedrock.amazonaws.com)`.
    pub fn describe(&self) -> String {
        let mut text = self.action.clone();
        if let Some(resource) = &self.resource {
            text.push_str(&format!(" on {resource}"));
        }
        if let Some(service) = self.passed_to_service {
            text.push_str(&format!(" (iam:PassedToService = {service})"));
        }
        text
    }
}

impl Plan {
    /// Nothing to change: AWS already is as the plan wants it.
    pub fn is_converged(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every permission the plan's steps need, each once, in step order: a principal that
    /// lacks one stops the plan at that step.
    pub fn permissions(&self) -> Vec<Permission> {
        let mut needed: Vec<Permission> = Vec::new();
        for change in self.steps.iter().map(|s| &s.change) {
            let own = Permission {
                action: change.operation().iam_action(),
                resource: change.authorized_on(),
                passed_to_service: None,
            };
            for permission in std::iter::once(own).chain(change.also_needs()) {
                if !needed.contains(&permission) {
                    needed.push(permission);
                }
            }
        }
        needed
    }

    /// Whether its steps are sent as more than one account.
    pub fn spans_accounts(&self) -> bool {
        let mut accounts = self.steps.iter().map(|s| s.change.account());
        accounts
            .next()
            .is_some_and(|first| accounts.any(|other| other != first))
    }

    /// Each step's AWS call, in order: what planner tests compare.
    #[cfg(test)]
    pub fn operations(&self) -> Vec<String> {
        self.steps
            .iter()
            .map(|s| s.change.operation().to_string())
            .collect()
    }
}

/// Proof that a plan was confirmed: what building the write side takes. Its field is private
/// to this module, so nothing else (no check, no command) can make one.
pub struct Confirmed(());

/// What the user said about running a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// `--dry-run`: show the plan, send nothing.
    DryRun,
    /// Neither flag: show the plan, send nothing, say how to apply it.
    Unconfirmed,
    /// `--yes`.
    Yes,
}

impl Confirmation {
    /// From a mutating command's `--dry-run` and `--yes` (clap keeps them exclusive).
    pub fn from_flags(dry_run: bool, yes: bool) -> Confirmation {
        match (dry_run, yes) {
            (true, _) => Confirmation::DryRun,
            (false, true) => Confirmation::Yes,
            (false, false) => Confirmation::Unconfirmed,
        }
    }
}

/// What became of each step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    Done,
    Failed(String),
    /// Not sent: the plan was not confirmed, or an earlier step failed.
    NotSent,
}

/// As a person reads it in a table or a document.
impl std::fmt::Display for StepResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepResult::Done => f.write_str("done"),
            StepResult::Failed(error) => write!(f, "failed: {error}"),
            StepResult::NotSent => f.write_str("not sent"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub confirmation: Confirmation,
    pub results: Vec<StepResult>,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r, StepResult::Failed(_)))
    }
}

/// Whom a plan's steps are sent as: the run's session, and each account's own for the steps
/// that name an account (Security Hub takes an account's findings only from that account).
pub struct Sessions {
    run: Option<Arc<Session>>,
    accounts: BTreeMap<String, Arc<Session>>,
}

impl Sessions {
    /// Every step as the run's one session.
    pub fn one(session: &Arc<Session>) -> Sessions {
        Sessions {
            run: Some(Arc::clone(session)),
            accounts: BTreeMap::new(),
        }
    }

    /// Each account's steps as its own session, as audit holds them: (account ID, session).
    pub fn per_account(accounts: &[(String, Arc<Session>)]) -> Sessions {
        Sessions {
            run: None,
            accounts: accounts
                .iter()
                .map(|(account, session)| (account.clone(), Arc::clone(session)))
                .collect(),
        }
    }

    fn of(&self, change: &Change) -> Result<&Arc<Session>, String> {
        match change.account() {
            // Never another account's session: AWS would take the change as that account.
            Some(account) => self
                .accounts
                .get(account)
                .ok_or_else(|| format!("this run has no credentials of account {account}")),
            None => self
                .run
                .as_ref()
                .ok_or_else(|| "this run has no session of its own to send it with".to_string()),
        }
    }
}

/// Runs a confirmed plan's steps in order and stops at the first failure, leaving the rest
/// unsent: running the command again plans from what AWS then holds and picks up from there.
pub async fn apply(plan: &Plan, confirmation: Confirmation, session: &Arc<Session>) -> Outcome {
    apply_as(plan, confirmation, &Sessions::one(session)).await
}

/// Accounts whose steps `apply_as` sends at the same time.
const ACCOUNTS_AT_ONCE: usize = 16;

/// `apply` with a session per account. The accounts do not depend on each other: their steps
/// go out at the same time (a bounded number of accounts at once), each account's in order,
/// and a failure stops the rest of its own account's steps only, so one account's missing
/// permission does not keep the others' changes back.
pub async fn apply_as(plan: &Plan, confirmation: Confirmation, sessions: &Sessions) -> Outcome {
    let mut results = vec![StepResult::NotSent; plan.steps.len()];
    if confirmation == Confirmation::Yes {
        let mut accounts: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        for (index, step) in plan.steps.iter().enumerate() {
            let account = step.change.account();
            match accounts.iter_mut().find(|(a, _)| *a == account) {
                Some((_, steps)) => steps.push(index),
                None => accounts.push((account, vec![index])),
            }
        }
        let groups: Vec<Vec<usize>> = accounts.into_iter().map(|(_, steps)| steps).collect();
        let done: Vec<Vec<(usize, StepResult)>> = stream::iter(groups)
            .map(|steps| apply_in_order(plan, steps, sessions))
            .buffer_unordered(ACCOUNTS_AT_ONCE)
            .collect()
            .await;
        for (index, result) in done.into_iter().flatten() {
            results[index] = result;
        }
    }
    Outcome {
        confirmation,
        results,
    }
}

/// One account's steps of `plan`, in order, until one fails.
async fn apply_in_order(
    plan: &Plan,
    steps: Vec<usize>,
    sessions: &Sessions,
) -> Vec<(usize, StepResult)> {
    let mut results = Vec::new();
    for index in steps {
        let change = &plan.steps[index].change;
        let session = match sessions.of(change) {
            Ok(session) => session,
            Err(why) => {
                results.push((index, StepResult::Failed(why)));
                break;
            }
        };
        let writer = AwsWriter::new(Arc::clone(session), &Confirmed(()));
        match change.send(&writer).await {
            Ok(()) => results.push((index, StepResult::Done)),
            // A write that timed out may still have been applied: say so, since running
            // again re-reads what AWS holds and sends only what is missing.
            Err(error) if error.kind() == AwsErrorKind::Timeout => {
                results.push((
                    index,
                    StepResult::Failed(format!(
                        "unknown outcome, the call timed out ({error}): run the same command \
                         again to converge"
                    )),
                ));
                break;
            }
            Err(error) => {
                results.push((index, StepResult::Failed(error.to_string())));
                break;
            }
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(change: Change) -> Step {
        Step {
            summary: String::new(),
            change,
            rerun: Rerun::Safe,
            detail: None,
        }
    }

    /// Accounts do not wait on each other: a step that fails stops the later steps of its
    /// own account, and the next account's are still tried.
    #[tokio::test]
    async fn a_failure_stops_only_the_steps_of_its_own_account() {
        let batch = |account: &str, number| {
            step(Change::ImportFindings(FindingBatch {
                account: account.into(),
                region: "us-east-1".parse().unwrap(),
                number,
                of: 2,
                findings: Vec::new(),
            }))
        };
        let plan = Plan {
            goal: String::new(),
            unchanged: Vec::new(),
            steps: vec![
                batch("111122223333", 1),
                batch("111122223333", 2),
                batch("444455556666", 1),
                batch("444455556666", 2),
            ],
        };
        assert!(plan.spans_accounts());
        // No session of either account: each one's first step fails on that alone.
        let outcome = apply_as(&plan, Confirmation::Yes, &Sessions::per_account(&[])).await;
        let no = |account: &str| {
            StepResult::Failed(format!("this run has no credentials of account {account}"))
        };
        assert_eq!(
            outcome.results,
            [
                no("111122223333"),
                StepResult::NotSent,
                no("444455556666"),
                StepResult::NotSent
            ]
        );
        let dry = apply_as(&plan, Confirmation::DryRun, &Sessions::per_account(&[])).await;
        assert!(dry.results.iter().all(|r| *r == StepResult::NotSent));
    }

    #[test]
    fn a_plan_names_what_its_tags_and_subscriptions_need() {
        let region: Region = "us-east-1".parse().unwrap();
        let policy = |tags: Vec<(String, String)>| Change::CreatePolicy {
            name: "p".into(),
            path: "/".into(),
            document: "{}".into(),
            description: String::new(),
            tags,
        };
        let tag = vec![("managed-by".to_string(), "bedrock-preflight".to_string())];
        let plan = Plan {
            goal: String::new(),
            unchanged: Vec::new(),
            steps: vec![
                step(policy(vec![])),
                step(policy(tag.clone())),
                step(Change::CreateRole {
                    name: "r".into(),
                    trust: "{}".into(),
                    description: String::new(),
                    tags: tag,
                }),
                step(Change::CreateModelAgreement {
                    region,
                    model_id: "anthropic.claude-sonnet-4-6".into(),
                    offer_token: "t".into(),
                }),
            ],
        };
        let actions: Vec<String> = plan.permissions().into_iter().map(|p| p.action).collect();
        assert_eq!(
            actions,
            [
                "iam:CreatePolicy",
                "iam:TagPolicy",
                "iam:CreateRole",
                "iam:TagRole",
                "bedrock:CreateFoundationModelAgreement",
                "aws-marketplace:Subscribe",
                "aws-marketplace:ViewSubscriptions",
            ]
        );
    }
}
