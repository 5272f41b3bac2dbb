//! A Viewer (SPEC §16) sees every enterprise page and changes nothing: the pages show no form
//! or button for a change, every state-changing route of the route table answers 403 (with
//! a valid CSRF token and real ids, so the 403 is not a 404 in disguise) and so does every
//! page that is only a form for a change. Nothing in the database changes.

use partner_portal::db;
use partner_portal::domain::UserRole;
use partner_portal::routes::TABLE;
use reqwest::StatusCode;

use crate::{
    edge::snapshot,
    fixtures::{domain_id, grant_api, grant_product, seed_catalog, seed_complete_draft, InvitationFixture},
    fixtures::{PartnerFixture, UserFixture},
    helpers::{seed_team_member, Browser, TestApp, ADMIN},
    oauth_kit::{seed_application, seed_credentials, seed_gateway},
};

const VIEWER: &str = "vic@acme.example";

/// The POST routes a Viewer may use like anyone: logging in and out, switching organisation,
/// password links, accepting an invitation, applying through a join link (SPEC §12: the
/// applicant acts as a person, in no membership). Every other POST route must answer 403.
const VISITOR_POSTS: &[&str] = &[
    "/login",
    "/logout",
    "/organisations",
    "/password/new",
    "/password/forgot",
    "/invitations/accept",
    "/join/{code}/apply",
    "/join/{code}/login",
    "/join/{code}/account",
    "/join/{code}/confirmation",
    "/join/{code}/confirm/{token}",
    "/join/{code}/logout",
    "/apply/{id}",
    "/apply/{id}/login",
];

/// Forms a Viewer's pages may still hold.
const ALLOWED_POST_ACTIONS: &[&str] = &["/logout", "/organisations"];

/// Real ids of seeded data, one per kind of path parameter.
struct Seeded {
    app: TestApp,
    viewer: Browser,
    partner: String,
    draft: String,
    domain: String,
    partner_invitation: String,
    team_invitation: String,
    product: String,
    api: String,
    environment: String,
    team_member: String,
    partner_member: String,
    application: String,
    credential: String,
    gateway: String,
    access_request: String,
    held_grant: String,
    api_token: String,
    webhook: String,
    group: String,
    /// A question of the group's application form.
    question: String,
}

/// Acme with a partner (Globex, active, with people, grants, a pending invitation and a
/// domain, an application with credentials), a catalog, a gateway credential, an unfinished
/// registration, a second Enterprise admin, a pending team
/// invitation, and Vic the Viewer logged in in a browser of his own.
async fn seeded() -> Seeded {
    let app = TestApp::spawn()
        .with_partner(
            PartnerFixture::new("Globex")
                .domains(["globex.example"])
                .active()
                .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
                .user(UserFixture::member("mia@globex.example").named("Mia", "Member")),
        )
        .await;
    let enterprise = app.enterprise_id();
    let partner = app.partner_id();
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise);
    grant_product(&mut conn, partner, catalog.products[0]);
    grant_api(&mut conn, partner, catalog.apis[0], catalog.environments[0]);
    let application = seed_application(&app, enterprise, partner, "Billing sync", app.admin_id());
    let (credential, _) = seed_credentials(&app, enterprise, application, catalog.environments[0], app.admin_id());
    seed_gateway(&app, enterprise, app.admin_id());
    let gateway = db::oauth::gateway_credentials(&mut conn, enterprise).unwrap()[0].id.to_string();
    let draft = seed_complete_draft(&mut conn, enterprise, app.admin_id(), "Initrode", "initrode.example");
    let partner_invitation =
        InvitationFixture::new(partner, "ivy@globex.example").role("member").create(&app).id.to_string();
    let team_invitation = db::invitations::insert(
        &mut conn,
        &db::invitations::NewInvitation {
            enterprise_id: enterprise,
            partner_id: None,
            email: "tess@elsewhere.example",
            first_name: "Tess",
            surname: "Team",
            role: UserRole::Viewer,
            for_account_admin: false,
            token_hash: uuid::Uuid::new_v4().as_bytes(),
            invited_by: Some(app.admin_id()),
            expires_at: chrono::Utc::now() + chrono::Duration::days(7),
            note: None,
        },
    )
    .unwrap()
    .id
    .to_string();
    let team_member = seed_team_member(&app, enterprise, "carl@acme.example", UserRole::EnterpriseAdmin);
    seed_team_member(&app, enterprise, VIEWER, UserRole::Viewer);
    let viewer = app.browser_of(VIEWER).await;
    // A waiting access request of Globex's for Product One.
    let access_request: i64 = {
        use diesel::prelude::*;
        use partner_portal::db::schema::access_requests::dsl as r;
        diesel::insert_into(r::access_requests)
            .values((r::enterprise_id.eq(enterprise), r::partner_id.eq(partner), r::product_id.eq(catalog.products[0])))
            .returning(r::id)
            .get_result(&mut conn)
            .unwrap()
    };
    // A grant of Globex's held for approval (API Two in Staging).
    let held_grant: i64 = {
        use diesel::prelude::*;
        use partner_portal::db::schema::pending_api_grants::dsl as h;
        diesel::insert_into(h::pending_api_grants)
            .values((
                h::enterprise_id.eq(enterprise),
                h::partner_id.eq(partner),
                h::api_id.eq(catalog.apis[1]),
                h::environment_id.eq(catalog.environments[1]),
            ))
            .returning(h::id)
            .get_result(&mut conn)
            .unwrap()
    };
    // An API token of Acme's.
    let api_token = db::api_tokens::insert(
        &mut conn,
        &db::api_tokens::NewApiToken {
            enterprise_id: enterprise,
            name: "CRM sync",
            scopes: &["partners:read".to_string()],
            token_hash: &[7u8; 32],
            hint: "abcd",
            expires_at: chrono::Utc::now() + chrono::Duration::days(30),
            created_by: app.admin_id(),
        },
    )
    .unwrap();
    // A webhook endpoint of Acme's.
    let webhook = db::webhooks::insert(
        &mut conn,
        &db::webhooks::NewEndpoint {
            enterprise_id: enterprise,
            url: "https://crm.acme.example/hooks",
            events: &["partner.created".to_string()],
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            created_by: app.admin_id(),
        },
    )
    .unwrap();
    let group: i64 = {
        use diesel::prelude::*;
        use partner_portal::db::schema::partner_groups::dsl as g;
        g::partner_groups.filter(g::enterprise_id.eq(enterprise)).select(g::id).first(&mut conn).unwrap()
    };
    let question = db::application_forms::add(
        &mut conn,
        enterprise,
        group,
        &partner_portal::domain::application_form::QuestionSpec::check(
            "Website",
            partner_portal::domain::QuestionKind::Url,
            false,
            "",
        )
        .unwrap(),
    )
    .unwrap();
    Seeded {
        viewer,
        partner: partner.to_string(),
        draft: draft.to_string(),
        domain: domain_id(&mut conn, partner, "globex.example").to_string(),
        partner_invitation,
        team_invitation,
        product: catalog.products[0].to_string(),
        api: catalog.apis[0].to_string(),
        environment: catalog.environments[0].to_string(),
        team_member: team_member.to_string(),
        partner_member: app.partner().users[1].to_string(),
        application: application.to_string(),
        credential: credential.to_string(),
        gateway,
        access_request: access_request.to_string(),
        held_grant: held_grant.to_string(),
        api_token: api_token.to_string(),
        webhook: webhook.to_string(),
        group: group.to_string(),
        question: question.to_string(),
        app,
    }
}

