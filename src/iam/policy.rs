//! A policy document parsed and validated: everything AWS would refuse to store is an error
//! naming the statement and the element, so that evaluation never guesses.

use std::fmt;

use serde_json::Value;

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
    pub fn parse(document: &Value) -> Result<Policy, PolicyError> {
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
            .map(|(index, s)| Statement::parse(index, s))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            variables,
            statements,
        })
    }

    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let document: Value =
            serde_json::from_str(text).map_err(|e| PolicyError(format!("not JSON: {e}")))?;
        Policy::parse(&document)
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

    fn parse(index: usize, value: &Value) -> Result<Statement, PolicyError> {
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
        let resources = elements(object, "Resource", "NotResource").map_err(error)?;
        let conditions = match object.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(operators)) => conditions(operators).map_err(error)?,
            Some(_) => return Err(error("Condition must be an object".into())),
        };
        Ok(Statement {
            index,
            sid,
            effect,
            actions,
            resources,
            conditions,
        })
    }
}

fn elements(
    object: &serde_json::Map<String, Value>,
    plain: &str,
    negated: &str,
) -> Result<Elements, String> {
    let (negated, value) = match (object.get(plain), object.get(negated)) {
        (Some(_), Some(_)) => return Err(format!("has both {plain} and {negated}")),
        (Some(value), None) => (false, value),
        (None, Some(value)) => (true, value),
        (None, None) => return Err(format!("has neither {plain} nor {negated}")),
    };
    let values = strings(value).ok_or_else(|| {
        format!(
            "{} must be a string or a list of strings",
            if negated { "Not" } else { plain }
        )
    })?;
    if values.is_empty() {
        return Err(format!("{plain} is an empty list"));
    }
    Ok(Elements { negated, values })
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
