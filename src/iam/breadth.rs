//! What makes a Bedrock grant too broad, one statement at a time: `policy validate` refuses
//! it in a policy about to be applied, and `audit`'s `iam.overbroad` finds it in the account.

use super::policy::{Effect, Statement};
use super::reference::{AccessLevel, reference};

/// The services whose changing actions on `*` are named: the Bedrock grants this module
/// judges. Other services' admin policies are not Bedrock's business here.
const BEDROCK_SERVICES: &[&str] = &["bedrock", "bedrock-mantle"];

/// How many actions a finding names before it says how many more there are.
const NAMED: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breadth {
    /// Every Bedrock action (`bedrock:*`, `*`, or a NotAction that leaves Bedrock in).
    AllBedrockActions,
    /// InvokeModel or its streaming twin on any resource (`*` or NotResource).
    InvokeOnAnyResource,
    /// `aws-marketplace:Subscribe` on any resource without `aws:CalledViaLast`, so the
    /// principal may subscribe the account to any Marketplace product, not only through
    /// Bedrock's first call.
    StandingSubscribe,
    /// Bedrock actions of the Write or Tagging access level on any resource, although each
    /// takes resource types that could name what it may change.
    WriteOnAnyResource(Vec<String>),
    /// Bedrock actions of the Permissions management access level on any resource.
    PermissionsOnAnyResource(Vec<String>),
}

impl Breadth {
    pub fn as_str(&self) -> &'static str {
        match self {
            Breadth::AllBedrockActions => "all-bedrock-actions",
            Breadth::InvokeOnAnyResource => "invoke-on-any-resource",
            Breadth::StandingSubscribe => "standing-marketplace-subscribe",
            Breadth::WriteOnAnyResource(_) => "write-on-any-resource",
            Breadth::PermissionsOnAnyResource(_) => "permissions-on-any-resource",
        }
    }

    /// Whether it makes a policy wrong, not only worth a look: all but writes on `*`,
    /// which some setups (an admin role for model customization) mean to grant.
    pub fn fails(&self) -> bool {
        !matches!(self, Breadth::WriteOnAnyResource(_))
    }

    pub fn describe(&self) -> String {
        match self {
            Breadth::AllBedrockActions => {
                "allows every Bedrock action (bedrock:*, * or NotAction), model management and API keys included".into()
            }
            Breadth::InvokeOnAnyResource => {
                "allows invoke on any resource (\"*\" or NotResource): name the inference profiles and their destination models".into()
            }
            Breadth::StandingSubscribe => {
                "allows aws-marketplace:Subscribe on any product without the aws:CalledViaLast = bedrock.amazonaws.com condition".into()
            }
            Breadth::WriteOnAnyResource(actions) => format!(
                "allows Bedrock actions that change resources on any resource (\"*\" or NotResource), though each can be scoped to the resources it changes: {}",
                named(actions)
            ),
            Breadth::PermissionsOnAnyResource(actions) => format!(
                "allows Bedrock permissions-management actions on any resource (\"*\" or NotResource): {}",
                named(actions)
            ),
        }
    }
}

fn named(actions: &[String]) -> String {
    let mut text = actions
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if actions.len() > NAMED {
        text.push_str(&format!(" and {} more", actions.len() - NAMED));
    }
    text
}

