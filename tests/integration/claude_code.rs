//! Claude Code's configuration through the binary: settings files in a temporary HOME and
//! project, the environment over and under them, a fake `claude` on PATH, and what doctor
//! then checks and emits.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::front::{Fixture, Rule};
use crate::support::{Emulator, simulation_denying};
use crate::{Run, findings};

/// A machine with Claude Code's files: HOME (the emulator's), a project directory doctor
/// runs in, and a `bin` directory put first on PATH.
struct Machine {
    emulator: Emulator,
    project: tempfile::TempDir,
    bin: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        Machine {
            emulator: Emulator::start(),
            project: tempfile::tempdir().unwrap(),
            bin: tempfile::tempdir().unwrap(),
        }
    }

    fn user_settings(&self, settings: Value) -> &Self {
        write(
            &self.emulator.home().join(".claude/settings.json"),
            &settings.to_string(),
        );
        self
    }

    fn project_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.project.path().join(".claude").join(name);
        write(&path, text);
        path
    }

    /// A `claude` that prints `version` as Claude Code does.
    fn claude(&self, version: &str) -> &Self {
        let path = self.bin.path().join("claude");
        write(
            &path,
            &format!("#!/bin/sh\necho '{version} (Claude Code)'\n"),
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// The binary as run in the project, with `bin` first on PATH.
    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.emulator.cmd();
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.current_dir(self.project.path()).env("PATH", path);
        cmd
    }

    fn doctor(&self, args: &[&str]) -> (Run, Value) {
        self.doctor_with(args, |_| {})
    }

    /// `doctor --no-probe --output json` and `args`, with `adjust` applied to the command.
    fn doctor_with(
        &self,
        args: &[&str],
        adjust: impl FnOnce(&mut assert_cmd::Command),
    ) -> (Run, Value) {
        let mut cmd = self.cmd();
        cmd.args(["doctor", "--no-probe", "--output", "json"])
            .args(args);
        adjust(&mut cmd);
        let run = Run::of(&mut cmd);
        let report = run.report();
        (run, report)
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn codes(report: &Value) -> Vec<String> {
    findings(report, "claude-code.config")
        .iter()
        .map(|f| {
            f["code"]
                .as_str()
                .unwrap()
                .trim_start_matches("claude-code.config/")
                .to_string()
        })
        .collect()
}

fn finding<'a>(report: &'a Value, kind: &str) -> &'a Value {
    findings(report, "claude-code.config")
        .into_iter()
        .find(|f| f["code"] == format!("claude-code.config/{kind}"))
        .unwrap_or_else(|| panic!("no {kind} in {:?}", codes(report)))
}

#[test]
fn doctor_checks_every_model_claude_code_will_call_and_names_its_traps() {
    let machine = Machine::new();
    machine.claude("2.1.230").user_settings(json!({
        "env": {
            "CLAUDE_CODE_USE_BEDROCK": "1",
            "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-6",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "ANTHROPIC_API_KEY": "sk-ant-api03-secret-value"
        }
    }));
    // The local project file outranks the user's.
    machine.project_file(
        "settings.local.json",
        r#"{"env": {"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "2048"}}"#,
    );
    let (run, report) = machine.doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        !run.stdout.contains("sk-ant-api03-secret-value"),
        "a key is never printed"
    );
    let kinds = codes(&report);
    for expected in [
        "enabled",
        "region",
        "models",
        "auth-conflict",
        "output-tokens-low",
    ] {
        assert!(
            kinds.contains(&expected.to_string()),
            "{expected} in {kinds:?}"
        );
    }
    assert_eq!(
        finding(&report, "enabled")["evidence"]["version"],
        "2.1.230"
    );
    assert_eq!(
        report["target"]["models"],
        json!([
            "us.anthropic.claude-sonnet-4-6",
            "us.anthropic.claude-haiku-4-5-20251001-v1:0"
        ]),
        "Claude Code's models are the run's targets"
    );
    let judged: Vec<&str> = findings(&report, "iam.invoke")
        .iter()
        .map(|f| f["evidence"]["model_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        judged.len(),
        2,
        "each of Claude Code's models is judged: {judged:?}"
    );
    assert!(
        finding(&report, "output-tokens-low")["message"]
            .as_str()
            .unwrap()
            .contains("settings.local.json"),
        "the file the value came from is named"
    );
}

