//! What makes a Bedrock grant too broad, one statement at a time: `policy validate` refuses
//! it in a policy about to be applied, and `audit`'s `iam.overbroad` finds it in the account.

use super::policy::{Effect, Statement};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breadth {
    /// Every Bedrock action (`bedrock:*`, `*`, or a NotAction that leaves Bedrock in).
    AllBedrockActions,
    /// InvokeModel or its streaming twin on any resource (`*` or NotResource).
    InvokeOnAnyResource,
    /// `aws-marketplace:Subscribe` on any resource without `aws:CalledViaLast`, so the
    /// principal may subscribe the account to any Marketplace product, not only through
    /// Bedrock's first call.
    StandingSubscribe,
}

impl Breadth {
    pub fn as_str(self) -> &'static str {
        match self {
            Breadth::AllBedrockActions => "all-bedrock-actions",
            Breadth::InvokeOnAnyResource => "invoke-on-any-resource",
            Breadth::StandingSubscribe => "standing-marketplace-subscribe",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Breadth::AllBedrockActions => {
                "allows every Bedrock action (bedrock:*, * or NotAction), model management and API keys included"
            }
            Breadth::InvokeOnAnyResource => {
                "allows invoke on any resource (\"*\" or NotResource): name the inference profiles and their destination models"
            }
            Breadth::StandingSubscribe => {
                "allows aws-marketplace:Subscribe on any product without the aws:CalledViaLast = bedrock.amazonaws.com condition"
            }
        }
    }
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
    if statement.covers_action("bedrock:*") {
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
}
