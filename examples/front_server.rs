//! The test suite's front server as a standalone process, for the sandbox and benchmarks:
//!
//!     cargo run --example front_server -- --upstream http://127.0.0.1:5000 [--port 0] [--scenario FILE]
//!         [--latency-ms N]
//!
//! It prints `listening on http://127.0.0.1:PORT` on stdout once it accepts connections, and
//! serves its request log at `GET /_front/requests` (`POST /_front/reset` clears it).
//!
//! A scenario file maps operations to rules (format: `front::load_scenario`); the sandbox's
//! is `tests/fixtures/account.json`.

#[path = "../tests/support/front.rs"]
mod front;

use std::path::PathBuf;

use clap::Parser;
use front::{FrontServer, load_scenario};

#[derive(Parser)]
struct Args {
    /// moto's URL; without it, operations without a rule answer 501
    #[arg(long)]
    upstream: Option<String>,
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Milliseconds added to every answer, as a network round trip
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
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
    server.set_latency(std::time::Duration::from_millis(args.latency_ms));
    println!("listening on {}", server.url());
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}
