//! Users: people with exactly one home org.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::db::{Conn, schema::users};
use crate::domain::validate::{self, Email};
use crate::error::{Error, FieldErrors, Result};

mod acting;
mod reads;
mod writes;

pub use acting::*;
pub use reads::*;
pub use writes::*;

crate::text_enum! {
    /// Where an account is (`users.status`).
    pub enum UserStatus {
        Invited = "invited",
        Active = "active",
        Deactivated = "deactivated",
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub phone: String,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub session_epoch: i64,
    pub last_login_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn status(&self) -> UserStatus {
        self.status
    }

    pub fn is_active(&self) -> bool {
        self.status() == UserStatus::Active
    }

    /// What the audit log keeps of a user: never the password hash.
    pub fn audit_view(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "org_id": self.org_id,
            "email": self.email,
            "display_name": self.display_name,
            "job_title": self.job_title,
            "status": self.status,
        })
    }
}

/// A validated new user.
pub struct NewUser {
    pub org_id: i64,
    pub email: Email,
    pub display_name: String,
    pub job_title: String,
    pub status: UserStatus,
    pub password_hash: Option<String>,
}

/// Parses the display name of a user.
pub fn parse_display_name(raw: &str) -> std::result::Result<String, String> {
    validate::required_line(raw, "Name", 200)
}

pub fn find(conn: &mut Conn, id: i64) -> Result<User> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?)
}

pub fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>> {
    Ok(users::table
        .filter(users::email_key.eq(validate::key(email)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut Conn) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

/// The answer to an edit based on an old version.
pub fn stale() -> Error {
    Error::stale()
}

/// A new user as an administrator types it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewUserInput {
    pub org_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    /// With a password the user is active at once; without, they are invited.
    pub password: Option<String>,
}

/// The validated parts of a [`NewUserInput`].
pub struct NewUserValues {
    pub org_id: i64,
    pub email: Email,
    pub display_name: String,
    pub job_title: String,
    pub password: Option<validate::NewPassword>,
}

impl NewUserInput {
    pub fn parse(&self) -> Result<NewUserValues> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let display_name = parse_display_name(&self.display_name)
            .map_err(|m| errors.add("display_name", m))
            .ok();
        let job_title = validate::optional_line(&self.job_title, "Job title", 200)
            .map_err(|m| errors.add("job_title", m))
            .unwrap_or_default();
        let password = match self.password.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => validate::NewPassword::parse(p)
                .map_err(|m| errors.add("password", m))
                .ok(),
        };
        if self.org_id.is_none() {
            errors.add("org_id", "Choose the user's home organization.");
        }
        errors.into_result()?;
        match (email, display_name) {
            (Some(email), Some(display_name)) => Ok(NewUserValues {
                org_id: self.org_id.unwrap_or_default(),
                email,
                display_name,
                job_title,
                password,
            }),
            _ => Err(Error::internal("validated input lost a field")),
        }
    }
}
