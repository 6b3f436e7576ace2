//! Organizations: the tree every tenant lives in. Adjacency (`parent_id`) is the
//! truth; `org_closure` mirrors it in the same transaction for subtree queries.
//!
//! This file holds the org record, its kind and the root; the rest is one file
//! per action: `acting` (each change decided for a person, for both faces), `form` (typed input and its validation), `edit` (create and
//! update), `moving` (the tree lock and moves), `lifecycle` (archive, privacy,
//! delete), `tree` (reads of the tree and its counts) and `search`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::{
    self, Conn,
    schema::{org_closure, orgs},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::validate;
use crate::error::Result;

mod acting;
pub mod domains;
mod edit;
mod form;
mod lifecycle;
mod moving;
mod search;
pub mod table;
mod tree;

pub use acting::{
    OrgFieldsPatch, OrgPatch, create_as, move_as, patch_as, set_archived_as, set_privacy_as,
    update_as,
};
pub use edit::{ORG_CODE_TAKEN, create, update};
pub(crate) use edit::{check_version, touch};
pub use form::{OrgDraft, OrgValues, parse_code, parse_domains, parse_name};
pub use lifecycle::{
    Blockers, blockers, delete, delete_as, require_may_delete, set_archived, set_privacy,
};
pub(crate) use moving::lock_tree_shared;
pub use moving::{is_within, move_to};
pub use search::{search_visible, search_visible_ids};
pub use tree::{
    Rollup, child_ids, child_ids_in_order, children, find_many, rollup, subtree_ids,
    subtree_user_counts, user_counts, with_email_domain,
};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = orgs)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: String,
    pub kind: OrgKind,
    pub description: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    pub email_domains: String,
    pub tags: String,
    pub privacy_mode: bool,
    pub status: OrgStatus,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Org {
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }

    pub fn is_archived(&self) -> bool {
        self.status == OrgStatus::Archived
    }

    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    pub fn email_domain_list(&self) -> Vec<&str> {
        split_list(&self.email_domains)
    }

    pub fn tag_list(&self) -> Vec<&str> {
        split_list(&self.tags)
    }
}

fn split_list(stored: &str) -> Vec<&str> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

crate::text_enum! {
    /// Whether an org is open or archived (`orgs.status`); archiving freezes
    /// its subtree.
    pub enum OrgStatus {
        Active = "active",
        Archived = "archived",
    }
}

crate::text_enum! {
    /// What kind of organization a node is (`orgs.kind`).
    pub enum OrgKind {
        Customer = "customer",
        Manufacturer = "manufacturer",
        Distributor = "distributor",
        SalesCompany = "sales_company",
        Region = "region",
        Department = "department",
        Site = "site",
        Other = "other",
    }
}

impl OrgKind {
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Customer => "Customer",
            OrgKind::Manufacturer => "Manufacturer",
            OrgKind::Distributor => "Distributor",
            OrgKind::SalesCompany => "Sales company",
            OrgKind::Region => "Region",
            OrgKind::Department => "Department",
            OrgKind::Site => "Site",
            OrgKind::Other => "Other",
        }
    }
}

pub const ROOT_CODE: &str = "ROOT";

/// The root org, created (with its closure row) if the installation has none.
pub fn ensure_root(conn: &mut Conn, name: &str) -> Result<Org> {
    if let Some(root) = find_root(conn)? {
        return Ok(root);
    }
    let name =
        validate::required_line(name, "Root name", 200).unwrap_or_else(|_| "Root".to_string());
    let now = db::now();
    diesel::insert_into(orgs::table)
        .values((
            orgs::parent_id.eq(None::<i64>),
            orgs::name.eq(&name),
            orgs::name_key.eq(validate::key(&name)),
            orgs::code.eq(ROOT_CODE),
            orgs::code_key.eq(validate::key(ROOT_CODE)),
            orgs::kind.eq(OrgKind::Other),
            orgs::created_at.eq(now),
            orgs::updated_at.eq(now),
        ))
        .execute(conn)?;
    let root = find_root(conn)?.ok_or(crate::Error::NotFound)?;
    diesel::insert_into(org_closure::table)
        .values((
            org_closure::ancestor_id.eq(root.id),
            org_closure::descendant_id.eq(root.id),
            org_closure::depth.eq(0),
        ))
        .execute(conn)?;
    crate::domain::epoch::bump_tree(conn)?;
    audit::record(
        conn,
        &Actor::system(),
        Event::new("org.created", Target::Org, Some(root.id))
            .org(root.id)
            .after(&root),
    )?;
    Ok(root)
}

pub fn find_root(conn: &mut Conn) -> Result<Option<Org>> {
    Ok(orgs::table
        .filter(orgs::parent_id.is_null())
        .select(Org::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Org> {
    Ok(orgs::table.find(id).select(Org::as_select()).first(conn)?)
}

/// True when the org or one of its ancestors is archived: nothing new goes in.
pub fn is_frozen(conn: &mut Conn, id: i64) -> Result<bool> {
    let archived: i64 = org_closure::table
        .inner_join(orgs::table.on(orgs::id.eq(org_closure::ancestor_id)))
        .filter(org_closure::descendant_id.eq(id))
        .filter(orgs::status.eq(OrgStatus::Archived))
        .count()
        .get_result(conn)?;
    Ok(archived > 0)
}
