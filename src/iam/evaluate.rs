//! Evaluation of one request the way AWS documents it ("How AWS enforcement code logic
//! evaluates requests"): an explicit Deny in any policy wins; then every level of the resource
//! control policies and of the service control policies must allow; a resource-based policy
//! that names the caller directly allows on its own in the same account; otherwise the identity
//! policies, the permission boundary and the session policy must each allow, and across
//! accounts the resource-based policy too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::glob::{Token, matches, tokens};
use super::policy::{
    Condition, Effect, Elements, NamedPolicy, Operator, Policy, PolicyType, PrincipalEntry,
    SetQualifier, Statement,
};
use super::principal::{Caller, CallerKind, Grant};
use crate::domain::Arn;

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
/// may carry several values), the caller when known, and the account owning the resource when
/// its ARN does not say.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    context: HashMap<String, Vec<String>>,
    caller: Option<Caller>,
    resource_account: Option<String>,
}

impl Request {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Request {
            action: action.into(),
            resource: resource.into(),
            ..Request::default()
        }
    }

    pub fn with(mut self, key: &str, values: Vec<String>) -> Self {
        self.context
            .entry(key.to_lowercase())
            .or_default()
            .extend(values);
        self
    }

    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    pub fn with_resource_account(mut self, account: impl Into<String>) -> Self {
        self.resource_account = Some(account.into());
        self
    }

    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
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

    /// The account that owns the resource: as given, else the resource ARN's.
    fn owner(&self) -> Option<String> {
        self.resource_account.clone().or_else(|| {
            self.resource
                .parse::<Arn>()
                .ok()
                .and_then(|arn| arn.account().map(str::to_string))
        })
    }

    /// The global keys AWS sets from the caller and the resource, where the request does
    /// not give them itself.
    fn with_global_keys(&self) -> Request {
        let mut request = self.clone();
        let mut set = |key: &str, value: Option<String>| {
            if let Some(value) = value
                && request.values(key).is_none()
            {
                request.context.insert(key.to_lowercase(), vec![value]);
            }
        };
        if let Some(caller) = &self.caller {
            set("aws:PrincipalArn", caller.principal_arn());
            set("aws:PrincipalAccount", caller.account().map(str::to_string));
            set(
                "aws:PrincipalType",
                caller.principal_type().map(str::to_string),
            );
            set(
                "aws:PrincipalIsAWSService",
                Some((caller.kind() == CallerKind::Service).to_string()),
            );
            if caller.kind() == CallerKind::Service {
                set(
                    "aws:PrincipalServiceName",
                    Some(caller.as_str().to_string()),
                );
            }
        }
        set("aws:ResourceAccount", self.owner());
        request
    }
}

/// Every policy that applies to a request. `scps` and `rcps` hold one entry per level of the
/// organization, root first (an SCP level without an Allow denies everything; an RCP level
/// never does, since AWS keeps `RCPFullAWSAccess` attached at every level); empty when the
/// account is in no organization or the level's policies do not apply (the management
/// account). `session` is empty when no session policy was passed.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    pub session: Vec<NamedPolicy>,
    pub resource: Option<NamedPolicy>,
    pub scps: Vec<Vec<NamedPolicy>>,
    pub rcps: Vec<Vec<NamedPolicy>>,
}

