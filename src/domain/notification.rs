//! Notifications: what happened that concerns a person, under the bell in the
//! app and as mail through the outbox. Each is written in the transaction of the
//! change it tells about, so it exists exactly when that change does.

use diesel::prelude::*;
use serde::Serialize;

use crate::authz::Access;
use crate::db::{self, Conn, schema::notifications};
use crate::domain::mail::{self, Message};
use crate::domain::user;
use crate::error::{Error, Result};

/// The kinds of notification, as stored and as the API shows them.
pub mod kind {
    use super::NoticeKind;

    pub const APPROVAL_WAITING: NoticeKind = NoticeKind::ApprovalWaiting;
    pub const SHEET_APPROVED: NoticeKind = NoticeKind::SheetApproved;
    pub const SHEET_REJECTED: NoticeKind = NoticeKind::SheetRejected;
    pub const SHEET_REOPENED: NoticeKind = NoticeKind::SheetReopened;
    pub const ADDED_TO_PROJECT: NoticeKind = NoticeKind::AddedToProject;
    pub const ADDED_TO_TEAM: NoticeKind = NoticeKind::AddedToTeam;
    pub const ADDED_TO_GROUP: NoticeKind = NoticeKind::AddedToGroup;
    pub const GRANT_RECEIVED: NoticeKind = NoticeKind::GrantReceived;
    pub const GRANT_LOST: NoticeKind = NoticeKind::GrantLost;
    pub const REMINDER: NoticeKind = NoticeKind::Reminder;
}

crate::text_enum! {
    /// What a notice tells (`notifications.kind`; the API's `kind`).
    pub enum NoticeKind {
        ApprovalWaiting = "approval_waiting",
        SheetApproved = "sheet_approved",
        SheetRejected = "sheet_rejected",
        SheetReopened = "sheet_reopened",
        AddedToProject = "added_to_project",
        AddedToTeam = "added_to_team",
        AddedToGroup = "added_to_group",
        GrantReceived = "grant_received",
        GrantLost = "grant_lost",
        Reminder = "timesheet_reminder",
    }
}

/// Something to tell one person.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// A path inside the app (`/timesheets/…`).
    pub link: String,
    /// Set when the same fact must be told only once (one reminder per week).
    pub dedupe_key: Option<String>,
    /// The org the notice is about: behind a privacy border switched on
    /// later, those outside it no longer read it ([`list`]).
    pub org_id: Option<i64>,
}

impl Notice {
    pub fn new(kind: NoticeKind, title: impl Into<String>, link: impl Into<String>) -> Self {
        Notice {
            kind,
            title: title.into(),
            body: String::new(),
            link: link.into(),
            dedupe_key: None,
            org_id: None,
        }
    }

    /// The org the notice is about.
    pub fn about(mut self, org_id: i64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub link: String,
    #[serde(skip)]
    pub dedupe_key: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub read_at: Option<chrono::NaiveDateTime>,
}

/// Tells `user_id` about `notice`: in the app, and by mail when the account is
/// active. Answers false when a notice with the same dedupe key was already sent.
pub fn send(conn: &mut Conn, user_id: i64, notice: &Notice) -> Result<bool> {
    if let Some(key) = &notice.dedupe_key {
        let seen: i64 = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::dedupe_key.eq(key))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            return Ok(false);
        }
    }
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(notice.kind),
            notifications::title.eq(&notice.title),
            notifications::body.eq(&notice.body),
            notifications::link.eq(&notice.link),
            notifications::dedupe_key.eq(&notice.dedupe_key),
            notifications::org_id.eq(notice.org_id),
            notifications::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    let person = user::find(conn, user_id)?;
    if person.is_active() {
        let link = mail::public_link(conn, &notice.link)?;
        let message = Message::notification(
            &person.email,
            &person.display_name,
            &notice.title,
            &notice.body,
            &link,
            &crate::domain::context::mail_brand(conn, person.org_id)?,
        )?;
        mail::enqueue(conn, &message, Some(user_id))?;
    }
    Ok(true)
}

/// Sends the same notice to several people, each once.
pub fn send_all(conn: &mut Conn, user_ids: &[i64], notice: &Notice) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for &id in user_ids {
        if seen.insert(id) {
            send(conn, id, notice)?;
        }
    }
    Ok(())
}

/// A person's notifications, newest first, and how many there are. Those
/// about an org behind a privacy border the person is outside of, written
/// before the border went up, are left out (`privacy::hidden_before`).
pub fn list(
    conn: &mut Conn,
    access: &Access,
    unread_only: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Notification>, i64)> {
    let hidden = hidden_for(conn, access)?;
    let build = || {
        let mut q = notifications::table
            .filter(notifications::user_id.eq(access.user_id))
            .into_boxed();
        if unread_only {
            q = q.filter(notifications::read_at.is_null());
        }
        for (org, since) in &hidden {
            q = q.filter(
                notifications::org_id
                    .is_null()
                    .or(notifications::org_id.ne(*org))
                    .or(notifications::created_at.ge(*since)),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let items = build()
        .order(notifications::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The orgs of the person's notifications that lie behind a border they are
/// outside of, each with the time the border went up.
fn hidden_for(conn: &mut Conn, access: &Access) -> Result<Vec<(i64, chrono::NaiveDateTime)>> {
    let orgs: Vec<Option<i64>> = notifications::table
        .filter(notifications::user_id.eq(access.user_id))
        .filter(notifications::org_id.is_not_null())
        .select(notifications::org_id)
        .distinct()
        .load(conn)?;
    let orgs: Vec<i64> = orgs.into_iter().flatten().collect();
    crate::domain::privacy::hidden_before(conn, access, &orgs)
}

/// Unread notifications the person may read (as [`list`] counts them).
pub fn unread_count(conn: &mut Conn, access: &Access) -> Result<i64> {
    Ok(list(conn, access, true, 0, 0)?.1)
}

/// Opens the person's notification `id`: marks it read and answers the page
/// it points to. Someone else's, or one a privacy border now hides from
/// them, answers like one that does not exist.
pub fn open(conn: &mut Conn, access: &Access, id: i64) -> Result<String> {
    let found: Option<(String, Option<i64>, chrono::NaiveDateTime)> = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(access.user_id))
        .select((
            notifications::link,
            notifications::org_id,
            notifications::created_at,
        ))
        .first(conn)
        .optional()?;
    let (link, org, created) = found.ok_or(Error::NotFound)?;
    if let Some(org) = org {
        let hidden = crate::domain::privacy::hidden_before(conn, access, &[org])?;
        if hidden.iter().any(|(_, since)| created < *since) {
            return Err(Error::NotFound);
        }
    }
    mark_read(conn, access.user_id, Some(&[id]))?;
    // Links are written by Canopy itself; still, only ever a path here.
    let local = crate::domain::validate::is_local_path(&link);
    Ok(if local { link } else { "/notifications".into() })
}

/// Marks some (`Some(ids)`) or all (`None`) of a person's notifications read.
/// Ids of other people's notifications are ignored. Answers how many changed.
pub fn mark_read(conn: &mut Conn, user_id: i64, ids: Option<&[i64]>) -> Result<usize> {
    let unread = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null());
    let now = db::now();
    Ok(match ids {
        None => diesel::update(unread)
            .set(notifications::read_at.eq(now))
            .execute(conn)?,
        Some(ids) => {
            let mut changed = 0;
            for chunk in ids.chunks(500) {
                changed += diesel::update(unread.filter(notifications::id.eq_any(chunk)))
                    .set(notifications::read_at.eq(now))
                    .execute(conn)?;
            }
            changed
        }
    })
}
