//! The audit log's actions as people read them: a label for the filter and a
//! sentence pattern for the log. `{who}` is the actor, `{target}` what the
//! entry is about, `{person}` the person its details name (a grant's holder,
//! a team's new member), `{role}` the role a grant gives.

/// `(code, label, sentence)`, grouped by area in the order the filter lists them.
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("auth.signed_in", "Signed in", "{who} signed in"),
    ("auth.signed_out", "Signed out", "{who} signed out"),
    (
        "auth.sign_in_failed",
        "Sign-in failed",
        "A sign-in as {target} failed",
    ),
    (
        "auth.sign_in_throttled",
        "Sign-in held back",
        "Sign-ins as {target} were held back",
    ),
    (
        "sso.signed_in",
        "Signed in through single sign-on",
        "{who} signed in through single sign-on",
    ),
    (
        "sso.refused",
        "Single sign-on refused",
        "A sign-in through single sign-on was refused for {target}",
    ),
    (
        "sso.configured",
        "Single sign-on set",
        "{who} set the single sign-on provider of {target}",
    ),
    (
        "sso.removed",
        "Single sign-on removed",
        "{who} removed the single sign-on provider of {target}",
    ),
    (
        "two_factor.enrolled",
        "Two-factor sign-in turned on",
        "{who} turned on two-factor sign-in for {target}",
    ),
    (
        "two_factor.turned_off",
        "Two-factor sign-in turned off",
        "{who} turned off two-factor sign-in for {target}",
    ),
    (
        "two_factor.reset",
        "Two-factor sign-in reset",
        "{who} reset the two-factor sign-in of {target}",
    ),
    (
        "two_factor.recovery_code_used",
        "Recovery code used",
        "{who} signed in as {target} with a recovery code",
    ),
    (
        "auth.reset_requested",
        "Password reset asked for",
        "A password reset was asked for {target}",
    ),
    (
        "setup.completed",
        "Set up",
        "{who} set up Canopy as {target}",
    ),
    (
        "demo.generated",
        "Demo data generated",
        "{who} generated demo data under {target}",
    ),
    (
        "org.created",
        "Organization created",
        "{who} created {target}",
    ),
    (
        "org.updated",
        "Organization changed",
        "{who} changed {target}",
    ),
    ("org.moved", "Organization moved", "{who} moved {target}"),
    (
        "org.archived",
        "Organization archived",
        "{who} archived {target}",
    ),
    (
        "org.restored",
        "Organization restored",
        "{who} restored {target}",
    ),
    (
        "org.deleted",
        "Organization deleted",
        "{who} deleted {target}",
    ),
    (
        "org.privacy_changed",
        "Privacy mode changed",
        "{who} changed the privacy mode of {target}",
    ),
    (
        "org.settings_changed",
        "Settings changed",
        "{who} changed the settings of {target}",
    ),
    (
        "domain.verified",
        "Email domain verified",
        "{who} verified an email domain of {target}",
    ),
    (
        "domain.check_failed",
        "Email domain check failed",
        "{who} checked an email domain of {target}, which is not verified yet",
    ),
    ("user.created", "Person created", "{who} created {target}"),
    ("user.invited", "Person invited", "{who} invited {target}"),
    (
        "user.invitation_resent",
        "Invitation sent again",
        "{who} sent {target} a new invitation",
    ),
    ("user.updated", "Person changed", "{who} changed {target}"),
    (
        "user.email_changed",
        "Email changed",
        "{who} changed the email of {target}",
    ),
    ("user.moved", "Person moved", "{who} moved {target}"),
    (
        "user.activated",
        "Person activated",
        "{who} activated {target}",
    ),
    (
        "user.deactivated",
        "Person deactivated",
        "{who} deactivated {target}",
    ),
    (
        "user.password_changed",
        "Password changed",
        "{who} changed the password of {target}",
    ),
    (
        "user.password_change_failed",
        "Password change failed",
        "{who} failed to change the password of {target}",
    ),
    (
        "user.sessions_ended",
        "Signed out everywhere",
        "{who} signed {target} out everywhere",
    ),
    (
        "token.created",
        "API token created",
        "{who} created an API token for {person}",
    ),
    (
        "token.revoked",
        "API token revoked",
        "{who} revoked an API token",
    ),
    (
        "scim_token.created",
        "SCIM token created",
        "{who} created a SCIM token for {target}",
    ),
    (
        "scim_token.revoked",
        "SCIM token revoked",
        "{who} revoked a SCIM token of {target}",
    ),
    ("role.created", "Role created", "{who} created {target}"),
    ("role.updated", "Role changed", "{who} changed {target}"),
    ("role.deleted", "Role deleted", "{who} deleted {target}"),
    (
        "grant.created",
        "Role granted",
        "{who} granted {role} to {person}",
    ),
    (
        "grant.revoked",
        "Role revoked",
        "{who} revoked {role} from {person}",
    ),
    (
        "grant.invited",
        "Invited to a role",
        "{who} invited someone to {role}",
    ),
    (
        "grant.invitation_revoked",
        "Role invitation withdrawn",
        "{who} withdrew an invitation to {role}",
    ),
    (
        "grant.invitation_declined",
        "Role invitation declined",
        "{who} declined an invitation to a role",
    ),
    ("group.created", "Group created", "{who} created {target}"),
    ("group.updated", "Group changed", "{who} changed {target}"),
    ("group.deleted", "Group deleted", "{who} deleted {target}"),
    (
        "group.member_put",
        "Group member added",
        "{who} put {person} in {target}",
    ),
    (
        "group.member_removed",
        "Group member removed",
        "{who} removed {person} from {target}",
    ),
    ("team.created", "Team created", "{who} created {target}"),
    ("team.updated", "Team changed", "{who} changed {target}"),
    ("team.deleted", "Team deleted", "{who} deleted {target}"),
    (
        "team.member_put",
        "Team member added",
        "{who} put {person} in {target}",
    ),
    (
        "team.member_removed",
        "Team member removed",
        "{who} removed {person} from {target}",
    ),
    (
        "project.created",
        "Project created",
        "{who} created {target}",
    ),
    (
        "project.updated",
        "Project changed",
        "{who} changed {target}",
    ),
    ("project.moved", "Project moved", "{who} moved {target}"),
    (
        "project.deleted",
        "Project deleted",
        "{who} deleted {target}",
    ),
    (
        "project.assignment_put",
        "Assignment made",
        "{who} assigned {person} to {target}",
    ),
    (
        "project.assignment_ended",
        "Assignment ended",
        "{who} ended the assignment of {person} to {target}",
    ),
    ("timesheet.saved", "Week saved", "{who} saved {target}"),
    (
        "timesheet.submitted",
        "Week submitted",
        "{who} submitted {target}",
    ),
    (
        "timesheet.withdrawn",
        "Week withdrawn",
        "{who} withdrew {target}",
    ),
    (
        "timesheet.approved",
        "Week approved",
        "{who} approved {target}",
    ),
    (
        "timesheet.rejected",
        "Week rejected",
        "{who} rejected {target}",
    ),
    (
        "timesheet.reopened",
        "Week reopened",
        "{who} reopened {target}",
    ),
    (
        "timesheet.reminders_sent",
        "Reminders sent",
        "{who} sent the timesheet reminders",
    ),
    (
        "seat.assigned",
        "Seat assigned",
        "{who} gave {target} a seat",
    ),
    (
        "seat.unassigned",
        "Seat taken back",
        "{who} took back the seat of {target}",
    ),
    (
        "seat.moved",
        "Seat moved to another pool",
        "{who} moved the seat of {target} to another pool",
    ),
];

