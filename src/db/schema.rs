// @generated automatically by Diesel CLI.

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
    }
}

diesel::table! {
    enterprises (id) {
        id -> Int8,
        name -> Text,
        partner_limit -> Int4,
        created_at -> Timestamptz,
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
    partners (id) {
        id -> Int8,
        enterprise_id -> Int8,
        name -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deactivated_at -> Nullable<Timestamptz>,
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
    sessions (key_hash) {
        key_hash -> Bytea,
        user_id -> Nullable<Int8>,
        state -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        absolute_expires_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        enterprise_id -> Int8,
        partner_id -> Nullable<Int8>,
        role -> Text,
        email -> Text,
        first_name -> Text,
        surname -> Text,
        password_hash -> Nullable<Text>,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(audit_events -> enterprises (enterprise_id));
diesel::joinable!(audit_events -> partners (partner_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(partners -> enterprises (enterprise_id));
diesel::joinable!(password_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(users -> enterprises (enterprise_id));
diesel::joinable!(users -> partners (partner_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    enterprises,
    login_failures,
    partners,
    password_tokens,
    sessions,
    users,
);
