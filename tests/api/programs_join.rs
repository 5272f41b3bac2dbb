//! Join links (SPEC §12, issue 14 item 3): on, off, **Regenerate**; the applicant's account and
//! its single-use confirmation link; the application with the wizard's rules, the applicant's
//! domain rule, required answers; a second pending application for a domain refused.

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::PartnerFixture,
    helpers::{location, TestApp, PASSWORD},
    page::Page,
    programs::{add_question, applications_count, apply, confirmed_applicant, new_group, open_join_link},
};

/// Acme (logged in, with SMTP), a group "Resellers" whose form asks a required single choice
/// and an optional URL, and its join link turned on: (app, group, code).
pub async fn program() -> (TestApp, i64, String) {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let group = new_group(&app, "Resellers").await;
    add_question(&app, group, "Company size", "single_choice", true, "1-10\n11-100").await;
    add_question(&app, group, "Website", "url", false, "").await;
    let code = open_join_link(&app, group).await;
    (app, group, code)
}

#[tokio::test]
async fn the_join_link_shows_the_enterprise_group_and_form_and_can_be_turned_off_and_regenerated() {
    let (app, group, code) = program().await;
    let visitor = app.another_browser();
    let page = visitor.page(&format!("/join/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1").as_deref(), Some("Apply to Acme"));
    assert_eq!(page.text("#program").as_deref(), Some("Partner program: Resellers"));
    assert_eq!(page.texts("#form-preview li"), ["Partner name", "Domain", "Company size", "Website (optional)"]);
    for (field, label) in [("login-email", "Email"), ("login-password", "Password")] {
        assert_eq!(page.text(&format!(r#"label[for="{field}"]"#)).as_deref(), Some(label), "{field}");
    }
    assert_eq!(page.link("a", "Create an account"), Some(format!("/join/{code}?account=new")));
    // One form at a time: each page has a single Email and a single Password field.
    let new = visitor.page(&format!("/join/{code}?account=new")).await;
    for (field, label) in
        [("first_name", "First Name"), ("surname", "Surname"), ("email", "Email"), ("password", "Password")]
    {
        assert_eq!(new.text(&format!(r#"label[for="{field}"]"#)).as_deref(), Some(label), "{field}");
    }
    assert_eq!(new.count("label"), 5, "First Name, Surname, Email, Password, Confirm password");

    // Off: the link says it is closed (410), without any form.
    let r = app.page(&format!("/settings/partners/groups/{group}")).await.form("Turn off").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.page(&format!("/settings/partners/groups/{group}")).await.text("#join-state").as_deref(),
        Some("Off")
    );
    let closed = visitor.page(&format!("/join/{code}")).await;
    assert_eq!(closed.status, StatusCode::GONE);
    assert!(closed.main_text().contains("This join link is closed"), "{}", closed.main_text());
    assert!(!closed.exists("form[action^=\"/join/\"]"), "no form on a closed link");

    // On again: the same link works; Regenerate: the old one is unknown at once (404).
    let r = app.page(&format!("/settings/partners/groups/{group}")).await.form("Turn on").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(visitor.page(&format!("/join/{code}")).await.status, StatusCode::OK);
    let r = app.page(&format!("/settings/partners/groups/{group}")).await.form("Regenerate").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let url = app.page(&format!("/settings/partners/groups/{group}")).await.text("#join-url").unwrap();
    let new_code = url.rsplit('/').next().unwrap().to_string();
    assert_ne!(new_code, code);
    let old = visitor.page(&format!("/join/{code}")).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    assert!(old.main_text().contains("This join link doesn't work"));
    assert_eq!(visitor.page(&format!("/join/{new_code}")).await.status, StatusCode::OK);
    assert_eq!(visitor.page("/join/not-a-code-at-all").await.status, StatusCode::NOT_FOUND);
    let details: Vec<serde_json::Value> = {
        use schema::audit_events::dsl as a;
        a::audit_events
            .filter(a::action.eq("enterprise.group_join_link_changed"))
            .order(a::id)
            .select(a::details)
            .load(&mut app.conn())
            .unwrap()
    };
    let changes: Vec<&str> = details.iter().map(|d| d["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["turned on", "turned off", "turned on", "regenerated"]);
}

#[tokio::test]
async fn an_applicant_confirms_the_account_by_the_emailed_link_once_before_anything_is_submitted() {
    let (app, _, code) = program().await;
    let ana = app.another_browser();
    let page = ana.page(&format!("/join/{code}?account=new")).await;
    // A bad account form keeps what was typed.
    let r = page
        .form("Create account")
        .fill(&[
            ("first_name", "Ana"),
            ("surname", ""),
            ("email", "ana@initech.example"),
            ("password", "short"),
            ("password_confirmation", "short"),
        ])
        .submit(&ana)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Page::read(r).await;
    assert_eq!(refused.attr("#email", "value").as_deref(), Some("ana@initech.example"));
    assert!(refused.text("#surname-error").is_some() && refused.text("#password-error").is_some());

    let r = page
        .form("Create account")
        .fill(&[
            ("first_name", "Ana"),
            ("surname", "Lima"),
            ("email", "ana@initech.example"),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ])
        .submit(&ana)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let waiting = ana.page(&format!("/join/{code}")).await;
    assert!(waiting.text("#confirm-first").unwrap().contains("Confirm your email address first"));
    assert!(!waiting.exists("#partner_name"), "no application form before confirming");
    // Posting the application anyway changes nothing.
    let token = waiting.csrf_token();
    let r = ana
        .post(&format!("/join/{code}/apply"), &token, &[("partner_name", "Initech"), ("domains", "initech.example")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(applications_count(&app), 0);
    // The account can't log in as a member either: it has no membership.
    assert_eq!(app.another_browser().login("ana@initech.example", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    // The emailed link: a page with Confirm email (a GET uses nothing), then single use.
    let link = app.emailed_link("ana@initech.example", "/join/").await;
    assert!(link.starts_with(&format!("/join/{code}/confirm/")), "{link}");
    let token_part = link.rsplit('/').next().unwrap().to_string();
    assert_ne!(
        app.another_browser().get(&format!("/password/set/{token_part}")).await.status(),
        StatusCode::SEE_OTHER,
        "not a password link"
    );
    let confirm = ana.page(&link).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let form = confirm.form("Confirm email");
    let r = form.clone().submit(&ana).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ready = ana.page(&format!("/join/{code}")).await;
    assert!(ready.flashes().iter().any(|f| f.contains("Email address confirmed")), "{:?}", ready.flashes());
    let again = ana.page(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text("#link-problem").unwrap().contains("already been used"));
    assert_eq!(form.submit(&ana).await.status(), StatusCode::GONE, "the link works once");

    let ready = ana.page(&format!("/join/{code}")).await;
    assert_eq!(ready.text(r#"label[for="partner_name"]"#).as_deref(), Some("Partner name"));
    assert_eq!(ready.text(r#"label[for="domains"]"#).as_deref(), Some("Domain"));
    assert!(ready.exists("#applicant"));
}

#[tokio::test]
async fn the_application_keeps_the_wizards_rules_the_applicants_domain_and_the_forms_answers() {
    let (app, group, code) = program().await;
    let ana = confirmed_applicant(&app, &code, "ana@initech.example", "Ana").await;

    // The applicant's address must be in one of the domains; required answers; URL; choices.
    let r = apply(&ana, &code, "Initech", "initech.com", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.text("#domains-error").as_deref(),
        Some("The email must use one of the partner's registered domains: initech.com. Your address is ana@initech.example.")
    );
    assert_eq!(page.text("#domains").as_deref(), Some("initech.com"), "the input is kept");
    let r = apply(&ana, &code, "I", "initech.example\nhttp://bad/", &[("Website", "javascript:alert(1)")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.text("#partner_name-error").as_deref(),
        Some("The partner name must be at least 2 characters long.")
    );
    assert!(page.text("#domains-error").unwrap().starts_with("http://bad/:"), "{:?}", page.text("#domains-error"));
    let size = crate::programs::answer_field(&page, "Company size");
    let website = crate::programs::answer_field(&page, "Website");
    assert_eq!(page.text(&format!("#{size}-error")).as_deref(), Some("Answer this question: it is required."));
    assert_eq!(
        page.text(&format!("#{website}-error")).as_deref(),
        Some("Enter a web address starting with https:// or http://.")
    );
    let r = apply(&ana, &code, "Initech", "initech.example", &[("Company size", "5000+")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text(&format!("#{size}-error")).as_deref(),
        Some("Choose among the answers offered.")
    );
    assert_eq!(applications_count(&app), 0, "nothing kept from refused forms");

    let r = apply(
        &ana,
        &code,
        "Initech",
        "Initech.Example\nint.initech.example",
        &[("Company size", "11-100"), ("Website", "https://initech.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let thanks = ana.page(&format!("/join/{code}")).await;
    assert!(thanks.text("#submitted").unwrap().contains("your application was sent to Acme"));
    let kept: (String, Option<i64>, String, serde_json::Value) = {
        use schema::program_applications::dsl as a;
        a::program_applications
            .select((a::partner_name, a::group_id, a::status, a::answers))
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!((kept.0.as_str(), kept.1, kept.2.as_str()), ("Initech", Some(group), "pending"));
    let answers: Vec<(String, Vec<String>)> = kept
        .3
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["question"].as_str().unwrap().to_string(),
                a["values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        answers,
        [
            ("Company size".to_string(), vec!["11-100".to_string()]),
            ("Website".to_string(), vec!["https://initech.example".to_string()])
        ]
    );
    let domains: Vec<String> = {
        use schema::program_application_domains::dsl as d;
        d::program_application_domains.order(d::domain).select(d::domain).load(&mut app.conn()).unwrap()
    };
    assert_eq!(domains, ["initech.example", "int.initech.example"], "normalised like the wizard's");
}

#[tokio::test]
async fn a_second_application_for_a_pending_or_registered_domain_is_refused() {
    let (app, _, code) = program().await;
    PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app);
    let ana = confirmed_applicant(&app, &code, "ana@initech.example", "Ana").await;
    let r = apply(&ana, &code, "Initech", "initech.example", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Bob has an account already (a member elsewhere): he logs in on the join link.
    let hash = partner_portal::auth::password::hash_sync(PASSWORD).unwrap();
    let new = partner_portal::db::users::NewUser {
        email: "bob@initech.example",
        first_name: "Bob",
        surname: "Stone",
        password_hash: Some(&hash),
    };
    partner_portal::db::users::insert(&mut app.conn(), &new).unwrap();
    let bob = app.another_browser();
    let page = bob.page(&format!("/join/{code}")).await;
    let r = page
        .form("Log in")
        .fill(&[("email", "bob@initech.example"), ("password", "wrong password 123")])
        .submit(&bob)
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(Page::read(r).await.text("#login-error").as_deref(), Some("The email or password is incorrect."));
    let r = page.form("Log in").fill(&[("email", "bob@initech.example"), ("password", PASSWORD)]).submit(&bob).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/join/{code}"));
    let r = apply(&bob, &code, "Initech Two", "initech.example", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text("#domains-error").as_deref(),
        Some("An application for initech.example is already waiting for an answer.")
    );
    // A domain of a registered partner and a taken name get the wizard's words.
    let globex = confirmed_applicant(&app, &code, "gil@globex.example", "Gil").await;
    let r = apply(&globex, &code, "globex", "globex.example", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.text("#partner_name-error").as_deref(),
        Some("Another partner is already called “globex”. Choose a different name.")
    );
    assert_eq!(applications_count(&app), 1);

    // The rule is the database's too: a partial unique index refuses a second pending row.
    let first: i64 = {
        use schema::program_applications::dsl as a;
        a::program_applications.select(a::id).first(&mut app.conn()).unwrap()
    };
    let err = diesel::sql_query(format!(
        "WITH a AS (INSERT INTO program_applications (enterprise_id, applicant_user_id, partner_name)
                    SELECT enterprise_id, applicant_user_id, 'Other' FROM program_applications WHERE id = {first} RETURNING enterprise_id, id)
         INSERT INTO program_application_domains (enterprise_id, application_id, domain) SELECT enterprise_id, id, 'initech.example' FROM a"
    ))
    .execute(&mut app.conn())
    .unwrap_err();
    assert!(err.to_string().contains("program_application_domains_pending"), "{err}");
}
