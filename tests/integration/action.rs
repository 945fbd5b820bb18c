//! The GitHub Action (`action.yml`): its metadata parses into the shape GitHub reads, the
//! README's "GitHub Action" section documents exactly its inputs and outputs (defaults
//! included) and shows a workflow that uses them, no `run:` script interpolates an
//! expression, and its scripts do what the README says: each is run with bash as the runner
//! runs a `shell: bash` step, its `env:` filled in, against fake tools on PATH (no network),
//! and once with the real binary against the emulator.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml_ng::Value;

// ---------------------------------------------------------------------------------------
// action.yml, typed: an unknown key (a typo such as `input:` or `defaults:`) fails to parse.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    description: String,
    #[allow(dead_code)]
    author: Option<String>,
    #[allow(dead_code)]
    branding: Option<Value>,
    inputs: BTreeMap<String, Input>,
    outputs: BTreeMap<String, ActionOutput>,
    runs: Runs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    description: String,
    required: Option<bool>,
    default: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionOutput {
    description: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Runs {
    using: String,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    condition: Option<String>,
    shell: Option<String>,
    run: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    uses: Option<String>,
    #[serde(default)]
    with: BTreeMap<String, String>,
}

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn action() -> Action {
    serde_yaml_ng::from_str(&repo_file("action.yml"))
        .unwrap_or_else(|e| panic!("action.yml does not parse as an action: {e}"))
}

/// The inputs in the order action.yml declares them (the typed map sorts them).
fn declared_input_order() -> Vec<String> {
    let raw: Value = serde_yaml_ng::from_str(&repo_file("action.yml")).unwrap();
    raw["inputs"]
        .as_mapping()
        .expect("inputs is a mapping")
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

impl Action {
    fn step(&self, id: &str) -> &Step {
        self.runs
            .steps
            .iter()
            .find(|s| s.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("action.yml has no step with id {id}"))
    }

    fn position(&self, id: &str) -> usize {
        self.runs
            .steps
            .iter()
            .position(|s| s.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("action.yml has no step with id {id}"))
    }
}

/// Every `${{ ... }}` expression of a text, trimmed.
fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed ${{{{ in {text:?}"));
        found.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    found
}

/// The names `prefix` is followed by in a text (`inputs.` in `inputs.sarif-file`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .filter(|(i, _)| {
            // `steps.run.outputs.x` is not an `outputs.` of the action.
            !text[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '.' || c == '_')
        })
        .map(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The README's "GitHub Action" section.

/// The section's lines, up to the next heading of level 1 to 3; lines in code blocks are
/// never headings (the section's shell and YAML blocks have `#` comments).
fn readme_section() -> Vec<String> {
    let readme = repo_file("README.md");
    let mut lines = readme.lines();
    lines
        .by_ref()
        .find(|l| l.trim_end() == "### GitHub Action")
        .expect("README.md has a `### GitHub Action` section");
    let mut section = Vec::new();
    let mut in_code = false;
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            let level = line.chars().take_while(|c| *c == '#').count();
            if (1..=3).contains(&level) && line[level..].starts_with(' ') {
                break;
            }
        }
        section.push(line.to_string());
    }
    section
}

/// The cells of a table row, `\|` kept as a `|` inside a cell.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

/// The rows of the table whose header is `header`, as cells.
fn table(section: &[String], header: &str) -> Vec<Vec<String>> {
    let start = section
        .iter()
        .position(|l| l.trim() == header)
        .unwrap_or_else(|| panic!("the GitHub Action section has no table `{header}`"));
    let width = cells(header).len();
    let separator = cells(&section[start + 1]);
    assert!(
        separator.len() == width
            && separator
                .iter()
                .all(|c| c.chars().all(|c| "-: ".contains(c))),
        "no separator row under `{header}`"
    );
    section[start + 2..]
        .iter()
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let row = cells(l);
            assert_eq!(row.len(), width, "row {l:?} of `{header}`");
            row
        })
        .collect()
}

/// `` `name` `` → `name`: the first column names an input or output in code style.
fn code(cell: &str) -> String {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or_else(|| panic!("{cell:?} is not in backticks"))
        .to_string()
}

fn readme_example_workflow() -> Value {
    let section = readme_section();
    let start = section
        .iter()
        .position(|l| l.trim() == "```yaml")
        .expect("the GitHub Action section has a ```yaml example");
    let body: Vec<&str> = section[start + 1..]
        .iter()
        .take_while(|l| l.trim() != "```")
        .map(String::as_str)
        .collect();
    serde_yaml_ng::from_str(&body.join("\n"))
        .unwrap_or_else(|e| panic!("the README's example workflow is not YAML: {e}"))
}

