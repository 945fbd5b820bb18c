//! Structured hostile input for the IAM evaluator: identity policies, permission boundaries and
//! SCP levels built from Bedrock's vocabulary, valid most of the time (about one document in
//! twenty carries one fault, so that refusal stays covered), and requests from the same
//! vocabulary so that statements match often. Each property is a law of AWS's evaluation logic
//! that must hold for every generated case; none may depend on what the evaluator happens to do.

use std::collections::BTreeMap;

use bedrock_preflight::iam::{
    Caller, Decision, Effect, Evaluation, NamedPolicy, Policy, PolicySet, PolicyType, Request,
    evaluate,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

/// Action patterns, wildcards and IAM's case-insensitivity included.
const ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:Invoke*",
    "bedrock:*",
    "bedrock:invokemodel",
    "bedrock:?nvokeModel",
    "bedrock:GetInferenceProfile",
    "bedrock:List*",
    "s3:GetObject",
    "iam:PassRole",
    "sts:GetCallerIdentity",
    "*",
];

/// Actions a request names (sts:GetCallerIdentity is drawn apart: AWS always allows it).
const REQUEST_ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:GetInferenceProfile",
    "bedrock:ListFoundationModels",
    "s3:GetObject",
    "iam:PassRole",
];

/// AWS authorizes it whatever the policies say (evaluate.rs's ALWAYS_ALLOWED).
const ALWAYS_ALLOWED: &str = "sts:GetCallerIdentity";

const REQUEST_RESOURCES: &[&str] = &[
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-4-5",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
    "arn:aws:bedrock:us-east-1:210987654321:inference-profile/us.anthropic.claude-sonnet-4-6",
    "arn:aws:s3:::models-bucket/weights.bin",
    "arn:aws:iam::123456789012:role/bedrock-invoker",
    "*",
];

/// Resource patterns: the request's resources themselves and globs over them.
const RESOURCES: &[&str] = &[
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:us-*::foundation-model/anthropic.*",
    "arn:aws:bedrock:*::foundation-model/anthropic.claude-?onnet-4-6",
    "arn:aws:bedrock:*:123456789012:inference-profile/*",
    "arn:aws:bedrock:*:*:*inference-profile/*",
    "arn:aws:bedrock:${aws:RequestedRegion}::foundation-model/*",
    "arn:aws:iam::*:role/bedrock-*",
    "arn:aws:s3:::models-bucket/*",
    "*",
];

/// A condition key: the operators that suit its type, values a policy compares with, and
/// values a request carries.
struct Key {
    name: &'static str,
    operators: &'static [&'static str],
    policy: &'static [&'static str],
    context: &'static [&'static str],
}

const KEYS: &[Key] = &[
    Key {
        name: "aws:RequestedRegion",
        operators: &[
            "StringEquals",
            "StringNotEquals",
            "StringLike",
            "StringNotLike",
            "StringEqualsIgnoreCase",
        ],
        policy: &["us-east-1", "us-west-2", "eu-west-1", "us-*", "eu-*"],
        context: &["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"],
    },
    Key {
        name: "bedrock:InferenceProfileArn",
        operators: &[
            "ArnLike",
            "ArnEquals",
            "ArnNotLike",
            "StringLike",
            "StringEquals",
        ],
        policy: &[
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
            "arn:aws:bedrock:*:123456789012:inference-profile/*",
            "arn:aws:bedrock:*:*:application-inference-profile/*",
            "arn:aws:bedrock:*",
        ],
        context: &[
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
            "arn:aws:bedrock:eu-west-1:210987654321:inference-profile/eu.anthropic.claude-haiku-4-5",
        ],
    },
    Key {
        name: "aws:SecureTransport",
        operators: &["Bool"],
        policy: &["true", "false"],
        context: &["true", "false"],
    },
    Key {
        name: "aws:MultiFactorAuthAge",
        operators: &[
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
        ],
        policy: &["300", "3600"],
        context: &["100", "3600", "86400"],
    },
    Key {
        name: "aws:PrincipalTag/team",
        operators: &["StringEquals", "StringLike", "StringNotEquals"],
        policy: &["ml", "data", "m*"],
        context: &["ml", "data", "ops"],
    },
    Key {
        name: "aws:CurrentTime",
        operators: &["DateGreaterThan", "DateLessThan"],
        policy: &["2026-01-01T00:00:00Z", "2026-01-01"],
        context: &["2025-06-01T12:00:00Z", "2027-01-01T00:00:00Z"],
    },
    Key {
        name: "aws:SourceIp",
        operators: &["IpAddress", "NotIpAddress"],
        policy: &["10.0.0.0/8", "192.0.2.0/24"],
        context: &["10.1.2.3", "203.0.113.9"],
    },
];

