//! Delete partner → **Deactivate partner**: refused while API access remains or when the name
//! typed doesn't match; otherwise the partner's people are logged out for good, its
//! invitations withdrawn, its place and domains freed, and it becomes read-only. Races with
//! grants never leave a deactivated partner with API access.

use diesel::prelude::*;
use partner_portal::domain::{EnterpriseId, InvitationId, PartnerId};
use partner_portal::{
    db::{outbox, schema},
    email::{EmailMeta, OutgoingEmail},
};
use reqwest::StatusCode;

use crate::{
    fixtures::{domains_of, grant_api, grant_product, seed_catalog, InvitationFixture, PartnerFixture, UserFixture},
    grants::{api_cells, events, post, product_grants, token},
    helpers::{location, Browser, TestApp, PASSWORD},
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    (app, enterprise_id)
}

async fn page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{}", page.html);
    page
}

fn status_of(conn: &mut PgConnection, partner: PartnerId) -> String {
    use schema::partners::dsl as p;
    p::partners.find(partner).select(p::status).first(conn).unwrap()
}

async fn deactivate(app: &TestApp, partner: PartnerId, typed: &str) -> reqwest::Response {
    post(app, &format!("/settings/partners/{partner}/deactivate"), &[("confirm_name", typed)]).await
}

/// Logs a partner user in with a browser of their own.
async fn log_in_elsewhere(app: &TestApp, email: &str) -> Browser {
    app.browser_of(email).await
}

