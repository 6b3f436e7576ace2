//! Access pages: "may U do P at X, and why?", the directory of people and groups,
//! custom roles at an org, and the access preview of an org move.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::orgs::OrgHeader;
use super::users::{org_paths, with_org_paths};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::snapshot::{AccessChange, access_changes};
use crate::authz::{Permission, store};
use crate::domain::access as access_domain;
use crate::domain::group::{self, Group};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::role::{self, CustomRoleInput, Role};
use crate::domain::user::{self, User, UserFilter};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(explain)
        .service(directory)
        .service(roles_tab)
        .service(create_role)
        .service(edit_role_form)
        .service(edit_role)
        .service(delete_role)
        .service(move_preview);
}

#[derive(Template)]
#[template(path = "access/explain.html")]
struct ExplainPage {
    layout: Layout,
    user_picker: super::pick::Picker,
    org_picker: super::pick::Picker,
    permissions: &'static [Permission],
    query: ExplainQuery,
    errors: FieldErrors,
    answer: Option<Answer>,
}

struct Answer {
    allowed: bool,
    subject: String,
    text: String,
}

#[derive(Default, Deserialize, Clone)]
struct ExplainQuery {
    user_id: Option<i64>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    permission: String,
    /// As typed into the org picker (a code, a path or an id).
    #[serde(default)]
    org_id: String,
}

/// `GET /access/explain?email=&permission=&org_id=`: anyone may ask about
/// themselves; asking about others needs `access.view` at the org.
#[get("/access/explain")]
async fn explain(me: SignedIn, query: web::Query<ExplainQuery>) -> Result<HttpResponse, PageError> {
    let mut q = query.into_inner();
    let (access, lookup) = (me.access.clone(), q.clone());
    let (picked, subject) = me
        .db()
        .read(move |conn| look_up(conn, &access, &lookup))
        .await?;
    if let Some(s) = &subject {
        q.email = s.email.clone();
    }
    let mut errors = FieldErrors::new();
    let asked = !q.org_id.trim().is_empty() || !q.permission.is_empty();
    let mut answer = None;
    if let Some((perm, org_id, who)) = asked
        .then(|| question(&me, &q, &picked, subject, &mut errors))
        .flatten()
    {
        answer = Some(explain_to(&me, perm, org_id, who).await?);
    }
    let status = crate::web::error::status_for(&errors);
    let org_value = match &picked {
        Ok(Some((_, value))) => value.clone(),
        _ => q.org_id.clone(),
    };
    let page = ExplainPage {
        layout: me.ctx.layout("Explain access", "access")?,
        user_picker: super::pick::Picker::user("email", "Person (blank for yourself)")
            .value(q.email.clone())
            .errors(&errors),
        org_picker: super::pick::Picker::org("org_id", "Organization", Permission::OrgView)
            .value(org_value)
            .errors(&errors),
        permissions: Permission::ALL,
        query: q,
        errors,
        answer,
    };
    Ok(render(status, &page))
}

/// The org picked (its id and the picker's value for it), or why not.
type Picked = Result<Option<(i64, String)>, FieldErrors>;

/// The org and the person the question names, as the asker may see them.
fn look_up(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    lookup: &ExplainQuery,
) -> crate::error::Result<(Picked, Option<User>)> {
    use crate::domain::pick;
    // Any org the asker sees; an unknown or hidden one answers alike.
    let picked = match pick::org(conn, access, Permission::OrgView, "org_id", &lookup.org_id) {
        Ok(Some(id)) => Ok(Some((id, pick::org_field_value(conn, access, id)?))),
        Ok(None) => Ok(None),
        Err(Error::Validation(e)) => Err(e),
        Err(e) => return Err(e),
    };
    // The person picker: an email or an id (`domain::pick::user`).
    let subject: Option<User> = match (lookup.user_id, lookup.email.trim()) {
        (Some(id), _) => user::find_visible(conn, access, id).ok(),
        (None, "") => None,
        (None, typed) => match pick::user(conn, access, "email", typed) {
            Ok(Some(id)) => user::find_visible(conn, access, id).ok(),
            Ok(None) | Err(Error::Validation(_)) => None,
            Err(e) => return Err(e),
        },
    };
    Ok((picked, subject))
}

