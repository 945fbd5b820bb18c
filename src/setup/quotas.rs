//! `setup quotas`: raise, through Service Quotas, the Bedrock quotas that limit one model's
//! calls in a region. The quotas are the route's (on-demand, cross-region or global; the 1M
//! Context Length ones for a `[1m]` target), found by name as `quotas.inference` finds them.
//! An increase is requested only where the value asked is above the applied value and above
//! every open request's; what Service Quotas cannot raise is named with the way that can.

use crate::checks::quotas::{Found, Window, route_quotas};
use crate::domain::{Invocation, QuotaRequest, Region, ServiceQuota};
use crate::plan::{Change, Plan, Rerun, Step};
use crate::remediation::QuotaIncrease;

/// Which of a route's quotas a value is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    TokensPerMinute,
    RequestsPerMinute,
    TokensPerDay,
}

impl Limit {
    fn unit(self) -> &'static str {
        match self {
            Limit::TokensPerMinute => "tokens per minute",
            Limit::RequestsPerMinute => "requests per minute",
            Limit::TokensPerDay => "tokens per day",
        }
    }

    fn asked(self, increase: &QuotaIncrease) -> Option<u64> {
        match self {
            Limit::TokensPerMinute => increase.tpm,
            Limit::RequestsPerMinute => increase.rpm,
            Limit::TokensPerDay => increase.tokens_per_day,
        }
    }
}

/// One quota, as its region holds it, and the value asked of it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaNow {
    pub region: Region,
    pub limit: Limit,
    /// Its applied value, or the AWS default where Service Quotas lists none applied.
    pub quota: ServiceQuota,
    pub desired: u64,
    /// Its increase requests, open and closed: read only where `needs_requests`.
    pub requests: Vec<QuotaRequest>,
}

impl QuotaNow {
    /// Whether its increase requests decide the plan: the value asked is above the applied
    /// one and Service Quotas may raise it.
    pub fn needs_requests(&self) -> bool {
        self.quota.adjustable && self.desired as f64 > self.quota.value
    }

    /// `bedrock/L-12345678 in us-east-1 (Cross-region model inference tokens per minute for ...)`.
    fn named(&self) -> String {
        format!(
            "bedrock/{} in {} ({})",
            self.quota.code, self.region, self.quota.name
        )
    }

    /// What the daily quota's value means for the calls that are not on demand.
    fn daily_note(&self) -> String {
        match self.limit {
            Limit::TokensPerDay if self.quota.name.contains("doubled for cross-region") => format!(
                ": cross-region calls get double, {} tokens per day",
                self.desired.saturating_mul(2)
            ),
            _ => String::new(),
        }
    }
}

/// What the plan cannot do; the command names each and exits 1.
#[derive(Clone, Debug, PartialEq)]
pub enum Blocker {
    /// The catalog gives the model no name, and quotas are found only by it.
    NoModelName { region: Region, model_id: String },
    /// Service Quotas lists no quota of this name in the region.
    NotFound {
        region: Region,
        limit: Limit,
        name: String,
    },
    /// Service Quotas cannot raise it: AWS Support can.
    NotAdjustable {
        region: Region,
        quota: ServiceQuota,
        desired: u64,
    },
    /// A request for less is open, and Service Quotas takes one open request per quota.
    RequestOpen {
        region: Region,
        quota: ServiceQuota,
        request: QuotaRequest,
        desired: u64,
    },
}

