//! The audit log page: entries of the orgs whose log the viewer may read,
//! filtered and paginated, each as a sentence naming who did what to whom
//! (`domain::audit::words`) with its changes in words. Filters pick people
//! and orgs by name (`web::pick`) and actions by label; they stay in the URL.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::pager::{Pager, fetch};
use super::pick::{Kind, Picker, resolve};
use super::{PageError, SignedIn, render};
use crate::authz::Permission;
use crate::domain::audit::words::{self, Worded as Row};
use crate::domain::audit::{self, SearchInput, Target, actions};
use crate::domain::pick;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(log);
}

/// One `<option>` of the action filter: the code as its value, the label shown.
struct ActionChoice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

/// One `<optgroup>` of the action filter: an area (itself a choice: all
/// its actions) and its actions.
struct ActionGroup {
    area: ActionChoice,
    actions: Vec<ActionChoice>,
}

/// The action filter's choices, `chosen` selected.
fn action_groups(chosen: &str) -> Vec<ActionGroup> {
    let choice = |code: &'static str, label: &'static str| ActionChoice {
        code,
        label,
        selected: code == chosen,
    };
    actions::AREAS
        .iter()
        .map(|(area, label)| ActionGroup {
            area: choice(area, label),
            actions: actions::ACTIONS
                .iter()
                .filter(|(c, _, _)| c.starts_with(area))
                .map(|(c, l, _)| choice(c, l))
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct LogPage {
    layout: Layout,
    input: SearchInput,
    action_groups: Vec<ActionGroup>,
    org_picker: Picker,
    /// Who acted: a person by name or email (an id still works).
    actor_picker: Picker,
    /// What the entry is about: a person, or an org.
    about_user_picker: Picker,
    about_org_picker: Picker,
    rows: Vec<Row>,
    errors: FieldErrors,
    pager: Pager,
}

const PER_PAGE: usize = 50;

#[derive(Deserialize)]
struct LogQuery {
    #[serde(flatten)]
    search: SearchInput,
    page: Option<String>,
    /// The person the entries are about (a picker: name, email or id).
    about_user: Option<String>,
    /// The org the entries are about (a picker: code, path or id).
    about_org: Option<String>,
}

/// `GET /audit?org_id=&actor_id=&action=&about_user=&about_org=&from=&to=&page=`
/// (`target_type` and `target_id`, as the API takes them, still filter).
#[get("/audit")]
async fn log(me: SignedIn, query: web::Query<LogQuery>) -> Result<HttpResponse, PageError> {
    let mut query = query.into_inner();
    let page_no = super::page_number(query.page.as_deref());
    let typed = resolve_pickers(&me, &mut query).await?;
    let (search, mut errors) = match query.search.parse(&me.access) {
        Ok(s) => (Some(s), FieldErrors::new()),
        Err(Error::Validation(e)) => (None, e),
        Err(e) => return Err(e.into()),
    };
    errors.0.extend(typed.errors.0.clone());
    let search = search.filter(|_| errors.is_empty());
    let access = me.access.clone();
    let shown = me
        .db()
        .read(move |conn| read_log(conn, &access, search, page_no))
        .await?;
    let status = crate::web::error::status_for(&errors);
    let page = LogPage::of(
        me.ctx.layout("Audit log", "audit")?,
        query,
        typed,
        shown,
        errors,
    );
    Ok(render(status, &page))
}

impl LogPage {
    fn of(
        layout: Layout,
        query: LogQuery,
        typed: Typed,
        shown: Shown,
        errors: FieldErrors,
    ) -> Self {
        let pager = pager_of(&query, shown.page_no, shown.total);
        let value = |field: &str, typed: &str, found: &str| {
            (if errors.get(field).is_some() {
                typed
            } else {
                found
            })
            .to_string()
        };
        LogPage {
            layout,
            org_picker: Picker::org("org_id", "Organization (and below)", Permission::AuditView)
                .value(value("org_id", &typed.org, &shown.org_value))
                .errors(&errors),
            actor_picker: Picker::user("actor_id", "Who")
                .value(value("actor_id", &typed.actor, &shown.actor_value))
                .errors(&errors),
            about_user_picker: Picker::user("about_user", "About a person")
                .value(value(
                    "about_user",
                    &typed.about_user,
                    &shown.about_user_value,
                ))
                .errors(&errors),
            about_org_picker: Picker::org(
                "about_org",
                "About an organization",
                Permission::AuditView,
            )
            .value(value("about_org", &typed.about_org, &shown.about_org_value))
            .errors(&errors),
            action_groups: action_groups(query.search.action.as_deref().unwrap_or("").trim()),
            input: query.search,
            rows: shown.rows,
            errors,
            pager,
        }
    }
}

/// What was typed into the pickers, and what they could not find.
#[derive(Default)]
struct Typed {
    org: String,
    actor: String,
    about_user: String,
    about_org: String,
    errors: FieldErrors,
}

/// Turns what the pickers hold into ids in the search. The org pickers take
/// a code, a path or an id (`domain::pick`); the shared search input (also
/// the API's) takes the id. The actor picker takes a name or an email (a
/// person the viewer may see); a number passes as it is, as the API takes
/// it, so old links keep working. "About" sets the target (a person or an
/// org); the action must be one the filter lists.
async fn resolve_pickers(me: &SignedIn, query: &mut LogQuery) -> Result<Typed, PageError> {
    let search = &mut query.search;
    let trimmed = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
    let mut typed = Typed {
        org: trimmed(&search.org_id),
        actor: trimmed(&search.actor_id),
        about_user: trimmed(&query.about_user),
        about_org: trimmed(&query.about_org),
        errors: FieldErrors::new(),
    };
    let found =
        async |kind: Kind, field: &'static str, raw: &str, errors: &mut FieldErrors| match resolve(
            me, kind, field, raw,
        )
        .await?
        {
            Ok(id) => Ok::<_, PageError>(id.map(|id| id.to_string())),
            Err(e) => {
                errors.0.extend(e.0);
                Ok(None)
            }
        };
    let errors = &mut typed.errors;
    search.org_id = found(
        Kind::Org(Permission::AuditView),
        "org_id",
        &typed.org,
        errors,
    )
    .await?;
    if !typed.actor.bytes().all(|b| b.is_ascii_digit()) {
        search.actor_id = found(Kind::User, "actor_id", &typed.actor, errors).await?;
    }
    let about = [
        (
            Target::User,
            found(Kind::User, "about_user", &typed.about_user, errors).await?,
        ),
        (
            Target::Org,
            found(
                Kind::Org(Permission::AuditView),
                "about_org",
                &typed.about_org,
                errors,
            )
            .await?,
        ),
    ];
    match about {
        [(_, Some(_)), (_, Some(_))] => {
            errors.add("about_org", "Choose a person or an organization, not both.")
        }
        [(kind, Some(id)), _] | [_, (kind, Some(id))] => {
            search.target_type = Some(kind.to_string());
            search.target_id = Some(id);
        }
        _ => {}
    }
    let action = trimmed(&search.action);
    if !action.is_empty() && !actions::is_known(&action) {
        errors.add("action", "Choose an action from the list.");
    }
    Ok(typed)
}

/// One page of the log as shown, with the pickers' values as found.
#[derive(Default)]
struct Shown {
    org_value: String,
    actor_value: String,
    about_user_value: String,
    about_org_value: String,
    rows: Vec<Row>,
    total: usize,
    page_no: usize,
}

/// What a person picker shows for `id`: their email, or the number given
/// when the viewer may not see them.
fn user_value(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    id: i64,
) -> crate::error::Result<String> {
    Ok(match pick::user_field_value(conn, access, id)? {
        email if email.is_empty() => id.to_string(),
        email => email,
    })
}

/// Reads page `page_no` of the entries `search` finds (none when it is not
/// valid), each as a sentence with its changes, the names read for the
/// whole page at once.
fn read_log(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    search: Option<audit::Search>,
    page_no: usize,
) -> crate::error::Result<Shown> {
    let mut shown = Shown {
        page_no: 1,
        ..Shown::default()
    };
    let Some(search) = search else {
        return Ok(shown);
    };
    shown.org_value = pick::org_field_value(conn, access, search.org_id)?;
    if let Some(id) = search.actor_id {
        shown.actor_value = user_value(conn, access, id)?;
    }
    match (search.target_type, search.target_id) {
        (Some(Target::User), Some(id)) => shown.about_user_value = user_value(conn, access, id)?,
        (Some(Target::Org), Some(id)) => {
            shown.about_org_value = pick::org_field_value(conn, access, id)?
        }
        _ => {}
    }
    let (entries, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
        audit::search(conn, access, &search, offset, limit)
    })?;
    shown.rows = words::worded(conn, access, entries)?;
    (shown.total, shown.page_no) = (total, page_no);
    Ok(shown)
}

/// The pager, keeping the filters as typed.
fn pager_of(query: &LogQuery, page_no: usize, total: usize) -> Pager {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let input = &query.search;
    let mut params = vec![
        ("org_id", v(&input.org_id)),
        ("actor_id", v(&input.actor_id)),
        ("action", v(&input.action)),
        ("about_user", v(&query.about_user)),
        ("about_org", v(&query.about_org)),
        ("from", v(&input.from)),
        ("to", v(&input.to)),
    ];
    if query.about_user.is_none() && query.about_org.is_none() {
        params.push(("target_type", v(&input.target_type)));
        params.push(("target_id", v(&input.target_id)));
    }
    let kept: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.trim())).collect();
    Pager::new("/audit", &kept, page_no, PER_PAGE, total)
}
