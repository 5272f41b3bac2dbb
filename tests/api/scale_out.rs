//! Several portal instances on one database (as behind a load balancer): a login on one holds
//! on the other, a logo uploaded through one is served by the other. (Both email workers
//! running: tests/timing/scale_out.rs.)

use partner_portal::domain::sample_png;
use reqwest::{header, multipart, StatusCode};

use crate::{
    fixtures::PartnerFixture,
    helpers::{location, repeats_only, Options, TestApp, ADMIN, PASSWORD},
    page::Page,
};

/// A client without a cookie jar: every request carries exactly the cookie it is given.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(repeats_only()).build().unwrap()
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let r = bare_client().get(app.url(path)).header(header::COOKIE, cookie).send().await.unwrap();
    let (status, to) = (r.status(), location(&r));
    (status, to, r.text().await.unwrap())
}

#[tokio::test]
async fn a_session_started_on_one_instance_is_valid_on_the_other_and_ends_on_both() {
    let one = TestApp::spawn().with_enterprise_admin().await;
    let two = one.spawn_another(Options::default()).await;

    assert_eq!(location(&one.login(ADMIN, PASSWORD).await), "/settings/partners");
    let cookie = one.session_cookie().expect("a session cookie from instance one");

    let (status, _, html) = get_with(&two, &cookie, "/settings/partners").await;
    assert_eq!(status, StatusCode::OK, "instance two knows the session:\n{html}");
    assert!(html.contains(ADMIN), "as the same person");

    // The CSRF token read on instance two is the session's: logging out through one works.
    let token = Page::from_html(&html).csrf_token();
    let r = bare_client()
        .post(one.url("/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for app in [&one, &two] {
        let (status, to, _) = get_with(app, &cookie, "/settings/partners").await;
        assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/login"), "the session ended on {}", app.address);
    }
}

#[tokio::test]
async fn a_logo_uploaded_through_one_instance_is_served_byte_identical_by_the_other() {
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active();
    let one = TestApp::spawn().logged_in_as_enterprise_admin().with_partner(globex).await;
    let two = one.spawn_another(Options::default()).await;
    let partner = one.partner_id();
    let cookie = one.session_cookie().unwrap();
    let png = sample_png(48, 32);

    let token = one.page(&format!("/settings/partners/{partner}/edit")).await.csrf_token();
    let form = multipart::Form::new()
        .text("csrf_token", token)
        .text("name", "Globex")
        .part("logo", multipart::Part::bytes(png.clone()).file_name("logo.png"));
    let r = bare_client()
        .post(one.url(&format!("/settings/partners/{partner}/edit")))
        .header(header::COOKIE, &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "saved through instance one");

    let r = bare_client()
        .get(two.url(&format!("/settings/partners/{partner}/logo")))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png, "instance two serves the same bytes");
    let (_, _, html) = get_with(&two, &cookie, "/settings/partners").await;
    assert!(html.contains(&format!(r#"src="/settings/partners/{partner}/logo?v="#)), "and shows it in the list");
}
