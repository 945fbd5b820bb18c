//! `policy list`, `show`, `render` and `validate`: the least-privilege templates, filled from
//! flags and from the live account. The named models' routes come from doctor's own checks, so a
//! rendered policy grants exactly what `iam.invoke` will look for.

use serde_json::Value;

use super::Output;
use super::resolve::{
    Resolve, Run, Signing, fill, live, parse_vars, rendered, requested_models, template,
    template_names, usage,
};
use crate::cli::{GlobalArgs, RenderFormat};
use crate::iam::{Policy, PolicyType};
use crate::policy::{self, Template, for_claude_code, grants_invoke, lint_trust, validate};
use crate::report::Document;
use crate::{CommandError, EXIT_FAILED, EXIT_OK};

pub async fn list(global: &GlobalArgs) -> Result<u8, CommandError> {
    let mut output = Output::open(global)?;
    output.write(&Document::Templates(&policy::templates()))?;
    Ok(EXIT_OK)
}

/// A template by its name, else a policy file: its document, read and checked as validate
/// reads it.
pub async fn show(global: &GlobalArgs, name: &str) -> Result<u8, CommandError> {
    let mut output = Output::open(global)?;
    if let Some(template) = policy::template(name) {
        output.write(&Document::Template(&template))?;
    } else if tokio::fs::try_exists(name).await.unwrap_or(false) {
        let (document, _, _) = read_document(std::path::Path::new(name)).await?;
        output.write(&Document::Policy(&document))?;
    } else {
        return Err(unknown_template(name));
    }
    Ok(EXIT_OK)
}

pub async fn render_command(
    global: &GlobalArgs,
    name: &str,
    vars: &[String],
    models: &[String],
    format: RenderFormat,
) -> Result<u8, CommandError> {
    let mut output = Output::open(global)?;
    let template = template(name)?;
    let run = Run::resolve(global, Signing::default()).await;
    let rendered = rendered(&run, &template, vars, models).await?;
    let shown = match format {
        RenderFormat::Json => rendered.shown(),
        RenderFormat::CloudFormation => {
            policy::cloudformation(&template, &rendered.values).map_err(usage)?
        }
        RenderFormat::Terraform => {
            let text = policy::terraform(&template, &rendered.values).map_err(usage)?;
            output.write(&Document::Source(&text))?;
            return Ok(EXIT_OK);
        }
    };
    output.write(&Document::Policy(&shown))?;
    Ok(EXIT_OK)
}

