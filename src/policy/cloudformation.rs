//! A template as a CloudFormation template (JSON), to deploy as a stack or, to every account
//! of an organization, as a service-managed StackSet. A policy becomes an
//! `AWS::IAM::ManagedPolicy`; a role an `AWS::IAM::Role` with its trust policy and its
//! permissions as an inline policy. Variables the manifest gives a `parameter` become the
//! template's Parameters, defaulting to the rendered values, so one template serves every
//! account and a StackSet may override them. Pure: no AWS call.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Filled, RenderError, Template, render};

/// Stands for a parameter in a rendered string: NUL, which no template file, command-line
/// argument or AWS identifier holds, so nothing else is taken for one.
const MARK: char = '\0';

/// `template` rendered with `values` (as `render` fills them, flags and the live account's)
/// as a CloudFormation template.
///
/// A role's permissions are an inline policy of the role, not a managed policy beside it:
/// IAM takes 10,240 characters of inline policy per role against 6,144 for a managed policy,
/// an inline policy is created and deleted with its role (nothing left behind when a
/// StackSet removes an account's stack), and it cannot be attached to anything else.
pub fn cloudformation(
    template: &Template,
    values: &BTreeMap<String, Filled>,
) -> Result<Value, RenderError> {
    let mut marked = values.clone();
    let mut parameters = Map::new();
    let mut conditions = Map::new();
    // (parameter, the condition that it is not empty) of each optional variable.
    let mut guards = Vec::new();
    for variable in &template.variables {
        let Some(parameter) = &variable.parameter else {
            continue;
        };
        marked.insert(
            variable.name.clone(),
            Filled::Text(format!("{MARK}{parameter}{MARK}")),
        );
        if parameter.starts_with("AWS::") {
            continue;
        }
        let default = match values.get(&variable.name) {
            Some(Filled::Text(text)) => text.clone(),
            _ => String::new(),
        };
        let mut declared = json!({
            "Type": "String",
            "Default": default,
            "Description": variable.description,
        });
        if let Some(format) = variable.format {
            declared["AllowedPattern"] = format.pattern(variable.optional).into();
        }
        parameters.insert(parameter.clone(), declared);
        if variable.optional {
            let condition = format!("Has{parameter}");
            conditions.insert(
                condition.clone(),
                json!({"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}),
            );
            guards.push((parameter.clone(), condition));
        }
    }
    let finish = |document: &Value| -> Result<Value, RenderError> {
        let mut out = substitute(render(document, &marked)?);
        for (parameter, condition) in &guards {
            guard(&mut out, parameter, condition);
        }
        Ok(out)
    };
    let document = finish(&template.document())?;
    let (logical, resource, output, capability) = match template.trust_document() {
        None => {
            let mut properties = Map::new();
            properties.insert(
                "Description".into(),
                format!("bedrock-preflight template {}", template.name).into(),
            );
            properties.insert("PolicyDocument".into(), document);
            // What to attach it to is the stack's to say: each list a parameter, empty
            // by default (an AWS::IAM::ManagedPolicy takes no tags).
            for (property, kind) in [("Roles", "roles"), ("Users", "users"), ("Groups", "groups")] {
                let condition = format!("Has{property}");
                parameters.insert(
                    property.into(),
                    json!({
                        "Type": "CommaDelimitedList",
                        "Default": "",
                        "Description": format!("The IAM {kind} to attach the policy to, by name, comma-separated"),
                    }),
                );
                conditions.insert(
                    condition.clone(),
                    json!({"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": property}]}, ""]}]}),
                );
                properties.insert(
                    property.into(),
                    json!({"Fn::If": [condition, {"Ref": property}, {"Ref": "AWS::NoValue"}]}),
                );
            }
            (
                "Policy",
                json!({
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": properties,
                }),
                json!({"PolicyArn": {
                    "Description": "The managed policy's ARN, to attach",
                    "Value": {"Ref": "Policy"},
                }}),
                "CAPABILITY_IAM",
            )
        }
        Some(trust) => {
            let mut properties = Map::new();
            let policy_name = match &template.role {
                Some(role) => {
                    let names = role.filled(&marked)?;
                    properties.insert("RoleName".into(), substitute(names.name.into()));
                    properties.insert("Description".into(), substitute(names.description.into()));
                    names.policy_name
                }
                None => template.name.clone(),
            };
            properties.insert("AssumeRolePolicyDocument".into(), finish(&trust)?);
            properties.insert(
                "Policies".into(),
                json!([{"PolicyName": substitute(policy_name.into()), "PolicyDocument": document}]),
            );
            let (key, value) = super::apply::MANAGED_TAG;
            properties.insert("Tags".into(), json!([{"Key": key, "Value": value}]));
            (
                "Role",
                json!({"Type": "AWS::IAM::Role", "Properties": properties}),
                json!({"RoleArn": {
                    "Description": "The role's ARN",
                    "Value": {"Fn::GetAtt": ["Role", "Arn"]},
                }}),
                // A role created by its name needs the named acknowledgement.
                if template.role.is_some() {
                    "CAPABILITY_NAMED_IAM"
                } else {
                    "CAPABILITY_IAM"
                },
            )
        }
    };
    let mut description = format!(
        "bedrock-preflight {}: {}. Deploying it needs {capability}",
        template.name, template.purpose
    );
    if template.role.is_some() {
        description.push_str(
            "; IAM is global, so deploy it in one region per account (a StackSet: one region)",
        );
    }
    description.push('.');
    let mut out = Map::new();
    out.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
    out.insert("Description".into(), description.into());
    out.insert(
        "Metadata".into(),
        json!({"bedrock-preflight": {
            "template": template.name,
            "version": env!("CARGO_PKG_VERSION"),
        }}),
    );
    if !parameters.is_empty() {
        out.insert("Parameters".into(), parameters.into());
    }
    if !conditions.is_empty() {
        out.insert("Conditions".into(), conditions.into());
    }
    out.insert("Resources".into(), json!({ logical: resource }));
    out.insert("Outputs".into(), output);
    Ok(Value::Object(out))
}

