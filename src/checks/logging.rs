//! `logging.invocation`: every region where Claude is used records its invocations (model
//! invocation logging, with a destination and the text of prompts and completions). Logging is
//! per source region, so each audited region is judged on its own; with `--regions all` a region
//! where Bedrock is not used is reported as such rather than failed (field-failures 49).

use async_trait::async_trait;

use super::facts::LoggingConfigs;
use super::per_region;
use crate::aws::AwsReader;
use crate::domain::models::PROFILE_PREFIXES;
use crate::domain::{AccountAuthorization, InvocationLogging, Region};
use crate::engine::{
    Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity, Status,
};
use crate::iam::{Decision, NamedPolicy, Policy, PolicySet, Request, evaluate};
use crate::shell::sh;

/// How far back a Claude invocation makes a region "in use".
const USAGE_DAYS: u32 = 30;
/// How far back CloudTrail is asked for calls to the Mantle endpoint.
const MANTLE_DAYS: u64 = 7;

/// What `audit` hands its checks.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// `--regions all`: a region where Bedrock is not used is reported as not in use.
    pub all_regions: bool,
    /// `--strict`: a region not in use is judged all the same.
    pub strict: bool,
    /// Claude Code on this machine calls the Mantle endpoint, which logging does not capture.
    pub mantle_here: bool,
}

impl AuditOptions {
    /// Whether a region may be passed over when nothing shows Bedrock is used there.
    fn may_skip_unused(&self) -> bool {
        self.all_regions && !self.strict
    }
}

check! {
    LoggingInvocation = "logging.invocation" {
        title: "Model invocation logging",
        description: "Each region where Claude is used logs model invocations \
                      (GetModelInvocationLoggingConfiguration) to CloudWatch Logs or S3 with text \
                      delivery on, so prompts and completions are recorded; with --regions all, a \
                      region with no logging, no Claude invocation in 30 days (CloudWatch \
                      AWS/Bedrock Invocations) and no customer policy granting invoke there is not in \
                      use; calls to the Mantle endpoint that CloudTrail shows (LookupEvents), which \
                      invocation logging does not capture, are named",
        commands: [Audit],
        depends_on: [],
        after: [],
        severity: High,
        kinds: {
            ENABLED = "enabled",
            OFF = "off",
            TEXT_OFF = "text-not-delivered",
            NOT_IN_USE = "region-not-in-use",
            MANTLE = "mantle-not-captured",
        },
    }
}

/// The command that turns logging on (with text) in `region`, keeping the destination it
/// already has.
fn setup_command(region: &Region, config: &InvocationLogging) -> String {
    let destination = match (&config.cloudwatch, &config.s3) {
        (Some(cloudwatch), _) => sh![
            "--log-group",
            cloudwatch.log_group,
            "--role-arn",
            cloudwatch.role_arn
        ],
        (None, Some((bucket, _))) => sh!["--bucket", bucket],
        (None, None) => "--log-group bedrock-invocations --create-role".into(),
    };
    format!(
        "{} {destination} --yes",
        sh!["bedrock-preflight", "setup", "logging", "--region", region]
    )
}

#[async_trait]
impl Check for LoggingInvocation {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let options = cx.fact::<AuditOptions>().unwrap_or_default();
        let judged = per_region(
            cx.scope
                .regions
                .iter()
                .map(|region| invocation(&cx.aws, region, &options))
                .collect(),
        )
        .await;
        let mut findings = Vec::new();
        let mut configs = LoggingConfigs::default();
        for (finding, config) in judged {
            findings.push(finding);
            configs.list.extend(config);
        }
        if options.mantle_here {
            findings.push(Finding::warn(
                &META,
                kind::MANTLE,
                Severity::Medium,
                "Mantle endpoint traffic is not logged",
                "Claude Code on this machine calls the Mantle endpoint (CLAUDE_CODE_USE_MANTLE), whose calls model \
                 invocation logging does not capture: their prompts and completions are recorded nowhere",
                Remediation::new(
                    "Unset CLAUDE_CODE_USE_MANTLE so Claude Code calls Bedrock Runtime, whose invocations are logged, \
                     or accept that CloudTrail's bedrock-mantle.amazonaws.com events are the only record",
                ),
            ));
        }
        cx.provide(configs);
        Ok(findings)
    }
}

