//! One row of a users file: a person invited to their home org (as from the
//! new-user form without a password), or found by email and brought up to
//! date; then the grants the row carries (`role@org;role@org`).

use super::sheet::{Row, Sheet};
use super::{Ctx, Done, Outcome, grants, required};
use crate::authz::Permission;
use crate::db::Conn;
use crate::domain::account;
use crate::domain::seats::{self, How};
use crate::domain::user::{self, NewUser, UserChange, UserStatus};
use crate::domain::validate::{self, Email};
use crate::error::{Error, FieldErrors, Result};

pub const COLUMNS: &[&str] = &["email", "name", "org", "job_title", "grants", "seat"];
pub const REQUIRED: &[&str] = &["email", "name", "org"];

/// The `role@org` pairs of a grants cell.
fn grant_list(cell: &str) -> Result<Vec<(&str, &str)>> {
    cell.split(';')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.rsplit_once('@')
                .map(|(role, org)| (role.trim(), org.trim()))
                .filter(|(role, org)| !role.is_empty() && !org.is_empty())
                .ok_or_else(|| {
                    FieldErrors::single(
                        "grants",
                        format!("\"{g}\" is not role@org-code (separate several with ;)."),
                    )
                })
        })
        .collect()
}

pub(super) fn apply(
    conn: &mut Conn,
    ctx: &mut Ctx,
    sheet: &Sheet<impl std::io::Read>,
    row: &Row,
) -> Result<Done> {
    let raw = required(row, sheet.column("email"), "email")?;
    let email = Email::parse(raw).map_err(|m| FieldErrors::single("email", m))?;
    let name = row.get(sheet.column("name"));
    let job_title = row.get(sheet.column("job_title"));
    let home = match row.get(sheet.column("org")) {
        "" => None,
        named => Some(ctx.org_named(conn, "org", named)?),
    };
    let wanted = grant_list(row.get(sheet.column("grants")))?;
    let seat = seat_wanted(row.get(sheet.column("seat")))?;
    let seen = match user::find_by_email(conn, email.as_str())? {
        Some(found) => match user::find_visible(conn, ctx.access(), found.id) {
            Ok(u) => Some(u),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let (user_id, mut outcome, mut changed) = match seen {
        // Someone out of sight reads as no one: creating them then finds the
        // email taken, as the new-user form does.
        None => {
            let home = home.ok_or_else(|| {
                FieldErrors::single("org", "Name the home organization by its code.")
            })?;
            let id = create(conn, ctx, email, name, job_title, home)?;
            (id, Outcome::Create, Vec::new())
        }
        Some(found) => {
            let changed = update(conn, ctx, &found, name, job_title, home)?;
            let outcome = if changed.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Update
            };
            (found.id, outcome, changed)
        }
    };
    let mut granted = 0;
    for (role, org) in wanted {
        if grants::give(conn, ctx, user_id, role, org, true)? {
            granted += 1;
        }
    }
    if granted > 0 {
        changed.push("grants");
    }
    let seat_changed = match seat {
        Some(true) => seats::give_as(conn, ctx.access(), &ctx.who.actor, user_id, How::Import)?,
        Some(false) => seats::take_as(conn, ctx.access(), &ctx.who.actor, user_id, "import")?,
        None => false,
    };
    if seat_changed {
        changed.push("seat");
    }
    if !changed.is_empty() && outcome == Outcome::Unchanged {
        outcome = Outcome::Update;
    }
    let message = match outcome {
        Outcome::Update => format!("Changed: {}.", changed.join(", ")),
        _ => String::new(),
    };
    Ok((outcome, message))
}

/// The optional `seat` cell: `yes` gives a seat from the person's nearest
/// pool, `no` takes it back, empty leaves it as it is.
fn seat_wanted(cell: &str) -> Result<Option<bool>> {
    match cell.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" => Ok(Some(true)),
        "no" | "n" | "false" | "0" => Ok(Some(false)),
        _ => Err(FieldErrors::single(
            "seat",
            "Enter yes to give a seat, no to take it back, or leave it empty.",
        )),
    }
}

fn create(
    conn: &mut Conn,
    ctx: &Ctx,
    email: Email,
    name: &str,
    job_title: &str,
    home: i64,
) -> Result<i64> {
    ctx.require(Permission::UserManage, home)?;
    let display_name =
        user::parse_display_name(name).map_err(|m| FieldErrors::single("name", m))?;
    let job_title = validate::optional_line(job_title, "Job title", 200)
        .map_err(|m| FieldErrors::single("job_title", m))?;
    let new = NewUser {
        org_id: home,
        email,
        display_name,
        job_title,
        status: UserStatus::Invited,
        password_hash: None,
    };
    Ok(account::invite(conn, &ctx.who.actor, new, &ctx.who.base_url)?.id)
}

/// Brings a person's name, job title and home in line with the row (empty
/// cells leave them as they are) through `user::change_as`; the columns changed.
fn update(
    conn: &mut Conn,
    ctx: &Ctx,
    found: &user::User,
    name: &str,
    job_title: &str,
    home: Option<i64>,
) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    let mut change = UserChange::default();
    if !name.is_empty() && name != found.display_name {
        change.fields.display_name = Some(name.to_string());
        changed.push("name");
    }
    if !job_title.is_empty() && job_title != found.job_title {
        change.fields.job_title = Some(job_title.to_string());
        changed.push("job_title");
    }
    if let Some(org) = home.filter(|o| *o != found.org_id) {
        change.org_id = Some(org);
        changed.push("org");
    }
    if !changed.is_empty() {
        user::change_as(conn, ctx.access(), &ctx.who.actor, found.id, change)?;
    }
    Ok(changed)
}
