//! A policy document parsed and validated: everything AWS would refuse to store is an error
//! naming the statement and the element, so that evaluation never guesses. What a document may
//! hold depends on its type (a Principal belongs in resource-based policies and RCPs only).

use std::fmt;

use serde_json::Value;

use crate::domain::Arn;

/// The kinds of policy AWS evaluates for a request, in the words of its evaluation logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyType {
    Identity,
    Boundary,
    Session,
    Resource,
    Scp,
    Rcp,
}

impl PolicyType {
    /// The name in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Boundary => "permission-boundary",
            PolicyType::Session => "session",
            PolicyType::Resource => "resource",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
        }
    }

    /// The name in prose, as AWS's denial messages say it.
    pub fn describe(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Boundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

/// A policy with the name it is reported under (a file name, a policy ARN, `inline:NAME`).
#[derive(Clone, Debug)]
pub struct NamedPolicy {
    pub name: String,
    pub policy: Policy,
}

#[derive(Clone, Debug)]
pub struct Policy {
    /// Policy variables are substituted only in version 2012-10-17.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug)]
pub struct Statement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` (`negated` false) or `NotPrincipal`; `None` in policies that name none.
    pub principals: Option<Principals>,
    /// `Action` (`negated` false) or `NotAction`.
    pub actions: Elements,
    pub resources: Elements,
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug)]
pub struct Elements {
    pub negated: bool,
    pub values: Vec<String>,
}

impl Elements {
    /// A resource-based policy without `Resource` is about the resource it is attached to.
    fn attached_resource() -> Elements {
        Elements {
            negated: true,
            values: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Principals {
    pub negated: bool,
    pub entries: Vec<PrincipalEntry>,
}

/// One value of a `Principal` element. `arn:aws:iam::ID:root` and a bare account ID are the
/// same thing to AWS: the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalEntry {
    Anyone,
    Account(String),
    Arn(Arn),
    Service(String),
    Federated(String),
    CanonicalUser(String),
    /// What AWS writes in place of a principal that was deleted (`AROA...`, `AIDA...`): it
    /// names nobody who can call.
    UniqueId(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Operators that hold when the value does *not* match (and when the key is absent).
    pub fn negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Clone, Debug)]
pub struct Condition {
    pub operator: Operator,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
    pub key: String,
    pub values: Vec<String>,
}

impl Policy {
    /// An identity policy (also how a permission boundary or session policy reads).
    pub fn parse(document: &Value) -> Result<Policy, PolicyError> {
        Policy::parse_as(document, PolicyType::Identity)
    }

    pub fn parse_as(document: &Value, kind: PolicyType) -> Result<Policy, PolicyError> {
        let Some(object) = document.as_object() else {
            return Err(PolicyError(
                "a policy document must be a JSON object".into(),
            ));
        };
        let variables = match object.get("Version").map(|v| v.as_str()) {
            None => false,
            Some(Some("2012-10-17")) => true,
            Some(Some("2008-10-17")) => false,
            Some(other) => {
                return Err(PolicyError(format!(
                    "Version must be \"2012-10-17\" or \"2008-10-17\", not {}",
                    other
                        .map(|v| format!("\"{v}\""))
                        .unwrap_or_else(|| "a non-string".into())
                )));
            }
        };
        let statements = match object.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => {
                return Err(PolicyError(
                    "Statement must be an object or a list of objects".into(),
                ));
            }
            None => return Err(PolicyError("the policy has no Statement".into())),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, s)| Statement::parse(index, s, kind))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            variables,
            statements,
        })
    }

    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_json_as(text, PolicyType::Identity)
    }

    pub fn from_json_as(text: &str, kind: PolicyType) -> Result<Policy, PolicyError> {
        let document: Value =
            serde_json::from_str(text).map_err(|e| PolicyError(format!("not JSON: {e}")))?;
        Policy::parse_as(&document, kind)
    }
}

impl Statement {
    /// `statement 2 (Sid Invoke)`: how findings and lint name a statement.
    pub fn name(&self) -> String {
        match &self.sid {
            Some(sid) => format!("statement {} (Sid {sid})", self.index + 1),
            None => format!("statement {}", self.index + 1),
        }
    }

    /// Whether the statement's `Action` (or `NotAction`) takes in `action`.
    pub fn covers_action(&self, action: &str) -> bool {
        self.actions
            .values
            .iter()
            .any(|pattern| super::action_matches(pattern, action))
            != self.actions.negated
    }

    fn parse(index: usize, value: &Value, kind: PolicyType) -> Result<Statement, PolicyError> {
        let Some(object) = value.as_object() else {
            return Err(PolicyError(format!(
                "statement {} is not a JSON object",
                index + 1
            )));
        };
        let sid = object
            .get("Sid")
            .and_then(|s| s.as_str())
            .map(str::to_string);
        let name = match &sid {
            Some(sid) => format!("statement {} (Sid {sid})", index + 1),
            None => format!("statement {}", index + 1),
        };
        let error = |what: String| PolicyError(format!("{name}: {what}"));
        let effect = match object.get("Effect").and_then(|e| e.as_str()) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(other) => {
                return Err(error(format!(
                    "Effect must be Allow or Deny, not \"{other}\""
                )));
            }
            None => return Err(error("Effect is missing".into())),
        };
        let actions = elements(object, "Action", "NotAction").map_err(error)?;
        for action in &actions.values {
            if action != "*" && !action.contains(':') {
                return Err(error(format!(
                    "action \"{action}\" has no service prefix (like bedrock:InvokeModel)"
                )));
            }
        }
        let resources = match kind {
            PolicyType::Resource
                if !object.contains_key("Resource") && !object.contains_key("NotResource") =>
            {
                Elements::attached_resource()
            }
            _ => elements(object, "Resource", "NotResource").map_err(error)?,
        };
        let conditions = match object.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(operators)) => conditions(operators).map_err(error)?,
            Some(_) => return Err(error("Condition must be an object".into())),
        };
        let principals = principals(object).map_err(error)?;
        let statement = Statement {
            index,
            sid,
            effect,
            principals,
            actions,
            resources,
            conditions,
        };
        statement.allowed_in(kind).map_err(error)?;
        Ok(statement)
    }

    /// What AWS refuses to store in a policy of this type.
    fn allowed_in(&self, kind: PolicyType) -> Result<(), String> {
        let negated_principal = self.principals.as_ref().is_some_and(|p| p.negated);
        if negated_principal && self.effect == Effect::Allow {
            return Err("NotPrincipal may only be used with \"Effect\": \"Deny\"".into());
        }
        match kind {
            PolicyType::Identity | PolicyType::Boundary | PolicyType::Session | PolicyType::Scp => {
                if self.principals.is_some() {
                    return Err(format!(
                        "a {} names no Principal (only resource-based policies and RCPs do)",
                        kind.describe()
                    ));
                }
            }
            PolicyType::Resource => {
                if self.principals.is_none() {
                    return Err(
                        "a resource-based policy statement needs a Principal or NotPrincipal"
                            .into(),
                    );
                }
            }
            PolicyType::Rcp => {
                let anyone = self.principals.as_ref().is_some_and(|p| {
                    !p.negated && p.entries.iter().all(|e| *e == PrincipalEntry::Anyone)
                });
                if !anyone {
                    return Err(
                        "an RCP's Principal must be \"*\" (conditions name principals)".into(),
                    );
                }
                if self.actions.negated {
                    return Err("an RCP cannot use NotAction".into());
                }
                let every_action = self.actions.values.iter().any(|a| a == "*");
                match self.effect {
                    // Only the RCPFullAWSAccess policy AWS attaches may allow.
                    Effect::Allow
                        if !every_action
                            || self.resources.negated
                            || self.resources.values != ["*"]
                            || !self.conditions.is_empty() =>
                    {
                        return Err("an RCP may only Deny (Allow is RCPFullAWSAccess's alone: Action, Resource and Principal \"*\")".into());
                    }
                    Effect::Deny if every_action => {
                        return Err("an RCP's Deny must name its actions (\"*\" is refused)".into());
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

fn elements(
    object: &serde_json::Map<String, Value>,
    plain: &str,
    negated: &str,
) -> Result<Elements, String> {
    let (name, value) = match (object.get(plain), object.get(negated)) {
        (Some(_), Some(_)) => return Err(format!("has both {plain} and {negated}")),
        (Some(value), None) => (plain, value),
        (None, Some(value)) => (negated, value),
        (None, None) => return Err(format!("has neither {plain} nor {negated}")),
    };
    let values =
        strings(value).ok_or_else(|| format!("{name} must be a string or a list of strings"))?;
    if values.is_empty() {
        return Err(format!("{name} is an empty list"));
    }
    Ok(Elements {
        negated: name == negated,
        values,
    })
}

fn principals(object: &serde_json::Map<String, Value>) -> Result<Option<Principals>, String> {
    let (negated, value) = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err("has both Principal and NotPrincipal".into()),
        (Some(value), None) => (false, value),
        (None, Some(value)) => (true, value),
        (None, None) => return Ok(None),
    };
    let name = if negated { "NotPrincipal" } else { "Principal" };
    let entries = match value {
        Value::String(star) if star == "*" => vec![PrincipalEntry::Anyone],
        Value::Object(map) if !map.is_empty() => {
            let mut entries = Vec::new();
            for (key, values) in map {
                let values = strings(values)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| format!("{name} {key} must be a string or a list of strings"))?;
                for value in values {
                    entries.push(principal_entry(key, &value).map_err(|e| format!("{name}: {e}"))?);
                }
            }
            entries
        }
        _ => {
            return Err(format!(
                "{name} must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::123456789012:role/name\"}}"
            ));
        }
    };
    Ok(Some(Principals { negated, entries }))
}

fn principal_entry(key: &str, value: &str) -> Result<PrincipalEntry, String> {
    match key {
        "AWS" if value == "*" => Ok(PrincipalEntry::Anyone),
        // "You cannot use a wildcard to match part of a principal name or ARN."
        _ if value.contains('*') || value.contains('?') => Err(format!(
            "\"{value}\": a principal takes no wildcard other than \"*\" alone"
        )),
        "AWS" if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(PrincipalEntry::Account(value.to_string()))
        }
        "AWS"
            if value.len() >= 16
                && value.starts_with('A')
                && value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) =>
        {
            Ok(PrincipalEntry::UniqueId(value.to_string()))
        }
        "AWS" => {
            let arn: Arn = value
                .parse()
                .map_err(|_| format!("\"{value}\" is neither an account ID nor an ARN"))?;
            match (arn.service(), arn.resource(), arn.account()) {
                ("iam", "root", Some(account)) => Ok(PrincipalEntry::Account(account.to_string())),
                ("iam" | "sts", _, Some(_)) => Ok(PrincipalEntry::Arn(arn)),
                _ => Err(format!("\"{value}\" is not an IAM or STS principal ARN")),
            }
        }
        "Service" => Ok(PrincipalEntry::Service(value.to_string())),
        "Federated" => Ok(PrincipalEntry::Federated(value.to_string())),
        "CanonicalUser" => Ok(PrincipalEntry::CanonicalUser(value.to_string())),
        other => Err(format!(
            "unknown principal type \"{other}\" (AWS, Service, Federated or CanonicalUser)"
        )),
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(list) => list.iter().map(one).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

fn conditions(operators: &serde_json::Map<String, Value>) -> Result<Vec<Condition>, String> {
    let mut out = Vec::new();
    for (name, keys) in operators {
        let (qualifier, rest) = match name.split_once(':') {
            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
            Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
            Some((other, _)) => {
                return Err(format!(
                    "unknown set qualifier \"{other}\" (ForAnyValue or ForAllValues)"
                ));
            }
            None => (None, name.as_str()),
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) if base != "Null" => (base, true),
            _ => (rest, false),
        };
        let operator = Operator::parse(base)
            .ok_or_else(|| format!("unknown condition operator \"{name}\""))?;
        let Some(keys) = keys.as_object() else {
            return Err(format!("condition {name} must map keys to values"));
        };
        for (key, values) in keys {
            let values = strings(values)
                .ok_or_else(|| format!("condition {name} {key}: values must be strings"))?;
            out.push(Condition {
                operator,
                qualifier,
                if_exists,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}
