//! Organization pages: the lazily loaded tree, an org's tabs (overview,
//! sub-organizations, access, settings) and the forms that change the tree.
//! Every button shows only to those who may use it; every handler checks again.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::grant_form::GrantForm;
use super::layout::Layout;
use super::org_tree::{Item, child_items};
use super::pick::{Kind, Picker, resolve_required};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::access::{self as access_domain, AccessItem};
use crate::domain::org::{self, Blockers, Org, OrgDraft, OrgKind};
use crate::domain::{grant, role, settings};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(super::org_tree::configure)
        .service(overview)
        .service(sub_orgs)
        .service(access_tab)
        .service(settings_tab)
        .service(new_form)
        .service(create)
        .service(edit_form)
        .service(edit)
        .service(move_form)
        .service(move_submit)
        .service(archive_form)
        .service(archive)
        .service(restore_form)
        .service(restore)
        .service(delete_form)
        .service(delete_submit)
        .service(set_setting)
        .service(revert_setting)
        .service(add_grant)
        .service(revoke_grant);
}

/// What the signed-in person may do at one org (drives which buttons show).
pub struct Can {
    pub inside: bool,
    pub edit: bool,
    pub create: bool,
    pub move_: bool,
    pub delete: bool,
    pub settings: bool,
    pub access_view: bool,
    pub access_manage: bool,
}

impl Can {
    fn at(access: &Access, org: &Org) -> Can {
        let parent_can = |p: Permission| org.parent_id.is_some_and(|parent| access.can(p, parent));
        Can {
            inside: access.sees_inside(org.id),
            edit: access.can(Permission::OrgEdit, org.id),
            create: access.can(Permission::OrgCreate, org.id),
            move_: parent_can(Permission::OrgMove),
            delete: parent_can(Permission::OrgDelete),
            settings: access.can(Permission::OrgSettings, org.id),
            access_view: access.can(Permission::AccessView, org.id),
            access_manage: access.can(Permission::AccessManage, org.id),
        }
    }
}

/// The top of every org page: breadcrumb, name, tabs.
pub struct OrgHeader {
    pub org: Org,
    /// Visible ancestors, root first.
    pub crumbs: Vec<(i64, String)>,
    pub can: Can,
    pub tab: &'static str,
}

impl OrgHeader {
    pub fn load(
        conn: &mut Conn,
        access: &Access,
        id: i64,
        tab: &'static str,
    ) -> Result<OrgHeader, Error> {
        access.require_visible(id)?;
        let org = org::find(conn, id)?;
        let ancestors: Vec<i64> = access
            .snapshot
            .tree()
            .path(id)
            .into_iter()
            .filter(|a| *a != id && access.can(Permission::OrgView, *a))
            .collect();
        let mut names: HashMap<i64, String> = org::find_many(conn, &ancestors)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let crumbs = ancestors
            .iter()
            .map(|a| (*a, names.remove(a).unwrap_or_default()))
            .collect();
        let can = Can::at(access, &org);
        Ok(OrgHeader {
            org,
            crumbs,
            can,
            tab,
        })
    }

    /// For tabs that show what lies inside the org.
    pub fn require_inside(&self) -> Result<(), Error> {
        if self.can.inside {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/overview.html")]
struct OverviewPage {
    layout: Layout,
    h: OrgHeader,
    rollup: org::Rollup,
}

/// The org's header and its subtree roll-up; outside a privacy border nothing
/// inside is counted or shown.
async fn header_and_rollup(me: &SignedIn, id: i64) -> Result<(OrgHeader, org::Rollup), PageError> {
    let access = me.access.clone();
    Ok(me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "overview")?;
            let rollup = if h.can.inside {
                org::rollup(conn, &access, id, crate::db::now().date())?
            } else {
                org::Rollup::default()
            };
            Ok((h, rollup))
        })
        .await?)
}

/// `GET /orgs/{id}`.
#[get("/orgs/{id}")]
async fn overview(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (h, rollup) = header_and_rollup(&me, id).await?;
    page(&OverviewPage {
        layout: me.ctx.layout(h.org.name.clone(), "orgs")?,
        h,
        rollup,
    })
}

