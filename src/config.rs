//! The configuration file, `bedrock-preflight.toml` (or `--config FILE`): findings a team has
//! accepted (`[[ignore]]`), each with a reason and an optional end, and the defaults of
//! `--region`, `--residency` and `--strict` (`regions`, `residency`, `strict`). The file is read
//! and validated whole before any AWS call; a finding it matches is reported `suppressed`, never
//! dropped. This module never reads a finding's evidence nor decides an exit code, and never
//! decides whether a flag beats the file (`commands` does).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use crate::checks::GEOGRAPHIES;
use crate::checks::catalog::{Explained, lookup};
use crate::domain::Region;
use crate::engine::{Finding, Status, Suppression};
use crate::files::{INPUT_LIMIT, ReadError, read_text_blocking};
use crate::iam::glob::{Token, matches, tokens};

/// The file read from the working directory when `--config` does not name one.
pub const FILE_NAME: &str = "bedrock-preflight.toml";

/// A validated configuration file.
#[derive(Debug)]
pub struct Config {
    /// As the user named it, for messages.
    pub path: PathBuf,
    pub ignores: Vec<Ignore>,
    /// `regions`: what `--region` would name.
    pub regions: Option<Regions>,
    /// `residency`: one of `GEOGRAPHIES`.
    pub residency: Option<&'static str>,
    /// `strict`.
    pub strict: Option<bool>,
}

/// The file's `regions`, as `--region` takes them: names, and `all` for every region Bedrock is
/// offered in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regions {
    /// Each once, in the order written.
    pub named: Vec<Region>,
    pub all: bool,
}

/// One `[[ignore]]` entry, validated.
#[derive(Debug)]
pub struct Ignore {
    /// The line of `[[ignore]]` that opens it.
    pub line: usize,
    code: Target,
    account: Option<String>,
    region: Option<Region>,
    resource: Option<Vec<Token>>,
    reason: String,
    expires: Option<Date>,
}

