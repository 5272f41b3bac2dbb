//! Headless Chromium over WebDriver: one chromedriver per test on a free port, one Chromium
//! (with a fresh profile) per person, and helpers that find elements the way a person does,
//! by their labels and accessible names.

use std::{
    fs,
    future::Future,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    actions::{InputSource, KeyAction, KeyActions},
    elements::Element,
    error::CmdError,
    key::Key,
    wd::{Capabilities, WebDriverCompatibleCommand},
    Client, ClientBuilder, Locator,
};
use serde_json::{json, Value as Json};

/// How long an element or a page state is waited for before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// The viewport every browser works in (screenshots are also taken at other sizes).
pub const VIEWPORT: (u32, u32) = (1280, 800);

/// The Chromium flags of every profile (plus `--user-data-dir` and `--window-size`).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--lang=en-US",
];

fn tool(var: &str, default: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    assert!(
        path.is_file(),
        "\n\nE2E: {var}={} does not exist. The browser tests need Debian's `{package}`: run ./scripts/test \
         (it installs chromium and chromium-driver) or `apt-get install -y chromium chromium-driver`, \
         or point {var} at the binary.\n",
        path.display()
    );
    path
}

/// A chromedriver process (in its own process group, with every Chromium it starts), killed
/// when dropped, also when the test panics.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
    work: PathBuf,
    log: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port under `work` (profiles and log go there); panics with
    /// a clear message if it can't.
    pub async fn start(work: &Path) -> Driver {
        use std::os::unix::process::CommandExt;
        let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver", "chromium-driver");
        let chromium = tool("CHROMIUM", "/usr/bin/chromium", "chromium");
        fs::create_dir_all(work).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = work.join("chromedriver.log");
        let log_file = fs::File::create(&log).unwrap();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("\n\nE2E: cannot start {}: {e}\n", chromedriver.display()));
        let mut driver =
            Driver { child, url: format!("http://127.0.0.1:{port}/"), chromium, work: work.to_path_buf(), log };

        let status_url = format!("{}status", driver.url);
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(Some(code)) = driver.child.try_wait() {
                panic!("\n\nE2E: chromedriver exited at start ({code}):\n{}\n", driver.log_tail());
            }
            if let Ok(r) = client.get(&status_url).send().await {
                if r.text().await.unwrap_or_default().contains("\"ready\":true") {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "\n\nE2E: chromedriver did not become ready on {status_url} within 20 s:\n{}\n",
                driver.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A new Chromium with a fresh profile, for one person, working on `base` (the portal).
    pub async fn browser(&self, name: &str, base: &str) -> Browser {
        let profile = self.work.join(format!("profile-{name}"));
        fs::create_dir_all(&profile).unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1));
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("pageLoadStrategy".into(), json!("normal"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.chromium,
                "args": args,
                "prefs": { "credentials_enable_service": false, "profile.password_manager_enabled": false },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps);
        let connecting = builder.connect(&self.url);
        let client = match tokio::time::timeout(Duration::from_secs(60), connecting).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "\n\nE2E: Chromium ({}) did not start for {name}: {e}\nchromedriver log:\n{}\n",
                self.chromium.display(),
                self.log_tail()
            ),
            Err(_) => panic!(
                "\n\nE2E: Chromium did not start for {name} within 60 s\nchromedriver log:\n{}\n",
                self.log_tail()
            ),
        };
        let b = Browser { name: name.to_string(), client, base: base.trim_end_matches('/').to_string() };
        b.emulate(VIEWPORT.0, VIEWPORT.1, false).await;
        b
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium (and its helpers) it started.
        let pgid = self.child.id();
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "E2E: the browser profiles, chromedriver.log and the saved HTML are kept in {}",
                self.work.display()
            );
        }
    }
}

