//! A template as Terraform (HCL2, the AWS provider): a policy becomes an `aws_iam_policy`
//! with the attachments its variables name, a role an `aws_iam_role` with its trust policy and
//! its permissions as an `aws_iam_role_policy`. Each document is `jsonencode(...)` of the same
//! content `policy render` prints as JSON; what the manifest makes a CloudFormation parameter
//! is a variable here, defaulting to the rendered value (the partition comes from the
//! `aws_partition` data source). Everything carries the tag `policy apply` sets, so `apply`
//! and `audit` know it as theirs. Written through `hcl-rs`, which escapes what HCL would
//! otherwise read as a template. Pure: no AWS call.

use std::collections::BTreeMap;

use hcl::expr::{Expression, FuncCall, Object, ObjectKey, TemplateExpr};
use hcl::{Attribute, Block, Body};
use serde_json::Value;

use super::apply::MANAGED_TAG;
use super::{Filled, RenderError, Template, render};

/// Stands for a reference in a rendered string, as in the CloudFormation renderer.
const MARK: char = '\0';

/// `template` rendered with `values` as a Terraform configuration.
pub fn terraform(
    template: &Template,
    values: &BTreeMap<String, Filled>,
) -> Result<String, RenderError> {
    let mut marked = values.clone();
    let mut body = Body::builder();
    let mut uses_partition = false;
    for variable in &template.variables {
        // An optional value is written as rendered: Terraform has no way to leave a key out
        // of a `jsonencode` object short of rebuilding it.
        let Some(parameter) = variable.parameter.as_ref().filter(|_| !variable.optional) else {
            continue;
        };
        let reference = match parameter.as_str() {
            "AWS::Partition" => {
                uses_partition = true;
                "data.aws_partition.current.partition".to_string()
            }
            _ => {
                let default = match values.get(&variable.name) {
                    Some(Filled::Text(text)) => text.clone(),
                    _ => String::new(),
                };
                body = body.add_block(
                    Block::builder("variable")
                        .add_label(variable.name.as_str())
                        .add_attribute(("description", variable.description.clone()))
                        .add_attribute(("type", raw("string")))
                        .add_attribute(("default", default))
                        .build(),
                );
                format!("var.{}", variable.name)
            }
        };
        marked.insert(
            variable.name.clone(),
            Filled::Text(format!("{MARK}{reference}{MARK}")),
        );
    }
    if uses_partition {
        body = body.add_block(
            Block::builder("data")
                .add_label("aws_partition")
                .add_label("current")
                .build(),
        );
    }
    let document = jsonencode(render(&template.document(), &marked)?);
    let tags = tags();
    body = match template.trust_document() {
        None => {
            let name = format!("bedrock-preflight-{}", template.name);
            body.add_block(variable(
                "policy_name",
                "The managed policy's name",
                "string",
                Expression::String(name),
            ))
            .add_blocks(["roles", "users", "groups"].map(|kind| {
                variable(
                    kind,
                    &format!("The IAM {kind} to attach the policy to, by name"),
                    "list(string)",
                    Expression::Array(Vec::new()),
                )
            }))
            .add_block(
                Block::builder("resource")
                    .add_labels(["aws_iam_policy", "this"])
                    .add_attribute(("name", raw("var.policy_name")))
                    .add_attribute((
                        "description",
                        format!("bedrock-preflight template {}", template.name),
                    ))
                    .add_attribute(("policy", document))
                    .add_attribute(("tags", tags))
                    .build(),
            )
            .add_blocks(
                [("role", "roles"), ("user", "users"), ("group", "groups")].map(|(kind, list)| {
                    Block::builder("resource")
                        .add_labels([format!("aws_iam_{kind}_policy_attachment"), "this".into()])
                        .add_attribute(("for_each", raw(&format!("toset(var.{list})"))))
                        .add_attribute((kind, raw("each.value")))
                        .add_attribute(("policy_arn", raw("aws_iam_policy.this.arn")))
                        .build()
                }),
            )
            .add_block(output(
                "policy_arn",
                "The managed policy's ARN",
                "aws_iam_policy.this.arn",
            ))
        }
        Some(trust) => {
            let trust = jsonencode(render(&trust, &marked)?);
            let (name, description, policy_name) = match &template.role {
                Some(role) => {
                    let names = role.filled(&marked)?;
                    (names.name, names.description, names.policy_name)
                }
                None => (
                    template.name.clone(),
                    format!("bedrock-preflight template {}", template.name),
                    template.name.clone(),
                ),
            };
            let name = match string(&name) {
                // A name that is not a variable's is one, so that it can be set per stack.
                Expression::String(name) => {
                    body = body.add_block(variable(
                        "role_name",
                        "The role's name",
                        "string",
                        Expression::String(name),
                    ));
                    raw("var.role_name")
                }
                name => name,
            };
            body.add_block(
                Block::builder("resource")
                    .add_labels(["aws_iam_role", "this"])
                    .add_attribute(("name", name))
                    .add_attribute(("description", string(&description)))
                    .add_attribute(("assume_role_policy", trust))
                    .add_attribute(("tags", tags))
                    .build(),
            )
            .add_block(
                Block::builder("resource")
                    .add_labels(["aws_iam_role_policy", "this"])
                    .add_attribute(("name", string(&policy_name)))
                    .add_attribute(("role", raw("aws_iam_role.this.id")))
                    .add_attribute(("policy", document))
                    .build(),
            )
            .add_block(output(
                "role_arn",
                "The role's ARN",
                "aws_iam_role.this.arn",
            ))
        }
    };
    let text = hcl::format::to_string(&body.build())
        .map_err(|e| RenderError::Invalid(format!("cannot write the Terraform: {e}")))?;
    Ok(format!(
        "# bedrock-preflight {}: {}.\n# Rendered by bedrock-preflight {}; `policy validate` reads this file back.\n\n{text}",
        template.name,
        template.purpose,
        env!("CARGO_PKG_VERSION")
    ))
}

