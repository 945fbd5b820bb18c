//! `mcp`: a Model Context Protocol session over the binary's stdin and stdout, spoken as a
//! client would (newline-delimited JSON-RPC), against the emulator.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Emulator;
use crate::support::front::Rule;
use crate::{assert_v1_shape, finding};

/// How long a test waits for an answer the server owes.
const ANSWER: Duration = Duration::from_secs(20);

/// A client at the other end of `bedrock-preflight mcp`.
pub(crate) struct Session {
    child: Child,
    /// Lent to a writer thread while a long line goes out.
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
}

impl Session {
    fn start(emulator: &Emulator, global: &[&str]) -> Session {
        let mut session = Session::launch(emulator.std_cmd(), global);
        session.initialize();
        session
    }

    /// The server, not yet initialized.
    fn launch(mut command: Command, global: &[&str]) -> Session {
        command.args(global).arg("mcp");
        Session::spawn(command)
    }

    /// `command` run as given, its arguments included (the plugin manifest names them), not
    /// yet initialized.
    pub(crate) fn spawn(mut command: Command) -> Session {
        let mut child = command
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
        Session {
            child,
            stdin: Some(stdin),
            lines,
            next_id: 1,
        }
    }

    pub(crate) fn initialize(&mut self) {
        let session = self;
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
    }

    fn send(&mut self, message: &Value) {
        self.send_line(message.to_string().into_bytes());
    }

    /// Writes one line of any bytes, on a thread so that a server that stops reading fails
    /// the test instead of hanging it.
    fn send_line(&mut self, mut line: Vec<u8>) {
        line.push(b'\n');
        let mut stdin = self
            .stdin
            .take()
            .expect("stdin is back from the last write");
        let (done, written) = channel();
        std::thread::spawn(move || {
            let result = stdin.write_all(&line).and_then(|()| stdin.flush());
            let _ = done.send((stdin, result));
        });
        let (stdin, result) = written
            .recv_timeout(ANSWER)
            .expect("the server reads its input");
        result.expect("write to the server");
        self.stdin = Some(stdin);
    }

    /// The next line the server writes, as JSON-RPC, or None if none comes within `wait`.
    fn next_message(&self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a line that is not JSON ({e}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        Some(message)
    }

    /// The error answer to a line that had no readable id, or whose id is `id`.
    fn error_answer(&self, id: &Value) -> Value {
        let answer = self
            .next_message(ANSWER)
            .unwrap_or_else(|| panic!("no error answer within {ANSWER:?}"));
        // JSON-RPC 2.0: the member is there, null when the request's id could not be read.
        assert_eq!(answer.get("id"), Some(id), "{answer}");
        assert!(answer["error"]["code"].is_i64(), "{answer}");
        answer["error"].clone()
    }

    /// Starts a doctor call and returns its id without waiting for the answer.
    fn call_doctor_unanswered(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "doctor", "arguments": {"models": ["sonnet"], "no_probe": true}}
        }));
        id
    }

    fn cancel(&mut self, id: u64) {
        self.send(&json!({
            "jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": id, "reason": "the user moved on"}
        }));
    }

    fn ping(&mut self) {
        let pong = self.request("ping", json!({}));
        assert_eq!(pong["result"], json!({}), "{pong}");
    }

    fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited: {:?}",
            self.child.try_wait()
        );
    }

    /// The processes the server has started and not yet reaped (Linux's /proc).
    fn children(&self) -> Vec<u32> {
        let parent = self.child.id().to_string();
        let mut children = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            if after.split_whitespace().nth(1) == Some(parent.as_str()) {
                children.push(pid);
            }
        }
        children
    }

    /// The server's peak resident memory so far, in bytes (Linux's /proc).
    fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    /// The answer to one request; every line the server writes must be JSON-RPC.
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self
                .next_message(Duration::from_secs(120))
                .unwrap_or_else(|| panic!("no answer to {method} within 120 s"));
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

    let report =
        report_of(&session.call("doctor", json!({"models": ["sonnet"], "usage_window": 3})));
    assert_v1_shape(&report);
    assert_eq!(report["command"], "doctor");
    let usage = finding(&report, "quotas.usage");
    assert!(
        usage["message"]
            .as_str()
            .unwrap()
            .contains("in the last 3 days"),
        "{usage}"
    );
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