#[derive(Template)]
#[template(path = "orgs/sub_orgs.html")]
struct SubOrgsPage {
    layout: Layout,
    h: OrgHeader,
    items: Vec<Item>,
}

/// `GET /orgs/{id}/sub-orgs`: the first 50 children, "show more" for the rest.
#[get("/orgs/{id}/sub-orgs")]
async fn sub_orgs(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let access = me.access.clone();
    let (h, items) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "sub-orgs")?;
            h.require_inside()?;
            Ok((h, child_items(conn, &access, id, 0)?))
        })
        .await?;
    page(&SubOrgsPage {
        layout: me
            .ctx
            .layout(format!("{} · Sub-organizations", h.org.name), "orgs")?,
        h,
        items,
    })
}

#[derive(Template)]
#[template(path = "orgs/access.html")]
struct AccessPage {
    layout: Layout,
    h: OrgHeader,
    /// One page of the grants here and inherited that the viewer may see.
    items: Vec<AccessItem>,
    pager: super::pager::Pager,
    /// The search (name or email) and role as asked, kept in the links.
    q: String,
    role_id: String,
    /// The roles usable here, to filter by.
    filter_roles: Vec<role::Role>,
    /// Grants from orgs above the viewer's scope also reach here (not named).
    hidden_above: bool,
    roles: Vec<role::Role>,
    form: GrantForm,
    errors: FieldErrors,
    my_id: i64,
    /// One page of the pending invitations by email made here (only for
    /// `access.manage`).
    invitations: Vec<crate::domain::grant_invite::InvitationView>,
    invitation_pager: super::pager::Pager,
}

/// `?q=&role_id=&page=&inv_page=` of the Access tab: the grants list's search,
/// role and page, and the invitations' page.
#[derive(Clone, Debug, Default, Deserialize)]
struct AccessQuery {
    q: Option<String>,
    role_id: Option<String>,
    page: Option<String>,
    inv_page: Option<String>,
}

const ACCESS_PER_PAGE: usize = 50;

async fn render_access(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    list: AccessQuery,
    form: GrantForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    use super::pager::{Pager, fetch};
    let q = list.q.clone().unwrap_or_default();
    // A role that is no number filters nothing (the select only offers ids).
    let role_text = list.role_id.clone().unwrap_or_default();
    let filter = access_domain::AccessFilter {
        q: q.clone(),
        role_id: role_text.trim().parse().ok(),
    };
    let role_id = filter.role_id.map(|r| r.to_string()).unwrap_or_default();
    let (page_no, inv_page) = (
        super::page_number(list.page.as_deref()),
        super::page_number(list.inv_page.as_deref()),
    );
    let access = me.access.clone();
    let (h, effective, roles, filter_roles, invitations) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "access")?;
            h.require_inside()?;
            access.require(Permission::AccessView, id)?;
            let mut hidden_above = false;
            let (items, total, page_no) = fetch(page_no, ACCESS_PER_PAGE, |offset, limit| {
                let (page, total) =
                    access_domain::effective_page(conn, &access, id, &filter, offset, limit)?;
                hidden_above = page.hidden_above;
                Ok((page.items, total))
            })?;
            // Only what the viewer may hand out here (reach "this org only",
            // the wider of the two); submitting checks the rule again.
            let roles = grant::grantable_roles(conn, &access, id, false)?;
            let filter_roles = role::usable_at_org(conn, id)?;
            let invitations = if access.can(Permission::AccessManage, id) {
                fetch(inv_page, ACCESS_PER_PAGE, |offset, limit| {
                    crate::domain::grant_invite::pending_at_org(conn, &access, id, offset, limit)
                })?
            } else {
                (vec![], 0, 1)
            };
            Ok((
                h,
                (items, total, page_no, hidden_above),
                roles,
                filter_roles,
                invitations,
            ))
        })
        .await?;
    let (items, total, page_no, hidden_above) = effective;
    let (invitations, inv_total, inv_page) = invitations;
    let path = format!("/orgs/{id}/access");
    let (page_text, inv_text) = (page_no.to_string(), inv_page.to_string());
    let pager = Pager::new(
        &path,
        &[
            ("q", q.as_str()),
            ("role_id", role_id.as_str()),
            (
                "inv_page",
                if inv_page > 1 { inv_text.as_str() } else { "" },
            ),
        ],
        page_no,
        ACCESS_PER_PAGE,
        total,
    );
    let invitation_pager = Pager::new(
        &path,
        &[
            ("q", q.as_str()),
            ("role_id", role_id.as_str()),
            ("page", if page_no > 1 { page_text.as_str() } else { "" }),
        ],
        inv_page,
        ACCESS_PER_PAGE,
        inv_total,
    )
    .named("inv_page");
    Ok(render(
        status,
        &AccessPage {
            layout: me.ctx.layout(format!("{} · Access", h.org.name), "orgs")?,
            h,
            items,
            pager,
            q,
            role_id,
            filter_roles,
            hidden_above,
            roles,
            form,
            errors,
            my_id: me.user.id,
            invitations,
            invitation_pager,
        },
    ))
}

