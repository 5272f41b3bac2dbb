//! Import partners (SPEC §13, issue 14 item 5): **Preview import** lists every row as *Will be
//! added* or its reasons and writes nothing; **Import** adds the valid rows in one transaction,
//! with the invitations emailed or held; an import past the partner limit adds nothing; hostile
//! files are refused or neutralised; a Viewer can't import; another enterprise is untouched.

use base64::Engine;
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{EnterpriseId, UserRole};
use reqwest::{multipart, StatusCode};

use crate::{
    edge::snapshot,
    fixtures::{partner_count, seed_partners, PartnerFixture},
    helpers::{location, seed_team_member, Browser, TestApp, PASSWORD},
    page::Page,
};

const HEADER: &str = "name,domains,first_name,surname,email,group\n";
const FORM: &str = "/settings/partners/import";

/// Chooses `csv` as the *CSV file* and presses **Preview import** (with *Send invitation emails*
/// as `send`), in `browser`.
async fn preview_in(browser: &Browser, csv: &[u8], send: bool) -> Page {
    let token = browser.page("/settings/partners").await.csrf_token();
    let mut form = multipart::Form::new().text("csrf_token", token);
    form =
        form.part("csv", multipart::Part::bytes(csv.to_vec()).file_name("partners.csv").mime_str("text/csv").unwrap());
    if send {
        form = form.text("send_invitations", "1");
    }
    let r = browser.client.post(browser.url("/settings/partners/import/preview")).multipart(form).send().await.unwrap();
    Page::read(r).await
}

async fn preview(app: &TestApp, csv: &str) -> Page {
    preview_in(&app.browser, csv.as_bytes(), true).await
}

/// Presses **Import** on the preview page, with *Send invitation emails* ticked or not.
async fn import(app: &TestApp, preview: &Page, send: bool) -> Page {
    let mut form = preview.form("Import");
    form.fields.retain(|(name, _)| name != "send_invitations");
    if send {
        form = form.set("send_invitations", "1");
    }
    Page::read(form.submit(&app.browser).await).await
}

/// Posts **Import** with `csv` as the carried file, as a page that offers no Import button
/// could still be made to.
async fn import_directly(app: &TestApp, csv: &str) -> Page {
    let token = app.page("/settings/partners").await.csrf_token();
    let content = base64::engine::general_purpose::STANDARD.encode(csv);
    let form = multipart::Form::new().text("csrf_token", token).text("content", content).text("send_invitations", "1");
    Page::read(app.client.post(app.url(FORM)).multipart(form).send().await.unwrap()).await
}

fn names_of(app: &TestApp, enterprise_id: EnterpriseId) -> Vec<String> {
    use schema::partners::dsl as p;
    p::partners.filter(p::enterprise_id.eq(enterprise_id)).order(p::id).select(p::name).load(&mut app.conn()).unwrap()
}

fn actions(app: &TestApp) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events.order(a::id).select(a::action).load(&mut app.conn()).unwrap()
}

/// Follows the newest invitation link emailed to `to`, in a browser of the invitee's own.
async fn open_invitation(app: &TestApp, to: &str) -> Page {
    let link = app.emailed_link(to, "/invitations/").await;
    let invitee = app.another_browser();
    let r = invitee.get(&link).await;
    assert_eq!(location(&r), "/invitations/accept", "the link is live");
    invitee.page("/invitations/accept").await
}

/// The preview page's table as text: line, name, domains, administrator, result.
fn table(page: &Page) -> Vec<String> {
    page.rows_of("#import-preview").into_iter().map(|cells| cells.join(" | ")).collect()
}

/// Keeps the rendered page under target/ for a screenshot (its stylesheet read from static/).
fn save_for_screenshot(page: &Page, name: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{root}/target"));
    let html = page.html.replace("\"/static/", &format!("\"file://{root}/static/"));
    std::fs::write(format!("{target}/{name}"), html).unwrap();
}

