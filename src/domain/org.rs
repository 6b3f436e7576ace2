//! Organizations: the tree every tenant lives in. Adjacency (`parent_id`) is the
//! truth; `org_closure` mirrors it in the same transaction for subtree queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::{
    self, Conn,
    schema::{org_closure, org_settings, orgs, users},
};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::{epoch, validate};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = orgs)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: String,
    pub kind: String,
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
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Org {
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }

    pub fn is_archived(&self) -> bool {
        self.status == STATUS_ARCHIVED
    }

    pub fn kind_label(&self) -> &'static str {
        OrgKind::parse(&self.kind).map_or("Other", OrgKind::label)
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

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_ARCHIVED: &str = "archived";

/// What kind of organization a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKind {
    Customer,
    Manufacturer,
    Distributor,
    SalesCompany,
    Region,
    Department,
    Site,
    Other,
}

impl OrgKind {
    pub const ALL: &'static [OrgKind] = &[
        OrgKind::Customer,
        OrgKind::Manufacturer,
        OrgKind::Distributor,
        OrgKind::SalesCompany,
        OrgKind::Region,
        OrgKind::Department,
        OrgKind::Site,
        OrgKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Customer => "customer",
            OrgKind::Manufacturer => "manufacturer",
            OrgKind::Distributor => "distributor",
            OrgKind::SalesCompany => "sales_company",
            OrgKind::Region => "region",
            OrgKind::Department => "department",
            OrgKind::Site => "site",
            OrgKind::Other => "other",
        }
    }

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

    pub fn parse(s: &str) -> Option<OrgKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s.trim())
    }
}

/// An org's editable fields as typed (forms and JSON), before validation.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrgDraft {
    pub name: String,
    pub code: String,
    pub kind: String,
    pub description: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    /// Separated by commas, spaces or new lines.
    pub email_domains: String,
    /// Separated by commas.
    pub tags: String,
}

impl OrgDraft {
    pub fn from_org(org: &Org) -> Self {
        OrgDraft {
            name: org.name.clone(),
            code: org.code.clone(),
            kind: org.kind.clone(),
            description: org.description.clone(),
            address_line1: org.address_line1.clone(),
            address_line2: org.address_line2.clone(),
            city: org.city.clone(),
            state: org.state.clone(),
            country: org.country.clone(),
            postal_code: org.postal_code.clone(),
            phone: org.phone.clone(),
            website: org.website.clone(),
            email_domains: org.email_domains.replace(',', ", "),
            tags: org.tags.replace(',', ", "),
        }
    }

    /// Validates every field, collecting a message per field.
    pub fn validate(&self) -> Result<OrgValues> {
        let mut errors = FieldErrors::new();
        let mut line = |field: &str, raw: &str, what: &str, max: usize| {
            validate::optional_line(raw, what, max).unwrap_or_else(|m| {
                errors.add(field, m);
                String::new()
            })
        };
        let address_line1 = line("address_line1", &self.address_line1, "Address line 1", 200);
        let address_line2 = line("address_line2", &self.address_line2, "Address line 2", 200);
        let city = line("city", &self.city, "City", 100);
        let state = line("state", &self.state, "State", 100);
        let country = line("country", &self.country, "Country", 100);
        let postal_code = line("postal_code", &self.postal_code, "Postal code", 20);
        let phone = line("phone", &self.phone, "Phone", 50);
        let website = line("website", &self.website, "Website", 300);
        let name = parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let code = parse_code(&self.code)
            .map_err(|m| errors.add("code", m))
            .unwrap_or_default();
        let kind = if self.kind.trim().is_empty() {
            OrgKind::Other
        } else {
            OrgKind::parse(&self.kind).unwrap_or_else(|| {
                errors.add("kind", "Choose one of the listed kinds.");
                OrgKind::Other
            })
        };
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        let web_address = website.starts_with("https://") || website.starts_with("http://");
        if !website.is_empty() && !web_address {
            errors.add("website", "Enter a full address starting with https://.");
        }
        let email_domains = parse_domains(&self.email_domains)
            .map_err(|m| errors.add("email_domains", m))
            .unwrap_or_default();
        let tags = parse_tags(&self.tags)
            .map_err(|m| errors.add("tags", m))
            .unwrap_or_default();
        errors.into_result()?;
        Ok(OrgValues {
            name,
            code,
            kind,
            description,
            address_line1,
            address_line2,
            city,
            state,
            country,
            postal_code,
            phone,
            website,
            email_domains,
            tags,
        })
    }
}

