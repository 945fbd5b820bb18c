//! The MCP server's stdio framing: newline-delimited JSON-RPC read from stdin, each line held
//! to `MAX_LINE` bytes; a line that is not a message the session can take is answered here as
//! JSON-RPC says, and the rest go to rmcp's service loop already parsed.
//!
//! rmcp 3.11 has its own stdio transport, but it answers nothing to a line that is not JSON or
//! not UTF-8, nor to one over its 16 MiB bound (the client waits forever); it answers an
//! invalid request without the `id` JSON-RPC requires; and it ends the session on a
//! notification before `initialize`. Its `Transport` trait lets this module stand in front of
//! its service loop instead, with nothing of rmcp's to patch.
//!
//! Nothing here may panic or end the session on input, or hold more than one line of it.

use std::io::{BufRead, Write};
use std::thread::JoinHandle;

use rmcp::model::{
    ClientJsonRpcMessage, ClientRequest, ErrorCode, GetMeta, JsonRpcMessage, ProtocolVersion,
    RequestId,
};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The longest line read as a message. A real request is a few kilobytes (a tool call names
/// some files, models and regions), so 4 MiB leaves a thousandfold margin while a client that
/// never sends a newline costs at most this much memory. rmcp's own bound is 16 MiB.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// Messages waiting either way. The reader blocks when rmcp falls behind, and so stops
/// reading stdin; a client that never reads its answers stops being read in turn.
const QUEUE: usize = 32;

/// rmcp's side of the framing: parsed messages in, messages to write out.
pub struct Framing {
    inbound: mpsc::Receiver<ClientJsonRpcMessage>,
    outbound: mpsc::Sender<Outbound>,
}

/// The thread that owns stdout; `finish` writes what is queued and stops it.
pub struct Output {
    outbound: mpsc::Sender<Outbound>,
    writer: JoinHandle<()>,
}

enum Outbound {
    Line(String),
    End,
}

impl Framing {
    /// Reads stdin and writes stdout on threads of their own: a blocking read of stdin cannot
    /// be cancelled, and on the runtime's blocking pool it would hold the process open after
    /// the session ends.
    pub fn start(supported: Vec<ProtocolVersion>) -> (Framing, Output) {
        let (inbound_tx, inbound) = mpsc::channel(QUEUE);
        let (outbound, outbound_rx) = mpsc::channel(QUEUE);
        let writer = std::thread::spawn(move || write_lines(outbound_rx));
        let answers = outbound.clone();
        std::thread::spawn(move || {
            let mut session = Session::new(supported);
            read_lines(
                &mut std::io::stdin().lock(),
                &mut session,
                &inbound_tx,
                &answers,
            );
        });
        (
            Framing {
                inbound,
                outbound: outbound.clone(),
            },
            Output { outbound, writer },
        )
    }
}

impl Output {
    pub async fn finish(self) {
        let _ = self.outbound.send(Outbound::End).await;
        let _ = tokio::task::spawn_blocking(move || self.writer.join()).await;
    }
}

impl Transport<RoleServer> for Framing {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let line = serde_json::to_string(&item);
        let outbound = self.outbound.clone();
        async move {
            outbound
                .send(Outbound::Line(line?))
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout closed"))
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleServer>>> + Send {
        self.inbound.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn write_lines(mut outbound: mpsc::Receiver<Outbound>) {
    let mut stdout = std::io::stdout().lock();
    while let Some(Outbound::Line(line)) = outbound.blocking_recv() {
        let written = stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            // The client is gone: dropping the queue ends the reader and then the session.
            return;
        }
    }
}

fn read_lines(
    input: &mut impl BufRead,
    session: &mut Session,
    inbound: &mpsc::Sender<ClientJsonRpcMessage>,
    answers: &mpsc::Sender<Outbound>,
) {
    let mut line = Vec::new();
    loop {
        let answer = match next_line(input, &mut line, MAX_LINE) {
            Ok(Frame::Line) => match session.take(&line) {
                Take::Pass(message) => {
                    if inbound.blocking_send(*message).is_err() {
                        return;
                    }
                    continue;
                }
                Take::Answer(answer) => answer,
                Take::Drop => continue,
            },
            Ok(Frame::TooLong) => error(
                None,
                ErrorCode::INVALID_REQUEST,
                format!(
                    "Invalid Request: the message is longer than {} MiB",
                    MAX_LINE / (1024 * 1024)
                ),
            ),
            Ok(Frame::Eof) => return,
            Err(e) => {
                tracing::debug!("cannot read stdin: {e}");
                return;
            }
        };
        if answers.blocking_send(Outbound::Line(answer)).is_err() {
            return;
        }
    }
}

#[derive(Debug, PartialEq)]
enum Frame {
    /// A line is in the buffer, without its newline.
    Line,
    /// A line longer than the bound went by; none of it was kept.
    TooLong,
    Eof,
}

/// Reads one line into `line`, keeping at most `max` bytes of it: a longer line is read to
/// its end and dropped, so the next line starts clean.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<Frame> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            // A last line without its newline is still a line.
            return Ok(if too_long {
                Frame::TooLong
            } else if line.is_empty() {
                Frame::Eof
            } else {
                Frame::Line
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let content = &available[..newline.unwrap_or(available.len())];
        if !too_long && line.len() + content.len() > max {
            too_long = true;
            line.clear();
        }
        if !too_long {
            line.extend_from_slice(content);
        }
        let used = newline.map_or(available.len(), |at| at + 1);
        input.consume(used);
        if newline.is_some() {
            return Ok(if too_long {
                Frame::TooLong
            } else {
                Frame::Line
            });
        }
    }
}

/// Where the session is in MCP's lifecycle, as far as what the reader may pass on.
struct Session {
    /// rmcp's service loop has started: every valid message goes to it.
    started: bool,
    supported: Vec<ProtocolVersion>,
}

#[derive(Debug)]
enum Take {
    Pass(Box<ClientJsonRpcMessage>),
    Answer(String),
    /// A notification or response that cannot be taken: JSON-RPC answers neither.
    Drop,
}

/// The requests a client sends a server in MCP (up to 2026-07-28).
const STANDARD_REQUESTS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "subscriptions/listen",
    "tools/call",
    "tools/list",
];

/// UTF-8's byte order mark, which JSON allows a reader to skip (RFC 8259 §8.1), as rmcp does.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Session {
    fn new(supported: Vec<ProtocolVersion>) -> Session {
        Session {
            started: false,
            supported,
        }
    }

    fn take(&mut self, line: &[u8]) -> Take {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix(BOM).unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Take::Drop;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return answer(
                None,
                ErrorCode::PARSE_ERROR,
                "Parse error: the message is not UTF-8".into(),
            );
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(e) => return answer(None, ErrorCode::PARSE_ERROR, format!("Parse error: {e}")),
        };
        let Value::Object(fields) = &value else {
            return answer(
                None,
                ErrorCode::INVALID_REQUEST,
                "Invalid Request: a message is one JSON object".into(),
            );
        };
        // MCP's ids are strings or integers, never null; rmcp holds an integer as an i64.
        let id = match fields.get("id") {
            None => None,
            Some(Value::String(id)) => Some(RequestId::String(id.as_str().into())),
            Some(id) => match id.as_i64() {
                Some(id) => Some(RequestId::Number(id)),
                None => {
                    return answer(
                        None,
                        ErrorCode::INVALID_REQUEST,
                        "Invalid Request: id must be a string or an integer".into(),
                    );
                }
            },
        };
        if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return answer(
                id,
                ErrorCode::INVALID_REQUEST,
                "Invalid Request: jsonrpc must be \"2.0\"".into(),
            );
        }
        let kind = match fields.get("method") {
            Some(Value::String(_)) if id.is_some() => Kind::Request,
            Some(Value::String(_)) => Kind::Notification,
            Some(_) => {
                return answer(
                    id,
                    ErrorCode::INVALID_REQUEST,
                    "Invalid Request: method must be a string".into(),
                );
            }
            None if fields.contains_key("result") || fields.contains_key("error") => Kind::Response,
            None => {
                return answer(
                    id,
                    ErrorCode::INVALID_REQUEST,
                    "Invalid Request: a message has a method, a result or an error".into(),
                );
            }
        };
        let message = match serde_json::from_value::<ClientJsonRpcMessage>(value) {
            Ok(message) => message,
            // The envelope is sound, so what rmcp's types refuse is the request's params.
            Err(e) if kind == Kind::Request => {
                return answer(
                    id,
                    ErrorCode::INVALID_PARAMS,
                    format!("Invalid params: {e}"),
                );
            }
            Err(e) => {
                tracing::debug!("dropped an unreadable {kind:?}: {e}");
                return Take::Drop;
            }
        };
        // rmcp reads a standard method whose params do not fit as a custom request, which it
        // then answers "method not found".
        if let JsonRpcMessage::Request(request) = &message
            && let ClientRequest::CustomRequest(custom) = &request.request
            && STANDARD_REQUESTS.contains(&custom.method.as_str())
        {
            return answer(
                Some(request.id.clone()),
                ErrorCode::INVALID_PARAMS,
                format!("Invalid params for {}", custom.method),
            );
        }
        if self.started {
            return Take::Pass(Box::new(message));
        }
        self.before_start(message)
    }

    /// Before `initialize`, rmcp's handshake ends the session on anything but a request that
    /// may open one, so the rest is answered or dropped here. A request that carries the
    /// protocol version and client capabilities in its `_meta` opens a session without
    /// `initialize` (protocol 2026-07-28), exactly when rmcp accepts it.
    fn before_start(&mut self, message: ClientJsonRpcMessage) -> Take {
        let JsonRpcMessage::Request(request) = &message else {
            return Take::Drop;
        };
        let opens = match &request.request {
            ClientRequest::InitializeRequest(_) => true,
            ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_) => false,
            other => {
                let meta = other.get_meta();
                let inline = meta
                    .missing_required_keys(&ProtocolVersion::V_2026_07_28)
                    .is_empty()
                    && meta
                        .protocol_version()
                        .is_some_and(|version| self.supported.contains(&version));
                if !inline {
                    return answer(
                        Some(request.id.clone()),
                        ErrorCode::INVALID_REQUEST,
                        "Invalid Request: the server is not initialized; send initialize first"
                            .into(),
                    );
                }
                true
            }
        };
        self.started |= opens;
        Take::Pass(Box::new(message))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Request,
    Notification,
    Response,
}

