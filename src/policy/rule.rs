//! The rules of `policy validate`: each problem it reports names one, by an ID that the JSON
//! report and the table print and that never changes, with a description of what it catches
//! (its doc comment, one list for both). `Rule::all()` lists them for whoever explains them.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::iam::Breadth;

/// One list: each rule's doc comment is its description, and its literal its ID.
macro_rules! rules {
    ($($(#[doc = $doc:literal])+ $rule:ident = $id:literal,)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[doc = $doc])+ $rule,)+
        }

        impl Rule {
            /// Every rule, in the order of this list.
            pub fn all() -> &'static [Rule] {
                &[$(Rule::$rule),+]
            }

            /// The stable ID problems are reported under: `unknown-action`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$rule => $id,)+
                }
            }

            /// What the rule catches, in a sentence or two.
            pub fn description(self) -> &'static str {
                match self {
                    // rustdoc keeps the space after `///`: each line but the first joins the
                    // previous with it.
                    $(Rule::$rule => concat!($($doc),+).trim_start(),)+
                }
            }
        }
    };
}

rules! {
    /// The document's Version is not "2012-10-17", without which IAM leaves policy variables
    /// unsubstituted.
    Version = "version",
    /// A statement allows bedrock:InvokeModel but not bedrock:InvokeModelWithResponseStream,
    /// which Claude Code and every streaming SDK call use.
    StreamingMissing = "streaming-missing",
    /// The policy allows a request near the target's calls that least privilege denies: another
    /// model, region or account, or a Marketplace subscription made other than through Bedrock.
    GrantsTooMuch = "grants-too-much",
    /// The policy does not allow the Marketplace subscription, through Bedrock, that the first
    /// call to a model makes.
    MarketplaceMissing = "marketplace-missing",
    /// The policy does not allow the inference profile the target calls through, or reading the
    /// profiles Claude Code looks up.
    ProfileMissing = "profile-missing",
    /// The policy does not allow the region-less foundation-model ARN that a global inference
    /// profile's calls are authorized against.
    GlobalArnMissing = "global-arn-missing",
    /// The policy does not allow the foundation model in one of the profile's destination
    /// regions, where Bedrock may serve the call.
    DestinationRegionMissing = "destination-region-missing",
    /// The policy does not allow the foundation model the target calls on demand.
    ModelMissing = "model-missing",
    /// A statement allows every Bedrock action (bedrock:*, * or NotAction), model management
    /// and API keys included.
    AllBedrockActions = "all-bedrock-actions",
    /// A statement allows invoke on any resource ("*" or NotResource) instead of naming the
    /// inference profiles and their destination models.
    InvokeOnAnyResource = "invoke-on-any-resource",
    /// A statement allows aws-marketplace:Subscribe on any product without the condition
    /// aws:CalledViaLast = bedrock.amazonaws.com.
    StandingMarketplaceSubscribe = "standing-marketplace-subscribe",
    /// A statement allows Bedrock actions that change resources on any resource, though each can
    /// be scoped to what it changes; a warning, since some administrators' roles mean it.
    WriteOnAnyResource = "write-on-any-resource",
    /// A statement allows Bedrock's permissions-management actions on any resource.
    PermissionsOnAnyResource = "permissions-on-any-resource",
    /// An action's service prefix is none IAM has (bedrock-runtime: where Bedrock's actions are
    /// bedrock:), so the action grants nothing.
    UnknownServicePrefix = "unknown-service-prefix",
    /// An action is none of its service's actions in AWS's IAM reference (the Converse API is
    /// authorized as bedrock:InvokeModel), so it grants or denies nothing.
    UnknownAction = "unknown-action",
    /// An action that takes no resource type is in a statement naming only ARNs: AWS authorizes
    /// it against "*", so the statement never grants or denies it.
    ResourceStarRequired = "resource-star-required",
    /// A statement's actions and resources do not fit: an ARN none of its actions can be granted
    /// on, or an action none of its ARNs is of a type for.
    ResourceTypeMismatch = "resource-type-mismatch",
    /// A condition key is neither global nor one of the action's, its resource types' or its
    /// service's, so no request carries it and the condition never matches.
    UnknownConditionKey = "unknown-condition-key",
    /// A condition's operator cannot compare its key's type, so the condition never matches
    /// (or, negated, always does).
    ConditionOperatorType = "condition-operator-type",
    /// The document is over IAM's 6,144 characters for a managed policy (whitespace not
    /// counted); over 10,240, no identity policy takes it.
    PolicyTooLarge = "policy-too-large",
    /// The document is over IAM's limit for a user's inline policy (2,048 characters) or a
    /// role's (10,240).
    InlinePolicyTooLarge = "inline-policy-too-large",
}

impl From<&Breadth> for Rule {
    fn from(breadth: &Breadth) -> Self {
        match breadth {
            Breadth::AllBedrockActions => Rule::AllBedrockActions,
            Breadth::InvokeOnAnyResource => Rule::InvokeOnAnyResource,
            Breadth::StandingSubscribe => Rule::StandingMarketplaceSubscribe,
            Breadth::WriteOnAnyResource(_) => Rule::WriteOnAnyResource,
            Breadth::PermissionsOnAnyResource(_) => Rule::PermissionsOnAnyResource,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_rule_has_a_unique_kebab_case_id_and_a_description() {
        let mut ids = HashSet::new();
        for rule in Rule::all() {
            let id = rule.id();
            assert!(ids.insert(id), "{id} twice");
            assert!(
                !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
            let description = rule.description();
            assert!(
                description.len() > 40 && description.ends_with('.'),
                "{id}: {description:?}"
            );
            assert!(
                !description.starts_with(' ') && !description.contains("  "),
                "{id}: {description:?}"
            );
        }
    }

    #[test]
    fn a_rule_is_its_id_in_json_and_text() {
        assert_eq!(
            serde_json::to_value(Rule::UnknownAction).unwrap(),
            "unknown-action"
        );
        assert_eq!(Rule::GlobalArnMissing.to_string(), "global-arn-missing");
    }

    #[test]
    fn each_breadth_is_the_rule_of_its_name() {
        for breadth in [
            Breadth::AllBedrockActions,
            Breadth::InvokeOnAnyResource,
            Breadth::StandingSubscribe,
            Breadth::WriteOnAnyResource(vec!["bedrock:CreateGuardrail".into()]),
            Breadth::PermissionsOnAnyResource(vec!["bedrock:PutResourcePolicy".into()]),
        ] {
            assert_eq!(Rule::from(&breadth).id(), breadth.as_str());
        }
    }
}
