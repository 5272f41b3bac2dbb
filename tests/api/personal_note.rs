//! The *Personal note* (SPEC §13): every invitation form has one, pre-filled with the
//! enterprise's saved default (Settings → Enterprise → Invitation note); the email shows it
//! as text (escaped in the HTML part); a resend sends it again; more than 1,000 characters is
//! refused and changes nothing.

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{location, TestApp},
    page::Page,
};

const DEFAULT_NOTE: &str = "Hello from Acme!\nQuestions? Write to partners@acme.example.";

/// Acme's admin (logged in) with Globex (active, Ada its account administrator).
async fn acme() -> TestApp {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"));
    TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().with_partner(globex).await
}

fn saved_note(app: &TestApp) -> Option<String> {
    use schema::enterprises::dsl as e;
    e::enterprises.find(app.enterprise_id()).select(e::invitation_note).first(&mut app.conn()).unwrap()
}

fn audit_actions_of_enterprise(app: &TestApp) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::enterprise_id.eq(app.enterprise_id()))
        .order(a::id.asc())
        .select(a::action)
        .load(&mut app.conn())
        .unwrap()
}

async fn save_default(app: &TestApp, note: &str) -> reqwest::Response {
    let page = app.page("/settings/enterprise").await;
    page.form("Save invitation note").set("invitation_note", note).submit(&app.browser).await
}

