//! "Grant a role" on a person's page: a role and an org (the search-as-you-type
//! picker, orgs where the viewer manages access), decided by `grant::grant_as`
//! exactly as a grant made on an org's Access tab.

use super::*;
use crate::domain::grant::{GrantRequest, Holder, Scope};

/// The grant box on a person's page: the roles offered and the org picker.
pub(super) struct GrantBox {
    pub roles: Vec<crate::domain::role::Role>,
    pub org_picker: Picker,
    pub input: GrantToForm,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct GrantToForm {
    #[serde(default)]
    pub role_id: String,
    #[serde(default)]
    pub grant_org: String,
    /// "below" (default) or "here".
    #[serde(default)]
    pub reach: String,
}

/// The org a grant to `user` starts from: their home when the viewer manages
/// access there, else the highest org where the viewer does.
pub(super) fn default_grant_org(access: &Access, user: &User) -> Option<i64> {
    if access.can(Permission::AccessManage, user.org_id) {
        Some(user.org_id)
    } else {
        access.highest(Permission::AccessManage)
    }
}

/// The grant box for `user`, or `None` when the viewer grants nowhere.
pub(super) fn grant_box(
    conn: &mut Conn,
    access: &Access,
    user: &User,
    input: Option<GrantToForm>,
    errors: &FieldErrors,
) -> Result<Option<GrantBox>, Error> {
    let Some(at) = default_grant_org(access, user) else {
        return Ok(None);
    };
    if user.id == access.user_id {
        return Ok(None);
    }
    let roles = grant::grantable_roles(conn, access, at, false)?;
    let input = match input {
        Some(input) => input,
        None => GrantToForm {
            grant_org: crate::domain::pick::org_field_value(conn, access, at)?,
            reach: "below".into(),
            ..GrantToForm::default()
        },
    };
    let org_picker = Picker::org("grant_org", "At organization", Permission::AccessManage)
        .value(input.grant_org.clone())
        .required()
        .errors(errors);
    Ok(Some(GrantBox {
        roles,
        org_picker,
        input,
    }))
}

impl GrantToForm {
    /// The grant the form asks for to `user_id`: the org through the picker
    /// (where the viewer manages access), the role an id; or the messages.
    async fn request(
        &self,
        me: &SignedIn,
        user_id: i64,
    ) -> Result<Result<GrantRequest, FieldErrors>, PageError> {
        let why = "Choose the organization where the role applies.";
        let kind = Kind::Org(Permission::AccessManage);
        let org_id = match resolve_required(me, kind, "grant_org", &self.grant_org, why).await? {
            Ok(org_id) => org_id,
            Err(e) => return Ok(Err(e)),
        };
        let Ok(role_id) = self.role_id.trim().parse::<i64>() else {
            return Ok(Err(FieldErrors::of("role_id", "Choose a role.")));
        };
        Ok(Ok(GrantRequest {
            role_id,
            holder: Holder::User(user_id),
            scope: Scope::Org(org_id),
            descendants: self.reach != "here",
            expires_at: None,
        }))
    }
}

/// `POST /users/{id}/grants`: gives the person a role at an org.
#[post("/users/{id}/grants")]
pub(super) async fn grant_to(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<GrantToForm>,
) -> Result<HttpResponse, PageError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    let request = match form.request(&me, id).await? {
        Ok(request) => request,
        Err(e) => return show_page(&me, id, StatusCode::UNPROCESSABLE_ENTITY, Some(form), e).await,
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| grant::grant_as(conn, &access, &actor, &request))
        .await;
    let errors: (StatusCode, FieldErrors) = match outcome {
        Ok((_, role)) => {
            me.ctx
                .flash("success", format!("The role {} is granted.", role.name))?;
            return see_other(&format!("/users/{id}#grants-heading"));
        }
        Err(Error::Forbidden(message)) => {
            (StatusCode::FORBIDDEN, FieldErrors::of("role_id", &message))
        }
        Err(e) => form_errors(e, "role_id")?,
    };
    show_page(&me, id, errors.0, Some(form), errors.1).await
}
