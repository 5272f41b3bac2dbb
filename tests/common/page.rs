//! `Page`: a response read like a person reads it, over `scraper`: its text, flash messages,
//! field errors, table rows, and its forms, which can be filled in and submitted like a
//! browser does (hidden fields, the CSRF token and the pressed button included).

use reqwest::StatusCode;
use scraper::{ElementRef, Html, Selector};

use super::helpers::Browser;

/// One response: status, `location` and body. Queries parse the body each time, so a
/// `Page` can be held across `.await`s.
#[derive(Clone, Debug)]
pub struct Page {
    pub status: StatusCode,
    /// The `location` header, empty when there is none.
    pub location: String,
    pub html: String,
}

/// The body, so a failing assertion can show the page with `"{page}"`.
impl std::fmt::Display for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.html)
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e:?}"))
}

/// The element's text with runs of whitespace squeezed to one space.
pub fn squeezed(e: ElementRef<'_>) -> String {
    e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Page {
    pub async fn read(r: reqwest::Response) -> Page {
        let status = r.status();
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        Page { status, location, html: r.text().await.unwrap() }
    }

    pub fn from_html(html: &str) -> Page {
        Page { status: StatusCode::OK, location: String::new(), html: html.to_string() }
    }

    fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// Whether the body holds `needle` (as markup: entities not decoded).
    pub fn contains(&self, needle: &str) -> bool {
        self.html.contains(needle)
    }

    /// Trimmed text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        self.doc().select(&selector(css)).next().map(|e| e.text().collect::<String>().trim().to_string())
    }

    /// Trimmed text of every element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.doc().select(&selector(css)).map(|e| e.text().collect::<String>().trim().to_string()).collect()
    }

    /// Whitespace-squeezed text of every element matching `css`.
    pub fn squeezed_texts(&self, css: &str) -> Vec<String> {
        self.doc().select(&selector(css)).map(squeezed).collect()
    }

    /// The text of every element matching `css` with its pieces (cells, lines broken by
    /// `<br>`) kept apart: text nodes joined by a space, whitespace squeezed.
    pub fn words(&self, css: &str) -> Vec<String> {
        self.doc()
            .select(&selector(css))
            .map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The body row (`tbody tr`) holding an element matching `css`, as a page of its own,
    /// for asking about one row of a list.
    pub fn row_with(&self, css: &str) -> Option<Page> {
        let doc = self.doc();
        let inner = selector(css);
        let row = doc.select(&selector("tbody tr")).find(|tr| tr.select(&inner).next().is_some())?;
        Some(self.fragment(row))
    }

    /// Every element matching `css`, each as a page of its own (rows and cells inside a
    /// table, so they parse), for asking the same questions of each.
    pub fn each(&self, css: &str) -> Vec<Page> {
        self.doc().select(&selector(css)).map(|e| self.fragment(e)).collect()
    }

    fn fragment(&self, e: ElementRef<'_>) -> Page {
        let html = match e.value().name() {
            "tr" => format!("<table><tbody>{}</tbody></table>", e.html()),
            "td" | "th" => format!("<table><tbody><tr>{}</tr></tbody></table>", e.html()),
            _ => e.html(),
        };
        Page { status: self.status, location: self.location.clone(), html }
    }

    /// The first piece of text of the first element matching `css`, trimmed: a cell's own
    /// label without the badges and notes after it.
    pub fn first_text(&self, css: &str) -> Option<String> {
        let doc = self.doc();
        let e = doc.select(&selector(css)).next()?;
        Some(e.text().next().unwrap_or_default().trim().to_string())
    }

    /// The `<main>` text as a person reads it (entities decoded).
    pub fn main_text(&self) -> String {
        self.text("main").unwrap_or_default()
    }

    pub fn exists(&self, css: &str) -> bool {
        self.doc().select(&selector(css)).next().is_some()
    }

    pub fn count(&self, css: &str) -> usize {
        self.doc().select(&selector(css)).count()
    }

    /// `attr` of the first element matching `css` that has it.
    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.attrs(css, attr).into_iter().next()
    }

    /// `attr` of every element matching `css` that has it.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.doc().select(&selector(css)).filter_map(|e| e.value().attr(attr).map(str::to_string)).collect()
    }

    /// The `href` of the first link matching `css` whose trimmed text is `text`.
    pub fn link(&self, css: &str, text: &str) -> Option<String> {
        self.doc()
            .select(&selector(css))
            .find(|a| a.text().collect::<String>().trim() == text)
            .and_then(|a| a.value().attr("href"))
            .map(str::to_string)
    }

    /// The texts of the flash messages (`.flash`), in order.
    pub fn flashes(&self) -> Vec<String> {
        self.texts(".flash")
    }

    /// The error shown under the field `name` (`#name-error`).
    pub fn field_error(&self, name: &str) -> Option<String> {
        self.text(&format!("#{name}-error"))
    }

    /// The first CSRF token on the page.
    pub fn csrf_token(&self) -> String {
        self.attr(r#"input[name="csrf_token"]"#, "value")
            .unwrap_or_else(|| panic!("no CSRF token in page:\n{}", self.html))
    }

    /// The cells' squeezed texts of each row of the first `table` (`tbody tr`).
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.rows_of("table")
    }

    /// The cells' squeezed texts of each body row of the table matching `table_css`.
    pub fn rows_of(&self, table_css: &str) -> Vec<Vec<String>> {
        let doc = self.doc();
        let Some(table) = doc.select(&selector(table_css)).next() else { return Vec::new() };
        let cells = selector("td, th");
        table.select(&selector("tbody tr")).map(|tr| tr.select(&cells).map(squeezed).collect()).collect()
    }

    /// The form whose submit button reads `button` (its text or value) or, when `button`
    /// starts with '/', whose action is `button`; panics naming the forms there are.
    pub fn form(&self, button: &str) -> Form {
        let doc = self.doc();
        let forms: Vec<ElementRef<'_>> = doc.select(&selector("form")).collect();
        let buttons = selector(r#"button, input[type="submit"]"#);
        for form in &forms {
            let action = form.value().attr("action").unwrap_or_default();
            let pressed = form.select(&buttons).find(|b| {
                let label = if b.value().name() == "button" {
                    squeezed(*b)
                } else {
                    b.value().attr("value").unwrap_or_default().to_string()
                };
                label == button
            });
            if pressed.is_some() || (button.starts_with('/') && action == button) {
                return Form::of(*form, pressed);
            }
        }
        let seen: Vec<String> = forms
            .iter()
            .map(|f| {
                let labels: Vec<String> = f.select(&buttons).map(squeezed).collect();
                format!("{} {labels:?}", f.value().attr("action").unwrap_or_default())
            })
            .collect();
        panic!("no form with a {button:?} button; forms: {seen:?}\n{}", self.html)
    }
}

