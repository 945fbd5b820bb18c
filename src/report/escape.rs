//! What a value (a settings file's, a policy's, an AWS answer's) may not do to the person
//! reading it: move the cursor, clear the screen, overwrite a line, reorder text
//! (bidirectional overrides), or in Markdown become a heading, a link, an image or HTML. JSON
//! and SARIF escape C0 controls by JSON's rules; DEL, C1 and bidirectional controls, which
//! JSON leaves raw, are escaped after serializing (`json_visible`), and JUnit shows them as
//! `visible` does.

use std::borrow::Cow;

/// Unicode's bidirectional embeddings, overrides and isolates: they reorder what is shown
/// without being control characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn hidden(c: char, keep_newline: bool) -> bool {
    (c.is_control() && !(keep_newline && c == '\n')) || is_bidi_control(c)
}

fn escaped(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c, keep_newline) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every control character but the newline shown as its escape: ESC is `\u001b`.
pub fn visible(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

/// As `visible`, the newline too: for what must stay on one line.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// Serialized JSON with the characters a terminal may obey that serde_json writes raw (DEL,
/// C1, bidirectional controls) as `\uXXXX` escapes: they occur only inside strings, where the
/// escape means the same character.
pub fn json_visible(json: String) -> String {
    if !json.chars().any(|c| hidden(c, true)) {
        return json;
    }
    escaped(&json, true).into_owned()
}

/// Markdown text that reads as what it says: every character Markdown or HTML could take for
/// markup is escaped, and so is what starts a line as a list, quote or heading.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in visible(text).split('\n') {
        if !out.is_empty() || text.starts_with('\n') {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        out.push_str(indent);
        // An ordered-list marker: digits, then `.` or `)`.
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        let chars: Vec<char> = trimmed.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let at_start = i == 0;
            let after_digits = digits > 0 && i == digits && matches!(c, '.' | ')');
            // Inside a word (AWS_ACCESS_KEY_ID) an underscore emphasizes nothing.
            let inside_word = i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '_' if inside_word => out.push(c),
                // A parenthesis is markup only after a bracket, and brackets are escaped.
                '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '|' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' | '+' | '=' if at_start => {
                    out.push('\\');
                    out.push(c);
                }
                _ if after_digits => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

/// A Markdown table cell: one line, escaped as text.
pub fn markdown_cell(text: &str) -> String {
    markdown_text(&text.replace(['\n', '\r'], " "))
}

/// An inline code span holding `text` exactly: delimited by more backticks than it holds in a
/// row, so nothing in it can close the span.
pub fn markdown_code(text: &str) -> String {
    let text = visible_line(text);
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code span inside a table cell: GFM splits cells at `|` before it reads code spans, even
/// inside one, and reads `\|` there as the character.
pub fn markdown_cell_code(text: &str) -> String {
    markdown_code(text).replace('|', "\\|")
}

/// A fenced block holding `text` exactly, with `info` after the opening fence.
pub fn markdown_block(info: &str, text: &str) -> String {
    let text = visible(text);
    let fence = "`".repeat((longest_backtick_run(&text) + 1).max(3));
    format!("{fence}{info}\n{text}\n{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(visible("dev\u{1b}[2J\rok\n"), "dev\\u001b[2J\\u000dok\n");
        assert_eq!(visible_line("a\nb\u{9b}c"), "a\\u000ab\\u009bc");
        assert_eq!(visible("abc\u{202e}def"), "abc\\u202edef");
        assert!(matches!(visible("plain text"), Cow::Borrowed(_)));
        let json =
            serde_json::to_string(&serde_json::json!({"v": "a\u{1b}[2J\u{7f}\u{9b}2J\u{202e}b"}))
                .unwrap();
        let shown = json_visible(json);
        assert_eq!(shown, r#"{"v":"a\u001b[2J\u007f\u009b2J\u202eb"}"#);
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["v"], "a\u{1b}[2J\u{7f}\u{9b}2J\u{202e}b");
    }

    #[test]
    fn markdown_values_cannot_become_markup() {
        assert_eq!(
            markdown_text("# Owned\n- item\n1. first\n![x](http://e/x.png) <img src=x> [a](b)"),
            "\\# Owned\n\\- item\n1\\. first\n\\!\\[x\\](http://e/x.png) &lt;img src=x&gt; \\[a\\](b)"
        );
        assert_eq!(markdown_cell("a | b\nc"), "a \\| b c");
        assert_eq!(
            markdown_text("AWS_ACCESS_KEY_ID (set) _em_"),
            "AWS_ACCESS_KEY_ID (set) \\_em\\_"
        );
        assert_eq!(markdown_code("us-east-1"), "`us-east-1`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_cell_code("a|b"), "`a\\|b`");
        assert_eq!(
            markdown_block("text", "a\n```\nb"),
            "````text\na\n```\nb\n````"
        );
    }
}