#[test]
fn an_old_claude_code_reads_only_aws_region() {
    let machine = Machine::new();
    write(
        &machine.emulator.home().join(".aws/config"),
        "[default]\nregion = eu-west-1\n",
    );
    machine.user_settings(json!({"env": {"CLAUDE_CODE_USE_BEDROCK": "1", "ANTHROPIC_MODEL": "eu.anthropic.claude-sonnet-4-6"}}));
    let unset_region = |version: &str| {
        machine.claude(version);
        machine.doctor_with(&[], |cmd| {
            cmd.env_remove("AWS_REGION");
        })
    };
    let (_, report) = unset_region("2.1.100");
    let ignored = finding(&report, "region-not-read");
    assert_eq!(ignored["status"], "fail");
    assert!(ignored["message"].as_str().unwrap().contains("eu-west-1"));
    assert!(
        ignored["remediation"]
            .as_str()
            .unwrap()
            .contains("\"AWS_REGION\": \"eu-west-1\"")
    );
    assert_eq!(
        report["target"]["regions"],
        json!(["us-east-1"]),
        "doctor checks where Claude Code will call"
    );

    let (_, report) = unset_region("2.1.200");
    assert!(!codes(&report).contains(&"region-not-read".to_string()));
    assert_eq!(report["target"]["regions"], json!(["eu-west-1"]));
}

#[test]
fn broken_settings_models_too_new_and_bad_keys_are_named() {
    let machine = Machine::new();
    machine.claude("2.1.100").user_settings(json!({
        "env": {
            "CLAUDE_CODE_USE_BEDROCK": "1",
            "ANTHROPIC_MODEL": "us.anthropic.claude-opus-4-8",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0[1m]",
            "AWS_BEARER_TOKEN_BEDROCK": "sk-ant-not-a-bedrock-key"
        }
    }));
    let broken = machine.project_file("settings.json", "{\n  \"env\": {\n    \"A\": 1,\n  }\n}\n");
    let (run, report) = machine.doctor(&[]);
    assert!(!run.stdout.contains("sk-ant-not-a-bedrock-key"));
    let parse = finding(&report, "settings-not-json");
    assert!(
        parse["message"]
            .as_str()
            .unwrap()
            .contains(&broken.display().to_string())
            && parse["message"].as_str().unwrap().contains("line 4"),
        "{parse}"
    );
    let too_new = finding(&report, "model-needs-newer-claude-code");
    assert_eq!(too_new["remediation"], "claude update");
    assert!(too_new["message"].as_str().unwrap().contains("2.1.154"));
    assert_eq!(finding(&report, "1m-not-supported")["status"], "fail");
    assert_eq!(finding(&report, "bearer-token-shape")["status"], "fail");
}

#[test]
fn without_claude_code_the_check_skips_and_with_the_flag_it_says_what_is_missing() {
    let machine = Machine::new();
    let (_, report) = machine.doctor(&[]);
    assert_eq!(codes(&report), ["not-configured"]);
    let (run, report) = machine.doctor(&["--claude-code"]);
    assert_eq!(run.code, 1);
    assert_eq!(finding(&report, "not-enabled")["status"], "fail");
    assert_eq!(finding(&report, "unpinned-model")["status"], "warn");
}

