//! What STS and IAM say about a principal, as plain types that `aws/` fills.

/// STS GetCallerIdentity's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentityAnswer {
    pub account: String,
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleInfo {
    pub arn: String,
    pub boundary_arn: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// One (action, resource) answer of SimulatePrincipalPolicy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedDecision {
    pub action: String,
    /// The requested ARN (`ResourceSpecificResults`); in IAM's older answer shape, the
    /// top-level name, which is now a template such as `arn:${Partition}:bedrock:...` or `*`.
    pub resource: String,
    /// `allowed`, `explicitDeny`, `implicitDeny`, or whatever AWS adds.
    pub decision: String,
    /// `SourcePolicyId (SourcePolicyType)` of each matched statement.
    pub matched: Vec<String>,
    /// `OrganizationsDecisionDetail.AllowedByOrganizations`: `Some(false)` when a service
    /// control policy denies; `None` outside an organization.
    pub allowed_by_organizations: Option<bool>,
    /// `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`.
    pub allowed_by_boundary: Option<bool>,
}

/// A customer-managed policy as IAM holds it: what `policy apply` plans against.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedPolicy {
    pub arn: String,
    pub tags: Vec<(String, String)>,
    pub default_version: String,
    /// The default version's document, decoded.
    pub document: serde_json::Value,
    /// Every version, oldest first.
    pub versions: Vec<PolicyVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: String,
    pub is_default: bool,
}
