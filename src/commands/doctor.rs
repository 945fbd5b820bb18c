//! `doctor`: will Claude calls work from here?

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;

use super::Output;
use super::emit;
use super::resolve::{
    AskedRegions, Run, Signing, caller_examined, config_file, plan_policy, plan_quota_increases,
    rendered, requested_models, strict, template,
};
use crate::aws::{AttachTarget, AwsReader, EnvOverrides, Session};
use crate::checks::{
    self, CallerIdentity, ClaudeCodeInput, DoctorOptions, FixableDenials, Invocations, MantleInput,
    MantleTarget, MissingAgreement, MissingAgreements, ModelTargets, UsageOptions, mantle_id, meta,
};
use crate::claude_code::{Origin, Places, Setup, installed_version};
use crate::cli::{DoctorArgs, GlobalArgs};
use crate::domain::{Arn, Invocation, ModelRequest, Region, RegionSource};
use crate::engine::{
    CheckContext, CheckMeta, CommandKind, Finding, FindingRef, Progress, Scope, Status, run_checks,
};
use crate::plan::{self, Change, Confirmation, Outcome, Plan};
use crate::policy::apply::{TargetArg, default_policy_name};
use crate::remediation::QuotaIncrease;
use crate::report::{Document, Examined, Format, Report, controls};
use crate::setup::model_access::{AgreementNow, plan_model_access};
use crate::ui::Spinner;
use crate::{CommandError, EXIT_ERROR, EXIT_OK, exit_code};

/// What doctor takes from the machine it runs on: the shell's environment and the places
/// Claude Code's settings are read from, and the AWS session, when one is given.
pub struct Machine {
    pub shell: BTreeMap<String, String>,
    pub places: Places,
    /// A session made by the caller (with its own transport), used as it is: Claude Code's
    /// profile and keys do not change it. `None`: loaded from the standard chain.
    pub session: Option<Arc<Session>>,
}

impl Machine {
    /// This process's environment, Claude Code's places for it, and no session yet.
    pub fn here() -> Self {
        let shell: BTreeMap<String, String> = std::env::vars().collect();
        let places = Places::here(&shell);
        Machine {
            shell,
            places,
            session: None,
        }
    }
}

pub async fn doctor(global: &GlobalArgs, args: &DoctorArgs) -> Result<u8, CommandError> {
    doctor_on(Machine::here(), global, args).await
}