/// The question asked (permission, org, person), or `None` with `errors`
/// saying what is missing or not the asker's to ask.
fn question(
    me: &SignedIn,
    q: &ExplainQuery,
    picked: &Picked,
    subject: Option<User>,
    errors: &mut FieldErrors,
) -> Option<(Permission, i64, User)> {
    let perm = q
        .permission
        .parse::<Permission>()
        .map_err(|_| errors.add("permission", "Choose a permission."))
        .ok();
    let org_id = match picked {
        Ok(Some((id, _))) => Some(*id),
        Ok(None) => {
            errors.add("org_id", "Choose an organization.");
            None
        }
        Err(e) => {
            errors.add("org_id", e.get("org_id").unwrap_or_default());
            None
        }
    };
    // A user id or email naming no one the asker may see answers the same.
    let who = match (subject, q.email.trim().is_empty() && q.user_id.is_none()) {
        (Some(s), _) => Some(s),
        (None, true) => Some(me.user.clone()),
        (None, false) => {
            errors.add("email", crate::domain::pick::UNKNOWN_USER);
            None
        }
    };
    let (perm, org_id, who) = (perm?, org_id?, who?);
    if who.id != me.user.id && !me.access.can(Permission::AccessView, org_id) {
        errors.add(
            "org_id",
            "Asking about someone else needs access.view there.",
        );
        return None;
    }
    Some((perm, org_id, who))
}

/// The resolver's decision for `who`, in words.
async fn explain_to(
    me: &SignedIn,
    perm: Permission,
    org_id: i64,
    who: User,
) -> Result<Answer, PageError> {
    let decision = me
        .access
        .snapshot
        .explain(UserId(who.id), perm, OrgId(org_id));
    let (d, viewer) = (decision.clone(), me.access.clone());
    let text = me
        .db()
        .read(move |conn| access_domain::describe(conn, &viewer, &d, perm))
        .await?;
    Ok(Answer {
        allowed: decision.allowed,
        subject: who.display_name,
        text,
    })
}

#[derive(Template)]
#[template(path = "access/directory.html")]
struct DirectoryPage {
    layout: Layout,
    q: String,
    page: usize,
    pages: usize,
    total: usize,
    group_total: usize,
    people: Vec<(User, String, Vec<String>)>,
    groups: Vec<(Group, String)>,
}

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    page: Option<String>,
}

const DIRECTORY_PER_PAGE: usize = 25;

/// `GET /directory?q=`: people and groups the viewer may see, across all their orgs.
#[get("/directory")]
async fn directory(
    me: SignedIn,
    query: web::Query<DirectoryQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.q.clone().unwrap_or_default();
    let (access, needle) = (me.access.clone(), q.trim().to_lowercase());
    let page_no = super::page_number(query.page.as_deref());
    let offset = crate::http::page_offset(page_no, DIRECTORY_PER_PAGE);
    let limit = DIRECTORY_PER_PAGE as i64;
    let (people, groups, total, group_total) = me
        .db()
        .read(move |conn| {
            if needle.is_empty() {
                return Ok((vec![], vec![], 0, 0));
            }
            // People and groups page side by side: page N shows the Nth slice
            // of each, both found and counted in SQL within the viewer's scope.
            let (people, total) = directory_people(conn, &access, &needle, offset, limit)?;
            let (groups, group_total) = directory_groups(conn, &access, &needle, offset, limit)?;
            Ok((people, groups, total, group_total))
        })
        .await?;
    page(&DirectoryPage {
        layout: me.ctx.layout("Directory", "users")?,
        q,
        page: page_no,
        pages: total.max(group_total).div_ceil(DIRECTORY_PER_PAGE).max(1),
        total,
        group_total,
        people,
        groups,
    })
}

/// A person in the directory: where they live, and their roles the viewer
/// may know of (their own, or at orgs with `access.view`).
type DirectoryPerson = (User, String, Vec<String>);

/// One page of the people `needle` finds, with their number.
fn directory_people(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    needle: &str,
    offset: i64,
    limit: i64,
) -> crate::error::Result<(Vec<DirectoryPerson>, usize)> {
    let filter = UserFilter {
        q: Some(needle.to_string()),
        ..Default::default()
    };
    let (users, total) = user::visible_page(conn, access, &filter, offset, limit)?;
    let org_ids: Vec<i64> = users.iter().map(|u| u.org_id).collect();
    let paths = org_paths(conn, access, &org_ids)?;
    let mut people = Vec::new();
    for u in users {
        let roles: Vec<String> = crate::domain::grant::known_to(conn, access, u.id)?
            .into_iter()
            .map(|g| format!("{} at {}", g.role, g.org_name.unwrap_or_default()))
            .collect();
        let path = paths.get(&u.org_id).cloned().unwrap_or_default();
        people.push((u, path, roles));
    }
    Ok((people, total as usize))
}

/// One page of the groups `needle` finds, each with where it lives, and
/// their number.
fn directory_groups(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    needle: &str,
    offset: i64,
    limit: i64,
) -> crate::error::Result<(Vec<(Group, String)>, usize)> {
    let (found, total) = group::search_visible(
        conn,
        access,
        &crate::domain::validate::Contains::key(needle),
        None,
        offset,
        limit,
    )?;
    let groups = with_org_paths(conn, access, found, |g| g.org_id)?;
    Ok((groups, total as usize))
}

