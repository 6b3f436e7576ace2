//! Paging a list in SQL: the rows of one page and the list's total, with a
//! page past the end answered by the last page (bad numbers are clamped,
//! never an error). Pages render it with `web::pager::Pager`.

use crate::error::Error;
use crate::http::{MAX_PAGE, page_offset};

fn pages_of(total: usize, per_page: usize) -> usize {
    total.div_ceil(per_page.max(1)).clamp(1, MAX_PAGE)
}

/// Page `page` of a list: `query(offset, limit)` answers that page's rows and
/// the list's total. A page past the end (when the list has rows) is answered
/// with the last page. Returns the rows, the total and the page shown.
pub fn fetch<T>(
    page: usize,
    per_page: usize,
    mut query: impl FnMut(i64, i64) -> Result<(Vec<T>, i64), Error>,
) -> Result<(Vec<T>, usize, usize), Error> {
    let limit = per_page as i64;
    let (rows, total) = query(page_offset(page, per_page), limit)?;
    let total = usize::try_from(total).unwrap_or(0);
    let last = pages_of(total, per_page);
    if rows.is_empty() && page > last && total > 0 {
        let (rows, total) = query(page_offset(last, per_page), limit)?;
        return Ok((rows, usize::try_from(total).unwrap_or(0), last));
    }
    Ok((rows, total, page.min(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_end_is_the_last_page() {
        let all: Vec<i32> = (0..120).collect();
        let q = |offset: i64, limit: i64| {
            let rows = all
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .copied()
                .collect();
            Ok((rows, all.len() as i64))
        };
        let (rows, total, page) = fetch(9, 50, q).unwrap();
        assert_eq!((rows.len(), total, page), (20, 120, 3));
        let (rows, _, page) = fetch(2, 50, q).unwrap();
        assert_eq!((rows[0], page), (50, 2));
    }
}
