//! Amazon Resource Names, parsed once: `arn:<partition>:<service>:<region>:<account>:<resource>`.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn {
    partition: String,
    service: String,
    region: String,
    account: String,
    resource: String,
}

impl Arn {
    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// `None` for global resources (IAM, STS) and the region-less model ARN of global
    /// inference profiles.
    pub fn region(&self) -> Option<&str> {
        Some(self.region.as_str()).filter(|r| !r.is_empty())
    }

    pub fn account(&self) -> Option<&str> {
        Some(self.account.as_str()).filter(|a| !a.is_empty())
    }

    /// Everything after the account: `role/engineering/dev`, `foundation-model/anthropic...`.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The resource type and the rest: `("role", "engineering/dev")`; `None` when the
    /// resource has no type (`root`).
    pub fn typed_resource(&self) -> Option<(&str, &str)> {
        self.resource
            .split_once('/')
            .filter(|(kind, rest)| !kind.is_empty() && !rest.is_empty())
    }

    /// The IAM user or role this ARN stands for, as `("user" | "role", name)`: a user or role
    /// ARN itself, or the role behind an assumed-role session. The name has no path.
    pub fn iam_principal(&self) -> Option<(&'static str, &str)> {
        let (kind, rest) = self.typed_resource()?;
        let name = match (self.service.as_str(), kind) {
            ("iam", "user" | "role") => rest.rsplit('/').next()?,
            ("sts", "assumed-role") => rest.split_once('/').map(|(role, _session)| role)?,
            _ => return None,
        };
        let kind = if kind == "user" { "user" } else { "role" };
        (!name.is_empty()).then_some((kind, name))
    }
}

impl FromStr for Arn {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid =
            || format!("'{text}' is not an ARN (arn:partition:service:region:account:resource)");
        let mut parts = text.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(invalid());
        };
        let account_ok = account.is_empty()
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
        if !partition.starts_with("aws") || service.is_empty() || resource.is_empty() || !account_ok
        {
            return Err(invalid());
        }
        Ok(Arn {
            partition: partition.to_string(),
            service: service.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource: resource.to_string(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_round_trip() {
        let text = "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-sonnet-4-6";
        let arn: Arn = text.parse().unwrap();
        assert_eq!(arn.partition(), "aws-us-gov");
        assert_eq!(arn.service(), "bedrock");
        assert_eq!(arn.region(), Some("us-gov-west-1"));
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(
            arn.typed_resource(),
            Some(("inference-profile", "us-gov.anthropic.claude-sonnet-4-6"))
        );
        assert_eq!(arn.to_string(), text);
        let global: Arn = "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1"
            .parse()
            .unwrap();
        assert_eq!((global.region(), global.account()), (None, None));
    }

    #[test]
    fn principals_behind_arns() {
        let principal = |text: &str| {
            text.parse::<Arn>()
                .ok()
                .and_then(|a| a.iam_principal().map(|(k, n)| (k, n.to_string())))
        };
        assert_eq!(
            principal("arn:aws:iam::123456789012:user/team/dev"),
            Some(("user", "dev".into()))
        );
        assert_eq!(
            principal(
                "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_1"
            ),
            Some(("role", "AWSReservedSSO_Dev_1".into()))
        );
        assert_eq!(
            principal("arn:aws:sts::123456789012:assumed-role/dev/alice"),
            Some(("role", "dev".into()))
        );
        assert_eq!(principal("arn:aws:iam::123456789012:root"), None);
        assert_eq!(principal("arn:aws:iam::123456789012:group/devs"), None);
        assert_eq!(
            principal("arn:aws:sts::123456789012:assumed-role/dev"),
            None
        );
    }

    #[test]
    fn refuses_what_is_not_an_arn() {
        for text in [
            "",
            "dev",
            "arn:aws:s3",
            "arn:gcp:iam::123456789012:user/dev",
            "arn:aws::us-east-1:123456789012:x",
            "arn:aws:iam::12345:user/dev",
            "arn:aws:iam::123456789012:",
        ] {
            assert!(text.parse::<Arn>().is_err(), "{text}");
        }
    }
}