/// Validated org fields.
#[derive(Clone, Debug)]
pub struct OrgValues {
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
    pub email_domains: Vec<String>,
    pub tags: Vec<String>,
}

/// An org name: 1 to 200 characters on one line, no markup.
pub fn parse_name(raw: &str) -> std::result::Result<String, String> {
    let name = validate::required_line(raw, "Name", 200)?;
    if name.contains(['<', '>']) {
        return Err("Name may not contain < or >.".into());
    }
    Ok(name)
}

/// A code: 1 to 32 letters, digits, `-`, `_` or `.`, stored upper-case.
pub fn parse_code(raw: &str) -> std::result::Result<String, String> {
    let code = raw.trim();
    if code.is_empty() {
        return Err("Code is required.".into());
    }
    if code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err("Code must be 1 to 32 letters, digits, - _ or .".into());
    }
    Ok(code.to_ascii_uppercase())
}

fn parse_domains(raw: &str) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|p| !p.is_empty())
    {
        let domain = part.trim().trim_start_matches('@').to_lowercase();
        validate::Email::parse(&format!("x@{domain}"))
            .map_err(|_| format!("{part:?} is not a domain like example.com."))?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    if out.len() > 50 {
        return Err("At most 50 email domains.".into());
    }
    Ok(out)
}

fn parse_tags(raw: &str) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let tag = validate::optional_line(part, "Tag", 50)?;
        if tag.contains(['<', '>']) {
            return Err("Tags may not contain < or >.".into());
        }
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    if out.len() > 50 {
        return Err("At most 50 tags.".into());
    }
    Ok(out)
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
            orgs::kind.eq("other"),
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
        Event::new("org.created", "org", Some(root.id))
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
        .filter(orgs::status.eq(STATUS_ARCHIVED))
        .count()
        .get_result(conn)?;
    Ok(archived > 0)
}

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

/// Any constant, the same everywhere: the key of the advisory lock that
/// serialises changes to the shape of the tree on PostgreSQL.
const TREE_LOCK_KEY: i64 = 0x6361_6e6f_7079_0001;

/// Serialises changes to the tree's shape (moves, new orgs) until the end of
/// the transaction. On PostgreSQL two moves could otherwise each read
/// `org_closure` before the other re-links it and together make a cycle.
/// SQLite already runs one writer at a time (see `Db::write`): nothing to do.
fn lock_tree(conn: &mut Conn) -> Result<()> {
    if let crate::db::AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({TREE_LOCK_KEY})")).execute(pg)?;
    }
    Ok(())
}