/// Marked strings as CloudFormation writes a parameter in them: the parameter alone as its
/// `Ref`, inside text as `Fn::Sub` (with any other `${` of the text kept literal, `${!`).
fn substitute(value: Value) -> Value {
    match value {
        Value::String(text) if text.contains(MARK) => {
            // Split at the marks, the text alternates with the parameters' names.
            let parts: Vec<&str> = text.split(MARK).collect();
            if let ["", parameter, ""] = parts.as_slice() {
                return json!({"Ref": parameter});
            }
            let sub: String = parts
                .iter()
                .enumerate()
                .map(|(i, part)| {
                    if i % 2 == 1 {
                        format!("${{{part}}}")
                    } else {
                        part.replace("${", "${!")
                    }
                })
                .collect();
            json!({"Fn::Sub": sub})
        }
        Value::Array(items) => Value::Array(items.into_iter().map(substitute).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, substitute(value)))
                .collect(),
        ),
        other => other,
    }
}

/// What `render` leaves out when the optional `parameter` has no value, kept only when
/// `condition` holds: the outermost object made of nothing but the parameter (a Condition
/// whose only key is the external ID's), or the parameter alone, becomes an `Fn::If` with
/// `AWS::NoValue`.
fn guard(value: &mut Value, parameter: &str, condition: &str) {
    let children: Vec<&mut Value> = match value {
        Value::Object(map) => map.values_mut().collect(),
        Value::Array(items) => items.iter_mut().collect(),
        _ => return,
    };
    for child in children {
        if only(child, parameter) {
            let kept = child.take();
            *child = json!({"Fn::If": [condition, kept, {"Ref": "AWS::NoValue"}]});
        } else {
            guard(child, parameter, condition);
        }
    }
}