/// `doctor` on `machine`: for callers that run it in-process with a session of their own.
pub async fn doctor_on(
    machine: Machine,
    global: &GlobalArgs,
    args: &DoctorArgs,
) -> Result<u8, CommandError> {
    let mut output = Output::open_report(global)?;
    if args.emit.is_some() {
        // The block is what goes to stdout; the report goes to stderr (or --out).
        output.report_to_stderr();
    }
    let requested = requested_models(&args.models)?;
    let config = config_file(global).await?;
    let started_at = SystemTime::now();
    let clock = Instant::now();

    let setup = claude_code_setup(args, &machine).await;
    let in_use = |setup: &Setup| args.claude_code || setup.uses_bedrock() || setup.uses_mantle();
    let signing = match &setup {
        Some(setup) if in_use(setup) => claude_code_signing(setup),
        _ => Signing::default(),
    };
    // `regions = "all"` is audit's: doctor checks where this machine's calls go.
    let asked = AskedRegions::of(global, config.as_ref());
    let run = match machine.session {
        Some(session) => Run::over(global, session, asked),
        None => Run::resolve_asking(global, signing, asked).await,
    };
    let claude = match setup {
        Some(setup) => Some(claude_code_input(setup, args, &run.session).await),
        None => None,
    };
    let mut scope = run.scope(requested).await?;
    let options = doctor_options(args);
    if let Some(claude) = claude.as_ref().filter(|c| c.applies()) {
        claude_code_scope(&mut scope, claude, args, run.regions_named());
    }
    let spinner = Spinner::new(
        run.quiet,
        checks::for_command(CommandKind::Doctor).len(),
        output.on_stderr(),
    );
    let mantle = mantle_input(args, claude.as_ref());
    if let Some(mantle) = &mantle {
        // What goes to the Mantle endpoint is mantle.access's; Bedrock's checks judge the rest.
        scope
            .models
            .retain(|m| !mantle.routes(m.to_string().trim_end_matches("[1m]")));
    }
    let inputs = Inputs {
        options,
        usage: UsageOptions {
            window_days: args.usage_window,
            expect_tpm: args.expect_tpm,
            targets_only: true,
        },
        claude,
        mantle,
    };
    let (mut report, mut cx) = run_doctor(
        &run.aws,
        scope.clone(),
        inputs.clone(),
        run.timeout,
        &spinner,
    )
    .await;
    spinner.finish();
    let mut fix_code = EXIT_OK;
    let mut closing = None;
    if args.fix {
        let confirmation = Confirmation::from_flags(args.dry_run, args.yes);
        let working = Spinner::working(run.quiet, output.on_stderr(), "planning the fixes");
        // Boxed: inline, doctor's future is deeper than the compiler's layout query allows.
        let fixed = Box::pin(fix(&run, &cx, &report.findings, confirmation)).await;
        working.finish();
        match fixed {
            Ok((plan, outcome)) => {
                let changed =
                    confirmation == Confirmation::Yes && !outcome.failed() && !plan.is_converged();
                if outcome.failed() {
                    fix_code = EXIT_ERROR;
                }
                if changed {
                    let (again, rechecked) =
                        settle(&run, (scope, inputs), &plan, output.on_stderr()).await;
                    report.findings = merged(std::mem::take(&mut report.findings), again);
                    // What --emit proves comes from the checks as they are now.
                    cx = rechecked;
                }
                closing = Some(closing_line(&plan, &outcome, &report.findings));
                report.plan = Some((plan, outcome));
            }
            // The report is whole without the fix: it says why there is no plan.
            Err(CommandError::Halted {
                reason,
                findings,
                code,
            }) => {
                fix_code = code;
                // A table on the terminal says it at its top already.
                if global.output != Format::Table || global.out.is_some() {
                    say!("error: --fix: {reason}");
                }
                report.halted = Some(format!("--fix: {reason}"));
                for finding in findings {
                    if !report.findings.contains(&finding) {
                        report.findings.push(finding);
                    }
                }
            }
            Err(other) => return Err(other),
        }
    }
    report.started_at = started_at;
    report.duration = clock.elapsed();
    let account = report.scope.accounts.first().cloned();
    controls::annotate(&mut report.findings, account.as_deref());
    if let Some(emit) = args.emit {
        match emit::block(emit, &cx, &report.findings) {
            Ok(block) => print!("{block}"),
            Err(why) => say!("Nothing to emit: {why}"),
        }
    }
    // After --emit, which proves from what the checks found, not from what is accepted.
    if let Some(config) = &config {
        config.suppress(&mut report.findings, crate::config::Date::today());
    }
    let written = output.write(&Document::Report(&report));
    run.log_call_totals();
    written?;
    // The story's last line, where a person looks last: below the report, on stderr (never
    // after a report that is itself on stderr, which a program may be reading).
    if let Some(line) = closing.filter(|_| args.emit.is_none() || global.out.is_some()) {
        say!("{line}");
    }
    let strict = strict(args.strict, args.no_strict, config.as_ref());
    Ok(match exit_code(report.summary(), strict) {
        EXIT_OK => fix_code,
        code => code,
    })
}

/// Checks whose findings the fixes can change, with what they depend on.
static AFFECTED_BY_FIX: [&CheckMeta; 8] = [
    &meta::CREDENTIALS_RESOLVE,
    &meta::IDENTITY_CALLER,
    &meta::REGION_CONFIG,
    &meta::MODELS_LIFECYCLE,
    &meta::MODELS_ACCESS,
    &meta::PROFILES_RESOLVE,
    &meta::IAM_INVOKE,
    &meta::RUNTIME_PROBE,
];

