//! A new customer in one pass (the guided flow beside the org tree): the
//! org with its details, its first admin invited with a role there, and
//! the roles its admins may assign. Each step is the one a person would
//! take by hand, with its own rules: `org::create` after `org.create` at
//! the parent, `account::invite` after `user.manage` there, `grant::grant_as`
//! (the one grant rule: no escalation) and `settings::change`. Everything
//! typed is checked first; the steps then run in the caller's transaction,
//! so a later step refused undoes the earlier ones and nothing is half-done.

use std::sync::Arc;

use serde_json::json;

use crate::authz::{Access, Permission};
use crate::db::{self, Conn};
use crate::domain::audit::Actor;
use crate::domain::grant::{self, GrantRequest, Holder, Scope};
use crate::domain::org::{self, Org, OrgDraft};
use crate::domain::role::Role;
use crate::domain::user::{NewUser, NewUserInput, User, UserStatus};
use crate::domain::{account, epoch, settings};
use crate::error::{Error, FieldErrors, Result};

/// The flow's form as typed (the parent already resolved by its picker).
#[derive(Clone, Debug, Default)]
pub struct CustomerInput {
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: String,
    pub kind: String,
    pub tags: String,
    pub admin_email: String,
    pub admin_name: String,
    pub role_id: String,
    /// The roles the new org's admins may assign; none chosen: inherit.
    pub assignable: Vec<i64>,
}

/// What the flow made.
pub struct CustomerMade {
    pub org: Org,
    pub admin: User,
    pub role: Role,
}

/// Moves each message of a step's error to the flow's field: `renames`
/// maps the step's own field names; anything else goes to `field`.
fn to_field(err: Error, field: &str, renames: &[(&str, &str)]) -> Error {
    let name = |k: &str| {
        renames
            .iter()
            .find(|(from, _)| *from == k)
            .map_or(field.to_string(), |(_, to)| to.to_string())
    };
    let moved = |f: FieldErrors| {
        let mut out = FieldErrors::new();
        for (k, m) in f.0 {
            out.add(&name(&k), m);
        }
        out
    };
    match err {
        Error::Validation(f) => Error::Validation(moved(f)),
        Error::Duplicate(f) => Error::Duplicate(moved(f)),
        Error::Forbidden(m) => FieldErrors::single(field, m),
        Error::NotFound => FieldErrors::single(
            field,
            match field {
                "role_id" => "There is no such role here.",
                "parent" => "There is no such organization.",
                _ => "Not found.",
            },
        ),
        other => other,
    }
}

const ORG_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("code", "code"),
    ("kind", "kind"),
    ("tags", "tags"),
];
const ADMIN_FIELDS: &[(&str, &str)] = &[("email", "admin_email"), ("display_name", "admin_name")];

/// Checks everything typed, with a message per field: the parent (where
/// the person may create orgs, else as if it did not exist), the org's
/// details, the admin's email and name, the role.
fn check(access: &Access, input: &CustomerInput) -> Result<(i64, org::OrgValues, i64)> {
    let mut errors = FieldErrors::new();
    let mut keep = |e: Error, field: &str, renames: &[(&str, &str)]| -> Result<()> {
        match to_field(e, field, renames) {
            Error::Validation(f) | Error::Duplicate(f) => {
                for (k, m) in f.0 {
                    errors.add(&k, m);
                }
                Ok(())
            }
            other => Err(other),
        }
    };
    let parent = match input.parent_id {
        None => {
            keep(
                FieldErrors::single("parent", "Choose where the customer goes."),
                "parent",
                &[],
            )?;
            None
        }
        Some(p) => match access.require(Permission::OrgCreate, p) {
            Ok(()) => Some(p),
            Err(e) => {
                keep(e, "parent", &[])?;
                None
            }
        },
    };
    let draft = OrgDraft {
        name: input.name.clone(),
        code: input.code.clone(),
        kind: input.kind.clone(),
        tags: input.tags.clone(),
        ..OrgDraft::default()
    };
    let values = match draft.validate() {
        Ok(v) => Some(v),
        Err(e) => {
            keep(e, "name", ORG_FIELDS)?;
            None
        }
    };
    let admin = NewUserInput {
        org_id: parent,
        email: input.admin_email.clone(),
        display_name: input.admin_name.clone(),
        ..NewUserInput::default()
    };
    if let Err(e) = admin.parse() {
        keep(
            e,
            "admin_email",
            &[("org_id", "parent"), ADMIN_FIELDS[0], ADMIN_FIELDS[1]],
        )?;
    }
    let role_id = input.role_id.trim().parse::<i64>().ok();
    if role_id.is_none() {
        errors.add("role_id", "Choose the role the admin gets there.");
    }
    errors.into_result()?;
    match (parent, values, role_id) {
        (Some(p), Some(v), Some(r)) => Ok((p, v, r)),
        _ => Err(Error::internal("checked input lost a field")),
    }
}

