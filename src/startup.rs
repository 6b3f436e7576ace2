//! Builds the application from a `Config`: database pool, migrations, first-run
//! data, session key, and the actix server with every middleware and route.

use std::net::TcpListener;

use actix_http::error::DispatchError;
use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::AppConfig;
use actix_web::dev::Server;
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpResponse, get, web};
use std::time::Duration;
use tokio::net::TcpStream;

use crate::config::Config;
use crate::db::Db;
use crate::domain::{org, password, role, secrets, setup};
use crate::error::{Error, Result};
use crate::http::guard::Guarded;
use crate::http::{AppState, security_headers};
use crate::{api, web as pages};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "canopy_session";

/// Opens the database, applies migrations and makes sure the root org and the
/// built-in roles exist. Every command runs this first.
pub fn prepare(config: &Config) -> Result<Db> {
    prepare_with(Db::connect(&config.database_url, config.pool_size)?, config)
}

/// [`prepare`] for a command of the command line: it waits for connections
/// as long as a busy database needs ([`crate::db::COMMAND_POOL_WAIT`]).
pub fn prepare_for_command(config: &Config) -> Result<Db> {
    let db = Db::connect_waiting(
        &config.database_url,
        config.pool_size,
        crate::db::COMMAND_POOL_WAIT,
    )?;
    prepare_with(db, config)
}

fn prepare_with(db: Db, config: &Config) -> Result<Db> {
    db.exclusively(|| {
        db.migrate()?;
        db.write_sync(|conn| {
            org::ensure_root(conn, &config.root_name)?;
            role::sync_builtin(conn)
        })
    })?;
    Ok(db)
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    base_url: String,
    setup_link: Option<String>,
    server: Server,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application> {
        let prep_config = config.clone();
        let db = tokio::task::spawn_blocking(move || prepare(&prep_config))
            .await
            .map_err(Error::internal)??;
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| Error::internal(format!("cannot listen on {}: {e}", config.bind)))?;
        let port = listener.local_addr().map_err(Error::internal)?.port();
        let host = config
            .bind
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or("127.0.0.1");
        let base_url = config.base_url(&format!("{host}:{port}"));

        let (key_config, cost, setup_db) =
            (config.session_key.clone(), config.bcrypt_cost, db.clone());
        let (session_key, dummy_hash, setup_token) = tokio::task::spawn_blocking(move || {
            let key = setup_db.write_sync(|c| secrets::session_key(c, key_config.as_deref()))?;
            // Under the start-up lock: instances starting together on a fresh
            // PostgreSQL database would otherwise both replace the setup token
            // (delete, then insert) and one would fail on the other's insert.
            let token = setup_db.exclusively(|| {
                setup_db.write_sync(|c| {
                    if setup::needed(c)? {
                        Some(setup::issue_token(c)).transpose()
                    } else {
                        Ok(None)
                    }
                })
            })?;
            Ok::<_, Error>((key, password::dummy_hash(cost)?, token))
        })
        .await
        .map_err(Error::internal)??;
        let setup_link = setup_token.map(|t| format!("{base_url}/setup/{t}"));
        let (url_db, url) = (db.clone(), base_url.clone());
        tokio::task::spawn_blocking(move || {
            url_db.write_sync(|c| crate::domain::mail::set_public_url(c, &url))
        })
        .await
        .map_err(Error::internal)??;

        match &config.smtp_url {
            Some(url) => {
                let sender = crate::domain::mail::sender::Sender::new(url, &config.mail_from)?;
                tokio::spawn(sender.run(db.clone()));
            }
            None => log::info!(
                "mail: CANOPY_SMTP_URL is not set, so mail stays in the outbox (/admin/outbox)"
            ),
        }

        tokio::spawn(crate::domain::schedule::run(
            db.clone(),
            crate::domain::schedule::Plan {
                remind_hour: config.remind_hour,
                sessions: config.session_lifetimes(),
            },
        ));

        let state = web::Data::new(AppState {
            config: config.clone(),
            db,
            dummy_hash,
            base_url: base_url.clone(),
            authz: crate::authz::AuthzStore::new(),
            sso: std::sync::Arc::new(
                crate::domain::sso::oidc::Providers::new().map_err(Error::internal)?,
            ),
        });
        let key = Key::from(&session_key);
        let secure = config.is_https();
        let app = move || {
            let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name(SESSION_COOKIE.into())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Private)
                .build();
            App::new()
                .app_data(state.clone())
                // Registered inner to outer: the CSRF check needs the session;
                // text with control characters is refused before any handler.
                .wrap(from_fn(refuse_control_characters))
                .wrap(from_fn(pages::csrf::protect))
                .wrap(session)
                .wrap(security_headers())
                // Every step inside sees the GET a HEAD mirrors; the log
                // outside still says HEAD.
                .wrap(from_fn(crate::http::head::as_get))
                .wrap(
                    Logger::new("%a \"%{request}xi\" %s %b %Dms")
                        .custom_request_replace("request", crate::http::logged_request_line),
                )
                .service(healthz)
                .configure(api::configure)
                .configure(crate::scim::configure)
                .configure(pages::configure)
                .default_service(web::to(pages::not_found))
        };
        let blocking_threads = 2 * config.pool_size as usize;
        let server =
            serve(app, listener, config.workers, blocking_threads).map_err(Error::internal)?;
        Ok(Application {
            port,
            base_url,
            setup_link,
            server,
        })
    }

    /// Stops the server from elsewhere (tests run many apps in one process).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The one-time link that creates the first administrator, while none exists.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Serves `app` on `listener` the way actix-web's `HttpServer::listen` does