/// Keeps the tree's shape still until the end of the transaction while
/// letting other readers of it run: a project write that reads its tenant
/// (`domain::tenant`) cannot interleave with an org move re-tenanting its
/// projects. Nothing to do on SQLite (one writer at a time).
pub(crate) fn lock_tree_shared(conn: &mut Conn) -> Result<()> {
    if let crate::db::AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!(
            "SELECT pg_advisory_xact_lock_shared({TREE_LOCK_KEY})"
        ))
        .execute(pg)?;
    }
    Ok(())
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
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(orgs::table)
        .values((
            orgs::parent_id.eq(Some(parent.id)),
            orgs::name.eq(&values.name),
            orgs::name_key.eq(validate::key(&values.name)),
            orgs::code.eq(&values.code),
            orgs::code_key.eq(validate::key(&values.code)),
            orgs::kind.eq(values.kind.as_str()),
            orgs::description.eq(&values.description),
            orgs::address_line1.eq(&values.address_line1),
            orgs::address_line2.eq(&values.address_line2),
            orgs::city.eq(&values.city),
            orgs::state.eq(&values.state),
            orgs::country.eq(&values.country),
            orgs::postal_code.eq(&values.postal_code),
            orgs::phone.eq(&values.phone),
            orgs::website.eq(&values.website),
            orgs::email_domains.eq(values.email_domains.join(",")),
            orgs::tags.eq(values.tags.join(",")),
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
    epoch::bump_tree(conn)?;
    let org = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("org.created", "org", Some(id))
            .org(id)
            .after(&org),
    )?;
    Ok(org)
}

/// Refuses a stale `version` (none given: no check).
pub(crate) fn check_version(org: &Org, version: Option<i64>) -> Result<()> {
    match version {
        Some(v) if v != org.version => Err(crate::domain::user::stale()),
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
    let changed = diesel::update(
        orgs::table
            .find(id)
            .filter(orgs::version.eq(before.version)),
    )
    .set((
        orgs::name.eq(&values.name),
        orgs::name_key.eq(validate::key(&values.name)),
        orgs::code.eq(&values.code),
        orgs::code_key.eq(validate::key(&values.code)),
        orgs::kind.eq(values.kind.as_str()),
        orgs::description.eq(&values.description),
        orgs::address_line1.eq(&values.address_line1),
        orgs::address_line2.eq(&values.address_line2),
        orgs::city.eq(&values.city),
        orgs::state.eq(&values.state),
        orgs::country.eq(&values.country),
        orgs::postal_code.eq(&values.postal_code),
        orgs::phone.eq(&values.phone),
        orgs::website.eq(&values.website),
        orgs::email_domains.eq(values.email_domains.join(",")),
        orgs::tags.eq(values.tags.join(",")),
        orgs::version.eq(orgs::version + 1),
        orgs::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::domain::user::stale());
    }
    let after = find(conn, id)?;
    if after.name != before.name || after.code != before.code {
        // Names order siblings in the resolver's tour; names and codes are
        // what the org searches read there (`authz::search`).
        epoch::bump_tree(conn)?;
    }
    audit::record(
        conn,
        actor,
        Event::new("org.updated", "org", Some(id))
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
        Err(crate::domain::user::stale())
    } else {
        Ok(())
    }
}

/// True when `id` is `ancestor` or lies below it.
pub fn is_within(conn: &mut Conn, id: i64, ancestor: i64) -> Result<bool> {
    Ok(org_closure::table
        .find((ancestor, id))
        .select(org_closure::depth)
        .first::<i32>(conn)
        .optional()?
        .is_some())
}

/// Moves `id` and its whole subtree under `new_parent_id`.
pub fn move_to(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_parent_id: i64,
    version: Option<i64>,
) -> Result<Org> {
    // Taken before anything is read, so the cycle check sees committed moves.
    lock_tree(conn)?;
    let org = find(conn, id)?;
    check_version(&org, version)?;
    let Some(old_parent) = org.parent_id else {
        return Err(Error::conflict("The root organization cannot be moved."));
    };
    let new_parent = find(conn, new_parent_id)?;
    if is_within(conn, new_parent.id, id)? {
        return Err(Error::Conflict {
            message: "An organization cannot move under itself or one of its own descendants."
                .into(),
            details: Some(serde_json::json!({"reason": "cycle"})),
        });
    }
    if new_parent.id == old_parent {
        return Ok(org);
    }
    if is_frozen(conn, new_parent.id)? {
        return Err(Error::conflict(
            "An archived organization accepts no new organizations.",
        ));
    }
    let taken: Option<i64> = orgs::table
        .filter(orgs::parent_id.eq(new_parent.id))
        .filter(orgs::name_key.eq(validate::key(&org.name)))
        .select(orgs::id)
        .first(conn)
        .optional()?;
    if taken.is_some() {
        return Err(FieldErrors::single(
            "parent_id",
            "The new parent already has an organization with this name.",
        ));
    }
    // Project codes are unique per tenant: a subtree moving to another tenant
    // takes its projects along, and refuses when a code would clash there.
    let old_tenant = crate::domain::tenant::of(conn, id)?;
    let new_tenant = match new_parent.parent_id {
        None => id,
        Some(_) => crate::domain::tenant::of(conn, new_parent.id)?,
    };
    crate::domain::tenant::ensure_move_keeps_codes_unique(conn, id, old_tenant, new_tenant)?;
    touch(conn, &org)?;
    diesel::update(orgs::table.find(id))
        .set(orgs::parent_id.eq(Some(new_parent.id)))
        .execute(conn)?;
    // Re-link the closure: drop the subtree's links to its old ancestors, then
    // link every new ancestor to every subtree member.
    let subtree: Vec<(i64, i32)> = org_closure::table
        .filter(org_closure::ancestor_id.eq(id))
        .select((org_closure::descendant_id, org_closure::depth))
        .load(conn)?;
    let members: Vec<i64> = subtree.iter().map(|(d, _)| *d).collect();
    diesel::delete(
        org_closure::table
            .filter(org_closure::descendant_id.eq_any(&members))
            .filter(org_closure::ancestor_id.ne_all(&members)),
    )
    .execute(conn)?;
    let new_ancestors: Vec<(i64, i32)> = org_closure::table
        .filter(org_closure::descendant_id.eq(new_parent.id))
        .select((org_closure::ancestor_id, org_closure::depth))
        .load(conn)?;
    for (ancestor, a_depth) in &new_ancestors {
        for (member, m_depth) in &subtree {
            diesel::insert_into(org_closure::table)
                .values((
                    org_closure::ancestor_id.eq(ancestor),
                    org_closure::descendant_id.eq(member),
                    org_closure::depth.eq(a_depth + m_depth + 1),
                ))
                .execute(conn)?;
        }
    }
    if new_tenant != old_tenant {
        crate::domain::tenant::move_projects(conn, id, new_tenant)?;
    }
    epoch::bump_tree(conn)?;
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("org.moved", "org", Some(id))
            .org(id)
            .before(serde_json::json!({"parent_id": old_parent}))
            .after(serde_json::json!({"parent_id": new_parent.id, "subtree_size": members.len()})),
    )?;
    Ok(after)
}