/// What an entry names: one finding code, or every code of one check.
#[derive(Debug, PartialEq)]
enum Target {
    Code(String),
    Check(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    regions: Option<Spanned<RawRegions>>,
    residency: Option<Spanned<String>>,
    strict: Option<bool>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

/// `regions = "us-east-1"` or `regions = ["us-east-1", "eu-west-1"]`, each element with its
/// place, so that a bad one in a list written over several lines is named at its own line.
enum RawRegions {
    One(String),
    List(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawRegions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expected;
        impl<'de> Visitor<'de> for Expected {
            type Value = RawRegions;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a region name, \"all\", or a list of them")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<RawRegions, E> {
                Ok(RawRegions::One(value.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawRegions, A::Error> {
                let mut list = Vec::new();
                while let Some(element) = seq.next_element::<Spanned<String>>()? {
                    list.push(element);
                }
                Ok(RawRegions::List(list))
            }
        }
        deserializer.deserialize_any(Expected)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    code: String,
    account: Option<String>,
    region: Option<String>,
    resource: Option<String>,
    reason: String,
    expires: Option<RawDate>,
}

/// TOML has dates of its own (`expires = 2026-06-30`); a quoted one is accepted as well.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Date(toml::value::Datetime),
}

/// A calendar day, `YYYY-MM-DD`; fields in this order compare chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        let parts: Vec<&str> = text.split('-').collect();
        let [year, month, day] = parts[..] else {
            return None;
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
            return None;
        }
        // The calendar (month lengths, leap years) is the SDK's date parser's to know.
        aws_smithy_types::DateTime::from_str(
            &format!("{text}T00:00:00Z"),
            aws_smithy_types::date_time::Format::DateTime,
        )
        .ok()?;
        Some(Date {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
            day: day.parse().ok()?,
        })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let now = crate::domain::format_time(std::time::SystemTime::now());
        // format_time writes RFC 3339, whose first ten characters are the date.
        Date::parse(now.get(..10).unwrap_or_default()).unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `--config FILE`, else `bedrock-preflight.toml` here when there is one; an explicit file
/// that cannot be read, or any file that does not validate, is the one line to say so.
pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, String> {
    let (path, implicit) = match explicit {
        Some(path) => (path, false),
        None => (Path::new(FILE_NAME), true),
    };
    let text = match read_text_blocking(path, INPUT_LIMIT) {
        Ok(text) => text,
        Err(ReadError::NotFound) if implicit => return Ok(None),
        Err(why) if implicit => return Err(format!("{}: {why}", path.display())),
        Err(why) => return Err(format!("--config {}: {why}", path.display())),
    };
    parse(path, &text).map(Some)
}

/// The configuration in `text`, read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Config, String> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let place = match e.span() {
            Some(span) => format!("{}:{}", path.display(), line_of(span.start)),
            None => path.display().to_string(),
        };
        // toml's message ends with a newline and may span lines: the first says what is wrong.
        let what = e.message().lines().next().unwrap_or_default().trim();
        format!("{place}: {what}{}", misplaced_key_hint(what))
    })?;
    let at = |offset: usize| format!("{}:{}", path.display(), line_of(offset));
    let regions = raw
        .regions
        .map(|spanned| {
            let start = spanned.span().start;
            let values = match spanned.into_inner() {
                RawRegions::One(value) => vec![(start, value)],
                RawRegions::List(list) => list
                    .into_iter()
                    .map(|element| (element.span().start, element.into_inner()))
                    .collect(),
            };
            regions(&values)
                .map_err(|(offset, what)| format!("{}: {what}", at(offset.unwrap_or(start))))
        })
        .transpose()?;
    let residency = raw
        .residency
        .map(|spanned| {
            let start = spanned.span().start;
            geography(spanned.get_ref()).map_err(|what| format!("{}: {what}", at(start)))
        })
        .transpose()?;
    let ignores = raw
        .ignore
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let line = line_of(entry.span().start);
            validate(entry.into_inner(), line).map_err(|what| {
                format!(
                    "{}:{line}: [[ignore]] entry {}: {what}",
                    path.display(),
                    index + 1
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Config {
        path: path.to_path_buf(),
        ignores,
        regions,
        residency,
        strict: raw.strict,
    })
}

/// TOML puts a key written below `[[ignore]]` into that entry: a default written there is
/// refused as an unknown field of the entry, which the message alone would not explain.
fn misplaced_key_hint(what: &str) -> &'static str {
    let misplaced = ["regions", "residency", "strict"]
        .iter()
        .any(|key| what.starts_with(&format!("unknown field `{key}`")));
    if misplaced && what.contains("`code`") {
        " (regions, residency and strict go above the first [[ignore]], or TOML reads them as \
         part of that entry)"
    } else {
        ""
    }
}

/// `regions` as `--region` reads its values: each split at commas, `all` or a region name.
/// An error names the offset of the value at fault, when it is not the key's.
fn regions(values: &[(usize, String)]) -> Result<Regions, (Option<usize>, String)> {
    let mut found = Regions {
        named: Vec::new(),
        all: false,
    };
    for (offset, value) in values {
        for part in value.split(',').map(str::trim) {
            if part == "all" {
                found.all = true;
                continue;
            }
            let region = part
                .parse::<Region>()
                .map_err(|why| (Some(*offset), format!("regions: {why}")))?;
            if !found.named.contains(&region) {
                found.named.push(region);
            }
        }
    }
    if found.named.is_empty() && !found.all {
        return Err((
            None,
            "regions is empty: name a region or \"all\", or leave it out to use the AWS \
             configuration's region"
                .into(),
        ));
    }
    Ok(found)
}

/// `residency` as `--residency` reads it.
fn geography(name: &str) -> Result<&'static str, String> {
    GEOGRAPHIES
        .iter()
        .map(|(geography, _)| *geography)
        .find(|geography| *geography == name)
        .ok_or_else(|| {
            let names: Vec<&str> = GEOGRAPHIES.iter().map(|(g, _)| *g).collect();
            format!("residency '{name}': one of {}", names.join(", "))
        })
}

fn validate(raw: RawIgnore, line: usize) -> Result<Ignore, String> {
    let code = match lookup(&raw.code) {
        Ok(Explained::Check(meta)) => Target::Check(meta.id),
        Ok(Explained::Code(meta, kind)) => Target::Code(meta.code(kind)),
        Err(why) => return Err(format!("code {why}")),
    };
    let account = raw
        .account
        .map(|a| {
            if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
                Ok(a)
            } else {
                Err(format!(
                    "account '{a}' is not an AWS account ID (12 digits)"
                ))
            }
        })
        .transpose()?;
    let region = raw
        .region
        .map(|r| {
            r.parse::<Region>()
                .map_err(|why| format!("region '{r}': {why}"))
        })
        .transpose()?;
    let resource = match raw.resource {
        Some(glob) if glob.trim().is_empty() => {
            return Err("resource is empty: leave it out to match every resource".into());
        }
        glob => glob.map(|g| tokens(&g)),
    };
    if raw.reason.trim().is_empty() {
        return Err("reason is empty: say why the finding is accepted".into());
    }
    let expires = match raw.expires {
        None => None,
        Some(RawDate::Text(text)) => Some(text),
        Some(RawDate::Date(date)) => Some(date.to_string()),
    }
    .map(|text| {
        Date::parse(&text).ok_or_else(|| format!("expires '{text}' is not a date (YYYY-MM-DD)"))
    })
    .transpose()?;
    Ok(Ignore {
        line,
        code,
        account,
        region,
        resource,
        reason: raw.reason.trim().to_string(),
        expires,
    })
}

