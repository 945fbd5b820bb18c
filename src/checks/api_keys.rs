//! `iam.api-keys`: no active long-term Bedrock API key. A long-term key is a service-specific
//! credential of an IAM user for `bedrock.amazonaws.com`: a bearer secret that works from
//! anywhere until it is revoked, and never appears in CloudTrail itself (field-failures 51).
//! Each active key is a finding naming its user, its age and its expiry, and whether a policy
//! the audit can read denies its use.

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::{AwsError, BEDROCK_SERVICE_NAME};
use crate::domain::{AccountAuthorization, HolderKind, ServiceCredential};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::iam::{Decision, NamedPolicy, Policy, PolicySet, Request, evaluate};
use crate::shell::sh;

check! {
    IamApiKeys = "iam.api-keys" {
        title: "Long-term Bedrock API keys",
        description: "No IAM user holds an active long-term Bedrock API key (ListUsers, then \
                      ListServiceSpecificCredentials for bedrock.amazonaws.com per user); each active \
                      key names its user, creation and expiry, and whether the user's own policies \
                      deny its use (bedrock:CallWithBearerToken with bedrock:bearerTokenType LONG_TERM)",
        commands: [Audit],
        depends_on: [],
        after: [],
        severity: High,
        kinds: {
            /// No IAM user in the account holds an active long-term Bedrock API key (a
            /// service-specific credential for `bedrock.amazonaws.com`); inactive and expired ones
            /// are counted in the message but pass. Nothing to fix. To keep it so, deny their use
            /// with the `deny-long-term-api-keys` template (`bedrock-preflight policy apply
            /// deny-long-term-api-keys --attach-to ...`), or an SCP with the same statement for the
            /// whole organization.
            NONE = "no-long-term-keys",
            /// An IAM user holds an active long-term Bedrock API key, and no policy the audit can
            /// read denies its use (service control policies are not visible to it). Such a key is
            /// a bearer secret: whoever holds it can call Bedrock as that user, from anywhere,
            /// until it is revoked. Deactivate and delete it, and refuse such keys with the
            /// `deny-long-term-api-keys` template; the remediation carries the exact `aws iam
            /// update-service-specific-credential`, `delete-service-specific-credential` and
            /// `bedrock-preflight policy apply` commands for this key.
            ACTIVE = "active-long-term-key",
            /// An IAM user holds an active long-term Bedrock API key, but the user's own policies
            /// (inline, attached customer-managed, or those of its groups) deny
            /// `bedrock:CallWithBearerToken` for long-term keys, so the key cannot call Bedrock
            /// while those statements stand. It is still a live secret that works again the moment
            /// the deny is removed or detached. Deactivate and delete it: the remediation carries
            /// the `aws iam` commands for this key.
            ACTIVE_DENIED = "active-key-use-denied",
        },
    }
}

#[async_trait]
impl Check for IamApiKeys {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let (keys, users, account) = tokio::join!(
            cx.aws.bedrock_api_keys(),
            cx.aws.user_names(),
            cx.aws.account_authorization()
        );
        Ok(judge_account(keys, users, account))
    }
}

/// The account's keys judged: one finding per active key, or one pass when there is none;
/// an error when the keys could not be listed. The user list only counts them for the pass,
/// and the account's policies only say whether a key's use is denied.
fn judge_account(
    keys: Result<Vec<ServiceCredential>, AwsError>,
    users: Result<Arc<Vec<String>>, AwsError>,
    account: Result<Arc<AccountAuthorization>, AwsError>,
) -> Vec<Finding> {
    let keys = match keys {
        Ok(keys) => keys,
        Err(error) => return vec![Finding::aws_error(&META, &error)],
    };
    let active: Vec<&ServiceCredential> = keys.iter().filter(|k| k.status == "Active").collect();
    if active.is_empty() {
        let users = users.map(|u| u.len()).unwrap_or_default();
        return vec![
            Finding::pass(
                &META,
                kind::NONE,
                "No active long-term Bedrock API key",
                format!(
                    "None of the account's {users} IAM user(s) holds an active {BEDROCK_SERVICE_NAME} \
                     service-specific credential ({} inactive or expired)",
                    keys.len()
                ),
            )
            .evidence("users", users),
        ];
    }
    let account = account.ok();
    active
        .into_iter()
        .map(|key| judge(key, account.as_deref()))
        .collect()
}

