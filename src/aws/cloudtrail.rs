//! CloudTrail reads for `audit`: the trails that cover a region (its own and the shadows of
//! multi-region and organization trails), whether each is logging, and what it selects. A
//! trail's status and selectors are read once, in its home region, however many regions list it.

use aws_sdk_cloudtrail::types::{
    AdvancedFieldSelector, LookupAttribute, LookupAttributeKey, ReadWriteType,
};

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{AdvancedSelector, BasicSelector, Region, Trail, TrailSelectors};

/// Each operator of an advanced field selector with its values.
fn conditions(field: &AdvancedFieldSelector) -> Vec<(String, String, Vec<String>)> {
    [
        ("Equals", field.equals()),
        ("StartsWith", field.starts_with()),
        ("EndsWith", field.ends_with()),
        ("NotEquals", field.not_equals()),
        ("NotStartsWith", field.not_starts_with()),
        ("NotEndsWith", field.not_ends_with()),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .map(|(operator, values)| {
        (
            field.field().to_string(),
            operator.to_string(),
            values.to_vec(),
        )
    })
    .collect()
}

/// The region a trail's own calls go to.
fn home_region(trail: &Trail, op: &'static Operation) -> Result<Region, AwsError> {
    trail.home_region.parse().map_err(|why| {
        AwsError::new(
            AwsErrorKind::Malformed,
            op,
            format!("the trail's home region: {why}"),
        )
    })
}

/// LookupEvents' filter on the service that sent the events.
fn event_source(source: &str, op: &'static Operation) -> Result<LookupAttribute, AwsError> {
    LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventSource)
        .attribute_value(source)
        .build()
        .map_err(|e| AwsError::new(AwsErrorKind::Invalid, op, e.to_string()))
}

impl AwsReader {
    /// DescribeTrails with shadow trails: every trail that records events of `region`.
    pub async fn trails(&self, region: &Region) -> Result<Vec<Trail>, AwsError> {
        self.cached_call(
            &catalog::DESCRIBE_TRAILS,
            Some(region.as_str()),
            "",
            || {
                let cloudtrail = self.session.cloudtrail(region);
                cloudtrail
                    .describe_trails()
                    .include_shadow_trails(true)
                    .send()
            },
            |out| {
                Ok(out
                    .trail_list()
                    .iter()
                    .map(|t| Trail {
                        name: t.name().unwrap_or_default().to_string(),
                        arn: t.trail_arn().unwrap_or_default().to_string(),
                        home_region: t.home_region().unwrap_or(region.as_str()).to_string(),
                        multi_region: t.is_multi_region_trail().unwrap_or(false),
                        organization: t.is_organization_trail().unwrap_or(false),
                    })
                    .collect())
            },
        )
        .await
    }

    /// GetTrailStatus, in the trail's home region: whether it is logging. An answer without
    /// `IsLogging` is not read as logging.
    pub async fn trail_logging(&self, trail: &Trail) -> Result<bool, AwsError> {
        const OP: &Operation = &catalog::GET_TRAIL_STATUS;
        let home = home_region(trail, OP)?;
        self.cached_call(
            OP,
            Some(home.as_str()),
            trail.arn.as_str(),
            || {
                self.session
                    .cloudtrail(&home)
                    .get_trail_status()
                    .name(&trail.arn)
                    .send()
            },
            |out| Ok(out.is_logging().unwrap_or(false)),
        )
        .await
    }

