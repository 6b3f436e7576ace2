//! The new-user form: the person, their home org, and optionally a first
//! role at an org, granted in the same transaction by the one grant rule
//! (`account::create_user_with_role`, `grant::grant_as`).

use super::*;
use crate::domain::account::{self, FirstRole};
use crate::domain::role::Role;
use crate::domain::user::NewUserValues;

/// The first role's org picker: orgs where the viewer manages access.
const ROLE_ORG_PICKER: Kind = Kind::Org(Permission::AccessManage);

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    layout: Layout,
    org_picker: Picker,
    input: NewUserForm,
    errors: FieldErrors,
    suggestion: Option<(i64, String)>,
    /// After a taken email: the org whose Access tab grants a role by exact
    /// email, when the viewer may grant there.
    grant_by_email: Option<i64>,
    /// The roles a first role may be (none when the viewer grants nowhere).
    first_roles: Vec<Role>,
    role_org_picker: Picker,
}

#[derive(Default, Deserialize, Clone)]
struct NewUserForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    password: String,
    /// A role id, or empty for none.
    #[serde(default)]
    first_role: String,
    /// Where the first role applies; empty for the new home.
    #[serde(default)]
    role_org: String,
}

/// The org a new user with `email` is suggested as home, among those where
/// the viewer holds `user.manage`: its id, path and picker value.
fn suggest(
    conn: &mut Conn,
    access: &Access,
    email: &str,
) -> Result<Option<(i64, String, String)>, Error> {
    let Some(o) = org::with_email_domain(conn, email)?
        .into_iter()
        .find(|o| access.can(Permission::UserManage, o.id))
    else {
        return Ok(None);
    };
    let path = org_paths(conn, access, &[o.id])?
        .remove(&o.id)
        .unwrap_or_default();
    let value = crate::domain::pick::org_field_value(conn, access, o.id)?;
    Ok(Some((o.id, path, value)))
}

/// What the new-user page reads: the suggested home org, the org whose
/// Access tab grants by email (after a taken email), and the roles a first
/// role may be (those the viewer may grant at the highest org where they
/// manage access; submitting checks the rule at the org chosen).
#[allow(clippy::type_complexity)]
fn load_new(
    conn: &mut Conn,
    access: &Access,
    input: &NewUserForm,
    taken: bool,
) -> Result<(Option<(i64, String, String)>, Option<i64>, Vec<Role>), Error> {
    let suggestion = suggest(conn, access, &input.email)?;
    let typed = if taken {
        let (perm, raw) = (Permission::AccessManage, &input.org_id);
        crate::domain::pick::org(conn, access, perm, "org_id", raw).unwrap_or(None)
    } else {
        None
    };
    let roles = match access.highest(Permission::AccessManage) {
        Some(at) => grant::grantable_roles(conn, access, at, false)?,
        None => vec![],
    };
    Ok((suggestion, typed, roles))
}

async fn render_new(
    me: &SignedIn,
    status: StatusCode,
    input: NewUserForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    if !me.access.anywhere(Permission::UserManage) {
        return Err(Error::NotFound.into());
    }
    let taken = errors.get("email") == Some(crate::domain::user::EMAIL_TAKEN);
    let (access, typed) = (me.access.clone(), input.clone());
    let (suggestion, grant_by_email, first_roles) = me
        .db()
        .read(move |conn| load_new(conn, &access, &typed, taken))
        .await?;
    let value = match (&suggestion, input.org_id.trim().is_empty()) {
        (Some((_, _, value)), true) => value.clone(),
        _ => input.org_id.clone(),
    };
    let org_picker = Picker::org("org_id", "Home organization", Permission::UserManage)
        .value(value)
        .required()
        .errors(&errors);
    let role_org_picker = Picker::org("role_org", "At organization", Permission::AccessManage)
        .value(input.role_org.clone())
        .errors(&errors);
    Ok(render(
        status,
        &NewPage {
            layout: me.ctx.layout("New user", "users")?,
            org_picker,
            input,
            errors,
            suggestion: suggestion.map(|(id, path, _)| (id, path)),
            grant_by_email,
            first_roles,
            role_org_picker,
        },
    ))
}

/// `GET /users/new`.
#[get("/users/new")]
pub(super) async fn new_form(me: SignedIn) -> Result<HttpResponse, PageError> {
    render_new(
        &me,
        StatusCode::OK,
        NewUserForm::default(),
        FieldErrors::new(),
    )
    .await
}

#[derive(Template)]
#[template(path = "users/suggestion.html")]
struct SuggestionPartial {
    suggestion: Option<(i64, String)>,
}

#[derive(Deserialize)]
struct EmailQuery {
    #[serde(default)]
    email: String,
}