#[test]
fn emit_prints_only_what_was_proven() {
    let machine = Machine::new();
    let global = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6";
    machine.emulator.on(
        "iam:SimulatePrincipalPolicy",
        simulation_denying(
            &format!("ResourceArns.member.1={global}"),
            "iam/SimulatePrincipalPolicy.implicit-deny.xml",
        ),
    );
    let args = [
        "doctor",
        "--no-probe",
        "--model",
        "global.anthropic.claude-sonnet-4-6",
        "--model",
        "us.anthropic.claude-sonnet-4-6",
        "--model",
        "haiku",
        "--output",
        "json",
    ];
    let run = Run::of(machine.cmd().args(args).args(["--emit", "claude-code-env"]));
    assert_eq!(run.code, 1, "the global profile fails: {}", run.stderr);
    assert_eq!(
        run.stdout,
        "# Claude Code on Bedrock: what bedrock-preflight proved in us-east-1\n\
         export CLAUDE_CODE_USE_BEDROCK=1\n\
         export AWS_REGION=us-east-1\n\
         export ANTHROPIC_MODEL=us.anthropic.claude-sonnet-4-6\n\
         export ANTHROPIC_DEFAULT_SONNET_MODEL=us.anthropic.claude-sonnet-4-6\n\
         export ANTHROPIC_DEFAULT_HAIKU_MODEL=us.anthropic.claude-haiku-4-5-20251001-v1:0\n"
    );
    let report: Value = serde_json::from_str(&run.stderr).expect("the report is on stderr");
    assert_eq!(report["command"], "doctor");

    let run = Run::of(
        machine
            .cmd()
            .args(args)
            .args(["--emit", "claude-code-settings"]),
    );
    let settings: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        settings["env"]["ANTHROPIC_MODEL"],
        "us.anthropic.claude-sonnet-4-6"
    );
    assert!(
        settings["env"]
            .get("ANTHROPIC_DEFAULT_OPUS_MODEL")
            .is_none(),
        "Opus was not checked"
    );

    // Nothing proven: no block at all, since an empty one reads as a working configuration.
    let report = machine.emulator.home().join("report.json");
    let run = Run::of(
        machine
            .cmd()
            .args(&args[..4])
            .args(["--emit", "claude-code-settings", "--out"])
            .arg(&report),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("Nothing to emit: no model was proven to work for this principal and region"),
        "{}",
        run.stderr
    );
}

#[test]
fn doctor_checks_the_identity_claude_codes_settings_choose() {
    let machine = Machine::new();
    let (cc_key, cc_secret) = machine.emulator.user_with_key("claude-code");
    write(
        &machine.emulator.home().join(".aws/credentials"),
        &format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[cc]\naws_access_key_id = {cc_key}\naws_secret_access_key = {cc_secret}\n",
            machine.emulator.access_key_id, machine.emulator.secret_access_key
        ),
    );
    // The shell says dev; the settings file's env block, which Claude Code lets win, says cc.
    machine.user_settings(json!({"env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_PROFILE": "cc"}}));
    let (run, report) = machine.doctor_with(&[], |cmd| {
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_PROFILE", "dev");
    });
    assert_eq!(
        report["target"]["principal"], "arn:aws:iam::123456789012:user/claude-code",
        "{}",
        run.stderr
    );
}

#[test]
fn keys_in_claude_codes_settings_outrank_the_shells() {
    let machine = Machine::new();
    let (cc_key, cc_secret) = machine.emulator.user_with_key("settings-keys");
    // The shell holds dev's keys; the settings file's env block, which wins in Claude Code,
    // holds another user's.
    machine.user_settings(json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_ACCESS_KEY_ID": cc_key,
        "AWS_SECRET_ACCESS_KEY": cc_secret
    }}));
    let (run, report) = machine.doctor(&[]);
    assert_eq!(
        report["target"]["principal"], "arn:aws:iam::123456789012:user/settings-keys",
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains(&cc_secret) && !run.stderr.contains(&cc_secret));
    // --profile says whose identity to check, whatever Claude Code's settings hold.
    write(
        &machine.emulator.home().join(".aws/credentials"),
        &format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            machine.emulator.access_key_id, machine.emulator.secret_access_key
        ),
    );
    let (_, report) = machine.doctor_with(&["--profile", "dev"], |cmd| {
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
    });
    assert_eq!(
        report["target"]["principal"],
        "arn:aws:iam::123456789012:user/team/dev"
    );
}

