//! The README renders as written on GitHub and its commands are ones the tool accepts: every
//! code fence closes where its author meant (a fence inside another swallowed two sections
//! once), and every `bedrock-preflight ...` line of a shell block parses with the real
//! command line.

use bedrock_preflight::cli::Cli;
use clap::Parser;
use clap::error::ErrorKind;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// A fence line: its character run (three or more backticks or tildes) and its info string.
fn fence(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start();
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = trimmed.len() - trimmed.trim_start_matches(marker).len();
    (run >= 3).then(|| (&trimmed[..run], trimmed[run..].trim()))
}

/// The code blocks, each with its info string, first line number and lines; panics at a
/// fence opened inside another or one left open.
fn blocks(text: &str) -> Vec<(String, usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String, usize, Vec<String>)> = None;
    for (number, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l)) {
        match (&mut open, fence(line)) {
            (None, Some((run, info))) => {
                open = Some((run.to_string(), info.to_string(), number, Vec::new()));
            }
            (Some((run, _, _, _)), Some((closing, ""))) if closing.starts_with(run.as_str()) => {
                let (_, info, start, lines) = open.take().unwrap();
                out.push((info, start, lines));
            }
            (Some((run, info, start, _)), Some((inner, inner_info))) => panic!(
                "README.md:{number}: a fence `{inner}{inner_info}` inside the `{run}{info}` \
                 block of line {start}: it does not close that block; give the outer block a \
                 longer fence"
            ),
            (Some((_, _, _, lines)), None) => lines.push(line.to_string()),
            (None, None) => {}
        }
    }
    if let Some((run, info, start, _)) = open {
        panic!("README.md:{start}: `{run}{info}` is never closed");
    }
    out
}

#[test]
fn every_fence_closes_where_it_was_meant_to() {
    let blocks = blocks(&readme());
    assert!(blocks.len() > 20, "{}", blocks.len());
    // A Markdown sample holds no section of the README itself.
    for (info, start, lines) in &blocks {
        if info == "markdown" {
            assert!(
                !lines
                    .iter()
                    .any(|l| l == "## Administer an account: least-privilege policies"),
                "README.md:{start}: the Markdown sample swallowed a section"
            );
        }
    }
}

/// The commands of a shell block, each as sh's words: continuations joined, a `$ ` prompt
/// and comments dropped, pipelines and lists split into their commands.
fn commands(start: usize, lines: &[String]) -> Vec<Vec<String>> {
    let mut joined: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in lines {
        let line = line.strip_prefix("$ ").unwrap_or(line);
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                joined.push(std::mem::take(&mut pending));
            }
        }
    }
    let mut out = Vec::new();
    for line in joined {
        let Some(words) = shlex::split(&line) else {
            panic!("README.md block at line {start}: sh cannot split {line:?}");
        };
        let mut command = Vec::new();
        for word in words {
            if matches!(word.as_str(), "|" | "||" | "&&" | ";") {
                out.push(std::mem::take(&mut command));
            } else {
                command.push(word);
            }
        }
        out.push(command);
    }
    out
}

#[test]
fn every_shell_example_parses_with_the_real_command_line() {
    let mut seen = 0;
    for (info, start, lines) in blocks(&readme()) {
        if !matches!(info.as_str(), "sh" | "bash" | "shell" | "console") {
            continue;
        }
        for words in commands(start, &lines) {
            if words.first().map(String::as_str) != Some("bedrock-preflight") {
                continue;
            }
            // Redirections are the shell's, not the tool's.
            let words: Vec<&String> = words
                .iter()
                .filter(|w| !w.contains('>') && !w.starts_with('<'))
                .collect();
            seen += 1;
            if let Err(error) = Cli::try_parse_from(&words) {
                assert!(
                    matches!(
                        error.kind(),
                        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
                    ),
                    "README.md block at line {start}: `{}` is refused: {error}",
                    words
                        .iter()
                        .map(|w| w.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
    }
    assert!(
        seen >= 30,
        "only {seen} examples found: is the README's layout changed?"
    );
}

#[test]
fn every_configuration_file_example_validates() {
    let examples: Vec<(usize, String)> = blocks(&readme())
        .into_iter()
        .filter(|(info, _, _)| info == "toml")
        .map(|(_, start, lines)| (start, lines.join("\n")))
        .collect();
    assert!(
        !examples.is_empty(),
        "the README shows a configuration file"
    );
    for (start, text) in examples {
        let path = std::path::PathBuf::from(format!("README.md block at line {start}"));
        if let Err(error) = bedrock_preflight::config::parse(&path, &text) {
            panic!("{error}");
        }
    }
}