async fn invocation(
    aws: &AwsReader,
    region: &Region,
    options: &AuditOptions,
) -> (Finding, Option<(Region, InvocationLogging)>) {
    // Whether Claude is used here matters only if logging is off, but asking at once keeps a
    // region to one round trip.
    let usage = async {
        if options.may_skip_unused() {
            let (invocations, grants) = tokio::join!(
                aws.claude_invocations(region, USAGE_DAYS),
                aws.account_authorization()
            );
            let invoked = invocations.map(|count| count > 0.0);
            let granted = grants.map(|account| grants_invoke_in(&account, region));
            Some(invoked.and_then(|invoked| granted.map(|granted| invoked || granted)))
        } else {
            None
        }
    };
    let (config, usage, mantle) = tokio::join!(
        aws.invocation_logging(region),
        usage,
        aws.recent_mantle_calls(region, MANTLE_DAYS)
    );
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            return (
                Finding::aws_error(&META, &error).region(region.as_str()),
                None,
            );
        }
    };
    let finding = if !config.has_destination() {
        // A usage that cannot be read leaves the region judged.
        let unused = usage.is_some_and(|used| used.is_ok_and(|used| !used));
        if unused {
            Finding::skip(
                &META,
                kind::NOT_IN_USE,
                format!(
                    "Not in use: {region} has no invocation logging, no Claude invocation in {USAGE_DAYS} days and \
                     no customer policy granting invoke there (--strict judges it anyway)"
                ),
            )
        } else {
            Finding::fail(
                &META,
                kind::OFF,
                Severity::High,
                "Model invocation logging is off",
                format!(
                    "{region} has no model invocation logging configuration: no prompt or completion sent to Claude \
                     from this region is recorded"
                ),
                Remediation::new(setup_command(region, &config)),
            )
        }
    } else if !config.text {
        Finding::fail(
            &META,
            kind::TEXT_OFF,
            Severity::High,
            "Prompts and completions are not logged",
            format!(
                "{region} logs invocations to {} but with text delivery off (textDataDeliveryEnabled false): \
                 the records carry no prompt or completion",
                destinations(&config)
            ),
            Remediation::new(setup_command(region, &config)),
        )
    } else {
        Finding::pass(
            &META,
            kind::ENABLED,
            "Invocations are logged with their text",
            format!(
                "{region} logs model invocations, text included, to {}",
                destinations(&config)
            ),
        )
    };
    let mut finding = finding
        .region(region.as_str())
        .evidence("destinations", destinations(&config));
    // The Mantle endpoint's calls are in CloudTrail, never in invocation logs.
    if let Err(error) = &mantle {
        finding = finding.evidence("mantle_calls_unread", error.to_string());
    }
    if let Ok(calls) = mantle
        && calls > 0
    {
        finding = finding.evidence("mantle_calls", calls);
        if finding.status == Status::Pass {
            finding = Finding::warn(
                &META,
                kind::MANTLE,
                Severity::Medium,
                "Mantle endpoint traffic is not logged",
                format!(
                    "{region} logs Bedrock Runtime invocations, text included, to {}, but CloudTrail shows {calls} \
                     call(s) to the Mantle endpoint in the last {MANTLE_DAYS} days, which invocation logging does \
                     not capture: their prompts and completions are recorded nowhere",
                    destinations(&config)
                ),
                Remediation::new(
                    "Move those callers to Bedrock Runtime (for Claude Code, unset CLAUDE_CODE_USE_MANTLE), or \
                     accept CloudTrail's bedrock-mantle.amazonaws.com events as the only record",
                ),
            )
            .region(region.as_str())
            .evidence("destinations", destinations(&config))
            .evidence("mantle_calls", calls);
        }
    }
    let kept = config.has_destination().then(|| (region.clone(), config));
    (finding, kept)
}

