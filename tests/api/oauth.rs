//! The authorisation server (SPEC §18): `POST /oauth/token` (client credentials) and
//! `POST /oauth/introspect`, through HTTP against real PostgreSQL. Every RFC 6749 §5.2 error
//! case; a token carries exactly the APIs granted in its environment; revoking a grant,
//! revoking the credentials, deleting the application, rotating (old secret during the overlap
//! only) and deactivating the partner each make introspection answer inactive at once, on
//! another instance too; tenant isolation; throttling.

use serde_json::Value;

use crate::{
    fixtures::CatalogIds,
    helpers::TestApp,
    oauth_kit::{
        globex, introspect, is_active, request_token, seed_billing_sync, seed_gateway, token, BillingSync, Client,
    },
};

struct World {
    app: TestApp,
    ids: CatalogIds,
    /// Globex's "Billing sync" credentials in Production (API One and API Three granted
    /// there) and in Development (API One).
    production: Client,
    development: Client,
    gateway: Client,
}

async fn world() -> World {
    let app = TestApp::spawn().with_partner(globex()).await;
    let BillingSync { ids, production, development, gateway, .. } = seed_billing_sync(&app);
    World { app, ids, production, development, gateway }
}

#[tokio::test]
async fn a_token_carries_exactly_the_apis_granted_in_its_environment() {
    let w = world().await;
    let (status, body) = request_token(&w.app, &w.production, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "/one/v1 /three/v1");
    let production = body["access_token"].as_str().unwrap().to_string();

    let (status, answer) = introspect(&w.app, &w.gateway, &production).await;
    assert_eq!(status, 200);
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["scope"], "/one/v1 /three/v1");
    assert_eq!(answer["client_id"], w.production.client_id.as_str());
    assert_eq!(answer["environment"]["name"], "Production");
    assert_eq!(answer["partner"]["name"], "Globex");
    assert!(answer["partner"]["partner_id"].as_str().unwrap().starts_with("PRT-"));
    assert_eq!(answer["application"]["name"], "Billing sync");
    let names: Vec<&str> = answer["apis"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["API One", "API Three"]);
    assert!(answer["exp"].as_i64().unwrap() - answer["iat"].as_i64().unwrap() == 300);

    let development = token(&w.app, &w.development).await;
    let (_, answer) = introspect(&w.app, &w.gateway, &development).await;
    assert_eq!(answer["scope"], "/one/v1", "Development holds API One only");
    assert_eq!(answer["environment"]["name"], "Development");
    let _ = (&w.ids, Value::Null);
    assert!(is_active(&w.app, &w.gateway, &development).await);
}

