//! Claude Code's configuration, resolved the way Claude Code resolves it: the shell's
//! environment, then the `env` block of each settings file (a file's `env` overrides the
//! shell), managed settings first, then local project, project, user. Local only: no AWS call.
//! What depends on Claude Code's version is in `facts.json`, with the version it starts at.

mod facts;
mod version;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::domain::models::{PROFILE_PREFIXES, generation_of};
use crate::domain::{ModelName, ModelRequest, home_geography};
use crate::files::{self, ReadError};

pub use facts::{Background, DefaultName, FACTS, Facts, ModelMinimum, PrefixRule, Window};
pub use version::Version;

/// Where a settings file sits in Claude Code's precedence, highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Managed,
    Local,
    Project,
    User,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Managed => "managed",
            Level::Local => "local project",
            Level::Project => "project",
            Level::User => "user",
        }
    }
}

/// One settings file that exists, parsed or not.
#[derive(Clone, Debug)]
pub struct SettingsFile {
    pub level: Level,
    pub path: PathBuf,
    /// The document, or why Claude Code cannot use it.
    pub content: Result<Value, Unreadable>,
}

/// Why a settings file that exists cannot be used, and where in it when that is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub cause: Cause,
    pub why: String,
    /// 1-based line and column.
    pub at: Option<(usize, usize)>,
    /// The text of that line, trimmed, with a secret-looking value left out.
    pub line: Option<String>,
}

/// What kind of trouble a settings file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Not a readable text file: a directory, a dangling link, too large, not UTF-8.
    NotReadable,
    NotJson,
    /// JSON, with a setting of the wrong type.
    WrongType,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.why),
            None => f.write_str(&self.why),
        }
    }
}

/// Settings whose value must have one JSON type, as Claude Code's schema has it: a file with
/// another type there is one Claude Code does not use.
const TYPED_SETTINGS: &[(&str, &str)] = &[
    ("env", "an object of strings"),
    ("model", "a string"),
    ("modelOverrides", "an object of strings"),
    ("availableModels", "an array of strings"),
    ("apiKeyHelper", "a string"),
    ("awsAuthRefresh", "a string"),
    ("awsCredentialExport", "a string"),
];

impl SettingsFile {
    /// `None` when nothing is at `path`; a file that is there but cannot be read or used is
    /// kept with the reason.
    fn read(level: Level, path: PathBuf) -> Option<SettingsFile> {
        let content = match files::read_text_blocking(&path, files::INPUT_LIMIT) {
            Err(ReadError::NotFound) => return None,
            Err(ReadError::NotUtf8 { line, column }) => Err(Unreadable {
                cause: Cause::NotReadable,
                why: "it is not UTF-8 text".into(),
                at: Some((line, column)),
                line: None,
            }),
            Err(error) => Err(unreadable(error.to_string())),
            Ok(text) => parse_settings(&text),
        };
        Some(SettingsFile {
            level,
            path,
            content,
        })
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.content.as_ref().ok()?.get(key)
    }
}

fn unreadable(why: String) -> Unreadable {
    Unreadable {
        cause: Cause::NotReadable,
        why,
        at: None,
        line: None,
    }
}

/// The settings document in `text`, or why Claude Code cannot use it.
fn parse_settings(text: &str) -> Result<Value, Unreadable> {
    let at = |cause: Cause, line: usize, column: usize, why: String| Unreadable {
        cause,
        why,
        at: Some((line, column)),
        line: quoted_line(text, line),
    };
    let value = serde_json::from_str::<Value>(text).map_err(|e| {
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let text = e.to_string();
        let what = text.strip_suffix(&suffix).unwrap_or(&text);
        at(
            Cause::NotJson,
            e.line(),
            e.column(),
            format!("it is not valid JSON: {what}"),
        )
    })?;
    // Registered before any check of types, so a file refused below still never shows them.
    if let Some(Value::Object(env)) = value.get("env") {
        for (name, setting) in env {
            if let (true, Some(secret)) = (crate::secrets::names_secret(name), setting.as_str()) {
                crate::secrets::register(secret);
            }
        }
    }
    let Value::Object(settings) = &value else {
        return Err(at(
            Cause::WrongType,
            1,
            1,
            "it is JSON but not an object".into(),
        ));
    };
    for (key, expected) in TYPED_SETTINGS {
        let Some(setting) = settings.get(*key) else {
            continue;
        };
        let fits = match *expected {
            "a string" => setting.is_string(),
            "an object of strings" => setting
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_string)),
            _ => setting
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
        };
        if !fits {
            // The value itself stays out: an `env` block is where keys and tokens live.
            let why = format!(
                "\"{key}\" must be {expected}, not {}",
                misfit(setting, expected)
            );
            return Err(match key_position(text, key) {
                Some((line, column)) => at(Cause::WrongType, line, column, why),
                None => Unreadable {
                    cause: Cause::WrongType,
                    ..unreadable(why)
                },
            });
        }
    }
    Ok(value)
}

