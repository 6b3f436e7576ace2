//! The one pagination helper for every API list: `?page=&per_page=` (at most 200)
//! answered as `{items, page, per_page, total}`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldErrors};

pub const MAX_PER_PAGE: u32 = 200;
const MAX_PAGE: u32 = crate::http::MAX_PAGE as u32;
const DEFAULT_PER_PAGE: u32 = 50;

/// `?page=&per_page=`, kept as text: list queries flatten this struct into their
/// own, and serde hands flattened query values over as strings, so the numbers are
/// parsed here (with a field message instead of a bare 400).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100_000)]
    pub page: Option<String>,
    /// Items a page, at most 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

impl PageQuery {
    /// (page, per_page), validated.
    pub fn parse(&self) -> Result<(u32, u32), Error> {
        let mut errors = FieldErrors::new();
        let number = |raw: &Option<String>, default: u32| match raw.as_deref().map(str::trim) {
            None | Some("") => Some(default),
            Some(text) => text.parse::<u32>().ok(),
        };
        // The same bound as the pages' (`http::MAX_PAGE`): offsets never overflow.
        let page = number(&self.page, 1).filter(|p| (1..=MAX_PAGE).contains(p));
        if page.is_none() {
            errors.add(
                "page",
                format!("page must be a whole number from 1 to {MAX_PAGE}."),
            );
        }
        let per_page =
            number(&self.per_page, DEFAULT_PER_PAGE).filter(|n| (1..=MAX_PER_PAGE).contains(n));
        if per_page.is_none() {
            errors.add(
                "per_page",
                format!("per_page must be a whole number from 1 to {MAX_PER_PAGE}."),
            );
        }
        errors.into_result()?;
        Ok((page.unwrap_or(1), per_page.unwrap_or(DEFAULT_PER_PAGE)))
    }
}

/// An optional query value as `parse` reads it: `None` when left out or
/// empty, a message on `field` when `parse` refuses it.
pub fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
    field: &str,
    message: &str,
) -> Result<Option<T>, Error> {
    match raw {
        None | Some("") => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| FieldErrors::single(field, message)),
    }
}

/// `?q=&page=&per_page=` of a member list searched by name or email.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchPageQuery {
    /// (described by [`PageQuery`])
    #[serde(flatten)]
    #[param(ignore)]
    pub page: PageQuery,
    /// Name or email contains.
    pub q: Option<String>,
}

impl SearchPageQuery {
    /// (page, per_page) validated, and the search (empty for none).
    pub fn parse(&self) -> Result<(u32, u32, String), Error> {
        let (page, per_page) = self.page.parse()?;
        Ok((page, per_page, self.q.clone().unwrap_or_default()))
    }
}

/// A page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListBody<T: Serialize> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: usize,
}

impl<T: Serialize> ListBody<T> {
    /// One page read in SQL, with the list's total.
    pub fn of_page(items: Vec<T>, page: u32, per_page: u32, total: i64) -> ListBody<T> {
        ListBody {
            items,
            page,
            per_page,
            total: usize::try_from(total).unwrap_or(0),
        }
    }
}

impl<T: Serialize + Clone> ListBody<T> {
    /// Page `page` of a list already held whole in memory, with its total.
    pub fn paged(all: &[T], page: u32, per_page: u32) -> ListBody<T> {
        ListBody {
            items: page_of(all, page, per_page),
            page,
            per_page,
            total: all.len(),
        }
    }
}

/// The rows before page `page`, as an SQL offset.
pub fn offset(page: u32, per_page: u32) -> i64 {
    crate::http::page_offset(page as usize, per_page as usize)
}

/// The slice of `all` that page `page` shows.
pub fn page_of<T: Clone>(all: &[T], page: u32, per_page: u32) -> Vec<T> {
    let start = usize::try_from(offset(page, per_page)).unwrap_or(usize::MAX);
    all.iter()
        .skip(start)
        .take(per_page as usize)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(page: Option<&str>, per_page: Option<&str>) -> PageQuery {
        PageQuery {
            page: page.map(str::to_string),
            per_page: per_page.map(str::to_string),
        }
    }

    #[test]
    fn defaults_bounds_and_garbage() {
        assert_eq!(q(None, None).parse().unwrap(), (1, 50));
        assert_eq!(q(Some("3"), Some("200")).parse().unwrap(), (3, 200));
        assert_eq!(q(Some("100000"), None).parse().unwrap(), (100_000, 50));
        assert_eq!(offset(100_000, 200), 99_999 * 200);
        for (page, per_page) in [
            (Some("0"), None),
            (None, Some("0")),
            (None, Some("201")),
            (Some("abc"), None),
            (Some("-1"), None),
            (Some("100001"), None),
            (Some("200000000000000000"), None),
        ] {
            assert!(q(page, per_page).parse().is_err(), "{page:?} {per_page:?}");
        }
    }
}
