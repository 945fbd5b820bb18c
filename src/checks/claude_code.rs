//! `claude-code.config`: what Claude Code will send, from its environment and settings files
//! as it resolves them, judged against the traps people hit (field-failures A–C).

use async_trait::async_trait;

use super::facts::CredentialsFact;
use crate::aws::CredentialSource;
use crate::claude_code::{
    Cause, FACTS, Origin, RegionChoice, SettingsFile, Setup, Unreadable, Window,
};
use crate::domain::ModelRequest;
use crate::domain::models::PROFILE_PREFIXES;
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::shell::sh;

check! {
    ClaudeCodeConfig = "claude-code.config" {
        title: "Claude Code configuration",
        description: "Claude Code's environment and settings files (managed, local, project, user) as \
                      Claude Code resolves them: Bedrock or Mantle enabled, the region it will call by \
                      its version's rule, every model it will call (each a doctor target), models its \
                      version cannot call, conflicting auth, API key shape, credential refresh, \
                      gateways, output tokens, prompt caching, service tier, the default model's region \
                      prefix, and settings files that cannot be used (not JSON, wrong types, unreadable: \
                      reported even without --claude-code, since such a file may be the one enabling Bedrock). \
                      What depends on the version comes from src/claude_code/facts.json, each fact with its source",
        commands: [Doctor],
        depends_on: [],
        after: ["credentials.resolve"],
        severity: High,
        kinds: {
            NOT_CONFIGURED = "not-configured",
            NOT_ENABLED = "not-enabled",
            ENABLED = "enabled",
            BOTH_ENABLED = "bedrock-and-mantle",
            EMPTY_VALUE = "empty-value",
            REGION = "region",
            REGION_IGNORED = "region-not-read",
            REGION_UNSURE = "region-depends-on-version",
            MODELS = "models",
            UNPINNED = "unpinned-model",
            INVALID_MODEL = "invalid-model",
            TOO_NEW = "model-needs-newer-claude-code",
            ONE_MILLION = "1m-not-supported",
            ONE_MILLION_BUILT_IN = "1m-built-in",
            SOURCES_DISAGREE = "model-minimum-disputed",
            SERVICE_TIER = "service-tier-invalid",
            SERVICE_TIER_IGNORED = "service-tier-not-read",
            REGION_PREFIX = "region-prefix-invalid",
            REGION_PREFIX_IGNORED = "region-prefix-not-read",
            SMALL_FAST = "small-fast-model-deprecated",
            SMALL_FAST_REGION = "small-fast-region-ignored",
            AUTH_CONFLICT = "auth-conflict",
            BEARER_SHAPE = "bearer-token-shape",
            BEARER_REGION = "bearer-token-region",
            BEARER_REGRESSION = "bearer-token-not-sent",
            NO_REFRESH = "no-credential-refresh",
            CREDENTIAL_EXPORT = "credential-export",
            GATEWAY = "gateway",
            OUTPUT_TOKENS = "output-tokens-low",
            NO_CACHING = "prompt-caching-disabled",
            BROKEN_SETTINGS = "settings-not-json",
            UNREADABLE_SETTINGS = "settings-unreadable",
            WRONG_TYPE_SETTINGS = "settings-wrong-type",
            MANTLE_VERSION = "mantle-needs-newer-claude-code",
            UNCLEAR_SWITCH = "switch-value-unclear",
            REGION_INVALID = "region-invalid",
        },
    }
}

/// What doctor hands this check: Claude Code's resolved setup, the region it will call, and
/// whether `--claude-code` asked for the checks.
#[derive(Clone, Debug)]
pub struct ClaudeCodeInput {
    pub setup: Setup,
    pub region: RegionChoice,
    pub forced: bool,
}

impl ClaudeCodeInput {
    /// Whether the Claude Code checks run: Claude Code is set up for Bedrock or Mantle, or
    /// `--claude-code` says so.
    pub fn applies(&self) -> bool {
        self.forced || self.setup.uses_bedrock() || self.setup.uses_mantle()
    }
}

#[async_trait]
impl Check for ClaudeCodeConfig {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let input = cx.fact::<ClaudeCodeInput>();
        if let Some(input) = input.as_deref().filter(|i| !i.applies()) {
            let broken = settings_findings(&input.setup);
            if !broken.is_empty() {
                return Ok(broken);
            }
        }
        let Some(input) = input.filter(|i| i.applies()) else {
            return Ok(vec![Finding::skip(
                &META,
                kind::NOT_CONFIGURED,
                "Skipped: Claude Code is not configured for Bedrock (CLAUDE_CODE_USE_BEDROCK or CLAUDE_CODE_USE_MANTLE, \
                 in the environment or a settings file); --claude-code runs these checks anyway",
            )]);
        };
        let credentials = cx.fact::<CredentialsFact>();
        Ok(judge(&input, credentials.as_deref()))
    }
}

fn fail(kind: crate::engine::Kind, title: &str, message: String, fix: String) -> Finding {
    Finding::fail(
        &META,
        kind,
        Severity::High,
        title,
        message,
        Remediation::new(fix),
    )
}

fn warn(kind: crate::engine::Kind, title: &str, message: String, fix: String) -> Finding {
    Finding::warn(
        &META,
        kind,
        Severity::Medium,
        title,
        message,
        Remediation::new(fix),
    )
}

