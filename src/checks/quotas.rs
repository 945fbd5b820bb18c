//! `quotas.inference`: the Service Quotas that will limit each call, found by their names
//! (quota codes differ per model and are never hard-coded): a value of 0 fails, a value
//! below `--expect-tpm` warns.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::join_all;
use serde_json::json;

use super::DoctorOptions;
use super::facts::{CredentialsFact, Invocations};
use crate::aws::AwsError;
use crate::domain::{Invocation, Region, Route, ServiceQuota};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::remediation::QuotaIncrease;
use crate::shell::sh;

check! {
    QuotasInference = "quotas.inference" {
        title: "Inference quotas",
        description: "Service Quotas for each target model and route (on-demand, cross-region, global) \
                      and its daily token quota, found by name: an applied value of 0 fails (one that \
                      is not adjustable with the support case or plan upgrade it needs), tokens per \
                      minute below --expect-tpm warns, values still at the AWS default are noted",
        commands: [Doctor],
        depends_on: ["profiles.resolve"],
        after: [],
        severity: High,
        kinds: {
            /// Service Quotas lists the model's per-minute quotas for the route the call takes
            /// (on-demand, cross-region or global; the 1M Context Length ones for a `[1m]` target),
            /// none of them or the daily token quota is 0, and tokens per minute meet
            /// `--expect-tpm` when it is given. The message gives the values, and whether each is
            /// still the AWS default.
            SUFFICIENT = "sufficient",
            /// A quota the call needs is applied at 0 in the region, so every call fails with
            /// ThrottlingException ("Too many tokens") although model access looks fine. It is
            /// adjustable: with `--expect-tpm`, the remediation is
            /// `bedrock-preflight setup quotas` with that load (a requests or daily quota at 0 is
            /// raised to its AWS default), which `doctor --fix` plans too; without it,
            /// `aws service-quotas request-service-quota-increase` with the quota code and the
            /// AWS default.
            ZERO = "applied-zero",
            /// A quota the call needs is applied at 0 and is not adjustable, as AWS sets it for new
            /// accounts and accounts on the Free plan: every call fails with "ThrottlingException:
            /// Too many tokens per day, please wait before trying again.", and a Service Quotas
            /// request cannot change it. Upgrade the account from the Free plan if it is on it, or
            /// open an AWS Support case (Service limit increase > Amazon Bedrock) naming the quota;
            /// the remediation has its code and name.
            ZERO_NOT_ADJUSTABLE = "applied-zero-not-adjustable",
            /// The tokens-per-minute quota is below the load given with `--expect-tpm`, so calls
            /// will be throttled at that load. Request an increase to that value: the remediation
            /// is `bedrock-preflight setup quotas --model M --region R --tpm N --yes`, which
            /// finds the quota by name, skips it when a request for as much is already open,
            /// and which `doctor --fix` plans too (the same request with the aws CLI:
            /// `aws service-quotas request-service-quota-increase --service-code bedrock
            /// --quota-code CODE --desired-value N --region R`).
            BELOW_EXPECTED = "below-expected-load",
            /// Service Quotas lists no tokens- or requests-per-minute quota for this model and
            /// route in the region (quotas are found by name), so its limit cannot be verified; for
            /// a `[1m]` target, the model may not offer the 1M-token context window there. Look for
            /// it in the Service Quotas console (Amazon Bedrock, the region).
            NOT_FOUND = "quota-not-found",
            /// The catalog gives the model no name, and its quotas can only be found by the model's
            /// name, so none was looked up and nothing is known about them. Check the model's
            /// quotas in the Service Quotas console (Amazon Bedrock, the region).
            NO_MODEL_NAME = "no-model-name",
            /// Only a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`) is configured, and Service
            /// Quotas takes only SigV4-signed calls, so quotas were not read. Configure AWS
            /// credentials as well to have them checked.
            NO_SIGV4 = "no-sigv4-credentials",
        },
    }
}

