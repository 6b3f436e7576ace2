//! CSV import of orgs, users and grants (SPEC 8). A file is read one row at a
//! time ([`sheet`]); each row goes through the same domain functions as the
//! single operation it stands for (`org::create`/`update_as`/`move_to`,
//! `account::invite`, `user::change_as`, `grant::grant_as`), with the
//! importer's `Access` deciding, so the audit log and every rule are theirs.
//! The whole file runs in one write transaction, each row in a savepoint; a
//! dry run, or any row in error, rolls all of it back.
//!
//! Orgs created earlier in the same file are not in the importer's resolver
//! snapshot (it is taken before the import). What the importer may do in one
//! of them is decided at the nearest org that existed before ("the anchor"),
//! through grants that reach below it (`cascading_permissions_at`): exactly
//! what the resolver will say once the new orgs are committed, since an
//! imported org holds no grants of its own and is never private.

use std::io::Read;

use diesel::Connection;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::authz::{Access, Permission};
use crate::db::Db;
use crate::domain::audit::Actor;
use crate::error::{Error, Result};

mod grants;
mod orgs;
mod places;
pub mod sheet;
mod users;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Orgs,
    Users,
    Grants,
}

impl Kind {
    pub fn parse(raw: &str) -> Option<Kind> {
        match raw {
            "orgs" => Some(Kind::Orgs),
            "users" => Some(Kind::Users),
            "grants" => Some(Kind::Grants),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Orgs => "orgs",
            Kind::Users => "users",
            Kind::Grants => "grants",
        }
    }

    /// The columns a file of this kind may have, and those it must have.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Orgs => (orgs::COLUMNS, orgs::REQUIRED),
            Kind::Users => (users::COLUMNS, users::REQUIRED),
            Kind::Grants => (grants::COLUMNS, grants::REQUIRED),
        }
    }
}

/// What became of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = ImportOutcome)]
pub enum Outcome {
    Create,
    Update,
    Unchanged,
    Error,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Create => "create",
            Outcome::Update => "update",
            Outcome::Unchanged => "unchanged",
            Outcome::Error => "error",
        }
    }
}

/// One row's outcome: its line in the file (the header is line 1).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ImportRow)]
pub struct RowResult {
    pub line: u64,
    pub outcome: Outcome,
    /// What changed, or why the row was refused; empty otherwise.
    pub message: String,
}

/// Every row's outcome, and whether the changes were written.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = ImportReport)]
pub struct Report {
    pub rows: Vec<RowResult>,
    pub applied: bool,
}

impl Report {
    /// True when some row (or the file itself) was refused.
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|r| r.outcome == Outcome::Error)
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }

    /// "3 create, 1 update, 0 unchanged, 0 error".
    pub fn summary(&self) -> String {
        [
            Outcome::Create,
            Outcome::Update,
            Outcome::Unchanged,
            Outcome::Error,
        ]
        .iter()
        .map(|o| format!("{} {}", self.count(*o), o.label()))
        .collect::<Vec<_>>()
        .join(", ")
    }

    fn refused(line: u64, message: String) -> Report {
        Report {
            rows: vec![RowResult {
                line,
                outcome: Outcome::Error,
                message,
            }],
            applied: false,
        }
    }
}

/// Whether someone may import at all (create orgs, manage users or grant
/// somewhere): who sees the import page and its entry in the sidebar.
pub fn may_import(access: &Access) -> bool {
    [
        Permission::OrgCreate,
        Permission::UserManage,
        Permission::AccessManage,
    ]
    .iter()
    .any(|p| access.anywhere(*p))
}

/// Who imports: their access decides every row; `actor` signs the audit.
pub struct Importer {
    pub access: Access,
    pub actor: Actor,
    /// Where invitation links point.
    pub base_url: String,
}

/// The state of one import: the importer and the orgs it created so far.
pub(crate) struct Ctx<'a> {
    pub who: &'a Importer,
    /// Each org created by this import, with its anchor (see the module doc).
    created: FxHashMap<i64, i64>,
}

