//! The Claude Code plugin at the repository's root: its manifests hold the fields Claude Code
//! requires and name files that exist, its slash command's frontmatter parses, and the MCP
//! server it declares starts and serves `doctor`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::mcp::Session;
use crate::support::Emulator;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(relative: &str) -> Value {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not JSON: {e}"))
}

/// A component path as Claude Code takes it: relative to `base`, starting with `./`, inside it.
fn component_path(base: &Path, path: &str) -> PathBuf {
    let relative = path
        .strip_prefix("./")
        .unwrap_or_else(|| panic!("{path:?} does not start with ./"));
    assert!(
        !relative.split('/').any(|part| part == ".."),
        "{path:?} leaves its root"
    );
    let resolved = base.join(relative);
    assert!(resolved.exists(), "{path:?} names nothing: {resolved:?}");
    resolved
}

/// Plugin and marketplace names: kebab-case, as Claude Code's manifest reference asks.
fn assert_kebab(name: &Value) {
    let name = name.as_str().expect("a name");
    assert!(
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.ends_with('-')
            && !name.contains("--")
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{name:?} is not kebab-case"
    );
}

fn plugin_manifest() -> Value {
    manifest(".claude-plugin/plugin.json")
}

#[test]
fn the_marketplace_lists_the_repository_as_its_plugin() {
    let marketplace = manifest(".claude-plugin/marketplace.json");
    assert_kebab(&marketplace["name"]);
    assert!(marketplace["owner"]["name"].is_string(), "{marketplace}");
    let plugins = marketplace["plugins"].as_array().expect("plugins");
    assert_eq!(plugins.len(), 1, "{marketplace}");
    let entry = &plugins[0];
    assert!(entry["description"].is_string(), "{entry}");
    // The repository is the marketplace and the plugin alike: "./" is its root ("." alone is
    // refused as a source).
    assert_eq!(entry["source"], "./");
    let plugin_root = component_path(root(), entry["source"].as_str().unwrap());
    let plugin: Value = serde_json::from_str(
        &std::fs::read_to_string(plugin_root.join(".claude-plugin/plugin.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(entry["name"], plugin["name"]);
}

#[test]
fn the_plugin_manifest_names_what_exists_and_matches_the_crate() {
    let plugin = plugin_manifest();
    assert_kebab(&plugin["name"]);
    assert!(plugin["description"].is_string());
    assert!(plugin["author"]["name"].is_string());
    // Claude Code updates an installed plugin when its version changes: it follows releases.
    assert_eq!(plugin["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(plugin["repository"], env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(plugin["license"], env!("CARGO_PKG_LICENSE"));

    fn paths_in(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::String(s) if s.starts_with("./") => found.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| paths_in(v, found)),
            Value::Object(fields) => fields.values().for_each(|v| paths_in(v, found)),
            _ => {}
        }
    }
    let mut paths = Vec::new();
    paths_in(&plugin, &mut paths);
    for path in &paths {
        component_path(root(), path);
    }
    // The default commands directory, where /bedrock-doctor comes from.
    assert!(root().join("commands/bedrock-doctor.md").is_file());
    // The server is declared inline: a root .mcp.json would also be this repository's own
    // project MCP configuration for everyone who opens it in Claude Code.
    assert!(!root().join(".mcp.json").exists());
}

#[test]
fn the_doctor_command_has_frontmatter_and_runs_doctor_with_the_arguments() {
    let text = std::fs::read_to_string(root().join("commands/bedrock-doctor.md")).unwrap();
    let rest = text.strip_prefix("---\n").expect("frontmatter first");
    let (frontmatter, body) = rest.split_once("\n---\n").expect("frontmatter closed");
    let fields: serde_yaml_ng::Mapping =
        serde_yaml_ng::from_str(frontmatter).expect("the frontmatter is YAML");
    let field = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{name} is a string in {fields:?}"))
    };
    assert!(!field("description").is_empty());
    assert!(field("argument-hint").contains("--model"));
    // Claude may run doctor without asking, and nothing else.
    assert_eq!(field("allowed-tools"), "Bash(bedrock-preflight doctor:*)");
    let run = "bedrock-preflight doctor --claude-code --output json $ARGUMENTS";
    assert!(body.contains(run), "the command runs `{run}`");
    for words in ["remediation", "`fail`", "`error`", "`warn`"] {
        assert!(body.contains(words), "the body explains {words}");
    }
}

#[test]
fn the_server_the_manifest_names_answers_initialize_and_serves_doctor() {
    let plugin = plugin_manifest();
    let servers = plugin["mcpServers"].as_object().expect("mcpServers inline");
    assert_eq!(servers.len(), 1);
    let server = &servers["bedrock-preflight"];
    // From PATH, as an installed binary is.
    assert_eq!(server["command"], "bedrock-preflight");
    let args: Vec<&str> = server["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();

    // The binary under test stands in for the one on PATH, in the emulator's clean
    // environment; the handshake and the listing call no AWS API.
    let emulator = Emulator::front_only();
    let mut command = emulator.std_cmd();
    command.args(&args);
    let mut session = Session::spawn(command);
    session.initialize();
    let listed = session.request("tools/list", json!({}));
    let tools = listed["result"]["tools"].as_array().expect("tools");
    let doctor = tools
        .iter()
        .find(|t| t["name"] == "doctor")
        .unwrap_or_else(|| panic!("no doctor tool in {listed}"));
    assert_eq!(doctor["inputSchema"]["type"], "object", "{doctor}");
    assert!(
        doctor["inputSchema"]["properties"]["claude_code"].is_object(),
        "{doctor}"
    );
    assert!(emulator.front.requests().is_empty());
}
