//! Evaluation of one request against identity policies and an optional permission boundary:
//! an explicit Deny anywhere wins; otherwise an Allow is needed in the identity policies and,
//! when there is a boundary, in the boundary too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::glob::{Token, matches, tokens};
use super::policy::{
    Condition, Effect, Elements, NamedPolicy, Operator, Policy, SetQualifier, Statement,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    /// The names IAM's simulator uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    /// The simulator's `EvalDecision`; `None` for a value this version does not know.
    pub fn from_simulator(value: &str) -> Option<Decision> {
        [
            Decision::Allowed,
            Decision::ExplicitDeny,
            Decision::ImplicitDeny,
        ]
        .into_iter()
        .find(|d| d.as_str() == value)
    }
}

/// One action on one resource, with the request context (keys are case-insensitive; a key
/// may carry several values).
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    context: HashMap<String, Vec<String>>,
}

impl Request {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Request {
            action: action.into(),
            resource: resource.into(),
            context: HashMap::new(),
        }
    }

    pub fn with(mut self, key: &str, values: Vec<String>) -> Self {
        self.context
            .entry(key.to_lowercase())
            .or_default()
            .extend(values);
        self
    }

    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.context.get(&key.to_lowercase()).map(Vec::as_slice)
    }

    /// The context, keys (lower-cased) in order.
    pub fn context(&self) -> Vec<(&str, &[String])> {
        let mut entries: Vec<_> = self
            .context
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        entries.sort();
        entries
    }
}

/// The identity policies of a principal and its permission boundary, if any.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedStatement {
    pub policy: String,
    pub sid: Option<String>,
    /// Position in the policy's Statement list, from 0.
    pub index: usize,
    pub effect: Effect,
    pub in_boundary: bool,
}

impl MatchedStatement {
    /// How a finding names it: the policy, and the Sid or else the position.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("{} (Sid {sid})", self.policy),
            None => format!("{} (statement {})", self.policy, self.index + 1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The statements that decided: the Denies for an explicit deny, the Allows (identity and
    /// boundary) for an allow, none for an implicit deny.
    pub matched: Vec<MatchedStatement>,
}

/// Actions AWS authorizes whatever the policies say, an explicit deny included: "No
/// permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
const ALWAYS_ALLOWED: &[&str] = &["sts:GetCallerIdentity"];

pub fn evaluate(set: &PolicySet, request: &Request) -> Evaluation {
    if ALWAYS_ALLOWED
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&request.action))
    {
        return Evaluation {
            decision: Decision::Allowed,
            matched: Vec::new(),
        };
    }
    let mut denies = Vec::new();
    let mut allows = Vec::new();
    let mut boundary_allows = Vec::new();
    let sources = set
        .identity
        .iter()
        .map(|p| (p, false))
        .chain(set.boundary.iter().map(|p| (p, true)));
    for (named, in_boundary) in sources {
        for statement in &named.policy.statements {
            if !applies(&named.policy, statement, request) {
                continue;
            }
            let matched = MatchedStatement {
                policy: named.name.clone(),
                sid: statement.sid.clone(),
                index: statement.index,
                effect: statement.effect,
                in_boundary,
            };
            match (statement.effect, in_boundary) {
                (Effect::Deny, _) => denies.push(matched),
                (Effect::Allow, false) => allows.push(matched),
                (Effect::Allow, true) => boundary_allows.push(matched),
            }
        }
    }
    if !denies.is_empty() {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            matched: denies,
        };
    }
    let boundary_ok = set.boundary.is_none() || !boundary_allows.is_empty();
    if allows.is_empty() || !boundary_ok {
        return Evaluation {
            decision: Decision::ImplicitDeny,
            matched: Vec::new(),
        };
    }
    allows.extend(boundary_allows);
    Evaluation {
        decision: Decision::Allowed,
        matched: allows,
    }
}

fn applies(policy: &Policy, statement: &Statement, request: &Request) -> bool {
    let action = element_matches(&statement.actions, |pattern| {
        matches(&tokens(pattern), &request.action, true)
    });
    action
        && element_matches(&statement.resources, |pattern| {
            substitute(policy, pattern, request)
                .is_some_and(|p| matches(&p, &request.resource, false))
        })
        && statement
            .conditions
            .iter()
            .all(|c| condition_holds(policy, c, request))
}

fn element_matches(element: &Elements, matches_one: impl Fn(&str) -> bool) -> bool {
    element.values.iter().any(|v| matches_one(v)) != element.negated
}

