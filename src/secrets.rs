//! Values that are never printed or written: the run's access key ID, secret access key,
//! session token and Bedrock API keys. They are registered where the run reads them, and every
//! text that can carry an echo of a request (AWS's error messages, the report, error lines)
//! passes through `redact`, which also blanks anything shaped like an access key ID or a
//! Bedrock API key whether registered or not: some services and proxies echo the request's
//! credentials in an error (S3's SignatureDoesNotMatch names the access key ID).

use std::sync::Mutex;

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

const REDACTED: &str = "[redacted]";

/// Shorter values could be ordinary words; no credential is this short.
const MIN_LEN: usize = 12;

pub fn register(value: &str) {
    let value = value.trim();
    if value.len() < MIN_LEN {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|k| k == value) {
        known.push(value.to_string());
        // Longest first, so a value that contains another is blanked whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// Whether a setting or variable of this name holds a credential (`AWS_SECRET_ACCESS_KEY`,
/// `ANTHROPIC_AUTH_TOKEN`, `apiKeyHelper`): its value is registered and never quoted.
pub fn names_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "SECRET", "TOKEN", "PASSWORD"]
        .iter()
        .any(|word| upper.contains(word))
}

pub fn redact(text: &str) -> String {
    let mut text = text.to_string();
    for value in KNOWN.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        if text.contains(value.as_str()) {
            text = text.replace(value.as_str(), REDACTED);
        }
    }
    redact_shapes(&text)
}

/// Access key IDs (`AKIA`/`ASIA` and 16 capitals or digits), bearer tokens after `Bearer `, and
/// Bedrock API keys (`ABSK...` long-term, `bedrock-api-key-...` short-term).
fn redact_shapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let token_end = |from: usize| {
            from + rest[from..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=-_.%".contains(c)))
                .unwrap_or(rest.len() - from)
        };
        let at_boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let key_id = at_boundary
            && (rest.starts_with("AKIA") || rest.starts_with("ASIA"))
            && rest.len() >= 20
            && rest.as_bytes()[4..20]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && rest
                .as_bytes()
                .get(20)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
        if key_id {
            out.push_str(REDACTED);
            i += 20;
            continue;
        }
        if let Some(prefix) = ["Bearer ", "ABSK", "bedrock-api-key-"]
            .into_iter()
            .find(|p| rest.starts_with(p) && (at_boundary || *p == "Bearer "))
        {
            let end = token_end(prefix.len());
            if end > prefix.len() + 7 {
                if prefix == "Bearer " {
                    out.push_str(prefix);
                }
                out.push_str(REDACTED);
                i += end;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_credentials_are_blanked() {
        register("wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETLEAK");
        let echoed = "SignatureDoesNotMatch: <AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId> \
                      key wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETLEAK; Authorization: Bearer ABSKQmVkcm9ja0FQSUtleQ== \
                      and bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t";
        let clean = redact(echoed);
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
            "ABSKQmVkcm9ja0FQSUtleQ",
            "YmVkcm9jay5hbWF6b25hd3MuY29t",
        ] {
            assert!(!clean.contains(secret), "{clean}");
        }
        assert!(
            clean.contains("Authorization: Bearer [redacted]"),
            "{clean}"
        );
        // Unique IDs and ARNs are not secrets, nor words that merely start like one.
        let plain = "AIDAJQABLZS4A3QDU576Q arn:aws:iam::123456789012:user/ASIAN-team ABSKILLED";
        assert_eq!(redact(plain), plain);
    }
}