#[tokio::test]
async fn the_preview_gives_every_row_its_result_in_the_wizards_words_and_writes_nothing() {
    let app = TestApp::spawn()
        .logged_in_as_enterprise_admin()
        .with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).active())
        .await;
    let csv = format!(
        "{HEADER}\
         Initech,initech.example,Bill,Lumbergh,bill@initech.example,\n\
         GLOBEX,globex-new.example,Hank,Scorpio,hank@globex-new.example,\n\
         Hooli,hooli.example;Globex.example,Gavin,Belson,gavin@hooli.example,\n\
         initech,initech-two.example,Peter,Gibbons,peter@initech-two.example,\n\
         Pied Piper,piedpiper.example;INITECH.example,Richard,Hendricks,richard@piedpiper.example,\n\
         Vandelay,vandelay.example,Art,Vandelay,art@eu.vandelay.example,\n\
         X,http://bad.example/path,,Smith,not-an-email,\n\
         \"Wayne, Enterprises\",wayne.example,Bruce,Wayne,bruce@wayne.example,Resellers\n\
         Short row,short.example\n\
         \n\
         \"Two\nlines\",twolines.example,Ada,Lovelace,ada@twolines.example,\n\
         \"Umbrella \"\"Corp\"\"\",umbrella.example,Alice,Abernathy,alice@umbrella.example,\n"
    );
    let before = snapshot(&app);

    let page = preview(&app, &csv).await;

    assert_eq!(page.status, StatusCode::OK, "{page}");
    let rows = table(&page);
    println!("The preview of a file with mixed errors:\n{}", rows.join("\n"));
    assert_eq!(
        rows,
        [
            "2 | Initech | initech.example | Bill Lumbergh <bill@initech.example> | Partners | Will be added",
            "3 | GLOBEX | globex-new.example | Hank Scorpio <hank@globex-new.example> | Partners | Can't be added name: Another partner is already called “GLOBEX”. Choose a different name.",
            "4 | Hooli | hooli.example; Globex.example | Gavin Belson <gavin@hooli.example> | Partners | Can't be added domains: globex.example is already registered to another partner.",
            "5 | initech | initech-two.example | Peter Gibbons <peter@initech-two.example> | Partners | Can't be added name: line 2 of the file has the same partner name.",
            "6 | Pied Piper | piedpiper.example; INITECH.example | Richard Hendricks <richard@piedpiper.example> | Partners | Can't be added domains: initech.example is also in line 2 of the file.",
            "7 | Vandelay | vandelay.example | Art Vandelay <art@eu.vandelay.example> | Partners | Can't be added email: The email must use one of the partner's registered domains: vandelay.example.",
            "8 | X | http://bad.example/path | Smith <not-an-email> | Partners | Can't be added name: The partner name must be at least 2 characters long. domains (http://bad.example/path): Enter a domain like acme.com, without http:// or a path. first_name: Enter a name. email: Enter an email address with an @, like name@acme.com.",
            "9 | Wayne, Enterprises | wayne.example | Bruce Wayne <bruce@wayne.example> | Resellers | Can't be added group: No group is called “Resellers”. Create it under Groups first, or leave the cell empty to add the partner to Partners.",
            "10 | Short row | short.example |  | Partners | Can't be added The row has 2 cells; the first line names 6 columns. first_name: Enter a name. surname: Enter a name. email: Enter an email address.",
            "12 | Two lines | twolines.example | Ada Lovelace <ada@twolines.example> | Partners | Can't be added name: Remove the hidden or control characters (such as line breaks) from the partner name.",
            "14 | Umbrella \"Corp\" | umbrella.example | Alice Abernathy <alice@umbrella.example> | Partners | Will be added",
        ]
    );
    assert_eq!(page.text("#import-summary").unwrap(), "2 of 11 rows will be added; 9 can't be.");
    assert!(page.main_text().contains("Preview: nothing has been saved yet."));
    assert!(page.form("Import").value("content").is_some(), "Import carries the file");
    assert_eq!(snapshot(&app), before, "a preview writes nothing");
    save_for_screenshot(&page, "import-preview.html");
}

