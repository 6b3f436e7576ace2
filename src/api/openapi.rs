//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of every API route that
//! exists. Each area adds its paths to [`paths`] when it arrives; a test checks
//! that every registered route is described.

use actix_web::{HttpResponse, get};
use serde_json::{Value, json};

#[get("/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

/// The whole document.
pub fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Canopy API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Organizations, people, access and timesheets. Every call acts with \
                            the token owner's current permissions; something you may not see \
                            answers 404 exactly as if it did not exist."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A personal API token (profile page or `canopy token create`)."}
            },
            "schemas": schemas(),
            "responses": responses(),
        }
    })
}

fn paths() -> Value {
    let mut all = core_paths();
    for more in [tree_paths(), people_paths(), work_paths(), time_paths()] {
        if let (Value::Object(a), Value::Object(b)) = (&mut all, more) {
            a.extend(b);
        }
    }
    all
}

/// A JSON response with a schema reference.
fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}})
}

fn query(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": kind}})
}

/// Error answers every authenticated operation may give, 414, which any
/// operation gives for a request line over 16 KiB, 422, which any operation
/// gives for a control character or an over-long value in its query, and 503,
/// which any operation gives when the server is too busy.
fn errors(codes: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for code in codes.iter().chain(&["414", "422", "503"]) {
        let name = match *code {
            "400" => "BadRequest",
            "401" => "Unauthenticated",
            "403" => "Forbidden",
            "404" => "NotFound",
            "409" => "Conflict",
            "413" => "TooLarge",
            "414" => "UriTooLong",
            "415" => "UnsupportedMediaType",
            "503" => "Unavailable",
            _ => "Validation",
        };
        map.insert(
            code.to_string(),
            json!({"$ref": format!("#/components/responses/{name}")}),
        );
    }
    Value::Object(map)
}

fn with(mut responses: Value, code: &str, response: Value) -> Value {
    responses[code] = response;
    responses
}

