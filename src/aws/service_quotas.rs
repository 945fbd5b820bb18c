//! Service Quotas' increase requests of a Bedrock quota, per region (the quotas themselves
//! are read with the rest of Bedrock's, in `bedrock.rs`).

use std::sync::Arc;

use super::catalog::{self, Operation};
use super::{AwsError, AwsErrorKind, AwsReader};
use crate::domain::{QuotaRequest, Region};

impl AwsReader {
    /// ListRequestedServiceQuotaChangeHistoryByQuota for a `bedrock` quota, every page: the
    /// increases requested of it, open and closed.
    pub async fn quota_requests(
        &self,
        region: &Region,
        quota_code: &str,
    ) -> Result<Arc<Vec<QuotaRequest>>, AwsError> {
        const OP: &Operation = &catalog::LIST_REQUESTED_SERVICE_QUOTA_CHANGE_HISTORY_BY_QUOTA;
        self.cached_call(
            OP,
            Some(region.as_str()),
            format!("bedrock\n{quota_code}"),
            || {
                all_items!(
                    self.session
                        .quotas(region)
                        .list_requested_service_quota_change_history_by_quota()
                        .service_code("bedrock")
                        .quota_code(quota_code)
                )
            },
            |requests| {
                requests
                    .into_iter()
                    .map(request_of)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Arc::new)
            },
        )
        .await
    }
}

/// Statuses of botocore's `RequestStatus`; another is an answer this version cannot judge.
const STATUSES: [&str; 7] = [
    "PENDING",
    "CASE_OPENED",
    "APPROVED",
    "DENIED",
    "CASE_CLOSED",
    "NOT_APPROVED",
    "INVALID_REQUEST",
];

/// A request as the domain holds it. Whether a request is open decides whether another may be
/// sent, so one without an ID, a status this version knows or a desired value is an error.
fn request_of(
    request: aws_sdk_servicequotas::types::RequestedServiceQuotaChange,
) -> Result<QuotaRequest, AwsError> {
    const OP: &Operation = &catalog::LIST_REQUESTED_SERVICE_QUOTA_CHANGE_HISTORY_BY_QUOTA;
    let unreadable = |why: String| AwsError::new(AwsErrorKind::Malformed, OP, why);
    let id = request
        .id
        .ok_or_else(|| unreadable("a request lacks its Id".into()))?;
    let status = request.status.map(|s| s.as_str().to_string());
    let status = match status {
        Some(status) if STATUSES.contains(&status.as_str()) => status,
        Some(status) => {
            return Err(unreadable(format!(
                "request {id} has the status {status}, which this version does not know"
            )));
        }
        None => return Err(unreadable(format!("request {id} lacks its Status"))),
    };
    let desired = request
        .desired_value
        .ok_or_else(|| unreadable(format!("request {id} lacks its DesiredValue")))?;
    Ok(QuotaRequest {
        id,
        case_id: request.case_id.filter(|c| !c.is_empty()),
        status,
        desired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_servicequotas::types::{RequestStatus, RequestedServiceQuotaChange};

    #[test]
    fn a_request_is_read_only_with_a_status_this_version_knows() {
        let request = |status: RequestStatus| {
            RequestedServiceQuotaChange::builder()
                .id("r-1")
                .case_id("")
                .status(status)
                .desired_value(5_000_000.0)
                .build()
        };
        let read = request_of(request(RequestStatus::CaseOpened)).unwrap();
        assert!(read.is_open());
        assert_eq!(read.case_id, None, "an empty case ID is none");
        assert!(
            !request_of(request(RequestStatus::Denied))
                .unwrap()
                .is_open()
        );
        let unknown = request_of(request(RequestStatus::from("ESCALATED"))).unwrap_err();
        assert_eq!(unknown.kind(), AwsErrorKind::Malformed);
        assert!(unknown.to_string().contains("ESCALATED"), "{unknown}");
        let no_value = RequestedServiceQuotaChange::builder()
            .id("r-2")
            .status(RequestStatus::Pending)
            .build();
        assert!(request_of(no_value).is_err());
    }
}
