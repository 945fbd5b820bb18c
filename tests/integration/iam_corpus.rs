//! The IAM evaluator against `tests/fixtures/iam/corpus.json`: cases written from AWS's
//! documented evaluation logic. Prints how many pass (shown in every run, see
//! `.config/nextest.toml`), then fails on any that does not.

use bedrock_preflight::iam::{NamedPolicy, Policy, PolicySet, Request, evaluate};
use serde_json::Value;

fn named(prefix: &str, index: usize, document: &Value) -> Result<NamedPolicy, String> {
    Policy::parse(document)
        .map(|policy| NamedPolicy {
            name: format!("{prefix}{index}"),
            policy,
        })
        .map_err(|e| e.to_string())
}

fn run(case: &Value) -> Result<(String, Vec<String>), String> {
    let identity = case["policies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| named("policy", i, p))
        .collect::<Result<Vec<_>, _>>()?;
    let boundary = match case.get("boundary") {
        Some(document) => Some(named("boundary", 0, document)?),
        None => None,
    };
    let request = &case["request"];
    let mut req = Request::new(
        request["action"].as_str().unwrap(),
        request["resource"].as_str().unwrap(),
    );
    for (key, value) in request["context"].as_object().unwrap() {
        let values = match value {
            Value::Array(list) => list
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            other => vec![other.as_str().unwrap().to_string()],
        };
        req = req.with(key, values);
    }
    let evaluation = evaluate(&PolicySet { identity, boundary }, &req);
    let sids = evaluation
        .matched
        .iter()
        .filter_map(|m| m.sid.clone())
        .collect();
    Ok((evaluation.decision.as_str().to_string(), sids))
}

#[test]
fn iam_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/iam/corpus.json"
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 150, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let expected = case["expect"].as_str().unwrap();
        let outcome = run(case);
        let ok = match (&outcome, expected) {
            (Err(_), "invalid") => true,
            (Ok((decision, sids)), _) => {
                decision == expected
                    && case.get("matched").is_none_or(|m| {
                        let want: Vec<&str> = m
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s.as_str().unwrap())
                            .collect();
                        *sids == want
                    })
            }
            (Err(_), _) => false,
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expected} {:?}, got {outcome:?}",
                case.get("matched")
            ));
        }
    }
    println!(
        "iam corpus: {} passed, {} failed",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
