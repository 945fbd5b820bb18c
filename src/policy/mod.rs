//! Least-privilege policy templates: the manifest that names them, and rendering, which fills
//! their variables. The template files live in `policies/` and are compiled into the binary,
//! so an installed tool has them. No AWS call here: the command layer reads the live catalog
//! and hands the values in.

pub mod apply;
mod cloudformation;
mod formats;
pub mod iac;
mod reference_lint;
mod render;
mod rule;
mod terraform;
mod validate;
mod values;

pub use reference_lint::unknown_request_action;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

pub use cloudformation::cloudformation;
pub use formats::VariableFormat;
pub use render::{RenderError, render, render_text};
pub use rule::Rule;
pub use terraform::terraform;
pub use validate::{
    Expect, Problem, Proof, Severity, Validation, for_claude_code, grants_invoke, lint_trust,
    validate,
};
pub use values::{Account, catalog_values};

/// Every file of `policies/` a template may name.
const FILES: &[(&str, &str)] = &[
    (
        "claude-invoke.json",
        include_str!("../../policies/claude-invoke.json"),
    ),
    (
        "claude-code.json",
        include_str!("../../policies/claude-code.json"),
    ),
    (
        "preflight-readonly.json",
        include_str!("../../policies/preflight-readonly.json"),
    ),
    (
        "deny-long-term-api-keys.json",
        include_str!("../../policies/deny-long-term-api-keys.json"),
    ),
    (
        "invocation-logging-role.json",
        include_str!("../../policies/invocation-logging-role.json"),
    ),
    (
        "invocation-logging-role.trust.json",
        include_str!("../../policies/invocation-logging-role.trust.json"),
    ),
    (
        "audit-role.trust.json",
        include_str!("../../policies/audit-role.trust.json"),
    ),
];

const MANIFEST: &str = include_str!("../../policies/manifest.json");

#[derive(Clone, Debug, Deserialize)]
struct Manifest {
    templates: Vec<Template>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Template {
    pub name: String,
    file: String,
    /// The trust policy of a template that is a role.
    trust: Option<String>,
    /// A role deployed by its name (in every account, for `audit-role`), with placeholders.
    pub role: Option<RoleNames>,
    /// Statements of `file` (by `Sid`) this template leaves out.
    #[serde(default)]
    leave_out: Vec<String>,
    pub purpose: String,
    pub variables: Vec<Variable>,
}

/// What names a role and its inline policy, for `aws iam create-role` and
/// `put-role-policy` or a CloudFormation `AWS::IAM::Role`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RoleNames {
    pub name: String,
    pub description: String,
    pub policy_name: String,
}

