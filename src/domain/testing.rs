//! Modelled answers for unit tests: the domain values `aws/` would fill from AWS's answers,
//! built in one line each.

use super::{FoundationModel, InferenceProfile, Invocation, Lifecycle, Region, Route};

pub const ACCOUNT: &str = "123456789012";
pub const SONNET: &str = "anthropic.claude-sonnet-4-6";

pub fn region(name: &str) -> Region {
    name.parse().unwrap()
}

/// An Anthropic model in `us-east-1`'s catalog.
pub fn model(id: &str, status: &str, inference_types: &[&str]) -> FoundationModel {
    FoundationModel {
        id: id.into(),
        arn: format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"),
        name: Some("Claude Sonnet 4.6".into()),
        provider: Some("Anthropic".into()),
        inference_types: inference_types.iter().map(|t| t.to_string()).collect(),
        lifecycle: Lifecycle {
            status: status.into(),
            ..Lifecycle::default()
        },
    }
}

/// An ACTIVE system profile reaching `base` in each of `destinations` (an empty region is the
/// region-less ARN of global profiles).
pub fn profile(id: &str, base: &str, destinations: &[&str]) -> InferenceProfile {
    InferenceProfile {
        id: id.into(),
        arn: format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{id}"),
        name: id.into(),
        kind: "SYSTEM_DEFINED".into(),
        status: "ACTIVE".into(),
        model_arns: destinations
            .iter()
            .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{base}"))
            .collect(),
    }
}

/// A call through `profile`, or on demand by the model's own ID without one.
pub fn invocation(model: FoundationModel, profile: Option<InferenceProfile>) -> Invocation {
    let (model_id, route) = match &profile {
        Some(p) if p.id.starts_with("global.") => (p.id.clone(), Route::Global),
        Some(p) => (p.id.clone(), Route::Geographic),
        None => (model.id.clone(), Route::OnDemand),
    };
    Invocation {
        request: model_id.parse().unwrap(),
        region: region("us-east-1"),
        model,
        model_id,
        profile,
        route,
    }
}

/// Sonnet 4.6 called from `us-east-1` through `us.` with two destination regions.
pub fn sonnet_through_us() -> Invocation {
    invocation(
        model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
        Some(profile(
            &format!("us.{SONNET}"),
            SONNET,
            &["us-east-1", "us-west-2"],
        )),
    )
}