/// What is wrong with `setting` in words that name JSON types and keys, never values.
fn misfit(setting: &Value, expected: &str) -> String {
    let inner = match setting {
        Value::Object(o) if expected.starts_with("an object") => {
            o.iter().find(|(_, v)| !v.is_string())
        }
        _ => None,
    };
    match inner {
        Some((name, v)) => format!("an object whose \"{name}\" is {}", json_type(v)),
        None => match setting {
            Value::Array(a) if expected.starts_with("an array") => {
                a.iter().find(|v| !v.is_string()).map_or_else(
                    || json_type(setting).into(),
                    |v| format!("an array holding {}", json_type(v)),
                )
            }
            _ => json_type(setting).into(),
        },
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where `"key":` first appears in `text`, 1-based.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{key}\"");
    text.lines().enumerate().find_map(|(n, line)| {
        let at = line.find(&quoted)?;
        line[at + quoted.len()..]
            .trim_start()
            .starts_with(':')
            .then(|| (n + 1, line[..at].chars().count() + 1))
    })
}

/// Line `number` of `text`, trimmed and cut short, for a fix to quote; a value on a line
/// that names a key, secret or token is left out.
fn quoted_line(text: &str, number: usize) -> Option<String> {
    let line = text.lines().nth(number.checked_sub(1)?)?.trim();
    let secret = crate::secrets::names_secret(line);
    let shown = match line.split_once(':') {
        Some((name, _)) if secret => format!("{name}: …"),
        None if secret => "(not shown: it may hold a secret)".to_string(),
        _ => line.to_string(),
    };
    Some(match shown.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &shown[..cut]),
        None => shown,
    })
}

/// Where an effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Shell,
    /// The `env` block, or a setting, of this file.
    File(Level, PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Shell => write!(f, "the shell environment"),
            Origin::File(level, path) => {
                write!(f, "{} ({} settings)", path.display(), level.as_str())
            }
        }
    }
}

/// What Claude Code's `isEnvTruthy` takes for on. Its source as mirrored publicly, not its
/// CHANGELOG or documentation (which only ever write `1`): findings built on it say so.
pub const SWITCH_ON: &[&str] = &["1", "true", "yes", "on"];
/// Values that plainly mean off; any other value is also off, but unclear.
const SWITCH_OFF: &[&str] = &["0", "false", "no", "off"];
/// Where `SWITCH_ON` comes from, for the findings that rest on it.
pub const SWITCH_SOURCE: &str = "Claude Code's isEnvTruthy (its source as mirrored publicly; neither the \
     CHANGELOG nor the docs state it): unconfirmed";
/// The on/off variables of Claude Code on Bedrock.
const SWITCHES: &[&str] = &[
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_MANTLE",
    "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
    "CLAUDE_CODE_SKIP_MANTLE_AUTH",
    "DISABLE_PROMPT_CACHING",
    "ENABLE_PROMPT_CACHING_1H",
];

/// Where Claude Code looks for its settings on this machine.
#[derive(Clone, Debug)]
pub struct Places {
    pub managed: PathBuf,
    pub project: PathBuf,
    /// `CLAUDE_CONFIG_DIR`, else `~/.claude`.
    pub user_dir: Option<PathBuf>,
}

impl Places {
    /// This machine's: the operating system's managed settings file, the working
    /// directory as the project, and the user's directory from the shell's environment.
    pub fn here(shell: &BTreeMap<String, String>) -> Places {
        let managed = if cfg!(target_os = "macos") {
            PathBuf::from("/Library/Application Support/ClaudeCode/managed-settings.json")
        } else if cfg!(windows) {
            PathBuf::from(r"C:\Program Files\ClaudeCode\managed-settings.json")
        } else {
            PathBuf::from("/etc/claude-code/managed-settings.json")
        };
        let user_dir = shell
            .get("CLAUDE_CONFIG_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                shell
                    .get("HOME")
                    .or_else(|| shell.get("USERPROFILE"))
                    .map(|home| Path::new(home).join(".claude"))
            });
        Places {
            managed,
            project: std::env::current_dir().unwrap_or_default(),
            user_dir,
        }
    }

    /// Every settings file Claude Code may read here, highest precedence first.
    pub fn settings_files(&self) -> Vec<(Level, PathBuf)> {
        let mut files = vec![
            (Level::Managed, self.managed.clone()),
            (
                Level::Local,
                self.project.join(".claude/settings.local.json"),
            ),
            (Level::Project, self.project.join(".claude/settings.json")),
        ];
        if let Some(dir) = &self.user_dir {
            files.push((Level::User, dir.join("settings.json")));
        }
        files
    }
}