/// Every finding about one resolved setup.
pub fn judge(input: &ClaudeCodeInput, credentials: Option<&CredentialsFact>) -> Vec<Finding> {
    let setup = &input.setup;
    let version = setup.version.map_or(
        "an unknown version (claude is not on PATH)".to_string(),
        |v| v.to_string(),
    );
    let mut findings = Vec::new();

    findings.extend(settings_findings(setup));

    match (setup.uses_bedrock(), setup.uses_mantle()) {
        (false, false) => findings.push(fail(
            kind::NOT_ENABLED,
            "Claude Code is not set up for Bedrock",
            "Neither CLAUDE_CODE_USE_BEDROCK nor CLAUDE_CODE_USE_MANTLE is set, in the environment or a settings file: \
             Claude Code calls the Anthropic API, not Bedrock"
                .into(),
            "Add \"CLAUDE_CODE_USE_BEDROCK\": \"1\" to the env block of ~/.claude/settings.json (or export \
             CLAUDE_CODE_USE_BEDROCK=1)"
                .into(),
        )),
        (bedrock, mantle) => {
            let (name, origin) = if bedrock {
                ("CLAUDE_CODE_USE_BEDROCK", setup.var("CLAUDE_CODE_USE_BEDROCK"))
            } else {
                ("CLAUDE_CODE_USE_MANTLE", setup.var("CLAUDE_CODE_USE_MANTLE"))
            };
            findings.push(
                Finding::pass(
                    &META,
                    kind::ENABLED,
                    "Claude Code is set up for Bedrock",
                    format!(
                        "Claude Code {version} uses {} ({name} from {}){}",
                        if bedrock { "Bedrock" } else { "the Mantle endpoint" },
                        origin.map_or("?".to_string(), |(_, o)| o.to_string()),
                        match setup.version {
                            Some(v) if v > FACTS.reviewed_through => format!(
                                "; what this tool knows of Claude Code was reviewed through {}, so later changes are not judged",
                                FACTS.reviewed_through
                            ),
                            _ => String::new(),
                        }
                    ),
                )
                .evidence("version", setup.version.map(|v| v.to_string()))
                .evidence("facts_reviewed_through", FACTS.reviewed_through.to_string())
                .evidence(
                    "settings_files",
                    setup
                        .files
                        .iter()
                        .map(|f| f.path.display().to_string())
                        .collect::<Vec<_>>(),
                ),
            );
            if bedrock && mantle {
                findings.push(warn(
                    kind::BOTH_ENABLED,
                    "Both Bedrock and Mantle are enabled",
                    "CLAUDE_CODE_USE_BEDROCK and CLAUDE_CODE_USE_MANTLE are both set: Claude Code routes each model by \
                     its ID's form, Mantle-format IDs (anthropic.<model>, no geography prefix, no version suffix) to \
                     the Mantle endpoint and every other ID to Bedrock Runtime"
                        .into(),
                    "Keep both only if you mean to mix the two; otherwise unset the one you do not use".into(),
                ));
            }
        }
    }

    let empty_rule = &FACTS.empty_value_ignored;
    for (name, origin) in setup.empty_vars() {
        let counts = setup.empty_counts(name);
        let covered = empty_rule.variables.iter().any(|v| v == name);
        let message = if counts {
            format!(
                "{name} is set to the empty string (from {origin}); Claude Code {version} takes it for a value, which \
                 breaks SigV4 signing (from {} an empty {} is ignored: {})",
                empty_rule.since,
                empty_rule.variables.join(" or "),
                empty_rule.source.as_str()
            )
        } else if covered {
            format!(
                "{name} is set to the empty string (from {origin}); Claude Code {version} ignores it"
            )
        } else {
            format!(
                "{name} is set to the empty string (from {origin}); how Claude Code takes an empty {name} is not \
                 recorded (the {} fix covers only {})",
                empty_rule.since,
                empty_rule.variables.join(" and ")
            )
        };
        let fix = format!(
            "Unset {name} instead of setting it empty (CI systems set unset inputs to \"\")"
        );
        let finding = if counts {
            fail(
                kind::EMPTY_VALUE,
                "An empty value Claude Code treats as set",
                message,
                fix,
            )
        } else {
            warn(
                kind::EMPTY_VALUE,
                "An empty value in Claude Code's environment",
                message,
                fix,
            )
        };
        findings.push(finding.evidence("fact_source", empty_rule.source.as_str()));
    }

    findings.extend(region_findings(&input.region, &version));
    findings.extend(prefix_findings(setup, &version));
    findings.extend(model_findings(setup, &input.region, &version));
    findings.extend(service_tier_findings(setup, &version));
    findings.extend(mantle_findings(setup));
    findings.extend(auth_findings(setup, &input.region, credentials));
    findings.extend(tuning_findings(setup));
    findings
}

/// A failing finding for each settings file that exists but cannot be used: Claude Code
/// skips it, or refuses to start, and what it sets (perhaps Bedrock itself) is lost.
/// What is wrong in the settings themselves, judged whether or not Claude Code is set up for
/// Bedrock: a file it cannot use, a switch it reads as off though it was set to something.
fn settings_findings(setup: &Setup) -> Vec<Finding> {
    let files = setup
        .unreadable_files()
        .map(|(file, why)| unusable_file(file, why));
    let switches = setup.unclear_switches().into_iter().map(|(key, value, origin)| {
        let shown = serde_json::Value::from(value);
        fail(
            kind::UNCLEAR_SWITCH,
            "A Claude Code switch has a value it reads as off",
            format!(
                "{key} is {shown} (from {origin}): Claude Code turns a switch on only for 1, true, yes or on, so \
                 {key} is off"
            ),
            format!(
                "Set \"{key}\": \"1\" in the env block of {}, or remove it to leave it off",
                origin_file(origin)
            ),
        )
        .evidence("variable", key)
        .evidence("fact_source", crate::claude_code::SWITCH_SOURCE)
    });
    files.chain(switches).collect()
}

/// The settings file a fix should name for a value from `origin`.
fn origin_file(origin: &Origin) -> String {
    match origin {
        Origin::File(_, path) => path.display().to_string(),
        Origin::Shell => "~/.claude/settings.json (or your shell profile)".into(),
    }
}

fn unusable_file(file: &SettingsFile, why: &Unreadable) -> Finding {
    let path = file.path.display();
    let (kind, title) = match why.cause {
        Cause::NotJson => (
            kind::BROKEN_SETTINGS,
            "A Claude Code settings file is not valid JSON",
        ),
        Cause::WrongType => (
            kind::WRONG_TYPE_SETTINGS,
            "A Claude Code settings file has a setting of the wrong type",
        ),
        Cause::NotReadable => (
            kind::UNREADABLE_SETTINGS,
            "A Claude Code settings file cannot be read",
        ),
    };
    let fix = match (why.at, &why.line) {
        (Some((line, column)), Some(text)) => {
            format!(
                "Fix line {line}, column {column} of {path}: `{text}` ({})",
                why.why
            )
        }
        (Some((line, column)), None) => {
            format!("Fix {path} at line {line}, column {column} ({})", why.why)
        }
        (None, _) if why.cause == Cause::NotReadable => format!(
            "Make {path} a readable JSON file (or remove it): {}",
            why.why
        ),
        (None, _) => format!("Fix {path}: {}", why.why),
    };
    let mut finding = fail(
        kind,
        title,
        format!(
            "{path} ({} settings) cannot be used: {why}. Claude Code skips it or refuses to start, so whatever it \
             sets, perhaps CLAUDE_CODE_USE_BEDROCK itself, is not in force, and this run judged the configuration without it",
            file.level.as_str()
        ),
        fix,
    )
    .resource(path.to_string());
    if let Some((line, column)) = why.at {
        finding = finding.evidence("line", line).evidence("column", column);
    }
    finding
}