/// (same defaults: keep-alive, 5 s to send a head, 1 s to disconnect, graceful
/// shutdown, one app per worker), except that each connection is wrapped in
/// the request-line guard (`http::guard`), which answers an over-long request
/// line with a 414 and a body instead of actix-http's empty 400. Each worker
/// runs database work on at most `blocking_threads` threads: twice the pool,
/// so a request beyond the pool still waits in the pool's bounded queue (503
/// after `db::POOL_WAIT`) rather than in tokio's, while tokio's default (256 a
/// worker) let the sweep start over a hundred threads, each keeping its stack
/// and its allocator's cache (docs/performance.md, "Memory and saves").
fn serve<F, I, S, B>(
    app: F,
    listener: TcpListener,
    workers: Option<usize>,
    blocking_threads: usize,
) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, actix_http::Request>,
    S: ServiceFactory<
            actix_http::Request,
            Config = AppConfig,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    S::Response: Into<actix_http::Response<B>> + 'static,
    S::Service: 'static,
    <S::Service as actix_service::Service<actix_http::Request>>::Future: 'static,
    B: actix_web::body::MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    let mut builder = actix_server::Server::build().worker_max_blocking_threads(blocking_threads);
    if let Some(workers) = workers {
        builder = builder.workers(workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    let builder = builder.listen(format!("canopy-{addr}"), listener, move || {
        let shutdown = shutdown.clone();
        let http = HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = shutdown.clone();
                async move { signal.notified().await }
            })
            .keep_alive(KeepAlive::default())
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .h1_allow_half_closed(true)
            .local_addr(addr);
        let app = app()
            .into_factory()
            .map_err(|err: actix_web::Error| err.error_response());
        // The host and address actix-web's own server gives the app.
        let http = http.finish(map_config(app, move |_| {
            AppConfig::__priv_test_new(false, addr.to_string(), addr)
        }));
        fn_service(|io: TcpStream| async move {
            let peer = io.peer_addr().ok();
            Ok::<_, DispatchError>((Guarded::new(io), Protocol::Http1, peer))
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}

/// Refuses a request whose query string or form / JSON body holds a control
/// character other than tab and line breaks (`http::input`): 422 naming the
/// field, as the API's JSON error under `/api/`, a SCIM error under
/// `/scim/`, as a page elsewhere.
async fn refuse_control_characters(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> std::result::Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error>
{
    use crate::http::input::{self, Refusal};
    let is_api = req.path().starts_with("/api/");
    let is_scim = req.path().starts_with("/scim/");
    let limit = if is_api || is_scim {
        api::MAX_JSON_BYTES
    } else {
        pages::csrf::MAX_FORM_BYTES
    };
    match input::check(&mut req, limit).await {
        Ok(()) => next
            .call(req)
            .await
            .map(actix_web::dev::ServiceResponse::map_into_boxed_body),
        Err(refusal) if is_scim => Ok(req.error_response(match refusal {
            Refusal::Text(err) => crate::scim::ScimError::from(err),
            Refusal::TooLarge => crate::scim::ScimError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                None,
                "The body is too large.".into(),
            ),
        })),
        Err(refusal) if is_api => Ok(req.error_response(match refusal {
            Refusal::Text(err) => api::ApiError::Domain(err),
            Refusal::TooLarge => api::ApiError::PayloadTooLarge,
        })),
        Err(refusal) => Ok(req.error_response(match refusal {
            Refusal::Text(err) => pages::PageError::Domain(err),
            Refusal::TooLarge => pages::PageError::PayloadTooLarge,
        })),
    }
}

/// `GET /healthz`: 200 `ok` when the database answers.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use diesel::connection::SimpleConnection;
    let answer = state
        .db
        .read(|conn| conn.batch_execute("SELECT 1").map_err(Error::from))
        .await;
    match answer {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(err) => {
            log::error!("health check failed: {err}");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
