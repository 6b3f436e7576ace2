//! "Who has access here?": the grants that reach an org, with where each comes
//! from. Reads the tree from the resolver's snapshot so privacy borders apply
//! exactly as they do for decisions.

use serde::Serialize;

use crate::authz::Snapshot;
use crate::db::{self, Conn};
use crate::domain::grant;
use crate::error::Result;

#[derive(Clone, Debug, Serialize)]
pub struct Principal {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scope {
    pub org_id: i64,
    pub org_name: String,
    pub descendants: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccessItem {
    pub grant_id: i64,
    pub principal: Principal,
    pub role: String,
    pub role_id: i64,
    pub scope: Scope,
    /// `direct` for a grant made here, `inherited` for one made above.
    pub via: &'static str,
    pub expires_at: Option<String>,
}

/// Every live grant that reaches `org_id`: made here, or above it with "and below"
/// and not stopped by a privacy border.
pub fn effective_at(conn: &mut Conn, snapshot: &Snapshot, org_id: i64) -> Result<Vec<AccessItem>> {
    let tree = snapshot.tree();
    let path = tree.path(org_id);
    let now = db::now();
    let mut items: Vec<AccessItem> = grant::list(conn, Some(&path), None)?
        .into_iter()
        .filter(|g| !g.is_expired(now))
        .filter_map(|g| {
            let at = g.grant.org_id?;
            if !tree.grant_reaches(at, g.grant.descendants, org_id) {
                return None;
            }
            let principal = match (g.grant.user_id, g.grant.group_id) {
                (Some(id), _) => Principal {
                    kind: "user",
                    id,
                    name: g.user_name.clone().unwrap_or_default(),
                    email: g.user_email.clone(),
                },
                (None, Some(id)) => Principal {
                    kind: "group",
                    id,
                    name: g.group_name.clone().unwrap_or_default(),
                    email: None,
                },
                (None, None) => return None,
            };
            Some(AccessItem {
                grant_id: g.grant.id,
                principal,
                role: g.role.clone(),
                role_id: g.grant.role_id,
                scope: Scope {
                    org_id: at,
                    org_name: g.org_name.clone().unwrap_or_default(),
                    descendants: g.grant.descendants,
                },
                via: if at == org_id { "direct" } else { "inherited" },
                expires_at: g.grant.expires_at.map(|t| t.and_utc().to_rfc3339()),
            })
        })
        .collect();
    // Nearest first: grants made here, then each ancestor upward.
    items.sort_by_key(|i| (std::cmp::Reverse(tree.depth_of(i.scope.org_id)), i.grant_id));
    Ok(items)
}

/// A decision in words, naming roles and orgs.
pub fn describe(
    conn: &mut Conn,
    decision: &crate::authz::Decision,
    perm: crate::authz::Permission,
) -> Result<String> {
    use crate::authz::Reason;
    let org_name = |conn: &mut Conn, id: i64| -> Result<String> {
        Ok(crate::domain::org::find(conn, id)
            .map(|o| o.name)
            .unwrap_or_else(|_| format!("org {id}")))
    };
    Ok(match &decision.reason {
        Reason::Granted => {
            let mut parts = Vec::new();
            for via in &decision.via {
                let role = crate::domain::role::find(conn, via.role_id)
                    .map(|r| r.name)
                    .unwrap_or_default();
                let at = org_name(conn, via.org_id)?;
                let reach = if via.descendants {
                    " and below"
                } else {
                    " only"
                };
                parts.push(format!("{role} at {at}{reach} (grant {})", via.grant_id));
            }
            format!("Allowed: {perm} comes from {}.", parts.join("; "))
        }
        Reason::HomeMembership => "Allowed: everyone sees their own home organization.".into(),
        Reason::UnknownUser => "Denied: no such user.".into(),
        Reason::UnknownOrg => "Denied: no such organization.".into(),
        Reason::UserDeactivated => "Denied: the user is deactivated.".into(),
        Reason::OrgArchived { org_id } => {
            format!(
                "Denied: {} is archived, so nothing in it can change.",
                org_name(conn, *org_id)?
            )
        }
        Reason::BlockedByPrivacy { org_id } => format!(
            "Denied: privacy mode at {} stops grants made above it.",
            org_name(conn, *org_id)?
        ),
        Reason::GrantExpired { grant_id } => {
            format!("Denied: grant {grant_id} would allow it, but it has expired.")
        }
        Reason::NoGrant => format!("Denied: no grant gives {perm} here."),
    })
}
