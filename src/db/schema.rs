//! The one schema for both backends (written by hand to match
//! `migrations/sqlite` and `migrations/postgres`).

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    app_state (id) {
        id -> Integer,
        authz_epoch -> BigInt,
        public_url -> Text,
    }
}

diesel::table! {
    /// Missing timesheets kept (`domain::report::missing`): a person's week
    /// that ended without a submitted or approved sheet.
    missing_weeks (week_start, user_id) {
        week_start -> Date,
        user_id -> BigInt,
        state -> Nullable<Text>,
    }
}

diesel::table! {
    /// People whose kept missing weeks may be stale.
    missing_dirty_users (user_id) {
        user_id -> BigInt,
        stamp -> BigInt,
    }
}

diesel::table! {
    /// Orgs whose people's kept missing weeks may be stale.
    missing_dirty_orgs (org_id) {
        org_id -> BigInt,
        stamp -> BigInt,
    }
}

diesel::table! {
    /// Which instance runs a scheduled job now, and the day a daily one last
    /// finished (`domain::schedule`).
    job_leases (name) {
        name -> Text,
        holder -> Text,
        until -> Timestamp,
        done_for -> Nullable<Date>,
    }
}

diesel::table! {
    /// Bumped by triggers whenever the navigation's numbers may change.
    nav_epoch (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    orgs (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        name_key -> Text,
        code -> Text,
        code_key -> Text,
        kind -> Text,
        description -> Text,
        address_line1 -> Text,
        address_line2 -> Text,
        city -> Text,
        state -> Text,
        country -> Text,
        postal_code -> Text,
        phone -> Text,
        website -> Text,
        email_domains -> Text,
        tags -> Text,
        privacy_mode -> Bool,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    org_closure (ancestor_id, descendant_id) {
        ancestor_id -> BigInt,
        descendant_id -> BigInt,
        depth -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        org_id -> BigInt,
        email -> Text,
        email_key -> Text,
        display_name -> Text,
        job_title -> Text,
        phone -> Text,
        status -> Text,
        password_hash -> Nullable<Text>,
        session_epoch -> BigInt,
        last_login_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        org_id -> Nullable<BigInt>,
        builtin_key -> Nullable<Text>,
        name -> Text,
        name_key -> Text,
        permissions -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grants (id) {
        id -> BigInt,
        role_id -> BigInt,
        user_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        org_id -> Nullable<BigInt>,
        project_id -> Nullable<BigInt>,
        descendants -> Bool,
        expires_at -> Nullable<Timestamp>,
        granted_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_token_id -> Nullable<BigInt>,
        via -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<BigInt>,
        org_id -> Nullable<BigInt>,
        ip -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
    }
}

diesel::table! {
    org_logos (org_id) {
        org_id -> BigInt,
        content_type -> Text,
        hash -> Text,
        bytes -> Binary,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    org_settings (org_id, key) {
        org_id -> BigInt,
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    authz_changes (id) {
        id -> BigInt,
        epoch -> BigInt,
        scope -> Text,
        user_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        email_key -> Text,
        ip -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    groups (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        name_key -> Text,
        description -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> BigInt,
        user_id -> BigInt,
        owner -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        org_id -> BigInt,
        code -> Text,
        code_key -> Text,
        name -> Text,
        description -> Text,
        client_name -> Text,
        status -> Text,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        budget_minutes -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tenant_id -> BigInt,
    }
}

diesel::table! {
    project_assignments (id) {
        id -> BigInt,
        project_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        minutes_per_week -> Integer,
        start_date -> Date,
        end_date -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    teams (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        name_key -> Text,
        description -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> BigInt,
        user_id -> BigInt,
        lead -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    timesheets (id) {
        id -> BigInt,
        user_id -> BigInt,
        week_start -> Date,
        status -> Text,
        approval_mode -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    time_entries (id) {
        id -> BigInt,
        timesheet_id -> BigInt,
        user_id -> BigInt,
        project_id -> BigInt,
        entry_date -> Date,
        minutes -> Integer,
        note -> Text,
    }
}

// Kept by triggers on time_entries (migration 2026-12-04-000300).
diesel::table! {
    entry_month_totals (month, project_id, user_id) {
        month -> Date,
        project_id -> BigInt,
        user_id -> BigInt,
        minutes -> BigInt,
        entries -> BigInt,
    }
}

diesel::table! {
    approval_parts (id) {
        id -> BigInt,
        timesheet_id -> BigInt,
        project_id -> Nullable<BigInt>,
        user_id -> BigInt,
        week_start -> Date,
        status -> Text,
        minutes -> Integer,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        /// The sheet's `submitted_at`, copied by triggers (the inbox's order).
        submitted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    timesheet_history (id) {
        id -> BigInt,
        timesheet_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        at -> Timestamp,
        change -> Text,
        project_id -> Nullable<BigInt>,
        entry_date -> Nullable<Date>,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        title -> Text,
        body -> Text,
        link -> Text,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        org_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    grant_invitations (id) {
        id -> BigInt,
        email -> Text,
        email_key -> Text,
        role_id -> BigInt,
        org_id -> BigInt,
        project_id -> Nullable<BigInt>,
        descendants -> Bool,
        grant_expires_at -> Nullable<Timestamp>,
        invited_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        declined_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// SCIM tokens: one org's provisioning, acting as the admin who made it.
    scim_tokens (id) {
        id -> BigInt,
        org_id -> BigInt,
        created_by -> BigInt,
        name -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// An org's email domains as claims, verified by a DNS TXT record.
    org_domains (id) {
        id -> BigInt,
        org_id -> BigInt,
        domain -> Text,
        token -> Text,
        verified_at -> Nullable<Timestamp>,
        last_checked_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// What SCIM knows of a person: userName, externalId, deleted by SCIM.
    scim_users (user_id) {
        user_id -> BigInt,
        user_name -> Text,
        user_name_key -> Text,
        external_id -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// What SCIM knows of a group: its externalId.
    scim_groups (group_id) {
        group_id -> BigInt,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// An org's OpenID Connect provider (single sign-on for its subtree).
    org_sso (org_id) {
        org_id -> BigInt,
        issuer_url -> Text,
        client_id -> Text,
        client_secret_sealed -> Nullable<Text>,
        allowed_domains -> Text,
        password_sign_in -> Bool,
        on_first_sign_in -> Text,
        default_role_id -> Nullable<BigInt>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// A person's account at a provider (issuer, subject).
    sso_identities (id) {
        id -> BigInt,
        user_id -> BigInt,
        issuer -> Text,
        subject -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Sign-ins sent to a provider and not back yet (state, nonce, PKCE).
    sso_logins (state_hash) {
        state_hash -> Text,
        org_id -> BigInt,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Seat licences: who holds a seat, from which pool (an org setting `seats`).
    seat_assignments (user_id) {
        user_id -> BigInt,
        pool_org_id -> BigInt,
        assigned_at -> Timestamp,
        assigned_by -> Nullable<BigInt>,
        how -> Text,
    }
}

diesel::joinable!(users -> orgs (org_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(projects -> orgs (org_id));
diesel::joinable!(project_assignments -> projects (project_id));
diesel::joinable!(project_assignments -> users (user_id));
diesel::joinable!(teams -> orgs (org_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(groups -> orgs (org_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(org_settings -> orgs (org_id));
diesel::joinable!(org_logos -> orgs (org_id));
diesel::joinable!(org_domains -> orgs (org_id));
diesel::joinable!(grants -> roles (role_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(timesheets -> users (user_id));
diesel::joinable!(time_entries -> timesheets (timesheet_id));
diesel::joinable!(time_entries -> projects (project_id));
diesel::joinable!(approval_parts -> timesheets (timesheet_id));
diesel::joinable!(timesheet_history -> timesheets (timesheet_id));
diesel::joinable!(org_sso -> orgs (org_id));
diesel::joinable!(sso_identities -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_secrets,
    missing_weeks,
    missing_dirty_users,
    missing_dirty_orgs,
    app_state,
    orgs,
    org_closure,
    users,
    roles,
    grants,
    api_tokens,
    audit_log,
    org_settings,
    org_logos,
    org_domains,
    authz_changes,
    mail_outbox,
    user_tokens,
    sessions,
    sign_in_failures,
    groups,
    group_members,
    projects,
    project_assignments,
    teams,
    team_members,
    timesheets,
    time_entries,
    entry_month_totals,
    approval_parts,
    timesheet_history,
    notifications,
    grant_invitations,
    scim_tokens,
    scim_users,
    scim_groups,
    org_sso,
    sso_identities,
    sso_logins,
    seat_assignments,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    approval_parts::project_id,
    approval_parts::week_start,
);
