//! `doctor` in-process against the default account of `tests/fixtures/account.json`, as the
//! IAM user `team/dev`: the command itself (its inputs, checks, report, exit code), the
//! library's real clients answered by the front server's rules through the in-process
//! transport. What moto would hold (the caller) is a fixture; nothing listens and nothing is
//! started. The machine is an empty home: no Claude Code settings, no AWS files.

use std::collections::BTreeMap;
use std::path::Path;

use bedrock_preflight::aws::Session;
use bedrock_preflight::claude_code::Places;
use bedrock_preflight::cli::{Cli, Command};
use bedrock_preflight::{Machine, doctor_on};
use clap::Parser;
use serde_json::Value;

use super::fixture;
use super::front::{Router, Rule, load_scenario};
use super::inprocess::InProcess;
use crate::Run;

pub struct Sandbox {
    /// The rules and the request log, as `Emulator::front`.
    pub front: Router,
    /// The machine's home, where the report is written too.
    home: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let router = runtime.block_on(async { Router::new(None) });
        let account = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/account.json");
        for (operation, rule) in load_scenario(&account).expect("the account scenario loads") {
            router.on(&operation, rule);
        }
        router.on(
            "sts:GetCallerIdentity",
            Rule::Fixture(fixture("sts/GetCallerIdentity.user.xml")),
        );
        // The account is in no organization (moto's answer too, until one is created).
        router.on(
            "organizations:DescribeOrganization",
            super::not_in_organization(),
        );
        Sandbox {
            front: router,
            home: tempfile::tempdir().unwrap(),
            runtime,
        }
    }

    pub fn on(&self, operation: &str, rule: Rule) -> &Self {
        self.front.on(operation, rule);
        self
    }

    /// `bedrock-preflight doctor --output json --timeout 10 ARGS` with `AWS_REGION=us-east-1`,
    /// in-process, and the report read back.
    pub fn doctor(&self, args: &[&str]) -> (Run, Value) {
        let run = self.run_doctor(args);
        let report = run.report();
        (run, report)
    }

    /// As `doctor`: what the binary would print (the report, through `--out`) and exit with.
    pub fn run_doctor(&self, args: &[&str]) -> Run {
        let out = self.home.path().join("report.json");
        let _ = std::fs::remove_file(&out);
        let cli = Cli::try_parse_from(
            [
                "bedrock-preflight",
                "doctor",
                "--output",
                "json",
                "--timeout",
                "10",
                "--out",
                out.to_str().unwrap(),
            ]
            .iter()
            .chain(args),
        )
        .expect("valid doctor flags");
        let Command::Doctor(doctor) = &cli.command else {
            unreachable!("parsed as doctor");
        };
        let region = cli
            .global
            .regions()
            .first()
            .map_or("us-east-1".to_string(), |r| r.to_string());
        let config = InProcess::new(self.front.clone()).sdk_config(&region);
        let home = self.home.path();
        let shell = BTreeMap::from([("HOME".to_string(), home.display().to_string())]);
        let machine = Machine {
            shell,
            places: Places {
                managed: home.join("managed-settings.json"),
                project: home.join("project"),
                user_dir: Some(home.join(".claude")),
            },
            session: Some(Session::from_config(config)),
        };
        let ended = self
            .runtime
            .block_on(Box::pin(doctor_on(machine, &cli.global, doctor)));
        // As main.rs ends a run.
        let (code, stderr) = match ended {
            Ok(code) => (code, String::new()),
            Err(error) => (error.exit_code(), format!("error: {error}\n")),
        };
        Run {
            code: code.into(),
            stdout: std::fs::read_to_string(&out).unwrap_or_default(),
            stderr,
        }
    }
}
