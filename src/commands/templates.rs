//! `policy list`, `show`, `render` and `validate`: the least-privilege templates, filled from
//! flags and from the live account. The named models' routes come from doctor's own checks, so a
//! rendered policy grants exactly what `iam.invoke` will look for.

use std::sync::Arc;

use serde_json::{Value, json};

use super::doctor::requested_models;
use super::{Output, regions, session};
use crate::aws::AwsReader;
use crate::checks::{self, CallerIdentity, Invocations, ModelTargets};
use crate::cli::GlobalArgs;
use crate::domain::{Invocation, Region};
use crate::engine::{CheckContext, NoProgress, Scope, Status, run_checks};
use crate::iam::Policy;
use crate::policy::{
    self, Account, Template, catalog_values, for_claude_code, grants_invoke, render, validate,
};
use crate::report::Document;
use crate::{CommandError, EXIT_ERROR, EXIT_FAILED, EXIT_OK};

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
        let (document, _) = read_document(std::path::Path::new(name)).await?;
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
) -> Result<u8, CommandError> {
    let mut output = Output::open(global)?;
    let template = template(name)?;
    let aws = Arc::new(AwsReader::new(session(global).await));
    let rendered = rendered(global, &aws, &template, vars, models).await?;
    output.write(&Document::Policy(&rendered.shown()))?;
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
            let (document, policy) = read_document(std::path::Path::new(target)).await?;
            Target::File(document, policy)
        }
        None => return Err(unknown_template(target)),
    };
    // A template is proved when it is one of the invoke grants (its resources come from the
    // models' routes); preflight-readonly's probe grant is broad on purpose, so it is only
    // linted unless models are named.
    let proves = !models.is_empty()
        || match &given {
            Target::Template(template) => template.needs_routes(),
            Target::File(_, policy) => grants_invoke(policy),
        };
    let needs_live = proves || matches!(&given, Target::Template(t) if t.needs_catalog());
    let aws = Arc::new(AwsReader::new(session(global).await));
    let live = if needs_live {
        let depth = if proves {
            Resolve::Routes
        } else {
            Resolve::Caller
        };
        Some(live(global, &aws, requests, depth).await?)
    } else {
        None
    };
    let (document, policy) = match given {
        Target::File(document, policy) => (document, policy),
        Target::Template(template) => {
            let document = fill(&template, vars, live.as_ref())?.document;
            let policy = Policy::parse(&document).map_err(usage)?;
            (document, policy)
        }
    };
    let invocations = live.map(|l| l.invocations).unwrap_or_default();
    let validation = validate(
        target,
        &document,
        &policy,
        &invocations,
        for_claude_code(&policy),
    );
    output.write(&Document::Validation(&validation))?;
    Ok(if validation.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// What `validate` was given: a template's name, or a policy file, parsed.
enum Target {
    Template(Template),
    File(Value, Policy),
}

async fn read_document(path: &std::path::Path) -> Result<(Value, Policy), CommandError> {
    let name = path.display();
    let text = crate::files::read_text(path, crate::files::INPUT_LIMIT)
        .await
        .map_err(|e| CommandError::Usage(format!("cannot read policy {name}: {e}")))?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| CommandError::Usage(format!("policy {name}: not JSON: {e}")))?;
    let policy =
        Policy::parse(&document).map_err(|e| CommandError::Usage(format!("policy {name}: {e}")))?;
    Ok((document, policy))
}

/// A template by name, for the commands that take no file (`render`, `apply`).
pub(super) fn template(name: &str) -> Result<Template, CommandError> {
    policy::template(name).ok_or_else(|| {
        CommandError::Usage(format!(
            "no policy template named '{name}' (templates: {})",
            template_names()
        ))
    })
}

/// For `show` and `validate`, which also read a file by that name.
fn unknown_template(name: &str) -> CommandError {
    CommandError::Usage(format!(
        "no policy template named '{name}' and no such file (templates: {})",
        template_names()
    ))
}

fn template_names() -> String {
    let names: Vec<String> = policy::templates().into_iter().map(|t| t.name).collect();
    names.join(", ")
}

/// A template filled in: its permissions document, and the trust policy of a role template.
pub(super) struct Rendered {
    pub document: Value,
    pub trust: Option<Value>,
}

impl Rendered {
    /// What `render` prints: the document alone, or a role's two documents by the names
    /// CloudFormation and the IAM API give them.
    fn shown(&self) -> Value {
        match &self.trust {
            None => self.document.clone(),
            Some(trust) => json!({
                "PolicyDocument": self.document,
                "AssumeRolePolicyDocument": trust,
            }),
        }
    }
}

