//! The policy documents of infrastructure code, for `policy validate`: a CloudFormation
//! template (JSON) or a Terraform file as `policy render` writes them. Each parameter or
//! variable is taken at its default, the partition as `aws`, so what is validated is what a
//! deploy with the defaults creates. Pure: no AWS call.

use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate};
use serde_json::{Map, Value};

/// A file's permissions policy, and its trust policy when it creates a role.
#[derive(Debug, PartialEq)]
pub struct Documents {
    pub policy: Value,
    pub trust: Option<Value>,
}

/// The partition a template's `AWS::Partition` stands for while validating.
const PARTITION: &str = "aws";

/// Whether `document` is a CloudFormation template rather than a policy.
pub fn is_cloudformation(document: &Value) -> bool {
    document.get("Resources").is_some_and(Value::is_object) && document.get("Statement").is_none()
}

/// The one IAM policy (and role) a CloudFormation template creates.
pub fn from_cloudformation(template: &Value) -> Result<Documents, String> {
    let mut refs: BTreeMap<String, Value> = BTreeMap::new();
    refs.insert("AWS::Partition".into(), PARTITION.into());
    refs.insert("AWS::NoValue".into(), NO_VALUE.into());
    if let Some(parameters) = template.get("Parameters").and_then(Value::as_object) {
        for (name, declared) in parameters {
            let default = declared.get("Default").cloned().ok_or_else(|| {
                format!("parameter {name} has no Default, and validate takes each at its default")
            })?;
            let value = match declared.get("Type").and_then(Value::as_str) {
                Some("CommaDelimitedList") => Value::Array(
                    default
                        .as_str()
                        .unwrap_or_default()
                        .split(',')
                        .map(|s| Value::String(s.trim().to_string()))
                        .collect(),
                ),
                _ => default,
            };
            refs.insert(name.clone(), value);
        }
    }
    let mut conditions: BTreeMap<String, bool> = BTreeMap::new();
    if let Some(declared) = template.get("Conditions").and_then(Value::as_object) {
        for (name, condition) in declared {
            let holds = resolve(condition, &refs, &conditions)?
                .as_bool()
                .ok_or_else(|| format!("condition {name} is not true or false"))?;
            conditions.insert(name.clone(), holds);
        }
    }
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("a CloudFormation template needs Resources")?;
    let mut found = Vec::new();
    for (logical, resource) in resources {
        let properties = resource.get("Properties").cloned().unwrap_or_default();
        let resolved = |value: &Value| resolve(value, &refs, &conditions);
        match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" | "AWS::IAM::RolePolicy") => {
                let document = properties
                    .get("PolicyDocument")
                    .ok_or_else(|| format!("{logical} has no PolicyDocument"))?;
                found.push(Documents {
                    policy: resolved(document)?,
                    trust: None,
                });
            }
            Some("AWS::IAM::Role") => {
                let trust = properties
                    .get("AssumeRolePolicyDocument")
                    .map(resolved)
                    .transpose()?;
                let policies = properties
                    .get("Policies")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let [inline] = policies.as_slice() else {
                    return Err(format!(
                        "{logical} has {} inline policies; validate takes a role with one",
                        policies.len()
                    ));
                };
                let document = inline
                    .get("PolicyDocument")
                    .ok_or_else(|| format!("{logical}'s inline policy has no PolicyDocument"))?;
                found.push(Documents {
                    policy: resolved(document)?,
                    trust,
                });
            }
            _ => {}
        }
    }
    one(found, "CloudFormation template")
}

fn one(mut found: Vec<Documents>, what: &str) -> Result<Documents, String> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("the {what} creates no IAM policy")),
        n => Err(format!(
            "the {what} creates {n} IAM policies; validate takes one (as policy render writes it)"
        )),
    }
}

