// @generated automatically by Diesel CLI.

diesel::table! {
    access_requests (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Int8,
        product_id -> Nullable<Int8>,
        api_id -> Nullable<Int8>,
        environment_ids -> Array<Nullable<Int8>>,
        answers -> Jsonb,
        requested_by -> Nullable<Int8>,
        requested_at -> Timestamptz,
        status -> Text,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        decline_reason -> Text,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Bytea,
        enterprise_id -> Int8,
        credential_id -> Int8,
        secret_id -> Int8,
        api_ids -> Array<Nullable<Int8>>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    access_versions (enterprise_id) {
        enterprise_id -> Int8,
        version -> Int8,
    }
}

diesel::table! {
    api_environments (api_id, environment_id) {
        api_id -> Int8,
        environment_id -> Int8,
    }
}

diesel::table! {
    api_idempotency_keys (token_id, idempotency_key) {
        enterprise_id -> Int8,
        token_id -> Int8,
        idempotency_key -> Text,
        fingerprint -> Bytea,
        status -> Int2,
        body -> Text,
        location -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_rate_windows (token_id) {
        token_id -> Int8,
        enterprise_id -> Int8,
        window_start -> Timestamptz,
        used -> Int4,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        scopes -> Array<Nullable<Text>>,
        token_hash -> Bytea,
        hint -> Text,
        expires_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    apis (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        description -> Text,
        base_path -> Text,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        requestable -> Bool,
        request_questions -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    application_credentials (id) {
        id -> Int8,
        enterprise_id -> Int8,
        application_id -> Int8,
        environment_id -> Int8,
        client_id -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    application_questions (id) {
        id -> Int8,
        enterprise_id -> Int8,
        group_id -> Int8,
        position -> Int4,
        kind -> Text,
        label -> Text,
        required -> Bool,
        choices -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Nullable<Int8>,
        actor_user_id -> Nullable<Int8>,
        actor_label -> Text,
        action -> Text,
        target -> Text,
        details -> Jsonb,
        created_at -> Timestamptz,
        actor_membership -> Text,
    }
}

diesel::table! {
    client_secrets (id) {
        id -> Int8,
        enterprise_id -> Int8,
        credential_id -> Int8,
        secret_hash -> Bytea,
        hint -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Int8,
        name -> Text,
        partner_limit -> Int4,
        created_at -> Timestamptz,
        require_verified_domains -> Bool,
        time_zone -> Text,
        invitation_note -> Nullable<Text>,
    }
}

diesel::table! {
    environments (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        position -> Int4,
        created_at -> Timestamptz,
        requires_approval -> Bool,
    }
}

diesel::table! {
    gateway_credentials (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        client_id -> Text,
        secret_hash -> Bytea,
        hint -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    group_api_environments (group_id, api_id, environment_id) {
        enterprise_id -> Int8,
        group_id -> Int8,
        api_id -> Int8,
        environment_id -> Int8,
    }
}

diesel::table! {
    group_products (group_id, product_id) {
        enterprise_id -> Int8,
        group_id -> Int8,
        product_id -> Int8,
    }
}

diesel::table! {
    invitations (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Nullable<Int8>,
        email -> Text,
        first_name -> Text,
        surname -> Text,
        role -> Text,
        for_account_admin -> Bool,
        token_hash -> Bytea,
        status -> Text,
        invited_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        accepted_user_id -> Nullable<Int8>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        scope -> Text,
        subject -> Text,
        failed_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (id) {
        id -> Int8,
        user_id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Nullable<Int8>,
        role -> Text,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> Int8,
        kind -> Text,
        enterprise_id -> Nullable<Int8>,
        invitation_id -> Nullable<Int8>,
        message_id -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Nullable<Text>,
        html_body -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        delivered_via -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    partner_api_environments (partner_id, api_id, environment_id) {
        partner_id -> Int8,
        api_id -> Int8,
        environment_id -> Int8,
        granted_by -> Nullable<Int8>,
        granted_at -> Timestamptz,
        expires_on -> Nullable<Date>,
        expires_at -> Nullable<Timestamptz>,
        reminded_days -> Nullable<Int2>,
        next_action_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    partner_applications (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Int8,
        name -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    partner_catalogs (partner_id) {
        partner_id -> Int8,
        enterprise_id -> Int8,
        entries -> Json,
    }
}

diesel::table! {
    partner_domains (id) {
        id -> Int8,
        partner_id -> Int8,
        enterprise_id -> Int8,
        domain -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        verification_token -> Text,
        verified_at -> Nullable<Timestamptz>,
        last_checked_at -> Nullable<Timestamptz>,
        last_check_error -> Nullable<Text>,
        next_check_at -> Nullable<Timestamptz>,
        check_locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    partner_drafts (id) {
        id -> Int8,
        enterprise_id -> Int8,
        created_by -> Int8,
        name -> Text,
        domains -> Array<Text>,
        admin_first_name -> Text,
        admin_surname -> Text,
        admin_email -> Text,
        logo_bytes -> Nullable<Bytea>,
        logo_content_type -> Nullable<Text>,
        logo_width -> Nullable<Int4>,
        logo_height -> Nullable<Int4>,
        submitted_partner_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        admin_note -> Nullable<Text>,
    }
}

diesel::table! {
    partner_groups (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        description -> Text,
        is_default -> Bool,
        created_at -> Timestamptz,
        join_code -> Nullable<Text>,
        join_open -> Bool,
    }
}

diesel::table! {
    partner_logos (partner_id) {
        partner_id -> Int8,
        content_type -> Text,
        bytes -> Bytea,
        width -> Int4,
        height -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    partner_organisations (id) {
        id -> Int8,
        partner_code -> Text,
        connect_code -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    partner_products (partner_id, product_id) {
        partner_id -> Int8,
        product_id -> Int8,
        granted_by -> Nullable<Int8>,
        granted_at -> Timestamptz,
        expires_on -> Nullable<Date>,
        expires_at -> Nullable<Timestamptz>,
        reminded_days -> Nullable<Int2>,
        next_action_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    partner_status_counts (enterprise_id, status) {
        enterprise_id -> Int8,
        status -> Text,
        n -> Int8,
    }
}

diesel::table! {
    /// Kept current by triggers (migration 000005); read by the partners list.
    partner_summaries (partner_id) {
        partner_id -> Int8,
        domains -> Text,
        product_count -> Int4,
        api_count -> Int4,
        has_logo -> Bool,
        admin_name -> Nullable<Text>,
        admin_email -> Nullable<Text>,
        admin_pending -> Bool,
        logo_updated_at -> Nullable<Timestamptz>,
        partner_code -> Text,
    }
}

diesel::table! {
    partners (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deactivated_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Int8>,
        account_admin_user_id -> Nullable<Int8>,
        organisation_id -> Int8,
        ended_by -> Nullable<Text>,
        requested_by -> Nullable<Int8>,
        group_id -> Int8,
    }
}

diesel::table! {
    password_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        purpose -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    pending_api_grants (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Int8,
        api_id -> Int8,
        environment_id -> Int8,
        expires_on -> Nullable<Date>,
        expires_at -> Nullable<Timestamptz>,
        requested_by -> Nullable<Int8>,
        requested_at -> Timestamptz,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        description -> Text,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        requestable -> Bool,
        request_questions -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    program_application_domains (application_id, domain) {
        enterprise_id -> Int8,
        application_id -> Int8,
        domain -> Text,
        pending -> Bool,
    }
}

diesel::table! {
    program_applications (id) {
        id -> Int8,
        enterprise_id -> Int8,
        group_id -> Nullable<Int8>,
        applicant_user_id -> Int8,
        partner_id -> Nullable<Int8>,
        partner_name -> Text,
        answers -> Jsonb,
        status -> Text,
        decline_reason -> Text,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    replaced_invitation_tokens (token_hash) {
        token_hash -> Bytea,
        invitation_id -> Int8,
        replaced_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Bytea,
        user_id -> Nullable<Int8>,
        state -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        absolute_expires_at -> Timestamptz,
        membership_id -> Nullable<Int8>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        first_name -> Text,
        surname -> Text,
        password_hash -> Nullable<Text>,
        created_at -> Timestamptz,
        email_confirmed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        enterprise_id -> Int8,
        endpoint_id -> Int8,
        event_type -> Text,
        msg_id -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        last_attempt_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Int8,
        enterprise_id -> Int8,
        url -> Text,
        events -> Array<Nullable<Text>>,
        secret -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(access_requests -> apis (api_id));
diesel::joinable!(access_requests -> enterprises (enterprise_id));
diesel::joinable!(access_requests -> partners (partner_id));
diesel::joinable!(access_requests -> products (product_id));
diesel::joinable!(access_tokens -> application_credentials (credential_id));
diesel::joinable!(access_tokens -> client_secrets (secret_id));
diesel::joinable!(access_tokens -> enterprises (enterprise_id));
diesel::joinable!(access_versions -> enterprises (enterprise_id));
diesel::joinable!(api_environments -> apis (api_id));
diesel::joinable!(api_environments -> environments (environment_id));
diesel::joinable!(api_idempotency_keys -> api_tokens (token_id));
diesel::joinable!(api_idempotency_keys -> enterprises (enterprise_id));
diesel::joinable!(api_rate_windows -> api_tokens (token_id));
diesel::joinable!(api_rate_windows -> enterprises (enterprise_id));
diesel::joinable!(api_tokens -> enterprises (enterprise_id));
diesel::joinable!(api_tokens -> users (created_by));
diesel::joinable!(apis -> enterprises (enterprise_id));
diesel::joinable!(application_credentials -> enterprises (enterprise_id));
diesel::joinable!(application_credentials -> environments (environment_id));
diesel::joinable!(application_credentials -> partner_applications (application_id));
diesel::joinable!(application_credentials -> users (created_by));
diesel::joinable!(audit_events -> enterprises (enterprise_id));
diesel::joinable!(audit_events -> partners (partner_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(client_secrets -> application_credentials (credential_id));
diesel::joinable!(client_secrets -> enterprises (enterprise_id));
diesel::joinable!(environments -> enterprises (enterprise_id));
diesel::joinable!(gateway_credentials -> enterprises (enterprise_id));
diesel::joinable!(gateway_credentials -> users (created_by));
diesel::joinable!(group_api_environments -> apis (api_id));
diesel::joinable!(group_api_environments -> environments (environment_id));
diesel::joinable!(group_products -> products (product_id));
diesel::joinable!(invitations -> enterprises (enterprise_id));
diesel::joinable!(invitations -> partners (partner_id));
diesel::joinable!(memberships -> enterprises (enterprise_id));
diesel::joinable!(memberships -> partners (partner_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(outbox_emails -> enterprises (enterprise_id));
diesel::joinable!(outbox_emails -> invitations (invitation_id));
diesel::joinable!(partner_api_environments -> partners (partner_id));
diesel::joinable!(partner_api_environments -> users (granted_by));
diesel::joinable!(partner_applications -> enterprises (enterprise_id));
diesel::joinable!(partner_applications -> partners (partner_id));
diesel::joinable!(partner_applications -> users (created_by));
diesel::joinable!(partner_catalogs -> enterprises (enterprise_id));
diesel::joinable!(partner_catalogs -> partners (partner_id));
diesel::joinable!(partner_domains -> enterprises (enterprise_id));
diesel::joinable!(partner_domains -> partners (partner_id));
diesel::joinable!(partner_drafts -> enterprises (enterprise_id));
diesel::joinable!(partner_drafts -> partners (submitted_partner_id));
diesel::joinable!(partner_drafts -> users (created_by));
diesel::joinable!(partner_groups -> enterprises (enterprise_id));
diesel::joinable!(partner_logos -> partners (partner_id));
diesel::joinable!(partner_products -> partners (partner_id));
diesel::joinable!(partner_products -> products (product_id));
diesel::joinable!(partner_products -> users (granted_by));
diesel::joinable!(partner_status_counts -> enterprises (enterprise_id));
diesel::joinable!(partner_summaries -> partners (partner_id));
diesel::joinable!(partners -> enterprises (enterprise_id));
diesel::joinable!(partners -> partner_organisations (organisation_id));
diesel::joinable!(password_tokens -> users (user_id));
diesel::joinable!(pending_api_grants -> apis (api_id));
diesel::joinable!(pending_api_grants -> enterprises (enterprise_id));
diesel::joinable!(pending_api_grants -> environments (environment_id));
diesel::joinable!(pending_api_grants -> partners (partner_id));
diesel::joinable!(pending_api_grants -> users (requested_by));
diesel::joinable!(products -> enterprises (enterprise_id));
diesel::joinable!(program_applications -> enterprises (enterprise_id));
diesel::joinable!(program_applications -> partner_groups (group_id));
diesel::joinable!(program_applications -> partners (partner_id));
diesel::joinable!(replaced_invitation_tokens -> invitations (invitation_id));
diesel::joinable!(sessions -> memberships (membership_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(webhook_deliveries -> enterprises (enterprise_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoints -> enterprises (enterprise_id));
diesel::joinable!(webhook_endpoints -> users (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    access_requests,
    access_tokens,
    access_versions,
    api_environments,
    api_idempotency_keys,
    api_rate_windows,
    api_tokens,
    apis,
    application_credentials,
    application_questions,
    audit_events,
    client_secrets,
    enterprises,
    environments,
    gateway_credentials,
    group_api_environments,
    group_products,
    invitations,
    login_failures,
    memberships,
    outbox_emails,
    partner_api_environments,
    partner_applications,
    partner_catalogs,
    partner_domains,
    partner_drafts,
    partner_groups,
    partner_logos,
    partner_organisations,
    partner_products,
    partner_status_counts,
    partner_summaries,
    partners,
    password_tokens,
    pending_api_grants,
    products,
    program_application_domains,
    program_applications,
    replaced_invitation_tokens,
    sessions,
    users,
    webhook_deliveries,
    webhook_endpoints,
);