#[derive(Template)]
#[template(path = "access/roles_tab.html")]
struct RolesTab {
    layout: Layout,
    h: OrgHeader,
    roles: Vec<RoleRow>,
    permissions: &'static [Permission],
    input: RoleForm,
    errors: FieldErrors,
    can_define: bool,
}

/// A role as the roles tab lists it.
struct RoleRow {
    role: Role,
    /// The org a custom role was defined at, when the viewer may see it.
    defined_at: Option<(i64, String)>,
    may_delete: bool,
}

#[derive(Default, Deserialize)]
struct RoleForm {
    #[serde(default)]
    name: String,
    /// Repeated `permission` fields from the checkboxes.
    #[serde(default)]
    permission: Vec<String>,
}

async fn render_roles(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    input: RoleForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, roles) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "roles")?;
            if !h.can.inside {
                return Err(Error::NotFound);
            }
            let mut rows = Vec::new();
            for r in role::usable_at_org(conn, id)? {
                // Where a custom role was defined is named only when visible;
                // deleting it is offered only to those who may manage access there.
                let (defined_at, may_delete) = match r.org_id {
                    Some(o) if access.can(Permission::OrgView, o) => (
                        Some((o, crate::domain::org::find(conn, o)?.name)),
                        access.can(Permission::AccessManage, o),
                    ),
                    _ => (None, false),
                };
                rows.push(RoleRow {
                    role: r,
                    defined_at,
                    may_delete,
                });
            }
            Ok((h, rows))
        })
        .await?;
    Ok(render(
        status,
        &RolesTab {
            layout: me.ctx.layout(format!("{} · Roles", h.org.name), "orgs")?,
            can_define: me.access.can(Permission::AccessManage, id),
            h,
            roles,
            permissions: Permission::ALL,
            input,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/roles`: roles usable here; custom ones may be defined.
#[get("/orgs/{id}/roles")]
async fn roles_tab(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_roles(
        &me,
        id.into_inner(),
        StatusCode::OK,
        RoleForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/roles`: define a custom role (no permission one does not hold).
#[post("/orgs/{id}/roles")]
async fn create_role(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let input = RoleForm::from_pairs(form.into_inner());
    let asked = CustomRoleInput {
        name: input.name.clone(),
        permissions: input.permission.clone(),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| role::create_custom_as(conn, &access, &actor, id, &asked))
        .await;
    let (status, errors) = match outcome {
        Ok(r) => {
            let defined = format!("Role {} is defined here and below.", r.name);
            me.ctx.flash("success", defined)?;
            return see_other(&format!("/orgs/{id}/roles"));
        }
        // A permission one may not grant: said next to the permissions.
        Err(e @ Error::Forbidden(_)) => (
            StatusCode::FORBIDDEN,
            FieldErrors::of("permissions", e.to_string()),
        ),
        Err(Error::Validation(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(e) => return Err(e.into()),
    };
    render_roles(&me, id, status, input, errors).await
}

impl RoleForm {
    /// The form as posted: a name and repeated `permission` checkboxes.
    fn from_pairs(pairs: Vec<(String, String)>) -> RoleForm {
        let mut input = RoleForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => input.name = v,
                "permission" => input.permission.push(v),
                _ => {}
            }
        }
        input
    }
}

#[derive(Template)]
#[template(path = "access/role_edit.html")]
struct RoleEditPage {
    layout: Layout,
    role: Role,
    org_id: i64,
    permissions: &'static [Permission],
    input: RoleForm,
    errors: FieldErrors,
}

async fn render_role_edit(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    input: Option<RoleForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (role, org_id) = me
        .db()
        .read(move |conn| role::require_editable(conn, &access, id))
        .await?;
    let input = input.unwrap_or_else(|| RoleForm {
        name: role.name.clone(),
        permission: role
            .permission_set()
            .iter()
            .map(|p| p.name().to_string())
            .collect(),
    });
    Ok(render(
        status,
        &RoleEditPage {
            layout: me.ctx.layout(format!("Edit {}", role.name), "orgs")?,
            role,
            org_id,
            permissions: Permission::ALL,
            input,
            errors,
        },
    ))
}

/// `GET /roles/{id}/edit`.
#[get("/roles/{id}/edit")]
async fn edit_role_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_role_edit(
        &me,
        id.into_inner(),
        StatusCode::OK,
        None,
        FieldErrors::new(),
    )
    .await
}

/// `POST /roles/{id}/edit`: rename a custom role or change its permissions.
#[post("/roles/{id}/edit")]
async fn edit_role(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let input = RoleForm::from_pairs(form.into_inner());
    let edit = role::RoleEdit {
        name: Some(input.name.clone()),
        permissions: Some(input.permission.clone()),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| role::update_custom_as(conn, &access, &actor, id, &edit))
        .await;
    match outcome {
        Ok(saved) => {
            let org_id = saved.org_id.unwrap_or_default();
            me.ctx.flash(
                "success",
                "The role is saved; its holders have the new permissions.",
            )?;
            see_other(&format!("/orgs/{org_id}/roles"))
        }
        Err(Error::Validation(e)) => {
            render_role_edit(&me, id, StatusCode::UNPROCESSABLE_ENTITY, Some(input), e).await
        }
        Err(Error::Forbidden(message)) => {
            let errors = FieldErrors::of("permissions", &message);
            render_role_edit(&me, id, StatusCode::FORBIDDEN, Some(input), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /roles/{id}/delete`: a custom role nobody holds.
#[post("/roles/{id}/delete")]
async fn delete_role(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let org_id = me
        .db()
        .write(move |conn| {
            let (_, org_id) = role::require_editable(conn, &access, id)?;
            role::delete_custom(conn, &actor, id)?;
            Ok(org_id)
        })
        .await;
    match org_id {
        Ok(org_id) => {
            me.ctx.flash("success", "The role is deleted.")?;
            see_other(&format!("/orgs/{org_id}/roles"))
        }
        Err(Error::Conflict { message, .. }) => {
            me.ctx.flash("error", message)?;
            see_other("/orgs")
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "access/move_preview.html")]
struct MovePreview {
    layout: Layout,
    h: OrgHeader,
    new_parent: (i64, String),
    changes: Vec<(String, String, AccessChange)>,
}

#[derive(Deserialize)]
struct PreviewQuery {
    /// As typed into the move form's picker (`domain::pick::org`).
    #[serde(default)]
    parent_id: String,
}

/// The move preview's picker: orgs where one may create (the new parent).
const NEW_PARENT: super::pick::Kind = super::pick::Kind::Org(Permission::OrgCreate);
const WHY: &str = "Choose the new parent.";
const UNDER_ITSELF: &str =
    "An organization cannot move under itself or one of its own descendants.";

/// `GET /orgs/{id}/move/preview?parent_id=`: who gains and who loses which access
/// if the org moved there.
#[get("/orgs/{id}/move/preview")]
async fn move_preview(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require_at_parent(Permission::OrgMove, id)?;
    let typed = query.into_inner().parent_id;
    let parent = match super::pick::resolve_required(&me, NEW_PARENT, "parent_id", &typed, WHY)
        .await?
    {
        Ok(parent) => parent,
        Err(e) => {
            return super::orgs::render_move(&me, id, typed, StatusCode::UNPROCESSABLE_ENTITY, e)
                .await;
        }
    };
    let access = me.access.clone();
    let (h, new_parent, changes) = me
        .db()
        .read(move |conn| preview(conn, &access, id, parent))
        .await?;
    let layout = me
        .ctx
        .layout(format!("Move {}: preview", h.org.name), "orgs")?;
    page(&MovePreview {
        layout,
        h,
        new_parent,
        changes,
    })
}

/// The org's header, its new parent (id and path) and who gains and loses
/// what if org `id` moved under `parent`; never under itself.
#[allow(clippy::type_complexity)]
fn preview(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    id: i64,
    parent: i64,
) -> crate::error::Result<(
    OrgHeader,
    (i64, String),
    Vec<(String, String, AccessChange)>,
)> {
    if access.snapshot.tree().is_within(parent, id) {
        return Err(Error::conflict(UNDER_ITSELF));
    }
    let h = OrgHeader::load(conn, access, id, "overview")?;
    let changes = changes_if_moved(conn, access, id, parent)?;
    let path = org_paths(conn, access, &[parent])?
        .remove(&parent)
        .unwrap_or_default();
    Ok((h, (parent, path), changes))
}

/// Who gains and who loses which access if org `id` moved under `parent`;
/// only people the viewer may see are named.
fn changes_if_moved(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    id: i64,
    parent: i64,
) -> crate::error::Result<Vec<(String, String, AccessChange)>> {
    let (before, after) = store::load_with_move(conn, id, parent)?;
    let subtree: Vec<i64> = before
        .tree()
        .ids_in_order()
        .filter(|o| before.tree().is_within(*o, id))
        .collect();
    let mut changes = Vec::new();
    for c in access_changes(&before, &after, &subtree) {
        if let Ok(u) = user::find_visible(conn, access, c.user_id) {
            changes.push((u.display_name, u.email, c));
        }
    }
    Ok(changes)
}
