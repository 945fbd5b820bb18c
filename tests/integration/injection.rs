//! Values that try to take over the reader's screen or document: a settings value with
//! terminal escapes, carriage returns and Markdown markup reaches the table, stderr and the
//! Markdown report shown, never obeyed.

use serde_json::json;

use crate::Run;
use crate::support::Emulator;

/// Clears the screen, returns the cursor to overwrite the row, and plants a heading, an
/// image, a link and HTML.
const HOSTILE_MODEL: &str = "us.anthropic.claude-x\u{1b}[2J\r\u{9b}31m\n# Owned ![pixel](http://evil.example/p.png) [click](http://evil.example) <img src=x>";

#[test]
fn a_hostile_settings_value_is_shown_not_obeyed() {
    let emulator = Emulator::start();
    emulator.claude_settings(&json!({"env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_REGION": "us-east-1",
        "ANTHROPIC_MODEL": HOSTILE_MODEL
    }}));
    for format in ["table", "markdown"] {
        let run = Run::of(
            emulator
                .cmd()
                .args(["doctor", "--no-probe", "--output", format]),
        );
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{9b}'),
                "{format} {stream} carries raw control characters: {text:?}"
            );
        }
        assert!(
            // Markdown escapes the backslash and the bracket of the shown escape too.
            run.stdout.contains("\\u001b[2J") || run.stdout.contains("\\\\u001b\\[2J"),
            "{format}: the escape is shown: {}",
            run.stdout
        );
    }
    let markdown = Run::of(
        emulator
            .cmd()
            .args(["doctor", "--no-probe", "--output", "markdown"]),
    );
    for planted in ["\n# Owned", "![pixel](", "[click](", "<img"] {
        assert!(
            !markdown.stdout.contains(planted),
            "Markdown passes {planted:?} through: {}",
            markdown.stdout
        );
    }
}
