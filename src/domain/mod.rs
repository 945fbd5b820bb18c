//! The things this tool reasons about, in the user's words: regions, what `--model` names,
//! foundation models and inference profiles, quotas, ARNs. `aws/` fills these types from AWS's
//! answers; checks and renderers read them. This module makes no AWS call and imports nothing
//! from `aws/`, `engine/` or `checks/`.

mod arn;
mod bedrock;
mod iam;
mod invocation;
pub mod models;
mod region;
#[cfg(test)]
pub(crate) mod testing;
mod time;

pub use arn::Arn;
pub use bedrock::{
    AdvancedSelector, Availability, BasicSelector, BucketKeeping, CloudWatchDestination, Expiry,
    FoundationModel, InferenceProfile, InvocationLogging, Lifecycle, LogGroup, QuotaRequest,
    ServiceQuota, Trail, TrailSelectors, arn_region,
};
pub use iam::{
    AccountAuthorization, CallerIdentityAnswer, CustomerPolicy, HolderKind, ManagedPolicy,
    PolicyHolder, PolicyVersion, RoleInfo, ServiceCredential, SimulatedDecision,
};
pub use invocation::{INVOKE_ACTIONS, Invocation, Need, Route, needs};
pub use models::{Family, ModelName, ModelRequest};
pub use region::{BEDROCK_REGIONS, Region, RegionSource, home_geography, in_geography};
pub use time::format_time;

/// The closest name, when one is close enough to be a typo.
pub fn closest<'a>(names: impl Iterator<Item = &'a str>, typed: &str) -> Option<&'a str> {
    let typed = typed.to_ascii_lowercase();
    names
        .map(|n| (strsim::jaro_winkler(&typed, &n.to_ascii_lowercase()), n))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}