/// `GET /users/suggest-org?email=`: the suggested home org (an htmx fragment).
#[get("/users/suggest-org")]
pub(super) async fn suggest_org(
    me: SignedIn,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, PageError> {
    let (access, email) = (me.access.clone(), query.into_inner().email);
    let suggestion = me
        .db()
        .read(move |conn| suggest(conn, &access, &email))
        .await?
        .map(|(id, path, _)| (id, path));
    page(&SuggestionPartial { suggestion })
}

impl NewUserForm {
    fn input(&self, org_id: Option<i64>) -> NewUserInput {
        NewUserInput {
            org_id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            job_title: self.job_title.clone(),
            password: Some(self.password.clone()),
        }
    }
}

/// What the person who made an account is told: it is ready, or invited.
fn created_message(created: &User) -> String {
    if created.is_active() {
        format!("{} can sign in now.", created.display_name)
    } else {
        format!(
            "{} is invited: an activation link is on its way to {}.",
            created.display_name, created.email
        )
    }
}

/// Adds `more`'s messages to `errors`.
fn absorb(errors: &mut FieldErrors, more: FieldErrors) {
    for (field, message) in more.0 {
        errors.add(&field, message);
    }
}

/// The new-user form read: the user's values, and the first role asked for
/// (its org: the picker's, else the new home); or the fields' messages,
/// all together.
async fn parse_new(
    me: &SignedIn,
    form: &NewUserForm,
) -> Result<Result<(NewUserValues, Option<FirstRole>), FieldErrors>, PageError> {
    let (org_id, mut errors) = match resolve(me, HOME_PICKER, "org_id", &form.org_id).await? {
        Ok(id) => (id, FieldErrors::new()),
        Err(e) => (None, e),
    };
    let role_org = if form.first_role.trim().is_empty() {
        None
    } else {
        match resolve(me, ROLE_ORG_PICKER, "role_org", &form.role_org).await? {
            Ok(id) => id.or(org_id),
            Err(e) => {
                absorb(&mut errors, e);
                None
            }
        }
    };
    let role_id = match form.first_role.trim() {
        "" => None,
        raw => raw.parse::<i64>().ok().or_else(|| {
            errors.add("first_role", "Choose a role, or none.");
            None
        }),
    };
    match form.input(org_id).parse() {
        Ok(values) if errors.is_empty() => {
            let first = role_id
                .zip(role_org)
                .map(|(role_id, org_id)| FirstRole { role_id, org_id });
            Ok(Ok((values, first)))
        }
        Ok(_) => Ok(Err(errors)),
        Err(Error::Validation(more)) => {
            absorb(&mut errors, more);
            Ok(Err(errors))
        }
        Err(e) => Err(e.into()),
    }
}

/// A refusal of the first role, next to its fields: what the grant rule
/// refuses on the role (422: the form is shown again, nobody was created), an
/// org it cannot find on the org.
fn first_role_errors(e: Error) -> Result<(StatusCode, FieldErrors), PageError> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match e {
        Error::Forbidden(message) => Ok((unprocessable, FieldErrors::of("first_role", &message))),
        Error::NotFound => Ok((
            unprocessable,
            FieldErrors::of(
                "role_org",
                "Choose an organization where you manage access.",
            ),
        )),
        Error::Validation(fields) => {
            let mut errors = FieldErrors::new();
            for (field, message) in fields.0 {
                let field = if field == "role_id" {
                    "first_role"
                } else {
                    field.as_str()
                };
                errors.add(field, message);
            }
            Ok((unprocessable, errors))
        }
        e => form_errors(e, "form"),
    }
}

/// `POST /users/new`: with a password the user is active at once; without one
/// they are invited by mail. A first role is granted in the same transaction:
/// refused, nobody is created.
#[post("/users/new")]
pub(super) async fn create(
    me: SignedIn,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (values, first) = match parse_new(&me, &form).await? {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render_new(&me, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
    };
    let (state, actor, access) = (me.ctx.state.clone(), me.actor(), me.access.clone());
    let outcome = web::block(move || {
        let (db, cost, base) = (&state.db, state.config.bcrypt_cost, &state.base_url);
        match first {
            None => account::create_user(db, cost, (&actor, &access), values, base),
            Some(first) => {
                account::create_user_with_role(db, cost, &actor, &access, values, first, base)
            }
        }
    })
    .await?;
    match outcome {
        Ok(created) => {
            me.ctx.flash("success", created_message(&created))?;
            see_other(&format!("/users/{}", created.id))
        }
        Err(e) => {
            let (status, errors) = first_role_errors(e)?;
            render_new(&me, status, form, errors).await
        }
    }
}