/// Whether a customer policy that someone holds grants invoking Claude in `region`, through a
/// profile of any geography or on demand (judged on sample ARNs of that region).
fn grants_invoke_in(account: &AccountAuthorization, region: &Region) -> bool {
    let model = "anthropic.claude-sonnet-4-6";
    let mut samples = vec![format!(
        "arn:aws:bedrock:{region}::foundation-model/{model}"
    )];
    for prefix in PROFILE_PREFIXES {
        samples.push(format!(
            "arn:aws:bedrock:{region}:{}:inference-profile/{prefix}.{model}",
            account_of(account)
        ));
    }
    let held: Vec<&str> = account
        .policies
        .iter()
        .filter(|p| account.holders.iter().any(|h| h.attached.contains(&p.arn)))
        .map(|p| p.document.as_str())
        .chain(
            account
                .holders
                .iter()
                .flat_map(|h| h.inline.iter().map(|(_, d)| d.as_str())),
        )
        .collect();
    held.into_iter()
        .filter_map(|document| Policy::from_json(document).ok())
        .any(|policy| {
            let set = PolicySet::identity(vec![NamedPolicy {
                name: String::new(),
                policy,
            }]);
            samples.iter().any(|arn| {
                let request = Request::new("bedrock:InvokeModel", arn.clone())
                    .with("aws:RequestedRegion", vec![region.to_string()]);
                evaluate(&set, &request).decision == Decision::Allowed
            })
        })
}

/// The account the principals belong to, from their ARNs.
fn account_of(account: &AccountAuthorization) -> String {
    account
        .holders
        .iter()
        .find_map(|h| h.arn.split(':').nth(4).map(str::to_string))
        .unwrap_or_default()
}

fn destinations(config: &InvocationLogging) -> String {
    let mut places = Vec::new();
    if let Some(cloudwatch) = &config.cloudwatch {
        places.push(format!("CloudWatch Logs group {}", cloudwatch.log_group));
    }
    if let Some((bucket, prefix)) = &config.s3 {
        places.push(match prefix {
            Some(prefix) => format!("s3://{bucket}/{prefix}"),
            None => format!("s3://{bucket}"),
        });
    }
    if places.is_empty() {
        "nowhere".into()
    } else {
        places.join(" and ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CloudWatchDestination;
    use crate::shell::{HOSTILE, words_of};

    #[test]
    fn the_setup_command_keeps_each_destination_one_word() {
        let region: Region = "us-east-1".parse().unwrap();
        let config = InvocationLogging {
            cloudwatch: Some(CloudWatchDestination {
                log_group: HOSTILE.into(),
                role_arn: format!("arn:aws:iam::123456789012:role/{HOSTILE}"),
                large_data_bucket: None,
            }),
            ..InvocationLogging::default()
        };
        let words = words_of(&setup_command(&region, &config));
        assert_eq!(
            words[..5],
            [
                "bedrock-preflight",
                "setup",
                "logging",
                "--region",
                "us-east-1"
            ]
        );
        assert_eq!(words[5..7], ["--log-group", HOSTILE]);
        assert_eq!(
            words[8],
            format!("arn:aws:iam::123456789012:role/{HOSTILE}")
        );
        assert_eq!(words.len(), 10);

        let to_bucket = InvocationLogging {
            s3: Some((HOSTILE.into(), None)),
            ..InvocationLogging::default()
        };
        assert_eq!(
            words_of(&setup_command(&region, &to_bucket))[5..7],
            ["--bucket", HOSTILE]
        );
    }
}