impl PolicySet {
    /// Identity policies alone.
    pub fn identity(identity: Vec<NamedPolicy>) -> PolicySet {
        PolicySet {
            identity,
            ..PolicySet::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedStatement {
    pub policy: String,
    pub sid: Option<String>,
    /// Position in the policy's Statement list, from 0.
    pub index: usize,
    pub effect: Effect,
    pub source: PolicyType,
    /// The organization level of an SCP or RCP, root = 1.
    pub level: Option<usize>,
}

impl MatchedStatement {
    /// How a finding names it: the policy type where it is not an identity policy, the
    /// policy, and the Sid or else the position.
    pub fn label(&self) -> String {
        let statement = match &self.sid {
            Some(sid) => format!("{} (Sid {sid})", self.policy),
            None => format!("{} (statement {})", self.policy, self.index + 1),
        };
        match self.source {
            PolicyType::Identity => statement,
            other => format!("{} {statement}", other.describe()),
        }
    }
}

/// The layer whose policies denied: the first explicit Deny's, or for an implicit deny the
/// first layer AWS found no Allow in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    pub source: PolicyType,
    pub level: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The statements that decided: the Denies for an explicit deny, the Allows of every
    /// layer that had to allow for an allow, none for an implicit deny.
    pub matched: Vec<MatchedStatement>,
    /// `None` when allowed.
    pub denied_by: Option<Layer>,
}

/// Actions AWS authorizes whatever the policies say, an explicit deny included: "No
/// permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
const ALWAYS_ALLOWED: &[&str] = &["sts:GetCallerIdentity"];

/// What one layer's statements said of the request.
struct Said {
    layer: Layer,
    denies: Vec<MatchedStatement>,
    allows: Vec<MatchedStatement>,
    /// For a resource-based policy: how directly its Allows name the caller.
    grant: Option<Grant>,
}

pub fn evaluate(set: &PolicySet, request: &Request) -> Evaluation {
    if ALWAYS_ALLOWED
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&request.action))
    {
        return Evaluation {
            decision: Decision::Allowed,
            matched: Vec::new(),
            denied_by: None,
        };
    }
    let request = &request.with_global_keys();
    let caller = request.caller.as_ref();
    let cross_account = match (caller.and_then(Caller::account), request.owner()) {
        (Some(own), Some(owner)) => own != owner,
        _ => false,
    };
    let service_linked = caller.is_some_and(Caller::is_service_linked);
    // SCPs limit the principals of member accounts; RCPs the resources of member accounts.
    // Neither touches a service-linked role, and SCPs do not bind AWS services.
    let scps_apply = !service_linked && !caller.is_some_and(|c| c.kind() == CallerKind::Service);
    let rcps_apply = !service_linked;
    let has_boundary = set.boundary.is_some();
    let scan = |policies: &[NamedPolicy], source: PolicyType, level: Option<usize>| {
        scan(policies, Layer { source, level }, request, has_boundary)
    };

    // Each organization level is a layer of its own: all of them must allow.
    let levels = |levels: &[Vec<NamedPolicy>], source: PolicyType, apply: bool| -> Vec<Said> {
        levels
            .iter()
            .enumerate()
            .filter(|_| apply)
            .map(|(i, level)| scan(level, source, Some(i + 1)))
            .collect()
    };
    let rcps = levels(&set.rcps, PolicyType::Rcp, rcps_apply);
    let scps = levels(&set.scps, PolicyType::Scp, scps_apply);
    let resource = set
        .resource
        .as_ref()
        .map(|p| scan(std::slice::from_ref(p), PolicyType::Resource, None));
    let identity = scan(&set.identity, PolicyType::Identity, None);
    let boundary = set
        .boundary
        .as_ref()
        .map(|p| scan(std::slice::from_ref(p), PolicyType::Boundary, None));
    let session = (!set.session.is_empty()).then(|| scan(&set.session, PolicyType::Session, None));