impl Ignore {
    /// Whether the entry has ended by `today`: it applies up to the day before `expires`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|end| end <= today)
    }

    /// What the entry names, as written in the file.
    pub fn code(&self) -> &str {
        match &self.code {
            Target::Code(code) => code,
            Target::Check(id) => id,
        }
    }

    pub fn expires(&self) -> Option<Date> {
        self.expires
    }

    /// Whether `finding` is one this entry names, whatever its status and the date.
    fn names(&self, finding: &Finding) -> bool {
        let code = match &self.code {
            Target::Code(code) => *code == finding.code(),
            Target::Check(id) => *id == finding.check,
        };
        let same = |wanted: Option<&str>, actual: &Option<String>| {
            wanted.is_none_or(|w| actual.as_deref() == Some(w))
        };
        code && same(self.account.as_deref(), &finding.account)
            && same(self.region.as_ref().map(Region::as_str), &finding.region)
            && self.resource.as_ref().is_none_or(|glob| {
                finding
                    .resource
                    .as_deref()
                    .is_some_and(|r| matches(glob, r, false))
            })
    }
}

impl Config {
    /// The entries that have ended by `today`, each as the line that says so.
    pub fn expired(&self, today: Date) -> Vec<String> {
        self.ignores
            .iter()
            .filter(|entry| entry.expired(today))
            .map(|entry| {
                format!(
                    "{}:{}: the [[ignore]] entry for {} expired on {}: its findings count again",
                    self.path.display(),
                    entry.line,
                    entry.code(),
                    entry.expires.map(|d| d.to_string()).unwrap_or_default()
                )
            })
            .collect()
    }