fn tags() -> Expression {
    let mut tags = Object::new();
    tags.insert(
        ObjectKey::Expression(Expression::String(MANAGED_TAG.0.into())),
        Expression::String(MANAGED_TAG.1.into()),
    );
    Expression::Object(tags)
}

fn variable(name: &str, description: &str, kind: &str, default: Expression) -> Block {
    Block::builder("variable")
        .add_label(name)
        .add_attribute(("description", description))
        .add_attribute(("type", raw(kind)))
        .add_attribute(Attribute::new("default", default))
        .build()
}

fn output(name: &str, description: &str, value: &str) -> Block {
    Block::builder("output")
        .add_label(name)
        .add_attribute(("description", description))
        .add_attribute(("value", raw(value)))
        .build()
}

/// An expression written in HCL, for the few fixed ones (`var.roles`, `toset(...)`).
fn raw(text: &str) -> Expression {
    text.parse()
        .unwrap_or_else(|_| Expression::String(text.to_string()))
}

fn jsonencode(document: Value) -> Expression {
    Expression::FuncCall(Box::new(
        FuncCall::builder("jsonencode")
            .arg(expression(document))
            .build(),
    ))
}

fn expression(value: Value) -> Expression {
    match value {
        Value::Null => Expression::Null,
        Value::Bool(b) => Expression::Bool(b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Expression::Number(i.into()),
            (None, Some(f)) => {
                hcl::Number::from_f64(f).map_or(Expression::Null, Expression::Number)
            }
            _ => Expression::Null,
        },
        Value::String(text) => string(&text),
        Value::Array(items) => Expression::Array(items.into_iter().map(expression).collect()),
        Value::Object(map) => {
            let mut object = Object::new();
            for (key, value) in map {
                // Quoted keys: IAM's (`aws:RequestedRegion`) are no HCL identifiers.
                object.insert(
                    ObjectKey::Expression(Expression::String(key)),
                    expression(value),
                );
            }
            Expression::Object(object)
        }
    }
}

/// A string, or where it holds marked references a quoted template interpolating them, with
/// the rest escaped as HCL reads quoted templates.
fn string(text: &str) -> Expression {
    if !text.contains(MARK) {
        return Expression::String(text.to_string());
    }
    let template: String = text
        .split(MARK)
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("${{{part}}}")
            } else {
                part.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace("${", "$${")
                    .replace("%{", "%%{")
            }
        })
        .collect();
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(template)))
}
