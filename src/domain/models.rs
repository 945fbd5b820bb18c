//! What `--model` may name, parsed at the edge, and how a request meets the live catalog:
//! friendly names pick the newest ACTIVE model of their family, IDs and ARNs are looked up,
//! unknown names get a "did you mean". Pure logic, no AWS calls.

use std::fmt;
use std::str::FromStr;

use super::{Arn, FoundationModel, InferenceProfile};

/// Geography prefixes of system-defined cross-region inference profiles.
pub const PROFILE_PREFIXES: &[&str] = &["global", "us", "us-gov", "eu", "apac", "jp", "au"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Sonnet,
    Opus,
    Haiku,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Sonnet => "sonnet",
            Family::Opus => "opus",
            Family::Haiku => "haiku",
        }
    }
}

/// One `--model` value: what it names, and whether it asks for the 1M-token context window
/// (`[1m]`, as Claude Code writes it; the suffix is never sent to Bedrock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRequest {
    pub name: ModelName,
    pub long_context: bool,
}

impl ModelRequest {
    /// The base model ID the request names directly, when it names one.
    pub fn base_id(&self) -> Option<&str> {
        self.name.base_id()
    }
}

impl From<ModelName> for ModelRequest {
    fn from(name: ModelName) -> Self {
        ModelRequest {
            name,
            long_context: false,
        }
    }
}

impl fmt::Display for ModelRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if self.long_context {
            f.write_str("[1m]")?;
        }
        Ok(())
    }
}

impl FromStr for ModelRequest {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        let suffix = value.len().saturating_sub(4);
        match value.get(suffix..) {
            Some(tail) if tail.eq_ignore_ascii_case("[1m]") => Ok(ModelRequest {
                name: value[..suffix].parse()?,
                long_context: true,
            }),
            _ => Ok(value.parse::<ModelName>()?.into()),
        }
    }
}

/// What one `--model` value names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelName {
    /// `sonnet`, `opus`, `haiku`: the newest ACTIVE model of the family.
    Family(Family),
    /// `anthropic.claude-sonnet-4-6`
    BaseId(String),
    /// `us.anthropic.claude-sonnet-4-6`, or the ARN of such a profile.
    Profile { id: String, base: String },
    /// `arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>`
    ApplicationProfile(String),
    /// One generation of a family (Opus 4.8), found in the live catalog, called through the
    /// `prefix` geography's profile when one is named: a model whose Bedrock ID is not known
    /// exactly, as Claude Code's newer defaults are. Never parsed from a flag.
    Generation {
        family: Family,
        version: (u32, u32),
        prefix: Option<String>,
    },
}

