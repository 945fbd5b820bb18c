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

pub use facts::{FACTS, Facts};
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
    /// The document, or why it is not one: `line L, column C: ...`.
    pub content: Result<Value, String>,
}

impl SettingsFile {
    fn read(level: Level, path: PathBuf) -> Option<SettingsFile> {
        let text = std::fs::read_to_string(&path).ok()?;
        let content = match serde_json::from_str::<Value>(&text) {
            Ok(value) if value.is_object() => Ok(value),
            Ok(_) => Err("the file is JSON but not an object".to_string()),
            Err(e) => Err(format!("line {}, column {}: {e}", e.line(), e.column())),
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

    /// Whether Claude Code reads the variable as set: an empty string counts before the
    /// version that started ignoring it, and when the version is unknown.
    pub fn is_set(&self, key: &str) -> bool {
        match self.var(key) {
            None => false,
            Some(("", _)) => self
                .version
                .is_none_or(|v| v < FACTS.empty_env_treated_as_unset_since),
            Some(_) => true,
        }
    }

    /// Variables set to the empty string.
    pub fn empty_vars(&self) -> Vec<(&str, &Origin)> {
        self.env
            .iter()
            .filter(|(k, (v, _))| v.is_empty() && is_claude_or_aws(k))
            .map(|(k, (_, o))| (k.as_str(), o))
            .collect()
    }

    fn flag(&self, key: &str) -> bool {
        self.var(key).is_some_and(|(v, _)| {
            !v.is_empty() && !v.eq_ignore_ascii_case("0") && !v.eq_ignore_ascii_case("false")
        })
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
        let reads_fallbacks = self.version.map(|v| v >= FACTS.region_fallback_since);
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

    /// The model Claude Code calls when none is pinned, for its version.
    pub fn default_model(&self) -> &'static facts::DefaultModel {
        FACTS.default_primary(self.version)
    }
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
        assert!(error.starts_with("line 2, column"), "{error}");
        assert!(!setup.uses_bedrock());
    }

    #[test]
    fn an_empty_value_counts_as_set_before_the_version_that_ignores_it() {
        let shell = BTreeMap::from([("AWS_BEARER_TOKEN_BEDROCK".to_string(), String::new())]);
        let places = places(Path::new("/nonexistent"));
        let old = Setup::discover(&shell, &places, Some("2.1.96".parse().unwrap()));
        assert!(old.is_set("AWS_BEARER_TOKEN_BEDROCK"));
        let new = Setup::discover(&shell, &places, Some("2.1.97".parse().unwrap()));
        assert!(!new.is_set("AWS_BEARER_TOKEN_BEDROCK"));
        assert_eq!(new.empty_vars().len(), 1);
    }
}
