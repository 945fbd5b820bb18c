//! Every check, one module each, and the registry that lists them. Adding a check: write the
//! module (its `CheckMeta` is its catalog entry), add one line to `all()`.

mod access;
mod credentials;
mod iam;
mod identity;
mod models;
mod probe;
mod profiles;
mod quotas;
mod region;

use std::sync::Arc;

use crate::engine::{Check, CommandKind};

pub use credentials::CredentialsFact;
pub use iam::{IamVerdict, IamVerdicts};
pub use identity::{CallerIdentity, PrincipalKind};
pub use models::{ModelTarget, ModelTargets};
pub use profiles::{Invocation, Invocations, Route};

/// All checks, in the order their findings are reported.
pub fn all() -> Vec<Arc<dyn Check>> {
    vec![
        Arc::new(credentials::CredentialsResolve),
        Arc::new(identity::IdentityCaller),
        Arc::new(region::RegionConfig),
        Arc::new(models::ModelsLifecycle),
        Arc::new(access::ModelsAccess),
        Arc::new(profiles::ProfilesResolve),
        Arc::new(iam::IamInvoke),
        Arc::new(quotas::QuotasInference),
        Arc::new(probe::RuntimeProbe),
    ]
}

/// The checks a command runs.
pub fn for_command(command: CommandKind) -> Vec<Arc<dyn Check>> {
    all()
        .into_iter()
        .filter(|check| check.meta().commands.contains(&command))
        .collect()
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
