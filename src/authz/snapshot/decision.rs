//! A decision with its reason and the grants behind it (`explain`).

/// Why a decision came out as it did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Allowed by the grants in `via`.
    Granted,
    /// Allowed: every active user may see their own home org.
    HomeMembership,
    UnknownUser,
    UnknownOrg,
    UserDeactivated,
    /// The org (or an ancestor) is archived and the permission changes things.
    OrgArchived {
        org_id: i64,
    },
    /// A grant would reach, but privacy mode at `org_id` stops it.
    BlockedByPrivacy {
        org_id: i64,
    },
    /// A grant would reach, but it expired.
    GrantExpired {
        grant_id: i64,
    },
    NoGrant,
}

/// A grant that takes part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Via {
    pub grant_id: i64,
    pub role_id: i64,
    /// The org the grant was made at.
    pub org_id: i64,
    pub descendants: bool,
    pub group_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    pub via: Vec<Via>,
}

impl Decision {
    pub(super) fn denied(reason: Reason) -> Self {
        Decision {
            allowed: false,
            reason,
            via: vec![],
        }
    }
}
