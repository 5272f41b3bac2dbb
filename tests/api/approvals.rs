//! **Requires approval** (SPEC §15): a new API grant in a protected environment waits for a
//! second Enterprise admin; the one who asked can't approve it; while it waits it is shown as
//! pending on both sides and gives no access; approving and deactivating at once never leave
//! a deactivated partner with access.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    grants::{api_cells, post, review_matrix, save_matrix},
    helpers::{location, seed_admin, Browser, TestApp},
    page::Page,
};

const CARL: &str = "carl@acme.example";

/// Acme with Production requiring approval (set through its form), Globex with its Admin
/// Ada, and Carl, a second Enterprise admin, logged in in a browser of his own.
async fn arranged() -> (TestApp, PartnerId, CatalogIds, Browser) {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let prod = catalog.environments[2];
    let edit = format!("/catalog/environments/{prod}/edit");
    let form = app.page(&edit).await;
    assert_eq!(form.text(r#"label[for="requires_approval"]"#).as_deref(), Some("Requires approval"));
    let r = form.form("Save changes").add("requires_approval", "on").submit(&app.browser).await;
    assert_eq!(location(&r), "/catalog/environments");
    assert_eq!(app.page(&edit).await.attr("#requires_approval", "checked").as_deref(), Some(""));
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::admin("ada@globex.com").named("Ada", "Lovelace").create(&app, partner);
    seed_admin(&app, app.enterprise_id(), CARL);
    let carl = app.browser_of(CARL).await;
    (app, partner, catalog, carl)
}

fn held(conn: &mut PgConnection, partner: PartnerId) -> Vec<(i64, i64, i64)> {
    use schema::pending_api_grants::dsl as h;
    h::pending_api_grants
        .filter(h::partner_id.eq(partner))
        .order(h::id)
        .select((h::id, h::api_id, h::environment_id))
        .load(conn)
        .unwrap()
}

fn actions(conn: &mut PgConnection, partner: PartnerId, like: &str) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::partner_id.eq(partner))
        .filter(a::action.like(like))
        .order(a::id)
        .select(a::action)
        .load(conn)
        .unwrap()
}

async fn post_from(browser: &Browser, action: &str) -> reqwest::Response {
    let token = browser.page("/settings/approvals").await.csrf_token();
    browser.post(action, &token, &[]).await
}

