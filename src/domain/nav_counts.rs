//! The numbers the navigation shows on every page (unread notifications,
//! pending approvals), kept per person between changes: worked out once per
//! resolver snapshot (the authz epoch: grants, privacy, the tree) and
//! `nav_epoch` (bumped by database triggers on approval parts, assignments,
//! team members, notifications and people's or projects' orgs), so a page
//! costs one primary-key read for them instead of an aggregate over every
//! pending part of the installation.

use diesel::prelude::*;

use crate::authz::Access;
use crate::authz::memo::{MemoKey, MemoKind};
use crate::db::{Conn, schema::nav_epoch};
use crate::domain::approval::{self, Approver};
use crate::error::Result;

/// The numbers the navigation shows next to the bell and "Approvals".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NavCounts {
    pub unread: i64,
    pub approvals: usize,
    /// Whether the person approves anything at all (the shell offers the
    /// inbox only then).
    pub approves: bool,
}

const KIND: MemoKind = MemoKind::Other("nav_counts");

/// The change counter the counts are kept against.
pub fn epoch(conn: &mut Conn) -> Result<i64> {
    Ok(nav_epoch::table
        .find(1)
        .select(nav_epoch::value)
        .first(conn)?)
}

/// The person's navigation numbers, as [`compute`] works them out.
pub fn of(conn: &mut Conn, access: &Access) -> Result<NavCounts> {
    let key = MemoKey::new(KIND, access.me(), epoch(conn)?, 0);
    let memo = access.snapshot.memo();
    if let Some(kept) = memo.get::<NavCounts>(&key) {
        return Ok(*kept);
    }
    let counts = compute(conn, access)?;
    memo.put(key, counts, 1);
    Ok(counts)
}

/// The numbers read afresh from the database.
pub fn compute(conn: &mut Conn, access: &Access) -> Result<NavCounts> {
    let approver = Approver::load(conn, access)?;
    Ok(NavCounts {
        unread: crate::domain::notification::unread_count(conn, access)?,
        approvals: approval::pending_count(conn, &approver)?,
        approves: approver.approves_anything(),
    })
}
