//! Each change to a group or a team decided for a person, for both faces:
//! the page handlers and the API handlers parse, call one of these, render.

use super::{Record, find_visible, validate};
use crate::authz::Access;
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::UserId;
use crate::domain::user::User;
use crate::error::{Error, FieldErrors, Result};

/// The kind's manage permission where the record lives (403; a record one
/// may not see was already not found).
pub fn require_manage<R: Record>(access: &Access, record: &R) -> Result<()> {
    access.require(R::KIND.words().manage, record.org_id())
}

/// Creates a record at `org_id` as a person: the kind's manage permission
/// there (404 where the org is not visible), then the fields' rules.
pub fn create_as<R: Record>(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    name: &str,
    description: &str,
) -> Result<R> {
    access.require(R::KIND.words().manage, org_id)?;
    let values = validate(name, description)?;
    super::create(conn, actor, org_id, &values)
}

/// Renames or describes record `id` as a person: visible to them, their kind's
/// manage permission where it lives; a field left out stays as it is, and a
/// `version` that is not the record's is a conflict.
pub fn update_as<R: Record>(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    (name, description): (Option<&str>, Option<&str>),
    version: Option<i64>,
) -> Result<R> {
    let r: R = find_visible(conn, access, id)?;
    require_manage(access, &r)?;
    let values = validate(
        name.unwrap_or(r.name()),
        description.unwrap_or(r.description()),
    )?;
    super::update(conn, actor, id, &values, version)
}

/// How a kind decides who manages a record's members, and adds a member (or
/// sets their flag) as a person: its whole rule.
pub struct MemberRule<R> {
    pub manage: fn(&mut Conn, &Access, &R) -> Result<()>,
    pub put: fn(&mut Conn, &Access, &Actor, &R, UserId, bool) -> Result<()>,
}

/// Adds the person with `email` to record `id` (or sets their flag) as the
/// kind's `rule` decides. Only someone who manages the members gets that far;
/// then anyone they may not add is one message on `email`, so the form never
/// tells whether the address is in use.
pub fn put_member_by_email_as<R: Record>(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    (id, email, flag): (i64, &str, bool),
    rule: &MemberRule<R>,
) -> Result<User> {
    let record: R = find_visible(conn, access, id)?;
    (rule.manage)(conn, access, &record)?;
    let none = || FieldErrors::single("email", "There is no user with this email you can see.");
    let person = crate::domain::user::find_by_email(conn, email)?.ok_or_else(none)?;
    match (rule.put)(conn, access, actor, &record, UserId(person.id), flag) {
        Err(Error::NotFound) => Err(none()),
        other => other.map(|()| person),
    }
}