#[tokio::test]
async fn deactivation_is_refused_while_any_api_access_remains() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    grant_api(&mut conn, partner, catalog.apis[0], catalog.environments[0]);
    grant_api(&mut conn, partner, catalog.apis[0], catalog.environments[2]);

    let html = page(&app, &format!("/settings/partners/{partner}/delete")).await;
    assert_eq!(html.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Delete partner");
    assert!(html.html.contains("API access must be revoked first"));
    assert!(html.html.contains("API One in Development, Production"), "the grants are listed");
    assert_eq!(
        html.form("Revoke all API access").action,
        format!("/settings/partners/{partner}/apis/revoke-all-access")
    );
    assert!(html.exists("#deactivate-effects"), "the effects are stated before anything is revoked");
    assert_eq!(html.text("button[disabled]").unwrap(), "Deactivate partner");
    assert!(!html.exists("#confirm_name"), "nothing to confirm yet");

    // The server refuses whatever the page showed.
    let r = deactivate(&app, partner, "Globex").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = Page::read(r).await;
    assert!(html.html.contains("still has access to APIs") && html.html.contains("Revoke all API access"));

    assert_eq!(status_of(&mut conn, partner), "active");
    assert_eq!(api_cells(&mut conn, partner).len(), 2);
    assert!(events(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn a_wrong_confirmation_name_is_refused_and_changes_nothing() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::member("pat@globex.com").create(&app, partner);

    let html = page(&app, &format!("/settings/partners/{partner}/delete")).await;
    assert!(html.html.contains("This can&#39;t be undone") || html.html.contains("This can't be undone"));
    assert_eq!(html.text(r#"label[for="confirm_name"]"#).unwrap(), "Partner name");
    assert!(
        html.html.contains("Type the partner&#39;s name to confirm")
            || html.html.contains("Type the partner's name to confirm")
    );
    assert_eq!(html.text("form button.button-danger").unwrap(), "Deactivate partner");
    assert!(!html.exists("button[disabled]"));

    for typed in ["globex", "Globex Inc", ""] {
        let r = deactivate(&app, partner, typed).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let html = Page::read(r).await;
        assert!(html.exists(r#".field-invalid input#confirm_name[aria-invalid="true"]"#));
        assert!(html.text("#confirm_name-error").is_some());
        let kept = html.attr("#confirm_name", "value");
        assert_eq!(kept.as_deref(), Some(typed), "the input is kept");
    }

    assert_eq!(status_of(&mut conn, partner), "active");
    assert!(events(&mut conn, partner).is_empty());
    let disabled: i64 = schema::memberships::table
        .filter(schema::memberships::partner_id.eq(partner))
        .filter(schema::memberships::ended_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(disabled, 0);
}

#[tokio::test]
async fn deactivating_logs_the_partners_people_out_withdraws_its_invitations_and_frees_its_place() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let other = PartnerFixture::new("Initech").domains(["initech.com"]).active().create(&app).id;
    grant_product(&mut conn, partner, catalog.products[0]);
    UserFixture::admin("pat@globex.com").create(&app, partner);
    let token_link =
        InvitationFixture::new(partner, "ivy@globex.com").role("member").named("Ivy", "Invitee").create(&app).token;
    let invitation_id: InvitationId = schema::invitations::table
        .filter(schema::invitations::email.eq("ivy@globex.com"))
        .select(schema::invitations::id)
        .first(&mut conn)
        .unwrap();
    let email =
        OutgoingEmail { to: "ivy@globex.com".into(), subject: "Join".into(), text: "t".into(), html: "h".into() };
    // Queued and waiting for a retry, so the worker doesn't send it while the test runs.
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let meta = EmailMeta {
            kind: partner_portal::domain::EmailKind::Invitation,
            enterprise_id: Some(enterprise_id),
            invitation_id: Some(invitation_id),
        };
        let id = outbox::enqueue(c, &email, &meta)?;
        diesel::sql_query(format!(
            "UPDATE outbox_emails SET next_attempt_at = now() + interval '1 hour' WHERE id = {id}"
        ))
        .execute(c)?;
        Ok(())
    })
    .unwrap();

    let pat = log_in_elsewhere(&app, "pat@globex.com").await;
    assert_eq!(pat.get("/service-catalog").await.status(), StatusCode::OK);
    let list = page(&app, "/settings/partners").await;
    assert_eq!(list.text("#partner-usage").unwrap(), "2 of 10 partners registered");

    let html = page(&app, &format!("/settings/partners/{partner}/delete")).await;
    assert!(
        html.html.contains("stops its user from logging in") && html.html.contains("revokes its pending invitation")
    );

    // Surrounding spaces are forgiven; the name itself must match exactly.
    let r = deactivate(&app, partner, "  Globex ").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));

    let general = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(
        general.contains("Globex was deactivated: 1 user can no longer log in and 1 pending invitation was revoked.")
    );
    assert!(general.contains(r#"<span class="badge badge-deactivated">Deactivated</span>"#));
    assert!(general.contains("This partner is deactivated and can no longer be changed."));
    let tab = page(&app, &format!("/settings/partners/{partner}/delete")).await;
    assert!(tab.html.contains("Globex was deactivated on") && !tab.exists("#confirm_name"));

    // Pat is logged out at the next click and can't log in again.
    let r = pat.get("/service-catalog").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    let r = app.another_browser().login("pat@globex.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Ivy's invitation link is withdrawn, and its unsent email will never go out.
    let r = app.another_browser().get(&format!("/invitations/{token_link}")).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("withdrawn"));
    let (inv_status, revoked_at): (String, Option<chrono::DateTime<chrono::Utc>>) = schema::invitations::table
        .find(invitation_id)
        .select((schema::invitations::status, schema::invitations::revoked_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!(inv_status, "revoked");
    assert!(revoked_at.is_some());
    let email_status: String = schema::outbox_emails::table
        .filter(schema::outbox_emails::invitation_id.eq(invitation_id))
        .select(schema::outbox_emails::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(email_status, "cancelled");

    // The database agrees: users disabled, sessions gone, domains released, history kept.
    let enabled: i64 = schema::memberships::table
        .filter(schema::memberships::partner_id.eq(partner))
        .filter(schema::memberships::ended_at.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(enabled, 0);
    let sessions: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "SELECT count(*) FROM sessions s JOIN memberships m ON m.id = s.membership_id
          WHERE m.partner_id = {partner} AND m.ended_at IS NULL"
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(sessions, 0);
    let deactivated_at: Option<chrono::DateTime<chrono::Utc>> =
        schema::partners::table.find(partner).select(schema::partners::deactivated_at).first(&mut conn).unwrap();
    assert!(deactivated_at.is_some());
    assert_eq!(product_grants(&mut conn, partner), [catalog.products[0]], "product grants are kept on record");
    let (action, target) = events(&mut conn, partner).pop().unwrap();
    assert_eq!((action.as_str(), target.as_str()), ("partner.deactivated", "Partner Globex"));
    let details: serde_json::Value = schema::audit_events::table
        .filter(schema::audit_events::action.eq("partner.deactivated"))
        .select(schema::audit_events::details)
        .first(&mut conn)
        .unwrap();
    assert_eq!(details["users_disabled"], 1);
    assert_eq!(details["invitations_revoked"], 1);

    // It no longer counts toward the limit, and its domain can go to another partner.
    let list = page(&app, "/settings/partners").await;
    assert_eq!(list.text("#partner-usage").unwrap(), "1 of 10 partners registered");
    let r = post(&app, &format!("/settings/partners/{other}/domains"), &[("domain", "globex.com")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(domains_of(&mut conn, other), ["globex.com", "initech.com"]);

    // Nothing about it can change any more.
    let base = format!("/settings/partners/{partner}");
    let (p, a, e) = (catalog.products[1].to_string(), catalog.apis[0], catalog.environments[0]);
    let cell = format!("{a}:{e}");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("{base}/deactivate"), vec![("confirm_name", "Globex")]),
        (format!("{base}/products/add"), vec![("product", p.as_str())]),
        (format!("{base}/products/{}/revoke", catalog.products[0]), vec![]),
        (format!("{base}/apis/add"), vec![("grant", cell.as_str())]),
        (format!("{base}/domains"), vec![("domain", "globex.io")]),
        (
            format!("{base}/administrator"),
            vec![("first_name", "Ana"), ("surname", "Lima"), ("email", "ana@globex.com")],
        ),
    ];
    for (action, fields) in posts {
        assert_eq!(post(&app, &action, &fields).await.status(), StatusCode::CONFLICT, "{action}");
    }
    let edit = reqwest::multipart::Form::new()
        .text("csrf_token", token(&app).await)
        .text("name", "Globex Again")
        .part("logo", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    let r = app.client.post(app.url(&format!("{base}/edit"))).multipart(edit).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(events(&mut conn, partner).len(), 1, "only the deactivation was recorded");
    assert_eq!(status_of(&mut conn, partner), "deactivated");
}

#[tokio::test]
async fn concurrent_grant_api_and_deactivate_requests_never_leave_a_deactivated_partner_with_api_access() {
    let (app, enterprise_id) = logged_in().await;
    let catalog = seed_catalog(&mut app.conn(), enterprise_id);
    let (api, env) = (catalog.apis[0], catalog.environments[0]);
    let t = token(&app).await;
    let cell = format!("{api}:{env}");
    let api_value = api.to_string();
    let mut orders = (0, 0);

    for round in 0..6 {
        let name = format!("Race {round}");
        let partner = PartnerFixture::new(&name).domains([&format!("race{round}.example")]).active().create(&app).id;
        let grant_url = app.url(&format!("/settings/partners/{partner}/apis/add/confirm"));
        let deactivate_url = app.url(&format!("/settings/partners/{partner}/deactivate"));
        // Interleave the two kinds, starting with a different one each round.
        let requests = (0..20).map(|i| {
            let is_grant = (i + round) % 2 == 0;
            let req = if is_grant {
                // The confirmation of the review "+ API One — Development".
                let form = [
                    ("csrf_token", t.as_str()),
                    ("api", api_value.as_str()),
                    ("grant", cell.as_str()),
                    ("line", "+ API One — Development"),
                ];
                app.client.post(&grant_url).form(&form)
            } else {
                app.client.post(&deactivate_url).form(&[("csrf_token", t.as_str()), ("confirm_name", name.as_str())])
            };
            async move { (is_grant, req.send().await.unwrap().status()) }
        });
        let results = futures_util::future::join_all(requests).await;

        let count =
            |grant: bool, status: StatusCode| results.iter().filter(|(g, s)| *g == grant && *s == status).count();
        let (granted, grant_refused) = (count(true, StatusCode::SEE_OTHER), count(true, StatusCode::CONFLICT));
        let (deactivated, deactivate_refused) =
            (count(false, StatusCode::SEE_OTHER), count(false, StatusCode::CONFLICT));
        let mut conn = app.conn();
        let is_deactivated = status_of(&mut conn, partner) == "deactivated";
        let cells = api_cells(&mut conn, partner);
        println!(
            "round {round}: grant API {granted} ok / {grant_refused} refused (409); deactivate {deactivated} ok / \
             {deactivate_refused} refused (409) → partner {}, {} API grant(s)",
            if is_deactivated { "deactivated" } else { "active" },
            cells.len()
        );
        assert_eq!(granted + grant_refused, 10, "every grant request answered 303 or 409: {results:?}");
        assert_eq!(deactivated + deactivate_refused, 10, "every deactivation answered 303 or 409: {results:?}");
        assert!(deactivated <= 1, "a partner is deactivated once");
        if is_deactivated {
            assert!(cells.is_empty(), "a deactivated partner kept API access");
            assert_eq!(deactivated, 1);
            orders.0 += 1;
        } else {
            assert_eq!(cells, [(api, env)], "the grant won, so nobody deactivated it");
            assert_eq!((deactivated, granted), (0, 10));
            orders.1 += 1;
        }
    }
    println!("6 rounds: deactivation first {} times, a grant first {} times", orders.0, orders.1);
}

#[tokio::test]
async fn an_acceptance_racing_a_deactivation_never_leaves_an_enabled_user_behind() {
    let (app, _) = logged_in().await;
    let t = token(&app).await;
    for round in 0..4 {
        let mut conn = app.conn();
        let name = format!("Racer {round}");
        let domain = format!("racer{round}.example");
        let partner = PartnerFixture::new(&name).domains([domain.as_str()]).active().create(&app).id;
        let email = format!("ivy@{domain}");
        let invite = InvitationFixture::new(partner, &email).role("member").named("Ivy", "Invitee").create(&app).token;
        let invitee = app.another_browser();
        invitee.get(&format!("/invitations/{invite}")).await;
        let invitee_token = invitee.page("/invitations/accept").await.csrf_token();
        let password = "sturdy ladder copper 88";

        let accept_form = [("password", password), ("password_confirmation", password)];
        let accept = invitee.post("/invitations/accept", &invitee_token, &accept_form);
        let deactivate_path = format!("/settings/partners/{partner}/deactivate");
        let deactivate_form = [("confirm_name", name.as_str())];
        let deactivate = app.browser.post(&deactivate_path, &t, &deactivate_form);
        let (accepted, deactivated) = tokio::join!(accept, deactivate);
        let (accepted, deactivated) = (accepted.status(), deactivated.status());

        println!("round {round}: accept {accepted}, deactivate {deactivated}");
        assert_eq!(deactivated, StatusCode::SEE_OTHER, "the deactivation always completes");
        assert!(accepted == StatusCode::SEE_OTHER || accepted == StatusCode::GONE, "accept answered {accepted}");
        assert_eq!(status_of(&mut conn, partner), "deactivated");
        let enabled: i64 = schema::memberships::table
            .filter(schema::memberships::partner_id.eq(partner))
            .filter(schema::memberships::ended_at.is_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(enabled, 0, "whoever came first, nobody of the partner can log in afterwards");
    }
}
