//! Filling a template's `{{variables}}`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Filled;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("template {template} has no variable {name}")]
    UnknownVariable { template: String, name: String },
    #[error("variable {0} comes from the live account and cannot be set with --var")]
    NotAFlag(String),
    #[error("variable {0} has no value: give it with --var {0}=VALUE")]
    MissingVariable(String),
    #[error("{{{{{0}}}}} is a list and can only stand alone in a string")]
    ListInText(String),
    #[error("{{{{{0}}}}} is optional and can only stand alone in a string")]
    OptionalInText(String),
    /// A value not of its variable's format: the message says what was expected.
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the rendered policy grants nothing: the named models and regions left every statement empty"
    )]
    Empty,
}

/// `document` with every placeholder filled; statements left with no `Resource` dropped, and
/// what an optional variable without a value stands alone in left out.
pub fn render(document: &Value, values: &BTreeMap<String, Filled>) -> Result<Value, RenderError> {
    let mut rendered = fill(document, values)?.ok_or(RenderError::Empty)?;
    if let Some(statements) = rendered.get_mut("Statement").and_then(Value::as_array_mut) {
        statements.retain(
            |s| !matches!(s.get("Resource"), Some(Value::Array(items)) if items.is_empty()),
        );
        if statements.is_empty() {
            return Err(RenderError::Empty);
        }
    }
    Ok(rendered)
}

/// A text with its placeholders filled: a role's name or description.
pub fn render_text(text: &str, values: &BTreeMap<String, Filled>) -> Result<String, RenderError> {
    // Only a variable standing alone fills to other than text.
    let alone = || {
        text.trim_start_matches("{{")
            .trim_end_matches("}}")
            .to_string()
    };
    match fill_text(text, values)? {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(RenderError::ListInText(alone())),
        None => Err(RenderError::OptionalInText(alone())),
    }
}

/// `value` filled; None when an optional variable without a value left it out.
fn fill(value: &Value, values: &BTreeMap<String, Filled>) -> Result<Option<Value>, RenderError> {
    Ok(match value {
        Value::String(text) => fill_text(text, values)?,
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match fill(item, values)? {
                    // A list variable standing alone in an array is spliced into it.
                    Some(Value::Array(spliced)) if item.is_string() => out.extend(spliced),
                    Some(filled) => out.push(filled),
                    None => {}
                }
            }
            Some(Value::Array(out))
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                if let Some(filled) = fill(value, values)? {
                    out.insert(key.clone(), filled);
                }
            }
            // Emptied by what was left out, it goes too: a Condition whose only key was an
            // optional variable's is no condition at all, not an empty one IAM refuses.
            (map.is_empty() || !out.is_empty()).then_some(Value::Object(out))
        }
        other => Some(other.clone()),
    })
}

fn fill_text(text: &str, values: &BTreeMap<String, Filled>) -> Result<Option<Value>, RenderError> {
    let lookup = |name: &str| {
        values
            .get(name)
            .ok_or_else(|| RenderError::MissingVariable(name.to_string()))
    };
    if let Some(name) = text
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .filter(|name| !name.contains("{{"))
    {
        return Ok(match lookup(name)? {
            Filled::Text(text) => Some(Value::String(text.clone())),
            Filled::List(items) => Some(Value::Array(
                items.iter().cloned().map(Value::String).collect(),
            )),
            Filled::Absent => None,
        });
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some((name, after)) = rest[start + 2..].split_once("}}") else {
            break;
        };
        match lookup(name)? {
            Filled::Text(value) => out.push_str(value),
            Filled::List(_) => return Err(RenderError::ListInText(name.to_string())),
            Filled::Absent => return Err(RenderError::OptionalInText(name.to_string())),
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(Some(Value::String(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(pairs: &[(&str, Filled)]) -> BTreeMap<String, Filled> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn lists_splice_text_substitutes_and_empty_statements_go() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "a:B", "Resource": "{{arns}}",
                 "Condition": {"StringEquals": {"k": "{{arns}}"}}},
                {"Effect": "Allow", "Action": "a:B", "Resource": ["x", "{{arns}}"]},
                {"Effect": "Allow", "Action": "a:C", "Resource": "{{none}}"},
                {"Effect": "Allow", "Action": "a:D", "Resource": "arn:{{partition}}:logs:::{{group}}"}
            ]
        });
        let filled = render(
            &document,
            &values(&[
                ("arns", Filled::List(vec!["p".into(), "q".into()])),
                ("none", Filled::List(vec![])),
                ("partition", Filled::Text("aws".into())),
                ("group", Filled::Text("g".into())),
            ]),
        )
        .unwrap();
        let statements = filled["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0]["Resource"], json!(["p", "q"]));
        assert_eq!(
            statements[0]["Condition"]["StringEquals"]["k"],
            json!(["p", "q"])
        );
        assert_eq!(statements[1]["Resource"], json!(["x", "p", "q"]));
        assert_eq!(statements[2]["Resource"], "arn:aws:logs:::g");
    }

    #[test]
    fn an_optional_variable_without_a_value_leaves_out_what_it_stands_alone_in() {
        let document = json!({
            "Statement": [{
                "Effect": "Allow",
                "Resource": ["x", "{{id}}"],
                "Condition": {"StringEquals": {"sts:ExternalId": "{{id}}"}},
                "Empty": {}
            }]
        });
        let absent = render(&document, &values(&[("id", Filled::Absent)])).unwrap();
        assert_eq!(
            absent["Statement"][0],
            json!({"Effect": "Allow", "Resource": ["x"], "Empty": {}}),
            "the emptied Condition goes; an object empty as written stays"
        );
        let given = render(&document, &values(&[("id", Filled::Text("e1".into()))])).unwrap();
        assert_eq!(
            given["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "e1"
        );
        for text in ["role-{{id}}", "{{id}}"] {
            assert_eq!(
                render_text(text, &values(&[("id", Filled::Absent)])),
                Err(RenderError::OptionalInText("id".into()))
            );
        }
    }

    #[test]
    fn what_cannot_be_filled_is_an_error_naming_it() {
        let document = json!({"Statement": [{"Resource": "arn:{{partition}}:{{arns}}"}]});
        assert_eq!(
            render(
                &document,
                &values(&[("partition", Filled::Text("aws".into()))])
            ),
            Err(RenderError::MissingVariable("arns".into()))
        );
        assert_eq!(
            render(
                &document,
                &values(&[
                    ("partition", Filled::Text("aws".into())),
                    ("arns", Filled::List(vec![]))
                ])
            ),
            Err(RenderError::ListInText("arns".into()))
        );
        let empty = json!({"Statement": [{"Resource": "{{arns}}"}]});
        assert_eq!(
            render(&empty, &values(&[("arns", Filled::List(vec![]))])),
            Err(RenderError::Empty)
        );
    }
}
