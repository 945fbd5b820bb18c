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

/// An increase of one model's quotas in one region that a finding asks for: the evidence
/// `quota_increase` it carries, from which `doctor --fix` plans the increase, and the
/// `setup quotas` command a person runs for it. Every check that finds a quota too low for
/// the load gives the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaIncrease {
    /// The model as `--model` takes it: the ID the calls use, with `[1m]` for the 1M-token
    /// context window, whose quotas are others.
    pub model: String,
    pub region: Region,
    pub tpm: Option<u64>,
    pub rpm: Option<u64>,
    pub tokens_per_day: Option<u64>,
}

impl QuotaIncrease {
    /// Nothing asked yet, for the calls `invocation` makes.
    pub fn of(invocation: &Invocation) -> QuotaIncrease {
        let mut model = invocation.model_id.clone();
        if invocation.request.long_context {
            model.push_str("[1m]");
        }
        QuotaIncrease {
            model,
            region: invocation.region.clone(),
            tpm: None,
            rpm: None,
            tokens_per_day: None,
        }
    }

    /// The values asked, by the flag that asks each.
    fn values(&self) -> [(&'static str, Option<u64>); 3] {
        [
            ("tpm", self.tpm),
            ("rpm", self.rpm),
            ("tokens_per_day", self.tokens_per_day),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|(_, value)| value.is_none())
    }

    /// Both asks of one model in one region as one: the larger value of each.
    pub fn merge(&mut self, other: &QuotaIncrease) {
        let larger = |a: Option<u64>, b: Option<u64>| a.max(b);
        self.tpm = larger(self.tpm, other.tpm);
        self.rpm = larger(self.rpm, other.rpm);
        self.tokens_per_day = larger(self.tokens_per_day, other.tokens_per_day);
    }

    /// `{"model": M, "region": R, "tpm": N}`, with the values asked only.
    pub fn evidence(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("model".into(), self.model.clone().into());
        object.insert("region".into(), self.region.to_string().into());
        for (key, value) in self.values() {
            if let Some(value) = value {
                object.insert(key.into(), value.into());
            }
        }
        serde_json::Value::Object(object)
    }

    /// The increase a finding's `quota_increase` evidence asks for.
    pub fn from_evidence(evidence: &serde_json::Value) -> Result<QuotaIncrease, String> {
        let text = |key: &str| {
            evidence[key]
                .as_str()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| format!("quota_increase has no {key}: {evidence}"))
        };
        let value = |key: &str| match &evidence[key] {
            serde_json::Value::Null => Ok(None),
            number => number
                .as_u64()
                .filter(|n| (1..=crate::cli::QUOTA_VALUE_MAX).contains(n))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "quota_increase.{key} is not a number from 1 to {}: {evidence}",
                        crate::cli::QUOTA_VALUE_MAX
                    )
                }),
        };
        let increase = QuotaIncrease {
            model: text("model")?.to_string(),
            region: text("region")?.parse()?,
            tpm: value("tpm")?,
            rpm: value("rpm")?,
            tokens_per_day: value("tokens_per_day")?,
        };
        match increase.is_empty() {
            true => Err(format!("quota_increase asks for no value: {evidence}")),
            false => Ok(increase),
        }
    }

    /// `bedrock-preflight setup quotas --model M --region R --tpm N --yes`, runnable as printed.
    pub fn command(&self) -> String {
        let mut command = sh![
            "bedrock-preflight",
            "setup",
            "quotas",
            "--model",
            self.model,
            "--region",
            self.region
        ];
        for (key, value) in self.values() {
            if let Some(value) = value {
                command.push_str(&format!(" --{} {value}", key.replace('_', "-")));
            }
        }
        command.push_str(" --yes");
        command
    }
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
    fn a_quota_increase_is_evidence_doctor_reads_back_and_a_command_as_printed() {
        let mut long = crate::domain::testing::sonnet_through_us();
        long.request.long_context = true;
        let increase = QuotaIncrease {
            tpm: Some(5_000_000),
            tokens_per_day: Some(800_000_000),
            ..QuotaIncrease::of(&long)
        };
        assert_eq!(
            increase.evidence(),
            serde_json::json!({"model": "us.anthropic.claude-sonnet-4-6[1m]", "region": "us-east-1",
                               "tpm": 5_000_000, "tokens_per_day": 800_000_000})
        );
        assert_eq!(
            QuotaIncrease::from_evidence(&increase.evidence()),
            Ok(increase.clone())
        );
        let command = increase.command();
        assert_eq!(
            command,
            "bedrock-preflight setup quotas --model 'us.anthropic.claude-sonnet-4-6[1m]' \
             --region us-east-1 --tpm 5000000 --tokens-per-day 800000000 --yes"
        );
        assert_eq!(
            crate::shell::words_of(&command)[4],
            "us.anthropic.claude-sonnet-4-6[1m]"
        );
        for bad in [
            serde_json::json!({"model": "m", "region": "us-east-1"}),
            serde_json::json!({"model": "m", "region": "us-east-1", "tpm": 0}),
            serde_json::json!({"model": "m", "region": "moon", "tpm": 1}),
            serde_json::json!({"region": "us-east-1", "rpm": "5"}),
            serde_json::json!({"model": "m", "region": "us-east-1", "tokens_per_day": 20_000_000_000u64}),
        ] {
            assert!(QuotaIncrease::from_evidence(&bad).is_err(), "{bad}");
        }
        let mut merged = increase.clone();
        merged.merge(&QuotaIncrease {
            tpm: Some(6_000_000),
            rpm: Some(10),
            tokens_per_day: None,
            ..increase
        });
        assert_eq!(
            (merged.tpm, merged.rpm, merged.tokens_per_day),
            (Some(6_000_000), Some(10), Some(800_000_000))
        );
    }

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