/// A pattern with its policy variables replaced by request values. `None` when a variable has
/// no value and no default: nothing can match it.
fn substitute(policy: &Policy, pattern: &str, request: &Request) -> Option<Vec<Token>> {
    if !policy.variables || !pattern.contains("${") {
        return Some(tokens(pattern));
    }
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.extend(tokens(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(tokens(&rest[start..]));
            return Some(out);
        };
        let inner = after[..end].trim();
        let value = match inner {
            "*" | "?" | "$" => inner.to_string(),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((key, default)) => (
                        key.trim(),
                        Some(default.trim().trim_matches('\'').to_string()),
                    ),
                    None => (inner, None),
                };
                match request.values(key).and_then(|v| v.first()) {
                    Some(value) => value.clone(),
                    None => default?,
                }
            }
        };
        out.extend(value.chars().map(Token::Char));
        rest = &after[end + 1..];
    }
    out.extend(tokens(rest));
    Some(out)
}

fn condition_holds(policy: &Policy, condition: &Condition, request: &Request) -> bool {
    let present = request.values(&condition.key).filter(|v| !v.is_empty());
    if condition.operator == Operator::Null {
        return condition
            .values
            .iter()
            .any(|v| match v.to_lowercase().as_str() {
                "true" => present.is_none(),
                "false" => present.is_some(),
                _ => false,
            });
    }
    let Some(values) = present else {
        return match condition.qualifier {
            _ if condition.if_exists => true,
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            None => condition.operator.negated(),
        };
    };
    let policy_values: Vec<Option<String>> = condition
        .values
        .iter()
        .map(|v| substitute(policy, v, request).map(|tokens| tokens_to_string(&tokens)))
        .collect();
    // A context value satisfies the operator: for a positive one when it matches any policy
    // value, for a negated one when it matches none.
    let satisfies = |value: &str| {
        let any = policy_values
            .iter()
            .flatten()
            .any(|p| base_match(condition.operator, p, value));
        any != condition.operator.negated()
    };
    match condition.qualifier {
        Some(SetQualifier::ForAllValues) => values.iter().all(|v| satisfies(v)),
        Some(SetQualifier::ForAnyValue) => values.iter().any(|v| satisfies(v)),
        None if condition.operator.negated() => values.iter().all(|v| satisfies(v)),
        None => values.iter().any(|v| satisfies(v)),
    }
}

/// Back to text, with literal `*`/`?` from variables kept apart: a `Char('*')` is escaped as
/// a private marker so that glob operators treat it literally.
fn tokens_to_string(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Char('*') => LITERAL_STAR,
            Token::Char('?') => LITERAL_QUESTION,
            Token::Char(c) => *c,
            Token::AnyRun => '*',
            Token::AnyOne => '?',
        })
        .collect()
}

const LITERAL_STAR: char = '\u{E000}';
const LITERAL_QUESTION: char = '\u{E001}';

fn pattern_tokens(pattern: &str) -> Vec<Token> {
    tokens(pattern)
        .into_iter()
        .map(|t| match t {
            Token::Char(LITERAL_STAR) => Token::Char('*'),
            Token::Char(LITERAL_QUESTION) => Token::Char('?'),
            other => other,
        })
        .collect()
}

fn literal(pattern: &str) -> String {
    pattern
        .replace(LITERAL_STAR, "*")
        .replace(LITERAL_QUESTION, "?")
}

/// The operator's comparison without negation: does `value` from the request match `policy`?
fn base_match(operator: Operator, policy: &str, value: &str) -> bool {
    use Operator::*;
    match operator {
        StringEquals | StringNotEquals => literal(policy) == value,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            literal(policy).to_lowercase() == value.to_lowercase()
        }
        StringLike | StringNotLike => matches(&pattern_tokens(policy), value, false),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_match(policy, value),
        NumericEquals | NumericNotEquals => compare(number(policy), number(value), |a, b| a == b),
        NumericLessThan => compare(number(value), number(policy), |v, p| v < p),
        NumericLessThanEquals => compare(number(value), number(policy), |v, p| v <= p),
        NumericGreaterThan => compare(number(value), number(policy), |v, p| v > p),
        NumericGreaterThanEquals => compare(number(value), number(policy), |v, p| v >= p),
        DateEquals | DateNotEquals => compare(date(policy), date(value), |a, b| a == b),
        DateLessThan => compare(date(value), date(policy), |v, p| v < p),
        DateLessThanEquals => compare(date(value), date(policy), |v, p| v <= p),
        DateGreaterThan => compare(date(value), date(policy), |v, p| v > p),
        DateGreaterThanEquals => compare(date(value), date(policy), |v, p| v >= p),
        Bool => literal(policy).eq_ignore_ascii_case(value),
        BinaryEquals => literal(policy) == value,
        IpAddress | NotIpAddress => in_range(&literal(policy), value),
        Null => false,
    }
}

