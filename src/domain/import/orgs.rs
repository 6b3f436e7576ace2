//! One row of an orgs file: created under its parent, or found by code and
//! brought up to date (fields, and its place when the parent differs).

use super::sheet::{Row, Sheet};
use super::{Ctx, Done, Outcome, required};
use crate::authz::Permission;
use crate::db::Conn;
use crate::domain::org::{self, Org, OrgDraft, OrgValues};
use crate::error::{FieldErrors, Result};

pub const COLUMNS: &[&str] = &[
    "code",
    "name",
    "parent",
    "kind",
    "description",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "country",
    "postal_code",
    "phone",
    "website",
    "email_domains",
    "tags",
];
pub const REQUIRED: &[&str] = &["code", "name", "parent"];

/// The draft a row asks for: its cells over `current` (an empty cell leaves a
/// field as it is).
fn draft_of(row: &Row, sheet: &Sheet<impl std::io::Read>, current: OrgDraft) -> OrgDraft {
    let cell = |name: &str, now: String| match row.get(sheet.column(name)) {
        "" => now,
        value => value.to_string(),
    };
    OrgDraft {
        name: cell("name", current.name),
        code: cell("code", current.code),
        kind: cell("kind", current.kind),
        description: cell("description", current.description),
        address_line1: cell("address_line1", current.address_line1),
        address_line2: cell("address_line2", current.address_line2),
        city: cell("city", current.city),
        state: cell("state", current.state),
        country: cell("country", current.country),
        postal_code: cell("postal_code", current.postal_code),
        phone: cell("phone", current.phone),
        website: cell("website", current.website),
        email_domains: cell("email_domains", current.email_domains),
        tags: cell("tags", current.tags),
    }
}

/// The fields `values` would change on `org`, by column name.
fn changes(org: &Org, values: &OrgValues) -> Vec<&'static str> {
    let pairs = [
        ("name", org.name == values.name),
        ("code", org.code == values.code),
        ("kind", org.kind == values.kind),
        ("description", org.description == values.description),
        ("address_line1", org.address_line1 == values.address_line1),
        ("address_line2", org.address_line2 == values.address_line2),
        ("city", org.city == values.city),
        ("state", org.state == values.state),
        ("country", org.country == values.country),
        ("postal_code", org.postal_code == values.postal_code),
        ("phone", org.phone == values.phone),
        ("website", org.website == values.website),
        (
            "email_domains",
            org.email_domains == values.email_domains.join(","),
        ),
        ("tags", org.tags == values.tags.join(",")),
    ];
    pairs
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
}

pub(super) fn apply(
    conn: &mut Conn,
    ctx: &mut Ctx,
    sheet: &Sheet<impl std::io::Read>,
    row: &Row,
) -> Result<Done> {
    let code = required(row, sheet.column("code"), "code")?;
    let code = org::parse_code(code).map_err(|m| FieldErrors::single("code", m))?;
    let parent = match row.get(sheet.column("parent")) {
        "" => None,
        named => Some(ctx.org_named(conn, "parent", named)?),
    };
    match ctx.org_by_code(conn, &code)? {
        Some(id) => {
            let current = org::find(conn, id)?;
            update(conn, ctx, sheet, row, current, parent)
        }
        // One out of sight reads as none; `create` then finds the code taken.
        None => create(conn, ctx, sheet, row, parent),
    }
}

fn create(
    conn: &mut Conn,
    ctx: &mut Ctx,
    sheet: &Sheet<impl std::io::Read>,
    row: &Row,
    parent: Option<i64>,
) -> Result<Done> {
    required(row, sheet.column("name"), "name")?;
    let parent = parent.ok_or_else(|| {
        FieldErrors::single("parent", "Name the parent by its code or by its path.")
    })?;
    ctx.require(Permission::OrgCreate, parent)?;
    let values = draft_of(row, sheet, OrgDraft::default()).validate()?;
    let created = org::create(conn, &ctx.who.actor, parent, &values)?;
    ctx.created_under(created.id, parent);
    Ok((Outcome::Create, String::new()))
}

fn update(
    conn: &mut Conn,
    ctx: &mut Ctx,
    sheet: &Sheet<impl std::io::Read>,
    row: &Row,
    current: Org,
    parent: Option<i64>,
) -> Result<Done> {
    let draft = draft_of(row, sheet, OrgDraft::from_org(&current));
    let values = draft.validate()?;
    let mut changed = changes(&current, &values);
    let moving = parent.filter(|p| Some(*p) != current.parent_id);
    if let Some(new_parent) = moving {
        // As `POST /orgs/{id}/move`: org.move where it is, org.create where it goes.
        match current.parent_id {
            Some(old) => ctx.require(Permission::OrgMove, old)?,
            None => ctx.require(Permission::OrgMove, current.id)?,
        }
        ctx.require(Permission::OrgCreate, new_parent)?;
        org::move_to(conn, &ctx.who.actor, current.id, new_parent, None)?;
        changed.push("parent");
    }
    if changed.is_empty() {
        return Ok((Outcome::Unchanged, String::new()));
    }
    if changed.iter().any(|c| *c != "parent") {
        if ctx.created.contains_key(&current.id) {
            ctx.require(Permission::OrgEdit, current.id)?;
            org::update(conn, &ctx.who.actor, current.id, &values, None)?;
        } else {
            org::update_as(conn, ctx.access(), &ctx.who.actor, current.id, &draft, None)?;
        }
    }
    Ok((Outcome::Update, format!("Changed: {}.", changed.join(", "))))
}
