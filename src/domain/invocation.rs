//! One call a client will make to Bedrock (`Invocation`: from which region, with which model
//! ID, through which route) and what Bedrock authorizes for it (`needs`): the requests IAM
//! checks simulate and policy templates must allow.

use super::{FoundationModel, InferenceProfile, ModelRequest, Region, arn_region};

/// The two actions a call to Claude is authorized as: `InvokeModel` (SDKs) and
/// `InvokeModelWithResponseStream` (Claude Code and every streaming call).
pub const INVOKE_ACTIONS: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The base model ID, on-demand in the region itself.
    OnDemand,
    /// A geography's system profile (`us.`, `eu.`, `jp.`, ...).
    Geographic,
    /// A `global.` system profile.
    Global,
    /// An application inference profile.
    Application,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::OnDemand => "on-demand",
            Route::Geographic => "geographic-profile",
            Route::Global => "global-profile",
            Route::Application => "application-profile",
        }
    }
}

/// One way a target model will be called.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request: ModelRequest,
    pub region: Region,
    pub model: FoundationModel,
    /// What to pass as `modelId`: the base ID, or the profile's ID or ARN.
    pub model_id: String,
    pub profile: Option<InferenceProfile>,
    pub route: Route,
}

impl Invocation {
    /// The foundation-model ARNs a call may reach: the profile's, or the model's own.
    pub fn model_arns(&self) -> Vec<String> {
        match &self.profile {
            Some(profile) => profile.model_arns.clone(),
            None => vec![self.model.arn.clone()],
        }
    }

    /// Regions the call may be served in (region-less ARNs of global profiles left out).
    pub fn destination_regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self
            .model_arns()
            .iter()
            .filter_map(|a| arn_region(a))
            .collect();
        regions.dedup();
        regions
    }
}

/// One resource Bedrock authorizes for a call, with the context it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub resource: String,
    pub context: Vec<(String, Vec<String>)>,
}

/// What Bedrock authorizes for one call: the profile and each destination model (with the
/// profile in the context), or the model alone on demand.
pub fn needs(invocation: &Invocation) -> Vec<Need> {
    let region = invocation.region.to_string();
    match &invocation.profile {
        Some(profile) => {
            let mut needs = vec![Need {
                resource: profile.arn.clone(),
                context: vec![("aws:RequestedRegion".into(), vec![region])],
            }];
            for arn in &profile.model_arns {
                needs.push(Need {
                    resource: arn.clone(),
                    context: vec![
                        // The region-less ARN of global profiles is authorized with this value.
                        (
                            "aws:RequestedRegion".into(),
                            vec![arn_region(arn).unwrap_or_else(|| "unspecified".into())],
                        ),
                        (
                            "bedrock:InferenceProfileArn".into(),
                            vec![profile.arn.clone()],
                        ),
                    ],
                });
            }
            needs
        }
        None => vec![Need {
            resource: invocation.model.arn.clone(),
            context: vec![("aws:RequestedRegion".into(), vec![region])],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{SONNET, invocation, model, profile};

    #[test]
    fn each_destination_is_authorized_with_the_context_bedrock_sets() {
        let global = invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["", "us-east-1"],
            )),
        );
        let needs = needs(&global);
        assert_eq!(needs.len(), 3);
        assert_eq!(
            needs[0].context,
            [(
                "aws:RequestedRegion".to_string(),
                vec!["us-east-1".to_string()]
            )]
        );
        let region_less = &needs[1];
        assert_eq!(
            region_less.resource,
            format!("arn:aws:bedrock:::foundation-model/{SONNET}")
        );
        assert_eq!(region_less.context[0].1, ["unspecified"]);
        assert_eq!(
            region_less.context[1],
            (
                "bedrock:InferenceProfileArn".to_string(),
                vec![global.profile.as_ref().unwrap().arn.clone()]
            )
        );
    }
}
