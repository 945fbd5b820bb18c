//! `credentials.resolve`: the standard AWS chain yields credentials, from which source, and
//! for how long. Without them nothing else can be asked of AWS.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::facts::CredentialsFact;
use crate::aws::{
    AccountState, AwsError, AwsErrorKind, AwsProfile, AwsProfileKind, BedrockAuth,
    CredentialSource, CredentialsProblem, CredentialsSummary, IgnoredEnvKeys, MemberAccount,
};
use crate::domain::format_time;
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

check! {
    CredentialsResolve = "credentials.resolve" {
        title: "AWS credentials resolve",
        description: "Credentials resolve through the standard AWS chain; which source; temporary \
                      credentials are not expired or about to expire; whether Bedrock calls use a \
                      bearer token (AWS_BEARER_TOKEN_BEDROCK) instead",
        commands: [Doctor, Audit],
        depends_on: [],
        after: [],
        severity: Critical,
        kinds: {
            /// AWS credentials resolve through the standard chain (environment, profile, SSO, `aws
            /// login`, `credential_process`, web identity, container or instance role), and
            /// temporary ones stay valid for at least 15 more minutes. Nothing to fix: the evidence
            /// names the source (`source`), whether the credentials are temporary and, for
            /// temporary ones, when they expire (`expires_at`).
            RESOLVED = "resolved",
            /// Temporary credentials resolve but expire in less than 15 minutes. A long Claude Code
            /// session or batch job outlives them, and from then on every AWS call fails with an
            /// expired-token error (`ExpiredToken`, "The security token included in the request is
            /// expired"). Refresh them before you start: the remediation carries the command for
            /// their source, such as `aws sso login --profile NAME` with an `awsAuthRefresh`
            /// setting that lets Claude Code log in again by itself.
            EXPIRING = "expiring",
            /// The temporary credentials that resolve have already expired, so AWS rejects every
            /// call signed with them, typically with `ExpiredToken` ("The security token included
            /// in the request is expired"), and the checks that depend on credentials are skipped.
            /// Get fresh ones from their source: the remediation carries the command, such as `aws
            /// sso login --profile NAME`, `aws login --profile NAME`, or exporting new keys when
            /// they come from the environment.
            EXPIRED = "expired",
            /// No SigV4 credentials resolve, but `AWS_BEARER_TOKEN_BEDROCK` holds a Bedrock API
            /// key, which the Bedrock clients send instead of a signature. Bedrock calls can work
            /// this way, but what needs SigV4 cannot be checked (the caller's identity through STS,
            /// its IAM permissions), so this run proves less. For the full check, also configure
            /// AWS credentials (`aws configure sso`, or `export AWS_PROFILE=NAME`).
            BEARER_TOKEN_ONLY = "bearer-token-only",
            /// The standard AWS chain found no credentials at all: no keys in the environment, no
            /// profile with credentials, no SSO session, web identity, container or instance role.
            /// Nothing can be sent to AWS, so every check that needs it is skipped; the AWS CLI
            /// says "Unable to locate credentials" in this state, and the JavaScript SDK that
            /// Claude Code uses "Could not load credentials from any providers". Configure
            /// credentials (`aws configure sso` or `aws configure`) or point `AWS_PROFILE` (or
            /// `--profile`) at a profile that has them; the remediation names the fix for the
            /// profile in use.
            NOT_FOUND = "not-found",
            /// Credentials are configured but could not be loaded: an SSO session that expired, a
            /// `credential_process` that fails, a role the profile cannot assume, a profile without
            /// usable settings. Nothing can be sent to AWS, so the checks that depend on
            /// credentials are skipped. The message carries the provider's own error, and the
            /// remediation the fix for that kind of profile (`aws sso login --profile NAME`,
            /// running the `credential_process` command by hand, checking `role_arn` and
            /// `source_profile`).
            UNRESOLVED = "unresolved",
            /// The credentials provider did not answer in time: a `credential_process` waiting for
            /// input nobody gives (an MFA prompt), an SSO or STS endpoint out of reach, or instance
            /// metadata that does not answer. The check reached no verdict and the checks that need
            /// credentials are skipped; Claude Code waits at the same place, and newer versions
            /// stop with "AWS default-chain credential resolve timed out". Run `aws sts
            /// get-caller-identity` with the same profile to see where it stalls, log in beforehand
            /// when it prompts, and run again.
            PROVIDER_TIMEOUT = "provider-timeout",
            /// `audit` could not assume an account's role (a `--role-arn`, or `--role-name` in an
            /// account of `--org` or `--accounts`), so nothing in that account was examined; the
            /// audits of the other accounts went on. The message carries the error, most often an
            /// access denial because the auditing principal may not call `sts:AssumeRole` on the
            /// role, the role's trust policy does not name it, or the role was never deployed to
            /// that account. Allow both sides (or deploy the role: `policy render audit-role`),
            /// then run again, or leave the account out.
            ROLE_NOT_ASSUMED = "role-not-assumed",
            /// `audit --org` could not list the organization's accounts, so no account was
            /// audited. Only the management account and a delegated administrator may call
            /// `organizations:ListAccounts`; an account in no organization has none to list. The
            /// message carries AWS's error. Run from the management account or a delegated
            /// administrator, or name the accounts yourself with `--accounts ID,... --role-name
            /// NAME`, which lists nothing.
            ACCOUNTS_NOT_LISTED = "accounts-not-listed",
            /// An account of the organization is suspended, so its role cannot be used and nothing
            /// in it was audited; the other accounts' audits went on. Leave it out with
            /// `--exclude-accounts ID` until it is reinstated, or close it.
            ACCOUNT_SUSPENDED = "account-suspended",
            /// An account of the organization is not open for use (being activated, closing or
            /// closed: AWS keeps a closed account listed for 90 days), so it was not audited. Nothing
            /// to fix; `--exclude-accounts ID` keeps it out of the report.
            ACCOUNT_INACTIVE = "account-inactive",
            /// Organizations answered with an account state this version does not know (or none),
            /// so the account was not audited rather than judged on a guess. Check the account in
            /// the Organizations console and update bedrock-preflight.
            ACCOUNT_STATE_UNRECOGNIZED = "account-state-unrecognized",
            /// `--accounts` names an account that is not among the organization's accounts (or not
            /// under `--ou`), so it was not audited: a mistyped ID, or an account in another
            /// organization. Correct the ID, or widen `--ou`.
            ACCOUNT_NOT_IN_ORGANIZATION = "account-not-in-organization",
        },
    }
}

