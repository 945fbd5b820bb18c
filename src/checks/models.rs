//! `models.lifecycle`: each target model is in the region's live catalog, and where it stands
//! in its lifecycle. This is where `--model` values meet the catalog; later checks read the
//! `ModelTargets` it provides.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::facts::{ModelTarget, ModelTargets};
use crate::aws::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::models::{
    PROFILE_PREFIXES, did_you_mean, family_of, newest, newest_of_generation,
};
use crate::domain::{FoundationModel, InferenceProfile, ModelName, ModelRequest, Region};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

check! {
    ModelsLifecycle = "models.lifecycle" {
        title: "Model lifecycle",
        description: "Each target model is in the region's live catalog (ListFoundationModels): \
                      ACTIVE passes, LEGACY warns with its end-of-life date, absent fails with a \
                      \"did you mean\"",
        commands: [Doctor],
        depends_on: ["credentials.resolve", "region.config"],
        after: [],
        severity: High,
        kinds: {
            /// The model is in the region's live catalog (ListFoundationModels) with lifecycle
            /// status ACTIVE. For a family (`sonnet`, `opus`, `haiku`) it is the family's newest
            /// ACTIVE model; for an application inference profile, the model it wraps.
            ACTIVE = "active",
            /// The model is LEGACY: AWS still serves it but has scheduled its end of life (the
            /// finding gives the dates it published, and when higher-priced public extended access
            /// starts), after which every call fails. AWS also denies legacy models to accounts
            /// that have not called them in 30 days; this account has (CloudWatch's AWS/Bedrock
            /// Invocations), or that could not be read. Move to the successor the remediation names
            /// before the end of life (`--model`, and `ANTHROPIC_MODEL` for Claude Code).
            LEGACY = "legacy",
            /// The model is LEGACY and this account made no call to it in the region in the last 30
            /// days (CloudWatch's AWS/Bedrock Invocations, for the model ID and every profile
            /// prefix). AWS denies legacy models to such accounts, so calls fail with "This Model
            /// is marked by provider as Legacy and you have not been actively using the model in
            /// the last 30 days". Move to the ACTIVE successor the remediation names.
            LEGACY_NOT_USED = "legacy-not-recently-used",
            /// The catalog gives the model a lifecycle status this version does not know (neither
            /// ACTIVE nor LEGACY), so it is not reported as usable and there is no verdict. The
            /// status is in the finding's evidence; a newer bedrock-preflight may know it.
            UNKNOWN_LIFECYCLE = "unknown-lifecycle",
            /// The model ID is not in the region's catalog (ListFoundationModels): a typo, a model
            /// of another region, or one retired here, so calls with it fail. The finding suggests
            /// the closest ID the region has, when there is one: use it, list the region's models
            /// (`aws bedrock list-foundation-models --by-provider anthropic`, in the remediation),
            /// or pick a region that offers the model.
            NOT_OFFERED = "not-offered",
            /// A family (`sonnet`, `opus`, `haiku`) or one of its generations was asked for, and
            /// the region's catalog has no ACTIVE Claude model of it, so there is nothing to call
            /// here. Check another region (`--region us-east-1`), or name a model by its ID with
            /// `--model`.
            NO_FAMILY_MODEL = "no-active-family-model",
            /// Bedrock's GetInferenceProfile does not find the application inference profile ARN in
            /// the region (it answered not found, or rejected the ARN), so calls with it fail. List
            /// the account's application profiles with
            /// `aws bedrock list-inference-profiles --type-equals APPLICATION` (the remediation has
            /// the region) and use one of their ARNs.
            APPLICATION_PROFILE_NOT_FOUND = "application-profile-not-found",
            /// Every model of the run goes to the Mantle endpoint (Mantle IDs, or Claude Code set
            /// to the Mantle endpoint alone), none to Bedrock Runtime, so there is nothing to look
            /// up in Bedrock's catalog. mantle.access judges those models.
            NO_BEDROCK_MODEL = "no-bedrock-model",
        },
    }
}

