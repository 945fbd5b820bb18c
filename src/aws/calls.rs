//! The per-run call cache and call count. Every AWS read goes through `CallCache::get`, so
//! one (operation, region, parameters) is sent at most once per run, even when several checks
//! ask for it at the same moment; `CallLog` counts operations (reads and writes) and HTTP
//! attempts for `-v`, under the catalog's one name for each.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
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
        let slot = Arc::clone(lock(&self.slots).entry(key).or_default());
        let answer = slot
            .get_or_init(|| async {
                log.called(operation);
                Arc::new(call().await) as Arc<dyn Any + Send + Sync>
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
    /// Operations started (cache misses).
    pub calls: u32,
    /// HTTP requests sent, retries included.
    pub attempts: u32,
}

#[derive(Default, Debug)]
pub struct CallLog {
    counts: Mutex<BTreeMap<String, CallCount>>,
}

impl CallLog {
    pub(super) fn called(&self, operation: &'static Operation) {
        lock(&self.counts)
            .entry(operation.to_string())
            .or_default()
            .calls += 1;
    }

    fn attempted(&self, operation: String) {
        lock(&self.counts).entry(operation).or_default().attempts += 1;
    }

    pub fn counts(&self) -> Vec<(String, CallCount)> {
        lock(&self.counts)
            .iter()
            .map(|(op, count)| (op.clone(), *count))
            .collect()
    }
}

/// Counts every HTTP attempt an SDK client makes, under the catalog's name for the operation.
#[derive(Debug)]
pub struct AttemptCounter(pub Arc<CallLog>);

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "AttemptCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.0
                .attempted(attempt_name(metadata.service(), metadata.name()));
        }
        Ok(())
    }
}

fn attempt_name(service: &str, operation: &str) -> String {
    match Operation::from_sdk(service, operation) {
        Some(op) => op.to_string(),
        // Only reachable if a call was added without its catalog entry; still counted.
        None => format!("{service}:{operation} (not in the catalog)"),
    }
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
                    attempts: 0
                }
            )]
        );
    }

    #[test]
    fn attempts_are_counted_under_the_name_calls_are() {
        let log = CallLog::default();
        log.called(&catalog::LIST_SERVICE_QUOTAS);
        log.attempted(attempt_name("Service Quotas", "ListServiceQuotas"));
        log.attempted(attempt_name("Bedrock Runtime", "InvokeModel"));
        assert_eq!(
            log.counts(),
            vec![
                (
                    "bedrock-runtime:InvokeModel".to_string(),
                    CallCount {
                        calls: 0,
                        attempts: 1
                    }
                ),
                (
                    "servicequotas:ListServiceQuotas".to_string(),
                    CallCount {
                        calls: 1,
                        attempts: 1
                    }
                ),
            ]
        );
    }
}