/// A raw `POST /oauth/token`: any headers and body.
async fn raw_token_request(app: &TestApp, auth: Option<&str>, content_type: &str, body: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.address))
        .header("Content-Type", content_type)
        .body(body.to_string());
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    req.send().await.unwrap()
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap())
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn client_secret_post_works_like_basic_and_a_requested_scope_narrows_the_token() {
    let w = world().await;
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=%2Fthree%2Fv1",
        w.production.client_id, w.production.secret
    );
    let res = raw_token_request(&w.app, None, FORM, &body).await;
    assert_eq!(res.headers()["cache-control"], "no-store", "RFC 6749 §5.1");
    assert_eq!(res.headers()["pragma"], "no-cache");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let (status, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "/three/v1");
    let (_, answer) = introspect(&w.app, &w.gateway, body["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["scope"], "/three/v1", "only what was asked for");
}

/// What a case is, the Authorization header, the content type, the body, and the expected
/// status and error code.
type Case = (&'static str, Option<String>, &'static str, String, u16, &'static str);

#[tokio::test]
async fn every_rfc_6749_error_case_answers_its_code() {
    let w = world().await;
    let basic = w.production.basic();
    let wrong = Client { secret: "pps_wrong".into(), ..w.production.clone() };
    let unknown =
        Client { client_id: format!("ppc_{}_0123456789abcdef", w.app.enterprise_id()), ..w.production.clone() };
    let cases: Vec<Case> = vec![
        ("no client authentication", None, FORM, "grant_type=client_credentials".into(), 401, "invalid_client"),
        ("wrong secret", Some(wrong.basic()), FORM, "grant_type=client_credentials".into(), 401, "invalid_client"),
        (
            "unknown client id",
            Some(unknown.basic()),
            FORM,
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            "not Basic credentials",
            Some("Basic %%%".into()),
            FORM,
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            "two ways of authenticating",
            Some(basic.clone()),
            FORM,
            format!("grant_type=client_credentials&client_id={}", w.production.client_id),
            400,
            "invalid_request",
        ),
        ("no grant_type", Some(basic.clone()), FORM, "scope=%2Fone%2Fv1".into(), 400, "invalid_request"),
        (
            "another grant",
            Some(basic.clone()),
            FORM,
            "grant_type=password&username=a&password=b".into(),
            400,
            "unsupported_grant_type",
        ),
        (
            "JSON body",
            Some(basic.clone()),
            "application/json",
            r#"{"grant_type":"client_credentials"}"#.into(),
            400,
            "invalid_request",
        ),
        (
            "a repeated parameter",
            Some(basic.clone()),
            FORM,
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            400,
            "invalid_request",
        ),
        (
            "an API not granted",
            Some(basic.clone()),
            FORM,
            "grant_type=client_credentials&scope=%2Ftwo%2Fv1".into(),
            400,
            "invalid_scope",
        ),
    ];
    for (what, auth, content_type, body, status, code) in cases {
        let res = raw_token_request(&w.app, auth.as_deref(), content_type, &body).await;
        if status == 401 {
            assert!(res.headers().contains_key("www-authenticate"), "{what}: 401 names the scheme");
        }
        assert_eq!(res.headers()["cache-control"], "no-store", "{what}");
        let (got, answer) = json_of(res).await;
        assert_eq!((got, answer["error"].as_str().unwrap()), (status, code), "{what}: {answer}");
        assert!(!answer["error_description"].as_str().unwrap().is_empty(), "{what}");
    }
    // A body over the payload limit: JSON too, never the portal's HTML page.
    let huge = format!("grant_type=client_credentials&pad={}", "a".repeat(300 * 1024));
    let res = raw_token_request(&w.app, Some(&basic), FORM, &huge).await;
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let (status, answer) = json_of(res).await;
    assert_eq!((status, answer["error"].as_str().unwrap()), (413, "invalid_request"), "{answer}");
    // None of the refusals issued a token.
    let mut conn = w.app.conn();
    use diesel::prelude::*;
    let tokens: i64 = partner_portal::db::schema::access_tokens::table.count().get_result(&mut conn).unwrap();
    assert_eq!(tokens, 0);
}

/// Revokes API `api` in environment `env` through the enterprise's own form.
async fn revoke_grant(app: &TestApp, api: i64, env: i64) {
    let partner = app.partner_id();
    let r =
        crate::grants::post(app, &format!("/settings/partners/{partner}/apis/{api}/environments/{env}/revoke"), &[])
            .await;
    assert_eq!(r.status(), 303, "the revoke form redirects");
}

#[tokio::test]
async fn revoking_a_grant_narrows_the_token_at_once_and_the_last_one_makes_it_inactive_on_every_instance() {
    let w = world().await;
    let r = w.app.login(crate::helpers::ADMIN, crate::helpers::PASSWORD).await;
    assert_eq!(r.status(), 303);
    let other = w.app.spawn_another(Default::default()).await;
    let production = token(&w.app, &w.production).await;
    // Both instances have the answer cached before the change.
    for instance in [&w.app, &other] {
        assert_eq!(introspect(instance, &w.gateway, &production).await.1["scope"], "/one/v1 /three/v1");
    }

    revoke_grant(&w.app, w.ids.apis[0], w.ids.environments[2]).await;
    let (_, answer) = introspect(&other, &w.gateway, &production).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "/three/v1", "API One is no longer granted in Production");

    revoke_grant(&w.app, w.ids.apis[2], w.ids.environments[2]).await;
    assert!(!is_active(&other, &w.gateway, &production).await, "nothing granted there any more");
    assert!(!is_active(&w.app, &w.gateway, &production).await);
    let (status, body) = request_token(&w.app, &w.production, &[]).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_scope"), "{body}");
}

#[tokio::test]
async fn revoking_the_credentials_or_deleting_the_application_makes_its_tokens_inactive_at_once() {
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    let development = token(&w.app, &w.development).await;
    let other = w.app.spawn_another(Default::default()).await;
    for instance in [&w.app, &other] {
        assert!(is_active(instance, &w.gateway, &production).await, "cached on both instances");
        assert!(is_active(instance, &w.gateway, &development).await);
    }
    let (enterprise_id, partner_id) = (w.app.enterprise_id(), w.app.partner_id());
    let mut conn = w.app.conn();
    let apps = partner_portal::db::applications::list(&mut conn, enterprise_id, partner_id).unwrap();
    let creds = partner_portal::db::applications::credentials_of(&mut conn, enterprise_id, &[apps[0].id]).unwrap();
    let prod = creds.iter().find(|c| c.client_id == w.production.client_id).unwrap();

    partner_portal::db::applications::revoke_credential(&mut conn, enterprise_id, prod.id).unwrap();
    assert!(!is_active(&other, &w.gateway, &production).await);
    assert!(is_active(&other, &w.gateway, &development).await, "the other environment's credentials still work");
    let (status, _) = request_token(&w.app, &w.production, &[]).await;
    assert_eq!(status, 401, "revoked credentials can't obtain a token");

    partner_portal::db::applications::delete(&mut conn, enterprise_id, apps[0].id).unwrap();
    assert!(!is_active(&other, &w.gateway, &development).await);
    assert_eq!(request_token(&w.app, &w.development, &[]).await.0, 401);
}

#[tokio::test]
async fn rotating_keeps_the_old_secret_only_for_the_overlap() {
    use diesel::prelude::*;
    use partner_portal::{auth::credentials, db::applications};
    let w = world().await;
    let (enterprise_id, partner_id) = (w.app.enterprise_id(), w.app.partner_id());
    let key = crate::oauth_kit::key(&w.app);
    let mut conn = w.app.conn();
    let apps = applications::list(&mut conn, enterprise_id, partner_id).unwrap();
    let cred = applications::credentials_of(&mut conn, enterprise_id, &[apps[0].id])
        .unwrap()
        .into_iter()
        .find(|c| c.client_id == w.production.client_id)
        .unwrap();
    let rotate = |conn: &mut diesel::PgConnection, overlap: chrono::Duration| {
        let secret = credentials::new_secret();
        let hash = credentials::hash(&key, &secret);
        applications::rotate(
            conn,
            enterprise_id,
            cred.id,
            &applications::NewSecret { hash: &hash, hint: &credentials::hint(&secret) },
            overlap,
        )
        .unwrap();
        Client { secret, ..w.production.clone() }
    };
    let old_token = token(&w.app, &w.production).await;

    // With an hour of overlap both secrets work, and so do the old secret's tokens.
    let second = rotate(&mut conn, chrono::Duration::hours(1));
    assert_eq!(request_token(&w.app, &w.production, &[]).await.0, 200, "old secret during the overlap");
    let second_token = token(&w.app, &second).await;
    assert!(is_active(&w.app, &w.gateway, &old_token).await);

    // The overlap ends (its end moved into the past, as the clock would): the old secret and
    // its tokens stop, the new one goes on.
    use partner_portal::db::schema::client_secrets::dsl as s;
    diesel::update(s::client_secrets.filter(s::credential_id.eq(cred.id)).filter(s::expires_at.is_not_null()))
        .set(s::expires_at.eq(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(request_token(&w.app, &w.production, &[]).await.0, 401, "old secret after the overlap");
    assert!(!is_active(&w.app, &w.gateway, &old_token).await);
    assert!(is_active(&w.app, &w.gateway, &second_token).await);

    // Rotating with no overlap stops the current secret at once.
    let third = rotate(&mut conn, chrono::Duration::zero());
    assert_eq!(request_token(&w.app, &second, &[]).await.0, 401);
    assert!(!is_active(&w.app, &w.gateway, &second_token).await);
    assert_eq!(request_token(&w.app, &third, &[]).await.0, 200);
}

#[tokio::test]
async fn deactivating_the_partner_makes_its_tokens_inactive_and_refuses_new_ones() {
    use diesel::prelude::*;
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    let development = token(&w.app, &w.development).await;

    // The partnership's status alone decides, whatever its grants: ended in the database
    // with its grants left in place, its tokens stop at once.
    let partner = w.app.partner_id();
    let mut conn = w.app.conn();
    use partner_portal::db::schema::partners::dsl as p;
    diesel::update(p::partners.find(partner))
        .set((p::status.eq("deactivated"), p::deactivated_at.eq(diesel::dsl::now)))
        .execute(&mut conn)
        .unwrap();
    assert!(!is_active(&w.app, &w.gateway, &production).await);
    let (status, body) = request_token(&w.app, &w.production, &[]).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "unauthorized_client"), "{body}");
    diesel::update(p::partners.find(partner))
        .set((p::status.eq("active"), p::deactivated_at.eq(None::<chrono::DateTime<chrono::Utc>>)))
        .execute(&mut conn)
        .unwrap();
    assert!(is_active(&w.app, &w.gateway, &development).await);

    // Through the product: the Delete partner tab asks for API access to be revoked first
    // (Revoke API access), then deactivates.
    let r = w.app.login(crate::helpers::ADMIN, crate::helpers::PASSWORD).await;
    assert_eq!(r.status(), 303);
    for api in [w.ids.apis[0], w.ids.apis[2]] {
        let r = crate::grants::post(&w.app, &format!("/settings/partners/{partner}/apis/{api}/revoke"), &[]).await;
        assert_eq!(r.status(), 303);
    }
    let r =
        crate::grants::post(&w.app, &format!("/settings/partners/{partner}/deactivate"), &[("confirm_name", "Globex")])
            .await;
    assert_eq!(r.status(), 303, "deactivated through the Delete partner tab");
    assert!(!is_active(&w.app, &w.gateway, &development).await);
    assert_eq!(request_token(&w.app, &w.development, &[]).await.1["error"], "unauthorized_client");
}

#[tokio::test]
async fn an_expired_token_is_inactive_and_the_lifetime_is_configurable() {
    use diesel::prelude::*;
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    let mut conn = w.app.conn();
    use partner_portal::db::schema::access_tokens::dsl as t;
    diesel::update(t::access_tokens)
        .set(t::expires_at.eq(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    assert!(!is_active(&w.app, &w.gateway, &production).await, "past its expiry");
    // Housekeeping deletes tokens an hour past their expiry, not before.
    assert_eq!(partner_portal::db::oauth::delete_expired_tokens(&mut conn).unwrap(), 0);
    diesel::update(t::access_tokens)
        .set(t::expires_at.eq(chrono::Utc::now() - chrono::Duration::minutes(61)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(partner_portal::db::oauth::delete_expired_tokens(&mut conn).unwrap(), 1);

    let short = w
        .app
        .spawn_another(crate::helpers::Options {
            env: vec![("ACCESS_TOKEN_TTL_SECS", "60".into())],
            ..Default::default()
        })
        .await;
    let (status, body) = request_token(&short, &w.production, &[]).await;
    assert_eq!((status, body["expires_in"].as_i64()), (200, Some(60)));
}

#[tokio::test]
async fn a_gateway_sees_only_its_own_enterprises_tokens_and_must_authenticate() {
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    let mut conn = w.app.conn();
    let umbrella = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    let foreign_gateway = seed_gateway(&w.app, umbrella.id, w.app.admin_id());
    assert!(!is_active(&w.app, &foreign_gateway, &production).await, "another enterprise's token is not found");

    // A gateway id made to look like one of Acme's, with Umbrella's secret: refused.
    let forged = Client {
        client_id: foreign_gateway.client_id.replacen(
            &format!("_{}_", umbrella.id),
            &format!("_{}_", w.app.enterprise_id()),
            1,
        ),
        ..foreign_gateway.clone()
    };
    assert_eq!(introspect(&w.app, &forged, &production).await.0, 401);
    let wrong = Client { secret: "pps_nope".into(), ..w.gateway.clone() };
    let (status, body) = introspect(&w.app, &wrong, &production).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    // An application's credentials are not a gateway's.
    assert_eq!(introspect(&w.app, &w.production, &production).await.0, 401);

    let (status, body) = introspect(&w.app, &w.gateway, "ppat_not-a-token").await;
    assert_eq!((status, body), (200, serde_json::json!({ "active": false })), "an unknown token is just inactive");
    let res = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", w.app.address))
        .header("Authorization", w.gateway.basic())
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await.1["error"], "invalid_request", "no token parameter");

    // A revoked gateway credential can't introspect any more.
    use diesel::prelude::*;
    use partner_portal::db::schema::gateway_credentials::dsl as g;
    diesel::update(g::gateway_credentials.filter(g::client_id.eq(&w.gateway.client_id)))
        .set(g::revoked_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(introspect(&w.app, &w.gateway, &production).await.0, 401);
}

#[tokio::test]
async fn failed_authentications_are_throttled_per_client_and_issuance_is_rate_limited() {
    let w = world().await;
    let wrong = Client { secret: "pps_wrong".into(), ..w.production.clone() };
    for _ in 0..10 {
        assert_eq!(request_token(&w.app, &wrong, &[]).await.0, 401);
    }
    let res = raw_token_request(&w.app, Some(&w.production.basic()), FORM, "grant_type=client_credentials").await;
    assert_eq!(res.status(), 429, "even the right secret waits once the client is throttled");
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(request_token(&w.app, &w.development, &[]).await.0, 200, "other clients are not affected");

    let limited = w
        .app
        .spawn_another(crate::helpers::Options {
            env: vec![("TOKEN_REQUESTS_PER_MINUTE", "3".into())],
            ..Default::default()
        })
        .await;
    for _ in 0..2 {
        assert_eq!(request_token(&limited, &w.development, &[]).await.0, 200);
    }
    let res = raw_token_request(&limited, Some(&w.development.basic()), FORM, "grant_type=client_credentials").await;
    assert_eq!(res.status(), 429, "the fourth token within a minute");
    assert_eq!(res.headers()["retry-after"], "60");
    assert_eq!(json_of(res).await.1["error"], "slow_down");
}

/// `GET /gateway/check` as nginx's `auth_request` calls it (tests/api/gateway.rs runs nginx).
async fn check(
    app: &TestApp,
    gateway: &Client,
    token: Option<&str>,
    environment: &str,
    uri: &str,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{}/gateway/check", app.address))
        .header("Gateway-Authorization", gateway.basic())
        .header("X-Environment", environment)
        .header("X-Original-URI", uri);
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_gateway_check_answers_by_api_and_environment() {
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    let ok = check(&w.app, &w.gateway, Some(&production), "production", "/three/v1/orders?x=1").await;
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["api"], "/three/v1");
    assert_eq!(ok.headers()["environment"], "production");
    assert!(ok.headers()["partner-id"].to_str().unwrap().starts_with("PRT-"));

    let cases = [
        (Some(production.as_str()), "Development", "/one/v1/x", 403, "another environment"),
        (Some(production.as_str()), "Production", "/two/v1/x", 403, "an API not granted"),
        (Some(production.as_str()), "Production", "/one/v1/../../two/v1", 403, "dot segments"),
        (Some(production.as_str()), "Production", "/one/v1-admin", 403, "not at a segment boundary"),
        (None, "Production", "/one/v1", 401, "no token"),
        (Some("ppat_garbage"), "Production", "/one/v1", 401, "an unknown token"),
    ];
    for (token, environment, uri, status, what) in cases {
        let res = check(&w.app, &w.gateway, token, environment, uri).await;
        assert_eq!(res.status(), status, "{what}");
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
        assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    }
    let wrong = Client { secret: "pps_nope".into(), ..w.gateway.clone() };
    let res = check(&w.app, &wrong, Some(&production), "Production", "/one/v1").await;
    assert_eq!(res.status(), 407, "a wrong gateway credential fails closed (nginx answers 500)");
}

/// The enterprise's access version (`access_versions`), which cached introspections are
/// checked against.
fn version(conn: &mut diesel::PgConnection, enterprise: partner_portal::domain::EnterpriseId) -> i64 {
    partner_portal::db::oauth::access_version(conn, enterprise).unwrap()
}

#[tokio::test]
async fn every_change_an_answer_depends_on_bumps_the_access_version_and_token_issuance_does_not() {
    use diesel::prelude::*;
    use partner_portal::db::schema;
    let w = world().await;
    let (enterprise, partner) = (w.app.enterprise_id(), w.app.partner_id());
    let mut conn = w.app.conn();
    let mut last = version(&mut conn, enterprise);

    let _ = token(&w.app, &w.production).await;
    assert_eq!(
        version(&mut conn, enterprise),
        last,
        "issuing a token (and recording the credential's use) changes no answer"
    );
    let _ = introspect(&w.app, &w.gateway, "ppat_unknown").await;
    assert_eq!(version(&mut conn, enterprise), last, "introspection writes nothing");

    let changes: Vec<(&str, String)> = vec![
        ("a grant withdrawn", format!("DELETE FROM partner_api_environments WHERE partner_id = {partner} AND api_id = {}", w.ids.apis[2])),
        ("a grant given", format!("INSERT INTO partner_api_environments (partner_id, api_id, environment_id) VALUES ({partner}, {}, {})", w.ids.apis[1], w.ids.environments[2])),
        ("the partner renamed", format!("UPDATE partners SET name = 'Globex Two' WHERE id = {partner}")),
        ("the partner's organisation renamed", format!("UPDATE partner_organisations SET name = 'Globex Org' WHERE id = (SELECT organisation_id FROM partners WHERE id = {partner})")),
        ("the application renamed", "UPDATE partner_applications SET name = 'Renamed'".to_string()),
        ("a secret's overlap set", "UPDATE client_secrets SET expires_at = now() + interval '1 hour'".to_string()),
        ("an environment renamed", format!("UPDATE environments SET name = 'Live' WHERE id = {}", w.ids.environments[2])),
        ("an API's base path changed", format!("UPDATE apis SET base_path = '/uno/v1' WHERE id = {}", w.ids.apis[0])),
        ("a gateway credential revoked", "UPDATE gateway_credentials SET revoked_at = now()".to_string()),
        ("credentials revoked", format!("UPDATE application_credentials SET revoked_at = now() WHERE client_id = '{}'", w.production.client_id)),
        ("an application deleted", "DELETE FROM partner_applications".to_string()),
    ];
    for (what, sql) in changes {
        diesel::sql_query(&sql).execute(&mut conn).unwrap_or_else(|e| panic!("{what}: {e}"));
        let now = version(&mut conn, enterprise);
        assert!(now > last, "{what} bumps the version ({last} -> {now})");
        last = now;
    }
    // Another enterprise's changes leave this one's answers alone.
    let umbrella = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    diesel::insert_into(schema::environments::table)
        .values((schema::environments::enterprise_id.eq(umbrella.id), schema::environments::name.eq("Prod")))
        .execute(&mut conn)
        .unwrap();
    diesel::update(schema::environments::table.filter(schema::environments::enterprise_id.eq(umbrella.id)))
        .set(schema::environments::name.eq("Production"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(version(&mut conn, enterprise), last);
    assert!(version(&mut conn, umbrella.id) > 0);
}

#[tokio::test]
async fn a_cached_answer_is_not_used_after_a_change_made_behind_the_portals_back() {
    use diesel::prelude::*;
    let w = world().await;
    let production = token(&w.app, &w.production).await;
    assert!(is_active(&w.app, &w.gateway, &production).await);
    assert!(is_active(&w.app, &w.gateway, &production).await, "now answered from the cache");
    // A script (not the portal) withdraws the grants: the triggers bump the version.
    let mut conn = w.app.conn();
    diesel::sql_query(format!(
        "DELETE FROM partner_api_environments WHERE partner_id = {} AND environment_id = {}",
        w.app.partner_id(),
        w.ids.environments[2]
    ))
    .execute(&mut conn)
    .unwrap();
    assert!(!is_active(&w.app, &w.gateway, &production).await);
}