// ---------------------------------------------------------------------------------------
// (a) The metadata.

#[test]
fn action_yml_is_a_composite_action_with_described_inputs_and_outputs() {
    let action = action();
    assert_eq!(action.name, "bedrock-preflight");
    assert!(!action.description.trim().is_empty());
    assert_eq!(action.runs.using, "composite");

    for (name, input) in &action.inputs {
        assert!(!input.description.trim().is_empty(), "input {name}");
        // Every input has a default, so no workflow has to set one.
        assert_ne!(input.required, Some(true), "input {name}");
        assert!(input.default.is_some(), "input {name} has no default");
    }
    for name in [
        "command",
        "args",
        "version",
        "sarif-file",
        "upload-sarif",
        "category",
        "fail-on-findings",
    ] {
        assert!(action.inputs.contains_key(name), "input {name}");
    }
    let default = |name: &str| action.inputs[name].default.as_deref().unwrap();
    assert_eq!(default("command"), "audit");
    assert_eq!(default("sarif-file"), "bedrock-preflight.sarif");
    assert_eq!(default("upload-sarif"), "true");
    assert_eq!(default("category"), "bedrock-preflight");
    assert_eq!(default("fail-on-findings"), "true");

    let step_ids: Vec<&str> = action
        .runs
        .steps
        .iter()
        .filter_map(|s| s.id.as_deref())
        .collect();
    assert_eq!(
        step_ids.iter().collect::<BTreeSet<_>>().len(),
        step_ids.len(),
        "step ids are unique: {step_ids:?}"
    );
    assert_eq!(
        action
            .outputs
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["exit-code", "sarif-file"]
    );
    for (name, output) in &action.outputs {
        assert!(!output.description.trim().is_empty(), "output {name}");
        assert_eq!(
            output.value,
            format!("${{{{ steps.run.outputs.{name} }}}}"),
            "output {name} is the run step's"
        );
    }

    for step in &action.runs.steps {
        assert!(!step.name.trim().is_empty());
        match (&step.run, &step.uses) {
            (Some(_), None) => {
                // A composite action's run step must name its shell; bash is what the
                // scripts are written (and tested) for.
                assert_eq!(step.shell.as_deref(), Some("bash"), "step {}", step.name);
                assert!(step.with.is_empty(), "step {}", step.name);
            }
            (None, Some(_)) => assert!(step.shell.is_none(), "step {}", step.name),
            _ => panic!("step {} has neither or both of run and uses", step.name),
        }
    }

    // Install, run the tool once, upload, and fail by the exit code last.
    let runs_the_tool: Vec<&Step> = action
        .runs
        .steps
        .iter()
        .filter(|s| {
            s.run
                .as_deref()
                .is_some_and(|r| r.contains("bedrock-preflight \"$COMMAND\""))
        })
        .collect();
    assert_eq!(runs_the_tool.len(), 1, "the tool runs in one step");
    assert_eq!(runs_the_tool[0].id.as_deref(), Some("run"));
    assert!(action.position("install") < action.position("run"));
    assert!(action.position("run") < action.position("upload"));
    assert_eq!(action.position("verdict"), action.runs.steps.len() - 1);

    let upload = action.step("upload");
    let uses = upload.uses.as_deref().unwrap();
    assert!(
        uses.starts_with("github/codeql-action/upload-sarif@"),
        "{uses}"
    );
    assert_eq!(
        upload.with.get("sarif_file").map(String::as_str),
        Some("${{ steps.run.outputs.sarif-file }}")
    );
    let condition = upload.condition.as_deref().unwrap_or_default();
    assert!(
        condition.contains("inputs.upload-sarif == 'true'"),
        "{condition}"
    );
    // The verdict runs whatever the upload did, and only after the tool ran.
    let verdict = action
        .step("verdict")
        .condition
        .as_deref()
        .unwrap_or_default();
    assert!(verdict.contains("!cancelled()"), "{verdict}");
    assert!(verdict.contains("steps.run.outputs.exit-code"), "{verdict}");
}

// ---------------------------------------------------------------------------------------
// (c) Expressions.

