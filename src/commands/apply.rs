//! `policy apply`: render a template, read what IAM holds, plan the steps still needed and
//! hand the plan to `plan::apply`, which sends it only with `--yes`.

use super::resolve::{Run, Signing, plan_policy, rendered, template};
use super::{Output, PlanRun};
use crate::CommandError;
use crate::cli::GlobalArgs;
use crate::plan::{self, Confirmation};
use crate::policy::apply::{default_policy_name, parse_target};
use crate::report::Examined;

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
    let plan_run = PlanRun::start("policy apply");
    let template = template(args.name)?;
    if template.role.is_some() {
        return Err(CommandError::Usage(format!(
            "{name} is a role to create in each account, not a policy to attach: deploy `bedrock-preflight policy render {name} --format cloudformation` as a StackSet, or create it with the aws CLI from `policy render {name}`",
            name = template.name
        )));
    }
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
    let run = Run::resolve(global, Signing::default()).await;
    let rendered = rendered(&run, &template, args.vars, args.models).await?;
    let desired = (template.name.as_str(), policy_name.as_str(), &target_arg);
    let planned = plan_policy(&run.aws, desired, rendered.document).await?;
    let outcome = plan::apply(&planned.plan, confirmation, &run.session).await;
    let scope = Examined {
        accounts: vec![planned.account],
        principals: vec![planned.principal],
        regions: run.regions()?.iter().map(|r| r.to_string()).collect(),
        models: args.models.to_vec(),
    };
    plan_run.finish(&mut output, &run.session, scope, (planned.plan, outcome))
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