/// `GET /orgs/{id}/access?q=&role_id=&page=&inv_page=`: the grants here and
/// inherited, and the pending invitations, each 50 a page, paged in SQL.
#[get("/orgs/{id}/access")]
async fn access_tab(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<AccessQuery>,
) -> Result<HttpResponse, PageError> {
    render_access(
        &me,
        id.into_inner(),
        StatusCode::OK,
        query.into_inner(),
        GrantForm::new(),
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/grants`: give a user (by email) a role here.
#[post("/orgs/{id}/grants")]
async fn add_grant(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    me.access.require_visible(id)?;
    if !me.access.sees_inside(id) {
        return Err(Error::NotFound.into());
    }
    me.access.require(Permission::AccessManage, id)?;
    match form.submit(&me, grant::Scope::Org(id)).await? {
        Ok(message) => {
            me.ctx.flash("success", message)?;
            see_other(&format!("/orgs/{id}/access"))
        }
        Err((status, errors)) => {
            render_access(&me, id, status, AccessQuery::default(), form, errors).await
        }
    }
}

/// `POST /grants/{id}/revoke`: own grants always; others' with the rights to grant them.
#[post("/grants/{id}/revoke")]
async fn revoke_grant(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let revoked = me
        .db()
        .write(move |conn| grant::revoke_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash("success", "The grant is revoked.")?;
    // Back where it was shown; after dropping one's own grant that page may be
    // gone (this request's access is from before the change): go home then.
    if revoked.user_id == Some(me.user.id) {
        return see_other("/");
    }
    match (revoked.org_id, revoked.project_id) {
        (Some(org), _) => see_other(&format!("/orgs/{org}/access")),
        (None, Some(project)) => see_other(&format!("/projects/{project}")),
        (None, None) => see_other("/"),
    }
}

#[derive(Template)]
#[template(path = "orgs/settings.html")]
struct SettingsPage {
    layout: Layout,
    h: OrgHeader,
    settings: Vec<(settings::Effective, Option<String>)>,
    /// May change the keys set from above (assignable roles) here.
    from_above: bool,
    errors: FieldErrors,
}

async fn render_settings(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, list) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "settings")?;
            h.require_inside()?;
            let all = settings::effective(conn, id)?;
            // Name only the sources the viewer may see; others read "inherited from above".
            let from: Vec<i64> = all
                .iter()
                .filter_map(|e| e.inherited_from)
                .filter(|o| access.can(Permission::OrgView, *o))
                .collect();
            let names: HashMap<i64, String> = org::find_many(conn, &from)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
            let list = all
                .into_iter()
                .map(|e| {
                    let source = e.inherited_from.and_then(|o| names.get(&o).cloned());
                    (e, source)
                })
                .collect();
            Ok((h, list))
        })
        .await?;
    Ok(render(
        status,
        &SettingsPage {
            layout: me
                .ctx
                .layout(format!("{} · Settings", h.org.name), "orgs")?,
            h,
            settings: list,
            from_above: settings::may_change_from_above(&me.access, id),
            errors,
        },
    ))
}

/// `GET /orgs/{id}/settings`.
#[get("/orgs/{id}/settings")]
async fn settings_tab(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_settings(&me, id.into_inner(), StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct SettingForm {
    #[serde(default)]
    value: String,
    version: Option<i64>,
}

/// `POST /orgs/{id}/settings/{key}`: override one setting here.
#[post("/orgs/{id}/settings/{key}")]
async fn set_setting(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<SettingForm>,
) -> Result<HttpResponse, PageError> {
    let (id, key) = path.into_inner();
    let SettingForm { value, version } = form.into_inner();
    change_setting(me, id, key, Some(serde_json::Value::String(value)), version).await
}

/// `POST /orgs/{id}/settings/{key}/revert`: inherit again.
#[post("/orgs/{id}/settings/{key}/revert")]
async fn revert_setting(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    let (id, key) = path.into_inner();
    change_setting(me, id, key, None, form.version).await
}

async fn change_setting(
    me: SignedIn,
    id: i64,
    key: String,
    value: Option<serde_json::Value>,
    version: Option<i64>,
) -> Result<HttpResponse, PageError> {
    if settings::definition(&key).is_none() {
        return Err(Error::NotFound.into());
    }
    let (access, actor) = (me.access.clone(), me.actor());
    let reverted = value.is_none();
    let label = settings::definition(&key)
        .map(|d| d.label)
        .unwrap_or_default();
    let outcome = me
        .db()
        .write(move |conn| settings::change(conn, &access, &actor, id, &[(key, value)], version))
        .await;
    match outcome {
        Ok(_) => {
            let message = if reverted {
                format!("{label} now inherits.")
            } else {
                format!("{label} is set here.")
            };
            me.ctx.flash("success", message)?;
            see_other(&format!("/orgs/{id}/settings"))
        }
        Err(Error::Validation(errors)) => {
            render_settings(&me, id, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
        Err(Error::Conflict { message, .. }) => {
            render_settings(
                &me,
                id,
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct OrgFormPage {
    layout: Layout,
    h: OrgHeader,
    creating: bool,
    draft: OrgDraft,
    version: i64,
    errors: FieldErrors,
    kinds: &'static [OrgKind],
}

async fn render_form(
    me: &SignedIn,
    id: i64,
    creating: bool,
    draft: Option<OrgDraft>,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let h = me
        .db()
        .read(move |conn| OrgHeader::load(conn, &access, id, "overview"))
        .await?;
    let draft = draft.unwrap_or_else(|| {
        if creating {
            OrgDraft {
                kind: "other".into(),
                ..Default::default()
            }
        } else {
            OrgDraft::from_org(&h.org)
        }
    });
    let title = if creating {
        format!("New organization in {}", h.org.name)
    } else {
        format!("Edit {}", h.org.name)
    };
    Ok(render(
        status,
        &OrgFormPage {
            layout: me.ctx.layout(title, "orgs")?,
            version: h.org.version,
            h,
            creating,
            draft,
            errors,
            kinds: OrgKind::ALL,
        },
    ))
}

/// `GET /orgs/{id}/new`: a form for a child of `id`.
#[get("/orgs/{id}/new")]
async fn new_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgCreate, id)?;
    render_form(&me, id, true, None, StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct VersionedDraft {
    #[serde(flatten)]
    draft: OrgDraft,
    version: Option<i64>,
}

/// `POST /orgs/{id}/new`.
#[post("/orgs/{id}/new")]
async fn create(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionedDraft>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgCreate, id)?;
    let draft = form.into_inner().draft;
    let values = match draft.validate() {
        Ok(v) => v,
        Err(Error::Validation(errors)) => {
            return render_form(
                &me,
                id,
                true,
                Some(draft),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = me.actor();
    match me
        .db()
        .write(move |conn| org::create(conn, &actor, id, &values))
        .await
    {
        Ok(created) => {
            me.ctx
                .flash("success", format!("{} is created.", created.name))?;
            see_other(&format!("/orgs/{}", created.id))
        }
        Err(Error::Validation(errors) | Error::Duplicate(errors)) => {
            render_form(
                &me,
                id,
                true,
                Some(draft),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /orgs/{id}/edit`.
#[get("/orgs/{id}/edit")]
async fn edit_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgEdit, id)?;
    render_form(&me, id, false, None, StatusCode::OK, FieldErrors::new()).await
}