/// A form as the browser would send it: its action, its method and its successful fields.
#[derive(Clone, Debug)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub multipart: bool,
    pub fields: Vec<(String, String)>,
}

impl Form {
    fn of(form: ElementRef<'_>, pressed: Option<ElementRef<'_>>) -> Form {
        let v = form.value();
        let mut fields = Vec::new();
        for input in form.select(&selector("input[name], textarea[name], select[name]")) {
            let e = input.value();
            let name = e.attr("name").unwrap_or_default().to_string();
            if e.attr("disabled").is_some() {
                continue;
            }
            match (e.name(), e.attr("type").unwrap_or("text")) {
                ("input", "submit" | "button" | "file" | "image" | "reset") => {}
                ("input", "checkbox" | "radio") => {
                    if e.attr("checked").is_some() {
                        fields.push((name, e.attr("value").unwrap_or("on").to_string()));
                    }
                }
                ("textarea", _) => fields.push((name, input.text().collect())),
                ("select", _) => {
                    let options: Vec<_> = input.select(&selector("option")).collect();
                    let chosen = options.iter().find(|o| o.value().attr("selected").is_some()).or(options.first());
                    if let Some(o) = chosen {
                        let value = o.value().attr("value").map(str::to_string).unwrap_or_else(|| squeezed(*o));
                        fields.push((name, value));
                    }
                }
                _ => fields.push((name, e.attr("value").unwrap_or_default().to_string())),
            }
        }
        if let Some(b) = pressed {
            if let Some(name) = b.value().attr("name") {
                fields.push((name.to_string(), b.value().attr("value").unwrap_or_default().to_string()));
            }
        }
        // A button's own `formaction` overrides the form's action, as in a browser.
        let action = pressed.and_then(|b| b.value().attr("formaction")).or(v.attr("action"));
        Form {
            action: action.unwrap_or_default().to_string(),
            method: v.attr("method").unwrap_or("get").to_ascii_lowercase(),
            multipart: v.attr("enctype") == Some("multipart/form-data"),
            fields,
        }
    }

    /// Sets the field `name` (replacing the form's own value(s) for it).
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets several fields.
    pub fn fill(self, fields: &[(&str, &str)]) -> Self {
        fields.iter().fold(self, |f, (n, v)| f.set(n, v))
    }

    /// Adds a value for `name`, keeping the others (checkboxes sharing a name).
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_string(), value.to_string()));
        self
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Sends the form from `browser`, like pressing its button.
    pub async fn submit(self, browser: &Browser) -> reqwest::Response {
        let url = browser.url(&self.action);
        let request = if self.method == "get" {
            browser.client.get(url).query(&self.fields)
        } else if self.multipart {
            let form = self.fields.into_iter().fold(reqwest::multipart::Form::new(), |f, (n, v)| f.text(n, v));
            browser.client.post(url).multipart(form)
        } else {
            browser.client.post(url).form(&self.fields)
        };
        request.send().await.unwrap()
    }
}