impl ModelName {
    /// The base model ID the request names directly, when it names one.
    pub fn base_id(&self) -> Option<&str> {
        match self {
            ModelName::BaseId(id) => Some(id),
            ModelName::Profile { base, .. } => Some(base),
            _ => None,
        }
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelName::Family(family) => f.write_str(family.as_str()),
            ModelName::BaseId(id) | ModelName::ApplicationProfile(id) => f.write_str(id),
            ModelName::Profile { id, .. } => f.write_str(id),
            ModelName::Generation {
                family,
                version: (major, minor),
                prefix,
            } => {
                if let Some(prefix) = prefix {
                    write!(f, "{prefix}.")?;
                }
                write!(f, "anthropic.claude-{}-{major}", family.as_str())?;
                if *minor > 0 {
                    write!(f, "-{minor}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for ModelName {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        let invalid = |why: &str| Err(format!("--model '{value}' {why}"));
        if value.is_empty() || value.contains(char::is_whitespace) {
            return invalid("is not a model name, ID or ARN");
        }
        match value.to_ascii_lowercase().as_str() {
            "sonnet" => return Ok(ModelName::Family(Family::Sonnet)),
            "opus" => return Ok(ModelName::Family(Family::Opus)),
            "haiku" => return Ok(ModelName::Family(Family::Haiku)),
            _ => {}
        }
        if value.starts_with("arn:") {
            let not_bedrock = || invalid("is not a Bedrock model or inference profile ARN");
            let Ok(arn) = value.parse::<Arn>() else {
                return not_bedrock();
            };
            if arn.service() != "bedrock" {
                return not_bedrock();
            }
            return match arn.typed_resource() {
                Some(("foundation-model", id)) => Ok(ModelName::BaseId(id.to_string())),
                Some(("inference-profile", id)) => {
                    Ok(profile_request(id).unwrap_or_else(|| ModelName::Profile {
                        id: id.to_string(),
                        base: id.to_string(),
                    }))
                }
                Some(("application-inference-profile", _)) => {
                    Ok(ModelName::ApplicationProfile(value.to_string()))
                }
                _ => invalid(
                    "is not a foundation-model, inference-profile or application-inference-profile ARN",
                ),
            };
        }
        if value.to_ascii_lowercase().starts_with("claude-") {
            // The Anthropic API's name for the model: Bedrock's ID adds the provider.
            return invalid(&format!(
                "is the Anthropic API's name: on Bedrock it is anthropic.{value} (or \
                 us.anthropic.{value} through a profile, or sonnet, opus or haiku for the newest)"
            ));
        }
        if !value.contains('.') {
            return invalid(
                "is neither sonnet, opus, haiku nor a model ID such as anthropic.claude-sonnet-4-6",
            );
        }
        Ok(profile_request(value).unwrap_or_else(|| ModelName::BaseId(value.to_string())))
    }
}

fn profile_request(id: &str) -> Option<ModelName> {
    let (prefix, base) = id.split_once('.')?;
    PROFILE_PREFIXES
        .contains(&prefix)
        .then(|| ModelName::Profile {
            id: id.to_string(),
            base: base.to_string(),
        })
}

/// `(major, minor, date)` of a Claude model ID of `family`: both `claude-sonnet-4-5-20250929`
/// and `claude-3-5-haiku-20241022` naming, and suffix-less IDs like `claude-sonnet-4-6`.
fn family_version(model_id: &str, family: Family) -> Option<(u32, u32, u32)> {
    let name = model_id.strip_prefix("anthropic.")?;
    let tokens: Vec<&str> = name.split(['-', ':']).collect();
    if tokens.first() != Some(&"claude") {
        return None;
    }
    let at = tokens.iter().position(|t| *t == family.as_str())?;
    let small = |t: &str| t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    let after: Vec<u32> = tokens[at + 1..]
        .iter()
        .take_while(|t| small(t))
        .filter_map(|t| t.parse().ok())
        .collect();
    let before: Vec<u32> = tokens[1..at]
        .iter()
        .filter(|t| small(t))
        .filter_map(|t| t.parse().ok())
        .collect();
    let numbers = if after.is_empty() { before } else { after };
    let date = tokens
        .iter()
        .find(|t| t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    Some((
        *numbers.first()?,
        numbers.get(1).copied().unwrap_or(0),
        date,
    ))
}

/// The newest ACTIVE Anthropic model of `family` in `catalog`.
pub fn newest(catalog: &[FoundationModel], family: Family) -> Option<&FoundationModel> {
    newest_where(catalog, family, |_| true)
}

/// The newest ACTIVE Anthropic model of one generation of `family` (`(4, 8)`: Opus 4.8).
pub fn newest_of_generation(
    catalog: &[FoundationModel],
    family: Family,
    version: (u32, u32),
) -> Option<&FoundationModel> {
    newest_where(catalog, family, |(major, minor, _)| {
        (major, minor) == version
    })
}

fn newest_where(
    catalog: &[FoundationModel],
    family: Family,
    keep: impl Fn((u32, u32, u32)) -> bool,
) -> Option<&FoundationModel> {
    catalog
        .iter()
        .filter(|m| m.lifecycle.status == "ACTIVE" && m.provider.as_deref() == Some("Anthropic"))
        .filter_map(|m| family_version(&m.id, family).map(|v| (v, m)))
        .filter(|(version, _)| keep(*version))
        .max_by_key(|(version, _)| *version)
        .map(|(_, model)| model)
}

/// The family and generation (`(4, 5)`) of a Claude base model ID.
pub fn generation_of(model_id: &str) -> Option<(Family, (u32, u32))> {
    [Family::Sonnet, Family::Opus, Family::Haiku]
        .into_iter()
        .find_map(|family| {
            family_version(model_id, family).map(|(major, minor, _)| (family, (major, minor)))
        })
}

/// The family a Claude model ID belongs to.
pub fn family_of(model_id: &str) -> Option<Family> {
    [Family::Sonnet, Family::Opus, Family::Haiku]
        .into_iter()
        .find(|family| family_version(model_id, *family).is_some())
}

/// The closest catalog ID to what was typed, when one is close enough to be a typo.
pub fn did_you_mean<'a>(typed: &str, catalog: &'a [FoundationModel]) -> Option<&'a str> {
    let typed = typed
        .split_once('.')
        .filter(|(p, _)| PROFILE_PREFIXES.contains(p))
        .map(|(_, b)| b)
        .unwrap_or(typed);
    super::closest(catalog.iter().map(|m| m.id.as_str()), typed)
}

/// The system profile to call `base_id` through from this region: the region's own
/// geography first (data stays in it), then `global.`.
pub fn preferred_profile<'a>(
    profiles: &'a [InferenceProfile],
    base_id: &str,
) -> Option<&'a InferenceProfile> {
    let usable = |p: &&InferenceProfile| p.kind == "SYSTEM_DEFINED" && p.status == "ACTIVE";
    let of_model = |p: &&InferenceProfile| {
        p.id.split_once('.')
            .is_some_and(|(prefix, base)| base == base_id && PROFILE_PREFIXES.contains(&prefix))
    };
    let mut candidates: Vec<&InferenceProfile> =
        profiles.iter().filter(usable).filter(of_model).collect();
    candidates.sort_by_key(|p| p.id.starts_with("global."));
    candidates.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lifecycle;

