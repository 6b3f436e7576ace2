//! A small OpenID provider for the app tests, on localhost: discovery, keys
//! and a token endpoint that checks the PKCE verifier and answers an ID token
//! signed with a test RSA key. The test plays the browser and the person: it
//! reads the authorization URL Canopy sent it to and says who signed in
//! ([`Provider::approve`]). The browser suite signs in through a real,
//! certified provider (`oidc-provider` from npm, tests/browser/sso.rs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use chrono::{Duration, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, JsonWebKeySet, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use serde_json::json;

pub const CLIENT_ID: &str = "canopy-test";
pub const CLIENT_SECRET: &str = "the-client-secret";
const KEY: &str = include_str!("../../../src/domain/sso/test_rsa_key.pem");

/// What the person approved at the provider: the ID token waiting for its code.
#[derive(Clone)]
struct Grant {
    challenge: String,
    subject: String,
    email: String,
    email_verified: bool,
    nonce: String,
}

#[derive(Default)]
struct Shared {
    codes: HashMap<String, Grant>,
    discovery_fetches: usize,
}

pub struct Provider {
    pub issuer: String,
    shared: Arc<Mutex<Shared>>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("test-key".into()))).unwrap()
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).unwrap()
}

impl Provider {
    pub async fn start() -> Provider {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (tx, rx) = std::sync::mpsc::channel();
        let (state, iss) = (shared.clone(), issuer.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let data = web::Data::new((iss, state));
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route(
                            "/.well-known/openid-configuration",
                            web::get().to(discovery),
                        )
                        .route("/jwks", web::get().to(jwks))
                        .route("/token", web::post().to(token))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = tokio::task::spawn_blocking(move || rx.recv())
            .await
            .unwrap()
            .unwrap();
        Provider {
            issuer,
            shared,
            handle,
            thread: Some(thread),
        }
    }

    /// The person signs in at the provider as `subject` with `email`: the
    /// code the provider sends the browser back with.
    pub fn approve(
        &self,
        authorize_url: &str,
        subject: &str,
        email: &str,
        verified: bool,
    ) -> String {
        let q = query_of(authorize_url);
        assert_eq!(q["code_challenge_method"], "S256", "PKCE with S256");
        assert_eq!(q["client_id"], CLIENT_ID);
        let code = format!("code-{}", rand::random::<u64>());
        self.shared.lock().unwrap().codes.insert(
            code.clone(),
            Grant {
                challenge: q["code_challenge"].clone(),
                subject: subject.into(),
                email: email.into(),
                email_verified: verified,
                nonce: q["nonce"].clone(),
            },
        );
        code
    }

    /// How often Canopy fetched the discovery document.
    pub fn discovery_fetches(&self) -> usize {
        self.shared.lock().unwrap().discovery_fetches
    }
}

type Data = web::Data<(String, Arc<Mutex<Shared>>)>;

async fn discovery(data: Data) -> HttpResponse {
    let (issuer, shared) = &**data;
    shared.lock().unwrap().discovery_fetches += 1;
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> HttpResponse {
    let keys: CoreJsonWebKeySet = JsonWebKeySet::new(vec![key().as_verification_key()]);
    HttpResponse::Ok().json(keys)
}

/// The token endpoint: client authentication, the code once, PKCE.
async fn token(
    data: Data,
    req: actix_web::HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (issuer, shared) = &**data;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Basic {basic}"));
    if !authorized {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let Some(grant) = form
        .get("code")
        .and_then(|c| shared.lock().unwrap().codes.remove(c))
    else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let verifier = PkceCodeVerifier::new(form.get("code_verifier").cloned().unwrap_or_default());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    if challenge.as_str() != grant.challenge {
        return HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": "PKCE"}));
    }
    let now = Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(grant.subject))
            .set_email(Some(EndUserEmail::new(grant.email)))
            .set_email_verified(Some(grant.email_verified)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce)));
    let id_token = CoreIdToken::new(
        claims,
        &key(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    HttpResponse::Ok().json(json!({
        "access_token": "an-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
}
