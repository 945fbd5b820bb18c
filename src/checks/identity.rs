//! `identity.caller`: who the credentials are, as AWS sees them. An assumed-role session is
//! mapped to its role (with the role's path, from IAM), since that is what policies attach to.

use async_trait::async_trait;

use super::facts::{CallerAccount, CallerIdentity, CredentialsFact, PrincipalKind};
use crate::aws::{AwsError, AwsErrorKind, AwsReader, CredentialSource};
use crate::domain::{Arn, CallerIdentityAnswer};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

check! {
    IdentityCaller = "identity.caller" {
        title: "Caller identity",
        description: "STS GetCallerIdentity: account, principal ARN and kind; an assumed-role session \
                      is mapped to its role ARN",
        commands: [Doctor, Audit],
        depends_on: ["credentials.resolve"],
        after: [],
        severity: Critical,
        kinds: {
            /// STS `GetCallerIdentity` answered: the finding names the account and the principal
            /// the credentials act as, an assumed-role session mapped to its role's ARN (with its
            /// path when `iam:GetRole` may be read), which is the principal the IAM checks judge.
            /// Nothing to fix, but check that it is the account and principal you meant: a stale
            /// key in the environment or the wrong profile is a common reason why calls fail
            /// elsewhere.
            IDENTIFIED = "identified",
            /// The credentials are the account's root user. Calls may work, but root access keys
            /// cannot be limited by any IAM policy, so a leaked key is a lost account, and AWS
            /// advises against root keys for daily work. Use an IAM Identity Center permission set
            /// or an IAM role instead (`aws configure sso`) and delete the root access keys (IAM
            /// console, Security credentials, Access keys); `--strict` makes this warning fail the
            /// run.
            ROOT_USER = "root-user",
            /// Credentials resolve, but AWS refuses them when STS is asked whose they are:
            /// `ExpiredToken`, `InvalidClientTokenId`, `SignatureDoesNotMatch` or a like code,
            /// which `evidence.error_code` names. Every other call signed with them fails the same
            /// way, the 403 "The security token included in the request is invalid" (or "is
            /// expired") that Claude Code shows, and the checks that depend on the caller are
            /// skipped. Replace them at their source: the remediation says how for this one, from
            /// unsetting stale `AWS_ACCESS_KEY_ID` keys to `aws sso login --profile NAME`.
            CREDENTIALS_REJECTED = "credentials-rejected",
            /// Skipped: only a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`) is configured, and STS
            /// takes only SigV4-signed requests, so the caller's account and principal cannot be
            /// learned. The checks that need them, such as the IAM permission checks, are skipped
            /// too. Configure AWS credentials beside the key (`aws configure sso`, or `export
            /// AWS_PROFILE=NAME`) to have them checked.
            NO_SIGV4 = "no-sigv4-credentials",
            /// STS answered with a caller ARN whose shape this tool does not know (not an IAM user,
            /// the root user, an assumed-role session or a federated user), so the principal whose
            /// permissions to judge is unknown. The account STS named is kept in the report, but
            /// the checks that depend on the caller are skipped. Please report the ARN's shape,
            /// which the evidence holds, so that a later version recognizes it.
            UNRECOGNIZED_ARN = "unrecognized-arn",
            /// STS answered with an account ID that differs from the account in the caller ARN it
            /// returned, an answer AWS itself does not give. Something between this tool and STS (a
            /// proxy, an emulator, an `--endpoint-url` pointed at the wrong service) most likely
            /// answered instead, so the caller is not trusted and the checks that depend on it are
            /// skipped. Check `--endpoint-url`, `AWS_ENDPOINT_URL` and any proxy settings, then run
            /// again.
            ACCOUNT_MISMATCH = "account-mismatch",
        },
    }
}

