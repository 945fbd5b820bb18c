//! `profiles.resolve`: how each target model is to be called from each region. A model
//! without ON_DEMAND must be called through an inference profile (Bedrock's "on-demand
//! throughput isn't supported" error, caught before it happens); a profile must be one the
//! region offers. Provides the `Invocations` that quotas, the probe and IAM checks use.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::facts::{Invocations, ModelTarget, ModelTargets};
use crate::domain::models::preferred_profile;
use crate::domain::{FoundationModel, InferenceProfile, Invocation, ModelName, Region, Route};
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Kind, Remediation, Severity,
};
use crate::shell::sh;

check! {
    ProfilesResolve = "profiles.resolve" {
        title: "Inference profile",
        description: "The inference profile to call each model through from each region (a model \
                      without ON_DEMAND needs one; a profile must be offered in the region), with \
                      the profile's destination regions",
        commands: [Doctor],
        depends_on: ["models.lifecycle"],
        after: [],
        severity: High,
        kinds: {
            /// How to call the model from the region is known: by its own ID on demand, or through
            /// an ACTIVE inference profile, either a geographic (`us.`, `eu.`, ...) or `global.`
            /// profile the region offers or an application profile. The finding gives the ID to
            /// pass as `modelId` and the regions the call may be served in; quotas.inference,
            /// iam.invoke and runtime.probe use them.
            RESOLVED = "route-resolved",
            /// The model was named by its base ID, but in this region it supports no on-demand
            /// throughput, so calls with that ID fail with "Invocation of model ID ... with
            /// on-demand throughput isn't supported. Retry your request with the ID or ARN of an
            /// inference profile that contains this model." Call it through the inference profile
            /// the remediation names (`--model`, `modelId` in code, `ANTHROPIC_MODEL` for Claude
            /// Code).
            NEEDS_PROFILE = "needs-inference-profile",
            /// The region does not offer this inference profile: its prefix names another geography
            /// (an `eu.` profile from us-east-1, say), and such calls fail with "The provided model
            /// identifier is invalid." Use the region's own profile for the model (the remediation
            /// names it), or call the profile from a region of its geography.
            NOT_OFFERED = "profile-not-offered",
            /// A family (`sonnet`, `opus`, `haiku`) was asked for, and the region offers no
            /// inference profile for its newest model, which has no on-demand throughput there
            /// either, so it cannot be called from this region. Check a region of another geography
            /// (`--region us-east-1`), or name another model with `--model`.
            NO_ROUTE = "no-route",
            /// The inference profile's status is not ACTIVE, so calls through it cannot be counted
            /// on. Look at it with `aws bedrock get-inference-profile` (the remediation has the
            /// command) and use an ACTIVE profile.
            NOT_ACTIVE = "profile-not-active",
            /// The inference profile lists no destination models, so where calls through it are
            /// served is unknown, and permissions and quotas cannot be judged. It is an answer
            /// Bedrock is not expected to give: look at the profile with
            /// `aws bedrock get-inference-profile`.
            NO_DESTINATIONS = "no-destinations",
        },
    }
}

#[async_trait]
impl Check for ProfilesResolve {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        // Application profiles are resolved without the list.
        let listed = cx
            .scope
            .models
            .iter()
            .any(|m| !matches!(m.name, ModelName::ApplicationProfile(_)));
        if listed {
            super::prefetch_per_region(cx, |region| cx.aws.inference_profiles(region)).await;
        }
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let targets = cx.require::<ModelTargets>()?;
        let results = join_all(targets.list.iter().map(|target| async move {
            let finding_and_plan = match &target.application_profile {
                Some(profile) => application(target, profile),
                None => match cx.aws.inference_profiles(&target.region).await {
                    Ok(profiles) => system(target, &profiles),
                    Err(error) => (Finding::aws_error(&META, &error), None),
                },
            };
            let (finding, plan) = finding_and_plan;
            (
                finding
                    .region(target.region.as_str())
                    .evidence("request", target.request.to_string()),
                plan,
            )
        }))
        .await;
        let mut findings = Vec::new();
        let mut invocations = Invocations::default();
        for (finding, plan) in results {
            findings.push(finding);
            invocations.list.extend(plan);
        }
        cx.provide(invocations);
        Ok(findings)
    }
}

