//! End to end in a real browser: headless Chromium (Debian's `chromium`), driven through
//! WebDriver (`chromedriver`, started by the test on a free port) with fantoccini.
//!
//! One test walks the whole journey of SPEC §1–§7 as people would, finding every control by
//! its label or accessible name (SPEC §9), each person in a browser profile of their own.
//! Every page on the way is
//! * photographed at 1280×800 and 390×844 into `screenshots/` (git-ignored),
//! * checked with axe-core at both sizes (from `e2e/node_modules`, injected over WebDriver,
//!   which the pages' CSP does not stop): any serious or critical violation fails the test,
//! * checked for layout overflow: a page wider than the screen, or a table that needs
//!   sideways scrolling at 1280 px, fails the test,
//! * saved (the DOM, and for pages reached by GET also the HTML the server sends) and, at
//!   the end, checked with the Nu HTML Checker (`vnu.jar`, one JVM for all pages): any error
//!   fails the test.
//!
//! A self-test first shows that axe-core and vnu do report known problems, so that their
//! silence means something.
//!
//! ./scripts/test installs what it needs (chromium, chromium-driver, Java, `npm ci` in e2e/);
//! when the browser, the driver or the tools are missing the test fails, it never skips.
//! Its own test target (`cargo test --test e2e`), so that `cargo test --test api` stays quick;
//! `cargo test --all-targets` (./scripts/test) runs it. Run it alone with
//! `./scripts/test --test e2e -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
use common::{fixtures, helpers, smtp};

mod browser;
mod checks;
mod journey;