    fn model(id: &str, status: &str) -> FoundationModel {
        FoundationModel {
            id: id.into(),
            arn: format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"),
            name: None,
            provider: Some(
                if id.starts_with("anthropic.") {
                    "Anthropic"
                } else {
                    "Amazon"
                }
                .into(),
            ),
            inference_types: vec!["INFERENCE_PROFILE".into()],
            lifecycle: Lifecycle {
                status: status.into(),
                legacy_time: None,
                public_extended_access_time: None,
                end_of_life_time: None,
            },
        }
    }

    #[test]
    fn parses_every_kind_of_model_name() {
        let parse = |s: &str| s.parse::<ModelName>();
        assert_eq!(parse("Sonnet"), Ok(ModelName::Family(Family::Sonnet)));
        assert_eq!(
            parse("anthropic.claude-sonnet-4-6"),
            Ok(ModelName::BaseId("anthropic.claude-sonnet-4-6".into()))
        );
        assert_eq!(
            parse("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            Ok(ModelName::Profile {
                id: "us.anthropic.claude-haiku-4-5-20251001-v1:0".into(),
                base: "anthropic.claude-haiku-4-5-20251001-v1:0".into()
            })
        );
        assert_eq!(
            parse("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6-v1"),
            Ok(ModelName::BaseId("anthropic.claude-opus-4-6-v1".into()))
        );
        assert_eq!(
            parse(
                "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6"
            ),
            Ok(ModelName::Profile {
                id: "eu.anthropic.claude-sonnet-4-6".into(),
                base: "anthropic.claude-sonnet-4-6".into()
            })
        );
        let app =
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
        assert_eq!(parse(app), Ok(ModelName::ApplicationProfile(app.into())));
        for bad in [
            "",
            "claude",
            "gpt 4",
            "arn:aws:s3:::bucket",
            "arn:aws:bedrock:us-east-1:123:guardrail/x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_1m_suffix_asks_for_the_long_context_window() {
        let request: ModelRequest = "us.anthropic.claude-sonnet-4-6[1m]".parse().unwrap();
        assert!(request.long_context);
        assert_eq!(request.base_id(), Some("anthropic.claude-sonnet-4-6"));
        assert_eq!(request.to_string(), "us.anthropic.claude-sonnet-4-6[1m]");
        let plain: ModelRequest = "sonnet".parse().unwrap();
        assert!(!plain.long_context);
        assert!("[1m]".parse::<ModelRequest>().is_err());
    }

