//! The one error type of the domain. It knows nothing of HTTP: `web` turns it into
//! a page and `api` into a JSON body, both through `http::status_of`.

use std::collections::BTreeMap;
use std::fmt;

use diesel::result::DatabaseErrorKind;

/// Messages for the fields of a form or JSON body, keyed by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless the field already has one.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, else a validation error.
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// Messages with one entry.
    pub fn of(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// A validation error with a single field message.
    pub fn single(field: &str, message: impl Into<String>) -> Error {
        Error::Validation(Self::of(field, message))
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        write!(f, "{}", parts.join("; "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Does not exist, or the person may not know that it exists.
    #[error("not found")]
    NotFound,
    /// Nobody is signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known to the person, but the action is not theirs to take.
    #[error("{0}")]
    Forbidden(String),
    /// Input that breaks a rule, with a message per field.
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// Unique value already taken (email, code, name), with a message per field.
    #[error("already exists: {0}")]
    Duplicate(FieldErrors),
    /// The request cannot be understood at all (bad JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// Stale version, duplicate, wrong state, not empty.
    #[error("{message}")]
    Conflict {
        message: String,
        details: Option<serde_json::Value>,
    },
    /// Too many attempts; try again later.
    #[error("too many attempts, try again later")]
    RateLimited,
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// No pooled connection came free within the pool's wait: too busy now.
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::Error),
    /// The database stayed locked past its busy timeout (SQLite's
    /// `SQLITE_BUSY`/`SQLITE_LOCKED`): too busy now, try again shortly.
    #[error("database busy: {0}")]
    Busy(String),
    /// Anything else that is our fault. The message goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
            details: None,
        }
    }

    /// 409 for a record changed by someone else since it was read (a stale
    /// `version`).
    pub fn stale() -> Self {
        Error::conflict(
            "This was changed by someone else in the meantime. Reload to see the current values.",
        )
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// True for errors that are the server's fault (logged, shown generically).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Error::Database(_) | Error::Pool(_) | Error::Busy(_) | Error::Internal(_)
        )
    }

    /// True when the server is only too busy right now (no connection came
    /// free, the database stayed locked): answered 503 with `Retry-After`.
    pub fn is_overload(&self) -> bool {
        matches!(self, Error::Pool(_) | Error::Busy(_))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::Error as D;
        match err {
            D::NotFound => Error::NotFound,
            // A race lost against a concurrent insert: the same answer a check
            // before the insert would have given.
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::conflict("a record with these values already exists")
            }
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Error::conflict("a concurrent change got there first; try again")
            }
            D::DatabaseError(_, ref info) if is_busy(info.message()) => {
                Error::Busy(info.message().to_string())
            }
            other => Error::Database(other),
        }
    }
}

/// SQLite's words for a lock held past the busy timeout: "database is
/// locked" (`SQLITE_BUSY`), "database table is locked" (`SQLITE_LOCKED`).
fn is_busy(message: &str) -> bool {
    message.contains("database is locked")
        || message.contains("database table is locked")
        || message.contains("database schema is locked")
}

/// Seconds a client is asked to wait after a 503 (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 2;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(message: &str) -> Error {
        Error::from(diesel::result::Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(message.to_string()),
        ))
    }

    #[test]
    fn a_locked_database_is_an_overload_not_an_internal_failure() {
        for message in ["database is locked", "database table is locked"] {
            let err = db_error(message);
            assert!(matches!(err, Error::Busy(_)), "{err:?}");
            assert!(err.is_overload());
        }
        let other = db_error("no such table: nowhere");
        assert!(matches!(other, Error::Database(_)), "{other:?}");
        assert!(!other.is_overload());
        assert!(other.is_internal());
    }
}
