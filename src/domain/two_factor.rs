//! Two-factor sign-in (TOTP, RFC 6238): a person enrolls an authenticator app
//! from their profile, confirms it with a code and receives ten single-use
//! recovery codes; from then on signing in asks for a code after the password.
//! An org may require it for everyone at home in its subtree
//! (`require_two_factor`, inherited, never weakened below); an admin with
//! `user.manage` may reset someone's second factor.
//!
//! The seed is sealed (`secrets::seal`), recovery codes are kept as hashes, and
//! a code is good once: the step it belongs to is remembered.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;
use totp_rs::{Algorithm, TOTP};

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{org_closure, org_settings, recovery_codes, two_factor},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::secrets;
use crate::domain::user::{self, User};
use crate::error::{Error, FieldErrors, Result};

pub const ENROLLED: &str = "two_factor.enrolled";
pub const TURNED_OFF: &str = "two_factor.turned_off";
pub const RESET: &str = "two_factor.reset";
pub const RECOVERY_CODE_USED: &str = "two_factor.recovery_code_used";

/// The setting that makes it mandatory for everyone at home in the subtree.
pub const REQUIRE_SETTING: &str = "require_two_factor";
pub const REQUIRED: &str = "required";

/// How many recovery codes a person holds after enrolling.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "Canopy";

/// A person's second factor as their profile shows it.
pub struct Status {
    /// When they confirmed it; `None` while it is off.
    pub on_since: Option<NaiveDateTime>,
    /// Recovery codes not used yet.
    pub recovery_left: i64,
}

/// What an authenticator app takes: the seed in base32 (typed by hand) and the
/// QR code of its `otpauth://` URL, drawn as SVG.
pub struct Enrolment {
    pub secret_base32: String,
    pub qr_svg: String,
}

fn totp(seed: Vec<u8>, email: &str) -> Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        seed,
        Some(ISSUER.into()),
        email.to_string(),
    )
    .map_err(Error::internal)
}

fn now_secs() -> u64 {
    u64::try_from(db::now().and_utc().timestamp()).unwrap_or(0)
}

pub fn status(conn: &mut Conn, user_id: i64) -> Result<Status> {
    let on_since: Option<NaiveDateTime> = two_factor::table
        .find(user_id)
        .select(two_factor::confirmed_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten();
    let recovery_left = recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Status {
        on_since,
        recovery_left,
    })
}

/// True when the person has confirmed a second factor. One indexed lookup:
/// every sign-in asks it, and needs no count of recovery codes.
pub fn is_on(conn: &mut Conn, user_id: i64) -> Result<bool> {
    let confirmed: i64 = two_factor::table
        .find(user_id)
        .filter(two_factor::confirmed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(confirmed > 0)
}

/// The enrolment waiting for its first code: the one begun before (so a
/// reload shows the same QR code), or a new seed. Refused once it is on.
pub fn enrolment(conn: &mut Conn, person: &User) -> Result<Enrolment> {
    let row: Option<(String, Option<NaiveDateTime>)> = two_factor::table
        .find(person.id)
        .select((two_factor::secret_sealed, two_factor::confirmed_at))
        .first(conn)
        .optional()?;
    let key = secrets::data_key(conn)?;
    let seed = match row {
        Some((_, Some(_))) => {
            return Err(Error::conflict("Two-factor sign-in is already on."));
        }
        Some((sealed, None)) => secrets::open(&key, &sealed)?,
        None => {
            let seed: [u8; 20] = rand::random();
            diesel::insert_into(two_factor::table)
                .values((
                    two_factor::user_id.eq(person.id),
                    two_factor::secret_sealed.eq(secrets::seal(&key, &seed)?),
                    two_factor::last_step.eq(0_i64),
                    two_factor::created_at.eq(db::now()),
                ))
                .execute(conn)?;
            seed.to_vec()
        }
    };
    let otp = totp(seed, &person.email)?;
    let qr = qrcode::QrCode::new(otp.get_url().as_bytes()).map_err(Error::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment {
        secret_base32: otp.get_secret_base32(),
        qr_svg,
    })
}

/// Confirms the enrolment with a code from the app: it is on from now, and
/// the person's new recovery codes are returned, to be shown once.
pub fn confirm(conn: &mut Conn, actor: &Actor, person: &User, code: &str) -> Result<Vec<String>> {
    if is_on(conn, person.id)? {
        return Err(Error::conflict("Two-factor sign-in is already on."));
    }
    if !take_code(conn, person, code)? {
        return Err(FieldErrors::single(
            "code",
            "That code is not right. Enter the six digits your app shows now \
             (check that your device's clock is right).",
        ));
    }
    diesel::update(two_factor::table.find(person.id))
        .set(two_factor::confirmed_at.eq(Some(db::now())))
        .execute(conn)?;
    let codes = new_recovery_codes(conn, person.id)?;
    audit::record(
        conn,
        actor,
        Event::new(ENROLLED, Target::User, Some(person.id)).org(person.org_id),
    )?;
    Ok(codes)
}

fn new_recovery_codes(conn: &mut Conn, user_id: i64) -> Result<Vec<String>> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| secrets::random_token(10).to_lowercase())
        .collect();
    for code in &codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(secrets::token_hash(code)),
            ))
            .execute(conn)?;
    }
    Ok(codes)
}