fn answer(id: Option<RequestId>, code: ErrorCode, message: String) -> Take {
    Take::Answer(error(id, code, message))
}

/// An error answer with `"id": null` when the request's id could not be read, as JSON-RPC 2.0
/// requires (rmcp's `JsonRpcError` leaves the member out).
fn error(id: Option<RequestId>, code: ErrorCode, message: String) -> String {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code.0, "message": message},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> Vec<(Frame, Vec<u8>)> {
        let mut input = std::io::BufReader::with_capacity(4, input);
        let mut line = Vec::new();
        let mut frames = Vec::new();
        loop {
            let frame = next_line(&mut input, &mut line, max).unwrap();
            if frame == Frame::Eof {
                return frames;
            }
            frames.push((frame, line.clone()));
        }
    }

    #[test]
    fn a_line_over_the_bound_is_dropped_whole_and_the_next_one_read() {
        assert_eq!(
            frames(b"short\nmuch too long\nok\nlast", 8),
            [
                (Frame::Line, b"short".to_vec()),
                (Frame::TooLong, Vec::new()),
                (Frame::Line, b"ok".to_vec()),
                (Frame::Line, b"last".to_vec()),
            ]
        );
        assert_eq!(
            frames(b"12345678\n123456789", 8),
            [
                (Frame::Line, b"12345678".to_vec()),
                (Frame::TooLong, Vec::new())
            ]
        );
    }

    fn taken(session: &mut Session, line: &str) -> Value {
        match session.take(line.as_bytes()) {
            Take::Answer(answer) => serde_json::from_str(&answer).unwrap(),
            Take::Pass(message) => json!({"passed": serde_json::to_value(*message).unwrap()}),
            Take::Drop => json!("dropped"),
        }
    }

    #[test]
    fn each_malformed_message_gets_its_json_rpc_error() {
        let mut session = Session::new(ProtocolVersion::KNOWN_VERSIONS.to_vec());
        session.started = true;
        let code = |session: &mut Session, line: &str| {
            let answer = taken(session, line);
            (answer["error"]["code"].clone(), answer["id"].clone())
        };
        assert_eq!(code(&mut session, "{"), (json!(-32700), Value::Null));
        assert_eq!(code(&mut session, "[]"), (json!(-32600), Value::Null));
        assert_eq!(
            code(
                &mut session,
                r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#
            ),
            (json!(-32600), Value::Null)
        );
        assert_eq!(
            code(
                &mut session,
                r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#
            ),
            (json!(-32600), json!("a"))
        );
        assert_eq!(
            code(&mut session, r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            (json!(-32600), json!(7))
        );
        assert_eq!(
            code(&mut session, r#"{"jsonrpc":"2.0","id":7}"#),
            (json!(-32600), json!(7))
        );
        assert_eq!(
            code(
                &mut session,
                r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":5}}"#
            ),
            (json!(-32602), json!(8))
        );
        // A notification is never answered, even one that cannot be read.
        assert_eq!(
            taken(
                &mut session,
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":1}"#
            ),
            "dropped"
        );
        assert_eq!(taken(&mut session, " \t"), json!("dropped"));
        let answer = session.take(b"\xff\xfe\n");
        assert!(
            matches!(answer, Take::Answer(ref a) if a.contains("-32700")),
            "{answer:?}"
        );
    }

    #[test]
    fn before_initialize_only_a_request_that_opens_a_session_goes_through() {
        let mut session = Session::new(ProtocolVersion::KNOWN_VERSIONS.to_vec());
        let refused = taken(
            &mut session,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#,
        );
        assert_eq!(refused["error"]["code"], -32600, "{refused}");
        assert_eq!(refused["id"], 1);
        assert_eq!(
            taken(
                &mut session,
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
            ),
            "dropped"
        );
        assert!(
            taken(&mut session, r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)["passed"]
                .is_object()
        );
        assert!(!session.started);
        let inline = json!({
            "jsonrpc": "2.0", "id": 3, "method": "tools/list",
            "params": {"_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            }}
        });
        assert!(taken(&mut session, &inline.to_string())["passed"].is_object());
        assert!(session.started);
    }
}