/// The areas the filter also offers as a whole (`timesheet.` is every
/// timesheet action), with their labels.
pub const AREAS: &[(&str, &str)] = &[
    ("auth.", "Signing in"),
    ("two_factor.", "Two-factor sign-in"),
    ("sso.", "Single sign-on"),
    ("org.", "Organizations"),
    ("domain.", "Email domains"),
    ("user.", "People"),
    ("token.", "API tokens"),
    ("scim_token.", "SCIM tokens"),
    ("role.", "Roles"),
    ("grant.", "Grants"),
    ("group.", "Groups"),
    ("team.", "Teams"),
    ("project.", "Projects"),
    ("timesheet.", "Timesheets"),
    ("seat.", "Seats"),
    ("setup.", "Setup"),
    ("demo.", "Demo data"),
];

/// The label of `code` ("Week approved"); an unknown code reads as itself.
pub fn label(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, l, _)| *l)
        .or_else(|| AREAS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l))
        .unwrap_or(code)
}

/// The sentence pattern of `code`; an unknown code says what it can.
pub fn pattern(code: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("{who}: {action} on {target}", |(_, _, s)| *s)
}

/// Whether the filter knows `code`: one action, or an area ending in `.`.
pub fn is_known(code: &str) -> bool {
    ACTIONS.iter().any(|(c, _, _)| *c == code) || AREAS.iter().any(|(c, _)| *c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_an_area_and_a_pattern_naming_its_actor_or_target() {
        for (code, label, sentence) in ACTIONS {
            assert!(AREAS.iter().any(|(a, _)| code.starts_with(a)), "{code}");
            assert!(!label.is_empty());
            assert!(
                sentence.contains("{who}") || sentence.contains("{target}"),
                "{code}"
            );
        }
        assert_eq!(label("timesheet.approved"), "Week approved");
        assert_eq!(label("timesheet."), "Timesheets");
        assert!(is_known("user.") && !is_known("nope"));
    }
}