/// How `audit` reaches the accounts it audits besides the caller's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountsNamedBy {
    /// Each `--role-arn`.
    RoleArns,
    /// `--role-name` in each account of `--org`.
    Organization,
    /// `--role-name` in each account `--accounts` names, without `--org`.
    AccountList,
}

/// The role of one account could not be assumed, so nothing of that account was examined; the
/// other accounts' audits go on.
pub fn role_not_assumed(role_arn: &str, why: &str, named_by: AccountsNamedBy) -> Finding {
    let account = role_arn.split(':').nth(4).unwrap_or_default();
    let deploy = "deploy the role to the account (bedrock-preflight policy render audit-role --format \
                  cloudformation renders it as a StackSet template)";
    let leave_out = match named_by {
        AccountsNamedBy::RoleArns => format!("or drop --role-arn {role_arn}"),
        AccountsNamedBy::Organization => {
            format!("{deploy}; or leave the account out with --exclude-accounts {account}")
        }
        AccountsNamedBy::AccountList => {
            format!("{deploy}; or drop {account} from --accounts")
        }
    };
    Finding::error(
        &META,
        kind::ROLE_NOT_ASSUMED,
        format!("Could not assume {role_arn}, so its account was not audited: {why}"),
    )
    .resource(role_arn.to_string())
    .remediation(Remediation::new(format!(
        "Let the auditing principal assume the role (sts:AssumeRole in its policy, and the role's trust policy \
         naming it), then run again; {leave_out}"
    )))
}

