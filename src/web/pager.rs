//! The one pager of every paged HTML list: which rows a page shows ("showing
//! 51–100 of 2,444"), and the previous / next links, which keep the list's
//! filters and sort. Rendered by `templates/partials/pager.html`.
//!
//! A list asks for its page with [`fetch`] (`domain::paging::fetch`): the rows
//! of page `page` and the total, in SQL; a page past the end is answered with
//! the last page instead (bad numbers are clamped, never an error).

pub use crate::domain::paging::fetch;
use crate::http::MAX_PAGE;

/// `?q=&page=` of a list searched by name or email (members, assignees): the
/// search as typed and the page asked for (bad numbers read as page 1).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub page: Option<String>,
}

impl SearchQuery {
    pub fn q(&self) -> String {
        self.q.clone().unwrap_or_default()
    }

    pub fn page(&self) -> usize {
        super::page_number(self.page.as_deref())
    }
}

/// One page of a list, and how to reach the others.
#[derive(Clone, Debug)]
pub struct Pager {
    /// The page shown, from 1.
    pub page: usize,
    pub per_page: usize,
    /// Rows in the whole list.
    pub total: usize,
    /// The list's address with its filters, without `page`: `/users?q=a&status=`.
    base: String,
    /// The query parameter of the page number: `page`, or another name where
    /// one page shows two lists.
    param: &'static str,
}

impl Pager {
    /// `path` with `params` (empty values left out) as the base of every link.
    pub fn new(
        path: &str,
        params: &[(&str, &str)],
        page: usize,
        per_page: usize,
        total: usize,
    ) -> Pager {
        let kept: Vec<(&str, &str)> = params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .copied()
            .collect();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        let base = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        Pager {
            page: page.clamp(1, pages_of(total, per_page)),
            per_page,
            total,
            base,
            param: "page",
        }
    }

    /// The same pager with its page number in `param` instead of `page`.
    pub fn named(mut self, param: &'static str) -> Pager {
        self.param = param;
        self
    }

    pub fn pages(&self) -> usize {
        pages_of(self.total, self.per_page)
    }

    /// The number of the first row shown (0 on an empty list).
    pub fn first(&self) -> String {
        if self.total == 0 {
            return "0".into();
        }
        thousands((self.page - 1) * self.per_page + 1)
    }

    pub fn last(&self) -> String {
        thousands((self.page * self.per_page).min(self.total))
    }

    pub fn total_text(&self) -> String {
        thousands(self.total)
    }

    /// The address of page `n`.
    pub fn href(&self, n: usize) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}={n}", self.base, self.param)
    }

    pub fn prev_href(&self) -> Option<String> {
        (self.page > 1).then(|| self.href(self.page - 1))
    }

    pub fn next_href(&self) -> Option<String> {
        (self.page < self.pages()).then(|| self.href(self.page + 1))
    }

    pub fn first_href(&self) -> Option<String> {
        (self.page > 2).then(|| self.href(1))
    }

    pub fn last_href(&self) -> Option<String> {
        (self.page + 1 < self.pages()).then(|| self.href(self.pages()))
    }
}

fn pages_of(total: usize, per_page: usize) -> usize {
    total.div_ceil(per_page.max(1)).clamp(1, MAX_PAGE)
}

/// `12345` as `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_links() {
        let p = Pager::new("/teams", &[("q", "a b"), ("org_id", "")], 2, 50, 2444);
        assert_eq!(p.pages(), 49);
        assert_eq!((p.first(), p.last()), ("51".into(), "100".into()));
        assert_eq!(p.total_text(), "2,444");
        assert_eq!(p.prev_href().unwrap(), "/teams?q=a+b&page=1");
        assert_eq!(p.next_href().unwrap(), "/teams?q=a+b&page=3");
        let empty = Pager::new("/teams", &[], 7, 50, 0);
        assert_eq!(
            (empty.page, empty.first(), empty.last()),
            (1, "0".into(), "0".into())
        );
        assert_eq!(empty.next_href(), None);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
