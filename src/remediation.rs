//! The fixes more than one check (or command) prints: the commands and texts that repair one
//! cause, built in one place so that every finding about that cause offers the same words.
//! Commands are quoted with `shell::sh!`; nothing here reads AWS or decides whether a fix is
//! needed.

use std::fmt::Display;

use crate::domain::{FoundationModel, Invocation, Region};
use crate::shell::{sh, word};

/// The command that grants `principal_arn` (a user or role ARN) invoke on `models` in
/// `regions` with the `claude-invoke` template, runnable as printed; `None` for a principal
/// a managed policy cannot be attached to.
pub fn invoke_fix_command(
    principal_arn: &str,
    models: &[impl Display],
    regions: &[impl Display],
) -> Option<String> {
    let arn: crate::domain::Arn = principal_arn.parse().ok()?;
    let (kind, name) = arn.iam_principal()?;
    let mut words = vec![
        "bedrock-preflight".to_string(),
        "policy".into(),
        "apply".into(),
        "claude-invoke".into(),
        "--attach-to".into(),
        format!("{kind}/{name}"),
    ];
    for model in models {
        words.extend(["--model".to_string(), word(&model.to_string())]);
    }
    for region in regions {
        words.extend(["--region".to_string(), word(&region.to_string())]);
    }
    words.push("--yes".into());
    Some(words.join(" "))
}

/// The command with which an administrator accepts `model_id`'s agreement in `region`.
pub fn model_access_command(model_id: &str, region: &Region) -> String {
    sh![
        "bedrock-preflight",
        "setup",
        "model-access",
        "--model",
        model_id,
        "--region",
        region,
        "--yes"
    ]
}

/// How to submit the Anthropic use case form (the console's Model access page is gone).
pub fn use_case_fix(model: &FoundationModel, region: &Region) -> String {
    format!(
        "Submit the Anthropic use case form once for the account (or once in the organization's management account, for \
         every member): write its fields as JSON to use-case-form.json, then {command} (or Bedrock console > Model \
         catalog > {name} > Submit use case details); it takes effect within 15 minutes",
        command = sh![
            "bedrock-preflight",
            "setup",
            "model-access",
            "--model",
            model.id,
            "--region",
            region,
            "--use-case-form",
            "use-case-form.json",
            "--yes"
        ],
        name = model.name.as_deref().unwrap_or(&model.id),
    )
}

/// What to ask of the administrators when an SCP's region deny blocks a profile's hop to a
/// destination region.
pub fn scp_exemption(invocation: &Invocation) -> String {
    format!(
        "Ask the organization's administrators to exempt cross-region inference from the SCP's \
         region deny: add \"Condition\": {{\"ArnNotLike\": {{\"bedrock:InferenceProfileArn\": \
         [\"arn:aws:bedrock:*:*:inference-profile/*\", \"arn:aws:bedrock:*:*:application-inference-profile/*\"]}}}} \
         to the Deny on bedrock:InvokeModel*, so that profiles may reach their destination regions; \
         or call a profile whose destinations the SCP allows, or a model offered on demand in {}",
        invocation.region
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_command_names_the_principal_models_and_regions_and_quotes_globs() {
        assert_eq!(
            invoke_fix_command(
                "arn:aws:iam::123456789012:role/engineering/claude-developer",
                &["sonnet", "us.anthropic.claude-sonnet-4-6[1m]"],
                &["us-east-1"]
            )
            .unwrap(),
            "bedrock-preflight policy apply claude-invoke --attach-to role/claude-developer \
             --model sonnet --model 'us.anthropic.claude-sonnet-4-6[1m]' --region us-east-1 --yes"
        );
        assert_eq!(
            invoke_fix_command(
                "arn:aws:iam::123456789012:root",
                &[] as &[&str],
                &[] as &[&str]
            ),
            None
        );
    }
}
