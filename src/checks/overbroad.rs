//! `iam.overbroad`: no customer policy grants Bedrock more than calling named models needs
//! (field-failures 52). Every customer-managed and inline policy of the account is read at once
//! (GetAccountAuthorizationDetails) and each Allow statement judged: every Bedrock action,
//! invoke on any resource, a standing Marketplace Subscribe, Bedrock actions of the Permissions
//! management access level on any resource (failures), and of the Write level on any resource
//! although they could name their resources (a warning). `AmazonBedrockFullAccess` attached
//! to a user, a group or a role that a person assumes is judged too. One finding per policy and
//! principal, with the offending statement.

use async_trait::async_trait;
use serde_json::Value;

use crate::domain::{AccountAuthorization, HolderKind, PolicyHolder};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::iam::{Breadth, Policy, breadth};
use crate::shell::sh;

check! {
    IamOverbroad = "iam.overbroad" {
        title: "Over-broad Bedrock grants",
        description: "No customer-managed or inline policy grants every Bedrock action, invoke on any \
                      resource, Bedrock permissions management on any resource, or \
                      aws-marketplace:Subscribe without aws:CalledViaLast; Bedrock writes on any resource \
                      that could be scoped are named (access levels from AWS's IAM reference); and \
                      AmazonBedrockFullAccess is attached to no user, group or non-service role \
                      (GetAccountAuthorizationDetails, every page); one finding per policy and principal \
                      with the offending statement",
        commands: [Audit],
        depends_on: [],
        after: [],
        severity: High,
        kinds: {
            /// No customer-managed or inline policy of the account grants every Bedrock action,
            /// invoke on any resource, Bedrock writes or permissions management on any resource, or
            /// a standing `aws-marketplace:Subscribe`, and AmazonBedrockFullAccess is attached to
            /// no user, group or role that a person assumes. Every page of
            /// GetAccountAuthorizationDetails was read.
            LEAST = "least-privilege",
            /// A policy a user, group or role holds grants Bedrock far more than calling named
            /// models needs: every Bedrock action, invoke on any resource, Bedrock permissions
            /// management on any resource, or `aws-marketplace:Subscribe` without an
            /// `aws:CalledViaLast` condition. There is one finding per policy and principal, with
            /// the offending statements. Replace it with the models and regions the principal calls
            /// (`bedrock-preflight policy apply claude-invoke`, in the remediation), then remove
            /// the statements named.
            BROAD = "broad-grant",
            /// A customer-managed policy has an over-broad Bedrock statement but is attached to no
            /// user, group or role, so it grants nothing until someone attaches it. Delete it
            /// (`aws iam delete-policy`, after its non-default versions) or narrow it with
            /// `bedrock-preflight policy render claude-invoke`.
            UNATTACHED = "broad-policy-unattached",
            /// The AWS-managed AmazonBedrockFullAccess policy is attached to a user, a group, or a
            /// role that more than AWS services may assume: every Bedrock action on every resource,
            /// model management, logging configuration and API keys included. Detach it and grant
            /// what the principal calls instead; the remediation gives both commands.
            FULL_ACCESS = "full-access-attached",
            // A policy whose only breadth is Bedrock writes (Write or Tagging access level) on
            // any resource, each of which could name the resources it changes: a warning, since
            // an administrator's role may mean it; the finding names the actions.
            /// A policy a principal holds grants Bedrock write actions (the Write or Tagging access
            /// level in AWS's IAM reference) on any resource, where each could name the resources
            /// it changes; nothing else in it is too broad. An administrator's role may mean it, so
            /// this warns. Name the resources (guardrail, custom model, inference profile ARNs) in
            /// place of `*`, or keep the policy on a role only administrators assume.
            WRITE = "write-on-any-resource",
            /// A policy's document could not be parsed (the finding gives the error), so whether it
            /// grants too much is unknown. Review the policy by hand; if IAM accepts it, the parser
            /// is wrong, and a report to bedrock-preflight helps.
            UNREADABLE = "policy-not-parsed",
        },
    }
}

