//! `logging.invocation`: every region where Claude is used records its invocations (model
//! invocation logging, with a destination and the text of prompts and completions). Logging is
//! per source region, so each audited region is judged on its own; with `--regions all` a region
//! where Bedrock is not used is reported as such rather than failed (field-failures 49).

use std::sync::Arc;

use async_trait::async_trait;

use super::facts::LoggingConfigs;
use super::per_region;
use crate::aws::{AwsError, AwsReader};
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
            /// Model invocation logging is on in the region, to CloudWatch Logs or S3 (the finding
            /// names the destination), with text delivery on, so each prompt and completion sent to
            /// Bedrock Runtime from this region is recorded. Nothing to fix here;
            /// `logging.retention` checks that the destination exists and keeps the records for at
            /// least 30 days.
            ENABLED = "enabled",
            /// The region has no model invocation logging configuration, so no prompt or completion
            /// sent to Claude from it is recorded anywhere, and an audit or incident review has
            /// nothing to go on. Logging is set per region and covers the calls made from that
            /// region, so each region where Claude is called needs its own. Turn it on with
            /// `bedrock-preflight setup logging --region REGION --log-group bedrock-invocations
            /// --create-role --yes` (or `--bucket BUCKET`); the remediation carries the exact
            /// command, keeping a destination already configured.
            OFF = "off",
            /// Model invocation logging is on in the region, but with text delivery off
            /// (`textDataDeliveryEnabled` false): the records carry metadata only, no prompt or
            /// completion, which leaves an audit without the content it needs. Turn text delivery
            /// on and keep the destination with `bedrock-preflight setup logging`; the remediation
            /// carries the command with this region's destination.
            TEXT_OFF = "text-not-delivered",
            /// Skipped under `--region all`: the region has no invocation logging, but nothing
            /// shows Claude is used there, neither an invocation in the last 30 days (CloudWatch
            /// `AWS/Bedrock` metrics) nor a customer policy held in the account that grants
            /// invoking Claude in it, so its missing logging is not failed. If Claude will be used
            /// there, turn logging on first (`bedrock-preflight setup logging --region REGION
            /// ...`); `audit --strict` judges every region anyway.
            NOT_IN_USE = "region-not-in-use",
            /// Claude is called through the Mantle endpoint, whose calls model invocation logging
            /// does not capture: CloudTrail shows such calls from the region in the last 7 days, or
            /// Claude Code on this machine is set to use it (`CLAUDE_CODE_USE_MANTLE`). Their
            /// prompts and completions are recorded nowhere, even where invocation logging is on.
            /// Move those callers to Bedrock Runtime (for Claude Code, unset
            /// `CLAUDE_CODE_USE_MANTLE`), or accept CloudTrail's `bedrock-mantle.amazonaws.com`
            /// events as the only record.
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
        let answers = per_region(
            cx.scope
                .regions
                .iter()
                .map(|region| read(&cx.aws, region, &options))
                .collect(),
        )
        .await;
        let (findings, configs) = judge(&options, answers);
        cx.provide(configs);
        Ok(findings)
    }
}

/// What AWS answered about one region's invocation logging.
struct Answers {
    region: Region,
    config: Result<InvocationLogging, AwsError>,
    /// Read only when a region not in use may be passed over (`--regions all`).
    usage: Option<Usage>,
    /// Calls to the Mantle endpoint that CloudTrail shows.
    mantle_calls: Result<usize, AwsError>,
}

/// What shows whether Claude is used in a region.
struct Usage {
    invocations: Result<f64, AwsError>,
    authorization: Result<Arc<AccountAuthorization>, AwsError>,
}

impl Usage {
    /// Whether nothing shows Claude used in `region`; a usage that cannot be read leaves the
    /// region judged.
    fn none_in(&self, region: &Region) -> bool {
        match (&self.invocations, &self.authorization) {
            (Ok(count), Ok(account)) => {
                let invoked = *count > 0.0;
                !invoked && !grants_invoke_in(account, region)
            }
            _ => false,
        }
    }
}

