//! Catalog (enterprise admins): `/catalog` lists the enterprise's Products, `/catalog/apis`
//! its APIs and `/catalog/environments` its Environments, each tab one statement whatever the
//! size of the catalog. Creating, editing, archiving and deleting live in `catalog_products`,
//! `catalog_apis` and `catalog_environments`; the validation and audit they share is here.

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::PgConnection;

use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, audit, catalog},
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

pub const MENU_KEY: &str = "catalog";

pub const NAME_MAX: usize = 100;
pub const ENVIRONMENT_NAME_MAX: usize = 60;
pub const DESCRIPTION_MAX: usize = 500;
pub const BASE_PATH_MAX: usize = 200;
pub const POSITION_MAX: i32 = 1000;

// ---- the three tabs ------------------------------------------------------------------------

pub struct ProductView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub partners: i64,
}

pub struct ApiView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub base_path: String,
    pub archived: bool,
    pub partners: i64,
    pub environments: Vec<String>,
}

#[derive(Template)]
#[template(path = "catalog/products/list.html")]
struct ProductsPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    products: Vec<ProductView>,
}

#[derive(Template)]
#[template(path = "catalog/apis/list.html")]
struct ApisPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    apis: Vec<ApiView>,
}

#[derive(Template)]
#[template(path = "catalog/environments/list.html")]
struct EnvironmentsPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    environments: Vec<catalog::EnvironmentRow>,
}

pub async fn products_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(catalog::product_rows(conn, enterprise_id)?)).await?;
    let products = rows
        .into_iter()
        .map(|r| ProductView {
            archived: r.archived_at.is_some(),
            id: r.id,
            name: r.name,
            description: r.description,
            partners: r.partners,
        })
        .collect();
    Ok(render(&ProductsPage {
        layout: user.layout("Catalog · Products", MENU_KEY)?,
        tab: "products",
        enterprise_name: user.user.enterprise_name.clone(),
        products,
    }))
}

pub async fn apis_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(catalog::api_rows(conn, enterprise_id)?)).await?;
    let apis = rows
        .into_iter()
        .map(|r| ApiView {
            archived: r.archived_at.is_some(),
            id: r.id,
            name: r.name,
            description: r.description,
            base_path: r.base_path,
            partners: r.partners,
            environments: r.environments,
        })
        .collect();
    Ok(render(&ApisPage {
        layout: user.layout("Catalog · APIs", MENU_KEY)?,
        tab: "apis",
        enterprise_name: user.user.enterprise_name.clone(),
        apis,
    }))
}

pub async fn environments_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let environments = db::run(&state.pool, move |conn| Ok(catalog::environment_rows(conn, enterprise_id)?)).await?;
    Ok(render(&EnvironmentsPage {
        layout: user.layout("Catalog · Environments", MENU_KEY)?,
        tab: "environments",
        enterprise_name: user.user.enterprise_name.clone(),
        environments,
    }))
}

// ---- shared by the forms ---------------------------------------------------------------------

/// "1 partner", "3 partners".
pub fn partners_phrase(n: i64) -> String {
    if n == 1 {
        "1 partner".to_string()
    } else {
        format!("{n} partners")
    }
}

/// The 409 a delete of something still granted gets.
pub fn granted_conflict(name: &str, partners: i64) -> AppError {
    AppError::Conflict(format!("“{name}” is granted to {}; archive it instead.", partners_phrase(partners)))
}

/// Invisible or direction-changing characters that have no place in a catalog name.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}'..='\u{200F}' | '\u{2028}'..='\u{2029}'
                | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// A name: trimmed, 1 to `max` characters, nothing hidden.
pub fn parse_name(raw: &str, max: usize) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Enter a name.".into());
    }
    if name.chars().take(max + 1).count() > max {
        return Err(format!("The name can be at most {max} characters long."));
    }
    if name.chars().any(is_hidden) {
        return Err("Remove the hidden or control characters (such as line breaks) from the name.".into());
    }
    Ok(name.to_string())
}