#[tokio::test]
async fn a_grant_in_a_protected_environment_waits_for_a_second_admin_and_gives_no_access_until_then() {
    let (app, partner, catalog, carl) = arranged().await;
    let mut conn = app.conn();
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, _, prod] = catalog.environments[..] else { panic!() };

    // The review says which grant will wait.
    let review = Page::read(review_matrix(&app, partner, &[a1, a2, a3], &[(a1, dev), (a1, prod)]).await).await;
    assert_eq!(
        review.texts(".change-list li"),
        ["+ API One — Development", "+ API One — Production (waits for approval)"]
    );
    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}/apis"));
    let tab = app.page(&format!("/settings/partners/{partner}/apis")).await;
    assert!(tab.flashes().contains(
        &"API access granted: API One in Development. Waiting for a second Enterprise admin's approval: API One in Production."
            .to_string()
    ));
    assert_eq!(api_cells(&mut conn, partner), [(a1, dev)], "the held grant gives no access");
    let [(id, _, _)] = held(&mut conn, partner)[..] else { panic!("one held grant") };
    assert!(tab.main_text().contains("Waiting for approval"));
    assert_eq!(tab.words("section:last-of-type tbody td.cell-main"), ["API One — Production"]);
    let matrix = app.page(&format!("/settings/partners/{partner}/apis/add")).await;
    assert!(matrix.attrs("input[checked]", "value").contains(&format!("{a1}:{prod}")), "shown as asked for");
    assert_eq!(matrix.texts(".matrix-note"), ["pending"]);

    // Ada sees it as pending; it is not usable.
    let ada = app.browser_of("ada@globex.com").await;
    let catalog_page = ada.page("/service-catalog").await;
    assert_eq!(catalog_page.texts(".chip-list li"), ["Development", "Production · waiting for approval"]);

    // Erin asked, so she can't approve: no button, and the server refuses.
    let approvals = app.page("/settings/approvals").await;
    assert_eq!(approvals.attr(r#"nav a[href="/settings/approvals"]"#, "aria-current").as_deref(), Some("page"));
    assert!(approvals.main_text().contains("Another Enterprise admin must approve your request."));
    assert!(!approvals.attrs("form", "action").contains(&format!("/settings/approvals/{id}/approve")));
    let r = post(&app, &format!("/settings/approvals/{id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("another Enterprise admin must approve it"));
    assert_eq!(held(&mut conn, partner).len(), 1);
    assert_eq!(api_cells(&mut conn, partner), [(a1, dev)]);

    // Carl approves: the grant takes effect, Ada's Admins are told, it is audited.
    let page = carl.page("/settings/approvals").await;
    assert_eq!(page.texts("main button"), ["Approve", "Decline"], "the SPEC's exact words");
    let r = page.form(&format!("/settings/approvals/{id}/approve")).submit(&carl).await;
    assert_eq!(location(&r), "/settings/approvals");
    let mut expected = vec![(a1, dev), (a1, prod)];
    expected.sort();
    assert_eq!(api_cells(&mut conn, partner), expected);
    assert!(held(&mut conn, partner).is_empty());
    assert_eq!(actions(&mut conn, partner, "partner.grant_%"), ["partner.grant_approved"]);
    assert_eq!(ada.page("/service-catalog").await.texts(".chip-list li"), ["Development", "Production"]);
    let mails = app.emails().await;
    let told: Vec<String> =
        mails.iter().filter(|m| m.to() == "ada@globex.com").map(|m| m.text().unwrap().replace("\r\n", "\n")).collect();
    assert_eq!(told.len(), 2, "the change, then the approval");
    assert!(told[1].contains("\n+ API One — Production\n"), "{}", told[1]);
}

#[tokio::test]
async fn a_held_grant_is_withdrawn_by_unchecking_it_or_declined_by_anyone() {
    let (app, partner, catalog, carl) = arranged().await;
    let mut conn = app.conn();
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [_, _, prod] = catalog.environments[..] else { panic!() };

    save_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod)]).await;
    assert_eq!(held(&mut conn, partner).len(), 1);
    // Unchecking it in the matrix withdraws it, through the review.
    let review = Page::read(review_matrix(&app, partner, &[a1, a2, a3], &[]).await).await;
    assert_eq!(review.texts(".change-list li"), ["− API One — Production (was waiting for approval)"]);
    review.form("Confirm changes").submit(&app.browser).await;
    assert!(held(&mut conn, partner).is_empty());

    // Held again, then declined by Carl (declining needs no second person).
    save_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod)]).await;
    let [(id, _, _)] = held(&mut conn, partner)[..] else { panic!("one held grant") };
    let r = post_from(&carl, &format!("/settings/approvals/{id}/decline")).await;
    assert_eq!(location(&r), "/settings/approvals");
    assert!(held(&mut conn, partner).is_empty());
    assert!(api_cells(&mut conn, partner).is_empty());
    assert_eq!(actions(&mut conn, partner, "partner.grant_%"), ["partner.grant_declined"]);
    // Answered already: not found.
    assert_eq!(post_from(&carl, &format!("/settings/approvals/{id}/approve")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn approving_and_deactivating_at_once_never_leave_a_deactivated_partner_with_access() {
    let (app, _, catalog, carl) = arranged().await;
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let prod = catalog.environments[2];
    let erin_token = app.page("/settings/partners").await.csrf_token();
    let carl_token = carl.page("/settings/approvals").await.csrf_token();
    let mut outcomes = (0, 0);
    for round in 0..6 {
        let name = format!("Race {round}");
        let partner = PartnerFixture::new(&name).domains([format!("race{round}.example")]).active().create(&app).id;
        save_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod)]).await;
        let [(id, _, _)] = held(&mut app.conn(), partner)[..] else { panic!("one held grant") };

        let (approve_url, deactivate_url) =
            (format!("/settings/approvals/{id}/approve"), format!("/settings/partners/{partner}/deactivate"));
        let confirm = [("confirm_name", name.as_str())];
        let approve = carl.post(&approve_url, &carl_token, &[]);
        let deactivate = app.browser.post(&deactivate_url, &erin_token, &confirm);
        let (approved, deactivated) = tokio::join!(approve, deactivate);
        let (approved, deactivated) = (approved.status(), deactivated.status());

        let mut conn = app.conn();
        let status: String =
            schema::partners::table.find(partner).select(schema::partners::status).first(&mut conn).unwrap();
        let cells = api_cells(&mut conn, partner);
        println!("round {round}: approve {approved}, deactivate {deactivated}, status {status}, cells {cells:?}");
        assert!(status != "deactivated" || cells.is_empty(), "a deactivated partner kept access");
        assert!(held(&mut conn, partner).is_empty(), "nothing stays held");
        if status == "deactivated" {
            outcomes.1 += 1;
            assert_ne!(approved, StatusCode::SEE_OTHER, "the approval was refused");
        } else {
            outcomes.0 += 1;
            assert_eq!(cells, [(a1, prod)]);
            assert_eq!(deactivated, StatusCode::CONFLICT, "deactivation refused while API access remains");
        }
    }
    println!("approved first {} times, deactivated first {} times", outcomes.0, outcomes.1);
}