const CALLERS: &[&str] = &[
    "arn:aws:sts::123456789012:assumed-role/dev/session",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::123456789012:root",
];

/// One fault AWS would refuse a document for.
#[derive(Clone, Copy, Debug)]
enum Fault {
    NoEffect,
    LowercaseEffect,
    ActionAndNotAction,
    NoServicePrefix,
    EmptyResource,
    UnknownOperator,
    Principal,
    UnknownVersion,
}

const FAULTS: &[Fault] = &[
    Fault::NoEffect,
    Fault::LowercaseEffect,
    Fault::ActionAndNotAction,
    Fault::NoServicePrefix,
    Fault::EmptyResource,
    Fault::UnknownOperator,
    Fault::Principal,
    Fault::UnknownVersion,
];

#[derive(Clone, Debug)]
struct Cond {
    operator: String,
    key: String,
    values: Vec<&'static str>,
}

#[derive(Clone, Debug)]
struct Stmt {
    sid: String,
    effect: Effect,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
    conditions: Vec<Cond>,
    /// Write a one-value element as a bare string rather than a list.
    bare: bool,
}

impl Stmt {
    /// A statement that names exactly the request's action and resource, unconditionally.
    fn exactly(effect: Effect, request: &Req) -> Stmt {
        Stmt {
            sid: "Added".into(),
            effect,
            not_action: false,
            actions: vec![request.action],
            not_resource: false,
            resources: vec![request.resource],
            conditions: Vec::new(),
            bare: true,
        }
    }

    fn json(&self) -> Value {
        let list = |values: &[&str]| {
            if self.bare && values.len() == 1 {
                json!(values[0])
            } else {
                json!(values)
            }
        };
        let mut out = Map::new();
        out.insert("Sid".into(), json!(self.sid));
        out.insert("Effect".into(), json!(self.effect.as_str()));
        let action = if self.not_action {
            "NotAction"
        } else {
            "Action"
        };
        out.insert(action.into(), list(&self.actions));
        let resource = if self.not_resource {
            "NotResource"
        } else {
            "Resource"
        };
        out.insert(resource.into(), list(&self.resources));
        if !self.conditions.is_empty() {
            let mut block = Map::new();
            for c in &self.conditions {
                block
                    .entry(c.operator.clone())
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .unwrap()
                    .insert(c.key.clone(), list(&c.values));
            }
            out.insert("Condition".into(), Value::Object(block));
        }
        Value::Object(out)
    }
}

#[derive(Clone, Debug)]
struct Doc {
    name: String,
    version: Option<&'static str>,
    statements: Vec<Stmt>,
    /// Write a single statement as an object rather than a list of one.
    bare: bool,
    fault: Option<(Fault, Index)>,
}

