//! `checks explain`: a finding code's explanation as a table and as JSON, a check's codes in a
//! sentence each, and an unknown code refused in one line that names the closest one. It
//! reads the catalog in the binary and sends nothing to AWS.

use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

use crate::Run;
use crate::support::Emulator;

/// `checks list --output json`'s entry for `check`: its codes and their explanations.
fn listed(emulator: &Emulator, check: &str) -> Value {
    let run = Run::of(emulator.cmd().args(["checks", "list", "--output", "json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == check)
        .unwrap_or_else(|| panic!("{check} is listed"))
        .clone()
}

#[test]
fn a_code_is_explained_in_paragraphs_wrapped_to_the_terminal() {
    let emulator = Emulator::front_only();
    let run = Run::of(emulator.cmd().env("COLUMNS", "60").args([
        "checks",
        "explain",
        "logging.invocation/off",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "logging.invocation/off",
            "Model invocation logging (severity high)",
            ""
        ]
    );
    for line in &lines[3..] {
        assert!(line.width() <= 60, "wider than the terminal: {line:?}");
        assert!(line.is_empty() || line.starts_with("  "), "{line:?}");
    }
    let text = lines[3..]
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("no model invocation logging configuration")
            && text.contains("bedrock-preflight setup logging"),
        "what it means and how to fix it: {text}"
    );
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn a_code_as_json_is_one_object_with_its_check_and_explanation() {
    let emulator = Emulator::front_only();
    let run = Run::of(emulator.cmd().args([
        "checks",
        "explain",
        "logging.invocation/off",
        "--output",
        "json",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let explained: Value = serde_json::from_str(&run.stdout).unwrap();
    let explanation = explained["explanation"].as_str().unwrap().to_string();
    assert!(
        explanation.split_whitespace().count() >= 20,
        "{explanation}"
    );
    assert_eq!(
        explained,
        json!({
            "code": "logging.invocation/off",
            "check": "logging.invocation",
            "kind": "off",
            "title": "Model invocation logging",
            "severity": "high",
            "explanation": explanation,
        })
    );
    let kinds = listed(&emulator, "logging.invocation")["kinds"].clone();
    assert!(
        kinds
            .as_array()
            .unwrap()
            .contains(&json!({"code": "logging.invocation/off", "explanation": explanation})),
        "checks list carries the same explanation: {kinds:#}"
    );
}

#[test]
fn a_check_id_lists_each_of_its_codes_with_a_sentence() {
    let emulator = Emulator::front_only();
    let check = "iam.api-keys";
    let entry = listed(&emulator, check);
    let codes: Vec<&str> = entry["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(entry["kinds"].as_array().unwrap().len(), codes.len());

    let table = Run::of(emulator.cmd().args(["checks", "explain", check]));
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .starts_with("iam.api-keys: Long-term Bedrock API keys (severity high)\n"),
        "{}",
        table.stdout
    );
    let listed_codes: Vec<&str> = table
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(listed_codes, codes, "{}", table.stdout);

    let json = Run::of(
        emulator
            .cmd()
            .args(["checks", "explain", check, "--output", "json"]),
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let explained: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(explained["check"], check);
    let entries = explained["codes"].as_array().unwrap();
    let json_codes: Vec<&str> = entries
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(json_codes, codes);
    for entry in entries {
        let (summary, explanation) = (
            entry["summary"].as_str().unwrap(),
            entry["explanation"].as_str().unwrap(),
        );
        assert!(
            !summary.is_empty() && explanation.starts_with(summary) && summary.ends_with('.'),
            "the summary is the explanation's first sentence: {entry:#}"
        );
        let start: String = summary.chars().take(40).collect();
        assert!(
            table.stdout.contains(&start),
            "{summary} in {}",
            table.stdout
        );
    }
    assert!(emulator.front.requests().is_empty());
}

#[test]
fn an_unknown_code_is_one_line_naming_the_closest_code() {
    let emulator = Emulator::front_only();
    for (typed, says) in [
        (
            "logging.invocation/of",
            "error: 'logging.invocation/of' is not a finding code: did you mean logging.invocation/off?",
        ),
        (
            "iam.apikeys",
            "error: 'iam.apikeys' is not a finding code: did you mean iam.api-keys?",
        ),
        (
            "nothing-like-it",
            "error: 'nothing-like-it' is not a finding code (CHECK/KIND) or a check's ID: \
             `bedrock-preflight checks list` names the checks",
        ),
    ] {
        for output in ["table", "json"] {
            let run = Run::of(
                emulator
                    .cmd()
                    .args(["checks", "explain", typed, "--output", output]),
            );
            assert_eq!(run.code, 2, "{typed}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{}", run.stdout);
            assert_eq!(run.stderr, format!("{says}\n"), "{typed}");
        }
    }
    let missing = Run::of(emulator.cmd().args(["checks", "explain"]));
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("<CODE>"), "{}", missing.stderr);
    assert!(emulator.front.requests().is_empty());
}
