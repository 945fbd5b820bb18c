//! `policy`: the local IAM evaluator on policy files (`evaluate`) or on a live principal's
//! policies (`explain`); the templates' subcommands are in `templates`.

use super::Output;
use super::resolve::{Run, Signing};
use crate::aws::{AwsErrorKind, Organization};
use crate::cli::{EvaluateArgs, ExplainArgs, GlobalArgs};
use crate::domain::Arn;
use crate::iam::{
    Caller, Decision, Evaluation, NamedPolicy, Policy, PolicySet, PolicyType, Request, evaluate,
};
use crate::report::Document;
use crate::{CommandError, EXIT_ERROR, EXIT_FAILED, EXIT_OK};

/// `policy evaluate`: the local evaluator on policy files.
pub async fn evaluate_command(
    global: &GlobalArgs,
    args: &EvaluateArgs,
) -> Result<u8, CommandError> {
    let EvaluateArgs {
        policies,
        action,
        resource,
        boundary,
        context,
        principal,
        resource_account,
        scps,
        rcps,
        resource_policy,
        session_policy,
    } = args;
    let mut output = Output::open(global)?;
    let mut request = request(action, resource, context)?;
    let caller = principal
        .as_deref()
        .map(|text| {
            text.parse::<Caller>()
                .map_err(|e| usage(format!("--principal {e}")))
        })
        .transpose()?;
    if resource_policy.is_some() && caller.is_none() {
        return Err(usage(
            "--resource-policy needs --principal: a resource-based policy grants to principals",
        ));
    }
    if session_policy.is_some() && caller.as_ref().is_some_and(|c| !c.is_session()) {
        return Err(usage(
            "--session-policy applies to role and federated-user sessions, and --principal is neither",
        ));
    }
    if let Some(account) = resource_account {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(usage(format!(
                "--resource-account '{account}' is not a 12-digit account ID"
            )));
        }
        request = request.with_resource_account(account);
    }
    if let Some(caller) = caller {
        request = request.with_caller(caller);
    }
    let (policies, boundary, session_policy, resource_policy, scps, rcps) = (
        policies.clone(),
        boundary.clone(),
        session_policy.clone(),
        resource_policy.clone(),
        scps.clone(),
        rcps.clone(),
    );
    // The files are read on a blocking thread, each through the one bounded reader.
    let set = tokio::task::spawn_blocking(move || -> Result<PolicySet, CommandError> {
        Ok(PolicySet {
            identity: policies
                .iter()
                .map(|path| read(path, PolicyType::Identity))
                .collect::<Result<_, _>>()?,
            boundary: boundary
                .as_ref()
                .map(|path| read(path, PolicyType::Boundary))
                .transpose()?,
            session: session_policy
                .iter()
                .map(|path| read(path, PolicyType::Session))
                .collect::<Result<_, _>>()?,
            resource: resource_policy
                .as_ref()
                .map(|path| read(path, PolicyType::Resource))
                .transpose()?,
            scps: levels(&scps, PolicyType::Scp)?,
            rcps: levels(&rcps, PolicyType::Rcp)?,
        })
    })
    .await
    .map_err(|e| usage(format!("reading the policies failed: {e}")))??;
    let evaluation = evaluate(&set, &request);
    output.write(&Document::Evaluation(&request, &evaluation, &[]))?;
    Ok(exit(&evaluation))
}

/// `policy explain`: the local evaluator on a live principal's policies.
pub async fn explain_command(global: &GlobalArgs, args: &ExplainArgs) -> Result<u8, CommandError> {
    let ExplainArgs {
        principal,
        action,
        resource,
        context,
    } = args;
    let mut output = Output::open(global)?;
    let caller: Caller = principal
        .parse()
        .map_err(|e| usage(format!("--principal {e}")))?;
    let request = request(action, resource, context)?.with_caller(caller.clone());
    let policy_holder = iam_principal(principal)?;
    let account = caller.account().unwrap_or_default().to_string();
    let aws = Run::resolve(global, Signing::default()).await.aws;
    let (policies, organization) = tokio::join!(
        aws.principal_policies(&policy_holder),
        aws.organization(&account)
    );
    let mut set = match policies {
        Ok(set) => (*set).clone(),
        // As in policy apply: a principal that is not there is an invalid input.
        Err(error) if error.kind() == AwsErrorKind::NotFound => {
            return Err(usage(format!(
                "--principal {principal}: {policy_holder} does not exist in account {account}"
            )));
        }
        Err(error) => {
            return Err(CommandError::Halted {
                reason: format!("cannot read the policies of {policy_holder}: {error}"),
                findings: Vec::new(),
                code: EXIT_ERROR,
            });
        }
    };
    let mut unseen = Vec::new();
    match organization {
        Ok(Organization::Member(org)) => {
            set.scps = org.scps;
            // RCPs are the resource owner's: this organization's only for its resources.
            if request_owned_by(&request, &account) {
                set.rcps = org.rcps;
            }
        }
        Ok(Organization::None | Organization::Management { .. }) => {}
        Err(error) => unseen.push(format!(
            "the organization's SCPs and RCPs ({error}); they may deny what this allows"
        )),
    }
    if caller.is_session() {
        unseen.push(
                    "a session policy passed when the session was created (no API reads it); pass it to policy evaluate --session-policy"
                        .to_string(),
                );
    }
    let evaluation = evaluate(&set, &request);
    output.write(&Document::Evaluation(&request, &evaluation, &unseen))?;
    Ok(exit(&evaluation))
}

