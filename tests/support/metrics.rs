//! Recorded CloudWatch metrics, and CloudWatch's `GetMetricData` answered from them.
//!
//! moto stores metrics but does not speak the Smithy RPC v2 CBOR protocol the Rust SDK uses
//! for CloudWatch, so the front server answers `GetMetricData` itself, in the shapes of
//! botocore's `cloudwatch` model: each `MetricStat` query aggregated by its `Period` and `Stat`
//! over `[StartTime, EndTime)`, periods without data left out, newest first unless
//! `ScanBy` says otherwise, at most `MaxDatapoints` values a page with a `NextToken` for the
//! rest, `StatusCode` `PartialData` on a query that continues on the next page. A value is
//! recorded per minute, as Bedrock publishes its runtime metrics: `Sum` adds the minutes of a
//! period, `Maximum`/`Minimum` take the largest/smallest minute, `SampleCount` counts them.

use std::collections::{BTreeMap, HashMap};

use ciborium::Value;

/// A metric as CloudWatch names it: namespace, name and its whole set of dimensions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MetricKey {
    region: String,
    namespace: String,
    name: String,
    /// Sorted by name: CloudWatch matches the whole set, in any order.
    dimensions: Vec<(String, String)>,
}

/// Per region, per metric: the value of each minute (epoch seconds, a multiple of 60).
#[derive(Default)]
pub struct MetricStore {
    series: HashMap<MetricKey, BTreeMap<i64, f64>>,
    /// At most this many values a page, below `MaxDatapoints` (tests of pagination).
    pub page_limit: Option<usize>,
}

impl MetricStore {
    /// Records `value` for the minute that holds `epoch_seconds` (added to what it has).
    pub fn record(
        &mut self,
        region: &str,
        namespace: &str,
        name: &str,
        dimensions: &[(&str, &str)],
        epoch_seconds: i64,
        value: f64,
    ) {
        let mut dimensions: Vec<(String, String)> = dimensions
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        dimensions.sort();
        let key = MetricKey {
            region: region.into(),
            namespace: namespace.into(),
            name: name.into(),
            dimensions,
        };
        let minute = epoch_seconds - epoch_seconds.rem_euclid(60);
        *self
            .series
            .entry(key)
            .or_default()
            .entry(minute)
            .or_default() += value;
    }

    /// A Bedrock runtime metric of one `ModelId` (a base model ID or an inference profile ID).
    pub fn record_bedrock(
        &mut self,
        region: &str,
        model_id: &str,
        metric: &str,
        epoch_seconds: i64,
        value: f64,
    ) {
        self.record(
            region,
            "AWS/Bedrock",
            metric,
            &[("ModelId", model_id)],
            epoch_seconds,
            value,
        );
    }