fn judge(key: &ServiceCredential, account: Option<&AccountAuthorization>) -> Finding {
    let user = &key.user;
    let expiry = key
        .expires
        .as_deref()
        .map_or("never expires".to_string(), |t| format!("expires {t}"));
    let denied = account.and_then(|a| long_term_use_denied(a, user));
    let id = &key.id;
    let revoke = format!(
        "{}, then {}; to refuse every long-term key: {} (an SCP with the same statement covers the whole \
         organization)",
        sh![
            "aws",
            "iam",
            "update-service-specific-credential",
            "--user-name",
            user,
            "--service-specific-credential-id",
            id,
            "--status",
            "Inactive"
        ],
        sh![
            "aws",
            "iam",
            "delete-service-specific-credential",
            "--user-name",
            user,
            "--service-specific-credential-id",
            id
        ],
        sh![
            "bedrock-preflight",
            "policy",
            "apply",
            "deny-long-term-api-keys",
            "--attach-to",
            format!("user/{user}"),
            "--yes"
        ]
    );
    let finding = match &denied {
        Some(statements) => Finding::warn(
            &META,
            kind::ACTIVE_DENIED,
            Severity::Medium,
            "An active long-term Bedrock API key, whose use is denied",
            format!(
                "IAM user {user} holds the active Bedrock API key {} (created {}, {expiry}); its own policies deny \
                 long-term key use ({}), so it cannot call Bedrock while they stand",
                key.id,
                key.created,
                statements.join(", ")
            ),
            Remediation::new(revoke),
        ),
        None => Finding::fail(
            &META,
            kind::ACTIVE,
            Severity::High,
            "An active long-term Bedrock API key",
            format!(
                "IAM user {user} holds the active Bedrock API key {} (created {}, {expiry}): a bearer secret that \
                 works from anywhere until revoked, and no policy the audit can read denies its use{}",
                key.id,
                key.created,
                if account.is_none() {
                    " (the account's policies could not be read)"
                } else {
                    " (service control policies are not visible here)"
                }
            ),
            Remediation::new(revoke),
        ),
    };
    finding
        .resource(format!("user/{user}"))
        .evidence("credential_id", key.id.clone())
        .evidence("created", key.created.clone())
        .evidence(
            "expires",
            key.expires.clone().unwrap_or_else(|| "never".into()),
        )
}

