//! Granting by exact email: how an admin inside a privacy border lets in
//! someone they cannot see (the landlord, a guest from another tenant).
//! Nothing is listed or suggested, and the answer is the same whether the
//! address belongs to someone or to no one, so the path cannot probe the
//! directory. Someone the granter may not see is never granted at once: a
//! pending invitation is stored (the same row whether an account uses the
//! email or not), the account — if any — is told by mail, and only its owner,
//! signed in with that email, turns it into a grant by accepting it. See
//! docs/architecture.md, "Inviting in by email".

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{grant_invitations, grants},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::grant::{self, Grant, GrantRequest, Holder, Scope};
use crate::domain::mail;
use crate::domain::role::{self, Role};
use crate::domain::user::{self, User};
use crate::domain::validate::{self, Email};
use crate::domain::{org, project};
use crate::error::{Error, Result};

/// How long an invitation may be accepted.
pub const INVITATION_DAYS: i64 = 14;

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
    /// Someone the granter may not see, or nobody: an invitation is pending.
    /// The same answer either way.
    Sent(Role),
}

/// Grants by exact email. Every check that does not depend on the person
/// comes first (scope inside the border, role usable, the no-escalation rule,
/// the expiry). Then: a person the granter sees goes through
/// [`grant::grant_as`] as always (so granting oneself is refused); anyone
/// else — someone outside the granter's sight, or no account at all — gets
/// the same [`Outcome::Sent`]: an invitation is stored (or the same pending
/// one renewed), audited as `grant.invited` without any user id, and mailed
/// to the account if an active one uses the email. Nothing is granted until
/// it is accepted ([`accept_as`]).
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
    let id = store(conn, access.user_id, &checked, request)?;
    audit::record(
        conn,
        actor,
        Event::new("grant.invited", Target::GrantInvitation, Some(id))
            .org(checked.org_id)
            .after(json!({
                "email": request.email.as_str(),
                "role_id": checked.role.id,
                "role": checked.role.name,
                "org_id": checked.org_id,
                "project_id": checked.project_id,
                "descendants": checked.descendants,
                "expires_at": request.expires_at,
            })),
    )?;
    if let Some(person) = found.filter(User::is_active) {
        tell(conn, access.user_id, &person, checked.org_id)?;
    }
    Ok(Outcome::Sent(checked.role))
}

