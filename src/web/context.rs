//! The request context every page handler starts from: app state, session, the
//! signed-in user (checked against the database on every request) and the
//! client's address. `SignedIn` is the same, for pages that need a user.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::PageError;
use super::layout::{Layout, MenuUser, NAV};
use super::session::WebSession;
use crate::authz::Access;
use crate::domain::audit::Actor;
use crate::domain::user::{self, User};
use crate::error::Error;
use crate::http::{AppState, client_ip};

pub struct PageCtx {
    pub state: web::Data<AppState>,
    pub session: WebSession,
    pub user: Option<User>,
    /// The signed-in user's access at this request (None when anonymous).
    pub access: Option<Access>,
    pub ip: String,
    /// Path and query of this request, for coming back after sign-in.
    pub path: String,
    /// Unread notifications and pending approvals, for the navigation.
    pub counts: NavCounts,
}

/// The numbers the navigation shows next to the bell and "Approvals".
#[derive(Clone, Copy, Debug, Default)]
pub struct NavCounts {
    pub unread: i64,
    pub approvals: usize,
}

/// Reads the navigation's numbers for a signed-in person.
fn nav_counts(conn: &mut crate::db::Conn, access: &Access) -> crate::error::Result<NavCounts> {
    use crate::domain::approval::{self, Approver};
    let approver = Approver::load(conn, access)?;
    Ok(NavCounts {
        unread: crate::domain::notification::unread_count(conn, access)?,
        approvals: approval::pending_count(conn, &approver)?,
    })
}

impl PageCtx {
    /// The page frame: navigation, user menu, CSRF token and pending flashes.
    pub fn layout(&self, title: impl Into<String>, active: &str) -> Result<Layout, PageError> {
        Ok(Layout {
            title: title.into(),
            user: self.user.as_ref().map(|u| MenuUser {
                display_name: u.display_name.clone(),
                email: u.email.clone(),
            }),
            csrf_token: self.session.csrf_token()?,
            flashes: self.session.take_flashes(),
            nav: if self.user.is_some() { NAV } else { &[] },
            counts: self.counts,
            active: active.to_string(),
        })
    }

    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(u) => Actor::session(u.id, Some(self.ip.clone())),
            None => Actor::anonymous(Some(self.ip.clone())),
        }
    }

    pub fn flash(&self, kind: &str, message: impl Into<String>) -> Result<(), PageError> {
        Ok(self.session.flash(kind, message)?)
    }

    async fn load(req: HttpRequest) -> Result<PageCtx, PageError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| Error::internal("app state missing"))?;
        let session = WebSession::from_request(&req);
        let (user, access, counts) = match session.claim() {
            None => (None, None, NavCounts::default()),
            Some((user_id, epoch)) => {
                let store = state.clone();
                let found = state
                    .db
                    .read(move |conn| {
                        let u = match user::find(conn, user_id) {
                            Ok(u) => u,
                            Err(Error::NotFound) => return Ok(None),
                            Err(e) => return Err(e),
                        };
                        // A password change, deactivation or "sign out everywhere"
                        // moves the epoch on: every older cookie stops here.
                        if !u.is_active() || u.session_epoch != epoch {
                            return Ok(None);
                        }
                        let access = Access {
                            user_id: u.id,
                            snapshot: store.authz.fresh(conn)?,
                        };
                        let counts = nav_counts(conn, &access)?;
                        Ok(Some((u, access, counts)))
                    })
                    .await?;
                match found {
                    Some((u, access, counts)) => (Some(u), Some(access), counts),
                    None => {
                        session.sign_out();
                        (None, None, NavCounts::default())
                    }
                }
            }
        };
        let path = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(PageCtx {
            ip: client_ip(&req, state.config.trust_proxy),
            state,
            session,
            user,
            access,
            path,
            counts,
        })
    }
}

impl FromRequest for PageCtx {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(PageCtx::load(req.clone()))
    }
}

/// A page context with a signed-in, active user; anyone else is sent to sign in.
pub struct SignedIn {
    pub ctx: PageCtx,
    pub user: User,
    pub access: Access,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        self.ctx.actor()
    }

    pub fn db(&self) -> &crate::db::Db {
        &self.ctx.state.db
    }
}

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = PageCtx::load(req).await?;
            match (ctx.user.clone(), ctx.access.clone()) {
                (Some(user), Some(access)) => Ok(SignedIn { ctx, user, access }),
                _ => Err(PageError::SignInRequired {
                    next: ctx.path.clone(),
                }),
            }
        })
    }
}
