//! Times as the report contract writes them.

use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// RFC 3339 in UTC to the second.
pub fn format_time(time: SystemTime) -> String {
    let seconds = DateTime::from(time).secs();
    DateTime::from_secs(seconds)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}
