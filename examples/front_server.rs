//! The test suite's front server as a standalone process, for the sandbox and benchmarks:
//!
//!     cargo run --example front_server -- --upstream http://127.0.0.1:5000 [--port 0] [--scenario FILE]
//!
//! It prints `listening on http://127.0.0.1:PORT` on stdout once it accepts connections, and
//! serves its request log at `GET /_front/requests` (`POST /_front/reset` clears it).
//!
//! A scenario file maps operations to rules; fixture paths are relative to the file:
//!
//!     {"sts:GetCallerIdentity": {"fixture": "sts/GetCallerIdentity.root.xml", "status": 200},
//!      "iam:GetRole": {"fault": "access-denied"},
//!      "iam:ListRoles": {"delay_ms": 2000}}

#[path = "../tests/support/front.rs"]
mod front;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use front::{Fault, Fixture, FrontServer, Rule};

#[derive(Parser)]
struct Args {
    /// moto's URL; without it, operations without a rule answer 501
    #[arg(long)]
    upstream: Option<String>,
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long)]
    scenario: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let rules = match &args.scenario {
        Some(path) => load_scenario(path)?,
        None => Vec::new(),
    };
    let server = FrontServer::start(args.port, args.upstream)
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    for (operation, rule) in rules {
        server.on(&operation, rule);
    }
    println!("listening on {}", server.url());
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}

fn load_scenario(path: &Path) -> Result<Vec<(String, Rule)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let scenario: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    scenario
        .into_iter()
        .map(|(operation, spec)| {
            let rule = rule_of(&spec, base)
                .map_err(|e| format!("{}: {operation}: {e}", path.display()))?;
            Ok((operation, rule))
        })
        .collect()
}

fn rule_of(spec: &serde_json::Value, base: &Path) -> Result<Rule, String> {
    let mut rule = if let Some(file) = spec.get("fixture").and_then(|f| f.as_str()) {
        let mut fixture =
            Fixture::from_file(&base.join(file)).map_err(|e| format!("{file}: {e}"))?;
        if let Some(status) = spec.get("status").and_then(|s| s.as_u64()) {
            fixture = fixture.with_status(status as u16);
        }
        Rule::Fixture(fixture)
    } else if let Some(fault) = spec.get("fault").and_then(|f| f.as_str()) {
        Rule::Fault(Fault::parse(fault).ok_or_else(|| format!("unknown fault {fault}"))?)
    } else {
        Rule::Forward
    };
    if let Some(ms) = spec.get("delay_ms").and_then(|d| d.as_u64()) {
        rule = Rule::Delay(Duration::from_millis(ms), Box::new(rule));
    }
    Ok(rule)
}
