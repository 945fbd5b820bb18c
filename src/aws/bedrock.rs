//! Bedrock, Bedrock Runtime and Service Quotas reads, per region, filling the domain's types.

use std::sync::Arc;

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError;
use aws_smithy_types::Blob;
use aws_smithy_types::date_time::Format;

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{
    Availability, FoundationModel, InferenceProfile, Lifecycle, Region, ServiceQuota,
};

/// ListInferenceProfiles and GetInferenceProfile describe a profile with the same fields in
/// two SDK types.
macro_rules! profile_of {
    ($p:expr) => {{
        let p = $p;
        InferenceProfile {
            id: p.inference_profile_id,
            arn: p.inference_profile_arn,
            name: p.inference_profile_name,
            kind: p.r#type.as_str().to_string(),
            status: p.status.as_str().to_string(),
            model_arns: p.models.into_iter().filter_map(|m| m.model_arn).collect(),
        }
    }};
}

/// What Bedrock Runtime answered to a call with a body it must reject before inference.
#[derive(Clone, Debug, PartialEq)]
pub enum ProbeAnswer {
    /// The call succeeded, which a deliberately invalid body must never do.
    Invoked,
    Rejected(AwsError),
}

/// The Bedrock Runtime call a probe sends: what SDKs call, or what Claude Code calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeCall {
    InvokeModel,
    InvokeModelWithResponseStream,
}

impl ProbeCall {
    pub fn operation(self) -> &'static Operation {
        match self {
            ProbeCall::InvokeModel => &catalog::INVOKE_MODEL,
            ProbeCall::InvokeModelWithResponseStream => &catalog::INVOKE_MODEL_WITH_RESPONSE_STREAM,
        }
    }
}

fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    value.and_then(|t| t.fmt(Format::DateTime).ok())
}

/// The sum of every value of every series a GetMetricData request returns, every page.
pub(super) async fn metric_sum(
    request: aws_sdk_cloudwatch::operation::get_metric_data::builders::GetMetricDataFluentBuilder,
) -> Result<f64, aws_sdk_cloudwatch::error::SdkError<GetMetricDataError>> {
    let pages = all_pages!(request).await?;
    Ok(pages
        .into_iter()
        .flat_map(|page| page.metric_data_results.unwrap_or_default())
        .flat_map(|result| result.values.unwrap_or_default())
        .sum())
}

