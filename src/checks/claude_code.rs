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
            /// Skipped: Claude Code is not set up for Bedrock here (neither
            /// `CLAUDE_CODE_USE_BEDROCK` nor `CLAUDE_CODE_USE_MANTLE` is on, in the environment or
            /// a settings file), so its configuration is not judged. Nothing to fix if you do not
            /// use Claude Code on Bedrock; otherwise `doctor --claude-code` judges its settings
            /// anyway and says what to set.
            NOT_CONFIGURED = "not-configured",
            /// `doctor --claude-code` asked for the Claude Code checks, but neither
            /// `CLAUDE_CODE_USE_BEDROCK` nor `CLAUDE_CODE_USE_MANTLE` is on, in the environment or
            /// any settings file, so Claude Code calls the Anthropic API, not Bedrock, and asks for
            /// an Anthropic login. Add `"CLAUDE_CODE_USE_BEDROCK": "1"` to the `env` block of
            /// `~/.claude/settings.json`, or `export CLAUDE_CODE_USE_BEDROCK=1`.
            NOT_ENABLED = "not-enabled",
            /// Claude Code is set up for Bedrock, or for the Mantle endpoint: the finding names the
            /// switch, where it was set, the installed version (from `claude --version`) and the
            /// settings files read. Nothing to fix; when the installed version is newer than the
            /// one this tool's facts about Claude Code were reviewed through, the message says so,
            /// since later changes are not judged.
            ENABLED = "enabled",
            /// Both `CLAUDE_CODE_USE_BEDROCK` and `CLAUDE_CODE_USE_MANTLE` are on, so Claude Code
            /// routes each model by the form of its ID: Mantle-format IDs (`anthropic.<model>`, no
            /// geography prefix, no version suffix) go to the Mantle endpoint, every other ID to
            /// Bedrock Runtime. That is right when you mean to mix the two and a surprise
            /// otherwise, since the Mantle endpoint has its own model lineup and permissions and
            /// its calls are not in invocation logs. Unset the switch you do not use.
            BOTH_ENABLED = "bedrock-and-mantle",
            /// A variable Claude Code or the AWS SDK reads is set to the empty string, as CI
            /// systems do with inputs left unset. Claude Code versions before 2.1.97 (or a version
            /// this run cannot tell) take an empty `AWS_BEARER_TOKEN_BEDROCK` or
            /// `ANTHROPIC_BEDROCK_BASE_URL` for a value, which breaks SigV4 signing (403
            /// "Authorization header requires 'Credential' parameter"), and then this fails;
            /// otherwise it warns, since how an empty value is read is not always recorded. Unset
            /// the variable instead of setting it empty.
            EMPTY_VALUE = "empty-value",
            /// The region Claude Code will call, found as its installed version finds it
            /// (`AWS_REGION`, then from 2.1.172 on `AWS_DEFAULT_REGION` and the profile's region,
            /// else `us-east-1`), and where it came from. Nothing to fix: unless `--region` says
            /// otherwise, doctor checks Claude Code's models in this region; if it is not the
            /// region you meant, set `"AWS_REGION"` in the `env` block of
            /// `~/.claude/settings.json`.
            REGION = "region",
            /// A region is set in `AWS_DEFAULT_REGION` or the AWS profile, but the installed Claude
            /// Code predates 2.1.172 and reads only `AWS_REGION`, so it calls `us-east-1` instead.
            /// When the region set is another one, calls go where you did not mean them to (often a
            /// 403 "You don't have access to the model with the specified model ID", or a profile
            /// ID that does not exist there) and this fails; when it is `us-east-1` anyway, it only
            /// warns. Add `"AWS_REGION"` to the `env` block of `~/.claude/settings.json`, or run
            /// `claude update`.
            REGION_IGNORED = "region-not-read",
            /// `AWS_REGION` is not set and the installed Claude Code's version is unknown (`claude
            /// --version` did not answer, or `claude` is not on `PATH`), so the region it calls
            /// depends on that version: 2.1.172 and newer read `AWS_DEFAULT_REGION` or the
            /// profile's region, older ones call `us-east-1`. Doctor judges the newer rule's
            /// region. Set `"AWS_REGION"` in the `env` block of `~/.claude/settings.json` so that
            /// every version calls the same region.
            REGION_UNSURE = "region-depends-on-version",
            /// The models Claude Code will call: each one pinned in its environment or settings
            /// (`ANTHROPIC_MODEL`, the `model` setting, the `ANTHROPIC_DEFAULT_*_MODEL` variables,
            /// `CLAUDE_CODE_SUBAGENT_MODEL`, `modelOverrides`) and the defaults its version calls
            /// where none is pinned. Nothing to fix here: unless `--model` is given, each becomes a
            /// target of this run, so the model, access, IAM and quota checks judge exactly what
            /// Claude Code will send.
            MODELS = "models",
            /// No main-loop model is pinned (`ANTHROPIC_MODEL` or the `model` setting), so Claude
            /// Code calls its version's default model, which the finding names with the source of
            /// that fact. An update can change that model, and what each call costs, without
            /// notice. Pin each tier in the `env` block of the settings (`ANTHROPIC_MODEL`,
            /// `ANTHROPIC_DEFAULT_SONNET_MODEL`, `ANTHROPIC_DEFAULT_HAIKU_MODEL`);
            /// `bedrock-preflight doctor --emit claude-code-settings` prints the ones proven to
            /// work here.
            UNPINNED = "unpinned-model",
            /// A model Claude Code will send (from `ANTHROPIC_MODEL`, the `model` setting, an
            /// `ANTHROPIC_DEFAULT_*_MODEL` variable or `modelOverrides`) is not a Bedrock model ID,
            /// most often the Anthropic API's name (`claude-sonnet-4-6`) without Bedrock's
            /// `anthropic.` provider and profile prefix. Claude Code passes it through unchecked,
            /// and Bedrock answers 400 "The provided model identifier is invalid." Set it to an
            /// inference profile ID (`us.anthropic.claude-sonnet-4-6`), a model ID or an ARN;
            /// `bedrock-preflight doctor --emit claude-code-settings` prints ones proven to work
            /// here.
            INVALID_MODEL = "invalid-model",
            /// A model Claude Code will call needs a newer Claude Code than the one installed, by
            /// the minimum version this tool's facts record (the finding cites their source).
            /// Bedrock refuses the calls with 400 "Claude Code X does not support this model;
            /// version Y or newer is required". Run `claude update`.
            TOO_NEW = "model-needs-newer-claude-code",
            /// A model is set with the `[1m]` suffix, which asks for its 1M-token context window,
            /// and that does not work as written. Where the model has no 1M-token window on Bedrock
            /// this fails, since Claude Code asks for a window the model does not offer; where the
            /// installed Claude Code predates the version from which the model's window is built in
            /// and `[1m]` stripped, how it sends `[1m]` is not recorded, and this warns. Remove
            /// `[1m]` from the variable the remediation names, or run `claude update` in the second
            /// case.
            ONE_MILLION = "1m-not-supported",
            /// A model is set with the `[1m]` suffix, but its 1M-token window is built in: the
            /// model always runs with it on Bedrock, or Claude Code gives it the window by default
            /// and strips the suffix. The suffix is harmless and not needed, so this passes; remove
            /// `[1m]` if you want the setting to say what happens.
            ONE_MILLION_BUILT_IN = "1m-built-in",
            /// Two sources disagree on the first Claude Code version that can call a model set
            /// here, and the installed version lies between the two: it may work, or Bedrock may
            /// refuse the calls with 400 "Claude Code X does not support this model". The finding
            /// names both sources. Update to the later version, which both accept (`claude
            /// update`).
            SOURCES_DISAGREE = "model-minimum-disputed",
            /// `ANTHROPIC_BEDROCK_SERVICE_TIER` is set to a value that is none of the tiers Claude
            /// Code sends in the `X-Amzn-Bedrock-Service-Tier` header (`default`, `flex`,
            /// `priority`), so its calls ask for a tier Bedrock does not offer. Set it to one of
            /// those tiers, or unset it for the default tier.
            SERVICE_TIER = "service-tier-invalid",
            /// `ANTHROPIC_BEDROCK_SERVICE_TIER` is set, but the installed Claude Code predates
            /// 2.1.122, the version that reads it, so every call goes at the default tier whatever
            /// the variable says: the `flex` price or `priority` latency you planned on does not
            /// happen. Run `claude update`.
            SERVICE_TIER_IGNORED = "service-tier-not-read",
            /// `ANTHROPIC_BEDROCK_REGION_PREFIX` is set to something that is not the geography
            /// prefix of a Bedrock inference profile. Claude Code puts it before its default
            /// model's ID, so it calls a profile that does not exist, and Bedrock answers 400 "The
            /// provided model identifier is invalid." Set it to one of the prefixes the remediation
            /// lists (`us`, `eu`, `global`, ...), or unset it to derive the prefix from the region.
            REGION_PREFIX = "region-prefix-invalid",
            /// `ANTHROPIC_BEDROCK_REGION_PREFIX` is set, but the installed Claude Code predates
            /// 2.1.224, the version that reads it, so its default model keeps the prefix derived
            /// from the region, and calls may go through a geography you did not choose. Run
            /// `claude update`, or pin `ANTHROPIC_MODEL` to the inference profile ID you want.
            REGION_PREFIX_IGNORED = "region-prefix-not-read",
            /// `ANTHROPIC_SMALL_FAST_MODEL` is set, a variable Claude Code has deprecated in favour
            /// of `ANTHROPIC_DEFAULT_HAIKU_MODEL`, which names the Haiku-class model for background
            /// tasks. A deprecated variable can stop being read in a later version, and those tasks
            /// would then call Claude Code's default model, which may not be the one you allowed or
            /// budgeted for. Rename it to `ANTHROPIC_DEFAULT_HAIKU_MODEL`.
            SMALL_FAST = "small-fast-model-deprecated",
            /// `ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION` is set, but no Haiku-class model is
            /// (`ANTHROPIC_DEFAULT_HAIKU_MODEL`, or the deprecated `ANTHROPIC_SMALL_FAST_MODEL`),
            /// and on Bedrock the override applies only with one, so it does nothing. Set
            /// `ANTHROPIC_DEFAULT_HAIKU_MODEL` to the Haiku inference profile of the region you
            /// meant.
            SMALL_FAST_REGION = "small-fast-region-ignored",
            /// Another credential is set beside Bedrock's: `ANTHROPIC_API_KEY`,
            /// `ANTHROPIC_AUTH_TOKEN`, an `apiKeyHelper` setting, or an `Authorization` header in
            /// `ANTHROPIC_CUSTOM_HEADERS`. Claude Code may send it to Bedrock as a bearer token,
            /// and Bedrock answers 403 "Invalid API Key format: Must start with pre-defined prefix"
            /// (Claude Code 2.1.101 fixed some of these cases). Remove them from the environment
            /// and the settings files: Bedrock takes SigV4 credentials or a Bedrock API key.
            AUTH_CONFLICT = "auth-conflict",
            /// `AWS_BEARER_TOKEN_BEDROCK` is set to something that is not a Bedrock API key: it
            /// starts with neither `ABSK` (a long-term key) nor `bedrock-api-key-` (a short-term
            /// one), and is often an Anthropic key or another token pasted there. While it is set
            /// it is sent instead of a SigV4 signature, and Bedrock answers 403 "Invalid API Key
            /// format: Must start with pre-defined prefix". Set it to a Bedrock API key (Bedrock
            /// console, API keys), or unset it to sign with AWS credentials.
            BEARER_SHAPE = "bearer-token-shape",
            /// `AWS_BEARER_TOKEN_BEDROCK` holds a short-term Bedrock API key made in another region
            /// than the one Claude Code calls. A short-term key is a presigned request bound to the
            /// region it was generated in, so Bedrock refuses it anywhere else. Generate the key in
            /// the region Claude Code calls (switch the console's region first), or set
            /// `AWS_REGION` to the key's region.
            BEARER_REGION = "bearer-token-region",
            /// The installed Claude Code is one of the versions (2.1.94 and 2.1.95) that drop the
            /// `Authorization` header when `AWS_BEARER_TOKEN_BEDROCK` is set, so every call fails
            /// with 403 "Authorization header is missing" however good the key is. Run `claude
            /// update`: 2.1.96 fixed it.
            BEARER_REGRESSION = "bearer-token-not-sent",
            /// Claude Code signs with temporary credentials it cannot renew by itself (an SSO or
            /// `aws login` session, or temporary keys exported in the environment), and neither
            /// `awsAuthRefresh` nor `awsCredentialExport` is set. When they expire, calls fail
            /// mid-work with an expired-token 403 until someone logs in again by hand. Add
            /// `"awsAuthRefresh": "aws sso login --profile NAME"` (with `AWS_PROFILE` in the `env`
            /// block) to `~/.claude/settings.json`, or set `awsCredentialExport` to a command that
            /// prints fresh credentials; the remediation carries the snippet for this profile.
            NO_REFRESH = "no-credential-refresh",
            /// `awsCredentialExport` is set: Claude Code runs that command for its AWS credentials.
            /// bedrock-preflight reports the setting but never runs the command, so this run
            /// checked the credentials the shell resolves, which may not be the ones Claude Code
            /// gets. To check those, run doctor with the credentials the command prints exported in
            /// the environment.
            CREDENTIAL_EXPORT = "credential-export",
            /// `ANTHROPIC_BEDROCK_BASE_URL` points Claude Code at a host that is not AWS (an LLM
            /// gateway or a proxy), while this run checked AWS directly. The gateway must pass the
            /// SigV4 headers through (or hold its own credentials, with
            /// `CLAUDE_CODE_SKIP_BEDROCK_AUTH`) and return Bedrock's
            /// `application/vnd.amazon.eventstream` bodies untouched, or signing fails ("The
            /// request signature we calculated does not match the signature you provided") or
            /// streaming breaks. Check that the gateway passes the request and the event stream
            /// through unchanged.
            GATEWAY = "gateway",
            /// `CLAUDE_CODE_MAX_OUTPUT_TOKENS` is below 4096, so long answers and file edits are
            /// cut off partway. Set it to 4096 or more (the finding cites the source of that
            /// floor), but not far above what you need, since Bedrock reserves the maximum output
            /// of each request against the tokens-per-minute quota.
            OUTPUT_TOKENS = "output-tokens-low",
            /// `DISABLE_PROMPT_CACHING` is set to a value other than `0`, so Claude Code sends its
            /// whole context uncached on every turn, and each turn pays the full input price again
            /// for what it already sent, which costs several times more. Unset it unless the model
            /// or a gateway in between cannot cache.
            NO_CACHING = "prompt-caching-disabled",
            /// A Claude Code settings file (managed, local, project or user) exists but is not
            /// valid JSON. Claude Code skips it or refuses to start, so whatever it sets, perhaps
            /// `CLAUDE_CODE_USE_BEDROCK` itself, is not in force, and this run judged the
            /// configuration without it. Fix the file at the line and column the remediation names.
            /// This is reported even without `--claude-code`, since such a file may be the one
            /// enabling Bedrock.
            BROKEN_SETTINGS = "settings-not-json",
            /// A Claude Code settings file exists but cannot be read as text: a directory, a
            /// dangling link, a file too large or not UTF-8, or one that cannot be opened. Claude
            /// Code cannot use it, so whatever it would set, perhaps `CLAUDE_CODE_USE_BEDROCK`
            /// itself, is not in force, and this run judged the configuration without it. Make it a
            /// readable JSON file or remove it; this is reported even without `--claude-code`.
            UNREADABLE_SETTINGS = "settings-unreadable",
            /// A Claude Code settings file is JSON, but not an object, or a setting Claude Code
            /// types strictly has another type: `env` and `modelOverrides` must be objects of
            /// strings, `model`, `apiKeyHelper`, `awsAuthRefresh` and `awsCredentialExport`
            /// strings, `availableModels` an array of strings. Claude Code does not use such a
            /// file, so whatever it sets, perhaps `CLAUDE_CODE_USE_BEDROCK` itself, is not in
            /// force; an unquoted number or `true` in the `env` block is the usual cause. Fix the
            /// value at the line the remediation names; this is reported even without
            /// `--claude-code`.
            WRONG_TYPE_SETTINGS = "settings-wrong-type",
            /// `CLAUDE_CODE_USE_MANTLE` is on, but the installed Claude Code predates 2.1.94, the
            /// first version that calls the Mantle endpoint, so the switch has no effect there. Run
            /// `claude update`; `mantle.access` then judges the models it sends to the Mantle
            /// endpoint.
            MANTLE_VERSION = "mantle-needs-newer-claude-code",
            /// A Claude Code on/off variable (`CLAUDE_CODE_USE_BEDROCK`, `CLAUDE_CODE_USE_MANTLE`,
            /// `CLAUDE_CODE_SKIP_BEDROCK_AUTH`, `CLAUDE_CODE_SKIP_MANTLE_AUTH`,
            /// `DISABLE_PROMPT_CACHING`, `ENABLE_PROMPT_CACHING_1H`) is set to a value that is
            /// neither on nor plainly off, such as `enabled` or `Y`. Claude Code turns a switch on
            /// only for `1`, `true`, `yes` or `on` (in any case), so this one is off, which is
            /// rarely what was meant: with `CLAUDE_CODE_USE_BEDROCK=enabled`, Claude Code calls the
            /// Anthropic API. Set it to `"1"` in the settings' `env` block, or remove it to leave
            /// it off; this is reported even without `--claude-code`.
            UNCLEAR_SWITCH = "switch-value-unclear",
            /// The region Claude Code will call (from `AWS_REGION`, `AWS_DEFAULT_REGION` or the
            /// profile) is not an AWS region name, so every call it makes fails: there is no
            /// Bedrock endpoint by that name. Doctor judges the other regions it was given instead.
            /// Set `AWS_REGION` to a region that offers Bedrock (`us-east-1`, say) where the
            /// finding says it was set.
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
        let too_old = one(&findings, kind::MANTLE_VERSION).unwrap();
        assert_eq!(too_old.status, Status::Fail);
        assert_eq!(too_old.remediation.as_deref(), Some("claude update"));
        let new = judge(
            &setup(&[("CLAUDE_CODE_USE_MANTLE", "1")], Some("2.1.94")),
            None,
        );
        assert!(one(&new, kind::MANTLE_VERSION).is_none());
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
        let dropped = one(&old, kind::BEARER_REGRESSION).unwrap();
        assert_eq!(dropped.status, Status::Fail);
        assert!(
            dropped.message.contains("Authorization header is missing"),
            "the error a user sees: {}",
            dropped.message
        );
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
        for warned in [
            kind::BOTH_ENABLED,
            kind::GATEWAY,
            kind::NO_CACHING,
            kind::SMALL_FAST,
        ] {
            assert_eq!(
                one(&findings, warned).map(|f| f.status),
                Some(Status::Warn),
                "{warned:?}"
            );
        }
        assert!(
            one(&findings, kind::GATEWAY)
                .unwrap()
                .message
                .contains("llm-gateway.example.com"),
            "the gateway is named"
        );
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
        assert_eq!(findings[0].kind, kind::UNREADABLE_SETTINGS);
        assert_eq!(findings[0].status, Status::Fail);
        assert!(findings[0].message.contains("directory"));
    }

    #[tokio::test]
    async fn without_bedrock_the_check_skips_unless_asked_and_then_says_what_to_set() {
        use crate::aws::{AwsReader, Session};
        let input = setup(&[("AWS_REGION", "us-east-1")], Some("2.1.230"));
        assert!(!input.applies());
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let cx = CheckContext::new(
            std::sync::Arc::new(AwsReader::new(Session::from_config(config))),
            crate::engine::Scope::default(),
        )
        .with_input(input.clone());
        let skipped = ClaudeCodeConfig.run(&cx).await.unwrap();
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].kind, kind::NOT_CONFIGURED);
        assert_eq!(skipped[0].status, Status::Skip);
        assert!(skipped[0].message.contains("--claude-code"));

        let forced = ClaudeCodeInput {
            forced: true,
            ..input
        };
        let findings = judge(&forced, None);
        let missing = one(&findings, kind::NOT_ENABLED).expect("--claude-code asked");
        assert_eq!(missing.status, Status::Fail);
        assert!(
            missing
                .remediation
                .as_deref()
                .unwrap()
                .contains("\"CLAUDE_CODE_USE_BEDROCK\": \"1\"")
        );
    }

    #[test]
    fn the_region_is_the_one_the_installed_version_reads() {
        let region = |env: &[(&str, &str)], version: Option<&str>| {
            let mut env = env.to_vec();
            env.push(("CLAUDE_CODE_USE_BEDROCK", "1"));
            judge(&setup(&env, version), None)
        };
        let set = region(&[("AWS_REGION", "eu-west-1")], Some("2.1.100"));
        let called = one(&set, kind::REGION).unwrap();
        assert_eq!(called.status, Status::Pass);
        assert_eq!(called.region.as_deref(), Some("eu-west-1"));

        let old = region(&[("AWS_DEFAULT_REGION", "eu-west-1")], Some("2.1.100"));
        let ignored = one(&old, kind::REGION_IGNORED).expect("2.1.100 reads only AWS_REGION");
        assert_eq!(ignored.status, Status::Fail);
        assert!(
            ignored.message.contains("calls us-east-1, not eu-west-1"),
            "{}",
            ignored.message
        );
        let harmless = region(&[("AWS_DEFAULT_REGION", "us-east-1")], Some("2.1.100"));
        assert_eq!(
            one(&harmless, kind::REGION_IGNORED).unwrap().status,
            Status::Warn,
            "it calls us-east-1 all the same"
        );
        let new = region(&[("AWS_DEFAULT_REGION", "eu-west-1")], Some("2.1.172"));
        assert!(
            one(&new, kind::REGION_IGNORED).is_none() && one(&new, kind::REGION_UNSURE).is_none()
        );

        let unknown = region(&[("AWS_DEFAULT_REGION", "eu-west-1")], None);
        let unsure = one(&unknown, kind::REGION_UNSURE).expect("the version decides");
        assert_eq!(unsure.status, Status::Warn);
        assert!(
            unsure
                .remediation
                .as_deref()
                .unwrap()
                .contains("\"AWS_REGION\": \"eu-west-1\""),
            "{:?}",
            unsure.remediation
        );
    }

    #[test]
    fn every_model_named_is_a_target_and_one_that_is_no_bedrock_id_fails() {
        let findings = judge(
            &setup(
                &[
                    ("CLAUDE_CODE_USE_BEDROCK", "1"),
                    ("ANTHROPIC_MODEL", "claude-sonnet-4-6"),
                    (
                        "ANTHROPIC_DEFAULT_HAIKU_MODEL",
                        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                    ),
                ],
                Some("2.1.230"),
            ),
            None,
        );
        let invalid = one(&findings, kind::INVALID_MODEL).expect("an Anthropic API name");
        assert_eq!(invalid.status, Status::Fail);
        assert!(
            invalid.message.contains("ANTHROPIC_MODEL")
                && invalid.message.contains("anthropic.claude-sonnet-4-6"),
            "names the variable and the Bedrock ID: {}",
            invalid.message
        );
        let models = one(&findings, kind::MODELS).unwrap();
        assert_eq!(models.status, Status::Pass);
        assert_eq!(
            models.evidence["models"],
            serde_json::json!([
                "claude-sonnet-4-6",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0"
            ])
        );

        let region_only = judge(
            &setup(
                &[
                    ("CLAUDE_CODE_USE_BEDROCK", "1"),
                    ("ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION", "us-west-2"),
                ],
                Some("2.1.230"),
            ),
            None,
        );
        let idle = one(&region_only, kind::SMALL_FAST_REGION).expect("no Haiku model is set");
        assert_eq!(idle.status, Status::Warn);
        assert!(
            idle.remediation
                .as_deref()
                .unwrap()
                .contains("ANTHROPIC_DEFAULT_HAIKU_MODEL")
        );
    }

    #[test]
    fn a_competing_credential_a_key_of_the_wrong_shape_and_few_output_tokens() {
        let findings = judge(
            &setup(
                &[
                    ("CLAUDE_CODE_USE_BEDROCK", "1"),
                    ("ANTHROPIC_API_KEY", "sk-ant-api03-not-for-bedrock"),
                    ("AWS_BEARER_TOKEN_BEDROCK", "sk-ant-api03-not-a-bedrock-key"),
                    ("CLAUDE_CODE_MAX_OUTPUT_TOKENS", "2048"),
                ],
                Some("2.1.230"),
            ),
            None,
        );
        let conflict =
            one(&findings, kind::AUTH_CONFLICT).expect("ANTHROPIC_API_KEY beside Bedrock");
        assert_eq!(conflict.status, Status::Fail);
        assert!(
            conflict
                .message
                .contains("ANTHROPIC_API_KEY (from the shell"),
            "{}",
            conflict.message
        );
        let shape = one(&findings, kind::BEARER_SHAPE).expect("neither ABSK nor bedrock-api-key-");
        assert_eq!(shape.status, Status::Fail);
        assert!(shape.message.contains("Invalid API Key format"));
        for finding in &findings {
            assert!(
                !finding.message.contains("not-a-bedrock-key"),
                "a key is never shown"
            );
        }
        let capped = one(&findings, kind::OUTPUT_TOKENS).expect("2048 is below 4096");
        assert_eq!(capped.status, Status::Warn);
        assert_eq!(
            capped.remediation.as_deref(),
            Some("Set CLAUDE_CODE_MAX_OUTPUT_TOKENS to 4096 or more")
        );
    }

    #[test]
    fn settings_files_claude_code_cannot_use_and_a_credential_export_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let places = Places {
            managed: dir.path().join("managed.json"),
            project: dir.path().join("project"),
            user_dir: Some(dir.path().join("home")),
        };
        let write = |path: std::path::PathBuf, text: &str| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            places.user_dir.as_ref().unwrap().join("settings.json"),
            r#"{"awsCredentialExport": "print-credentials", "env": {"CLAUDE_CODE_USE_BEDROCK": "1"}}"#,
        );
        write(
            places.project.join(".claude/settings.json"),
            "{\n  \"env\": {\n    \"AWS_REGION\": \"us-east-1\",\n  }\n}\n",
        );
        write(
            places.project.join(".claude/settings.local.json"),
            "{\"env\": {\"DISABLE_PROMPT_CACHING\": 1}}",
        );
        let setup = Setup::discover(&BTreeMap::new(), &places, Some("2.1.230".parse().unwrap()));
        let input = ClaudeCodeInput {
            region: setup.region(None),
            setup,
            forced: false,
        };
        let findings = judge(&input, None);
        let not_json = one(&findings, kind::BROKEN_SETTINGS).expect("a trailing comma");
        assert_eq!(not_json.status, Status::Fail);
        assert!(
            not_json
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Fix line 4, column 3"),
            "{:?}",
            not_json.remediation
        );
        let wrong_type = one(&findings, kind::WRONG_TYPE_SETTINGS).expect("a number in env");
        assert_eq!(wrong_type.status, Status::Fail);
        assert!(
            wrong_type
                .message
                .contains("\"env\" must be an object of strings"),
            "{}",
            wrong_type.message
        );
        let export = one(&findings, kind::CREDENTIAL_EXPORT).expect("awsCredentialExport is set");
        assert_eq!(export.status, Status::Pass);
        assert!(
            export.message.contains("never runs it"),
            "{}",
            export.message
        );
    }
}
