//! What a template variable's value must look like, as AWS defines it, checked before any
//! AWS call and written into a CloudFormation parameter's `AllowedPattern`.

use serde::Deserialize;

/// The partitions AWS has (botocore's partitions.json); a principal ARN in any other names
/// nobody.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VariableFormat {
    /// A 12-digit AWS account ID.
    AccountId,
    /// An IAM role name: 1 to 64 of letters, digits and `_+=,.@-`.
    RoleName,
    /// An `sts:ExternalId`: 2 to 1,224 of letters, digits and `_+=,.@:/-` (AssumeRole's
    /// constraint).
    ExternalId,
    /// An AWS partition: `aws`, `aws-cn`, `aws-us-gov`...
    Partition,
}

impl VariableFormat {
    /// Why `value` is not of this format, in a sentence naming the variable; the value is
    /// echoed except for an external ID, which a caller may keep to itself.
    pub fn check(self, name: &str, value: &str) -> Result<(), String> {
        let made_of = |extra: &str| {
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
        };
        let fits = match self {
            VariableFormat::AccountId => {
                value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
            }
            VariableFormat::RoleName => (1..=64).contains(&value.len()) && made_of("+=,.@-"),
            VariableFormat::ExternalId => {
                (2..=1224).contains(&value.chars().count()) && made_of("+=,.@:/-")
            }
            VariableFormat::Partition => PARTITIONS.contains(&value),
        };
        if fits {
            return Ok(());
        }
        Err(match self {
            VariableFormat::AccountId => {
                format!("--var {name}='{value}' is not a 12-digit AWS account ID")
            }
            VariableFormat::RoleName => format!(
                "--var {name}='{value}' is not an IAM role name (1 to 64 of letters, digits and _+=,.@-)"
            ),
            VariableFormat::ExternalId => {
                let count = value.chars().count();
                let plural = if count == 1 { "" } else { "s" };
                let which = if made_of("+=,.@:/-") {
                    ""
                } else {
                    ", some of them not allowed"
                };
                format!(
                    "--var {name}: {count} character{plural}{which}; an external ID is 2 to 1,224 of letters, digits and _+=,.@:/-"
                )
            }
            VariableFormat::Partition => format!(
                "--var {name}='{value}' is not an AWS partition ({})",
                PARTITIONS.join(", ")
            ),
        })
    }

    /// The same rule as a CloudFormation `AllowedPattern`, so a value overridden when the
    /// stack is made is held to it too; an optional variable's parameter may be empty.
    pub fn pattern(self, optional: bool) -> String {
        let pattern = match self {
            VariableFormat::AccountId => "^[0-9]{12}$".to_string(),
            VariableFormat::RoleName => "^[\\w+=,.@-]{1,64}$".to_string(),
            VariableFormat::ExternalId => "^[\\w+=,.@:/-]{2,1224}$".to_string(),
            VariableFormat::Partition => format!("^({})$", PARTITIONS.join("|")),
        };
        if optional {
            format!("^$|{pattern}")
        } else {
            pattern
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_held_to_what_aws_accepts() {
        use VariableFormat::*;
        for (format, good, bad) in [
            (
                AccountId,
                "111122223333",
                &["11112222333", "11112222333a", ""][..],
            ),
            (
                RoleName,
                "bedrock-preflight_audit+=,.@",
                &["", "has space", "a/b", &"r".repeat(65)][..],
            ),
            (
                ExternalId,
                "Org-Audit_2026:x/y=z@a.b,c+d",
                &["x", "with space", "semi;colon", &"e".repeat(1225)][..],
            ),
            (Partition, "aws-us-gov", &["aws-moon", "AWS", ""][..]),
        ] {
            assert_eq!(format.check("v", good), Ok(()), "{format:?} {good}");
            for value in bad {
                let message = format.check("v", value).unwrap_err();
                assert!(message.starts_with("--var v"), "{message}");
                assert!(!message.contains('\n'), "{message}");
            }
        }
    }

    #[test]
    fn an_external_id_is_not_echoed() {
        let message = VariableFormat::ExternalId
            .check("external_id", "secret value")
            .unwrap_err();
        assert!(!message.contains("secret"), "{message}");
        assert!(message.contains("not allowed"), "{message}");
        let short = VariableFormat::ExternalId
            .check("external_id", "s")
            .unwrap_err();
        assert!(short.contains(": 1 character;"), "{short}");
    }

    #[test]
    fn an_optional_pattern_takes_the_empty_value() {
        assert_eq!(
            VariableFormat::ExternalId.pattern(true),
            "^$|^[\\w+=,.@:/-]{2,1224}$"
        );
        assert_eq!(VariableFormat::AccountId.pattern(false), "^[0-9]{12}$");
    }
}