#[async_trait]
impl Check for ModelsLifecycle {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        super::prefetch_per_region(cx, |region| cx.aws.foundation_models(region)).await;
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        if cx.scope.models.is_empty() {
            // Only when every model goes to the Mantle endpoint: --model always names some.
            return Ok(vec![Finding::skip(
                &META,
                kind::NO_BEDROCK_MODEL,
                "Skipped: every model goes to the Mantle endpoint, none to Bedrock Runtime; mantle.access judges them",
            )]);
        }
        let per_region = join_all(
            cx.scope
                .regions
                .iter()
                .map(|region| in_region(&cx.aws, region, &cx.scope.models)),
        )
        .await;
        let mut findings = Vec::new();
        let mut targets = ModelTargets::default();
        for (region_findings, region_targets) in per_region {
            findings.extend(region_findings);
            targets.list.extend(region_targets);
        }
        cx.provide(targets);
        Ok(findings)
    }
}

async fn in_region(
    aws: &AwsReader,
    region: &Region,
    requests: &[ModelRequest],
) -> (Vec<Finding>, Vec<ModelTarget>) {
    let catalog = match aws.foundation_models(region).await {
        Ok(catalog) => catalog,
        Err(error) => {
            return (
                vec![Finding::aws_error(&META, &error).region(region.as_str())],
                Vec::new(),
            );
        }
    };
    let resolved = join_all(
        requests
            .iter()
            .map(|request| resolve(aws, region, &catalog, request)),
    )
    .await;
    let mut findings = Vec::new();
    let mut targets = Vec::new();
    for (finding, target) in resolved {
        findings.push(finding.region(region.as_str()));
        targets.extend(target);
    }
    (findings, targets)
}

/// One request in one region: what it resolves to in the catalog (GetInferenceProfile first for
/// an application profile), then, for a LEGACY model, the account's recent use of it.
async fn resolve(
    aws: &AwsReader,
    region: &Region,
    catalog: &[FoundationModel],
    request: &ModelRequest,
) -> (Finding, Option<ModelTarget>) {
    // Only an application profile needs a read to learn which model it is.
    let resolved = match &request.name {
        ModelName::ApplicationProfile(arn) => {
            let profile = aws.inference_profile(region, arn).await;
            wrapped_model(region, catalog, request, arn, profile)
        }
        _ => named_model(region, catalog, request),
    };
    let (model, application_profile) = match resolved {
        Resolved::Model(model, application_profile) => (model, application_profile),
        Resolved::Unresolved(finding) => return (finding, None),
    };
    let usage = usage(aws, region, model).await;
    let target = ModelTarget {
        request: request.clone(),
        region: region.clone(),
        model: model.clone(),
        application_profile,
    };
    (lifecycle(model, catalog, request, &usage), Some(target))
}

/// What a request comes to in the region's catalog.
enum Resolved<'c> {
    /// The model to call, and the application profile that wraps it when the request named one.
    Model(&'c FoundationModel, Option<InferenceProfile>),
    /// No model to call: the finding says why.
    Unresolved(Finding),
}

/// The catalog's model a family or generation (its newest ACTIVE one) or a model ID names, or
/// the failure that says the region has none.
fn named_model<'c>(
    region: &Region,
    catalog: &'c [FoundationModel],
    request: &ModelRequest,
) -> Resolved<'c> {
    let (newest, described) = match &request.name {
        ModelName::Generation {
            family, version, ..
        } => (
            newest_of_generation(catalog, *family, *version),
            format!("{} {}.{}", family.as_str(), version.0, version.1),
        ),
        ModelName::Family(family) => (newest(catalog, *family), family.as_str().to_string()),
        // An application profile's ARN is no model ID, so it is absent from any catalog:
        // `wrapped_model` looks up the model such a profile wraps.
        ModelName::BaseId(id)
        | ModelName::Profile { base: id, .. }
        | ModelName::ApplicationProfile(id) => {
            return match catalog.iter().find(|m| &m.id == id) {
                Some(model) => Resolved::Model(model, None),
                None => Resolved::Unresolved(absent(request, id, region, catalog)),
            };
        }
    };
    let Some(model) = newest else {
        return Resolved::Unresolved(
            Finding::fail(
            &META,
            kind::NO_FAMILY_MODEL,
            Severity::High,
            "No such model in this region",
            format!("{region}'s catalog has no ACTIVE Claude {described} model"),
            Remediation::new(
                "Check another region (--region us-east-1), or name a model with --model <model ID>",
            ),
        )
        .evidence("request", request.to_string()),
        );
    };
    Resolved::Model(model, None)
}

