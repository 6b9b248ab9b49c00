//! How both APIs write time and take pages: timestamps as RFC 3339 text, lists paged by
//! `?page=&per_page=`.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;

/// Unix milliseconds (as stored) as RFC 3339 in UTC, e.g. `2026-12-07T04:21:07.5Z`.
pub fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn iso_opt(ms: Option<i64>) -> Option<String> {
    ms.map(iso)
}

/// `?page=&per_page=`: 1-based, 50 per page unless asked, at most 200.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PageParams {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PageParams {
    /// (limit, offset, page, per_page), each within bounds whatever was asked.
    pub fn limit_offset(&self) -> (i64, i64, u32, u32) {
        let per_page = self.per_page.unwrap_or(50).clamp(1, 200);
        let page = self.page.unwrap_or(1).max(1);
        (
            i64::from(per_page),
            i64::from(page - 1) * i64::from(per_page),
            page,
            per_page,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_become_rfc3339_in_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_796_617_267_500), "2026-12-07T04:21:07.5Z");
        assert_eq!(iso_opt(None), None);
    }

    #[test]
    fn pages_stay_within_bounds() {
        let params = |page, per_page| PageParams { page, per_page };
        assert_eq!(params(None, None).limit_offset(), (50, 0, 1, 50));
        assert_eq!(params(Some(3), Some(10)).limit_offset(), (10, 20, 3, 10));
        assert_eq!(params(Some(0), Some(0)).limit_offset(), (1, 0, 1, 1));
        assert_eq!(
            params(Some(2), Some(1000)).limit_offset(),
            (200, 200, 2, 200)
        );
    }
}