fn region_findings(region: &RegionChoice, version: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some((set, where_set)) = &region.ignored {
        let message = format!(
            "Claude Code {version} reads only AWS_REGION (the fallback to AWS_DEFAULT_REGION and the profile came \
             in {}), so it calls us-east-1, not {set} from {where_set}",
            FACTS.region_fallback.since
        );
        let fix = format!(
            "Add \"AWS_REGION\": {} to the env block of ~/.claude/settings.json, or run claude update",
            serde_json::Value::from(set.as_str())
        );
        let finding = if set == "us-east-1" {
            warn(
                kind::REGION_IGNORED,
                "Claude Code ignores the profile's region",
                message,
                fix,
            )
        } else {
            fail(
                kind::REGION_IGNORED,
                "Claude Code will call another region",
                message,
                fix,
            )
        };
        findings.push(finding.evidence("fact_source", FACTS.region_fallback.source.as_str()));
    } else if region.unsure {
        findings.push(warn(
            kind::REGION_UNSURE,
            "Claude Code's region depends on its version",
            format!(
                "AWS_REGION is not set; Claude Code {} or newer calls {} ({}), an older one calls us-east-1",
                FACTS.region_fallback.since, region.region, region.source
            ),
            format!(
                "Add \"AWS_REGION\": {} to the env block of ~/.claude/settings.json",
                serde_json::Value::from(region.region.as_str())
            ),
        ));
    }
    if let Err(why) = region.region.parse::<crate::domain::Region>() {
        findings.push(fail(
            kind::REGION_INVALID,
            "Claude Code's region is not an AWS region",
            format!(
                "Claude Code calls the region {} ({}), which is not an AWS region ({why}): every call it makes fails. \
                 This run judged the other regions it was given instead",
                serde_json::Value::from(region.region.as_str()),
                region.source
            ),
            format!(
                "Set \"AWS_REGION\": \"us-east-1\" (or another region that offers Bedrock) where AWS_REGION is \
                 set: {}",
                region.source
            ),
        ));
        return findings;
    }
    findings.push(
        Finding::pass(
            &META,
            kind::REGION,
            "Claude Code's region",
            format!("Claude Code calls {} ({})", region.region, region.source),
        )
        .region(region.region.clone())
        .evidence("source", region.source.clone()),
    );
    findings
}

/// `ANTHROPIC_BEDROCK_REGION_PREFIX`: a geography prefix, read from the version that added it.
fn prefix_findings(setup: &Setup, version: &str) -> Option<Finding> {
    let (value, origin) = setup
        .var("ANTHROPIC_BEDROCK_REGION_PREFIX")
        .filter(|(v, _)| !v.is_empty())?;
    let rule = &FACTS.region_prefix;
    if let Some(installed) = setup.version
        && installed < rule.variable_since
    {
        return Some(warn(
            kind::REGION_PREFIX_IGNORED,
            "Claude Code does not read ANTHROPIC_BEDROCK_REGION_PREFIX",
            format!(
                "ANTHROPIC_BEDROCK_REGION_PREFIX is {value} (from {origin}), but Claude Code {installed} does not read it \
                 ({}): its default model keeps the prefix it derives from the region",
                rule.variable_source.as_str()
            ),
            "claude update, or pin ANTHROPIC_MODEL to the profile ID you want".into(),
        ));
    }
    (!PROFILE_PREFIXES.contains(&value)).then(|| {
        fail(
            kind::REGION_PREFIX,
            "ANTHROPIC_BEDROCK_REGION_PREFIX is not a geography prefix",
            format!(
                "ANTHROPIC_BEDROCK_REGION_PREFIX is '{value}' (from {origin}); Claude Code {version} puts it before its \
                 default model's ID, and Bedrock has no such profile; prefixes are {}",
                PROFILE_PREFIXES.join(", ")
            ),
            format!(
                "Set ANTHROPIC_BEDROCK_REGION_PREFIX to one of {} (or unset it to derive the prefix from the region)",
                PROFILE_PREFIXES.join(", ")
            ),
        )
    })
}