/// Claude Code's effective configuration.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The settings files that exist, highest precedence first.
    pub files: Vec<SettingsFile>,
    /// The installed version, from `claude --version`.
    pub version: Option<Version>,
    env: BTreeMap<String, (String, Origin)>,
}

/// The variables Claude Code reads a model from, in the order it weighs them.
pub const MODEL_VARIABLES: &[&str] = &[
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_DEFAULT_FABLE_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "CLAUDE_CODE_SUBAGENT_MODEL",
];

/// The region Claude Code will call, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionChoice {
    pub region: String,
    pub source: String,
    /// A region the user set that this version does not read, and where it was set.
    pub ignored: Option<(String, String)>,
    /// The region comes from a fallback only newer versions read, and the version is
    /// unknown.
    pub unsure: bool,
}

/// One model Claude Code will call, and what named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedModel {
    pub value: String,
    /// `ANTHROPIC_MODEL`, `model`, `modelOverrides.<key>`, ...
    pub named_by: String,
    pub origin: Origin,
}

impl Setup {
    /// Reads the settings files at `places` and merges their `env` blocks over `shell`.
    pub fn discover(
        shell: &BTreeMap<String, String>,
        places: &Places,
        version: Option<Version>,
    ) -> Setup {
        let files: Vec<SettingsFile> = places
            .settings_files()
            .into_iter()
            .filter_map(|(level, path)| SettingsFile::read(level, path))
            .collect();
        let mut env: BTreeMap<String, (String, Origin)> = shell
            .iter()
            .map(|(k, v)| (k.clone(), (v.clone(), Origin::Shell)))
            .collect();
        // Lowest precedence first, so a higher file's value replaces a lower one's.
        for file in files.iter().rev() {
            let Some(Value::Object(block)) = file.get("env") else {
                continue;
            };
            for (key, value) in block {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                env.insert(
                    key.clone(),
                    (text, Origin::File(file.level, file.path.clone())),
                );
            }
        }
        Setup {
            files,
            version,
            env,
        }
    }

    /// The effective value of an environment variable and where it came from.
    pub fn var(&self, key: &str) -> Option<(&str, &Origin)> {
        self.env.get(key).map(|(v, o)| (v.as_str(), o))
    }

    /// Whether Claude Code reads the variable as set. An empty value is unset, except for
    /// the variables whose empty value broke SigV4 until the version that fixed it (and
    /// when the version is unknown).
    pub fn is_set(&self, key: &str) -> bool {
        match self.var(key) {
            None => false,
            Some(("", _)) => self.empty_counts(key),
            Some(_) => true,
        }
    }

    /// Whether this version takes `key`'s empty value for a value.
    pub fn empty_counts(&self, key: &str) -> bool {
        let rule = &FACTS.empty_value_ignored;
        rule.variables.iter().any(|v| v == key) && self.version.is_none_or(|v| v < rule.since)
    }

    /// The settings files that exist but cannot be used.
    pub fn unreadable_files(&self) -> impl Iterator<Item = (&SettingsFile, &Unreadable)> {
        self.files
            .iter()
            .filter_map(|file| file.content.as_ref().err().map(|why| (file, why)))
    }

    /// Variables set to the empty string.
    pub fn empty_vars(&self) -> Vec<(&str, &Origin)> {
        self.env
            .iter()
            .filter(|(k, (v, _))| v.is_empty() && is_claude_or_aws(k))
            .map(|(k, (_, o))| (k.as_str(), o))
            .collect()
    }

    /// Whether a switch is on as Claude Code reads it: its `isEnvTruthy` takes only `1`,
    /// `true`, `yes` and `on` (any case, trimmed) for on, and anything else for off.
    fn flag(&self, key: &str) -> bool {
        self.var(key)
            .is_some_and(|(v, _)| SWITCH_ON.contains(&v.trim().to_ascii_lowercase().as_str()))
    }