/// The catalog's model the application inference profile `arn` wraps, with the profile as
/// GetInferenceProfile described it; or the finding that says why there is none.
fn wrapped_model<'c>(
    region: &Region,
    catalog: &'c [FoundationModel],
    request: &ModelRequest,
    arn: &str,
    described: Result<InferenceProfile, AwsError>,
) -> Resolved<'c> {
    let profile = match described {
        Ok(profile) => profile,
        Err(error) => return Resolved::Unresolved(undescribed(arn, region, &error)),
    };
    let base = profile.base_model_id();
    match base
        .as_deref()
        .and_then(|id| catalog.iter().find(|m| m.id == id))
    {
        Some(model) => Resolved::Model(model, Some(profile)),
        None => Resolved::Unresolved(absent(
            request,
            base.as_deref().unwrap_or("(no model)"),
            region,
            catalog,
        )),
    }
}

/// Why an application inference profile named by its ARN could not be described: it does not
/// exist (Bedrock finds no such profile, or rejects the ARN), or the read itself failed.
fn undescribed(arn: &str, region: &Region, error: &AwsError) -> Finding {
    if !matches!(error.kind(), AwsErrorKind::NotFound | AwsErrorKind::Invalid) {
        return Finding::aws_error(&META, error).resource(arn.to_string());
    }
    Finding::fail(
        &META,
        kind::APPLICATION_PROFILE_NOT_FOUND,
        Severity::High,
        "Application inference profile not found",
        format!("{arn} does not exist in {region}: {error}"),
        Remediation::new(sh![
            "aws",
            "bedrock",
            "list-inference-profiles",
            "--type-equals",
            "APPLICATION",
            "--region",
            region
        ]),
    )
    .resource(arn.to_string())
}

fn absent(
    request: &ModelRequest,
    id: &str,
    region: &Region,
    catalog: &[FoundationModel],
) -> Finding {
    let suggestion = did_you_mean(id, catalog);
    let message = match suggestion {
        Some(close) => format!("{id} is not in {region}'s model catalog; did you mean {close}?"),
        None => format!("{id} is not in {region}'s model catalog"),
    };
    let list = sh![
        "aws",
        "bedrock",
        "list-foundation-models",
        "--by-provider",
        "anthropic",
        "--region",
        region
    ];
    let fix = match suggestion {
        Some(close) => format!(
            "{}, or list the region's models: {list}",
            sh!["--model", close]
        ),
        None => format!("Pick a model the region offers ({list}), or a region that offers {id}"),
    };
    Finding::fail(
        &META,
        kind::NOT_OFFERED,
        Severity::High,
        "Model not offered in this region",
        message,
        Remediation::new(fix),
    )
    .resource(id.to_string())
    .evidence("request", request.to_string())
}

/// Whether this account called a legacy model lately: AWS denies legacy models to accounts
/// that have not used them in the last 30 days.
#[derive(Debug)]
enum Usage {
    /// Not a legacy model: not asked.
    NotAsked,
    /// Invocations recorded in the region over the last 30 days.
    Recent(f64, Region),
    Unknown(AwsError),
}

const LEGACY_USE_WINDOW_DAYS: u32 = 30;

async fn usage(aws: &AwsReader, region: &Region, model: &FoundationModel) -> Usage {
    if model.lifecycle.status != "LEGACY" {
        return Usage::NotAsked;
    }
    // Calls through a profile are recorded under the profile's ID.
    let ids: Vec<String> = std::iter::once(model.id.clone())
        .chain(
            PROFILE_PREFIXES
                .iter()
                .map(|prefix| format!("{prefix}.{}", model.id)),
        )
        .collect();
    match aws
        .model_invocations(region, &ids, LEGACY_USE_WINDOW_DAYS)
        .await
    {
        Ok(count) => Usage::Recent(count, region.clone()),
        Err(error) => Usage::Unknown(error),
    }
}