    /// The CBOR answer to a `GetMetricData` request (its CBOR body) in `region`, or the
    /// error a service gives a request it cannot take: `(code, message)`.
    pub fn get_metric_data(&self, region: &str, body: &[u8]) -> Result<Vec<u8>, (String, String)> {
        let invalid = |message: &str| ("ValidationError".to_string(), message.to_string());
        let request: Value =
            ciborium::from_reader(body).map_err(|_| invalid("the body is not CBOR"))?;
        let field = |name: &str| map_get(&request, name);
        let start = field("StartTime")
            .and_then(epoch)
            .ok_or_else(|| invalid("StartTime is required"))?;
        let end = field("EndTime")
            .and_then(epoch)
            .ok_or_else(|| invalid("EndTime is required"))?;
        let ascending = field("ScanBy").and_then(Value::as_text) == Some("TimestampAscending");
        let max_points = field("MaxDatapoints")
            .and_then(integer)
            .map_or(100_800, |n| n.max(1) as usize);
        let page_size = self.page_limit.map_or(max_points, |l| l.min(max_points));
        let offset = match field("NextToken").and_then(Value::as_text) {
            None => 0,
            Some(token) => token
                .strip_prefix("offset-")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| invalid("The NextToken is not valid"))?,
        };
        let queries = field("MetricDataQueries")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("MetricDataQueries is required"))?;
        if queries.len() > 500 {
            return Err(invalid(
                "The collection MetricDataQueries must not have a size greater than 500.",
            ));
        }
        // Every query's points in answer order, then the page cut from them.
        let mut answers = Vec::new();
        for query in queries {
            let id = map_get(query, "Id")
                .and_then(Value::as_text)
                .ok_or_else(|| invalid("MetricDataQuery.Id is required"))?;
            let stat = map_get(query, "MetricStat").ok_or_else(|| {
                invalid("the front server answers MetricStat queries only, not expressions")
            })?;
            let period = map_get(stat, "Period")
                .and_then(integer)
                .filter(|p| *p > 0 && p % 60 == 0)
                .ok_or_else(|| invalid("Period must be a positive multiple of 60"))?;
            let statistic = map_get(stat, "Stat")
                .and_then(Value::as_text)
                .ok_or_else(|| invalid("MetricStat.Stat is required"))?;
            let metric =
                map_get(stat, "Metric").ok_or_else(|| invalid("MetricStat.Metric is required"))?;
            let mut dimensions: Vec<(String, String)> = map_get(metric, "Dimensions")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|d| {
                            Some((
                                map_get(d, "Name")?.as_text()?.to_string(),
                                map_get(d, "Value")?.as_text()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            dimensions.sort();
            let key = MetricKey {
                region: region.to_string(),
                namespace: text(metric, "Namespace"),
                name: text(metric, "MetricName"),
                dimensions,
            };
            let start = start - start.rem_euclid(60);
            let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            if let Some(series) = self.series.get(&key) {
                for (&minute, &value) in series.range(start..end) {
                    let bucket = start + (minute - start) / period * period;
                    buckets.entry(bucket).or_default().push(value);
                }
            }
            let mut points: Vec<(i64, f64)> = Vec::new();
            for (bucket, values) in buckets {
                let value = match statistic {
                    "Sum" => values.iter().sum(),
                    "Maximum" => values.iter().copied().fold(f64::MIN, f64::max),
                    "Minimum" => values.iter().copied().fold(f64::MAX, f64::min),
                    "SampleCount" => values.len() as f64,
                    "Average" => values.iter().sum::<f64>() / values.len() as f64,
                    other => return Err(invalid(&format!("The statistic {other} is not valid"))),
                };
                points.push((bucket, value));
            }
            if !ascending {
                points.reverse();
            }
            answers.push((id.to_string(), key.name.clone(), points));
        }
        let total: usize = answers.iter().map(|(_, _, p)| p.len()).sum();
        let page_end = (offset + page_size).min(total);
        let mut results = Vec::new();
        let mut seen = 0;
        for (id, label, points) in &answers {
            let (from, to) = (seen, seen + points.len());
            seen = to;
            // A query appears on each page that holds some of its points; one without any, on
            // the first page.
            let on_page = if points.is_empty() {
                offset == 0
            } else {
                from < page_end && to > offset
            };
            if !on_page {
                continue;
            }
            let slice = &points[offset.max(from).min(to) - from..page_end.min(to).max(from) - from];
            let status = if !points.is_empty() && to > page_end {
                "PartialData"
            } else {
                "Complete"
            };
            results.push(Value::Map(vec![
                (text_value("Id"), text_value(id)),
                (text_value("Label"), text_value(label)),
                (
                    text_value("Timestamps"),
                    Value::Array(
                        slice
                            .iter()
                            .map(|(t, _)| Value::Tag(1, Box::new(Value::Integer((*t).into()))))
                            .collect(),
                    ),
                ),
                (
                    text_value("Values"),
                    Value::Array(slice.iter().map(|(_, v)| Value::Float(*v)).collect()),
                ),
                (text_value("StatusCode"), text_value(status)),
            ]));
        }
        let mut answer = vec![
            (text_value("MetricDataResults"), Value::Array(results)),
            (text_value("Messages"), Value::Array(Vec::new())),
        ];
        if page_end < total {
            answer.push((
                text_value("NextToken"),
                text_value(&format!("offset-{page_end}")),
            ));
        }
        let mut out = Vec::new();
        ciborium::into_writer(&Value::Map(answer), &mut out)
            .map_err(|e| ("InternalServiceError".to_string(), e.to_string()))?;
        Ok(out)
    }
}

fn map_get<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
}

fn text(value: &Value, name: &str) -> String {
    map_get(value, name)
        .and_then(Value::as_text)
        .unwrap_or_default()
        .to_string()
}

fn text_value(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => i64::try_from(*n).ok(),
        Value::Float(f) => Some(*f as i64),
        _ => None,
    }
}

