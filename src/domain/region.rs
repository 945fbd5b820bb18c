//! AWS regions, parsed at the edge so that checks only ever see valid names, and where the
//! region of a run came from.

use std::fmt;
use std::str::FromStr;

/// An AWS region name such as `us-east-1` or `us-gov-west-1`. Parsing checks the shape only;
/// whether Bedrock is offered there is `region.config`'s business.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        // <area>-<direction or name>[-<more>]-<digits>, lower case: us-east-1, eu-central-2,
        // us-gov-west-1, us-isob-east-1, ap-southeast-7, il-central-1.
        let parts: Vec<&str> = name.split('-').collect();
        let valid = parts.len() >= 3
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].len() <= 2
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty();
        if valid {
            Ok(Region(name.to_string()))
        } else {
            Err(format!(
                "'{name}' is not an AWS region name (expected something like us-east-1)"
            ))
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the region of this run came from, for messages that tell a person what to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionSource {
    Flag,
    /// `regions` in the configuration file, which outranks the environment and the profile.
    ConfigFile,
    Environment,
    Profile,
    InstanceMetadata,
}

impl RegionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionSource::Flag => "flag",
            RegionSource::ConfigFile => "config-file",
            RegionSource::Environment => "environment",
            RegionSource::Profile => "profile",
            RegionSource::InstanceMetadata => "instance-metadata",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RegionSource::Flag => "--region",
            RegionSource::ConfigFile => "regions in the configuration file",
            RegionSource::Environment => "AWS_REGION or AWS_DEFAULT_REGION",
            RegionSource::Profile => "the profile's region setting",
            RegionSource::InstanceMetadata => "EC2 instance metadata",
        }
    }
}

/// Whether `region` is inside `geography`, as a cross-region profile of it may route.
pub fn in_geography(geography: &str, region: &str) -> bool {
    match geography {
        "us" => region.starts_with("us-") && !region.starts_with("us-gov-"),
        "us-gov" => region.starts_with("us-gov-"),
        "eu" => region.starts_with("eu-"),
        "apac" => region.starts_with("ap-"),
        "jp" => matches!(region, "ap-northeast-1" | "ap-northeast-3"),
        "au" => matches!(region, "ap-southeast-2" | "ap-southeast-4"),
        _ => false,
    }
}

/// The geography whose profiles a client in `region` calls by default: the narrowest one the
/// region is in (`jp` before `apac`). `None` where no geography holds the region.
pub fn home_geography(region: &str) -> Option<&'static str> {
    ["us-gov", "us", "eu", "jp", "au", "apac"]
        .into_iter()
        .find(|geography| in_geography(geography, region))
}

/// Regions with a Bedrock endpoint, from AWS's endpoint list (docs.aws.amazon.com/general/
/// latest/gr/bedrock.html) as of 2026-11. `region.config` warns (not fails) on a region missing
/// here, since Bedrock launches in new regions faster than this list is updated; `audit
/// --regions all` audits those of the caller's partition.
pub const BEDROCK_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_shape_of_region_name() {
        for name in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "us-isob-east-1",
            "ap-southeast-7",
            "il-central-1",
            "cn-northwest-1",
        ] {
            assert!(name.parse::<Region>().is_ok(), "{name}");
        }
    }

    #[test]
    fn a_region_calls_the_narrowest_geography_it_is_in() {
        assert_eq!(home_geography("eu-west-1"), Some("eu"));
        assert_eq!(home_geography("us-east-2"), Some("us"));
        assert_eq!(home_geography("us-gov-west-1"), Some("us-gov"));
        assert_eq!(home_geography("ap-northeast-1"), Some("jp"));
        assert_eq!(home_geography("ap-southeast-2"), Some("au"));
        assert_eq!(home_geography("ap-south-1"), Some("apac"));
        assert_eq!(home_geography("sa-east-1"), None);
    }

    #[test]
    fn rejects_what_is_not_a_region_name() {
        for name in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "useast1",
            "us-east-1a",
            "us-east-100",
            "not_a_region",
            "us--1",
            "https://us-east-1",
        ] {
            assert!(name.parse::<Region>().is_err(), "{name}");
        }
    }
}
