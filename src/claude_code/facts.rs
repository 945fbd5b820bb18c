//! `facts.json`: what Claude Code does on Bedrock, by the version it starts at, each fact with
//! its source. Loading refuses a fact without one, so nothing here rests on memory.

use std::sync::LazyLock;

use serde::Deserialize;

use super::Version;
use crate::domain::Family;

/// Where a fact comes from: `CHANGELOG <version>: <line>`, `docs <page>: <words>` or
/// `error <where>: <words>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source(String);

impl Source {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (cited, words) = text.split_once(": ").unwrap_or((text, ""));
        let well_cited = match cited.split_once(' ') {
            Some(("CHANGELOG", version)) => version.parse::<Version>().is_ok(),
            Some(("docs" | "error", place)) => !place.trim().is_empty(),
            _ => false,
        };
        if well_cited && !words.trim().is_empty() {
            Ok(Source(text.to_string()))
        } else {
            Err(format!(
                "'{text}' is not a source: expected 'CHANGELOG <version>: <line>', 'docs <page>: <words>' or 'error <where>: <words>'"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    #[serde(rename = "_about")]
    _about: String,
    /// The last CHANGELOG version whose entries these facts reflect.
    pub reviewed_through: Version,
    /// From here on, the region falls back to `AWS_DEFAULT_REGION` and the profile; before,
    /// only `AWS_REGION` is read.
    pub region_fallback: Since,
    pub empty_value_ignored: EmptyValueRule,
    pub bearer_header_dropped: Range,
    pub auth_header_conflict_fixed: Since,
    pub mantle: Since,
    pub service_tier: ServiceTier,
    pub region_prefix: RegionPrefixRule,
    /// The first version that can call each model; the most specific name first.
    pub model_minimums: Vec<ModelMinimum>,
    pub default_primary: Vec<DefaultModel>,
    pub default_background: Vec<DefaultBackground>,
    pub mantle_background_main_loop: Since,
    pub one_million_context: Vec<LongContext>,
    pub min_output_tokens: Threshold,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    pub since: Version,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyValueRule {
    pub since: Version,
    /// The only variables whose empty value the fix covers.
    pub variables: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub from: Version,
    pub fixed_in: Version,
    pub source: Source,
}

impl Range {
    pub fn contains(&self, version: Version) -> bool {
        self.from <= version && version < self.fixed_in
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTier {
    pub since: Version,
    pub values: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrefixRule {
    /// Where the region-appropriate prefix itself began is a `default_primary` entry.
    pub govcloud_since: Version,
    pub govcloud_source: Source,
    /// `ANTHROPIC_BEDROCK_REGION_PREFIX` is read from here on.
    pub variable_since: Version,
    pub variable_source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMinimum {
    pub model: String,
    pub since: Version,
    pub source: Source,
    /// Another source names a later first version: between the two, the verdict is a warning.
    #[serde(default)]
    pub disputed_until: Option<Version>,
    #[serde(default)]
    pub disputed_source: Option<Source>,
}

/// Where the geography prefix of a default model comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefixRule {
    Us,
    Global,
    /// The region's geography (`ANTHROPIC_BEDROCK_REGION_PREFIX` where the version reads it).
    Region,
}

/// A model as a default names it: a Bedrock base ID, or a generation of a family
/// (`claude-opus-4-8`) where the Bedrock ID is not known exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultName {
    BaseId(String),
    Generation(Family, (u32, u32)),
}

impl DefaultName {
    fn parse(text: &str) -> Result<DefaultName, String> {
        if text.starts_with("anthropic.") {
            return Ok(DefaultName::BaseId(text.to_string()));
        }
        let invalid =
            || format!("'{text}' is neither a base model ID nor claude-<family>-<major>[-<minor>]");
        let rest = text.strip_prefix("claude-").ok_or_else(invalid)?;
        let mut parts = rest.split('-');
        let family = match parts.next() {
            Some("opus") => Family::Opus,
            Some("sonnet") => Family::Sonnet,
            Some("haiku") => Family::Haiku,
            _ => return Err(invalid()),
        };
        let numbers: Vec<u32> = parts
            .map(|p| p.parse().map_err(|_| invalid()))
            .collect::<Result<_, _>>()?;
        match numbers[..] {
            [major] => Ok(DefaultName::Generation(family, (major, 0))),
            [major, minor] => Ok(DefaultName::Generation(family, (major, minor))),
            _ => Err(invalid()),
        }
    }
}

impl<'de> Deserialize<'de> for DefaultName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DefaultName::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultModel {
    pub since: Version,
    pub model: DefaultName,
    pub prefix: PrefixRule,
    #[serde(default)]
    pub unconfirmed: bool,
    pub source: Source,
}

/// What background side-queries call when no Haiku-class model is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Background {
    /// Not recorded for these versions.
    Unknown,
    /// The main-loop model.
    MainLoop,
    Model(DefaultName),
}

impl<'de> Deserialize<'de> for Background {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "unknown" => Ok(Background::Unknown),
            "main-loop" => Ok(Background::MainLoop),
            _ => DefaultName::parse(&text)
                .map(Background::Model)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultBackground {
    pub since: Version,
    pub calls: Background,
    #[serde(default)]
    pub prefix: Option<PrefixRule>,
    #[serde(default)]
    pub unconfirmed: bool,
    pub source: Source,
}

/// How a model has its 1M-token window on Bedrock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// With `[1m]`.
    OnRequest,
    /// Without asking; Claude Code strips `[1m]` from `since` on.
    ByDefault,
    /// The model has no other window; `[1m]` changes nothing.
    Always,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongContext {
    pub model: String,
    pub window: Window,
    #[serde(default)]
    pub since: Option<Version>,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: u64,
    pub source: Source,
}

impl Facts {
    /// Parses and checks facts: every entry has a well-formed source, defaults start at
    /// 0.0.0 so every version has one, a dispute names its other source.
    pub fn parse(text: &str) -> Result<Facts, String> {
        let facts: Facts = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let zero = Version(0, 0, 0);
        if !facts.default_primary.iter().any(|d| d.since == zero) {
            return Err("default_primary has no entry since 0.0.0".into());
        }
        if !facts.default_background.iter().any(|d| d.since == zero) {
            return Err("default_background has no entry since 0.0.0".into());
        }
        for minimum in &facts.model_minimums {
            if minimum.disputed_until.is_some() != minimum.disputed_source.is_some() {
                return Err(format!(
                    "{}: disputed_until and disputed_source go together",
                    minimum.model
                ));
            }
        }
        Ok(facts)
    }

    /// The first version that can call `model_id` (a Bedrock ID, profile ID or name), if
    /// it is one with a minimum.
    pub fn minimum_for(&self, model_id: &str) -> Option<&ModelMinimum> {
        self.model_minimums
            .iter()
            .find(|m| model_id.contains(m.model.as_str()))
    }

    /// The primary model of a version; of the newest known when the version is unknown.
    pub fn default_primary(&self, version: Option<Version>) -> &DefaultModel {
        by_version(&self.default_primary, version, |d| d.since)
    }

    /// What background side-queries call by default in a version.
    pub fn default_background(&self, version: Option<Version>) -> &DefaultBackground {
        by_version(&self.default_background, version, |d| d.since)
    }

    /// How `model_id` has a 1M-token window on Bedrock, if it has one.
    pub fn long_context(&self, model_id: &str) -> Option<&LongContext> {
        self.one_million_context
            .iter()
            .find(|m| model_id.contains(m.model.as_str()))
    }
}

/// The entry in force at `version` (the newest when unknown). `Facts::parse` guarantees an
/// entry since 0.0.0, so one always applies.
fn by_version<T>(entries: &[T], version: Option<Version>, since: impl Fn(&T) -> Version) -> &T {
    let at = version.unwrap_or(Version(u32::MAX, u32::MAX, u32::MAX));
    entries
        .iter()
        .filter(|e| since(e) <= at)
        .max_by_key(|e| since(e))
        .unwrap_or(&entries[0])
}

pub static FACTS: LazyLock<Facts> = LazyLock::new(|| {
    // Compiled in; a unit test parses it, so this cannot fail in a build that passed.
    Facts::parse(include_str!("facts.json")).expect("facts.json is valid")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn the_facts_parse_and_answer_by_version() {
        let facts = Facts::parse(include_str!("facts.json")).unwrap();
        assert_eq!(facts.reviewed_through, v("2.1.240"));
        let fable = facts.minimum_for("us.anthropic.claude-fable-5-1").unwrap();
        assert_eq!(fable.since, v("2.1.251"), "the most specific name wins");
        assert_eq!(fable.disputed_until, Some(v("2.1.255")));
        assert_eq!(
            facts
                .minimum_for("global.anthropic.claude-fable-5")
                .unwrap()
                .since,
            v("2.1.170")
        );
        assert!(
            facts
                .minimum_for("us.anthropic.claude-sonnet-4-6")
                .is_none()
        );
        let sonnet_4_5 =
            DefaultName::BaseId("anthropic.claude-sonnet-4-5-20250929-v1:0".to_string());
        let primary = facts.default_primary(Some(v("2.1.100")));
        assert_eq!(
            (&primary.model, primary.prefix),
            (&sonnet_4_5, PrefixRule::Global)
        );
        let primary = facts.default_primary(Some(v("2.1.150")));
        assert_eq!(
            (&primary.model, primary.prefix),
            (&sonnet_4_5, PrefixRule::Region)
        );
        assert_eq!(
            facts.default_primary(Some(v("2.1.210"))).model,
            DefaultName::Generation(Family::Opus, (4, 8))
        );
        assert_eq!(
            facts.default_primary(None).model,
            DefaultName::Generation(Family::Opus, (5, 0))
        );
        assert_eq!(
            facts.default_background(Some(v("2.1.150"))).calls,
            Background::MainLoop
        );
        assert!(facts.bearer_header_dropped.contains(v("2.1.95")));
        assert!(!facts.bearer_header_dropped.contains(v("2.1.96")));
        assert_eq!(
            facts
                .long_context("us.anthropic.claude-sonnet-4-6")
                .unwrap()
                .window,
            Window::OnRequest
        );
        assert_eq!(
            facts
                .long_context("us.anthropic.claude-fable-5-1")
                .unwrap()
                .window,
            Window::ByDefault
        );
        assert_eq!(
            facts
                .long_context("global.anthropic.claude-sonnet-5")
                .unwrap()
                .window,
            Window::Always
        );
        assert!(
            facts
                .long_context("us.anthropic.claude-haiku-4-5-20251001-v1:0")
                .is_none()
        );
    }

    #[test]
    fn a_fact_without_a_source_is_refused() {
        let text = include_str!("facts.json");
        let mut facts: serde_json::Value = serde_json::from_str(text).unwrap();
        assert!(Facts::parse(&facts.to_string()).is_ok());

        facts["model_minimums"][1]
            .as_object_mut()
            .unwrap()
            .remove("source");
        let error = Facts::parse(&facts.to_string()).unwrap_err();
        assert!(error.contains("missing field `source`"), "{error}");

        let mut facts: serde_json::Value = serde_json::from_str(text).unwrap();
        facts["default_primary"][2]["source"] = "I remember it so".into();
        let error = Facts::parse(&facts.to_string()).unwrap_err();
        assert!(error.contains("is not a source"), "{error}");

        let mut facts: serde_json::Value = serde_json::from_str(text).unwrap();
        facts["one_million_context"][0]["source"] = "CHANGELOG 2.1.x: a line".into();
        assert!(
            Facts::parse(&facts.to_string()).is_err(),
            "the version must be one"
        );

        let mut facts: serde_json::Value = serde_json::from_str(text).unwrap();
        facts["service_tier"]["source"] = "docs code.claude.com/docs/en/settings: ".into();
        assert!(
            Facts::parse(&facts.to_string()).is_err(),
            "the words must be given"
        );

        let mut facts: serde_json::Value = serde_json::from_str(text).unwrap();
        facts["model_minimums"][0]
            .as_object_mut()
            .unwrap()
            .remove("disputed_source");
        assert!(
            Facts::parse(&facts.to_string()).is_err(),
            "a dispute names its other source"
        );
    }
}