/// A description: trimmed, line breaks kept (as `\n`), at most 500 characters.
pub fn parse_description(raw: &str) -> Result<String, String> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.chars().take(DESCRIPTION_MAX + 1).count() > DESCRIPTION_MAX {
        return Err(format!("The description can be at most {DESCRIPTION_MAX} characters long."));
    }
    if text.chars().any(|c| c != '\n' && c != '\t' && is_hidden(c)) {
        return Err("Remove the hidden or control characters from the description.".into());
    }
    Ok(text.to_string())
}

/// An API's base path: optional; otherwise `/` followed by printable characters, no spaces.
pub fn parse_base_path(raw: &str) -> Result<String, String> {
    let path = raw.trim();
    if path.is_empty() {
        return Ok(String::new());
    }
    if path.chars().take(BASE_PATH_MAX + 1).count() > BASE_PATH_MAX {
        return Err(format!("The base path can be at most {BASE_PATH_MAX} characters long."));
    }
    if !path.starts_with('/') || path.starts_with("//") {
        return Err("Start the base path with a single “/”, like /payments/v2.".into());
    }
    if path.chars().any(|c| c.is_whitespace() || is_hidden(c) || matches!(c, '?' | '#' | '\\')) {
        return Err("The base path can't contain spaces, “?”, “#” or “\\”.".into());
    }
    Ok(path.to_string())
}

/// An environment's position: a whole number from 0 to 1000 (lower comes first).
pub fn parse_position(raw: &str) -> Result<i32, String> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| (0..=POSITION_MAX).contains(p))
        .ok_or_else(|| format!("Enter a whole number from 0 to {POSITION_MAX}."))
}

/// One catalog audit event (never about a partner).
pub fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    action: crate::domain::AuditAction,
    target: String,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: None,
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            action,
            target: &target,
            details,
        },
    )?;
    Ok(())
}

/// `{"name": {"from": …, "to": …}, …}` for the fields that changed.
pub fn changes(pairs: &[(&str, &str, &str)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (field, from, to) in pairs {
        if from != to {
            map.insert((*field).to_string(), serde_json::json!({ "from": from, "to": to }));
        }
    }
    serde_json::Value::Object(map)
}

/// True when a database error is the unique index on the name (a concurrent save won).
pub fn is_unique_violation(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Database(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
    )
}

/// True when a delete was refused by a grant's foreign key (a concurrent grant won).
pub fn is_foreign_key_violation(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _
        ))
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Payments Hub ", NAME_MAX).unwrap(), "Payments Hub");
        assert!(parse_name("   ", NAME_MAX).is_err());
        assert!(parse_name(&"x".repeat(101), NAME_MAX).is_err());
        assert!(parse_name(&"x".repeat(100), NAME_MAX).is_ok());
        assert!(parse_name("a\nb", NAME_MAX).is_err());
        assert!(parse_name("a\u{202E}b", NAME_MAX).is_err());
    }

    #[test]
    fn descriptions_keep_line_breaks_and_refuse_other_controls() {
        assert_eq!(parse_description(" one\r\ntwo ").unwrap(), "one\ntwo");
        assert!(parse_description("bell\u{7}").is_err());
        assert!(parse_description(&"é".repeat(501)).is_err());
        assert!(parse_description(&"é".repeat(500)).is_ok());
    }

    #[test]
    fn base_paths_start_with_a_slash_and_have_no_spaces() {
        assert_eq!(parse_base_path(" /payments/v2 ").unwrap(), "/payments/v2");
        assert_eq!(parse_base_path("").unwrap(), "");
        assert!(parse_base_path("payments").is_err());
        assert!(parse_base_path("//evil.example").is_err());
        assert!(parse_base_path("/a b").is_err());
    }

    #[test]
    fn positions_are_small_whole_numbers() {
        assert_eq!(parse_position(" 3 ").unwrap(), 3);
        assert!(parse_position("-1").is_err());
        assert!(parse_position("1001").is_err());
        assert!(parse_position("two").is_err());
    }
}
