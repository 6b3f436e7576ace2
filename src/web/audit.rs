//! The audit log page: entries of the orgs whose log the viewer may read,
//! filtered and paginated, each with a readable before/after diff.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::layout::Layout;
use super::pager::{Pager, fetch};
use super::pick::{Kind, Picker, resolve};
use super::{PageError, SignedIn, render};
use crate::authz::Permission;
use crate::db::schema::users;
use crate::domain::audit::{self, Entry, SearchInput};
use crate::domain::pick;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(log);
}

struct Row {
    entry: Entry,
    actor: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct LogPage {
    layout: Layout,
    input: SearchInput,
    org_picker: Picker,
    /// Who acted: a person by name or email (an id still works).
    actor_picker: Picker,
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
}

/// `GET /audit?org_id=&actor_id=&action=&target_type=&target_id=&from=&to=&page=`.
#[get("/audit")]
async fn log(me: SignedIn, query: web::Query<LogQuery>) -> Result<HttpResponse, PageError> {
    let mut query = query.into_inner();
    let page_no = super::page_number(query.page.as_deref());
    let typed = resolve_pickers(&me, &mut query.search).await?;
    let (search, mut errors) = match query.search.parse(&me.access) {
        Ok(s) => (Some(s), FieldErrors::new()),
        Err(Error::Validation(e)) => (None, e),
        Err(e) => return Err(e.into()),
    };
    for (field, message) in typed.errors.0.clone() {
        errors.add(&field, message);
    }
    let search = search.filter(|_| errors.is_empty());
    let access = me.access.clone();
    let shown = me
        .db()
        .read(move |conn| read_log(conn, &access, search, page_no))
        .await?;
    let status = crate::web::error::status_for(&errors);
    let pager = pager_of(&query.search, shown.page_no, shown.total);
    let page = LogPage {
        layout: me.ctx.layout("Audit log", "audit")?,
        org_picker: Picker::org("org_id", "Organization (and below)", Permission::AuditView)
            .value(typed.org_or(&errors, shown.org_value))
            .errors(&errors),
        actor_picker: Picker::user("actor_id", "Actor")
            .value(typed.actor_or(&errors, shown.actor_value))
            .errors(&errors),
        input: query.search,
        rows: shown.rows,
        errors,
        pager,
    };
    Ok(render(status, &page))
}

/// What was typed into the two pickers, and what they could not find.
struct Typed {
    org: String,
    actor: String,
    errors: FieldErrors,
}

impl Typed {
    /// The org picker's value: as typed when it is in error, else as found.
    fn org_or(&self, errors: &FieldErrors, found: String) -> String {
        if errors.get("org_id").is_some() {
            self.org.clone()
        } else {
            found
        }
    }

    /// The actor picker's value: as typed when it is in error, else as found.
    fn actor_or(&self, errors: &FieldErrors, found: String) -> String {
        if errors.get("actor_id").is_some() {
            self.actor.clone()
        } else {
            found
        }
    }
}

/// Turns what the pickers hold into ids in `search`. The org picker takes a
/// code, a path or an id (`domain::pick`); the shared search input (also the
/// API's) takes the id. The actor picker takes a name or an email (a person
/// the viewer may see); a number passes as it is, as the API takes it, so old
/// links keep working.
async fn resolve_pickers(me: &SignedIn, search: &mut SearchInput) -> Result<Typed, PageError> {
    let org = search.org_id.clone().unwrap_or_default();
    let mut errors = FieldErrors::new();
    match resolve(me, Kind::Org(Permission::AuditView), "org_id", &org).await? {
        Ok(id) => search.org_id = id.map(|id| id.to_string()),
        Err(e) => {
            errors = e;
            search.org_id = None;
        }
    }
    let actor = search.actor_id.clone().unwrap_or_default();
    let actor = actor.trim().to_string();
    if !actor.bytes().all(|b| b.is_ascii_digit()) {
        match resolve(me, Kind::User, "actor_id", &actor).await? {
            Ok(id) => search.actor_id = id.map(|id| id.to_string()),
            Err(e) => {
                errors.0.extend(e.0);
                search.actor_id = None;
            }
        }
    }
    Ok(Typed { org, actor, errors })
}

/// One page of the log as shown, with the pickers' values as found.
struct Shown {
    org_value: String,
    actor_value: String,
    rows: Vec<Row>,
    total: usize,
    page_no: usize,
}

/// Reads page `page_no` of the entries `search` finds (none when it is not
/// valid), each with its actor's name and its diff.
fn read_log(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    search: Option<audit::Search>,
    page_no: usize,
) -> crate::error::Result<Shown> {
    let org_value = match search.as_ref().map(|s| s.org_id) {
        Some(id) => pick::org_field_value(conn, access, id)?,
        None => String::new(),
    };
    // A person the viewer may not see shows as the number given.
    let actor_value = match search.as_ref().and_then(|s| s.actor_id) {
        Some(id) => match pick::user_field_value(conn, access, id)? {
            email if email.is_empty() => id.to_string(),
            email => email,
        },
        None => String::new(),
    };
    let mut shown = Shown {
        org_value,
        actor_value,
        rows: vec![],
        total: 0,
        page_no: 1,
    };
    let Some(search) = search else {
        return Ok(shown);
    };
    let (entries, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
        audit::search(conn, access, &search, offset, limit)
    })?;
    let actors: Vec<i64> = entries.iter().filter_map(|e| e.actor_user_id).collect();
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(actors))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    shown.rows = entries
        .into_iter()
        .map(|entry| Row {
            actor: entry
                .actor_user_id
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_else(|| entry.via.clone()),
            changes: audit::diff(entry.before_json.as_deref(), entry.after_json.as_deref()),
            entry,
        })
        .collect();
    (shown.total, shown.page_no) = (total, page_no);
    Ok(shown)
}

/// The pager, keeping the filters as typed.
fn pager_of(input: &SearchInput, page_no: usize, total: usize) -> Pager {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let params = [
        ("org_id", v(&input.org_id)),
        ("actor_id", v(&input.actor_id)),
        ("action", v(&input.action)),
        ("target_type", v(&input.target_type)),
        ("target_id", v(&input.target_id)),
        ("from", v(&input.from)),
        ("to", v(&input.to)),
    ];
    let kept: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.trim())).collect();
    Pager::new("/audit", &kept, page_no, PER_PAGE, total)
}
