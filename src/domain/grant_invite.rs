//! Granting by exact email: how an admin inside a privacy border lets in
//! someone they cannot see (the landlord, a guest from another tenant).
//! Nothing is listed or suggested, and the answer is the same whether the
//! address belongs to someone or to no one, so the path cannot probe the
//! directory. See docs/architecture.md, "Inviting in by email".

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::authz::Access;
use crate::db::{Conn, schema::grants};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::grant::{self, Grant, GrantRequest, Holder, Scope, live_at};
use crate::domain::role::Role;
use crate::domain::user::{self, User};
use crate::domain::validate::Email;
use crate::error::{Error, Result};

/// A grant asked for by email, before the email is looked at.
#[derive(Clone, Debug)]
pub struct EmailGrant {
    pub email: Email,
    pub role_id: i64,
    pub scope: Scope,
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// What granting by email did, as far as the granter may know it.
pub enum Outcome {
    /// The email is someone the granter sees: granted to them, by name.
    Visible(Box<User>, Grant, Role),
    /// Someone the granter may not see, or nobody: if the account exists it
    /// now holds the role. The same answer either way.
    Sent(Role),
}

/// Grants by exact email. Every check that does not depend on the person
/// comes first (scope inside the border, role usable, the no-escalation rule,
/// the expiry). Then: a person the granter sees goes through
/// [`grant::grant_as`] as always (so granting oneself is refused); anyone
/// else — someone outside the granter's sight, or no account at all — gets
/// the same [`Outcome::Sent`]: the grant is made when the account exists (or
/// it already held it), nothing is made otherwise, and no error tells which.
/// Both are audited as `grant.by_email` with the same shape.
pub fn grant_by_email_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    request: &EmailGrant,
) -> Result<Outcome> {
    let checked = grant::check_request(
        conn,
        access,
        request.role_id,
        request.scope,
        request.descendants,
        request.expires_at,
    )?;
    let found = user::find_by_email(conn, request.email.as_str())?;
    if let Some(person) = &found {
        match user::find_visible(conn, access, person.id) {
            Ok(visible) => {
                let (made, role) = grant::grant_as(
                    conn,
                    access,
                    actor,
                    &GrantRequest {
                        role_id: request.role_id,
                        holder: Holder::User(visible.id),
                        scope: request.scope,
                        descendants: request.descendants,
                        expires_at: request.expires_at,
                    },
                )?;
                return Ok(Outcome::Visible(Box::new(visible), made, role));
            }
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    audit::record(
        conn,
        actor,
        Event::new("grant.by_email", "grant", None)
            .org(checked.org_id)
            .after(json!({
                "email": request.email.as_str(),
                "role_id": checked.role.id,
                "role": checked.role.name,
                "org_id": checked.org_id,
                "project_id": checked.project_id,
                "descendants": checked.descendants,
            })),
    )?;
    if let Some(person) = found {
        let new = checked.new_grant(Holder::User(person.id), request.expires_at);
        if !holds_already(conn, &new)? {
            grant::create(conn, actor, &new)?;
        }
    }
    Ok(Outcome::Sent(checked.role))
}

/// True when the same live grant exists: granting it again is no change, and
/// must not answer differently from a first grant.
fn holds_already(conn: &mut Conn, new: &grant::NewGrant) -> Result<bool> {
    let Holder::User(user_id) = new.holder else {
        return Ok(false);
    };
    let mut query = grants::table
        .filter(grants::role_id.eq(new.role_id))
        .filter(grants::user_id.eq(user_id))
        .filter(grants::descendants.eq(new.descendants && new.project_id.is_none()))
        .filter(live_at(crate::db::now()))
        .into_boxed();
    query = match new.project_id {
        Some(p) => query.filter(grants::project_id.eq(p)),
        None => query.filter(grants::org_id.eq(new.org_id)),
    };
    Ok(query
        .select(grants::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The one sentence both faces answer with when the person was not visible.
pub fn sent_message(role: &Role) -> String {
    format!(
        "If an account uses this email, it now holds the role {} here; nothing tells who \
         has an account.",
        role.name
    )
}