fn model_findings(setup: &Setup, region: &RegionChoice, version: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let pinned = setup.pinned_models();
    let defaults = setup.default_targets(&region.region);
    let background = setup.background_note();
    if !setup.primary_pinned() {
        let mut calls: Vec<String> = defaults
            .iter()
            .map(|d| {
                let mut text = format!("{} for {} ({}; prefix: {})", d.request, d.role, d.source, d.prefix_source);
                if d.unconfirmed {
                    text.push_str(
                        "; UNCONFIRMED: the reference does not confirm this Bedrock ID or prefix, so it is judged as the \
                         live catalog's model of that generation",
                    );
                }
                text
            })
            .collect();
        calls.extend(background.clone());
        findings.push(
            warn(
                kind::UNPINNED,
                "No model pinned",
                format!(
                    "No main-loop model is pinned (ANTHROPIC_MODEL or the model setting): Claude Code {version} calls {}. \
                     An update can change the model, and what it costs, without notice",
                    if calls.is_empty() { "the model its alias variables name".to_string() } else { calls.join("; ") }
                ),
                "Pin each tier in the env block of the settings: ANTHROPIC_MODEL, ANTHROPIC_DEFAULT_SONNET_MODEL, \
                 ANTHROPIC_DEFAULT_HAIKU_MODEL (bedrock-preflight doctor --emit claude-code-settings prints the ones \
                 proven to work here)"
                    .into(),
            )
            .evidence(
                "defaults",
                defaults
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "model": d.request.to_string(),
                            "role": d.role,
                            "unconfirmed": d.unconfirmed,
                            "source": d.source,
                            "prefix": d.prefix_source,
                        })
                    })
                    .collect::<Vec<_>>(),
            ),
        );
    }
    for model in &pinned {
        let named = format!("{} (from {})", model.named_by, model.origin);
        let request = match model.value.parse::<ModelRequest>() {
            Ok(request) => request,
            Err(why) => {
                findings.push(fail(
                    kind::INVALID_MODEL,
                    "A model Claude Code will send is not a Bedrock model ID",
                    format!("{named} is '{}': {why}", model.value),
                    format!(
                        "Set {} to a Bedrock inference profile ID (us.anthropic.claude-sonnet-4-6), a model ID or an ARN",
                        model.named_by
                    ),
                ));
                continue;
            }
        };
        let base = request.name.to_string();
        if let (Some(minimum), Some(installed)) = (FACTS.minimum_for(&base), setup.version) {
            findings.extend(minimum_finding(minimum, installed, &named, &base));
        }
        if request.long_context {
            findings.extend(long_context_finding(setup, &named, &model.named_by, &base));
        }
    }
    if setup.var("ANTHROPIC_SMALL_FAST_MODEL").is_some() {
        findings.push(warn(
            kind::SMALL_FAST,
            "ANTHROPIC_SMALL_FAST_MODEL is deprecated",
            "ANTHROPIC_SMALL_FAST_MODEL is set; Claude Code replaced it with ANTHROPIC_DEFAULT_HAIKU_MODEL".into(),
            "Rename it to ANTHROPIC_DEFAULT_HAIKU_MODEL".into(),
        ));
    }
    if setup.var("ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION").is_some()
        && setup.var("ANTHROPIC_DEFAULT_HAIKU_MODEL").is_none()
        && setup.var("ANTHROPIC_SMALL_FAST_MODEL").is_none()
    {
        findings.push(warn(
            kind::SMALL_FAST_REGION,
            "The fast model's region override does nothing",
            "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION is set but no Haiku-class model is: on Bedrock the override \
             applies only with ANTHROPIC_DEFAULT_HAIKU_MODEL"
                .into(),
            "Set ANTHROPIC_DEFAULT_HAIKU_MODEL to the Haiku profile of that region".into(),
        ));
    }
    let mut targets: Vec<String> = pinned.iter().map(|m| m.value.clone()).collect();
    let mut described: Vec<String> = pinned
        .iter()
        .map(|m| format!("{} ({})", m.value, m.named_by))
        .collect();
    for default in &defaults {
        targets.push(default.request.to_string());
        described.push(format!("{} ({})", default.request, default.role));
    }
    findings.push(
        Finding::pass(
            &META,
            kind::MODELS,
            "Models Claude Code will call",
            format!(
                "Claude Code will call {}; each is a target of this run",
                described.join(", ")
            ),
        )
        .evidence("models", targets),
    );
    findings
}

/// Whether `installed` can call a model with a minimum version; between two sources that
/// disagree on the minimum, a warning that says so.
fn minimum_finding(
    minimum: &crate::claude_code::ModelMinimum,
    installed: crate::claude_code::Version,
    named: &str,
    base: &str,
) -> Option<Finding> {
    if installed < minimum.since {
        return Some(
            fail(
                kind::TOO_NEW,
                "A model needs a newer Claude Code",
                format!(
                    "{named} is {base}, which Claude Code calls from {} on ({}); {installed} is installed (calls fail \
                     with \"does not support this model\")",
                    minimum.since,
                    minimum.source.as_str()
                ),
                "claude update".into(),
            )
            .evidence("minimum", minimum.since.to_string())
            .evidence("fact_source", minimum.source.as_str()),
        );
    }
    let (Some(until), Some(other)) = (minimum.disputed_until, &minimum.disputed_source) else {
        return None;
    };
    (installed < until).then(|| {
        warn(
            kind::SOURCES_DISAGREE,
            "Sources disagree on whether this Claude Code can call the model",
            format!(
                "{named} is {base}; Claude Code {installed} is installed. The sources disagree on the first version that \
                 calls it: {} ({}), but {until} ({}). It may fail with \"does not support this model\"",
                minimum.since,
                minimum.source.as_str(),
                other.as_str()
            ),
            format!("claude update (to {until} or newer, which both sources accept)"),
        )
        .evidence("minimum", minimum.since.to_string())
        .evidence("disputed_until", until.to_string())
    })
}

/// `[1m]` on a model: a failure where the model has no 1M window; harmless, and said so,
/// where the model has it anyway.
fn long_context_finding(setup: &Setup, named: &str, variable: &str, base: &str) -> Option<Finding> {
    let Some(fact) = FACTS.long_context(base) else {
        return Some(fail(
            kind::ONE_MILLION,
            "[1m] on a model without a 1M-token window",
            format!(
                "{named} asks for the 1M-token window ([1m]) of {base}, which has none on Bedrock"
            ),
            format!("Remove [1m] from {variable}"),
        ));
    };
    let built_in = |how: &str| {
        Finding::pass(
            &META,
            kind::ONE_MILLION_BUILT_IN,
            "[1m] on a model whose 1M-token window is built in",
            format!(
                "{named} adds [1m] to {base}, which {how} ({}): the suffix is harmless, and not needed",
                fact.source.as_str()
            ),
        )
    };
    match (fact.window, fact.since, setup.version) {
        (Window::OnRequest, _, _) => None,
        (Window::Always, _, _) => Some(built_in("always runs with a 1M-token window on Bedrock")),
        (Window::ByDefault, Some(since), Some(installed)) if installed < since => Some(warn(
            kind::ONE_MILLION,
            "[1m] on a model before its 1M window became the default",
            format!(
                "{named} adds [1m] to {base}; Claude Code {installed} predates {since}, from which the window is built \
                 in and [1m] stripped ({}); how this version sends [1m] for it is not recorded",
                fact.source.as_str()
            ),
            format!("claude update, or remove [1m] from {variable}"),
        )),
        (Window::ByDefault, _, _) => Some(built_in(
            "has a 1M-token window by default, and Claude Code strips [1m]",
        )),
    }
}

