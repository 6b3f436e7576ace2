//! The pickers' suggestions: `GET /pick/{orgs,users,projects,teams}?q=`
//! answer at most 20 `<option>`s (an HTML fragment for the field's
//! `<datalist>`) of what the viewer may choose, through `domain::pick`. The
//! field itself (`templates/partials/picker.html`, described by `Picker`)
//! works without JavaScript as a plain input the server resolves.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::{PageError, SignedIn, page};
use crate::authz::Permission;
use crate::domain::pick::{self, Choice};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(suggest);
}

/// One picker field as a form shows it (`{{ picker|safe }}` in a page).
#[derive(Template)]
#[template(path = "partials/picker.html")]
pub struct Picker {
    /// `orgs`, `users`, `projects` or `teams` (the suggestions' path).
    pub kind: &'static str,
    /// The form field's name (and the element id, unless `id` is set).
    pub name: &'static str,
    pub id: String,
    pub label: String,
    /// What the field holds: the current choice as a person reads it.
    pub value: String,
    /// The permission suggestions must carry (orgs only).
    pub perm: Option<Permission>,
    /// Suggestions leave out this org's subtree (a move's new parent).
    pub not_within: Option<i64>,
    pub required: bool,
    pub hint: &'static str,
    pub error: Option<String>,
}

impl Picker {
    fn new(kind: &'static str, name: &'static str, label: &str, hint: &'static str) -> Picker {
        Picker {
            kind,
            name,
            id: name.to_string(),
            label: label.to_string(),
            value: String::new(),
            perm: None,
            not_within: None,
            required: false,
            hint,
            error: None,
        }
    }

    pub fn org(name: &'static str, label: &str, perm: Permission) -> Picker {
        Picker {
            perm: Some(perm),
            ..Picker::new(
                "orgs",
                name,
                label,
                "Type part of a name, or a code or path.",
            )
        }
    }

    pub fn user(name: &'static str, label: &str) -> Picker {
        Picker::new("users", name, label, "Type part of a name, or an email.")
    }

    pub fn project(name: &'static str, label: &str) -> Picker {
        Picker::new("projects", name, label, "Type part of a name, or a code.")
    }

    pub fn team(name: &'static str, label: &str) -> Picker {
        Picker::new("teams", name, label, "Type part of a name.")
    }

    pub fn id(mut self, id: &str) -> Picker {
        self.id = id.to_string();
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Picker {
        self.value = value.into();
        self
    }

    pub fn required(mut self) -> Picker {
        self.required = true;
        self
    }

    pub fn not_within(mut self, org_id: i64) -> Picker {
        self.not_within = Some(org_id);
        self
    }

    /// Takes the field's message from a form's errors.
    pub fn errors(mut self, errors: &crate::error::FieldErrors) -> Picker {
        self.error = errors.get(self.name).map(str::to_string);
        self
    }

    /// Where the field asks for suggestions.
    pub fn url(&self) -> String {
        let mut url = format!("/pick/{}?field={}", self.kind, self.name);
        if let Some(perm) = self.perm {
            url.push_str(&format!("&perm={}", perm.name()));
        }
        if let Some(id) = self.not_within {
            url.push_str(&format!("&not_within={id}"));
        }
        url
    }
}

#[derive(Template)]
#[template(path = "partials/picker_options.html")]
struct Options {
    choices: Vec<Choice>,
}

/// `GET /pick/{kind}?field=NAME&NAME=text` (htmx sends the field under its
/// own name) or `?q=text`: the suggestions, as `<option>`s.
#[get("/pick/{kind}")]
async fn suggest(
    me: SignedIn,
    kind: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let kind = kind.into_inner();
    let query = query.into_inner();
    let q = query
        .get("q")
        .or_else(|| query.get("field").and_then(|f| query.get(f)))
        .map(|q| q.trim().to_string())
        .unwrap_or_default();
    let perm = match query.get("perm") {
        Some(name) => Permission::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name)
            .ok_or_else(|| crate::Error::BadRequest(format!("Unknown permission {name}.")))?,
        None => Permission::OrgView,
    };
    let not_within = query.get("not_within").and_then(|v| v.parse::<i64>().ok());
    if !matches!(kind.as_str(), "orgs" | "users" | "projects" | "teams") {
        return Err(crate::Error::NotFound.into());
    }
    let access = me.access.clone();
    let choices = if q.is_empty() {
        vec![]
    } else {
        me.db()
            .read(move |conn| match kind.as_str() {
                "orgs" => pick::search_orgs(conn, &access, perm, &q, not_within),
                "users" => pick::search_users(conn, &access, &q),
                "projects" => pick::search_projects(conn, &access, &q),
                _ => pick::search_teams(conn, &access, &q),
            })
            .await?
    };
    page(&Options { choices })
}