/// The statements of a user's own policies (inline, attached customer-managed, its groups')
/// that deny calling Bedrock with a long-term key; `None` when none does.
fn long_term_use_denied(account: &AccountAuthorization, user: &str) -> Option<Vec<String>> {
    let holder = account
        .holders
        .iter()
        .find(|h| h.kind == HolderKind::User && h.name == user)?;
    let groups = account
        .holders
        .iter()
        .filter(|h| h.kind == HolderKind::Group && holder.groups.contains(&h.name));
    let mut identity = Vec::new();
    for owner in std::iter::once(holder).chain(groups) {
        for (name, document) in &owner.inline {
            if let Ok(policy) = Policy::from_json(document) {
                identity.push(NamedPolicy {
                    name: format!("{} {}: {name}", owner.kind.as_str(), owner.name),
                    policy,
                });
            }
        }
        for arn in &owner.attached {
            let customer = account.policies.iter().find(|p| &p.arn == arn);
            if let Some(policy) = customer.and_then(|p| Policy::from_json(&p.document).ok()) {
                identity.push(NamedPolicy {
                    name: arn.clone(),
                    policy,
                });
            }
        }
    }
    let set = PolicySet::identity(identity);
    let request = Request::new("bedrock:CallWithBearerToken", "*")
        .with("bedrock:bearerTokenType", vec!["LONG_TERM".into()]);
    let evaluation = evaluate(&set, &request);
    (evaluation.decision == Decision::ExplicitDeny)
        .then(|| evaluation.matched.iter().map(|m| m.label()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CustomerPolicy, PolicyHolder};
    use crate::engine::Status;

    fn key(user: &str, expires: Option<&str>) -> ServiceCredential {
        ServiceCredential {
            user: user.into(),
            id: "ACCAEXAMPLE".into(),
            status: "Active".into(),
            created: "2026-01-05T10:00:00Z".into(),
            expires: expires.map(str::to_string),
        }
    }

    fn account(user_attached: &[&str], group_inline: Option<&str>) -> AccountAuthorization {
        let deny = include_str!("../../policies/deny-long-term-api-keys.json");
        AccountAuthorization {
            holders: vec![
                PolicyHolder {
                    kind: HolderKind::User,
                    name: "ci".into(),
                    arn: "arn:aws:iam::123456789012:user/ci".into(),
                    inline: Vec::new(),
                    attached: user_attached.iter().map(|s| s.to_string()).collect(),
                    groups: vec!["builders".into()],
                    trust: None,
                },
                PolicyHolder {
                    kind: HolderKind::Group,
                    name: "builders".into(),
                    arn: "arn:aws:iam::123456789012:group/builders".into(),
                    inline: group_inline
                        .map(|d| vec![("deny".to_string(), d.to_string())])
                        .unwrap_or_default(),
                    attached: Vec::new(),
                    groups: Vec::new(),
                    trust: None,
                },
            ],
            policies: vec![CustomerPolicy {
                name: "deny-long-term-api-keys".into(),
                arn: "arn:aws:iam::123456789012:policy/deny-long-term-api-keys".into(),
                document: deny.into(),
            }],
        }
    }

    #[test]
    fn an_active_key_fails_unless_the_users_policies_deny_its_use() {
        let open = judge(&key("ci", None), Some(&account(&[], None)));
        assert_eq!(open.kind, kind::ACTIVE);
        assert!(open.message.contains("never expires"), "{}", open.message);
        assert!(
            open.remediation
                .as_deref()
                .unwrap()
                .contains("--service-specific-credential-id ACCAEXAMPLE")
        );

        let attached = account(
            &["arn:aws:iam::123456789012:policy/deny-long-term-api-keys"],
            None,
        );
        let denied = judge(&key("ci", Some("2027-01-05T10:00:00Z")), Some(&attached));
        assert_eq!(denied.kind, kind::ACTIVE_DENIED);
        assert!(denied.message.contains("expires 2027-01-05"));

        let through_group = account(
            &[],
            Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:CallWithBearerToken","Resource":"*","Condition":{"StringEquals":{"bedrock:bearerTokenType":"LONG_TERM"}}}]}"#,
            ),
        );
        assert_eq!(
            judge(&key("ci", None), Some(&through_group)).kind,
            kind::ACTIVE_DENIED
        );
        let short_term_only = account(
            &[],
            Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:CallWithBearerToken","Resource":"*","Condition":{"StringEquals":{"bedrock:bearerTokenType":"SHORT_TERM"}}}]}"#,
            ),
        );
        assert_eq!(
            judge(&key("ci", None), Some(&short_term_only)).kind,
            kind::ACTIVE,
            "a deny of short-term keys leaves long-term ones"
        );
    }

    fn with_status(status: &str) -> ServiceCredential {
        ServiceCredential {
            status: status.into(),
            ..key("ci", None)
        }
    }

    fn users(count: usize) -> Result<Arc<Vec<String>>, AwsError> {
        Ok(Arc::new((0..count).map(|i| format!("user-{i}")).collect()))
    }

    fn refused(operation: &'static crate::aws::catalog::Operation) -> AwsError {
        crate::checks::testing::denied(operation)
    }

    #[test]
    fn no_active_key_passes_counting_users_and_the_keys_left_standing() {
        let found = judge_account(
            Ok(vec![with_status("Inactive"), with_status("Expired")]),
            users(3),
            Ok(Arc::new(account(&[], None))),
        );
        assert_eq!(found.len(), 1);
        let pass = &found[0];
        assert_eq!(
            (pass.status, pass.code().as_str()),
            (Status::Pass, "iam.api-keys/no-long-term-keys")
        );
        assert_eq!(
            pass.message,
            "None of the account's 3 IAM user(s) holds an active bedrock.amazonaws.com \
             service-specific credential (2 inactive or expired)"
        );
        assert_eq!(pass.evidence["users"], 3);

        // The user list only counts; a refusal of it does not stand in the way of the verdict.
        let uncounted = judge_account(
            Ok(Vec::new()),
            Err(refused(&crate::aws::catalog::LIST_USERS)),
            Ok(Arc::new(account(&[], None))),
        );
        assert_eq!(uncounted[0].kind, kind::NONE);
        assert_eq!(uncounted[0].evidence["users"], 0);
    }

    #[test]
    fn keys_that_cannot_be_listed_are_an_error_never_a_pass() {
        let found = judge_account(
            Err(refused(
                &crate::aws::catalog::LIST_SERVICE_SPECIFIC_CREDENTIALS,
            )),
            users(3),
            Ok(Arc::new(account(&[], None))),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].status, found[0].kind),
            (Status::Error, crate::engine::Kind::READ_FAILED)
        );
        assert_eq!(
            found[0].evidence["operation"],
            "iam:ListServiceSpecificCredentials"
        );
    }

    #[test]
    fn each_active_key_is_its_own_finding_with_the_commands_that_revoke_it() {
        let second = ServiceCredential {
            user: "ops".into(),
            id: "ACCBEXAMPLE".into(),
            ..key("ops", Some("2027-01-05T10:00:00Z"))
        };
        let found = judge_account(
            Ok(vec![key("ci", None), with_status("Inactive"), second]),
            users(2),
            Err(refused(
                &crate::aws::catalog::GET_ACCOUNT_AUTHORIZATION_DETAILS,
            )),
        );
        let seen: Vec<(Status, &str, &str)> = found
            .iter()
            .map(|f| {
                (
                    f.status,
                    f.resource.as_deref().unwrap(),
                    f.evidence["credential_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Status::Fail, "user/ci", "ACCAEXAMPLE"),
                (Status::Fail, "user/ops", "ACCBEXAMPLE")
            ]
        );
        let ci = &found[0];
        assert_eq!(ci.kind, kind::ACTIVE);
        assert!(
            ci.message
                .ends_with("no policy the audit can read denies its use (the account's policies could not be read)"),
            "{}",
            ci.message
        );
        assert_eq!(ci.evidence["expires"], "never");
        assert_eq!(ci.evidence["created"], "2026-01-05T10:00:00Z");
        assert_eq!(
            ci.remediation.as_deref(),
            Some(
                "aws iam update-service-specific-credential --user-name ci \
                 --service-specific-credential-id ACCAEXAMPLE --status Inactive, then \
                 aws iam delete-service-specific-credential --user-name ci \
                 --service-specific-credential-id ACCAEXAMPLE; to refuse every long-term key: \
                 bedrock-preflight policy apply deny-long-term-api-keys --attach-to user/ci --yes \
                 (an SCP with the same statement covers the whole organization)"
            )
        );
        assert_eq!(found[1].evidence["expires"], "2027-01-05T10:00:00Z");

        let readable = judge_account(
            Ok(vec![key("ci", None)]),
            users(1),
            Ok(Arc::new(account(&[], None))),
        );
        assert!(
            readable[0]
                .message
                .ends_with("(service control policies are not visible here)")
        );
    }
}
