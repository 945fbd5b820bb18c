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
}

/// One (action, resource) answer of SimulatePrincipalPolicy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedDecision {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny`, `implicitDeny`, or whatever AWS adds.
    pub decision: String,
    /// `SourcePolicyId (SourcePolicyType)` of each matched statement.
    pub matched: Vec<String>,
}