impl Doc {
    fn json(&self) -> Value {
        let mut statements: Vec<Value> = self.statements.iter().map(Stmt::json).collect();
        let mut version = self.version;
        if let Some((fault, at)) = self.fault {
            let at = at.index(statements.len());
            let statement = statements[at].as_object_mut().unwrap();
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
            match fault {
                Fault::NoEffect => {
                    statement.remove("Effect");
                }
                Fault::LowercaseEffect => {
                    statement.insert("Effect".into(), json!("allow"));
                }
                Fault::ActionAndNotAction => {
                    let other = if action == "Action" {
                        "NotAction"
                    } else {
                        "Action"
                    };
                    statement.insert(other.into(), json!("s3:*"));
                }
                Fault::NoServicePrefix => {
                    statement.insert(action.into(), json!(["bedrock:InvokeModel", "InvokeModel"]));
                }
                Fault::EmptyResource => {
                    statement.insert(resource.into(), json!([]));
                }
                Fault::UnknownOperator => {
                    statement.insert(
                        "Condition".into(),
                        json!({"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}),
                    );
                }
                Fault::Principal => {
                    statement.insert("Principal".into(), json!("*"));
                }
                Fault::UnknownVersion => version = Some("2012-10-18"),
            }
        }
        let mut out = Map::new();
        if let Some(version) = version {
            out.insert("Version".into(), json!(version));
        }
        let statement = if self.bare && statements.len() == 1 {
            statements.remove(0)
        } else {
            Value::Array(statements)
        };
        out.insert("Statement".into(), statement);
        Value::Object(out)
    }

    fn parse(&self, kind: PolicyType) -> Option<NamedPolicy> {
        Policy::parse_as(&self.json(), kind)
            .ok()
            .map(|policy| NamedPolicy {
                name: self.name.clone(),
                policy,
            })
    }
}

#[derive(Clone, Debug)]
struct Req {
    action: &'static str,
    resource: &'static str,
    context: Vec<(&'static str, Vec<&'static str>)>,
    caller: Option<&'static str>,
}

impl Req {
    fn request(&self) -> Request {
        let mut request = Request::new(self.action, self.resource);
        for (key, values) in &self.context {
            request = request.with(key, values.iter().map(|v| v.to_string()).collect());
        }
        if let Some(caller) = self.caller {
            request = request.with_caller(caller.parse::<Caller>().unwrap());
        }
        request
    }

    fn is_root(&self) -> bool {
        self.caller.is_some_and(|c| c.ends_with(":root"))
    }
}

/// Policies and a request. Every document and statement has a unique name and Sid, so that
/// matched statements can be compared after the statements move.
#[derive(Clone, Debug)]
struct Case {
    identity: Vec<Doc>,
    boundary: Option<Doc>,
    scps: Vec<Vec<Doc>>,
    request: Req,
}

impl Case {
    fn documents_mut(&mut self) -> impl Iterator<Item = &mut Doc> {
        self.identity
            .iter_mut()
            .chain(self.boundary.as_mut())
            .chain(self.scps.iter_mut().flatten())
    }

    fn documents(&self) -> impl Iterator<Item = &Doc> {
        self.identity
            .iter()
            .chain(self.boundary.as_ref())
            .chain(self.scps.iter().flatten())
    }

    fn named(mut self) -> Case {
        for (i, doc) in self.identity.iter_mut().enumerate() {
            doc.name = format!("identity-{i}");
        }
        if let Some(doc) = &mut self.boundary {
            doc.name = "boundary".into();
        }
        for (l, level) in self.scps.iter_mut().enumerate() {
            for (i, doc) in level.iter_mut().enumerate() {
                doc.name = format!("scp-{l}-{i}");
            }
        }
        for doc in self.documents_mut() {
            let name = doc.name.replace('-', "");
            for (i, statement) in doc.statements.iter_mut().enumerate() {
                statement.sid = format!("{name}s{i}");
            }
        }
        self
    }

    /// Every document parsed, or `None` when one is refused.
    fn policies(&self) -> Option<PolicySet> {
        let boundary = match &self.boundary {
            Some(doc) => Some(doc.parse(PolicyType::Boundary)?),
            None => None,
        };
        Some(PolicySet {
            identity: self
                .identity
                .iter()
                .map(|d| d.parse(PolicyType::Identity))
                .collect::<Option<_>>()?,
            boundary,
            session: Vec::new(),
            resource: None,
            scps: self
                .scps
                .iter()
                .map(|level| {
                    level
                        .iter()
                        .map(|d| d.parse(PolicyType::Scp))
                        .collect::<Option<_>>()
                })
                .collect::<Option<_>>()?,
            rcps: Vec::new(),
        })
    }

    fn evaluate(&self) -> Option<Evaluation> {
        Some(evaluate(&self.policies()?, &self.request.request()))
    }

    /// Adds a statement to one of the places a statement can go: an identity policy, a new
    /// identity policy, the boundary, an SCP level.
    fn with_statement(&self, at: Index, statement: Stmt) -> Case {
        let mut case = self.clone();
        let places =
            case.identity.len() + 1 + usize::from(case.boundary.is_some()) + case.scps.len();
        let mut place = at.index(places);
        if place < case.identity.len() {
            case.identity[place].statements.push(statement);
            return case;
        }
        place -= case.identity.len();
        if place == 0 {
            case.identity.push(Doc {
                name: "identity-added".into(),
                version: Some("2012-10-17"),
                statements: vec![statement],
                bare: false,
                fault: None,
            });
            return case;
        }
        place -= 1;
        match &mut case.boundary {
            Some(doc) if place == 0 => doc.statements.push(statement),
            Some(_) => case.scps[place - 1][0].statements.push(statement),
            None => case.scps[place][0].statements.push(statement),
        }
        case
    }
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![3 => Just(Effect::Allow), 1 => Just(Effect::Deny)]
}

fn condition() -> impl Strategy<Value = Cond> {
    (0..KEYS.len()).prop_flat_map(|k| {
        let key = &KEYS[k];
        (
            prop_oneof![9 => select(key.operators).prop_map(Some), 1 => Just(None)],
            prop_oneof![6 => Just(""), 2 => Just("ForAnyValue:"), 2 => Just("ForAllValues:")],
            prop::bool::weighted(0.2),
            vec(select(key.policy), 1..=2),
        )
            .prop_map(
                move |(operator, qualifier, if_exists, values)| match operator {
                    Some(operator) => Cond {
                        operator: format!(
                            "{qualifier}{operator}{}",
                            if if_exists { "IfExists" } else { "" }
                        ),
                        key: key.name.to_string(),
                        values,
                    },
                    // Null asks whether the key is present; it takes no IfExists.
                    None => Cond {
                        operator: "Null".into(),
                        key: key.name.to_string(),
                        values: vec![if if_exists { "true" } else { "false" }],
                    },
                },
            )
    })
}

fn statement(effect: impl Strategy<Value = Effect>) -> impl Strategy<Value = Stmt> {
    (
        effect,
        prop::bool::weighted(0.15),
        vec(select(ACTIONS), 1..=3),
        prop::bool::weighted(0.15),
        vec(select(RESOURCES), 1..=3),
        prop_oneof![Just(Vec::new()), vec(condition(), 1..=2)],
        any::<bool>(),
    )
        .prop_map(
            |(effect, not_action, actions, not_resource, resources, conditions, bare)| Stmt {
                sid: String::new(),
                effect,
                not_action,
                actions,
                not_resource,
                resources,
                conditions,
                bare,
            },
        )
}

fn document() -> impl Strategy<Value = Doc> {
    (
        prop_oneof![
            8 => Just(Some("2012-10-17")),
            1 => Just(Some("2008-10-17")),
            1 => Just(None),
        ],
        vec(statement(effect()), 1..=5),
        any::<bool>(),
        prop_oneof![
            19 => Just(None),
            1 => (select(FAULTS), any::<Index>()).prop_map(Some),
        ],
    )
        .prop_map(|(version, statements, bare, fault)| Doc {
            name: String::new(),
            version,
            statements,
            bare,
            fault,
        })
}

/// An SCP level: mostly FullAWSAccess (as AWS attaches it) and what the organization adds.
fn scp_level() -> impl Strategy<Value = Vec<Doc>> {
    (prop::bool::weighted(0.7), vec(document(), 1..=2)).prop_map(|(full_access, mut docs)| {
        if full_access {
            docs[0].statements.insert(
                0,
                Stmt {
                    sid: String::new(),
                    effect: Effect::Allow,
                    not_action: false,
                    actions: vec!["*"],
                    not_resource: false,
                    resources: vec!["*"],
                    conditions: Vec::new(),
                    bare: true,
                },
            );
        }
        docs
    })
}

fn request() -> impl Strategy<Value = Req> {
    let context: Vec<_> = KEYS
        .iter()
        .map(|key| prop::option::weighted(0.5, vec(select(key.context), 1..=2)))
        .collect();
    (
        prop_oneof![20 => select(REQUEST_ACTIONS), 1 => Just(ALWAYS_ALLOWED)],
        select(REQUEST_RESOURCES),
        context,
        prop_oneof![2 => Just(None), 3 => select(CALLERS).prop_map(Some)],
    )
        .prop_map(|(action, resource, context, caller)| Req {
            action,
            resource,
            context: KEYS
                .iter()
                .zip(context)
                .filter_map(|(key, values)| Some((key.name, values?)))
                .collect(),
            caller,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        vec(document(), 1..=3),
        prop_oneof![3 => Just(None), 1 => document().prop_map(Some)],
        prop_oneof![3 => Just(Vec::new()), 1 => vec(scp_level(), 1..=2)],
        request(),
    )
        .prop_map(|(identity, boundary, scps, request)| {
            Case {
                identity,
                boundary,
                scps,
                request,
            }
            .named()
        })
}

/// What an evaluation says, with the matched statements as a set (order is not part of it)
/// and named by Sid (a statement's position moves when the statements do).
fn outcome(evaluation: &Evaluation) -> (Decision, String, Vec<String>) {
    let mut matched: Vec<String> = evaluation
        .matched
        .iter()
        .map(|m| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                m.policy, m.sid, m.effect, m.source, m.level
            )
        })
        .collect();
    matched.sort();
    (
        evaluation.decision,
        format!("{:?}", evaluation.denied_by),
        matched,
    )
}

/// Whether `statement` of `policy` matches the request on its own: alone in a policy as a Deny
/// (the same Version, so variables read the same), it must deny. A Deny is decided before any
/// question of layers, accounts or callers, so nothing but the statement itself is tested.
fn matches_alone(policy: &Policy, index: usize, request: &Request) -> bool {
    let mut statement = policy.statements[index].clone();
    statement.effect = Effect::Deny;
    let alone = PolicySet::identity(vec![NamedPolicy {
        name: "alone".into(),
        policy: Policy {
            variables: policy.variables,
            statements: vec![statement],
        },
    }]);
    evaluate(&alone, request).decision == Decision::ExplicitDeny
}

/// Every statement of the set's Deny-capable layers, with the policy it is in.
fn statements(set: &PolicySet) -> Vec<(&NamedPolicy, usize)> {
    set.identity
        .iter()
        .chain(&set.boundary)
        .chain(set.scps.iter().flatten())
        .flat_map(|named| (0..named.policy.statements.len()).map(move |i| (named, i)))
        .collect()
}

/// A permutation from a seed (xorshift), so that a failing case shrinks to its seed.
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        items.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #[test]
    fn a_document_is_refused_exactly_when_it_carries_a_fault(doc in document()) {
        for kind in [PolicyType::Identity, PolicyType::Boundary, PolicyType::Scp] {
            match (Policy::parse_as(&doc.json(), kind), doc.fault) {
                (Ok(_), None) => {}
                (Err(e), Some((Fault::UnknownVersion, _))) => {
                    prop_assert!(e.to_string().contains("Version"), "{e}");
                }
                (Err(e), Some((_, at))) => {
                    let named = format!("statement {} ", at.index(doc.statements.len()) + 1);
                    prop_assert!(e.to_string().starts_with(&named), "{e} does not start with {named}");
                }
                (Ok(_), Some(fault)) => prop_assert!(false, "{fault:?} was accepted: {}", doc.json()),
                (Err(e), None) => prop_assert!(false, "refused ({e}): {}", doc.json()),
            }
        }
    }