pub use crate::domain::pick::Kind;

/// Resolves a picker field as typed (`domain::pick`): the id, `None` when
/// left empty, or the field's message (422 for the form) when nothing the
/// viewer may choose matches.
pub async fn resolve(
    me: &SignedIn,
    kind: Kind,
    field: &'static str,
    raw: &str,
) -> Result<Result<Option<i64>, crate::error::FieldErrors>, PageError> {
    let access = me.access.clone();
    let raw = raw.to_string();
    let found = me
        .db()
        .read(move |conn| Ok(pick::resolve(conn, &access, kind, field, &raw)))
        .await?;
    match found {
        Ok(id) => Ok(Ok(id)),
        Err(crate::Error::Validation(e)) => Ok(Err(e)),
        Err(e) => Err(e.into()),
    }
}

/// Like `resolve`, for a field that must be filled in.
pub async fn resolve_required(
    me: &SignedIn,
    kind: Kind,
    field: &'static str,
    raw: &str,
    empty_message: &str,
) -> Result<Result<i64, crate::error::FieldErrors>, PageError> {
    Ok(match resolve(me, kind, field, raw).await? {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(crate::error::FieldErrors::of(field, empty_message)),
        Err(e) => Err(e),
    })
}

/// The value a picker shows for an org id (a form's current choice).
pub async fn org_value(me: &SignedIn, id: Option<i64>) -> Result<String, PageError> {
    let Some(id) = id else {
        return Ok(String::new());
    };
    let access = me.access.clone();
    Ok(me
        .db()
        .read(move |conn| pick::org_field_value(conn, &access, id))
        .await?)
}

/// The picker fields of a filter form (reports): what was typed is resolved
/// into ids in place, so the form's own parsing (shared with the API, which
/// takes ids) sees ids; the pickers show the current choices.
pub struct Filters {
    pub org: Picker,
    pub project: Picker,
    pub team: Picker,
    pub user: Picker,
    /// The pickers' messages (422 for the page).
    pub errors: crate::error::FieldErrors,
}

/// Resolves one optional filter field in place; its picker's value.
async fn filter_field(
    me: &SignedIn,
    kind: Kind,
    field: &'static str,
    raw: &mut Option<String>,
    errors: &mut crate::error::FieldErrors,
) -> Result<String, PageError> {
    let typed = raw.clone().unwrap_or_default();
    match resolve(me, kind, field, &typed).await? {
        Ok(Some(id)) => {
            *raw = Some(id.to_string());
            let access = me.access.clone();
            Ok(me
                .db()
                .read(move |conn| pick::field_value(conn, &access, kind, id))
                .await?)
        }
        Ok(None) => {
            *raw = None;
            Ok(String::new())
        }
        Err(e) => {
            // Left for the form's own parsing to ignore; the message shows.
            *raw = None;
            errors.0.extend(e.0);
            Ok(typed)
        }
    }
}

/// The org (where the viewer holds `org_perm`), project, team and person
/// filters of a form.
pub async fn filters(
    me: &SignedIn,
    org_perm: Permission,
    org: &mut Option<String>,
    project: &mut Option<String>,
    team: &mut Option<String>,
    user: &mut Option<String>,
) -> Result<Filters, PageError> {
    let mut errors = crate::error::FieldErrors::new();
    let org_value = filter_field(me, Kind::Org(org_perm), "org_id", org, &mut errors).await?;
    let project_value = filter_field(me, Kind::Project, "project_id", project, &mut errors).await?;
    let team_value = filter_field(me, Kind::Team, "team_id", team, &mut errors).await?;
    let user_value = filter_field(me, Kind::User, "user_id", user, &mut errors).await?;
    Ok(Filters {
        org: Picker::org("org_id", "Organization (and below)", org_perm)
            .value(org_value)
            .errors(&errors),
        project: Picker::project("project_id", "Project")
            .value(project_value)
            .errors(&errors),
        team: Picker::team("team_id", "Team")
            .value(team_value)
            .errors(&errors),
        user: Picker::user("user_id", "Person")
            .value(user_value)
            .errors(&errors),
        errors,
    })
}
