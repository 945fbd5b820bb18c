//! Claude Code's configuration through the binary: settings files in a temporary HOME and
//! project, the environment over and under them, a fake `claude` on PATH, and what doctor
//! then checks and emits.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

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