/// `ANTHROPIC_BEDROCK_SERVICE_TIER`: one of the tiers Claude Code sends, read from the version
/// that added it.
fn service_tier_findings(setup: &Setup, version: &str) -> Option<Finding> {
    // An empty value is the empty-value finding's.
    let (value, origin) = setup
        .var("ANTHROPIC_BEDROCK_SERVICE_TIER")
        .filter(|(v, _)| !v.is_empty())?;
    let tier = &FACTS.service_tier;
    if let Some(installed) = setup.version
        && installed < tier.since
    {
        return Some(warn(
            kind::SERVICE_TIER_IGNORED,
            "Claude Code does not read ANTHROPIC_BEDROCK_SERVICE_TIER",
            format!(
                "ANTHROPIC_BEDROCK_SERVICE_TIER is '{value}' (from {origin}), but Claude Code {installed} does not read \
                 it ({}): calls go at the default tier",
                tier.source.as_str()
            ),
            "claude update".into(),
        ));
    }
    (!tier.values.iter().any(|v| v == value)).then(|| {
        fail(
            kind::SERVICE_TIER,
            "ANTHROPIC_BEDROCK_SERVICE_TIER is not a service tier",
            format!(
                "ANTHROPIC_BEDROCK_SERVICE_TIER is '{value}' (from {origin}); Claude Code {version} sends it as \
                 X-Amzn-Bedrock-Service-Tier, which takes {} ({})",
                tier.values.join(", "),
                tier.source.as_str()
            ),
            format!(
                "Set ANTHROPIC_BEDROCK_SERVICE_TIER to one of {}, or unset it for the default tier",
                tier.values.join(", ")
            ),
        )
    })
}

/// Claude Code must be new enough to call the Mantle endpoint at all (mantle.access judges the
/// models it sends there).
fn mantle_findings(setup: &Setup) -> Option<Finding> {
    let installed = setup.version?;
    (setup.uses_mantle() && installed < FACTS.mantle.since).then(|| {
        fail(
            kind::MANTLE_VERSION,
            "This Claude Code cannot call the Mantle endpoint",
            format!(
                "CLAUDE_CODE_USE_MANTLE is set, but Claude Code calls the Mantle endpoint from {} on; {installed} is installed",
                FACTS.mantle.since
            ),
            "claude update".into(),
        )
        .evidence("fact_source", FACTS.mantle.source.as_str())
    })
}

fn auth_findings(
    setup: &Setup,
    region: &RegionChoice,
    credentials: Option<&CredentialsFact>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut conflicts: Vec<String> = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]
        .into_iter()
        .filter(|k| setup.is_set(k))
        .map(|k| {
            format!(
                "{k} (from {})",
                setup.var(k).map_or(Origin::Shell, |(_, o)| o.clone())
            )
        })
        .collect();
    if let Some((_, origin)) = setup.setting("apiKeyHelper") {
        conflicts.push(format!("apiKeyHelper (in {origin})"));
    }
    if let Some((headers, origin)) = setup.var("ANTHROPIC_CUSTOM_HEADERS")
        && headers.to_ascii_lowercase().contains("authorization")
    {
        conflicts.push(format!(
            "an Authorization header in ANTHROPIC_CUSTOM_HEADERS (from {origin})"
        ));
    }
    if !conflicts.is_empty() {
        findings.push(fail(
            kind::AUTH_CONFLICT,
            "Another credential competes with Bedrock's",
            format!(
                "{} set alongside Bedrock: Claude Code may send it as the bearer token, and Bedrock answers \
                 \"Invalid API Key format: Must start with pre-defined prefix\" (fixed for some cases in {})",
                conflicts.join(", "),
                FACTS.auth_header_conflict_fixed.since
            ),
            "Remove these from the environment and settings files: Bedrock takes SigV4 credentials or a Bedrock API key".into(),
        ).evidence("fact_source", FACTS.auth_header_conflict_fixed.source.as_str()));
    }
    if let Some((token, origin)) = setup
        .var("AWS_BEARER_TOKEN_BEDROCK")
        .filter(|(t, _)| !t.is_empty())
    {
        // The prefix is judged; the value is never printed.
        if token.starts_with("ABSK") {
            // A long-term key.
        } else if let Some(rest) = token.strip_prefix("bedrock-api-key-") {
            if let Some(minted) = short_term_region(rest)
                && minted != region.region
            {
                findings.push(fail(
                    kind::BEARER_REGION,
                    "The Bedrock API key was made for another region",
                    format!(
                        "AWS_BEARER_TOKEN_BEDROCK (from {origin}) is a short-term key made for {minted}; Claude Code calls {}",
                        region.region
                    ),
                    format!(
                        "Generate the short-term key in {} (switch the console's region first), or set AWS_REGION to {minted}",
                        region.region
                    ),
                ));
            }
        } else {
            findings.push(fail(
                kind::BEARER_SHAPE,
                "AWS_BEARER_TOKEN_BEDROCK is not a Bedrock API key",
                format!(
                    "AWS_BEARER_TOKEN_BEDROCK (from {origin}) starts with neither ABSK (a long-term Bedrock API key) nor \
                     bedrock-api-key- (a short-term one); Bedrock answers \"Invalid API Key format\""
                ),
                "Set it to a Bedrock API key (Bedrock console > API keys), or unset it to sign with AWS credentials".into(),
            ));
        }
        if let Some(installed) = setup.version
            && FACTS.bearer_header_dropped.contains(installed)
        {
            findings.push(fail(
                kind::BEARER_REGRESSION,
                "This Claude Code does not send the API key",
                format!(
                    "Claude Code {installed} drops the Authorization header with AWS_BEARER_TOKEN_BEDROCK (fixed in {}): \
                     calls fail with \"Authorization header is missing\"",
                    FACTS.bearer_header_dropped.fixed_in
                ),
                "claude update".into(),
            ).evidence("fact_source", FACTS.bearer_header_dropped.source.as_str()));
        }
    }
    let refresh = setup.setting("awsAuthRefresh");
    let export = setup.setting("awsCredentialExport");
    if let Some((_, origin)) = &export {
        findings.push(
            Finding::pass(
                &META,
                kind::CREDENTIAL_EXPORT,
                "Credentials come from awsCredentialExport",
                format!(
                    "awsCredentialExport (in {origin}) supplies Claude Code's credentials; bedrock-preflight reports it and \
                     never runs it, so this run checked the shell's credentials, which may differ"
                ),
            ),
        );
    }
    // Sessions the SDK cannot renew by itself: SSO, `aws login`, and temporary keys in the
    // environment. (Roles, containers and instances refresh on their own.)
    let temporary = credentials
        .and_then(|c| c.sigv4.as_ref())
        .filter(|s| s.temporary)
        .map(|s| s.source)
        .filter(|source| {
            matches!(
                source,
                CredentialSource::Sso | CredentialSource::Login | CredentialSource::Environment
            )
        });
    if let (Some(source), None, None) = (temporary, &refresh, &export) {
        let profile = setup
            .var("AWS_PROFILE")
            .map(|(p, _)| p.to_string())
            .unwrap_or_else(|| "default".into());
        let (what, fix) = match source {
            CredentialSource::Environment => (
                "temporary keys exported in the environment (AWS_SESSION_TOKEN), which Claude Code cannot renew".to_string(),
                "Sign in through a profile Claude Code can refresh: put \"AWS_PROFILE\" in the settings env block with \
                 \"awsAuthRefresh\" (aws sso login --profile NAME), or set \"awsCredentialExport\" to a command that \
                 prints fresh credentials"
                    .to_string(),
            ),
            _ => {
                // Claude Code runs awsAuthRefresh in a shell: the profile is one quoted word
                // there, and the whole is a JSON string in the snippet.
                let login = if source == CredentialSource::Login {
                    sh!["aws", "login", "--profile", profile]
                } else {
                    sh!["aws", "sso", "login", "--profile", profile]
                };
                (
                    format!("{} credentials", source.as_str()),
                    format!(
                        "Add \"awsAuthRefresh\": {} to ~/.claude/settings.json (with \"env\": {})",
                        serde_json::Value::from(login),
                        serde_json::json!({ "AWS_PROFILE": profile })
                    ),
                )
            }
        };
        findings.push(warn(
            kind::NO_REFRESH,
            "Temporary credentials with no way to refresh them",
            format!(
                "Claude Code signs with {what}, and no awsAuthRefresh or awsCredentialExport is set: when the session \
                 expires, calls fail mid-work with an expired-token 403"
            ),
            fix,
        ));
    }
    findings
}