/// Whether `--fix` can change what check `id` finds.
fn affected_by_fix(id: &str) -> bool {
    AFFECTED_BY_FIX.iter().any(|meta| meta.id == id)
}
/// The plan for what doctor found that this tool can fix, applied as confirmed: IAM invoke
/// access the principal's own policies do not grant (`claude-invoke` for every target of
/// the run), model agreements the caller could not create (accepted from their offers), and
/// the quota increases findings ask for (`setup quotas`' plan, from each finding's
/// `quota_increase` evidence, whichever check found it). `CommandError::Halted` when the
/// plan could not be made.
async fn fix(
    run: &Run,
    cx: &CheckContext,
    findings: &[Finding],
    confirmation: Confirmation,
) -> Result<(Plan, Outcome), CommandError> {
    let invoke_denied = cx
        .fact::<FixableDenials>()
        .is_some_and(|denials| !denials.findings.is_empty());
    let target = cx
        .fact::<CallerIdentity>()
        .and_then(|identity| identity.principal_arn.parse::<Arn>().ok())
        .and_then(|arn| {
            arn.iam_principal().map(|(kind, name)| match kind {
                "user" => AttachTarget::User(name.to_string()),
                _ => AttachTarget::Role(name.to_string()),
            })
        });
    let missing_agreements = cx
        .fact::<MissingAgreements>()
        .map(|missing| missing.list.clone())
        .unwrap_or_default();

    let increases = quota_increases(cx, findings);

    // The IAM plan, the agreement offers and the quotas do not depend on each other.
    let invoke_plan = async {
        let Some(target) = target.filter(|_| invoke_denied) else {
            return Ok(Vec::new());
        };
        let template = template("claude-invoke")?;
        let models: Vec<String> = cx.scope.models.iter().map(|m| m.to_string()).collect();
        let rendered = rendered(run, &template, &[], &models).await?;
        let policy_name = default_policy_name(&template.name, &target);
        // The caller itself: its own account by construction.
        let target = TargetArg {
            target,
            account: None,
        };
        let desired = (template.name.as_str(), policy_name.as_str(), &target);
        plan_policy(&run.aws, desired, rendered.document)
            .await
            .map(|planned| planned.plan.steps)
    };
    let offers = join_all(missing_agreements.iter().map(
        |MissingAgreement {
             region,
             model_id,
             status,
             ..
         }| async move {
            match run.aws.agreement_offers(region, model_id).await {
                Ok(offers) => Ok(AgreementNow {
                    region: region.clone(),
                    model_id: model_id.clone(),
                    status: status.clone(),
                    offers,
                }),
                Err(error) => Err(halted(format!(
                    "cannot read the agreement offers of {model_id} in {region}: {error}"
                ))),
            }
        },
    ));
    let quota_plan = async {
        match &increases {
            Ok(asked) if asked.is_empty() => Ok(None),
            Ok(asked) => plan_quota_increases(&run.aws, String::new(), asked)
                .await
                .map(Some),
            Err(why) => Err(why.clone()),
        }
    };
    // The plan's reads are bounded like the checks' (--timeout); its writes are not cut short.
    let Ok((invoke_steps, agreements, quotas)) = tokio::time::timeout(run.timeout, async {
        tokio::join!(invoke_plan, offers, quota_plan)
    })
    .await
    else {
        return Err(halted(format!(
            "the fix's plan did not finish within {} s (--timeout): the AWS reads it waits on are slow or hanging",
            run.timeout.as_secs_f64()
        )));
    };
    // Every read that failed is named, not only the first.
    let unread: Vec<String> = agreements
        .iter()
        .filter_map(|a| a.as_ref().err().map(ToString::to_string))
        .chain(quotas.as_ref().err().cloned())
        .collect();
    // doctor's own command line was valid: what stops its fix is never a usage error (a
    // principal IAM does not find, say), and the findings that explain it are kept.
    let mut steps = match invoke_steps {
        Err(CommandError::Halted {
            reason,
            findings,
            code,
        }) => {
            let reasons: Vec<String> = std::iter::once(reason).chain(unread).collect();
            return Err(CommandError::Halted {
                reason: reasons.join("; "),
                findings,
                code,
            });
        }
        Err(error) => {
            let reasons: Vec<String> = std::iter::once(error.to_string()).chain(unread).collect();
            return Err(halted(reasons.join("; ")));
        }
        Ok(_) if !unread.is_empty() => return Err(halted(unread.join("; "))),
        Ok(steps) => steps,
    };
    let agreements = agreements.into_iter().collect::<Result<Vec<_>, _>>()?;
    if let Some(first) = agreements.first() {
        // The use case form is not this fix's to send: `setup model-access` takes the
        // admin's own file.
        let (agreement_plan, blockers) = plan_model_access(true, &first.region, None, &agreements);
        for blocker in blockers {
            say!("error: {blocker}");
        }
        steps.extend(agreement_plan.steps);
    }
    let mut unchanged = Vec::new();
    if let Ok(Some((quota_plan, blockers))) = quotas {
        for blocker in blockers {
            say!("error: {blocker}");
        }
        steps.extend(quota_plan.steps);
        unchanged = quota_plan.unchanged;
    }
    let plan = Plan {
        goal: if steps.is_empty() {
            "fixes for what doctor found: none that this tool makes".into()
        } else {
            "fixes for what doctor found".into()
        },
        steps,
        unchanged,
    };
    let outcome = plan::apply(&plan, confirmation, &run.session).await;
    Ok((plan, outcome))
}

