//! Every AWS operation this tool sends, named once: its service, its name, the IAM action it
//! needs and whether it reads or writes. Call keys, the attempt counter, `-v`, error evidence
//! and the `preflight-readonly` policy test all take the name from here, so it cannot differ
//! between them.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Sts,
    Iam,
    Bedrock,
    BedrockRuntime,
    ServiceQuotas,
    CloudWatch,
    Logs,
    CloudTrail,
    S3,
    Organizations,
    SecurityHub,
    /// Claude in Amazon Bedrock's Messages API endpoint, `bedrock-mantle.<region>.api.aws`.
    Mantle,
}

impl Service {
    /// The name this tool writes before the operation (`bedrock-runtime:InvokeModel`).
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::Bedrock => "bedrock",
            Service::BedrockRuntime => "bedrock-runtime",
            Service::ServiceQuotas => "servicequotas",
            // CloudWatch signs and is routed as `monitoring`.
            Service::CloudWatch => "monitoring",
            Service::Logs => "logs",
            Service::CloudTrail => "cloudtrail",
            Service::S3 => "s3",
            Service::Organizations => "organizations",
            Service::SecurityHub => "securityhub",
            Service::Mantle => "bedrock-mantle",
        }
    }

    /// The IAM action prefix: Bedrock Runtime is authorized under `bedrock:`.
    pub fn iam_prefix(self) -> &'static str {
        match self {
            Service::BedrockRuntime => "bedrock",
            Service::CloudWatch => "cloudwatch",
            other => other.prefix(),
        }
    }

    /// The service name the SDK records in each operation's metadata.
    fn sdk_name(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::Iam => "IAM",
            Service::Bedrock => "Bedrock",
            Service::BedrockRuntime => "Bedrock Runtime",
            Service::ServiceQuotas => "Service Quotas",
            Service::CloudWatch => "CloudWatch",
            Service::Logs => "CloudWatch Logs",
            Service::CloudTrail => "CloudTrail",
            Service::S3 => "S3",
            Service::Organizations => "Organizations",
            Service::SecurityHub => "SecurityHub",
            Service::Mantle => "Bedrock Mantle",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Changes nothing; `doctor` and `audit` may send it (and `preflight-readonly` allows it).
    Read,
    /// Changes AWS; only the write side sends it, only for a confirmed plan.
    Write,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    pub service: Service,
    /// The API's operation name, as the SDK and AWS's documentation spell it.
    pub name: &'static str,
    pub access: Access,
    /// The IAM action, where the service names it apart from the operation.
    iam: Option<&'static str>,
}

impl Operation {
    /// The IAM action that authorizes this operation.
    pub fn iam_action(&self) -> String {
        match self.iam {
            Some(action) => action.to_string(),
            None => format!("{}:{}", self.service.iam_prefix(), self.name),
        }
    }

    /// The catalog entry for what the SDK recorded as (service name, operation name).
    pub fn from_sdk(service: &str, name: &str) -> Option<&'static Operation> {
        ALL.iter()
            .copied()
            .find(|op| op.name == name && op.service.sdk_name() == service)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service.prefix(), self.name)
    }
}

macro_rules! catalog {
    ($($konst:ident = $service:ident $name:literal $access:ident $(as $iam:literal)?;)*) => {
        $(pub static $konst: Operation = Operation {
            service: Service::$service,
            name: $name,
            access: Access::$access,
            iam: catalog!(@iam $($iam)?),
        };)*
        /// Every operation, in the order of this catalog.
        pub static ALL: &[&Operation] = &[$(&$konst),*];
    };
    (@iam $iam:literal) => { Some($iam) };
    (@iam) => { None };
}