#[tokio::test]
async fn import_adds_the_valid_rows_in_one_go_and_emails_their_administrators() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let csv = format!(
        "{HEADER}\
         Initech,initech.example,Bill,Lumbergh,Bill@Initech.example,\n\
         \"Globex, Inc.\",globex.example;globex.de,Hank,Scorpio,hank@globex.de,\n\
         Broken,,Nobody,Here,nobody@broken.example,\n"
    );
    let page = preview(&app, &csv).await;
    assert!(page.form("Import").value("send_invitations").is_some(), "the box stays as it was chosen");

    let done = import(&app, &page, true).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done}");
    assert_eq!(done.location, "/settings/partners");
    let list = app.page("/settings/partners").await;
    assert_eq!(list.flashes(), ["2 partners added; 1 row skipped. The administrators' invitations are on their way."]);
    assert!(list.main_text().contains("Globex, Inc.") && list.main_text().contains("Initech"));
    assert_eq!(names_of(&app, app.enterprise_id()), ["Initech", "Globex, Inc."]);
    let domains: Vec<String> = schema::partner_domains::table
        .order(schema::partner_domains::domain)
        .select(schema::partner_domains::domain)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(domains, ["globex.de", "globex.example", "initech.example"]);
    assert_eq!(
        actions(&app),
        ["partner.registered", "partner.registered", "enterprise.partners_imported"],
        "each partner's own event, then the import's"
    );
    let emails = app.emails().await;
    let mut to: Vec<String> = emails.iter().map(|m| m.to().to_string()).collect();
    to.sort();
    assert_eq!(to, ["bill@initech.example", "hank@globex.de"]);
    let invitation = open_invitation(&app, "hank@globex.de").await;
    assert_eq!(invitation.status, StatusCode::OK);
    assert!(invitation.main_text().contains("Globex, Inc."), "{invitation}");
    let activity = app.page("/settings/activity").await;
    assert!(activity.main_text().contains("2 added, 1 skipped"), "{activity}");
}

#[tokio::test]
async fn with_send_invitation_emails_off_the_invitations_wait_for_resend_invitation() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let csv = format!("{HEADER}Initech,initech.example,Bill,Lumbergh,bill@initech.example,\n");
    let page = preview_in(&app.browser, csv.as_bytes(), false).await;
    assert!(page.form("Import").value("send_invitations").is_none(), "the box stays off");

    let done = import(&app, &page, false).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let list = app.page("/settings/partners").await;
    assert_eq!(
        list.flashes(),
        ["1 partner added; 0 rows skipped. The invitations are held: select the partners on the list and press Send invitations."]
    );
    assert!(app.emails().await.is_empty(), "no invitation was emailed");
    let id: i64 = schema::partners::table.select(schema::partners::id).first(&mut app.conn()).unwrap();
    let general = app.page(&format!("/settings/partners/{id}")).await;
    assert!(general.text("#invitation-held").unwrap().starts_with("Not sent yet"), "{general}");

    // Send invitations, for one partner: Resend invitation on its General tab.
    let r = general.form("Resend invitation").submit(&app.browser).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(open_invitation(&app, "bill@initech.example").await.main_text().contains("Initech"));
    assert!(!app.page(&format!("/settings/partners/{id}")).await.exists("#invitation-held"));
}