    let layers: Vec<&Said> = rcps
        .iter()
        .chain(&scps)
        .chain(&resource)
        .chain(std::iter::once(&identity))
        .chain(&boundary)
        .chain(&session)
        .collect();
    if let Some(first) = layers.iter().find(|s| !s.denies.is_empty()) {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            matched: layers.iter().flat_map(|s| s.denies.clone()).collect(),
            denied_by: Some(first.layer),
        };
    }
    let implicit = |layer: Layer| Evaluation {
        decision: Decision::ImplicitDeny,
        matched: Vec::new(),
        denied_by: Some(layer),
    };
    let resource_layer = Layer {
        source: PolicyType::Resource,
        level: None,
    };
    // RCPFullAWSAccess cannot be detached from any level, so only an RCP's explicit Deny
    // denies; an SCP level needs an Allow of its own.
    if let Some(level) = scps.iter().find(|s| s.allows.is_empty()) {
        return implicit(level.layer);
    }
    let allowed = |parts: &[Option<&Said>]| Evaluation {
        decision: Decision::Allowed,
        matched: parts
            .iter()
            .flatten()
            .copied()
            .chain(&rcps)
            .chain(&scps)
            .flat_map(|s| s.allows.clone())
            .collect(),
        denied_by: None,
    };
    let allows = |said: &Option<Said>| said.as_ref().is_none_or(|s| !s.allows.is_empty());
    // The root user is not limited by IAM policies, and has neither boundary nor session.
    let root = caller.is_some_and(|c| c.kind() == CallerKind::Root);
    let boundary_ok = root || allows(&boundary);
    let session_ok = root || allows(&session);
    let grant = resource.as_ref().and_then(|s| s.grant);
    if !cross_account {
        match grant {
            Some(Grant::Direct) => return allowed(&[resource.as_ref()]),
            Some(Grant::Role) if boundary_ok && session_ok => {
                return allowed(&[resource.as_ref(), boundary.as_ref(), session.as_ref()]);
            }
            // The grant needs no identity policy, so what it lacks is the boundary's or the
            // session policy's allow.
            Some(Grant::Role) => {
                let missing = if boundary_ok { &session } else { &boundary };
                return implicit(missing.as_ref().map_or(resource_layer, |s| s.layer));
            }
            _ => {}
        }
    }
    // An AWS service has no identity policies: only a resource-based policy can let it in.
    if caller.is_some_and(|c| c.kind() == CallerKind::Service) {
        return implicit(resource_layer);
    }
    if !root && identity.allows.is_empty() {
        return implicit(identity.layer);
    }
    for (ok, said) in [(boundary_ok, &boundary), (session_ok, &session)] {
        if let (false, Some(said)) = (ok, said) {
            return implicit(said.layer);
        }
    }
    if grant.is_none() && (cross_account || (set.resource.is_some() && must_allow(&request.action)))
    {
        return implicit(resource_layer);
    }
    allowed(&[
        Some(&identity),
        boundary.as_ref(),
        session.as_ref(),
        resource.as_ref().filter(|_| grant.is_some()),
    ])
}

/// "IAM role trust policies and KMS key policies must explicitly allow access for principals"
/// (AWS's evaluation logic): for these, an identity grant alone is not enough in the same
/// account either. A key policy that names the account delegates to identity policies.
fn must_allow(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    action.starts_with("kms:")
        || [
            "sts:assumerole",
            "sts:assumerolewithsaml",
            "sts:assumerolewithwebidentity",
            "sts:tagsession",
            "sts:setsourceidentity",
            "sts:setcontext",
        ]
        .contains(&action.as_str())
}

fn scan(policies: &[NamedPolicy], layer: Layer, request: &Request, has_boundary: bool) -> Said {
    let mut said = Said {
        layer,
        denies: Vec::new(),
        allows: Vec::new(),
        grant: None,
    };
    for named in policies {
        for statement in &named.policy.statements {
            if !applies(&named.policy, statement, request) {
                continue;
            }
            let mut grant = None;
            if let Some(principals) = &statement.principals {
                let applies_to_caller = match &request.caller {
                    Some(caller) if statement.effect == Effect::Allow => {
                        grant = caller.granted_by(principals);
                        grant.is_some()
                    }
                    Some(caller) => caller.is_subject_of(principals, has_boundary),
                    // An unknown caller is named only by "*"; a NotPrincipal Deny binds it.
                    None => {
                        principals.negated || principals.entries.contains(&PrincipalEntry::Anyone)
                    }
                };
                if !applies_to_caller {
                    continue;
                }
                if request.caller.is_none() && !principals.negated {
                    grant = Some(Grant::Direct);
                }
            }
            let matched = MatchedStatement {
                policy: named.name.clone(),
                sid: statement.sid.clone(),
                index: statement.index,
                effect: statement.effect,
                source: layer.source,
                level: layer.level,
            };
            match statement.effect {
                Effect::Deny => said.denies.push(matched),
                Effect::Allow => {
                    said.allows.push(matched);
                    said.grant = said.grant.max(grant);
                }
            }
        }
    }
    said
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
        PolicySet::identity(vec![NamedPolicy {
            name: "p".into(),
            policy: Policy::from_json(document).unwrap(),
        }])
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