/// The quota increases the findings ask for (evidence `quota_increase`), one per model and
/// region at the largest value asked, each with the call doctor resolved it as.
fn quota_increases(
    cx: &CheckContext,
    findings: &[Finding],
) -> Result<Vec<(Invocation, QuotaIncrease)>, String> {
    let mut increases: Vec<QuotaIncrease> = Vec::new();
    for finding in findings {
        let Some(evidence) = finding.evidence.get("quota_increase") else {
            continue;
        };
        let increase = QuotaIncrease::from_evidence(evidence)
            .map_err(|why| format!("a {} finding: {why}", finding.check))?;
        match increases
            .iter_mut()
            .find(|i| i.model == increase.model && i.region == increase.region)
        {
            Some(seen) => seen.merge(&increase),
            None => increases.push(increase),
        }
    }
    let invocations = cx.fact::<Invocations>();
    let called = |increase: &QuotaIncrease| {
        invocations.as_ref().and_then(|known| {
            known
                .list
                .iter()
                .find(|i| {
                    i.region == increase.region && QuotaIncrease::of(i).model == increase.model
                })
                .cloned()
        })
    };
    increases
        .into_iter()
        .map(|increase| match called(&increase) {
            Some(invocation) => Ok((invocation, increase)),
            None => Err(format!(
                "a finding asks to raise the quotas of {} in {}, which this run did not resolve: run {}",
                increase.model,
                increase.region,
                increase.command()
            )),
        })
        .collect()
}

fn halted(reason: String) -> CommandError {
    CommandError::Halted {
        reason,
        findings: Vec::new(),
        code: EXIT_ERROR,
    }
}

/// The findings of a (re-)run that `plan` repairs and that still fail: invoke access the
/// principal's own policies do not grant, when the plan attaches a grant; a model agreement
/// not accepted, when the plan accepts that model's in that region.
fn unrepaired(cx: &CheckContext, plan: &Plan) -> Vec<FindingRef> {
    let grants = plan.steps.iter().any(|step| {
        matches!(
            step.change,
            Change::CreatePolicy { .. }
                | Change::CreateDefaultPolicyVersion { .. }
                | Change::AttachPolicy { .. }
        )
    });
    let accepts = |missing: &MissingAgreement| {
        plan.steps.iter().any(|step| {
            matches!(&step.change, Change::CreateModelAgreement { region, model_id, .. }
                if *region == missing.region && *model_id == missing.model_id)
        })
    };
    let denials = cx
        .fact::<FixableDenials>()
        .filter(|_| grants)
        .map(|denials| denials.findings.clone())
        .unwrap_or_default();
    let agreements = cx
        .fact::<MissingAgreements>()
        .map(|missing| {
            missing
                .list
                .iter()
                .filter(|m| accepts(m))
                .map(|m| m.finding.clone())
                .collect()
        })
        .unwrap_or_default();
    [denials, agreements].concat()
}

/// How long to wait before each re-check while a change just made does not show yet: IAM and
/// Bedrock apply a change eventually, in seconds (IAM User Guide, "Changes that I make are
/// not always immediately visible"). 30 s in all.
const SETTLE: [Duration; 4] = [
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
];