/// The Service Quotas console's page of a region's Bedrock quotas.
fn console(region: &Region) -> String {
    format!("the Service Quotas console > AWS services > Amazon Bedrock ({region})")
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocker::NoModelName { region, model_id } => write!(
                f,
                "the catalog of {region} gives {model_id} no model name, and its quotas are found only by it: \
                 look for them in {}",
                console(region)
            ),
            Blocker::NotFound {
                region,
                limit,
                name,
            } => write!(
                f,
                "Service Quotas lists no \"{name}\" quota in {region}, so its {} cannot be raised here: look for \
                 the model's quotas in {}",
                limit.unit(),
                console(region)
            ),
            Blocker::NotAdjustable {
                region,
                quota,
                desired,
            } => write!(
                f,
                "bedrock/{} in {region} ({}) is {} and Service Quotas cannot raise it (not adjustable): open a case \
                 in AWS Support > Create case > Service limit increase > Amazon Bedrock, region {region}, asking \
                 for {desired} for quota {} ({})",
                quota.code, quota.name, quota.value, quota.code, quota.name
            ),
            Blocker::RequestOpen {
                region,
                quota,
                request,
                desired,
            } => write!(
                f,
                "bedrock/{} in {region} ({}) has request {} open for {}, below the {desired} asked, and Service \
                 Quotas takes one open request per quota: wait until AWS decides it (the Service Quotas console > \
                 Quota request history), or {}",
                quota.code,
                quota.name,
                describe(request),
                request.desired,
                match &request.case_id {
                    Some(case) => format!("ask in AWS Support case {case} for {desired} instead"),
                    None => "run this again once it is decided".to_string(),
                }
            ),
        }
    }
}

/// `8f1c2d3e (PENDING)`, `8f1c2d3e (case 17491234561, CASE_OPENED)`.
fn describe(request: &QuotaRequest) -> String {
    match &request.case_id {
        Some(case) => format!("{} (case {case}, {})", request.id, request.status),
        None => format!("{} ({})", request.id, request.status),
    }
}

/// The quotas `increase` asks of `invocation`'s route, from its region's applied quotas and
/// AWS defaults, each once; what cannot be found is a blocker. A global route's daily
/// tokens are limited by the model's daily quota and, where AWS lists one, the global daily
/// quota too: both are asked.
pub fn quotas_asked(
    invocation: &Invocation,
    applied: &[ServiceQuota],
    defaults: &[ServiceQuota],
    increase: &QuotaIncrease,
) -> (Vec<QuotaNow>, Vec<Blocker>) {
    let region = &invocation.region;
    let Some(route) = route_quotas(invocation, applied, Some(defaults)) else {
        let blocker = Blocker::NoModelName {
            region: region.clone(),
            model_id: invocation.model.id.clone(),
        };
        return (Vec::new(), vec![blocker]);
    };
    let long = match route.window {
        Window::Standard => "",
        Window::Long => " 1M Context Length",
    };
    let mut quotas = Vec::new();
    let mut blockers = Vec::new();
    for limit in [
        Limit::TokensPerMinute,
        Limit::RequestsPerMinute,
        Limit::TokensPerDay,
    ] {
        let Some(desired) = limit.asked(increase) else {
            continue;
        };
        let (found, name): (Vec<&Option<Found>>, String) = match limit {
            Limit::TokensPerMinute | Limit::RequestsPerMinute => {
                let (found, what) = match limit {
                    Limit::TokensPerMinute => (&route.tokens, "tokens"),
                    _ => (&route.requests, "requests"),
                };
                (
                    vec![found],
                    format!(
                        "{} model inference {what} per minute for {}{long}",
                        route.kind, route.model
                    ),
                )
            }
            Limit::TokensPerDay => (
                vec![&route.daily, &route.global_daily],
                format!(
                    "Model invocation max tokens per day for {}{long} (doubled for cross-region calls)",
                    route.model
                ),
            ),
        };
        if found[0].is_none() {
            blockers.push(Blocker::NotFound {
                region: region.clone(),
                limit,
                name,
            });
        }
        for found in found.into_iter().flatten() {
            quotas.push(QuotaNow {
                region: region.clone(),
                limit,
                quota: found.quota.clone(),
                desired,
                requests: Vec::new(),
            });
        }
    }
    (quotas, blockers)
}

/// `quotas` with each quota of a region once, at the largest value asked of it: two asks can
/// name one quota (the account-wide global daily quota, for two models).
pub fn each_once(quotas: Vec<QuotaNow>) -> Vec<QuotaNow> {
    let mut once: Vec<QuotaNow> = Vec::new();
    for quota in quotas {
        match once
            .iter_mut()
            .find(|q| q.region == quota.region && q.quota.code == quota.quota.code)
        {
            Some(seen) => seen.desired = seen.desired.max(quota.desired),
            None => once.push(quota),
        }
    }
    once
}

