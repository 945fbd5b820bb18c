//! Wildcard patterns of IAM: `*` any run of characters, `?` exactly one. Policy variables can
//! bring in characters that must stay literal (`${*}`), so a pattern is a list of tokens.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Char(char),
    AnyRun,
    AnyOne,
}

pub fn tokens(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::AnyRun,
            '?' => Token::AnyOne,
            c => Token::Char(c),
        })
        .collect()
}

/// Whether `text` matches `pattern`; with `ignore_case`, letters compare case-insensitively.
pub fn matches(pattern: &[Token], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    // Iterative matching with backtracking to the last `*`: linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::AnyRun) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::AnyRun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        matches(&tokens(pattern), text, false)
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*c", "ac"));
        assert!(!glob("a*c", "acb"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*:*:x/*", "arn:aws:x/y"));
        assert!(glob(
            "arn:aws:bedrock:*::foundation-model/*",
            "arn:aws:bedrock:::foundation-model/m"
        ));
        assert!(!glob("abc", "ABC"));
        assert!(matches(&tokens("abc"), "ABC", true));
        assert!(glob("a**b", "ab"));
    }

    #[test]
    fn literal_tokens_do_not_glob() {
        let pattern = vec![Token::Char('a'), Token::Char('*')];
        assert!(matches(&pattern, "a*", false));
        assert!(!matches(&pattern, "ab", false));
    }
}