    /// Switches set to a value that is neither on nor plainly off (`enabled`, `Y`): Claude
    /// Code reads them as off, which is rarely what whoever wrote them meant.
    pub fn unclear_switches(&self) -> Vec<(&'static str, &str, &Origin)> {
        SWITCHES
            .iter()
            .filter_map(|key| {
                let (value, origin) = self.var(key)?;
                let word = value.trim().to_ascii_lowercase();
                (!word.is_empty()
                    && !SWITCH_ON.contains(&word.as_str())
                    && !SWITCH_OFF.contains(&word.as_str()))
                .then_some((*key, value, origin))
            })
            .collect()
    }

    pub fn uses_bedrock(&self) -> bool {
        self.flag("CLAUDE_CODE_USE_BEDROCK")
    }

    pub fn uses_mantle(&self) -> bool {
        self.flag("CLAUDE_CODE_USE_MANTLE")
    }

    /// A top-level setting, from the file of highest precedence that has it.
    pub fn setting(&self, key: &str) -> Option<(&Value, Origin)> {
        self.files.iter().find_map(|file| {
            file.get(key)
                .map(|value| (value, Origin::File(file.level, file.path.clone())))
        })
    }

    /// Every model Claude Code will be told to call, each once, in the order it weighs them.
    pub fn pinned_models(&self) -> Vec<PinnedModel> {
        let mut models: Vec<PinnedModel> = Vec::new();
        let mut push = |value: &str, named_by: String, origin: Origin| {
            if !value.is_empty() && !models.iter().any(|m| m.value == value) {
                models.push(PinnedModel {
                    value: value.to_string(),
                    named_by,
                    origin,
                });
            }
        };
        if let Some((value, origin)) = self.var("ANTHROPIC_MODEL") {
            push(value, "ANTHROPIC_MODEL".into(), origin.clone());
        }
        if let Some((Value::String(value), origin)) = self.setting("model") {
            push(value, "the model setting".into(), origin);
        }
        for key in &MODEL_VARIABLES[1..] {
            if let Some((value, origin)) = self.var(key) {
                push(value, key.to_string(), origin.clone());
            }
        }
        if let Some((Value::Object(overrides), origin)) = self.setting("modelOverrides") {
            for (key, value) in overrides {
                if let Some(value) = value.as_str() {
                    push(value, format!("modelOverrides.{key}"), origin.clone());
                }
            }
        }
        models
    }

    /// The region Claude Code calls, by its version's rule; `profile_region` is what the
    /// AWS configuration (profile) names.
    pub fn region(&self, profile_region: Option<&str>) -> RegionChoice {
        if let Some((region, origin)) = self.var("AWS_REGION").filter(|(r, _)| !r.is_empty()) {
            return RegionChoice {
                region: region.to_string(),
                source: format!("AWS_REGION from {origin}"),
                ignored: None,
                unsure: false,
            };
        }
        let fallback = self
            .var("AWS_DEFAULT_REGION")
            .filter(|(r, _)| !r.is_empty())
            .map(|(r, o)| (r.to_string(), format!("AWS_DEFAULT_REGION from {o}")))
            .or_else(|| {
                profile_region.map(|r| (r.to_string(), "the AWS profile's region".to_string()))
            });
        let reads_fallbacks = self.version.map(|v| v >= FACTS.region_fallback.since);
        match (fallback, reads_fallbacks) {
            (Some((region, source)), Some(true)) => RegionChoice {
                region,
                source,
                ignored: None,
                unsure: false,
            },
            // Older versions read only AWS_REGION, and call us-east-1 without it.
            (Some(set), Some(false)) => RegionChoice {
                region: "us-east-1".into(),
                source: "Claude Code's default, for want of AWS_REGION".into(),
                ignored: Some(set),
                unsure: false,
            },
            (Some((region, source)), None) => RegionChoice {
                region,
                source,
                ignored: None,
                unsure: true,
            },
            (None, _) => RegionChoice {
                region: "us-east-1".into(),
                source: "Claude Code's default, for want of any region setting".into(),
                ignored: None,
                unsure: false,
            },
        }
    }

    /// A variable's value, when it is set to something.
    fn value(&self, key: &str) -> Option<&str> {
        self.var(key).map(|(v, _)| v).filter(|v| !v.is_empty())
    }

    /// Whether the main-loop model is pinned (`ANTHROPIC_MODEL` or the `model` setting).
    pub fn primary_pinned(&self) -> bool {
        self.value("ANTHROPIC_MODEL").is_some()
            || matches!(self.setting("model"), Some((Value::String(m), _)) if !m.is_empty())
    }

