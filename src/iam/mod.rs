//! IAM policy documents: parse (refusing what AWS would refuse) and evaluate one request against
//! every policy type AWS evaluates (identity, permission boundary, session, resource-based, SCPs
//! and RCPs per organization level), the way AWS documents its evaluation logic, and say which
//! statements of which policy type decided. No AWS calls: callers bring the documents.
//!
//! Written here rather than wrapping `iam-rs`: see the README's IAM section for why.

mod breadth;
mod evaluate;
pub(crate) mod glob;
mod policy;
mod principal;
mod reference;

pub use breadth::{Breadth, breadth};
pub use evaluate::{Decision, Evaluation, Layer, MatchedStatement, PolicySet, Request, evaluate};
pub use policy::{
    Condition, Effect, NamedPolicy, Operator, Policy, PolicyError, PolicyType, Statement,
};
pub use principal::{Caller, CallerKind};
pub use reference::{
    AccessLevel, Action, KeyBase, KeyScope, KeyType, Reference, ResourceType, reference,
};

/// Whether an `Action` pattern (wildcards allowed; IAM compares actions ignoring case) takes
/// in `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob::matches(&glob::tokens(pattern), action, true)
}