#[test]
fn malformed_lines_get_json_rpc_errors_and_the_session_goes_on() {
    let emulator = Emulator::start();
    let mut session = Session::start(&emulator, &[]);

    session.send_line(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ".to_vec());
    assert_eq!(session.error_answer(&Value::Null)["code"], -32700);
    session.ping();

    // Invalid UTF-8 inside what would otherwise be a request.
    session.send_line(
        b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"x\":\"\xff\xfe\"}".to_vec(),
    );
    assert_eq!(session.error_answer(&Value::Null)["code"], -32700);
    session.ping();

    // JSON, but not a JSON-RPC request: answered with the id when it can be read.
    session.send_line(br#"{"id": "no-version", "method": "ping"}"#.to_vec());
    assert_eq!(session.error_answer(&json!("no-version"))["code"], -32600);
    session.send_line(br#"{"jsonrpc": "2.0", "id": {"not": "an id"}, "method": "ping"}"#.to_vec());
    assert_eq!(session.error_answer(&Value::Null)["code"], -32600);
    session.send_line(b"[1, 2]".to_vec());
    assert_eq!(session.error_answer(&Value::Null)["code"], -32600);
    session
        .send_line(br#"{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": 5}"#.to_vec());
    assert_eq!(session.error_answer(&json!(9))["code"], -32602);

    session.ping();
    session.assert_running();
}

#[test]
fn an_over_long_line_is_refused_without_holding_it() {
    let emulator = Emulator::start();
    let mut session = Session::start(&emulator, &[]);

    // A well-formed request past the 4 MiB bound (rmcp alone would take it, up to 16 MiB).
    let padding = "a".repeat(5 * 1024 * 1024);
    let long = json!({"jsonrpc": "2.0", "id": "long", "method": "ping", "params": {"_meta": {"pad": padding}}});
    session.send_line(long.to_string().into_bytes());
    let refused = session.error_answer(&Value::Null);
    assert_eq!(refused["code"], -32600, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("4 MiB"),
        "{refused}"
    );
    session.ping();

    // 64 MiB with no end in sight until the last byte: read and dropped, never held.
    let before = session.peak_memory();
    session.send_line(vec![b'x'; 64 * 1024 * 1024]);
    assert_eq!(session.error_answer(&Value::Null)["code"], -32600);
    session.ping();
    let grew = session.peak_memory().saturating_sub(before);
    assert!(
        grew < 16 * 1024 * 1024,
        "the server's peak memory grew by {grew} bytes"
    );
    session.assert_running();
}

#[test]
fn a_call_before_initialize_is_refused_and_the_server_stays() {
    let emulator = Emulator::start();
    let mut session = Session::launch(emulator.std_cmd(), &[]);

    session.send(&json!({"jsonrpc": "2.0", "id": "early", "method": "tools/list", "params": {}}));
    let refused = session.error_answer(&json!("early"));
    assert_eq!(refused["code"], -32600, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not initialized"),
        "{refused}"
    );
    // A notification out of order has no answer and does not end the session.
    session.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    // The lifecycle allows a ping before initialize.
    session.ping();
    session.assert_running();

    session.initialize();
    let tools = session.request("tools/list", json!({}));
    assert!(tools["result"]["tools"].is_array(), "{tools}");

    // A client that leaves before initializing ends the session, not an error.
    let mut early = Session::launch(emulator.std_cmd(), &[]);
    drop(early.stdin.take());
    let deadline = Instant::now() + ANSWER;
    let status = loop {
        if let Some(status) = early.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not end with its input"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_cancelled_call_stops_its_child_and_is_not_answered() {
    let emulator = Emulator::start();
    // The call waits on the emulator for a minute unless it is cancelled.
    emulator.front.on(
        "sts:GetCallerIdentity",
        Rule::Delay(Duration::from_secs(60), Box::new(Rule::Forward)),
    );
    let mut session = Session::start(&emulator, &["--timeout", "120"]);

    let id = session.call_doctor_unanswered();
    let deadline = Instant::now() + ANSWER;
    while session.children().is_empty() {
        assert!(Instant::now() < deadline, "the call started no child");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Into its wait on the emulator (the log records a request once it is answered).
    std::thread::sleep(Duration::from_secs(1));

    session.cancel(id);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !session.children().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the call's child still runs: {:?}",
            session.children()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing answers the cancelled call; the next request is answered as usual.
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while let Some(wait) = quiet_until.checked_duration_since(Instant::now()) {
        if let Some(message) = session.next_message(wait) {
            assert_ne!(
                message["id"], id,
                "the cancelled call was answered: {message}"
            );
        }
    }
    session.ping();
    session.assert_running();
}

#[test]
fn a_cancelled_call_stops_what_its_child_started_too() {
    let emulator = Emulator::start();
    // The call's credentials come from a credential_process that never answers: the child's
    // own child, which killing the child alone would leave running.
    let pid_file = emulator.home().join("credential-process.pid");
    std::fs::create_dir_all(emulator.home().join(".aws")).unwrap();
    std::fs::write(
        emulator.home().join(".aws/config"),
        format!(
            "[default]\ncredential_process = sh -c 'echo $$ > {}; exec sleep 60'\n",
            pid_file.display()
        ),
    )
    .unwrap();
    let mut command = emulator.std_cmd();
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let mut session = Session::launch(command, &["--timeout", "120"]);
    session.initialize();

    let id = session.call_doctor_unanswered();
    let deadline = Instant::now() + ANSWER;
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the credential process never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive());
    session.cancel(id);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive() {
        assert!(
            Instant::now() < deadline,
            "the child's credential process {pid} still runs after the cancel"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    session.ping();
    session.assert_running();
}

#[test]
fn a_command_that_gives_no_report_is_told_in_words() {
    let emulator = Emulator::start();
    // A copy of the binary serves, then the copy is swapped for scripts that fail as a broken
    // build would: the server runs whatever its own path holds.
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("bedrock-preflight");
    let template = emulator.std_cmd();
    std::fs::copy(template.get_program(), &exe).unwrap();
    let mut command = Command::new(&exe);
    for (name, value) in template.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut session = Session::launch(command, &[]);
    session.initialize();

    let swap = |script: &str| {
        use std::os::unix::fs::PermissionsExt;
        let staged = dir.path().join("staged");
        std::fs::write(&staged, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&staged, &exe).unwrap();
    };
    let failure = |session: &mut Session| {
        let result = session.call("checks_list", json!({}));
        assert_eq!(result["isError"], true, "{result}");
        result["content"][0]["text"].as_str().unwrap().to_string()
    };

    swap("echo 'cannot load the check catalog' >&2; exit 3");
    assert_eq!(
        failure(&mut session),
        "the command printed no JSON report: it exited with code 3: cannot load the check catalog"
    );
    swap("kill -9 $$");
    assert_eq!(
        failure(&mut session),
        "the command printed no JSON report: it was killed by signal 9"
    );
    assert!(Path::new(&exe).exists());
}

#[test]
fn audit_reaches_other_accounts_through_a_role_name() {
    let emulator = Emulator::start();
    let mut session = Session::start(&emulator, &[]);
    let report = report_of(&session.call(
        "audit",
        json!({"regions": ["us-east-1"], "role_name": "audit", "accounts": ["111122223333"]}),
    ));
    assert_eq!(
        report["accounts"],
        json!([{
            "account": "111122223333",
            "name": null,
            "role": "arn:aws:iam::111122223333:role/audit",
            "summary": report["accounts"][0]["summary"]
        }])
    );
    assert_eq!(emulator.front.count("sts:AssumeRole"), 1);
    assert_eq!(emulator.front.count("organizations:ListAccounts"), 0);
}
