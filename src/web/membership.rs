//! What the group and team pages share (their records and rosters share
//! `domain::membership`): the new-record form and its handling. Each kind
//! keeps its own templates.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;

use super::error::form_errors;
use super::layout::Layout;
use super::pick::{Kind, Picker, resolve_required};
use super::{PageError, SignedIn, render, see_other};
use crate::authz::Access;
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::UserId;
use crate::domain::membership::{self, Record};
use crate::error::{Error, FieldErrors};

/// The new-record form as typed.
#[derive(Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A kind's new-record page (`$template`, for a `$record`) and its handlers,
/// in the kind's module: `new_form` (`GET $path`) and `create` (`POST $path`).
macro_rules! new_pages {
    ($template:tt, $path:tt, $record:ident) => {
        #[derive(askama::Template)]
        #[template(path = $template)]
        struct NewPage {
            layout: $crate::web::layout::Layout,
            org_picker: $crate::web::pick::Picker,
            input: $crate::web::membership::NewForm,
            errors: $crate::error::FieldErrors,
        }

        impl $crate::web::membership::NewPage for NewPage {
            type Record = $record;
            fn new(
                layout: $crate::web::layout::Layout,
                org_picker: $crate::web::pick::Picker,
                input: $crate::web::membership::NewForm,
                errors: $crate::error::FieldErrors,
            ) -> Self {
                NewPage {
                    layout,
                    org_picker,
                    input,
                    errors,
                }
            }
        }

        #[doc = concat!("`GET ", $path, "`.")]
        #[actix_web::get($path)]
        async fn new_form(
            me: $crate::web::SignedIn,
        ) -> Result<actix_web::HttpResponse, $crate::web::PageError> {
            let (status, input) = (actix_web::http::StatusCode::OK, Default::default());
            let errors = $crate::error::FieldErrors::new();
            $crate::web::membership::render_new::<NewPage>(&me, status, input, errors).await
        }

        #[doc = concat!("`POST ", $path, "`.")]
        #[actix_web::post($path)]
        async fn create(
            me: $crate::web::SignedIn,
            form: actix_web::web::Form<$crate::web::membership::NewForm>,
        ) -> Result<actix_web::HttpResponse, $crate::web::PageError> {
            $crate::web::membership::create::<NewPage>(&me, form.into_inner()).await
        }
    };
}
pub(crate) use new_pages;

/// A kind's new-record page (`groups/new.html`, `teams/new.html`).
pub trait NewPage: Template + Sized {
    type Record: Record;
    fn new(layout: Layout, org_picker: Picker, input: NewForm, errors: FieldErrors) -> Self;
}

/// The new-record page, for those who may create one somewhere (else not
/// found), with `input` and `errors`.
pub async fn render_new<P: NewPage>(
    me: &SignedIn,
    status: StatusCode,
    input: NewForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let words = <P::Record as Record>::KIND.words();
    if !me.access.anywhere(words.manage) {
        return Err(Error::NotFound.into());
    }
    let org_picker = Picker::org("org_id", "Organization", words.manage)
        .value(input.org_id.clone())
        .required()
        .errors(&errors);
    let layout = me
        .ctx
        .layout(format!("New {}", words.noun), &format!("{}s", words.noun))?;
    Ok(render(status, &P::new(layout, org_picker, input, errors)))
}

/// Creates the record `form` asks for: on to its page, or the form again
/// with what is wrong.
pub async fn create<P: NewPage>(me: &SignedIn, form: NewForm) -> Result<HttpResponse, PageError> {
    let words = <P::Record as Record>::KIND.words();
    let why = format!("Choose the organization the {} belongs to.", words.noun);
    let kind = Kind::Org(words.manage);
    let org_id = match resolve_required(me, kind, "org_id", &form.org_id, &why).await? {
        Ok(id) => id,
        Err(e) => return render_new::<P>(me, StatusCode::UNPROCESSABLE_ENTITY, form, e).await,
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let (name, description) = (form.name.clone(), form.description.clone());
    match me
        .db()
        .write(move |conn| {
            membership::create_as::<P::Record>(conn, &access, &actor, org_id, &name, &description)
        })
        .await
    {
        Ok(created) => {
            let message = format!("{} {} is created.", words.title, created.name());
            me.ctx.flash("success", message)?;
            see_other(&format!("/{}s/{}", words.noun, created.id()))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "org_id")?;
            render_new::<P>(me, status, form, errors).await
        }
    }
}

/// What a kind's rule does to take a member out as the person (`Err` for
/// what they may not do), given the record's id.
pub type RemoveMember = fn(&mut Conn, &Access, &Actor, i64, UserId) -> Result<(), Error>;

/// `POST /{kind}s/{id}/members/{user_id}/remove`: `remove` takes them out;
/// back to the record's page, saying `done`.
pub async fn remove_member<R: Record>(
    me: &SignedIn,
    (id, user_id): (i64, i64),
    remove: RemoveMember,
    done: &str,
) -> Result<HttpResponse, PageError> {
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| remove(conn, &access, &actor, id, UserId(user_id)))
        .await?;
    me.ctx.flash("success", done)?;
    see_other(&format!("/{}s/{id}", R::KIND.words().noun))
}
