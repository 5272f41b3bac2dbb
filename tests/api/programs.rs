//! Partner programs (SPEC §12, issue 14 items 2–4): the application form built on a group's
//! page, the join link, the applicant's account and its confirmation link, applications,
//! **Applications** with **Approve** and **Decline**, **Invite to apply**, the **Profile** tab.

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    grants::post,
    helpers::{location, TestApp},
    page::Page,
};

/// Creates a group through the page; its id.
pub async fn new_group(app: &TestApp, name: &str) -> i64 {
    let r = post(app, "/settings/partners/groups", &[("name", name), ("description", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}");
    location(&r).rsplit('/').next().unwrap().parse().unwrap()
}

/// Adds a question through **Add question**.
pub async fn add_question(app: &TestApp, group: i64, label: &str, kind: &str, required: bool, choices: &str) {
    let form = app.page(&format!("/settings/partners/groups/{group}/questions/new")).await.form("Add question");
    let mut form = form.fill(&[("label", label), ("kind", kind), ("choices", choices)]);
    if required {
        form = form.set("required", "on");
    }
    let r = form.submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{label}");
}

/// The questions of the group page's Application form: (question, type, Required/Optional).
fn questions(page: &Page) -> Vec<(String, String, String)> {
    page.each("#questions > li")
        .iter()
        .map(|q| {
            (
                q.text(".question-label").unwrap(),
                q.text(".question-kind").unwrap(),
                q.text(".question-required").unwrap(),
            )
        })
        .collect()
}

fn question_ids(app: &TestApp, group: i64) -> Vec<i64> {
    use schema::application_questions::dsl as q;
    q::application_questions
        .filter(q::group_id.eq(group))
        .order((q::position, q::id))
        .select(q::id)
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn the_application_form_is_built_on_the_group_page_in_order_with_types_and_required_answers() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let group = new_group(&app, "Resellers").await;
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    assert!(page.text("#application-form").unwrap().contains("No questions yet"));
    let new = app.page(&format!("/settings/partners/groups/{group}/questions/new")).await;
    for (field, label) in [("label", "Question"), ("kind", "Type"), ("required", "Required"), ("choices", "Choices")] {
        assert_eq!(new.text(&format!(r#"label[for="{field}"]"#)).as_deref(), Some(label));
    }
    assert_eq!(new.texts("#kind option"), ["Short text", "Long text", "Single choice", "Multiple choice", "URL"]);

    add_question(&app, group, "Company size", "single_choice", true, "1-10\n11-100\n\n100+").await;
    add_question(&app, group, "Website", "url", false, "").await;
    add_question(&app, group, "Why partner with us?", "long_text", true, "").await;
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    assert_eq!(
        questions(&page),
        [
            ("Company size".into(), "Single choice".into(), "Required".into()),
            ("Website".into(), "URL".into(), "Optional".into()),
            ("Why partner with us?".into(), "Long text".into(), "Required".into()),
        ]
    );
    assert_eq!(page.texts("#questions > li:first-child .question-choices li"), ["1-10", "11-100", "100+"]);

    // Refused, the form again with the input kept: no words, a choice type with one choice.
    let form = app.page(&format!("/settings/partners/groups/{group}/questions/new")).await.form("Add question");
    let r = form.clone().fill(&[("label", " "), ("kind", "short_text")]).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(Page::read(r).await.text("#label-error").as_deref(), Some("Write the question."));
    let r = form
        .clone()
        .fill(&[("label", "Region"), ("kind", "multiple_choice"), ("choices", "EU")])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Page::read(r).await;
    assert_eq!(refused.text("#choices-error").as_deref(), Some("Give at least two choices, one per line."));
    assert_eq!(refused.attr("#label", "value").as_deref(), Some("Region"));
    let r = form.fill(&[("label", "Region"), ("kind", "essay")]).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a type the list doesn't offer");
    assert_eq!(question_ids(&app, group).len(), 3, "nothing added by the refusals");

    // Move down, Move up (plain forms), edit, remove.
    let ids = question_ids(&app, group);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let first = page.each(&format!("#question-{}", ids[0])).remove(0);
    assert_eq!(first.texts("button"), ["Move down", "Remove"], "the first question can't move up");
    let r =
        page.form(&format!("/settings/partners/groups/{group}/questions/{}/down", ids[0])).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let order: Vec<String> = questions(&page).into_iter().map(|q| q.0).collect();
    assert_eq!(order, ["Website", "Company size", "Why partner with us?"]);
    let r = page.form(&format!("/settings/partners/groups/{group}/questions/{}/up", ids[2])).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let order: Vec<String> = questions(&page).into_iter().map(|q| q.0).collect();
    assert_eq!(order, ["Website", "Why partner with us?", "Company size"]);

    let edit = app.page(&format!("/settings/partners/groups/{group}/questions/{}", ids[1])).await;
    assert_eq!(edit.attr("#label", "value").as_deref(), Some("Website"));
    let r = edit.form("Save question").set("label", "Company website").set("required", "on").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    assert_eq!(questions(&page)[0], ("Company website".into(), "URL".into(), "Required".into()));
    let r =
        page.form(&format!("/settings/partners/groups/{group}/questions/{}/remove", ids[2])).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let order: Vec<String> = questions(&page).into_iter().map(|q| q.0).collect();
    assert_eq!(order, ["Company website", "Company size"]);
    let changes: i64 = {
        use schema::audit_events::dsl as a;
        a::audit_events
            .filter(a::action.eq("enterprise.group_form_changed"))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(changes, 7, "three added, two moves, one edit, one removal");
}

#[tokio::test]
async fn another_enterprises_group_form_is_not_found_and_viewers_only_read_it() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let group = new_group(&app, "Resellers").await;
    add_question(&app, group, "Website", "url", false, "").await;
    let question = question_ids(&app, group)[0];

    let (other, _) = app.create_enterprise_admin("Globex Corp", "olga@globex.example", crate::helpers::PASSWORD);
    let _ = other;
    let olga = app.browser_of("olga@globex.example").await;
    for path in [
        format!("/settings/partners/groups/{group}/questions/new"),
        format!("/settings/partners/groups/{group}/questions/{question}"),
    ] {
        assert_eq!(olga.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let token = olga.page("/settings/partners").await.csrf_token();
    let r = olga.post(&format!("/settings/partners/groups/{group}/questions/{question}/remove"), &token, &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for (path, fields) in [("join-link", vec![("state", "on")]), ("join-link/regenerate", vec![])] {
        let r = olga.post(&format!("/settings/partners/groups/{group}/{path}"), &token, &fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = olga
        .post(&format!("/settings/partners/groups/{group}/questions"), &token, &[("label", "Mine"), ("kind", "url")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(question_ids(&app, group), [question]);

    crate::helpers::seed_team_member(
        &app,
        app.enterprise_id(),
        "vic@acme.example",
        partner_portal::domain::UserRole::Viewer,
    );
    let vic = app.browser_of("vic@acme.example").await;
    let page = vic.page(&format!("/settings/partners/groups/{group}")).await;
    assert_eq!(questions(&page).len(), 1);
    assert!(page.texts("#application-form button").is_empty(), "no buttons for a Viewer");
    let token = page.csrf_token();
    let r = vic.post(&format!("/settings/partners/groups/{group}/questions/{question}/remove"), &token, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(question_ids(&app, group), [question]);
}

/// Turns the group's join link on; its code (read from the link the page shows).
pub async fn open_join_link(app: &TestApp, group: i64) -> String {
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let r = page.form("Turn on").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{group}")).await;
    let url = page.text("#join-url").expect("the join link is shown");
    assert!(url.starts_with(&app.url("/join/")), "{url}");
    url.rsplit('/').next().unwrap().to_string()
}

/// A new browser that creates an account on the join link and confirms it with the emailed
/// link; it is then signed in as the applicant.
pub async fn confirmed_applicant(app: &TestApp, code: &str, email: &str, first_name: &str) -> crate::helpers::Browser {
    let b = app.another_browser();
    let page = b.page(&format!("/join/{code}?account=new")).await;
    let r = page
        .form("Create account")
        .fill(&[
            ("first_name", first_name),
            ("surname", "Lima"),
            ("email", email),
            ("password", crate::helpers::PASSWORD),
            ("password_confirmation", crate::helpers::PASSWORD),
        ])
        .submit(&b)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "account for {email}");
    let link = app.emailed_link(email, "/join/").await;
    let r = b.page(&link).await.form("Confirm email").submit(&b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/join/{code}"));
    b
}

/// Submits the join link's application form: `answers` are (question label, value) pairs.
pub async fn apply(
    b: &crate::helpers::Browser,
    code: &str,
    name: &str,
    domains: &str,
    answers: &[(&str, &str)],
) -> reqwest::Response {
    let page = b.page(&format!("/join/{code}")).await;
    let mut form = page.form("Submit application").set("partner_name", name).set("domains", domains);
    for (question, value) in answers {
        let field = answer_field(&page, question);
        form = form.add(&field, value);
    }
    form.submit(b).await
}

/// The field name of the answer to `question` on an application page.
pub fn answer_field(page: &Page, question: &str) -> String {
    let fields = page.attrs(".question-field", "data-field");
    let questions = page.attrs(".question-field", "data-question");
    let at = questions.iter().position(|q| q == question);
    let at = at.unwrap_or_else(|| panic!("no question {question:?} among {questions:?}"));
    fields[at].clone()
}

pub fn applications_count(app: &TestApp) -> i64 {
    use schema::program_applications::dsl as a;
    a::program_applications.count().get_result(&mut app.conn()).unwrap()
}
