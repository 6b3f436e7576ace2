//! `/api/v1/orgs/{id}/domains`: the org's email domains as claims, the DNS
//! TXT record that proves each, and checking it now (`domain::org::domains`,
//! the rules the org's Domains tab uses).

use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use crate::api::json::time;
use crate::api::list::{ListBody, PageQuery};
use crate::api::{ApiError, ApiUser};
use crate::domain::org::domains::{self, OrgDomain};

/// One email domain of an org.
#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = OrgDomain)]
struct DomainJson {
    /// Lower-case, e.g. `acme.example`.
    domain: String,
    /// Only a verified domain routes sign-in and suggests a home org.
    verified: bool,
    #[schema(format = DateTime)]
    verified_at: Option<String>,
    /// When the domain was last checked.
    #[schema(format = DateTime)]
    last_checked_at: Option<String>,
    /// Why the last check did not verify it (no record, a wrong value, a
    /// failed lookup); null once verified.
    last_error: Option<String>,
    /// The record to publish in the domain's DNS.
    record: RecordJson,
}

/// A DNS record to publish.
#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = DnsRecord)]
struct RecordJson {
    /// Always `TXT`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `_canopy-challenge.<domain>`.
    name: String,
    /// `canopy-verify=<token>`.
    value: String,
}

fn domain_json(d: &OrgDomain) -> DomainJson {
    DomainJson {
        domain: d.domain.clone(),
        verified: d.is_verified(),
        verified_at: d.verified_at.map(time),
        last_checked_at: d.last_checked_at.map(time),
        last_error: d.last_error.clone(),
        record: RecordJson {
            kind: "TXT",
            name: d.record_name(),
            value: d.record_value(),
        },
    }
}

/// `GET /orgs/{id}/domains`.
#[utoipa::path(
    operation_id = "listOrgDomains",
    summary = "The org's email domains, each verified or not, with the TXT record that proves it (anyone who sees inside the org)",
    params(PageQuery),
    responses((status = 200, description = "A page of domains, in name order", body = ListBody<DomainJson>)),
)]
#[get("/orgs/{id}/domains")]
pub(in crate::api) async fn list(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, access) = (id.into_inner(), me.access.clone());
    let (page, per_page) = query.parse()?;
    let claims = me
        .db()
        .read(move |conn| domains::list_as(conn, &access, org_id))
        .await?;
    let items: Vec<DomainJson> = claims.iter().map(domain_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::paged(&items, page, per_page)))
}

/// `POST /orgs/{id}/domains/{domain}/verify`.
#[utoipa::path(
    operation_id = "verifyOrgDomain",
    summary = "Check the domain's TXT record now (org.edit); 200 with the domain, verified or with last_error saying why not",
    responses((status = 200, description = "The domain after the check", body = DomainJson)),
)]
#[post("/orgs/{id}/domains/{domain}/verify")]
pub(in crate::api) async fn verify(
    me: ApiUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, domain) = path.into_inner();
    let resolver = me.state.config.dns_resolver;
    let claim =
        domains::verify_as(me.db(), &me.access, &me.actor(), resolver, org_id, &domain).await?;
    Ok(HttpResponse::Ok().json(domain_json(&claim)))
}
