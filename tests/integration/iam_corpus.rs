//! The IAM evaluator against `tests/fixtures/iam/corpus.json`: cases written from AWS's
//! documented evaluation logic. Prints how many pass (shown in every run, see
//! `.config/nextest.toml`), then fails on any that does not.

use bedrock_preflight::iam::{
    Caller, Evaluation, NamedPolicy, Policy, PolicySet, PolicyType, Request, evaluate,
};
use serde_json::Value;

fn named(kind: PolicyType, index: usize, document: &Value) -> Result<NamedPolicy, String> {
    Policy::parse_as(document, kind)
        .map(|policy| NamedPolicy {
            name: format!("{}{index}", kind.as_str()),
            policy,
        })
        .map_err(|e| e.to_string())
}

fn list(case: &Value, key: &str, kind: PolicyType) -> Result<Vec<NamedPolicy>, String> {
    case.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, p)| named(kind, i, p))
        .collect()
}

fn levels(case: &Value, key: &str, kind: PolicyType) -> Result<Vec<Vec<NamedPolicy>>, String> {
    case.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|level| {
            level
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, p)| named(kind, i, p))
                .collect()
        })
        .collect()
}

fn one(case: &Value, key: &str, kind: PolicyType) -> Result<Option<NamedPolicy>, String> {
    case.get(key).map(|d| named(kind, 0, d)).transpose()
}

fn run(case: &Value) -> Result<Evaluation, String> {
    let set = PolicySet {
        identity: list(case, "policies", PolicyType::Identity)?,
        boundary: one(case, "boundary", PolicyType::Boundary)?,
        session: list(case, "session_policies", PolicyType::Session)?,
        resource: one(case, "resource_policy", PolicyType::Resource)?,
        scps: levels(case, "scps", PolicyType::Scp)?,
        rcps: levels(case, "rcps", PolicyType::Rcp)?,
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
    if let Some(principal) = request.get("principal").and_then(Value::as_str) {
        req = req.with_caller(principal.parse::<Caller>()?);
    }
    if let Some(account) = request.get("resource_account").and_then(Value::as_str) {
        req = req.with_resource_account(account);
    }
    Ok(evaluate(&set, &req))
}

/// Whether the outcome is what the case expects: the decision, and where the case says so the
/// deciding Sids (in order) and the layer that denied (`scp` or `scp:2` for a level).
fn holds(case: &Value, evaluation: &Evaluation) -> bool {
    let expected = case["expect"].as_str().unwrap();
    let sids: Vec<&str> = evaluation
        .matched
        .iter()
        .filter_map(|m| m.sid.as_deref())
        .collect();
    let denied_by = evaluation.denied_by.map(|layer| match layer.level {
        Some(level) => format!("{}:{level}", layer.source.as_str()),
        None => layer.source.as_str().to_string(),
    });
    evaluation.decision.as_str() == expected
        && case.get("matched").is_none_or(|m| {
            m.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .eq(sids.iter().copied())
        })
        && case
            .get("denied_by")
            .is_none_or(|d| d.as_str() == denied_by.as_deref())
}

#[test]
fn iam_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/iam/corpus.json"
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 400, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let expected = case["expect"].as_str().unwrap();
        let outcome = run(case);
        let ok = match &outcome {
            Err(_) => expected == "invalid",
            Ok(evaluation) => holds(case, evaluation),
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expected} {:?} {:?}, got {outcome:?}",
                case.get("matched"),
                case.get("denied_by")
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