type Quotas = Result<Arc<Vec<ServiceQuota>>, AwsError>;

#[async_trait]
impl Check for QuotasInference {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        super::prefetch_per_region(cx, |region| async move {
            tokio::join!(
                cx.aws.bedrock_quotas(region),
                cx.aws.bedrock_default_quotas(region)
            )
        })
        .await;
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let invocations = cx.require::<Invocations>()?;
        if cx
            .fact::<CredentialsFact>()
            .is_some_and(|c| c.sigv4.is_none())
        {
            return Ok(vec![Finding::skip(
                &META,
                kind::NO_SIGV4,
                "Skipped: Service Quotas takes SigV4 credentials, and only a Bedrock API key is configured",
            )]);
        }
        let mut regions: Vec<&Region> = invocations.list.iter().map(|i| &i.region).collect();
        regions.sort();
        regions.dedup();
        let fetched = join_all(regions.into_iter().map(|region| async move {
            let (applied, defaults) = tokio::join!(
                cx.aws.bedrock_quotas(region),
                cx.aws.bedrock_default_quotas(region)
            );
            (region.clone(), (applied, defaults))
        }))
        .await;
        let by_region: BTreeMap<Region, (Quotas, Quotas)> = fetched.into_iter().collect();
        let expect_tpm = cx
            .fact::<DoctorOptions>()
            .and_then(|options| options.expect_tpm);
        let findings = invocations
            .list
            .iter()
            .map(|invocation| {
                let (applied, defaults) = &by_region[&invocation.region];
                let finding = match applied {
                    Ok(applied) => judge(
                        invocation,
                        applied,
                        defaults.as_ref().ok().map(|d| d.as_slice()),
                        expect_tpm,
                    ),
                    Err(error) => Finding::aws_error(&META, error),
                };
                // Without the defaults the verdict stands; only "still the default" is unknown.
                let finding = match defaults {
                    Err(error) if applied.is_ok() => {
                        finding.evidence("defaults_unread", error.to_string())
                    }
                    _ => finding,
                };
                finding
                    .region(invocation.region.as_str())
                    .resource(invocation.model_id.clone())
            })
            .collect();
        Ok(findings)
    }
}

/// How Service Quotas names the quotas of a route: `<kind> model inference tokens per minute
/// for Anthropic Claude Sonnet 4.5 V1`.
fn kind(invocation: &Invocation) -> &'static str {
    match invocation.route {
        Route::OnDemand => "On-demand",
        Route::Geographic => "Cross-region",
        Route::Global => "Global cross-region",
        Route::Application => match invocation.profile.as_ref().map(|p| p.application_route()) {
            Some(Route::Global) => "Global cross-region",
            Some(Route::Geographic) => "Cross-region",
            _ => "On-demand",
        },
    }
}

/// An application profile copied from a `global.` profile lists the region-less model ARN
/// that global profiles list, and draws on the global quotas.
fn copies_global(invocation: &Invocation) -> bool {
    invocation.route == Route::Application
        && invocation
            .profile
            .as_ref()
            .is_some_and(|p| p.application_route() == Route::Global)
}

/// Which context window's quotas apply: the 1M-token window (a `[1m]` target) has its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Window {
    Standard,
    Long,
}

impl Window {
    /// What follows the model (and its version tag) in the quota's name.
    fn tail(self) -> &'static str {
        match self {
            Window::Standard => "",
            Window::Long => " 1m context length",
        }
    }
}

/// Whether `name` is the quota for (`kind`, `what`) of `model`: the exact name, optionally
/// followed by a version tag such as ` V1`, but not by anything else (` 1M Context Length`
/// quotas apply only to 1M-context calls; `Claude Sonnet 4` must not match `Claude Sonnet 4.5`).
fn names_in(name: &str, kind: &str, what: &str, model: &str, window: Window) -> bool {
    let wanted = format!("{kind} model inference {what} per minute for {model}");
    model_then(name, &wanted, window.tail())
}