    /// GetEventSelectors, in the trail's home region.
    pub async fn trail_selectors(&self, trail: &Trail) -> Result<TrailSelectors, AwsError> {
        const OP: &Operation = &catalog::GET_EVENT_SELECTORS;
        let home = home_region(trail, OP)?;
        self.cached_call(
            OP,
            Some(home.as_str()),
            trail.arn.as_str(),
            || {
                let cloudtrail = self.session.cloudtrail(&home);
                cloudtrail
                    .get_event_selectors()
                    .trail_name(&trail.arn)
                    .send()
            },
            |out| {
                Ok(TrailSelectors {
                    basic: out
                        .event_selectors()
                        .iter()
                        .map(|s| BasicSelector {
                            read_write: s
                                .read_write_type()
                                .unwrap_or(&ReadWriteType::All)
                                .as_str()
                                .to_string(),
                            management: s.include_management_events().unwrap_or(true),
                            excluded_sources: s.exclude_management_event_sources().to_vec(),
                            data_types: s
                                .data_resources()
                                .iter()
                                .filter_map(|d| d.r#type().map(str::to_string))
                                .collect(),
                        })
                        .collect(),
                    advanced: out
                        .advanced_event_selectors()
                        .iter()
                        .map(|s| AdvancedSelector {
                            name: s.name().map(str::to_string),
                            fields: s.field_selectors().iter().flat_map(conditions).collect(),
                        })
                        .collect(),
                })
            },
        )
        .await
    }

    /// LookupEvents for `bedrock.amazonaws.com` in `region` over the last `days` days: the
    /// source region and the region that served each recent Claude invocation
    /// (`additionalEventData.inferenceRegion`, set by cross-region inference; the source
    /// region when absent). At most `MAX_EVENT_PAGES` pages: LookupEvents allows two calls a
    /// second per region, and a sample of the latest is the evidence asked for.
    pub async fn recent_invocation_regions(
        &self,
        region: &Region,
        days: u64,
    ) -> Result<Vec<String>, AwsError> {
        const OP: &Operation = &catalog::LOOKUP_EVENTS;
        const MAX_EVENT_PAGES: usize = 5;
        const INVOCATIONS: [&str; 4] = [
            "InvokeModel",
            "InvokeModelWithResponseStream",
            "Converse",
            "ConverseStream",
        ];
        let sample = || async {
            let end = std::time::SystemTime::now();
            let start = end - std::time::Duration::from_secs(days * 86_400);
            let source = event_source("bedrock.amazonaws.com", OP)?;
            let mut served = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..MAX_EVENT_PAGES {
                let out = self
                    .session
                    .cloudtrail(region)
                    .lookup_events()
                    .lookup_attributes(source.clone())
                    .start_time(start.into())
                    .end_time(end.into())
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, e))?;
                for event in out.events() {
                    if !INVOCATIONS.contains(&event.event_name().unwrap_or_default()) {
                        continue;
                    }
                    let record: serde_json::Value = event
                        .cloud_trail_event()
                        .and_then(|e| serde_json::from_str(e).ok())
                        .unwrap_or_default();
                    let inference = record["additionalEventData"]["inferenceRegion"]
                        .as_str()
                        .or_else(|| record["awsRegion"].as_str())
                        .unwrap_or(region.as_str());
                    served.push(inference.to_string());
                }
                match out.next_token() {
                    Some(next) => token = Some(next.to_string()),
                    None => break,
                }
            }
            Ok::<_, AwsError>(served)
        };
        let params = format!("bedrock|{days}");
        self.cached_call(OP, Some(region.as_str()), params, sample, Ok)
            .await
    }

    /// LookupEvents for `bedrock-mantle.amazonaws.com` in `region` over the last `days` days:
    /// how many calls to the Mantle endpoint the first page shows (enough to say it is used).
    pub async fn recent_mantle_calls(&self, region: &Region, days: u64) -> Result<usize, AwsError> {
        const OP: &Operation = &catalog::LOOKUP_EVENTS;
        let first_page = || async {
            let end = std::time::SystemTime::now();
            let start = end - std::time::Duration::from_secs(days * 86_400);
            let source = event_source("bedrock-mantle.amazonaws.com", OP)?;
            let cloudtrail = self.session.cloudtrail(region);
            let request = cloudtrail.lookup_events().lookup_attributes(source);
            request
                .start_time(start.into())
                .end_time(end.into())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(OP, e))
        };
        let params = format!("bedrock-mantle|{days}");
        self.cached_call(OP, Some(region.as_str()), params, first_page, |out| {
            Ok(out.events().len())
        })
        .await
    }
}