const FULL_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess";

/// One Allow statement that grants too much, as found in a document.
struct Offence {
    statement: Value,
    name: String,
    breadth: Vec<Breadth>,
}

#[async_trait]
impl Check for IamOverbroad {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let account = match cx.aws.account_authorization().await {
            Ok(account) => account,
            Err(error) => return Ok(vec![Finding::aws_error(&META, &error)]),
        };
        Ok(judge(&account))
    }
}

/// One finding per over-broad policy and principal, or the pass when there is none.
fn judge(account: &AccountAuthorization) -> Vec<Finding> {
    let findings = offending(account);
    if !findings.is_empty() {
        return findings;
    }
    let inline: usize = account.holders.iter().map(|h| h.inline.len()).sum();
    vec![Finding::pass(
        &META,
        kind::LEAST,
        "No over-broad Bedrock grant",
        format!(
            "None of {} customer-managed and {inline} inline policies grants every Bedrock action, invoke \
             on any resource, Bedrock writes or permissions management on any resource or a standing \
             Marketplace Subscribe, and AmazonBedrockFullAccess is attached to no person's principal",
            account.policies.len()
        ),
    )]
}

fn offending(account: &AccountAuthorization) -> Vec<Finding> {
    let mut findings = Vec::new();
    for policy in &account.policies {
        let offences = match offences(&policy.document) {
            Ok(offences) => offences,
            Err(why) => {
                findings.push(unreadable(&policy.arn, &why));
                continue;
            }
        };
        if offences.is_empty() {
            continue;
        }
        let holders: Vec<&PolicyHolder> = account
            .holders
            .iter()
            .filter(|h| h.attached.contains(&policy.arn))
            .collect();
        if holders.is_empty() {
            findings.push(
                Finding::warn(
                    &META,
                    kind::UNATTACHED,
                    Severity::Low,
                    "An over-broad policy, attached to no one",
                    format!(
                        "{} {}; it is attached to no user, group or role, so it grants nothing until it is",
                        policy.arn,
                        described(&offences)
                    ),
                    Remediation::new(format!(
                        "{} (after deleting its non-default versions), or narrow it with bedrock-preflight policy \
                         render claude-invoke --model MODEL --region REGION",
                        sh!["aws", "iam", "delete-policy", "--policy-arn", policy.arn]
                    )),
                )
                .resource(policy.arn.clone())
                .evidence("statements", statements(&offences)),
            );
        }
        for holder in holders {
            findings.push(broad(holder, &policy.arn, &offences));
        }
    }
    for holder in &account.holders {
        for (name, document) in &holder.inline {
            let label = format!(
                "{} {} inline policy {name}",
                holder.kind.as_str(),
                holder.name
            );
            match offences(document) {
                Ok(offences) if !offences.is_empty() => {
                    findings.push(broad(holder, &label, &offences));
                }
                Ok(_) => {}
                Err(why) => findings.push(unreadable(&label, &why)),
            }
        }
        if holder.attached.iter().any(|a| a == FULL_ACCESS_ARN) && !is_service_role(holder) {
            findings.push(
                Finding::fail(
                    &META,
                    kind::FULL_ACCESS,
                    Severity::High,
                    "AmazonBedrockFullAccess on a person's principal",
                    format!(
                        "{} {} has AmazonBedrockFullAccess: every Bedrock action on every resource, model \
                         management, logging configuration and API keys included",
                        holder.kind.as_str(),
                        holder.arn
                    ),
                    Remediation::new(format!(
                        "{}, then {}",
                        sh![
                            "aws",
                            "iam",
                            format!("detach-{}-policy", holder.kind.as_str()),
                            format!("--{}-name", holder.kind.as_str()),
                            holder.name,
                            "--policy-arn",
                            FULL_ACCESS_ARN
                        ],
                        apply_command(holder)
                    )),
                )
                .resource(holder.arn.clone())
                .evidence("policy", FULL_ACCESS_ARN),
            );
        }
    }
    findings
}

