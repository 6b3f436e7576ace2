//! JSON shapes of the API's objects (API.md "Objects carry at least").

use serde::Serialize;

use crate::domain::user::User;

pub use crate::db::rfc3339 as time;

#[derive(Serialize)]
pub struct UserJson {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub status: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub version: i64,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        UserJson {
            id: u.id,
            org_id: u.org_id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            job_title: u.job_title.clone(),
            status: u.status.clone(),
            created_at: time(u.created_at),
            last_login_at: u.last_login_at.map(time),
            version: u.version,
        }
    }
}