impl Ctx<'_> {
    fn access(&self) -> &Access {
        &self.who.access
    }

    /// Whether the importer holds `perm` at `org_id`.
    fn can(&self, perm: Permission, org_id: i64) -> bool {
        match self.created.get(&org_id) {
            Some(&anchor) => self
                .access()
                .snapshot
                .cascading_permissions_at(self.access().me(), crate::ids::OrgId(anchor))
                .contains(perm),
            None => self.access().can(perm, org_id),
        }
    }

    /// [`Ctx::can`] as the single operations answer it: 404 when the org is
    /// out of sight, else 403 with the permission named.
    fn require(&self, perm: Permission, org_id: i64) -> Result<()> {
        if self.created.contains_key(&org_id) {
            if self.can(perm, org_id) {
                return Ok(());
            }
            return Err(Error::Forbidden(format!(
                "You do not have the permission {perm} here."
            )));
        }
        self.access().require(perm, org_id)
    }

    /// Whether the importer sees the org and inside it.
    fn sees(&self, org_id: i64) -> bool {
        if self.created.contains_key(&org_id) {
            return self.can(Permission::OrgView, org_id);
        }
        self.access().can(Permission::OrgView, org_id) && self.access().sees_inside(org_id)
    }

    fn created_under(&mut self, org_id: i64, parent_id: i64) {
        let anchor = self.created.get(&parent_id).copied().unwrap_or(parent_id);
        self.created.insert(org_id, anchor);
    }
}

/// A row's effect and what to say about it.
pub(crate) type Done = (Outcome, String);

/// A refused row's message, or `None` for an error that is not the row's
/// (the database failing), which ends the import.
fn sentence(err: &Error) -> Option<String> {
    match err {
        Error::Validation(fields) | Error::Duplicate(fields) => Some(
            fields
                .0
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Error::Forbidden(m) | Error::BadRequest(m) => Some(m.clone()),
        Error::Conflict { message, .. } => Some(message.clone()),
        Error::NotFound => Some("Not found.".into()),
        _ => None,
    }
}

/// The marker a dry run or a failed import rolls back with.
const ROLLBACK: &str = "import rolled back";

/// Imports `input` as `who`: every row in one transaction, written only when
/// no row fails and `dry_run` is off. `progress` hears the number of rows
/// done every so often. A file that cannot be read at all is one error row.
pub fn run(
    db: &Db,
    kind: Kind,
    input: impl Read,
    who: &Importer,
    dry_run: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Report> {
    let (names, required) = kind.columns();
    let mut sheet = match sheet::Sheet::open(input, names, required) {
        Ok(sheet) => sheet,
        Err(message) => return Ok(Report::refused(1, message)),
    };
    let mut report = Report::default();
    let written = db.write_sync(|conn| {
        let mut ctx = Ctx {
            who,
            created: FxHashMap::default(),
        };
        while let Some(row) = sheet.next_row() {
            let (line, result) = match row {
                Err((line, message)) => (line, Err(message)),
                Ok(row) => {
                    let done = conn.transaction(|c| match kind {
                        Kind::Orgs => orgs::apply(c, &mut ctx, &sheet, &row),
                        Kind::Users => users::apply(c, &mut ctx, &sheet, &row),
                        Kind::Grants => grants::apply(c, &mut ctx, &sheet, &row),
                    });
                    match done {
                        Ok(done) => (row.line, Ok(done)),
                        Err(e) => (row.line, Err(sentence(&e).ok_or(e)?)),
                    }
                }
            };
            let (outcome, message) = result.unwrap_or_else(|m| (Outcome::Error, m));
            report.rows.push(RowResult {
                line,
                outcome,
                message,
            });
            if report.rows.len() % 1000 == 0 {
                progress(report.rows.len() as u64);
            }
        }
        progress(report.rows.len() as u64);
        if dry_run || report.failed() {
            Err(Error::conflict(ROLLBACK))
        } else {
            Ok(())
        }
    });
    match written {
        Ok(()) => report.applied = true,
        Err(Error::Conflict { message, .. }) if message == ROLLBACK => {}
        Err(e) => return Err(e),
    }
    if report.rows.is_empty() {
        return Ok(Report::refused(
            2,
            "The file has a header row and no rows below it.".into(),
        ));
    }
    Ok(report)
}

/// A cell that must not be empty.
fn required<'r>(row: &'r sheet::Row, index: usize, field: &str) -> Result<&'r str> {
    match row.get(index) {
        "" => Err(crate::FieldErrors::single(
            field,
            format!("The column {field} is empty in this row."),
        )),
        value => Ok(value),
    }
}