/// The affected checks again after a fix, with backoff while what it fixed still fails. What
/// still fails after the last wait says the change was made and has not shown yet, instead of
/// asking for the same fix again.
async fn settle(
    run: &Run,
    (scope, inputs): (Scope, Inputs),
    plan: &Plan,
    report_on_stderr: bool,
) -> (Vec<Finding>, Arc<CheckContext>) {
    let mut waits = SETTLE.iter();
    loop {
        // Fresh reads each time: the cache holds what AWS said before.
        let fresh = Arc::new(AwsReader::new(Arc::clone(&run.session)));
        let spinner = Spinner::new(run.quiet, AFFECTED_BY_FIX.len(), report_on_stderr);
        let (mut findings, cx) =
            recheck(&fresh, scope.clone(), inputs.clone(), run.timeout, &spinner).await;
        spinner.finish();
        // Only what this plan changed is waited on, and only that is said to be on its way.
        let pending = unrepaired(&cx, plan);
        if pending.is_empty() {
            return (findings, cx);
        }
        let Some(wait) = waits.next() else {
            let pending = |f: &Finding| pending.iter().any(|p| p.names(f));
            for finding in findings.iter_mut().filter(|f| pending(f)) {
                finding.remediation = Some(format!(
                    "This run made the change that fixes it (see the plan), and AWS did not show it within {} s: \
                     IAM and Bedrock can take a minute to apply a change everywhere. Run the same doctor command \
                     again in a minute, without --fix.",
                    SETTLE.iter().sum::<Duration>().as_secs()
                ));
            }
            return (findings, cx);
        };
        say!(
            "The change is made; AWS does not show it yet: checking again in {} s",
            wait.as_secs()
        );
        tokio::time::sleep(*wait).await;
    }
}

/// What `--fix` came to, in one line.
fn closing_line(plan: &Plan, outcome: &Outcome, findings: &[Finding]) -> String {
    let open = findings
        .iter()
        .any(|f| matches!(f.status, Status::Fail | Status::Error));
    let steps = match plan.steps.len() {
        1 => "1 step".to_string(),
        n => format!("{n} steps"),
    };
    let review = awaiting_review(plan);
    match outcome.confirmation {
        _ if plan.is_converged() && !open => "Nothing to fix.".into(),
        _ if plan.is_converged() => {
            "Nothing this tool can fix: the fixes above are for you to run.".into()
        }
        Confirmation::DryRun => format!("Dry run: nothing was sent ({steps} planned above)."),
        Confirmation::Unconfirmed => format!(
            "Nothing was sent: run the same command with --yes to apply the {steps} above."
        ),
        Confirmation::Yes if outcome.failed() => {
            "A step failed and the steps after it were not sent: see the plan above, fix the cause and run the same command again.".into()
        }
        Confirmation::Yes if open => format!(
            "Applied {steps}, then checked again: what still fails is above.{review}"
        ),
        Confirmation::Yes => format!("Applied {steps}, then checked again: all clear.{review}"),
    }
}

/// What a quota increase's step leaves to AWS: a request is sent, the quota changes once AWS
/// approves it, so the checks run just after cannot show it.
fn awaiting_review(plan: &Plan) -> &'static str {
    let requested = plan
        .steps
        .iter()
        .any(|step| matches!(step.change, Change::RequestQuotaIncrease { .. }));
    match requested {
        true => {
            " The quota increases are requested: each applies once AWS approves it (the Service \
             Quotas console > Quota request history)."
        }
        false => "",
    }
}

/// The affected checks run again on fresh reads.
async fn recheck(
    aws: &Arc<AwsReader>,
    scope: Scope,
    inputs: Inputs,
    timeout: Duration,
    progress: &dyn Progress,
) -> (Vec<Finding>, Arc<CheckContext>) {
    let checks: Vec<_> = checks::for_command(CommandKind::Doctor)
        .into_iter()
        .filter(|c| affected_by_fix(c.meta().id))
        .collect();
    let cx = inputs.context(aws, scope);
    let findings = run_checks(&checks, Arc::clone(&cx), timeout, progress).await;
    (findings, cx)
}

/// The first run's findings, with those of the re-run checks replaced, in report order.
fn merged(first: Vec<Finding>, again: Vec<Finding>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for check in checks::for_command(CommandKind::Doctor) {
        let id = check.meta().id;
        let source = if affected_by_fix(id) { &again } else { &first };
        findings.extend(source.iter().filter(|f| f.check == id).cloned());
    }
    findings
}

