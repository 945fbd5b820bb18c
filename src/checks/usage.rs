//! `quotas.usage`: what the account's own CloudWatch metrics say about its Bedrock quotas.
//! Bedrock publishes per-`ModelId` runtime metrics each minute (`AWS/Bedrock`); over the
//! usage window this check reads them for every ID that draws on one quota (a model's base ID,
//! its system profile, the application profiles copied from them), adds them up minute by
//! minute, and judges the throttled share and the peaks against the applied quotas of the
//! route the calls took.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::join_all;
use serde_json::json;

use super::facts::{CredentialsFact, Invocations};
use super::quotas::{RouteQuotas, Window, route_quotas};
use crate::aws::{AwsError, MetricSeries};
use crate::domain::{
    FoundationModel, InferenceProfile, Invocation, ModelName, ModelRequest, Region, Route,
    ServiceQuota,
};
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity, Status,
};
use crate::remediation::QuotaIncrease;
use crate::shell::sh;

check! {
    QuotasUsage = "quotas.usage" {
        title: "Quota usage",
        description: "CloudWatch AWS/Bedrock metrics over --usage-window (default 7 days), summed \
                      over every ID that draws on one quota: the throttled share overall and in \
                      the worst hour (warn above 1%, fail above 5%), and the peak tokens and \
                      requests per minute and tokens per day against the applied quotas of the \
                      route the calls took (warn at 80%, fail at 100%); the fix is setup quotas",
        commands: [Doctor, Audit],
        depends_on: ["credentials.resolve"],
        after: ["profiles.resolve"],
        severity: Medium,
        kinds: {
            /// The calls of the usage window stayed within their quotas: at most 1% of requests
            /// throttled, overall and in the worst hour, and the peak minute's tokens and
            /// requests and the busiest day's tokens below 80% of the applied quotas. The
            /// message gives the figures.
            WITHIN = "within-quota",
            /// CloudWatch recorded no call (and no throttled call) under any ID that draws on
            /// this quota in the usage window, so there is no usage to judge; the quota itself
            /// is judged by `quotas.inference`.
            NO_TRAFFIC = "no-traffic",
            /// More than 1% (warn) or 5% (fail) of the requests were throttled, overall or in
            /// the worst hour (`InvocationThrottles / (Invocations + InvocationThrottles)`;
            /// throttled requests count in neither `Invocations` nor the token metrics). Where
            /// the peaks come near the quotas, the fix is the increase `setup quotas` requests;
            /// the finding names the cheaper alternatives where they apply: a global profile
            /// draws on a quota of its own; Bedrock reserves `max_tokens` at the start of each
            /// request, so a lower `max_tokens` (`CLAUDE_CODE_MAX_OUTPUT_TOKENS` for Claude
            /// Code) throttles less; cache reads count toward no quota, so prompt caching
            /// stretches it.
            THROTTLED = "throttled",
            /// Requests were throttled (more than 1%, overall or in the worst hour) while the
            /// peak minute stayed below 80% of the tokens- and requests-per-minute quotas. An
            /// increase would not help much: Bedrock reserves each request's input and
            /// `max_tokens` at its start and gives back what it did not use only at its end, so
            /// bursts of requests with a large `max_tokens` are throttled below the quota. Set
            /// `max_tokens` to what the calls need (`CLAUDE_CODE_MAX_OUTPUT_TOKENS` for Claude
            /// Code), and spread bursts.
            THROTTLED_BELOW_QUOTA = "throttled-below-quota",
            /// The peak minute's tokens (input, cache writes, and output weighted by the
            /// model's burndown rate) or requests (served and throttled), or the busiest day's
            /// tokens, reached 80% (warn) or 100% (fail) of the applied quota of the route.
            /// Request an increase with the `setup quotas` command in the remediation; its value
            /// puts the observed peak at 60% of the new quota.
            NEAR_QUOTA = "near-quota",
            /// Service Quotas lists no quota by the name of this model and route in the region,
            /// so the usage cannot be held against one; the throttled share is still judged.
            /// Look for it in the Service Quotas console (Amazon Bedrock, the region).
            QUOTA_UNKNOWN = "quota-unknown",
            /// Only a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`) is configured, and CloudWatch
            /// takes only SigV4-signed calls, so no metric was read. Configure AWS credentials
            /// as well to have usage checked.
            NO_SIGV4 = "no-sigv4-credentials",
            /// doctor resolved no target model (`profiles.resolve` failed or was skipped), so
            /// there is no model and route whose quota usage to read. Fix what that check
            /// reports first; the usage is read on the next run.
            NO_TARGET = "no-target",
        },
    }
}

/// What the command hands this check: the window, and the load the user plans.
#[derive(Clone, Copy, Debug)]
pub struct UsageOptions {
    pub window_days: u32,
    pub expect_tpm: Option<u64>,
    /// doctor: judge the targets' quotas only; audit: every Claude quota with traffic.
    pub targets_only: bool,
}

impl Default for UsageOptions {
    fn default() -> Self {
        UsageOptions {
            window_days: DEFAULT_WINDOW_DAYS,
            expect_tpm: None,
            targets_only: false,
        }
    }
}

pub const DEFAULT_WINDOW_DAYS: u32 = 7;
/// CloudWatch keeps 1-minute data for 15 days: past that, no per-minute peak exists.
pub const MAX_WINDOW_DAYS: u32 = 15;

const METRICS: [&str; 6] = [
    "Invocations",
    "InvocationThrottles",
    "InputTokenCount",
    "OutputTokenCount",
    "CacheWriteInputTokenCount",
    "CacheReadInputTokenCount",
];