/// Whether the resource belongs to `account`, by its ARN.
fn request_owned_by(request: &Request, account: &str) -> bool {
    request
        .resource
        .parse::<Arn>()
        .ok()
        .is_some_and(|arn| arn.account() == Some(account))
}

/// 0 when allowed, 1 when denied, so scripts can branch on it.
fn exit(evaluation: &Evaluation) -> u8 {
    if evaluation.decision == Decision::Allowed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn usage(message: impl Into<String>) -> CommandError {
    CommandError::Usage(message.into())
}

fn read(path: &std::path::Path, kind: PolicyType) -> Result<NamedPolicy, CommandError> {
    let name = path.display().to_string();
    let text = crate::files::read_text_blocking(path, crate::files::INPUT_LIMIT)
        .map_err(|e| usage(format!("cannot read policy {name}: {e}")))?;
    let policy = Policy::from_json_as(&text, kind)
        .map_err(|e| usage(format!("{} {name}: {e}", kind.describe())))?;
    Ok(NamedPolicy { name, policy })
}

/// `--scp a.json,b.json --scp ""`: the policies of each organization level, root first.
fn levels(values: &[String], kind: PolicyType) -> Result<Vec<Vec<NamedPolicy>>, CommandError> {
    values
        .iter()
        .map(|level| {
            level
                .split(',')
                .map(str::trim)
                .filter(|file| !file.is_empty())
                .map(|file| read(std::path::Path::new(file), kind))
                .collect()
        })
        .collect()
}

fn request(action: &str, resource: &str, context: &[String]) -> Result<Request, CommandError> {
    if action != "*" && !action.contains(':') {
        return Err(CommandError::Usage(format!(
            "--action '{action}' needs a service prefix, like bedrock:InvokeModel"
        )));
    }
    if let Some(why) = crate::policy::unknown_request_action(action) {
        return Err(CommandError::Usage(format!("--action {why}")));
    }
    if resource != "*" && resource.parse::<Arn>().is_err() {
        return Err(CommandError::Usage(format!(
            "--resource '{resource}' is not an ARN: give the resource's ARN, like \
             arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6, or * for an \
             action that takes no resource"
        )));
    }
    let mut request = Request::new(action, resource);
    for entry in context {
        let Some((key, value)) = entry.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(CommandError::Usage(format!(
                "--context '{entry}' is not KEY=VALUE"
            )));
        };
        request = request.with(key, vec![value.to_string()]);
    }
    Ok(request)
}

/// A user or role ARN; an assumed-role session ARN stands for its role.
fn iam_principal(text: &str) -> Result<String, CommandError> {
    let invalid = || {
        CommandError::Usage(format!(
            "--principal '{text}' is not a user, role or assumed-role ARN"
        ))
    };
    let arn: Arn = text.parse().map_err(|_| invalid())?;
    let (kind, name) = arn.iam_principal().ok_or_else(invalid)?;
    let account = arn.account().ok_or_else(invalid)?;
    Ok(match (arn.service(), kind) {
        // The session's role, without its path (IAM matches the name).
        ("sts", _) => format!("arn:{}:iam::{account}:role/{name}", arn.partition()),
        _ => arn.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_stand_for_their_role() {
        assert_eq!(
            iam_principal("arn:aws:sts::123456789012:assumed-role/dev/alice").unwrap(),
            "arn:aws:iam::123456789012:role/dev"
        );
        assert_eq!(
            iam_principal("arn:aws:iam::123456789012:user/team/dev").unwrap(),
            "arn:aws:iam::123456789012:user/team/dev"
        );
        assert!(iam_principal("arn:aws:iam::123456789012:group/devs").is_err());
        assert!(iam_principal("dev").is_err());
    }
}