impl RoleNames {
    /// With its placeholders filled.
    pub fn filled(&self, values: &BTreeMap<String, Filled>) -> Result<RoleNames, RenderError> {
        Ok(RoleNames {
            name: render_text(&self.name, values)?,
            description: render_text(&self.description, values)?,
            policy_name: render_text(&self.policy_name, values)?,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: VariableKind,
    pub source: Source,
    pub default: Option<Value>,
    /// With no value, what it stands alone in is left out (the external ID's condition).
    #[serde(default)]
    pub optional: bool,
    /// What its value must look like, checked when it is given.
    pub format: Option<VariableFormat>,
    /// The CloudFormation parameter it becomes, its rendered value the default; an `AWS::`
    /// name is a pseudo parameter, the deploying account's own. None: the value is written
    /// into the template.
    pub parameter: Option<String>,
    pub description: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableKind {
    String,
    List,
}

/// Where a variable's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `--var NAME=VALUE`, or its default.
    Flag,
    /// The live account: the models' inference profiles, their destinations, the caller.
    Catalog,
    /// `--var NAME=VALUE`, else the caller's account or partition from the live account.
    Caller,
}

/// A variable's value: text, or a list spliced where the variable stands alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filled {
    Text(String),
    List(Vec<String>),
    /// An optional variable given no value.
    Absent,
}

impl Template {
    /// The permissions document, as written (variables unfilled), without the statements
    /// the template leaves out.
    pub fn document(&self) -> Value {
        let mut document = parse(&self.file);
        if let Some(statements) = document["Statement"].as_array_mut() {
            statements.retain(|s| {
                !s["Sid"]
                    .as_str()
                    .is_some_and(|sid| self.leave_out.iter().any(|l| l == sid))
            });
        }
        document
    }

    /// The trust policy, for a template that is a role.
    pub fn trust_document(&self) -> Option<Value> {
        self.trust.as_deref().map(parse)
    }

    /// Whether the live account must fill a variable that `flags` (from `flag_values`) leave
    /// unset: a catalog variable, or the caller's account or partition when not given.
    pub fn needs_live(&self, flags: &BTreeMap<String, Filled>) -> bool {
        self.variables.iter().any(|v| match v.source {
            Source::Flag => false,
            Source::Catalog => true,
            Source::Caller => !flags.contains_key(&v.name),
        })
    }

    /// Whether its values come from the models' routes (their inference profiles and
    /// destinations), not only from the caller.
    pub fn needs_routes(&self) -> bool {
        self.variables
            .iter()
            .any(|v| values::ROUTE_VARIABLES.contains(&v.name.as_str()))
    }

    /// The values of `--var` flags, checked against the manifest: an unknown name, a
    /// catalog variable set by hand, a value not of the variable's format, or a flag
    /// variable with neither value nor default (unless optional) is an error naming it. The
    /// caller's variables not given are left to the live account.
    pub fn flag_values(
        &self,
        given: &[(String, String)],
    ) -> Result<BTreeMap<String, Filled>, RenderError> {
        let mut values = BTreeMap::new();
        for (name, value) in given {
            let variable = self
                .variables
                .iter()
                .find(|v| &v.name == name)
                .ok_or_else(|| RenderError::UnknownVariable {
                    template: self.name.clone(),
                    name: name.clone(),
                })?;
            if variable.source == Source::Catalog {
                return Err(RenderError::NotAFlag(name.clone()));
            }
            if let Some(format) = variable.format {
                format.check(name, value).map_err(RenderError::Invalid)?;
            }
            let filled = match variable.kind {
                VariableKind::String => Filled::Text(value.clone()),
                VariableKind::List => Filled::List(
                    value
                        .split(',')
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                        .collect(),
                ),
            };
            values.insert(name.clone(), filled);
        }
        for variable in self.variables.iter().filter(|v| v.source == Source::Flag) {
            if values.contains_key(&variable.name) {
                continue;
            }
            let default = match (&variable.default, variable.kind) {
                (Some(Value::String(text)), VariableKind::String) => Filled::Text(text.clone()),
                (Some(Value::Array(items)), VariableKind::List) => Filled::List(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                ),
                (None, _) if variable.optional => Filled::Absent,
                _ => return Err(RenderError::MissingVariable(variable.name.clone())),
            };
            values.insert(variable.name.clone(), default);
        }
        Ok(values)
    }
}

fn parse(file: &str) -> Value {
    let text = FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .unwrap_or("null");
    // The files are compiled in and a test parses every one.
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Every template, in the manifest's order.
pub fn templates() -> Vec<Template> {
    // The manifest is compiled in and a test parses it.
    serde_json::from_str::<Manifest>(MANIFEST)
        .map(|m| m.templates)
        .unwrap_or_default()
}

pub fn template(name: &str) -> Option<Template> {
    templates().into_iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// `{{name}}` placeholders of a document.
    fn placeholders(document: &Value) -> BTreeSet<String> {
        let text = document.to_string();
        text.split("{{")
            .skip(1)
            .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.to_string()))
            .collect()
    }

    #[test]
    fn the_manifest_and_the_files_agree() {
        let templates = templates();
        assert_eq!(
            templates
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            [
                "claude-invoke",
                "claude-code",
                "preflight-readonly",
                "deny-long-term-api-keys",
                "invocation-logging-role",
                "audit-role"
            ]
        );
        let mut named = BTreeSet::new();
        for template in &templates {
            let document = template.document();
            assert_eq!(document["Version"], "2012-10-17", "{}", template.name);
            crate::iam::Policy::parse(&document)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", template.name));
            let mut used = placeholders(&document);
            named.insert(template.file.clone());
            if let Some(trust) = template.trust_document() {
                used.extend(placeholders(&trust));
                named.insert(template.trust.clone().unwrap());
            }
            let declared: BTreeSet<String> =
                template.variables.iter().map(|v| v.name.clone()).collect();
            // A declared variable may feed another (bucket → its object ARNs).
            assert!(
                used.is_subset(&declared),
                "{}: {used:?} not all declared in {declared:?}",
                template.name
            );
        }
        let files: BTreeSet<String> = FILES.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(named, files, "every file is a template's, and only those");
    }

    #[test]
    fn variables_declare_what_each_source_format_and_parameter_can_hold() {
        for template in templates() {
            for v in &template.variables {
                let at = format!("{} {}", template.name, v.name);
                if let (Some(format), Some(Value::String(default))) = (v.format, &v.default) {
                    assert_eq!(format.check(&v.name, default), Ok(()), "{at}");
                }
                if v.optional {
                    assert!(v.source == Source::Flag && v.default.is_none(), "{at}");
                }
                if v.source == Source::Caller || v.parameter.is_some() {
                    assert_eq!(v.kind, VariableKind::String, "{at}");
                }
            }
            if let Some(role) = &template.role {
                assert!(
                    template.trust.is_some(),
                    "{}: a role has a trust",
                    template.name
                );
                for text in [&role.name, &role.description, &role.policy_name] {
                    for name in placeholders(&Value::String(text.clone())) {
                        assert!(
                            template
                                .variables
                                .iter()
                                .any(|v| v.name == name && !v.optional),
                            "{}: {name} in a role's names must always have a value",
                            template.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_audit_role_carries_preflight_readonly_but_the_probe_and_fits_a_roles_inline_policy() {
        let role = template("audit-role").unwrap();
        let mut readonly = template("preflight-readonly").unwrap().document();
        let statements = readonly["Statement"].as_array_mut().unwrap();
        let before = statements.len();
        statements.retain(|s| s["Sid"] != "PreflightZeroTokenProbe");
        assert_eq!(
            statements.len(),
            before - 1,
            "preflight-readonly has the probe"
        );
        assert_eq!(role.document(), readonly);
        assert!(
            !role.document().to_string().contains("bedrock:InvokeModel"),
            "an audit role may not invoke models"
        );
        let values = role.flag_values(&[]).unwrap();
        let document = render(&role.document(), &values).unwrap();
        let size = document
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        // The role's inline policies may total 10,240 characters; leave room to grow.
        assert!(size < 8_000, "{size} characters");
    }

    #[test]
    fn the_api_key_policy_denies_long_term_keys_only() {
        use crate::iam::{Decision, NamedPolicy, Policy, PolicySet, Request, evaluate};
        let set = PolicySet::identity(vec![NamedPolicy {
            name: "deny".into(),
            policy: Policy::parse(&template("deny-long-term-api-keys").unwrap().document())
                .unwrap(),
        }]);
        let decide = |action: &str, key: &str, value: &str| {
            evaluate(
                &set,
                &Request::new(action, "*").with(key, vec![value.into()]),
            )
            .decision
        };
        assert_eq!(
            decide(
                "bedrock:CallWithBearerToken",
                "bedrock:BearerTokenType",
                "LONG_TERM"
            ),
            Decision::ExplicitDeny,
            "condition keys compare ignoring case"
        );
        assert_eq!(
            decide(
                "bedrock:CallWithBearerToken",
                "bedrock:bearerTokenType",
                "SHORT_TERM"
            ),
            Decision::ImplicitDeny,
            "short-term keys are left to the identity policies"
        );
        assert_eq!(
            decide(
                "iam:CreateServiceSpecificCredential",
                "iam:ServiceSpecificCredentialServiceName",
                "bedrock.amazonaws.com"
            ),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(
                "iam:CreateServiceSpecificCredential",
                "iam:ServiceSpecificCredentialServiceName",
                "codecommit.amazonaws.com"
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn flag_variables_are_checked_against_the_manifest() {
        let role = template("invocation-logging-role").unwrap();
        assert_eq!(
            role.flag_values(&[]).unwrap_err(),
            RenderError::MissingVariable("log_group".into())
        );
        let values = role
            .flag_values(&[("log_group".into(), "bedrock-invocations".into())])
            .unwrap();
        assert_eq!(values["bucket"], Filled::Text(String::new()));
        assert!(matches!(
            role.flag_values(&[("logGroup".into(), "x".into())]),
            Err(RenderError::UnknownVariable { .. })
        ));
        assert_eq!(
            role.flag_values(&[("account".into(), "1".into())]),
            Err(RenderError::NotAFlag("account".into()))
        );
    }

    #[test]
    fn the_audit_roles_variables_are_checked_and_the_callers_left_to_the_live_account() {
        let role = template("audit-role").unwrap();
        let values = role.flag_values(&[]).unwrap();
        assert_eq!(
            values["role_name"],
            Filled::Text("bedrock-preflight-audit".into())
        );
        assert_eq!(values["external_id"], Filled::Absent);
        assert!(!values.contains_key("auditing_account"));
        assert!(role.needs_live(&values));
        let given = role
            .flag_values(&[
                ("auditing_account".into(), "111122223333".into()),
                ("partition".into(), "aws-us-gov".into()),
            ])
            .unwrap();
        assert!(
            !role.needs_live(&given),
            "nothing left for the live account"
        );
        for (name, value) in [
            ("auditing_account", "12345"),
            ("external_id", "has space"),
            ("role_name", "a/b"),
            ("partition", "aws-moon"),
        ] {
            let error = role
                .flag_values(&[(name.into(), value.into())])
                .unwrap_err();
            assert!(
                matches!(&error, RenderError::Invalid(message) if message.contains(name)),
                "{name}: {error:?}"
            );
        }
    }

    /// Every template, rendered for several model, region and partition sets, asks only for
    /// what AWS's reference says exists: actions, resources of a type each action takes (or
    /// `"*"` for an action that takes none) and condition keys defined for each action.
    #[test]
    fn every_rendered_template_holds_to_the_iam_reference() {
        use crate::domain::testing::{SONNET, invocation, model, profile, sonnet_through_us};
        use crate::iam::{Policy, PolicyType, reference};

        let reference = reference();
        let global = invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["us-east-1", "eu-west-1", ""],
            )),
        );
        let on_demand = invocation(
            model("anthropic.claude-3-haiku", "ACTIVE", &["ON_DEMAND"]),
            None,
        );
        let account = |partition: &str| Account {
            partition: partition.into(),
            id: "123456789012".into(),
        };
        let sets = [
            (account("aws"), vec![sonnet_through_us()], vec!["us-east-1"]),
            (
                account("aws"),
                vec![sonnet_through_us(), global, on_demand.clone()],
                vec!["us-east-1", "eu-west-1"],
            ),
            (
                account("aws-us-gov"),
                vec![on_demand],
                vec!["us-gov-west-1"],
            ),
        ];
        let mut judged = 0;
        for (account, invocations, regions) in &sets {
            let regions: Vec<crate::domain::Region> =
                regions.iter().map(|r| r.parse().unwrap()).collect();
            for template in templates() {
                for bucket in ["", "audit-logs"] {
                    let given = [
                        ("log_group".to_string(), "bedrock-invocations".to_string()),
                        ("bucket".to_string(), bucket.to_string()),
                        ("external_id".to_string(), "org-audit-7".to_string()),
                    ];
                    let given: Vec<_> = given
                        .into_iter()
                        .filter(|(name, _)| template.variables.iter().any(|v| &v.name == name))
                        .collect();
                    let mut values = template.flag_values(&given).unwrap();
                    values.extend(catalog_values(
                        &template,
                        account,
                        invocations,
                        &regions,
                        &values,
                    ));
                    let documents = std::iter::once((template.document(), PolicyType::Identity))
                        .chain(template.trust_document().map(|d| (d, PolicyType::Resource)))
                        .map(|(d, kind)| (render(&d, &values).unwrap(), kind));
                    for (document, kind) in documents {
                        let policy = Policy::parse_as(&document, kind).unwrap();
                        for statement in &policy.statements {
                            let at = format!("{} {}", template.name, statement.name());
                            let fits = |action: &crate::iam::Action, resource: &str| {
                                resource == "*"
                                    || !reference.resource_types_of(action, resource).is_empty()
                            };
                            let actions: Vec<_> = statement
                                .actions
                                .values
                                .iter()
                                .flat_map(|v| reference.expand(v))
                                .collect();
                            for resource in &statement.resources.values {
                                assert!(
                                    actions
                                        .iter()
                                        .any(|a| !a.takes_no_resource() && fits(a, resource))
                                        || resource == "*",
                                    "{at}: no action of it takes {resource}"
                                );
                            }
                            for value in &statement.actions.values {
                                let actions = reference.expand(value);
                                assert!(!actions.is_empty(), "{at}: {value} is no action");
                                for action in actions {
                                    judged += 1;
                                    if action.takes_no_resource()
                                        && !statement.resources.values.is_empty()
                                    {
                                        assert!(
                                            statement.resources.values.iter().all(|r| r == "*"),
                                            "{at}: {} takes only \"*\"",
                                            action.full_name()
                                        );
                                    } else if !statement.resources.values.is_empty() {
                                        assert!(
                                            statement
                                                .resources
                                                .values
                                                .iter()
                                                .any(|r| fits(action, r)),
                                            "{at}: {} fits none of its resources",
                                            action.full_name()
                                        );
                                    }
                                    for condition in &statement.conditions {
                                        assert!(
                                            reference.key_scope(action, &condition.key).is_some(),
                                            "{at}: {} is not a key of {}",
                                            condition.key,
                                            action.full_name()
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(judged > 100, "{judged} actions judged");
    }
}