const SONNET_4_5: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The account's catalog and us-east-1's profiles with Opus 4.8 and Opus 5 added (the shared
/// fixtures predate them), each with a `us.` and a `global.` profile: what lets a test tell
/// the default of 2.1.207 from that of 2.1.219.
fn with_newer_opus(machine: &Machine) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bedrock");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(name)).unwrap()).unwrap()
    };
    let mut models = read("ListFoundationModels.json");
    let mut profiles: Vec<Value> = [
        "ListInferenceProfiles.us.json",
        "ListInferenceProfiles.us.page-2.json",
    ]
    .iter()
    .flat_map(|page| {
        read(page)["inferenceProfileSummaries"]
            .as_array()
            .unwrap()
            .clone()
    })
    .collect();
    let model_template = models["modelSummaries"][0].clone();
    let profile_template = profiles[0].clone();
    for (id, name) in [
        ("anthropic.claude-opus-4-8", "Claude Opus 4.8"),
        ("anthropic.claude-opus-5", "Claude Opus 5"),
    ] {
        let mut model = model_template.clone();
        model["modelId"] = id.into();
        model["modelName"] = name.into();
        model["modelArn"] = format!("arn:aws:bedrock:{{{{region}}}}::foundation-model/{id}").into();
        models["modelSummaries"].as_array_mut().unwrap().push(model);
        for prefix in ["us", "global"] {
            let mut profile = profile_template.clone();
            profile["inferenceProfileId"] = format!("{prefix}.{id}").into();
            profile["inferenceProfileName"] = format!("{prefix} {name}").into();
            profile["inferenceProfileArn"] = format!(
                "arn:aws:bedrock:{{{{region}}}}:123456789012:inference-profile/{prefix}.{id}"
            )
            .into();
            profile["models"] =
                json!([{"modelArn": format!("arn:aws:bedrock:us-east-1::foundation-model/{id}")}]);
            profiles.push(profile);
        }
    }
    let answer = |body: Value| {
        Rule::Fixture(Fixture {
            status: 200,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: serde_json::to_vec(&body).unwrap().into(),
        })
    };
    machine
        .emulator
        .on("bedrock:ListFoundationModels", answer(models))
        .on(
            "bedrock:ListInferenceProfiles",
            answer(json!({"inferenceProfileSummaries": profiles})),
        );
}

