//! Hostile policy documents: well-formed as AWS would store them, with contents chosen to hurt
//! (huge and odd strings, unicode, wildcards everywhere, every condition operator with its set
//! qualifiers and `IfExists`, many condition blocks, odd ARNs and principals, `NotAction`,
//! `NotResource`, policy variables), and about one document in five carrying exactly one
//! fault. A well-formed document must parse, and evaluating it must end soon without a panic; a
//! faulty one must be refused with one error that says where (the statement) and what (the
//! element). `most_hostile_documents_reach_the_evaluator` holds the generator to that mix: it
//! fails if the documents drift to mostly unparseable.

use std::time::{Duration, Instant};

use bedrock_preflight::iam::{
    Caller, Decision, NamedPolicy, Policy, PolicySet, PolicyType, Request, evaluate,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};

/// Every condition operator AWS defines (`Null` takes no `IfExists`).
const OPERATORS: [&str; 27] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Short strings that break naive code: unicode of every kind, control characters, quotes,
/// wildcards, variables (closed, unclosed, nested, with defaults), JSON and ARN look-alikes.
const ODD: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "\t\n\r",
    "é",
    "e\u{301}",
    "🦀",
    "👩\u{200d}💻",
    "\u{202e}ledom",
    "\u{feff}",
    "İı",
    "ß",
    "日本語",
    "\"",
    "\\",
    "'",
    "*",
    "?",
    "**??**",
    "*:*",
    "${aws:username}",
    "${aws:PrincipalTag/team, 'default'}",
    "${*}",
    "${?}",
    "${$}",
    "${",
    "}",
    "${${aws:username}}",
    "${aws:}",
    "{\"Effect\":\"Allow\"}",
    "arn:",
    "arn:aws:::::",
    "null",
    "true",
    "-0",
    "1e309",
    "NaN",
];

/// What a huge string repeats: `*a` makes the worst glob pattern, `a` the text that makes it slow.
const PIECES: &[&str] = &["a", "*a", "?", "é", "🦀", "${aws:username}", "arn:aws:"];

const ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:Invoke*",
    "bedrock:*",
    "BEDROCK:INVOKEMODEL",
    "bedrock:?nvokeModel",
    "bedrock:Invoke*Stream",
    "*:*",
    "*",
    "s3:GetObject",
    "iam:PassRole",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:*:123456789012:inference-profile/*",
    "arn:aws:bedrock:${aws:RequestedRegion}::foundation-model/*",
    "arn:aws:s3:::bucket/${aws:username}/*",
    "arn:aws-cn:bedrock:cn-north-1::foundation-model/*",
    "arn:aws-us-gov:bedrock:*:*:*",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6:0:0:0",
    "arn:aws:::::",
    "arn:*",
    "arn:aws:iam::123456789012:role/path/ünïcode/🦀",
    "not an arn",
];

const KEYS: &[&str] = &[
    "aws:RequestedRegion",
    "aws:username",
    "aws:PrincipalTag/team",
    "aws:PrincipalArn",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:SecureTransport",
    "aws:MultiFactorAuthAge",
    "bedrock:InferenceProfileArn",
    "AWS:REQUESTEDREGION",
];

/// Values each kind of operator might meet, the well-formed and the absurd.
const VALUES: &[&str] = &[
    "us-east-1",
    "us-*",
    "ml",
    "10.0.0.0/8",
    "10.0.0.0/33",
    "::1/128",
    "2001:db8::/32",
    "203.0.113.9",
    "999.1.1.1",
    "2026-01-01T00:00:00Z",
    "2026-13-45",
    "1700000000",
    "300",
    "-1",
    "18446744073709551616",
    "true",
    "TRUE",
    "false",
    "aGVsbG8=",
    "arn:aws:bedrock:*:123456789012:inference-profile/*",
    "arn:aws:iam::123456789012:role/*",
];

const REQUEST_ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:ListFoundationModels",
    "s3:GetObject",
    "sts:GetCallerIdentity",
];

const REQUEST_RESOURCES: &[&str] = &[
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
    "arn:aws:s3:::bucket/alice/key",
    "arn:aws:iam::123456789012:role/path/ünïcode/🦀",
    "*",
];

const CALLERS: &[&str] = &[
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:sts::123456789012:assumed-role/dev/🦀",
    "arn:aws:iam::123456789012:root",
    "arn:aws:iam::210987654321:role/other",
];

/// How long one evaluation may take: matching is linear in practice and at worst the product
/// of two lengths, so a second is a runaway even for the slowest glob in a debug build.
const IN_TIME: Duration = Duration::from_secs(1);

/// The length of a huge string, up to what AWS stores: an ARN has at most 2,048 characters, a
/// managed policy 6,144.
fn huge() -> impl Strategy<Value = usize> {
    512usize..2048
}

fn odd() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(ODD).prop_map(str::to_string),
        2 => (select(PIECES), huge()).prop_map(|(piece, n)| piece.repeat(n / piece.len())),
        2 => any::<String>(),
        1 => vec(select(ODD), 2..6).prop_map(|parts| parts.concat()),
    ]
}

/// A string without IAM's wildcards (where AWS allows none).
fn plain() -> impl Strategy<Value = String> {
    odd().prop_map(|s| s.replace(['*', '?'], "x"))
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(ACTIONS).prop_map(str::to_string),
        1 => (odd(), odd()).prop_map(|(service, name)| format!("{service}:{name}")),
    ]
}

fn resource() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(RESOURCES).prop_map(str::to_string),
        2 => odd(),
        // Backtracks at every character of a long run of `a`: the slowest a glob gets.
        1 => huge().prop_map(|n| format!("*{}?", "a".repeat(n))),
    ]
}

/// One value or a list, of strings, numbers and booleans (AWS reads them all as strings).
fn values(one: impl Strategy<Value = String> + Clone) -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        6 => one.prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
    ];
    prop_oneof![
        2 => value.clone(),
        2 => vec(value.clone(), 1..4).prop_map(Value::Array),
        1 => vec(value, 8..24).prop_map(Value::Array),
    ]
}

fn operator() -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => Just(""), 1 => Just("ForAnyValue:"), 1 => Just("ForAllValues:")],
        select(&OPERATORS[..]),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(qualifier, base, if_exists)| {
            let if_exists = if if_exists && base != "Null" {
                "IfExists"
            } else {
                ""
            };
            format!("{qualifier}{base}{if_exists}")
        })
}

/// A Condition element: up to ten operators, each on up to four keys.
fn condition() -> impl Strategy<Value = Value> {
    let key = prop_oneof![3 => select(KEYS).prop_map(str::to_string), 1 => odd()];
    let value = prop_oneof![2 => select(VALUES).prop_map(str::to_string), 1 => odd()];
    let block = (operator(), vec((key, values(value)), 1..=4)).boxed();
    prop_oneof![5 => vec(block.clone(), 1..=3), 1 => vec(block, 6..=10)].prop_map(|blocks| {
        let mut condition = Map::new();
        for (operator, keys) in blocks {
            let entry = condition.entry(operator).or_insert_with(|| json!({}));
            for (key, values) in keys {
                entry.as_object_mut().unwrap().insert(key, values);
            }
        }
        Value::Object(condition)
    })
}

/// A principal AWS would store: anyone, accounts, roles and role sessions by ARN (odd paths and
/// names), unique IDs, services, federated and canonical users.
fn principal() -> impl Strategy<Value = Value> {
    let aws = prop_oneof![
        Just("*".to_string()),
        Just("123456789012".to_string()),
        Just("arn:aws:iam::123456789012:root".to_string()),
        Just("AROAEXAMPLEUNIQUEID01".to_string()),
        plain().prop_map(|path| format!("arn:aws:iam::123456789012:role/{path}x")),
        plain().prop_map(|name| format!("arn:aws:sts::123456789012:assumed-role/dev/{name}x")),
    ];
    prop_oneof![
        1 => Just(json!("*")),
        3 => vec(aws, 1..4).prop_map(|arns| json!({"AWS": arns})),
        1 => plain().prop_map(|s| json!({"Service": format!("{s}x")})),
        1 => (plain(), plain()).prop_map(|(f, c)| json!({"Federated": format!("{f}x"), "CanonicalUser": format!("{c}x")})),
    ]
}

/// The policy types a document is written for: identity (also boundary, session and SCP:
/// the same grammar) or resource-based (a Principal in every statement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Identity,
    Resource,
}

fn statement(kind: Kind) -> impl Strategy<Value = Value> {
    (
        prop::option::of(odd()),
        any::<bool>(),
        prop::bool::weighted(0.2),
        vec(action(), 1..4),
        prop::bool::weighted(0.2),
        vec(resource(), 1..4),
        prop::option::weighted(0.6, condition()),
        principal(),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(
            move |(
                sid,
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                condition,
                principal,
                not_principal,
                bare,
            )| {
                let list = |values: Vec<String>| {
                    if bare && values.len() == 1 {
                        json!(values[0])
                    } else {
                        json!(values)
                    }
                };
                let mut statement = Map::new();
                if let Some(sid) = sid {
                    statement.insert("Sid".into(), json!(sid));
                }
                statement.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                let action = if not_action { "NotAction" } else { "Action" };
                statement.insert(action.into(), list(actions));
                let resource = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                statement.insert(resource.into(), list(resources));
                if let Some(condition) = condition {
                    statement.insert("Condition".into(), condition);
                }
                if kind == Kind::Resource {
                    // NotPrincipal only ever denies.
                    let name = if not_principal && !allow {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    statement.insert(name.into(), principal);
                }
                Value::Object(statement)
            },
        )
}

/// One thing AWS would refuse, and the word the refusal must use for it.
#[derive(Clone, Copy, Debug)]
enum Fault {
    NoEffect,
    OddEffect,
    ActionAndNotAction,
    NoAction,
    NoServicePrefix,
    EmptyResource,
    ResourceNotStrings,
    UnknownOperator,
    NullIfExists,
    UnknownQualifier,
    ConditionNotObject,
    ConditionValueNotString,
    StatementNotObject,
    /// A Principal in an identity policy; none in a resource-based one.
    Principal,
    PrincipalWildcard,
    UnknownVersion,
    NoStatement,
    StatementNotList,
    DocumentNotObject,
}

const FAULTS: &[Fault] = &[
    Fault::NoEffect,
    Fault::OddEffect,
    Fault::ActionAndNotAction,
    Fault::NoAction,
    Fault::NoServicePrefix,
    Fault::EmptyResource,
    Fault::ResourceNotStrings,
    Fault::UnknownOperator,
    Fault::NullIfExists,
    Fault::UnknownQualifier,
    Fault::ConditionNotObject,
    Fault::ConditionValueNotString,
    Fault::StatementNotObject,
    Fault::Principal,
    Fault::PrincipalWildcard,
    Fault::UnknownVersion,
    Fault::NoStatement,
    Fault::StatementNotList,
    Fault::DocumentNotObject,
];

impl Fault {
    /// Whether the refusal names one statement (else the document as a whole).
    fn in_statement(self) -> bool {
        !matches!(
            self,
            Fault::UnknownVersion
                | Fault::NoStatement
                | Fault::StatementNotList
                | Fault::DocumentNotObject
        )
    }

    /// What the refusal must say, after the statement it names.
    fn says(self) -> &'static str {
        match self {
            Fault::NoEffect | Fault::OddEffect => "Effect",
            Fault::ActionAndNotAction | Fault::NoAction => "Action",
            Fault::NoServicePrefix => "service prefix",
            Fault::EmptyResource | Fault::ResourceNotStrings => "Resource",
            Fault::UnknownOperator | Fault::NullIfExists => "condition operator",
            Fault::UnknownQualifier => "set qualifier",
            Fault::ConditionNotObject => "Condition",
            Fault::ConditionValueNotString => "values must be strings",
            Fault::StatementNotObject => "not a JSON object",
            Fault::Principal => "Principal",
            Fault::PrincipalWildcard => "wildcard",
            Fault::UnknownVersion => "Version",
            Fault::NoStatement | Fault::StatementNotList => "Statement",
            Fault::DocumentNotObject => "JSON object",
        }
    }

    /// Puts a statement's fault into `statement`.
    fn spoil(self, kind: Kind, statement: &mut Value) {
        if matches!(self, Fault::StatementNotObject) {
            *statement = json!(["Effect", "Allow"]);
            return;
        }
        let statement = statement.as_object_mut().unwrap();
        let action = if statement.contains_key("Action") {
            "Action"
        } else {
            "NotAction"
        };
        let resource = if statement.contains_key("Resource") {
            "Resource"
        } else {
            "NotResource"
        };
        let mut set = |name: &str, value: Value| statement.insert(name.into(), value);
        match self {
            Fault::OddEffect => set("Effect", json!("allow")),
            Fault::ActionAndNotAction => {
                let other = if action == "Action" {
                    "NotAction"
                } else {
                    "Action"
                };
                set(other, json!("s3:*"))
            }
            Fault::NoServicePrefix => set(action, json!(["bedrock:InvokeModel", "InvokeModel"])),
            Fault::EmptyResource => set(resource, json!([])),
            Fault::ResourceNotStrings => set(resource, json!(["*", {"arn": "*"}])),
            Fault::UnknownOperator => set(
                "Condition",
                json!({"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}),
            ),
            Fault::NullIfExists => set(
                "Condition",
                json!({"NullIfExists": {"aws:username": "true"}}),
            ),
            Fault::UnknownQualifier => set(
                "Condition",
                json!({"ForSomeValues:StringEquals": {"aws:username": "alice"}}),
            ),
            Fault::ConditionNotObject => set("Condition", json!(["StringEquals"])),
            Fault::ConditionValueNotString => set(
                "Condition",
                json!({"StringEquals": {"aws:username": [{"nested": true}]}}),
            ),
            Fault::Principal if kind == Kind::Identity => set("Principal", json!("*")),
            Fault::PrincipalWildcard => {
                statement.remove("NotPrincipal");
                statement.insert(
                    "Principal".into(),
                    json!({"AWS": "arn:aws:iam::123456789012:role/dev-*"}),
                )
            }
            Fault::NoEffect => statement.remove("Effect"),
            Fault::NoAction => statement.remove(action),
            Fault::Principal => statement
                .remove("Principal")
                .or_else(|| statement.remove("NotPrincipal")),
            Fault::StatementNotObject
            | Fault::UnknownVersion
            | Fault::NoStatement
            | Fault::StatementNotList
            | Fault::DocumentNotObject => None,
        };
    }

    /// Puts a document's fault into `document`.
    fn spoil_document(self, document: &mut Map<String, Value>) {
        match self {
            Fault::UnknownVersion => {
                document.insert("Version".into(), json!("2012-10-18"));
            }
            Fault::NoStatement => {
                document.remove("Statement");
            }
            Fault::StatementNotList => {
                document.insert("Statement".into(), json!("Allow everything"));
            }
            _ => {}
        }
    }
}

/// A document written for `kind`, its JSON, and the fault it carries if any.
#[derive(Clone, Debug)]
struct Doc {
    kind: Kind,
    json: Value,
    fault: Option<(Fault, usize)>,
}

impl Doc {
    fn types(&self) -> &'static [PolicyType] {
        match self.kind {
            Kind::Identity => &[
                PolicyType::Identity,
                PolicyType::Boundary,
                PolicyType::Session,
                PolicyType::Scp,
            ],
            Kind::Resource => &[PolicyType::Resource],
        }
    }

    /// How the parser names statement `index` at the head of an error.
    fn location(&self, index: usize) -> String {
        let sid = match &self.json["Statement"] {
            Value::Array(list) => list[index].get("Sid"),
            single => single.get("Sid"),
        };
        match sid.and_then(Value::as_str) {
            Some(sid) => format!("statement {} (Sid {sid})", index + 1),
            None => format!("statement {}", index + 1),
        }
    }

    /// Whether `error` is the one refusal this document's fault calls for: naming its statement
    /// (for a statement's fault) and saying what is wrong.
    fn refused_clearly(&self, error: &str) -> Result<(), String> {
        let Some((fault, index)) = self.fault else {
            return Err(format!("a well-formed document was refused: {error}"));
        };
        let what = if fault.in_statement() {
            let location = self.location(index);
            error
                .strip_prefix(&location)
                .filter(|what| what.starts_with([':', ' ']))
                .ok_or_else(|| format!("{fault:?}: \"{error}\" does not name {location}"))?
        } else {
            error
        };
        if what.contains(fault.says()) {
            Ok(())
        } else {
            Err(format!(
                "{fault:?}: \"{error}\" does not say \"{}\"",
                fault.says()
            ))
        }
    }
}

fn document() -> impl Strategy<Value = Doc> {
    prop_oneof![4 => Just(Kind::Identity), 1 => Just(Kind::Resource)].prop_flat_map(|kind| {
        (
            prop_oneof![
                6 => Just(Some("2012-10-17")),
                2 => Just(Some("2008-10-17")),
                1 => Just(None),
            ],
            {
                let statement = statement(kind).boxed();
                prop_oneof![9 => vec(statement.clone(), 1..=4), 1 => vec(statement, 16..=32)]
            },
            any::<bool>(),
            prop_oneof![
                4 => Just(None),
                1 => (select(FAULTS), any::<Index>()).prop_map(Some),
            ],
        )
            .prop_map(move |(version, mut statements, bare, fault)| {
                let fault = fault.map(|(fault, at)| (fault, at.index(statements.len())));
                if let Some((fault, index)) = fault {
                    fault.spoil(kind, &mut statements[index]);
                }
                let mut document = Map::new();
                if let Some(version) = version {
                    document.insert("Version".into(), json!(version));
                }
                let statement = if bare && statements.len() == 1 {
                    statements.remove(0)
                } else {
                    Value::Array(statements)
                };
                document.insert("Statement".into(), statement);
                if let Some((fault, _)) = fault {
                    fault.spoil_document(&mut document);
                }
                let json = match fault {
                    Some((Fault::DocumentNotObject, _)) => json!([document]),
                    _ => Value::Object(document),
                };
                Doc { kind, json, fault }
            })
    })
}

/// A request of the same vocabulary: the actions and resources the documents name, odd ones,
/// and the context keys their conditions read, with odd values.
#[derive(Clone, Debug)]
struct Ask {
    action: String,
    resource: String,
    context: Vec<(String, Vec<String>)>,
    caller: Option<&'static str>,
}

impl Ask {
    fn request(&self) -> Request {
        let mut request = Request::new(&self.action, &self.resource);
        for (key, values) in &self.context {
            request = request.with(key, values.clone());
        }
        if let Some(caller) = self.caller {
            request = request.with_caller(caller.parse::<Caller>().unwrap());
        }
        request
    }
}

fn ask() -> impl Strategy<Value = Ask> {
    let value = prop_oneof![3 => select(VALUES).prop_map(str::to_string), 1 => odd()];
    (
        prop_oneof![5 => select(REQUEST_ACTIONS).prop_map(str::to_string), 1 => odd()],
        prop_oneof![
            5 => select(REQUEST_RESOURCES).prop_map(str::to_string),
            1 => odd(),
            1 => huge().prop_map(|n| "a".repeat(n)),
        ],
        vec(
            (select(KEYS).prop_map(str::to_string), vec(value, 1..4)),
            0..6,
        ),
        prop::option::of(select(CALLERS)),
    )
        .prop_map(|(action, resource, context, caller)| Ask {
            action,
            resource,
            context,
            caller,
        })
}

/// Every place a parsed document of `kind` can stand in a request's evaluation, with an
/// identity policy that allows everything where the document alone could only deny.
fn placements(policy: &Policy, kind: PolicyType) -> PolicySet {
    let named = NamedPolicy {
        name: "hostile".into(),
        policy: policy.clone(),
    };
    let everything = NamedPolicy {
        name: "everything".into(),
        policy: Policy::parse(&json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "*"}}))
        .unwrap(),
    };
    match kind {
        PolicyType::Identity => PolicySet::identity(vec![named]),
        PolicyType::Boundary => PolicySet {
            identity: vec![everything],
            boundary: Some(named),
            ..PolicySet::default()
        },
        PolicyType::Session => PolicySet {
            identity: vec![everything],
            session: vec![named],
            ..PolicySet::default()
        },
        PolicyType::Scp => PolicySet {
            identity: vec![everything],
            scps: vec![vec![named]],
            ..PolicySet::default()
        },
        PolicyType::Resource | PolicyType::Rcp => PolicySet {
            resource: Some(named),
            ..PolicySet::default()
        },
    }
}

/// What parsing and evaluating one document came to.
#[derive(Debug, Default)]
struct Outcome {
    parsed: bool,
    decisions: Vec<Decision>,
    slowest: Duration,
    problems: Vec<String>,
}

fn run(doc: &Doc, asks: &[Ask]) -> Outcome {
    let mut outcome = Outcome::default();
    for kind in doc.types() {
        match Policy::parse_as(&doc.json, *kind) {
            Ok(policy) => {
                if let Some((fault, _)) = doc.fault {
                    outcome
                        .problems
                        .push(format!("{fault:?} was accepted as {}", kind.as_str()));
                    continue;
                }
                outcome.parsed = true;
                let set = placements(&policy, *kind);
                for ask in asks {
                    let request = ask.request();
                    let started = Instant::now();
                    let evaluation = evaluate(&set, &request);
                    outcome.slowest = outcome.slowest.max(started.elapsed());
                    outcome.decisions.push(evaluation.decision);
                }
            }
            Err(error) => {
                if let Err(problem) = doc.refused_clearly(&error.to_string()) {
                    outcome
                        .problems
                        .push(format!("as {}: {problem}", kind.as_str()));
                }
            }
        }
    }
    outcome
}

/// The length in characters of the longest string in `value`, keys included.
fn longest(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        Value::Array(list) => list.iter().map(longest).max().unwrap_or(0),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.chars().count().max(longest(v)))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

proptest! {
    /// A well-formed hostile document parses as every type it was written for and evaluates in
    /// time; a faulty one is refused with the one error its fault calls for.
    #[test]
    fn hostile_documents_parse_when_well_formed_and_evaluate_in_time(
        doc in document(),
        asks in vec(ask(), 1..4),
    ) {
        let outcome = run(&doc, &asks);
        prop_assert!(outcome.problems.is_empty(), "{}\n{}", outcome.problems.join("\n"), doc.json);
        prop_assert_eq!(outcome.parsed, doc.fault.is_none());
        prop_assert!(outcome.slowest < IN_TIME, "an evaluation took {:?}", outcome.slowest);
    }
}

/// What the property above is worth: most generated documents parse and reach the evaluator,
/// the faulty share stays large enough to cover refusals, every operator, qualifier and
/// negated element is among what parsed, and the evaluator's answers spread over all three
/// decisions. A fixed seed, so the shares are the same on every run.
#[test]
fn most_hostile_documents_reach_the_evaluator() {
    const DOCUMENTS: usize = 1000;
    let mut runner = TestRunner::deterministic();
    let (documents, asks) = (document(), ask());
    let mut parsed = 0;
    let mut faulty = 0;
    let mut decisions = [0usize; 3];
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..DOCUMENTS {
        let doc = documents.new_tree(&mut runner).unwrap().current();
        let ask = asks.new_tree(&mut runner).unwrap().current();
        faulty += usize::from(doc.fault.is_some());
        let outcome = run(&doc, std::slice::from_ref(&ask));
        problems.extend(outcome.problems);
        slowest = slowest.max(outcome.slowest);
        if !outcome.parsed {
            continue;
        }
        parsed += 1;
        for decision in outcome.decisions {
            decisions[match decision {
                Decision::Allowed => 0,
                Decision::ExplicitDeny => 1,
                Decision::ImplicitDeny => 2,
            }] += 1;
        }
        let policy = Policy::parse_as(&doc.json, doc.types()[0]).unwrap();
        for statement in &policy.statements {
            seen.insert(format!("negated action {}", statement.actions.negated));
            seen.insert(format!("negated resource {}", statement.resources.negated));
            for condition in &statement.conditions {
                seen.insert(format!("{:?}", condition.operator));
                seen.insert(format!("{:?} {}", condition.qualifier, condition.if_exists));
            }
        }
        let text = doc.json.to_string();
        if text.contains("${") {
            seen.insert("a variable".into());
        }
        if longest(&doc.json) >= 1024 {
            seen.insert("a huge string".into());
        }
        if !text.is_ascii() {
            seen.insert("unicode".into());
        }
    }
    let evaluations: usize = decisions.iter().sum();
    eprintln!(
        "hostile documents: {parsed}/{DOCUMENTS} parsed, {faulty} faulty; {evaluations} evaluations \
         (allowed, explicit deny, implicit deny): {decisions:?}; slowest {slowest:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        parsed * 10 >= DOCUMENTS * 6,
        "only {parsed}/{DOCUMENTS} documents parse: the generator no longer reaches the evaluator"
    );
    assert!(
        faulty * 10 >= DOCUMENTS,
        "only {faulty}/{DOCUMENTS} documents carry a fault"
    );
    for (decision, n) in ["allowed", "explicit deny", "implicit deny"]
        .iter()
        .zip(decisions)
    {
        assert!(
            n * 20 >= evaluations,
            "only {n}/{evaluations} evaluations are {decision}"
        );
    }
    let mut wanted: Vec<String> = OPERATORS
        .iter()
        .map(|o| o.to_string())
        .chain(
            ["Some(ForAnyValue)", "Some(ForAllValues)", "None"]
                .iter()
                .flat_map(|q| [format!("{q} true"), format!("{q} false")]),
        )
        .collect();
    wanted.extend(
        [
            "negated action true",
            "negated resource true",
            "a variable",
            "a huge string",
            "unicode",
        ]
        .map(str::to_string),
    );
    let missing: Vec<&String> = wanted.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "no parsed document has {missing:?}");
    assert!(slowest < IN_TIME, "an evaluation took {slowest:?}");
}
