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
    /// Its trust policy (decoded JSON).
    pub trust: Option<String>,
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

/// Who holds policies in an account, as GetAccountAuthorizationDetails lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderKind {
    User,
    Group,
    Role,
}

impl HolderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::User => "user",
            HolderKind::Group => "group",
            HolderKind::Role => "role",
        }
    }
}

/// A user, group or role with its own policies: inline documents (decoded JSON) and the ARNs
/// of its attached managed policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyHolder {
    pub kind: HolderKind,
    pub name: String,
    pub arn: String,
    pub inline: Vec<(String, String)>,
    pub attached: Vec<String>,
    /// A user's groups.
    pub groups: Vec<String>,
    /// A role's trust policy (decoded JSON).
    pub trust: Option<String>,
}

/// A customer-managed policy and its default version's document (decoded JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPolicy {
    pub name: String,
    pub arn: String,
    pub document: String,
}

/// Every user, group and role of an account with its policies, and every customer-managed
/// policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountAuthorization {
    pub holders: Vec<PolicyHolder>,
    pub policies: Vec<CustomerPolicy>,
}

/// A service-specific credential (for Bedrock: a long-term API key), without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceCredential {
    pub user: String,
    pub id: String,
    /// `Active`, `Inactive`, `Expired`, or what IAM adds.
    pub status: String,
    pub created: String,
    /// `None`: it never expires.
    pub expires: Option<String>,
}