const INVOKE: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// How an Allow statement is too broad; nothing for a Deny.
pub fn breadth(statement: &Statement) -> Vec<Breadth> {
    let mut found = Vec::new();
    if statement.effect != Effect::Allow {
        return found;
    }
    let any_resource =
        statement.resources.negated || statement.resources.values.iter().any(|r| r == "*");
    let all_bedrock = statement.covers_action("bedrock:*");
    if all_bedrock {
        found.push(Breadth::AllBedrockActions);
    }
    if any_resource && INVOKE.iter().any(|a| statement.covers_action(a)) {
        found.push(Breadth::InvokeOnAnyResource);
    }
    let via_bedrock = statement
        .conditions
        .iter()
        .any(|c| c.key.eq_ignore_ascii_case("aws:CalledViaLast"));
    if any_resource && !via_bedrock && statement.covers_action("aws-marketplace:Subscribe") {
        found.push(Breadth::StandingSubscribe);
    }
    // Every Bedrock action already says it all. An action with no resource type can only
    // be granted on "*": that is not breadth.
    if any_resource && !all_bedrock {
        let (mut writes, mut permissions) = (Vec::new(), Vec::new());
        let reference = reference();
        for action in BEDROCK_SERVICES
            .iter()
            .filter_map(|s| reference.service(s))
            .flat_map(|s| s.actions())
            .filter(|a| !a.takes_no_resource() && statement.covers_action(&a.full_name()))
        {
            match action.access {
                AccessLevel::Write | AccessLevel::Tagging => writes.push(action.full_name()),
                AccessLevel::PermissionsManagement => permissions.push(action.full_name()),
                AccessLevel::List | AccessLevel::Read => {}
            }
        }
        writes.sort();
        permissions.sort();
        if !permissions.is_empty() {
            found.push(Breadth::PermissionsOnAnyResource(permissions));
        }
        if !writes.is_empty() {
            found.push(Breadth::WriteOnAnyResource(writes));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::Policy;

    fn of(statement: &str) -> Vec<Breadth> {
        let policy = Policy::from_json(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#
        ))
        .unwrap();
        breadth(&policy.statements[0])
    }

    #[test]
    fn each_kind_of_breadth_and_what_is_not() {
        use Breadth::*;
        assert_eq!(
            of(r#"{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}"#),
            [AllBedrockActions, InvokeOnAnyResource]
        );
        assert_eq!(
            of(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#),
            [AllBedrockActions, InvokeOnAnyResource, StandingSubscribe]
        );
        assert_eq!(
            of(
                r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:bedrock:*::foundation-model/*"}"#
            ),
            [AllBedrockActions],
            "a NotAction that leaves Bedrock in"
        );
        assert!(
            of(r#"{"Effect": "Allow", "NotAction": "bedrock:*", "Resource": "arn:aws:s3:::b"}"#)
                .is_empty()
        );
        assert_eq!(
            of(
                r#"{"Effect": "Allow", "Action": "bedrock:InvokeModel*", "NotResource": "arn:aws:bedrock:*::foundation-model/x"}"#
            ),
            [InvokeOnAnyResource]
        );
        assert!(
            of(r#"{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/*"}"#)
                .is_empty()
        );
        assert_eq!(
            of(r#"{"Effect": "Allow", "Action": ["aws-marketplace:Subscribe"], "Resource": "*"}"#),
            [StandingSubscribe]
        );
        assert!(
            of(r#"{"Effect": "Allow", "Action": "aws-marketplace:Subscribe", "Resource": "*", "Condition": {"StringEquals": {"aws:CalledViaLast": "bedrock.amazonaws.com"}}}"#)
                .is_empty()
        );
        assert!(of(r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#).is_empty());
    }

    #[test]
    fn changing_bedrock_actions_on_any_resource_are_named_by_access_level() {
        let found = of(
            r#"{"Effect": "Allow", "Action": ["bedrock:CreateGuardrail", "bedrock:Delete*", "bedrock:AllowVendedLogDeliveryForResource", "bedrock:PutModelInvocationLoggingConfiguration", "bedrock:GetInferenceProfile"], "Resource": "*"}"#,
        );
        let [
            Breadth::PermissionsOnAnyResource(permissions),
            Breadth::WriteOnAnyResource(writes),
        ] = &found[..]
        else {
            panic!("{found:?}");
        };
        assert_eq!(permissions, &["bedrock:AllowVendedLogDeliveryForResource"]);
        assert!(writes.contains(&"bedrock:CreateGuardrail".to_string()));
        assert!(writes.contains(&"bedrock:DeleteInferenceProfile".to_string()));
        assert!(
            !writes
                .iter()
                .any(|w| w == "bedrock:PutModelInvocationLoggingConfiguration"),
            "it takes no resource type: \"*\" is the only way to grant it"
        );
        assert!(!found[0].describe().is_empty() && found[1].describe().contains(" more"));
        assert!(found[0].fails() && !found[1].fails());
        assert!(
            of(r#"{"Effect": "Allow", "Action": "bedrock:DeleteGuardrail", "Resource": "arn:aws:bedrock:us-east-1:123456789012:guardrail/g"}"#)
                .is_empty(),
            "scoped to a resource"
        );
        assert_eq!(
            of(
                r#"{"Effect": "Allow", "Action": "bedrock-mantle:CreateInference", "NotResource": "arn:aws:bedrock-mantle:us-east-1:123456789012:project/p"}"#
            ),
            [Breadth::WriteOnAnyResource(vec![
                "bedrock-mantle:CreateInference".into()
            ])]
        );
        assert!(
            of(r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}"#).is_empty(),
            "other services' writes are not this module's business"
        );
    }
}