impl Seeded {
    /// The real id for the parameter that follows segment `before` in `path`.
    fn id_for(&self, path: &str, before: &str) -> &str {
        match before {
            "drafts" => &self.draft,
            "partners" => &self.partner,
            // A partnership seen from the partner organisation's side (Partner profile).
            "connections" | "partnerships" => &self.partner,
            "domains" => &self.domain,
            "invitations" if path.starts_with("/settings/team/") => &self.team_invitation,
            "invitations" => &self.partner_invitation,
            "products" => &self.product,
            "apis" => &self.api,
            "environments" => &self.environment,
            "team" => &self.team_member,
            "members" => &self.partner_member,
            "applications" => &self.application,
            "credentials" => &self.credential,
            "gateways" => &self.gateway,
            "access-requests" => &self.access_request,
            "approvals" => &self.held_grant,
            "api-tokens" => &self.api_token,
            "webhooks" => &self.webhook,
            "groups" => &self.group,
            "questions" => &self.question,
            // `/catalog/{kind}/{id}/requests`, `/partner/request-access/{kind}/{id}`.
            "catalog" | "request-access" => "products",
            "{kind}" => &self.product,
            _ => panic!("route {path}: no seeded id for the parameter after {before:?}; add one to `Seeded`"),
        }
    }

    /// `pattern` with every `{param}` replaced by a real id of seeded data.
    fn fill(&self, pattern: &str) -> String {
        let mut before = "";
        let segments: Vec<String> = pattern
            .split('/')
            .map(|segment| {
                let filled = if segment.starts_with('{') {
                    self.id_for(pattern, before).to_string()
                } else {
                    segment.to_string()
                };
                before = segment;
                filled
            })
            .collect();
        segments.join("/")
    }
}

/// A page that is nothing but a form for a change (SPEC §16: a Viewer gets 403). The
/// visitor's `/password/new` is not one: anyone may set their own password from a link.
fn is_form_page(path: &str) -> bool {
    // The partner's Delete tab states what deactivating does: a Viewer reads it, form hidden.
    let partner_delete_tab =
        path.starts_with("/settings/partners/") && path.split('/').count() == 5 && path.ends_with("/delete");
    !path.starts_with("/password/")
        && !partner_delete_tab
        && (path.contains("/drafts/")
            || path == "/settings/partners/connect"
            || path == "/settings/partners/import"
            || ["/edit", "/new", "/delete", "/add", "/remove", "/revoke", "/invite-team"]
                .iter()
                .any(|end| path.ends_with(end)))
}

