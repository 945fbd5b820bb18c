//! Hostile input: the policy parser and evaluator (`documents`: well-formed documents with
//! hostile contents and faulty ones; `policies`: AWS's evaluation laws), Claude Code's settings
//! reader and the template renderer take anything without panicking. A bounded run here (PROPTEST_CASES, 256
//! by default); the README says how to run longer.

use std::collections::BTreeMap;

mod documents;
mod policies;

use bedrock_preflight::claude_code::{Places, Setup};
use bedrock_preflight::iam::{Policy, PolicyType};
use bedrock_preflight::policy::{Filled, render, template, templates};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Words a policy or a settings file is made of, so that generated documents reach deep
/// into the parsers rather than failing at the first key.
const WORDS: &[&str] = &[
    "Version",
    "2012-10-17",
    "2008-10-17",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "Condition",
    "StringEquals",
    "StringLike",
    "ArnLike",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "NumericLessThanIfExists",
    "Null",
    "IpAddress",
    "DateGreaterThan",
    "Bool",
    "aws:RequestedRegion",
    "bedrock:InferenceProfileArn",
    "${aws:username}",
    "${*}",
    "${aws:PrincipalTag/team, 'x'}",
    "bedrock:*",
    "bedrock:Invoke*",
    "*",
    "?",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:iam::123456789012:root",
    "123456789012",
    "arn:aws:sts::123456789012:assumed-role/dev/s",
    "bedrock.amazonaws.com",
    "env",
    "model",
    "modelOverrides",
    "CLAUDE_CODE_USE_BEDROCK",
    "AWS_REGION",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "awsAuthRefresh",
    "availableModels",
    "1",
    "true",
    "",
    "us.anthropic.claude-sonnet-4-6",
    "\u{0}",
    "é",
    "{{region}}",
    "{{models}}",
    "🦀",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((word(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const TYPES: [PolicyType; 6] = [
    PolicyType::Identity,
    PolicyType::Boundary,
    PolicyType::Session,
    PolicyType::Resource,
    PolicyType::Scp,
    PolicyType::Rcp,
];

proptest! {
    /// Any JSON at all, for the parser's refusals of shapes no policy has (what parses and
    /// how it evaluates is `documents`' business: well-formed documents with hostile contents).
    #[test]
    fn any_json_is_parsed_or_refused_without_panic(document in json()) {
        for kind in TYPES {
            let _ = Policy::parse_as(&document, kind);
        }
        let _ = Policy::from_json(&document.to_string());
    }

    #[test]
    fn any_settings_file_is_read_without_panic(
        user in json(),
        project in prop_oneof![json().prop_map(|v| v.to_string()), any::<String>()],
        shell in proptest::collection::btree_map(word(), word(), 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("user")).unwrap();
        std::fs::create_dir_all(dir.path().join("project/.claude")).unwrap();
        std::fs::write(dir.path().join("user/settings.json"), user.to_string()).unwrap();
        std::fs::write(dir.path().join("project/.claude/settings.json"), project).unwrap();
        let places = Places {
            managed: dir.path().join("managed.json"),
            project: dir.path().join("project"),
            user_dir: Some(dir.path().join("user")),
        };
        let setup = Setup::discover(&shell, &places, None);
        let _ = (setup.uses_bedrock(), setup.uses_mantle(), setup.empty_vars().len());
        let _ = setup.pinned_models();
        let _ = setup.region(Some("us-east-1"));
        let _ = setup.default_targets(&setup.region(None).region);
        let _ = (setup.background_note(), setup.unreadable_files().count());
    }

    #[test]
    fn any_variable_values_render_or_are_refused_without_panic(
        values in proptest::collection::btree_map(word(), prop_oneof![
            word().prop_map(Filled::Text),
            proptest::collection::vec(word(), 0..4).prop_map(Filled::List),
        ], 0..8),
        document in json(),
        index in 0usize..16,
    ) {
        let all = templates();
        let template = template(&all[index % all.len()].name).unwrap();
        let mut filled: BTreeMap<String, Filled> = values.clone();
        for variable in &template.variables {
            filled.entry(variable.name.clone()).or_insert_with(|| Filled::Text("x".into()));
        }
        let _ = render(&template.document(), &filled);
        let _ = render(&document, &values);
        let pairs: Vec<(String, String)> = values.keys().map(|k| (k.clone(), "v".into())).collect();
        let _ = template.flag_values(&pairs);
    }
}
