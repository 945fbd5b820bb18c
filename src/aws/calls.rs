//! The per-run call cache and call log. Every AWS read goes through `CallCache::get`, so one
//! (operation, region, parameters) is sent at most once per run, even when several checks ask
//! for it at the same moment. `CallLog` tallies each call (a read with all its pages, or a
//! write) from the SDK's own interceptor hooks and logs it once it ends: at info one line with
//! its region, status, pages, attempts and time; at debug each attempt's request ID and each
//! retry's cause. A page is one SDK invocation of the call; an attempt is one HTTP request,
//! retries included. Nothing here logs a request's or answer's headers or body.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_types::request_id::RequestId;
use tokio::sync::OnceCell;

use super::catalog::{Access, Operation};
use super::{AwsError, AwsErrorKind};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallKey {
    operation: &'static Operation,
    region: Option<String>,
    params: String,
}

impl CallKey {
    /// `params` must identify the request's parameters uniquely (for example the role name).
    pub fn new(
        operation: &'static Operation,
        region: Option<&str>,
        params: impl Into<String>,
    ) -> Self {
        debug_assert_eq!(operation.access, Access::Read, "{operation} is not cached");
        CallKey {
            operation,
            region: region.map(str::to_string),
            params: params.into(),
        }
    }
}

type Slot = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

#[derive(Default)]
pub struct CallCache {
    slots: Mutex<HashMap<CallKey, Slot>>,
}