/// doctor for an unpinned Claude Code of `version`, with `env` over the settings.
fn unpinned(machine: &Machine, version: &str, env: &[(&str, &str)]) -> Value {
    machine
        .claude(version)
        .user_settings(json!({"env": {"CLAUDE_CODE_USE_BEDROCK": "1"}}));
    let (run, report) = machine.doctor_with(&[], |cmd| {
        for (name, value) in env {
            cmd.env(name, value);
        }
    });
    assert!(
        report["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "{}",
        run.stderr
    );
    report
}

#[test]
fn an_unpinned_claude_code_is_judged_on_the_model_and_prefix_its_version_calls() {
    let machine = Machine::new();
    // Before 2.1.128 the default resolved to global.; before 2.1.141 background side-queries
    // called a Haiku-class default the facts cannot name, so it is said, not targeted.
    let report = unpinned(&machine, "2.1.100", &[]);
    assert_eq!(
        report["target"]["models"],
        json!([format!("global.{SONNET_4_5}")])
    );
    let unpinned_finding = finding(&report, "unpinned-model");
    assert_eq!(unpinned_finding["status"], "warn");
    let message = unpinned_finding["message"].as_str().unwrap();
    assert!(
        message.contains("CHANGELOG 2.0.8"),
        "the source is named: {message}"
    );
    assert!(message.contains("Haiku-class default"), "{message}");

    // From 2.1.128 the region's own prefix: eu. from eu-west-1 (this was judged on us. before).
    let report = unpinned(&machine, "2.1.150", &[("AWS_REGION", "eu-west-1")]);
    assert_eq!(report["target"]["regions"], json!(["eu-west-1"]));
    assert_eq!(
        report["target"]["models"],
        json!([format!("eu.{SONNET_4_5}")])
    );
    let routes = findings(&report, "profiles.resolve");
    assert!(
        routes.iter().all(|f| f["status"] == "pass"),
        "eu-west-1 offers the eu. profile: {routes:?}"
    );
}

#[test]
fn from_2_1_207_the_default_is_the_versions_opus_and_background_calls_the_default_sonnet() {
    let machine = Machine::new();
    with_newer_opus(&machine);
    let report = unpinned(&machine, "2.1.210", &[]);
    assert_eq!(
        report["target"]["models"],
        json!(["us.anthropic.claude-opus-4-8", format!("us.{SONNET_4_5}")]),
        "Opus 4.8, not the newer Opus 5 the catalog also has"
    );
    let message = finding(&report, "unpinned-model")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("UNCONFIRMED"), "{message}");
    assert!(message.contains("background side-queries"), "{message}");

    let report = unpinned(&machine, "2.1.230", &[]);
    assert_eq!(
        report["target"]["models"],
        json!(["us.anthropic.claude-opus-5", format!("us.{SONNET_4_5}")])
    );

    let report = unpinned(
        &machine,
        "2.1.230",
        &[("ANTHROPIC_BEDROCK_REGION_PREFIX", "global")],
    );
    assert_eq!(
        report["target"]["models"],
        json!([
            "global.anthropic.claude-opus-5",
            format!("global.{SONNET_4_5}")
        ]),
        "ANTHROPIC_BEDROCK_REGION_PREFIX wins over the region's prefix"
    );
    assert!(
        finding(&report, "unpinned-model")["message"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_BEDROCK_REGION_PREFIX from the shell environment")
    );
}

#[test]
fn a_settings_file_that_cannot_be_used_fails_without_the_flag_and_names_the_file() {
    let machine = Machine::new();
    // Nothing else enables Claude Code: the broken files may be where Bedrock is enabled.
    let not_json = machine.project_file(
        "settings.json",
        "{\n  \"env\": {\n    \"CLAUDE_CODE_USE_BEDROCK\": \"1\",\n  }\n}\n",
    );
    let dangling = machine.project.path().join(".claude/settings.local.json");
    std::os::unix::fs::symlink(machine.project.path().join("gone.json"), &dangling).unwrap();
    let directory = machine.emulator.home().join(".claude/settings.json");
    std::fs::create_dir_all(&directory).unwrap();
    let (run, report) = machine.doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut kinds = codes(&report);
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "settings-not-json",
            "settings-unreadable",
            "settings-unreadable"
        ],
        "only the files are judged while nothing enables Claude Code"
    );
    let parse = finding(&report, "settings-not-json");
    assert_eq!(parse["status"], "fail");
    assert_eq!(parse["resource"], not_json.display().to_string());
    assert_eq!(
        (&parse["evidence"]["line"], &parse["evidence"]["column"]),
        (&json!(4), &json!(3))
    );
    assert!(
        parse["remediation"]
            .as_str()
            .unwrap()
            .contains("Fix line 4, column 3")
            && parse["remediation"].as_str().unwrap().contains("`}`"),
        "the fix quotes the line: {parse}"
    );
    let unreadable = findings(&report, "claude-code.config");
    let about = |path: &Path| {
        unreadable
            .iter()
            .find(|f| f["resource"] == path.display().to_string())
            .unwrap_or_else(|| panic!("{} is named: {unreadable:?}", path.display()))
    };
    assert!(
        about(&dangling)["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link to nothing")
    );
    assert!(
        about(&directory)["message"]
            .as_str()
            .unwrap()
            .contains("is a directory")
    );

    // Not UTF-8, and a setting of the wrong type.
    std::fs::remove_file(&dangling).unwrap();
    std::fs::remove_dir(&directory).unwrap();
    std::fs::write(&not_json, b"{\"model\": \"caf\xe9\"}").unwrap();
    // The secret is in the very block that is refused: neither the finding nor any line of
    // the run may show it.
    write(
        &directory,
        "{\"env\": {\"AWS_SECRET_ACCESS_KEY\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYTYPELEAK\",\n  \"CLAUDE_CODE_USE_BEDROCK\": 1}}",
    );
    let (run, report) = machine.doctor(&[]);
    assert!(
        !report.to_string().contains("TYPELEAK") && !run.stderr.contains("TYPELEAK"),
        "{report}"
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let encoding = finding(&report, "settings-unreadable");
    assert_eq!(encoding["resource"], not_json.display().to_string());
    assert!(
        encoding["message"].as_str().unwrap().contains("not UTF-8"),
        "{encoding}"
    );
    let typed = finding(&report, "settings-wrong-type");
    assert_eq!(typed["status"], "fail");
    assert_eq!(typed["resource"], directory.display().to_string());
    assert!(
        typed["message"]
            .as_str()
            .unwrap()
            .contains("\"env\" must be an object of strings, not an object whose \"CLAUDE_CODE_USE_BEDROCK\" is a number"),
        "{typed}"
    );
    assert!(
        typed["remediation"]
            .as_str()
            .unwrap()
            .contains("`{\"env\": …`"),
        "{typed}"
    );
}

