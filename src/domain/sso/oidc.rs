//! The OpenID Connect side of single sign-on, with the `openidconnect` crate:
//! the provider's discovery document and keys (fetched, cached per issuer for
//! [`CACHE_TTL`], the keys fetched again once when a token names a key the
//! cache lacks), the authorization request (code flow, PKCE S256, a random
//! state and nonce) and the ID token's check (signature, issuer, audience,
//! expiry, nonce), then the UserInfo endpoint for the email when the ID
//! token carries none.
//!
//! Nothing here touches the database: the state, nonce and PKCE verifier are
//! kept by [`super::sign_in`], which takes them once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError, SubjectIdentifier,
    TokenResponse, reqwest,
};

/// How long a provider's discovery document and keys are used before they are
/// fetched again.
pub const CACHE_TTL: Duration = Duration::from_secs(15 * 60);
/// How long one request to a provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a sign-in through the provider did not happen. The person is told
/// [`Failure::message`]; the detail goes to the log and the audit entry.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The provider could not be reached or answered something unusable.
    #[error("provider unavailable: {0}")]
    Provider(String),
    /// The ID token failed its check.
    #[error("ID token refused: {0}")]
    Token(String),
    /// The provider said no (the person cancelled, or was refused there).
    #[error("the provider answered {0}")]
    Denied(String),
}

impl Failure {
    pub fn message(&self) -> &'static str {
        match self {
            Failure::Provider(_) => {
                "Your organization's sign-in provider could not be reached. Try again in a moment."
            }
            Failure::Token(_) => {
                "The answer from your organization's sign-in provider could not be verified. \
                 Sign in again."
            }
            Failure::Denied(_) => "The sign-in provider did not sign you in.",
        }
    }
}

fn provider(e: impl std::fmt::Display) -> Failure {
    Failure::Provider(e.to_string())
}

