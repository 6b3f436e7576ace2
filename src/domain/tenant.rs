//! Tenants: the top-level orgs below the root. Everything under one of them
//! belongs to that tenant; the root and whatever sits directly at it form a
//! tenant of their own (the root's id). Project codes are unique within a
//! tenant (`projects.tenant_id`, unique with `code_key`), so one customer's
//! codes never tell another's that a code is taken. Org codes and emails stay
//! unique in the installation (see docs/architecture.md, "Uniqueness").

use diesel::prelude::*;

use crate::db::Conn;
use crate::db::schema::{org_closure, projects};
use crate::domain::validate;
use crate::error::{Error, FieldErrors, Result};

/// The tenant of `org_id`: its ancestor (or itself) whose parent is the root,
/// or the root itself.
pub fn of(conn: &mut Conn, org_id: i64) -> Result<i64> {
    // Ancestors from the farthest (the root) inwards: the second is the tenant.
    let path: Vec<i64> = org_closure::table
        .filter(org_closure::descendant_id.eq(org_id))
        .order(org_closure::depth.desc())
        .select(org_closure::ancestor_id)
        .limit(2)
        .load(conn)?;
    match path.as_slice() {
        [_, tenant] => Ok(*tenant),
        [root] => Ok(*root),
        _ => Err(Error::NotFound),
    }
}

/// The message for a project code taken in the tenant. The project holding
/// it is in the same tenant, but maybe behind a privacy border: the answer
/// names nothing.
pub const PROJECT_CODE_TAKEN: &str =
    "This code is already used by another project of this organization's tenant; choose another.";

/// Refuses a project code already used in `tenant` (by a project other than
/// `except`).
pub fn ensure_project_code_free(
    conn: &mut Conn,
    tenant: i64,
    code: &str,
    except: Option<i64>,
) -> Result<()> {
    let mut q = projects::table
        .filter(projects::tenant_id.eq(tenant))
        .filter(projects::code_key.eq(validate::key(code)))
        .select(projects::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(projects::id.ne(id));
    }
    if q.first::<i64>(conn).optional()?.is_some() {
        return Err(Error::Duplicate(FieldErrors::of(
            "code",
            PROJECT_CODE_TAKEN,
        )));
    }
    Ok(())
}

/// Before an org move that changes the tenant of the subtree under `org_id`
/// from `from` to `to`: refuses when a project in the subtree has a code the
/// new tenant already uses outside it. The message names no project: the
/// other one may be hidden from the mover, and the mover may not see inside
/// the moved subtree either.
pub fn ensure_move_keeps_codes_unique(
    conn: &mut Conn,
    org_id: i64,
    from: i64,
    to: i64,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let subtree = org_closure::table
        .filter(org_closure::ancestor_id.eq(org_id))
        .select(org_closure::descendant_id);
    let moving: Vec<String> = projects::table
        .filter(projects::org_id.eq_any(subtree))
        .select(projects::code_key)
        .load(conn)?;
    for chunk in moving.chunks(500) {
        let clash: Option<i64> = projects::table
            .filter(projects::tenant_id.eq(to))
            .filter(projects::code_key.eq_any(chunk))
            .select(projects::id)
            .first(conn)
            .optional()?;
        if clash.is_some() {
            return Err(Error::Conflict {
                message: "A project in this organization has a code that is already used where \
                          it would move to. Give that project another code first."
                    .into(),
                details: Some(serde_json::json!({"reason": "project_code"})),
            });
        }
    }
    Ok(())
}

/// After the closure links of a moved subtree are rewritten: its projects
/// follow it into `to`.
pub fn move_projects(conn: &mut Conn, org_id: i64, to: i64) -> Result<()> {
    let subtree = org_closure::table
        .filter(org_closure::ancestor_id.eq(org_id))
        .select(org_closure::descendant_id);
    diesel::update(projects::table.filter(projects::org_id.eq_any(subtree)))
        .set(projects::tenant_id.eq(to))
        .execute(conn)?;
    Ok(())
}