/// `template` filled from `--var` flags and the live account. Invalid flags are a usage
/// error; when the account cannot say what the models are called through, the reasons are
/// printed and the inner `Err` is the exit code.
pub(super) async fn rendered(
    global: &GlobalArgs,
    aws: &Arc<AwsReader>,
    template: &Template,
    vars: &[String],
    models: &[String],
) -> Result<Rendered, CommandError> {
    let requests = requested_models(models)?;
    // Flags are checked before any AWS call.
    template.flag_values(&parse_vars(vars)?).map_err(usage)?;
    let live = if template.needs_catalog() {
        let depth = if template.needs_routes() {
            Resolve::Routes
        } else {
            Resolve::Caller
        };
        Some(live(global, aws, requests, depth).await?)
    } else {
        None
    };
    fill(template, vars, live.as_ref())
}

/// The template with its flag variables and, when given, the live account's values filled.
fn fill(
    template: &Template,
    vars: &[String],
    live: Option<&Live>,
) -> Result<Rendered, CommandError> {
    let flags = template.flag_values(&parse_vars(vars)?).map_err(usage)?;
    let mut values = flags.clone();
    if let Some(live) = live {
        values.extend(catalog_values(
            template,
            &live.account,
            &live.invocations,
            &live.regions,
            &flags,
        ));
    }
    let document = render(&template.document(), &values).map_err(usage)?;
    let trust = template
        .trust_document()
        .map(|trust| render(&trust, &values))
        .transpose()
        .map_err(usage)?;
    Ok(Rendered { document, trust })
}

fn usage(error: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(error.to_string())
}

/// `--var K=V` values, in order.
fn parse_vars(vars: &[String]) -> Result<Vec<(String, String)>, CommandError> {
    vars.iter()
        .map(|entry| {
            entry
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| CommandError::Usage(format!("--var '{entry}' is not K=V")))
        })
        .collect()
}

/// What the live account says: who the caller is and, as far as asked, which model each
/// request is in each region and how it is called.
pub(super) struct Live {
    pub account: Account,
    /// (region, model ID) of each request that resolved.
    pub models: Vec<(Region, String)>,
    pub invocations: Vec<Invocation>,
    pub regions: Vec<Region>,
}

/// How far `live` resolves.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Resolve {
    /// The caller's account and partition.
    Caller,
    /// And each requested model in each region's catalog.
    Models,
    /// And how each is called: its inference profile and destinations.
    Routes,
}

/// Runs doctor's resolving checks (credentials, caller; region and models; profiles) and
/// keeps their facts. Any of them failing or erring stops the command: a policy or a setup
/// for a model that did not resolve would grant or set up the wrong thing.
pub(super) async fn live(
    global: &GlobalArgs,
    aws: &Arc<AwsReader>,
    models: Vec<crate::domain::ModelRequest>,
    depth: Resolve,
) -> Result<Live, CommandError> {
    let session = aws.session();
    let mut ids = vec!["credentials.resolve", "identity.caller"];
    if depth >= Resolve::Models {
        ids.extend(["region.config", "models.lifecycle"]);
    }
    if depth >= Resolve::Routes {
        ids.push("profiles.resolve");
    }
    let checks: Vec<_> = checks::all()
        .into_iter()
        .filter(|c| ids.contains(&c.meta().id))
        .collect();
    let scope = Scope {
        regions: regions(global, session)?,
        region_source: session.region_source(!global.regions().is_empty()).await,
        models,
        principals: Vec::new(),
    };
    let cx = Arc::new(CheckContext::new(Arc::clone(aws), scope));
    let findings = run_checks(&checks, Arc::clone(&cx), global.timeout, &NoProgress).await;
    let blocking: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error))
        .collect();
    let identity = cx.fact::<CallerIdentity>();
    let invocations = cx.fact::<Invocations>();
    let targets = cx.fact::<ModelTargets>();
    match (identity, invocations) {
        (Some(identity), invocations) if blocking.is_empty() => Ok(Live {
            account: Account {
                partition: identity.partition.clone(),
                id: identity.account.clone(),
            },
            models: targets
                .map(|t| {
                    t.list
                        .iter()
                        .map(|t| (t.region.clone(), t.model.id.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            invocations: invocations.map(|i| i.list.clone()).unwrap_or_default(),
            regions: cx.scope.regions.clone(),
        }),
        _ => Err(CommandError::Halted {
            reason: "the live account cannot resolve what was asked".into(),
            code: if blocking.iter().any(|f| f.status == Status::Fail) {
                EXIT_FAILED
            } else {
                EXIT_ERROR
            },
            findings: blocking.into_iter().cloned().collect(),
        }),
    }
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