const SHARE_WARN: f64 = 0.01;
const SHARE_FAIL: f64 = 0.05;
const PEAK_WARN: f64 = 0.8;
/// The share of a new quota the observed peak should use: the increase asked for is the peak
/// divided by this.
const PEAK_TARGET: f64 = 0.6;
/// An hour with fewer requests says little about throttling (one throttled request of three is
/// not a 33% problem): the worst hour is taken among hours with at least this many.
const MIN_HOURLY_REQUESTS: f64 = 20.0;

/// How many quota tokens one output token uses. AWS's "How tokens are counted in Amazon
/// Bedrock" (docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html) names
/// Claude Opus 4 and Claude Sonnet 4 with a 5x output burndown, under the heading "Token
/// burndown rate for Anthropic Claude 4 models"; later Claude 4 generations are taken to
/// share it (not confirmed by name), and older models burn down at 1x.
fn burndown(model_id: &str) -> (f64, &'static str) {
    const SOURCE: &str = "AWS docs, quotas-token-burndown";
    match crate::domain::models::generation_of(model_id) {
        Some((_, (4, 0))) => (5.0, SOURCE),
        Some((_, (major, _))) if major >= 4 => (
            5.0,
            "inferred from AWS docs' 'Token burndown rate for Anthropic Claude 4 models' (the page names Opus 4 and Sonnet 4): unconfirmed for this model",
        ),
        Some(_) => (1.0, SOURCE),
        None => (
            1.0,
            "unknown model generation: output counted once (unconfirmed)",
        ),
    }
}

#[async_trait]
impl Check for QuotasUsage {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// The application profiles are the one read `run` adds to what other checks ask at start:
    /// asked now, the metric read follows `profiles.resolve` directly.
    async fn prefetch(&self, cx: &CheckContext) {
        super::prefetch_per_region(cx, |region| cx.aws.application_profiles(region)).await;
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        if cx
            .fact::<CredentialsFact>()
            .is_some_and(|c| c.sigv4.is_none())
        {
            return Ok(vec![Finding::skip(
                &META,
                kind::NO_SIGV4,
                "Skipped: CloudWatch takes SigV4 credentials, and only a Bedrock API key is configured",
            )]);
        }
        let options = cx
            .fact::<UsageOptions>()
            .map_or_else(UsageOptions::default, |o| *o);
        let end = now_minute();
        let window = (end - i64::from(options.window_days) * 86_400, end);
        if options.targets_only {
            let Some(invocations) = cx.fact::<Invocations>() else {
                return Ok(vec![Finding::skip(
                    &META,
                    kind::NO_TARGET,
                    "Skipped: no target model resolved (profiles.resolve), so there is no quota to read usage for",
                )]);
            };
            let mut regions: Vec<&Region> = invocations.list.iter().map(|i| &i.region).collect();
            regions.sort();
            regions.dedup();
            let per_region = join_all(regions.into_iter().map(|region| {
                let targets: Vec<&Invocation> = invocations
                    .list
                    .iter()
                    .filter(|i| &i.region == region)
                    .collect();
                judge_region(cx, region, Some(targets), window, options)
            }))
            .await;
            Ok(per_region.into_iter().flatten().collect())
        } else {
            let per_region = join_all(
                cx.scope
                    .regions
                    .iter()
                    .map(|region| judge_region(cx, region, None, window, options)),
            )
            .await;
            Ok(per_region.into_iter().flatten().collect())
        }
    }
}

fn now_minute() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    now - now % 60
}

/// IDs that draw on one quota: one model's calls through one kind of route in one region.
struct Pool {
    model: FoundationModel,
    route: Route,
    /// What the finding names and the fix passes as `--model`.
    target: String,
    /// The invocation doctor judges (its route decides the quota), when there is one.
    invocation: Option<Invocation>,
    members: Vec<Member>,
}

/// One ID calls are recorded under: a model ID, a system profile, an application profile
/// (whose `ModelId` dimension may be its ID or its ARN: both are read).
#[derive(Clone, Debug, PartialEq)]
struct Member {
    label: String,
    ids: Vec<String>,
    route: Route,
    model_id: String,
}

/// The route whose quotas an invocation draws on.
fn quota_route(invocation: &Invocation) -> Route {
    match (&invocation.route, &invocation.profile) {
        (Route::Application, Some(profile)) => profile.application_route(),
        (route, _) => *route,
    }
}

fn model_of_arn(arn: &str) -> Option<&str> {
    arn.rsplit_once("foundation-model/").map(|(_, id)| id)
}

fn is_claude(model: &FoundationModel) -> bool {
    model.id.starts_with("anthropic.claude")
}

/// Every ID in the region calls to a Claude model can be recorded under.
fn members_of(
    catalog: &[FoundationModel],
    profiles: &[InferenceProfile],
    applications: &[InferenceProfile],
) -> Vec<Member> {
    let mut members = Vec::new();
    for model in catalog.iter().filter(|m| is_claude(m)) {
        members.push(Member {
            label: model.id.clone(),
            ids: vec![model.id.clone()],
            route: Route::OnDemand,
            model_id: model.id.clone(),
        });
    }
    let claude = |profile: &InferenceProfile| {
        profile
            .model_arns
            .iter()
            .filter_map(|a| model_of_arn(a))
            .find(|id| id.starts_with("anthropic.claude"))
            .map(str::to_string)
    };
    for profile in profiles.iter().filter(|p| p.kind == "SYSTEM_DEFINED") {
        if let Some(model_id) = claude(profile) {
            members.push(Member {
                label: profile.id.clone(),
                ids: vec![profile.id.clone()],
                route: if profile.id.starts_with("global.") {
                    Route::Global
                } else {
                    Route::Geographic
                },
                model_id,
            });
        }
    }
    let mut seen = Vec::new();
    for profile in profiles
        .iter()
        .chain(applications)
        .filter(|p| p.kind == "APPLICATION")
    {
        if seen.contains(&&profile.arn) {
            continue;
        }
        seen.push(&profile.arn);
        if let Some(model_id) = claude(profile) {
            members.push(Member {
                label: profile.name.clone(),
                ids: vec![profile.id.clone(), profile.arn.clone()],
                route: profile.application_route(),
                model_id,
            });
        }
    }
    members
}

