//! The grant form of the org access tab and of the project page: a user by
//! exact email, a role, the reach and an optional expiry in days. Both submit
//! it through here and so through `grant_invite::grant_by_email_as` and
//! `grant::grant_as`, the one grant rule. The role list is
//! `grant::grantable_roles`.

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{PageError, SignedIn};
use crate::domain::grant::Scope;
use crate::domain::grant_invite::{self, EmailGrant, Outcome};
use crate::domain::validate::Email;
use crate::error::{Error, FieldErrors};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role_id: String,
    /// "below" (default) or "here"; a project grant has no reach.
    #[serde(default)]
    pub reach: String,
    #[serde(default)]
    pub expires_in_days: String,
}

/// What a well-formed grant form asks for.
struct GrantInput {
    email: Email,
    role_id: i64,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
}

impl GrantForm {
    /// A fresh form: "and below" chosen.
    pub fn new() -> GrantForm {
        GrantForm {
            reach: "below".into(),
            ..GrantForm::default()
        }
    }

    fn parse(&self) -> Result<GrantInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let role_id = self
            .role_id
            .trim()
            .parse::<i64>()
            .map_err(|_| errors.add("role_id", "Choose a role."))
            .ok();
        let days = self.expires_in_days.trim();
        let expires_at = if days.is_empty() {
            None
        } else {
            match days.parse::<i64>() {
                Ok(d) if (1..=3650).contains(&d) => {
                    Some(crate::db::now() + chrono::Duration::days(d))
                }
                _ => {
                    errors.add(
                        "expires_in_days",
                        "Enter a number of days from 1 to 3650, or leave it blank.",
                    );
                    None
                }
            }
        };
        let email = Email::parse(&self.email)
            .map_err(|_| errors.add("email", "Enter the person's exact email."))
            .ok();
        match (role_id, email) {
            (Some(role_id), Some(email)) if errors.is_empty() => Ok(GrantInput {
                email,
                role_id,
                descendants: self.reach != "here",
                expires_at,
            }),
            _ => Err(errors),
        }
    }

    /// Makes the grant the form asks for at `scope`, as `me`. `Ok(Ok(message))`
    /// when made; `Ok(Err((status, errors)))` when the form should be shown
    /// again with messages next to its fields; `Err` for anything else (404
    /// for a scope or group the person may not see).
    pub async fn submit(
        &self,
        me: &SignedIn,
        scope: Scope,
    ) -> Result<Result<String, (StatusCode, FieldErrors)>, PageError> {
        let input = match self.parse() {
            Ok(input) => input,
            Err(errors) => return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors))),
        };
        let (access, actor) = (me.access.clone(), me.actor());
        let outcome = me
            .db()
            .write(move |conn| {
                let request = EmailGrant {
                    email: input.email,
                    role_id: input.role_id,
                    scope,
                    descendants: input.descendants,
                    expires_at: input.expires_at,
                };
                let place = match scope {
                    Scope::Org(_) => "here",
                    Scope::Project(_) => "on this project",
                };
                Ok(
                    match grant_invite::grant_by_email_as(conn, &access, &actor, &request)? {
                        Outcome::Visible(user, _, role) => {
                            format!("{} is now {} {place}.", user.display_name, role.name)
                        }
                        Outcome::Sent(role) => grant_invite::sent_message(&role),
                    },
                )
            })
            .await;
        match outcome {
            Ok(message) => Ok(Ok(message)),
            Err(Error::Validation(errors) | Error::Duplicate(errors)) => {
                Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors)))
            }
            Err(Error::Forbidden(message)) => Ok(Err((
                StatusCode::FORBIDDEN,
                FieldErrors::of("role_id", &message),
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