#[test]
fn action_yml_names_only_declared_inputs_and_no_script_interpolates_an_expression() {
    let text = repo_file("action.yml");
    let action = action();
    let declared: BTreeSet<String> = action.inputs.keys().cloned().collect();

    let referenced = names_after(&text, "inputs.");
    let undeclared: Vec<&String> = referenced.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "undeclared inputs used: {undeclared:?}"
    );
    let unused: Vec<&String> = declared.difference(&referenced).collect();
    assert!(unused.is_empty(), "inputs never used: {unused:?}");

    for step in &action.runs.steps {
        if let Some(run) = &step.run {
            // An expression in a script is pasted into its source before bash reads it
            // (template injection); values reach scripts through env only.
            assert!(
                !run.contains("${{"),
                "step {:?} interpolates an expression into its script",
                step.name
            );
            assert!(!run.contains("inputs."), "step {:?}", step.name);
        }
        let mut places: Vec<&String> = step.env.values().collect();
        places.extend(step.with.values());
        places.extend(step.condition.iter());
        for expression in places.iter().flat_map(|v| expressions(v)) {
            // steps.ID.outputs.NAME: a step before this one, which writes NAME.
            for rest in expression.split("steps.").skip(1) {
                let mut parts = rest.splitn(3, '.');
                let (id, outputs) = (parts.next().unwrap(), parts.next());
                let name: String = parts
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                assert_eq!(outputs, Some("outputs"), "{expression}");
                let source = action.step(id);
                assert!(
                    action.position(id) < action.position(step.id.as_deref().unwrap()),
                    "{expression} in step {:?} reads a later step",
                    step.name
                );
                if let Some(script) = &source.run {
                    assert!(
                        script.contains(&format!("{name}=")),
                        "step {id} never writes output {name}"
                    );
                }
            }
        }
    }
    // The composite-action workaround: the action's own repository and ref reach the
    // install script through env (empty when read inside `run:`).
    let install = action.step("install");
    assert_eq!(
        install.env.get("ACTION_REPOSITORY").map(String::as_str),
        Some("${{ github.action_repository }}")
    );
    assert_eq!(
        install.env.get("ACTION_REF").map(String::as_str),
        Some("${{ github.action_ref }}")
    );
}

// ---------------------------------------------------------------------------------------
// (b) and (d): the README.

#[test]
fn the_readme_documents_every_input_and_output_with_its_default() {
    let action = action();
    let section = readme_section();

    let inputs = table(&section, "| Input | Default | Description |");
    let documented: Vec<String> = inputs.iter().map(|row| code(&row[0])).collect();
    assert_eq!(
        documented,
        declared_input_order(),
        "the README's inputs, in action.yml's order"
    );
    for row in &inputs {
        let name = code(&row[0]);
        let readme_default = match row[1].as_str() {
            "`\"\"`" | "" => String::new(),
            cell => code(cell),
        };
        assert_eq!(
            Some(readme_default.as_str()),
            action.inputs[&name].default.as_deref(),
            "the default of {name}"
        );
        assert!(!row[2].is_empty(), "{name} has a description");
    }

    let outputs = table(&section, "| Output | Description |");
    let documented: BTreeSet<String> = outputs.iter().map(|row| code(&row[0])).collect();
    assert_eq!(
        documented,
        action.outputs.keys().cloned().collect::<BTreeSet<_>>()
    );
    assert!(outputs.iter().all(|row| !row[1].is_empty()));
}

#[test]
fn the_readme_example_workflow_uses_the_action_with_declared_inputs() {
    let action = action();
    let workflow = readme_example_workflow();

    let permissions = &workflow["permissions"];
    assert_eq!(permissions["id-token"], "write", "OIDC to AWS");
    assert_eq!(permissions["security-events"], "write", "the SARIF upload");
    assert_eq!(permissions["contents"], "read");
    let on = &workflow["on"];
    assert!(on.get("schedule").is_some() && on.get("workflow_dispatch").is_some());

    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    let mut uses_the_action = 0;
    for (job, body) in jobs {
        let steps = body["steps"].as_sequence().expect("steps");
        let position = |prefix: &str| {
            steps
                .iter()
                .position(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
        };
        let Some(at) = position("bedrock-preflight/bedrock-preflight@") else {
            continue;
        };
        uses_the_action += 1;
        let credentials = position("aws-actions/configure-aws-credentials@")
            .unwrap_or_else(|| panic!("job {job:?} sets no AWS credentials"));
        assert!(credentials < at, "credentials come first");
        assert_eq!(
            steps[credentials]["with"]["role-to-assume"],
            "arn:aws:iam::123456789012:role/bedrock-preflight-readonly"
        );

        let with = steps[at]["with"].as_mapping().expect("with:");
        for key in with.keys() {
            let key = key.as_str().unwrap();
            assert!(
                action.inputs.contains_key(key),
                "the example sets {key}, which action.yml does not declare"
            );
        }
        assert_eq!(steps[at]["with"]["command"], "audit");
        assert_eq!(steps[at]["with"]["args"], "--regions all --residency eu");
        assert_eq!(
            steps[at]["uses"],
            "bedrock-preflight/bedrock-preflight@v0.1.0"
        );
    }
    assert_eq!(
        uses_the_action, 1,
        "one step of the example uses the action"
    );
}

// ---------------------------------------------------------------------------------------
// (e) The scripts, run as the runner runs them.

/// A temporary runner: a workspace, RUNNER_TEMP, the files of GITHUB_OUTPUT, GITHUB_PATH
/// and GITHUB_STEP_SUMMARY, and a directory of fake tools first on PATH that record their
/// arguments in `log/`.
struct Runner {
    root: tempfile::TempDir,
}

/// What one step's script did.
struct StepRun {
    code: i32,
    stdout: String,
    stderr: String,
}

const FAKE_TOOL: &str = r#"#!/bin/sh
# bedrock-preflight as the action sees it: records its arguments, writes a small SARIF
# report to --out (unless FAKE_NO_SARIF is set) and exits with FAKE_EXIT.
if [ "$1" = --version ]; then echo "bedrock-preflight 0.0.0 (fake)"; exit 0; fi
printf '%s\n' "$@" > "$FAKE_LOG/bedrock-preflight"
out=
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then out=$2; fi
  shift
done
if [ -n "$out" ] && [ -z "$FAKE_NO_SARIF" ]; then
  cat > "$out" <<'EOF'
{"version": "2.1.0", "runs": [{
  "tool": {"driver": {"name": "bedrock-preflight", "rules": []}},
  "automationDetails": {"id": "bedrock-preflight/audit/"},
  "results": [
    {"ruleId": "logging.invocation/off", "level": "error",
     "message": {"text": "Model invocation logging is off | us-east-1\nFix: setup logging"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "aws/123456789012/us-east-1/logging.invocation"}}}],
     "properties": {"status": "fail"}},
    {"ruleId": "iam.api-keys/active", "level": "warning",
     "message": {"text": "A long-term Bedrock API key is active"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "aws/123456789012/global/iam.api-keys"}}}],
     "properties": {"status": "warn"}}
  ]}]}
