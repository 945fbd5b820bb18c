//! What Bedrock and Service Quotas say about models, inference profiles and quotas, as plain
//! types that `aws/` fills and checks read. Enumerations are kept as AWS's strings: the
//! service adds values (INFERENCE_PROFILE is not in the model's InferenceType enum), and a
//! check must see an unknown value to refuse to pass on it.

use super::{Arn, Route};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundationModel {
    pub id: String,
    pub arn: String,
    pub name: Option<String>,
    pub provider: Option<String>,
    /// `ON_DEMAND`, `PROVISIONED`, `INFERENCE_PROFILE`, or whatever AWS adds.
    pub inference_types: Vec<String>,
    pub lifecycle: Lifecycle,
}

impl FoundationModel {
    pub fn supports_on_demand(&self) -> bool {
        self.inference_types.iter().any(|t| t == "ON_DEMAND")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// `ACTIVE`, `LEGACY`, or an unknown value (empty when AWS gave none).
    pub status: String,
    pub legacy_time: Option<String>,
    pub public_extended_access_time: Option<String>,
    pub end_of_life_time: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub agreement: String,
    pub agreement_error: Option<String>,
    pub authorization: String,
    pub entitlement: String,
    pub region: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferenceProfile {
    pub id: String,
    pub arn: String,
    pub name: String,
    /// `SYSTEM_DEFINED` or `APPLICATION`.
    pub kind: String,
    pub status: String,
    /// One foundation-model ARN per destination region; `global.` profiles also list a
    /// region-less ARN.
    pub model_arns: Vec<String>,
}

impl InferenceProfile {
    /// The quotas an application profile draws on: the global ones where it lists the
    /// region-less model ARN global profiles list, the cross-region ones where it spans
    /// regions, the on-demand ones where it stays in one.
    pub fn application_route(&self) -> Route {
        if self.model_arns.iter().any(|a| arn_region(a).is_none()) {
            return Route::Global;
        }
        let mut regions: Vec<String> = self
            .model_arns
            .iter()
            .filter_map(|a| arn_region(a))
            .collect();
        regions.sort();
        regions.dedup();
        if regions.len() > 1 {
            Route::Geographic
        } else {
            Route::OnDemand
        }
    }

    /// The base model ID the profile routes to, from its first foundation-model ARN.
    pub fn base_model_id(&self) -> Option<String> {
        self.model_arns.iter().find_map(|arn| {
            let arn: Arn = arn.parse().ok()?;
            match arn.typed_resource()? {
                ("foundation-model", id) => Some(id.to_string()),
                _ => None,
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceQuota {
    pub code: String,
    pub name: String,
    pub value: f64,
    pub adjustable: bool,
}

/// An increase request of one quota, as Service Quotas lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaRequest {
    pub id: String,
    /// The AWS Support case the request opened, once it has one.
    pub case_id: Option<String>,
    /// `PENDING` or `CASE_OPENED` while open; `APPROVED`, `DENIED`, `CASE_CLOSED`,
    /// `NOT_APPROVED` or `INVALID_REQUEST` once closed.
    pub status: String,
    pub desired: f64,
}

impl QuotaRequest {
    /// Service Quotas takes one open request per quota; an open one is still to be decided.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "PENDING" | "CASE_OPENED")
    }
}

/// The region of a foundation-model ARN; `None` for the region-less ARN of global profiles
/// (and for text that is not an ARN).
pub fn arn_region(arn: &str) -> Option<String> {
    arn.parse::<Arn>().ok()?.region().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_and_base_models_come_from_arns() {
        assert_eq!(arn_region("arn:aws:bedrock:::foundation-model/x"), None);
        assert_eq!(
            arn_region("arn:aws:bedrock:us-west-2::foundation-model/x").as_deref(),
            Some("us-west-2")
        );
        let profile = InferenceProfile {
            id: "global.anthropic.claude-opus-4-6-v1".into(),
            arn: String::new(),
            name: String::new(),
            kind: "SYSTEM_DEFINED".into(),
            status: "ACTIVE".into(),
            model_arns: vec![
                "not an arn".into(),
                "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1".into(),
            ],
        };
        assert_eq!(
            profile.base_model_id().as_deref(),
            Some("anthropic.claude-opus-4-6-v1")
        );
    }
}

/// A region's model invocation logging configuration (Bedrock's `LoggingConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvocationLogging {
    pub cloudwatch: Option<CloudWatchDestination>,
    /// The S3 destination: bucket and key prefix.
    pub s3: Option<(String, Option<String>)>,
    pub text: bool,
    pub image: bool,
    pub embedding: bool,
    pub video: bool,
    pub audio: bool,
}

impl InvocationLogging {
    /// Whether logs go anywhere: AWS answers without a configuration, or with an empty one,
    /// when logging is off.
    pub fn has_destination(&self) -> bool {
        self.cloudwatch.is_some() || self.s3.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudWatchDestination {
    pub log_group: String,
    pub role_arn: String,
    /// Where Bedrock puts what is too large for a log event.
    pub large_data_bucket: Option<String>,
}

/// A CloudWatch Logs log group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    /// `None`: kept forever.
    pub retention_days: Option<i32>,
}

/// A trail as DescribeTrails lists it in a region (its own, or a multi-region trail's shadow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
}

/// What a trail records, from GetEventSelectors: basic selectors or advanced ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrailSelectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicSelector {
    /// `All`, `ReadOnly`, `WriteOnly`.
    pub read_write: String,
    pub management: bool,
    pub excluded_sources: Vec<String>,
    /// `DataResources[].Type`.
    pub data_types: Vec<String>,
}

/// An advanced selector: each field condition as (field, operator, values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<(String, String, Vec<String>)>,
}

/// A lifecycle rule of an S3 bucket that expires objects, as it applies to one key prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub rule: String,
    /// `Some(days)` after creation, or `None` for a fixed date (`date`).
    pub days: Option<i32>,
    pub date: Option<String>,
}

/// What an S3 bucket keeps: `None` when it does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketKeeping {
    /// Every enabled rule that expires objects under the prefix asked about.
    pub expiries: Vec<Expiry>,
}