fn tuning_findings(setup: &Setup) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some((url, origin)) = setup
        .var("ANTHROPIC_BEDROCK_BASE_URL")
        .filter(|(u, _)| !u.is_empty())
    {
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or(url)
            .split(['/', ':'])
            .next()
            .unwrap_or_default();
        if !(host.ends_with(".amazonaws.com") || host.ends_with(".api.aws")) {
            findings.push(warn(
                kind::GATEWAY,
                "Claude Code calls Bedrock through a gateway",
                format!(
                    "ANTHROPIC_BEDROCK_BASE_URL (from {origin}) points at {host}, not AWS: the gateway must pass the SigV4 \
                     headers (or hold its own credentials, with CLAUDE_CODE_SKIP_BEDROCK_AUTH) and return Bedrock's \
                     application/vnd.amazon.eventstream bodies untouched, or streaming breaks; this run checked AWS directly"
                ),
                "Check the gateway passes the request and the event stream through unchanged".into(),
            ));
        }
    }
    if let Some((tokens, origin)) = setup.var("CLAUDE_CODE_MAX_OUTPUT_TOKENS")
        && let Ok(tokens) = tokens.trim().parse::<u64>()
        && tokens < FACTS.min_output_tokens.value
    {
        findings.push(warn(
            kind::OUTPUT_TOKENS,
            "Output tokens capped low",
            format!(
                "CLAUDE_CODE_MAX_OUTPUT_TOKENS is {tokens} (from {origin}): long answers and file edits are cut off below {}",
                FACTS.min_output_tokens.value
            ),
            format!("Set CLAUDE_CODE_MAX_OUTPUT_TOKENS to {} or more", FACTS.min_output_tokens.value),
        ).evidence("fact_source", FACTS.min_output_tokens.source.as_str()));
    }
    if setup.is_set("DISABLE_PROMPT_CACHING")
        && setup
            .var("DISABLE_PROMPT_CACHING")
            .is_some_and(|(v, _)| v != "0")
    {
        findings.push(warn(
            kind::NO_CACHING,
            "Prompt caching is off",
            "DISABLE_PROMPT_CACHING is set: every turn pays for the whole context again, which costs several times more"
                .into(),
            "Unset DISABLE_PROMPT_CACHING unless the model or gateway cannot cache".into(),
        ));
    }
    findings
}