/// What doctor's checks read of its flags besides the scope.
fn doctor_options(args: &DoctorArgs) -> DoctorOptions {
    DoctorOptions {
        expect_tpm: args.expect_tpm,
        no_probe: args.no_probe,
    }
}

/// What doctor's checks read besides AWS: its flags, and Claude Code's setup.
#[derive(Clone)]
struct Inputs {
    options: DoctorOptions,
    usage: UsageOptions,
    claude: Option<ClaudeCodeInput>,
    mantle: Option<MantleInput>,
}

impl Inputs {
    fn context(&self, aws: &Arc<AwsReader>, scope: Scope) -> Arc<CheckContext> {
        let mut cx = CheckContext::new(Arc::clone(aws), scope)
            .with_input(self.options)
            .with_input(self.usage);
        if let Some(claude) = &self.claude {
            cx = cx.with_input(claude.clone());
        }
        if let Some(mantle) = &self.mantle {
            cx = cx.with_input(mantle.clone());
        }
        Arc::new(cx)
    }
}

/// doctor's checks through `aws`, and the context they left their facts in.
async fn run_doctor(
    aws: &Arc<AwsReader>,
    scope: Scope,
    inputs: Inputs,
    timeout: Duration,
    progress: &dyn Progress,
) -> (Report, Arc<CheckContext>) {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let checks = checks::for_command(CommandKind::Doctor);
    let cx = inputs.context(aws, scope);
    let findings = run_checks(&checks, Arc::clone(&cx), timeout, progress).await;
    let report = Report {
        command: CommandKind::Doctor.as_str(),
        started_at,
        duration: clock.elapsed(),
        scope: examined(&cx),
        findings,
        plan: None,
        checks: checks.iter().map(|c| c.meta()).collect(),
        halted: None,
        accounts: Vec::new(),
    };
    (report, cx)
}

/// Claude Code's setup on this machine, when Claude Code is set up for Bedrock or Mantle
/// or `--claude-code` asks; its version only then (`claude --version` is a process).
async fn claude_code_setup(args: &DoctorArgs, machine: &Machine) -> Option<Setup> {
    let (shell, places) = (machine.shell.clone(), machine.places.clone());
    // Reading the settings files is file I/O: off the runtime's threads.
    let mut setup = tokio::task::spawn_blocking(move || Setup::discover(&shell, &places, None))
        .await
        .ok()?;
    // A file that cannot be read may be the very one that enables Bedrock: claude-code.config
    // must say so even when nothing else asks for it.
    let unreadable = setup.unreadable_files().next().is_some();
    let unclear = !setup.unclear_switches().is_empty();
    if !(args.claude_code || setup.uses_bedrock() || setup.uses_mantle() || unreadable || unclear) {
        return None;
    }
    setup.version = installed_version(Duration::from_secs(3)).await;
    Some(setup)
}

/// What Claude Code signs with where its settings differ from the shell: a settings file's
/// env block outranks the shell's environment, so its `AWS_PROFILE`, its access keys and its
/// Bedrock API key are what doctor must check too. With `AWS_PROFILE` set (in the shell or a
/// file), the AWS SDK for JavaScript skips environment keys, so the profile is what signs.
fn claude_code_signing(setup: &Setup) -> Signing {
    let set = |name: &str| {
        setup
            .var(name)
            .filter(|(value, _)| !value.is_empty())
            .map(|(value, origin)| (value.to_string(), *origin != Origin::Shell))
    };
    let from_file = |name: &str| set(name).filter(|(_, file)| *file).map(|(v, _)| v);
    let profile = set("AWS_PROFILE").map(|(name, _)| name);
    let keys = match (set("AWS_ACCESS_KEY_ID"), set("AWS_SECRET_ACCESS_KEY")) {
        _ if profile.is_some() => None,
        (Some((id, id_file)), Some((secret, secret_file))) if id_file || secret_file => {
            Some((id, secret, set("AWS_SESSION_TOKEN").map(|(t, _)| t)))
        }
        _ => None,
    };
    Signing {
        profile,
        overrides: EnvOverrides {
            keys,
            bearer_token: from_file("AWS_BEARER_TOKEN_BEDROCK"),
        },
    }
}