async fn judge_region(
    cx: &CheckContext,
    region: &Region,
    targets: Option<Vec<&Invocation>>,
    window: (i64, i64),
    options: UsageOptions,
) -> Vec<Finding> {
    let (catalog, profiles, applications) = tokio::join!(
        cx.aws.foundation_models(region),
        cx.aws.inference_profiles(region),
        cx.aws.application_profiles(region),
    );
    let on_region = |f: Finding| f.region(region.as_str());
    let catalog = match catalog {
        Ok(c) => c,
        Err(e) => return vec![on_region(Finding::aws_error(&META, &e))],
    };
    let profiles = match profiles {
        Ok(p) => p,
        Err(e) => return vec![on_region(Finding::aws_error(&META, &e))],
    };
    // Without the application profiles, usage through them would go unseen and a quota
    // could look emptier than it is: no verdict stands on that.
    let applications = match applications {
        Ok(a) => a,
        Err(e) => return vec![on_region(Finding::aws_error(&META, &e))],
    };
    let everyone = members_of(&catalog, &profiles, &applications);
    let pools: Vec<Pool> = match &targets {
        Some(targets) => targets
            .iter()
            .map(|invocation| {
                let route = quota_route(invocation);
                let mut members: Vec<Member> = everyone
                    .iter()
                    .filter(|m| m.route == route && m.model_id == invocation.model.id)
                    .cloned()
                    .collect();
                // The target itself, even where the lists above do not show it.
                if !members.iter().any(|m| m.ids.contains(&invocation.model_id)) {
                    let mut ids = vec![invocation.model_id.clone()];
                    if let Some(profile) = &invocation.profile {
                        ids.extend([profile.id.clone(), profile.arn.clone()]);
                    }
                    ids.sort();
                    ids.dedup();
                    members.push(Member {
                        label: invocation.model_id.clone(),
                        ids,
                        route,
                        model_id: invocation.model.id.clone(),
                    });
                }
                Pool {
                    model: invocation.model.clone(),
                    route,
                    target: invocation.model_id.clone(),
                    invocation: Some((*invocation).clone()),
                    members,
                }
            })
            .collect(),
        None => {
            let mut pools: Vec<Pool> = Vec::new();
            for member in &everyone {
                match pools
                    .iter_mut()
                    .find(|p| p.route == member.route && p.model.id == member.model_id)
                {
                    Some(pool) => pool.members.push(member.clone()),
                    None => {
                        // A model the region's catalog does not list (reached only through
                        // a profile) is still read: its quotas are then unknown, not its usage.
                        let model = catalog
                            .iter()
                            .find(|m| m.id == member.model_id)
                            .cloned()
                            .unwrap_or_else(|| FoundationModel {
                                id: member.model_id.clone(),
                                arn: String::new(),
                                name: None,
                                provider: None,
                                inference_types: Vec::new(),
                                lifecycle: Default::default(),
                            });
                        pools.push(Pool {
                            model,
                            route: member.route,
                            target: member.label.clone(),
                            invocation: None,
                            members: vec![member.clone()],
                        });
                    }
                }
            }
            // The pool is named by its system profile or model ID, not an application profile.
            for pool in &mut pools {
                if let Some(main) = pool.members.iter().find(|m| m.ids.len() == 1) {
                    pool.target = main.label.clone();
                }
            }
            pools
        }
    };
    // Every route of each pool's model is read too: the daily quota is the model's.
    let of_model = |pool: &Pool| -> Vec<Member> {
        let mut members: Vec<Member> = everyone
            .iter()
            .filter(|m| m.model_id == pool.model.id)
            .cloned()
            .collect();
        for member in &pool.members {
            if !members.contains(member) {
                members.push(member.clone());
            }
        }
        members
    };
    let mut ids: Vec<String> = pools
        .iter()
        .flat_map(of_model)
        .flat_map(|m| m.ids)
        .collect();
    ids.sort();
    ids.dedup();
    let series = if ids.is_empty() {
        Ok(Arc::new(MetricSeries::default()))
    } else {
        cx.aws
            .bedrock_metrics(region, &ids, &METRICS, 60, window)
            .await
    };
    let series = match series {
        Ok(s) => s,
        Err(e) => return vec![on_region(Finding::aws_error(&META, &e))],
    };
    // The quotas matter only where there is traffic to hold against them: a region without
    // any (most of an organization's) is not asked for them. doctor's are in the run's cache
    // already, read by quotas.inference.
    let traffic = series.points.values().any(|points| !points.is_empty());
    let (applied, defaults) = if traffic {
        tokio::join!(
            cx.aws.bedrock_quotas(region),
            cx.aws.bedrock_default_quotas(region)
        )
    } else {
        (Ok(Arc::default()), Ok(Arc::default()))
    };
    let quotas: Result<(&[ServiceQuota], Option<&[ServiceQuota]>), &AwsError> = match &applied {
        Ok(applied) => Ok((
            applied.as_slice(),
            defaults.as_ref().ok().map(|d| d.as_slice()),
        )),
        Err(e) => Err(e),
    };
    let mut findings = Vec::new();
    for pool in &pools {
        let usage = Usage::of(&pool.members, &pool.model.id, &series);
        if usage.attempts() == 0.0 {
            if targets.is_some() {
                findings.push(on_region(
                    Finding::pass(
                        &META,
                        kind::NO_TRAFFIC,
                        "No traffic to judge",
                        format!(
                            "CloudWatch recorded no call to {} ({}) in {region} in the last {}",
                            pool.target,
                            route_words(pool.route),
                            last(options.window_days)
                        ),
                    )
                    .resource(pool.target.clone())
                    .evidence("ids", pool_ids(pool)),
                ));
            }
            continue;
        }
        let global_profile = everyone
            .iter()
            .find(|m| m.model_id == pool.model.id && m.route == Route::Global && m.ids.len() == 1)
            .filter(|_| pool.route != Route::Global)
            .map(|m| m.label.as_str());
        let judged = Judged {
            pool,
            usage: &usage,
            model_day: Usage::of(&of_model(pool), &pool.model.id, &series).busiest_day(),
            global_profile,
        };
        findings.extend(
            judge_pool(judged, region, quotas, options)
                .into_iter()
                .map(|f| {
                    on_region(f)
                        .resource(pool.target.clone())
                        .evidence("route", pool.route.as_str())
                        .evidence("window_days", options.window_days)
                        .evidence("ids", pool_ids(pool))
                }),
        );
    }
    if targets.is_none() && findings.is_empty() {
        findings.push(on_region(Finding::pass(
            &META,
            kind::NO_TRAFFIC,
            "No Claude traffic to judge",
            format!(
                "CloudWatch recorded no call to any Claude model or profile in {region} in the last {}",
                last(options.window_days)
            ),
        )));
    }
    findings
}