/// `audit --org`: the organization's accounts could not be listed.
pub fn accounts_not_listed(error: &AwsError) -> Finding {
    let fix = if matches!(
        error.code(),
        Some("ParentNotFoundException" | "InvalidInputException")
    ) {
        "A unit or root --ou names is not in this organization: check it with aws organizations \
         list-roots and list-organizational-units-for-parent --parent-id ROOT"
            .to_string()
    } else if error.code() == Some("AWSOrganizationsNotInUseException") {
        "This account is in no organization: name the accounts to audit with --accounts ID,... --role-name NAME, \
         or with --role-arn ARN"
            .to_string()
    } else if error.kind() == AwsErrorKind::Denied {
        format!(
            "Run from the organization's management account or a delegated administrator, with {} allowed \
             (the preflight-readonly policy has it); or name the accounts with --accounts ID,... --role-name NAME",
            error.operation().iam_action()
        )
    } else {
        error
            .hint()
            .unwrap_or_else(|| "Run again; the other flags need no change".to_string())
    };
    let mut finding = Finding::error(
        &META,
        kind::ACCOUNTS_NOT_LISTED,
        format!("Could not list the organization's accounts, so none was audited: {error}"),
    )
    .evidence("operation", error.operation().to_string())
    .evidence("error_kind", error.kind().as_str())
    .remediation(Remediation::new(fix));
    if let Some(code) = error.code() {
        finding = finding.evidence("error_code", code);
    }
    finding
}

/// An account of the organization that was not audited for its state.
pub fn account_not_active(account: &MemberAccount) -> Option<Finding> {
    let named = match &account.name {
        Some(name) => format!("{} ({})", account.id, name),
        None => account.id.clone(),
    };
    let finding = match &account.state {
        AccountState::Active => return None,
        AccountState::Suspended => Finding::error(
            &META,
            kind::ACCOUNT_SUSPENDED,
            format!("Account {named} is suspended, so it was not audited"),
        )
        .remediation(Remediation::new(format!(
            "Reinstate the account, or leave it out with --exclude-accounts {}",
            account.id
        ))),
        AccountState::Inactive(state) => Finding::skip(
            &META,
            kind::ACCOUNT_INACTIVE,
            format!("Account {named} is {state}, so it was not audited"),
        )
        .evidence("state", state.as_str()),
        AccountState::Unrecognized(state) => Finding::error(
            &META,
            kind::ACCOUNT_STATE_UNRECOGNIZED,
            format!(
                "Organizations answered the state '{state}' for account {named}, which this version does not \
                 know, so it was not audited"
            ),
        )
        .evidence("state", state.as_str())
        .remediation(Remediation::new(
            "Check the account in the Organizations console; update bedrock-preflight",
        )),
    };
    let mut finding = finding.resource(account.id.clone());
    finding.account = Some(account.id.clone());
    Some(finding)
}

/// `--accounts` named an account that the organization's listing does not have.
pub fn account_not_in_organization(account: &str, under: &[String]) -> Finding {
    let scope = match under {
        [] => "the organization's accounts".to_string(),
        units => format!("the accounts under {}", units.join(", ")),
    };
    let mut finding = Finding::error(
        &META,
        kind::ACCOUNT_NOT_IN_ORGANIZATION,
        format!("Account {account} is not among {scope}, so it was not audited"),
    )
    .resource(account.to_string())
    .remediation(Remediation::new(format!(
        "Correct the ID in --accounts, or widen --ou to the unit that holds {account}"
    )));
    finding.account = Some(account.to_string());
    finding
}

/// Credentials that expire sooner than this warn: a Claude Code session outlives them.
const EXPIRY_MARGIN: Duration = Duration::from_secs(15 * 60);