/// A timestamp as the SDK sends it: tag 1 around epoch seconds.
fn epoch(value: &Value) -> Option<i64> {
    match value {
        Value::Tag(1, inner) => integer(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(fields: Vec<(&str, Value)>) -> Vec<u8> {
        let map = fields
            .into_iter()
            .map(|(k, v)| (text_value(k), v))
            .collect();
        let mut out = Vec::new();
        ciborium::into_writer(&Value::Map(map), &mut out).unwrap();
        out
    }

    fn query(id: &str, model: &str, metric: &str, period: i64, stat: &str) -> Value {
        let dimension = Value::Map(vec![
            (text_value("Name"), text_value("ModelId")),
            (text_value("Value"), text_value(model)),
        ]);
        Value::Map(vec![
            (text_value("Id"), text_value(id)),
            (
                text_value("MetricStat"),
                Value::Map(vec![
                    (
                        text_value("Metric"),
                        Value::Map(vec![
                            (text_value("Namespace"), text_value("AWS/Bedrock")),
                            (text_value("MetricName"), text_value(metric)),
                            (text_value("Dimensions"), Value::Array(vec![dimension])),
                        ]),
                    ),
                    (text_value("Period"), Value::Integer(period.into())),
                    (text_value("Stat"), text_value(stat)),
                ]),
            ),
        ])
    }

    fn time(t: i64) -> Value {
        Value::Tag(1, Box::new(Value::Integer(t.into())))
    }

    fn answer(store: &MetricStore, fields: Vec<(&str, Value)>) -> Value {
        let body = store
            .get_metric_data("us-east-1", &request(fields))
            .unwrap();
        ciborium::from_reader(body.as_slice()).unwrap()
    }

    fn series(result: &Value) -> Vec<(i64, f64)> {
        let times = map_get(result, "Timestamps").unwrap().as_array().unwrap();
        let values = map_get(result, "Values").unwrap().as_array().unwrap();
        times
            .iter()
            .zip(values)
            .map(|(t, v)| (epoch(t).unwrap(), v.as_float().unwrap()))
            .collect()
    }

    #[test]
    fn sums_and_maxima_by_period_newest_first_and_only_for_the_named_metric() {
        let mut store = MetricStore::default();
        for minute in 0..5 {
            store.record_bedrock(
                "us-east-1",
                "m",
                "Invocations",
                600 + minute * 60,
                1.0 + minute as f64,
            );
        }
        store.record_bedrock("eu-west-1", "m", "Invocations", 600, 100.0);
        store.record_bedrock("us-east-1", "other", "Invocations", 600, 100.0);
        let out = answer(
            &store,
            vec![
                ("StartTime", time(600)),
                ("EndTime", time(900)),
                (
                    "MetricDataQueries",
                    Value::Array(vec![
                        query("a", "m", "Invocations", 120, "Sum"),
                        query("b", "m", "Invocations", 300, "Maximum"),
                        query("c", "none", "Invocations", 60, "Sum"),
                    ]),
                ),
            ],
        );
        let results = map_get(&out, "MetricDataResults")
            .unwrap()
            .as_array()
            .unwrap();
        // Minutes 600..840 hold 1..5; 900 is excluded (EndTime is exclusive).
        assert_eq!(
            series(&results[0]),
            vec![(840, 5.0), (720, 7.0), (600, 3.0)]
        );
        assert_eq!(series(&results[1]), vec![(600, 5.0)]);
        assert_eq!(series(&results[2]), vec![]);
        assert!(map_get(&out, "NextToken").is_none());
    }

    #[test]
    fn pages_at_max_datapoints_with_partial_data_until_the_last() {
        let mut store = MetricStore::default();
        for minute in 0..5 {
            store.record_bedrock("us-east-1", "m", "Invocations", minute * 60, 1.0);
            store.record_bedrock("us-east-1", "m", "InvocationThrottles", minute * 60, 2.0);
        }
        let queries = Value::Array(vec![
            query("a", "m", "Invocations", 60, "Sum"),
            query("b", "m", "InvocationThrottles", 60, "Sum"),
        ]);
        let mut token: Option<String> = None;
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut pages = 0;
        loop {
            let mut fields = vec![
                ("StartTime", time(0)),
                ("EndTime", time(600)),
                ("MaxDatapoints", Value::Integer(3.into())),
                ("MetricDataQueries", queries.clone()),
            ];
            if let Some(t) = token.as_deref() {
                fields.push(("NextToken", text_value(t)));
            }
            let out = answer(&store, fields);
            pages += 1;
            for result in map_get(&out, "MetricDataResults")
                .unwrap()
                .as_array()
                .unwrap()
            {
                *seen.entry(text(result, "Id")).or_default() += series(result).len();
            }
            match map_get(&out, "NextToken") {
                Some(t) => token = Some(t.as_text().unwrap().to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 4);
        assert_eq!((seen["a"], seen["b"]), (5, 5));
    }
}