#[tokio::test]
async fn the_saved_default_note_prefills_every_invitation_form_of_the_enterprise() {
    let app = acme().await;
    let id = app.partner_id();
    let settings = app.page("/settings/enterprise").await;
    assert!(settings.exists(r#"label[for="invitation_note"]"#));
    assert_eq!(settings.text("#invitation_note").as_deref(), Some(""));

    let r = save_default(&app, &format!("  {DEFAULT_NOTE}\r\n")).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings/enterprise");
    assert_eq!(saved_note(&app).as_deref(), Some(DEFAULT_NOTE));
    assert!(audit_actions_of_enterprise(&app).contains(&"enterprise.invitation_note_changed".to_string()));
    let settings = app.page("/settings/enterprise").await;
    assert_eq!(settings.text("#invitation_note").as_deref(), Some(DEFAULT_NOTE));
    for (path, field) in [
        ("/settings/team".to_string(), "#note"),
        (format!("/settings/partners/{id}"), "#admin_note"),
        (format!("/settings/partners/{id}/users/invite-team"), "#note"),
    ] {
        let page = app.page(&path).await;
        assert_eq!(page.text(field).as_deref(), Some(DEFAULT_NOTE), "{path}");
        assert!(page.exists(&format!(r#"label[for="{}"]"#, &field[1..])), "{path}: the note has a label");
    }
    let ada = app.browser_of("ada@globex.example").await;
    for path in ["/members", "/members/invite-team"] {
        assert_eq!(ada.page(path).await.text("#note").as_deref(), Some(DEFAULT_NOTE), "{path}");
    }

    // Another enterprise has its own default (none).
    app.create_enterprise_admin("Umbrella", "una@umbrella.example", crate::helpers::PASSWORD);
    let una = app.browser_of("una@umbrella.example").await;
    assert_eq!(una.page("/settings/team").await.text("#note").as_deref(), Some(""));

    // Emptied: no default any more.
    let r = save_default(&app, "   ").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved_note(&app), None);
    assert_eq!(app.page("/settings/team").await.text("#note").as_deref(), Some(""));
}

#[tokio::test]
async fn a_note_over_a_thousand_characters_is_refused_and_changes_nothing() {
    let app = acme().await;
    save_default(&app, DEFAULT_NOTE).await;
    let long = "x".repeat(1001);

    let r = save_default(&app, &long).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.text("#invitation_note-error").as_deref(),
        Some("The personal note can be at most 1,000 characters long (this one has 1001).")
    );
    assert_eq!(saved_note(&app).as_deref(), Some(DEFAULT_NOTE));

    let page = app.page("/settings/team").await;
    let r = page
        .form("Send invitation")
        .fill(&[("first_name", "Tess"), ("surname", "Team"), ("email", "tess@acme.example"), ("note", &long)])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert!(page.text("#note-error").unwrap().starts_with("The personal note can be at most 1,000 characters"));
    assert_eq!(page.text("#note").unwrap().len(), 1001, "what was typed is kept");
    assert!(app.emails().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_note_goes_escaped_into_the_email_and_a_resend_sends_it_again() {
    let app = acme().await;
    let ada = app.browser_of("ada@globex.example").await;
    let note = "Hi Ivy,\n<b>bold</b> & <script>x()</script>";
    let page = ada.page("/members").await;

    let r = page
        .form("Send invitation")
        .fill(&[
            ("first_name", "Ivy"),
            ("surname", "Ito"),
            ("email", "ivy@globex.example"),
            ("role", "member"),
            ("note", note),
        ])
        .submit(&ada)
        .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = app.emails().await;
    assert_eq!(first.len(), 1);
    let text = first[0].text().unwrap().replace("\r\n", "\n");
    assert!(text.contains(&format!("Ada Admin added a personal note:\n\n{note}\n")), "{text}");
    let html = first[0].html().unwrap();
    assert!(!html.contains("<script>") && !html.contains("<b>bold"), "{html}");
    assert!(html.contains("&#60;b&#62;bold&#60;/b&#62; &#38; &#60;script&#62;x()&#60;/script&#62;"), "{html}");

    let members = ada.page("/members").await;
    let resend = members.attrs(r#"form[action$="/resend"]"#, "action");
    assert_eq!(resend.len(), 1);
    let r = members.form(&resend[0]).submit(&ada).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let all = app.emails().await;
    assert_eq!(all.len(), 2, "the resend sent a second email");
    assert!(all[1]
        .text()
        .unwrap()
        .replace("\r\n", "\n")
        .contains(&format!("Ada Admin added a personal note:\n\n{note}\n")));
    assert_ne!(all[0].link(&app.url("/invitations/")), all[1].link(&app.url("/invitations/")), "a new link");
}

#[tokio::test]
async fn the_team_and_administrator_invitations_carry_their_note_and_none_without_one() {
    let app = acme().await;
    let id = app.partner_id();
    let team = app.page("/settings/team").await;
    let r = team
        .form("Send invitation")
        .fill(&[
            ("first_name", "Tess"),
            ("surname", "Team"),
            ("email", "tess@acme.example"),
            ("role", "viewer"),
            ("note", "Welcome to the team"),
        ])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let general = app.page(&format!("/settings/partners/{id}")).await;
    let r = general
        .form("Send invitation")
        .fill(&[("first_name", "Nia"), ("surname", "New"), ("email", "nia@globex.example"), ("note", "")])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Sent now: the next administrator invitation replaces this one (and cancels an unsent email).
    assert_eq!(app.dispatch_emails().await, 2);
    let general = app.page(&format!("/settings/partners/{id}")).await;
    let r = general
        .form("Send invitation")
        .fill(&[
            ("first_name", "Olu"),
            ("surname", "Owen"),
            ("email", "olu@globex.example"),
            ("note", "You run Globex's account now"),
        ])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let emails = app.emails().await;
    let to = |a: &str| emails.iter().find(|m| m.to() == a).unwrap().text().unwrap().replace("\r\n", "\n");
    assert!(to("tess@acme.example").contains("Erin Admin added a personal note:\n\nWelcome to the team\n"));
    assert!(!to("nia@globex.example").contains("personal note"), "no note, no note paragraph");
    assert!(to("olu@globex.example").contains("Erin Admin added a personal note:\n\nYou run Globex's account now\n"));
}

#[tokio::test]
async fn the_wizards_administrator_step_carries_a_note_prefilled_with_the_default_into_the_email() {
    let app = acme().await;
    save_default(&app, DEFAULT_NOTE).await;
    let draft = crate::fixtures::seed_complete_draft(
        &mut app.conn(),
        app.enterprise_id(),
        app.admin_id(),
        "Initech",
        "initech.example",
    );
    let step = format!("/settings/partners/drafts/{draft}/administrator");
    let page = app.page(&step).await;
    assert_eq!(page.text(r#"label[for="note"]"#).as_deref(), Some("Personal note"));
    assert_eq!(page.text("#note").as_deref(), Some(DEFAULT_NOTE), "the enterprise's default, first");

    // Too long: the step again with the field marked and everything kept; nothing saved.
    let long = "x".repeat(1001);
    let r = page.form("Next step").set("note", &long).submit(&app.browser).await;
    let refused = Page::read(r).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#note-error").unwrap().starts_with("The personal note can be at most 1,000 characters"));
    assert_eq!(refused.text("#note").as_deref(), Some(long.as_str()));
    assert_eq!(refused.attr("#email", "value").as_deref(), Some("ana@initech.example"));
    assert_eq!(app.page(&step).await.text("#note").as_deref(), Some(DEFAULT_NOTE), "not saved");

    let note = "Welcome aboard,\n<b>Ana</b> & team";
    let r = page.form("Next step").set("note", note).submit(&app.browser).await;
    assert_eq!(location(&r), format!("/settings/partners/drafts/{draft}/review"));
    assert_eq!(app.page(&step).await.text("#note").as_deref(), Some(note), "kept in the draft, not the default");
    let review = app.page(&format!("/settings/partners/drafts/{draft}/review")).await;
    assert_eq!(review.text("#review-note").as_deref(), Some(note));

    let r = review.form("Add Partner").submit(&app.browser).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let emails = app.emails().await;
    let mail = emails.iter().find(|m| m.to() == "ana@initech.example").expect("the invitation");
    let text = mail.text().unwrap().replace("\r\n", "\n");
    assert!(text.contains(&format!("Erin Admin added a personal note:\n\n{note}\n")), "{text}");
    let html = mail.html().unwrap();
    assert!(!html.contains("<b>Ana"), "{html}");
    assert!(html.contains("&#60;b&#62;Ana&#60;/b&#62; &#38; team"), "{html}");
}

#[tokio::test]
async fn clearing_the_default_in_the_wizard_sends_the_invitation_without_a_note() {
    let app = acme().await;
    save_default(&app, DEFAULT_NOTE).await;
    let draft = crate::fixtures::seed_complete_draft(
        &mut app.conn(),
        app.enterprise_id(),
        app.admin_id(),
        "Hooli",
        "hooli.example",
    );
    let page = app.page(&format!("/settings/partners/drafts/{draft}/administrator")).await;
    page.form("Next step").set("note", "  ").submit(&app.browser).await;
    let review = app.page(&format!("/settings/partners/drafts/{draft}/review")).await;
    assert_eq!(review.text("#review-note").as_deref(), Some("None"));
    review.form("Add Partner").submit(&app.browser).await;
    let stored: Option<String> = {
        use schema::invitations::dsl as i;
        i::invitations.filter(i::email.eq("ana@hooli.example")).select(i::note).first(&mut app.conn()).unwrap()
    };
    assert_eq!(stored, None);
    let text = app.emails().await.iter().find(|m| m.to() == "ana@hooli.example").unwrap().text().unwrap();
    assert!(!text.contains("personal note"), "{text}");
}
