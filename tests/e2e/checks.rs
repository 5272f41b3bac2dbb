//! What every page of the journey goes through: screenshots at two sizes (into
//! `screenshots/` at the repository root), axe-core (injected over WebDriver) and, at the end,
//! the Nu HTML Checker over the saved HTML of every page.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{json, Value as Json};

use super::browser::Browser;

/// Screenshot sizes: a laptop and a phone (CSS pixels; taller pages are captured in full).
pub const SIZES: &[(u32, u32, bool)] = &[(1280, 800, false), (390, 844, true)];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `e2e/node_modules/<rest>`, or a loud failure saying how to get it.
fn npm_file(rest: &str) -> PathBuf {
    let path = repo().join("e2e/node_modules").join(rest);
    assert!(
        path.is_file(),
        "\n\nE2E: {} is missing: run ./scripts/test (it runs `npm ci` in e2e/), or `cd e2e && npm ci --no-audit --no-fund --ignore-scripts`.\n",
        path.display()
    );
    path
}

struct Violation {
    id: String,
    impact: String,
    help: String,
    targets: Vec<String>,
    /// The screenshot sizes at which axe reported it.
    sizes: Vec<String>,
}

impl Violation {
    fn blocking(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

struct Page {
    stem: String,
    url: String,
    violations: Vec<Violation>,
    /// The Content-Security-Policy the page was served with (pages fetched again only).
    csp: Option<String>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    errors: usize,
    warnings: usize,
}

pub struct Recorder {
    shots: PathBuf,
    html: PathBuf,
    axe: String,
    pages: Vec<Page>,
    screenshots: usize,
    /// Time spent recording (HTML, screenshots, axe), apart from the journey itself.
    spent: std::time::Duration,
    /// Violations axe-core found on the self-test's canary page.
    canary_axe: usize,
    /// Layout problems: a page wider than the screen, a table that needs sideways scrolling
    /// on the laptop.
    layout: Vec<String>,
}

/// The file with known HTML errors that the Nu HTML Checker must report (see `self_test`).
const CANARY: &str = "00-canary.raw.html";

impl Recorder {
    /// `work` holds the saved HTML; the screenshot folders are emptied of earlier runs' PNGs.
    pub fn new(work: &Path) -> Recorder {
        let axe = fs::read_to_string(npm_file("axe-core/axe.min.js")).unwrap();
        npm_file("vnu-jar/build/dist/vnu.jar");
        let shots = repo().join("screenshots");
        for (w, h, _) in SIZES {
            let dir = shots.join(format!("{w}x{h}"));
            fs::create_dir_all(&dir).unwrap();
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                if entry.path().extension().is_some_and(|e| e == "png") {
                    fs::remove_file(entry.path()).unwrap();
                }
            }
        }
        let html = work.join("html");
        fs::create_dir_all(&html).unwrap();
        Recorder {
            shots,
            html,
            axe,
            pages: Vec::new(),
            screenshots: 0,
            spent: Default::default(),
            canary_axe: 0,
            layout: Vec::new(),
        }
    }

    /// Records the page `b` shows now: HTML (the DOM and, for a page reached by GET, the bytes
    /// the server sends), screenshots and the axe-core results. `name` becomes `NN-name`.
    pub async fn page(&mut self, b: &Browser, name: &str) {
        self.record(b, name, true).await;
    }

    /// The same for a page that answered a POST (a form shown again with its errors): only the
    /// DOM is checked, as fetching its URL again would show another page.
    pub async fn posted_page(&mut self, b: &Browser, name: &str) {
        self.record(b, name, false).await;
    }

    async fn record(&mut self, b: &Browser, name: &str, refetch: bool) {
        let started = std::time::Instant::now();
        let stem = format!("{:02}-{name}", self.pages.len() + 1);
        let url = b.path().await;

        // 1. HTML, before anything is injected. The DOM serialisation lacks the doctype.
        let doctype =
            b.execute("const d = document.doctype; return d ? '<!DOCTYPE ' + d.name + '>' : '';", vec![]).await;
        let dom = format!("{}\n{}", doctype.as_str().unwrap_or_default(), b.source().await);
        fs::write(self.html.join(format!("{stem}.dom.html")), dom).unwrap();
        let mut csp = None;
        if refetch {
            let raw = b
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     fetch(location.href, { credentials: 'same-origin', redirect: 'manual', cache: 'no-store' })
                       .then(r => r.text().then(t => done({
                          status: r.status, type: r.headers.get('content-type'),
                          csp: r.headers.get('content-security-policy'), body: t })))
                       .catch(e => done({ error: String(e) }));",
                    vec![],
                )
                .await;
            let kind = raw["type"].as_str().unwrap_or_default();
            assert!(
                raw["error"].is_null() && kind.starts_with("text/html"),
                "[{}] fetching {url} again for the HTML check gave {raw}",
                b.name
            );
            fs::write(self.html.join(format!("{stem}.raw.html")), raw["body"].as_str().unwrap_or_default()).unwrap();
            csp = Some(raw["csp"].as_str().unwrap_or_default().to_string());
        }

        // 2. Screenshots, and axe-core at each size (a table that scrolls sideways on a phone
        // is a finding only there). WebDriver scripts run outside the page's
        // Content-Security-Policy (its script-src 'self' would refuse an inline script), so
        // the check that axe loaded proves it.
        let mut violations: Vec<Violation> = Vec::new();
        for (w, h, mobile) in SIZES {
            b.emulate_full_page(*w, *h, *mobile).await;
            let overflow = b
                .execute(
                    "const out = [];
                     if (document.documentElement.scrollWidth > innerWidth + 1)
                       out.push('the page scrolls sideways (' + document.documentElement.scrollWidth + ' px wide)');
                     if (!arguments[0]) document.querySelectorAll('.table-wrap').forEach(t => {
                       if (t.scrollWidth > t.clientWidth + 1) {
                         const h = t.closest('section, .card')?.querySelector('h2, h3');
                         out.push('a table scrolls sideways (' + t.scrollWidth + ' px in ' + t.clientWidth + ')'
                                  + (h ? ' under \u{201c}' + h.textContent.trim() + '\u{201d}' : ''));
                       }
                     });
                     return out;",
                    vec![json!(mobile)],
                )
                .await;
            for problem in overflow.as_array().into_iter().flatten().filter_map(|p| p.as_str()) {
                self.layout.push(format!("{stem} at {w}x{h}: {problem}"));
            }
            let png = b.screenshot().await;
            fs::write(self.shots.join(format!("{w}x{h}")).join(format!("{stem}.png")), png).unwrap();
            self.screenshots += 1;
            for v in self.axe(b, &url).await {
                let size = format!("{w}x{h}");
                match violations.iter_mut().find(|x| x.id == v.id && x.targets == v.targets) {
                    Some(seen) => seen.sizes.push(size),
                    None => violations.push(Violation { sizes: vec![size], ..v }),
                }
            }
        }
        b.reset_viewport().await;
        self.pages.push(Page { stem, url, violations, csp });
        self.spent += started.elapsed();
    }