/// A WebDriver command fantoccini has no method for (Chrome DevTools, computed label).
#[derive(Debug)]
struct Raw {
    method: http::Method,
    /// After `session/{id}/`.
    path: String,
    body: Option<Json>,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(&self, base: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session_id.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (self.method.clone(), self.body.as_ref().map(|b| b.to_string()))
    }
}

/// An XPath string literal for any text (quotes of both kinds included).
pub fn lit(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct Browser {
    pub name: String,
    pub client: Client,
    base: String,
}

impl Browser {
    fn ok<T>(&self, what: &str, r: Result<T, CmdError>) -> T {
        r.unwrap_or_else(|e| panic!("[{}] {what}: {e}", self.name))
    }

    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with('/') { format!("{}{}", self.base, path) } else { path.to_string() };
        let r = self.client.goto(&url).await;
        self.ok(&format!("open {url}"), r);
    }

    pub async fn refresh(&self) {
        self.mark_page().await;
        let r = self.client.refresh().await;
        self.ok("reload", r);
        self.wait_new_page("reload").await;
    }

    /// Path and query of the current page.
    pub async fn path(&self) -> String {
        let r = self.client.current_url().await;
        let url = self.ok("current url", r);
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the current path satisfies `pred` (after a click or key press that navigates).
    pub async fn wait_path(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let ready = self.client.execute("return document.readyState", vec![]).await;
            let path = self.path().await;
            if pred(&path) && matches!(ready, Ok(Json::String(ref s)) if s == "complete") {
                return path;
            }
            if start.elapsed() > WAIT {
                panic!("[{}] expected to be on {what}, still on {path} ({})", self.name, self.heading().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_path_is(&self, expected: &str) {
        self.wait_path(expected, |p| p == expected).await;
    }

    /// Waits until `check` is true (polling), failing with `what`.
    pub async fn wait_until<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let start = Instant::now();
        while !check().await {
            if start.elapsed() > WAIT {
                panic!(
                    "[{}] gave up waiting for {what} on {} ({})",
                    self.name,
                    self.path().await,
                    self.heading().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's `<h1>`, for messages and checks.
    pub async fn heading(&self) -> String {
        match self.client.find(Locator::Css("h1")).await {
            Ok(h) => h.text().await.unwrap_or_default(),
            Err(_) => String::from("no h1"),
        }
    }

    /// The visible text of the one element matching the CSS `selector`.
    pub async fn text_of(&self, selector: &str) -> String {
        let r = self.client.find(Locator::Css(selector)).await;
        let el = self.ok(&format!("find {selector}"), r);
        let r = el.text().await;
        self.ok(&format!("text of {selector}"), r).trim().to_string()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        let r = self.client.find(Locator::Css("body")).await;
        let body = self.ok("find body", r);
        let r = body.text().await;
        self.ok("body text", r)
    }

    pub async fn expect_text(&self, needle: &str) {
        let text = self.text().await;
        assert!(
            text.contains(needle),
            "[{}] expected {needle:?} on {} ({}); the page says:\n{text}",
            self.name,
            self.path().await,
            self.heading().await
        );
    }

    pub async fn expect_no_text(&self, needle: &str) {
        let text = self.text().await;
        assert!(!text.contains(needle), "[{}] did not expect {needle:?} on {}:\n{text}", self.name, self.path().await);
    }

    /// All elements matching `xpath` (no waiting).
    pub async fn all(&self, xpath: &str) -> Vec<Element> {
        let r = self.client.find_all(Locator::XPath(xpath)).await;
        self.ok(&format!("find {xpath}"), r)
    }

    /// The one element matching `xpath`, waiting for it to appear; several visible matches
    /// fail the test (an accessible name must say which one).
    async fn unique(&self, xpath: &str, what: &str) -> Element {
        let start = Instant::now();
        loop {
            let mut found = self.all(xpath).await;
            if found.len() > 1 {
                let mut shown = Vec::new();
                for e in found {
                    if e.is_displayed().await.unwrap_or(false) {
                        shown.push(e);
                    }
                }
                found = shown;
            }
            match found.len() {
                1 => return found.remove(0),
                0 if start.elapsed() < WAIT => tokio::time::sleep(Duration::from_millis(50)).await,
                0 => panic!("[{}] no {what} on {} ({})", self.name, self.path().await, self.heading().await),
                n => panic!("[{}] {n} elements are {what} on {}: ambiguous", self.name, self.path().await),
            }
        }
    }

    /// The accessible name Chromium computes for `el` (WebDriver "Get Computed Label").
    pub async fn accessible_name(&self, el: &Element) -> String {
        let cmd =
            Raw { method: http::Method::GET, path: format!("element/{}/computedlabel", el.element_id()), body: None };
        let r = self.client.issue_cmd(cmd).await;
        squash(self.ok("computed label", r).as_str().unwrap_or_default())
    }

    /// The one displayed element among `xpath`'s matches whose computed accessible name is
    /// `name`, waiting for it to appear. For controls whose text carries a decoration hidden
    /// from assistive technology (a step's check mark, a "?"), which XPath's text can't skip.
    async fn unique_named(&self, xpath: &str, name: &str, what: &str) -> Element {
        let start = Instant::now();
        let wanted = squash(name);
        loop {
            let mut found = Vec::new();
            for e in self.all(xpath).await {
                if e.is_displayed().await.unwrap_or(false) && self.accessible_name(&e).await == wanted {
                    found.push(e);
                }
            }
            match found.len() {
                1 => return found.remove(0),
                0 if start.elapsed() < WAIT => tokio::time::sleep(Duration::from_millis(50)).await,
                0 => panic!("[{}] no {what} on {} ({})", self.name, self.path().await, self.heading().await),
                n => panic!("[{}] {n} elements are {what} on {}: ambiguous", self.name, self.path().await),
            }
        }
    }

    async fn expect_name(&self, el: &Element, name: &str, what: &str) {
        let computed = self.accessible_name(el).await;
        assert_eq!(computed, squash(name), "[{}] the accessible name of {what} on {}", self.name, self.path().await);
    }

    /// The form control labelled `label`: the `<label>` with exactly that text, then the
    /// control its `for` points at (or the one inside it). Its computed accessible name must
    /// be the label's text too.
    pub async fn field(&self, label: &str) -> Element {
        let el = self.label_target(label).await;
        self.expect_name(&el, label, &format!("the field labelled {label:?}")).await;
        el
    }

    async fn label_target(&self, label: &str) -> Element {
        let what = format!("label {label:?}");
        let l = self.unique(&format!("//label[normalize-space(.)={}]", lit(label)), &what).await;
        let r = l.attr("for").await;
        match self.ok("label for", r) {
            Some(id) => {
                let r = self.client.find(Locator::XPath(&format!("//*[@id={}]", lit(&id)))).await;
                r.unwrap_or_else(|e| panic!("[{}] the {what} points at #{id}, which is missing: {e}", self.name))
            }
            None => {
                let r = l.find(Locator::XPath(".//input|.//select|.//textarea")).await;
                r.unwrap_or_else(|e| panic!("[{}] the {what} has no `for` and no control inside: {e}", self.name))
            }
        }
    }

    /// The button whose accessible name is `name`.
    pub async fn button(&self, name: &str) -> Element {
        let n = lit(name);
        let xpath = format!(
            "//button[normalize-space(.)={n} or @aria-label={n}] | //input[@type='submit' or @type='button'][@value={n}]"
        );
        let el = self.unique(&xpath, &format!("button {name:?}")).await;
        self.expect_name(&el, name, &format!("button {name:?}")).await;
        el
    }

    /// The link whose accessible name is `name`.
    pub async fn link(&self, name: &str) -> Element {
        let n = lit(name);
        let xpath = format!("//a[@href][contains(normalize-space(.), {n}) or @aria-label={n}]");
        self.unique_named(&xpath, name, &format!("link {name:?}")).await
    }

    /// A link of the main menu (the navigation landmark named "Main menu").
    pub async fn menu_link(&self, name: &str) -> Element {
        let xpath = format!("//nav[@aria-label='Main menu']//a[normalize-space(.)={}]", lit(name));
        let el = self.unique(&xpath, &format!("main menu link {name:?}")).await;
        self.expect_name(&el, name, &format!("main menu link {name:?}")).await;
        el
    }

    pub async fn menu_links(&self) -> Vec<String> {
        let mut names = Vec::new();
        for a in self.all("//nav[@aria-label='Main menu']//a").await {
            names.push(self.accessible_name(&a).await);
        }
        names
    }

    /// A tab: a link of a named navigation inside the main content (partner sections,
    /// wizard steps, catalog sections), or an element with the tab role.
    pub async fn tab(&self, name: &str) -> Element {
        let n = lit(name);
        let xpath = format!(
            "//main//nav[@aria-label]//a[contains(normalize-space(.), {n})] | //*[@role='tab'][contains(normalize-space(.), {n})]"
        );
        self.unique_named(&xpath, name, &format!("tab {name:?}")).await
    }

    /// Marks the current document, so that [`Browser::wait_new_page`] can tell it was replaced.
    async fn mark_page(&self) {
        self.execute("window.__ppOldPage = true; return null;", vec![]).await;
    }

    /// Waits until the marked document was replaced by a new one that finished loading.
    async fn wait_new_page(&self, what: &str) {
        let start = Instant::now();
        loop {
            let state =
                self.client.execute("return window.__ppOldPage === true ? 'old' : document.readyState;", vec![]).await;
            if matches!(state, Ok(Json::String(ref s)) if s == "complete") {
                return;
            }
            if start.elapsed() > WAIT {
                panic!("[{}] {what} did not lead to a new page (still {})", self.name, self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// Clicks `el` (a button or link that leads to another page) and waits for that page.
    pub async fn click(&self, el: Element, what: &str) {
        self.mark_page().await;
        let r = el.click().await;
        self.ok(&format!("click {what}"), r);
        self.wait_new_page(&format!("clicking {what}")).await;
    }

    pub async fn click_button(&self, name: &str) {
        let el = self.button(name).await;
        self.click(el, name).await;
    }

    pub async fn click_link(&self, name: &str) {
        let el = self.link(name).await;
        self.click(el, name).await;
    }

    pub async fn click_tab(&self, name: &str) {
        let el = self.tab(name).await;
        self.click(el, name).await;
    }

    pub async fn click_menu(&self, name: &str) {
        let el = self.menu_link(name).await;
        self.click(el, name).await;
    }

    /// Ticks the checkbox labelled `label` (leaves it ticked if it already is).
    pub async fn tick(&self, label: &str) {
        let el = self.field(label).await;
        if !self.ok("is selected", el.is_selected().await) {
            let r = el.click().await;
            self.ok(&format!("tick {label}"), r);
        }
        assert!(self.ok("is selected", el.is_selected().await), "[{}] {label} is ticked", self.name);
    }

    /// Types `value` into the field labelled `label` (emptied first).
    pub async fn fill(&self, label: &str, value: &str) {
        let el = self.field(label).await;
        let r = el.clear().await;
        self.ok(&format!("clear {label}"), r);
        let r = el.send_keys(value).await;
        self.ok(&format!("type into {label}"), r);
    }

    pub async fn select(&self, label: &str, option: &str) {
        let el = self.field(label).await;
        let r = el.select_by_label(option).await;
        self.ok(&format!("choose {option} in {label}"), r);
    }

    // ---- keyboard ------------------------------------------------------------------------

    async fn keys(&self, actions: KeyActions) {
        let r = self.client.perform_actions(actions).await;
        self.ok("key actions", r);
    }

    /// Presses Enter to submit a form (or follow a link) and waits for the next page.
    pub async fn press_enter_for_new_page(&self) {
        self.mark_page().await;
        self.press(Key::Enter).await;
        self.wait_new_page("Enter").await;
    }

    pub async fn press(&self, key: Key) {
        let c = char::from(key);
        self.keys(
            KeyActions::new("keyboard".into()).then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c }),
        )
        .await;
    }

    /// Types `text` key by key into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for c in text.chars() {
            actions = actions.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.keys(actions).await;
    }

    /// Ctrl+A, Backspace: empties the focused text field.
    pub async fn clear_focused(&self) {
        let (ctrl, bs) = (char::from(Key::Control), char::from(Key::Backspace));
        self.keys(
            KeyActions::new("keyboard".into())
                .then(KeyAction::Down { value: ctrl })
                .then(KeyAction::Down { value: 'a' })
                .then(KeyAction::Up { value: 'a' })
                .then(KeyAction::Up { value: ctrl })
                .then(KeyAction::Down { value: bs })
                .then(KeyAction::Up { value: bs }),
        )
        .await;
    }

    pub async fn focused_is(&self, el: &Element) -> bool {
        match self.client.active_element().await {
            Ok(active) => active.element_id().to_string() == el.element_id().to_string(),
            Err(_) => false,
        }
    }

    /// Presses Tab until `el` has the focus (as a keyboard user would); fails if it never does.
    pub async fn tab_to(&self, el: &Element, what: &str) {
        for _ in 0..80 {
            if self.focused_is(el).await {
                return;
            }
            self.press(Key::Tab).await;
        }
        panic!("[{}] Tab never reached {what} on {}", self.name, self.path().await);
    }

    // ---- scripts, DevTools, screenshots ----------------------------------------------------

    pub async fn execute(&self, script: &str, args: Vec<Json>) -> Json {
        let r = self.client.execute(script, args).await;
        self.ok("execute script", r)
    }

    pub async fn execute_async(&self, script: &str, args: Vec<Json>) -> Json {
        let r = self.client.execute_async(script, args).await;
        self.ok("execute async script", r)
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Json) -> Json {
        let raw = Raw {
            method: http::Method::POST,
            path: "goog/cdp/execute".into(),
            body: Some(json!({ "cmd": cmd, "params": params })),
        };
        let r = self.client.issue_cmd(raw).await;
        self.ok(cmd, r)
    }

    /// Makes the viewport exactly `width`×`height` CSS pixels (a phone when `mobile`).
    pub async fn emulate(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await;
    }

    /// Lays the page out at `width`×`height` (a phone when `mobile`), grown to the page's full
    /// height so that a screenshot shows all of it, as on a very tall screen.
    pub async fn emulate_full_page(&self, width: u32, height: u32, mobile: bool) {
        self.emulate(width, height, mobile).await;
        let mut full = height;
        for _ in 0..3 {
            let h = self
                .execute("return Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));", vec![])
                .await
                .as_u64()
                .unwrap_or(height as u64) as u32;
            if h <= full {
                break;
            }
            full = h.min(16_000);
            self.emulate(width, full, mobile).await;
        }
    }

    /// A PNG of the viewport as it is laid out now.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let shot = self.cdp("Page.captureScreenshot", json!({ "format": "png" })).await;
        let data = shot["data"].as_str().unwrap_or_else(|| panic!("[{}] no screenshot data: {shot}", self.name));
        base64::engine::general_purpose::STANDARD.decode(data).unwrap()
    }

    /// Back to the working viewport.
    pub async fn reset_viewport(&self) {
        self.emulate(VIEWPORT.0, VIEWPORT.1, false).await;
    }

    /// The DOM as the browser has it (WebDriver "Get Page Source").
    pub async fn source(&self) -> String {
        let r = self.client.source().await;
        self.ok("page source", r)
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
