//! Where it runs at scale: the `Dockerfile` builds a static binary and ships it on
//! distroless as nonroot with the binary as its entrypoint, its context holds every file the
//! build reads, the release pushes the image the README names (a dist publish job, with only
//! the permissions it needs and every action pinned to a commit), and the README's
//! organization-wide workflow and ECS task are what the action and the image take.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde_yaml_ng::Value;

const IMAGE: &str = "ghcr.io/bedrock-preflight/bedrock-preflight";

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(name: &str) -> Value {
    serde_yaml_ng::from_str(&repo_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One Dockerfile instruction: its keyword in capitals and the rest, continuations joined.
type Instruction = (String, String);

/// The Dockerfile's stages, each its instructions from its `FROM` on.
fn stages() -> Vec<Vec<Instruction>> {
    let mut logical: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in repo_file("Dockerfile").lines() {
        let trimmed = line.trim();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                logical.push(std::mem::take(&mut pending));
            }
        }
    }
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in logical {
        let (keyword, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let instruction = (keyword.to_ascii_uppercase(), rest.trim().to_string());
        if instruction.0 == "FROM" {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(instruction);
        }
    }
    stages
}

fn all<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|(k, _)| k == keyword)
        .map(|(_, rest)| rest.as_str())
        .collect()
}

#[test]
fn the_final_stage_is_the_static_binary_on_distroless_as_nonroot() {
    let stages = stages();
    assert!(stages.len() >= 2, "a build stage and the final one");
    let build = &stages[0];
    let from = all(build, "FROM")[0];
    let build_name = from
        .rsplit_once(" AS ")
        .or_else(|| from.rsplit_once(" as "))
        .map(|(_, name)| name.trim())
        .expect("the build stage is named");
    assert!(
        from.starts_with("rust:") && from.contains("-alpine"),
        "the build stage links statically against musl: {from}"
    );
    assert!(
        all(build, "RUN")
            .iter()
            .any(|run| run.contains("readelf") && run.contains("NEEDED")),
        "the build refuses a binary that needs a shared library"
    );

    let last = stages.last().unwrap();
    let image = all(last, "FROM")[0];
    let image = image.split('@').next().unwrap();
    assert_eq!(image, "gcr.io/distroless/static-debian12:nonroot");
    assert!(
        all(last, "RUN").is_empty(),
        "distroless has no shell to run"
    );
    for user in all(last, "USER") {
        assert!(
            matches!(
                user,
                "nonroot" | "nonroot:nonroot" | "65532" | "65532:65532"
            ),
            "the image runs as nonroot, not {user}"
        );
    }
    let copied = all(last, "COPY");
    let from_build = format!("--from={build_name} ");
    let [binary] = copied[..] else {
        panic!("one COPY, the binary: {copied:?}");
    };
    let destination = binary
        .strip_prefix(&from_build)
        .and_then(|rest| rest.split_whitespace().last())
        .unwrap_or_else(|| panic!("the binary comes from the build stage: {binary}"));
    let entrypoint = all(last, "ENTRYPOINT");
    let entrypoint: Vec<String> = serde_json::from_str(entrypoint.last().unwrap())
        .expect("ENTRYPOINT in exec form: no shell in the image to run it");
    assert_eq!(entrypoint, [destination], "the binary is the entrypoint");
    assert!(
        all(last, "CMD").is_empty(),
        "a task's command is the tool's arguments"
    );
}

/// The first component of `path` below the repository, `..` resolved.
fn top_level(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut resolved = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    let relative = resolved
        .strip_prefix(root)
        .unwrap_or_else(|_| panic!("{} is outside the repository", resolved.display()));
    relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned()
}

/// Every file of the crate's sources, recursively.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn the_build_context_holds_every_file_the_build_reads() {
    let stages = stages();
    let copied: BTreeSet<String> = all(&stages[0], "COPY")
        .iter()
        .filter(|rest| !rest.starts_with("--from"))
        .flat_map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| w.trim_end_matches('/').to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // What the compiler reads beside src/: files named by include_str! and include_bytes!.
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut needed = BTreeSet::from(["Cargo.toml".to_string(), "Cargo.lock".to_string()]);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("include_") {
            let rest = &text[at..];
            let Some(argument) = ["include_str!(\"", "include_bytes!(\""]
                .iter()
                .find_map(|open| rest.strip_prefix(open))
            else {
                continue;
            };
            let name = &argument[..argument.find('"').unwrap()];
            needed.insert(top_level(&file.parent().unwrap().join(name)));
        }
    }
    assert!(needed.contains("policies"), "the templates are compiled in");
    let missing: Vec<&String> = needed.difference(&copied).collect();
    assert!(
        missing.is_empty(),
        "the build reads {missing:?}, which it does not COPY"
    );

    let ignore = repo_file(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(patterns.first(), Some(&"*"), "everything is left out first");
    for source in &copied {
        assert!(
            patterns.contains(&format!("!{source}").as_str()),
            "{source} is copied but left out of the context"
        );
    }
}

