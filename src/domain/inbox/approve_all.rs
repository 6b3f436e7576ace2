//! "Approve all N matching": the confirmation records what it saw (each part
//! and its sheet's version), and the approval takes exactly those that still
//! match, in batches, through the single-approval rule.

use super::*;

/// The most parts one "approve all matching" takes; a wider filter is asked
/// to narrow down first.
pub const MAX_APPROVE_ALL: i64 = 5_000;

/// One matching part as the confirmation page saw it: the part and the
/// version of its sheet then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub part_id: i64,
    pub version: i64,
}

impl Seen {
    /// `part.version` pairs separated by spaces or commas, as
    /// [`Seen::encode`] writes them; `None` when any is malformed.
    pub fn parse_list(raw: &str) -> Option<Vec<Seen>> {
        raw.split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|one| {
                let (part, version) = one.split_once('.')?;
                Some(Seen {
                    part_id: part.parse().ok()?,
                    version: version.parse().ok()?,
                })
            })
            .collect()
    }

    pub fn encode(list: &[Seen]) -> String {
        list.iter()
            .map(|s| format!("{}.{}", s.part_id, s.version))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Every part `approver` may decide that `filter` keeps, as the confirmation
/// of "approve all" records them (oldest first), with their number; `None`
/// when there are more than [`MAX_APPROVE_ALL`].
pub fn all_matching(
    conn: &mut Conn,
    approver: &Approver,
    filter: &PendingFilter,
) -> Result<(i64, Option<Vec<Seen>>)> {
    let scope = Scope::of(conn, approver)?;
    let total = count_in(conn, &scope, filter)?;
    if total > MAX_APPROVE_ALL {
        return Ok((total, None));
    }
    let rows: Vec<(i64, i64)> = matching!(joined!(), &scope, filter)
        .order((timesheets::submitted_at.asc(), approval_parts::id.asc()))
        .select((approval_parts::id, timesheets::version))
        .load(conn)?;
    Ok((
        total,
        Some(
            rows.into_iter()
                .map(|(part_id, version)| Seen { part_id, version })
                .collect(),
        ),
    ))
}

/// What "approve all" did: how many parts it approved, and how many it
/// skipped because they no longer match (decided, withdrawn, out of the
/// filter or out of the decider's reach), because their sheet changed since
/// the confirmation, or because the single-approval rule refused them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub approved: usize,
    pub no_longer_matching: usize,
    pub changed: usize,
    pub refused: Vec<String>,
}

/// Parts approved in one write transaction: a long approval keeps SQLite's
/// writer lock for a batch at a time, not for the whole list.
pub const BATCH: usize = 200;

/// Approves each of `seen` (one batch, in one transaction: call it inside a
/// write) that still matches `filter` for `approver` and whose sheet is still
/// at the version seen, through the same rule and audit as a single approval
/// (`timesheet::approve`); the rest is skipped and counted. A part whose
/// approval fails is rolled back alone (a savepoint) and counted.
pub fn approve_seen(
    conn: &mut Conn,
    actor: &Actor,
    approver: &Approver,
    filter: &PendingFilter,
    seen: &[Seen],
) -> Result<BulkOutcome> {
    let mut outcome = BulkOutcome::default();
    let scope = Scope::of(conn, approver)?;
    let ids: Vec<i64> = seen.iter().map(|s| s.part_id).collect();
    // Still matching, as of now: part → (sheet, project, sheet version).
    let now: HashMap<i64, (i64, Option<i64>, i64)> = if scope.is_empty() {
        HashMap::new()
    } else {
        matching!(joined!(), &scope, filter)
            .filter(approval_parts::id.eq_any(ids))
            .select((
                approval_parts::id,
                timesheets::id,
                approval_parts::project_id,
                timesheets::version,
            ))
            .load::<(i64, i64, Option<i64>, i64)>(conn)?
            .into_iter()
            .map(|(part, sheet, project, version)| (part, (sheet, project, version)))
            .collect()
    };
    // The version each sheet is at, moved on by our own approvals.
    let mut at: HashMap<i64, i64> = HashMap::new();
    let mut done: HashSet<i64> = HashSet::new();
    for s in seen {
        if !done.insert(s.part_id) {
            continue;
        }
        let Some(&(sheet, project, version)) = now.get(&s.part_id) else {
            outcome.no_longer_matching += 1;
            continue;
        };
        if version != s.version {
            outcome.changed += 1;
            continue;
        }
        let current = *at.entry(sheet).or_insert(version);
        let approved = conn.transaction(|conn| {
            crate::domain::timesheet::approve(
                conn,
                actor,
                approver,
                sheet,
                project.map(ProjectId),
                Some(current),
            )
        });
        match approved {
            Ok(after) => {
                at.insert(sheet, after.version);
                outcome.approved += 1;
            }
            Err(e) if e.is_internal() => return Err(e),
            Err(Error::Conflict { .. }) => outcome.changed += 1,
            Err(e) => outcome.refused.push(e.to_string()),
        }
    }
    Ok(outcome)
}
