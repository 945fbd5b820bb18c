//! `mcp`: a Model Context Protocol session over the binary's stdin and stdout, spoken as a
//! client would (newline-delimited JSON-RPC), against the emulator.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Emulator;
use crate::{assert_v1_shape, finding};

/// A client at the other end of `bedrock-preflight mcp`.
struct Session {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
}

impl Session {
    fn start(emulator: &Emulator, global: &[&str]) -> Session {
        let mut child = emulator
            .std_cmd()
            .args(global)
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start bedrock-preflight mcp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut session = Session {
            child,
            stdin,
            lines,
            next_id: 1,
        };
        let init = session.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bedrock-preflight-tests", "version": "0"}
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "bedrock-preflight");
        assert_eq!(
            init["result"]["serverInfo"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert!(
            init["result"]["capabilities"]["tools"].is_object(),
            "{init}"
        );
        session.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        session
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").expect("write to the server");
        self.stdin.flush().unwrap();
    }

    /// The answer to one request; every line the server writes must be JSON-RPC.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("no answer to {method} within 120 s"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a line that is not JSON ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{message}");
            if message["id"] == id {
                return message;
            }
        }
    }

    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(answer["error"].is_null(), "{tool}: {answer}");
        answer["result"].clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON report a tool returned, as text and as structured content alike.
fn report_of(result: &Value) -> Value {
    assert_ne!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().expect("text content");
    let report: Value = serde_json::from_str(text).expect("the text is the JSON report");
    assert_eq!(result["structuredContent"], report);
    report
}

#[test]
fn a_session_lists_the_read_only_tools_and_runs_doctor() {
    let emulator = Emulator::start();
    let mut session = Session::start(&emulator, &[]);

    let tools = session.request("tools/list", json!({}));
    let tools = tools["result"]["tools"].as_array().expect("tools").clone();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "audit",
            "checks_list",
            "doctor",
            "policy_evaluate",
            "policy_explain",
            "policy_render"
        ]
    );
    for tool in &tools {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        // Nothing that changes AWS can be asked for.
        let properties = tool["inputSchema"]["properties"].as_object();
        for mutating in ["fix", "yes", "dry_run", "attach_to"] {
            assert!(
                properties.is_none_or(|p| !p.contains_key(mutating)),
                "{tool}"
            );
        }
    }
    let doctor = tools.iter().find(|t| t["name"] == "doctor").unwrap();
    assert_eq!(
        doctor["inputSchema"]["properties"]["models"]["type"],
        "array"
    );

    let report = report_of(&session.call("doctor", json!({"models": ["sonnet"]})));
    assert_v1_shape(&report);
    assert_eq!(report["command"], "doctor");
    assert_eq!(
        finding(&report, "identity.caller")["evidence"]["principal_kind"],
        "user"
    );
    assert_eq!(finding(&report, "credentials.resolve")["status"], "pass");
    let sent = emulator.front.requests();
    assert_eq!(emulator.front.count("sts:GetCallerIdentity"), 1, "{sent:?}");
    assert!(sent.iter().all(|r| !r.mutating), "{sent:?}");

    let catalog = session.call("checks_list", json!({}));
    let catalog: Value =
        serde_json::from_str(catalog["content"][0]["text"].as_str().unwrap()).unwrap();
    assert!(
        catalog
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "iam.invoke")
    );
}

#[test]
fn bad_arguments_are_tool_errors_and_flags_cannot_be_smuggled_in() {
    let emulator = Emulator::start();
    let mut session = Session::start(&emulator, &["--region", "us-east-1"]);

    // An argument the tool does not declare is refused by the protocol layer.
    let refused = session.request(
        "tools/call",
        json!({"name": "doctor", "arguments": {"fix": true}}),
    );
    assert!(
        refused["error"].is_object() || refused["result"]["isError"] == true,
        "{refused}"
    );

    // A value that looks like a flag stays a value, for options and for a template's name.
    let smuggled = session.call("doctor", json!({"models": ["--help"]}));
    assert_eq!(smuggled["isError"], true, "{smuggled}");
    let text = smuggled["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("--model '--help' is neither"), "{text}");
    let smuggled = session.call("policy_render", json!({"name": "--fix"}));
    let text = smuggled["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("no policy template named '--fix'"), "{text}");
    assert!(
        emulator.front.requests().iter().all(|r| !r.mutating),
        "{:?}",
        emulator.front.requests()
    );

    // Invalid input is the command's one line, marked as an error for the assistant.
    let missing = session.call(
        "policy_evaluate",
        json!({
            "policies": ["/nonexistent/policy.json"],
            "action": "bedrock:InvokeModel",
            "resource": "*"
        }),
    );
    assert_eq!(missing["isError"], true, "{missing}");
    let message = missing["content"][0]["text"].as_str().unwrap();
    assert!(message.contains("/nonexistent/policy.json"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn policy_tools_answer_as_the_command_line_does() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("invoke.json");
    std::fs::write(
        &policy,
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "InvokeSonnet",
                "Effect": "Allow",
                "Action": "bedrock:InvokeModel",
                "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6"
            }]
        })
        .to_string(),
    )
    .unwrap();
    let mut session = Session::start(&emulator, &[]);
    let evaluate = |session: &mut Session, resource: &str| {
        session.call(
            "policy_evaluate",
            json!({
                "policies": [policy.to_str().unwrap()],
                "action": "bedrock:InvokeModel",
                "resource": resource,
                "context": {"aws:RequestedRegion": ["us-east-1"]}
            }),
        )
    };
    let allowed = report_of(&evaluate(
        &mut session,
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    ));
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(allowed["matched"][0]["sid"], "InvokeSonnet");
    // A denial is the evaluation's answer, not a failed call.
    let denied = report_of(&evaluate(
        &mut session,
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6",
    ));
    assert_eq!(denied["decision"], "implicitDeny");

    let rendered = report_of(&session.call(
        "policy_render",
        json!({"name": "claude-invoke", "models": ["sonnet"], "regions": ["us-east-1"]}),
    ));
    let document = rendered.to_string();
    assert!(document.contains("bedrock:InvokeModel"), "{rendered:#}");
    assert!(document.contains("anthropic.claude-sonnet"), "{rendered:#}");
}