#[async_trait]
impl Check for CredentialsResolve {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let bedrock_auth = cx.aws.bedrock_auth();
        let profile = cx.aws.aws_profile().await;
        let resolved = cx.aws.credentials().await;
        let (finding, fact) = judge(
            Answers {
                bedrock_auth,
                profile,
                resolved,
                ignored: cx.aws.ignored_env_keys().cloned(),
            },
            SystemTime::now(),
        );
        if let Some(fact) = fact {
            cx.provide(fact);
        }
        Ok(vec![finding])
    }
}

/// What the standard chain and the environment say about the run's credentials.
struct Answers {
    bedrock_auth: BedrockAuth,
    profile: Option<AwsProfile>,
    resolved: Result<CredentialsSummary, CredentialsProblem>,
    /// Keys in the environment the chain passed over for a named profile.
    ignored: Option<IgnoredEnvKeys>,
}

/// The finding at `now`, and what the checks after it may sign with: nothing when neither
/// SigV4 credentials nor a Bedrock API key are there, or the provider did not answer.
fn judge(answers: Answers, now: SystemTime) -> (Finding, Option<CredentialsFact>) {
    let Answers {
        bedrock_auth,
        profile,
        resolved,
        ignored,
    } = answers;
    let finding = match &resolved {
        Ok(summary) => resolved_finding(summary, profile.as_ref(), now),
        Err(CredentialsProblem::TimedOut(why)) => {
            let finding = Finding::error(
                &META,
                kind::PROVIDER_TIMEOUT,
                format!("The credentials provider did not answer in time: {why}"),
            );
            return (finding, None);
        }
        Err(CredentialsProblem::NotFound(_)) if bedrock_auth == BedrockAuth::BearerToken => {
            Finding::warn(
                &META,
                kind::BEARER_TOKEN_ONLY,
                Severity::Medium,
                "Only a Bedrock API key is configured",
                "No SigV4 credentials resolve; Bedrock calls will use the API key in \
                 AWS_BEARER_TOKEN_BEDROCK, but the caller identity and IAM permissions \
                 cannot be checked",
                Remediation::new(
                    "For the full check, also configure AWS credentials: aws configure sso, \
                     or export AWS_PROFILE=<profile>",
                ),
            )
        }
        Err(problem) => unresolved_finding(problem, profile.as_ref()),
    };
    let finding = finding.evidence(
        "bedrock_auth",
        match bedrock_auth {
            BedrockAuth::SigV4 => "sigv4",
            BedrockAuth::BearerToken => "bearer_token",
        },
    );
    let finding = match &profile {
        Some(p) if p.exists => finding.evidence("profile", p.name.clone()),
        _ => finding,
    };
    let finding = match ignored {
        Some(ignored) => {
            let message = format!(
                "{} (the AWS_ACCESS_KEY_ID set in the environment was not used: {})",
                finding.message,
                ignored.rule.describe(&ignored.profile)
            );
            finding
                .message(message)
                .evidence("env_keys_ignored", true)
                .evidence("profile_rule", ignored.rule.as_str())
        }
        None => finding,
    };
    let fact =
        (resolved.is_ok() || bedrock_auth == BedrockAuth::BearerToken).then(|| CredentialsFact {
            sigv4: resolved.ok(),
            bedrock_auth,
            aws_profile: profile,
        });
    (finding, fact)
}