/// The region a short-term Bedrock API key was made in: it is a base64 presigned URL whose
/// credential scope names the region. `None` when the key does not read as one.
fn short_term_region(encoded: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded.trim()))
        .ok()?;
    let url = String::from_utf8(bytes).ok()?;
    let decoded = percent_encoding::percent_decode_str(&url).decode_utf8_lossy();
    // X-Amz-Credential=AKID/20260101/us-east-1/bedrock/aws4_request
    let scope = decoded.split("X-Amz-Credential=").nth(1)?;
    let mut parts = scope.split('/');
    let (_key, _date, region, service) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (service == "bedrock").then(|| region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{BedrockAuth, CredentialsSummary};
    use crate::claude_code::Places;
    use crate::engine::Status;
    use std::collections::BTreeMap;

    fn setup(env: &[(&str, &str)], version: Option<&str>) -> ClaudeCodeInput {
        let shell: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let places = Places {
            managed: "/nonexistent/managed.json".into(),
            project: "/nonexistent/project".into(),
            user_dir: None,
        };
        let setup = Setup::discover(&shell, &places, version.map(|v| v.parse().unwrap()));
        let region = setup.region(None);
        ClaudeCodeInput {
            setup,
            region,
            forced: false,
        }
    }

    fn kinds(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| f.kind.as_str().to_string())
            .collect()
    }

    fn sso() -> CredentialsFact {
        CredentialsFact {
            sigv4: Some(CredentialsSummary {
                source: CredentialSource::Sso,
                temporary: true,
                expires_at: None,
            }),
            bedrock_auth: BedrockAuth::SigV4,
            aws_profile: None,
        }
    }

    /// A short-term key as the console makes one: `bedrock-api-key-` and a base64 presigned
    /// URL whose credential scope names the region.
    fn short_term_key(region: &str) -> String {
        use base64::Engine;
        let url = format!(
            "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=ASIAEXAMPLE%2F20261201%2F{region}%2Fbedrock%2Faws4_request&X-Amz-Expires=43200&Version=1"
        );
        format!(
            "bedrock-api-key-{}",
            base64::engine::general_purpose::STANDARD.encode(url)
        )
    }

    #[test]
    fn mantle_needs_a_version_that_calls_it() {
        let input = setup(&[("CLAUDE_CODE_USE_MANTLE", "1")], Some("2.1.90"));
        let findings = judge(&input, None);
        assert!(kinds(&findings).contains(&"mantle-needs-newer-claude-code".to_string()));
    }

    #[test]
    fn a_short_term_key_from_another_region_fails_and_its_value_is_never_shown() {
        let key = short_term_key("eu-west-1");
        let input = setup(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                ("AWS_REGION", "us-east-1"),
                ("AWS_BEARER_TOKEN_BEDROCK", &key),
            ],
            Some("2.1.230"),
        );
        let findings = judge(&input, None);
        let mismatch = findings
            .iter()
            .find(|f| f.kind == kind::BEARER_REGION)
            .expect("the region the key was made for is read");
        assert!(mismatch.message.contains("eu-west-1") && mismatch.message.contains("us-east-1"));
        for finding in &findings {
            assert!(
                !finding.message.contains(&key)
                    && !format!("{:?}", finding.evidence).contains(&key)
            );
        }
        let same = setup(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_BEARER_TOKEN_BEDROCK", &short_term_key("eu-west-1")),
            ],
            Some("2.1.230"),
        );
        assert!(!kinds(&judge(&same, None)).contains(&"bearer-token-region".to_string()));
    }

    #[test]
    fn the_api_key_regression_and_empty_values_depend_on_the_version() {
        let env = [
            ("CLAUDE_CODE_USE_BEDROCK", "1"),
            ("AWS_BEARER_TOKEN_BEDROCK", "ABSKexample"),
            ("ANTHROPIC_BEDROCK_BASE_URL", ""),
        ];
        let old = judge(&setup(&env, Some("2.1.95")), None);
        assert!(kinds(&old).contains(&"bearer-token-not-sent".to_string()));
        let empty = old.iter().find(|f| f.kind == kind::EMPTY_VALUE).unwrap();
        assert_eq!(
            empty.status,
            crate::engine::Status::Fail,
            "2.1.95 treats it as set"
        );
        let new = judge(&setup(&env, Some("2.1.230")), None);
        assert!(!kinds(&new).contains(&"bearer-token-not-sent".to_string()));
        let empty = new.iter().find(|f| f.kind == kind::EMPTY_VALUE).unwrap();
        assert_eq!(empty.status, crate::engine::Status::Warn);
    }

    #[test]
    fn sso_without_refresh_gateways_caching_and_both_endpoints_warn() {
        let input = setup(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                ("CLAUDE_CODE_USE_MANTLE", "1"),
                ("AWS_PROFILE", "dev"),
                (
                    "ANTHROPIC_BEDROCK_BASE_URL",
                    "https://llm-gateway.example.com/bedrock",
                ),
                ("DISABLE_PROMPT_CACHING", "1"),
                (
                    "ANTHROPIC_SMALL_FAST_MODEL",
                    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                ),
            ],
            Some("2.1.230"),
        );
        let findings = judge(&input, Some(&sso()));
        let found = kinds(&findings);
        for expected in [
            "bedrock-and-mantle",
            "no-credential-refresh",
            "gateway",
            "prompt-caching-disabled",
            "small-fast-model-deprecated",
        ] {
            assert!(
                found.contains(&expected.to_string()),
                "{expected} in {found:?}"
            );
        }
        let refresh = findings
            .iter()
            .find(|f| f.kind == kind::NO_REFRESH)
            .unwrap();
        assert!(
            refresh
                .remediation
                .as_deref()
                .unwrap()
                .contains("\"awsAuthRefresh\": \"aws sso login --profile dev\"")
        );
    }

    fn one(findings: &[Finding], kind: crate::engine::Kind) -> Option<&Finding> {
        findings.iter().find(|f| f.kind == kind)
    }

    #[test]
    fn fable_5_1_fails_below_both_sources_warns_between_them_and_passes_above() {
        let fable = |version: &str| {
            judge(
                &setup(
                    &[
                        ("CLAUDE_CODE_USE_BEDROCK", "1"),
                        ("ANTHROPIC_MODEL", "us.anthropic.claude-fable-5-1"),
                    ],
                    Some(version),
                ),
                None,
            )
        };
        let old = fable("2.1.250");
        let too_new = one(&old, kind::TOO_NEW).expect("2.1.250 is below both sources");
        assert_eq!(too_new.status, Status::Fail);
        assert_eq!(too_new.remediation.as_deref(), Some("claude update"));
        assert!(too_new.message.contains("2.1.251"), "{}", too_new.message);
        assert!(
            too_new.evidence["fact_source"]
                .as_str()
                .unwrap()
                .starts_with("error "),
            "the finding cites the fact's source"
        );
        assert!(one(&old, kind::SOURCES_DISAGREE).is_none());

        let between = fable("2.1.253");
        assert!(one(&between, kind::TOO_NEW).is_none());
        let disputed = one(&between, kind::SOURCES_DISAGREE).expect("the sources disagree");
        assert_eq!(disputed.status, Status::Warn);
        assert!(
            disputed.message.contains("2.1.251") && disputed.message.contains("2.1.255"),
            "both sources are named: {}",
            disputed.message
        );
        assert!(disputed.remediation.as_deref().unwrap().contains("2.1.255"));

        let new = fable("2.1.255");
        let enabled = one(&new, kind::ENABLED).unwrap();
        assert!(
            enabled.message.contains("reviewed through 2.1.240"),
            "a version past the reviewed one is said: {}",
            enabled.message
        );
        assert!(one(&new, kind::TOO_NEW).is_none() && one(&new, kind::SOURCES_DISAGREE).is_none());
        assert!(
            new.iter().all(|f| f.status != Status::Fail),
            "{:?}",
            kinds(&new)
        );
    }

    #[test]
    fn one_million_is_a_failure_only_where_the_model_has_no_such_window() {
        let with = |model: &str, version: &str| {
            judge(
                &setup(
                    &[("CLAUDE_CODE_USE_BEDROCK", "1"), ("ANTHROPIC_MODEL", model)],
                    Some(version),
                ),
                None,
            )
        };
        let fable = with("us.anthropic.claude-fable-5[1m]", "2.1.230");
        assert!(
            one(&fable, kind::ONE_MILLION).is_none(),
            "{:?}",
            kinds(&fable)
        );
        let built_in = one(&fable, kind::ONE_MILLION_BUILT_IN).expect("Fable 5 has 1M by default");
        assert_eq!(built_in.status, Status::Pass);
        assert!(built_in.message.contains("2.1.173"), "{}", built_in.message);

        let fable_5_1 = with("global.anthropic.claude-fable-5-1[1m]", "2.1.255");
        assert_eq!(
            one(&fable_5_1, kind::ONE_MILLION_BUILT_IN).unwrap().status,
            Status::Pass
        );

        let sonnet_5 = with("us.anthropic.claude-sonnet-5[1m]", "2.1.230");
        let harmless = one(&sonnet_5, kind::ONE_MILLION_BUILT_IN).expect("Sonnet 5 is always 1M");
        assert_eq!(harmless.status, Status::Pass);
        assert!(
            harmless.message.contains("harmless"),
            "{}",
            harmless.message
        );
        assert!(one(&sonnet_5, kind::ONE_MILLION).is_none());

        let haiku = with("us.anthropic.claude-haiku-4-5-20251001-v1:0[1m]", "2.1.230");
        let no_window = one(&haiku, kind::ONE_MILLION).expect("Haiku 4.5 has no 1M window");
        assert_eq!(no_window.status, Status::Fail);
        assert_eq!(
            no_window.remediation.as_deref(),
            Some("Remove [1m] from ANTHROPIC_MODEL")
        );

        let sonnet_4_6 = with("us.anthropic.claude-sonnet-4-6[1m]", "2.1.230");
        assert!(
            one(&sonnet_4_6, kind::ONE_MILLION).is_none()
                && one(&sonnet_4_6, kind::ONE_MILLION_BUILT_IN).is_none()
        );
    }

    #[test]
    fn the_service_tier_is_one_claude_code_sends() {
        let tier = |value: &str, version: &str| {
            judge(
                &setup(
                    &[
                        ("CLAUDE_CODE_USE_BEDROCK", "1"),
                        ("ANTHROPIC_BEDROCK_SERVICE_TIER", value),
                    ],
                    Some(version),
                ),
                None,
            )
        };
        let bogus = tier("bogus", "2.1.230");
        let finding = one(&bogus, kind::SERVICE_TIER).expect("bogus is no tier");
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.message.contains("'bogus'")
                && finding.message.contains("X-Amzn-Bedrock-Service-Tier")
        );
        assert!(
            finding
                .remediation
                .as_deref()
                .unwrap()
                .contains("default, flex, priority")
        );
        for fine in ["flex", "priority", "default"] {
            let findings = tier(fine, "2.1.230");
            assert!(
                one(&findings, kind::SERVICE_TIER).is_none()
                    && one(&findings, kind::SERVICE_TIER_IGNORED).is_none(),
                "{fine}"
            );
        }
        let old = tier("flex", "2.1.121");
        assert_eq!(
            one(&old, kind::SERVICE_TIER_IGNORED).unwrap().status,
            Status::Warn
        );
    }

    #[test]
    fn the_region_prefix_variable_is_a_geography_read_from_2_1_224() {
        let prefix = |value: &str, version: &str| {
            judge(
                &setup(
                    &[
                        ("CLAUDE_CODE_USE_BEDROCK", "1"),
                        ("ANTHROPIC_BEDROCK_REGION_PREFIX", value),
                    ],
                    Some(version),
                ),
                None,
            )
        };
        let wrong = prefix("europe", "2.1.230");
        assert_eq!(
            one(&wrong, kind::REGION_PREFIX).unwrap().status,
            Status::Fail
        );
        let right = prefix("eu", "2.1.230");
        assert!(
            one(&right, kind::REGION_PREFIX).is_none()
                && one(&right, kind::REGION_PREFIX_IGNORED).is_none()
        );
        let unpinned = one(&right, kind::UNPINNED).unwrap();
        assert!(
            unpinned.message.contains("eu.anthropic.claude-opus-5"),
            "{}",
            unpinned.message
        );
        assert!(
            unpinned.message.contains("UNCONFIRMED"),
            "an unconfirmed ID says so: {}",
            unpinned.message
        );
        let old = prefix("eu", "2.1.200");
        assert_eq!(
            one(&old, kind::REGION_PREFIX_IGNORED).unwrap().status,
            Status::Warn
        );
    }

    #[test]
    fn an_unusable_settings_file_fails_even_when_nothing_else_applies() {
        let dir = tempfile::tempdir().unwrap();
        let places = Places {
            managed: dir.path().join("managed.json"),
            project: dir.path().join("project"),
            user_dir: Some(dir.path().join("home")),
        };
        std::fs::create_dir_all(&places.project).unwrap();
        std::fs::create_dir_all(places.user_dir.as_ref().unwrap().join("settings.json")).unwrap();
        let setup = Setup::discover(&BTreeMap::new(), &places, None);
        let input = ClaudeCodeInput {
            region: setup.region(None),
            setup,
            forced: false,
        };
        assert!(!input.applies());
        let findings = settings_findings(&input.setup);
        assert_eq!(kinds(&findings), ["settings-unreadable"]);
        assert_eq!(findings[0].status, Status::Fail);
        assert!(findings[0].message.contains("directory"));
    }
}