#[tokio::test]
async fn an_import_that_would_cross_the_partner_limit_adds_nothing() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    seed_partners(&mut app.conn(), app.enterprise_id(), 8);
    let three = format!(
        "{HEADER}\
         Alpha,alpha.example,A,A,a@alpha.example,\n\
         Beta,beta.example,B,B,b@beta.example,\n\
         Broken,partner1.example,C,C,c@partner1.example,\n\
         Gamma,gamma.example,G,G,g@gamma.example,\n"
    );
    let before = snapshot(&app);

    let page = preview(&app, &three).await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text("#limit-problem").unwrap(),
        "Over the partner limit: 8 of 10 partners are registered, so at most 2 more can be added and this file \
         has 3 valid rows. Nothing will be imported. Remove rows from the file, or deactivate partners first."
    );
    let rows = table(&page);
    assert!(
        rows[0].ends_with("Can't be added Over the partner limit: nothing in this file will be imported (see above).")
    );
    assert!(rows[2].contains("partner1.example is already registered to another partner."), "{rows:?}");
    assert!(!page.exists(r#"form[action="/settings/partners/import"]"#), "no Import button");

    // Pressed anyway (an old preview, another tab): refused whole, under the lock.
    let refused = import_directly(&app, &three).await;

    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text("#import-error").unwrap().starts_with("Nothing was imported. Over the partner limit"));
    assert_eq!(snapshot(&app), before, "nothing was added");

    // Two valid rows fit exactly.
    let two = format!("{HEADER}Alpha,alpha.example,A,A,a@alpha.example,\nBeta,beta.example,B,B,b@beta.example,\n");
    let done = import(&app, &preview(&app, &two).await, true).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(partner_count(&mut app.conn(), app.enterprise_id()), 10);
    assert_eq!(app.page("/settings/partners").await.text("#partner-usage").unwrap(), "10 of 10 partners registered");
}

#[tokio::test]
async fn a_file_changed_or_outdated_since_its_preview_is_judged_again_on_import() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let csv = format!("{HEADER}Alpha,alpha.example,A,A,a@alpha.example,\nBeta,beta.example,B,B,b@beta.example,\n");
    let page = preview(&app, &csv).await;
    // Meanwhile someone registers Beta.
    PartnerFixture::new("Beta").domains(["beta.example"]).create(&app);

    let done = import(&app, &page, true).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.page("/settings/partners").await.flashes()[0],
        "1 partner added; 1 row skipped. The administrators' invitations are on their way."
    );
    assert_eq!(names_of(&app, app.enterprise_id()), ["Beta", "Alpha"]);

    // Nothing valid left: nothing imported, the rows and their reasons shown.
    let again = import_directly(&app, &csv).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.text("#import-error").unwrap(), "Nothing was imported: no row of the file can be added.");
    assert_eq!(table(&again).len(), 2);
}

#[tokio::test]
async fn hostile_files_are_refused_whole_and_change_nothing() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let before = snapshot(&app);
    let latin1 = [
        HEADER.as_bytes(),
        b"Initech,initech.example,Bill,L,bill@initech.example,\nCaf\xE9,cafe.example,A,B,a@cafe.example,\n",
    ]
    .concat();
    let many: String = (0..501).map(|i| format!("P{i},p{i}.example,A,B,a@p{i}.example,\n")).collect();
    let big_but_under_the_upload_limit = format!("{HEADER}{}", "x".repeat(1024 * 1024 + 10));
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            latin1,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The file is not UTF-8 text: line 3 has a character that can't be read.",
        ),
        (format!("{HEADER}{many}").into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "The file has more than 500 rows."),
        (
            b"name,domain,email\nA,b.example,c@b.example\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "these are missing: domains, first_name, surname.",
        ),
        (
            b"name,domains,first_name,surname,email,=cmd|' /C calc'!A0\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "columns the import does not know: =cmd|' /C calc'!A0.",
        ),
        (HEADER.as_bytes().to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "The file has no rows under its first line"),
        (Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file to import."),
        (big_but_under_the_upload_limit.into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "The file is larger than 1 MiB."),
    ];
    for (file, status, message) in cases {
        let page = preview_in(&app.browser, &file, true).await;

        assert_eq!(page.status, status, "{message}: {page}");
        let error = page.field_error("csv").unwrap_or_else(|| panic!("no error under the file field: {page}"));
        assert!(error.contains(message), "{error:?} says {message:?}");
        assert!(page.exists(r#"input[type="file"][name="csv"]"#), "the form again, to choose another file");
    }

    // 10 MiB: refused before it is read, with the import's own words.
    let huge = [HEADER.as_bytes(), &vec![b'a'; 10 * 1024 * 1024]].concat();
    let page = preview_in(&app.browser, &huge, true).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("The file is larger than 1 MiB."), "{page}");

    assert_eq!(snapshot(&app), before, "nothing was written");
}

