//! **Review changes** (SPEC §15): Add Products, Add APIs and **Revoke all API access** show
//! the list of what will change before anything is written; **Confirm changes** applies
//! exactly that list, stores it in one audit event and emails it to the partner's Admins.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_api, seed_catalog, PartnerFixture, UserFixture},
    grants::{api_cells, post, product_grants, review_matrix},
    helpers::{location, TestApp, ENTERPRISE},
    page::Page,
};

/// The details of the partner's `partner.access_changed` events, oldest first.
fn access_changes(conn: &mut PgConnection, partner: PartnerId) -> Vec<serde_json::Value> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::partner_id.eq(partner))
        .filter(a::action.eq("partner.access_changed"))
        .order(a::id)
        .select(a::details)
        .load(conn)
        .unwrap()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_mixed_change_is_reviewed_then_confirmed_audited_and_emailed_to_the_partners_admins() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, app.enterprise_id());
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, stg, prod] = catalog.environments[..] else { panic!() };
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::admin("ada@globex.com").named("Ada", "Lovelace").create(&app, partner);
    UserFixture::member("mo@globex.com").named("Mo", "Member").create(&app, partner);
    grant_api(&mut conn, partner, a1, dev);

    // Check API One in Production and API Two in Staging, uncheck API One in Development.
    let r = review_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod), (a2, stg)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let review = Page::read(r).await;
    let lines = ["+ API One — Production", "+ API Two — Staging", "− API One — Development"];
    assert_eq!(review.texts(".change-list li"), lines);
    assert_eq!(review.texts(".change-list li.change-added").len(), 2);
    assert!(review.main_text().contains("2 to give and 1 to take away"), "{}", review.main_text());
    assert!(review.main_text().contains("The same list will be emailed to Globex's Admin: Ada Lovelace."));
    assert_eq!(review.attr("main a.button-quiet", "href"), Some(format!("/settings/partners/{partner}/apis")));
    assert_eq!(api_cells(&mut conn, partner), [(a1, dev)], "nothing is saved before Confirm changes");
    assert!(app.emails().await.is_empty());

    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}/apis"));
    let mut expected = vec![(a1, prod), (a2, stg)];
    expected.sort();
    assert_eq!(api_cells(&mut conn, partner), expected);
    let tab = app.page(&format!("/settings/partners/{partner}/apis")).await;
    assert!(
        tab.flashes().iter().any(|f| f
            == "API access granted: API One in Production and API Two in Staging. Revoked: API One in Development."),
        "{:?}",
        tab.flashes()
    );

    // One audit event holds the list that was confirmed.
    let events = access_changes(&mut conn, partner);
    assert_eq!(events.len(), 1);
    assert_eq!(strings(&events[0]["changes"]), lines);
    println!("audit event details: {}", serde_json::to_string_pretty(&events[0]).unwrap());
    let items = events[0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2]["change"], "removed");
    assert_eq!(items[2]["environment"], "Development");
    let activity = app.page(&format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.main_text().contains("Changed access"));
    assert!(activity.main_text().contains(&lines.join(", ")), "{}", activity.main_text());

    // The partner's Admin is emailed the same list; its Member is not.
    let mails = app.emails().await;
    assert_eq!(mails.len(), 1, "one email, to the Admin");
    let mail = &mails[0];
    assert_eq!(mail.to(), "ada@globex.com");
    assert_eq!(mail.subject(), format!("What changed in your access to {ENTERPRISE}"));
    let text = mail.text().unwrap().replace("\r\n", "\n");
    println!("Subject: {}\n\n{text}", mail.subject());
    assert!(text.contains(&format!("\n\n{}\n", lines.join("\n"))), "{text}");
    assert!(text.contains(&app.url("/service-catalog")), "{text}");
    assert!(mail.html().unwrap().contains("<li>− API One — Development</li>"));
}