async fn read(aws: &AwsReader, region: &Region, options: &AuditOptions) -> Answers {
    // Whether Claude is used here matters only if logging is off, but asking at once keeps a
    // region to one round trip.
    let usage = async {
        if options.may_skip_unused() {
            let (invocations, authorization) = tokio::join!(
                aws.claude_invocations(region, USAGE_DAYS),
                aws.account_authorization()
            );
            Some(Usage {
                invocations,
                authorization,
            })
        } else {
            None
        }
    };
    let (config, usage, mantle_calls) = tokio::join!(
        aws.invocation_logging(region),
        usage,
        aws.recent_mantle_calls(region, MANTLE_DAYS)
    );
    Answers {
        region: region.clone(),
        config,
        usage,
        mantle_calls,
    }
}

/// One finding per region, in order, then the warning about this machine's Mantle calls;
/// and the configuration of each region that logs somewhere, for `logging.retention`.
fn judge(options: &AuditOptions, answers: Vec<Answers>) -> (Vec<Finding>, LoggingConfigs) {
    let mut findings = Vec::new();
    let mut configs = LoggingConfigs::default();
    for answers in answers {
        let (finding, config) = judge_region(answers);
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
    (findings, configs)
}

fn judge_region(answers: Answers) -> (Finding, Option<(Region, InvocationLogging)>) {
    let Answers {
        region,
        config,
        usage,
        mantle_calls,
    } = answers;
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
        let unused = usage.is_some_and(|usage| usage.none_in(&region));
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
                Remediation::new(setup_command(&region, &config)),
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
            Remediation::new(setup_command(&region, &config)),
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
    if let Err(error) = &mantle_calls {
        finding = finding.evidence("mantle_calls_unread", error.to_string());
    }
    if let Ok(calls) = mantle_calls
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
    let kept = config.has_destination().then_some((region, config));
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

#[cfg(test)]
mod judging {
    use super::*;
    use crate::aws::catalog::{
        GET_ACCOUNT_AUTHORIZATION_DETAILS, GET_METRIC_DATA,
        GET_MODEL_INVOCATION_LOGGING_CONFIGURATION, LOOKUP_EVENTS,
    };
    use crate::checks::testing::{ACCOUNT, account_with_inline, denied, region};
    use crate::domain::CloudWatchDestination;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::123456789012:role/bedrock-logging";

    fn answers(name: &str, config: Result<InvocationLogging, AwsError>) -> Answers {
        Answers {
            region: region(name),
            config,
            usage: None,
            mantle_calls: Ok(0),
        }
    }

    fn to_log_group(text: bool) -> InvocationLogging {
        InvocationLogging {
            cloudwatch: Some(CloudWatchDestination {
                log_group: "claude-invocations".into(),
                role_arn: ROLE.into(),
                large_data_bucket: None,
            }),
            text,
            ..InvocationLogging::default()
        }
    }

    fn to_bucket(text: bool) -> InvocationLogging {
        InvocationLogging {
            s3: Some(("audit-logs".into(), Some("bedrock".into()))),
            text,
            ..InvocationLogging::default()
        }
    }

    fn one(answers: Answers) -> Finding {
        let (mut findings, _) = judge(&AuditOptions::default(), vec![answers]);
        assert_eq!(findings.len(), 1);
        findings.remove(0)
    }

    fn fix(finding: &Finding) -> &str {
        finding.remediation.as_deref().unwrap()
    }

    #[test]
    fn each_region_is_judged_on_its_own_and_only_those_that_log_are_kept() {
        let (findings, configs) = judge(
            &AuditOptions::default(),
            vec![
                answers("us-east-1", Ok(to_log_group(true))),
                answers("eu-west-1", Ok(to_bucket(false))),
                answers("ap-south-1", Ok(InvocationLogging::default())),
                answers(
                    "us-west-2",
                    Err(denied(&GET_MODEL_INVOCATION_LOGGING_CONFIGURATION)),
                ),
            ],
        );
        let seen: Vec<_> = findings
            .iter()
            .map(|f| (f.region.as_deref().unwrap(), f.status, f.code()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "us-east-1",
                    Status::Pass,
                    "logging.invocation/enabled".into()
                ),
                (
                    "eu-west-1",
                    Status::Fail,
                    "logging.invocation/text-not-delivered".into()
                ),
                ("ap-south-1", Status::Fail, "logging.invocation/off".into()),
                (
                    "us-west-2",
                    Status::Error,
                    "logging.invocation/read-failed".into()
                ),
            ]
        );
        assert_eq!(
            findings[0].evidence["destinations"],
            "CloudWatch Logs group claude-invocations"
        );
        assert!(
            findings[1]
                .message
                .contains("to s3://audit-logs/bedrock but with text delivery off")
        );
        assert_eq!(findings[2].evidence["destinations"], "nowhere");
        assert_eq!(
            findings[3].evidence["operation"],
            "bedrock:GetModelInvocationLoggingConfiguration"
        );
        let kept: Vec<_> = configs.list.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(kept, ["us-east-1", "eu-west-1"], "what retention judges");
    }

    #[test]
    fn the_fix_turns_text_on_where_the_logs_already_go() {
        assert_eq!(
            fix(&one(answers("eu-west-1", Ok(to_bucket(false))))),
            "bedrock-preflight setup logging --region eu-west-1 --bucket audit-logs --yes"
        );
        assert_eq!(
            fix(&one(answers("us-east-1", Ok(to_log_group(false))))),
            format!(
                "bedrock-preflight setup logging --region us-east-1 --log-group claude-invocations \
                 --role-arn {ROLE} --yes"
            )
        );
        assert_eq!(
            fix(&one(answers(
                "ap-south-1",
                Ok(InvocationLogging::default())
            ))),
            "bedrock-preflight setup logging --region ap-south-1 --log-group bedrock-invocations \
             --create-role --yes"
        );
    }

    #[test]
    fn text_delivery_without_a_destination_is_still_off() {
        let nowhere = InvocationLogging {
            text: true,
            image: true,
            ..InvocationLogging::default()
        };
        let (findings, configs) = judge(
            &AuditOptions::default(),
            vec![answers("us-east-1", Ok(nowhere))],
        );
        assert_eq!(findings[0].code(), "logging.invocation/off");
        assert!(configs.list.is_empty());
    }

    #[test]
    fn a_region_is_passed_over_only_when_both_signs_of_use_are_read_and_show_none() {
        let unused = |invocations, authorization| Answers {
            usage: Some(Usage {
                invocations,
                authorization,
            }),
            ..answers("us-east-1", Ok(InvocationLogging::default()))
        };
        let nobody = || Ok(Arc::new(account_with_inline(&[])));
        let skipped = one(unused(Ok(0.0), nobody()));
        assert_eq!(
            (skipped.status, skipped.code().as_str()),
            (Status::Skip, "logging.invocation/region-not-in-use")
        );
        assert_eq!(skipped.region.as_deref(), Some("us-east-1"));
        assert!(skipped.message.contains("(--strict judges it anyway)"));

        let elsewhere = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
        }]});
        let only_elsewhere = Ok(Arc::new(account_with_inline(&[elsewhere])));
        assert_eq!(
            one(unused(Ok(0.0), only_elsewhere)).status,
            Status::Skip,
            "a grant in another region is no use here"
        );

        let everywhere = json!({"Statement": [{
            "Effect": "Allow", "Action": "bedrock:Invoke*", "Resource": "*"
        }]});
        for (why, invocations, authorization) in [
            ("invoked", Ok(12.0), nobody()),
            (
                "granted",
                Ok(0.0),
                Ok(Arc::new(account_with_inline(&[everywhere]))),
            ),
            (
                "invocations unread",
                Err(denied(&GET_METRIC_DATA)),
                nobody(),
            ),
            (
                "grants unread",
                Ok(0.0),
                Err(denied(&GET_ACCOUNT_AUTHORIZATION_DETAILS)),
            ),
        ] {
            let judged = one(unused(invocations, authorization));
            assert_eq!(judged.code(), "logging.invocation/off", "{why}");
        }
        assert_eq!(
            one(answers("us-east-1", Ok(InvocationLogging::default()))).code(),
            "logging.invocation/off",
            "without --regions all, usage is not asked and the region is judged"
        );
    }

    #[test]
    fn a_grant_through_a_profile_of_the_account_counts_as_use() {
        let profiles_only = json!({"Statement": [{
            "Effect": "Allow", "Action": "bedrock:InvokeModel",
            "Resource": format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/*")
        }]});
        let account = account_with_inline(&[profiles_only]);
        assert!(grants_invoke_in(&account, &region("us-east-1")));
        assert!(!grants_invoke_in(&account, &region("us-west-2")));
        let unparsable = account_with_inline(&[json!("not a policy")]);
        assert!(!grants_invoke_in(&unparsable, &region("us-east-1")));
    }

    #[test]
    fn mantle_calls_turn_a_pass_into_a_warning_and_ride_along_on_a_failure() {
        let with_mantle = |config, calls| Answers {
            mantle_calls: calls,
            ..answers("us-east-1", Ok(config))
        };
        let warned = one(with_mantle(to_log_group(true), Ok(3)));
        assert_eq!(
            (warned.status, warned.code().as_str()),
            (Status::Warn, "logging.invocation/mantle-not-captured")
        );
        assert_eq!(warned.region.as_deref(), Some("us-east-1"));
        assert_eq!(warned.evidence["mantle_calls"], 3);
        assert_eq!(
            warned.evidence["destinations"],
            "CloudWatch Logs group claude-invocations"
        );
        assert!(warned.message.contains("CloudTrail shows 3 call(s)"));
        assert!(fix(&warned).contains("unset CLAUDE_CODE_USE_MANTLE"));

        let failed = one(with_mantle(to_bucket(false), Ok(3)));
        assert_eq!(failed.code(), "logging.invocation/text-not-delivered");
        assert_eq!(failed.evidence["mantle_calls"], 3);

        let unread = one(with_mantle(to_log_group(true), Err(denied(&LOOKUP_EVENTS))));
        assert_eq!(unread.code(), "logging.invocation/enabled");
        assert!(
            unread.evidence["mantle_calls_unread"]
                .as_str()
                .unwrap()
                .contains("cloudtrail:LookupEvents")
        );

        let none = one(with_mantle(to_log_group(true), Ok(0)));
        assert_eq!(none.code(), "logging.invocation/enabled");
        assert!(!none.evidence.contains_key("mantle_calls"));
    }

    #[test]
    fn claude_code_calling_mantle_here_adds_one_warning_after_the_regions() {
        let options = AuditOptions {
            mantle_here: true,
            ..AuditOptions::default()
        };
        let (findings, _) = judge(
            &options,
            vec![
                answers("us-east-1", Ok(to_log_group(true))),
                answers("eu-west-1", Ok(to_log_group(true))),
            ],
        );
        let codes: Vec<_> = findings.iter().map(Finding::code).collect();
        assert_eq!(
            codes,
            [
                "logging.invocation/enabled",
                "logging.invocation/enabled",
                "logging.invocation/mantle-not-captured"
            ]
        );
        let here = &findings[2];
        assert_eq!((here.status, here.region.as_deref()), (Status::Warn, None));
        assert!(fix(here).starts_with("Unset CLAUDE_CODE_USE_MANTLE"));
    }
}
