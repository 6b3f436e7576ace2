//! An org's email domains as claims that become verified (issue 16, point 3).
//!
//! Each domain in an org's `email_domains` list is a claim (`org_domains`)
//! with a random token, kept in step with the list whenever the org is
//! created, edited or imported (`edit`). The org proves it holds the domain
//! by publishing `canopy-verify=<token>` as a TXT record at
//! `_canopy-challenge.<domain>`; a check (`verify_as`, on request) looks it
//! up and marks the claim verified, or records why not.
//!
//! Only a verified claim counts: single sign-on routing and the home-org
//! suggestion ask [`verified_owner_of_email`]. A domain is verified by one
//! org at most: a partial unique index (`org_domains_verified`) holds even
//! when two checks race, and an org cannot add a domain another has
//! verified (the refusal never names that org).

use std::net::SocketAddr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use serde_json::json;

use super::{Org, find};
use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn, Db,
    schema::{org_domains, orgs},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::dns::{self, TxtAnswer};
use crate::domain::{secrets, validate};
use crate::error::{Error, FieldErrors, Result};

/// The label under the domain where the TXT record goes.
pub const RECORD_LABEL: &str = "_canopy-challenge";
/// What the TXT record holds before the token.
pub const VALUE_PREFIX: &str = "canopy-verify=";
const TOKEN_CHARS: usize = 32;

/// One org's claim on one domain.
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = org_domains)]
pub struct OrgDomain {
    pub id: i64,
    pub org_id: i64,
    pub domain: String,
    pub token: String,
    pub verified_at: Option<NaiveDateTime>,
    pub last_checked_at: Option<NaiveDateTime>,
    /// Why the last check did not verify the domain (cleared once verified).
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

impl OrgDomain {
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }

    /// The name of the TXT record to publish.
    pub fn record_name(&self) -> String {
        format!("{RECORD_LABEL}.{}", self.domain)
    }

    /// The value of the TXT record to publish.
    pub fn record_value(&self) -> String {
        format!("{VALUE_PREFIX}{}", self.token)
    }
}

/// The field message for a domain another org has verified: it names the
/// domain (the person typed it) and never the org, which may be out of sight.
pub fn taken_message(domain: &str) -> String {
    format!("{domain} is verified by another organization, so it cannot be claimed here.")
}

/// The answer to checking a domain another org has verified.
fn verified_elsewhere() -> Error {
    Error::conflict(
        "This domain is verified by another organization, so it cannot be verified here.",
    )
}

/// The domain an email address is at, lower-case (`None` without one, or
/// with anything that is not a domain an org could list).
fn domain_of_email(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    normalized(domain)
}

/// A domain as a path or a test names it: trimmed, lower-case, no `@`;
/// `None` unless it is a domain an org could list (`form::parse_domains`).
fn normalized(raw: &str) -> Option<String> {
    let domain = raw.trim().trim_start_matches('@').to_lowercase();
    validate::Email::parse(&format!("x@{domain}"))
        .is_ok()
        .then_some(domain)
}

/// The one org whose verified claim covers this email's domain, if any.
pub fn verified_owner_of_email(conn: &mut Conn, email: &str) -> Result<Option<Org>> {
    let Some(domain) = domain_of_email(email) else {
        return Ok(None);
    };
    Ok(org_domains::table
        .inner_join(orgs::table)
        .filter(org_domains::domain.eq(domain))
        .filter(org_domains::verified_at.is_not_null())
        .select(Org::as_select())
        .first(conn)
        .optional()?)
}