    /// An explicit Deny that matches always decides, wherever it is: identity policy,
    /// boundary or SCP level (only the actions AWS always allows escape it).
    #[test]
    fn a_matching_deny_always_decides(case in case(), at in any::<Index>()) {
        let denied = case.with_statement(at, Stmt::exactly(Effect::Deny, &case.request));
        let Some(evaluation) = denied.evaluate() else { return Ok(()) };
        let expected = if case.request.action == ALWAYS_ALLOWED {
            Decision::Allowed
        } else {
            Decision::ExplicitDeny
        };
        prop_assert_eq!(evaluation.decision, expected);
        if expected == Decision::ExplicitDeny {
            prop_assert!(evaluation.matched.iter().any(|m| m.sid.as_deref() == Some("Added")));
        }
    }

    /// The decision is an explicit Deny exactly when some Deny statement matches the request
    /// on its own, and the evaluation names exactly those statements; an Allow names only
    /// statements that match on their own.
    #[test]
    fn the_deciding_statements_are_those_that_match(case in case()) {
        let Some(set) = case.policies() else { return Ok(()) };
        let request = case.request.request();
        let evaluation = evaluate(&set, &request);
        let mut denies: Vec<(String, usize)> = Vec::new();
        let mut matching: BTreeMap<(String, usize), bool> = BTreeMap::new();
        for (named, i) in statements(&set) {
            let matches = matches_alone(&named.policy, i, &request);
            matching.insert((named.name.clone(), i), matches);
            if matches && named.policy.statements[i].effect == Effect::Deny {
                denies.push((named.name.clone(), i));
            }
        }
        let named: Vec<(String, usize)> = evaluation
            .matched
            .iter()
            .map(|m| (m.policy.clone(), m.index))
            .collect();
        if case.request.action == ALWAYS_ALLOWED {
            prop_assert_eq!(evaluation.decision, Decision::Allowed);
        } else if denies.is_empty() {
            prop_assert_ne!(evaluation.decision, Decision::ExplicitDeny);
        } else {
            prop_assert_eq!(evaluation.decision, Decision::ExplicitDeny);
            let mut named = named.clone();
            named.sort();
            denies.sort();
            prop_assert_eq!(named, denies);
        }
        if evaluation.decision == Decision::Allowed {
            for key in &named {
                prop_assert!(matching[key], "{key:?} was named but does not match alone");
            }
        }
    }

