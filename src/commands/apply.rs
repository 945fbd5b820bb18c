//! `policy apply`: render a template, read what IAM holds, plan the steps still needed and
//! hand the plan to `plan::apply`, which sends it only with `--yes`.

use std::sync::Arc;

use super::templates::{rendered, template};
use super::{Output, PlanRun, caller_account, regions, session};
use crate::aws::{AttachTarget, AwsReader};
use crate::cli::GlobalArgs;
use crate::plan::{self, Confirmation};
use crate::policy::apply::{Desired, TargetArg, default_policy_name, parse_target, plan_apply};
use crate::report::Examined;
use crate::{CommandError, EXIT_ERROR, EXIT_FAILED};

pub struct ApplyArgs<'a> {
    pub name: &'a str,
    pub attach_to: &'a str,
    pub policy_name: Option<&'a str>,
    pub vars: &'a [String],
    pub models: &'a [String],
    pub dry_run: bool,
    pub yes: bool,
}

pub async fn apply_command(global: &GlobalArgs, args: ApplyArgs<'_>) -> Result<u8, CommandError> {
    let mut output = Output::open_report(global)?;
    let run = PlanRun::start("policy apply");
    let template = template(args.name)?;
    if template.trust_document().is_some() {
        return Err(CommandError::Usage(format!(
            "{} is a role's policy with its trust policy: `setup logging --create-role` makes that role",
            template.name
        )));
    }
    let target_arg = parse_target(args.attach_to).map_err(CommandError::Usage)?;
    let target = &target_arg.target;
    let policy_name = match args.policy_name {
        Some(name) => valid_policy_name(name)?,
        None => default_policy_name(&template.name, target),
    };
    let confirmation = Confirmation::from_flags(args.dry_run, args.yes);
    let session = session(global).await;
    let aws = Arc::new(AwsReader::new(Arc::clone(&session)));
    let rendered = rendered(global, &aws, &template, args.vars, args.models).await?;
    let desired = (template.name.as_str(), policy_name.as_str(), &target_arg);
    let planned = plan_policy(&aws, desired, rendered.document).await?;
    let outcome = plan::apply(&planned.plan, confirmation, aws.session()).await;
    let scope = Examined {
        accounts: vec![planned.account],
        principals: vec![planned.principal],
        regions: regions(global, &session)?
            .iter()
            .map(|r| r.to_string())
            .collect(),
        models: args.models.to_vec(),
    };
    run.finish(&mut output, &session, scope, (planned.plan, outcome))
}

/// A plan not yet applied, with whose account and principal it changes.
pub(super) struct Planned {
    pub plan: plan::Plan,
    pub account: String,
    pub principal: String,
}

/// Reads the caller, the policy and the target's attachments, and plans. A target that is
/// not there is the user's input to fix (exit 2); a read that fails, or a policy this tool
/// must not touch, halts the command.
pub(super) async fn plan_policy(
    aws: &Arc<AwsReader>,
    (template, policy_name, target_arg): (&str, &str, &TargetArg),
    document: serde_json::Value,
) -> Result<Planned, CommandError> {
    let halted = |reason: String, code| CommandError::Halted {
        reason,
        findings: Vec::new(),
        code,
    };
    let (account, _) = caller_account(aws)
        .await
        .map_err(|e| halted(format!("cannot read the caller's account: {e}"), EXIT_ERROR))?;
    if let Some(refusal) = target_arg.refusal(&account.partition, &account.id) {
        return Err(CommandError::Usage(refusal));
    }
    let target = &target_arg.target;
    let policy_arn = format!(
        "arn:{}:iam::{}:policy/{policy_name}",
        account.partition, account.id
    );
    let (kind, name) = match target {
        AttachTarget::Role(name) => ("role", name),
        AttachTarget::User(name) => ("user", name),
        AttachTarget::Group(name) => ("group", name),
    };
    let (current, attached) = tokio::join!(
        aws.managed_policy_state(&policy_arn),
        aws.attached_policy_arns(kind, name)
    );
    let attached = match attached {
        Ok(arns) => arns.contains(&policy_arn),
        Err(e) if e.kind() == crate::aws::AwsErrorKind::NotFound => {
            return Err(CommandError::Usage(format!(
                "{target} does not exist in account {}",
                account.id
            )));
        }
        Err(e) => {
            return Err(halted(
                format!("cannot read the policies attached to {target}: {e}"),
                EXIT_ERROR,
            ));
        }
    };
    let current =
        current.map_err(|e| halted(format!("cannot read {policy_arn}: {e}"), EXIT_ERROR))?;
    let desired = Desired {
        policy_name,
        policy_arn: &policy_arn,
        document: &document,
        description: format!("bedrock-preflight template {template} for {target}"),
        target,
    };
    let plan = plan_apply(&desired, current.as_ref(), attached)
        .map_err(|refusal| halted(refusal.to_string(), EXIT_FAILED))?;
    Ok(Planned {
        plan,
        principal: format!("arn:{}:iam::{}:{target}", account.partition, account.id),
        account: account.id,
    })
}

/// IAM policy names: 1 to 128 of letters, digits and +=,.@_-.
fn valid_policy_name(name: &str) -> Result<String, CommandError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(name.to_string())
    } else {
        Err(CommandError::Usage(format!(
            "--policy-name '{name}' is not an IAM policy name (1 to 128 of letters, digits and +=,.@_-)"
        )))
    }
}