fn resolved_finding(
    summary: &CredentialsSummary,
    profile: Option<&AwsProfile>,
    now: SystemTime,
) -> Finding {
    let source = summary.source;
    let from = match profile {
        Some(p) if p.exists && profile_based(source) => {
            format!("{} (profile {})", source.describe(), p.name)
        }
        _ => source.describe().to_string(),
    };
    let base = |finding: Finding| {
        let finding = finding
            .evidence("source", source.as_str())
            .evidence("temporary", summary.temporary);
        match summary.expires_at {
            Some(at) => finding.evidence("expires_at", format_time(at)),
            None => finding,
        }
    };
    match summary.expires_at {
        Some(at) if at <= now => base(Finding::fail(
            &META,
            kind::EXPIRED,
            Severity::Critical,
            "AWS credentials have expired",
            format!("Credentials from {from} expired at {}", format_time(at)),
            refresh_fix(source, profile),
        )),
        Some(at) if at.duration_since(now).unwrap_or_default() < EXPIRY_MARGIN => {
            let minutes = at.duration_since(now).unwrap_or_default().as_secs() / 60;
            base(Finding::warn(
                &META,
                kind::EXPIRING,
                Severity::Medium,
                "AWS credentials expire soon",
                format!(
                    "Credentials from {from} expire in {minutes} min (at {}); a long Claude Code \
                     session will fail when they do",
                    format_time(at)
                ),
                refresh_fix(source, profile),
            ))
        }
        Some(at) => base(Finding::pass(
            &META,
            kind::RESOLVED,
            "AWS credentials resolve",
            format!(
                "Temporary credentials from {from}, valid until {}",
                format_time(at)
            ),
        )),
        None => {
            let lifetime = if summary.temporary {
                "Temporary credentials"
            } else {
                "Long-term credentials"
            };
            base(Finding::pass(
                &META,
                kind::RESOLVED,
                "AWS credentials resolve",
                format!("{lifetime} from {from}"),
            ))
        }
    }
}

fn profile_based(source: CredentialSource) -> bool {
    matches!(
        source,
        CredentialSource::Profile
            | CredentialSource::Sso
            | CredentialSource::Login
            | CredentialSource::Process
            | CredentialSource::AssumeRole
    )
}

fn refresh_fix(source: CredentialSource, profile: Option<&AwsProfile>) -> Remediation {
    let name = profile.map(|p| p.name.as_str()).unwrap_or("default");
    match source {
        CredentialSource::Sso => {
            let login = sh!["aws", "sso", "login", "--profile", name];
            Remediation::new(format!(
                "{login}  (for Claude Code, set {} in its settings)",
                serde_json::json!({ "awsAuthRefresh": login })
            ))
        }
        CredentialSource::Login => Remediation::new(sh!["aws", "login", "--profile", name]),
        CredentialSource::Environment => Remediation::new(
            "Export fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from \
             whatever issued them, or switch to a profile that refreshes itself (SSO, role_arn)",
        ),
        _ => Remediation::new(format!(
            "Refresh the credentials of profile {name} at their source, or use a source that \
             refreshes itself ({})",
            sh!["aws", "configure", "sso", "--profile", name]
        )),
    }
}

