//! The partners list reads each partner's domains, grant counts and logo flag from
//! `partner_summaries`, kept current by triggers: these tests change the children through the
//! portal's own forms (and concurrently, straight in the database) and read the list.

use partner_portal::domain::{EnterpriseId, PartnerId};
use std::{sync::mpsc, thread, time::Duration};

use diesel::{prelude::*, sql_types::BigInt};
use partner_portal::domain::sample_png;
use reqwest::{multipart, StatusCode};

use crate::{
    fixtures::{domain_id, grant_product, seed_catalog, InvitationFixture, PartnerFixture},
    grants::{post, save_matrix},
    helpers::{location, TestApp},
    page::Page,
};

/// The list's row for the partner.
async fn row(app: &TestApp, partner: PartnerId) -> Page {
    let list = app.page("/settings/partners").await;
    assert_eq!(list.status, StatusCode::OK);
    let row = list.row_with(&format!(r#"a[href="/settings/partners/{partner}"]"#));
    row.unwrap_or_else(|| panic!("partner {partner} is not listed:\n{list}"))
}

/// The list's row for the partner: (domains, counts cell, has a logo image), text squeezed.
async fn listed(app: &TestApp, partner: PartnerId) -> (Vec<String>, String, bool) {
    let row = row(app, partner).await;
    let counts = row.words("td.nowrap").into_iter().next().unwrap();
    let logo = row.exists(&format!(r#"img[src^="/settings/partners/{partner}/logo?v="]"#));
    (row.texts("td.cell-domains span.domain"), counts, logo)
}

async fn upload_logo(app: &TestApp, partner: PartnerId) {
    let token = crate::grants::token(app).await;
    let form = multipart::Form::new()
        .text("csrf_token", token)
        .text("name", "Globex")
        .part("logo", multipart::Part::bytes(sample_png(32, 32)).file_name("logo.png"));
    let r =
        app.client.post(app.url(&format!("/settings/partners/{partner}/edit"))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Acme's admin, logged in, and Acme's partner Globex (globex.com) in the given status.
async fn admin_and_globex(status: &str) -> (TestApp, EnterpriseId, PartnerId) {
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).status(status);
    let app = TestApp::spawn().logged_in_as_enterprise_admin().with_partner(globex).await;
    let (enterprise_id, partner) = (app.enterprise_id(), app.partner_id());
    (app, enterprise_id, partner)
}

#[tokio::test]
async fn the_lists_domains_counts_and_logo_follow_every_change_made_in_the_portal() {
    let (app, enterprise_id, partner) = admin_and_globex("active").await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let [p1, p2, _] = catalog.products[..] else { panic!() };
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, stg, prod] = catalog.environments[..] else { panic!() };

    assert_eq!(listed(&app, partner).await, (vec!["globex.com".to_string()], "0 products 0 APIs".to_string(), false));

    let (one, two) = (p1.to_string(), p2.to_string());
    let add = format!("/settings/partners/{partner}/products/add");
    let r = crate::grants::post_confirmed(&app, &add, &[("product", &one), ("product", &two)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Three cells of two APIs: two APIs, however many environments.
    let r = save_matrix(&app, partner, &[a1, a2, a3], &[(a1, dev), (a1, prod), (a2, stg)]).await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}/apis"));
    let r = post(&app, &format!("/settings/partners/{partner}/domains"), &[("domain", "globex.io")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    upload_logo(&app, partner).await;
    assert_eq!(
        listed(&app, partner).await,
        (vec!["globex.com".to_string(), "globex.io".to_string()], "2 products 2 APIs".to_string(), true)
    );

    let r = post(&app, &format!("/settings/partners/{partner}/products/{p1}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(&app, &format!("/settings/partners/{partner}/apis/{a1}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let com = domain_id(&mut conn, partner, "globex.com");
    let r = post(&app, &format!("/settings/partners/{partner}/domains/{com}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(listed(&app, partner).await, (vec!["globex.io".to_string()], "1 product 1 API".to_string(), true));
}

/// Two transactions granting different products to the same partner at the same time: the
/// second one's recount must wait for the first and include its grant.
#[tokio::test]
async fn concurrent_grants_to_one_partner_are_all_counted() {
    let (app, enterprise_id, partner) = admin_and_globex("active").await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let [p1, p2, p3] = catalog.products[..] else { panic!() };
    grant_product(&mut conn, partner, p3);

    let (inserted, go) = mpsc::channel::<()>();
    let mut first = app.conn();
    let t1 = thread::spawn(move || {
        first
            .transaction(|c| {
                grant_product(c, partner, p1);
                inserted.send(()).unwrap();
                // Long enough for the second transaction to reach the summary row and wait.
                thread::sleep(Duration::from_millis(300));
                Ok::<_, diesel::result::Error>(())
            })
            .unwrap();
    });
    go.recv().unwrap();
    let mut second = app.conn();
    second
        .transaction(|c| {
            grant_product(c, partner, p2);
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    t1.join().unwrap();

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let stored: Count =
        diesel::sql_query("SELECT product_count::bigint AS n FROM partner_summaries WHERE partner_id = $1")
            .bind::<BigInt, _>(partner)
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(stored.n, 3);
    assert_eq!(listed(&app, partner).await.1, "3 products 0 APIs");
}

/// The list's administrator cell for the partner (after the checkbox, name and domains), text squeezed.
async fn administrator_cell(app: &TestApp, partner: PartnerId) -> String {
    row(app, partner).await.words("td:nth-child(4)").into_iter().next().unwrap()
}

#[tokio::test]
async fn the_lists_administrator_follows_invitations_acceptance_and_renames() {
    let (app, _, partner) = admin_and_globex("invited").await;
    let mut conn = app.conn();
    assert_eq!(administrator_cell(&app, partner).await, "None");

    let page = format!("/settings/partners/{partner}");
    let r = app
        .submit(
            &page,
            &format!("{page}/administrator"),
            &[("first_name", "Nina"), ("surname", "New"), ("email", "nina@globex.com")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(administrator_cell(&app, partner).await, "Nina New nina@globex.com Invitation pending");

    use partner_portal::db::schema::invitations::dsl as i;
    let invitation: i64 = i::invitations.filter(i::partner_id.eq(partner)).select(i::id).first(&mut conn).unwrap();
    let r = app.submit(&page, &format!("{page}/invitations/{invitation}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(administrator_cell(&app, partner).await, "None", "a revoked invitation leaves no administrator");

    let token = InvitationFixture::new(partner, "ivy@globex.com")
        .named("Ivy", "Invitee")
        .for_account_admin(true)
        .create(&app)
        .token;
    assert_eq!(administrator_cell(&app, partner).await, "Ivy Invitee ivy@globex.com Invitation pending");
    let browser = app.another_browser();
    assert_eq!(location(&crate::invitations::accept_with(&browser, &token).await), "/service-catalog");
    assert_eq!(administrator_cell(&app, partner).await, "Ivy Invitee ivy@globex.com", "accepted: no longer pending");

    // No screen renames people yet; a script or a later feature may, and the list follows.
    diesel::sql_query(
        "UPDATE users SET first_name = 'Ivy-Rose', email = 'ivy.rose@globex.com' WHERE email = 'ivy@globex.com'",
    )
    .execute(&mut conn)
    .unwrap();
    assert_eq!(administrator_cell(&app, partner).await, "Ivy-Rose Invitee ivy.rose@globex.com");
}

/// The list's logo address and Partner ID come from the summary row too: a replaced logo gets
/// a new version (the same as the partner page's, so the browser fetches it again), a removed
/// one falls back to the initials, and a Partner ID changed by hand shows at once.
#[tokio::test]
async fn the_lists_logo_version_and_partner_id_follow_replacements_and_removals() {
    let (app, _, partner) = admin_and_globex("active").await;
    let logo_src = |row: &Page| row.attr(&format!(r#"img[src^="/settings/partners/{partner}/logo?v="]"#), "src");
    let general = format!("/settings/partners/{partner}");

    upload_logo(&app, partner).await;
    let first = logo_src(&row(&app, partner).await).expect("the logo is listed");
    assert!(app.page(&general).await.contains(&first), "the list and the partner page share the logo's address");

    upload_logo(&app, partner).await;
    let second = logo_src(&row(&app, partner).await).expect("the replaced logo is listed");
    assert_ne!(first, second, "a replaced logo gets a new address, or browsers keep showing the old one");
    assert!(app.page(&general).await.contains(&second));

    let mut conn = app.conn();
    diesel::sql_query("DELETE FROM partner_logos WHERE partner_id = $1")
        .bind::<BigInt, _>(partner)
        .execute(&mut conn)
        .unwrap();
    let listed_row = row(&app, partner).await;
    assert_eq!(logo_src(&listed_row), None);
    assert_eq!(listed_row.text("span.avatar").as_deref(), Some("GL"), "initials stand in for the removed logo");

    let code = listed_row.text("span.code").expect("the Partner ID is listed");
    assert!(!code.is_empty());
    diesel::sql_query(
        "UPDATE partner_organisations SET partner_code = 'PRT-ZZZ999' \
          WHERE id = (SELECT organisation_id FROM partners WHERE id = $1)",
    )
    .bind::<BigInt, _>(partner)
    .execute(&mut conn)
    .unwrap();
    assert_eq!(row(&app, partner).await.text("span.code").as_deref(), Some("PRT-ZZZ999"));
}