/// Checks what the person typed at sign-in: a code from their app (good
/// once: its step must be later than the last one taken) or an unused
/// recovery code (used up by this). False for anything else.
pub fn check(conn: &mut Conn, actor: &Actor, person: &User, typed: &str) -> Result<bool> {
    if !is_on(conn, person.id)? {
        return Ok(false);
    }
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_lowercase();
    if typed.len() == 6 && typed.chars().all(|c| c.is_ascii_digit()) {
        return take_code(conn, person, &typed);
    }
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(person.id))
            .filter(recovery_codes::code_hash.eq(secrets::token_hash(&typed)))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(db::now())))
    .execute(conn)?;
    if used == 1 {
        let left = status(conn, person.id)?.recovery_left;
        audit::record(
            conn,
            actor,
            Event::new(RECOVERY_CODE_USED, Target::User, Some(person.id))
                .org(person.org_id)
                .after(json!({"recovery_codes_left": left})),
        )?;
    }
    Ok(used == 1)
}

/// Takes a six-digit code if it belongs to the step before, at or after now
/// (a clock a little off still works) and to a later step than the last code
/// taken; the conditional update makes two sign-ins racing with one code
/// succeed once.
fn take_code(conn: &mut Conn, person: &User, code: &str) -> Result<bool> {
    let code = code.trim();
    let Some((sealed, last_step)) = two_factor::table
        .find(person.id)
        .select((two_factor::secret_sealed, two_factor::last_step))
        .first::<(String, i64)>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let key = secrets::data_key(conn)?;
    let otp = totp(secrets::open(&key, &sealed)?, &person.email)?;
    let now = now_secs();
    for time in [now.saturating_sub(STEP_SECONDS), now, now + STEP_SECONDS] {
        let step = i64::try_from(time / STEP_SECONDS).unwrap_or(i64::MAX);
        if step > last_step && secrets::constant_time_eq(&otp.generate(time), code) {
            let taken = diesel::update(
                two_factor::table
                    .find(person.id)
                    .filter(two_factor::last_step.lt(step)),
            )
            .set(two_factor::last_step.eq(step))
            .execute(conn)?;
            return Ok(taken == 1);
        }
    }
    Ok(false)
}

fn remove(conn: &mut Conn, user_id: i64) -> Result<bool> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(diesel::delete(two_factor::table.find(user_id)).execute(conn)? == 1)
}