EOF
fi
exit "${FAKE_EXIT:-0}"
"#;

/// curl as the install step uses it: records its arguments and "downloads" an installer
/// that does what cargo-dist's does with BEDROCK_PREFLIGHT_UNMANAGED_INSTALL.
const FAKE_CURL: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$FAKE_LOG/curl"
if [ -n "$FAKE_CURL_FAIL" ]; then echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; fi
out=
while [ $# -gt 0 ]; do
  if [ "$1" = --output ]; then out=$2; fi
  shift
done
cat > "$out" <<'EOF'
#!/bin/sh
mkdir -p "$BEDROCK_PREFLIGHT_UNMANAGED_INSTALL"
printf '#!/bin/sh\necho "bedrock-preflight 0.2.0 (release)"\n' > "$BEDROCK_PREFLIGHT_UNMANAGED_INSTALL/bedrock-preflight"
chmod +x "$BEDROCK_PREFLIGHT_UNMANAGED_INSTALL/bedrock-preflight"
EOF
"#;

/// cargo: records its arguments and leaves a binary in --root's bin/.
const FAKE_CARGO: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$FAKE_LOG/cargo"
root=
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root=$2; fi
  shift
done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "bedrock-preflight 0.2.0 (built)"\n' > "$root/bin/bedrock-preflight"
chmod +x "$root/bin/bedrock-preflight"
"#;

/// git: records its arguments; `ls-remote` lists FAKE_LS_REMOTE.
const FAKE_GIT: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$FAKE_LOG/git"
if [ "$1" = ls-remote ] && [ -n "$FAKE_LS_REMOTE" ]; then printf '%s\n' "$FAKE_LS_REMOTE"; fi
"#;

const REPO_URL: &str = "https://github.com/bedrock-preflight/bedrock-preflight";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const PEELED: &str = "89abcdef0123456789abcdef0123456789abcdef";

impl Runner {
    fn new() -> Runner {
        let root = tempfile::tempdir().unwrap();
        for dir in ["bin", "log", "work", "tmp", "action"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        for file in ["github_output", "github_path", "step_summary"] {
            std::fs::write(root.path().join(file), "").unwrap();
        }
        let runner = Runner { root };
        runner.fake("bedrock-preflight", FAKE_TOOL);
        runner.fake("curl", FAKE_CURL);
        runner.fake("cargo", FAKE_CARGO);
        runner.fake("git", FAKE_GIT);
        runner
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn fake(&self, name: &str, script: &str) {
        let path = self.path("bin").join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs one step's script as `shell: bash` does (`bash --noprofile --norc -eo pipefail
    /// FILE`), in the workspace, its env filled in from `context` (every `${{ }}` of the
    /// step must be in it), plus `extra` for the fakes.
    fn run(
        &self,
        step: &Step,
        context: &HashMap<String, String>,
        extra: &[(&str, &str)],
    ) -> StepRun {
        let script = self.path("step.sh");
        std::fs::write(&script, step.run.as_deref().expect("a run step")).unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(self.path("work"))
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:/usr/local/bin:/usr/bin:/bin",
                    self.path("bin").display()
                ),
            )
            .env("HOME", self.root.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_TEMP", self.path("tmp"))
            .env("GITHUB_ACTION_PATH", self.path("action"))
            .env("GITHUB_OUTPUT", self.path("github_output"))
            .env("GITHUB_PATH", self.path("github_path"))
            .env("GITHUB_STEP_SUMMARY", self.path("step_summary"))
            .env("FAKE_LOG", self.path("log"));
        for (name, value) in &step.env {
            command.env(name, fill(value, context));
        }
        for (name, value) in extra {
            command.env(name, value);
        }
        let output = command.output().expect("run bash");
        StepRun {
            code: output.status.code().expect("exited"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The arguments a fake was called with, or None when it was not called.
    fn called(&self, fake: &str) -> Option<Vec<String>> {
        std::fs::read_to_string(self.path("log").join(fake))
            .ok()
            .map(|text| text.lines().map(str::to_string).collect())
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.path("github_output"))
            .unwrap()
            .lines()
            .map(|line| {
                let (key, value) = line.split_once('=').expect("NAME=value");
                (key.to_string(), value.to_string())
            })
            .collect()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
}

/// A step's env value with each `${{ expression }}` replaced from `context`.
fn fill(value: &str, context: &HashMap<String, String>) -> String {
    let mut filled = value.to_string();
    for expression in expressions(value) {
        let replacement = context
            .get(&expression)
            .unwrap_or_else(|| panic!("the test gives no value for ${{{{ {expression} }}}}"));
        let start = filled.find("${{").unwrap();
        let end = start + filled[start..].find("}}").unwrap() + 2;
        filled.replace_range(start..end, replacement);
    }
    filled
}

/// The expression context of a run: each input's default from action.yml unless `with`
/// sets it (as a workflow's `with:` does), and `more` (github.*, steps.*).
fn context(
    action: &Action,
    with: &[(&str, &str)],
    more: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut context: HashMap<String, String> = action
        .inputs
        .iter()
        .map(|(name, input)| {
            (
                format!("inputs.{name}"),
                input.default.clone().unwrap_or_default(),
            )
        })
        .collect();
    for (name, value) in with {
        assert!(action.inputs.contains_key(*name), "no input {name}");
        context.insert(format!("inputs.{name}"), value.to_string());
    }
    for (name, value) in more {
        context.insert(name.to_string(), value.to_string());
    }
    context
}

/// The action's summary and category steps are jq programs; `scripts/test.sh` installs jq,
/// so a machine without it fails here rather than passing without running them.
fn require_jq() {
    let found = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "jq is not installed: bash scripts/test.sh installs it"
    );
}

#[test]
fn the_run_step_passes_the_args_and_keeps_the_exit_code_for_after_the_upload() {
    let action = action();
    let step = action.step("run");
    for exit in ["0", "1", "3"] {
        let runner = Runner::new();
        let with = [("command", "audit"), ("args", "--regions all")];
        let run = runner.run(step, &context(&action, &with, &[]), &[("FAKE_EXIT", exit)]);
        // The step itself succeeds: the upload after it must run, also when a check failed.
        assert_eq!(run.code, 0, "exit {exit}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(
            runner.called("bedrock-preflight").expect("the tool ran"),
            [
                "audit",
                "--output",
                "sarif",
                "--out",
                "bedrock-preflight.sarif",
                "--regions",
                "all"
            ]
        );
        let outputs = runner.outputs();
        assert_eq!(outputs["exit-code"], exit);
        assert_eq!(outputs["sarif-file"], "bedrock-preflight.sarif");
        assert_eq!(outputs["sarif-written"], "true");
        assert!(
            runner
                .read("work/bedrock-preflight.sarif")
                .contains("2.1.0")
        );
    }
}

#[test]
fn the_run_step_reads_args_as_words_never_as_shell() {
    let action = action();
    let runner = Runner::new();
    // A file for `*` to match, were it globbed.
    std::fs::write(runner.path("work/existing"), "").unwrap();
    let args = "--regions all $(touch pwned) `touch pwned2` ;touch pwned3 *\n--residency\teu";
    let with = [
        ("command", "doctor"),
        ("args", args),
        ("sarif-file", "out/bp.sarif"),
    ];
    let run = runner.run(action.step("run"), &context(&action, &with, &[]), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        runner.called("bedrock-preflight").unwrap(),
        [
            "doctor",
            "--output",
            "sarif",
            "--out",
            "out/bp.sarif",
            "--regions",
            "all",
            "$(touch",
            "pwned)",
            "`touch",
            "pwned2`",
            ";touch",
            "pwned3",
            "*",
            "--residency",
            "eu"
        ]
    );
    for file in ["pwned", "pwned2", "pwned3"] {
        assert!(
            !runner.path("work").join(file).exists(),
            "{file} was created"
        );
    }
    assert!(
        runner.path("work/out/bp.sarif").exists(),
        "its directory is made"
    );
}

#[test]
fn the_run_step_refuses_another_command_or_its_own_output_flags_before_running() {
    let action = action();
    for with in [
        vec![("command", "policy")],
        vec![("command", "audit; rm -rf /")],
        vec![("command", "")],
        vec![("args", "--regions all --output json")],
        vec![("args", "--out=report.sarif")],
        vec![("sarif-file", "")],
    ] {
        let runner = Runner::new();
        let run = runner.run(action.step("run"), &context(&action, &with, &[]), &[]);
        assert_eq!(run.code, 2, "{with:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("::error"), "{with:?}: {}", run.stdout);
        assert_eq!(runner.called("bedrock-preflight"), None, "{with:?}");
        assert!(!runner.outputs().contains_key("exit-code"), "{with:?}");
    }
}

#[test]
fn the_run_step_never_leaves_a_stale_report_for_the_upload() {
    let action = action();
    let runner = Runner::new();
    std::fs::write(
        runner.path("work/bedrock-preflight.sarif"),
        "an earlier run's",
    )
    .unwrap();
    let run = runner.run(
        action.step("run"),
        &context(&action, &[], &[]),
        &[("FAKE_EXIT", "2"), ("FAKE_NO_SARIF", "1")],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let outputs = runner.outputs();
    assert_eq!(outputs["exit-code"], "2");
    assert_eq!(outputs["sarif-written"], "false");
    assert!(!runner.path("work/bedrock-preflight.sarif").exists());
}

#[test]
fn the_verdict_step_fails_the_job_by_the_exit_code() {
    let action = action();
    let step = action.step("verdict");
    for (exit, fail_on_findings, expected) in [
        ("0", "true", 0),
        ("1", "true", 1),
        ("3", "true", 3),
        ("0", "false", 0),
        ("1", "false", 0),
        ("3", "false", 0),
        ("2", "true", 2),
        ("2", "false", 2),
        ("101", "true", 1),
        ("1", "maybe", 2),
    ] {
        let runner = Runner::new();
        let context = context(
            &action,
            &[("fail-on-findings", fail_on_findings)],
            &[("steps.run.outputs.exit-code", exit)],
        );
        let run = runner.run(step, &context, &[]);
        assert_eq!(
            run.code, expected,
            "exit {exit}, fail-on-findings {fail_on_findings}: {}\n{}",
            run.stdout, run.stderr
        );
        if expected != 0 {
            assert!(run.stdout.contains("::error"), "{}", run.stdout);
        }
    }
}

#[test]
fn the_install_step_installs_a_release_tag_from_its_installer() {
    let action = action();
    let step = action.step("install");
    for (repository, git_ref, version, url) in [
        (
            "bedrock-preflight/bedrock-preflight",
            "v0.2.0",
            "",
            format!("{REPO_URL}/releases/download/v0.2.0/bedrock-preflight-installer.sh"),
        ),
        // `version` overrides the action's ref, with or without its v.
        (
            "bedrock-preflight/bedrock-preflight",
            "main",
            "0.3.1",
            format!("{REPO_URL}/releases/download/v0.3.1/bedrock-preflight-installer.sh"),
        ),
        (
            "bedrock-preflight/bedrock-preflight",
            "v0.2.0",
            "latest",
            format!("{REPO_URL}/releases/latest/download/bedrock-preflight-installer.sh"),
        ),
        // A fork installs its own releases.
        (
            "someone/bedrock-preflight",
            "v1.0.0-rc.1",
            "",
            "https://github.com/someone/bedrock-preflight/releases/download/v1.0.0-rc.1/bedrock-preflight-installer.sh".to_string(),
        ),
    ] {
        let runner = Runner::new();
        let context = context(
            &action,
            &[("version", version)],
            &[
                ("github.action_repository", repository),
                ("github.action_ref", git_ref),
            ],
        );
        let run = runner.run(step, &context, &[]);
        assert_eq!(run.code, 0, "{git_ref} {version}: {}\n{}", run.stdout, run.stderr);
        let curl = runner.called("curl").expect("the installer is downloaded");
        assert_eq!(curl.last(), Some(&url));
        assert!(curl.iter().any(|a| a == "=https"), "https only: {curl:?}");
        assert_eq!(runner.called("cargo"), None, "nothing is built");
        let bin_dir = runner.path("tmp/bedrock-preflight/bin");
        assert_eq!(runner.read("github_path"), format!("{}\n", bin_dir.display()));
        assert!(run.stdout.contains("0.2.0 (release)"), "{}", run.stdout);
    }
}

#[test]
fn the_install_step_says_when_a_release_has_no_installer() {
    let action = action();
    let runner = Runner::new();
    let context = context(
        &action,
        &[],
        &[
            (
                "github.action_repository",
                "bedrock-preflight/bedrock-preflight",
            ),
            ("github.action_ref", "v9.9.9"),
        ],
    );
    let run = runner.run(action.step("install"), &context, &[("FAKE_CURL_FAIL", "1")]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "::error title=bedrock-preflight::no release installer at {REPO_URL}/releases/download/v9.9.9/"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(runner.called("cargo"), None);
    assert_eq!(runner.read("github_path"), "");
}

#[test]
fn the_install_step_builds_a_branch_tag_or_sha_at_one_commit() {
    let action = action();
    let step = action.step("install");
    let root = |runner: &Runner| runner.path("tmp/bedrock-preflight").display().to_string();
    let cargo_git = |runner: &Runner, rev: &str| {
        vec![
            "install".to_string(),
            "--locked".into(),
            "--root".into(),
            root(runner),
            "--git".into(),
            REPO_URL.into(),
            "--rev".into(),
            rev.into(),
            "bedrock-preflight".into(),
        ]
    };
    let repository = (
        "github.action_repository",
        "bedrock-preflight/bedrock-preflight",
    );

    // A branch: resolved to its commit (cargo's --rev takes no branch name).
    let runner = Runner::new();
    let listed = format!("{SHA}\trefs/heads/main");
    let run = runner.run(
        step,
        &context(&action, &[], &[repository, ("github.action_ref", "main")]),
        &[("FAKE_LS_REMOTE", listed.as_str())],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        runner.called("git").unwrap(),
        [
            "ls-remote",
            REPO_URL,
            "refs/tags/main^{}",
            "refs/tags/main",
            "refs/heads/main"
        ]
    );
    assert_eq!(runner.called("cargo").unwrap(), cargo_git(&runner, SHA));
    assert_eq!(runner.called("curl"), None);
    assert!(
        runner
            .read("github_path")
            .ends_with("tmp/bedrock-preflight/bin\n")
    );

    // A tag that is no release (a moving major tag): the commit it points to, peeled.
    let runner = Runner::new();
    let listed = format!("{SHA}\trefs/tags/v1\n{PEELED}\trefs/tags/v1^{{}}");
    let run = runner.run(
        step,
        &context(&action, &[], &[repository, ("github.action_ref", "v1")]),
        &[("FAKE_LS_REMOTE", listed.as_str())],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(runner.called("cargo").unwrap(), cargo_git(&runner, PEELED));

    // A commit SHA: built as it is, nothing to resolve.
    let runner = Runner::new();
    let run = runner.run(
        step,
        &context(&action, &[], &[repository, ("github.action_ref", SHA)]),
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(runner.called("git"), None);
    assert_eq!(runner.called("cargo").unwrap(), cargo_git(&runner, SHA));

    // A name the repository does not have.
    let runner = Runner::new();
    let run = runner.run(
        step,
        &context(
            &action,
            &[],
            &[repository, ("github.action_ref", "no-such-branch")],
        ),
        &[],
    );
    assert_ne!(run.code, 0);
    assert!(run.stdout.contains("::error"), "{}", run.stdout);
    assert_eq!(runner.called("cargo"), None);

    // `uses: ./`: no repository or ref in the context; built from the action's checkout.
    let runner = Runner::new();
    let local = [("github.action_repository", ""), ("github.action_ref", "")];
    let run = runner.run(step, &context(&action, &[], &local), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        runner.called("cargo").unwrap(),
        [
            "install".to_string(),
            "--locked".into(),
            "--root".into(),
            root(&runner),
            "--path".into(),
            runner.path("action").display().to_string(),
        ]
    );
}

#[test]
fn the_install_step_refuses_a_version_that_is_not_a_ref() {
    let action = action();
    for version in ["main; touch pwned", "$(touch pwned)", "-rf", "a b"] {
        let runner = Runner::new();
        let context = context(
            &action,
            &[("version", version)],
            &[
                (
                    "github.action_repository",
                    "bedrock-preflight/bedrock-preflight",
                ),
                ("github.action_ref", "v0.2.0"),
            ],
        );
        let run = runner.run(action.step("install"), &context, &[]);
        assert_ne!(run.code, 0, "{version}");
        for fake in ["curl", "cargo", "git"] {
            assert_eq!(runner.called(fake), None, "{version}: {fake} ran");
        }
        assert!(!runner.path("work/pwned").exists());
        assert_eq!(runner.read("github_path"), "");
    }
}

#[test]
fn the_category_step_names_the_analysis_category_slash_command() {
    require_jq();
    let action = action();
    for (category, command, id) in [
        ("bedrock-preflight", "audit", "bedrock-preflight/audit/"),
        ("prod-account", "audit", "prod-account/audit/"),
        ("prod-account/", "doctor", "prod-account/doctor/"),
    ] {
        let runner = Runner::new();
        // The tool's report, written by the run step's fake.
        let run_step = runner.run(
            action.step("run"),
            &context(&action, &[("command", command)], &[]),
            &[],
        );
        assert_eq!(run_step.code, 0, "{}", run_step.stderr);
        let context = context(
            &action,
            &[("category", category), ("command", command)],
            &[("steps.run.outputs.sarif-file", "bedrock-preflight.sarif")],
        );
        let run = runner.run(action.step("category"), &context, &[]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let sarif: serde_json::Value =
            serde_json::from_str(&runner.read("work/bedrock-preflight.sarif")).unwrap();
        assert_eq!(sarif["runs"][0]["automationDetails"]["id"], id);
        assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn the_summary_step_summarizes_the_report_without_running_the_tool_again() {
    require_jq();
    let action = action();
    let runner = Runner::new();
    let run_step = runner.run(
        action.step("run"),
        &context(&action, &[], &[]),
        &[("FAKE_EXIT", "1")],
    );
    assert_eq!(run_step.code, 0, "{}", run_step.stderr);
    std::fs::remove_file(runner.path("log/bedrock-preflight")).unwrap();

    let context = context(
        &action,
        &[],
        &[
            ("steps.run.outputs.exit-code", "1"),
            ("steps.run.outputs.sarif-file", "bedrock-preflight.sarif"),
        ],
    );
    let run = runner.run(action.step("summary"), &context, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        runner.called("bedrock-preflight"),
        None,
        "the tool ran again"
    );
    let summary = runner.read("step_summary");
    assert_eq!(summary, run.stdout, "the log shows the summary too");
    for expected in [
        "### bedrock-preflight audit: a check failed (exit 1)",
        "| fail | 1 |",
        "| warn | 1 |",
        "| fail | `logging.invocation/off` | `aws/123456789012/us-east-1/logging.invocation` | Model invocation logging is off \\| us-east-1 Fix: setup logging |",
    ] {
        assert!(summary.contains(expected), "{expected:?} in:\n{summary}");
    }
}

#[test]
fn the_run_and_summary_steps_work_with_the_real_tool_against_the_emulator() {
    let emulator = crate::support::Emulator::start();
    let action = action();
    let runner = Runner::new();
    // The real binary in place of the fake, with the emulator's credentials and endpoint.
    let real = assert_cmd::cargo::cargo_bin("bedrock-preflight");
    std::fs::remove_file(runner.path("bin/bedrock-preflight")).unwrap();
    std::os::unix::fs::symlink(&real, runner.path("bin/bedrock-preflight")).unwrap();
    let env: Vec<(String, String)> = emulator
        .std_cmd()
        .get_envs()
        .filter_map(|(name, value)| {
            Some((name.to_str()?.to_string(), value?.to_str()?.to_string()))
        })
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();

    let with = [("command", "audit"), ("args", "--regions us-east-1")];
    let run = runner.run(action.step("run"), &context(&action, &with, &[]), &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let outputs = runner.outputs();
    // The sandbox account has no invocation logging: a failed control, exit 1.
    assert_eq!(outputs["exit-code"], "1", "{}\n{}", run.stdout, run.stderr);
    assert_eq!(outputs["sarif-written"], "true");
    let sarif: serde_json::Value =
        serde_json::from_str(&runner.read("work/bedrock-preflight.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "bedrock-preflight/audit/"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "logging.invocation/off"),
        "{sarif:#}"
    );
    assert!(emulator.front.requests().iter().all(|r| !r.mutating));

    require_jq();
    let after_run = context(
        &action,
        &with,
        &[
            ("steps.run.outputs.exit-code", "1"),
            ("steps.run.outputs.sarif-file", "bedrock-preflight.sarif"),
        ],
    );
    let summary = runner.run(action.step("summary"), &after_run, &[]);
    assert_eq!(summary.code, 0, "{}", summary.stderr);
    assert!(
        summary.stdout.contains("`logging.invocation/off`"),
        "{}",
        summary.stdout
    );

    let verdict = runner.run(
        action.step("verdict"),
        &context(&action, &with, &[("steps.run.outputs.exit-code", "1")]),
        &[],
    );
    assert_eq!(verdict.code, 1, "{}", verdict.stdout);
}
