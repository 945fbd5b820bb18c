//! The part of `policy validate`'s lint that holds a policy to AWS's IAM service reference
//! (`iam::reference`): actions that do not exist, resources an action cannot be granted on,
//! condition keys no request carries and operators of the wrong type for their key; and the
//! size limits IAM puts on a policy document.

use std::collections::BTreeSet;

use serde_json::Value;

use super::rule::Rule;
use super::validate::{Problem, Severity};
use crate::domain::closest;
use crate::iam::{
    Action, Condition, KeyBase, Operator, Reference, Statement, action_matches, reference,
};

/// Prefixes people write for Bedrock that IAM does not have (its API endpoints' names); the
/// reference knows them only as absent, not as what was meant.
const WRONG_PREFIXES: &[&str] = &[
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
    "bedrock-data-automation",
    "bedrock-data-automation-runtime",
];

/// IAM's limits on a policy's characters, whitespace not counted (the messages write them
/// out).
const MANAGED_LIMIT: usize = 6_144;
const USER_INLINE_LIMIT: usize = 2_048;
const ROLE_INLINE_LIMIT: usize = 10_240;

/// Problems of one statement against the reference.
pub(super) fn statement_problems(statement: &Statement) -> Vec<Problem> {
    let reference = reference();
    let mut out = Vec::new();
    let mut at = |rule, severity, message: String| {
        out.push(Problem {
            rule,
            severity,
            statement: Some(statement.name()),
            message,
        })
    };
    // Each Action value with the actions it stands for, when the reference carries its
    // service; `explicit` when it names one action, not a wildcard.
    let mut judged: Vec<(&str, bool, Vec<&Action>)> = Vec::new();
    for value in &statement.actions.values {
        match action_problem(reference, value) {
            Some((rule, severity, message)) => at(rule, severity, message),
            None => {
                let actions = reference.expand(value);
                if !actions.is_empty() && value != "*" {
                    judged.push((value, !value.contains(['*', '?']), actions));
                }
            }
        }
    }
    // NotAction grants what it does not name: what it names says nothing of resources.
    if statement.actions.negated {
        return out;
    }
    let resources = &statement.resources;
    if !resources.negated && !resources.values.is_empty() {
        for (rule, message) in resource_problems(reference, &judged, &resources.values) {
            at(rule, Severity::Error, message);
        }
    }
    for condition in &statement.conditions {
        for (value, explicit, actions) in &judged {
            if actions
                .iter()
                .all(|a| reference.key_scope(a, &condition.key).is_none())
            {
                let whose = if *explicit {
                    format!("{value}, its resource types or its service")
                } else {
                    format!("any action {value} stands for")
                };
                at(
                    Rule::UnknownConditionKey,
                    Severity::Warning,
                    format!(
                        "{} is not a condition key of {whose}, nor a global key: no {value} request carries it, so the condition never matches",
                        condition.key
                    ),
                );
            }
        }
        if let Some(message) = operator_problem(reference, condition) {
            at(Rule::ConditionOperatorType, Severity::Error, message);
        }
    }
    out
}

/// The problem of one `Action` value, before its resources are looked at.
fn action_problem(reference: &Reference, action: &str) -> Option<(Rule, Severity, String)> {
    let (prefix, name) = action.split_once(':')?;
    if WRONG_PREFIXES.contains(&prefix.to_ascii_lowercase().as_str()) {
        return Some((
            Rule::UnknownServicePrefix,
            Severity::Error,
            format!(
                "{action}: IAM has no {prefix}: prefix, so this grants nothing; Bedrock's actions are bedrock:{name}"
            ),
        ));
    }
    if !reference.has_prefix(prefix) {
        return Some((
            Rule::UnknownServicePrefix,
            Severity::Warning,
            format!("{action}: IAM has no service {prefix}; check its spelling"),
        ));
    }
    let service = reference.service(prefix)?;
    // The API's name for an operation IAM authorizes under another action: the reference
    // lists what exists, not what people confuse it with.
    if prefix.eq_ignore_ascii_case("bedrock")
        && (name.eq_ignore_ascii_case("Converse") || name.eq_ignore_ascii_case("ConverseStream"))
    {
        let instead = if name.len() > "Converse".len() {
            "bedrock:InvokeModelWithResponseStream"
        } else {
            "bedrock:InvokeModel"
        };
        return Some((
            Rule::UnknownAction,
            Severity::Error,
            format!("{action} is not an IAM action: the {name} API is authorized as {instead}"),
        ));
    }
    if !reference.expand(action).is_empty() {
        return None;
    }
    let hint = closest(service.actions().map(|a| a.name.as_str()), name)
        .map(|n| format!("; did you mean {}:{n}?", service.name))
        .unwrap_or_default();
    Some((
        Rule::UnknownAction,
        Severity::Error,
        format!(
            "{action} matches no {} action in AWS's reference: it grants or denies nothing{hint}",
            service.name
        ),
    ))
}