    /// Adding an Allow never turns allowed into denied, nor an explicit Deny into anything
    /// else: it can only turn an implicit deny into an allow.
    #[test]
    fn adding_an_allow_only_ever_allows(
        case in case(),
        added in statement(Just(Effect::Allow)),
        at in any::<Index>(),
    ) {
        let Some(before) = case.evaluate() else { return Ok(()) };
        let Some(after) = case.with_statement(at, added).evaluate() else { return Ok(()) };
        match before.decision {
            Decision::ImplicitDeny => prop_assert_ne!(after.decision, Decision::ExplicitDeny),
            same => prop_assert_eq!(after.decision, same),
        }
        let exact = case.with_statement(at, Stmt::exactly(Effect::Allow, &case.request));
        if before.decision == Decision::Allowed {
            prop_assert_eq!(exact.evaluate().unwrap().decision, Decision::Allowed);
        }
    }

    /// Adding a Deny never turns denied into allowed.
    #[test]
    fn adding_a_deny_never_allows(
        case in case(),
        added in statement(Just(Effect::Deny)),
        at in any::<Index>(),
    ) {
        let Some(before) = case.evaluate() else { return Ok(()) };
        let Some(after) = case.with_statement(at, added).evaluate() else { return Ok(()) };
        match before.decision {
            Decision::ImplicitDeny => prop_assert_ne!(after.decision, Decision::Allowed),
            Decision::ExplicitDeny => prop_assert_eq!(after.decision, Decision::ExplicitDeny),
            Decision::Allowed => {}
        }
    }