    /// Marks each failed, warned or errored finding that an entry in force names as
    /// `suppressed`, with the entry's reason; a finding only an ended entry names keeps its
    /// status and says, in its evidence, which entry ended.
    pub fn suppress(&self, findings: &mut [Finding], today: Date) {
        for finding in findings {
            if !matches!(finding.status, Status::Fail | Status::Warn | Status::Error) {
                continue;
            }
            let named = || self.ignores.iter().filter(|entry| entry.names(finding));
            if let Some(entry) = named().find(|entry| !entry.expired(today)) {
                finding.suppression = Some(Box::new(Suppression {
                    status: finding.status,
                    reason: entry.reason.clone(),
                    expires: entry.expires.map(|d| d.to_string()),
                    source: format!("{}:{}", self.path.display(), entry.line),
                }));
                finding.status = Status::Suppressed;
            } else if let Some(entry) = named().next() {
                let ended = format!(
                    "{}:{}: expired on {} ({})",
                    self.path.display(),
                    entry.line,
                    entry.expires.map(|d| d.to_string()).unwrap_or_default(),
                    entry.reason
                );
                finding
                    .evidence
                    .insert("suppression_expired".into(), ended.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Kind, Remediation, Severity};

    const TODAY: Date = Date {
        year: 2026,
        month: 3,
        day: 15,
    };

    fn config(text: &str) -> Result<Config, String> {
        parse(Path::new("bedrock-preflight.toml"), text)
    }

    fn logging_off(region: &str) -> Finding {
        let check = crate::checks::all()
            .into_iter()
            .find(|c| c.meta().id == "logging.invocation")
            .unwrap();
        let mut finding = Finding::fail(
            check.meta(),
            Kind::new("off"),
            Severity::High,
            "Invocation logging is off",
            "no logging configuration",
            Remediation::new("bedrock-preflight setup logging --yes"),
        )
        .region(region)
        .resource(format!("arn:aws:bedrock:{region}:111122223333:logging"));
        finding.account = Some("111122223333".into());
        finding
    }

    fn suppressed(text: &str, mut finding: Finding) -> Finding {
        config(text)
            .unwrap()
            .suppress(std::slice::from_mut(&mut finding), TODAY);
        finding
    }

    #[test]
    fn an_entry_names_a_code_or_a_check_and_narrows_by_account_region_and_resource() {
        let matching = [
            "code = 'logging.invocation/off'",
            "code = 'logging.invocation'",
            "code = 'logging.invocation'\naccount = '111122223333'",
            "code = 'logging.invocation'\nregion = 'eu-west-1'",
            "code = 'logging.invocation'\nresource = 'arn:aws:bedrock:eu-*:*:logging'",
            "code = 'logging.invocation'\nexpires = 2026-03-16",
            "code = 'logging.invocation'\nexpires = '2026-03-16'",
        ];
        for fields in matching {
            let text = format!("[[ignore]]\n{fields}\nreason = 'sandbox'\n");
            let finding = suppressed(&text, logging_off("eu-west-1"));
            assert_eq!(finding.status, Status::Suppressed, "{fields}");
            let accepted = finding.suppression.unwrap();
            assert_eq!(accepted.status, Status::Fail);
            assert_eq!(accepted.reason, "sandbox");
            assert_eq!(accepted.source, "bedrock-preflight.toml:1");
        }
        let other = [
            "code = 'logging.invocation/text-not-delivered'",
            "code = 'logging.retention'",
            "code = 'logging.invocation'\naccount = '444455556666'",
            "code = 'logging.invocation'\nregion = 'us-east-1'",
            "code = 'logging.invocation'\nresource = 'arn:aws:bedrock:us-*'",
        ];
        for fields in other {
            let text = format!("[[ignore]]\n{fields}\nreason = 'sandbox'\n");
            let finding = suppressed(&text, logging_off("eu-west-1"));
            assert_eq!(finding.status, Status::Fail, "{fields}");
            assert_eq!(finding.suppression, None);
        }
    }

    #[test]
    fn a_pass_or_a_skip_is_never_suppressed() {
        let text = "[[ignore]]\ncode = 'logging.invocation'\nreason = 'sandbox'\n";
        for status in [Status::Pass, Status::Skip] {
            let mut finding = logging_off("eu-west-1");
            finding.status = status;
            assert_eq!(suppressed(text, finding).status, status);
        }
    }

    #[test]
    fn an_entry_that_has_ended_stops_matching_and_says_so() {
        let text = "\n[[ignore]]\ncode = 'logging.invocation/off'\nreason = 'until the trail lands'\nexpires = 2026-03-15\n";
        let finding = suppressed(text, logging_off("eu-west-1"));
        assert_eq!(finding.status, Status::Fail);
        assert_eq!(
            finding.evidence["suppression_expired"],
            "bedrock-preflight.toml:2: expired on 2026-03-15 (until the trail lands)"
        );
        assert_eq!(
            config(text).unwrap().expired(TODAY),
            [
                "bedrock-preflight.toml:2: the [[ignore]] entry for logging.invocation/off expired on 2026-03-15: its findings count again"
            ]
        );
        let earlier = Date { day: 14, ..TODAY };
        assert!(config(text).unwrap().expired(earlier).is_empty());
    }

    #[test]
    fn each_malformed_entry_is_one_line_naming_the_file_the_entry_and_what_is_wrong() {
        let cases = [
            (
                "code = 'logging.invocaton'",
                "[[ignore]] entry 2: code 'logging.invocaton' is not a finding code: did you mean logging.invocation?",
            ),
            (
                "code = 'logging.invocation'\naccount = '1234'",
                "[[ignore]] entry 2: account '1234' is not an AWS account ID (12 digits)",
            ),
            (
                "code = 'logging.invocation'\nregion = 'Europe'",
                "[[ignore]] entry 2: region 'Europe': ",
            ),
            (
                "code = 'logging.invocation'\nresource = ' '",
                "[[ignore]] entry 2: resource is empty",
            ),
            (
                "code = 'logging.invocation'\nreason = '  '",
                "[[ignore]] entry 2: reason is empty",
            ),
            (
                "code = 'logging.invocation'\nexpires = '2026-02-30'",
                "[[ignore]] entry 2: expires '2026-02-30' is not a date (YYYY-MM-DD)",
            ),
            (
                "code = 'logging.invocation'\nexpires = '30/06/2026'",
                "[[ignore]] entry 2: expires '30/06/2026' is not a date",
            ),
        ];
        for (fields, expected) in cases {
            let reason = if fields.contains("reason") {
                ""
            } else {
                "reason = 'ok'\n"
            };
            let text = format!(
                "[[ignore]]\ncode = 'logging.invocation'\nreason = 'ok'\n\n[[ignore]]\n{fields}\n{reason}"
            );
            let error = config(&text).unwrap_err();
            assert!(
                error.starts_with(&format!("bedrock-preflight.toml:5: {expected}")),
                "{error}"
            );
            assert_eq!(error.lines().count(), 1, "{error}");
        }
        let serde_cases = [
            (
                "[[ignore]]\ncode = 'logging.invocation'\n",
                "bedrock-preflight.toml:1:",
                "reason",
            ),
            (
                "[[ignore]]\ncode = 'logging.invocation'\nreason = 'ok'\nuntil = 1\n",
                "bedrock-preflight.toml:4:",
                "unknown field `until`",
            ),
            (
                "[[ignores]]\ncode = 'x'\n",
                "bedrock-preflight.toml:1:",
                "unknown field `ignores`",
            ),
            ("[[ignore]\n", "bedrock-preflight.toml:1:", ""),
        ];
        for (text, place, what) in serde_cases {
            let error = config(text).unwrap_err();
            assert!(error.starts_with(place) && error.contains(what), "{error}");
            assert_eq!(error.lines().count(), 1, "{error}");
        }
    }

    #[test]
    fn the_defaults_are_read_as_their_flags_read_them() {
        let read = config(
            "regions = ['eu-west-1', 'us-east-1,eu-west-1']\nresidency = 'eu'\nstrict = true\n\n\
             [[ignore]]\ncode = 'logging.invocation'\nreason = 'sandbox'\n",
        )
        .unwrap();
        assert_eq!(
            read.regions,
            Some(Regions {
                named: vec!["eu-west-1".parse().unwrap(), "us-east-1".parse().unwrap()],
                all: false,
            })
        );
        assert_eq!((read.residency, read.strict), (Some("eu"), Some(true)));
        assert_eq!(read.ignores.len(), 1);

        let all = config("regions = 'all'\nstrict = false\n").unwrap();
        assert_eq!(
            all.regions,
            Some(Regions {
                named: Vec::new(),
                all: true
            })
        );
        assert_eq!((all.residency, all.strict), (None, Some(false)));

        let none = config("").unwrap();
        assert_eq!(
            (none.regions, none.residency, none.strict),
            (None, None, None)
        );
    }

    #[test]
    fn each_malformed_default_is_one_line_naming_the_file_and_its_line() {
        let cases = [
            (
                "strict = true\nregions = ['us-east-1',\n  'eu-west-9x']\n",
                "bedrock-preflight.toml:3: regions: 'eu-west-9x' is not an AWS region name",
            ),
            (
                "\nregions = 'us-east-1,Europe'\n",
                "bedrock-preflight.toml:2: regions: 'Europe' is not an AWS region name",
            ),
            (
                "regions = []\n",
                "bedrock-preflight.toml:1: regions is empty",
            ),
            (
                "regions = 3\n",
                "bedrock-preflight.toml:1: invalid type: integer `3`, expected a region name, \"all\", or a list of them",
            ),
            (
                "regions = ['us-east-1', 2]\n",
                "bedrock-preflight.toml:1: invalid type: integer `2`, expected a string",
            ),
            (
                "\n\nresidency = 'mars'\n",
                "bedrock-preflight.toml:3: residency 'mars': one of us, eu, apac, jp, au",
            ),
            (
                "strict = 'yes'\n",
                "bedrock-preflight.toml:1: invalid type: string \"yes\", expected a boolean",
            ),
            (
                "region = 'us-east-1'\n",
                "bedrock-preflight.toml:1: unknown field `region`, expected one of `regions`",
            ),
            (
                "[[ignore]]\ncode = 'logging.invocation'\nreason = 'ok'\nstrict = true\n",
                "bedrock-preflight.toml:4: unknown field `strict`, expected one of `code`",
            ),
        ];
        for (text, expected) in cases {
            let error = config(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
            assert_eq!(error.lines().count(), 1, "{error}");
        }
        let misplaced =
            config("[[ignore]]\ncode = 'logging.invocation'\nreason = 'ok'\nstrict = true\n")
                .unwrap_err();
        assert!(
            misplaced.ends_with("(regions, residency and strict go above the first [[ignore]], or TOML reads them as part of that entry)"),
            "{misplaced}"
        );
        let other = config("[[ignore]]\ncode = 'logging.invocation'\nreason = 'ok'\nuntil = 1\n")
            .unwrap_err();
        assert!(!other.contains("go above"), "{other}");
    }

    #[test]
    fn dates_are_calendar_days() {
        assert!(Date::parse("2028-02-29").is_some());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026-01-01T00:00:00Z",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::parse("2026-01-31") < Date::parse("2026-02-01"));
        assert_eq!(Date::parse("2026-03-05").unwrap().to_string(), "2026-03-05");
    }

    #[test]
    fn no_file_here_is_no_configuration_but_a_named_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let error = load(Some(&missing)).unwrap_err();
        assert!(
            error.starts_with("--config ") && error.ends_with("it does not exist"),
            "{error}"
        );
        let error = load(Some(dir.path())).unwrap_err();
        assert!(error.ends_with("it is a directory, not a file"), "{error}");
    }
}