fn application(target: &ModelTarget, profile: &InferenceProfile) -> (Finding, Option<Invocation>) {
    let invocation = Invocation {
        request: target.request.clone(),
        region: target.region.clone(),
        model: target.model.clone(),
        model_id: profile.arn.clone(),
        profile: Some(profile.clone()),
        route: Route::Application,
    };
    usable(
        invocation,
        format!(
            "Call {} through application inference profile {}",
            target.model.id, profile.name
        ),
    )
}

fn system(target: &ModelTarget, profiles: &[InferenceProfile]) -> (Finding, Option<Invocation>) {
    let model = &target.model;
    let region = &target.region;
    let suggestion = preferred_profile(profiles, &model.id);
    let through = |profile: &InferenceProfile| Invocation {
        request: target.request.clone(),
        region: region.clone(),
        model: model.clone(),
        model_id: profile.id.clone(),
        profile: Some(profile.clone()),
        route: if profile.id.starts_with("global.") {
            Route::Global
        } else {
            Route::Geographic
        },
    };
    let on_demand = || Invocation {
        request: target.request.clone(),
        region: region.clone(),
        model: model.clone(),
        model_id: model.id.clone(),
        profile: None,
        route: Route::OnDemand,
    };
    match &target.request.name {
        ModelName::Profile { id, .. } => named_profile(id, profiles, model, region, suggestion, through),
        ModelName::Generation {
            prefix: Some(prefix),
            ..
        } => named_profile(&format!("{prefix}.{}", model.id), profiles, model, region, suggestion, through),
        ModelName::BaseId(_) if model.supports_on_demand() => {
            usable(on_demand(), format!("Call {} by its model ID, on demand in {region}", model.id))
        }
        ModelName::BaseId(_) => {
            let types = model.inference_types.join(", ");
            let message = format!(
                "Invocation of model ID {} with on-demand throughput isn't supported: in {region} it supports only {types}, so \
                 calling it by its model ID fails",
                model.id
            );
            let fix = match suggestion {
                Some(profile) => format!(
                    "Call it through the inference profile {}: {}; in code modelId={}; for Claude Code {}",
                    profile.id,
                    sh!["--model", profile.id],
                    serde_json::Value::from(profile.id.as_str()),
                    sh![format!("ANTHROPIC_MODEL={}", profile.id)]
                ),
                None => format!("No inference profile for {} is offered from {region}: use a region that has one", model.id),
            };
            let finding = Finding::fail(
                &META,
                kind::NEEDS_PROFILE,
                Severity::High,
                "Model needs an inference profile",
                message,
                Remediation::new(fix),
            )
                .resource(model.arn.clone())
                .evidence("inference_types", model.inference_types.clone());
            (with_alternative(finding, suggestion), None)
        }
        ModelName::Family(_) | ModelName::Generation { prefix: None, .. } => match suggestion {
            Some(profile) => usable(through(profile), format!("Call {} through {}", model.id, profile.id)),
            None if model.supports_on_demand() => {
                usable(on_demand(), format!("Call {} by its model ID, on demand in {region}", model.id))
            }
            None => (
                Finding::fail(
                    &META,
                    kind::NO_ROUTE,
                    Severity::High,
                    "No way to call the model from this region",
                    format!("{region} offers no inference profile for {}, and the model has no on-demand throughput there", model.id),
                    Remediation::new("Check a region of another geography (--region us-east-1), or name another model with --model"),
                )
                .resource(model.arn.clone()),
                None,
            ),
        },
        ModelName::ApplicationProfile(_) => (
            Finding::error(
                &META,
                Kind::INTERNAL,
                "internal error: application profile without its description",
            ),
            None,
        ),
    }
}