/// Writes the invitation, or renews the same pending one (a repeat is no
/// change and answers like the first).
fn store(
    conn: &mut Conn,
    inviter: i64,
    checked: &grant::Checked,
    request: &EmailGrant,
) -> Result<i64> {
    let now = db::now();
    let key = request.email.key();
    let mut same = grant_invitations::table
        .filter(grant_invitations::email_key.eq(&key))
        .filter(grant_invitations::role_id.eq(checked.role.id))
        .filter(grant_invitations::org_id.eq(checked.org_id))
        .filter(grant_invitations::descendants.eq(checked.descendants))
        .filter(pending_at(now))
        .into_boxed();
    same = match checked.project_id {
        Some(p) => same.filter(grant_invitations::project_id.eq(p)),
        None => same.filter(grant_invitations::project_id.is_null()),
    };
    let expires_at = now + Duration::days(INVITATION_DAYS);
    if let Some(id) = same
        .select(grant_invitations::id)
        .first::<i64>(conn)
        .optional()?
    {
        diesel::update(grant_invitations::table.find(id))
            .set((
                grant_invitations::invited_by.eq(inviter),
                grant_invitations::grant_expires_at.eq(request.expires_at),
                grant_invitations::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        return Ok(id);
    }
    Ok(crate::with_backend!(conn, |c| diesel::insert_into(
        grant_invitations::table
    )
    .values((
        grant_invitations::email.eq(request.email.as_str()),
        grant_invitations::email_key.eq(&key),
        grant_invitations::role_id.eq(checked.role.id),
        grant_invitations::org_id.eq(checked.org_id),
        grant_invitations::project_id.eq(checked.project_id),
        grant_invitations::descendants.eq(checked.descendants),
        grant_invitations::grant_expires_at.eq(request.expires_at),
        grant_invitations::invited_by.eq(inviter),
        grant_invitations::created_at.eq(now),
        grant_invitations::expires_at.eq(expires_at),
    ))
    .returning(grant_invitations::id)
    .get_result(c))?)
}

/// Mails the account that uses the invited email a link to its invitations.
fn tell(conn: &mut Conn, inviter: i64, person: &User, org_id: i64) -> Result<()> {
    let inviter = match user::find(conn, inviter) {
        Ok(u) => u.display_name,
        Err(Error::NotFound) => "An administrator".into(),
        Err(e) => return Err(e),
    };
    let org_name = org::find(conn, org_id)?.name;
    let link = mail::public_link(conn, "/invitations")?;
    let message = mail::Invite {
        to: &person.email,
        name: &person.display_name,
        inviter: &inviter,
        org: &org_name,
        link: &link,
        days: INVITATION_DAYS,
        brand: &crate::domain::context::mail_brand(conn, person.org_id)?,
    }
    .to_role()?;
    mail::enqueue(conn, &message, Some(person.id)).map(|_| ())
}

/// Still open: neither accepted, declined nor revoked, and not run out.
type PendingAt = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::And<
            diesel::dsl::IsNull<grant_invitations::accepted_at>,
            diesel::dsl::IsNull<grant_invitations::declined_at>,
        >,
        diesel::dsl::IsNull<grant_invitations::revoked_at>,
    >,
    diesel::dsl::Gt<grant_invitations::expires_at, NaiveDateTime>,
>;

fn pending_at(now: NaiveDateTime) -> PendingAt {
    grant_invitations::accepted_at
        .is_null()
        .and(grant_invitations::declined_at.is_null())
        .and(grant_invitations::revoked_at.is_null())
        .and(grant_invitations::expires_at.gt(now))
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = grant_invitations)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role_id: i64,
    pub org_id: i64,
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub grant_expires_at: Option<NaiveDateTime>,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// A pending invitation as shown: with its role, place and inviter named.
#[derive(Clone, Debug)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub role: String,
    /// The org's name, or the project's ("project X").
    pub place: String,
    pub invited_by: String,
}

fn views(conn: &mut Conn, rows: Vec<Invitation>) -> Result<Vec<InvitationView>> {
    let mut out = Vec::with_capacity(rows.len());
    for inv in rows {
        let role = match role::find(conn, inv.role_id) {
            Ok(r) => r.name,
            Err(Error::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let place = match inv.project_id {
            Some(p) => match project::find(conn, p) {
                Ok(p) => format!("project {}", p.name),
                Err(Error::NotFound) => continue,
                Err(e) => return Err(e),
            },
            None => match org::find(conn, inv.org_id) {
                Ok(o) => o.name,
                Err(Error::NotFound) => continue,
                Err(e) => return Err(e),
            },
        };
        let invited_by = match user::find(conn, inv.invited_by) {
            Ok(u) => u.display_name,
            Err(Error::NotFound) => "An administrator".into(),
            Err(e) => return Err(e),
        };
        out.push(InvitationView {
            invitation: inv,
            role,
            place,
            invited_by,
        });
    }
    Ok(out)
}

/// The pending invitations to `me`'s email, newest first.
pub fn pending_for(conn: &mut Conn, me: &User) -> Result<Vec<InvitationView>> {
    let rows = grant_invitations::table
        .filter(grant_invitations::email_key.eq(validate::key(&me.email)))
        .filter(pending_at(db::now()))
        .order(grant_invitations::id.desc())
        .select(Invitation::as_select())
        .load(conn)?;
    views(conn, rows)
}

/// One page of the pending invitations made at `org_id` (its projects
/// included), newest first, with the number of all; for those who may manage
/// access there (inside its border), else not found.
pub fn pending_at_org(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<InvitationView>, i64)> {
    require_manage(access, org_id)?;
    let now = db::now();
    let query = || {
        grant_invitations::table
            .filter(grant_invitations::org_id.eq(org_id))
            .filter(pending_at(now))
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(grant_invitations::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Invitation::as_select())
        .load(conn)?;
    Ok((views(conn, rows)?, total))
}

fn require_manage(access: &Access, org_id: i64) -> Result<()> {
    if access.sees_inside(org_id) && access.can(Permission::AccessManage, org_id) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The pending invitation `id` to `me`'s email; anything else — someone
/// else's, answered, revoked, run out, or none — is not found.
fn pending_to(conn: &mut Conn, me: &User, id: i64) -> Result<Invitation> {
    grant_invitations::table
        .find(id)
        .filter(grant_invitations::email_key.eq(validate::key(&me.email)))
        .filter(pending_at(db::now()))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Accepts invitation `id` as `me` (signed in with the invited email): checks
/// again that it is pending and that the inviter — still active — may still
/// grant it, judged by the inviter's own access in the current snapshot (the
/// whole [`grant::check_request`] and [`grant::require_not_self`]); then makes
/// the grant through [`grant::create`] (audited `grant.created`, with the
/// inviter as granter). Already holding the same grant only closes the
/// invitation.
pub fn accept_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    me: &User,
    id: i64,
) -> Result<Option<Grant>> {
    let inv = pending_to(conn, me, id)?;
    let stale = || {
        Error::Forbidden(
            "This invitation can no longer be accepted: the person who sent it may not grant \
             this role any more."
                .into(),
        )
    };
    match user::find(conn, inv.invited_by) {
        Ok(u) if u.is_active() => {}
        Ok(_) | Err(Error::NotFound) => return Err(stale()),
        Err(e) => return Err(e),
    }
    let inviter = Access {
        user_id: inv.invited_by,
        snapshot: access.snapshot.clone(),
    };
    let scope = match inv.project_id {
        Some(p) => Scope::Project(p),
        None => Scope::Org(inv.org_id),
    };
    let checked = match grant::check_request(
        conn,
        &inviter,
        inv.role_id,
        scope,
        inv.descendants,
        inv.grant_expires_at,
    ) {
        Ok(c) if c.org_id == inv.org_id => c,
        Ok(_) | Err(Error::NotFound | Error::Forbidden(_) | Error::Validation(_)) => {
            return Err(stale());
        }
        Err(e) => return Err(e),
    };
    grant::require_not_self(conn, &inviter, Holder::User(me.id))?;
    let made = match grant::create(
        conn,
        actor,
        &checked.new_grant(Holder::User(me.id), inv.grant_expires_at),
    ) {
        Ok(g) => {
            diesel::update(grants::table.find(g.id))
                .set(grants::granted_by.eq(inv.invited_by))
                .execute(conn)?;
            Some(grant::find(conn, g.id)?)
        }
        Err(Error::Duplicate(_)) => None,
        Err(e) => return Err(e),
    };
    diesel::update(grant_invitations::table.find(inv.id))
        .set(grant_invitations::accepted_at.eq(db::now()))
        .execute(conn)?;
    Ok(made)
}

/// Declines invitation `id` as `me`; not found unless pending to `me`.
pub fn decline_as(conn: &mut Conn, actor: &Actor, me: &User, id: i64) -> Result<()> {
    let inv = pending_to(conn, me, id)?;
    diesel::update(grant_invitations::table.find(inv.id))
        .set(grant_invitations::declined_at.eq(db::now()))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new(
            "grant.invitation_declined",
            Target::GrantInvitation,
            Some(inv.id),
        )
        .org(inv.org_id),
    )
}

/// Withdraws a pending invitation: for those who may manage access at its
/// org; anything else is not found.
pub fn revoke_as(conn: &mut Conn, access: &Access, actor: &Actor, id: i64) -> Result<Invitation> {
    let inv = grant_invitations::table
        .find(id)
        .filter(pending_at(db::now()))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    require_manage(access, inv.org_id)?;
    diesel::update(grant_invitations::table.find(inv.id))
        .set(grant_invitations::revoked_at.eq(db::now()))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new(
            "grant.invitation_revoked",
            Target::GrantInvitation,
            Some(inv.id),
        )
        .org(inv.org_id)
        .before(json!({"email": inv.email, "role_id": inv.role_id})),
    )?;
    Ok(inv)
}

/// The one sentence both faces answer with when the person was not visible.
pub fn sent_message(role: &Role) -> String {
    format!(
        "An invitation to take the role {} here was sent. If an account uses this email, its \
         owner can accept it; nothing tells who has an account.",
        role.name
    )
}