/// A sign-in sent to the provider: where to send the browser, and what must
/// come back (kept on the server, never shown).
pub struct Begun {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in, from a verified ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified` as the provider said it (absent when it did not).
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// What one sign-in needs to know of the org's provider.
pub struct Client<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<String>,
    /// Canopy's callback, as registered at the provider.
    pub redirect_url: String,
}

struct Cached {
    metadata: CoreProviderMetadata,
    fetched: Instant,
}

/// The providers' discovery documents and keys, per issuer, and the HTTP
/// client that fetches them (no redirects followed, a short timeout).
pub struct Providers {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Providers {
    pub fn new() -> Result<Providers, Failure> {
        let http = reqwest::Client::builder()
            // Following redirects would let a provider's answer send Canopy's
            // requests elsewhere (server-side request forgery).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(provider)?;
        Ok(Providers {
            http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The issuer's discovery document with its keys: the cached one while
    /// it is younger than [`CACHE_TTL`] (and `fresh` is false), else fetched.
    async fn metadata(&self, issuer: &str, fresh: bool) -> Result<CoreProviderMetadata, Failure> {
        if !fresh && let Some(hit) = self.cached(issuer) {
            return Ok(hit);
        }
        let issuer_url = IssuerUrl::new(issuer.to_string()).map_err(provider)?;
        // Fetches the document, checks that it names this issuer, and fetches
        // its key set.
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &self.http)
            .await
            .map_err(provider)?;
        self.store(issuer, &metadata);
        Ok(metadata)
    }

    fn cached(&self, issuer: &str) -> Option<CoreProviderMetadata> {
        let cache = self.cache.lock().ok()?;
        let hit = cache.get(issuer)?;
        (hit.fetched.elapsed() < CACHE_TTL).then(|| hit.metadata.clone())
    }

    fn store(&self, issuer: &str, metadata: &CoreProviderMetadata) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                issuer.to_string(),
                Cached {
                    metadata: metadata.clone(),
                    fetched: Instant::now(),
                },
            );
        }
    }

    /// The keys again, for a token signed with a key the cache lacks (the
    /// provider rotated its keys); the discovery document stays.
    async fn refetch_keys(
        &self,
        issuer: &str,
        metadata: CoreProviderMetadata,
    ) -> Result<CoreProviderMetadata, Failure> {
        let keys: CoreJsonWebKeySet = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(provider)?;
        let metadata = metadata.set_jwks(keys);
        self.store(issuer, &metadata);
        Ok(metadata)
    }

    /// Starts a sign-in: the provider's authorization URL with a fresh
    /// state, nonce and PKCE challenge (S256).
    pub async fn begin(&self, client: &Client<'_>) -> Result<Begun, Failure> {
        let metadata = self.metadata(client.issuer, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = oidc_client(metadata, client)?
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Begun {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: redeems the code (with the PKCE verifier) at the
    /// token endpoint and checks the ID token against the nonce sent.
    pub async fn finish(
        &self,
        client: &Client<'_>,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, Failure> {
        let metadata = self.metadata(client.issuer, false).await?;
        let oidc = oidc_client(metadata.clone(), client)?;
        let response = oidc
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(provider)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::Provider(format!("token endpoint: {e}")))?;
        let token = response
            .id_token()
            .ok_or_else(|| Failure::Token("the token response has no ID token".into()))?;
        let expected = Expected {
            issuer: client.issuer,
            client_id: client.client_id,
            client_secret: client.client_secret.as_deref(),
            nonce,
        };
        let identity = match check_id_token(token, &expected, metadata.jwks()) {
            Err(TokenError::UnknownKey) => {
                let metadata = self.refetch_keys(client.issuer, metadata).await?;
                check_id_token(token, &expected, metadata.jwks())
            }
            other => other,
        }
        .map_err(|e| Failure::Token(e.to_string()))?;
        if identity.email.is_some() {
            return Ok(identity);
        }
        // Many providers put the profile's claims (the email) in the UserInfo
        // answer only, not in the ID token of a code flow: asked with the
        // access token, for the subject the verified ID token names.
        let Ok(request) = oidc.user_info(
            response.access_token().clone(),
            Some(SubjectIdentifier::new(identity.subject.clone())),
        ) else {
            return Ok(identity);
        };
        let info: CoreUserInfoClaims = request
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::Provider(format!("userinfo endpoint: {e}")))?;
        Ok(Identity {
            email: info.email().map(|e| e.to_string()),
            email_verified: info.email_verified(),
            name: identity
                .name
                .clone()
                .or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.to_string())),
            ..identity
        })
    }
}

fn oidc_client(
    metadata: CoreProviderMetadata,
    client: &Client<'_>,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Failure,
> {
    let redirect = RedirectUrl::new(client.redirect_url.clone()).map_err(provider)?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.client_id.to_string()),
        client.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

/// What an ID token must say to be taken.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub nonce: &'a str,
}

/// Why an ID token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Signed with a key the provider's key set (as cached) does not hold.
    #[error("signed with an unknown key")]
    UnknownKey,
    #[error("bad signature: {0}")]
    Signature(String),
    #[error("wrong issuer: {0}")]
    Issuer(String),
    #[error("wrong audience: {0}")]
    Audience(String),
    #[error("expired: {0}")]
    Expired(String),
    #[error("wrong nonce: {0}")]
    Nonce(String),
    #[error("{0}")]
    Other(String),
}

/// The signature algorithms an ID token may use: the asymmetric ones, and
/// with a client secret the HMAC ones keyed by it.
fn allowed_algs(with_secret: bool) -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    let mut algs = vec![
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::EdDsa,
    ];
    if with_secret {
        algs.extend([A::HmacSha256, A::HmacSha384, A::HmacSha512]);
    }
    algs
}

/// Checks an ID token: its signature under the provider's keys, its issuer,
/// that this client is its audience, that it has not expired, and that it
/// carries the nonce this sign-in sent.
pub fn check_id_token(
    token: &CoreIdToken,
    expected: &Expected<'_>,
    keys: &CoreJsonWebKeySet,
) -> Result<Identity, TokenError> {
    let issuer = IssuerUrl::new(expected.issuer.to_string())
        .map_err(|e| TokenError::Other(e.to_string()))?;
    let client_id = ClientId::new(expected.client_id.to_string());
    let verifier = match expected.client_secret {
        Some(secret) => CoreIdTokenVerifier::new_confidential_client(
            client_id,
            ClientSecret::new(secret.to_string()),
            issuer,
            keys.clone(),
        ),
        None => CoreIdTokenVerifier::new_public_client(client_id, issuer, keys.clone()),
    }
    .set_allowed_algs(allowed_algs(expected.client_secret.is_some()));
    let nonce = Nonce::new(expected.nonce.to_string());
    let claims = token.claims(&verifier, &nonce).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => TokenError::UnknownKey,
        ClaimsVerificationError::SignatureVerification(s) => TokenError::Signature(s.to_string()),
        ClaimsVerificationError::InvalidIssuer(m) => TokenError::Issuer(m),
        ClaimsVerificationError::InvalidAudience(m) => TokenError::Audience(m),
        ClaimsVerificationError::Expired(m) => TokenError::Expired(m),
        ClaimsVerificationError::InvalidNonce(m) => TokenError::Nonce(m),
        other => TokenError::Other(other.to_string()),
    })?;
    Ok(Identity {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration as Span, Utc};
    use openidconnect::core::{CoreIdTokenClaims, CoreRsaPrivateSigningKey};
    use openidconnect::{
        Audience, EmptyAdditionalClaims, EndUserEmail, JsonWebKeyId, PrivateSigningKey,
        StandardClaims, SubjectIdentifier,
    };

    use super::*;

    const ISSUER: &str = "https://id.example.com";
    const CLIENT: &str = "canopy";
    const NONCE: &str = "the-nonce-this-sign-in-sent";

    /// A 2048-bit RSA key made for these tests only (openssl genrsa).
    const TEST_KEY: &str = include_str!("test_rsa_key.pem");
    /// Another one, standing for a key the provider does not publish.
    const OTHER_KEY: &str = include_str!("test_rsa_key_other.pem");

    fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
    }

    fn published() -> CoreJsonWebKeySet {
        JsonWebKeySet::new(vec![key(TEST_KEY, "k1").as_verification_key()])
    }

    struct Token<'a> {
        signer: CoreRsaPrivateSigningKey,
        audience: &'a str,
        issuer: &'a str,
        expires_in: Span,
        nonce: &'a str,
    }

    impl Default for Token<'_> {
        fn default() -> Self {
            Token {
                signer: key(TEST_KEY, "k1"),
                audience: CLIENT,
                issuer: ISSUER,
                expires_in: Span::minutes(5),
                nonce: NONCE,
            }
        }
    }

    impl Token<'_> {
        fn sign(self) -> CoreIdToken {
            let now = Utc::now();
            let claims = CoreIdTokenClaims::new(
                IssuerUrl::new(self.issuer.into()).unwrap(),
                vec![Audience::new(self.audience.into())],
                now + self.expires_in,
                now - Span::minutes(10),
                StandardClaims::new(SubjectIdentifier::new("user-42".into()))
                    .set_email(Some(EndUserEmail::new("ada@acme.example".into())))
                    .set_email_verified(Some(true)),
                EmptyAdditionalClaims {},
            )
            .set_nonce(Some(Nonce::new(self.nonce.into())));
            CoreIdToken::new(
                claims,
                &self.signer,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                None,
                None,
            )
            .unwrap()
        }
    }

    fn check(token: Token<'_>) -> Result<Identity, TokenError> {
        let expected = Expected {
            issuer: ISSUER,
            client_id: CLIENT,
            client_secret: Some("client-secret"),
            nonce: NONCE,
        };
        check_id_token(&token.sign(), &expected, &published())
    }

    #[test]
    fn a_good_token_names_the_person() {
        let identity = check(Token::default()).unwrap();
        assert_eq!(identity.issuer, ISSUER);
        assert_eq!(identity.subject, "user-42");
        assert_eq!(identity.email.as_deref(), Some("ada@acme.example"));
        assert_eq!(identity.email_verified, Some(true));
    }

    #[test]
    fn a_bad_signature_is_refused() {
        // Signed by another key under the published key's id.
        let forged = Token {
            signer: key(OTHER_KEY, "k1"),
            ..Token::default()
        };
        assert!(
            matches!(check(forged), Err(TokenError::Signature(_))),
            "forged signature"
        );
        // A token altered after signing: its payload swapped for another
        // one's (a later expiry), its signature kept.
        let good = Token::default().sign().to_string();
        let other = Token {
            expires_in: Span::hours(10),
            ..Token::default()
        }
        .sign()
        .to_string();
        let parts: Vec<&str> = good.split('.').collect();
        let swapped = format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).unwrap(),
            parts[2]
        );
        let tampered: CoreIdToken = swapped.parse().unwrap();
        let expected = Expected {
            issuer: ISSUER,
            client_id: CLIENT,
            client_secret: None,
            nonce: NONCE,
        };
        assert!(matches!(
            check_id_token(&tampered, &expected, &published()),
            Err(TokenError::Signature(_))
        ));
    }

    #[test]
    fn an_unknown_key_asks_for_the_keys_again() {
        let rotated = Token {
            signer: key(OTHER_KEY, "k2"),
            ..Token::default()
        };
        assert_eq!(check(rotated), Err(TokenError::UnknownKey));
    }

    #[test]
    fn a_wrong_audience_is_refused() {
        let token = Token {
            audience: "another-client",
            ..Token::default()
        };
        assert!(matches!(check(token), Err(TokenError::Audience(_))));
    }

    #[test]
    fn a_wrong_issuer_is_refused() {
        let token = Token {
            issuer: "https://evil.example.com",
            ..Token::default()
        };
        assert!(matches!(check(token), Err(TokenError::Issuer(_))));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = Token {
            expires_in: Span::minutes(-2),
            ..Token::default()
        };
        assert!(matches!(check(token), Err(TokenError::Expired(_))));
    }

    #[test]
    fn a_wrong_nonce_is_refused() {
        let token = Token {
            nonce: "a-nonce-from-another-sign-in",
            ..Token::default()
        };
        assert!(matches!(check(token), Err(TokenError::Nonce(_))));
    }
}