/// Whether `name` is the daily token quota of `model`: `Model invocation max tokens per day
/// for <model>[ V<n>][ 1M Context Length] (doubled for cross-region calls)`.
fn names_daily(name: &str, model: &str, window: Window) -> bool {
    let lower = name.to_lowercase();
    let name = lower
        .strip_suffix(" (doubled for cross-region calls)")
        .unwrap_or(&lower);
    model_then(
        name,
        &format!("model invocation max tokens per day for {model}"),
        window.tail(),
    )
}

/// Whether `name` is the daily token quota of global cross-region calls: account-wide
/// (`Global cross-region model inference tokens per day`) or for `model`.
fn names_global_daily(name: &str, model: &str, window: Window) -> bool {
    const ACCOUNT_WIDE: &str = "global cross-region model inference tokens per day";
    name.eq_ignore_ascii_case(ACCOUNT_WIDE)
        || model_then(name, &format!("{ACCOUNT_WIDE} for {model}"), window.tail())
}

/// Whether `name` is `wanted`, then at most a version tag (` V1`), then `tail`, ignoring case.
fn model_then(name: &str, wanted: &str, tail: &str) -> bool {
    let name = name.to_lowercase();
    let Some(rest) = name
        .strip_prefix(&wanted.to_lowercase())
        .and_then(|rest| rest.strip_suffix(tail))
    else {
        return false;
    };
    rest.is_empty()
        || rest
            .strip_prefix(" v")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) struct Found<'a> {
    pub quota: &'a ServiceQuota,
    /// The AWS default for the same quota code, when the defaults were read.
    pub default: Option<f64>,
}

/// The quotas that limit one invocation in its region, found by name.
pub(crate) struct RouteQuotas<'a> {
    /// `On-demand`, `Cross-region` or `Global cross-region`: how the quotas' names start.
    pub kind: &'static str,
    /// `Anthropic Claude Sonnet 4.5`: the model as the quotas' names give it.
    pub model: String,
    pub window: Window,
    pub tokens: Option<Found<'a>>,
    pub requests: Option<Found<'a>>,
    pub daily: Option<Found<'a>>,
    /// Present only where AWS lists one; it limits global profiles on top of the model's own.
    pub global_daily: Option<Found<'a>>,
}

/// The quotas of `invocation`'s route, from the region's applied quotas (and the AWS
/// defaults, which apply where Service Quotas lists no applied value); `None` when the
/// catalog gives the model no name, as quotas can only be found by it.
pub(crate) fn route_quotas<'a>(
    invocation: &Invocation,
    applied: &'a [ServiceQuota],
    defaults: Option<&'a [ServiceQuota]>,
) -> Option<RouteQuotas<'a>> {
    let name = invocation.model.name.as_ref()?;
    let kind = kind(invocation);
    let model = format!(
        "{} {name}",
        invocation.model.provider.as_deref().unwrap_or("Anthropic")
    );
    let window = if invocation.request.long_context {
        Window::Long
    } else {
        Window::Standard
    };
    let tokens = find(applied, defaults, |n| {
        names_in(n, kind, "tokens", &model, window)
    });
    let requests = find(applied, defaults, |n| {
        names_in(n, kind, "requests", &model, window)
    });
    let daily = find(applied, defaults, |n| names_daily(n, &model, window));
    let global_daily = (invocation.route == Route::Global || copies_global(invocation))
        .then(|| find(applied, defaults, |n| names_global_daily(n, &model, window)))
        .flatten();
    Some(RouteQuotas {
        kind,
        model,
        window,
        tokens,
        requests,
        daily,
        global_daily,
    })
}

/// The applied quota; where Service Quotas lists no applied value (it omits some), the AWS
/// default is what applies.
fn find<'a>(
    applied: &'a [ServiceQuota],
    defaults: Option<&'a [ServiceQuota]>,
    named: impl Fn(&str) -> bool,
) -> Option<Found<'a>> {
    let matching = |q: &&ServiceQuota| named(&q.name);
    let default = defaults.and_then(|d| d.iter().find(matching));
    match applied.iter().find(matching) {
        Some(quota) => {
            let default = defaults
                .and_then(|d| d.iter().find(|q| q.code == quota.code))
                .map(|q| q.value);
            Some(Found { quota, default })
        }
        None => default.map(|quota| Found {
            quota,
            default: Some(quota.value),
        }),
    }
}

