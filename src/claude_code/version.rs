//! Claude Code's version, as `claude --version` prints it (`2.1.207 (Claude Code)`).

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("'{text}' is not a version like 2.1.207");
        let mut parts = text.trim().trim_start_matches('v').split('.');
        let mut next = || -> Result<u32, String> {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(invalid)
        };
        let version = Version(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(invalid());
        }
        Ok(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        let v: Version = "2.1.207".parse().unwrap();
        assert!(v > "2.1.97".parse().unwrap());
        assert!("2.1.96".parse::<Version>().unwrap() < "2.1.97".parse().unwrap());
        for bad in ["2.1", "2.1.x", "(Claude", "2.1.2.3"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }
}