/// `POST /orgs/{id}/edit`.
#[post("/orgs/{id}/edit")]
async fn edit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionedDraft>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgEdit, id)?;
    let VersionedDraft { draft, version } = form.into_inner();
    let values = match draft.validate() {
        Ok(v) => v,
        Err(Error::Validation(errors)) => {
            return render_form(
                &me,
                id,
                false,
                Some(draft),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = me.actor();
    match me
        .db()
        .write(move |conn| org::update(conn, &actor, id, &values, version))
        .await
    {
        Ok(updated) => {
            me.ctx
                .flash("success", format!("{} is saved.", updated.name))?;
            see_other(&format!("/orgs/{id}"))
        }
        Err(Error::Validation(errors) | Error::Duplicate(errors)) => {
            render_form(
                &me,
                id,
                false,
                Some(draft),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(Error::Conflict { message, .. }) => {
            render_form(
                &me,
                id,
                false,
                Some(draft),
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orgs/move.html")]
struct MovePage {
    layout: Layout,
    h: OrgHeader,
    /// The new parent: where the person may create, outside the org's subtree.
    parent_picker: Picker,
    errors: FieldErrors,
}

/// The move form (also the preview's answer when its new parent is unknown).
pub(crate) async fn render_move(
    me: &SignedIn,
    id: i64,
    typed: String,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let h = me
        .db()
        .read(move |conn| OrgHeader::load(conn, &access, id, "overview"))
        .await?;
    let parent_picker = Picker::org("parent_id", "New parent", Permission::OrgCreate)
        .not_within(id)
        .value(typed)
        .required()
        .errors(&errors);
    Ok(render(
        status,
        &MovePage {
            layout: me.ctx.layout(format!("Move {}", h.org.name), "orgs")?,
            h,
            parent_picker,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/move`: the new-parent picker.
#[get("/orgs/{id}/move")]
async fn move_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require_at_parent(Permission::OrgMove, id)?;
    render_move(&me, id, String::new(), StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    parent_id: String,
    version: Option<i64>,
}

/// `POST /orgs/{id}/move`.
#[post("/orgs/{id}/move")]
async fn move_submit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require_at_parent(Permission::OrgMove, id)?;
    let typed = form.parent_id.clone();
    let parent_id = match resolve_required(
        &me,
        Kind::Org(Permission::OrgCreate),
        "parent_id",
        &form.parent_id,
        "Choose the new parent.",
    )
    .await?
    {
        Ok(id) => id,
        Err(e) => {
            return render_move(&me, id, typed, StatusCode::UNPROCESSABLE_ENTITY, e).await;
        }
    };
    let (actor, version) = (me.actor(), form.version);
    match me
        .db()
        .write(move |conn| org::move_to(conn, &actor, id, parent_id, version))
        .await
    {
        Ok(moved) => {
            me.ctx
                .flash("success", format!("{} is moved.", moved.name))?;
            see_other(&format!("/orgs/{id}"))
        }
        Err(Error::Validation(errors) | Error::Duplicate(errors)) => {
            render_move(
                &me,
                id,
                typed.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(Error::Conflict { message, .. }) => {
            render_move(
                &me,
                id,
                typed.clone(),
                StatusCode::CONFLICT,
                FieldErrors::of("parent_id", &message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "orgs/archive.html")]
struct ArchivePage {
    layout: Layout,
    h: OrgHeader,
    archiving: bool,
    /// What the change touches, as far as the viewer sees inside.
    rollup: org::Rollup,
    errors: FieldErrors,
}

async fn render_archive(
    me: &SignedIn,
    id: i64,
    archiving: bool,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    me.access.require_at_parent(Permission::OrgDelete, id)?;
    let (h, rollup) = header_and_rollup(me, id).await?;
    let verb = if archiving { "Archive" } else { "Restore" };
    Ok(render(
        status,
        &ArchivePage {
            layout: me.ctx.layout(format!("{verb} {}", h.org.name), "orgs")?,
            h,
            archiving,
            rollup,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/archive`: what archiving would do, and the button that does it.
#[get("/orgs/{id}/archive")]
async fn archive_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_archive(
        &me,
        id.into_inner(),
        true,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

/// `GET /orgs/{id}/restore`: what restoring would do, and the button that does it.
#[get("/orgs/{id}/restore")]
async fn restore_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_archive(
        &me,
        id.into_inner(),
        false,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/archive`.
#[post("/orgs/{id}/archive")]
async fn archive(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    set_archived(me, id.into_inner(), true, form.version).await
}

/// `POST /orgs/{id}/restore`.
#[post("/orgs/{id}/restore")]
async fn restore(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    set_archived(me, id.into_inner(), false, form.version).await
}

async fn set_archived(
    me: SignedIn,
    id: i64,
    archived: bool,
    version: Option<i64>,
) -> Result<HttpResponse, PageError> {
    me.access.require_at_parent(Permission::OrgDelete, id)?;
    let actor = me.actor();
    let outcome = me
        .db()
        .write(move |conn| org::set_archived(conn, &actor, id, archived, version))
        .await;
    let o = match outcome {
        Ok(o) => o,
        Err(Error::Conflict { message, .. }) => {
            return render_archive(
                &me,
                id,
                archived,
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let message = if archived {
        format!(
            "{} is archived: read-only, and nothing new goes in.",
            o.name
        )
    } else {
        format!("{} is restored.", o.name)
    };
    me.ctx.flash("success", message)?;
    see_other(&format!("/orgs/{id}"))
}

#[derive(Template)]
#[template(path = "orgs/delete.html")]
struct DeletePage {
    layout: Layout,
    h: OrgHeader,
    blockers: Blockers,
    errors: FieldErrors,
}

/// Deleting needs `org.delete` on the parent and sight inside the org: what
/// blocks a delete (and what it would remove) lies inside, and a private org's
/// ancestors may move or archive it but not learn or destroy what is inside.
pub fn require_may_delete(access: &Access, id: i64) -> Result<(), Error> {
    access.require_at_parent(Permission::OrgDelete, id)?;
    if access.sees_inside(id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "You see only this organization's name and place: from outside it can be moved or \
             archived, not deleted. Someone who sees inside must delete it (a private org's \
             own people, after turning privacy mode off)."
                .into(),
        ))
    }
}

/// `GET /orgs/{id}/delete`: what deleting would do, or what blocks it.
#[get("/orgs/{id}/delete")]
async fn delete_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    require_may_delete(&me.access, id)?;
    render_delete(&me, id, StatusCode::OK, FieldErrors::new()).await
}

async fn render_delete(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, blockers) = me
        .db()
        .read(move |conn| {
            Ok((
                OrgHeader::load(conn, &access, id, "overview")?,
                org::blockers(conn, id)?,
            ))
        })
        .await?;
    Ok(render(
        status,
        &DeletePage {
            layout: me.ctx.layout(format!("Delete {}", h.org.name), "orgs")?,
            h,
            blockers,
            errors,
        },
    ))
}

/// `POST /orgs/{id}/delete`.
#[post("/orgs/{id}/delete")]
async fn delete_submit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    require_may_delete(&me.access, id)?;
    let parent = me.access.snapshot.tree().parent_of(id);
    let (actor, version) = (me.actor(), form.version);
    match me
        .db()
        .write(move |conn| org::delete(conn, &actor, id, version))
        .await
    {
        Ok(()) => {
            me.ctx.flash("success", "The organization is deleted.")?;
            see_other(&parent.map_or("/orgs".to_string(), |p| format!("/orgs/{p}/sub-orgs")))
        }
        // Not empty after all, or changed in the meantime: the page again, current.
        Err(Error::Conflict { message, .. }) => {
            render_delete(
                &me,
                id,
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
