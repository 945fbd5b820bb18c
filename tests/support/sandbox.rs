//! `doctor` in-process against the default account of `tests/fixtures/account.json`, as the
//! IAM user `team/dev`: the library's real clients, engine and report, answered by the front
//! server's rules through the in-process transport. What moto would hold (the caller) is a
//! fixture; nothing listens and nothing is started.

use std::path::Path;
use std::time::Duration;

use bedrock_preflight::aws::Session;
use bedrock_preflight::cli::{Cli, Command};
use bedrock_preflight::engine::NoProgress;
use bedrock_preflight::report::{Document, Format, Style, render};
use bedrock_preflight::{doctor_inputs_from, doctor_report, exit_code};
use clap::Parser;
use serde_json::Value;

use super::fixture;
use super::front::{Router, Rule, load_scenario};
use super::inprocess::InProcess;
use crate::Run;

pub struct Sandbox {
    /// The rules and the request log, as `Emulator::front`.
    pub front: Router,
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
            runtime,
        }
    }

    pub fn on(&self, operation: &str, rule: Rule) -> &Self {
        self.front.on(operation, rule);
        self
    }

    /// `bedrock-preflight doctor --output json ARGS` with `AWS_REGION=us-east-1`, in-process:
    /// what the binary would print and exit with, and the report read back.
    pub fn doctor(&self, args: &[&str]) -> (Run, Value) {
        let cli = Cli::try_parse_from(
            ["bedrock-preflight", "doctor", "--output", "json"]
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
        let report = self.runtime.block_on(async {
            let session = Session::from_config(config);
            let (scope, options) = doctor_inputs_from(&cli.global, doctor, &session)
                .await
                .expect("doctor's inputs");
            let timeout = Duration::from_secs(10).min(cli.global.timeout);
            doctor_report(&session, scope, options, timeout, &NoProgress).await
        });
        let text = render(&Document::Report(&report), Format::Json, Style::default())
            .expect("JSON renders");
        let run = Run {
            code: exit_code(report.summary(), doctor.strict).into(),
            stdout: text,
            stderr: String::new(),
        };
        let report = run.report();
        (run, report)
    }
}