    /// The order of statements in a policy, of identity policies, and of the policies of an
    /// SCP level, decides nothing; nor does how one value or one statement is written.
    #[test]
    fn order_and_spelling_decide_nothing(case in case(), seed in 1u64..) {
        let Some(before) = case.evaluate() else { return Ok(()) };
        let mut moved = case.clone();
        let mut seed = seed;
        for doc in moved.documents_mut() {
            shuffle(&mut doc.statements, &mut seed);
            doc.bare = !doc.bare;
            for statement in &mut doc.statements {
                statement.bare = !statement.bare;
            }
        }
        shuffle(&mut moved.identity, &mut seed);
        for level in &mut moved.scps {
            shuffle(level, &mut seed);
        }
        let after = moved.evaluate().expect("the same documents, reordered, parse");
        prop_assert_eq!(outcome(&after), outcome(&before));
        // Across levels only the decision is the same: which level denied first may change.
        let mut levels = moved.clone();
        shuffle(&mut levels.scps, &mut seed);
        prop_assert_eq!(levels.evaluate().unwrap().decision, before.decision);
    }

    /// Without an Allow anywhere nothing is allowed, except the actions AWS always allows and
    /// the root user where no SCP binds it (no IAM policy limits root).
    #[test]
    fn no_allow_allows_nothing(case in case()) {
        let mut denying = case.clone();
        for doc in denying.documents_mut() {
            for statement in &mut doc.statements {
                statement.effect = Effect::Deny;
            }
        }
        let Some(evaluation) = denying.evaluate() else { return Ok(()) };
        if evaluation.decision == Decision::Allowed {
            let exempt = case.request.action == ALWAYS_ALLOWED
                || (case.request.is_root() && case.scps.is_empty());
            prop_assert!(exempt, "allowed without an Allow: {:?}", evaluation);
        }
    }