/// Whether `value` is the parameter's `Ref`, or an object of nothing else.
fn only(value: &Value, parameter: &str) -> bool {
    match value {
        Value::Object(map) if map.len() == 1 && map.get("Ref") == Some(&json!(parameter)) => true,
        Value::Object(map) => !map.is_empty() && map.values().all(|v| only(v, parameter)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Account, catalog_values, template, templates};

    fn account() -> Account {
        Account {
            partition: "aws".into(),
            id: "111122223333".into(),
        }
    }

    /// `name` filled as `policy render` fills it, with `vars` and the account.
    fn values(name: &str, vars: &[(&str, &str)]) -> BTreeMap<String, Filled> {
        let template = template(name).unwrap();
        let given: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut values = template.flag_values(&given).unwrap();
        let regions = ["us-east-1".parse().unwrap()];
        values.extend(catalog_values(
            &template,
            &account(),
            &[],
            &regions,
            &values.clone(),
        ));
        values
    }

    #[test]
    fn the_audit_role_takes_its_account_name_and_external_id_as_parameters() {
        let role = template("audit-role").unwrap();
        let without = cloudformation(&role, &values("audit-role", &[])).unwrap();
        assert_eq!(
            without["Parameters"]["AuditingAccountId"]["Default"],
            "111122223333"
        );
        assert_eq!(
            without["Parameters"]["RoleName"]["Default"],
            "bedrock-preflight-audit"
        );
        assert_eq!(without["Parameters"]["ExternalId"]["Default"], "");
        assert_eq!(
            without["Parameters"]["ExternalId"]["AllowedPattern"],
            "^$|^[\\w+=,.@:/-]{2,1224}$"
        );
        assert!(
            without["Parameters"].get("Partition").is_none(),
            "the partition is the deploying account's"
        );
        let properties = &without["Resources"]["Role"]["Properties"];
        assert_eq!(properties["RoleName"], json!({"Ref": "RoleName"}));
        let statement = &properties["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            statement["Principal"]["AWS"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditingAccountId}:root"})
        );
        assert_eq!(
            statement["Condition"],
            json!({"Fn::If": [
                "HasExternalId",
                {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                {"Ref": "AWS::NoValue"}
            ]})
        );
        assert_eq!(
            without["Conditions"]["HasExternalId"],
            json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]})
        );
        assert_eq!(
            properties["Policies"],
            json!([{
                "PolicyName": "preflight-audit",
                "PolicyDocument": template("audit-role").unwrap().document(),
            }])
        );
        assert!(
            without["Description"]
                .as_str()
                .unwrap()
                .contains("CAPABILITY_NAMED_IAM")
        );
        let with = cloudformation(
            &role,
            &values(
                "audit-role",
                &[("external_id", "org-audit-7"), ("role_name", "auditor")],
            ),
        )
        .unwrap();
        assert_eq!(with["Parameters"]["ExternalId"]["Default"], "org-audit-7");
        assert_eq!(with["Parameters"]["RoleName"]["Default"], "auditor");
        assert_eq!(
            with["Resources"], without["Resources"],
            "the values are the parameters' defaults, not written into the resources"
        );
    }

    #[test]
    fn a_policy_is_a_managed_policy_of_its_rendered_document() {
        for name in ["deny-long-term-api-keys", "preflight-readonly"] {
            let policy = template(name).unwrap();
            let values = values(name, &[]);
            let stack = cloudformation(&policy, &values).unwrap();
            let resource = &stack["Resources"]["Policy"];
            assert_eq!(resource["Type"], "AWS::IAM::ManagedPolicy");
            assert_eq!(
                resource["Properties"]["PolicyDocument"],
                render(&policy.document(), &values).unwrap()
            );
            assert_eq!(
                stack["Parameters"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .collect::<Vec<_>>(),
                ["Roles", "Users", "Groups"],
                "{name}: only what to attach it to"
            );
            assert_eq!(
                resource["Properties"]["Roles"],
                json!({"Fn::If": ["HasRoles", {"Ref": "Roles"}, {"Ref": "AWS::NoValue"}]})
            );
            assert_eq!(
                stack["Outputs"]["PolicyArn"]["Value"],
                json!({"Ref": "Policy"})
            );
        }
        let logging = template("invocation-logging-role").unwrap();
        let values = values("invocation-logging-role", &[("log_group", "g")]);
        let stack = cloudformation(&logging, &values).unwrap();
        let properties = &stack["Resources"]["Role"]["Properties"];
        assert!(
            properties.get("RoleName").is_none(),
            "CloudFormation names it"
        );
        assert_eq!(
            properties["AssumeRolePolicyDocument"],
            render(&logging.trust_document().unwrap(), &values).unwrap()
        );
        assert!(
            stack["Description"]
                .as_str()
                .unwrap()
                .contains("needs CAPABILITY_IAM")
        );
    }

    #[test]
    fn every_description_fits_cloudformations_1024_bytes() {
        for template in templates() {
            let mut given = vec![("log_group".to_string(), "g".to_string())];
            given.retain(|(name, _)| template.variables.iter().any(|v| &v.name == name));
            let mut values = template.flag_values(&given).unwrap();
            values.extend(catalog_values(
                &template,
                &account(),
                &[crate::domain::testing::sonnet_through_us()],
                &["us-east-1".parse().unwrap()],
                &values.clone(),
            ));
            let stack = cloudformation(&template, &values).unwrap();
            let description = stack["Description"].as_str().unwrap();
            assert!(
                description.len() <= 1024,
                "{}: {}",
                template.name,
                description.len()
            );
        }
    }

    #[test]
    fn other_dollar_braces_stay_literal_beside_a_parameter() {
        assert_eq!(
            substitute(json!([
                "arn:${aws:username}/\u{0}P\u{0}",
                "\u{0}P\u{0}",
                "${x}"
            ])),
            json!([{"Fn::Sub": "arn:${!aws:username}/${P}"}, {"Ref": "P"}, "${x}"])
        );
    }
}