/// The command that grants `holder` what it calls instead, with the models and regions for the
/// person to fill in.
fn apply_command(holder: &PolicyHolder) -> String {
    let target = format!("{}/{}", holder.kind.as_str(), holder.name);
    let command = sh![
        "bedrock-preflight",
        "policy",
        "apply",
        "claude-invoke",
        "--attach-to",
        target
    ];
    format!("{command} --model MODEL --region REGION --yes")
}

fn broad(holder: &PolicyHolder, policy: &str, offences: &[Offence]) -> Finding {
    if !offences.iter().flat_map(|o| &o.breadth).any(Breadth::fails) {
        return Finding::warn(
            &META,
            kind::WRITE,
            Severity::Medium,
            "Bedrock writes granted on any resource",
            format!(
                "{policy} {} for {} {}",
                described(offences),
                holder.kind.as_str(),
                holder.arn
            ),
            Remediation::new(
                "Name the resources these actions may change (guardrail, custom model, inference profile ARNs) \
                 in place of \"*\", or keep them on a role only administrators assume",
            ),
        )
        .resource(holder.arn.clone())
        .evidence("policy", policy.to_string())
        .evidence("statements", statements(offences));
    }
    Finding::fail(
        &META,
        kind::BROAD,
        Severity::High,
        "An over-broad Bedrock grant",
        format!(
            "{policy} {} for {} {}",
            described(offences),
            holder.kind.as_str(),
            holder.arn
        ),
        Remediation::new(format!(
            "Replace it with the models and regions this principal calls: {}, then remove the statements \
             named",
            apply_command(holder)
        )),
    )
    .resource(holder.arn.clone())
    .evidence("policy", policy.to_string())
    .evidence("statements", statements(offences))
}

fn unreadable(policy: &str, why: &str) -> Finding {
    Finding::error(
        &META,
        kind::UNREADABLE,
        format!("{policy} could not be judged: its document does not parse ({why})"),
    )
    .resource(policy.to_string())
}

fn described(offences: &[Offence]) -> String {
    offences
        .iter()
        .map(|o| {
            let what: Vec<String> = o.breadth.iter().map(Breadth::describe).collect();
            format!("{}: {}", o.name, what.join("; "))
        })
        .collect::<Vec<_>>()
        .join(". ")
}

fn statements(offences: &[Offence]) -> Vec<Value> {
    offences.iter().map(|o| o.statement.clone()).collect()
}