#[tokio::test]
async fn formula_cells_are_stored_as_text_and_neutralised_in_the_csv_the_portal_writes() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let csv = "\u{FEFF}name,domains,first_name,surname,email\r\n\
               \"=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\",evil.example,@SUM(A1),-2+3,mallory@evil.example\r\n\
               +Plus Corp,plus.example,\"=1+1\",Smith,\"=x@plus.example\"\r\n";
    let page = preview(&app, csv).await;
    assert_eq!(
        table(&page)[0],
        "2 | =HYPERLINK(\"http://evil.example\",\"Click\") | evil.example | @SUM(A1) -2+3 <mallory@evil.example> | Partners | Will be added"
    );

    let done = import(&app, &page, true).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(names_of(&app, app.enterprise_id()), ["=HYPERLINK(\"http://evil.example\",\"Click\")", "+Plus Corp"]);

    let export = app.get("/settings/activity.csv").await;
    assert_eq!(export.status(), StatusCode::OK);
    let body = export.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body.as_bytes());
    let mut partner_cells = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        for cell in record.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a cell a spreadsheet would run: {cell:?}");
        }
        partner_cells.push(record[4].to_string());
    }
    assert!(partner_cells.contains(&"'=HYPERLINK(\"http://evil.example\",\"Click\")".to_string()), "{partner_cells:?}");
    assert!(partner_cells.contains(&"'+Plus Corp".to_string()), "{partner_cells:?}");
}

#[tokio::test]
async fn a_viewer_can_not_open_the_import_nor_post_a_file() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    seed_team_member(&app, app.enterprise_id(), "vic@acme.example", UserRole::Viewer);
    let viewer = app.browser_of("vic@acme.example").await;
    let csv = format!("{HEADER}Initech,initech.example,Bill,L,bill@initech.example,\n");
    let before = snapshot(&app);

    assert_eq!(viewer.page(FORM).await.status, StatusCode::FORBIDDEN);
    assert_eq!(preview_in(&viewer, csv.as_bytes(), true).await.status, StatusCode::FORBIDDEN);
    let token = viewer.page("/settings/partners").await.csrf_token();
    let content = base64::engine::general_purpose::STANDARD.encode(&csv);
    let form = multipart::Form::new().text("csrf_token", token).text("content", content);
    let r = viewer.client.post(viewer.url(FORM)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    assert!(!viewer.page("/settings/partners").await.contains("Import partners"));
    assert_eq!(snapshot(&app), before);
}

#[tokio::test]
async fn another_enterprises_names_and_domains_are_not_taken_and_its_data_is_untouched() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let (umbrella, _) = app.create_enterprise_admin("Umbrella", "ursula@umbrella.example", PASSWORD);
    PartnerFixture::new("Initech").domains(["initech.example"]).enterprise(umbrella).create(&app);
    seed_partners(&mut app.conn(), umbrella, 9);
    let csv = format!("{HEADER}Initech,initech.example,Bill,L,bill@initech.example,\n");

    let page = preview(&app, &csv).await;
    assert_eq!(
        table(&page),
        ["2 | Initech | initech.example | Bill L <bill@initech.example> | Partners | Will be added"]
    );
    let done = import(&app, &page, true).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done}");
    assert_eq!(done.location, "/settings/partners");
    assert_eq!(names_of(&app, app.enterprise_id()), ["Initech"]);
    assert_eq!(partner_count(&mut app.conn(), umbrella), 10, "Umbrella's partners are as they were");
    let ursula = app.browser_of("ursula@umbrella.example").await;
    assert_eq!(ursula.page("/settings/partners").await.text("#partner-usage").unwrap(), "10 of 10 partners registered");
}