#[tokio::test]
async fn products_are_reviewed_and_a_list_that_changed_since_the_review_is_shown_again_unsaved() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, app.enterprise_id());
    let [p1, p2, _] = catalog.products[..] else { panic!() };
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, stg, _] = catalog.environments[..] else { panic!() };
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;

    // Products: the review, then Cancel changes nothing.
    let add = format!("/settings/partners/{partner}/products/add");
    let (one, two) = (p1.to_string(), p2.to_string());
    let review = Page::read(post(&app, &add, &[("product", &two), ("product", &one)]).await).await;
    assert_eq!(review.texts(".change-list li"), ["+ Product One", "+ Product Two"]);
    assert!(review.main_text().contains("Globex has no Admin yet, so nobody will be emailed."));
    assert_eq!(review.attr("main a.button-quiet", "href"), Some(format!("/settings/partners/{partner}/products")));
    assert!(product_grants(&mut conn, partner).is_empty());

    // API One in Development is reviewed; meanwhile another admin grants API Two in Staging.
    let r = review_matrix(&app, partner, &[a1, a2, a3], &[(a1, dev)]).await;
    let review = Page::read(r).await;
    assert_eq!(review.texts(".change-list li"), ["+ API One — Development"]);
    grant_api(&mut conn, partner, a2, stg);
    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let again = Page::read(r).await;
    assert!(again.text("#review-notice").unwrap().contains("changed after you reviewed it, so nothing was saved"));
    assert_eq!(again.texts(".change-list li"), ["+ API One — Development", "− API Two — Staging"]);
    let mut expected = vec![(a2, stg)];
    assert_eq!(api_cells(&mut conn, partner), expected, "nothing was saved");
    assert!(access_changes(&mut conn, partner).is_empty());

    // Confirming the new list applies it.
    let r = again.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    expected = vec![(a1, dev)];
    assert_eq!(api_cells(&mut conn, partner), expected);

    // A confirmation whose lines were tampered with is treated as a changed list.
    let confirm = format!("/settings/partners/{partner}/products/add/confirm");
    let r = post(&app, &confirm, &[("product", &one), ("line", "+ Something else")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(product_grants(&mut conn, partner).is_empty());
    // One without lines is not a form of ours.
    let r = post(&app, &format!("/settings/partners/{partner}/apis/add/confirm"), &[("api", &a1.to_string())]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(access_changes(&mut conn, partner).len(), 1);
}

#[tokio::test]
async fn revoke_all_api_access_goes_through_the_review_and_then_the_partner_can_be_deactivated() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, app.enterprise_id());
    let [a1, a2, _] = catalog.apis[..] else { panic!() };
    let [dev, stg, prod] = catalog.environments[..] else { panic!() };
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::admin("ada@globex.com").named("Ada", "Lovelace").create(&app, partner);
    UserFixture::member("mo@globex.com").create(&app, partner);
    grant_api(&mut conn, partner, a1, dev);
    grant_api(&mut conn, partner, a1, prod);
    grant_api(&mut conn, partner, a2, stg);
    // Ada is logged in: her session is one the deactivation would end.
    let _ada = app.browser_of("ada@globex.com").await;

    let delete = format!("/settings/partners/{partner}/delete");
    let tab = app.page(&delete).await;
    let effects = tab.text("#deactivate-effects").unwrap();
    assert!(effects.contains("stops its 2 users from logging in to it and ends the 1 session open now"), "{effects}");
    assert!(effects.contains("revokes no invitation"), "{effects}");
    assert_eq!(tab.text("button[disabled]").unwrap(), "Deactivate partner");

    let r = tab.form("Revoke all API access").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::OK);
    let review = Page::read(r).await;
    assert_eq!(review.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Delete partner");
    assert!(review.main_text().contains("Revoke all API access: nothing is saved until you confirm. 3 to take away."));
    assert_eq!(
        review.texts(".change-list li"),
        ["− API One — Development", "− API One — Production", "− API Two — Staging"]
    );
    assert_eq!(review.attr("main a.button-quiet", "href"), Some(delete.clone()));
    assert!(review.exists("button.button-danger"), "taking access away is the danger button");
    assert_eq!(api_cells(&mut conn, partner).len(), 3);

    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(api_cells(&mut conn, partner).is_empty());
    let events = access_changes(&mut conn, partner);
    assert_eq!(strings(&events[0]["changes"]).len(), 3);
    let mails = app.emails().await;
    assert_eq!(mails.iter().map(|m| m.to()).collect::<Vec<_>>(), ["ada@globex.com"]);

    // Now the Delete partner tab offers deactivation, with the same effects stated.
    let tab = app.page(&delete).await;
    assert!(!tab.exists("button[disabled]"));
    assert!(tab.exists("#confirm_name"));
    assert!(tab.text("#deactivate-effects").unwrap().contains("ends the 1 session open now"));

    // With no API access left, the button's review has nothing to list.
    let r = post(&app, &format!("/settings/partners/{partner}/apis/revoke-all-access"), &[]).await;
    assert_eq!(location(&r), delete);
}