/// The person turns their own second factor off (or abandons an enrolment);
/// refused where their home org requires it.
pub fn turn_off(conn: &mut Conn, actor: &Actor, person: &User) -> Result<()> {
    if required_for(conn, person.org_id)? {
        return Err(Error::Forbidden(
            "Your organization requires two-factor sign-in, so it stays on.".into(),
        ));
    }
    if remove(conn, person.id)? {
        audit::record(
            conn,
            actor,
            Event::new(TURNED_OFF, Target::User, Some(person.id)).org(person.org_id),
        )?;
    }
    Ok(())
}

/// An admin resets someone's second factor (lost phone, no recovery codes
/// left): `user.manage` where the person lives (else 403, or 404 when the
/// person is not someone they may see). The person is told by mail; they
/// enroll again at their next sign-in where it is required.
pub fn reset_as(conn: &mut Conn, access: &Access, actor: &Actor, user_id: i64) -> Result<User> {
    let person = user::find_visible(conn, access, user_id)?;
    access.require(Permission::UserManage, person.org_id)?;
    if user_id == access.user_id {
        return Err(Error::Forbidden(
            "Turn your own two-factor sign-in off from your profile.".into(),
        ));
    }
    if !remove(conn, person.id)? {
        return Err(Error::conflict(format!(
            "{} has no two-factor sign-in to reset.",
            person.display_name
        )));
    }
    audit::record(
        conn,
        actor,
        Event::new(RESET, Target::User, Some(person.id)).org(person.org_id),
    )?;
    let by = user::find(conn, access.user_id)?.display_name;
    let brand = crate::domain::context::mail_brand(conn, person.org_id)?;
    let link = crate::domain::mail::public_link(conn, "/profile/two-factor")?;
    let message = crate::domain::mail::Message::notification(
        &person.email,
        &person.display_name,
        "Your two-factor sign-in was reset",
        &format!(
            "{by} reset your two-factor sign-in. Your old codes and recovery codes no \
             longer work; set it up again from your profile. If you did not ask for this, \
             tell your administrator."
        ),
        &link,
        &brand,
    )?;
    crate::domain::mail::enqueue(conn, &message, Some(person.id))?;
    Ok(person)
}

/// True when `org_id` or an org above it requires two-factor sign-in. Any of
/// them, not only the nearest: a child never weakens what an ancestor asks.
pub fn required_for(conn: &mut Conn, org_id: i64) -> Result<bool> {
    let required = serde_json::to_string(REQUIRED).map_err(Error::internal)?;
    let hits: i64 = org_settings::table
        .inner_join(org_closure::table.on(org_closure::ancestor_id.eq(org_settings::org_id)))
        .filter(org_closure::descendant_id.eq(org_id))
        .filter(org_settings::key.eq(REQUIRE_SETTING))
        .filter(org_settings::value.eq(required))
        .count()
        .get_result(conn)?;
    Ok(hits > 0)
}

/// True when an org strictly above `org_id` requires it (the settings page
/// then refuses "optional" there).
pub fn required_above(conn: &mut Conn, org_id: i64) -> Result<bool> {
    match crate::domain::org::find(conn, org_id)?.parent_id {
        Some(parent) => required_for(conn, parent),
        None => Ok(false),
    }
}

/// Once an org requires it, an "optional" set below it says nothing any
/// more: it goes, so each page below shows what holds.
pub fn clear_weaker_below(conn: &mut Conn, org_id: i64) -> Result<usize> {
    let optional = serde_json::to_string("optional").map_err(Error::internal)?;
    let below = org_closure::table
        .filter(org_closure::ancestor_id.eq(org_id))
        .filter(org_closure::depth.gt(0))
        .select(org_closure::descendant_id);
    Ok(diesel::delete(
        org_settings::table
            .filter(org_settings::key.eq(REQUIRE_SETTING))
            .filter(org_settings::value.eq(optional))
            .filter(org_settings::org_id.eq_any(below)),
    )
    .execute(conn)?)
}