/// `owner/repo@<40 hex digits>`.
fn pinned(uses: &str) -> bool {
    uses.split_once('@')
        .is_some_and(|(_, r#ref)| r#ref.len() == 40 && r#ref.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn permissions(value: &Value) -> Vec<(String, String)> {
    value
        .as_mapping()
        .expect("permissions")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect()
}

fn only_push_rights() -> Vec<(String, String)> {
    vec![
        ("contents".into(), "read".into()),
        ("packages".into(), "write".into()),
    ]
}

#[test]
fn the_release_pushes_the_image_with_push_rights_only_and_pinned_actions() {
    let workflow = yaml(".github/workflows/publish-image.yml");
    assert!(
        workflow["on"]["workflow_call"]["inputs"]["plan"]["required"] == Value::Bool(true),
        "called by the release with dist's plan, never on its own: {:?}",
        workflow["on"]
    );
    let jobs = workflow["jobs"].as_mapping().unwrap();
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    assert_eq!(permissions(&job["permissions"]), only_push_rights());
    assert_eq!(job["env"]["IMAGE"], IMAGE);
    let steps = job["steps"].as_sequence().unwrap();
    for uses in steps.iter().filter_map(|s| s["uses"].as_str()) {
        assert!(pinned(uses), "{uses} is not pinned to a commit");
    }
    let script: String = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for needed in [
        "docker build",
        "docker login ghcr.io",
        "docker push --all-tags \"$IMAGE\"",
    ] {
        assert!(
            script.contains(needed),
            "the job runs `{needed}`:\n{script}"
        );
    }
    assert!(
        !script.contains("${{"),
        "no expression is interpolated into the script"
    );

    // dist's workflow calls it as a publish job, and its announcement waits for it.
    let release = yaml(".github/workflows/release.yml");
    let call = &release["jobs"]["custom-publish-image"];
    assert_eq!(call["uses"], "$/.github/workflows/publish-image.yml");
    assert_eq!(call["with"]["plan"], "${{ needs.plan.outputs.val }}");
    assert_eq!(permissions(&call["permissions"]), only_push_rights());
    let needs = call["needs"].as_sequence().unwrap();
    assert!(
        needs.contains(&Value::from("host")),
        "after the release is hosted"
    );
    let announce = release["jobs"]["announce"]["needs"].as_sequence().unwrap();
    assert!(announce.contains(&Value::from("custom-publish-image")));
    // dist regenerates release.yml from its configuration: the job must be there too.
    let dist: toml::Table = toml::from_str(&repo_file("dist-workspace.toml")).unwrap();
    assert_eq!(
        dist["dist"]["publish-jobs"].as_array().unwrap(),
        &[toml::Value::from("./publish-image")]
    );
    let granted = dist["dist"]["github-custom-job-permissions"]["publish-image"]
        .as_table()
        .unwrap();
    let granted: Vec<(String, String)> = granted
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(granted, only_push_rights());
}

/// The README's "Running it at scale" section, up to the next section of its level.
fn at_scale() -> String {
    let readme = repo_file("README.md");
    let start = readme
        .find("\n## Running it at scale\n")
        .expect("README.md has a `## Running it at scale` section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

/// The section's code blocks with `info` as their info string.
fn blocks(section: &str, info: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("```{info}") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            found.push(body.join("\n"));
        }
    }
    found
}

#[test]
fn the_readme_runs_the_action_in_org_mode_and_the_image_the_release_pushes() {
    let section = at_scale();
    assert!(
        section.contains(&format!("`{IMAGE}:VERSION`")),
        "the image is named"
    );

    let workflows = blocks(&section, "yaml");
    let workflow: Value = serde_yaml_ng::from_str(&workflows[0]).expect("the workflow is YAML");
    assert!(workflow["on"].get("schedule").is_some(), "on a schedule");
    let granted = permissions(&workflow["permissions"]);
    for wanted in [
        ("id-token", "write"),
        ("security-events", "write"),
        ("contents", "read"),
    ] {
        assert!(
            granted.contains(&(wanted.0.into(), wanted.1.into())),
            "{wanted:?} in {granted:?}"
        );
    }
    let steps = workflow["jobs"]["audit"]["steps"].as_sequence().unwrap();
    let at = |prefix: &str| {
        steps
            .iter()
            .position(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
            .unwrap_or_else(|| panic!("a step uses {prefix}"))
    };
    let (credentials, action) = (
        at("aws-actions/configure-aws-credentials@"),
        at("bedrock-preflight/bedrock-preflight@"),
    );
    assert!(credentials < action, "credentials come first");
    assert!(steps[credentials]["with"]["role-to-assume"].is_string());
    for step in steps {
        let uses = step["uses"].as_str().unwrap();
        assert!(
            uses.starts_with("bedrock-preflight/") || pinned(uses),
            "{uses} is not pinned to a commit"
        );
    }
    assert_eq!(steps[action]["with"]["command"], "audit");
    assert_eq!(
        steps[action]["with"]["args"],
        "--org --role-name bedrock-preflight-audit --regions all"
    );
    // The same commit of checkout as the release's own job.
    let release_checkout =
        yaml(".github/workflows/publish-image.yml")["jobs"]["image"]["steps"][0]["uses"].clone();
    assert_eq!(steps[at("actions/checkout@")]["uses"], release_checkout);

    let json: Vec<serde_json::Value> = blocks(&section, "json")
        .iter()
        .map(|text| serde_json::from_str(text).expect("the README's JSON parses"))
        .collect();
    let task = json
        .iter()
        .find(|j| j.get("containerDefinitions").is_some())
        .expect("an ECS task definition");
    let container = &task["containerDefinitions"][0];
    let image = container["image"].as_str().unwrap();
    assert_eq!(image.rsplit_once(':').unwrap().0, IMAGE);
    assert_eq!(
        container["command"][0], "audit",
        "the entrypoint is the binary"
    );
    assert_eq!(
        task["runtimePlatform"]["cpuArchitecture"], "X86_64",
        "the image is linux/amd64"
    );
}
