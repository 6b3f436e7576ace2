//! Finding the orgs a row names, by code or by path (`Root/Acme/East`), among
//! those the importer sees: any other answers exactly like one that does not
//! exist.

use diesel::prelude::*;

use super::Ctx;
use crate::db::{Conn, schema::orgs};
use crate::domain::validate;
use crate::error::{FieldErrors, Result};

/// The message for an org the importer cannot name.
fn no_such(field: &str, named: &str) -> crate::Error {
    FieldErrors::single(field, format!("There is no organization \"{named}\"."))
}

impl Ctx<'_> {
    /// The org with `code` if the importer sees it.
    pub(super) fn org_by_code(&self, conn: &mut Conn, code: &str) -> Result<Option<i64>> {
        let id: Option<i64> = orgs::table
            .filter(orgs::code_key.eq(validate::key(code)))
            .select(orgs::id)
            .first(conn)
            .optional()?;
        Ok(id.filter(|id| self.sees(*id)))
    }

    /// The org a cell names: a code, or a path of names from the root (or,
    /// for someone who does not see the root, from the top of what they see).
    pub(super) fn org_named(&self, conn: &mut Conn, field: &str, named: &str) -> Result<i64> {
        let found = if named.contains('/') {
            self.org_by_path(conn, named)?
        } else {
            self.org_by_code(conn, named)?
        };
        found.ok_or_else(|| no_such(field, named))
    }

    fn child_named(&self, conn: &mut Conn, parent: Option<i64>, name: &str) -> Result<Vec<i64>> {
        let query = orgs::table
            .filter(orgs::name_key.eq(validate::key(name)))
            .select((orgs::id, orgs::parent_id))
            .into_boxed();
        let query = match parent {
            Some(p) => query.filter(orgs::parent_id.eq(p)),
            None => query,
        };
        let found: Vec<(i64, Option<i64>)> = query.load(conn)?;
        Ok(found
            .into_iter()
            .filter(|(id, up)| {
                // From the top: an org seen whose parent is not (or the root).
                self.sees(*id) && (parent.is_some() || up.is_none_or(|p| !self.sees(p)))
            })
            .map(|(id, _)| id)
            .collect())
    }

    fn org_by_path(&self, conn: &mut Conn, path: &str) -> Result<Option<i64>> {
        let mut names = path.split('/').map(str::trim).filter(|s| !s.is_empty());
        let Some(first) = names.next() else {
            return Ok(None);
        };
        let tops = self.child_named(conn, None, first)?;
        let [mut at] = tops[..] else {
            return Ok(None);
        };
        for name in names {
            match self.child_named(conn, Some(at), name)?[..] {
                [child] => at = child,
                _ => return Ok(None),
            }
        }
        Ok(Some(at))
    }
}