#[test]
fn the_changelog_script_lists_what_came_after_the_reviewed_version_and_may_change_a_fact() {
    let dir = tempfile::tempdir().unwrap();
    let changelog = dir.path().join("CHANGELOG.md");
    // The facts were reviewed through 2.1.240: only later entries that touch Bedrock, Mantle,
    // AWS or a model are listed.
    write(
        &changelog,
        "# Changelog\n\n## 2.1.242\n\n- Fixed Bedrock requests to Opus 5 from us-gov regions\n- Improved /help\n\n\
         ## 2.1.241\n\n- Added a Mantle setting for gateways\n  that rewrite paths\n\n## 2.1.240\n\n- Bedrock: reviewed already\n",
    );
    // The emulator's Python: the machine that runs these tests has it.
    let python = crate::support::moto_server_path().with_file_name("python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/claude-code-changelog.py");
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(&changelog)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let listed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("CHANGELOG "))
        .collect();
    assert_eq!(
        listed,
        [
            "CHANGELOG 2.1.241: Added a Mantle setting for gateways that rewrite paths",
            "CHANGELOG 2.1.242: Fixed Bedrock requests to Opus 5 from us-gov regions",
        ]
    );
    assert!(
        stdout.contains("set its reviewed_through to 2.1.242"),
        "{stdout}"
    );
}

#[test]
fn with_aws_profile_set_claude_code_signs_with_the_profile_not_the_environments_keys() {
    let machine = Machine::new();
    let (cc_key, cc_secret) = machine.emulator.user_with_key("claude-code");
    write(
        &machine.emulator.home().join(".aws/credentials"),
        &format!("[cc]\naws_access_key_id = {cc_key}\naws_secret_access_key = {cc_secret}\n"),
    );
    // The shell exports the dev user's keys (`cmd` does); the settings file names a profile.
    // The AWS SDK for JavaScript then skips the keys, so Claude Code calls as cc.
    machine.user_settings(json!({"env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_PROFILE": "cc"}}));
    let (run, report) = machine.doctor(&[]);
    assert_eq!(
        report["target"]["principal"], "arn:aws:iam::123456789012:user/claude-code",
        "{}",
        run.stderr
    );
    let credentials = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "credentials.resolve")
        .unwrap();
    assert_eq!(credentials["evidence"]["env_keys_ignored"], true);
    assert_eq!(credentials["evidence"]["profile_rule"], "claude-code");
}

#[test]
fn a_bad_region_or_switch_in_settings_is_a_finding_and_the_report_is_written() {
    let machine = Machine::new();
    let settings = machine.emulator.home().join(".claude/settings.json");
    machine.user_settings(json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_REGION": "eu-middle-99 now"
    }}));
    let (run, report) = machine.doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = report["findings"].as_array().unwrap();
    let region = findings
        .iter()
        .find(|f| f["code"] == "claude-code.config/region-invalid")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(region["status"], "fail");
    let message = region["message"].as_str().unwrap();
    assert!(
        message.contains("eu-middle-99 now") && message.contains(&settings.display().to_string()),
        "{message}"
    );
    // The rest was judged in the region the run had.
    assert_eq!(report["target"]["regions"], json!(["us-east-1"]));

    // A switch Claude Code reads as off, though set: named even without --claude-code.
    machine.user_settings(
        json!({"env": {"CLAUDE_CODE_USE_BEDROCK": "enabled", "AWS_REGION": "us-east-1"}}),
    );
    let (run, report) = machine.doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let switch = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "claude-code.config/switch-value-unclear")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(switch["status"], "fail");
    assert!(
        switch["message"]
            .as_str()
            .unwrap()
            .contains("CLAUDE_CODE_USE_BEDROCK is \"enabled\""),
        "{switch:#}"
    );
    assert!(
        switch["remediation"]
            .as_str()
            .unwrap()
            .contains(&settings.display().to_string())
    );
    assert!(
        switch["evidence"]["fact_source"]
            .as_str()
            .unwrap()
            .contains("unconfirmed")
    );
}