/// `7 days`, `1 day`.
fn last(days: u32) -> String {
    if days == 1 {
        "day".into()
    } else {
        format!("{days} days")
    }
}

fn pool_ids(pool: &Pool) -> Vec<String> {
    pool.members.iter().flat_map(|m| m.ids.clone()).collect()
}

fn route_words(route: Route) -> &'static str {
    match route {
        Route::OnDemand => "on-demand",
        Route::Geographic => "cross-region",
        Route::Global => "global cross-region",
        Route::Application => "application profile",
    }
}

/// One minute of a pool, summed over its IDs.
#[derive(Clone, Copy, Debug, Default)]
struct Minute {
    invocations: f64,
    throttles: f64,
    /// Input, cache writes, and output times the burndown rate.
    tokens: f64,
}

#[derive(Debug, Default)]
struct Usage {
    minutes: BTreeMap<i64, Minute>,
    cache_reads: f64,
    output: f64,
    /// Per member: its label and quota tokens over the window.
    contributions: Vec<(String, f64)>,
    burndown: (f64, &'static str),
}

impl Usage {
    /// The members' metrics summed minute by minute; `model_id` gives the burndown rate.
    fn of(members: &[Member], model_id: &str, series: &MetricSeries) -> Usage {
        let burndown = burndown(model_id);
        let mut usage = Usage {
            burndown,
            ..Usage::default()
        };
        for member in members {
            let mut contributed = 0.0;
            for id in &member.ids {
                let points = |metric: &'static str| series.points.get(&(id.clone(), metric));
                for (metric, weight) in [
                    ("InputTokenCount", 1.0),
                    ("CacheWriteInputTokenCount", 1.0),
                    ("OutputTokenCount", burndown.0),
                ] {
                    for (t, v) in points(metric).into_iter().flatten() {
                        usage.minutes.entry(*t).or_default().tokens += v * weight;
                        contributed += v * weight;
                    }
                }
                for (t, v) in points("Invocations").into_iter().flatten() {
                    usage.minutes.entry(*t).or_default().invocations += v;
                }
                for (t, v) in points("InvocationThrottles").into_iter().flatten() {
                    usage.minutes.entry(*t).or_default().throttles += v;
                }
                usage.cache_reads +=
                    points("CacheReadInputTokenCount").map_or(0.0, |p| p.values().sum());
                usage.output += points("OutputTokenCount").map_or(0.0, |p| p.values().sum());
            }
            usage
                .contributions
                .push((member.label.clone(), contributed));
        }
        usage.contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
        usage
    }

    fn attempts(&self) -> f64 {
        self.minutes
            .values()
            .map(|m| m.invocations + m.throttles)
            .sum()
    }

    fn throttled_share(&self) -> f64 {
        let throttles: f64 = self.minutes.values().map(|m| m.throttles).sum();
        share(throttles, self.attempts())
    }