#[async_trait]
impl Check for IdentityCaller {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        if !super::signs(cx).await {
            return;
        }
        let Ok(answer) = cx.aws.caller_identity().await else {
            return;
        };
        if let Some(ParsedPrincipal {
            kind: Parsed::AssumedRole { role_name },
            ..
        }) = parse_principal(&answer.arn)
        {
            let _ = cx.aws.role_arn(&role_name).await;
        }
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let credentials = cx.require::<CredentialsFact>()?;
        let Some(summary) = &credentials.sigv4 else {
            return Ok(vec![Finding::skip(
                &META,
                kind::NO_SIGV4,
                "Skipped: no SigV4 credentials to ask STS with",
            )]);
        };
        let answers = read(&cx.aws).await;
        let profile = credentials.aws_profile.as_ref().map(|p| p.name.as_str());
        let verdict = judge(summary.source, profile, answers)?;
        if let Some(account) = verdict.account {
            cx.provide(account);
        }
        if let Some(identity) = verdict.identity {
            cx.provide(identity);
        }
        Ok(vec![verdict.finding])
    }
}

/// What STS answered, and what IAM answered about the role of an assumed-role session.
struct Answers {
    caller: Result<CallerIdentityAnswer, AwsError>,
    /// GetRole's word on the session's role (its ARN, with its path); `None` when STS named no
    /// assumed-role session of its own account, and IAM was not asked.
    role: Option<Result<String, AwsError>>,
}

async fn read(aws: &AwsReader) -> Answers {
    let caller = aws.caller_identity().await;
    let role = match caller.as_ref().ok().and_then(session_role) {
        Some(role_name) => Some(aws.role_arn(&role_name).await),
        None => None,
    };
    Answers { caller, role }
}

/// The role an assumed-role session acts as, when STS's answer is one `judge` trusts.
fn session_role(answer: &CallerIdentityAnswer) -> Option<String> {
    match parse_principal(&answer.arn)? {
        ParsedPrincipal {
            account,
            kind: Parsed::AssumedRole { role_name },
            ..
        } if account == answer.account => Some(role_name),
        _ => None,
    }
}

/// What the answers establish: the one finding, and the facts the checks after it read.
struct Verdict {
    finding: Finding,
    /// The account STS named, kept even when the rest of its answer is not trusted.
    account: Option<CallerAccount>,
    identity: Option<CallerIdentity>,
}

impl Verdict {
    fn untrusted(finding: Finding, account: Option<CallerAccount>) -> Verdict {
        Verdict {
            finding,
            account,
            identity: None,
        }
    }
}