/// `value` with CloudFormation's intrinsic functions worked out, as far as the templates
/// `policy render` writes use them; any other is refused rather than guessed at.
fn resolve(
    value: &Value,
    refs: &BTreeMap<String, Value>,
    conditions: &BTreeMap<String, bool>,
) -> Result<Value, String> {
    let again = |v: &Value| resolve(v, refs, conditions);
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().expect("one entry");
            match key.as_str() {
                "Ref" => {
                    let name = arg.as_str().ok_or("Ref takes a name")?;
                    refs.get(name)
                        .cloned()
                        .ok_or_else(|| format!("Ref {name}: no such parameter"))
                }
                "Condition" => {
                    let name = arg.as_str().ok_or("Condition takes a name")?;
                    conditions
                        .get(name)
                        .map(|b| Value::Bool(*b))
                        .ok_or_else(|| format!("Condition {name}: not declared before its use"))
                }
                "Fn::Sub" => {
                    let text = arg.as_str().ok_or("Fn::Sub takes a string here")?;
                    substitute(text, refs).map(Value::String)
                }
                "Fn::Join" => {
                    let [separator, items] = arg.as_array().map(Vec::as_slice).unwrap_or_default()
                    else {
                        return Err("Fn::Join takes [separator, list]".into());
                    };
                    let items = again(items)?;
                    let parts: Vec<String> = items
                        .as_array()
                        .ok_or("Fn::Join joins a list")?
                        .iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_string)
                                .ok_or("Fn::Join joins strings")
                        })
                        .collect::<Result<_, _>>()?;
                    Ok(parts.join(separator.as_str().unwrap_or_default()).into())
                }
                "Fn::Equals" => {
                    let [a, b] = arg.as_array().map(Vec::as_slice).unwrap_or_default() else {
                        return Err("Fn::Equals takes two values".into());
                    };
                    Ok(Value::Bool(again(a)? == again(b)?))
                }
                "Fn::Not" => {
                    let [a] = arg.as_array().map(Vec::as_slice).unwrap_or_default() else {
                        return Err("Fn::Not takes one condition".into());
                    };
                    Ok(Value::Bool(
                        !again(a)?.as_bool().ok_or("Fn::Not of no condition")?,
                    ))
                }
                "Fn::If" => {
                    let [condition, then, otherwise] =
                        arg.as_array().map(Vec::as_slice).unwrap_or_default()
                    else {
                        return Err("Fn::If takes [condition, value, value]".into());
                    };
                    let name = condition.as_str().ok_or("Fn::If names a condition")?;
                    let holds = conditions
                        .get(name)
                        .ok_or_else(|| format!("Fn::If {name}: no such condition"))?;
                    again(if *holds { then } else { otherwise })
                }
                other if other.starts_with("Fn::") => Err(format!(
                    "{other} is not one validate works out (it reads the CloudFormation policy render writes)"
                )),
                _ => Ok(Value::Object(resolved_map(map, refs, conditions)?)),
            }
        }
        Value::Object(map) => Ok(Value::Object(resolved_map(map, refs, conditions)?)),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                let item = again(item)?;
                if !is_no_value(&item) {
                    out.push(item);
                }
            }
            Ok(Value::Array(out))
        }
        other => Ok(other.clone()),
    }
}

/// `AWS::NoValue` leaves its key out.
fn is_no_value(value: &Value) -> bool {
    value.as_str() == Some(NO_VALUE)
}

const NO_VALUE: &str = "\0AWS::NoValue";

fn resolved_map(
    map: &Map<String, Value>,
    refs: &BTreeMap<String, Value>,
    conditions: &BTreeMap<String, bool>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (key, value) in map {
        let value = resolve(value, refs, conditions)?;
        if !is_no_value(&value) {
            out.insert(key.clone(), value);
        }
    }
    Ok(out)
}