/// The requests still needed for every quota to reach the value asked of it, what is already
/// so (and why), and what stands in the way that the plan cannot remove.
pub fn plan_quotas(goal: String, quotas: &[QuotaNow]) -> (Plan, Vec<Blocker>) {
    let mut steps = Vec::new();
    let mut unchanged = Vec::new();
    let mut blockers = Vec::new();
    for now in quotas {
        let desired = now.desired;
        if desired as f64 <= now.quota.value {
            unchanged.push(format!(
                "{} is {}, at or above the {desired} asked",
                now.named(),
                now.quota.value
            ));
            continue;
        }
        if !now.quota.adjustable {
            blockers.push(Blocker::NotAdjustable {
                region: now.region.clone(),
                quota: now.quota.clone(),
                desired,
            });
            continue;
        }
        let open: Vec<&QuotaRequest> = now.requests.iter().filter(|r| r.is_open()).collect();
        let largest = open
            .iter()
            .max_by(|a, b| a.desired.total_cmp(&b.desired))
            .copied();
        match largest {
            Some(request) if request.desired >= desired as f64 => unchanged.push(format!(
                "{} is {}, and request {} already asks for {}, at or above the {desired} asked",
                now.named(),
                now.quota.value,
                describe(request),
                request.desired
            )),
            Some(request) => blockers.push(Blocker::RequestOpen {
                region: now.region.clone(),
                quota: now.quota.clone(),
                request: request.clone(),
                desired,
            }),
            None => steps.push(Step {
                summary: format!(
                    "Request {desired} (now {}) for {}{}",
                    now.quota.value,
                    now.quota.name,
                    now.daily_note()
                ),
                change: Change::RequestQuotaIncrease {
                    region: now.region.clone(),
                    quota_code: now.quota.code.clone(),
                    quota_name: now.quota.name.clone(),
                    desired,
                },
                // A second request while this one is open is refused: the planner reads the
                // open requests first and leaves the step out once one asks enough.
                rerun: Rerun::PlanFirst,
                detail: None,
            }),
        }
    }
    (
        Plan {
            goal,
            steps,
            unchanged,
        },
        blockers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{SONNET, invocation, model, profile, sonnet_through_us};

    fn quota(code: &str, name: &str, value: f64, adjustable: bool) -> ServiceQuota {
        ServiceQuota {
            code: code.into(),
            name: name.into(),
            value,
            adjustable,
        }
    }

    const TOKENS: &str =
        "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6 V1";
    const REQUESTS: &str =
        "Cross-region model inference requests per minute for Anthropic Claude Sonnet 4.6 V1";
    const DAILY: &str = "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 V1 (doubled for cross-region calls)";

    fn applied() -> Vec<ServiceQuota> {
        vec![
            quota("L-1", TOKENS, 3_000_000.0, true),
            quota("L-2", REQUESTS, 2_000.0, true),
            quota("L-3", DAILY, 720_000_000.0, false),
            quota(
                "L-4",
                "Global cross-region model inference tokens per minute for Anthropic Claude Sonnet 4.6 V1",
                4_000_000.0,
                true,
            ),
        ]
    }

    fn ask(tpm: Option<u64>, rpm: Option<u64>, daily: Option<u64>) -> QuotaIncrease {
        QuotaIncrease {
            tpm,
            rpm,
            tokens_per_day: daily,
            ..QuotaIncrease::of(&sonnet_through_us())
        }
    }

    fn request(id: &str, status: &str, desired: f64, case: Option<&str>) -> QuotaRequest {
        QuotaRequest {
            id: id.into(),
            case_id: case.map(str::to_string),
            status: status.into(),
            desired,
        }
    }

    fn planned(quotas: &[QuotaNow]) -> (Plan, Vec<Blocker>) {
        plan_quotas("quotas".into(), quotas)
    }

    #[test]
    fn each_value_asks_the_routes_quota_of_its_kind() {
        let (quotas, blockers) = quotas_asked(
            &sonnet_through_us(),
            &applied(),
            &[],
            &ask(Some(5_000_000), Some(4_000), None),
        );
        assert!(blockers.is_empty());
        let codes: Vec<(&str, Limit, u64)> = quotas
            .iter()
            .map(|q| (q.quota.code.as_str(), q.limit, q.desired))
            .collect();
        assert_eq!(
            codes,
            [
                ("L-1", Limit::TokensPerMinute, 5_000_000),
                ("L-2", Limit::RequestsPerMinute, 4_000)
            ],
            "the cross-region quotas of a us. profile, not the global one"
        );
        assert!(quotas.iter().all(QuotaNow::needs_requests));

        let (plan, blockers) = planned(&quotas);
        assert!(blockers.is_empty() && plan.unchanged.is_empty());
        assert_eq!(
            plan.operations(),
            [
                "servicequotas:RequestServiceQuotaIncrease",
                "servicequotas:RequestServiceQuotaIncrease"
            ]
        );
        assert_eq!(
            plan.steps[0].summary,
            format!("Request 5000000 (now 3000000) for {TOKENS}")
        );
        assert_eq!(plan.steps[0].change.resource(), "bedrock/L-1 in us-east-1");
        assert_eq!(plan.steps[0].rerun, Rerun::PlanFirst);
    }

    #[test]
    fn a_value_at_or_below_the_applied_one_is_nothing_to_change() {
        let (quotas, _) = quotas_asked(
            &sonnet_through_us(),
            &applied(),
            &[],
            &ask(Some(3_000_000), Some(1_000), Some(1)),
        );
        assert!(
            !quotas.iter().any(QuotaNow::needs_requests),
            "no read needed"
        );
        let (plan, blockers) = planned(&quotas);
        assert!(plan.is_converged());
        assert!(
            blockers.is_empty(),
            "not adjustable, but nothing asked of it"
        );
        assert_eq!(plan.unchanged.len(), 3);
        assert_eq!(
            plan.unchanged[0],
            format!(
                "bedrock/L-1 in us-east-1 ({TOKENS}) is 3000000, at or above the 3000000 asked"
            )
        );
    }

    #[test]
    fn an_open_request_for_as_much_is_nothing_to_change_and_one_for_less_blocks() {
        let (mut quotas, _) = quotas_asked(
            &sonnet_through_us(),
            &applied(),
            &[],
            &ask(Some(5_000_000), None, None),
        );
        quotas[0].requests = vec![
            request("old", "DENIED", 9_000_000.0, Some("111")),
            request("r-8", "CASE_OPENED", 8_000_000.0, Some("17491234561")),
        ];
        let (plan, blockers) = planned(&quotas);
        assert!(plan.is_converged() && blockers.is_empty());
        assert_eq!(
            plan.unchanged,
            [format!(
                "bedrock/L-1 in us-east-1 ({TOKENS}) is 3000000, and request r-8 (case 17491234561, CASE_OPENED) \
                 already asks for 8000000, at or above the 5000000 asked"
            )],
            "the closed request for more does not count"
        );

        quotas[0].requests = vec![request("r-4", "PENDING", 4_000_000.0, None)];
        let (plan, blockers) = planned(&quotas);
        assert!(plan.is_converged(), "a second request would be refused");
        assert!(
            matches!(&blockers[..], [Blocker::RequestOpen { request, .. }] if request.id == "r-4")
        );
        let said = blockers[0].to_string();
        assert!(
            said.contains("has request r-4 (PENDING) open for 4000000, below the 5000000 asked"),
            "{said}"
        );

        quotas[0].requests = vec![request("done", "APPROVED", 4_000_000.0, None)];
        let (plan, _) = planned(&quotas);
        assert_eq!(plan.steps.len(), 1, "only closed requests: ask again");
    }

    #[test]
    fn a_quota_service_quotas_cannot_raise_is_refused_with_the_support_case() {
        let (quotas, _) = quotas_asked(
            &sonnet_through_us(),
            &applied(),
            &[],
            &ask(None, None, Some(800_000_000)),
        );
        assert!(!quotas[0].needs_requests());
        let (plan, blockers) = planned(&quotas);
        assert!(plan.is_converged());
        let said = blockers[0].to_string();
        assert!(
            said.starts_with(
                "bedrock/L-3 in us-east-1 (Model invocation max tokens per day for Anthropic Claude Sonnet 4.6 V1 \
                 (doubled for cross-region calls)) is 720000000 and Service Quotas cannot raise it"
            ),
            "{said}"
        );
        assert!(
            said.contains(
                "AWS Support > Create case > Service limit increase > Amazon Bedrock, region us-east-1, asking \
                 for 800000000 for quota L-3"
            ),
            "{said}"
        );
    }

    #[test]
    fn the_daily_quota_says_cross_region_calls_get_double() {
        let mut applied = applied();
        applied[2].adjustable = true;
        let (quotas, _) = quotas_asked(
            &sonnet_through_us(),
            &applied,
            &[],
            &ask(None, None, Some(800_000_000)),
        );
        let (plan, _) = planned(&quotas);
        assert_eq!(
            plan.steps[0].summary,
            format!(
                "Request 800000000 (now 720000000) for {DAILY}: cross-region calls get double, \
                 1600000000 tokens per day"
            )
        );
    }

    #[test]
    fn a_quota_not_listed_or_a_model_without_a_name_is_named_not_guessed() {
        let (quotas, blockers) = quotas_asked(
            &sonnet_through_us(),
            &applied()[..1],
            &[],
            &ask(Some(5_000_000), Some(4_000), None),
        );
        assert_eq!(quotas.len(), 1);
        assert_eq!(
            blockers,
            [Blocker::NotFound {
                region: "us-east-1".parse().unwrap(),
                limit: Limit::RequestsPerMinute,
                name: "Cross-region model inference requests per minute for Anthropic Claude Sonnet 4.6"
                    .into(),
            }]
        );
        assert!(blockers[0].to_string().contains("Service Quotas console"));

        let mut long = sonnet_through_us();
        long.request.long_context = true;
        let (quotas, blockers) = quotas_asked(&long, &applied(), &[], &ask(Some(1), None, None));
        assert!(
            quotas.is_empty(),
            "the standard window's quota is not the 1M one"
        );
        assert!(
            blockers[0]
                .to_string()
                .contains("Sonnet 4.6 1M Context Length\"")
        );

        let mut nameless = model(SONNET, "ACTIVE", &["ON_DEMAND"]);
        nameless.name = None;
        let (quotas, blockers) = quotas_asked(
            &invocation(nameless, None),
            &applied(),
            &[],
            &ask(Some(1), None, None),
        );
        assert!(quotas.is_empty());
        assert!(matches!(blockers[..], [Blocker::NoModelName { .. }]));
    }

    #[test]
    fn a_global_route_asks_its_own_quotas_and_the_global_daily_one_once() {
        let global = invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["", "us-east-1"],
            )),
        );
        let mut applied = applied();
        applied.push(quota(
            "L-G",
            "Global cross-region model inference tokens per day",
            100.0,
            true,
        ));
        let (quotas, blockers) = quotas_asked(
            &global,
            &applied,
            &[],
            &ask(Some(5_000_000), None, Some(500)),
        );
        assert!(blockers.is_empty());
        let codes: Vec<&str> = quotas.iter().map(|q| q.quota.code.as_str()).collect();
        assert_eq!(codes, ["L-4", "L-3", "L-G"]);
        let twice = [quotas.clone(), quotas].concat();
        let mut other = twice.clone();
        other[2].desired = 900;
        let once = each_once([twice, other].concat());
        assert_eq!(once.len(), 3);
        assert_eq!(once[2].desired, 900, "the larger value asked");
    }
}
