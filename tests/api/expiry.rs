//! Expiring grants (SPEC §15): *Expires on* in Add Products and Add APIs, shown on the
//! partner's tabs and in the Service Catalog, **Extend**, reminders 14, 3 and 1 days before
//! (each once, across instances) and the revocation at the end, audited as the portal.
//!
//! The clock is the tests': the expiry worker's pass takes the moment it runs at, so a test
//! runs it "on" the days it wants, never by sleeping.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    grants::{api_cells, post, post_confirmed, product_grants, review_matrix},
    helpers::{location, TestApp, ADMIN},
    page::Page,
};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The moment a grant expiring on `day` ends for Acme (UTC): the start of the next day.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    (day + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap().and_utc()
}

/// "31 Jan 2027".
fn text(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

async fn arranged() -> (TestApp, PartnerId, CatalogIds) {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::admin("ada@globex.com").named("Ada", "Lovelace").create(&app, partner);
    (app, partner, catalog)
}

fn audit(
    conn: &mut PgConnection,
    partner: PartnerId,
    action: &str,
) -> Vec<(Option<i64>, String, String, serde_json::Value)> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::partner_id.eq(partner))
        .filter(a::action.eq(action))
        .order(a::id)
        .select((a::actor_user_id, a::actor_label, a::target, a::details))
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn a_grant_with_an_end_is_reviewed_shown_on_both_sides_and_extended() {
    let (app, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let [p1, _, _] = catalog.products[..] else { panic!() };
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, _, _] = catalog.environments[..] else { panic!() };
    let day = today() + Duration::days(30);
    let (iso, shown) = (day.to_string(), text(day));

    // Add Products: the field is labelled, the review says until when.
    let add = format!("/settings/partners/{partner}/products/add");
    let form = app.page(&add).await;
    assert_eq!(form.text(r#"label[for="expires_on"]"#).as_deref(), Some("Expires on"));
    assert!(form.exists(r#"input[type="date"]#expires_on[aria-describedby="expires_on-hint"]"#));
    let p = p1.to_string();
    let review = Page::read(post(&app, &add, &[("product", &p), ("expires_on", &iso)]).await).await;
    assert_eq!(review.texts(".change-list li"), [format!("+ Product One (until {shown})")]);
    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}/products"));
    let tab = app.page(&format!("/settings/partners/{partner}/products")).await;
    assert!(tab.flashes().contains(&format!("Product granted until {shown}: Product One.")), "{:?}", tab.flashes());
    assert_eq!(tab.rows()[0][2], format!("until {shown}"));
    let extend = format!("/settings/partners/{partner}/products/{p1}/extend");
    assert_eq!(tab.attrs("tbody a.button", "href"), [extend.as_str()]);

    // Add APIs: the environments checked now get the end; the review and the tab say so.
    let r = review_matrix(&app, partner, &[a1, a2, a3], &[(a1, dev)]).await;
    let review = Page::read(r).await;
    assert_eq!(review.texts(".change-list li"), ["+ API One — Development"], "no end when none is typed");
    let cell = format!("{a1}:{dev}");
    let fields = [("api", a1.to_string()), ("grant", cell), ("expires_on", iso.clone())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let review = Page::read(post(&app, &format!("/settings/partners/{partner}/apis/add"), &fields).await).await;
    assert_eq!(review.texts(".change-list li"), [format!("+ API One — Development (until {shown})")]);
    review.form("Confirm changes").submit(&app.browser).await;
    let tab = app.page(&format!("/settings/partners/{partner}/apis")).await;
    let environments = tab.words(".list-plain li");
    assert!(environments[0].starts_with("Development") && environments[0].contains(&format!("until {shown}")));
    // **Extend** is named exactly so (SPEC §9); which grant it extends is its description.
    assert_eq!(tab.texts(".list-plain a.button"), ["Extend"]);
    let described = tab.attr(".list-plain a.button", "aria-describedby").unwrap();
    assert_eq!(tab.text(&format!("#{described}")), Some("API One in Development".to_string()));

    // The partner's Admin sees the end in the Service Catalog.
    let ada = app.browser_of("ada@globex.com").await;
    let catalog_page = Page::read(ada.get("/service-catalog").await).await;
    assert_eq!(catalog_page.words(".list-rows li"), [format!("Product One The One product. Access until {shown}")]);
    assert_eq!(catalog_page.texts(".chip-list li"), [format!("Development · until {shown}")]);

    // Refused days: today, the past, not a date, too far; nothing is granted.
    let p2 = catalog.products[1].to_string();
    for (typed, message) in [
        (today().to_string(), "Expires on must be a day after today."),
        ("2020-01-01".to_string(), "Expires on must be a day after today."),
        ("31/01/2027".to_string(), "Enter the date as YYYY-MM-DD, for example 2027-01-31."),
        ((today() + Duration::days(6 * 366)).to_string(), "Expires on can be at most 5 years from today."),
    ] {
        let r = post(&app, &add, &[("product", &p2), ("expires_on", &typed)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let page = Page::read(r).await;
        assert_eq!(page.text("#expires_on-error").as_deref(), Some(message), "{typed}");
        assert_eq!(page.attr("#expires_on", "value").as_deref(), Some(typed.as_str()), "the input is kept");
        assert_eq!(page.attrs("input[checked]", "value"), [p2.as_str()], "the choice is kept");
    }
    assert_eq!(product_grants(&mut conn, partner), [p1]);

    // Extend: a later day only.
    let form = app.page(&extend).await;
    assert_eq!(form.attr("#expires_on", "value").as_deref(), Some(iso.as_str()), "the current end is filled in");
    let r = post(&app, &extend, &[("expires_on", &(day - Duration::days(1)).to_string())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text("#expires_on-error"),
        Some(format!("Choose a day after the current end, {shown}."))
    );
    let later = day + Duration::days(60);
    let r = post(&app, &extend, &[("expires_on", &later.to_string())]).await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}/products"));
    let tab = app.page(&format!("/settings/partners/{partner}/products")).await;
    assert!(tab.flashes().contains(&format!("Access to Product One extended until {}.", text(later))));
    assert_eq!(tab.rows()[0][2], format!("until {}", text(later)));
    let extended = audit(&mut conn, partner, "partner.access_extended");
    assert_eq!(extended.len(), 1);
    assert_eq!(extended[0].2, "Product One");
    assert_eq!(extended[0].3["from"], iso);
    assert_eq!(extended[0].3["to"], later.to_string());

    // A grant without an end has nothing to extend; one not granted is not found.
    let cell_extend = format!("/settings/partners/{partner}/apis/{a2}/environments/{dev}/extend");
    assert_eq!(app.get(&cell_extend).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reminders_go_out_14_3_and_1_days_before_once_each_and_the_grant_ends_on_its_day() {
    let (app, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let [p1, _, _] = catalog.products[..] else { panic!() };
    let [a1, _, _] = catalog.apis[..] else { panic!() };
    let [dev, _, _] = catalog.environments[..] else { panic!() };
    let day = today() + Duration::days(20);
    let (iso, shown) = (day.to_string(), text(day));
    let ends = end_of(day);

    let add = format!("/settings/partners/{partner}/products/add");
    let p = p1.to_string();
    post_confirmed(&app, &add, &[("product", &p), ("expires_on", &iso)]).await;
    let cell = format!("{a1}:{dev}");
    let apis = format!("/settings/partners/{partner}/apis/add");
    post_confirmed(&app, &apis, &[("api", &a1.to_string()), ("grant", &cell), ("expires_on", &iso)]).await;
    assert_eq!(api_cells(&mut conn, partner), [(a1, dev)]);
    let before = app.emails().await.len(); // the "What changed in your access" emails

    // Fifteen days before: nothing yet.
    assert_eq!(app.run_access_expiry(ends - Duration::days(15)).await.reminders, 0);
    // Fourteen days before: one reminder per grant, to Globex's Admin and Acme's admin.
    let pass = app.run_access_expiry(ends - Duration::days(14) + Duration::hours(1)).await;
    assert_eq!((pass.reminders, pass.expired), (2, 0));
    let mails = app.emails().await;
    let new: Vec<_> = mails[before..].iter().collect();
    assert_eq!(new.len(), 4);
    let mut to: Vec<String> = new.iter().map(|m| m.to()).collect();
    to.sort();
    assert_eq!(to, ["ada@globex.com", "ada@globex.com", ADMIN, ADMIN]);
    let subjects: Vec<String> = new.iter().map(|m| m.subject()).collect();
    assert!(subjects.contains(&format!("Globex: access to Product One ends on {shown}")), "{subjects:?}");
    assert!(subjects.contains(&format!("Globex: access to API One — Development ends on {shown}")));
    let to_ada_mail = new.iter().find(|m| m.to() == "ada@globex.com").unwrap();
    let to_ada = to_ada_mail.text().unwrap();
    println!("Subject: {}\n\n{to_ada}", to_ada_mail.subject());
    assert!(to_ada.contains(&format!("ends on {shown}: in 14 days.")), "{to_ada}");
    assert!(to_ada.contains("ask Acme to extend it") && to_ada.contains(&app.url("/service-catalog")));
    let to_erin = new.iter().find(|m| m.to() == ADMIN).unwrap().text().unwrap();
    assert!(to_erin.contains("choose Extend") && to_erin.contains(&app.url(&format!("/settings/partners/{partner}/"))));

    // The same day again: nothing more.
    assert_eq!(app.run_access_expiry(ends - Duration::days(13)).await.reminders, 0);

    // Three days before, two instances at once: each reminder once.
    let at = ends - Duration::days(3) + Duration::minutes(5);
    let (one, two) = tokio::join!(app.run_access_expiry(at), app.run_access_expiry(at));
    assert_eq!(one.reminders + two.reminders, 2, "{one:?} {two:?}");
    assert_eq!(app.emails().await.len(), before + 8);

    // One day before, then the last second: the 1-day reminder, then nothing.
    assert_eq!(app.run_access_expiry(ends - Duration::days(1)).await.reminders, 2);
    assert_eq!(app.run_access_expiry(ends - Duration::seconds(1)).await, Default::default());
    let mails = app.emails().await;
    assert_eq!(mails.len(), before + 12, "14, 3 and 1 days, each once, to both sides");
    assert!(mails.last().unwrap().text().unwrap().contains("in 1 day."));

    // The end, two instances at once: each grant revoked once, by the portal.
    let ada = app.browser_of("ada@globex.com").await;
    assert!(Page::read(ada.get("/service-catalog").await).await.contains("Product One"));
    let (one, two) = tokio::join!(app.run_access_expiry(ends), app.run_access_expiry(ends));
    assert_eq!(one.expired + two.expired, 2, "{one:?} {two:?}");
    assert!(product_grants(&mut conn, partner).is_empty());
    assert!(api_cells(&mut conn, partner).is_empty());
    let catalog_page = Page::read(ada.get("/service-catalog").await).await;
    assert!(
        catalog_page.contains("No products yet") && catalog_page.contains("No APIs yet"),
        "{}",
        catalog_page.main_text()
    );
    let expired = audit(&mut conn, partner, "partner.access_expired");
    let targets: Vec<&str> = expired.iter().map(|e| e.2.as_str()).collect();
    assert_eq!(targets, ["API One — Development", "Product One"]);
    assert!(expired.iter().all(|e| e.0.is_none() && e.1 == "Partner Portal (access expiry)"));
    assert_eq!(expired[0].3["expires_on"], iso);
    let activity = app.page(&format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.main_text().contains("Access expired"));
    // The list's counts follow.
    let list = app.page("/settings/partners").await;
    assert_eq!(list.words("tbody td.nowrap").first().map(String::as_str), Some("0 products 0 APIs"));
    assert_eq!(app.run_access_expiry(ends + Duration::days(1)).await, Default::default());
}

#[tokio::test]
async fn extending_starts_the_reminders_over_for_the_new_day() {
    let (app, partner, catalog) = arranged().await;
    let p = catalog.products[0].to_string();
    let day = today() + Duration::days(10);
    let add = format!("/settings/partners/{partner}/products/add");
    post_confirmed(&app, &add, &[("product", &p), ("expires_on", &day.to_string())]).await;
    // Given ten days before its end: the 14-day reminder is the one due.
    assert_eq!(app.run_access_expiry(Utc::now()).await.reminders, 1);

    let later = day + Duration::days(30);
    let extend = format!("/settings/partners/{partner}/products/{p}/extend");
    post(&app, &extend, &[("expires_on", &later.to_string())]).await;
    // The old day's 3-day mark passes without a word; the new day's 14-day mark reminds again.
    assert_eq!(app.run_access_expiry(end_of(day) - Duration::days(3)).await, Default::default());
    assert_eq!(app.run_access_expiry(end_of(day) + Duration::days(1)).await.expired, 0);
    assert_eq!(app.run_access_expiry(end_of(later) - Duration::days(14)).await.reminders, 1);
    assert_eq!(product_grants(&mut app.conn(), partner).len(), 1);
}
