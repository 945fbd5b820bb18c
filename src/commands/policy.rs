//! `policy`: the local IAM evaluator on policy files (`evaluate`) or on a live principal's
//! policies (`explain`). Templates (`list`, `show`, `render`, `validate`, `apply`) come with
//! their own issue.

use serde_json::json;

use super::Output;
use crate::aws::{Aws, AwsOptions};
use crate::cli::{GlobalArgs, OutputFormat, PolicyCommand};
use crate::iam::{Decision, Evaluation, NamedPolicy, Policy, PolicySet, Request, evaluate};
use crate::{EXIT_ERROR, EXIT_FAILED, EXIT_OK, UsageError};

pub async fn policy(global: &GlobalArgs, command: &PolicyCommand) -> Result<u8, UsageError> {
    match command {
        PolicyCommand::Evaluate {
            policies,
            action,
            resource,
            boundary,
            context,
        } => {
            let mut output = Output::open(global)?;
            let request = request(action, resource, context)?;
            let set = PolicySet {
                identity: policies
                    .iter()
                    .map(|path| read(path))
                    .collect::<Result<_, _>>()?,
                boundary: boundary.as_ref().map(|path| read(path)).transpose()?,
            };
            let evaluation = evaluate(&set, &request);
            output.write_text(&render(global.output, &request, &evaluation))?;
            Ok(exit(&evaluation))
        }
        PolicyCommand::Explain {
            principal,
            action,
            resource,
            context,
        } => {
            let mut output = Output::open(global)?;
            let request = request(action, resource, context)?;
            let principal = iam_principal(principal)?;
            let aws = Aws::load(&AwsOptions {
                profile: global.profile.clone(),
                region: global.regions.first().cloned(),
                endpoint_url: global.endpoint_url.clone(),
            })
            .await;
            let set = match aws.principal_policies(&principal).await {
                Ok(set) => set,
                Err(error) => {
                    eprintln!("error: cannot read the policies of {principal}: {error}");
                    return Ok(EXIT_ERROR);
                }
            };
            let evaluation = evaluate(&set, &request);
            output.write_text(&render(global.output, &request, &evaluation))?;
            Ok(exit(&evaluation))
        }
        PolicyCommand::List
        | PolicyCommand::Show { .. }
        | PolicyCommand::Render { .. }
        | PolicyCommand::Validate { .. }
        | PolicyCommand::Apply { .. } => Err(UsageError::NotImplemented(
            "policy templates (list, show, render, validate, apply)".into(),
        )),
    }
}

/// 0 when allowed, 1 when denied, so scripts can branch on it.
fn exit(evaluation: &Evaluation) -> u8 {
    if evaluation.decision == Decision::Allowed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn read(path: &std::path::Path) -> Result<NamedPolicy, UsageError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::Invalid(format!("cannot read policy {name}: {e}")))?;
    let policy =
        Policy::from_json(&text).map_err(|e| UsageError::Invalid(format!("policy {name}: {e}")))?;
    Ok(NamedPolicy { name, policy })
}

fn request(action: &str, resource: &str, context: &[String]) -> Result<Request, UsageError> {
    if action != "*" && !action.contains(':') {
        return Err(UsageError::Invalid(format!(
            "--action '{action}' needs a service prefix, like bedrock:InvokeModel"
        )));
    }
    let mut request = Request::new(action, resource);
    for entry in context {
        let Some((key, value)) = entry.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(UsageError::Invalid(format!(
                "--context '{entry}' is not KEY=VALUE"
            )));
        };
        request = request.with(key, vec![value.to_string()]);
    }
    Ok(request)
}

/// A user or role ARN; an assumed-role session ARN stands for its role.
fn iam_principal(arn: &str) -> Result<String, UsageError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if resource.starts_with("user/") || resource.starts_with("role/") =>
        {
            Ok(format!("arn:{partition}:iam::{account}:{resource}"))
        }
        ["arn", partition, "sts", "", account, resource] => match resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next())
        {
            Some(role) if !role.is_empty() => {
                Ok(format!("arn:{partition}:iam::{account}:role/{role}"))
            }
            _ => Err(UsageError::Invalid(format!(
                "--principal '{arn}' is not a user, role or assumed-role ARN"
            ))),
        },
        _ => Err(UsageError::Invalid(format!(
            "--principal '{arn}' is not a user, role or assumed-role ARN"
        ))),
    }
}

fn render(format: OutputFormat, request: &Request, evaluation: &Evaluation) -> String {
    let matched = evaluation.matched.iter().map(|m| {
        let position = match &m.sid {
            Some(sid) => format!("Sid {sid}"),
            None => format!("statement {}", m.index + 1),
        };
        (m, position)
    });
    match format {
        OutputFormat::Json => {
            let document = json!({
                "decision": evaluation.decision.as_str(),
                "action": request.action,
                "resource": request.resource,
                "matched": matched.map(|(m, _)| json!({
                    "policy": m.policy,
                    "sid": m.sid,
                    "statement": m.index + 1,
                    "effect": m.effect.as_str(),
                    "boundary": m.in_boundary,
                })).collect::<Vec<_>>(),
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            )
        }
        _ => {
            let mut text = format!(
                "{}: {} on {}\n",
                evaluation.decision.as_str(),
                request.action,
                request.resource
            );
            let lines: Vec<String> = matched
                .map(|(m, position)| {
                    let boundary = if m.in_boundary {
                        " (permission boundary)"
                    } else {
                        ""
                    };
                    format!(
                        "  {} by {}, {position}{boundary}",
                        m.effect.as_str(),
                        m.policy
                    )
                })
                .collect();
            if lines.is_empty() {
                text.push_str("  no statement allows it\n");
            } else {
                text.push_str(&lines.join("\n"));
                text.push('\n');
            }
            text
        }
    }
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