/// Who the caller is, from credentials of `source` (and AWS profile `profile`); `Err` when
/// STS could not be asked for a reason other than the credentials themselves.
fn judge(
    source: CredentialSource,
    profile: Option<&str>,
    answers: Answers,
) -> Result<Verdict, AwsError> {
    let answer = match answers.caller {
        Ok(answer) => answer,
        Err(error) if error.kind() == AwsErrorKind::InvalidCredentials => {
            let finding = Finding::fail(
                &META,
                kind::CREDENTIALS_REJECTED,
                Severity::Critical,
                "AWS rejects the credentials",
                format!(
                    "Credentials from {} resolve, but AWS does not accept them: {error}",
                    source.describe()
                ),
                rejected_fix(source, profile),
            )
            .evidence("error_code", error.code().unwrap_or_default().to_string());
            return Ok(Verdict::untrusted(finding, None));
        }
        Err(error) => return Err(error),
    };
    let account = Some(CallerAccount(answer.account.clone()));
    let Some(parsed) = parse_principal(&answer.arn) else {
        let finding = Finding::error(
            &META,
            kind::UNRECOGNIZED_ARN,
            format!(
                "sts:GetCallerIdentity returned an ARN this tool does not recognize: {}",
                answer.arn
            ),
        )
        .evidence("account", answer.account.clone())
        .evidence("arn", answer.arn.clone());
        return Ok(Verdict::untrusted(finding, account));
    };
    if parsed.account != answer.account {
        let finding = Finding::error(
            &META,
            kind::ACCOUNT_MISMATCH,
            format!(
                "sts:GetCallerIdentity returned account {} but an ARN in account {}",
                answer.account, parsed.account
            ),
        );
        return Ok(Verdict::untrusted(finding, account));
    }

    let mut role_note = None;
    let principal_arn = match (&parsed.kind, answers.role) {
        (Parsed::AssumedRole { .. }, Some(Ok(arn))) => arn,
        (Parsed::AssumedRole { role_name }, unanswered) => {
            let why = match unanswered {
                Some(Err(error)) => error.to_string(),
                _ => "IAM was not asked".to_string(),
            };
            role_note = Some(format!(
                "the role's path is unknown because {why}; IAM checks use the ARN without a path"
            ));
            format!(
                "arn:{}:iam::{}:role/{role_name}",
                parsed.partition, parsed.account
            )
        }
        _ => answer.arn.clone(),
    };
    let identity = CallerIdentity {
        account: answer.account.clone(),
        partition: parsed.partition.clone(),
        caller_arn: answer.arn.clone(),
        principal_arn: principal_arn.clone(),
        kind: parsed.kind.principal_kind(),
    };

    let mut finding = if identity.kind == PrincipalKind::Root {
        Finding::warn(
            &META,
            kind::ROOT_USER,
            Severity::High,
            "Calling as the account root user",
            format!(
                "The credentials are the root user of account {}",
                identity.account
            ),
            Remediation::new(
                "Use an IAM Identity Center permission set or an IAM role for Bedrock work \
                 (aws configure sso), and remove root access keys: IAM console > Security \
                 credentials > Access keys",
            ),
        )
    } else {
        let mut message = format!("Calling as {principal_arn} in account {}", identity.account);
        if identity.kind == PrincipalKind::AssumedRole {
            message.push_str(&format!(" (session {})", answer.arn));
        }
        if let Some(note) = &role_note {
            message.push_str(&format!("; {note}"));
        }
        Finding::pass(
            &META,
            kind::IDENTIFIED,
            "Caller identity established",
            message,
        )
    };
    finding = finding
        .resource(principal_arn.clone())
        .evidence("account", identity.account.clone())
        .evidence("arn", answer.arn.clone())
        .evidence("principal_arn", principal_arn)
        .evidence("principal_kind", identity.kind.as_str());
    if identity.kind == PrincipalKind::AssumedRole {
        finding = finding.evidence("role_path_known", role_note.is_none());
    }
    Ok(Verdict {
        finding,
        account,
        identity: Some(identity),
    })
}

fn rejected_fix(source: CredentialSource, profile: Option<&str>) -> Remediation {
    let profile = profile.unwrap_or("default");
    Remediation::new(match source {
        CredentialSource::Environment => "The keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
            (and AWS_SESSION_TOKEN) are wrong, deactivated or expired: unset them or export \
            current ones"
            .to_string(),
        CredentialSource::Sso => sh!["aws", "sso", "login", "--profile", profile],
        CredentialSource::Login => sh!["aws", "login", "--profile", profile],
        CredentialSource::Profile => format!(
            "The access keys of profile {profile} are wrong or deactivated: create a new key in \
             the IAM console and run {}",
            sh!["aws", "configure", "--profile", profile]
        ),
        _ => format!(
            "The credentials from profile {profile} are rejected: refresh them at their source, \
             and check the system clock (SigV4 allows 5 minutes of skew)"
        ),
    })
}

struct ParsedPrincipal {
    partition: String,
    account: String,
    kind: Parsed,
}

enum Parsed {
    User,
    AssumedRole { role_name: String },
    Root,
    FederatedUser,
}

impl Parsed {
    fn principal_kind(&self) -> PrincipalKind {
        match self {
            Parsed::User => PrincipalKind::User,
            Parsed::AssumedRole { .. } => PrincipalKind::AssumedRole,
            Parsed::Root => PrincipalKind::Root,
            Parsed::FederatedUser => PrincipalKind::FederatedUser,
        }
    }
}

