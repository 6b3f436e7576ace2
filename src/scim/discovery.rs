//! The discovery endpoints (RFC 7644 §4): what this server does, its
//! resource types and the schemas of their attributes. They publish exactly
//! the attributes Canopy keeps, so a client never sends one that would be
//! dropped: a User's `userName`, `displayName` (the person's name; a
//! `name.formatted` is read too), `active`, one primary email; a Group's
//! `displayName` and `members` (users). `externalId` is common to both.
//! Only GET is answered here (405 otherwise).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::resource::{GROUP_SCHEMA, USER_SCHEMA};
use super::{ScimCaller, ScimError, answer};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/Schemas/{id}",
        "/ResourceTypes",
        "/ResourceTypes/{id}",
    ] {
        cfg.service(
            web::resource(path)
                .route(web::get().to(discover))
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ScimError::method_not_allowed())
                })),
        );
    }
}

/// One GET handler for the five addresses: they differ only in the document.
async fn discover(me: ScimCaller, req: actix_web::HttpRequest) -> Result<HttpResponse, ScimError> {
    let base = me.base();
    let path = req.match_info();
    let id = path.get("id");
    let pattern = req.match_pattern().unwrap_or_default();
    let body = if pattern.ends_with("/ServiceProviderConfig") {
        service_provider_config(&base)
    } else if pattern.contains("/Schemas") {
        one_or_all(schemas(&base), id)?
    } else {
        one_or_all(resource_types(&base), id)?
    };
    Ok(answer(StatusCode::OK, &body))
}

fn one_or_all(all: Vec<Value>, id: Option<&str>) -> Result<Value, ScimError> {
    match id {
        Some(id) => all
            .into_iter()
            .find(|v| v["id"] == json!(id))
            .ok_or_else(|| ScimError::from(crate::Error::NotFound)),
        None => Ok(super::resource::list_json(all.clone(), all.len() as i64, 1)),
    }
}

fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "Authorization: Bearer with a SCIM token an org admin created for one organization.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

fn resource_types(base: &str) -> Vec<Value> {
    [("User", "/Users", USER_SCHEMA), ("Group", "/Groups", GROUP_SCHEMA)]
        .into_iter()
        .map(|(name, endpoint, schema)| {
            json!({
                "schemas": [RT_SCHEMA],
                "id": name,
                "name": name,
                "endpoint": endpoint,
                "description": format!("Canopy {}s in the token's organization and below", name.to_lowercase()),
                "schema": schema,
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
            })
        })
        .collect()
}

/// One attribute's description (RFC 7643 §7).
fn attr(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": name,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn schemas(base: &str) -> Vec<Value> {
    vec![user_schema(base), group_schema(base)]
}

fn user_schema(base: &str) -> Value {
    let mut emails = attr("emails", "complex", true, "readWrite", "none");
    emails["multiValued"] = json!(true);
    emails["description"] = json!(
        "The person's email, one (it is how they sign in); of several sent, the primary one is kept."
    );
    emails["subAttributes"] = json!([attr("value", "string", true, "readWrite", "none")]);
    let mut user_name = attr("userName", "string", true, "readWrite", "server");
    user_name["description"] =
        json!("Unique in the installation; an email address, or any name with a primary email.");
    let mut display = attr("displayName", "string", true, "readWrite", "none");
    display["description"] = json!("The person's name in Canopy (name.formatted is read too).");
    let mut active = attr("active", "boolean", true, "readWrite", "none");
    active["description"] = json!("False deactivates the person; they are never deleted.");
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A Canopy user",
        "attributes": [user_name, display, active, emails],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")},
    })
}

fn group_schema(base: &str) -> Value {
    let mut value = attr("value", "string", false, "immutable", "none");
    value["description"] = json!("The member's user id.");
    let mut reference = attr("$ref", "reference", false, "immutable", "none");
    reference["referenceTypes"] = json!(["User"]);
    let mut members = attr("members", "complex", false, "readWrite", "none");
    members["multiValued"] = json!(true);
    members["description"] = json!("The group's members (users).");
    members["subAttributes"] = json!([value, reference]);
    let mut group_name = attr("displayName", "string", true, "readWrite", "none");
    group_name["description"] = json!("The group's name, unique in its organization.");
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A Canopy group",
        "attributes": [group_name, members],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")},
    })
}