/// Records that `org_id` proved it holds `domain` (lower-case, no '@'). A
/// domain not yet in the org's list is added to it first, so the list and
/// the claims stay in step. Another org's verified claim answers 409.
pub fn mark_verified(conn: &mut Conn, org_id: i64, domain: &str) -> Result<()> {
    let domain = normalized(domain)
        .ok_or_else(|| FieldErrors::single("domain", "Enter a domain like example.com."))?;
    let claim = match claim(conn, org_id, &domain)? {
        Some(c) => c,
        None => {
            let org = find(conn, org_id)?;
            let mut list: Vec<String> = org
                .email_domain_list()
                .iter()
                .map(|d| d.to_string())
                .collect();
            list.push(domain.clone());
            check_claims(conn, Some(org_id), &list)?;
            diesel::update(orgs::table.find(org_id))
                .set((
                    orgs::email_domains.eq(list.join(",")),
                    orgs::version.eq(orgs::version + 1),
                    orgs::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            sync(conn, org_id, &list)?;
            claim(conn, org_id, &domain)?.ok_or(Error::NotFound)?
        }
    };
    set_verified(conn, &claim)
}

/// Marks a claim verified, unless another org's verified claim has the
/// domain: checked first, and held by the unique index under a race.
fn set_verified(conn: &mut Conn, claim: &OrgDomain) -> Result<()> {
    if claim.is_verified() {
        return Ok(());
    }
    if verified_elsewhere_exists(conn, claim)? {
        return Err(verified_elsewhere());
    }
    let now = db::now();
    let written = diesel::update(org_domains::table.find(claim.id))
        .set((
            org_domains::verified_at.eq(Some(now)),
            org_domains::last_checked_at.eq(Some(now)),
            org_domains::last_error.eq(None::<String>),
        ))
        .execute(conn);
    match written {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(verified_elsewhere())
        }
        Err(other) => Err(other.into()),
    }
}

fn verified_elsewhere_exists(conn: &mut Conn, claim: &OrgDomain) -> Result<bool> {
    let other: Option<i64> = org_domains::table
        .filter(org_domains::domain.eq(&claim.domain))
        .filter(org_domains::verified_at.is_not_null())
        .filter(org_domains::org_id.ne(claim.org_id))
        .select(org_domains::id)
        .first(conn)
        .optional()?;
    Ok(other.is_some())
}

fn claim(conn: &mut Conn, org_id: i64, domain: &str) -> Result<Option<OrgDomain>> {
    Ok(org_domains::table
        .filter(org_domains::org_id.eq(org_id))
        .filter(org_domains::domain.eq(domain))
        .select(OrgDomain::as_select())
        .first(conn)
        .optional()?)
}

fn claims_of(conn: &mut Conn, org_id: i64) -> Result<Vec<OrgDomain>> {
    Ok(org_domains::table
        .filter(org_domains::org_id.eq(org_id))
        .order(org_domains::domain)
        .select(OrgDomain::as_select())
        .load(conn)?)
}

/// Refuses, on the `email_domains` field, a list that adds a domain another
/// org has verified (`org_id` is `None` for an org being created). Domains
/// the org already claims stay, whoever verified them since.
pub(super) fn check_claims(conn: &mut Conn, org_id: Option<i64>, domains: &[String]) -> Result<()> {
    let held: Vec<String> = match org_id {
        Some(id) => claims_of(conn, id)?.into_iter().map(|c| c.domain).collect(),
        None => vec![],
    };
    let new: Vec<&String> = domains.iter().filter(|d| !held.contains(d)).collect();
    if new.is_empty() {
        return Ok(());
    }
    let mut taken = org_domains::table
        .filter(org_domains::domain.eq_any(&new))
        .filter(org_domains::verified_at.is_not_null())
        .select(org_domains::domain)
        .into_boxed();
    if let Some(id) = org_id {
        taken = taken.filter(org_domains::org_id.ne(id));
    }
    match taken.first::<String>(conn).optional()? {
        Some(domain) => Err(Error::Duplicate(FieldErrors::of(
            "email_domains",
            taken_message(&domain),
        ))),
        None => Ok(()),
    }
}

/// Brings an org's claims in step with its list: a new domain gets a claim
/// with a fresh token, a domain no longer listed loses its claim (and with
/// it any verification).
pub(super) fn sync(conn: &mut Conn, org_id: i64, domains: &[String]) -> Result<()> {
    let held = claims_of(conn, org_id)?;
    let gone: Vec<i64> = held
        .iter()
        .filter(|c| !domains.contains(&c.domain))
        .map(|c| c.id)
        .collect();
    if !gone.is_empty() {
        diesel::delete(org_domains::table.filter(org_domains::id.eq_any(gone))).execute(conn)?;
    }
    let now = db::now();
    for domain in domains {
        if held.iter().any(|c| &c.domain == domain) {
            continue;
        }
        diesel::insert_into(org_domains::table)
            .values((
                org_domains::org_id.eq(org_id),
                org_domains::domain.eq(domain),
                org_domains::token.eq(secrets::random_token(TOKEN_CHARS)),
                org_domains::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Gives every domain listed by any org a claim (for orgs written in bulk,
/// such as the demo data, which skip `edit`).
pub fn claim_listed(conn: &mut Conn) -> Result<()> {
    let listed: Vec<(i64, String)> = orgs::table
        .filter(orgs::email_domains.ne(""))
        .select((orgs::id, orgs::email_domains))
        .load(conn)?;
    for (id, list) in listed {
        let domains: Vec<String> = super::split_list(&list)
            .into_iter()
            .map(str::to_string)
            .collect();
        sync(conn, id, &domains)?;
    }
    Ok(())
}

/// An org's claims as a person sees them: whoever sees inside the org. The
/// records to publish are no secret (they prove nothing until published in
/// the domain's own DNS).
pub fn list_as(conn: &mut Conn, access: &Access, org_id: i64) -> Result<Vec<OrgDomain>> {
    access.require_inside(org_id)?;
    claims_of(conn, org_id)
}

/// Who may check a claim: whoever may change the org's email domains
/// (`org.edit`). Returns the claim; one the org does not hold answers like a
/// missing org.
fn claim_for_check(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    domain: &str,
) -> Result<OrgDomain> {
    access.require_inside(org_id)?;
    let domain = normalized(domain).ok_or(Error::NotFound)?;
    let claim = claim(conn, org_id, &domain)?.ok_or(Error::NotFound)?;
    access.require(Permission::OrgEdit, org_id)?;
    Ok(claim)
}

/// Why a check did not verify the domain, as the page and the API show it.
fn failure(claim: &OrgDomain, answer: &TxtAnswer) -> Option<String> {
    let name = claim.record_name();
    match answer {
        TxtAnswer::Records(values) if values.iter().any(|v| v.trim() == claim.record_value()) => {
            None
        }
        TxtAnswer::Records(_) => Some(format!(
            "A TXT record exists at {name}, but none holds {}.",
            claim.record_value()
        )),
        TxtAnswer::None => Some(format!("No TXT record was found at {name}.")),
        TxtAnswer::Failed(reason) => Some(format!("The DNS lookup failed: {reason}.")),
    }
}

/// Checks a claim now, as a person with `org.edit` at the org: looks up the
/// TXT record (outside any transaction) at `resolver` (the system's when
/// `None`), then marks the claim verified or records why not. Both are
/// audited. A domain another org has verified answers 409 without a lookup.
pub async fn verify_as(
    db: &Db,
    access: &Access,
    actor: &Actor,
    resolver: Option<SocketAddr>,
    org_id: i64,
    domain: &str,
) -> Result<OrgDomain> {
    let (check_access, raw) = (access.clone(), domain.to_string());
    let claim = db
        .read(move |conn| {
            let claim = claim_for_check(conn, &check_access, org_id, &raw)?;
            if !claim.is_verified() && verified_elsewhere_exists(conn, &claim)? {
                return Err(verified_elsewhere());
            }
            Ok(claim)
        })
        .await?;
    if claim.is_verified() {
        return Ok(claim);
    }
    let answer = dns::txt(resolver, &claim.record_name()).await;
    let (access, actor, raw) = (access.clone(), actor.clone(), domain.to_string());
    db.write(move |conn| {
        // Again, inside the transaction: the claim may have gone meanwhile.
        let claim = claim_for_check(conn, &access, org_id, &raw)?;
        if claim.is_verified() {
            return Ok(claim);
        }
        match failure(&claim, &answer) {
            None => {
                set_verified(conn, &claim)?;
                audit::record(
                    conn,
                    &actor,
                    Event::new("domain.verified", Target::Org, Some(org_id))
                        .org(org_id)
                        .after(json!({"domain": claim.domain, "verified": true})),
                )?;
            }
            Some(why) => {
                diesel::update(org_domains::table.find(claim.id))
                    .set((
                        org_domains::last_checked_at.eq(Some(db::now())),
                        org_domains::last_error.eq(Some(&why)),
                    ))
                    .execute(conn)?;
                audit::record(
                    conn,
                    &actor,
                    Event::new("domain.check_failed", Target::Org, Some(org_id))
                        .org(org_id)
                        .after(json!({"domain": claim.domain, "reason": why})),
                )?;
            }
        }
        Ok(org_domains::table
            .find(claim.id)
            .select(OrgDomain::as_select())
            .first(conn)?)
    })
    .await
}