/// The setup with the region Claude Code will call, from the session's profile.
async fn claude_code_input(setup: Setup, args: &DoctorArgs, session: &Session) -> ClaudeCodeInput {
    let profile_region = match session.region_source(false).await {
        Some(RegionSource::Profile) => session.configured_region(),
        _ => None,
    };
    let region = setup.region(profile_region);
    ClaudeCodeInput {
        setup,
        region,
        forced: args.claude_code,
    }
}

/// With Claude Code set up, doctor checks what Claude Code will call: its region, unless
/// `--region` says otherwise, and every model it will call, unless `--model` does.
fn claude_code_scope(
    scope: &mut Scope,
    claude: &ClaudeCodeInput,
    args: &DoctorArgs,
    regions_named: bool,
) {
    // A region that is not one is claude-code.config's failure: the run goes on with the
    // regions it already has.
    if !regions_named && let Ok(region) = claude.region.region.parse::<Region>() {
        scope.regions = vec![region];
    }
    if args.models.is_empty() {
        // A value that is not a model ID is claude-code.config's finding, not a target.
        let mut models: Vec<ModelRequest> = claude
            .setup
            .pinned_models()
            .iter()
            .filter_map(|m| m.value.parse().ok())
            .collect();
        for default in claude.setup.default_targets(&claude.region.region) {
            if !models.contains(&default.request) {
                models.push(default.request);
            }
        }
        scope.models = models;
    }
}

/// What mantle.access judges, when `--mantle` or Claude Code's settings call the Mantle
/// endpoint: the `--model` values, else every model Claude Code will send there (with Bedrock
/// on too, only the IDs in Mantle form go there), else its default model in Mantle form.
/// Which models leave Bedrock's checks follows Claude Code's routing: all of them with only
/// Mantle on, else those in Mantle form.
fn mantle_input(args: &DoctorArgs, claude: Option<&ClaudeCodeInput>) -> Option<MantleInput> {
    let claude = claude.filter(|c| c.applies() && c.setup.uses_mantle());
    if !args.mantle && claude.is_none() {
        return None;
    }
    let mut input = MantleInput {
        targets: Vec::new(),
        mantle_only: claude.is_some_and(|c| !c.setup.uses_bedrock()),
    };
    let strip = |id: &str| id.trim_end_matches("[1m]").to_string();
    input.targets = if !args.models.is_empty() {
        args.models
            .iter()
            .map(|m| MantleTarget {
                id: strip(m),
                named_by: "--model".into(),
            })
            .collect()
    } else if let Some(claude) = claude {
        let pinned = claude.setup.pinned_models();
        if pinned.is_empty() && input.mantle_only {
            claude
                .setup
                .default_targets(&claude.region.region)
                .into_iter()
                .map(|default| {
                    let id = default.request.to_string();
                    MantleTarget {
                        id: mantle_id(&id).unwrap_or(id),
                        named_by: format!(
                            "Claude Code's default ({}; none is pinned)",
                            default.role
                        ),
                    }
                })
                .collect()
        } else {
            pinned
                .into_iter()
                .map(|m| MantleTarget {
                    id: strip(&m.value),
                    named_by: format!("{} (from {})", m.named_by, m.origin),
                })
                .filter(|t| input.routes(&t.id))
                .collect()
        }
    } else {
        Vec::new()
    };
    Some(input)
}

/// What the run looked at: the caller, and the models as they resolved (the routes when
/// known, else the catalog models, else what was asked).
fn examined(cx: &CheckContext) -> Examined {
    let models = match (cx.fact::<Invocations>(), cx.fact::<ModelTargets>()) {
        (Some(invocations), _) => unique(invocations.list.iter().map(|i| i.model_id.clone())),
        (None, Some(targets)) => unique(targets.list.iter().map(|t| t.model.id.clone())),
        (None, None) => cx.scope.models.iter().map(|m| m.to_string()).collect(),
    };
    Examined {
        regions: cx.scope.regions.iter().map(|r| r.to_string()).collect(),
        models,
        ..caller_examined(cx)
    }
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}