#[tokio::test]
async fn the_import_is_reached_from_the_partners_list() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let list = app.page("/settings/partners").await;
    assert_eq!(list.link(".page-actions a", "Import partners").as_deref(), Some(FORM));

    let form = app.page(FORM).await;

    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains(r#"<label for="csv">CSV file</label>"#));
    assert!(form.contains(r#"<label for="send_invitations">Send invitation emails</label>"#));
    assert_eq!(form.form("Preview import").value("send_invitations"), Some("1"), "on by default");
}

#[tokio::test]
async fn the_group_column_places_partners_in_an_existing_group_with_its_default_access() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = crate::fixtures::seed_catalog(&mut app.conn(), app.enterprise_id());
    let r = crate::grants::post(&app, "/settings/partners/groups", &[("name", "Resellers"), ("description", "")]).await;
    let resellers: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let product = catalog.products[1].to_string();
    let r =
        crate::grants::post(&app, &format!("/settings/partners/groups/{resellers}/access"), &[("product", &product)])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Another enterprise's group of the same name is not this enterprise's.
    let (other, _) = app.create_enterprise_admin("Other Corp", "olga@other.example", PASSWORD);
    diesel::insert_into(schema::partner_groups::table)
        .values((
            schema::partner_groups::enterprise_id.eq(other),
            schema::partner_groups::name.eq("Agencies"),
            schema::partner_groups::description.eq(""),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let csv = format!(
        "{HEADER}\
         Initech,initech.example,Bill,Lumbergh,bill@initech.example,rESELLERS\n\
         Globex,globex.example,Hank,Scorpio,hank@globex.example,\n\
         Hooli,hooli.example,Gavin,Belson,gavin@hooli.example,Agencies\n"
    );

    let page = preview(&app, &csv).await;

    assert_eq!(
        table(&page),
        [
            "2 | Initech | initech.example | Bill Lumbergh <bill@initech.example> | rESELLERS | Will be added",
            "3 | Globex | globex.example | Hank Scorpio <hank@globex.example> | Partners | Will be added",
            "4 | Hooli | hooli.example | Gavin Belson <gavin@hooli.example> | Agencies | Can't be added group: No group is called “Agencies”. Create it under Groups first, or leave the cell empty to add the partner to Partners.",
        ]
    );

    let done = import(&app, &page, false).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done}");
    let placed: Vec<(String, String)> = {
        use schema::{partner_groups::dsl as g, partners::dsl as p};
        p::partners
            .inner_join(g::partner_groups.on(g::id.eq(p::group_id)))
            .filter(p::enterprise_id.eq(app.enterprise_id()))
            .order(p::id)
            .select((p::name, g::name))
            .load(&mut app.conn())
            .unwrap()
    };
    assert_eq!(placed, [("Initech".into(), "Resellers".into()), ("Globex".into(), "Partners".into())]);
    let initech: partner_portal::domain::PartnerId = schema::partners::table
        .filter(schema::partners::name.eq("Initech"))
        .select(schema::partners::id)
        .first(&mut app.conn())
        .unwrap();
    let globex: partner_portal::domain::PartnerId = schema::partners::table
        .filter(schema::partners::name.eq("Globex"))
        .select(schema::partners::id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        crate::grants::product_grants(&mut app.conn(), initech),
        [catalog.products[1]],
        "Resellers' default access"
    );
    assert!(crate::grants::product_grants(&mut app.conn(), globex).is_empty(), "Partners gives nothing");
    let products = app.page(&format!("/settings/partners/{initech}/products")).await;
    assert!(products.main_text().contains("Product Two"), "{products}");
}