/// Makes the customer as `access`'s person, in the caller's transaction:
/// see the module. `base_url` is where the invitation links to.
pub fn create_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    input: &CustomerInput,
    base_url: &str,
) -> Result<CustomerMade> {
    let (parent, values, role_id) = check(access, input)?;
    let new =
        org::create(conn, actor, parent, &values).map_err(|e| to_field(e, "name", ORG_FIELDS))?;
    let email = crate::domain::validate::Email::parse(&input.admin_email)
        .map_err(|m| FieldErrors::single("admin_email", m))?;
    let invited = NewUser {
        org_id: new.id,
        email,
        display_name: crate::domain::user::parse_display_name(&input.admin_name)
            .map_err(|m| FieldErrors::single("admin_name", m))?,
        job_title: String::new(),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let admin = account::invite(conn, actor, invited, base_url)
        .map_err(|e| to_field(e, "admin_email", ADMIN_FIELDS))?;
    // The new org and person exist only in this transaction: the later
    // steps decide on a resolver built from it (never kept, so nothing of
    // it outlives a rollback).
    let now_epoch = epoch::authz(conn)?;
    let here = Access {
        user_id: access.user_id,
        snapshot: Arc::new(crate::authz::store::load(conn, now_epoch, db::now())?),
    };
    here.require(Permission::UserManage, new.id)
        .map_err(|e| to_field(e, "admin_email", &[]))?;
    let request = GrantRequest {
        role_id,
        holder: Holder::User(admin.id),
        scope: Scope::Org(new.id),
        descendants: true,
        expires_at: None,
    };
    let (_, role) =
        grant::grant_as(conn, &here, actor, &request).map_err(|e| to_field(e, "role_id", &[]))?;
    if !input.assignable.is_empty() {
        let change = [(
            settings::ASSIGNABLE_ROLES.to_string(),
            Some(json!(input.assignable)),
        )];
        settings::change(conn, &here, actor, new.id, &change, None)
            .map_err(|e| to_field(e, "assignable", &[]))?;
    }
    let org = org::find(conn, new.id)?;
    Ok(CustomerMade { org, admin, role })
}

/// What the flow made, read back as it is now for the summary page: the
/// org (404 unless visible), its admin if the viewer sees them, the roles
/// they hold there, and the roles its admins may assign (`None`: all the
/// orgs above allow).
pub struct Summary {
    pub org: Org,
    pub admin: Option<User>,
    pub granted: Vec<String>,
    pub assignable: Option<Vec<String>>,
}

pub fn summary(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    admin: Option<i64>,
) -> Result<Summary> {
    access.require_visible(org_id)?;
    let org = org::find(conn, org_id)?;
    let admin = match admin {
        Some(id) => crate::domain::user::find_visible(conn, access, id).ok(),
        None => None,
    };
    let mut granted = Vec::new();
    if let Some(a) = &admin {
        for g in grant::held_by(conn, a.id)? {
            if g.org_id == Some(org_id) {
                granted.push(crate::domain::role::find(conn, g.role_id)?.name);
            }
        }
    }
    let assignable = match settings::assignable_roles(conn, org_id)? {
        Some(ids) => Some(
            ids.into_iter()
                .map(|r| crate::domain::role::find(conn, r).map(|r| r.name))
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    };
    Ok(Summary {
        org,
        admin,
        granted,
        assignable,
    })
}