fn tree_paths() -> Value {
    let read = errors(&["401", "404"]);
    let write = errors(&["400", "401", "403", "404", "409", "413", "415", "422"]);
    let page = [
        query("page", "integer", "1-based"),
        query("per_page", "integer", "at most 200"),
    ];
    json!({
        "/orgs": {
            "get": {"summary": "Orgs visible to you (org.view), flat, in path order", "operationId": "listOrgs",
                    "parameters": [page[0], page[1], query("q", "string", "name or code contains")],
                    "responses": with(read.clone(), "200", ok("A page of orgs", "OrgList"))},
            "post": {"summary": "Create a child org (org.create on the parent)", "operationId": "createOrg",
                     "requestBody": body("OrgCreate"),
                     "responses": with(write.clone(), "201", ok("The new org", "Org"))}
        },
        "/orgs/{id}": {
            "parameters": [id_param("id")],
            "get": {"summary": "One org; behind a privacy border only its name and place", "operationId": "getOrg",
                    "responses": with(read.clone(), "200", ok("The org", "Org"))},
            "patch": {"summary": "Edit fields (org.edit), privacy_mode (org.settings), status (org.delete on the parent)", "operationId": "updateOrg",
                      "requestBody": body("OrgPatch"),
                      "responses": with(write.clone(), "200", ok("The org", "Org"))},
            "delete": {"summary": "Delete an empty org (org.delete on the parent); 409 lists what blocks it", "operationId": "deleteOrg",
                       "parameters": [query("version", "integer", "refuse if the org changed since")],
                       "responses": with(write.clone(), "204", json!({"description": "Deleted"}))}
        },
        "/orgs/{id}/move": {
            "parameters": [id_param("id")],
            "post": {"summary": "Move the org and its subtree (org.move on the parent, org.create on the new parent)", "operationId": "moveOrg",
                     "requestBody": body("OrgMove"),
                     "responses": with(write.clone(), "200", ok("The moved org", "Org"))}
        },
        "/orgs/{id}/settings": {
            "parameters": [id_param("id")],
            "get": {"summary": "Effective settings, each with value, inherited_from and source", "operationId": "getOrgSettings",
                    "responses": with(read.clone(), "200", ok("Settings by key", "Settings"))},
            "put": {"summary": "Override settings; null reverts a key to inherited (org.settings)", "operationId": "putOrgSettings",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": true}}}},
                    "responses": with(write.clone(), "200", ok("Settings by key", "Settings"))}
        },
        "/orgs/{id}/access": {
            "parameters": [id_param("id")],
            "get": {"summary": "Who has access here: grants made here or inherited (access.view), nearest first, paged in SQL", "operationId": "getOrgAccess",
                    "parameters": [page[0], page[1], query("q", "string", "the user's name or email, or the group's name, contains"),
                                   query("role_id", "integer", "grants of this role")],
                    "responses": with(errors(&["401", "404", "422"]), "200", json!({"description": "A page of items {grant_id, principal, role, role_id, scope, via, expires_at} with page, per_page, total"}))}
        },
        "/roles": {
            "get": {"summary": "Roles usable at an org", "operationId": "listRoles",
                    "parameters": [json!({"name": "org_id", "in": "query", "required": true, "schema": {"type": "integer"}})],
                    "responses": with(errors(&["401", "404", "422"]), "200", json!({"description": "Items {id, name, permissions[], builtin, org_id}"}))},
            "post": {"summary": "Define a custom role at an org, usable in its subtree (access.manage and every permission it carries)", "operationId": "createRole",
                     "requestBody": body("RoleCreate"),
                     "responses": with(write.clone(), "201", json!({"description": "The role {id, name, permissions[], builtin, org_id}"}))}
        },
        "/roles/{id}": {
            "parameters": [id_param("id")],
            "patch": {"summary": "Rename a custom role or change its permissions (access.manage where defined, and every permission it had and will have wherever it is granted); built-ins answer 403", "operationId": "updateRole",
                      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false,
                          "properties": {"name": {"type": "string"}, "permissions": {"type": "array", "items": {"type": "string"}}}}}}},
                      "responses": with(write.clone(), "200", json!({"description": "The role {id, name, permissions[], builtin, org_id}"}))},
            "delete": {"summary": "Delete a custom role nobody holds (409 while granted)", "operationId": "deleteRole",
                       "responses": with(write.clone(), "204", json!({"description": "Deleted"}))}
        },
        "/grants": {
            "get": {"summary": "Grants you may see (made where you hold access.view, or your own)", "operationId": "listGrants",
                    "parameters": [page[0], page[1], query("org_id", "integer", "made at this org"), query("project_id", "integer", "made at this project"),
                                   query("user_id", "integer", "held by this user directly"), query("group_id", "integer", "held by this group")],
                    "responses": with(read.clone(), "200", ok("A page of grants", "GrantList"))},
            "post": {"summary": "Grant a role to a user at an org (access.manage there and every permission of the role)", "operationId": "createGrant",
                     "requestBody": body("GrantCreate"),
                     "responses": with(with(write.clone(), "201", ok("The grant", "Grant")), "202",
                                       json!({"description": "With user_email naming someone you may not see, or no one: the same answer either way (an invitation is stored; nothing is granted until the account using the email accepts it)",
                                              "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}, "role_id": {"type": "integer"}, "message": {"type": "string"}}}}}}))}
        },
        "/grants/invitations": {
            "get": {"summary": "Pending invitations by email made at an org or its projects (access.manage there)", "operationId": "listGrantInvitations",
                    "parameters": [page[0], page[1], query("org_id", "integer", "required: made at this org")],
                    "responses": with(read.clone(), "200", json!({"description": "A page of invitations {id, email, role_id, role, org_id, project_id, descendants, grant_expires_at, invited_by, created_at, expires_at}"}))}
        },
        "/grants/invitations/{id}": {
            "parameters": [id_param("id")],
            "delete": {"summary": "Withdraw a pending invitation (access.manage at its org)", "operationId": "revokeGrantInvitation",
                       "responses": with(write.clone(), "204", json!({"description": "Withdrawn"}))}
        },
        "/invitations": {
            "get": {"summary": "Pending invitations to your own email", "operationId": "listMyInvitations",
                    "parameters": [page[0], page[1]],
                    "responses": with(read.clone(), "200", json!({"description": "A page of invitations (as /grants/invitations)"}))}
        },
        "/invitations/{id}/accept": {
            "parameters": [id_param("id")],
            "post": {"summary": "Accept: the grant is made now (404 unless pending to your email; 403 when the inviter may no longer grant it)", "operationId": "acceptInvitation",
                     "responses": with(with(write.clone(), "201", ok("The grant", "Grant")), "200", json!({"description": "You already held it: {status: already_held}"}))}
        },
        "/invitations/{id}/decline": {
            "parameters": [id_param("id")],
            "post": {"summary": "Decline (404 unless pending to your email)", "operationId": "declineInvitation",
                     "responses": with(write.clone(), "204", json!({"description": "Declined"}))}
        },
        "/grants/{id}": {
            "parameters": [id_param("id")],
            "delete": {"summary": "Revoke (your own always; others' with the rights to grant them)", "operationId": "revokeGrant",
                       "responses": with(write.clone(), "204", json!({"description": "Revoked"}))}
        },
        "/check": {
            "get": {"summary": "Explain a decision: allowed or denied, and why", "operationId": "check",
                    "parameters": [query("user_id", "integer", "default: yourself; others need access.view at the target"),
                                   json!({"name": "permission", "in": "query", "required": true, "schema": {"type": "string"}}),
                                   query("org_id", "integer", "ask about this org (give exactly one of org_id, project_id, target_user_id)"),
                                   query("project_id", "integer", "ask about this project: grants at its org or at the project itself"),
                                   query("target_user_id", "integer", "ask about this user: decided at their home org")],
                    "responses": with(errors(&["401", "403", "404", "422"]), "200", ok("The decision", "Decision"))}
        }
    })
}

fn people_paths() -> Value {
    let read = errors(&["401", "404"]);
    let write = errors(&["400", "401", "403", "404", "409", "413", "415", "422"]);
    let page = [
        query("page", "integer", "1-based"),
        query("per_page", "integer", "at most 200"),
    ];
    json!({
        "/users": {
            "get": {"summary": "Users visible to you: at home where you hold user.view, or guests granted there", "operationId": "listUsers",
                    "parameters": [page[0], page[1], query("org_id", "integer", "home org"), query("q", "string", "name or email contains"), query("status", "string", "invited, active or deactivated")],
                    "responses": with(read.clone(), "200", ok("A page of users", "UserList"))},
            "post": {"summary": "Create a user (user.manage at the home org): active with a password, else invited by mail", "operationId": "createUser",
                     "requestBody": body("UserCreate"),
                     "responses": with(write.clone(), "201", ok("The user", "User"))}
        },
        "/users/{id}": {
            "parameters": [id_param("id")],
            "get": {"summary": "One user", "operationId": "getUser", "responses": with(read.clone(), "200", ok("The user", "User"))},
            "patch": {"summary": "Edit fields, move (org_id: user.manage at both ends), status (active/deactivated)", "operationId": "updateUser",
                      "requestBody": body("UserPatch"),
                      "responses": with(write.clone(), "200", ok("The user", "User"))}
        },
        "/groups": {
            "get": {"summary": "Groups visible to you (group.view)", "operationId": "listGroups",
                    "parameters": [page[0], page[1], query("org_id", "integer", "the group's org"), query("q", "string", "name contains")],
                    "responses": with(read.clone(), "200", json!({"description": "A page of groups"}))},
            "post": {"summary": "Create a group (group.manage at the org)", "operationId": "createGroup",
                     "requestBody": body("GroupCreate"),
                     "responses": with(write.clone(), "201", ok("The group", "Group"))}
        },
        "/groups/{id}": {
            "parameters": [id_param("id")],
            "get": {"summary": "One group with its members", "operationId": "getGroup", "responses": with(read.clone(), "200", ok("The group", "Group"))},
            "patch": {"summary": "Rename or describe (group.manage)", "operationId": "updateGroup",
                      "requestBody": body("GroupCreate"),
                      "responses": with(write.clone(), "200", ok("The group", "Group"))},
            "delete": {"summary": "Delete with its memberships and grants (group.manage)", "operationId": "deleteGroup",
                       "responses": with(write.clone(), "204", json!({"description": "Deleted"}))}
        },
        "/groups/{id}/members": {
            "parameters": [id_param("id")],
            "get": {"summary": "The members you may see, owners first then by name, paged in SQL", "operationId": "listGroupMembers",
                    "parameters": [page[0], page[1], query("q", "string", "name or email contains")],
                    "responses": with(errors(&["401", "404", "422"]), "200", json!({"description": "A page of members {user_id, display_name, email, owner, status} with page, per_page, total"}))}
        },
        "/groups/{id}/members/{user_id}": {
            "parameters": [id_param("id"), id_param("user_id")],
            "put": {"summary": "Add a member or set their owner flag (group.manage, or an owner of the group)", "operationId": "putGroupMember",
                    "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"owner": {"type": "boolean"}}}}}},
                    "responses": with(write.clone(), "200", json!({"description": "The members"}))},
            "delete": {"summary": "Remove a member", "operationId": "deleteGroupMember",
                       "responses": with(write.clone(), "204", json!({"description": "Removed"}))}
        }
    })
}

fn work_paths() -> Value {
    let read = errors(&["401", "404"]);
    let write = errors(&["400", "401", "403", "404", "409", "413", "415", "422"]);
    let page = [
        query("page", "integer", "1-based"),
        query("per_page", "integer", "at most 200"),
    ];
    json!({
        "/projects": {
            "get": {"summary": "Projects visible to you (project.view at their org)", "operationId": "listProjects",
                    "parameters": [page[0], page[1], query("org_id", "integer", "the org and its whole subtree"),
                                   query("status", "string", "active, closed or archived"), query("q", "string", "name or code contains")],
                    "responses": with(errors(&["400", "401", "404", "422"]), "200", ok("A page of projects", "ProjectList"))},
            "post": {"summary": "Create a project (project.manage at the org); codes are unique installation-wide", "operationId": "createProject",
                     "requestBody": body("ProjectCreate"),
                     "responses": with(write.clone(), "201", ok("The project", "Project"))}
        },
        "/projects/{id}": {
            "parameters": [id_param("id")],
            "get": {"summary": "One project with its assignments (history included)", "operationId": "getProject",
                    "responses": with(read.clone(), "200", ok("The project", "Project"))},
            "patch": {"summary": "Edit fields; org_id reassigns it (project.manage at both orgs)", "operationId": "updateProject",
                      "requestBody": body("ProjectPatch"),
                      "responses": with(write.clone(), "200", ok("The project", "Project"))},
            "delete": {"summary": "Delete a project nobody was ever assigned to (project.manage); 409 otherwise", "operationId": "deleteProject",
                       "parameters": [query("version", "integer", "refuse if the project changed since")],
                       "responses": with(write.clone(), "204", json!({"description": "Deleted"}))}
        },
        "/projects/{id}/assignments": {
            "parameters": [id_param("id")],
            "get": {"summary": "The project's assignments (history included) by the assignee's name, paged in SQL", "operationId": "listAssignments",
                    "parameters": [page[0], page[1], query("q", "string", "the assignee's name or email contains")],
                    "responses": with(errors(&["401", "404", "422"]), "200", json!({"description": "A page of assignments (as in the project's assignments, with display_name) with page, per_page, total"}))}
        },
        "/projects/{id}/assignments/{user_id}": {
            "parameters": [id_param("id"), id_param("user_id")],
            "put": {"summary": "Assign a user for a period, or change the assignment starting on start_date (project.assign); periods never overlap", "operationId": "putAssignment",
                    "requestBody": body("AssignmentPut"),
                    "responses": with(with(write.clone(), "200", ok("The changed assignment", "Assignment")), "201", ok("The new assignment", "Assignment"))},
            "delete": {"summary": "End the user's assignment today (kept as history); one not started yet is deleted (project.assign)", "operationId": "endAssignment",
                       "responses": with(write.clone(), "204", json!({"description": "Ended"}))}
        },
        "/teams": {
            "get": {"summary": "Teams visible to you (team.view)", "operationId": "listTeams",
                    "parameters": [page[0], page[1], query("org_id", "integer", "the team's org"), query("q", "string", "name contains")],
                    "responses": with(read.clone(), "200", json!({"description": "A page of teams"}))},
            "post": {"summary": "Create a team (team.manage at the org)", "operationId": "createTeam",
                     "requestBody": body("TeamCreate"),
                     "responses": with(write.clone(), "201", ok("The team", "Team"))}
        },
        "/teams/{id}": {
            "parameters": [id_param("id")],
            "get": {"summary": "One team with its leads and members", "operationId": "getTeam", "responses": with(read.clone(), "200", ok("The team", "Team"))},
            "patch": {"summary": "Rename or describe (team.manage)", "operationId": "updateTeam",
                      "requestBody": body("TeamCreate"),
                      "responses": with(write.clone(), "200", ok("The team", "Team"))},
            "delete": {"summary": "Delete with its memberships (team.manage)", "operationId": "deleteTeam",
                       "parameters": [query("version", "integer", "refuse if the team changed since")],
                       "responses": with(write.clone(), "204", json!({"description": "Deleted"}))}
        },
        "/teams/{id}/members": {
            "parameters": [id_param("id")],
            "get": {"summary": "The team's members, leads first then by name, paged in SQL", "operationId": "listTeamMembers",
                    "parameters": [page[0], page[1], query("q", "string", "name or email contains")],
                    "responses": with(errors(&["401", "404", "422"]), "200", json!({"description": "A page of members {user_id, display_name, email, lead, status} with page, per_page, total"}))}
        },
        "/teams/{id}/members/{user_id}": {
            "parameters": [id_param("id"), id_param("user_id")],
            "put": {"summary": "Add a member or set their lead flag (team.manage)", "operationId": "putTeamMember",
                    "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"lead": {"type": "boolean"}}}}}},
                    "responses": with(write.clone(), "200", json!({"description": "The members"}))},
            "delete": {"summary": "Remove a member (team.manage)", "operationId": "deleteTeamMember",
                       "responses": with(write.clone(), "204", json!({"description": "Removed"}))}
        }
    })
}

fn time_paths() -> Value {
    let read = errors(&["400", "401", "404", "422"]);
    let write = errors(&["400", "401", "403", "404", "409", "413", "415", "422"]);
    let page = [
        query("page", "integer", "1-based"),
        query("per_page", "integer", "at most 200"),
    ];
    let transition = |summary: &str, op: &str| {
        json!({"parameters": [id_param("id")],
               "post": {"summary": summary, "operationId": op,
                        "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Transition"}}}},
                        "responses": with(write.clone(), "200", ok("The week", "Timesheet"))}})
    };
    let week_params = json!([id_param("user_id"),
        {"name": "week_start", "in": "path", "required": true, "description": "the week's first day (home org's week_start setting)", "schema": {"type": "string", "format": "date"}}]);
    json!({
        "/timesheets/{user_id}/{week_start}": {
            "parameters": week_params,
            "get": {"summary": "A week; one never saved is an empty draft with id null and version 0 (nothing is stored)", "operationId": "getTimesheet",
                    "responses": with(read.clone(), "200", ok("The week", "Timesheet"))},
            "put": {"summary": "Replace the entries of a draft or rejected week (the owner, or time.manage); the first PUT creates the sheet", "operationId": "putTimesheet",
                    "requestBody": body("TimesheetPut"),
                    "responses": with(write.clone(), "200", ok("The week", "Timesheet"))}
        },
        "/timesheets/{id}/submit": transition("Submit a draft or rejected week (the owner)", "submitTimesheet"),
        "/timesheets/{id}/withdraw": transition("Take a submitted week back before any decision (the owner)", "withdrawTimesheet"),
        "/timesheets/{id}/approve": transition("Approve every part you may decide, or the part of project_id", "approveTimesheet"),
        "/timesheets/{id}/reject": transition("Reject with a reason (required); one rejection rejects the week", "rejectTimesheet"),
        "/timesheets/{id}/reopen": transition("Reopen an approved week with a reason (time.manage at the owner's home org)", "reopenTimesheet"),
        "/approvals": {
            "get": {"summary": "Pending items you may decide", "operationId": "listApprovals",
                    "parameters": [page[0], page[1], query("project_id", "integer", "one project's parts"),
                                   query("team_id", "integer", "members of one team"), query("week_start", "string", "one week"),
                                   query("org_id", "integer", "people at home in this org and below"),
                                   query("sort", "string", "oldest (submitted longest ago first, the default) or newest")],
                    "responses": with(read.clone(), "200", ok("A page of pending items", "ApprovalList"))}
        },
        "/reports/{name}": {
            "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string",
                "enum": ["monthly-by-project", "quarterly-by-project", "entries", "employee-overview", "project-hours",
                         "team-hours", "team-projects-users", "org-rollup", "missing-timesheets"]}}],
            "get": {"summary": "A report over what you may see (report.view): JSON {columns, rows} or CSV with the same header", "operationId": "getReport",
                    "parameters": [query("org_id", "integer", "the org and its subtree (default: your highest)"),
                                   query("from", "string", "first day, YYYY-MM-DD (default: this month)"),
                                   query("to", "string", "last day; at most 5 years after from"),
                                   query("project_id", "integer", "one project"), query("team_id", "integer", "one team's members"),
                                   query("user_id", "integer", "one person you may see or whose home reports you read; anyone else answers 422 like an id naming no one"), query("format", "string", "json (default) or csv"),
                                   query("page", "integer", "JSON only: answer this page (from 1; past the end is the last page) with page, per_page and total; without page and per_page, every row"),
                                   query("per_page", "integer", "JSON only: rows a page, 1 to 200 (default 50)")],
                    "responses": with(read.clone(), "200", json!({"description": "The report (every row, streamed as read; or one page with page and per_page)",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "name": {"type": "string"}, "columns": {"type": "array", "items": {"type": "string"}},
                            "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                            "page": {"type": "integer", "description": "with page or per_page"},
                            "per_page": {"type": "integer", "description": "with page or per_page"},
                            "total": {"type": "integer", "description": "rows in the whole report; with page or per_page"}}}},
                                    "text/csv": {"schema": {"type": "string"}}}}))}
        },
        "/audit": {
            "get": {"summary": "Audit entries of the orgs whose log you may read (audit.view), newest first; append-only", "operationId": "listAudit",
                    "parameters": [page[0], page[1], query("org_id", "integer", "the org and its subtree (default: your highest)"),
                                   query("actor_id", "integer", "who did it"), query("action", "string", "an action, or a prefix ending in a dot"),
                                   query("target_type", "string", "org, user, timesheet, …"), query("target_id", "integer", "with target_type"),
                                   query("from", "string", "first day, YYYY-MM-DD"), query("to", "string", "last day")],
                    "responses": with(with(read.clone(), "403", json!({"$ref": "#/components/responses/Forbidden"})), "200", json!({"description": "A page of entries"}))}
        },
        "/notifications": {
            "get": {"summary": "Your notifications, newest first", "operationId": "listNotifications",
                    "parameters": [page[0], page[1], query("unread", "boolean", "only unread ones")],
                    "responses": with(read.clone(), "200", ok("A page of notifications", "NotificationList"))}
        },
        "/notifications/read": {
            "post": {"summary": "Mark some (ids) or all of your notifications read", "operationId": "readNotifications",
                     "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}}}}},
                     "responses": with(write.clone(), "200", json!({"description": "How many were marked, and how many stay unread"}))}
        }
    })
}