/// The route through the system profile `id`, which must be one the region offers.
fn named_profile(
    id: &str,
    profiles: &[InferenceProfile],
    model: &FoundationModel,
    region: &Region,
    suggestion: Option<&InferenceProfile>,
    through: impl Fn(&InferenceProfile) -> Invocation,
) -> (Finding, Option<Invocation>) {
    match profiles.iter().find(|p| p.id == id) {
        Some(profile) => usable(through(profile), format!("Call {} through {id}", model.id)),
        None => {
            let fix = match suggestion {
                Some(other) => format!(
                    "Call it as {} from {region} ({}; for Claude Code {}), or call {id} from a region of its geography",
                    other.id,
                    sh!["--model", other.id],
                    sh![format!("ANTHROPIC_MODEL={}", other.id)]
                ),
                None => format!(
                    "No profile for {} is offered from {region}: call {id} from a region of its geography",
                    model.id
                ),
            };
            let finding = Finding::fail(
                &META,
                kind::NOT_OFFERED,
                Severity::High,
                "Inference profile not offered from this region",
                format!("{region} does not offer the inference profile {id}; its prefix names another geography"),
                Remediation::new(fix),
            )
            .resource(id.to_string());
            (with_alternative(finding, suggestion), None)
        }
    }
}

/// A pass for a plan whose profile (if any) is ACTIVE and reaches at least one model.
fn usable(invocation: Invocation, message: String) -> (Finding, Option<Invocation>) {
    if let Some(profile) = &invocation.profile {
        if profile.status != "ACTIVE" {
            let finding = Finding::fail(
                &META,
                kind::NOT_ACTIVE,
                Severity::High,
                "Inference profile is not active",
                format!("{} has status '{}'", profile.id, profile.status),
                Remediation::new(sh![
                    "aws",
                    "bedrock",
                    "get-inference-profile",
                    "--inference-profile-identifier",
                    profile.arn,
                    "--region",
                    invocation.region
                ]),
            )
            .resource(profile.arn.clone());
            return (finding, None);
        }
        if profile.model_arns.is_empty() {
            return (
                Finding::error(
                    &META,
                    kind::NO_DESTINATIONS,
                    format!("{} lists no destination models", profile.id),
                )
                .resource(profile.arn.clone()),
                None,
            );
        }
    }
    let destinations = invocation.destination_regions();
    let mut text = message;
    if invocation.profile.is_some() {
        text.push_str(&format!(
            "; it may be served in {}",
            destinations.join(", ")
        ));
    }
    let resource = invocation
        .profile
        .as_ref()
        .map(|p| p.arn.clone())
        .unwrap_or_else(|| invocation.model.arn.clone());
    let mut finding = Finding::pass(&META, kind::RESOLVED, "Inference route resolved", text)
        .resource(resource)
        .evidence("model_id", invocation.model_id.clone())
        .evidence("route", invocation.route.as_str())
        .evidence("destination_regions", destinations)
        .evidence("model_arns", invocation.model_arns());
    if let Some(profile) = &invocation.profile {
        finding = finding
            .evidence("profile_id", profile.id.clone())
            .evidence("profile_arn", profile.arn.clone());
    }
    (finding, Some(invocation))
}