async fn token_of(browser: &Browser) -> String {
    browser.page("/settings/partners").await.csrf_token()
}

#[tokio::test]
async fn a_viewers_pages_open_and_show_no_form_or_button_that_changes_anything() {
    let s = seeded().await;
    let p = &s.partner;
    let pages = [
        ("/settings/partners".to_string(), "Globex"),
        (format!("/settings/partners/{p}"), "globex.example"),
        (format!("/settings/partners/{p}/products"), "Product One"),
        (format!("/settings/partners/{p}/apis"), "API One"),
        (format!("/settings/partners/{p}/users"), "mia@globex.example"),
        (format!("/settings/partners/{p}/applications"), "Billing sync"),
        (format!("/settings/partners/{p}/activity"), "Globex"),
        (format!("/settings/partners/{p}/delete"), "API access"),
        ("/settings/activity".to_string(), "Activity"),
        ("/settings/access-requests".to_string(), "Product One"),
        ("/settings/approvals".to_string(), "API Two — Staging"),
        ("/settings/api-tokens".to_string(), "CRM sync"),
        ("/settings/partners/groups".to_string(), "Partners"),
        (format!("/settings/partners/groups/{}", s.group), "Globex"),
        ("/settings/webhooks".to_string(), "https://crm.acme.example/hooks"),
        (format!("/settings/webhooks/{}", s.webhook), "No deliveries yet"),
        (format!("/settings/access-requests/{}", s.access_request), "Only an Enterprise admin can answer a request."),
        ("/catalog".to_string(), "Product Three"),
        ("/catalog/apis".to_string(), "API Three"),
        ("/catalog/environments".to_string(), "Production"),
        ("/settings/team".to_string(), "tess@elsewhere.example"),
        ("/settings/gateways".to_string(), "Test gateway"),
        ("/settings/enterprise".to_string(), "Require verified domains for invitations"),
        ("/settings/enterprise".to_string(), "Time zone"),
    ];
    for (path, shows) in pages {
        let page = s.viewer.page(&path).await;

        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.main_text().contains(shows), "{path} shows {shows}:\n{page}");
        for action in page.attrs(r#"form[method="post"]"#, "action") {
            assert!(ALLOWED_POST_ACTIONS.contains(&action.as_str()), "{path} offers a change: {action}");
        }
        for href in page.attrs("a[href]", "href") {
            assert!(!is_form_page(&href), "{path} links to a form page: {href}");
        }
    }
    let team = s.viewer.page("/settings/team").await;
    assert_eq!(team.rows_of("#team").iter().find(|r| r[1] == VIEWER).unwrap()[2], "Viewer");
    assert!(!team.contains("Send invitation"));
}

#[tokio::test]
async fn every_state_changing_route_answers_403_to_a_viewer_and_changes_nothing() {
    let s = seeded().await;
    let token = token_of(&s.viewer).await;
    let before = snapshot(&s.app);
    let mut walked = Vec::new();
    for (method, pattern) in TABLE {
        if *method != "post" || VISITOR_POSTS.contains(pattern) {
            continue;
        }
        let path = s.fill(pattern);

        let r = s
            .viewer
            .client
            .post(s.viewer.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={}", url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()))
            .send()
            .await
            .unwrap();

        assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {path} (route {pattern})");
        walked.push(path);
    }
    for skipped in VISITOR_POSTS {
        assert!(TABLE.contains(&("post", skipped)), "{skipped} is a route of the table");
    }
    assert!(walked.len() >= 35, "the walk covered the POST routes: {walked:?}");
    assert!(walked.iter().any(|p| p.starts_with("/settings/team/")), "{walked:?}");
    assert_eq!(snapshot(&s.app), before, "no table changed");
    // The same token still works where a Viewer may act: the refusals were not CSRF failures.
    let r = s.viewer.post("/logout", &token, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_page_that_is_only_a_form_for_a_change_answers_403_to_a_viewer() {
    let s = seeded().await;
    let before = snapshot(&s.app);
    let mut walked = Vec::new();
    for (method, pattern) in TABLE {
        if *method != "get" || !is_form_page(pattern) {
            continue;
        }
        let path = s.fill(pattern);

        let page = s.viewer.page(&path).await;

        assert_eq!(page.status, StatusCode::FORBIDDEN, "GET {path} (route {pattern})");
        walked.push(path);
    }
    assert!(walked.len() >= 18, "{walked:?}");
    assert_eq!(snapshot(&s.app), before, "no table changed");
    // The ids are real: the Enterprise admin who made the draft gets no 404 (nor 403) there
    // (but for the draft's logo: it has none). The partner's own pages are not hers.
    let erin = s.app.browser_of(ADMIN).await;
    let partner_side = |p: &str| p.starts_with("/members/") || p.starts_with("/partner/");
    for path in walked.iter().filter(|p| !partner_side(p) && !p.ends_with("/logo")) {
        let status = erin.get(path).await.status();
        assert!(![StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&status), "an admin opens {path}: {status}");
    }
}