/// Archives (`true`) or restores (`false`) an org; the root never.
pub fn set_archived(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    archived: bool,
    version: Option<i64>,
) -> Result<Org> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    let Some(parent) = org.parent_id else {
        return Err(Error::conflict("The root organization cannot be archived."));
    };
    if org.is_archived() == archived {
        return Ok(org);
    }
    if !archived && is_frozen(conn, parent)? {
        return Err(Error::conflict(
            "Its parent is archived: restore the parent first.",
        ));
    }
    touch(conn, &org)?;
    let status = if archived {
        STATUS_ARCHIVED
    } else {
        STATUS_ACTIVE
    };
    diesel::update(orgs::table.find(id))
        .set(orgs::status.eq(status))
        .execute(conn)?;
    epoch::bump_tree(conn)?;
    let action = if archived {
        "org.archived"
    } else {
        "org.restored"
    };
    audit::record(
        conn,
        actor,
        Event::new(action, "org", Some(id))
            .org(id)
            .before(serde_json::json!({"status": org.status}))
            .after(serde_json::json!({"status": status})),
    )?;
    find(conn, id)
}

/// Turns privacy mode on or off. (Who may do so is the resolver's business: from
/// outside the border, nobody holds `org.settings` inside it.)
pub fn set_privacy(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    on: bool,
    version: Option<i64>,
) -> Result<Org> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    if org.is_root() {
        return Err(FieldErrors::single(
            "privacy_mode",
            "The root has no ancestors to keep out.",
        ));
    }
    if org.privacy_mode == on {
        return Ok(org);
    }
    if on {
        crate::domain::privacy::require_keepers(conn, id)?;
    }
    touch(conn, &org)?;
    diesel::update(orgs::table.find(id))
        .set(orgs::privacy_mode.eq(on))
        .execute(conn)?;
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.privacy_changed", "org", Some(id))
            .org(id)
            .before(serde_json::json!({"privacy_mode": org.privacy_mode}))
            .after(serde_json::json!({"privacy_mode": on})),
    )?;
    find(conn, id)
}