    /// axe-core's violations on the page as it is laid out now.
    async fn axe(&self, b: &Browser, url: &str) -> Vec<Violation> {
        let loaded = b.execute("return typeof window.axe;", vec![]).await;
        if loaded != json!("object") {
            let loaded = b.execute(&format!("{}\n;return typeof window.axe;", self.axe), vec![]).await;
            assert_eq!(loaded, json!("object"), "[{}] axe-core did not load into {url}", b.name);
        }
        let result = b
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      targets: v.nodes.map(n => n.target.join(' ') + '  ' + n.html.slice(0, 160)) }))))
                   .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await;
        let list = result.as_array().unwrap_or_else(|| panic!("[{}] axe.run failed on {url}: {result}", b.name));
        list.iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                impact: v["impact"].as_str().unwrap_or("unknown").to_string(),
                help: v["help"].as_str().unwrap_or_default().to_string(),
                targets: v["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect(),
                sizes: Vec::new(),
            })
            .collect()
    }

    /// Proves the checkers see problems before trusting their silence: axe-core on a page with
    /// known violations, and a file with known HTML errors among the ones vnu checks.
    pub async fn self_test(&mut self, b: &Browser) {
        let page = "<!doctype html><html lang=en><head><title>canary</title></head><body><main>\
                    <img src=x.png><input type=text><button></button></main></body></html>";
        b.goto(&format!("data:text/html,{}", page.replace(' ', "%20").replace('#', "%23"))).await;
        let found: Vec<String> = self.axe(b, "the canary page").await.into_iter().map(|v| v.id).collect();
        for rule in ["image-alt", "label", "button-name"] {
            assert!(
                found.contains(&rule.to_string()),
                "E2E self-test: axe-core missed {rule} on the canary page (found {found:?})"
            );
        }
        self.canary_axe = found.len();
        fs::write(
            self.html.join(CANARY),
            "<!DOCTYPE html><html><head><title>canary</title></head><body><p><div>x</p></body></html>",
        )
        .unwrap();
    }

    /// Runs the Nu HTML Checker once over every saved page, prints the summary (axe and vnu
    /// counts per page, screenshots written) and fails on any serious/critical axe violation
    /// or any HTML error.
    pub fn finish(self) {
        let started = std::time::Instant::now();
        let vnu = npm_file("vnu-jar/build/dist/vnu.jar");
        let java = std::env::var("JAVA").unwrap_or_else(|_| "java".into());
        let mut files: Vec<PathBuf> = fs::read_dir(&self.html).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        let out = Command::new(&java)
            .args(["-Xss8m", "-jar"])
            .arg(&vnu)
            .args(["--format", "json", "--stdout"])
            .args(&files)
            .output()
            .unwrap_or_else(|e| {
                panic!("\n\nE2E: cannot run `{java}` for the Nu HTML Checker: {e}. Run ./scripts/test (installs default-jre-headless) or set JAVA.\n")
            });
        let report: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "E2E: the Nu HTML Checker gave no JSON ({e}); exit {:?}\nstdout: {}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });

        // (page stem, "dom" | "raw") -> counts and error lines
        let mut counts: BTreeMap<(String, String), Counts> = BTreeMap::new();
        let mut html_errors = String::new();
        let mut canary_errors = 0;
        for m in report["messages"].as_array().into_iter().flatten() {
            let file = m["url"].as_str().unwrap_or_default();
            let base = file.rsplit('/').next().unwrap_or_default().trim_end_matches(".html");
            let (stem, kind) = base.rsplit_once('.').unwrap_or((base, "?"));
            let kind_of = (m["type"].as_str().unwrap_or_default(), m["subType"].as_str().unwrap_or_default());
            if CANARY.starts_with(stem) {
                canary_errors += usize::from(kind_of.0 == "error");
                continue;
            }
            let c = counts.entry((stem.to_string(), kind.to_string())).or_default();
            match kind_of {
                ("error", _) | ("non-document-error", _) => {
                    c.errors += 1;
                    let _ = writeln!(
                        html_errors,
                        "  {stem} ({kind}) line {}: {}\n      {}",
                        m["lastLine"],
                        m["message"].as_str().unwrap_or_default(),
                        m["extract"].as_str().unwrap_or_default().replace('\n', " ")
                    );
                }
                ("info", "warning") => c.warnings += 1,
                _ => {}
            }
        }

        let mut summary = String::from(
            "\n================ E2E: accessibility (axe-core) and HTML (Nu HTML Checker) ================\n",
        );
        let _ = writeln!(
            summary,
            "{:<36} {:>10} {:>9}   {:>16} {:>16}",
            "page", "axe ser/cri", "axe all", "vnu DOM err/warn", "vnu raw err/warn"
        );
        let (mut axe_blocking, mut axe_all, mut vnu_errors, mut vnu_warnings) = (0, 0, 0, 0);
        let mut axe_details = String::new();
        for p in &self.pages {
            let blocking = p.violations.iter().filter(|v| v.blocking()).count();
            axe_blocking += blocking;
            axe_all += p.violations.len();
            let cell = |kind: &str| -> String {
                if kind == "raw" && !files.iter().any(|f| f.ends_with(format!("{}.raw.html", p.stem))) {
                    return "(POST answer)".into();
                }
                let c = counts.get(&(p.stem.clone(), kind.to_string())).copied().unwrap_or_default();
                format!("{}/{}", c.errors, c.warnings)
            };
            let _ = writeln!(
                summary,
                "{:<36} {:>10} {:>9}   {:>16} {:>16}",
                p.stem,
                blocking,
                p.violations.len(),
                cell("dom"),
                cell("raw")
            );
            for v in &p.violations {
                let _ = writeln!(
                    axe_details,
                    "  {} ({}, at {}) [{}] {}: {}",
                    p.stem,
                    p.url,
                    v.sizes.join(" and "),
                    v.impact,
                    v.id,
                    v.help
                );
                for t in &v.targets {
                    let _ = writeln!(axe_details, "      {t}");
                }
            }
        }
        for c in counts.values() {
            vnu_errors += c.errors;
            vnu_warnings += c.warnings;
        }
        if !axe_details.is_empty() {
            let _ = write!(summary, "\naxe-core violations (page, impact, rule, nodes):\n{axe_details}");
        }
        if !self.layout.is_empty() {
            let _ = write!(summary, "\nLayout problems:\n  {}\n", self.layout.join("\n  "));
        }
        if !html_errors.is_empty() {
            let _ = write!(summary, "\nNu HTML Checker errors:\n{html_errors}");
        }
        let refetched: Vec<&Page> = self.pages.iter().filter(|p| p.csp.is_some()).collect();
        let strict =
            refetched.iter().filter(|p| p.csp.as_deref().is_some_and(|c| c.contains("script-src 'self'"))).count();
        let _ = writeln!(
            summary,
            "\nself-test: axe-core found {} violations on the canary page, vnu {canary_errors} errors in the canary file; \
             {strict} of {} pages fetched again were served with a CSP of script-src 'self', and axe-core ran in every page",
            self.canary_axe,
            refetched.len()
        );
        let _ = writeln!(
            summary,
            "pages: {}; axe violations: {axe_blocking} serious/critical, {axe_all} in all; \
             vnu over {} HTML files: {vnu_errors} errors, {vnu_warnings} warnings; layout problems: {}; \
             screenshots written: {} (screenshots/1280x800, screenshots/390x844)",
            self.pages.len(),
            files.len() - 1,
            self.layout.len(),
            self.screenshots
        );
        let _ = writeln!(
            summary,
            "time: {:.1} s recording pages (screenshots, HTML, axe), {:.1} s in the Nu HTML Checker",
            self.spent.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
        println!("{summary}");
        assert!(canary_errors > 0, "E2E self-test: the Nu HTML Checker found no error in the canary file");
        assert!(
            strict > 0,
            "E2E: no page was served with script-src 'self', so injecting axe-core past the CSP was not shown"
        );
        assert!(
            axe_blocking == 0 && vnu_errors == 0 && self.layout.is_empty(),
            "E2E: {axe_blocking} serious/critical axe-core violation(s), {vnu_errors} HTML error(s) and {} layout problem(s), listed above",
            self.layout.len()
        );
    }
}