    #[test]
    fn newest_compares_versions_not_strings() {
        let catalog = vec![
            model("anthropic.claude-sonnet-4-5-20250929-v1:0", "ACTIVE"),
            model("anthropic.claude-sonnet-4-6", "ACTIVE"),
            model("anthropic.claude-sonnet-4-20250514-v1:0", "ACTIVE"),
            model("anthropic.claude-3-7-sonnet-20250219-v1:0", "ACTIVE"),
            model("anthropic.claude-sonnet-4-7", "LEGACY"),
            model("anthropic.claude-3-5-haiku-20241022-v1:0", "ACTIVE"),
            model("anthropic.claude-haiku-4-5-20251001-v1:0", "ACTIVE"),
            model("amazon.nova-pro-v1:0", "ACTIVE"),
        ];
        assert_eq!(
            newest(&catalog, Family::Sonnet).unwrap().id,
            "anthropic.claude-sonnet-4-6"
        );
        assert_eq!(
            newest(&catalog, Family::Haiku).unwrap().id,
            "anthropic.claude-haiku-4-5-20251001-v1:0"
        );
        assert!(newest(&catalog, Family::Opus).is_none());
        assert_eq!(
            newest_of_generation(&catalog, Family::Sonnet, (4, 5))
                .unwrap()
                .id,
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "a newer generation is not the one asked for"
        );
        assert!(newest_of_generation(&catalog, Family::Sonnet, (4, 7)).is_none());
        assert_eq!(
            family_version("anthropic.claude-opus-5", Family::Opus),
            Some((5, 0, 0))
        );
        assert_eq!(
            family_version("anthropic.claude-3-haiku-20240307-v1:0", Family::Haiku),
            Some((3, 0, 20240307))
        );
    }

    #[test]
    fn suggests_the_model_a_typo_meant() {
        let catalog = vec![
            model("anthropic.claude-sonnet-4-6", "ACTIVE"),
            model("anthropic.claude-opus-4-6-v1", "ACTIVE"),
        ];
        assert_eq!(
            did_you_mean("anthropic.claude-sonet-4-6", &catalog),
            Some("anthropic.claude-sonnet-4-6")
        );
        assert_eq!(
            did_you_mean("us.anthropic.claude-opus-4-6", &catalog),
            Some("anthropic.claude-opus-4-6-v1")
        );
        assert_eq!(did_you_mean("mistral.large", &catalog), None);
    }

    #[test]
    fn prefers_the_regional_geography_over_global() {
        let profile = |id: &str| InferenceProfile {
            id: id.into(),
            arn: String::new(),
            name: String::new(),
            kind: "SYSTEM_DEFINED".into(),
            status: "ACTIVE".into(),
            model_arns: vec![],
        };
        let profiles = vec![
            profile("global.anthropic.claude-sonnet-4-6"),
            profile("eu.anthropic.claude-sonnet-4-6"),
            profile("eu.anthropic.claude-opus-4-6-v1"),
        ];
        assert_eq!(
            preferred_profile(&profiles, "anthropic.claude-sonnet-4-6")
                .unwrap()
                .id,
            "eu.anthropic.claude-sonnet-4-6"
        );
        assert_eq!(
            preferred_profile(&profiles[..1], "anthropic.claude-sonnet-4-6")
                .unwrap()
                .id,
            "global.anthropic.claude-sonnet-4-6"
        );
        assert!(preferred_profile(&profiles, "anthropic.claude-haiku-4-5").is_none());
    }
}
