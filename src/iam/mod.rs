//! IAM policy documents: parse (refusing what AWS would refuse) and evaluate identity policies
//! and permission boundaries for one request, the way AWS documents its evaluation logic, and
//! say which statements decided. No AWS calls: callers bring the documents.
//!
//! Written here rather than wrapping `iam-rs`: see the README's IAM section for why.

mod breadth;
mod evaluate;
mod glob;
mod policy;

pub use breadth::{Breadth, breadth};
pub use evaluate::{Decision, Evaluation, MatchedStatement, PolicySet, Request, evaluate};
pub use policy::{Effect, NamedPolicy, Policy, PolicyError, Statement};

/// Whether an `Action` pattern (wildcards allowed; IAM compares actions ignoring case) takes
/// in `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob::matches(&glob::tokens(pattern), action, true)
}
