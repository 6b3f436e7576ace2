//! Creating and updating an org's fields, with the uniqueness of names among
//! siblings and of codes in the installation, and optimistic versions. The
//! email domains listed are kept in step with their claims (`domains`).

use diesel::prelude::*;

use super::domains;
use super::moving::lock_tree;
use super::{Org, OrgKind, OrgValues, find, is_frozen};
use crate::db::{
    self, Conn,
    schema::{org_closure, orgs},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::{epoch, validate};
use crate::error::{Error, FieldErrors, Result};

/// A taken org code. Org codes stay unique in the installation (SPEC: the
/// external id; imports find a parent by code), so a clash cannot be hidden,
/// but the answer is one sentence whoever holds the code: it never says
/// whether that org is visible, in this tenant, or an org at all.
pub const ORG_CODE_TAKEN: &str = "This code is not available: organization codes are unique \
     in the whole installation. Choose another.";

fn ensure_unique(
    conn: &mut Conn,
    parent_id: i64,
    values: &OrgValues,
    except: Option<i64>,
) -> Result<()> {
    let mut errors = FieldErrors::new();
    let mut sibling = orgs::table
        .filter(orgs::parent_id.eq(parent_id))
        .filter(orgs::name_key.eq(validate::key(&values.name)))
        .select(orgs::id)
        .into_boxed();
    let mut code = orgs::table
        .filter(orgs::code_key.eq(validate::key(&values.code)))
        .select(orgs::id)
        .into_boxed();
    if let Some(id) = except {
        sibling = sibling.filter(orgs::id.ne(id));
        code = code.filter(orgs::id.ne(id));
    }
    // A sibling's name is a rule about the name field (422); a taken code is a
    // clash with another record anywhere in the installation (409).
    if sibling.first::<i64>(conn).optional()?.is_some() {
        return Err(FieldErrors::single(
            "name",
            "Another organization here already has this name.",
        ));
    }
    if code.first::<i64>(conn).optional()?.is_some() {
        errors.add("code", ORG_CODE_TAKEN);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Duplicate(errors))
    }
}

/// The columns an org's editable fields fill: one struct, so that create and
/// update write them the same way.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = orgs)]
struct OrgColumns<'a> {
    name: &'a str,
    name_key: String,
    code: &'a str,
    code_key: String,
    kind: OrgKind,
    description: &'a str,
    address_line1: &'a str,
    address_line2: &'a str,
    city: &'a str,
    state: &'a str,
    country: &'a str,
    postal_code: &'a str,
    phone: &'a str,
    website: &'a str,
    email_domains: String,
    tags: String,
}

impl<'a> OrgColumns<'a> {
    fn of(values: &'a OrgValues) -> Self {
        OrgColumns {
            name: &values.name,
            name_key: validate::key(&values.name),
            code: &values.code,
            code_key: validate::key(&values.code),
            kind: values.kind,
            description: &values.description,
            address_line1: &values.address_line1,
            address_line2: &values.address_line2,
            city: &values.city,
            state: &values.state,
            country: &values.country,
            postal_code: &values.postal_code,
            phone: &values.phone,
            website: &values.website,
            email_domains: values.email_domains.join(","),
            tags: values.tags.join(","),
        }
    }
}

/// Creates a child of `parent_id`.
pub fn create(conn: &mut Conn, actor: &Actor, parent_id: i64, values: &OrgValues) -> Result<Org> {
    lock_tree(conn)?;
    let parent = find(conn, parent_id)?;
    if is_frozen(conn, parent.id)? {
        return Err(Error::conflict(
            "An archived organization accepts no new organizations.",
        ));
    }
    ensure_unique(conn, parent.id, values, None)?;
    domains::check_claims(conn, None, &values.email_domains)?;
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(orgs::table)
        .values((
            OrgColumns::of(values),
            orgs::parent_id.eq(Some(parent.id)),
            orgs::created_at.eq(now),
            orgs::updated_at.eq(now),
        ))
        .returning(orgs::id)
        .get_result(c))?;
    // The new org's ancestors are its parent's, one level further, and itself.
    let ancestors: Vec<(i64, i32)> = org_closure::table
        .filter(org_closure::descendant_id.eq(parent.id))
        .select((org_closure::ancestor_id, org_closure::depth))
        .load(conn)?;
    for (ancestor, depth) in ancestors.into_iter().chain([(id, -1)]) {
        diesel::insert_into(org_closure::table)
            .values((
                org_closure::ancestor_id.eq(ancestor),
                org_closure::descendant_id.eq(id),
                org_closure::depth.eq(depth + 1),
            ))
            .execute(conn)?;
    }
    domains::sync(conn, id, &values.email_domains)?;
    epoch::bump_tree(conn)?;
    let org = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("org.created", Target::Org, Some(id))
            .org(id)
            .after(&org),
    )?;
    Ok(org)
}

/// Refuses a stale `version` (none given: no check).
pub(crate) fn check_version(org: &Org, version: Option<i64>) -> Result<()> {
    match version {
        Some(v) if v != org.version => Err(Error::stale()),
        _ => Ok(()),
    }
}

/// Writes new field values (not the place in the tree, status or privacy).
pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &OrgValues,
    version: Option<i64>,
) -> Result<Org> {
    let before = find(conn, id)?;
    check_version(&before, version)?;
    if is_frozen(conn, id)? {
        return Err(Error::conflict(
            "An archived organization is read-only. Restore it first.",
        ));
    }
    if let Some(parent) = before.parent_id {
        ensure_unique(conn, parent, values, Some(id))?;
    } else {
        // The root has no siblings; its code is still unique.
        let taken: Option<i64> = orgs::table
            .filter(orgs::code_key.eq(validate::key(&values.code)))
            .filter(orgs::id.ne(id))
            .select(orgs::id)
            .first(conn)
            .optional()?;
        if taken.is_some() {
            return Err(Error::Duplicate(FieldErrors::of("code", ORG_CODE_TAKEN)));
        }
    }
    domains::check_claims(conn, Some(id), &values.email_domains)?;
    let changed = diesel::update(
        orgs::table
            .find(id)
            .filter(orgs::version.eq(before.version)),
    )
    .set((
        OrgColumns::of(values),
        orgs::version.eq(orgs::version + 1),
        orgs::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Error::stale());
    }
    domains::sync(conn, id, &values.email_domains)?;
    let after = find(conn, id)?;
    if after.name != before.name || after.code != before.code {
        // Names order siblings in the resolver's tour; names and codes are
        // what the org searches read there (`authz::search`).
        epoch::bump_tree(conn)?;
    }
    audit::record(
        conn,
        actor,
        Event::new("org.updated", Target::Org, Some(id))
            .org(id)
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Bumps the version of an org being changed, refusing a stale one.
pub(crate) fn touch(conn: &mut Conn, org: &Org) -> Result<()> {
    let changed = diesel::update(
        orgs::table
            .find(org.id)
            .filter(orgs::version.eq(org.version)),
    )
    .set((
        orgs::version.eq(orgs::version + 1),
        orgs::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        Err(Error::stale())
    } else {
        Ok(())
    }
}