    /// The geography prefix this version puts before a default model called from `region`.
    pub fn default_prefix(&self, region: &str, rule: PrefixRule) -> PrefixChoice {
        let facts = &FACTS.region_prefix;
        let reads = |since| self.version.is_none_or(|v| v >= since);
        let fixed = |prefix: &str, source: &str| PrefixChoice {
            prefix: Some(prefix.to_string()),
            source: source.to_string(),
        };
        match rule {
            PrefixRule::Us => return fixed("us", "this version's default is a us. profile"),
            PrefixRule::Global => {
                return fixed("global", "this version's default is a global. profile");
            }
            PrefixRule::Region => {}
        }
        if reads(facts.variable_since)
            && let Some((prefix, origin)) = self.var("ANTHROPIC_BEDROCK_REGION_PREFIX")
            && PROFILE_PREFIXES.contains(&prefix)
        {
            return fixed(
                prefix,
                &format!("ANTHROPIC_BEDROCK_REGION_PREFIX from {origin}"),
            );
        }
        if region.starts_with("us-gov-") {
            return if reads(facts.govcloud_since) {
                fixed(
                    "us-gov",
                    &format!(
                        "the GovCloud region {region}; {}",
                        facts.govcloud_source.as_str()
                    ),
                )
            } else {
                fixed(
                    "global",
                    &format!(
                        "the GovCloud region {region}, for which versions before {} derive global ({})",
                        facts.govcloud_since,
                        facts.govcloud_source.as_str()
                    ),
                )
            };
        }
        match home_geography(region) {
            Some(geography) => fixed(geography, &format!("derived from the region {region}")),
            None => PrefixChoice {
                prefix: None,
                source: format!(
                    "{region} is in no geography this tool knows: judged on the region's own profile, else global"
                ),
            },
        }
    }

    /// What Claude Code calls from `region` that no setting names: the version's default
    /// model while the main loop is not pinned, and what background side-queries call while
    /// no Haiku-class model is set.
    pub fn default_targets(&self, region: &str) -> Vec<DefaultTarget> {
        let mut targets = Vec::new();
        let primary = FACTS.default_primary(self.version);
        let opus_alias = matches!(
            primary.model,
            DefaultName::Generation(crate::domain::Family::Opus, _)
        ) && self.value("ANTHROPIC_DEFAULT_OPUS_MODEL").is_some();
        if !self.primary_pinned() && !opus_alias {
            let prefix = self.default_prefix(region, primary.prefix);
            targets.push(DefaultTarget {
                request: default_request(&primary.model, prefix.prefix.clone()),
                role: "its default model",
                unconfirmed: primary.unconfirmed,
                source: primary.source.as_str().to_string(),
                prefix_source: prefix.source,
            });
        }
        let haiku_set = self.value("ANTHROPIC_DEFAULT_HAIKU_MODEL").is_some()
            || self.value("ANTHROPIC_SMALL_FAST_MODEL").is_some();
        let mantle_only = self.uses_mantle() && !self.uses_bedrock();
        let background = FACTS.default_background(self.version);
        if let (Background::Model(model), false, false, false) = (
            &background.calls,
            haiku_set,
            mantle_only,
            self.primary_pinned() || self.value("ANTHROPIC_DEFAULT_SONNET_MODEL").is_some(),
        ) {
            let prefix =
                self.default_prefix(region, background.prefix.unwrap_or(PrefixRule::Region));
            let request = default_request(model, prefix.prefix.clone());
            if !targets.iter().any(|t| t.request == request) {
                targets.push(DefaultTarget {
                    request,
                    role: "background side-queries",
                    unconfirmed: background.unconfirmed,
                    source: background.source.as_str().to_string(),
                    prefix_source: prefix.source,
                });
            }
        }
        targets
    }

    /// What background side-queries call when that is no model of their own, in words;
    /// `None` when a Haiku-class model is set or they call a default target.
    pub fn background_note(&self) -> Option<String> {
        if self.value("ANTHROPIC_DEFAULT_HAIKU_MODEL").is_some()
            || self.value("ANTHROPIC_SMALL_FAST_MODEL").is_some()
        {
            return None;
        }
        if self.uses_mantle() && !self.uses_bedrock() {
            let rule = &FACTS.mantle_background_main_loop;
            return Some(match self.version {
                Some(v) if v < rule.since => format!(
                    "what background side-queries call on Mantle before {} is not recorded",
                    rule.since
                ),
                _ => format!(
                    "background side-queries call the main-loop model ({})",
                    rule.source.as_str()
                ),
            });
        }
        let background = FACTS.default_background(self.version);
        match background.calls {
            Background::Unknown => Some(format!(
                "background side-queries call a Haiku-class default this tool cannot name for this version ({}); \
                 set ANTHROPIC_DEFAULT_HAIKU_MODEL to know",
                background.source.as_str()
            )),
            Background::MainLoop => Some(format!(
                "background side-queries call the main-loop model ({})",
                background.source.as_str()
            )),
            Background::Model(_) => None,
        }
    }
}

