//! THE route table: every method, path and handler of the portal. No other file registers a
//! route.
//!
//! actix tries the routes one by one, and every pattern costs a regular expression: before
//! this order, a view of the partners list ran about forty of them (callgrind: 38,000 of its
//! 497,000 instructions). So each table registers its fixed paths first, then its patterns, each
//! in the order written. A fixed path matches only itself, and no pattern written before a
//! fixed path of the same method matches it (`routes::tests` checks), so this changes no
//! answer. Among patterns order matters where a fixed segment and an `{id}` share a position:
//! the wizard's `/settings/partners/drafts/{id}…` and the groups' `/settings/partners/groups/
//! {id}…` come before `/settings/partners/{id}/…`, and `/invitations/accept` before
//! `/invitations/{token}`. The General tab's `/settings/partners/{id}` (one segment) is written
//! early: no pattern of two segments or more can match what it matches. `/settings/activity.csv`
//! is a literal path of its own, not a pattern.
//! `TABLE` lists the same routes as data, so a test can walk every route (`tests/api/edge.rs`)
//! and a new route is covered without being listed there.
//!
//! To find a screen from its URL: the path's first segments name the folder (`/settings/
//! partners/{id}/apis` → `partners/grants/apis.rs`), the handler is named in the table below,
//! its template is in `templates/` under the same folder, and its queries are the `db::`
//! functions it calls.

pub mod access_requests;
pub mod account;
pub mod activity;
pub mod api;
pub mod api_tokens;
pub mod applications;
pub mod approvals;
pub mod catalog;
pub mod dev;
pub mod enterprise;
pub mod gateways;
pub mod health;
pub mod home;
pub mod invitations;
pub mod members;
pub mod metrics;
pub mod note;
pub mod oauth;
pub mod partners;
pub mod people_list;
pub mod profile;
pub mod programs;
pub mod service_catalog;
pub mod team;
pub mod webhooks;

use actix_web::web;

use crate::domain::{ApiId, ProductId};

/// Whether a route's path is a pattern (`{…}` segments) rather than a fixed path.
fn is_pattern(path: &str) -> bool {
    path.contains('{')
}

