//! The audit log page: entries of the orgs whose log the viewer may read,
//! filtered and paginated, each with a readable before/after diff.

use std::collections::HashMap;

use actix_web::http::StatusCode;
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
    // The org picker takes a code, a path or an id (`domain::pick`); the
    // shared search input (also the API's) takes the id.
    let typed_org = query.search.org_id.clone().unwrap_or_default();
    let mut picker_errors = FieldErrors::new();
    match resolve(&me, Kind::Org(Permission::AuditView), "org_id", &typed_org).await? {
        Ok(id) => query.search.org_id = id.map(|id| id.to_string()),
        Err(e) => {
            picker_errors = e;
            query.search.org_id = None;
        }
    }
    // The actor picker takes a name or an email (a person the viewer may
    // see, `domain::pick`); a number passes as it is, as the API takes it,
    // so old links keep working.
    let typed_actor = query.search.actor_id.clone().unwrap_or_default();
    let typed_actor = typed_actor.trim().to_string();
    if !typed_actor.bytes().all(|b| b.is_ascii_digit()) {
        match resolve(&me, Kind::User, "actor_id", &typed_actor).await? {
            Ok(id) => query.search.actor_id = id.map(|id| id.to_string()),
            Err(e) => {
                picker_errors.0.extend(e.0);
                query.search.actor_id = None;
            }
        }
    }
    let (search, mut errors) = match query.search.parse(&me.access) {
        Ok(s) => (Some(s), FieldErrors::new()),
        Err(Error::Validation(e)) => (None, e),
        Err(e) => return Err(e.into()),
    };
    for (field, message) in picker_errors.0 {
        errors.add(&field, message);
    }
    let search = search.filter(|_| errors.is_empty());
    let access = me.access.clone();
    let shown_org = search.as_ref().map(|s| s.org_id);
    let shown_actor = search.as_ref().and_then(|s| s.actor_id);
    let (org_value, actor_value, rows, total, page_no) = me
        .db()
        .read(move |conn| {
            let org_value = match shown_org {
                Some(id) => pick::org_field_value(conn, &access, id)?,
                None => String::new(),
            };
            // A person the viewer may not see shows as the number given.
            let actor_value = match shown_actor {
                Some(id) => match pick::user_field_value(conn, &access, id)? {
                    email if email.is_empty() => id.to_string(),
                    email => email,
                },
                None => String::new(),
            };
            let Some(search) = search else {
                return Ok((org_value, actor_value, vec![], 0, 1));
            };
            let (entries, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                audit::search(conn, &access, &search, offset, limit)
            })?;
            let actors: Vec<i64> = entries.iter().filter_map(|e| e.actor_user_id).collect();
            let names: HashMap<i64, String> = users::table
                .filter(users::id.eq_any(actors))
                .select((users::id, users::display_name))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect();
            let rows = entries
                .into_iter()
                .map(|entry| Row {
                    actor: entry
                        .actor_user_id
                        .and_then(|a| names.get(&a).cloned())
                        .unwrap_or_else(|| entry.via.clone()),
                    changes: audit::diff(entry.before_json.as_deref(), entry.after_json.as_deref()),
                    entry,
                })
                .collect::<Vec<_>>();
            Ok((org_value, actor_value, rows, total, page_no))
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let input = query.search;
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
    let pager = Pager::new("/audit", &kept, page_no, PER_PAGE, total);
    Ok(render(
        status,
        &LogPage {
            layout: me.ctx.layout("Audit log", "audit")?,
            org_picker: Picker::org("org_id", "Organization (and below)", Permission::AuditView)
                .value(if errors.get("org_id").is_some() {
                    typed_org
                } else {
                    org_value
                })
                .errors(&errors),
            actor_picker: Picker::user("actor_id", "Actor")
                .value(if errors.get("actor_id").is_some() {
                    typed_actor
                } else {
                    actor_value
                })
                .errors(&errors),
            input,
            rows,
            errors,
            pager,
        },
    ))
}