/// An `Fn::Sub` string: `${Name}` replaced, `${!Literal}` written as `${Literal}`.
fn substitute(text: &str, refs: &BTreeMap<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("Fn::Sub: unclosed ${{ in {text}"))?;
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(literal) => out.push_str(&format!("${{{literal}}}")),
            None => match refs.get(name) {
                Some(Value::String(value)) => out.push_str(value),
                _ => return Err(format!("Fn::Sub: ${{{name}}} is no string parameter")),
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The one IAM policy (and role) a Terraform file creates: an `aws_iam_policy`,
/// `aws_iam_role_policy` or `aws_iam_user_policy`/`aws_iam_group_policy`'s `policy`, and an
/// `aws_iam_role`'s `assume_role_policy`.
pub fn from_terraform(text: &str) -> Result<Documents, String> {
    let body: hcl::Body = hcl::from_str(text).map_err(|e| format!("not HCL2: {e}"))?;
    let mut variables = hcl::Map::new();
    for block in body.blocks().filter(|b| b.identifier() == "variable") {
        let name = block
            .labels()
            .first()
            .map(|l| l.as_str().to_string())
            .ok_or("a variable block without a name")?;
        let default = block
            .body()
            .attributes()
            .find(|a| a.key() == "default")
            .ok_or_else(|| {
                format!("variable {name} has no default, and validate takes each at its default")
            })?;
        let value = default
            .expr()
            .evaluate(&Context::new())
            .map_err(|e| format!("variable {name}: {e}"))?;
        variables.insert(name, value);
    }
    let mut context = Context::new();
    context.declare_var("var", hcl::Value::Object(variables));
    context.declare_var(
        "data",
        hcl::value!({ aws_partition = { current = { partition = PARTITION } } }),
    );
    let document = |resource: &str, key: &str| -> Result<Vec<Value>, String> {
        body.blocks()
            .filter(|b| {
                b.identifier() == "resource"
                    && b.labels().first().map(|l| l.as_str()) == Some(resource)
            })
            .filter_map(|b| b.body().attributes().find(|a| a.key() == key))
            .map(|attribute| {
                json_of(attribute.expr(), &context).map_err(|e| format!("{resource}.{key}: {e}"))
            })
            .collect()
    };
    let mut policies = Vec::new();
    for resource in [
        "aws_iam_policy",
        "aws_iam_role_policy",
        "aws_iam_user_policy",
        "aws_iam_group_policy",
    ] {
        policies.extend(document(resource, "policy")?);
    }
    let trusts = document("aws_iam_role", "assume_role_policy")?;
    if trusts.len() > 1 {
        return Err(format!(
            "the Terraform creates {} roles; validate takes one",
            trusts.len()
        ));
    }
    let found = policies
        .into_iter()
        .map(|policy| Documents {
            policy,
            trust: trusts.first().cloned(),
        })
        .collect();
    one(found, "Terraform")
}

/// A policy attribute's JSON: `jsonencode(...)` of an object, or a string of JSON.
fn json_of(expression: &hcl::Expression, context: &Context) -> Result<Value, String> {
    let value = match expression {
        hcl::Expression::FuncCall(call) if call.name.to_string() == "jsonencode" => {
            let [argument] = call.args.as_slice() else {
                return Err("jsonencode takes one argument".into());
            };
            argument.evaluate(context).map_err(|e| e.to_string())?
        }
        other => match other.evaluate(context).map_err(|e| e.to_string())? {
            hcl::Value::String(text) => {
                return serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"));
            }
            _ => return Err("neither jsonencode(...) nor a JSON string".into()),
        },
    };
    serde_json::to_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cloudformation_intrinsics_are_worked_out_at_the_defaults() {
        let template = json!({
            "Parameters": {
                "Account": {"Type": "String", "Default": "111122223333"},
                "ExternalId": {"Type": "String", "Default": ""},
                "Roles": {"Type": "CommaDelimitedList", "Default": ""},
            },
            "Conditions": {
                "HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]},
                "HasRoles": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Roles"}]}, ""]}]},
            },
            "Resources": {
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "AssumeRolePolicyDocument": {"Statement": [{
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${Account}:root"}},
                            "Action": "sts:AssumeRole",
                            "Condition": {"Fn::If": ["HasExternalId",
                                {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                                {"Ref": "AWS::NoValue"}]},
                        }]},
                        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{
                            "Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/${!aws:username}"},
                        }]}}],
                    },
                },
            },
        });
        assert!(is_cloudformation(&template));
        let found = from_cloudformation(&template).unwrap();
        assert_eq!(
            found.trust.unwrap()["Statement"][0],
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"})
        );
        assert_eq!(
            found.policy["Statement"][0]["Resource"],
            "arn:aws:s3:::b/${aws:username}"
        );
        let mut unknown = template.clone();
        unknown["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"] =
            json!({"Fn::ImportValue": "x"});
        assert!(
            from_cloudformation(&unknown)
                .unwrap_err()
                .contains("Fn::ImportValue")
        );
    }

    #[test]
    fn terraform_documents_are_read_at_the_variables_defaults() {
        let text = r#"
variable "account" {
  type = string
  default = "111122223333"
}
data "aws_partition" "current" {}
resource "aws_iam_policy" "this" {
  name = "p"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Action" = "s3:GetObject", "Resource" = "arn:${data.aws_partition.current.partition}:s3:::b/$${aws:username}/${var.account}" }] })
}
"#;
        let found = from_terraform(text).unwrap();
        assert_eq!(
            found.policy["Statement"][0]["Resource"],
            "arn:aws:s3:::b/${aws:username}/111122223333"
        );
        assert_eq!(found.trust, None);
        assert!(from_terraform("resource \"aws_iam_policy\" {").is_err());
        assert!(
            from_terraform("variable \"x\" {}\n")
                .unwrap_err()
                .contains("no default")
        );
    }
}
