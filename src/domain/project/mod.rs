//! Projects: work lives here. A project belongs to exactly one org (moving it
//! reassigns it); its code is unique within its tenant (`domain::tenant`).
//! Assignments (who works on it, when and how much) live in
//! `domain::assignment`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::{Conn, schema::projects};
use crate::domain::{org, validate};
use crate::error::{Error, FieldErrors, Result};

mod acting;
mod reads;
mod writes;

pub use acting::*;
pub use reads::*;
pub use writes::*;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    #[serde(skip)]
    pub code_key: String,
    pub name: String,
    pub description: String,
    pub client_name: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub budget_minutes: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Project {
    pub fn status(&self) -> ProjectStatus {
        self.status
    }
}

crate::text_enum! {
    /// Where a project is in its life (`projects.status`): only active
    /// projects take assignments and time.
    pub enum ProjectStatus {
        Active = "active",
        Closed = "closed",
        Archived = "archived",
    }
}

/// Most minutes a budget may hold (about 166,666 hours).
pub const MAX_BUDGET_MINUTES: i64 = 10_000_000;

/// A project's fields as typed, before validation. Empty dates mean none.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProjectDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    #[serde(alias = "client")]
    pub client_name: String,
    pub status: String,
    pub start_date: String,
    pub end_date: String,
    pub budget_minutes: Option<i64>,
}

/// Validated project fields.
#[derive(Clone, Debug)]
pub struct ProjectValues {
    pub code: String,
    pub name: String,
    pub description: String,
    pub client_name: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub budget_minutes: Option<i64>,
}

impl ProjectDraft {
    pub fn from_project(p: &Project) -> Self {
        ProjectDraft {
            code: p.code.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            client_name: p.client_name.clone(),
            status: p.status.to_string(),
            start_date: p.start_date.map(|d| d.to_string()).unwrap_or_default(),
            end_date: p.end_date.map(|d| d.to_string()).unwrap_or_default(),
            budget_minutes: p.budget_minutes,
        }
    }

    /// Validates every field, collecting a message per field.
    pub fn validate(&self) -> Result<ProjectValues> {
        let mut errors = FieldErrors::new();
        let code = org::parse_code(&self.code)
            .map_err(|m| errors.add("code", m))
            .unwrap_or_default();
        let name = org::parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        let client_name = validate::optional_line(&self.client_name, "Client name", 200)
            .map_err(|m| errors.add("client_name", m))
            .unwrap_or_default();
        let status = if self.status.trim().is_empty() {
            ProjectStatus::Active
        } else {
            ProjectStatus::parse(&self.status).unwrap_or_else(|| {
                errors.add("status", "Status must be active, closed or archived.");
                ProjectStatus::Active
            })
        };
        let start_date = validate::optional_date(&self.start_date, "Start date")
            .map_err(|m| errors.add("start_date", m))
            .unwrap_or_default();
        let end_date = validate::optional_date(&self.end_date, "End date")
            .map_err(|m| errors.add("end_date", m))
            .unwrap_or_default();
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            errors.add("end_date", "The end date cannot be before the start date.");
        }
        if let Some(b) = self.budget_minutes
            && !(0..=MAX_BUDGET_MINUTES).contains(&b)
        {
            errors.add(
                "budget_minutes",
                format!("The budget must be from 0 to {MAX_BUDGET_MINUTES} minutes."),
            );
        }
        errors.into_result()?;
        Ok(ProjectValues {
            code,
            name,
            description,
            client_name,
            status,
            start_date,
            end_date,
            budget_minutes: self.budget_minutes,
        })
    }
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Project> {
    Ok(projects::table
        .find(id)
        .select(Project::as_select())
        .first(conn)?)
}

/// Projects by id (in no particular order).
pub fn find_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Project>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            projects::table
                .filter(projects::id.eq_any(chunk))
                .select(Project::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub(super) fn refuse_frozen(conn: &mut Conn, org_id: i64) -> Result<()> {
    if org::is_frozen(conn, org_id)? {
        return Err(Error::conflict("Archived orgs take no new projects."));
    }
    Ok(())
}

pub(super) fn check_version(p: &Project, version: Option<i64>) -> Result<()> {
    match version {
        Some(v) if v != p.version => Err(crate::domain::user::stale()),
        _ => Ok(()),
    }
}
