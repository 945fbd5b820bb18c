//! `facts.json`: what Claude Code does on Bedrock, by the version it starts at.

use std::sync::LazyLock;

use serde::Deserialize;

use super::Version;

#[derive(Debug, Deserialize)]
pub struct Facts {
    /// From here on, the region falls back to `AWS_DEFAULT_REGION` and the profile; before,
    /// only `AWS_REGION` is read.
    pub region_fallback_since: Version,
    pub empty_env_treated_as_unset_since: Version,
    pub bearer_header_dropped: Range,
    pub auth_header_conflict_fixed_in: Version,
    pub mantle_since: Version,
    /// The first version that can call each model; the most specific name first.
    pub model_minimums: Vec<ModelMinimum>,
    pub default_primary: Vec<DefaultModel>,
    /// Models with a 1M-token context window on Bedrock (`[1m]`).
    pub one_million_context: Vec<String>,
    pub min_output_tokens: u64,
}

#[derive(Debug, Deserialize)]
pub struct Range {
    pub from: Version,
    pub fixed_in: Version,
}

impl Range {
    pub fn contains(&self, version: Version) -> bool {
        self.from <= version && version < self.fixed_in
    }
}

#[derive(Debug, Deserialize)]
pub struct ModelMinimum {
    pub model: String,
    pub since: Version,
}

#[derive(Debug, Deserialize)]
pub struct DefaultModel {
    pub since: Version,
    /// A model as `--model` takes it.
    pub model: String,
    #[serde(default)]
    pub unconfirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

pub static FACTS: LazyLock<Facts> = LazyLock::new(|| {
    // Compiled in; a unit test parses it, so this cannot fail in a build that passed.
    serde_json::from_str(include_str!("facts.json")).expect("facts.json parses")
});

impl Facts {
    /// The first version that can call `model_id` (a Bedrock ID, profile ID or name), if
    /// it is one with a minimum.
    pub fn minimum_for(&self, model_id: &str) -> Option<&ModelMinimum> {
        self.model_minimums
            .iter()
            .find(|m| model_id.contains(m.model.as_str()))
    }

    /// The primary model of a version; of the newest known when the version is unknown.
    pub fn default_primary(&self, version: Option<Version>) -> &DefaultModel {
        let newest = self
            .default_primary
            .iter()
            .max_by_key(|d| d.since)
            .expect("facts.json has a default model");
        match version {
            None => newest,
            Some(version) => self
                .default_primary
                .iter()
                .filter(|d| d.since <= version)
                .max_by_key(|d| d.since)
                .unwrap_or(newest),
        }
    }

    pub fn supports_one_million(&self, model_id: &str) -> bool {
        self.one_million_context
            .iter()
            .any(|m| model_id.contains(m.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_parse_and_answer_by_version() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert_eq!(
            FACTS
                .minimum_for("us.anthropic.claude-fable-5-1")
                .unwrap()
                .since,
            v("2.1.255"),
            "the most specific name wins"
        );
        assert_eq!(
            FACTS
                .minimum_for("global.anthropic.claude-fable-5")
                .unwrap()
                .since,
            v("2.1.170")
        );
        assert!(
            FACTS
                .minimum_for("us.anthropic.claude-sonnet-4-6")
                .is_none()
        );
        assert_eq!(
            FACTS.default_primary(Some(v("2.1.100"))).model,
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(FACTS.default_primary(Some(v("2.1.207"))).model, "opus");
        assert!(FACTS.bearer_header_dropped.contains(v("2.1.95")));
        assert!(!FACTS.bearer_header_dropped.contains(v("2.1.96")));
        assert!(FACTS.supports_one_million("us.anthropic.claude-sonnet-4-6"));
        assert!(!FACTS.supports_one_million("us.anthropic.claude-haiku-4-5-20251001-v1:0"));
    }
}