    /// The hour (its start) with the largest throttled share among hours with enough requests.
    fn worst_hour(&self) -> Option<(i64, f64)> {
        let mut hours: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for (t, m) in &self.minutes {
            let hour = hours.entry(t - t.rem_euclid(3600)).or_default();
            hour.0 += m.throttles;
            hour.1 += m.invocations + m.throttles;
        }
        hours
            .into_iter()
            .filter(|(_, (_, attempts))| *attempts >= MIN_HOURLY_REQUESTS)
            .map(|(t, (throttles, attempts))| (t, share(throttles, attempts)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn peak_tokens(&self) -> (i64, f64) {
        self.peak(|m| m.tokens)
    }

    /// Requests served in a minute. Throttled ones are left out: clients retry them (Claude
    /// Code many times), so they count demand several times over.
    fn peak_invocations(&self) -> (i64, f64) {
        self.peak(|m| m.invocations)
    }

    /// The throttled share of the hour that holds `t`, where it had enough requests to say.
    fn hour_share(&self, t: i64) -> f64 {
        let hour = t - t.rem_euclid(3600);
        let (throttles, attempts) = self
            .minutes
            .range(hour..hour + 3600)
            .fold((0.0, 0.0), |(th, at), (_, m)| {
                (th + m.throttles, at + m.invocations + m.throttles)
            });
        if attempts >= MIN_HOURLY_REQUESTS {
            share(throttles, attempts)
        } else {
            0.0
        }
    }

    /// What a minute's figure would have been without throttling: throttled requests are
    /// demand the metrics do not show, so it is scaled up by the share its hour lost (at most
    /// doubled).
    fn demand(&self, t: i64, observed: f64) -> f64 {
        observed / (1.0 - self.hour_share(t).min(0.5))
    }

    fn peak(&self, of: impl Fn(&Minute) -> f64) -> (i64, f64) {
        self.minutes
            .iter()
            .map(|(t, m)| (*t, of(m)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .unwrap_or((0, 0.0))
    }

    /// The UTC day (its start) with the most quota tokens.
    fn busiest_day(&self) -> (i64, f64) {
        let mut days: BTreeMap<i64, f64> = BTreeMap::new();
        for (t, m) in &self.minutes {
            *days.entry(t - t.rem_euclid(86_400)).or_default() += m.tokens;
        }
        days.into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0))
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

fn when(epoch: i64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| epoch.to_string())
}

fn day(epoch: i64) -> String {
    when(epoch).chars().take(10).collect()
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rounded up to two significant figures: 1,234,567 → 1,300,000.
fn round_up(n: f64) -> u64 {
    if n <= 0.0 {
        return 0;
    }
    let magnitude = 10f64.powi((n.log10().floor() as i32 - 1).max(0));
    ((n / magnitude).ceil() * magnitude) as u64
}

/// Which of `setup quotas`' values raises a quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asks {
    Tpm,
    Rpm,
    TokensPerDay,
}

/// A quota held against the usage that draws on it.
struct Held<'a> {
    what: &'static str,
    asks: Asks,
    name: &'a str,
    /// The limit the calls meet: the daily quota counts double for cross-region calls.
    limit: f64,
    value: f64,
    peak: f64,
    /// The peak as it would have been without throttling.
    demand: f64,
    at: String,
    /// The value to request so that the demand uses `PEAK_TARGET` of it.
    want: u64,
}

impl Held<'_> {
    /// Only quotas above 0 are held (a quota at 0 is `quotas.inference`'s finding).
    fn ratio(&self) -> f64 {
        self.peak / self.limit
    }

    fn demand_ratio(&self) -> f64 {
        self.demand / self.limit
    }
}

/// The usage of one pool, and of every route of its model (the daily quota is the model's,
/// whichever route the calls take).
struct Judged<'a> {
    pool: &'a Pool,
    usage: &'a Usage,
    /// The busiest UTC day's tokens over every route of the model, and that day.
    model_day: (i64, f64),
    /// The model's `global.` profile in the region, when it has one.
    global_profile: Option<&'a str>,
}

fn judge_pool(
    judged: Judged,
    region: &Region,
    quotas: Result<(&[ServiceQuota], Option<&[ServiceQuota]>), &AwsError>,
    options: UsageOptions,
) -> Vec<Finding> {
    let Judged {
        pool,
        usage,
        model_day: (day_at, day_tokens),
        global_profile,
    } = judged;
    let overall = usage.throttled_share();
    let worst_hour = usage.worst_hour();
    let worst_share = worst_hour.map_or(0.0, |(_, s)| s).max(overall);
    let (tokens_at, tokens_peak) = usage.peak_tokens();
    let (requests_at, requests_peak) = usage.peak_invocations();
    let invocation = pool.invocation.clone().unwrap_or_else(|| Invocation {
        request: ModelRequest {
            name: ModelName::BaseId(pool.model.id.clone()),
            long_context: false,
        },
        region: region.clone(),
        model: pool.model.clone(),
        model_id: pool.target.clone(),
        profile: None,
        route: pool.route,
    });
    let found: Result<Option<RouteQuotas>, &AwsError> =
        quotas.map(|(applied, defaults)| route_quotas(&invocation, applied, defaults));
    let mut held: Vec<Held> = Vec::new();
    let mut findings = Vec::new();
    let capped = |n: f64| round_up(n).min(crate::cli::QUOTA_VALUE_MAX);
    match &found {
        Ok(Some(quotas)) => {
            if let Some(q) = quotas.tokens.as_ref().filter(|q| q.quota.value > 0.0) {
                let demand = usage.demand(tokens_at, tokens_peak);
                held.push(Held {
                    what: "tokens per minute",
                    asks: Asks::Tpm,
                    name: &q.quota.name,
                    limit: q.quota.value,
                    value: q.quota.value,
                    peak: tokens_peak,
                    demand,
                    at: when(tokens_at),
                    want: capped(demand / PEAK_TARGET).max(options.expect_tpm.unwrap_or(0)),
                });
            }
            if let Some(q) = quotas.requests.as_ref().filter(|q| q.quota.value > 0.0) {
                let demand = usage.demand(requests_at, requests_peak);
                held.push(Held {
                    what: "requests per minute",
                    asks: Asks::Rpm,
                    name: &q.quota.name,
                    limit: q.quota.value,
                    value: q.quota.value,
                    peak: requests_peak,
                    demand,
                    at: when(requests_at),
                    want: capped(demand / PEAK_TARGET),
                });
            }
            if let Some(q) = quotas.daily.as_ref().filter(|q| q.quota.value > 0.0) {
                // As its name says: "(doubled for cross-region calls)".
                let doubled = pool.route != Route::OnDemand
                    && q.quota.name.to_lowercase().contains("doubled for cross-region");
                let factor = if doubled { 2.0 } else { 1.0 };
                let demand = day_tokens / (1.0 - overall.min(0.5));
                held.push(Held {
                    what: "tokens per day",
                    asks: Asks::TokensPerDay,
                    name: &q.quota.name,
                    limit: q.quota.value * factor,
                    value: q.quota.value,
                    peak: day_tokens,
                    demand,
                    at: day(day_at),
                    want: capped(demand / PEAK_TARGET / factor),
                });
            }
            if quotas.tokens.is_none() && quotas.requests.is_none() {
                findings.push(Finding::warn(
                    &META,
                    kind::QUOTA_UNKNOWN,
                    Severity::Medium,
                    "Quota not found for the usage",
                    format!(
                        "Service Quotas lists no \"{} model inference ... per minute for {}\" quota in {region}: \
                         the peak of {} tokens per minute ({}) cannot be held against one",
                        quotas.kind,
                        quotas.model,
                        thousands(tokens_peak),
                        when(tokens_at)
                    ),
                    Remediation::new(format!(
                        "Service Quotas console > AWS services > Amazon Bedrock ({region}), search for \"{}\"",
                        quotas.model
                    )),
                ));
            }
        }
        Ok(None) => findings.push(Finding::warn(
            &META,
            kind::QUOTA_UNKNOWN,
            Severity::Medium,
            "Quota not found for the usage",
            format!(
                "the catalog gives {} no model name to find its quotas by, so its usage cannot be held against them",
                pool.model.id
            ),
            Remediation::new(format!(
                "Service Quotas console > AWS services > Amazon Bedrock ({region}), search for the model"
            )),
        )),
        Err(error) => findings.push(Finding::aws_error(&META, error)),
    }
    let near: Vec<&Held> = held.iter().filter(|h| h.ratio() >= PEAK_WARN).collect();
    let demand_near: Vec<&Held> = held
        .iter()
        .filter(|h| h.demand_ratio() >= PEAK_WARN)
        .collect();
    let figures: Vec<String> = held
        .iter()
        .map(|h| {
            format!(
                "peak {} {} ({}) is {} of the {} quota",
                thousands(h.peak),
                h.what,
                h.at,
                percent(h.ratio()),
                thousands(h.limit)
            )
        })
        .collect();
    // The increase of the quotas `wanted` names, where the value is above what is applied.
    let increase = |wanted: &[&Held]| {
        let mut ask = QuotaIncrease::of(&invocation);
        for h in wanted.iter().filter(|h| h.want as f64 > h.value) {
            match h.asks {
                Asks::Tpm => ask.tpm = Some(h.want),
                Asks::Rpm => ask.rpm = Some(h.want),
                Asks::TokensPerDay => ask.tokens_per_day = Some(h.want),
            }
        }
        (!ask.is_empty()).then_some(ask)
    };
    let why_value = format!(
        "the increase puts the peak, scaled up by the share its hour lost to throttling, at {:.0}% of the new quota{}",
        PEAK_TARGET * 100.0,
        if options.expect_tpm.is_some() {
            ", and asks at least --expect-tpm tokens per minute"
        } else {
            ""
        }
    );
    let alternatives = alternatives(global_profile, usage);
    let contributors: Vec<String> = usage
        .contributions
        .iter()
        .filter(|(_, tokens)| *tokens > 0.0)
        .take(3)
        .map(|(label, tokens)| format!("{label} ({})", thousands(*tokens)))
        .collect();
    let long_context = matches!(&found, Ok(Some(q)) if q.window == Window::Long);
    let with_usage = |f: Finding| {
        let mut f = f
            .evidence("throttled_share", overall)
            .evidence("peak_tokens_per_minute", tokens_peak)
            .evidence("peak_tokens_at", when(tokens_at))
            .evidence("peak_requests_per_minute", requests_peak)
            .evidence("peak_requests_at", when(requests_at))
            .evidence("busiest_day_tokens", day_tokens)
            .evidence("busiest_day", day(day_at))
            .evidence("output_burndown", usage.burndown.0)
            .evidence("output_burndown_source", usage.burndown.1)
            .evidence(
                "quotas",
                held.iter()
                    .map(|h| json!({"name": h.name, "value": h.value, "limit": h.limit, "peak": h.peak, "demand": h.demand}))
                    .collect::<Vec<_>>(),
            );
        if let Some((hour, s)) = worst_hour {
            f = f
                .evidence("worst_hour", when(hour))
                .evidence("worst_hour_share", s);
        }
        if pool.members.len() > 1 {
            f = f.evidence("contributors", contributors.clone());
        }
        if long_context {
            f = f.evidence(
                "context_windows",
                "CloudWatch's ModelId does not tell 1M-context calls from standard ones: all the route's calls are counted",
            );
        }
        f
    };
    let contributed = if contributors.len() > 1 {
        format!("; most of it through {}", contributors.join(", "))
    } else {
        String::new()
    };
    if worst_share > SHARE_WARN {
        let failing = worst_share > SHARE_FAIL;
        let where_hour = match worst_hour {
            Some((hour, s)) => format!(", {} in the worst hour ({})", percent(s), when(hour)),
            None => String::new(),
        };
        let shares = format!(
            "{} of {} requests to {} ({}) in {region} were throttled over the last {}{where_hour}",
            percent(overall),
            thousands(usage.attempts()),
            pool.target,
            route_words(pool.route),
            last(options.window_days),
        );
        let (severity, status_kind) = if failing {
            (Severity::High, Status::Fail)
        } else {
            (Severity::Medium, Status::Warn)
        };
        let finding = if demand_near.is_empty() && !held.is_empty() {
            let message = format!(
                "{shares}, while {}: Bedrock reserves each request's input and max_tokens when it starts, \
                 so bursts with a large max_tokens are throttled below the quota{contributed}. {alternatives}",
                figures.join(", ")
            );
            let fix = format!(
                "Set max_tokens to what the calls need; for Claude Code: {}",
                sh!["export", "CLAUDE_CODE_MAX_OUTPUT_TOKENS=8192"]
            );
            verdict(
                status_kind,
                kind::THROTTLED_BELOW_QUOTA,
                severity,
                "Throttled below the quota",
                message,
                fix,
            )
        } else {
            let asked = increase(if near.is_empty() { &demand_near } else { &near });
            let figures = if figures.is_empty() {
                String::new()
            } else {
                format!("; {}", figures.join(", "))
            };
            let message = match &asked {
                Some(_) => format!("{shares}{figures}{contributed}; {why_value}. {alternatives}"),
                None => format!("{shares}{figures}{contributed}. {alternatives}"),
            };
            let fix = match &asked {
                Some(ask) => ask.command(),
                None => alternatives.clone(),
            };
            let finding = verdict(
                status_kind,
                kind::THROTTLED,
                severity,
                "Requests throttled",
                message,
                fix,
            );
            match asked {
                Some(ask) if failing => finding.evidence("quota_increase", ask.evidence()),
                _ => finding,
            }
        };
        findings.push(with_usage(finding));
    }
    if !near.is_empty() {
        let failing = near.iter().any(|h| h.ratio() >= 1.0);
        let asked = increase(&near);
        let figures = near
            .iter()
            .map(|h| {
                format!(
                    "peak {} {} ({}) is {} of {} ({})",
                    thousands(h.peak),
                    h.what,
                    h.at,
                    percent(h.ratio()),
                    h.name,
                    if h.limit == h.value {
                        thousands(h.value)
                    } else {
                        format!("{}, doubled for cross-region calls", thousands(h.value))
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let message = format!(
            "Calls to {} ({}) in {region} over the last {}: {figures}{contributed}{}. {alternatives}",
            pool.target,
            route_words(pool.route),
            last(options.window_days),
            match &asked {
                Some(_) => format!("; {why_value}"),
                None => String::new(),
            }
        );
        let fix = match &asked {
            Some(ask) => ask.command(),
            // The value needed is past what Service Quotas takes.
            None => format!(
                "Open an AWS Support case (Service limit increase > Amazon Bedrock, {region}) for {}",
                near.iter().map(|h| h.name).collect::<Vec<_>>().join(", ")
            ),
        };
        let (severity, status_kind, title) = if failing {
            (Severity::High, Status::Fail, "Usage at the quota")
        } else {
            (Severity::Medium, Status::Warn, "Usage near the quota")
        };
        let finding = verdict(status_kind, kind::NEAR_QUOTA, severity, title, message, fix);
        let finding = match asked {
            Some(ask) if failing => finding.evidence("quota_increase", ask.evidence()),
            _ => finding,
        };
        findings.push(with_usage(finding));
    }
    if findings.is_empty() {
        findings.push(with_usage(Finding::pass(
            &META,
            kind::WITHIN,
            "Usage within the quotas",
            format!(
                "Calls to {} ({}) in {region} over the last {}: {} throttled; {}{contributed}",
                pool.target,
                route_words(pool.route),
                last(options.window_days),
                percent(worst_share),
                figures.join(", ")
            ),
        )));
    }
    findings
}

/// A warn or a fail, as `status` says.
fn verdict(
    status: Status,
    kind: crate::engine::Kind,
    severity: Severity,
    title: &str,
    message: String,
    fix: String,
) -> Finding {
    match status {
        Status::Fail => Finding::fail(&META, kind, severity, title, message, Remediation::new(fix)),
        _ => Finding::warn(&META, kind, severity, title, message, Remediation::new(fix)),
    }
}

/// The cheaper ways to stay under a quota, where they apply.
fn alternatives(global_profile: Option<&str>, usage: &Usage) -> String {
    let mut ways = Vec::new();
    if let Some(global) = global_profile {
        ways.push(format!(
            "a global profile ({global}) draws on a quota of its own"
        ));
    }
    if usage.output > 0.0 {
        ways.push(
            "a lower max_tokens: Bedrock reserves it at the start of each request".to_string(),
        );
    }
    if usage.cache_reads == 0.0 {
        ways.push("prompt caching: cache reads count toward no quota".to_string());
    }
    if ways.is_empty() {
        "No cheaper alternative applies.".into()
    } else {
        format!("Cheaper alternatives: {}.", ways.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aws::BedrockAuth;
    use crate::domain::testing::{SONNET, model};
    use crate::engine::{Scope, Status};

    fn one_busy_minute() -> (Pool, Usage) {
        let sonnet = model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]);
        let pool = Pool {
            model: sonnet.clone(),
            route: Route::Geographic,
            target: format!("us.{SONNET}"),
            invocation: None,
            members: Vec::new(),
        };
        let mut usage = Usage {
            burndown: burndown(SONNET),
            ..Usage::default()
        };
        usage.minutes.insert(
            600,
            Minute {
                invocations: 100.0,
                throttles: 0.0,
                tokens: 1_000_000.0,
            },
        );
        (pool, usage)
    }

    fn judge(
        pool: &Pool,
        usage: &Usage,
        quotas: &[ServiceQuota],
        options: UsageOptions,
    ) -> Vec<Finding> {
        let judged = Judged {
            pool,
            usage,
            model_day: usage.busiest_day(),
            global_profile: None,
        };
        judge_pool(
            judged,
            &"us-east-1".parse().unwrap(),
            Ok((quotas, None)),
            options,
        )
    }

    fn quota(code: &str, name: &str, value: f64) -> ServiceQuota {
        ServiceQuota {
            code: code.into(),
            name: name.into(),
            value,
            adjustable: true,
        }
    }

    const TPM: &str =
        "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6";
    const DAILY: &str = "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 (doubled for cross-region calls)";

    #[test]
    fn usage_with_no_quota_to_hold_it_against_warns_rather_than_passes() {
        let (pool, usage) = one_busy_minute();
        let found = judge(&pool, &usage, &[], UsageOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].code(),
            format!("quotas.usage/{}", kind::QUOTA_UNKNOWN.as_str())
        );
        assert_eq!(found[0].status, Status::Warn);
        assert!(
            found[0].message.contains("1,000,000 tokens per minute"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_quota_at_zero_is_left_to_quotas_inference_and_never_asks_for_one() {
        let (pool, usage) = one_busy_minute();
        let found = judge(
            &pool,
            &usage,
            &[quota("L-1", TPM, 0.0), quota("L-2", DAILY, 0.0)],
            UsageOptions::default(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].status, Status::Pass);
        assert!(!found[0].message.contains("inf"), "{}", found[0].message);
    }

    #[test]
    fn expect_tpm_below_what_the_peak_needs_does_not_lower_the_increase() {
        let (pool, usage) = one_busy_minute();
        // 1,000,000 of 1,100,000 is 91%: the peak needs 1,000,000 / 0.6 = 1,700,000.
        for (expect, asked) in [
            (Some(500_000), 1_700_000),
            (Some(9_000_000), 9_000_000),
            (None, 1_700_000),
        ] {
            let options = UsageOptions {
                expect_tpm: expect,
                ..UsageOptions::default()
            };
            let found = judge(&pool, &usage, &[quota("L-1", TPM, 1_100_000.0)], options);
            let near = found
                .iter()
                .find(|f| f.code() == "quotas.usage/near-quota")
                .unwrap();
            assert!(
                near.remediation
                    .as_deref()
                    .unwrap()
                    .contains(&format!("--tpm {asked} --yes")),
                "{expect:?}: {:?}",
                near.remediation
            );
        }
    }

    #[test]
    fn the_daily_quota_is_doubled_for_cross_region_calls_only_where_its_name_says_so() {
        let (pool, usage) = one_busy_minute();
        // A day of 1,000,000 tokens against a daily quota of 1,000,000: 50% where doubled.
        let doubled = judge(
            &pool,
            &usage,
            &[
                quota("L-1", TPM, 10_000_000.0),
                quota("L-3", DAILY, 1_000_000.0),
            ],
            UsageOptions::default(),
        );
        assert_eq!(
            doubled[0].code(),
            "quotas.usage/within-quota",
            "{doubled:?}"
        );
        let plain = "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6";
        let single = judge(
            &pool,
            &usage,
            &[
                quota("L-1", TPM, 10_000_000.0),
                quota("L-3", plain, 1_000_000.0),
            ],
            UsageOptions::default(),
        );
        assert_eq!(single[0].code(), "quotas.usage/near-quota", "{single:?}");
        assert_eq!(single[0].status, Status::Fail);
    }

    #[tokio::test]
    async fn with_only_a_bedrock_api_key_cloudwatch_is_not_asked() {
        let cx = crate::checks::testing::context(Scope::default());
        cx.provide(CredentialsFact {
            sigv4: None,
            bedrock_auth: BedrockAuth::BearerToken,
            aws_profile: None,
        });
        let found = QuotasUsage.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].code(),
            format!("quotas.usage/{}", kind::NO_SIGV4.as_str())
        );
        assert_eq!(found[0].status, Status::Skip);
    }

    #[tokio::test]
    async fn doctor_without_a_resolved_target_reads_nothing() {
        let cx = crate::checks::testing::context(Scope::default()).with_input(UsageOptions {
            targets_only: true,
            ..UsageOptions::default()
        });
        let found = QuotasUsage.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].code(),
            format!("quotas.usage/{}", kind::NO_TARGET.as_str())
        );
        assert_eq!(found[0].status, Status::Skip);
    }

    #[test]
    fn increases_round_up_to_two_significant_figures() {
        assert_eq!(round_up(1_234_567.0), 1_300_000);
        assert_eq!(round_up(95.0), 95);
        assert_eq!(round_up(101.0), 110);
        assert_eq!(round_up(7.2), 8);
        assert_eq!(round_up(0.0), 0);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(percent(0.131), "13.1%");
        assert_eq!(percent(0.0004), "<0.1%");
    }

    #[test]
    fn claude_4_output_burns_down_five_times_and_older_models_once() {
        assert_eq!(burndown("anthropic.claude-sonnet-4-20250514-v1:0").0, 5.0);
        assert_eq!(burndown("anthropic.claude-sonnet-4-5-20250929-v1:0").0, 5.0);
        assert!(
            burndown("anthropic.claude-sonnet-4-5-20250929-v1:0")
                .1
                .contains("unconfirmed")
        );
        assert_eq!(burndown("anthropic.claude-3-5-haiku-20241022-v1:0").0, 1.0);
    }

    #[test]
    fn an_application_profile_draws_on_the_quota_of_where_it_routes() {
        let profile = |arns: &[&str]| InferenceProfile {
            id: "abc".into(),
            arn: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc".into(),
            name: "team".into(),
            kind: "APPLICATION".into(),
            status: "ACTIVE".into(),
            model_arns: arns.iter().map(|a| a.to_string()).collect(),
        };
        let route_of = |profile: &InferenceProfile| profile.application_route();
        let m = |r: &str| {
            format!(
                "arn:aws:bedrock:{r}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
            )
        };
        assert_eq!(route_of(&profile(&[&m("us-east-1")])), Route::OnDemand);
        assert_eq!(
            route_of(&profile(&[&m("us-east-1"), &m("us-west-2")])),
            Route::Geographic
        );
        assert_eq!(
            route_of(&profile(&[
                &m("us-east-1"),
                "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
            ])),
            Route::Global
        );
    }
}