/// AWS compares an ARN condition one colon-delimited component at a time (partition, service,
/// region, account, resource, the last keeping any further colons), each with its own
/// wildcards: `arn:aws:bedrock:*` has four components and matches no full ARN, and a `*` in
/// the account stays in the account.
fn arn_match(policy: &str, value: &str) -> bool {
    let pattern: Vec<&str> = policy.splitn(6, ':').collect();
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    pattern.len() == 6
        && parts.len() == 6
        && pattern
            .iter()
            .zip(&parts)
            .all(|(p, v)| matches(&pattern_tokens(p), v, false))
}

fn compare(a: Option<f64>, b: Option<f64>, op: impl Fn(f64, f64) -> bool) -> bool {
    matches!((a, b), (Some(a), Some(b)) if op(a, b))
}

fn number(text: &str) -> Option<f64> {
    literal(text).trim().parse().ok()
}

/// Seconds since the epoch, from epoch seconds, an ISO 8601 date-time or a plain date.
fn date(text: &str) -> Option<f64> {
    let text = literal(text);
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Some(seconds);
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    DateTime::from_str(&full, Format::DateTime)
        .ok()
        .map(|t| t.as_secs_f64())
}

fn in_range(range: &str, address: &str) -> bool {
    let Ok(address) = IpAddr::from_str(address.trim()) else {
        return false;
    };
    let (network, bits) = match range.split_once('/') {
        Some((network, bits)) => (network, bits.parse::<u32>().ok()),
        None => (range, None),
    };
    match (IpAddr::from_str(network.trim()), address) {
        (Ok(IpAddr::V4(network)), IpAddr::V4(address)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(network) & mask == u32::from(address) & mask
        }
        (Ok(IpAddr::V6(network)), IpAddr::V6(address)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(network) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(document: &str) -> PolicySet {
        PolicySet {
            identity: vec![NamedPolicy {
                name: "p".into(),
                policy: Policy::from_json(document).unwrap(),
            }],
            boundary: None,
        }
    }

    #[test]
    fn names_the_deciding_statement() {
        let policies = set(r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Invoke","Effect":"Allow","Action":"bedrock:InvokeModel*","Resource":"*"},
            {"Sid":"NoWest","Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"}}}]}"#);
        let east = Request::new(
            "bedrock:InvokeModel",
            "arn:aws:bedrock:us-east-1::foundation-model/m",
        )
        .with("aws:RequestedRegion", vec!["us-east-1".into()]);
        let west = Request::new(
            "bedrock:InvokeModel",
            "arn:aws:bedrock:us-west-2::foundation-model/m",
        )
        .with("aws:RequestedRegion", vec!["us-west-2".into()]);
        let allowed = evaluate(&policies, &east);
        assert_eq!(allowed.decision, Decision::Allowed);
        assert_eq!(allowed.matched[0].sid.as_deref(), Some("Invoke"));
        let denied = evaluate(&policies, &west);
        assert_eq!(denied.decision, Decision::ExplicitDeny);
        assert_eq!(
            (denied.matched[0].sid.as_deref(), denied.matched[0].index),
            (Some("NoWest"), 1)
        );
    }

    #[test]
    fn ip_ranges() {
        assert!(in_range("10.0.0.0/8", "10.1.2.3"));
        assert!(!in_range("10.0.0.0/8", "11.0.0.1"));
        assert!(in_range("0.0.0.0/0", "8.8.8.8"));
        assert!(in_range("2001:db8::/32", "2001:db8::1"));
        assert!(!in_range("2001:db8::/32", "10.0.0.1"));
        assert!(!in_range("10.0.0.0/8", "not an address"));
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(date("2026-01-01"), Some(1_767_225_600.0));
        assert_eq!(date("2026-01-01T00:00:00Z"), Some(1_767_225_600.0));
        assert_eq!(date("1767225600"), Some(1_767_225_600.0));
        assert_eq!(date("tomorrow"), None);
    }
}
