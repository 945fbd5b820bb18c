//! What checks establish for the checks that run after them: each type here is provided by
//! one check (`cx.provide`; its doc names which) and read by others (`cx.require`,
//! `cx.fact_after`). A check reads another's result through these types only, never by calling
//! into the other check's module.

use crate::aws::{AwsProfile, BedrockAuth, CredentialsSummary};
use crate::domain::{
    FoundationModel, InferenceProfile, Invocation, InvocationLogging, ModelRequest, Region,
};
use crate::engine::FindingRef;

/// What later checks may know about the credentials (never the credentials themselves).
/// Provided by `credentials.resolve`.
#[derive(Clone, Debug)]
pub struct CredentialsFact {
    /// `None` when only a Bedrock bearer token is available.
    pub sigv4: Option<CredentialsSummary>,
    pub bedrock_auth: BedrockAuth,
    pub aws_profile: Option<AwsProfile>,
}

/// What kind of IAM principal the caller is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    AssumedRole,
    Root,
    FederatedUser,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::AssumedRole => "assumed-role",
            PrincipalKind::Root => "root",
            PrincipalKind::FederatedUser => "federated-user",
        }
    }
}

/// The account STS answered for, even when the rest of its answer was not understood.
/// Provided by `identity.caller`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerAccount(pub String);

/// The caller, for the report's target and for checks that evaluate its permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub partition: String,
    /// The ARN STS returned (for a role: the session's ARN).
    pub caller_arn: String,
    /// The IAM principal policies attach to: the user, or the role behind a session.
    pub principal_arn: String,
    pub kind: PrincipalKind,
}

impl CallerIdentity {
    /// The check that provides it, for `fact_after`.
    pub const PROVIDER: &str = "identity.caller";
}

/// A `--model` request resolved to a catalog model in one region.
#[derive(Clone, Debug)]
pub struct ModelTarget {
    pub request: ModelRequest,
    pub region: Region,
    pub model: FoundationModel,
    /// The application inference profile the request named, as Bedrock describes it.
    pub application_profile: Option<InferenceProfile>,
}

/// Every (request, region) pair whose model exists there and is ACTIVE or LEGACY.
/// Provided by `models.lifecycle`.
#[derive(Clone, Debug, Default)]
pub struct ModelTargets {
    pub list: Vec<ModelTarget>,
}

/// How each target model will be called from each region.
/// Provided by `profiles.resolve`.
#[derive(Clone, Debug, Default)]
pub struct Invocations {
    pub list: Vec<Invocation>,
}

/// Whether IAM allows each invocation, for checks that read live answers against it.
#[derive(Clone, Debug, Default)]
pub struct IamVerdicts {
    pub list: Vec<IamVerdict>,
}

#[derive(Clone, Debug)]
pub struct IamVerdict {
    pub region: Region,
    pub model_id: String,
    pub allowed: bool,
    pub source: Source,
}

/// What decided: IAM's policy simulator, local evaluation of the principal's policies, or the
/// root user's standing (no IAM policy limits it; only the organization's policies can).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Simulate,
    Local,
    Root,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Simulate => "simulate",
            Source::Local => "local",
            Source::Root => "root",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Source::Simulate => "IAM policy simulation",
            Source::Local => "local evaluation of its policies",
            Source::Root => "the account root user, whom no IAM policy limits",
        }
    }
}

impl IamVerdicts {
    /// The check that provides it, for `fact_after`.
    pub const PROVIDER: &str = "iam.invoke";

    pub fn allowed(&self, region: &Region, model_id: &str) -> Option<&IamVerdict> {
        self.list
            .iter()
            .find(|v| &v.region == region && v.model_id == model_id && v.allowed)
    }
}

/// The invoke calls that only the principal's own identity policies deny (implicitly: no
/// statement grants them, and no SCP, RCP, boundary or explicit Deny stands in the way), which
/// attaching `claude-invoke` to the principal repairs. Provided by `iam.invoke`; `doctor --fix`
/// plans from it.
#[derive(Clone, Debug, Default)]
pub struct FixableDenials {
    /// The `iam.invoke` findings that say so.
    pub findings: Vec<FindingRef>,
}

/// Models whose Marketplace agreement is not in place where the caller may not create it by
/// calling the model, which an administrator's acceptance of the offer repairs. Provided by
/// `models.access`; `doctor --fix` plans from it.
#[derive(Clone, Debug, Default)]
pub struct MissingAgreements {
    pub list: Vec<MissingAgreement>,
}

#[derive(Clone, Debug)]
pub struct MissingAgreement {
    pub region: Region,
    pub model_id: String,
    /// The agreement's state as Bedrock answered (`NOT_AVAILABLE`, `ERROR`, ...).
    pub status: String,
    /// The `models.access` finding that says so.
    pub finding: FindingRef,
}

/// Each audited region's logging configuration, as read, for `logging.retention`.
/// Provided by `logging.invocation`.
#[derive(Clone, Debug, Default)]
pub struct LoggingConfigs {
    pub list: Vec<(Region, InvocationLogging)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_waited_for_is_a_check_of_the_registry() {
        let ids: Vec<&str> = super::super::all().iter().map(|c| c.meta().id).collect();
        for provider in [CallerIdentity::PROVIDER, IamVerdicts::PROVIDER] {
            assert!(ids.contains(&provider), "{provider} is no check's ID");
        }
    }
}