/// `arn:<partition>:<iam|sts>::<account>:<resource>` as GetCallerIdentity returns it.
fn parse_principal(text: &str) -> Option<ParsedPrincipal> {
    let arn: Arn = text.parse().ok()?;
    if arn.region().is_some() {
        return None;
    }
    let kind = match (arn.service(), arn.typed_resource()) {
        ("iam", None) if arn.resource() == "root" => Parsed::Root,
        ("iam", Some(("user", _))) => Parsed::User,
        ("sts", Some(("assumed-role", _))) => Parsed::AssumedRole {
            role_name: arn.iam_principal()?.1.to_string(),
        },
        ("sts", Some(("federated-user", _))) => Parsed::FederatedUser,
        _ => return None,
    };
    Some(ParsedPrincipal {
        partition: arn.partition().to_string(),
        account: arn.account()?.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::{GET_CALLER_IDENTITY, GET_ROLE};
    use crate::checks::testing::{ACCOUNT, context};
    use crate::engine::{Scope, Status};

    #[test]
    fn a_fix_naming_a_profile_passes_it_to_the_shell_as_one_word() {
        use crate::shell::{HOSTILE, words_of};
        for source in [CredentialSource::Sso, CredentialSource::Login] {
            let fix = rejected_fix(source, Some(HOSTILE));
            let words = words_of(fix.text());
            assert_eq!(
                words.last().map(String::as_str),
                Some(HOSTILE),
                "{}",
                fix.text()
            );
        }
    }

    #[test]
    fn recognizes_every_principal_sts_returns() {
        let kind = |arn: &str| parse_principal(arn).map(|p| p.kind.principal_kind());
        assert_eq!(
            kind("arn:aws:iam::123456789012:user/dev"),
            Some(PrincipalKind::User)
        );
        assert_eq!(
            kind("arn:aws:iam::123456789012:user/team/dev"),
            Some(PrincipalKind::User)
        );
        assert_eq!(
            kind("arn:aws:iam::123456789012:root"),
            Some(PrincipalKind::Root)
        );
        assert_eq!(
            kind(
                "arn:aws-us-gov:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0a1b/alice@example.com"
            ),
            Some(PrincipalKind::AssumedRole)
        );
        assert_eq!(
            kind("arn:aws:sts::123456789012:federated-user/bob"),
            Some(PrincipalKind::FederatedUser)
        );
    }

    #[test]
    fn rejects_what_sts_would_not_return() {
        for arn in [
            "",
            "arn:aws:iam::123456789012:role/dev",
            "arn:aws:sts::123456789012:assumed-role/dev",
            "arn:aws:iam::12345:user/dev",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:123456789012:user/dev",
        ] {
            assert!(parse_principal(arn).is_none(), "{arn}");
        }
    }

    #[test]
    fn assumed_role_names_the_role() {
        let parsed = parse_principal("arn:aws:sts::123456789012:assumed-role/dev/session").unwrap();
        assert!(matches!(parsed.kind, Parsed::AssumedRole { ref role_name } if role_name == "dev"));
    }

    const SESSION: &str = "arn:aws:sts::123456789012:assumed-role/dev/alice";

    fn caller(arn: &str) -> Result<CallerIdentityAnswer, AwsError> {
        Ok(CallerIdentityAnswer {
            account: ACCOUNT.into(),
            arn: arn.into(),
        })
    }

    /// `judge` for SSO credentials of profile `dev`.
    fn judged(answers: Answers) -> Verdict {
        judge(CredentialSource::Sso, Some("dev"), answers).unwrap()
    }

    fn sts_error(kind: AwsErrorKind, code: &str) -> AwsError {
        AwsError::new(kind, &GET_CALLER_IDENTITY, "refused").with_code(code)
    }

    #[test]
    fn credentials_aws_rejects_fail_with_the_fix_for_their_source_and_establish_nothing() {
        let verdict = judged(Answers {
            caller: Err(sts_error(AwsErrorKind::InvalidCredentials, "ExpiredToken")),
            role: None,
        });
        let finding = &verdict.finding;
        assert_eq!(
            (finding.status, finding.kind, finding.severity),
            (Status::Fail, kind::CREDENTIALS_REJECTED, Severity::Critical)
        );
        assert_eq!(finding.evidence["error_code"], "ExpiredToken");
        assert!(
            finding.message.starts_with(
                "Credentials from IAM Identity Center (SSO) resolve, but AWS does not accept them: "
            ),
            "{}",
            finding.message
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some("aws sso login --profile dev")
        );
        assert!(verdict.account.is_none() && verdict.identity.is_none());

        let environment = judge(
            CredentialSource::Environment,
            None,
            Answers {
                caller: Err(sts_error(
                    AwsErrorKind::InvalidCredentials,
                    "InvalidClientTokenId",
                )),
                role: None,
            },
        )
        .unwrap();
        assert!(
            environment
                .finding
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("The keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
        );
    }

    #[test]
    fn sts_failing_for_another_reason_is_no_verdict_on_the_credentials() {
        for kind in [
            AwsErrorKind::Denied,
            AwsErrorKind::Throttled,
            AwsErrorKind::Unavailable,
        ] {
            let failed = judge(
                CredentialSource::Sso,
                Some("dev"),
                Answers {
                    caller: Err(sts_error(kind, "Whatever")),
                    role: None,
                },
            );
            assert_eq!(failed.err().map(|e| e.kind()), Some(kind));
        }
    }

    #[test]
    fn an_arn_of_an_unknown_shape_is_an_error_that_keeps_the_account() {
        let arn = "arn:aws:iam::123456789012:role/dev";
        let verdict = judged(Answers {
            caller: caller(arn),
            role: None,
        });
        let finding = &verdict.finding;
        assert_eq!(
            (finding.status, finding.code().as_str()),
            (Status::Error, "identity.caller/unrecognized-arn")
        );
        assert_eq!(
            finding.message,
            format!("sts:GetCallerIdentity returned an ARN this tool does not recognize: {arn}")
        );
        assert_eq!(finding.evidence["account"], ACCOUNT);
        assert_eq!(finding.evidence["arn"], arn);
        assert_eq!(verdict.account, Some(CallerAccount(ACCOUNT.into())));
        assert!(verdict.identity.is_none(), "no principal to judge");
    }

    #[test]
    fn an_arn_of_another_account_than_sts_named_is_not_trusted() {
        let verdict = judged(Answers {
            caller: caller("arn:aws:iam::999999999999:user/dev"),
            role: None,
        });
        assert_eq!(
            (verdict.finding.status, verdict.finding.code().as_str()),
            (Status::Error, "identity.caller/account-mismatch")
        );
        assert_eq!(
            verdict.finding.message,
            "sts:GetCallerIdentity returned account 123456789012 but an ARN in account 999999999999"
        );
        assert_eq!(verdict.account, Some(CallerAccount(ACCOUNT.into())));
        assert!(verdict.identity.is_none());
        // Nor is its role looked up.
        assert_eq!(
            session_role(&CallerIdentityAnswer {
                account: ACCOUNT.into(),
                arn: "arn:aws:sts::999999999999:assumed-role/dev/alice".into(),
            }),
            None
        );
    }

    #[test]
    fn the_root_user_warns_and_is_still_the_principal() {
        let arn = "arn:aws:iam::123456789012:root";
        let verdict = judged(Answers {
            caller: caller(arn),
            role: None,
        });
        let finding = &verdict.finding;
        assert_eq!(
            (finding.status, finding.kind, finding.severity),
            (Status::Warn, kind::ROOT_USER, Severity::High)
        );
        assert_eq!(
            finding.message,
            "The credentials are the root user of account 123456789012"
        );
        assert!(
            finding
                .remediation
                .as_deref()
                .unwrap()
                .contains("(aws configure sso)")
        );
        assert_eq!(finding.evidence["principal_kind"], "root");
        assert_eq!(finding.resource.as_deref(), Some(arn));
        let identity = verdict.identity.unwrap();
        assert_eq!(
            (identity.kind, identity.principal_arn.as_str()),
            (PrincipalKind::Root, arn)
        );
    }

    #[test]
    fn an_iam_user_is_identified_as_itself() {
        let arn = "arn:aws:iam::123456789012:user/team/dev";
        let verdict = judged(Answers {
            caller: caller(arn),
            role: None,
        });
        let finding = &verdict.finding;
        assert_eq!(
            (finding.status, finding.kind),
            (Status::Pass, kind::IDENTIFIED)
        );
        assert_eq!(
            finding.message,
            format!("Calling as {arn} in account 123456789012")
        );
        assert_eq!(finding.evidence["principal_kind"], "user");
        assert!(!finding.evidence.contains_key("role_path_known"));
        assert_eq!(
            verdict.identity,
            Some(CallerIdentity {
                account: ACCOUNT.into(),
                partition: "aws".into(),
                caller_arn: arn.into(),
                principal_arn: arn.into(),
                kind: PrincipalKind::User,
            })
        );
        assert_eq!(verdict.account, Some(CallerAccount(ACCOUNT.into())));
    }

    #[test]
    fn an_assumed_role_session_is_judged_as_its_role_with_the_path_iam_gives() {
        assert_eq!(
            session_role(&caller(SESSION).unwrap()).as_deref(),
            Some("dev")
        );
        let role = "arn:aws:iam::123456789012:role/teams/dev";
        let verdict = judged(Answers {
            caller: caller(SESSION),
            role: Some(Ok(role.into())),
        });
        let finding = &verdict.finding;
        assert_eq!(finding.kind, kind::IDENTIFIED);
        assert_eq!(
            finding.message,
            format!("Calling as {role} in account 123456789012 (session {SESSION})")
        );
        assert_eq!(finding.resource.as_deref(), Some(role));
        assert_eq!(finding.evidence["arn"], SESSION);
        assert_eq!(finding.evidence["role_path_known"], true);
        let identity = verdict.identity.unwrap();
        assert_eq!(
            (
                identity.kind,
                identity.principal_arn.as_str(),
                identity.caller_arn.as_str()
            ),
            (PrincipalKind::AssumedRole, role, SESSION)
        );
    }

    #[test]
    fn a_role_iam_does_not_describe_is_judged_without_its_path() {
        let refused = AwsError::new(AwsErrorKind::Denied, &GET_ROLE, "not authorized")
            .with_code("AccessDenied");
        let verdict = judged(Answers {
            caller: caller(SESSION),
            role: Some(Err(refused)),
        });
        let finding = &verdict.finding;
        assert_eq!(
            (finding.status, finding.kind),
            (Status::Pass, kind::IDENTIFIED)
        );
        let pathless = "arn:aws:iam::123456789012:role/dev";
        assert!(
            finding.message.starts_with(&format!(
                "Calling as {pathless} in account 123456789012 (session {SESSION}); the role's path is unknown because iam:GetRole was denied"
            )),
            "{}",
            finding.message
        );
        assert!(
            finding
                .message
                .ends_with("; IAM checks use the ARN without a path")
        );
        assert_eq!(finding.evidence["role_path_known"], false);
        assert_eq!(verdict.identity.unwrap().principal_arn, pathless);
    }

    #[tokio::test]
    async fn without_sigv4_credentials_sts_is_not_asked() {
        use crate::aws::BedrockAuth;
        let cx = context(Scope::default());
        cx.provide(CredentialsFact {
            sigv4: None,
            bedrock_auth: BedrockAuth::BearerToken,
            aws_profile: None,
        });
        let found = IdentityCaller.run(&cx).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].status, found[0].kind),
            (Status::Skip, kind::NO_SIGV4)
        );
        assert!(cx.fact::<CallerAccount>().is_none());
        assert!(cx.fact::<CallerIdentity>().is_none());
    }
}