/// Why a requested action (not a pattern: `policy evaluate --action`) names nothing IAM
/// authorizes: a service IAM does not have, or an action the reference's service lacks, with
/// the closest name. None when it exists, or its service is not carried in the reference.
pub fn unknown_request_action(action: &str) -> Option<String> {
    let reference = reference();
    let (prefix, name) = action.split_once(':')?;
    if action.contains(['*', '?']) {
        return None;
    }
    if !reference.has_prefix(prefix) {
        let hint = closest(reference.prefixes(), prefix)
            .map(|p| format!(": did you mean {p}:{name}?"))
            .unwrap_or_default();
        return Some(format!("'{action}': IAM has no service '{prefix}'{hint}"));
    }
    let service = reference.service(prefix)?;
    if reference.action(action).is_some() {
        return None;
    }
    let hint = closest(service.actions().map(|a| a.name.as_str()), name)
        .map(|n| format!(": did you mean {}:{n}?", service.name))
        .unwrap_or_else(|| {
            format!(
                ": see the {} actions in AWS's Service Authorization Reference",
                service.name
            )
        });
    Some(format!("'{action}' is not an IAM action{hint}"))
}

/// Actions granted on resources they cannot be granted on. A statement may list actions
/// and ARNs of several types (GetRole and GetUser on roles and users): a mismatch is an ARN
/// no action of the statement takes, or an action no ARN of the statement fits.
fn resource_problems(
    reference: &Reference,
    judged: &[(&str, bool, Vec<&Action>)],
    resources: &[String],
) -> Vec<(Rule, String)> {
    let mut out = Vec::new();
    // A request for an action with no resource type is authorized against "*".
    let covers_star = resources.iter().any(|r| action_matches(r, "*"));
    let all: Vec<&Action> = judged
        .iter()
        .flat_map(|(_, _, actions)| actions.iter().copied())
        .collect();
    // Each resource against each resource type once, not once per action: `bedrock:*` on a
    // long list of ARNs stays quick.
    let types: BTreeSet<(&str, &str)> = all
        .iter()
        .flat_map(|a| {
            a.resource_types
                .iter()
                .map(|t| (a.service.as_str(), t.name.as_str()))
        })
        .collect();
    let admitted: Vec<BTreeSet<(&str, &str)>> = resources
        .iter()
        .map(|r| {
            types
                .iter()
                .filter(|(service, name)| {
                    // A type the data does not define cannot be judged: take it as named.
                    reference
                        .resource_type_in(service, name)
                        .is_none_or(|t| t.admits(r))
                })
                .copied()
                .collect()
        })
        .collect();
    let fits = |actions: &[&Action], resource: usize| {
        actions.iter().any(|a| {
            a.resource_types
                .iter()
                .any(|t| admitted[resource].contains(&(a.service.as_str(), t.name.as_str())))
        })
    };
    for (value, explicit, actions) in judged {
        if covers_star {
            continue;
        }
        if actions.iter().all(|a| a.takes_no_resource()) {
            let names: Vec<String> = actions.iter().map(|a| a.full_name()).collect();
            out.push((
                Rule::ResourceStarRequired,
                format!(
                    "{} takes no resource type, so AWS authorizes it against \"*\" and this statement, which names only ARNs, never grants or denies it; give it a statement of its own with \"Resource\": \"*\"",
                    names.join(", ")
                ),
            ));
        } else if !(0..resources.len()).any(|r| fits(actions, r)) {
            let takes = if *explicit {
                let names: Vec<&str> = actions[0]
                    .resource_types
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                format!("it takes {}", names.join(", "))
            } else {
                "no action it stands for takes any of them".to_string()
            };
            out.push((
                Rule::ResourceTypeMismatch,
                format!(
                    "{value}: none of the statement's resources is of a type it can be granted on ({takes}), so the statement does nothing for it"
                ),
            ));
        }
    }
    // With one Action value already named as fitting no resource, naming the resources too
    // would say the same thing twice.
    if all.iter().all(|a| a.takes_no_resource()) || (judged.len() == 1 && !out.is_empty()) {
        return out;
    }
    let unfit: Vec<&str> = resources
        .iter()
        .enumerate()
        .filter(|(i, r)| !action_matches(r, "*") && !fits(&all, *i))
        .map(|(_, r)| r.as_str())
        .collect();
    if !unfit.is_empty() {
        out.push((
            Rule::ResourceTypeMismatch,
            format!(
                "{}: no action of the statement can be granted on {}, so it does nothing there",
                unfit.join(", "),
                if unfit.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    out
}

/// A condition whose operator cannot compare the key's type: it never matches (or, negated,
/// always does). Only clear cases: `StringEquals` on an ARN key is common and works.
fn operator_problem(reference: &Reference, condition: &Condition) -> Option<String> {
    use Operator::*;
    let kind = reference.key_type(&condition.key)?;
    let family = match condition.operator {
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => "Numeric",
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => "Date",
        Bool => "Bool",
        IpAddress | NotIpAddress => "IpAddress",
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => "Arn",
        _ => return None,
    };
    let fits = match (family, kind.base) {
        (_, KeyBase::Other | KeyBase::Binary) => true,
        // Date keys such as aws:EpochTime also take epoch seconds.
        ("Numeric", KeyBase::Numeric | KeyBase::Date) => true,
        ("Date", KeyBase::Date | KeyBase::Numeric) => true,
        ("Bool", KeyBase::Bool) => true,
        ("IpAddress", KeyBase::IpAddress) => true,
        ("Arn", KeyBase::Arn) => true,
        // The reference types some ARN-valued keys as String (bedrock-mantle:ProjectArn).
        ("Arn", KeyBase::String) => condition.key.to_ascii_lowercase().ends_with("arn"),
        _ => false,
    };
    (!fits).then(|| {
        format!(
            "{} on {}: the key is of type {}, which a {family} operator cannot compare, so the condition never matches",
            operator_name(condition.operator),
            condition.key,
            key_base_name(kind.base)
        )
    })
}

fn operator_name(operator: Operator) -> String {
    format!("{operator:?}")
}

fn key_base_name(base: KeyBase) -> &'static str {
    match base {
        KeyBase::String => "String",
        KeyBase::Arn => "ARN",
        KeyBase::Numeric => "Numeric",
        KeyBase::Bool => "Bool",
        KeyBase::Date => "Date",
        KeyBase::IpAddress => "IPAddress",
        KeyBase::Binary => "Binary",
        KeyBase::Other => "unknown",
    }
}

/// IAM's size limits. Above a role's inline limit no identity policy takes it (an error);
/// above the managed policy's only a role's inline policies do, which validate cannot know
/// is the use (a warning, as is going over an inline limit).
pub(super) fn size_problems(document: &Value) -> Vec<Problem> {
    let size = document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    let mut out = Vec::new();
    if size > MANAGED_LIMIT {
        let anywhere = size > ROLE_INLINE_LIMIT;
        out.push(Problem {
            rule: Rule::PolicyTooLarge,
            severity: if anywhere {
                Severity::Error
            } else {
                Severity::Warning
            },
            statement: None,
            message: format!(
                "{size} characters (whitespace not counted): IAM refuses a managed policy over 6,144 \
                 (policy apply creates one){}; split it into several policies",
                if anywhere {
                    ""
                } else {
                    ", and takes it only as a role's inline policy"
                }
            ),
        });
    }
    let exceeded: Vec<&str> = [
        (USER_INLINE_LIMIT, "a user's inline policy (2,048)"),
        (ROLE_INLINE_LIMIT, "a role's inline policy (10,240)"),
    ]
    .iter()
    .filter(|(limit, _)| size > *limit)
    .map(|(_, what)| *what)
    .collect();
    if !exceeded.is_empty() {
        out.push(Problem {
            rule: Rule::InlinePolicyTooLarge,
            severity: Severity::Warning,
            statement: None,
            message: format!(
                "{size} characters (whitespace not counted): too large for {}",
                exceeded.join(" or ")
            ),
        });
    }
    out
}