/// The Allow statements of a document that grant too much, with their JSON as written.
fn offences(document: &str) -> Result<Vec<Offence>, String> {
    let policy = Policy::from_json(document).map_err(|e| e.to_string())?;
    let raw: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let raw: Vec<Value> = match &raw["Statement"] {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    Ok(policy
        .statements
        .iter()
        .filter_map(|statement| {
            let found = breadth(statement);
            (!found.is_empty()).then(|| Offence {
                statement: raw.get(statement.index).cloned().unwrap_or_default(),
                name: statement.name(),
                breadth: found,
            })
        })
        .collect())
}

/// A role only AWS services assume: its trust policy's principals are all services.
fn is_service_role(holder: &PolicyHolder) -> bool {
    if holder.kind != HolderKind::Role {
        return false;
    }
    let Some(trust) = holder
        .trust
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    else {
        return false;
    };
    let statements = match &trust["Statement"] {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    !statements.is_empty()
        && statements.iter().all(|s| {
            s["Effect"] != "Allow"
                || s["Principal"]
                    .as_object()
                    .is_some_and(|p| p.keys().all(|k| k == "Service"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerPolicy;
    use crate::engine::Kind;

    fn holder(
        kind: HolderKind,
        name: &str,
        attached: &[&str],
        trust: Option<&str>,
    ) -> PolicyHolder {
        PolicyHolder {
            kind,
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:{}/{name}", kind.as_str()),
            inline: Vec::new(),
            attached: attached.iter().map(|s| s.to_string()).collect(),
            groups: Vec::new(),
            trust: trust.map(str::to_string),
        }
    }

    const BROAD: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Ok","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1::foundation-model/x"},{"Sid":"All","Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}"#;
    const SERVICE_TRUST: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const PERSON_TRUST: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn one_finding_per_policy_and_principal_with_the_statement() {
        let arn = "arn:aws:iam::123456789012:policy/everything";
        let mut dev = holder(HolderKind::User, "dev", &[arn], None);
        dev.inline = vec![("subscribe".into(), r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"aws-marketplace:Subscribe","Resource":"*"}}"#.into())];
        let account = AccountAuthorization {
            holders: vec![
                dev,
                holder(
                    HolderKind::Role,
                    "app",
                    &[arn, FULL_ACCESS_ARN],
                    Some(SERVICE_TRUST),
                ),
                holder(
                    HolderKind::Role,
                    "people",
                    &[FULL_ACCESS_ARN],
                    Some(PERSON_TRUST),
                ),
            ],
            policies: vec![
                CustomerPolicy {
                    name: "everything".into(),
                    arn: arn.into(),
                    document: BROAD.into(),
                },
                CustomerPolicy {
                    name: "loose".into(),
                    arn: "arn:aws:iam::123456789012:policy/loose".into(),
                    document: BROAD.into(),
                },
            ],
        };
        let findings = judge(&account);
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.kind.as_str(), f.resource.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("broad-grant", "arn:aws:iam::123456789012:user/dev"),
                ("broad-grant", "arn:aws:iam::123456789012:role/app"),
                (
                    "broad-policy-unattached",
                    "arn:aws:iam::123456789012:policy/loose"
                ),
                ("broad-grant", "arn:aws:iam::123456789012:user/dev"),
                (
                    "full-access-attached",
                    "arn:aws:iam::123456789012:role/people"
                ),
            ],
            "the service role's full access is not a person's"
        );
        assert_eq!(
            findings[0].evidence["statements"][0]["Sid"], "All",
            "the offending statement, not the narrow one"
        );
        assert!(findings[3].message.contains("aws:CalledViaLast"));
    }

    #[test]
    fn bedrock_writes_on_any_resource_warn_and_permissions_management_fails() {
        let policy = |name: &str, action: &str| CustomerPolicy {
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:policy/{name}"),
            document: format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"Allow","Action":{action},"Resource":"*"}}]}}"#
            ),
        };
        let account = AccountAuthorization {
            holders: vec![holder(
                HolderKind::User,
                "admin",
                &[
                    "arn:aws:iam::123456789012:policy/writes",
                    "arn:aws:iam::123456789012:policy/permissions",
                    "arn:aws:iam::123456789012:policy/settings",
                ],
                None,
            )],
            policies: vec![
                policy(
                    "writes",
                    r#"["bedrock:CreateGuardrail","bedrock:DeleteGuardrail"]"#,
                ),
                policy(
                    "permissions",
                    r#""bedrock:AllowVendedLogDeliveryForResource""#,
                ),
                // Takes no resource type: "*" is the only way to grant it.
                policy(
                    "settings",
                    r#""bedrock:PutModelInvocationLoggingConfiguration""#,
                ),
            ],
        };
        let findings = judge(&account);
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.kind.as_str(), f.status.as_str()))
            .collect();
        assert_eq!(
            got,
            [("write-on-any-resource", "warn"), ("broad-grant", "fail")]
        );
        assert!(
            findings[0]
                .message
                .contains("bedrock:CreateGuardrail, bedrock:DeleteGuardrail"),
            "{}",
            findings[0].message
        );
        assert!(
            findings[1]
                .message
                .contains("bedrock:AllowVendedLogDeliveryForResource")
        );
    }

    #[test]
    fn an_account_with_only_scoped_grants_passes() {
        let arn = "arn:aws:iam::123456789012:policy/claude-invoke";
        let mut dev = holder(HolderKind::User, "dev", &[arn], None);
        dev.inline = vec![(
            "list".into(),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"bedrock:ListInferenceProfiles","Resource":"*"}}"#.into(),
        )];
        let account = AccountAuthorization {
            holders: vec![dev],
            policies: vec![CustomerPolicy {
                name: "claude-invoke".into(),
                arn: arn.into(),
                document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"}]}"#.into(),
            }],
        };
        let found = judge(&account);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].status),
            (kind::LEAST, crate::engine::Status::Pass)
        );
        assert!(
            found[0]
                .message
                .starts_with("None of 1 customer-managed and 1 inline policies"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn each_finding_carries_the_command_that_fixes_it() {
        let writes = "arn:aws:iam::123456789012:policy/writes";
        let loose = "arn:aws:iam::123456789012:policy/loose";
        let account = AccountAuthorization {
            holders: vec![
                holder(HolderKind::Group, "admins", &[writes], None),
                holder(
                    HolderKind::Role,
                    "people",
                    &[FULL_ACCESS_ARN],
                    Some(PERSON_TRUST),
                ),
            ],
            policies: vec![
                CustomerPolicy {
                    name: "writes".into(),
                    arn: writes.into(),
                    document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"Guardrails","Effect":"Allow","Action":"bedrock:CreateGuardrail","Resource":"*"}]}"#.into(),
                },
                CustomerPolicy {
                    name: "loose".into(),
                    arn: loose.into(),
                    document: BROAD.into(),
                },
            ],
        };
        let found = judge(&account);
        let fix = |kind: Kind| {
            let finding = found
                .iter()
                .find(|f| f.kind == kind)
                .unwrap_or_else(|| panic!("no {} in {found:#?}", kind.as_str()));
            (finding.severity, finding.remediation.clone().unwrap())
        };
        let (severity, unattached) = fix(kind::UNATTACHED);
        assert_eq!(severity, Severity::Low, "it grants nothing yet");
        assert!(
            unattached.starts_with(&format!("aws iam delete-policy --policy-arn {loose}")),
            "{unattached}"
        );
        let (_, full) = fix(kind::FULL_ACCESS);
        assert_eq!(
            full,
            "aws iam detach-role-policy --role-name people --policy-arn \
             arn:aws:iam::aws:policy/AmazonBedrockFullAccess, then bedrock-preflight policy apply \
             claude-invoke --attach-to role/people --model MODEL --region REGION --yes"
        );
        let (severity, write) = fix(kind::WRITE);
        assert_eq!(severity, Severity::Medium);
        assert!(
            write.starts_with("Name the resources these actions may change"),
            "{write}"
        );
        let written = found.iter().find(|f| f.kind == kind::WRITE).unwrap();
        assert_eq!(
            written.resource.as_deref(),
            Some("arn:aws:iam::123456789012:group/admins")
        );
        assert_eq!(written.evidence["statements"][0]["Sid"], "Guardrails");
    }

    #[test]
    fn a_document_that_does_not_parse_is_no_verdict_and_the_others_are_still_judged() {
        let arn = "arn:aws:iam::123456789012:policy/garbled";
        let mut dev = holder(HolderKind::User, "dev", &[arn], None);
        dev.inline = vec![(
            "half".into(),
            r#"{"Version":"2012-10-17","Statement":"#.into(),
        )];
        let account = AccountAuthorization {
            holders: vec![dev],
            policies: vec![CustomerPolicy {
                name: "garbled".into(),
                arn: arn.into(),
                document: "not a policy".into(),
            }],
        };
        let found = judge(&account);
        let got: Vec<(&str, crate::engine::Status, &str)> = found
            .iter()
            .map(|f| (f.kind.as_str(), f.status, f.resource.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                (kind::UNREADABLE.as_str(), crate::engine::Status::Error, arn),
                (
                    kind::UNREADABLE.as_str(),
                    crate::engine::Status::Error,
                    "user dev inline policy half"
                ),
            ]
        );
        assert!(
            found[0].message.contains("its document does not parse"),
            "{}",
            found[0].message
        );
    }
}
