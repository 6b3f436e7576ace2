//! Each change to an org decided for a person, for the page and the API alike:
//! the permission it needs, then the write.

use super::{Org, OrgDraft, create, find, move_to, set_archived, set_privacy, update};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::error::{FieldErrors, Result};

/// Creates a child of `parent_id` as a person: `org.create` there.
pub fn create_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    parent_id: i64,
    draft: &OrgDraft,
) -> Result<Org> {
    access.require(Permission::OrgCreate, parent_id)?;
    create(conn, actor, parent_id, &draft.validate()?)
}

/// Moves an org's subtree under `parent_id` as a person: `org.move` on its
/// current parent, and `org.create` at the new one.
pub fn move_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    parent_id: i64,
    version: Option<i64>,
) -> Result<Org> {
    access.require_at_parent(Permission::OrgMove, id)?;
    access.require(Permission::OrgCreate, parent_id)?;
    move_to(conn, actor, id, parent_id, version)
}

/// Edits an org's fields as a person: `org.edit` there.
pub fn update_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    draft: &OrgDraft,
    version: Option<i64>,
) -> Result<Org> {
    access.require(Permission::OrgEdit, id)?;
    update(conn, actor, id, &draft.validate()?, version)
}

/// Archives or restores an org as a person: `org.delete` on its parent.
pub fn set_archived_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    archived: bool,
    version: Option<i64>,
) -> Result<Org> {
    access.require_at_parent(Permission::OrgDelete, id)?;
    set_archived(conn, actor, id, archived, version)
}

/// Turns privacy mode on or off as a person: `org.settings` there.
pub fn set_privacy_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    on: bool,
    version: Option<i64>,
) -> Result<Org> {
    access.require(Permission::OrgSettings, id)?;
    set_privacy(conn, actor, id, on, version)
}

/// An org's editable fields as a patch: `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct OrgFieldsPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub email_domains: Option<String>,
    pub tags: Option<String>,
}

impl OrgFieldsPatch {
    /// True when the patch changes some field.
    pub fn edits(&self) -> bool {
        [
            &self.name,
            &self.code,
            &self.kind,
            &self.description,
            &self.address_line1,
            &self.address_line2,
            &self.city,
            &self.state,
            &self.country,
            &self.postal_code,
            &self.phone,
            &self.website,
            &self.email_domains,
            &self.tags,
        ]
        .iter()
        .any(|f| f.is_some())
    }

    /// `current` with this patch laid over it.
    fn over(self, current: OrgDraft) -> OrgDraft {
        OrgDraft {
            name: self.name.unwrap_or(current.name),
            code: self.code.unwrap_or(current.code),
            kind: self.kind.unwrap_or(current.kind),
            description: self.description.unwrap_or(current.description),
            address_line1: self.address_line1.unwrap_or(current.address_line1),
            address_line2: self.address_line2.unwrap_or(current.address_line2),
            city: self.city.unwrap_or(current.city),
            state: self.state.unwrap_or(current.state),
            country: self.country.unwrap_or(current.country),
            postal_code: self.postal_code.unwrap_or(current.postal_code),
            phone: self.phone.unwrap_or(current.phone),
            website: self.website.unwrap_or(current.website),
            email_domains: self.email_domains.unwrap_or(current.email_domains),
            tags: self.tags.unwrap_or(current.tags),
        }
    }
}

/// Several changes to one org at once (`PATCH /orgs/{id}`): fields, privacy
/// mode, archived or not; `None` leaves each as it is.
#[derive(Clone, Debug, Default)]
pub struct OrgPatch {
    pub fields: OrgFieldsPatch,
    pub privacy_mode: Option<bool>,
    pub archived: Option<bool>,
    /// Refuse if the org changed since this version.
    pub version: Option<i64>,
}

/// Applies a patch as a person, in one transaction: each part needs what it
/// needs alone ([`update_as`], [`set_privacy_as`], [`set_archived_as`]), all
/// checked before anything is written; an empty patch is refused.
pub fn patch_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    patch: OrgPatch,
) -> Result<Org> {
    access.require_visible(id)?;
    let OrgPatch {
        fields,
        privacy_mode,
        archived,
        mut version,
    } = patch;
    let edits = fields.edits();
    if edits {
        access.require(Permission::OrgEdit, id)?;
    }
    if privacy_mode.is_some() {
        access.require(Permission::OrgSettings, id)?;
    }
    if archived.is_some() {
        access.require_at_parent(Permission::OrgDelete, id)?;
    }
    if !edits && privacy_mode.is_none() && archived.is_none() {
        return Err(FieldErrors::single("body", "Nothing to change."));
    }
    let current = find(conn, id)?;
    // Restore before editing, archive after: an archived org is read-only.
    if archived == Some(false) {
        set_archived(conn, actor, id, false, version.take())?;
    }
    if edits {
        let draft = fields.over(OrgDraft::from_org(&current));
        update(conn, actor, id, &draft.validate()?, version.take())?;
    }
    if let Some(on) = privacy_mode {
        set_privacy(conn, actor, id, on, version.take())?;
    }
    if archived == Some(true) {
        set_archived(conn, actor, id, true, version.take())?;
    }
    find(conn, id)
}
