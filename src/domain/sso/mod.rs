//! Single sign-on with OpenID Connect, one provider per org for its subtree
//! (issue 16, point 2).
//!
//! This file is the configuration: what an admin with `org.settings` sets at
//! an org (issuer, client, sealed secret, allowed email domains, whether
//! password sign-in stays allowed, what a first sign-in does) and which
//! configuration applies to an email or a person. The protocol (discovery,
//! PKCE, the ID token's check) is in [`oidc`]; the sign-in it ends in, through
//! the same path as a password's, in [`sign_in`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use openidconnect::url;
use serde::Serialize;
use serde_json::json;

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{org_closure, org_sso},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::{grant, org, secrets, validate};
use crate::error::{Error, FieldErrors, Result};

pub mod oidc;
pub mod sign_in;

pub const CONFIGURED: &str = "sso.configured";
pub const REMOVED: &str = "sso.removed";
pub const SIGNED_IN: &str = "sso.signed_in";
pub const REFUSED: &str = "sso.refused";

/// What a first sign-in through the provider does with an email Canopy does
/// not know.
pub const CREATE: &str = "create";
pub const LINK: &str = "link";

/// An org's provider as stored. The secret stays sealed; only
/// [`Config::client_secret`] opens it, for the code exchange.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = org_sso)]
pub struct Config {
    pub org_id: i64,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    pub allowed_domains: String,
    pub password_sign_in: bool,
    pub on_first_sign_in: String,
    pub default_role_id: Option<i64>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

impl Config {
    /// The allowed email domains, lower-case.
    pub fn domains(&self) -> Vec<String> {
        self.allowed_domains
            .lines()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn has_secret(&self) -> bool {
        self.client_secret_sealed.is_some()
    }

    pub fn creates_people(&self) -> bool {
        self.on_first_sign_in == CREATE
    }

    /// The client secret in the clear, for the token endpoint only.
    pub fn client_secret(&self, conn: &mut Conn) -> Result<Option<String>> {
        let Some(sealed) = &self.client_secret_sealed else {
            return Ok(None);
        };
        let key = secrets::data_key(conn)?;
        let plain = secrets::open(&key, sealed)?;
        String::from_utf8(plain).map(Some).map_err(Error::internal)
    }

    /// What the audit log keeps: never the secret, only whether one is set.
    fn audit_view(&self) -> serde_json::Value {
        json!({
            "issuer_url": self.issuer_url,
            "client_id": self.client_id,
            "client_secret_set": self.has_secret(),
            "allowed_domains": self.domains(),
            "password_sign_in": self.password_sign_in,
            "on_first_sign_in": self.on_first_sign_in,
            "default_role_id": self.default_role_id,
        })
    }
}

/// What the page's form and the API's body send, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize)]
pub struct Input {
    #[serde(default)]
    pub issuer_url: String,
    #[serde(default)]
    pub client_id: String,
    /// Blank keeps the stored secret.
    #[serde(default)]
    pub client_secret: String,
    /// Separated by commas, spaces or lines.
    #[serde(default)]
    pub allowed_domains: String,
    #[serde(default)]
    pub password_sign_in: bool,
    #[serde(default)]
    pub on_first_sign_in: String,
    #[serde(default)]
    pub default_role_id: Option<i64>,
}

/// [`Input`] checked.
struct Values {
    issuer_url: String,
    client_id: String,
    client_secret: Option<String>,
    domains: Vec<String>,
    password_sign_in: bool,
    on_first_sign_in: &'static str,
    default_role_id: Option<i64>,
}

/// Whether `host` is this machine (plain http is allowed only there, so a
/// provider on localhost works in tests and development).
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks an issuer: an absolute https URL without query or fragment (http
/// only for a loopback host), kept without a trailing slash as typed.
pub fn parse_issuer(raw: &str) -> std::result::Result<String, String> {
    let typed = validate::required_line(raw, "Issuer URL", 500)?;
    let bad = || "Enter the provider's issuer, an https URL like https://login.example.com/realm.";
    let parsed = url::Url::parse(&typed).map_err(|_| bad().to_string())?;
    let host = parsed.host().ok_or_else(|| bad().to_string())?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err("The issuer must use https (plain http only on localhost).".into()),
        _ => return Err(bad().into()),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err("The issuer URL has no query, fragment or user name.".into());
    }
    Ok(typed)
}

impl Input {
    fn parse(&self) -> Result<Values> {
        let mut errors = FieldErrors::new();
        let issuer_url = parse_issuer(&self.issuer_url)
            .map_err(|m| errors.add("issuer_url", m))
            .unwrap_or_default();
        let client_id = validate::required_line(&self.client_id, "Client ID", 200)
            .map_err(|m| errors.add("client_id", m))
            .unwrap_or_default();
        let secret = self.client_secret.trim();
        let client_secret = if secret.is_empty() {
            None
        } else if secret.len() > 500 || secret.chars().any(char::is_control) {
            errors.add(
                "client_secret",
                "The client secret is one line of at most 500 characters.",
            );
            None
        } else {
            Some(secret.to_string())
        };
        let domains = match org::parse_domains(&self.allowed_domains) {
            Ok(d) if d.is_empty() => {
                errors.add(
                    "allowed_domains",
                    "Name at least one email domain, like example.com.",
                );
                vec![]
            }
            Ok(d) => d,
            Err(m) => {
                errors.add("allowed_domains", m);
                vec![]
            }
        };
        let on_first_sign_in = match self.on_first_sign_in.trim() {
            CREATE => CREATE,
            LINK | "" => LINK,
            _ => {
                errors.add("on_first_sign_in", "Choose create or link.");
                LINK
            }
        };
        errors.into_result()?;
        Ok(Values {
            issuer_url,
            client_id,
            client_secret,
            domains,
            password_sign_in: self.password_sign_in,
            on_first_sign_in,
            default_role_id: self.default_role_id,
        })
    }
}

/// Who may see and change an org's provider: `org.settings` there (not found
/// when the org is not visible, forbidden when it is).
fn require_admin(access: &Access, org_id: i64) -> Result<()> {
    access.require_visible(org_id)?;
    access.require(Permission::OrgSettings, org_id)
}

/// The provider set at exactly this org, if any.
pub fn at(conn: &mut Conn, org_id: i64) -> Result<Option<Config>> {
    Ok(org_sso::table
        .find(org_id)
        .select(Config::as_select())
        .first(conn)
        .optional()?)
}

/// The provider set at the org, for someone with `org.settings` there.
pub fn get_as(conn: &mut Conn, access: &Access, org_id: i64) -> Result<Option<Config>> {
    require_admin(access, org_id)?;
    at(conn, org_id)
}

/// The roles a first sign-in may give at `org_id` as this admin: those the
/// org may assign that the admin may grant there, for the whole subtree.
pub fn default_role_choices(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
) -> Result<Vec<crate::domain::role::Role>> {
    grant::grantable_roles(conn, access, org_id, true)
}

/// Sets (or replaces) the org's provider. A blank secret keeps the stored one;
/// a stale `version` answers 409; nothing changes on any bad field.
pub fn put_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    input: &Input,
    version: Option<i64>,
) -> Result<Config> {
    require_admin(access, org_id)?;
    let values = input.parse()?;
    let before = at(conn, org_id)?;
    if let (Some(v), Some(b)) = (version, &before)
        && v != b.version
    {
        return Err(Error::stale());
    }
    if let Some(role_id) = values.default_role_id {
        let choices = default_role_choices(conn, access, org_id)?;
        if !choices.iter().any(|r| r.id == role_id) {
            return Err(FieldErrors::single(
                "default_role_id",
                "Choose a role this organization may assign and you may grant here.",
            ));
        }
    }
    let sealed = match &values.client_secret {
        Some(secret) => Some(secrets::seal(&secrets::data_key(conn)?, secret.as_bytes())?),
        None => before.as_ref().and_then(|b| b.client_secret_sealed.clone()),
    };
    let row = (
        org_sso::issuer_url.eq(&values.issuer_url),
        org_sso::client_id.eq(&values.client_id),
        org_sso::client_secret_sealed.eq(&sealed),
        org_sso::allowed_domains.eq(values.domains.join("\n")),
        org_sso::password_sign_in.eq(values.password_sign_in),
        org_sso::on_first_sign_in.eq(values.on_first_sign_in),
        org_sso::default_role_id.eq(values.default_role_id),
        org_sso::updated_at.eq(db::now()),
    );
    match &before {
        Some(b) => {
            diesel::update(org_sso::table.find(org_id))
                .set((row, org_sso::version.eq(b.version + 1)))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(org_sso::table)
                .values((row, org_sso::org_id.eq(org_id), org_sso::version.eq(1)))
                .execute(conn)?;
        }
    }
    let after = at(conn, org_id)?.ok_or_else(|| Error::internal("sso config vanished"))?;
    let mut event = Event::new(CONFIGURED, Target::Org, Some(org_id))
        .org(org_id)
        .after(after.audit_view());
    if let Some(b) = &before {
        event = event.before(b.audit_view());
    }
    audit::record(conn, actor, event)?;
    Ok(after)
}

/// Removes the org's provider: its people sign in with passwords again.
/// Removing what is not there is not found.
pub fn remove_as(conn: &mut Conn, access: &Access, actor: &Actor, org_id: i64) -> Result<()> {
    require_admin(access, org_id)?;
    let before = at(conn, org_id)?.ok_or(Error::NotFound)?;
    diesel::delete(org_sso::table.find(org_id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new(REMOVED, Target::Org, Some(org_id))
            .org(org_id)
            .before(before.audit_view()),
    )
}

/// The provider that governs `org_id`: its own, else its nearest ancestor's.
pub fn governing(conn: &mut Conn, org_id: i64) -> Result<Option<Config>> {
    let found: Option<(i32, Config)> = org_closure::table
        .inner_join(org_sso::table.on(org_sso::org_id.eq(org_closure::ancestor_id)))
        .filter(org_closure::descendant_id.eq(org_id))
        .order(org_closure::depth.asc())
        .select((org_closure::depth, Config::as_select()))
        .first(conn)
        .optional()?;
    Ok(found.map(|(_, c)| c))
}

/// Where the sign-in page sends this email: the provider of the org whose
/// verified domain it is (or of that org's nearest ancestor with one), when
/// that provider allows the domain. `None` is the password step.
pub fn route_for_email(conn: &mut Conn, email: &str) -> Result<Option<Config>> {
    let Ok(email) = validate::Email::parse(email) else {
        return Ok(None);
    };
    let Some(owner) = org::domains::verified_owner_of_email(conn, email.as_str())? else {
        return Ok(None);
    };
    let Some(config) = governing(conn, owner.id)? else {
        return Ok(None);
    };
    let domain = email.domain().to_lowercase();
    Ok(config.domains().contains(&domain).then_some(config))
}

/// Whether password sign-in is refused for this person: the provider that
/// governs their home org says password sign-in is not allowed.
pub fn password_refused(conn: &mut Conn, home_org_id: i64) -> Result<bool> {
    Ok(governing(conn, home_org_id)?.is_some_and(|c| !c.password_sign_in))
}

/// What a refused password sign-in is told.
pub const PASSWORD_REFUSED_MESSAGE: &str = "Your organization signs you in through its single \
     sign-on provider: password sign-in is turned off. Enter your email and choose Continue.";
