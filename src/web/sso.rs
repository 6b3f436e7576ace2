//! Single sign-on on the pages: sending a person to their org's provider
//! from the sign-in page's email step, and the provider's answer at
//! `GET /sign-in/sso/callback`. The rules are `domain::sso`'s; a verified
//! identity ends through `auth::complete` and [`super::auth::signed_in`], like
//! a right password.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{SignInPage, signed_in};
use super::layout::Layout;
use super::{PageCtx, PageError, render};
use crate::domain::sso::oidc::{Client, Failure};
use crate::domain::sso::{self, Config, sign_in};
use crate::domain::{audit, secrets};

pub const CALLBACK_PATH: &str = "/sign-in/sso/callback";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(callback);
}

/// The page that takes the browser to the provider. A redirect answering the
/// email form would be one the page's `form-action 'self'` forbids, so this
/// page moves on by itself (a refresh, not a form) and offers a link.
#[derive(Template)]
#[template(path = "auth/sso_redirect.html")]
struct RedirectPage {
    layout: Layout,
    url: String,
}

fn callback_url(ctx: &PageCtx) -> String {
    format!(
        "{}{CALLBACK_PATH}",
        ctx.state.base_url.trim_end_matches('/')
    )
}

/// What a provider sign-in needs to know, with the secret opened.
async fn client_of<'a>(ctx: &PageCtx, config: &'a Config) -> Result<Client<'a>, PageError> {
    let sealed = config.clone();
    let client_secret = ctx
        .state
        .db
        .read(move |conn| sealed.client_secret(conn))
        .await?;
    Ok(Client {
        issuer: &config.issuer_url,
        client_id: &config.client_id,
        client_secret,
        redirect_url: callback_url(ctx),
    })
}

/// Starts a sign-in at the org's provider: state, nonce and PKCE verifier
/// kept on the server (`sign_in::remember`), the state's hash in this
/// browser's session too, and the browser sent on.
pub(super) async fn send_to_provider(
    ctx: &PageCtx,
    config: &Config,
    email: &str,
    next: &str,
) -> Result<HttpResponse, PageError> {
    let client = client_of(ctx, config).await?;
    let begun = match ctx.state.sso.begin(&client).await {
        Ok(begun) => begun,
        Err(failure) => {
            log::warn!("single sign-on for org {}: {failure}", config.org_id);
            return Ok(render(
                StatusCode::BAD_GATEWAY,
                &SignInPage {
                    layout: ctx.layout("Sign in", "")?,
                    step: "email",
                    email: email.to_string(),
                    next: next.to_string(),
                    error: Some(failure.message().into()),
                },
            ));
        }
    };
    ctx.session
        .set_sso_state(&secrets::token_hash(&begun.state))?;
    // The provider may be asked for the same person: a hint, not a rule.
    let url = format!(
        "{}&login_hint={}",
        begun.url,
        super::error::urlencode(email)
    );
    let (org_id, next) = (config.org_id, next.to_string());
    ctx.state
        .db
        .write(move |conn| sign_in::remember(conn, org_id, &begun, &next))
        .await?;
    Ok(render(
        StatusCode::OK,
        &RedirectPage {
            layout: ctx.layout("Sign in", "")?,
            url,
        },
    ))
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider says it.
    iss: Option<String>,
}

/// The sign-in page again with a message: the refused ends of a provider
/// sign-in.
fn refused(ctx: &PageCtx, status: StatusCode, message: &str) -> Result<HttpResponse, PageError> {
    Ok(render(
        status,
        &SignInPage {
            layout: ctx.layout("Sign in", "")?,
            step: "email",
            email: String::new(),
            next: "/".into(),
            error: Some(message.into()),
        },
    ))
}

const STALE: &str =
    "That sign-in link is not valid any more (used already, or too old). Sign in again.";

/// `GET /sign-in/sso/callback`: the provider's answer. The state must be one
/// this browser was sent with and not used before; the code is redeemed with
/// the PKCE verifier and the ID token checked against the nonce; then the
/// person is found, linked or created, and signed in.
#[get("/sign-in/sso/callback")]
async fn callback(
    ctx: PageCtx,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let CallbackQuery {
        code,
        state,
        error,
        iss,
    } = query.into_inner();
    let Some(state) = state.filter(|s| !s.is_empty() && s.len() <= 200) else {
        return refused(&ctx, StatusCode::BAD_REQUEST, STALE);
    };
    // Taken from the browser and the server alike, whatever follows: one use.
    let bound = ctx.session.take_sso_state();
    let taken = state.clone();
    let pending = ctx
        .state
        .db
        .write(move |conn| sign_in::take(conn, &taken))
        .await?;
    let same_browser =
        bound.is_some_and(|h| secrets::constant_time_eq(&h, &secrets::token_hash(&state)));
    let (Some(pending), true) = (pending, same_browser) else {
        return refused(&ctx, StatusCode::BAD_REQUEST, STALE);
    };
    let org_id = pending.org_id;
    let Some(config) = ctx.state.db.read(move |conn| sso::at(conn, org_id)).await? else {
        return refused(&ctx, StatusCode::BAD_REQUEST, STALE);
    };
    // An answer that names another issuer is not this provider's (a mix-up).
    let error = match iss {
        Some(iss) if iss.trim_end_matches('/') != config.issuer_url.trim_end_matches('/') => {
            Some(format!("an answer from issuer {iss}"))
        }
        _ => error,
    };
    let identity = match (code, error) {
        (Some(code), None) => {
            let client = client_of(&ctx, &config).await?;
            ctx.state
                .sso
                .finish(&client, &code, &pending.nonce, &pending.pkce_verifier)
                .await
        }
        (_, error) => Err(Failure::Denied(error.unwrap_or_else(|| "no code".into()))),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(failure) => {
            log::warn!("single sign-on for org {org_id}: {failure}");
            let (ip, detail) = (ctx.ip.clone(), failure.to_string());
            ctx.state
                .db
                .write(move |conn| {
                    let event = audit::Event::new(sso::REFUSED, audit::Target::Org, Some(org_id))
                        .org(org_id)
                        .after(serde_json::json!({"reason": detail}));
                    audit::record(conn, &audit::Actor::anonymous(Some(ip)), event)
                })
                .await?;
            return refused(&ctx, StatusCode::BAD_GATEWAY, failure.message());
        }
    };
    let ip = ctx.ip.clone();
    let outcome = ctx
        .state
        .db
        .write(move |conn| sign_in::complete(conn, &config, &identity, &ip))
        .await?;
    match outcome {
        Ok(passed) => signed_in(&ctx, passed, &pending.next_path).await,
        Err(refusal) => refused(&ctx, StatusCode::FORBIDDEN, refusal.message()),
    }
}