fn unresolved_finding(problem: &CredentialsProblem, profile: Option<&AwsProfile>) -> Finding {
    let why = match problem {
        CredentialsProblem::NotFound(why)
        | CredentialsProblem::Failed(why)
        | CredentialsProblem::TimedOut(why) => why,
    };
    let (kind, title, message) = match problem {
        CredentialsProblem::NotFound(_) => (
            kind::NOT_FOUND,
            "No AWS credentials found",
            format!(
                "The standard chain (environment, shared config and credentials files, SSO, \
                 credential_process, web identity, container and instance metadata) found no \
                 credentials: {why}"
            ),
        ),
        _ => (
            kind::UNRESOLVED,
            "AWS credentials do not resolve",
            format!("The configured credentials could not be loaded: {why}"),
        ),
    };
    let fix = match profile {
        Some(p) if !p.exists && p.name != "default" => Remediation::new(format!(
            "Profile {} is in neither ~/.aws/config nor ~/.aws/credentials: create it with \
             {} (or {}), or pick an existing one with --profile",
            p.name,
            sh!["aws", "configure", "sso", "--profile", p.name],
            sh!["aws", "configure", "--profile", p.name]
        )),
        Some(p) if p.exists => match p.kind {
            AwsProfileKind::Sso => {
                Remediation::new(sh!["aws", "sso", "login", "--profile", p.name])
            }
            AwsProfileKind::Login => Remediation::new(sh!["aws", "login", "--profile", p.name]),
            AwsProfileKind::Process => Remediation::new(format!(
                "Run the credential_process command of profile {} by hand to see why it fails",
                p.name
            )),
            AwsProfileKind::AssumeRole => Remediation::new(format!(
                "Check role_arn and source_profile (or credential_source) of profile {}: the \
                 source credentials must resolve and be allowed sts:AssumeRole on the role",
                p.name
            )),
            AwsProfileKind::StaticKeys => {
                Remediation::new(sh!["aws", "configure", "--profile", p.name])
            }
            AwsProfileKind::Other => Remediation::new(format!(
                "Profile {} has no credentials settings: {}",
                p.name,
                sh!["aws", "configure", "sso", "--profile", p.name]
            )),
        },
        _ => Remediation::new(
            "aws configure sso (IAM Identity Center) or aws configure (access keys); or export \
             AWS_PROFILE=<profile> to use an existing profile",
        ),
    };
    Finding::fail(&META, kind, Severity::Critical, title, message, fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(expires_in: Option<i64>, now: SystemTime) -> CredentialsSummary {
        CredentialsSummary {
            source: CredentialSource::Sso,
            temporary: true,
            expires_at: expires_in.map(|s| {
                if s >= 0 {
                    now + Duration::from_secs(s as u64)
                } else {
                    now - Duration::from_secs((-s) as u64)
                }
            }),
        }
    }

    fn sso_profile() -> AwsProfile {
        AwsProfile {
            name: "dev".into(),
            exists: true,
            kind: AwsProfileKind::Sso,
        }
    }

    #[test]
    fn expiry_decides_pass_warn_or_fail() {
        let now = SystemTime::now();
        let profile = sso_profile();
        let at = |s| resolved_finding(&summary(Some(s), now), Some(&profile), now);
        assert_eq!(at(3600).status, crate::engine::Status::Pass);
        let soon = at(300);
        assert_eq!(soon.status, crate::engine::Status::Warn);
        assert!(
            soon.remediation
                .unwrap()
                .starts_with("aws sso login --profile dev")
        );
        assert_eq!(at(-60).status, crate::engine::Status::Fail);
        assert_eq!(at(-60).code(), "credentials.resolve/expired");
    }

    #[test]
    fn every_fix_naming_a_profile_passes_it_to_the_shell_as_one_word() {
        use crate::shell::{HOSTILE, words_of};
        let profile = |kind| AwsProfile {
            name: HOSTILE.into(),
            exists: true,
            kind,
        };
        let login = refresh_fix(CredentialSource::Sso, Some(&profile(AwsProfileKind::Sso)));
        let command = login.text().split("  (").next().unwrap();
        assert_eq!(
            words_of(command),
            ["aws", "sso", "login", "--profile", HOSTILE]
        );
        for kind in [
            AwsProfileKind::Sso,
            AwsProfileKind::Login,
            AwsProfileKind::StaticKeys,
        ] {
            let fix = unresolved_finding(
                &CredentialsProblem::Failed("expired".into()),
                Some(&profile(kind)),
            )
            .remediation
            .unwrap();
            let words = words_of(&fix);
            assert_eq!(words.last().map(String::as_str), Some(HOSTILE), "{fix}");
            assert_eq!(words[words.len() - 2], "--profile", "{fix}");
        }
    }

    /// What `credentials.resolve` reports when the chain answers with `error`.
    async fn resolved_with(
        error: fn() -> aws_credential_types::provider::error::CredentialsError,
    ) -> Finding {
        use crate::aws::{AwsReader, Session};
        use aws_credential_types::provider::SharedCredentialsProvider;
        let chain =
            aws_credential_types::credential_fn::provide_credentials_fn(move || async move {
                Err(error())
            });
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .credentials_provider(SharedCredentialsProvider::new(chain))
            .build();
        let cx = CheckContext::new(
            std::sync::Arc::new(AwsReader::new(Session::from_config(config))),
            crate::engine::Scope::default(),
        );
        let mut findings = CredentialsResolve.run(&cx).await.unwrap();
        assert_eq!(findings.len(), 1);
        findings.remove(0)
    }

    #[tokio::test]
    async fn a_provider_that_does_not_answer_in_time_is_an_error_not_a_failure() {
        use aws_credential_types::provider::error::CredentialsError;
        let late =
            resolved_with(|| CredentialsError::provider_timed_out(Duration::from_secs(5))).await;
        assert_eq!(late.kind, kind::PROVIDER_TIMEOUT);
        assert_eq!(late.status, crate::engine::Status::Error);
        assert!(
            late.message.contains("did not answer in time"),
            "{}",
            late.message
        );

        let failing =
            resolved_with(|| CredentialsError::provider_error("the SSO token has expired")).await;
        assert_eq!(failing.kind, kind::UNRESOLVED);
        assert_eq!(failing.status, crate::engine::Status::Fail);
        assert!(
            failing.message.contains("the SSO token has expired"),
            "{}",
            failing.message
        );
    }

    /// What the chain answered: `resolved`, with a Bedrock API key or without, and the SSO
    /// profile `dev` in use.
    fn answers(
        resolved: Result<CredentialsSummary, CredentialsProblem>,
        bedrock_auth: BedrockAuth,
    ) -> Answers {
        Answers {
            bedrock_auth,
            profile: Some(sso_profile()),
            resolved,
            ignored: None,
        }
    }

    #[test]
    fn resolved_credentials_pass_and_are_handed_on_with_the_profile_they_came_from() {
        let now = SystemTime::now();
        let long_term = CredentialsSummary {
            source: CredentialSource::Profile,
            temporary: false,
            expires_at: None,
        };
        let (finding, fact) = judge(answers(Ok(long_term.clone()), BedrockAuth::SigV4), now);
        assert_eq!(
            (finding.status, finding.kind),
            (crate::engine::Status::Pass, kind::RESOLVED)
        );
        assert_eq!(
            finding.message,
            "Long-term credentials from static keys in a shared config/credentials profile (profile dev)"
        );
        assert_eq!(finding.evidence["source"], "profile");
        assert_eq!(finding.evidence["temporary"], false);
        assert_eq!(finding.evidence["bedrock_auth"], "sigv4");
        assert_eq!(finding.evidence["profile"], "dev");
        let fact = fact.expect("credentials to sign with");
        assert_eq!(fact.sigv4, Some(long_term));
        assert_eq!(fact.bedrock_auth, BedrockAuth::SigV4);
        assert_eq!(fact.aws_profile, Some(sso_profile()));

        let mut unknown_profile = answers(Ok(summary(Some(3600), now)), BedrockAuth::SigV4);
        unknown_profile.profile = Some(AwsProfile {
            exists: false,
            ..sso_profile()
        });
        let (finding, _) = judge(unknown_profile, now);
        assert!(
            !finding.evidence.contains_key("profile"),
            "a profile that is in no file is not named as the source"
        );
    }

    #[test]
    fn a_provider_that_does_not_answer_is_an_error_that_hands_nothing_on_even_beside_an_api_key() {
        let (finding, fact) = judge(
            answers(
                Err(CredentialsProblem::TimedOut(
                    "credential_process hung".into(),
                )),
                BedrockAuth::BearerToken,
            ),
            SystemTime::now(),
        );
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (
                crate::engine::Status::Error,
                "credentials.resolve/provider-timeout"
            )
        );
        assert_eq!(
            finding.message,
            "The credentials provider did not answer in time: credential_process hung"
        );
        assert!(fact.is_none());
    }

    #[test]
    fn only_an_api_key_warns_and_hands_on_the_key_without_sigv4() {
        let (finding, fact) = judge(
            answers(
                Err(CredentialsProblem::NotFound("no provider".into())),
                BedrockAuth::BearerToken,
            ),
            SystemTime::now(),
        );
        assert_eq!(
            (finding.status, finding.kind, finding.severity),
            (
                crate::engine::Status::Warn,
                kind::BEARER_TOKEN_ONLY,
                Severity::Medium
            )
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "For the full check, also configure AWS credentials: aws configure sso, or export AWS_PROFILE=<profile>"
            )
        );
        assert_eq!(finding.evidence["bedrock_auth"], "bearer_token");
        let fact = fact.unwrap();
        assert_eq!(
            (fact.sigv4, fact.bedrock_auth),
            (None, BedrockAuth::BearerToken)
        );

        // Credentials that are configured but fail are a failure even beside a key, which is
        // still handed on.
        let (failed, fact) = judge(
            answers(
                Err(CredentialsProblem::Failed("token expired".into())),
                BedrockAuth::BearerToken,
            ),
            SystemTime::now(),
        );
        assert_eq!(failed.kind, kind::UNRESOLVED);
        assert_eq!(fact.map(|f| f.sigv4), Some(None));
    }

    #[test]
    fn no_credentials_and_no_key_fail_and_hand_nothing_on() {
        let (finding, fact) = judge(
            Answers {
                bedrock_auth: BedrockAuth::SigV4,
                profile: None,
                resolved: Err(CredentialsProblem::NotFound("no provider".into())),
                ignored: None,
            },
            SystemTime::now(),
        );
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (crate::engine::Status::Fail, "credentials.resolve/not-found")
        );
        assert!(
            finding
                .message
                .ends_with("found no credentials: no provider")
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "aws configure sso (IAM Identity Center) or aws configure (access keys); or export AWS_PROFILE=<profile> to use an existing profile"
            )
        );
        assert!(fact.is_none());

        let (missing, _) = judge(
            Answers {
                bedrock_auth: BedrockAuth::SigV4,
                profile: Some(AwsProfile {
                    name: "work".into(),
                    exists: false,
                    kind: AwsProfileKind::Other,
                }),
                resolved: Err(CredentialsProblem::NotFound("no provider".into())),
                ignored: None,
            },
            SystemTime::now(),
        );
        assert!(
            missing.remediation.as_deref().unwrap().starts_with(
                "Profile work is in neither ~/.aws/config nor ~/.aws/credentials: create it with aws configure sso --profile work"
            ),
            "{:?}",
            missing.remediation
        );
    }

    #[test]
    fn keys_in_the_environment_a_profile_overrode_are_named() {
        let now = SystemTime::now();
        let mut overridden = answers(Ok(summary(Some(3600), now)), BedrockAuth::SigV4);
        overridden.ignored = Some(IgnoredEnvKeys {
            profile: "dev".into(),
            rule: crate::aws::ProfileRule::ClaudeCode,
        });
        let (finding, fact) = judge(overridden, now);
        assert_eq!(finding.kind, kind::RESOLVED);
        assert!(
            finding.message.ends_with(
                " (the AWS_ACCESS_KEY_ID set in the environment was not used: Claude Code has \
                 AWS_PROFILE=dev, and the AWS SDK for JavaScript it runs on then ignores \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)"
            ),
            "{}",
            finding.message
        );
        assert!(finding.message.starts_with(
            "Temporary credentials from IAM Identity Center (SSO) (profile dev), valid until "
        ));
        assert_eq!(finding.evidence["env_keys_ignored"], true);
        assert_eq!(finding.evidence["profile_rule"], "claude-code");
        assert!(fact.is_some());

        let (plain, _) = judge(
            answers(Ok(summary(Some(3600), now)), BedrockAuth::SigV4),
            now,
        );
        assert!(!plain.evidence.contains_key("env_keys_ignored"));
        assert!(!plain.message.contains("AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn an_sso_profile_that_fails_is_fixed_by_logging_in() {
        let finding = unresolved_finding(
            &CredentialsProblem::Failed("token expired".into()),
            Some(&sso_profile()),
        );
        assert_eq!(finding.status, crate::engine::Status::Fail);
        assert_eq!(
            finding.remediation.as_deref(),
            Some("aws sso login --profile dev")
        );
    }
}