catalog! {
    GET_CALLER_IDENTITY = Sts "GetCallerIdentity" Read;

    GET_ROLE = Iam "GetRole" Read;
    GET_USER = Iam "GetUser" Read;
    SIMULATE_PRINCIPAL_POLICY = Iam "SimulatePrincipalPolicy" Read;
    LIST_GROUPS_FOR_USER = Iam "ListGroupsForUser" Read;
    LIST_USER_POLICIES = Iam "ListUserPolicies" Read;
    LIST_GROUP_POLICIES = Iam "ListGroupPolicies" Read;
    LIST_ROLE_POLICIES = Iam "ListRolePolicies" Read;
    GET_USER_POLICY = Iam "GetUserPolicy" Read;
    GET_GROUP_POLICY = Iam "GetGroupPolicy" Read;
    GET_ROLE_POLICY = Iam "GetRolePolicy" Read;
    LIST_ATTACHED_USER_POLICIES = Iam "ListAttachedUserPolicies" Read;
    LIST_ATTACHED_GROUP_POLICIES = Iam "ListAttachedGroupPolicies" Read;
    LIST_ATTACHED_ROLE_POLICIES = Iam "ListAttachedRolePolicies" Read;
    GET_POLICY = Iam "GetPolicy" Read;
    GET_POLICY_VERSION = Iam "GetPolicyVersion" Read;
    LIST_POLICY_VERSIONS = Iam "ListPolicyVersions" Read;
    GET_ACCOUNT_AUTHORIZATION_DETAILS = Iam "GetAccountAuthorizationDetails" Read;
    LIST_USERS = Iam "ListUsers" Read;
    LIST_SERVICE_SPECIFIC_CREDENTIALS = Iam "ListServiceSpecificCredentials" Read;

    LIST_FOUNDATION_MODELS = Bedrock "ListFoundationModels" Read;
    GET_FOUNDATION_MODEL_AVAILABILITY = Bedrock "GetFoundationModelAvailability" Read;
    LIST_INFERENCE_PROFILES = Bedrock "ListInferenceProfiles" Read;
    GET_INFERENCE_PROFILE = Bedrock "GetInferenceProfile" Read;
    GET_USE_CASE_FOR_MODEL_ACCESS = Bedrock "GetUseCaseForModelAccess" Read;
    GET_MODEL_INVOCATION_LOGGING_CONFIGURATION = Bedrock "GetModelInvocationLoggingConfiguration" Read;
    LIST_FOUNDATION_MODEL_AGREEMENT_OFFERS = Bedrock "ListFoundationModelAgreementOffers" Read;
    GET_ACCOUNT_DATA_RETENTION = Bedrock "GetAccountDataRetention" Read;

    LIST_MANTLE_MODELS = Mantle "ListModels" Read;

    LIST_SERVICE_QUOTAS = ServiceQuotas "ListServiceQuotas" Read;
    LIST_AWS_DEFAULT_SERVICE_QUOTAS = ServiceQuotas "ListAWSDefaultServiceQuotas" Read;
    LIST_REQUESTED_SERVICE_QUOTA_CHANGE_HISTORY_BY_QUOTA = ServiceQuotas "ListRequestedServiceQuotaChangeHistoryByQuota" Read;

    GET_METRIC_DATA = CloudWatch "GetMetricData" Read;

    DESCRIBE_LOG_GROUPS = Logs "DescribeLogGroups" Read;

    DESCRIBE_TRAILS = CloudTrail "DescribeTrails" Read;
    GET_TRAIL_STATUS = CloudTrail "GetTrailStatus" Read;
    GET_EVENT_SELECTORS = CloudTrail "GetEventSelectors" Read;
    LOOKUP_EVENTS = CloudTrail "LookupEvents" Read;

    GET_BUCKET_LIFECYCLE_CONFIGURATION = S3 "GetBucketLifecycleConfiguration" Read as "s3:GetLifecycleConfiguration";

    DESCRIBE_ORGANIZATION = Organizations "DescribeOrganization" Read;
    LIST_PARENTS = Organizations "ListParents" Read;
    LIST_POLICIES_FOR_TARGET = Organizations "ListPoliciesForTarget" Read;
    DESCRIBE_POLICY = Organizations "DescribePolicy" Read;
    LIST_ACCOUNTS = Organizations "ListAccounts" Read;
    LIST_ACCOUNTS_FOR_PARENT = Organizations "ListAccountsForParent" Read;
    LIST_ORGANIZATIONAL_UNITS_FOR_PARENT = Organizations "ListOrganizationalUnitsForParent" Read;

    INVOKE_MODEL = BedrockRuntime "InvokeModel" Read;
    INVOKE_MODEL_WITH_RESPONSE_STREAM = BedrockRuntime "InvokeModelWithResponseStream" Read;

    CREATE_POLICY = Iam "CreatePolicy" Write;
    CREATE_POLICY_VERSION = Iam "CreatePolicyVersion" Write;
    DELETE_POLICY_VERSION = Iam "DeletePolicyVersion" Write;
    ATTACH_ROLE_POLICY = Iam "AttachRolePolicy" Write;
    ATTACH_USER_POLICY = Iam "AttachUserPolicy" Write;
    ATTACH_GROUP_POLICY = Iam "AttachGroupPolicy" Write;
    CREATE_ROLE = Iam "CreateRole" Write;
    PUT_ROLE_POLICY = Iam "PutRolePolicy" Write;
    CREATE_LOG_GROUP = Logs "CreateLogGroup" Write;
    PUT_RETENTION_POLICY = Logs "PutRetentionPolicy" Write;
    PUT_MODEL_INVOCATION_LOGGING_CONFIGURATION = Bedrock "PutModelInvocationLoggingConfiguration" Write;
    PUT_USE_CASE_FOR_MODEL_ACCESS = Bedrock "PutUseCaseForModelAccess" Write;
    CREATE_FOUNDATION_MODEL_AGREEMENT = Bedrock "CreateFoundationModelAgreement" Write;
    BATCH_IMPORT_FINDINGS = SecurityHub "BatchImportFindings" Write;
    REQUEST_SERVICE_QUOTA_INCREASE = ServiceQuotas "RequestServiceQuotaIncrease" Write;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_found_from_sdk_metadata() {
        let mut seen = HashSet::new();
        for op in ALL {
            assert!(seen.insert(op.to_string()), "{op} twice");
            assert!(std::ptr::eq(
                Operation::from_sdk(op.service.sdk_name(), op.name).unwrap(),
                *op
            ));
        }
        assert_eq!(
            Operation::from_sdk("Service Quotas", "ListServiceQuotas")
                .unwrap()
                .to_string(),
            "servicequotas:ListServiceQuotas"
        );
        assert_eq!(INVOKE_MODEL.iam_action(), "bedrock:InvokeModel");
        assert_eq!(INVOKE_MODEL.to_string(), "bedrock-runtime:InvokeModel");
    }

    /// `policies/preflight-readonly.json` allows exactly the reads of this catalog.
    #[test]
    fn the_readonly_policy_allows_every_read_and_nothing_else() {
        let text = include_str!("../../policies/preflight-readonly.json");
        let policy: serde_json::Value = serde_json::from_str(text).unwrap();
        let allowed: HashSet<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap())
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let reads: HashSet<String> = ALL
            .iter()
            .filter(|op| op.access == Access::Read)
            .map(|op| op.iam_action())
            .collect();
        let mut missing: Vec<_> = reads.difference(&allowed).collect();
        let mut extra: Vec<_> = allowed.difference(&reads).collect();
        missing.sort();
        extra.sort();
        assert!(
            missing.is_empty(),
            "reads missing from the policy: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "the policy allows what no read needs: {extra:?}"
        );
    }
}