fn judge(
    invocation: &Invocation,
    applied: &[ServiceQuota],
    defaults: Option<&[ServiceQuota]>,
    expect_tpm: Option<u64>,
) -> Finding {
    let region = &invocation.region;
    let Some(RouteQuotas {
        kind,
        model,
        window,
        tokens,
        requests,
        daily,
        global_daily,
    }) = route_quotas(invocation, applied, defaults)
    else {
        return Finding::error(
            &META,
            kind::NO_MODEL_NAME,
            format!(
                "the catalog gives {} no model name to find its quotas by",
                invocation.model.id
            ),
        );
    };
    let found = [&tokens, &requests, &daily, &global_daily];
    let evidence: Vec<_> = found
        .into_iter()
        .flatten()
        .map(|f| json!({"code": f.quota.code, "name": f.quota.name, "value": f.quota.value, "default": f.default}))
        .collect();
    let increase = |found: &Found, want: f64| {
        Remediation::new(sh![
            "aws",
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "bedrock",
            "--quota-code",
            found.quota.code,
            "--desired-value",
            want,
            "--region",
            region
        ])
    };
    let finding = if tokens.is_none() && requests.is_none() {
        Finding::warn(
            &META,
            kind::NOT_FOUND,
            Severity::Medium,
            "Quota not found",
            match window {
                Window::Standard => format!(
                    "Service Quotas lists no \"{kind} model inference ... per minute for {model}\" quota in {region}; its limit cannot be verified"
                ),
                Window::Long => format!(
                    "Service Quotas lists no \"{kind} model inference ... per minute for {model} 1M Context Length\" quota in {region}: \
                     the model may not offer the 1M-token context window here, or its limit cannot be verified"
                ),
            },
            Remediation::new(format!(
                "Service Quotas console > AWS services > Amazon Bedrock ({region}), search for \"{model}\""
            )),
        )
    } else if let Some(zero) = found
        .into_iter()
        .flatten()
        .find(|f| f.quota.value == 0.0 && !f.quota.adjustable)
    {
        // Service Quotas refuses increases of such a quota; AWS lifts it on review.
        Finding::fail(
            &META,
            kind::ZERO_NOT_ADJUSTABLE,
            Severity::High,
            "Quota applied at 0 and not adjustable",
            format!(
                "{} is 0 in {region} and not adjustable: AWS applies this to new accounts and accounts on the Free plan, \
                 and every call fails with ThrottlingException (\"Too many tokens per day\") although model access looks fine",
                zero.quota.name
            ),
            Remediation::new(format!(
                "Upgrade the account from the AWS Free plan if it is on it (Billing and Cost Management console > Account plan), \
                 or open an AWS Support case (Service limit increase > Amazon Bedrock, {region}) asking to lift the account's \
                 Bedrock inference quotas ({}: {}); a Service Quotas request cannot change it",
                zero.quota.code, zero.quota.name
            )),
        )
    } else if let Some(zero) = found.into_iter().flatten().find(|f| f.quota.value == 0.0) {
        let want = zero.default.filter(|d| *d > 0.0).unwrap_or(1.0);
        let is = |other: &Option<Found>| {
            other
                .as_ref()
                .is_some_and(|o| o.quota.code == zero.quota.code)
        };
        // With the load known, `setup quotas` raises tokens per minute to it, and a requests or
        // daily quota at 0 to its AWS default (the load says nothing of those).
        let fix = expect_tpm.and_then(|tpm| {
            let mut ask = QuotaIncrease {
                tpm: Some(tpm),
                ..QuotaIncrease::of(invocation)
            };
            let default = zero.default.filter(|d| *d >= 1.0).map(|d| d.ceil() as u64);
            if is(&requests) {
                ask.rpm = Some(default?);
            } else if is(&daily) || is(&global_daily) {
                ask.tokens_per_day = Some(default?);
            }
            Some(ask)
        });
        let finding = Finding::fail(
            &META,
            kind::ZERO,
            Severity::High,
            "Quota applied at 0",
            format!(
                "{} is 0 in {region}: every call fails with ThrottlingException (\"Too many tokens\") although model access looks fine",
                zero.quota.name
            ),
            match &fix {
                Some(ask) => Remediation::new(ask.command()),
                None if is(&tokens) => increase(zero, expect_tpm.map_or(want, |t| t as f64)),
                None => increase(zero, want),
            },
        );
        match fix {
            Some(ask) => finding.evidence("quota_increase", ask.evidence()),
            None => finding,
        }
    } else if let (Some(expected), Some(found)) = (
        expect_tpm,
        tokens
            .as_ref()
            .filter(|f| f.quota.value < expect_tpm.unwrap_or(0) as f64),
    ) {
        let ask = QuotaIncrease {
            tpm: Some(expected),
            ..QuotaIncrease::of(invocation)
        };
        Finding::warn(
            &META,
            kind::BELOW_EXPECTED,
            Severity::Medium,
            "Quota below the expected load",
            format!(
                "{} ({}) is {} tokens per minute in {region}, below the {expected} expected (--expect-tpm)",
                found.quota.name, found.quota.code, found.quota.value
            ),
            Remediation::new(ask.command()),
        )
        .evidence("quota_increase", ask.evidence())
    } else {
        let describe = |f: &Option<Found>, unit: &str| match f {
            None => format!("no {unit} quota listed"),
            Some(f) => {
                let origin = match f.default {
                    Some(d) if d == f.quota.value => " (the AWS default)".to_string(),
                    Some(d) => format!(" (raised from the default {d})"),
                    None => String::new(),
                };
                format!("{} {unit} per minute{origin}", f.quota.value)
            }
        };
        let per_day = match &daily {
            Some(f) => format!(
                ", {} tokens per day (doubled for cross-region calls)",
                f.quota.value
            ),
            None => String::new(),
        };
        Finding::pass(
            &META,
            kind::SUFFICIENT,
            "Inference quotas allow calls",
            format!(
                "{kind} quotas for {model}{} in {region}: {}, {}{per_day}",
                match window {
                    Window::Standard => "",
                    Window::Long => " (1M Context Length)",
                },
                describe(&tokens, "tokens"),
                describe(&requests, "requests")
            ),
        )
    };
    let finding = finding
        .evidence("route", invocation.route.as_str())
        .evidence(
            "context_window",
            match window {
                Window::Standard => "standard",
                Window::Long => "1m",
            },
        )
        .evidence("quotas", evidence);
    match expect_tpm {
        Some(tpm) => finding.evidence("expect_tpm", tpm),
        None => finding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(name: &str, kind: &str, what: &str, model: &str) -> bool {
        names_in(name, kind, what, model, Window::Standard)
    }

    #[test]
    fn a_quota_missing_from_the_applied_list_falls_back_to_its_default() {
        let quota = |code: &str, value| ServiceQuota {
            code: code.into(),
            name: "Cross-region model inference tokens per minute for Anthropic Claude Haiku 4.5"
                .into(),
            value,
            adjustable: true,
        };
        let defaults = [quota("L-1", 2_000_000.0)];
        let haiku = |n: &str| names(n, "Cross-region", "tokens", "Anthropic Claude Haiku 4.5");
        let found = find(&[], Some(&defaults), haiku).unwrap();
        assert_eq!(
            (found.quota.value, found.default),
            (2_000_000.0, Some(2_000_000.0))
        );
        let applied = [quota("L-1", 0.0)];
        let found = find(&applied, Some(&defaults), haiku).unwrap();
        assert_eq!((found.quota.value, found.default), (0.0, Some(2_000_000.0)));
        assert!(find(&[], None, haiku).is_none());
    }

    #[test]
    fn an_application_profile_copied_from_a_global_one_draws_on_the_global_quotas() {
        use crate::domain::testing::{SONNET, invocation, model, profile};
        let application = |destinations: &[&str]| {
            let mut copied = invocation(
                model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
                Some(profile(&format!("us.{SONNET}"), SONNET, destinations)),
            );
            copied.route = Route::Application;
            copied
        };
        assert_eq!(
            kind(&application(&["us-east-1", "us-west-2", ""])),
            "Global cross-region"
        );
        assert_eq!(
            kind(&application(&["us-east-1", "us-west-2"])),
            "Cross-region"
        );
        assert_eq!(kind(&application(&["us-east-1"])), "On-demand");
    }

    #[test]
    fn quota_names_match_exactly_up_to_a_version_tag() {
        let model = "Anthropic Claude Sonnet 4.5";
        assert!(names(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5 V1",
            "Cross-region",
            "tokens",
            model
        ));
        assert!(names(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5",
            "Cross-region",
            "tokens",
            model
        ));
        assert!(names(
            "On-Demand model inference tokens per minute for Anthropic Claude Sonnet 4.5",
            "On-demand",
            "tokens",
            model
        ));
        assert!(!names(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5 V1 1M Context Length",
            "Cross-region",
            "tokens",
            model
        ));
        assert!(!names(
            "Global cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5",
            "Cross-region",
            "tokens",
            model
        ));
        assert!(!names(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4",
            "Cross-region",
            "tokens",
            model
        ));
        assert!(!names(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5",
            "Cross-region",
            "requests",
            model
        ));
    }
}

#[cfg(test)]
mod judging {
    use super::*;
    use crate::checks::testing::{SONNET, invocation, model, sonnet_through_us};
    use crate::engine::Status;

    fn quota(code: &str, kind: &str, what: &str, value: f64) -> ServiceQuota {
        ServiceQuota {
            code: code.into(),
            name: format!(
                "{kind} model inference {what} per minute for Anthropic Claude Sonnet 4.6 V1"
            ),
            value,
            adjustable: true,
        }
    }

    #[test]
    fn the_route_decides_which_quota_applies() {
        let applied = [
            quota("L-1", "On-demand", "tokens", 0.0),
            quota("L-2", "Cross-region", "tokens", 3_000_000.0),
            quota("L-3", "Global cross-region", "tokens", 0.0),
        ];
        let defaults = [quota("L-2", "Cross-region", "tokens", 2_000_000.0)];
        let finding = judge(&sonnet_through_us(), &applied, Some(&defaults), None);
        assert_eq!(finding.code(), "quotas.inference/sufficient");
        assert!(
            finding
                .message
                .contains("3000000 tokens per minute (raised from the default 2000000)")
        );
        let on_demand = invocation(model(SONNET, "ACTIVE", &["ON_DEMAND"]), None);
        let zero = judge(&on_demand, &applied, Some(&defaults), None);
        assert_eq!(
            (zero.status, zero.code().as_str()),
            (Status::Fail, "quotas.inference/applied-zero")
        );
        assert!(
            zero.remediation
                .unwrap()
                .contains("--quota-code L-1 --desired-value 1 ")
        );
    }

    #[test]
    fn below_the_expected_load_warns_with_the_increase_to_ask_for() {
        let applied = [quota("L-2", "Cross-region", "tokens", 2_000_000.0)];
        let finding = judge(&sonnet_through_us(), &applied, None, Some(2_500_000));
        assert_eq!(finding.code(), "quotas.inference/below-expected-load");
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "bedrock-preflight setup quotas --model us.anthropic.claude-sonnet-4-6 --region us-east-1 \
                 --tpm 2500000 --yes"
            )
        );
        assert_eq!(finding.evidence["expect_tpm"], 2_500_000);
        assert_eq!(
            finding.evidence["quota_increase"],
            json!({"model": "us.anthropic.claude-sonnet-4-6", "region": "us-east-1", "tpm": 2_500_000})
        );
    }

    /// doctor --fix raises a quota at 0 only with the load given; a requests quota at 0 is
    /// raised to its AWS default, never to the tokens asked.
    #[test]
    fn a_quota_at_zero_carries_the_increase_only_with_the_expected_load() {
        let applied = [
            quota("L-2", "Cross-region", "tokens", 3_000_000.0),
            quota("L-3", "Cross-region", "requests", 0.0),
        ];
        let defaults = [quota("L-3", "Cross-region", "requests", 2_000.0)];
        let without = judge(&sonnet_through_us(), &applied, Some(&defaults), None);
        assert_eq!(without.code(), "quotas.inference/applied-zero");
        assert!(without.evidence.get("quota_increase").is_none());
        assert!(
            without
                .remediation
                .unwrap()
                .contains("--quota-code L-3 --desired-value 2000 ")
        );
        let with = judge(
            &sonnet_through_us(),
            &applied,
            Some(&defaults),
            Some(400_000),
        );
        assert_eq!(
            with.evidence["quota_increase"],
            json!({"model": "us.anthropic.claude-sonnet-4-6", "region": "us-east-1", "tpm": 400_000, "rpm": 2_000})
        );
        assert!(
            with.remediation
                .unwrap()
                .ends_with("--tpm 400000 --rpm 2000 --yes")
        );
        // No default to raise it to: the aws CLI with 1, not the tokens asked.
        let unknown = judge(&sonnet_through_us(), &applied, None, Some(400_000));
        assert!(unknown.evidence.get("quota_increase").is_none());
        assert!(
            unknown
                .remediation
                .unwrap()
                .contains("--quota-code L-3 --desired-value 1 ")
        );
    }

    #[test]
    fn daily_quotas_match_with_or_without_a_version_but_not_the_1m_variant() {
        let model = "Anthropic Claude Sonnet 4.5";
        for name in [
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4.5 V1 (doubled for cross-region calls)",
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4.5 (doubled for cross-region calls)",
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4.5",
        ] {
            assert!(names_daily(name, model, Window::Standard), "{name}");
        }
        for name in [
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4.5 V1 1M Context Length (doubled for cross-region calls)",
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4 (doubled for cross-region calls)",
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5",
        ] {
            assert!(!names_daily(name, model, Window::Standard), "{name}");
        }
    }

    #[test]
    fn a_global_route_is_also_judged_by_the_global_daily_quota_where_present() {
        let global = invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(crate::checks::testing::profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["", "us-east-1"],
            )),
        );
        let applied = [
            quota("L-1", "Global cross-region", "tokens", 3_000_000.0),
            ServiceQuota {
                code: "L-G".into(),
                name: "Global cross-region model inference tokens per day".into(),
                value: 0.0,
                adjustable: false,
            },
        ];
        let finding = judge(&global, &applied, None, None);
        assert_eq!(
            finding.code(),
            "quotas.inference/applied-zero-not-adjustable"
        );
        assert!(
            finding
                .message
                .starts_with("Global cross-region model inference tokens per day is 0")
        );
        // Not a global call: that quota does not apply.
        let regional = judge(
            &sonnet_through_us(),
            &[quota("L-2", "Cross-region", "tokens", 1.0)],
            None,
            None,
        );
        assert_eq!(regional.code(), "quotas.inference/sufficient");
        assert!(names_global_daily(
            "Global cross-region model inference tokens per day for Anthropic Claude Sonnet 4.6 V1",
            "Anthropic Claude Sonnet 4.6",
            Window::Standard
        ));
    }

    #[test]
    fn a_1m_target_is_judged_by_the_1m_context_length_quotas() {
        let model = "Anthropic Claude Sonnet 4.5";
        assert!(names_in(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5 V1 1M Context Length",
            "Cross-region",
            "tokens",
            model,
            Window::Long
        ));
        assert!(names_daily(
            "Model invocation max tokens per day for Anthropic Claude Sonnet 4.5 V1 1M Context Length (doubled for cross-region calls)",
            model,
            Window::Long
        ));
        assert!(!names_in(
            "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.5 V1",
            "Cross-region",
            "tokens",
            model,
            Window::Long
        ));
        let mut long = sonnet_through_us();
        long.request.long_context = true;
        let applied = [
            quota("L-2", "Cross-region", "tokens", 3_000_000.0),
            ServiceQuota {
                code: "L-8EA73537".into(),
                name: "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6 V1 1M Context Length".into(),
                value: 0.0,
                adjustable: true,
            },
        ];
        let finding = judge(&long, &applied, None, None);
        assert_eq!(finding.code(), "quotas.inference/applied-zero");
        assert!(finding.remediation.unwrap().contains("L-8EA73537"));
        assert_eq!(finding.evidence["context_window"], "1m");
        let standard = judge(&sonnet_through_us(), &applied, None, None);
        assert_eq!(standard.code(), "quotas.inference/sufficient");
    }

    #[test]
    fn a_daily_quota_at_zero_that_cannot_be_raised_says_what_it_means() {
        let mut daily = ServiceQuota {
            code: "L-6120CF2D".into(),
            name: "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 V1 (doubled for cross-region calls)".into(),
            value: 0.0,
            adjustable: false,
        };
        let applied = [
            quota("L-2", "Cross-region", "tokens", 3_000_000.0),
            daily.clone(),
        ];
        let finding = judge(&sonnet_through_us(), &applied, None, None);
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (Status::Fail, "quotas.inference/applied-zero-not-adjustable")
        );
        assert!(
            finding
                .message
                .contains("new accounts and accounts on the Free plan")
        );
        let fix = finding.remediation.unwrap();
        assert!(
            fix.contains("AWS Support case") && fix.contains("Free plan"),
            "{fix}"
        );
        daily.adjustable = true;
        let applied = [quota("L-2", "Cross-region", "tokens", 3_000_000.0), daily];
        let adjustable = judge(&sonnet_through_us(), &applied, None, None);
        assert_eq!(adjustable.code(), "quotas.inference/applied-zero");
        assert!(
            adjustable
                .remediation
                .unwrap()
                .contains("--quota-code L-6120CF2D")
        );
    }

    #[test]
    fn no_quota_for_the_model_warns_rather_than_passes() {
        let finding = judge(&sonnet_through_us(), &[], None, None);
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (Status::Warn, "quotas.inference/quota-not-found")
        );
    }

    #[test]
    fn a_model_without_a_name_has_no_quota_to_find_and_is_no_pass() {
        let mut nameless = model(SONNET, "ACTIVE", &["ON_DEMAND"]);
        nameless.name = None;
        let applied = [quota("L-1", "On-demand", "tokens", 2_000_000.0)];
        let finding = judge(&invocation(nameless, None), &applied, None, None);
        assert_eq!(
            (finding.code().as_str(), finding.status),
            ("quotas.inference/no-model-name", Status::Error)
        );
        assert_eq!(
            finding.message,
            "the catalog gives anthropic.claude-sonnet-4-6 no model name to find its quotas by"
        );
    }

    #[tokio::test]
    async fn with_only_a_bedrock_api_key_service_quotas_is_not_asked() {
        use crate::aws::BedrockAuth;
        let cx = crate::checks::testing::context(crate::engine::Scope::default());
        cx.provide(Invocations {
            list: vec![sonnet_through_us()],
        });
        cx.provide(CredentialsFact {
            sigv4: None,
            bedrock_auth: BedrockAuth::BearerToken,
            aws_profile: None,
        });
        let found = QuotasInference.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].code().as_str(), found[0].status),
            ("quotas.inference/no-sigv4-credentials", Status::Skip)
        );
    }
}