/// Writes `TABLE` (method, path) and the function that registers the same routes.
macro_rules! route_table {
    ($(#[$doc:meta])* $vis:vis fn $register:ident, const $table:ident; $($method:ident $path:literal => $handler:path;)*) => {
        route_table! { $(#[$doc])* $vis fn $register, const $table, relative to std::convert::identity; $($method $path => $handler;)* }
    };
    ($(#[$doc:meta])* $vis:vis fn $register:ident, const $table:ident, relative to $relative:path; $($method:ident $path:literal => $handler:path;)*) => {
        $(#[$doc])*
        $vis const $table: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn $register(cfg: &mut web::ServiceConfig) {
            // Fixed paths first, then patterns, each in the order written (see the module's
            // documentation).
            $(if !is_pattern($path) { cfg.route($relative($path), web::$method().to($handler)); })*
            $(if is_pattern($path) { cfg.route($relative($path), web::$method().to($handler)); })*
        }
    };
}

route_table! {
    /// Routes outside the session layer: probes that must answer without a database session, and
    /// the metrics scrape.
    pub fn register_probes, const PROBES;
    get  "/healthz" => health::healthz;
    get  "/readyz"  => health::readyz;
    get  "/metrics" => metrics::metrics;
}

route_table! {
    /// The authorisation server's routes (SPEC §18), for machines: outside the session and
    /// CSRF layers, authenticated by client credentials, answering JSON.
    pub fn register_oauth, const OAUTH;
    post "/oauth/token"      => oauth::token::token;
    post "/oauth/introspect" => oauth::introspect::introspect;
    get  "/gateway/check"    => oauth::check::check;
}

route_table! {
    /// The REST API (SPEC §14), for machines: outside the session and CSRF layers,
    /// authenticated by API tokens, answering JSON.
    pub fn register_api, const API, relative to in_api_scope;
    get    "/api/v1/partners"                                    => api::partners::list;
    post   "/api/v1/partners"                                    => api::partners::create;
    get    "/api/v1/partners/{id}"                               => api::partners::read;
    patch  "/api/v1/partners/{id}"                               => api::partners::update;
    post   "/api/v1/partners/{id}/deactivate"                    => api::partners::deactivate;
    get    "/api/v1/partners/{id}/domains"                       => api::domains::list;
    post   "/api/v1/partners/{id}/domains"                       => api::domains::add;
    delete "/api/v1/partners/{id}/domains/{domain_id}"           => api::domains::remove;
    get    "/api/v1/partners/{id}/invitations"                   => api::invitations::list;
    post   "/api/v1/partners/{id}/invitations"                   => api::invitations::create;
    post   "/api/v1/partners/{id}/invitations/{invitation_id}/resend" => api::invitations::resend;
    post   "/api/v1/partners/{id}/invitations/{invitation_id}/revoke" => api::invitations::revoke;
    get    "/api/v1/partners/{id}/grants"                        => api::grants::list;
    post   "/api/v1/partners/{id}/grants/products"               => api::grants::grant_products;
    delete "/api/v1/partners/{id}/grants/products/{product_id}"  => api::grants::revoke_product;
    put    "/api/v1/partners/{id}/grants/apis/{api_id}"          => api::grants::set_api;
    delete "/api/v1/partners/{id}/grants/apis/{api_id}/environments/{environment_id}" => api::grants::revoke_api_environment;
    get    "/api/v1/groups"                                      => api::groups::list;
    post   "/api/v1/partners/{id}/group"                         => api::groups::move_partner;
    get    "/api/v1/catalog"                                     => api::catalog::catalog;
    get    "/api/v1/audit-events"                                => api::catalog::audit_events;
    get    "/api/v1/openapi.json"                                => api::docs::openapi_json;
    get    "/api/docs"                                           => api::docs::reference;
}

route_table! {
    /// Every route behind the session and CSRF layers, in match order.
    pub fn register_pages, const TABLE;
    get  "/" => home::home;

    // ---- account -------------------------------------------------------------------------
    get  "/login"                    => account::login::login_form;
    post "/login"                    => account::login::login;
    post "/logout"                   => account::login::logout;
    get  "/organisations"            => account::organisations::page;
    post "/organisations"            => account::organisations::switch;
    get  "/password/set/{token}"     => account::set_password::open_link;
    get  "/password/new"             => account::set_password::new_password_form;
    post "/password/new"             => account::set_password::set_password;
    get  "/password/forgot"          => account::forgot_password::form_page;
    post "/password/forgot"          => account::forgot_password::request_link;
    get  "/password/forgot/sent"     => account::forgot_password::sent_page;

    // ---- partners: the list and the fixed paths of one segment after `partners`, then a
    // partner's General tab (one segment: the longer patterns below never match its paths) --
    get  "/settings/partners"                            => partners::list::list;
    get  "/settings/partners/connect"                    => partners::connect::form;
    post "/settings/partners/connect"                    => partners::connect::send_request;
    get  "/settings/partners/groups"                     => partners::groups::list;
    post "/settings/partners/groups"                     => partners::groups::create;
    get  "/settings/partners/import"                     => partners::import::form;
    post "/settings/partners/import"                     => partners::import::import;
    get  "/settings/partners/applications"               => programs::applications::list;
    get  "/settings/partners/{id}"                       => partners::page::general::general;

    // ---- partners: the wizard's fixed `drafts` segment before any `{id}` ----------------
    post "/settings/partners/drafts"                     => partners::wizard::start::start;
    get  "/settings/partners/drafts/{id}"                => partners::wizard::start::resume;
    get  "/settings/partners/drafts/{id}/info"           => partners::wizard::info::info_page;
    post "/settings/partners/drafts/{id}/info"           => partners::wizard::info::save_info;
    get  "/settings/partners/drafts/{id}/logo"           => partners::wizard::info::draft_logo;
    get  "/settings/partners/drafts/{id}/domains"        => partners::wizard::domains::domains_page;
    post "/settings/partners/drafts/{id}/domains"        => partners::wizard::domains::save_domains;
    get  "/settings/partners/drafts/{id}/administrator"  => partners::wizard::administrator::admin_page;
    post "/settings/partners/drafts/{id}/administrator"  => partners::wizard::administrator::save_admin;
    get  "/settings/partners/drafts/{id}/review"         => partners::wizard::review::review_page;
    post "/settings/partners/drafts/{id}/submit"         => partners::wizard::review::submit;
    post "/settings/partners/drafts/{id}/discard"        => partners::wizard::discard::discard;

    // ---- connecting an existing partner by Partner ID: the link the other side opens -------
    get  "/connect/{code}"                               => partners::connect::open_link;

    // ---- join links (SPEC §12): the applicant's pages, outside any membership ----------------
    get  "/join/{code}"                                  => programs::join::page;
    post "/join/{code}/apply"                            => programs::join::apply;
    post "/join/{code}/login"                            => programs::join_account::login;
    post "/join/{code}/account"                          => programs::join_account::create_account;
    post "/join/{code}/confirmation"                     => programs::join_account::resend;
    get  "/join/{code}/confirm/{token}"                  => programs::join_account::confirm_form;
    post "/join/{code}/confirm/{token}"                  => programs::join_account::confirm;
    post "/join/{code}/logout"                           => programs::join_account::logout;
    get  "/apply/{id}"                                   => programs::invited::page;
    post "/apply/{id}"                                   => programs::invited::submit;
    post "/apply/{id}/login"                             => programs::invited::login;

    // ---- groups (SPEC §12): the fixed `groups` segment before `{id}` ------------------------
    get  "/settings/partners/groups/{id}"                => partners::groups::group;
    post "/settings/partners/groups/{id}"                => partners::groups::save;
    post "/settings/partners/groups/{id}/access"         => partners::groups::save_access;
    post "/settings/partners/groups/{id}/delete"         => partners::groups::delete;
    get  "/settings/partners/groups/{id}/questions/new"  => programs::form_builder::new_form;
    post "/settings/partners/groups/{id}/questions"      => programs::form_builder::add;
    get  "/settings/partners/groups/{id}/questions/{question}" => programs::form_builder::edit_form;
    post "/settings/partners/groups/{id}/questions/{question}" => programs::form_builder::save;
    post "/settings/partners/groups/{id}/questions/{question}/remove" => programs::form_builder::remove;
    post "/settings/partners/groups/{id}/questions/{question}/up" => programs::form_builder::move_up;
    post "/settings/partners/groups/{id}/questions/{question}/down" => programs::form_builder::move_down;
    post "/settings/partners/groups/{id}/join-link"      => programs::join_link::switch;
    post "/settings/partners/groups/{id}/join-link/regenerate" => programs::join_link::regenerate;

    // ---- Bulk actions on the list (SPEC §13): the fixed `bulk` before `{id}` --------------
    get  "/settings/partners/bulk/move"                  => partners::bulk::move_group::confirm;
    post "/settings/partners/bulk/move"                  => partners::bulk::move_group::apply;
    get  "/settings/partners/bulk/resend"                => partners::bulk::invitations::resend_confirm;
    post "/settings/partners/bulk/resend"                => partners::bulk::invitations::resend;
    get  "/settings/partners/bulk/send"                  => partners::bulk::invitations::send_confirm;
    post "/settings/partners/bulk/send"                  => partners::bulk::invitations::send;
    get  "/settings/partners/bulk/deactivate"            => partners::bulk::deactivate::confirm;
    post "/settings/partners/bulk/deactivate"            => partners::bulk::deactivate::apply;
    get  "/settings/partners/bulk/export"                => partners::bulk::export::export;
    // ---- Import partners (SPEC §13): the fixed `import` before `{id}` ---------------------
    post "/settings/partners/import/preview"             => partners::import::preview;

    // ---- Applications (SPEC §12): the fixed `applications` before `{id}` -------------------
    post "/settings/partners/applications/{id}/approve"  => programs::applications::approve;
    post "/settings/partners/applications/{id}/decline"  => programs::applications::decline;

    get  "/settings/partners/{id}/logo"                  => partners::page::general::logo;
    get  "/settings/partners/{id}/users"                 => partners::page::users::users_tab;
    get  "/settings/partners/{id}/users/invite-team"     => partners::page::invite_team::form;
    post "/settings/partners/{id}/users/invite-team"     => partners::page::invite_team::send;
    get  "/settings/partners/{id}/applications"          => partners::page::applications::applications_tab;
    get  "/settings/partners/{id}/profile"               => programs::profile::profile_tab;
    get  "/settings/partners/{id}/edit"                  => partners::page::edit::edit_form;
    post "/settings/partners/{id}/edit"                  => partners::page::edit::save;
    post "/settings/partners/{id}/domains"               => partners::page::domains::add;
    post "/settings/partners/{id}/domains/{domain_id}/remove" => partners::page::domains::remove;
    post "/settings/partners/{id}/domains/{domain_id}/verify" => partners::page::verification::verify;
    post "/settings/partners/{id}/administrator"         => partners::page::administrator::send_invitation;
    post "/settings/partners/{id}/invitations/{invitation}/resend" => partners::page::administrator::resend;
    post "/settings/partners/{id}/invitations/{invitation}/revoke" => partners::page::administrator::revoke;

    get  "/settings/partners/{id}/products"              => partners::grants::products::tab;
    get  "/settings/partners/{id}/products/add"          => partners::grants::products::add_form;
    post "/settings/partners/{id}/products/add"          => partners::grants::products::save;
    post "/settings/partners/{id}/products/add/confirm"  => partners::grants::products::confirm;
    post "/settings/partners/{id}/products/{product_id}/revoke" => partners::grants::products::revoke;
    get  "/settings/partners/{id}/products/{product_id}/extend" => partners::grants::extend::product_form;
    post "/settings/partners/{id}/products/{product_id}/extend" => partners::grants::extend::extend_product;
    get  "/settings/partners/{id}/apis"                  => partners::grants::apis::tab;
    get  "/settings/partners/{id}/apis/add"              => partners::grants::apis::add_form;
    post "/settings/partners/{id}/apis/add"              => partners::grants::apis::save;
    post "/settings/partners/{id}/apis/add/confirm"      => partners::grants::apis::confirm;
    post "/settings/partners/{id}/apis/revoke-all-access" => partners::grants::apis::revoke_all_access;
    post "/settings/partners/{id}/apis/{api_id}/revoke"  => partners::grants::apis::revoke_all;
    post "/settings/partners/{id}/apis/{api_id}/environments/{environment_id}/revoke" => partners::grants::apis::revoke_one;
    get  "/settings/partners/{id}/apis/{api_id}/environments/{environment_id}/extend" => partners::grants::extend::cell_form;
    post "/settings/partners/{id}/apis/{api_id}/environments/{environment_id}/extend" => partners::grants::extend::extend_cell;

    get  "/settings/partners/{id}/group"                 => partners::groups::move_form;
    post "/settings/partners/{id}/group"                 => partners::groups::move_partner;
    get  "/settings/partners/{id}/delete"                => partners::deactivate::delete_tab;
    post "/settings/partners/{id}/deactivate"            => partners::deactivate::deactivate;

    // ---- team (SPEC §16): `invite` and `invitations/…` before `{id}` -------------------------
    get  "/settings/team"                                => team::list::list;
    post "/settings/team/invite"                         => team::list::invite;
    post "/settings/team/invitations/{id}/resend"        => team::manage::resend;
    post "/settings/team/invitations/{id}/revoke"        => team::manage::revoke;
    post "/settings/team/{id}/role"                      => team::manage::change_role;
    get  "/settings/team/{id}/remove"                    => team::manage::confirm_remove;
    post "/settings/team/{id}/remove"                    => team::manage::remove;

    // ---- gateway credentials (SPEC §18) -----------------------------------------------------
    get  "/settings/gateways"                            => gateways::list::list;
    post "/settings/gateways"                            => gateways::list::create;
    get  "/settings/gateways/{id}/revoke"                => gateways::revoke::confirm_revoke;
    post "/settings/gateways/{id}/revoke"                => gateways::revoke::revoke;

    // ---- Enterprise settings: a section per subject, each posted on its own -----------------
    get  "/settings/enterprise"                          => enterprise::page::page;
    post "/settings/enterprise/domain-verification"      => enterprise::domain_verification::save;
    post "/settings/enterprise/time-zone"                => enterprise::time_zone::save;
    post "/settings/enterprise/invitation-note"          => enterprise::invitation_note::save;

    // ---- activity --------------------------------------------------------------------------
    get  "/settings/activity"                            => activity::pages::enterprise_page;
    get  "/settings/access-requests"                     => access_requests::enterprise::queue;
    get  "/settings/approvals"                           => approvals::list;
    get  "/settings/api-tokens"                          => api_tokens::list;
    post "/settings/api-tokens"                          => api_tokens::create;
    get  "/settings/api-tokens/{id}/revoke"              => api_tokens::confirm_revoke;
    post "/settings/api-tokens/{id}/revoke"              => api_tokens::revoke;
    get  "/settings/webhooks"                            => webhooks::list;
    post "/settings/webhooks"                            => webhooks::create;
    get  "/settings/webhooks/{id}"                       => webhooks::endpoint;
    get  "/settings/webhooks/{id}/delete"                => webhooks::confirm_delete;
    post "/settings/webhooks/{id}/delete"                => webhooks::delete;
    post "/settings/approvals/{id}/approve"              => approvals::approve;
    post "/settings/approvals/{id}/decline"              => approvals::decline;
    get  "/settings/access-requests/{id}"                => access_requests::enterprise::detail;
    post "/settings/access-requests/{id}/approve"        => access_requests::enterprise::approve;
    post "/settings/access-requests/{id}/decline"        => access_requests::enterprise::decline;
    get  "/settings/activity.csv"                        => activity::csv::enterprise_csv;
    get  "/settings/partners/{id}/activity"              => activity::pages::partner_tab;
    get  "/settings/partners/{id}/activity.csv"          => activity::csv::partner_csv;

    // ---- development -----------------------------------------------------------------------
    get  "/dev/mailbox"                                  => dev::mailbox::mailbox;
    get  "/dev/mailbox/{id}/html"                        => dev::mailbox::html_part;

    // ---- invitations: `accept` before `{token}` --------------------------------------------
    get  "/invitations/accept"                           => invitations::accept::accept_page;
    post "/invitations/accept"                           => invitations::accept::accept;
    get  "/invitations/{token}"                          => invitations::accept::open_link;

    // ---- members (partner Admins) ----------------------------------------------------------
    get  "/members"                                      => members::list::list;
    post "/members/invite"                               => members::list::invite;
    get  "/members/invite-team"                          => members::invite_team::form;
    post "/members/invite-team"                          => members::invite_team::send;
    post "/members/invitations/{id}/resend"              => members::manage::resend;
    post "/members/invitations/{id}/revoke"              => members::manage::revoke;
    post "/members/{id}/role"                            => members::manage::change_role;
    get  "/members/{id}/remove"                          => members::manage::confirm_remove;
    post "/members/{id}/remove"                          => members::manage::remove;
    get  "/partner/leave"                                => members::manage::confirm_leave;
    post "/partner/leave"                                => members::manage::leave;

    // ---- Partner profile (the organisation's Admins) --------------------------------------
    get  "/partner/profile"                              => profile::page::profile;
    get  "/partner/activity"                             => activity::pages::own_page;
    get  "/partner/request-access"                       => access_requests::partner::home;
    get  "/partner/request-access/{kind}/{id}"           => access_requests::partner::form;
    post "/partner/request-access/{kind}/{id}"           => access_requests::partner::send;
    post "/partner/profile/link"                         => profile::link::regenerate;
    post "/partner/connections/{id}/accept"              => profile::requests::accept;
    post "/partner/connections/{id}/decline"             => profile::requests::decline;
    get  "/partner/partnerships/{id}/staff"              => profile::staff::page;
    post "/partner/partnerships/{id}/staff"              => profile::staff::save;
    get  "/partner/partnerships/{id}/leave"              => profile::leave::confirm;
    post "/partner/partnerships/{id}/leave"              => profile::leave::leave;

    // ---- Applications (SPEC §18): the partner's client credentials ------------------------
    get  "/partner/applications"                         => applications::list::list;
    post "/partner/applications"                         => applications::list::create;
    get  "/partner/applications/{id}"                    => applications::page::page;
    post "/partner/applications/{id}/rename"             => applications::page::rename;
    post "/partner/applications/{id}/credentials"        => applications::credentials::create;
    post "/partner/applications/{id}/credentials/{credential_id}/rotate" => applications::credentials::rotate;
    get  "/partner/applications/{id}/credentials/{credential_id}/revoke" => applications::credentials::confirm_revoke;
    post "/partner/applications/{id}/credentials/{credential_id}/revoke" => applications::credentials::revoke;
    get  "/partner/applications/{id}/delete"             => applications::delete::confirm_delete;
    post "/partner/applications/{id}/delete"             => applications::delete::delete;

    // ---- catalog ---------------------------------------------------------------------------
    get  "/catalog"                                      => catalog::tabs::products_tab;
    get  "/catalog/apis"                                 => catalog::tabs::apis_tab;
    get  "/catalog/environments"                         => catalog::tabs::environments_tab;
    get  "/catalog/products/new"                         => catalog::products::new_form;
    get  "/catalog/{kind}/{id}/requests"                 => access_requests::settings::form;
    post "/catalog/{kind}/{id}/requests"                 => access_requests::settings::save;
    post "/catalog/products"                             => catalog::products::create;
    get  "/catalog/products/{id}/edit"                   => catalog::products::edit_form;
    post "/catalog/products/{id}/edit"                   => catalog::products::update;
    post "/catalog/products/{id}/archive"                => catalog::items::archive::<ProductId>;
    post "/catalog/products/{id}/unarchive"              => catalog::items::unarchive::<ProductId>;
    get  "/catalog/products/{id}/delete"                 => catalog::items::confirm_delete::<ProductId>;
    post "/catalog/products/{id}/delete"                 => catalog::items::delete::<ProductId>;
    get  "/catalog/apis/new"                             => catalog::apis::new_form;
    post "/catalog/apis"                                 => catalog::apis::create;
    get  "/catalog/apis/{id}/edit"                       => catalog::apis::edit_form;
    post "/catalog/apis/{id}/edit"                       => catalog::apis::update;
    post "/catalog/apis/{id}/archive"                    => catalog::items::archive::<ApiId>;
    post "/catalog/apis/{id}/unarchive"                  => catalog::items::unarchive::<ApiId>;
    get  "/catalog/apis/{id}/delete"                     => catalog::items::confirm_delete::<ApiId>;
    post "/catalog/apis/{id}/delete"                     => catalog::items::delete::<ApiId>;
    get  "/catalog/environments/new"                     => catalog::environments::new_form;
    post "/catalog/environments"                         => catalog::environments::create;
    get  "/catalog/environments/{id}/edit"               => catalog::environments::edit_form;
    post "/catalog/environments/{id}/edit"               => catalog::environments::update;
    get  "/catalog/environments/{id}/delete"             => catalog::environments::confirm_delete;
    post "/catalog/environments/{id}/delete"             => catalog::environments::delete;

    // ---- the partner's side ----------------------------------------------------------------
    get  "/service-catalog"                              => service_catalog::page;
}

/// The probes, outside the session layer (`startup.rs` wraps nothing around them).
pub fn probes(cfg: &mut web::ServiceConfig) {
    register_probes(cfg);
}

/// The token, introspection and gateway check endpoints, outside the session layer.
pub fn oauth(cfg: &mut web::ServiceConfig) {
    register_oauth(cfg);
}

/// The REST API, outside the session layer, in a scope of its own: every other request is then
/// tested against the one prefix `/api` instead of the API's patterns (a regular expression
/// each; a page view ran sixteen of them before its own routes). The routes are registered
/// relative to the scope; an unknown `/api/…` path answers 404 without a session.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope(API_SCOPE).configure(register_api));
}

/// The prefix of every path in `API`.
const API_SCOPE: &str = "/api";

/// A path of `API` relative to [`API_SCOPE`].
fn in_api_scope(path: &'static str) -> &'static str {
    path.strip_prefix(API_SCOPE).unwrap_or(path)
}

/// Every page and form, inside the session and CSRF layers.
pub fn pages(cfg: &mut web::ServiceConfig) {
    // Uploads (the wizard's and the partner page's logo, Import partners' file) share one
    // multipart limit.
    cfg.app_data(partners::info_form::multipart_config());
    register_pages(cfg);
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use actix_web::dev::ResourceDef;

    use super::*;

    /// A path that the pattern matches: every `{…}` segment replaced by `1`.
    fn example(pattern: &str) -> String {
        let mut out = String::new();
        let mut in_braces = false;
        for c in pattern.chars() {
            match c {
                '{' => {
                    in_braces = true;
                    out.push('1');
                }
                '}' => in_braces = false,
                _ if !in_braces => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn registering_fixed_paths_first_changes_no_answer() {
        for table in [PROBES, OAUTH, API, TABLE] {
            for (i, (method, path)) in table.iter().enumerate() {
                if is_pattern(path) {
                    continue;
                }
                for (earlier_method, earlier) in &table[..i] {
                    assert!(
                        !(is_pattern(earlier) && earlier_method == method && ResourceDef::new(*earlier).is_match(path)),
                        "{method} {path} is written after {earlier}, which matches it: registering fixed paths \
                         first would change which handler answers"
                    );
                }
            }
        }
    }

    #[test]
    fn the_general_tab_is_written_before_patterns_that_could_never_match_its_paths() {
        let general = "/settings/partners/{id}";
        let at = TABLE.iter().position(|r| *r == ("get", general)).expect("the General tab's route");
        let segments = |p: &str| p.split('/').count();
        // What it jumped over: the partner pages' patterns written after it (they once came first).
        for (method, path) in TABLE[at + 1..].iter().filter(|(_, p)| is_pattern(p)) {
            if *method == "get" && path.starts_with("/settings/partners/") {
                assert_ne!(segments(path), segments(general), "{path} could match what {general} matches");
                assert!(!ResourceDef::new(general).is_match(&example(path)), "{general} matches {path}");
            }
        }
        assert!(ResourceDef::new(general).is_match("/settings/partners/42"));
        assert!(!ResourceDef::new(general).is_match("/settings/partners/42/users"));
    }

    #[test]
    fn every_api_path_is_inside_the_api_scope() {
        for (_, path) in API {
            assert!(path.starts_with("/api/"), "{path} is outside {API_SCOPE}");
            assert_eq!(format!("{API_SCOPE}{}", in_api_scope(path)), *path);
        }
    }

    #[test]
    fn a_pattern_is_a_path_with_a_brace() {
        assert!(is_pattern("/settings/partners/{id}"));
        assert!(!is_pattern("/settings/partners"));
        assert!(!is_pattern("/settings/activity.csv"));
    }
}
