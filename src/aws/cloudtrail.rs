//! CloudTrail reads for `audit`: the trails that cover a region (its own and the shadows of
//! multi-region and organization trails), whether each is logging, and what it selects. A
//! trail's status and selectors are read once, in its home region, however many regions list it.

use aws_sdk_cloudtrail::types::{AdvancedFieldSelector, ReadWriteType};

use super::catalog::{self, Operation};
use super::{AwsError, AwsReader, CallKey, Session};
use crate::domain::{AdvancedSelector, BasicSelector, Region, Trail, TrailSelectors};

impl Session {
    fn cloudtrail(&self, region: &Region) -> aws_sdk_cloudtrail::Client {
        self.regional(&self.clients.cloudtrail, region, |config| {
            aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::config::Builder::from(config)
                    .interceptor(self.counter())
                    .build(),
            )
        })
    }
}

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

impl AwsReader {
    /// DescribeTrails with shadow trails: every trail that records events of `region`.
    pub async fn trails(&self, region: &Region) -> Result<Vec<Trail>, AwsError> {
        const OP: &Operation = &catalog::DESCRIBE_TRAILS;
        self.cache
            .get(
                self.log(),
                CallKey::new(OP, Some(region.as_str()), ""),
                || async {
                    let out = self
                        .session
                        .cloudtrail(region)
                        .describe_trails()
                        .include_shadow_trails(true)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(OP, e))?;
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
        let home: Region = trail.home_region.parse().map_err(|why| {
            AwsError::new(
                super::AwsErrorKind::Malformed,
                OP,
                format!("home region: {why}"),
            )
        })?;
        self.cache
            .get(
                self.log(),
                CallKey::new(OP, Some(home.as_str()), trail.arn.as_str()),
                || async {
                    let out = self
                        .session
                        .cloudtrail(&home)
                        .get_trail_status()
                        .name(&trail.arn)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(OP, e))?;
                    Ok(out.is_logging().unwrap_or(false))
                },
            )
            .await
    }

    /// GetEventSelectors, in the trail's home region.
    pub async fn trail_selectors(&self, trail: &Trail) -> Result<TrailSelectors, AwsError> {
        const OP: &Operation = &catalog::GET_EVENT_SELECTORS;
        let home: Region = trail.home_region.parse().map_err(|why| {
            AwsError::new(
                super::AwsErrorKind::Malformed,
                OP,
                format!("home region: {why}"),
            )
        })?;
        self.cache
            .get(
                self.log(),
                CallKey::new(OP, Some(home.as_str()), trail.arn.as_str()),
                || async {
                    let out = self
                        .session
                        .cloudtrail(&home)
                        .get_event_selectors()
                        .trail_name(&trail.arn)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(OP, e))?;
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
}