impl CallCache {
    /// The answer to `key`, sending `call` only if no answer (success or failure) is cached and
    /// none is on its way.
    pub async fn get<T, F, Fut>(&self, log: &CallLog, key: CallKey, call: F) -> Result<T, AwsError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let operation = key.operation;
        let region = key.region.clone();
        let slot = Arc::clone(lock(&self.slots).entry(key).or_default());
        let answer = slot
            .get_or_init(|| async {
                let answer = log.call(operation, region.as_deref(), call()).await;
                Arc::new(answer) as Arc<dyn Any + Send + Sync>
            })
            .await;
        match answer.downcast_ref::<Result<T, AwsError>>() {
            Some(result) => result.clone(),
            None => Err(AwsError::new(
                AwsErrorKind::Other,
                operation,
                "internal error: the call cache holds another type for this operation",
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCount {
    /// Calls sent: a cached read's miss, with all its pages, or a write.
    pub calls: u32,
    /// SDK invocations: one per call, one per page of a paginated read.
    pub pages: u32,
    /// HTTP requests sent, retries included.
    pub attempts: u32,
}

/// What the SDK's hooks saw of one call.
#[derive(Debug, Default)]
struct Tally {
    pages: u32,
    attempts: u32,
    /// The region the request went to (the client's), when the call's key names none.
    region: Option<String>,
    /// The last answer's HTTP status.
    http_status: Option<u16>,
}

tokio::task_local! {
    /// The call this task's SDK invocations belong to while `CallLog::call` runs it: the
    /// paginator invokes the SDK once per page in the caller's task.
    static CALL: (&'static Operation, Arc<Mutex<Tally>>);
}

#[derive(Default, Debug)]
pub struct CallLog {
    counts: Mutex<BTreeMap<String, CallCount>>,
}

impl CallLog {
    /// Runs `call` as one call of `operation` and logs it when it ends, or when it is dropped
    /// unfinished (a check's timeout) as `cancelled`.
    pub(super) async fn call<T>(
        &self,
        operation: &'static Operation,
        region: Option<&str>,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let tally = Arc::new(Mutex::new(Tally {
            region: region.map(str::to_string),
            ..Tally::default()
        }));
        let mut ended = Ended {
            log: self,
            operation,
            tally: Arc::clone(&tally),
            started: Instant::now(),
            status: "cancelled",
        };
        let result = CALL.scope((operation, tally), call).await;
        ended.status = match &result {
            Ok(_) => "ok",
            Err(error) => error.kind().as_str(),
        };
        result
    }

    fn ended(&self, operation: &str, tally: &Tally, status: &str, started: Instant) {
        let mut line = format!(
            "{operation} region={} status={status}",
            tally.region.as_deref().unwrap_or("-")
        );
        if let Some(http) = tally.http_status {
            let _ = write!(line, " http={http}");
        }
        let _ = write!(
            line,
            " pages={} attempts={} ms={}",
            tally.pages,
            tally.attempts,
            started.elapsed().as_millis()
        );
        tracing::info!("{line}");
        let mut counts = lock(&self.counts);
        let count = counts.entry(operation.to_string()).or_default();
        count.calls += 1;
        count.pages += tally.pages;
        count.attempts += tally.attempts;
    }

    pub fn counts(&self) -> Vec<(String, CallCount)> {
        lock(&self.counts)
            .iter()
            .map(|(op, count)| (op.clone(), *count))
            .collect()
    }
}

struct Ended<'a> {
    log: &'a CallLog,
    operation: &'static Operation,
    tally: Arc<Mutex<Tally>>,
    started: Instant,
    status: &'static str,
}

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        let tally = lock(&self.tally);
        self.log.ended(
            &self.operation.to_string(),
            &tally,
            self.status,
            self.started,
        );
    }
}

/// One SDK invocation (one page), kept in the invocation's own config bag.
#[derive(Clone, Debug)]
struct Invocation {
    /// Which page of its call this is (1 outside any call).
    page: u32,
    started: Instant,
    attempts: u32,
    http_status: Option<u16>,
    /// Why the last attempt failed, for the retry that follows it.
    failure: Option<String>,
}

impl Storable for Invocation {
    type Storer = StoreReplace<Self>;
}

/// The SDK's interceptor hooks on every client: they tally pages and attempts into the call
/// being run (or, for an invocation outside any, a write, log it as a call of its own), and
/// log each attempt's request ID and each retry's cause as the SDK's retry classifiers see it.
#[derive(Debug)]
pub struct CallHooks(pub Arc<CallLog>);

impl CallHooks {
    /// The call this invocation is a page of, if it runs inside one of the same operation.
    fn call_of(name: &str) -> Option<Arc<Mutex<Tally>>> {
        CALL.try_with(|(operation, tally)| {
            (operation.to_string() == name).then(|| Arc::clone(tally))
        })
        .ok()
        .flatten()
    }
}

impl Intercept for CallHooks {
    fn name(&self) -> &'static str {
        "CallHooks"
    }

    // Not `read_before_execution`: a client's interceptors run that before the operation's
    // metadata is in the config bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut page = 1;
        if let Some(tally) = Self::call_of(&operation_name(cfg)) {
            let mut tally = lock(&tally);
            tally.pages += 1;
            page = tally.pages;
            if tally.region.is_none() {
                tally.region = region_of(cfg);
            }
        }
        cfg.interceptor_state().store_put(Invocation {
            page,
            started: Instant::now(),
            attempts: 0,
            http_status: None,
            failure: None,
        });
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = attempt_number(cfg);
        if attempt > 1 {
            let cause = cfg
                .load::<Invocation>()
                .and_then(|i| i.failure.clone())
                .unwrap_or_else(|| "an unknown failure".into());
            tracing::debug!(
                "{} retry: attempt {attempt}, after {cause}",
                operation_name(cfg)
            );
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(mut invocation) = cfg.load::<Invocation>().cloned() {
            invocation.attempts += 1;
            cfg.interceptor_state().store_put(invocation);
        }
        if let Some(tally) = Self::call_of(&operation_name(cfg)) {
            lock(&tally).attempts += 1;
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = operation_name(cfg);
        let response = context.response();
        let http_status = response.map(|r| r.status().as_u16());
        let request_id = response
            .and_then(|r| r.request_id())
            .map(crate::secrets::redact)
            .unwrap_or_else(|| "none".into());
        let answer = match http_status {
            Some(status) => format!("HTTP {status}"),
            None => "no answer".to_string(),
        };
        let failure = match context.output_or_error() {
            Some(Err(error)) => {
                // The SDK's own classifiers, as its retry strategy runs them next.
                let retry = match run_classifiers_on_ctx(
                    runtime_components.retry_classifiers(),
                    context.inner(),
                ) {
                    RetryAction::RetryIndicated(RetryReason::RetryableError { kind, .. }) => {
                        format!("{kind}, retryable")
                    }
                    RetryAction::RetryIndicated(reason) => format!("{reason}, retryable"),
                    _ => "not retryable".to_string(),
                };
                let what = crate::secrets::redact(&match error.as_operation_error() {
                    Some(error) => error.to_string(),
                    None => error.to_string(),
                });
                Some(format!("{answer} ({retry}): {what}"))
            }
            _ => None,
        };
        tracing::debug!(
            "{name} page {} attempt {} (request ID {request_id}): {}",
            cfg.load::<Invocation>().map_or(1, |i| i.page),
            attempt_number(cfg),
            failure.as_deref().unwrap_or(&answer)
        );
        if let Some(mut invocation) = cfg.load::<Invocation>().cloned() {
            invocation.http_status = http_status.or(invocation.http_status);
            invocation.failure = failure;
            cfg.interceptor_state().store_put(invocation);
        }
        if let (Some(tally), Some(status)) = (Self::call_of(&name), http_status) {
            lock(&tally).http_status = Some(status);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = operation_name(cfg);
        if Self::call_of(&name).is_some() {
            return Ok(());
        }
        let Some(invocation) = cfg.load::<Invocation>() else {
            return Ok(());
        };
        let status = match context.output_or_error() {
            Some(Ok(_)) => "ok",
            _ => "failed",
        };
        let tally = Tally {
            pages: 1,
            attempts: invocation.attempts,
            region: region_of(cfg),
            http_status: invocation.http_status,
        };
        self.0.ended(&name, &tally, status, invocation.started);
        Ok(())
    }
}

/// The catalog's name for the operation the SDK is running.
fn operation_name(cfg: &ConfigBag) -> String {
    match cfg.load::<Metadata>() {
        Some(metadata) => sdk_operation_name(metadata.service(), metadata.name()),
        None => "unknown operation".into(),
    }
}

fn sdk_operation_name(service: &str, operation: &str) -> String {
    match Operation::from_sdk(service, operation) {
        Some(op) => op.to_string(),
        // Only reachable if a call was added without its catalog entry; still logged.
        None => format!("{service}:{operation} (not in the catalog)"),
    }
}

fn region_of(cfg: &ConfigBag) -> Option<String> {
    cfg.load::<aws_types::region::Region>()
        .map(|r| r.as_ref().to_string())
}

/// The SDK's own count: 1 for the first attempt, 2 for the first retry.
fn attempt_number(cfg: &ConfigBag) -> u32 {
    cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn concurrent_identical_calls_are_sent_once() {
        let cache = CallCache::default();
        let log = CallLog::default();
        let sent = AtomicU32::new(0);
        let call = || async {
            sent.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok::<_, AwsError>("answer".to_string())
        };
        let key = || CallKey::new(&catalog::GET_CALLER_IDENTITY, Some("us-east-1"), "");
        let (a, b) = tokio::join!(cache.get(&log, key(), call), cache.get(&log, key(), call));
        assert_eq!(a.unwrap(), "answer");
        assert_eq!(b.unwrap(), "answer");
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        assert_eq!(log.counts()[0].1.calls, 1);
    }

    #[tokio::test]
    async fn failures_are_cached_and_other_parameters_are_not_shared() {
        let cache = CallCache::default();
        let log = CallLog::default();
        let denied = || async {
            Err::<String, _>(AwsError::new(
                AwsErrorKind::Denied,
                &catalog::GET_ROLE,
                "no",
            ))
        };
        let key = |role: &str| CallKey::new(&catalog::GET_ROLE, None, role);
        assert!(cache.get(&log, key("a"), denied).await.is_err());
        let again = cache
            .get(&log, key("a"), || async { Ok("sent twice".to_string()) })
            .await;
        assert_eq!(again.unwrap_err().kind(), AwsErrorKind::Denied);
        let other = cache
            .get(&log, key("b"), || async { Ok("b".to_string()) })
            .await;
        assert_eq!(other.unwrap(), "b");
        assert_eq!(
            log.counts(),
            vec![(
                "iam:GetRole".to_string(),
                CallCount {
                    calls: 2,
                    pages: 0,
                    attempts: 0
                }
            )]
        );
    }

    #[test]
    fn the_sdk_names_map_to_the_catalog_names() {
        assert_eq!(
            sdk_operation_name("Service Quotas", "ListServiceQuotas"),
            "servicequotas:ListServiceQuotas"
        );
        assert_eq!(
            sdk_operation_name("Bedrock Runtime", "InvokeModel"),
            "bedrock-runtime:InvokeModel"
        );
    }

    #[tokio::test]
    async fn a_call_dropped_unfinished_is_still_counted() {
        let log = CallLog::default();
        let never = log.call(
            &catalog::GET_CALLER_IDENTITY,
            None,
            std::future::pending::<Result<(), AwsError>>(),
        );
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(5), never)
                .await
                .is_err()
        );
        assert_eq!(log.counts()[0].1.calls, 1);
    }
}