/// Schemas of timesheets, approvals and notifications.
fn time_schemas() -> Value {
    json!({
        "Entry": {"type": "object", "required": ["project_id", "date", "minutes"], "properties": {
            "project_id": {"type": "integer"}, "date": {"type": "string", "format": "date"},
            "minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "multipleOf": 15}, "note": {"type": "string", "maxLength": 500}}},
        "Timesheet": {"type": "object", "properties": {
            "id": {"type": "integer", "nullable": true}, "user_id": {"type": "integer"}, "week_start": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": ["draft", "submitted", "approved", "rejected"]}, "version": {"type": "integer"},
            "approval_mode": {"type": "string", "nullable": true}, "rejection_reason": {"type": "string", "nullable": true},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": true}, "decided_at": {"type": "string", "format": "date-time", "nullable": true},
            "total_minutes": {"type": "integer"},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
            "parts": {"type": "array", "items": {"type": "object", "properties": {
                "project_id": {"type": "integer", "nullable": true, "description": "null for the team part"},
                "status": {"type": "string", "enum": ["waiting", "pending", "approved", "rejected", "cancelled"]},
                "minutes": {"type": "integer"}, "decided_by": {"type": "integer", "nullable": true},
                "decided_at": {"type": "string", "format": "date-time", "nullable": true}, "reason": {"type": "string", "nullable": true}}}}}},
        "TimesheetPut": {"type": "object", "required": ["version", "entries"], "properties": {
            "version": {"type": "integer", "description": "0 for a week never saved"},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}},
        "Transition": {"type": "object", "properties": {
            "version": {"type": "integer", "description": "refuse if the week changed since"},
            "project_id": {"type": "integer", "description": "approve or reject one project's part"},
            "reason": {"type": "string", "description": "required to reject and to reopen"}}},
        "ApprovalList": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "timesheet_id": {"type": "integer"}, "user_id": {"type": "integer"}, "user_name": {"type": "string"},
            "week_start": {"type": "string", "format": "date"}, "project_id": {"type": "integer", "nullable": true},
            "project_name": {"type": "string", "nullable": true}, "minutes": {"type": "integer"}, "version": {"type": "integer"},
            "part_id": {"type": "integer"}, "user_email": {"type": "string"}, "user_org_id": {"type": "integer"},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": true}}}},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
        "NotificationList": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
            "link": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
            "read_at": {"type": "string", "format": "date-time", "nullable": true}}}},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}, "unread": {"type": "integer"}}}
    })
}