/// What keeps an org from being deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Blockers {
    pub children: i64,
    pub users: i64,
    pub projects: i64,
    pub teams: i64,
    pub groups: i64,
}

impl Blockers {
    pub fn is_empty(&self) -> bool {
        *self == Blockers::default()
    }

    /// "2 sub-organizations and 1 user", for people.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.children, "sub-organization"),
            (self.users, "user"),
            (self.projects, "project"),
            (self.teams, "team"),
            (self.groups, "group"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
        .collect();
        parts.join(", ")
    }
}

pub fn blockers(conn: &mut Conn, id: i64) -> Result<Blockers> {
    Ok(Blockers {
        children: orgs::table
            .filter(orgs::parent_id.eq(id))
            .count()
            .get_result(conn)?,
        users: users::table
            .filter(users::org_id.eq(id))
            .count()
            .get_result(conn)?,
        projects: crate::domain::project::count_in_org(conn, id)?,
        teams: crate::domain::team::count_in_org(conn, id)?,
        groups: crate::domain::group::count_in_org(conn, id)?,
    })
}

/// Deletes an empty org; otherwise says exactly what blocks it.
pub fn delete(conn: &mut Conn, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    if org.is_root() {
        return Err(Error::conflict("The root organization cannot be deleted."));
    }
    let blocking = blockers(conn, id)?;
    if !blocking.is_empty() {
        return Err(Error::Conflict {
            message: format!(
                "This organization is not empty: it has {}.",
                blocking.describe()
            ),
            details: Some(serde_json::json!({"blocking": blocking})),
        });
    }
    use crate::db::schema::grants;
    let revoked: Vec<i64> = grants::table
        .filter(grants::org_id.eq(id))
        .select(grants::id)
        .load(conn)?;
    diesel::delete(grants::table.filter(grants::org_id.eq(id))).execute(conn)?;
    // Custom roles defined here were usable only in this (now empty) subtree,
    // so no grant elsewhere can hold them: they go with the org.
    use crate::db::schema::roles;
    let own_roles: Vec<(i64, String)> = roles::table
        .filter(roles::org_id.eq(id))
        .select((roles::id, roles::name))
        .load(conn)?;
    // A subtree moved away earlier may still hold one of them.
    let still_held: i64 = grants::table
        .filter(grants::role_id.eq_any(own_roles.iter().map(|(r, _)| *r).collect::<Vec<_>>()))
        .count()
        .get_result(conn)?;
    if still_held > 0 {
        return Err(Error::conflict(format!(
            "Custom roles defined here are still held elsewhere ({still_held} grant(s)); \
             revoke those first."
        )));
    }
    let dropped_roles: Vec<String> = own_roles.into_iter().map(|(_, name)| name).collect();
    diesel::delete(roles::table.filter(roles::org_id.eq(id))).execute(conn)?;
    diesel::delete(org_settings::table.filter(org_settings::org_id.eq(id))).execute(conn)?;
    diesel::delete(org_closure::table.filter(org_closure::descendant_id.eq(id))).execute(conn)?;
    diesel::delete(orgs::table.find(id)).execute(conn)?;
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.deleted", "org", Some(id))
            .org(org.parent_id.unwrap_or(id))
            .before(&org)
            .after(serde_json::json!({"revoked_grants": revoked, "deleted_roles": dropped_roles})),
    )
}