/// The geography prefix of a default model, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixChoice {
    /// `None` where the region is in no geography this tool knows: the route is then the
    /// region's own profile, else the global one.
    pub prefix: Option<String>,
    pub source: String,
}

/// A model Claude Code calls that no setting names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultTarget {
    pub request: ModelRequest,
    /// What calls it: "its default model", "background side-queries".
    pub role: &'static str,
    /// The reference does not confirm the model's Bedrock ID or prefix.
    pub unconfirmed: bool,
    /// Where the fact comes from.
    pub source: String,
    /// Why this prefix.
    pub prefix_source: String,
}

fn default_request(model: &DefaultName, prefix: Option<String>) -> ModelRequest {
    let name = match (model, prefix) {
        (DefaultName::BaseId(base), Some(prefix)) => ModelName::Profile {
            id: format!("{prefix}.{base}"),
            base: base.clone(),
        },
        (DefaultName::BaseId(base), None) => match generation_of(base) {
            Some((family, version)) => ModelName::Generation {
                family,
                version,
                prefix: None,
            },
            None => ModelName::BaseId(base.clone()),
        },
        (DefaultName::Generation(family, version), prefix) => ModelName::Generation {
            family: *family,
            version: *version,
            prefix,
        },
    };
    name.into()
}

/// The variables whose empty value is worth saying: Claude Code's own, Anthropic's and AWS's.
fn is_claude_or_aws(key: &str) -> bool {
    ["CLAUDE_CODE_", "ANTHROPIC_", "AWS_"]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

/// `claude --version`, when `claude` is on PATH and answers within `timeout`; nothing else
/// it offers is ever run.
pub async fn installed_version(timeout: std::time::Duration) -> Option<Version> {
    let mut command = tokio::process::Command::new("claude");
    command
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().find_map(|word| word.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn places(root: &Path) -> Places {
        Places {
            managed: root.join("etc/managed-settings.json"),
            project: root.join("project"),
            user_dir: Some(root.join("home/.claude")),
        }
    }

    #[test]
    fn settings_env_overrides_the_shell_and_higher_files_override_lower() {
        let dir = tempfile::tempdir().unwrap();
        let places = places(dir.path());
        write(
            &places.user_dir.as_ref().unwrap().join("settings.json"),
            r#"{"env": {"AWS_REGION": "eu-west-1", "ANTHROPIC_MODEL": "user-model"}, "model": "setting-model"}"#,
        );
        write(
            &places.project.join(".claude/settings.json"),
            r#"{"env": {"ANTHROPIC_MODEL": "project-model"}}"#,
        );
        write(
            &places.project.join(".claude/settings.local.json"),
            r#"{"env": {"ANTHROPIC_MODEL": "local-model"}}"#,
        );
        write(
            &places.managed,
            r#"{"env": {"CLAUDE_CODE_USE_BEDROCK": "1"}}"#,
        );
        let shell = BTreeMap::from([
            ("AWS_REGION".to_string(), "us-east-1".to_string()),
            ("ANTHROPIC_MODEL".to_string(), "shell-model".to_string()),
        ]);
        let setup = Setup::discover(&shell, &places, None);
        assert_eq!(
            setup.files.iter().map(|f| f.level).collect::<Vec<_>>(),
            [Level::Managed, Level::Local, Level::Project, Level::User]
        );
        assert!(setup.uses_bedrock());
        let (region, origin) = setup.var("AWS_REGION").unwrap();
        assert_eq!(region, "eu-west-1", "a settings file's env beats the shell");
        assert_eq!(
            origin,
            &Origin::File(Level::User, places.user_dir.unwrap().join("settings.json"))
        );
        assert_eq!(setup.var("ANTHROPIC_MODEL").unwrap().0, "local-model");
        let models: Vec<String> = setup.pinned_models().into_iter().map(|m| m.value).collect();
        assert_eq!(models, ["local-model", "setting-model"]);
    }

    #[test]
    fn a_broken_file_is_named_with_its_line_and_column_and_read_no_further() {
        let dir = tempfile::tempdir().unwrap();
        let places = places(dir.path());
        write(
            &places.project.join(".claude/settings.json"),
            "{\n  \"env\": {\"CLAUDE_CODE_USE_BEDROCK\": \"1\",}\n}",
        );
        let setup = Setup::discover(&BTreeMap::new(), &places, None);
        let error = setup.files[0].content.as_ref().unwrap_err();
        assert_eq!(error.cause, Cause::NotJson);
        assert_eq!(error.at.map(|(line, _)| line), Some(2));
        assert!(error.to_string().starts_with("line 2, column"), "{error}");
        assert_eq!(
            error.line.as_deref(),
            Some("\"env\": {\"CLAUDE_CODE_USE_BEDROCK\": \"1\",}")
        );
        assert!(!setup.uses_bedrock());
        assert_eq!(setup.unreadable_files().count(), 1);
    }

    #[test]
    fn every_way_a_settings_file_cannot_be_used_is_kept_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let read = |path: &Path| SettingsFile::read(Level::User, path.to_path_buf()).unwrap();

        let directory = root.join("dir.json");
        std::fs::create_dir(&directory).unwrap();
        let error = read(&directory).content.unwrap_err();
        assert_eq!(error.cause, Cause::NotReadable);
        assert!(error.why.contains("directory"), "{error}");

        let dangling = root.join("dangling.json");
        std::os::unix::fs::symlink(root.join("nowhere.json"), &dangling).unwrap();
        let error = read(&dangling).content.unwrap_err();
        assert!(error.why.contains("symbolic link to nothing"), "{error}");

        let latin1 = root.join("latin1.json");
        std::fs::write(&latin1, b"{\n  \"model\": \"caf\xe9\"\n}").unwrap();
        let error = read(&latin1).content.unwrap_err();
        assert!(error.why.contains("not UTF-8"), "{error}");
        assert_eq!(error.at, Some((2, 16)));

        let huge = root.join("huge.json");
        let mut text = String::from("{\"x\": \"");
        text.push_str(&"a".repeat(files::INPUT_LIMIT as usize));
        text.push_str("\"}");
        std::fs::write(&huge, text).unwrap();
        assert!(read(&huge).content.unwrap_err().why.contains("larger than"));

        let wrong = root.join("wrong.json");
        std::fs::write(&wrong, "{\n  \"model\": \"x\",\n  \"env\": []\n}").unwrap();
        let error = read(&wrong).content.unwrap_err();
        assert_eq!(error.cause, Cause::WrongType);
        assert!(
            error.why.contains("\"env\" must be an object of strings"),
            "{error}"
        );
        assert_eq!(error.at, Some((3, 3)));
        assert_eq!(error.line.as_deref(), Some("\"env\": []"));

        let secret = root.join("secret.json");
        std::fs::write(
            &secret,
            "{\"env\": {\"AWS_SECRET_ACCESS_KEY\": \"wJalrXUtnFEMI/K7MDENG\", \"N\": 1}}",
        )
        .unwrap();
        let error = read(&secret).content.unwrap_err();
        assert!(
            error.why.ends_with("not an object whose \"N\" is a number"),
            "{error}"
        );
        assert!(
            !error.to_string().contains("wJalrXUtnFEMI")
                && !error.line.unwrap().contains("wJalrXUtnFEMI"),
            "neither the reason nor the quoted line shows a secret"
        );
        assert!(
            !crate::secrets::redact("wJalrXUtnFEMI/K7MDENG").contains("wJalrXUtnFEMI"),
            "a secret in a file refused for its types is still blanked wherever it is echoed"
        );

        let device = read(Path::new("/dev/zero")).content.unwrap_err();
        assert!(
            device.why.contains("character device"),
            "never read: {device}"
        );

        assert!(SettingsFile::read(Level::User, root.join("absent.json")).is_none());
    }

    #[test]
    fn an_empty_value_counts_as_set_before_the_version_that_ignores_it_for_two_variables_only() {
        let shell = BTreeMap::from([
            ("AWS_BEARER_TOKEN_BEDROCK".to_string(), String::new()),
            ("ANTHROPIC_API_KEY".to_string(), String::new()),
        ]);
        let places = places(Path::new("/nonexistent"));
        let old = Setup::discover(&shell, &places, Some("2.1.96".parse().unwrap()));
        assert!(old.is_set("AWS_BEARER_TOKEN_BEDROCK"));
        assert!(
            !old.is_set("ANTHROPIC_API_KEY"),
            "the rule covers only AWS_BEARER_TOKEN_BEDROCK and ANTHROPIC_BEDROCK_BASE_URL"
        );
        let new = Setup::discover(&shell, &places, Some("2.1.97".parse().unwrap()));
        assert!(!new.is_set("AWS_BEARER_TOKEN_BEDROCK"));
        assert_eq!(new.empty_vars().len(), 2);
    }

    fn at(version: &str, env: &[(&str, &str)]) -> Setup {
        let shell = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let places = places(Path::new("/nonexistent"));
        Setup::discover(&shell, &places, version.parse().ok())
    }

    fn targets(setup: &Setup, region: &str) -> Vec<String> {
        setup
            .default_targets(region)
            .iter()
            .map(|t| t.request.to_string())
            .collect()
    }

    #[test]
    fn the_default_model_and_its_prefix_follow_the_version() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(
            targets(&at("2.1.100", &[]), "eu-west-1"),
            [format!("global.{sonnet}")]
        );
        assert_eq!(
            targets(&at("2.1.150", &[]), "eu-west-1"),
            [format!("eu.{sonnet}")]
        );
        assert_eq!(
            targets(&at("2.1.150", &[]), "ap-northeast-1"),
            [format!("jp.{sonnet}")]
        );
        assert_eq!(
            targets(&at("1.0.90", &[]), "eu-west-1")[0],
            "us.anthropic.claude-sonnet-4-20250514-v1:0"
        );
        assert_eq!(
            targets(&at("2.1.210", &[]), "us-east-1"),
            [
                "us.anthropic.claude-opus-4-8".to_string(),
                format!("us.{sonnet}")
            ],
            "Opus 4.8 for the main loop, the default Sonnet for background side-queries"
        );
        assert!(at("2.1.210", &[]).default_targets("us-east-1")[0].unconfirmed);
        assert_eq!(
            targets(&at("2.1.230", &[]), "eu-west-1")[0],
            "eu.anthropic.claude-opus-5"
        );
        let prefixed = at("2.1.230", &[("ANTHROPIC_BEDROCK_REGION_PREFIX", "global")]);
        assert_eq!(
            targets(&prefixed, "eu-west-1"),
            [
                "global.anthropic.claude-opus-5".to_string(),
                format!("global.{sonnet}")
            ]
        );
        let too_old = at("2.1.220", &[("ANTHROPIC_BEDROCK_REGION_PREFIX", "global")]);
        assert_eq!(
            targets(&too_old, "eu-west-1")[0],
            "eu.anthropic.claude-opus-5",
            "read from 2.1.224 only"
        );
        // A region in no known geography: the route picks the region's own profile.
        assert_eq!(
            at("2.1.230", &[]).default_targets("sa-east-1")[0]
                .request
                .name,
            ModelName::Generation {
                family: crate::domain::Family::Opus,
                version: (5, 0),
                prefix: None
            }
        );
    }

    #[test]
    fn govcloud_derives_us_gov_from_the_version_that_fixed_it() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(
            targets(&at("2.1.173", &[]), "us-gov-west-1"),
            [format!("global.{sonnet}")]
        );
        assert_eq!(
            targets(&at("2.1.174", &[]), "us-gov-west-1"),
            [format!("us-gov.{sonnet}")]
        );
        let choice = at("2.1.230", &[]).default_prefix("us-gov-east-1", PrefixRule::Region);
        assert_eq!(choice.prefix.as_deref(), Some("us-gov"));
    }

    #[test]
    fn pinned_tiers_replace_the_defaults_they_cover() {
        let pinned = at(
            "2.1.230",
            &[("ANTHROPIC_MODEL", "us.anthropic.claude-sonnet-4-6")],
        );
        assert!(
            targets(&pinned, "us-east-1").is_empty(),
            "background falls back to the main loop"
        );
        let haiku = at(
            "2.1.230",
            &[(
                "ANTHROPIC_DEFAULT_HAIKU_MODEL",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            )],
        );
        assert_eq!(targets(&haiku, "us-east-1"), ["us.anthropic.claude-opus-5"]);
        let opus = at(
            "2.1.230",
            &[(
                "ANTHROPIC_DEFAULT_OPUS_MODEL",
                "us.anthropic.claude-opus-4-6-v1",
            )],
        );
        assert_eq!(
            targets(&opus, "us-east-1"),
            ["us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
            "the Opus alias names the main-loop model"
        );
        assert!(
            at("2.1.100", &[])
                .background_note()
                .unwrap()
                .contains("Haiku-class default")
        );
        assert!(
            at("2.1.150", &[])
                .background_note()
                .unwrap()
                .contains("main-loop model")
        );
    }
}