    /// IAM action names ignore case.
    #[test]
    fn action_case_decides_nothing(case in case()) {
        let Some(set) = case.policies() else { return Ok(()) };
        let request = case.request.request();
        let decision = evaluate(&set, &request).decision;
        for action in [request.action.to_uppercase(), request.action.to_lowercase()] {
            let mut other = request.clone();
            other.action = action;
            prop_assert_eq!(evaluate(&set, &other).decision, decision);
        }
    }
}

/// Whether a statement with only `condition` (Action and Resource `*`) matches the request.
fn condition_holds(condition: &Cond, request: &Request) -> bool {
    let statement = Stmt {
        sid: "Only".into(),
        effect: Effect::Deny,
        not_action: false,
        actions: vec!["*"],
        not_resource: false,
        resources: vec!["*"],
        conditions: vec![condition.clone()],
        bare: false,
    };
    let document = json!({"Version": "2012-10-17", "Statement": [statement.json()]});
    let policy = Policy::parse(&document).unwrap();
    let alone = PolicySet::identity(vec![NamedPolicy {
        name: "only".into(),
        policy,
    }]);
    evaluate(&alone, request).decision == Decision::ExplicitDeny
}

/// The operators AWS defines as each other's negation.
const NEGATIONS: &[(&str, &str)] = &[
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("ArnEquals", "ArnNotEquals"),
    ("ArnLike", "ArnNotLike"),
    ("IpAddress", "NotIpAddress"),
];

proptest! {
    /// Laws of single conditions, for a key with one value or none: an operator and its
    /// negation never agree (a negated operator holds where the key is absent); IfExists
    /// changes nothing where the key is present and holds where it is absent; key names
    /// ignore case.
    #[test]
    fn condition_laws(condition in condition(), request in request(), absent in any::<bool>()) {
        prop_assume!(request.action != ALWAYS_ALLOWED);
        let mut request = request;
        let key = condition.key.as_str();
        request.context.retain(|(k, _)| *k != key || !absent);
        for (k, values) in &mut request.context {
            if *k == key {
                values.truncate(1);
            }
        }
        let present = request.context.iter().any(|(k, _)| *k == key);
        let request = request.request();
        let holds = condition_holds(&condition, &request);
        let mut shouting = condition.clone();
        shouting.key = key.to_uppercase();
        prop_assert_eq!(condition_holds(&shouting, &request), holds);
        if condition.operator.contains(':') || condition.operator == "Null" {
            return Ok(());
        }
        let base = condition.operator.strip_suffix("IfExists");
        let plain = base.unwrap_or(&condition.operator);
        if base.is_some() {
            let without = Cond { operator: plain.to_string(), ..condition.clone() };
            let expected = !present || condition_holds(&without, &request);
            prop_assert_eq!(holds, expected);
        } else if let Some(negated) = NEGATIONS.iter().find_map(|&(a, b)| {
            (a == plain).then_some(b).or((b == plain).then_some(a))
        }) {
            let negation = Cond { operator: negated.to_string(), ..condition.clone() };
            prop_assert_ne!(condition_holds(&negation, &request), holds);
        }
    }
}

/// The share of generated cases that reach the evaluator, and how their decisions spread: the
/// properties above are only as good as this.
#[test]
fn structured_cases_mostly_reach_the_evaluator() {
    const CASES: usize = 2000;
    let mut runner = TestRunner::new(Config::default());
    let structured = case();
    let mut decisions = BTreeMap::new();
    for _ in 0..CASES {
        let case = structured.new_tree(&mut runner).unwrap().current();
        let decision = case.evaluate().map(|e| e.decision.as_str());
        *decisions
            .entry(decision.unwrap_or("refused"))
            .or_insert(0usize) += 1;
    }
    let reached = CASES - decisions.get("refused").copied().unwrap_or(0);
    let documents: usize = (0..CASES)
        .map(|_| structured.new_tree(&mut runner).unwrap().current())
        .map(|case| case.documents().count())
        .sum();
    eprintln!(
        "structured cases that reach the evaluator: {reached}/{CASES} ({:.1} documents a case); decisions: {decisions:?}",
        documents as f64 / CASES as f64
    );
    assert!(
        reached * 4 >= CASES * 3,
        "only {reached}/{CASES} reach the evaluator"
    );
    for decision in ["allowed", "explicitDeny", "implicitDeny"] {
        let n = decisions.get(decision).copied().unwrap_or(0);
        assert!(n * 10 >= CASES, "only {n}/{CASES} cases are {decision}");
    }
}