/// The children of an org, in name order.
pub fn children(conn: &mut Conn, parent_id: i64) -> Result<Vec<Org>> {
    Ok(orgs::table
        .filter(orgs::parent_id.eq(parent_id))
        .order(orgs::name_key)
        .select(Org::as_select())
        .load(conn)?)
}

/// The ids of the children of an org, in name order (the tree pages them
/// after keeping those the viewer may see). Served by the
/// `orgs_sibling_name (parent_id, name_key)` index: it reads one parent's
/// children, never the tree.
pub fn child_ids_in_order(conn: &mut Conn, parent_id: i64) -> Result<Vec<i64>> {
    Ok(orgs::table
        .filter(orgs::parent_id.eq(parent_id))
        .order((orgs::name_key, orgs::id))
        .select(orgs::id)
        .load(conn)?)
}

/// Orgs by id (in no particular order).
pub fn find_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Org>> {
    let mut out = Vec::with_capacity(ids.len());
    // Chunked: both backends limit the number of bound parameters.
    for chunk in ids.chunks(500) {
        out.extend(
            orgs::table
                .filter(orgs::id.eq_any(chunk))
                .select(Org::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// `(parent, child)` for every child of each of `ids` (the tree page counts
/// those the viewer may see).
pub fn child_ids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    let rows: Vec<(Option<i64>, i64)> = orgs::table
        .filter(orgs::parent_id.eq_any(ids))
        .select((orgs::parent_id, orgs::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, c)| Some((p?, c)))
        .collect())
}

/// Number of users whose home is each of `ids`.
pub fn user_counts(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    use diesel::dsl::count_star;
    Ok(users::table
        .filter(users::org_id.eq_any(ids))
        .group_by(users::org_id)
        .select((users::org_id, count_star()))
        .load(conn)?)
}

/// Users per org across the subtree of `id`, for roll-ups (the caller keeps only
/// the orgs its viewer may see inside).
pub fn subtree_user_counts(conn: &mut Conn, id: i64) -> Result<Vec<(i64, i64)>> {
    use diesel::dsl::count_star;
    Ok(users::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
        .filter(org_closure::ancestor_id.eq(id))
        .group_by(users::org_id)
        .select((users::org_id, count_star()))
        .load(conn)?)
}

/// The tour positions of the orgs whose name or code contains `q`
/// (case-insensitive; `%` and `_` dropped, as the searches always did) where
/// `access` holds `perm` by `Access::org_scope`, outside the subtree of
/// `not_within` when given: matched in memory over the names and codes the
/// resolver's tree keeps (`authz::search`), the scope's ranges only.
fn matching_in_scope(
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
    not_within: Option<i64>,
) -> Vec<u32> {
    let tree = access.snapshot.tree();
    let needle = validate::key(q).replace(['%', '_'], "");
    let scope = access.org_scope(perm);
    let mut found = Vec::new();
    if scope.is_whole_tree(tree) {
        tree.text()
            .matches(&needle, 0, tree.len() as u32, &mut found);
    } else {
        let mut roots: Vec<(u32, u32)> = scope.roots.iter().filter_map(|r| tree.span(*r)).collect();
        roots.sort_unstable();
        for (from, to) in roots {
            tree.text().matches(&needle, from, to, &mut found);
        }
        let mut hidden: Vec<(u32, u32)> =
            scope.hidden.iter().filter_map(|h| tree.span(*h)).collect();
        hidden.sort_unstable();
        found.retain(|pos| {
            let i = hidden.partition_point(|h| h.0 <= *pos);
            !(i > 0 && *pos < hidden[i - 1].1)
        });
    }
    if let Some((from, to)) = not_within.and_then(|id| tree.span(id)) {
        found.retain(|pos| *pos < from || *pos >= to);
    }
    found
}

/// The ids of the orgs in the subtrees of `roots` (roots included), as a
/// subquery for `eq_any` / `ne_all`: how lists narrow to an `OrgScope` in SQL.
pub fn subtree_ids(
    roots: Vec<i64>,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<org_closure::table, diesel::dsl::EqAny<org_closure::ancestor_id, Vec<i64>>>,
    org_closure::descendant_id,
> {
    org_closure::table
        .filter(org_closure::ancestor_id.eq_any(roots))
        .select(org_closure::descendant_id)
}

/// The first `limit` orgs (in name order) matching `q` where `access` holds
/// `perm`, outside the subtree of `not_within` when given.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
    not_within: Option<i64>,
    limit: i64,
) -> Result<Vec<Org>> {
    let tree = access.snapshot.tree();
    let text = tree.text();
    let mut found: Vec<(&str, i64)> = matching_in_scope(access, perm, q, not_within)
        .into_iter()
        .map(|pos| (text.name(pos), tree.at_position(pos)))
        .collect();
    let limit = usize::try_from(limit).unwrap_or(0);
    if found.len() > limit {
        found.select_nth_unstable(limit);
        found.truncate(limit);
    }
    found.sort_unstable();
    let needle = validate::key(q);
    let ids: Vec<i64> = found
        .into_iter()
        .filter(|(name_key, id)| found_fairly(access, perm, *id, name_key, &needle))
        .map(|(_, id)| id)
        .collect();
    let mut orgs = find_many(conn, &ids)?;
    orgs.sort_by_key(|o| ids.iter().position(|id| *id == o.id));
    Ok(orgs)
}

/// Whether a search hit may be shown. The scope never covers more than `can`
/// allows, but checking again is cheap; and an org seen by name only (behind
/// a privacy border) is found by its name, never by its code, which is not
/// the viewer's to know.
fn found_fairly(
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    id: i64,
    name_key: &str,
    needle: &str,
) -> bool {
    access.can(perm, id) && (name_key.contains(needle) || access.sees_inside(id))
}

/// The ids of every org matching `q` where `access` holds `perm`.
pub fn search_visible_ids(
    _conn: &mut Conn,
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
) -> Result<Vec<i64>> {
    let tree = access.snapshot.tree();
    let needle = validate::key(q);
    Ok(matching_in_scope(access, perm, q, None)
        .into_iter()
        .map(|pos| (tree.text().name(pos), tree.at_position(pos)))
        .filter(|(name_key, id)| found_fairly(access, perm, *id, name_key, &needle))
        .map(|(_, id)| id)
        .collect())
}

/// Orgs that list the email's domain among their email domains (the suggested
/// home for a new user with that address).
pub fn with_email_domain(conn: &mut Conn, email: &str) -> Result<Vec<Org>> {
    let Some((_, domain)) = email.trim().rsplit_once('@') else {
        return Ok(vec![]);
    };
    let domain = domain.to_lowercase();
    if domain.is_empty() {
        return Ok(vec![]);
    }
    let candidates: Vec<Org> = orgs::table
        .filter(orgs::email_domains.like(format!("%{}%", domain.replace(['%', '_'], ""))))
        .select(Org::as_select())
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|o| o.email_domain_list().iter().any(|d| *d == domain))
        .collect())
}

/// Counts for an org and its whole subtree (SPEC 1 "Roll-up"), limited to
/// what the person sees inside: private parts they may not enter count for
/// nothing.
#[derive(Clone, Debug, Default)]
pub struct Rollup {
    pub sub_orgs: usize,
    pub own_users: i64,
    pub subtree_users: i64,
    pub projects: i64,
    /// Minutes logged this month on the subtree's projects.
    pub minutes_this_month: i64,
}

pub fn rollup(
    conn: &mut Conn,
    access: &crate::authz::Access,
    id: i64,
    today: chrono::NaiveDate,
) -> Result<Rollup> {
    crate::domain::rollup::of(conn, access, id, today)
}