/// Schemas of projects, assignments and teams.
fn work_schemas() -> Value {
    json!({
        "Project": {"type": "object", "properties": {
            "id": {"type": "integer"}, "org_id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
            "description": {"type": "string"}, "client": {"type": "string"}, "client_name": {"type": "string", "description": "the same as client"},
            "status": {"type": "string", "enum": ["active", "closed", "archived"]},
            "start_date": {"type": "string", "format": "date", "nullable": true}, "end_date": {"type": "string", "format": "date", "nullable": true},
            "budget_minutes": {"type": "integer", "nullable": true}, "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
            "assignments": {"type": "array", "items": {"$ref": "#/components/schemas/Assignment"}, "description": "on GET /projects/{id} only"}}},
        "ProjectList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Project"}}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
        "ProjectFields": {"type": "object", "properties": {
            "code": {"type": "string", "maxLength": 32}, "name": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "maxLength": 2000}, "client": {"type": "string", "maxLength": 200},
            "status": {"type": "string", "enum": ["active", "closed", "archived"]},
            "start_date": {"type": "string", "format": "date", "nullable": true}, "end_date": {"type": "string", "format": "date", "nullable": true},
            "budget_minutes": {"type": "integer", "minimum": 0, "maximum": 10_000_000, "nullable": true}}},
        "ProjectCreate": {"allOf": [{"$ref": "#/components/schemas/ProjectFields"}, {"type": "object", "required": ["org_id", "code", "name"], "properties": {"org_id": {"type": "integer"}}}]},
        "ProjectPatch": {"allOf": [{"$ref": "#/components/schemas/ProjectFields"}, {"type": "object", "properties": {"org_id": {"type": "integer", "description": "reassign to this org"}, "version": {"type": "integer"}}}]},
        "Assignment": {"type": "object", "properties": {
            "id": {"type": "integer"}, "project_id": {"type": "integer"}, "user_id": {"type": "integer"},
            "display_name": {"type": "string", "description": "in a project's assignments"},
            "role": {"type": "string", "enum": ["member", "approver", "manager"]}, "minutes_per_week": {"type": "integer"},
            "start_date": {"type": "string", "format": "date"}, "end_date": {"type": "string", "format": "date", "nullable": true},
            "version": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
        "AssignmentPut": {"type": "object", "required": ["role", "minutes_per_week", "start_date"], "properties": {
            "role": {"type": "string", "enum": ["member", "approver", "manager"]},
            "minutes_per_week": {"type": "integer", "minimum": 0, "maximum": 10080},
            "start_date": {"type": "string", "format": "date"}, "end_date": {"type": "string", "format": "date", "nullable": true},
            "version": {"type": "integer", "description": "when changing an assignment: refuse if it changed since"}}},
        "Team": {"type": "object", "properties": {"id": {"type": "integer"}, "org_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"}, "version": {"type": "integer"}, "members": {"type": "array", "items": {"type": "object", "properties": {"user_id": {"type": "integer"}, "display_name": {"type": "string"}, "email": {"type": "string"}, "lead": {"type": "boolean"}, "status": {"type": "string"}}}}}},
        "TeamCreate": {"type": "object", "properties": {"org_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"}, "version": {"type": "integer"}}}
    })
}

