//! Filling a template's `{{variables}}`.

use std::collections::BTreeMap;

use serde_json::Value;

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
    #[error(
        "the rendered policy grants nothing: the named models and regions left every statement empty"
    )]
    Empty,
}

/// `document` with every placeholder filled; statements left with no `Resource` dropped.
pub fn render(document: &Value, values: &BTreeMap<String, Filled>) -> Result<Value, RenderError> {
    let mut rendered = fill(document, values)?;
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

fn fill(value: &Value, values: &BTreeMap<String, Filled>) -> Result<Value, RenderError> {
    Ok(match value {
        Value::String(text) => fill_text(text, values)?,
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match fill(item, values)? {
                    // A list variable standing alone in an array is spliced into it.
                    Value::Array(spliced) if item.is_string() => out.extend(spliced),
                    filled => out.push(filled),
                }
            }
            Value::Array(out)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, values)?)))
                .collect::<Result<_, RenderError>>()?,
        ),
        other => other.clone(),
    })
}

fn fill_text(text: &str, values: &BTreeMap<String, Filled>) -> Result<Value, RenderError> {
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
            Filled::Text(text) => Value::String(text.clone()),
            Filled::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
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
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(Value::String(out))
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
