//! `identity.caller`: who the credentials are, as AWS sees them. An assumed-role session is
//! mapped to its role (with the role's path, from IAM), since that is what policies attach to.

use async_trait::async_trait;

use super::facts::{CallerAccount, CallerIdentity, CredentialsFact, PrincipalKind};
use crate::aws::{AwsErrorKind, CredentialSource};
use crate::domain::Arn;
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
        let answer = match cx.aws.caller_identity().await {
            Ok(answer) => answer,
            Err(error) if error.kind() == AwsErrorKind::InvalidCredentials => {
                return Ok(vec![
                    Finding::fail(
                        &META,
                        kind::CREDENTIALS_REJECTED,
                        Severity::Critical,
                        "AWS rejects the credentials",
                        format!(
                            "Credentials from {} resolve, but AWS does not accept them: {error}",
                            summary.source.describe()
                        ),
                        rejected_fix(
                            summary.source,
                            credentials.aws_profile.as_ref().map(|p| p.name.as_str()),
                        ),
                    )
                    .evidence("error_code", error.code().unwrap_or_default().to_string()),
                ]);
            }
            Err(error) => return Err(error.into()),
        };
        cx.provide(CallerAccount(answer.account.clone()));
        let Some(parsed) = parse_principal(&answer.arn) else {
            return Ok(vec![
                Finding::error(
                    &META,
                    kind::UNRECOGNIZED_ARN,
                    format!(
                        "sts:GetCallerIdentity returned an ARN this tool does not recognize: {}",
                        answer.arn
                    ),
                )
                .evidence("account", answer.account.clone())
                .evidence("arn", answer.arn.clone()),
            ]);
        };
        if parsed.account != answer.account {
            return Ok(vec![Finding::error(
                &META,
                kind::ACCOUNT_MISMATCH,
                format!(
                    "sts:GetCallerIdentity returned account {} but an ARN in account {}",
                    answer.account, parsed.account
                ),
            )]);
        }

        let mut role_note = None;
        let principal_arn = match &parsed.kind {
            Parsed::AssumedRole { role_name } => match cx.aws.role_arn(role_name).await {
                Ok(arn) => arn,
                Err(error) => {
                    role_note = Some(format!(
                        "the role's path is unknown because {error}; IAM checks use the ARN without a path"
                    ));
                    format!(
                        "arn:{}:iam::{}:role/{role_name}",
                        parsed.partition, parsed.account
                    )
                }
            },
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
        cx.provide(identity);
        Ok(vec![finding])
    }
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
}