/// Lints FILE or the rendered template NAME and proves it against the named models' calls
/// in the regions: exit 0 when it holds, 1 naming what does not.
pub async fn validate_command(
    global: &GlobalArgs,
    target: &str,
    vars: &[String],
    models: &[String],
) -> Result<u8, CommandError> {
    let mut output = Output::open(global)?;
    let requests = requested_models(models)?;
    // A file is read and parsed before any AWS call: bad input is exit 2 with nothing sent.
    let given = match policy::template(target) {
        Some(template) => Target::Template(template),
        None if tokio::fs::try_exists(target).await.unwrap_or(false) => {
            if !vars.is_empty() {
                return Err(CommandError::Usage(
                    "--var fills a template's variables; a policy file has none".into(),
                ));
            }
            let (document, policy, trust) = read_document(std::path::Path::new(target)).await?;
            Target::File(document, policy, trust)
        }
        None => return Err(unknown_template(target)),
    };
    // A template is proved when it is one of the invoke grants (its resources come from the
    // models' routes); preflight-readonly's probe grant is broad on purpose, so it is only
    // linted unless models are named.
    let proves = !models.is_empty()
        || match &given {
            Target::Template(template) => template.needs_routes(),
            Target::File(_, policy, _) => grants_invoke(policy),
        };
    let needs_live = proves
        || match &given {
            Target::Template(template) => {
                let flags = template.flag_values(&parse_vars(vars)?).map_err(usage)?;
                template.needs_live(&flags)
            }
            Target::File(..) => false,
        };
    let run = Run::resolve(global, Signing::default()).await;
    let live = if needs_live {
        let depth = if proves {
            Resolve::Routes
        } else {
            Resolve::Caller
        };
        Some(live(&run, requests, depth).await?)
    } else {
        None
    };
    let (document, policy, trust) = match given {
        Target::File(document, policy, trust) => (document, policy, trust),
        Target::Template(template) => {
            let rendered = fill(&template, vars, live.as_ref())?;
            let policy = Policy::parse(&rendered.document).map_err(usage)?;
            (rendered.document, policy, rendered.trust)
        }
    };
    let invocations = live.map(|l| l.invocations).unwrap_or_default();
    let mut validation = validate(
        target,
        &document,
        &policy,
        &invocations,
        for_claude_code(&policy),
    );
    if let Some(trust) = trust {
        let parsed = Policy::parse_as(&trust, PolicyType::Resource).map_err(usage)?;
        validation.problems.extend(lint_trust(&trust, &parsed));
    }
    output.write(&Document::Validation(&validation))?;
    Ok(if validation.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// What `validate` was given: a template's name, or a file's policy (and trust policy, for
/// infrastructure code that creates a role), parsed.
enum Target {
    Template(Template),
    File(Value, Policy, Option<Value>),
}

/// A policy file, or the policy a CloudFormation template (JSON) or Terraform file (`.tf`)
/// creates, with the trust policy of the role it creates.
async fn read_document(
    path: &std::path::Path,
) -> Result<(Value, Policy, Option<Value>), CommandError> {
    let name = path.display();
    let text = crate::files::read_text(path, crate::files::INPUT_LIMIT)
        .await
        .map_err(|e| CommandError::Usage(format!("cannot read policy {name}: {e}")))?;
    let bad = |e: String| CommandError::Usage(format!("{name}: {e}"));
    let (document, trust) = if path.extension().is_some_and(|e| e == "tf") {
        let found = policy::iac::from_terraform(&text).map_err(bad)?;
        (found.policy, found.trust)
    } else {
        let document: Value = serde_json::from_str(&text)
            .map_err(|e| CommandError::Usage(format!("policy {name}: not JSON: {e}")))?;
        if policy::iac::is_cloudformation(&document) {
            let found = policy::iac::from_cloudformation(&document).map_err(bad)?;
            (found.policy, found.trust)
        } else {
            (document, None)
        }
    };
    let policy =
        Policy::parse(&document).map_err(|e| CommandError::Usage(format!("policy {name}: {e}")))?;
    Ok((document, policy, trust))
}

/// For `show` and `validate`, which also read a file by that name.
fn unknown_template(name: &str) -> CommandError {
    CommandError::Usage(format!(
        "no policy template named '{name}' and no such file (templates: {})",
        template_names()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Filled;
    use std::collections::BTreeMap;

    fn flag_values_of(name: &str, vars: &[&str]) -> Result<BTreeMap<String, Filled>, CommandError> {
        let given = parse_vars(&vars.iter().map(|v| v.to_string()).collect::<Vec<_>>())?;
        template(name)?.flag_values(&given).map_err(usage)
    }

    #[test]
    fn bad_variables_are_usage_errors_naming_them() {
        let message = |result: Result<_, CommandError>| match result {
            Err(CommandError::Usage(message)) => message,
            other => panic!("{:?}", other.map(|_| ())),
        };
        assert!(message(flag_values_of("claude-invoke", &["region"])).contains("'region'"));
        assert!(
            message(flag_values_of("invocation-logging-role", &[])).contains("log_group"),
            "a required variable"
        );
        assert!(
            message(flag_values_of("invocation-logging-role", &["loggroup=x"]))
                .contains("loggroup")
        );
        assert!(message(flag_values_of("nope", &[])).contains("claude-invoke"));
    }
}
