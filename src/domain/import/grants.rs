//! One row of a grants file (a role for a person at an org), and the grants a
//! users file carries: each made by `grant::grant_as`, as on the person's page.

use super::sheet::{Row, Sheet};
use super::{Ctx, Done, Outcome, required};
use crate::db::Conn;
use crate::domain::grant::{self, GrantRequest, Holder, Scope};
use crate::domain::{role, user, validate};
use crate::error::{FieldErrors, Result};

pub const COLUMNS: &[&str] = &["email", "role", "org", "descendants"];
pub const REQUIRED: &[&str] = &["email", "role", "org"];

pub(super) fn apply(
    conn: &mut Conn,
    ctx: &mut Ctx,
    sheet: &Sheet<impl std::io::Read>,
    row: &Row,
) -> Result<Done> {
    let email = required(row, sheet.column("email"), "email")?;
    let role_name = required(row, sheet.column("role"), "role")?;
    let org_named = required(row, sheet.column("org"), "org")?;
    let descendants = match row.get(sheet.column("descendants")).to_lowercase().as_str() {
        "" | "yes" | "true" | "1" => true,
        "no" | "false" | "0" => false,
        _ => {
            return Err(FieldErrors::single(
                "descendants",
                "Write yes (the org and below) or no (this org only).",
            ));
        }
    };
    let holder = user::find_visible_by_email(conn, ctx.access(), email, "email")?;
    if give(conn, ctx, holder.id, role_name, org_named, descendants)? {
        Ok((Outcome::Create, String::new()))
    } else {
        Ok((Outcome::Unchanged, String::new()))
    }
}

/// Gives `user_id` the role called `role_name` at the org `org_named` (code or
/// path) unless they hold it there already; true when a grant was made.
pub(super) fn give(
    conn: &mut Conn,
    ctx: &Ctx,
    user_id: i64,
    role_name: &str,
    org_named: &str,
    descendants: bool,
) -> Result<bool> {
    let org_id = ctx.org_named(conn, "org", org_named)?;
    let key = validate::key(role_name);
    let role = role::usable_at_org(conn, org_id)?
        .into_iter()
        .find(|r| validate::key(&r.name) == key || r.builtin_key.is_some_and(|b| b.as_str() == key))
        .ok_or_else(|| {
            FieldErrors::single("role", format!("There is no role \"{role_name}\" here."))
        })?;
    if grant::holds(conn, user_id, role.id, org_id, descendants)? {
        return Ok(false);
    }
    let request = GrantRequest {
        role_id: role.id,
        holder: Holder::User(user_id),
        scope: Scope::Org(org_id),
        descendants,
        expires_at: None,
    };
    grant::grant_as(conn, ctx.access(), &ctx.who.actor, &request)?;
    Ok(true)
}