/// The `Sum` of one `AWS/Bedrock` metric of one `ModelId` per `period` seconds, answered
/// under `query_id`.
fn bedrock_sum(
    query_id: String,
    model_id: &str,
    metric: &str,
    period: i32,
) -> aws_sdk_cloudwatch::types::MetricDataQuery {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let metric = Metric::builder()
        .namespace("AWS/Bedrock")
        .metric_name(metric)
        .dimensions(Dimension::builder().name("ModelId").value(model_id).build())
        .build();
    MetricDataQuery::builder()
        .id(query_id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

/// GetMetricData's answer: per (model ID, metric), each period's value by its start (epoch
/// seconds).
#[derive(Clone, Debug, Default)]
pub struct MetricSeries {
    pub points:
        std::collections::HashMap<(String, &'static str), std::collections::BTreeMap<i64, f64>>,
}

/// The pages of one GetMetricData request put together, by the queries they answer.
fn metric_pages(
    queries: &[(String, &'static str)],
    pages: Vec<aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput>,
) -> Result<MetricSeries, AwsError> {
    let malformed = |message: String| {
        AwsError::new(AwsErrorKind::Malformed, &catalog::GET_METRIC_DATA, message)
    };
    let mut series = MetricSeries::default();
    let mut status: std::collections::HashMap<usize, String> = std::collections::HashMap::new();
    for page in pages {
        if let Some(message) = page.messages.unwrap_or_default().into_iter().next() {
            return Err(AwsError::new(
                AwsErrorKind::Other,
                &catalog::GET_METRIC_DATA,
                format!(
                    "CloudWatch answered with a message instead of complete data: {}: {}",
                    message.code.unwrap_or_default(),
                    message.value.unwrap_or_default()
                ),
            ));
        }
        for result in page.metric_data_results.unwrap_or_default() {
            let index = result
                .id
                .as_deref()
                .and_then(|id| id.strip_prefix('q'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|i| *i < queries.len())
                .ok_or_else(|| {
                    malformed(format!("an answer to a query never asked: {:?}", result.id))
                })?;
            let times = result.timestamps.unwrap_or_default();
            let values = result.values.unwrap_or_default();
            if times.len() != values.len() {
                return Err(malformed(format!(
                    "{} timestamps for {} values",
                    times.len(),
                    values.len()
                )));
            }
            let (id, metric) = &queries[index];
            if let Some(message) = result.messages.unwrap_or_default().into_iter().next() {
                return Err(AwsError::new(
                    AwsErrorKind::Other,
                    &catalog::GET_METRIC_DATA,
                    format!(
                        "CloudWatch answered {metric} of {id} with a message instead of complete data: {}: {}",
                        message.code.unwrap_or_default(),
                        message.value.unwrap_or_default()
                    ),
                ));
            }
            let points = series.points.entry((id.clone(), *metric)).or_default();
            for (time, value) in times.iter().zip(values) {
                if !value.is_finite() || value < 0.0 {
                    return Err(malformed(format!("{metric} of {id} has the value {value}")));
                }
                // Pages continue a series; one that repeats a period would count it twice.
                if points.insert(time.secs(), value).is_some() {
                    return Err(malformed(format!(
                        "{metric} of {id} has the period at {} twice",
                        time.secs()
                    )));
                }
            }
            let code = result
                .status_code
                .ok_or_else(|| malformed(format!("{metric} of {id} came without a StatusCode")))?;
            status.insert(index, code.as_str().to_string());
        }
    }
    if let Some((id, metric)) = (0..queries.len())
        .find(|i| !status.contains_key(i))
        .map(|i| &queries[i])
    {
        return Err(malformed(format!("no answer for {metric} of {id}")));
    }
    for (index, code) in status {
        let (id, metric) = &queries[index];
        match code.as_str() {
            "Complete" => {}
            "Forbidden" => {
                return Err(AwsError::new(
                    AwsErrorKind::Denied,
                    &catalog::GET_METRIC_DATA,
                    format!("CloudWatch answered Forbidden for {metric} of {id}"),
                ));
            }
            "InternalError" => {
                return Err(AwsError::new(
                    AwsErrorKind::Unavailable,
                    &catalog::GET_METRIC_DATA,
                    format!("CloudWatch answered InternalError for {metric} of {id}"),
                ));
            }
            other => {
                return Err(malformed(format!(
                    "{metric} of {id} ended with status {other}, not Complete"
                )));
            }
        }
    }
    Ok(series)
}

impl AwsReader {
    /// The `AWS/Bedrock` `Invocations` recorded in `region` over the last `days` days under
    /// any of `model_ids` (the `ModelId` dimension: the base model ID, or the inference
    /// profile ID a call went through), summed.
    pub async fn model_invocations(
        &self,
        region: &Region,
        model_ids: &[String],
        days: u32,
    ) -> Result<f64, AwsError> {
        let params = format!("{days}|{}", model_ids.join(","));
        let sum = || {
            let period = days as i32 * 86_400;
            let end = std::time::SystemTime::now();
            let start = end - std::time::Duration::from_secs(period as u64);
            let mut request = self
                .session
                .cloudwatch(region)
                .get_metric_data()
                .start_time(start.into())
                .end_time(end.into());
            for (index, id) in model_ids.iter().enumerate() {
                request = request.metric_data_queries(bedrock_sum(
                    format!("m{index}"),
                    id,
                    "Invocations",
                    period,
                ));
            }
            metric_sum(request)
        };
        let op = &catalog::GET_METRIC_DATA;
        self.cached_call(op, Some(region.as_str()), params, sum, Ok)
            .await
    }

    /// `AWS/Bedrock` runtime metrics of each of `model_ids` (the `ModelId` dimension), summed
    /// per `period` seconds over `[start, end)` (epoch seconds): every metric of every ID in
    /// one GetMetricData request (a second one past its 500-query limit), every page. A period
    /// without data is absent from its series. A query CloudWatch answers without
    /// `StatusCode` `Complete`, or a global message, is an error: a partial series would
    /// understate usage.
    pub async fn bedrock_metrics(
        &self,
        region: &Region,
        model_ids: &[String],
        metrics: &[&'static str],
        period: i32,
        (start, end): (i64, i64),
    ) -> Result<Arc<MetricSeries>, AwsError> {
        const QUERIES_PER_CALL: usize = 500;
        let queries: Vec<(String, &'static str)> = model_ids
            .iter()
            .flat_map(|id| metrics.iter().map(move |m| (id.clone(), *m)))
            .collect();
        let calls = queries.chunks(QUERIES_PER_CALL).map(|chunk| {
            let params = format!(
                "{period}|{start}|{end}|{}",
                chunk
                    .iter()
                    .map(|(id, m)| format!("{id}/{m}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let send = move || {
                let mut request = self
                    .session
                    .cloudwatch(region)
                    .get_metric_data()
                    .start_time(aws_smithy_types::DateTime::from_secs(start))
                    .end_time(aws_smithy_types::DateTime::from_secs(end));
                for (index, (id, metric)) in chunk.iter().enumerate() {
                    request = request.metric_data_queries(bedrock_sum(
                        format!("q{index}"),
                        id,
                        metric,
                        period,
                    ));
                }
                all_pages!(request)
            };
            self.cached_call(
                &catalog::GET_METRIC_DATA,
                Some(region.as_str()),
                params,
                send,
                move |pages| metric_pages(chunk, pages).map(Arc::new),
            )
        });
        let mut series = MetricSeries::default();
        for part in futures_util::future::try_join_all(calls).await? {
            for (key, points) in part.points.iter() {
                series.points.insert(key.clone(), points.clone());
            }
        }
        Ok(Arc::new(series))
    }

    /// ListFoundationModels: the region's whole catalog (the API has no pagination).
    pub async fn foundation_models(
        &self,
        region: &Region,
    ) -> Result<Arc<Vec<FoundationModel>>, AwsError> {
        self.cached_call(
            &catalog::LIST_FOUNDATION_MODELS,
            Some(region.as_str()),
            "",
            || self.session.bedrock(region).list_foundation_models().send(),
            |out| {
                let models = out.model_summaries.unwrap_or_default();
                Ok(Arc::new(models.into_iter().map(foundation_model).collect()))
            },
        )
        .await
    }

    /// GetFoundationModelAvailability for a base model ID.
    pub async fn model_availability(
        &self,
        region: &Region,
        model_id: &str,
    ) -> Result<Availability, AwsError> {
        self.cached_call(
            &catalog::GET_FOUNDATION_MODEL_AVAILABILITY,
            Some(region.as_str()),
            model_id,
            || {
                let bedrock = self.session.bedrock(region);
                bedrock
                    .get_foundation_model_availability()
                    .model_id(model_id)
                    .send()
            },
            |out| {
                let (agreement, agreement_error) = match out.agreement_availability {
                    Some(a) => (a.status.as_str().to_string(), a.error_message),
                    None => (String::new(), None),
                };
                Ok(Availability {
                    agreement,
                    agreement_error,
                    authorization: out.authorization_status.as_str().to_string(),
                    entitlement: out.entitlement_availability.as_str().to_string(),
                    region: out.region_availability.as_str().to_string(),
                })
            },
        )
        .await
    }

    /// GetUseCaseForModelAccess: whether the account submitted the Anthropic use case
    /// (first-time-use) form. `Ok(false)` when Bedrock answers that none was submitted.
    pub async fn use_case_submitted(&self, region: &Region) -> Result<bool, AwsError> {
        self.cached_reply(
            &catalog::GET_USE_CASE_FOR_MODEL_ACCESS,
            Some(region.as_str()),
            "",
            || {
                self.session
                    .bedrock(region)
                    .get_use_case_for_model_access()
                    .send()
            },
            |reply| match reply {
                Ok(_) => Ok(true),
                Err(error) if error.kind() == AwsErrorKind::NotFound => Ok(false),
                Err(error) => Err(error),
            },
        )
        .await
    }

    /// GetAccountDataRetention: the account-wide data-retention mode (`default`, `none`,
    /// `aws_review`, `provider_data_share`, `inherit`, or what AWS adds), as AWS spells it.
    pub async fn account_data_retention(&self, region: &Region) -> Result<String, AwsError> {
        self.cached_call(
            &catalog::GET_ACCOUNT_DATA_RETENTION,
            Some(region.as_str()),
            "",
            || {
                self.session
                    .bedrock(region)
                    .get_account_data_retention()
                    .send()
            },
            |out| Ok(out.mode().as_str().to_string()),
        )
        .await
    }

    /// ListFoundationModelAgreementOffers: the offer tokens of a model's agreement, in the
    /// order Bedrock lists them.
    pub async fn agreement_offers(
        &self,
        region: &Region,
        model_id: &str,
    ) -> Result<Vec<String>, AwsError> {
        self.cached_call(
            &catalog::LIST_FOUNDATION_MODEL_AGREEMENT_OFFERS,
            Some(region.as_str()),
            model_id,
            || {
                let bedrock = self.session.bedrock(region);
                bedrock
                    .list_foundation_model_agreement_offers()
                    .model_id(model_id)
                    .send()
            },
            |out| Ok(out.offers.into_iter().map(|o| o.offer_token).collect()),
        )
        .await
    }

    /// ListInferenceProfiles, every page, every type the region lists.
    pub async fn inference_profiles(
        &self,
        region: &Region,
    ) -> Result<Arc<Vec<InferenceProfile>>, AwsError> {
        self.cached_call(
            &catalog::LIST_INFERENCE_PROFILES,
            Some(region.as_str()),
            "",
            || all_items!(self.session.bedrock(region).list_inference_profiles()),
            |summaries| {
                Ok(Arc::new(
                    summaries.into_iter().map(|p| profile_of!(p)).collect(),
                ))
            },
        )
        .await
    }

    /// ListInferenceProfiles of type APPLICATION, every page: the profiles this account
    /// made, which the list without a type may leave out.
    pub async fn application_profiles(
        &self,
        region: &Region,
    ) -> Result<Arc<Vec<InferenceProfile>>, AwsError> {
        self.cached_call(
            &catalog::LIST_INFERENCE_PROFILES,
            Some(region.as_str()),
            "APPLICATION",
            || {
                all_items!(
                    self.session
                        .bedrock(region)
                        .list_inference_profiles()
                        .type_equals(aws_sdk_bedrock::types::InferenceProfileType::Application)
                )
            },
            |summaries| {
                Ok(Arc::new(
                    summaries.into_iter().map(|p| profile_of!(p)).collect(),
                ))
            },
        )
        .await
    }

    /// GetInferenceProfile by ID or ARN (application profiles the list may not show).
    pub async fn inference_profile(
        &self,
        region: &Region,
        identifier: &str,
    ) -> Result<InferenceProfile, AwsError> {
        self.cached_call(
            &catalog::GET_INFERENCE_PROFILE,
            Some(region.as_str()),
            identifier,
            || {
                let bedrock = self.session.bedrock(region);
                bedrock
                    .get_inference_profile()
                    .inference_profile_identifier(identifier)
                    .send()
            },
            |p| Ok(profile_of!(p)),
        )
        .await
    }

    /// ListServiceQuotas for service code `bedrock`: the values applied to this account.
    pub async fn bedrock_quotas(
        &self,
        region: &Region,
    ) -> Result<Arc<Vec<ServiceQuota>>, AwsError> {
        self.cached_call(
            &catalog::LIST_SERVICE_QUOTAS,
            Some(region.as_str()),
            "bedrock",
            || {
                all_items!(
                    self.session
                        .quotas(region)
                        .list_service_quotas()
                        .service_code("bedrock")
                )
            },
            quotas,
        )
        .await
    }

    /// ListAWSDefaultServiceQuotas for service code `bedrock`.
    pub async fn bedrock_default_quotas(
        &self,
        region: &Region,
    ) -> Result<Arc<Vec<ServiceQuota>>, AwsError> {
        self.cached_call(
            &catalog::LIST_AWS_DEFAULT_SERVICE_QUOTAS,
            Some(region.as_str()),
            "bedrock",
            || {
                let quotas = self.session.quotas(region);
                all_items!(
                    quotas
                        .list_aws_default_service_quotas()
                        .service_code("bedrock")
                )
            },
            quotas,
        )
        .await
    }

    /// InvokeModel or InvokeModelWithResponseStream with a body the caller chose to be
    /// invalid, so that Bedrock rejects it before any inference.
    pub async fn probe_rejected_body(
        &self,
        call: ProbeCall,
        region: &Region,
        model_id: &str,
        body: &str,
    ) -> Result<ProbeAnswer, AwsError> {
        let op = call.operation();
        // The two requests differ only in their builder's type.
        macro_rules! send {
            ($request:expr) => {
                $request
                    .model_id(model_id)
                    .content_type("application/json")
                    .accept("application/json")
                    .body(Blob::new(body.as_bytes()))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| AwsError::from_sdk(op, e))
            };
        }
        self.cached_reply(
            op,
            Some(region.as_str()),
            format!("{model_id}\n{body}"),
            || async {
                let runtime = self.session.runtime(region);
                match call {
                    ProbeCall::InvokeModel => send!(runtime.invoke_model()),
                    ProbeCall::InvokeModelWithResponseStream => {
                        send!(runtime.invoke_model_with_response_stream())
                    }
                }
            },
            |reply| {
                Ok(match reply {
                    Ok(()) => ProbeAnswer::Invoked,
                    Err(error) => ProbeAnswer::Rejected(error),
                })
            },
        )
        .await
    }
}

fn foundation_model(m: aws_sdk_bedrock::types::FoundationModelSummary) -> FoundationModel {
    FoundationModel {
        lifecycle: match &m.model_lifecycle {
            Some(l) => Lifecycle {
                status: l.status.as_str().to_string(),
                legacy_time: time(l.legacy_time.as_ref()),
                public_extended_access_time: time(l.public_extended_access_time.as_ref()),
                end_of_life_time: time(l.end_of_life_time.as_ref()),
            },
            None => Lifecycle::default(),
        },
        inference_types: m
            .inference_types_supported
            .unwrap_or_default()
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        id: m.model_id,
        arn: m.model_arn,
        name: m.model_name,
        provider: m.provider_name,
    }
}

fn quotas(
    list: Vec<aws_sdk_servicequotas::types::ServiceQuota>,
) -> Result<Arc<Vec<ServiceQuota>>, AwsError> {
    Ok(Arc::new(list.into_iter().filter_map(quota_of).collect()))
}

fn quota_of(q: aws_sdk_servicequotas::types::ServiceQuota) -> Option<ServiceQuota> {
    Some(ServiceQuota {
        code: q.quota_code?,
        name: q.quota_name?,
        value: q.value?,
        adjustable: q.adjustable,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
    use aws_sdk_cloudwatch::types::{MessageData, MetricDataResult, StatusCode};
    use aws_smithy_types::DateTime;

    use super::*;

    fn result(id: &str, points: &[(i64, f64)], status: Option<StatusCode>) -> MetricDataResult {
        let mut result = MetricDataResult::builder().id(id).set_status_code(status);
        for (t, v) in points {
            result = result.timestamps(DateTime::from_secs(*t)).values(*v);
        }
        result.build()
    }

    fn page(results: Vec<MetricDataResult>) -> GetMetricDataOutput {
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    }

    fn queries() -> Vec<(String, &'static str)> {
        vec![
            ("m".into(), "Invocations"),
            ("m".into(), "InvocationThrottles"),
        ]
    }

    #[test]
    fn pages_are_put_together_by_query_and_period() {
        let series = metric_pages(
            &queries(),
            vec![
                page(vec![result(
                    "q0",
                    &[(120, 2.0)],
                    Some(StatusCode::PartialData),
                )]),
                page(vec![
                    result("q0", &[(60, 1.0)], Some(StatusCode::Complete)),
                    result("q1", &[], Some(StatusCode::Complete)),
                ]),
            ],
        )
        .unwrap();
        let invocations = &series.points[&("m".to_string(), "Invocations")];
        assert_eq!(
            invocations.iter().collect::<Vec<_>>(),
            [(&60, &1.0), (&120, &2.0)]
        );
        assert!(series.points[&("m".to_string(), "InvocationThrottles")].is_empty());
    }

    #[test]
    fn an_answer_short_of_complete_data_is_an_error_never_less_usage() {
        let complete = || result("q1", &[], Some(StatusCode::Complete));
        let cases: Vec<(Vec<GetMetricDataOutput>, AwsErrorKind)> = vec![
            // A query no page answers.
            (vec![page(vec![complete()])], AwsErrorKind::Malformed),
            // The last page still partial.
            (
                vec![page(vec![
                    result("q0", &[(60, 1.0)], Some(StatusCode::PartialData)),
                    complete(),
                ])],
                AwsErrorKind::Malformed,
            ),
            (
                vec![page(vec![
                    result("q0", &[], Some(StatusCode::Forbidden)),
                    complete(),
                ])],
                AwsErrorKind::Denied,
            ),
            (
                vec![page(vec![
                    result("q0", &[], Some(StatusCode::InternalError)),
                    complete(),
                ])],
                AwsErrorKind::Unavailable,
            ),
            // No status at all.
            (
                vec![page(vec![result("q0", &[(60, 1.0)], None), complete()])],
                AwsErrorKind::Malformed,
            ),
            // A period twice across pages, a value that is no count, an unknown query.
            (
                vec![
                    page(vec![result(
                        "q0",
                        &[(60, 1.0)],
                        Some(StatusCode::PartialData),
                    )]),
                    page(vec![
                        result("q0", &[(60, 1.0)], Some(StatusCode::Complete)),
                        complete(),
                    ]),
                ],
                AwsErrorKind::Malformed,
            ),
            (
                vec![page(vec![
                    result("q0", &[(60, f64::NAN)], Some(StatusCode::Complete)),
                    complete(),
                ])],
                AwsErrorKind::Malformed,
            ),
            (
                vec![page(vec![
                    result("q7", &[], Some(StatusCode::Complete)),
                    complete(),
                ])],
                AwsErrorKind::Malformed,
            ),
            (
                vec![
                    GetMetricDataOutput::builder()
                        .messages(
                            MessageData::builder()
                                .code("MaxMetricsExceeded")
                                .value("Maximum number of allowed metrics exceeded")
                                .build(),
                        )
                        .build(),
                ],
                AwsErrorKind::Other,
            ),
        ];
        for (index, (pages, kind)) in cases.into_iter().enumerate() {
            let error = metric_pages(&queries(), pages).expect_err(&format!("case {index}"));
            assert_eq!(error.kind(), kind, "case {index}: {error}");
        }
        let mismatched = MetricDataResult::builder()
            .id("q0")
            .timestamps(DateTime::from_secs(60))
            .status_code(StatusCode::Complete)
            .build();
        assert!(metric_pages(&queries(), vec![page(vec![mismatched, complete()])]).is_err());
    }
}