fn lifecycle(
    model: &FoundationModel,
    catalog: &[FoundationModel],
    request: &ModelRequest,
    usage: &Usage,
) -> Finding {
    let life = &model.lifecycle;
    let finding = match life.status.as_str() {
        "ACTIVE" => Finding::pass(
            &META,
            kind::ACTIVE,
            "Model is active",
            format!("{} is ACTIVE", model.id),
        ),
        "LEGACY" => {
            let eol = life
                .end_of_life_time
                .as_deref()
                .unwrap_or("a date AWS has not published");
            let mut message = format!("{} is LEGACY", model.id);
            if let Some(since) = &life.legacy_time {
                message.push_str(&format!(" since {since}"));
            }
            if let Some(extended) = &life.public_extended_access_time {
                message.push_str(&format!(
                    "; public extended access (higher price) from {extended}"
                ));
            }
            message.push_str(&format!("; end of life {eol}, after which calls fail"));
            let successor = family_of(&model.id)
                .and_then(|family| newest(catalog, family))
                .filter(|n| n.id != model.id);
            let fix = match successor {
                Some(next) => format!(
                    "Move to {} before {eol}: {} (and ANTHROPIC_MODEL for Claude Code)",
                    next.id,
                    sh!["--model", next.id]
                ),
                None => format!(
                    "Plan a move before {eol}: https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"
                ),
            };
            match usage {
                Usage::Recent(count, region) if *count == 0.0 => Finding::fail(
                    &META,
                    kind::LEGACY_NOT_USED,
                    Severity::High,
                    "Legacy model not used by this account in 30 days",
                    format!(
                        "{message}. AWS denies legacy models to accounts that have not used them in the last 30 days, and \
                         this account made no call to it in {} in that time (AWS/Bedrock Invocations): calls fail with \
                         \"This Model is marked by provider as Legacy and you have not been actively using the model\"",
                        region
                    ),
                    Remediation::new(fix),
                ),
                Usage::Recent(count, _) => Finding::warn(
                    &META,
                    kind::LEGACY,
                    Severity::Medium,
                    "Model is legacy",
                    format!(
                        "{message}. This account called it {count} times in the last 30 days, so AWS still serves it here \
                         (legacy models are denied to accounts without recent use)"
                    ),
                    Remediation::new(fix),
                ),
                Usage::Unknown(error) => Finding::warn(
                    &META,
                    kind::LEGACY,
                    Severity::Medium,
                    "Model is legacy",
                    format!(
                        "{message}. AWS denies legacy models to accounts that have not used them in the last 30 days; \
                         whether this account has could not be read ({error})"
                    ),
                    Remediation::new(format!(
                        "{fix}; to see recent use, allow cloudwatch:GetMetricData (in the preflight-readonly policy)"
                    )),
                ),
                Usage::NotAsked => Finding::warn(
                    &META,
                    kind::LEGACY,
                    Severity::Medium,
                    "Model is legacy",
                    message,
                    Remediation::new(fix),
                ),
            }
        }
        other => Finding::error(
            &META,
            kind::UNKNOWN_LIFECYCLE,
            format!(
                "{} has lifecycle status '{other}', which this version does not know; it is not reported as usable",
                model.id
            ),
        ),
    };
    let mut finding = finding
        .resource(model.arn.clone())
        .evidence("request", request.to_string())
        .evidence("model_id", model.id.clone())
        .evidence("lifecycle", life.status.clone())
        .evidence("inference_types", model.inference_types.clone());
    for (key, value) in [
        ("legacy_time", &life.legacy_time),
        (
            "public_extended_access_time",
            &life.public_extended_access_time,
        ),
        ("end_of_life_time", &life.end_of_life_time),
    ] {
        if let Some(value) = value {
            finding = finding.evidence(key, value.clone());
        }
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{ACCOUNT, SONNET, context, model, offline, profile, region};
    use crate::domain::Family;
    use crate::engine::Status;

    #[test]
    fn active_passes_and_an_unknown_status_is_an_error() {
        let catalog = [model(
            "anthropic.claude-sonnet-4-6",
            "ACTIVE",
            &["ON_DEMAND"],
        )];
        let request = ModelName::Family(crate::domain::Family::Sonnet).into();
        assert_eq!(
            lifecycle(&catalog[0], &catalog, &request, &Usage::NotAsked).code(),
            "models.lifecycle/active"
        );
        let odd = model("anthropic.claude-sonnet-4-6", "RETIRING", &["ON_DEMAND"]);
        let finding = lifecycle(&odd, &catalog, &request, &Usage::NotAsked);
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (Status::Error, "models.lifecycle/unknown-lifecycle")
        );
    }

    #[test]
    fn legacy_warns_with_its_dates_and_the_successor() {
        let mut old = model(
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "LEGACY",
            &["INFERENCE_PROFILE"],
        );
        old.lifecycle.legacy_time = Some("2026-10-01T00:00:00Z".into());
        old.lifecycle.end_of_life_time = Some("2027-04-08T00:00:00Z".into());
        let catalog = [
            old.clone(),
            model(
                "anthropic.claude-sonnet-4-6",
                "ACTIVE",
                &["INFERENCE_PROFILE"],
            ),
        ];
        let request = ModelName::BaseId(old.id.clone()).into();
        let finding = lifecycle(
            &old,
            &catalog,
            &request,
            &Usage::Recent(12.0, region("us-east-1")),
        );
        assert_eq!(finding.code(), "models.lifecycle/legacy");
        assert!(
            finding
                .message
                .contains("called it 12 times in the last 30 days")
        );
        let unused = lifecycle(
            &old,
            &catalog,
            &request,
            &Usage::Recent(0.0, region("us-east-1")),
        );
        assert_eq!(
            (unused.status, unused.code().as_str()),
            (Status::Fail, "models.lifecycle/legacy-not-recently-used")
        );
        assert!(unused.message.contains("no call to it in us-east-1"));
        assert!(
            unused
                .remediation
                .as_deref()
                .unwrap()
                .contains("--model anthropic.claude-sonnet-4-6")
        );
        assert!(finding.message.contains("since 2026-10-01T00:00:00Z"));
        assert!(finding.message.contains("end of life 2027-04-08T00:00:00Z"));
        assert!(
            finding
                .remediation
                .unwrap()
                .contains("--model anthropic.claude-sonnet-4-6")
        );
        assert_eq!(finding.evidence["end_of_life_time"], "2027-04-08T00:00:00Z");
    }

    #[test]
    fn an_absent_model_fails_with_a_did_you_mean() {
        let catalog = [model(
            "anthropic.claude-sonnet-4-6",
            "ACTIVE",
            &["ON_DEMAND"],
        )];
        let typed = "anthropic.claude-sonet-4-6";
        let finding = absent(
            &ModelName::BaseId(typed.into()).into(),
            typed,
            &region("eu-west-1"),
            &catalog,
        );
        assert_eq!(finding.code(), "models.lifecycle/not-offered");
        assert!(
            finding
                .message
                .contains("did you mean anthropic.claude-sonnet-4-6?")
        );
        assert!(
            finding
                .remediation
                .unwrap()
                .starts_with("--model anthropic.claude-sonnet-4-6")
        );
    }

    #[tokio::test]
    async fn a_family_the_region_has_no_active_model_of_fails_without_a_read() {
        let catalog = [model(
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "ACTIVE",
            &["INFERENCE_PROFILE"],
        )];
        let request = ModelName::Family(crate::domain::Family::Opus).into();
        let (finding, target) =
            resolve(&offline(), &region("ap-south-2"), &catalog, &request).await;
        assert_eq!(
            (finding.code().as_str(), finding.status),
            ("models.lifecycle/no-active-family-model", Status::Fail)
        );
        assert_eq!(
            finding.message,
            "ap-south-2's catalog has no ACTIVE Claude opus model"
        );
        assert!(
            finding
                .remediation
                .as_deref()
                .unwrap()
                .contains("--region us-east-1")
        );
        assert_eq!(finding.evidence["request"], "opus");
        assert!(target.is_none(), "nothing for later checks to call");
    }

    #[test]
    fn an_application_profile_bedrock_does_not_find_fails_with_the_list_to_pick_from() {
        let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/gone";
        let missing = AwsError::new(
            AwsErrorKind::NotFound,
            &crate::aws::catalog::GET_INFERENCE_PROFILE,
            "The specified inference profile was not found.",
        )
        .with_code("ResourceNotFoundException");
        let finding = undescribed(arn, &region("us-east-1"), &missing);
        assert_eq!(
            (finding.code().as_str(), finding.status),
            (
                "models.lifecycle/application-profile-not-found",
                Status::Fail
            )
        );
        assert_eq!(finding.resource.as_deref(), Some(arn));
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "aws bedrock list-inference-profiles --type-equals APPLICATION --region us-east-1"
            )
        );
        // A read that failed says nothing about the profile.
        let denied = AwsError::new(
            AwsErrorKind::Denied,
            &crate::aws::catalog::GET_INFERENCE_PROFILE,
            "not authorized",
        );
        assert_eq!(
            undescribed(arn, &region("us-east-1"), &denied).status,
            Status::Error
        );
    }

    #[tokio::test]
    async fn a_run_whose_models_all_go_to_mantle_skips() {
        let cx = context(crate::engine::Scope {
            regions: vec![region("us-east-1")],
            ..crate::engine::Scope::default()
        });
        let found = ModelsLifecycle.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code().as_str(), found[0].status),
            ("models.lifecycle/no-bedrock-model", Status::Skip)
        );
        assert!(found[0].message.contains("mantle.access"));
    }

    const OLDER: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn sonnets() -> Vec<FoundationModel> {
        vec![
            model(OLDER, "ACTIVE", &["INFERENCE_PROFILE"]),
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            model(
                "anthropic.claude-sonnet-4-7-preview",
                "LEGACY",
                &["INFERENCE_PROFILE"],
            ),
        ]
    }

    /// The ID of the model resolved to, or the finding that says why there is none.
    fn outcome(resolved: Resolved) -> Result<String, Box<Finding>> {
        match resolved {
            Resolved::Model(model, _) => Ok(model.id.clone()),
            Resolved::Unresolved(finding) => Err(Box::new(finding)),
        }
    }

    fn generation(version: (u32, u32)) -> ModelRequest {
        ModelName::Generation {
            family: Family::Sonnet,
            version,
            prefix: None,
        }
        .into()
    }

    #[test]
    fn a_family_is_its_newest_active_model_and_a_generation_its_own() {
        let catalog = sonnets();
        let east = region("us-east-1");
        let family = ModelName::Family(Family::Sonnet).into();
        assert_eq!(
            outcome(named_model(&east, &catalog, &family))
                .ok()
                .as_deref(),
            Some(SONNET)
        );
        assert_eq!(
            outcome(named_model(&east, &catalog, &generation((4, 5))))
                .ok()
                .as_deref(),
            Some(OLDER)
        );
        let missing = outcome(named_model(&east, &catalog, &generation((4, 8)))).unwrap_err();
        assert_eq!(
            (missing.status, missing.kind),
            (Status::Fail, kind::NO_FAMILY_MODEL)
        );
        assert_eq!(
            missing.message,
            "us-east-1's catalog has no ACTIVE Claude sonnet 4.8 model"
        );
        assert_eq!(
            missing.remediation.as_deref(),
            Some(
                "Check another region (--region us-east-1), or name a model with --model <model ID>"
            )
        );
    }

    #[test]
    fn a_model_id_or_a_system_profile_is_looked_up_by_its_base_id() {
        let catalog = sonnets();
        let east = region("us-east-1");
        let through = ModelName::Profile {
            id: format!("us.{SONNET}"),
            base: SONNET.into(),
        }
        .into();
        assert_eq!(
            outcome(named_model(&east, &catalog, &through))
                .ok()
                .as_deref(),
            Some(SONNET)
        );
        // A LEGACY model named by its ID is still the model: its lifecycle is judged after.
        let legacy = ModelName::BaseId("anthropic.claude-sonnet-4-7-preview".into()).into();
        assert_eq!(
            outcome(named_model(&east, &catalog, &legacy))
                .ok()
                .as_deref(),
            Some("anthropic.claude-sonnet-4-7-preview")
        );
        let unknown = ModelName::BaseId("anthropic.claude-sonnet-9".into()).into();
        let absent = outcome(named_model(&east, &catalog, &unknown)).unwrap_err();
        assert_eq!(
            (absent.status, absent.kind),
            (Status::Fail, kind::NOT_OFFERED)
        );
        assert_eq!(
            absent.resource.as_deref(),
            Some("anthropic.claude-sonnet-9")
        );
    }

    #[test]
    fn an_application_profile_is_the_model_it_wraps() {
        let catalog = sonnets();
        let east = region("us-east-1");
        let arn = format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/team");
        let request: ModelRequest = ModelName::ApplicationProfile(arn.clone()).into();
        let wrapped = |described| wrapped_model(&east, &catalog, &request, &arn, described);
        let wrapping = |base: &str, destinations: &[&str]| InferenceProfile {
            arn: arn.clone(),
            kind: "APPLICATION".into(),
            ..profile("team", base, destinations)
        };

        match wrapped(Ok(wrapping(SONNET, &["us-east-1"]))) {
            Resolved::Model(model, Some(described)) => {
                assert_eq!(model.id, SONNET);
                assert_eq!(
                    described.arn, arn,
                    "the profile goes on to the checks after"
                );
            }
            _ => panic!("a profile wrapping a model of the catalog resolves to it"),
        }

        let elsewhere = outcome(wrapped(Ok(wrapping(
            "anthropic.claude-opus-4-1",
            &["us-east-1"],
        ))))
        .unwrap_err();
        assert_eq!(elsewhere.kind, kind::NOT_OFFERED);
        assert_eq!(
            elsewhere.resource.as_deref(),
            Some("anthropic.claude-opus-4-1")
        );
        assert_eq!(elsewhere.evidence["request"], arn);

        let empty = outcome(wrapped(Ok(wrapping(SONNET, &[])))).unwrap_err();
        assert_eq!(empty.kind, kind::NOT_OFFERED);
        assert_eq!(empty.resource.as_deref(), Some("(no model)"));

        let gone = AwsError::new(
            AwsErrorKind::NotFound,
            &crate::aws::catalog::GET_INFERENCE_PROFILE,
            "not found",
        );
        let not_found = outcome(wrapped(Err(gone))).unwrap_err();
        assert_eq!(
            (not_found.status, not_found.kind),
            (Status::Fail, kind::APPLICATION_PROFILE_NOT_FOUND)
        );
        let throttled = AwsError::new(
            AwsErrorKind::Throttled,
            &crate::aws::catalog::GET_INFERENCE_PROFILE,
            "slow down",
        );
        let unread = outcome(wrapped(Err(throttled))).unwrap_err();
        assert_eq!(
            (unread.status, unread.kind, unread.resource.as_deref()),
            (
                Status::Error,
                crate::engine::Kind::READ_FAILED,
                Some(arn.as_str())
            )
        );
    }

    #[test]
    fn a_legacy_model_whose_use_is_unknown_warns_and_says_what_to_allow() {
        let mut old = model(OLDER, "LEGACY", &["INFERENCE_PROFILE"]);
        old.lifecycle.end_of_life_time = Some("2027-04-08T00:00:00Z".into());
        let catalog = [old.clone(), model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"])];
        let request = ModelName::BaseId(OLDER.into()).into();
        let unread = Usage::Unknown(crate::checks::testing::denied(
            &crate::aws::catalog::GET_METRIC_DATA,
        ));
        let finding = lifecycle(&old, &catalog, &request, &unread);
        assert_eq!((finding.status, finding.kind), (Status::Warn, kind::LEGACY));
        assert!(
            finding
                .message
                .ends_with("whether this account has could not be read (monitoring:GetMetricData was denied (AccessDeniedException: not authorized to perform this call))"),
            "{}",
            finding.message
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "Move to anthropic.claude-sonnet-4-6 before 2027-04-08T00:00:00Z: --model \
                 anthropic.claude-sonnet-4-6 (and ANTHROPIC_MODEL for Claude Code); to see recent \
                 use, allow cloudwatch:GetMetricData (in the preflight-readonly policy)"
            )
        );

        // Without a successor or a published date, the fix is a plan.
        let alone = model(OLDER, "LEGACY", &["INFERENCE_PROFILE"]);
        let finding = lifecycle(
            &alone,
            std::slice::from_ref(&alone),
            &request,
            &Usage::NotAsked,
        );
        assert_eq!(finding.kind, kind::LEGACY);
        assert_eq!(
            finding.message,
            format!(
                "{OLDER} is LEGACY; end of life a date AWS has not published, after which calls fail"
            )
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "Plan a move before a date AWS has not published: \
                 https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"
            )
        );
    }

    #[tokio::test]
    async fn a_region_whose_catalog_cannot_be_read_is_an_error_with_nothing_to_call() {
        let cx = context(crate::engine::Scope {
            regions: vec![region("eu-west-1")],
            models: vec![ModelName::Family(Family::Sonnet).into()],
            ..crate::engine::Scope::default()
        });
        let found = ModelsLifecycle.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].status, found[0].kind, found[0].region.as_deref()),
            (
                Status::Error,
                crate::engine::Kind::READ_FAILED,
                Some("eu-west-1")
            )
        );
        assert!(cx.fact::<ModelTargets>().unwrap().list.is_empty());
    }
}
