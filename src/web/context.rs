//! The request context every page handler starts from: app state, session, the
//! signed-in user (checked against the database on every request) and the
//! client's address. `SignedIn` is the same, for pages that need a user.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::error::PageError;
use super::layout::{Brand, ContextOrg, Layout, MenuUser, crumbs_for, nav_for};
use super::session::WebSession;
use crate::authz::Access;
use crate::authz::Permission;
use crate::domain::audit::Actor;
use crate::domain::user::User;
use crate::domain::{context, session};
use crate::error::Error;
use crate::http::{AppState, client_ip};

pub struct PageCtx {
    pub state: web::Data<AppState>,
    pub session: WebSession,
    pub user: Option<User>,
    /// The stored session's row id when someone is signed in (`domain::session`).
    pub session_id: Option<i64>,
    /// The signed-in user's access at this request (None when anonymous).
    pub access: Option<Access>,
    pub ip: String,
    /// Path and query of this request, for coming back after sign-in.
    pub path: String,
    /// Unread notifications and pending approvals, for the navigation.
    pub counts: NavCounts,
    /// The org the person works in (id, as the switcher names it).
    pub context: Option<(i64, String)>,
    pub brand: Brand,
}

pub use crate::domain::nav_counts::NavCounts;

impl PageCtx {
    /// The page frame: navigation, user menu, CSRF token and pending flashes.
    pub fn layout(&self, title: impl Into<String>, active: &str) -> Result<Layout, PageError> {
        let title = title.into();
        let context_id = self.context.as_ref().map(|(id, _)| *id);
        let nav = match &self.access {
            Some(access) => nav_for(access, self.counts.approves, context_id),
            None => Vec::new(),
        };
        let crumbs = match &self.user {
            Some(_) => crumbs_for(&nav, active, &title),
            None => Vec::new(),
        };
        let context = match &self.context {
            Some((id, name)) => Some(ContextOrg {
                id: *id,
                name: name.clone(),
                picker: super::pick::Picker::org("context_org", "Work in", Permission::OrgSettings)
                    .id("context-org")
                    .render()
                    .map_err(crate::Error::internal)?,
            }),
            None => None,
        };
        Ok(Layout {
            title,
            user: self.user.as_ref().map(|u| MenuUser {
                display_name: u.display_name.clone(),
                email: u.email.clone(),
            }),
            csrf_token: self.session.csrf_token()?,
            flashes: self.session.take_flashes(),
            nav,
            counts: self.counts,
            active: active.to_string(),
            crumbs,
            brand: self.brand.clone(),
            context,
            here: self.path.clone(),
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

    /// Signs `user` in on this browser: ends the session this browser had, if
    /// any (so a copy of the old cookie stops working), stores a new one
    /// (pruning expired ones) and puts its id in a renewed cookie.
    pub async fn start_session(&self, user: &User) -> Result<(), PageError> {
        let (user_id, home, life) = (user.id, user.org_id, self.state.config.session_lifetimes());
        let previous = self.session_id;
        let (secret, must_enroll) = self
            .state
            .db
            .write(move |c| {
                if let Some(id) = previous {
                    session::end(c, id)?;
                }
                let must_enroll = crate::domain::two_factor::required_for(c, home)?
                    && !crate::domain::two_factor::is_on(c, user_id)?;
                Ok((session::start(c, user_id, life)?, must_enroll))
            })
            .await?;
        self.session.sign_in(user, &secret)?;
        Ok(self.session.set_must_enroll(must_enroll)?)
    }

    async fn load(req: HttpRequest) -> Result<PageCtx, PageError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| Error::internal("app state missing"))?;
        let session = WebSession::from_request(&req);
        let chosen = session.context_org();
        let signed_out = (
            None,
            None,
            None,
            NavCounts::default(),
            None,
            Brand::default(),
        );
        let (user, session_id, access, counts, context, brand) = match session.claim() {
            None => signed_out,
            Some((secret, epoch)) => {
                let store = state.clone();
                let life = state.config.session_lifetimes();
                let found = state
                    .db
                    .read(move |conn| {
                        // Signed out, idle too long or too old: no row comes back.
                        let Some(live) = session::find_live(conn, &secret, life)? else {
                            return Ok(None);
                        };
                        // A password change, deactivation or "sign out everywhere"
                        // moves the epoch on: every older cookie stops here.
                        let u = &live.user;
                        if !u.is_active() || u.session_epoch != epoch {
                            return Ok(None);
                        }
                        let access = Access {
                            user_id: u.id,
                            snapshot: store.authz.fresh(conn)?,
                        };
                        let counts = crate::domain::nav_counts::of(conn, &access)?;
                        let working = context::working_org(&access, chosen);
                        let context = match working {
                            Some(org) => Some((org, crate::domain::org::find(conn, org)?.name)),
                            None => None,
                        };
                        let at = working.unwrap_or(u.org_id);
                        let (name, accent) = context::brand(conn, at)?;
                        let logo = context::logo(conn, at, name.as_deref())?;
                        let brand = Brand { name, accent, logo };
                        Ok(Some((live, access, counts, context, brand)))
                    })
                    .await?;
                match found {
                    Some((live, access, counts, context, brand)) => {
                        if live.needs_touch {
                            let id = live.id;
                            state.db.write(move |c| session::touch(c, id)).await?;
                        }
                        let user = Some(live.user);
                        (user, Some(live.id), Some(access), counts, context, brand)
                    }
                    None => {
                        session.sign_out();
                        signed_out
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
            session_id,
            access,
            path,
            counts,
            context,
            brand,
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
                (Some(_), Some(_))
                    if ctx.session.must_enroll()
                        && !super::two_factor::open_before_enrolling(&ctx.path) =>
                {
                    Err(PageError::EnrollTwoFactor)
                }
                (Some(user), Some(access)) => Ok(SignedIn { ctx, user, access }),
                _ => Err(PageError::SignInRequired {
                    next: ctx.path.clone(),
                }),
            }
        })
    }
}