fn core_paths() -> Value {
    json!({
        "/me": {
            "get": {
                "summary": "The token's user",
                "operationId": "getMe",
                "responses": {
                    "200": {"description": "The user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}
                }
            },
            "patch": {
                "summary": "Edit your own name, job title and phone",
                "operationId": "updateMe",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProfileChanges"}}}},
                "responses": {
                    "200": {"description": "The updated user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"$ref": "#/components/responses/Unauthenticated"},
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "413": {"$ref": "#/components/responses/TooLarge"},
                    "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                    "422": {"$ref": "#/components/responses/Validation"}
                }
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "getOpenApi",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3 document"}}
            }
        }
    })
}

fn schemas() -> Value {
    let mut all = base_schemas();
    for more in [work_schemas(), time_schemas()] {
        if let (Value::Object(a), Value::Object(b)) = (&mut all, more) {
            a.extend(b);
        }
    }
    all
}

fn base_schemas() -> Value {
    json!({
        "User": {
            "type": "object",
            "required": ["id", "org_id", "email", "display_name", "job_title", "status", "created_at", "last_login_at", "version"],
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "org_id": {"type": "integer", "format": "int64"},
                "email": {"type": "string", "format": "email"},
                "display_name": {"type": "string"},
                "job_title": {"type": "string"},
                "status": {"type": "string", "enum": ["invited", "active", "deactivated"]},
                "created_at": {"type": "string", "format": "date-time"},
                "last_login_at": {"type": "string", "format": "date-time", "nullable": true},
                "version": {"type": "integer", "format": "int64"}
            }
        },
        "ProfileChanges": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "display_name": {"type": "string", "maxLength": 200},
                "job_title": {"type": "string", "maxLength": 200},
                "phone": {"type": "string", "maxLength": 50},
                "version": {"type": "integer", "format": "int64", "description": "Refuse with 409 if the user changed since this version"}
            }
        },
        "Org": {
            "type": "object",
            "required": ["id", "parent_id", "name", "path", "depth", "privacy_mode"],
            "description": "When restricted (seen by name and place only: behind a privacy border, or one's home org without a grant there), code, kind, status, version and the times are null and the other details absent.",
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "parent_id": {"type": "integer", "format": "int64", "nullable": true, "description": "null for the root, or when the parent is not visible to you"},
                "name": {"type": "string"},
                "path": {"type": "string", "example": "Root / Acme / East"},
                "depth": {"type": "integer"},
                "privacy_mode": {"type": "boolean"},
                "restricted": {"type": "boolean"},
                "code": {"type": "string"},
                "kind": {"type": "string", "enum": ["customer", "manufacturer", "distributor", "sales_company", "region", "department", "site", "other"]},
                "status": {"type": "string", "enum": ["active", "archived"]},
                "description": {"type": "string"},
                "address_line1": {"type": "string"}, "address_line2": {"type": "string"},
                "city": {"type": "string"}, "state": {"type": "string"}, "country": {"type": "string"}, "postal_code": {"type": "string"},
                "phone": {"type": "string"}, "website": {"type": "string"},
                "email_domains": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "version": {"type": "integer", "format": "int64"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"}
            }
        },
        "OrgList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Org"}}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
        "OrgFields": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200}, "code": {"type": "string", "maxLength": 32},
                "kind": {"type": "string"}, "description": {"type": "string", "maxLength": 2000},
                "address_line1": {"type": "string"}, "address_line2": {"type": "string"}, "city": {"type": "string"},
                "state": {"type": "string"}, "country": {"type": "string"}, "postal_code": {"type": "string"},
                "phone": {"type": "string"}, "website": {"type": "string"},
                "email_domains": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "tags": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
            }
        },
        "OrgCreate": {"allOf": [{"$ref": "#/components/schemas/OrgFields"}, {"type": "object", "required": ["parent_id", "name", "code"], "properties": {"parent_id": {"type": "integer", "format": "int64"}}}]},
        "OrgPatch": {"allOf": [{"$ref": "#/components/schemas/OrgFields"}, {"type": "object", "properties": {"privacy_mode": {"type": "boolean"}, "status": {"type": "string", "enum": ["active", "archived"]}, "version": {"type": "integer"}}}]},
        "OrgMove": {"type": "object", "required": ["parent_id"], "properties": {"parent_id": {"type": "integer", "format": "int64"}, "version": {"type": "integer"}}},
        "Settings": {"type": "object", "additionalProperties": {"type": "object", "properties": {"value": {}, "inherited_from": {"type": "integer", "nullable": true}, "source": {"type": "string", "enum": ["this_org", "inherited", "default"]}}}},
        "Grant": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"}, "role_id": {"type": "integer"}, "role": {"type": "string"},
                "user_id": {"type": "integer", "nullable": true}, "group_id": {"type": "integer", "nullable": true},
                "org_id": {"type": "integer", "nullable": true}, "project_id": {"type": "integer", "nullable": true},
                "descendants": {"type": "boolean"}, "expires_at": {"type": "string", "format": "date-time", "nullable": true},
                "granted_by": {"type": "integer", "nullable": true}, "created_at": {"type": "string", "format": "date-time"}
            }
        },
        "GrantList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Grant"}}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
        "GrantCreate": {"type": "object", "required": ["role_id", "user_id", "org_id"], "additionalProperties": false, "description": "Exactly one of user_id, group_id, user_email; org_id or project_id", "properties": {"role_id": {"type": "integer"}, "user_id": {"type": "integer"}, "group_id": {"type": "integer"}, "user_email": {"type": "string", "format": "email", "description": "A person by exact email, also one you may not see (not to yourself)"}, "org_id": {"type": "integer"}, "project_id": {"type": "integer"}, "descendants": {"type": "boolean", "default": true}, "expires_at": {"type": "string", "format": "date-time"}}},
        "UserList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
        "UserCreate": {"type": "object", "required": ["org_id", "email", "display_name"], "properties": {"org_id": {"type": "integer"}, "email": {"type": "string", "format": "email"}, "display_name": {"type": "string"}, "job_title": {"type": "string"}, "password": {"type": "string", "minLength": 10, "description": "With a password the user is active at once; without one an activation link is mailed"}}},
        "UserPatch": {"type": "object", "additionalProperties": false, "properties": {"display_name": {"type": "string"}, "email": {"type": "string"}, "job_title": {"type": "string"}, "phone": {"type": "string"}, "org_id": {"type": "integer"}, "status": {"type": "string", "enum": ["active", "deactivated"]}, "version": {"type": "integer"}}},
        "Group": {"type": "object", "properties": {"id": {"type": "integer"}, "org_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"}, "version": {"type": "integer"}, "members": {"type": "array", "items": {"type": "object"}}}},
        "GroupCreate": {"type": "object", "properties": {"org_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"}, "version": {"type": "integer"}}},
        "RoleCreate": {"type": "object", "required": ["org_id", "name", "permissions"], "properties": {"org_id": {"type": "integer"}, "name": {"type": "string"}, "permissions": {"type": "array", "items": {"type": "string"}}}},
        "Decision": {"type": "object", "properties": {"allowed": {"type": "boolean"}, "reason": {"type": "string"}, "decision": {"type": "object"}, "via": {"type": "array", "items": {"type": "object"}}}},
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "example": "validation"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                }
            }
        }
    })
}

fn responses() -> Value {
    let error = |description: &str| {
        json!({"description": description,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    };
    json!({
        "Unauthenticated": error("No token, or a revoked or expired one, or its owner is deactivated"),
        "NotFound": error("Does not exist, or you may not know it exists"),
        "Validation": error("Invalid input, with a message per field"),
        "Conflict": error("Stale version, duplicate, wrong state or not empty"),
        "BadRequest": error("Malformed JSON or query string"),
        "Forbidden": error("You may see this, but not do that here"),
        "TooLarge": error("The body is larger than the API accepts (1 MiB)"),
        "UriTooLong": error("The request line is longer than the server accepts (16 KiB); code `uri_too_long`, the connection is closed"),
        "UnsupportedMediaType": error("The body is not application/json"),
        "Unavailable": {
            "description": "Too busy right now (no database connection came free in time, or the database stayed locked); code `unavailable`. Try again after `Retry-After` seconds",
            "headers": {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        },
    })
}
