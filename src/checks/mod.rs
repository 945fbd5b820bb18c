//! Every check, one module each, and the registry that lists them. Adding a check: write the
//! module (its `check!` is its catalog entry), add one line to `all()`. A check reads what
//! another established through `facts`, never through the other check's module.

/// A check's identity card: its struct, its `META` (catalog ID, what it establishes, the
/// commands that run it, what it waits for, what is at stake) and, in a module `kind`, one
/// constant per kind of finding it produces, which with the ID make the finding's stable code.
/// Each kind's doc comment is that code's explanation (`checks explain`, SARIF rule help, the
/// Markdown report): what it means, why it matters, how to fix it.
macro_rules! check {
    (
        $name:ident = $id:literal {
            title: $title:literal,
            description: $description:literal,
            commands: [$($command:ident),*],
            depends_on: [$($dependency:literal),*],
            after: [$($after:literal),*],
            severity: $severity:ident,
            kinds: { $($(#[doc = $doc:literal])* $konst:ident = $kind:literal),* $(,)? } $(,)?
        }
    ) => {
        pub struct $name;

        pub(crate) static META: $crate::engine::CheckMeta = $crate::engine::CheckMeta {
            id: $id,
            title: $title,
            description: $description,
            commands: &[$($crate::engine::CommandKind::$command),*],
            depends_on: &[$($dependency),*],
            after: &[$($after),*],
            severity: $crate::engine::Severity::$severity,
            kinds: &[$($crate::engine::KindMeta { name: $kind, doc: &[$($doc),*] }),*],
        };

        /// The kinds of finding this check produces.
        mod kind {
            $(pub const $konst: $crate::engine::Kind = $crate::engine::Kind::new($kind);)*
        }
    };
}

mod access;
mod api_keys;
pub mod catalog;
mod claude_code;
mod credentials;
mod data_events;
mod facts;
mod iam;
mod identity;
mod logging;
mod mantle;
mod models;
mod overbroad;
mod probe;
pub(crate) mod quotas;
mod region;
mod residency;
mod retention;
mod routes;
#[cfg(test)]
pub(crate) mod testing;
mod trail;

use std::sync::Arc;

use crate::aws::{AwsError, AwsReader};
use crate::domain::{Region, Trail, TrailSelectors};
use crate::engine::{Check, CheckContext, CommandKind};

/// Each check's catalog entry, for code outside the checks that names one (what `--fix`
/// re-runs, what a template resolves through): a renamed check is a compile error there,
/// never a silent miss.
pub(crate) mod meta {
    pub(crate) use super::access::META as MODELS_ACCESS;
    pub(crate) use super::credentials::META as CREDENTIALS_RESOLVE;
    pub(crate) use super::iam::META as IAM_INVOKE;
    pub(crate) use super::identity::META as IDENTITY_CALLER;
    pub(crate) use super::models::META as MODELS_LIFECYCLE;
    pub(crate) use super::probe::META as RUNTIME_PROBE;
    pub(crate) use super::region::META as REGION_CONFIG;
    pub(crate) use super::routes::META as PROFILES_RESOLVE;
}

pub use claude_code::ClaudeCodeInput;
pub use credentials::{
    AccountsNamedBy, account_not_active, account_not_in_organization, accounts_not_listed,
    role_not_assumed,
};
pub use facts::{
    CallerAccount, CallerIdentity, CredentialsFact, FixableDenials, IamVerdict, IamVerdicts,
    Invocations, MissingAgreement, MissingAgreements, ModelTarget, ModelTargets, PrincipalKind,
};
pub use mantle::{MantleInput, MantleTarget, mantle_id};

/// Regions read at the same time: every region Bedrock is offered in fits in one wave (with
/// 100 ms added to each AWS answer, one region audits in about 270 ms, sixteen in 340 ms).
const REGIONS_AT_ONCE: usize = 32;

/// The answers of one future per region, at most `REGIONS_AT_ONCE` at a time, in order.
async fn per_region<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use futures_util::stream::{self, StreamExt};
    stream::iter(futures)
        .buffered(REGIONS_AT_ONCE)
        .collect()
        .await
}

/// `doctor`'s settings that its checks read, handed in with `CheckContext::with_input`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DoctorOptions {
    /// Tokens per minute the user plans to run (`--expect-tpm`).
    pub expect_tpm: Option<u64>,
    /// `--no-probe`: no live call to Bedrock Runtime.
    pub no_probe: bool,
}
pub use logging::AuditOptions;
pub use residency::{GEOGRAPHIES, ResidencyInput};

/// All checks, in the order their findings are reported.
pub fn all() -> Vec<Arc<dyn Check>> {
    vec![
        Arc::new(credentials::CredentialsResolve),
        Arc::new(identity::IdentityCaller),
        Arc::new(region::RegionConfig),
        Arc::new(claude_code::ClaudeCodeConfig),
        Arc::new(models::ModelsLifecycle),
        Arc::new(access::ModelsAccess),
        Arc::new(routes::ProfilesResolve),
        Arc::new(iam::IamInvoke),
        Arc::new(quotas::QuotasInference),
        Arc::new(probe::RuntimeProbe),
        Arc::new(mantle::MantleAccess),
        Arc::new(logging::LoggingInvocation),
        Arc::new(retention::LoggingRetention),
        Arc::new(trail::CloudTrailTrail),
        Arc::new(data_events::CloudTrailDataEvents),
        Arc::new(overbroad::IamOverbroad),
        Arc::new(api_keys::IamApiKeys),
        Arc::new(residency::ResidencyProfiles),
    ]
}

/// The checks a command runs.
pub fn for_command(command: CommandKind) -> Vec<Arc<dyn Check>> {
    all()
        .into_iter()
        .filter(|check| check.meta().commands.contains(&command))
        .collect()
}

/// Whether SigV4 credentials resolve (cached for the run): prefetches send nothing without
/// them, since the checks that would send their reads are then skipped.
async fn signs(cx: &CheckContext) -> bool {
    cx.aws.credentials().await.is_ok()
}

/// A prefetch of one read per region of the run's Bedrock models, all sent at once, when
/// requests can be signed; the answers stay in the run's call cache for `run`.
async fn prefetch_per_region<'a, F, Fut>(cx: &'a CheckContext, read: F)
where
    F: FnMut(&'a Region) -> Fut,
    Fut: std::future::Future,
{
    if signs(cx).await {
        futures_util::future::join_all(bedrock_regions(cx).iter().map(read)).await;
    }
}

/// The scope's regions, when the run has Bedrock models to examine in them.
fn bedrock_regions(cx: &CheckContext) -> &[Region] {
    if cx.scope.models.is_empty() {
        &[]
    } else {
        &cx.scope.regions
    }
}

/// A trail as judged for one region (`cloudtrail.trail` and `cloudtrail.data-events` read the
/// same trails): its coverage, or why it could not be read.
struct Judged {
    trail: Trail,
    answer: Result<(bool, TrailSelectors), AwsError>,
}

/// Every trail covering `region`, each with whether it is logging and its selectors.
async fn judged_trails(aws: &AwsReader, region: &Region) -> Result<Vec<Judged>, AwsError> {
    let trails = aws.trails(region).await?;
    Ok(
        futures_util::future::join_all(trails.into_iter().map(|trail| async move {
            let (logging, selectors) =
                tokio::join!(aws.trail_logging(&trail), aws.trail_selectors(&trail));
            let answer = logging.and_then(|l| selectors.map(|s| (l, s)));
            Judged { trail, answer }
        }))
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_dependencies_run_in_the_same_command() {
        let mut seen = HashSet::new();
        for check in all() {
            let meta = check.meta();
            assert!(seen.insert(meta.id), "duplicate id {}", meta.id);
            for command in meta.commands {
                let ids: Vec<_> = for_command(*command).iter().map(|c| c.meta().id).collect();
                for dependency in meta.depends_on {
                    assert!(
                        ids.contains(dependency),
                        "{} depends on {dependency}, which {} does not run",
                        meta.id,
                        command.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn finding_codes_are_unique_across_the_catalog() {
        let mut seen = HashSet::new();
        for check in all() {
            let meta = check.meta();
            assert!(!meta.kinds.is_empty(), "{} declares no kinds", meta.id);
            for code in meta.codes() {
                assert!(seen.insert(code.clone()), "{code} twice");
                let kind = code.rsplit('/').next().unwrap();
                assert!(
                    !kind.is_empty()
                        && kind
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{code}: kinds are kebab-case"
                );
            }
        }
    }

    #[test]
    fn ids_are_from_the_design_catalog() {
        const CATALOG: &[&str] = &[
            "credentials.resolve",
            "identity.caller",
            "region.config",
            "claude-code.config",
            "models.lifecycle",
            "models.access",
            "profiles.resolve",
            "iam.invoke",
            "quotas.inference",
            "runtime.probe",
            "mantle.access",
            "logging.invocation",
            "logging.retention",
            "cloudtrail.trail",
            "cloudtrail.data-events",
            "iam.overbroad",
            "iam.api-keys",
            "residency.profiles",
        ];
        for check in all() {
            assert!(CATALOG.contains(&check.meta().id), "{}", check.meta().id);
        }
    }
}