fn with_alternative(finding: Finding, suggestion: Option<&InferenceProfile>) -> Finding {
    match suggestion {
        Some(profile) => finding.evidence("suggested_profile_id", profile.id.clone()),
        None => finding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{SONNET, model, profile, target};
    use crate::engine::Status;

    fn profiles() -> Vec<InferenceProfile> {
        vec![
            profile(&format!("global.{SONNET}"), SONNET, &["", "us-east-1"]),
            profile(
                &format!("us.{SONNET}"),
                SONNET,
                &["us-east-1", "us-east-2", "us-west-2"],
            ),
        ]
    }

    #[test]
    fn a_family_goes_through_the_regional_geography_with_its_destinations() {
        let t = target("sonnet", model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]));
        let (finding, invocation) = system(&t, &profiles());
        assert_eq!(finding.code(), "profiles.resolve/route-resolved");
        let invocation = invocation.unwrap();
        assert_eq!(invocation.model_id, format!("us.{SONNET}"));
        assert_eq!(invocation.route, Route::Geographic);
        assert_eq!(
            invocation.destination_regions(),
            ["us-east-1", "us-east-2", "us-west-2"]
        );
        assert_eq!(finding.evidence["route"], "geographic-profile");
    }

    #[test]
    fn a_profile_only_model_called_by_its_id_fails_with_the_profile_to_use() {
        let t = target(SONNET, model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]));
        let (finding, invocation) = system(&t, &profiles());
        assert!(invocation.is_none());
        assert_eq!(finding.code(), "profiles.resolve/needs-inference-profile");
        assert!(
            finding
                .message
                .contains("on-demand throughput isn't supported")
        );
        assert!(
            finding
                .remediation
                .unwrap()
                .contains(&format!("--model us.{SONNET}"))
        );
        assert_eq!(
            finding.evidence["suggested_profile_id"],
            format!("us.{SONNET}")
        );
    }

    #[test]
    fn a_generation_goes_through_the_prefix_it_names() {
        let generation = |prefix: Option<&str>| {
            let mut t = target(SONNET, model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]));
            t.request = ModelName::Generation {
                family: crate::domain::Family::Sonnet,
                version: (4, 6),
                prefix: prefix.map(str::to_string),
            }
            .into();
            system(&t, &profiles())
        };
        let (_, global) = generation(Some("global"));
        assert_eq!(global.unwrap().model_id, format!("global.{SONNET}"));
        let (_, regional) = generation(None);
        assert_eq!(regional.unwrap().model_id, format!("us.{SONNET}"));
        let (finding, none) = generation(Some("eu"));
        assert!(none.is_none());
        assert_eq!(finding.code(), "profiles.resolve/profile-not-offered");
        assert_eq!(
            finding.resource.as_deref(),
            Some(format!("eu.{SONNET}").as_str())
        );
    }

    #[test]
    fn an_on_demand_model_is_called_by_its_id() {
        let t = target(SONNET, model(SONNET, "ACTIVE", &["ON_DEMAND"]));
        let (finding, invocation) = system(&t, &[]);
        assert_eq!(finding.status, Status::Pass);
        assert_eq!(invocation.unwrap().route, Route::OnDemand);
    }

    #[test]
    fn another_geographys_profile_fails_with_the_local_one() {
        let t = target(
            &format!("eu.{SONNET}"),
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
        );
        let (finding, _) = system(&t, &profiles());
        assert_eq!(finding.code(), "profiles.resolve/profile-not-offered");
        assert_eq!(
            finding.evidence["suggested_profile_id"],
            format!("us.{SONNET}")
        );
    }

    #[test]
    fn an_inactive_profile_or_one_without_destinations_is_not_a_route() {
        let named = target(
            &format!("us.{SONNET}"),
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
        );
        let mut inactive = profiles();
        inactive[1].status = "DEPRECATED".into();
        let (finding, invocation) = system(&named, &inactive);
        assert!(invocation.is_none());
        assert_eq!(finding.code(), "profiles.resolve/profile-not-active");
        // A family never picks an inactive profile: with no other, there is no route.
        let t = target("sonnet", model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]));
        let (finding, _) = system(&t, &inactive[1..]);
        assert_eq!(finding.code(), "profiles.resolve/no-route");
        let mut empty = profiles();
        empty[1].model_arns.clear();
        let (finding, _) = system(&t, &empty[1..]);
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (Status::Error, "profiles.resolve/no-destinations")
        );
    }
}
