//! The catalog's validated fields (names, descriptions, base paths, positions) and the one kind
//! of item, product or API, that is archived, unarchived, renamed and deleted the same way.

use std::fmt;

use super::chars::is_control_or_bidi;
use super::ids::{ApiId, ProductId};
use super::AuditAction;

// ---- validated fields --------------------------------------------------------------------------

/// Why a name was refused; the text is shown next to the *Name* field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter a name.")]
    Empty,
    #[error("The name can be at most {0} characters long.")]
    TooLong(usize),
    #[error("Remove the hidden or control characters (such as line breaks) from the name.")]
    Hidden,
}

/// A name: trimmed, 1 to `max` characters, nothing hidden.
fn parse_name(raw: &str, max: usize) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    // Stop counting past the limit, so huge input is cheap.
    if name.chars().take(max + 1).count() > max {
        return Err(NameError::TooLong(max));
    }
    if name.chars().any(is_control_or_bidi) {
        return Err(NameError::Hidden);
    }
    Ok(name.to_owned())
}

/// A product's or an API's name: trimmed, 1 to 100 characters, nothing hidden. Unique within
/// the enterprise ignoring case (the database's `*_name_ci` indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogName(String);

impl CatalogName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        parse_name(raw, Self::MAX).map(CatalogName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An environment's name: trimmed, 1 to 60 characters, nothing hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentName(String);

impl EnvironmentName {
    pub const MAX: usize = 60;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        parse_name(raw, Self::MAX).map(EnvironmentName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An application's or a gateway credential's name (SPEC §18): trimmed, 1 to 80 characters,
/// nothing hidden. An application's is unique within its partnership ignoring case (the
/// `partner_applications_name_ci` index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName(String);

impl ClientName {
    pub const MAX: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        parse_name(raw, Self::MAX).map(ClientName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("The description can be at most 500 characters long.")]
    TooLong,
    #[error("Remove the hidden or control characters from the description.")]
    Hidden,
}

/// A description: trimmed, line breaks kept (as `\n`), at most 500 characters; may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, DescriptionError> {
        let text = raw.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.chars().take(Self::MAX + 1).count() > Self::MAX {
            return Err(DescriptionError::TooLong);
        }
        if text.chars().any(|c| c != '\n' && c != '\t' && is_control_or_bidi(c)) {
            return Err(DescriptionError::Hidden);
        }
        Ok(Description(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasePathError {
    #[error("The base path can be at most 200 characters long.")]
    TooLong,
    #[error("Start the base path with a single “/”, like /payments/v2.")]
    NoLeadingSlash,
    #[error("The base path can't contain spaces, “?”, “#” or “\\”.")]
    BadCharacter,
}

/// An API's base path: empty, or `/` followed by printable characters without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePath(String);

impl BasePath {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, BasePathError> {
        let path = raw.trim();
        if path.is_empty() {
            return Ok(BasePath(String::new()));
        }
        if path.chars().take(Self::MAX + 1).count() > Self::MAX {
            return Err(BasePathError::TooLong);
        }
        // "//host" would read as a link to another site.
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(BasePathError::NoLeadingSlash);
        }
        if path.chars().any(|c| c.is_whitespace() || is_control_or_bidi(c) || matches!(c, '?' | '#' | '\\')) {
            return Err(BasePathError::BadCharacter);
        }
        Ok(BasePath(path.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter a whole number from 0 to 1000.")]
pub struct PositionError;

/// Where an environment is listed: a whole number from 0 to 1000, lower first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(i32);

impl Position {
    pub const MAX: i32 = 1000;

    pub fn parse(raw: &str) -> Result<Self, PositionError> {
        raw.trim().parse::<i32>().ok().filter(|p| (0..=Self::MAX).contains(p)).map(Position).ok_or(PositionError)
    }

    pub const fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

// ---- products and APIs as one kind of item -----------------------------------------------------

/// The two kinds of catalog item partners are granted. Everything the shared archive,
/// unarchive and delete flow says or writes differently for them is here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Product,
    Api,
}

/// What happened to an item, as the activity history names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemEvent {
    Created,
    Updated,
    Archived,
    Unarchived,
    Deleted,
}

impl ItemKind {
    /// In running text: "the product", "the API".
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Product => "product",
            ItemKind::Api => "API",
        }
    }

    /// At the start of a sentence and in audit targets: "Product", "API".
    pub fn title(self) -> &'static str {
        match self {
            ItemKind::Product => "Product",
            ItemKind::Api => "API",
        }
    }

    /// Its tab of the Catalog, where its forms return to.
    pub fn list_path(self) -> &'static str {
        match self {
            ItemKind::Product => "/catalog",
            ItemKind::Api => "/catalog/apis",
        }
    }

    /// Where one item's pages live: `{path}/{id}/edit`, `{path}/{id}/delete`, …
    pub fn path(self) -> &'static str {
        match self {
            ItemKind::Product => "/catalog/products",
            ItemKind::Api => "/catalog/apis",
        }
    }

    /// The unique index on `(enterprise_id, lower(name))` (migration 000002).
    pub fn name_index(self) -> &'static str {
        match self {
            ItemKind::Product => "products_name_ci",
            ItemKind::Api => "apis_name_ci",
        }
    }

    /// The audit action recorded for `event`.
    pub fn action(self, event: ItemEvent) -> AuditAction {
        use ItemEvent::*;
        match (self, event) {
            (ItemKind::Product, Created) => AuditAction::CatalogProductCreated,
            (ItemKind::Product, Updated) => AuditAction::CatalogProductUpdated,
            (ItemKind::Product, Archived) => AuditAction::CatalogProductArchived,
            (ItemKind::Product, Unarchived) => AuditAction::CatalogProductUnarchived,
            (ItemKind::Product, Deleted) => AuditAction::CatalogProductDeleted,
            (ItemKind::Api, Created) => AuditAction::CatalogApiCreated,
            (ItemKind::Api, Updated) => AuditAction::CatalogApiUpdated,
            (ItemKind::Api, Archived) => AuditAction::CatalogApiArchived,
            (ItemKind::Api, Unarchived) => AuditAction::CatalogApiUnarchived,
            (ItemKind::Api, Deleted) => AuditAction::CatalogApiDeleted,
        }
    }

    /// "Product Payments Hub": how the activity history names one item.
    pub fn target(self, name: &str) -> String {
        format!("{} {name}", self.title())
    }

    /// "Another product is already called “X”. Choose a different name."
    pub fn name_taken(self, name: &str) -> String {
        format!("Another {} is already called “{name}”. Choose a different name.", self.label())
    }
}

/// A product's or an API's id: the kind travels with it, so a product id can't be used on
/// the APIs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemId {
    Product(ProductId),
    Api(ApiId),
}

impl ItemId {
    pub fn kind(self) -> ItemKind {
        match self {
            ItemId::Product(_) => ItemKind::Product,
            ItemId::Api(_) => ItemKind::Api,
        }
    }

    pub fn get(self) -> i64 {
        match self {
            ItemId::Product(id) => id.get(),
            ItemId::Api(id) => id.get(),
        }
    }
}

impl From<ProductId> for ItemId {
    fn from(id: ProductId) -> Self {
        ItemId::Product(id)
    }
}

impl From<ApiId> for ItemId {
    fn from(id: ApiId) -> Self {
        ItemId::Api(id)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(CatalogName::parse("  Payments Hub ").unwrap().as_str(), "Payments Hub");
        assert_eq!(CatalogName::parse("   "), Err(NameError::Empty));
        assert_eq!(CatalogName::parse(&"x".repeat(101)), Err(NameError::TooLong(100)));
        assert!(CatalogName::parse(&"x".repeat(100)).is_ok());
        assert_eq!(CatalogName::parse("a\nb"), Err(NameError::Hidden));
        assert_eq!(CatalogName::parse("a\u{202E}b"), Err(NameError::Hidden));
        assert!(EnvironmentName::parse(&"x".repeat(60)).is_ok());
        assert!(ClientName::parse(&"x".repeat(80)).is_ok());
        assert_eq!(ClientName::parse(&"x".repeat(81)), Err(NameError::TooLong(80)));
        assert_eq!(
            EnvironmentName::parse(&"x".repeat(61)).unwrap_err().to_string(),
            "The name can be at most 60 characters long."
        );
    }

    #[test]
    fn descriptions_keep_line_breaks_and_refuse_other_controls() {
        assert_eq!(Description::parse(" one\r\ntwo ").unwrap().as_str(), "one\ntwo");
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert_eq!(Description::parse("bell\u{7}"), Err(DescriptionError::Hidden));
        assert_eq!(Description::parse(&"é".repeat(501)), Err(DescriptionError::TooLong));
        assert!(Description::parse(&"é".repeat(500)).is_ok());
    }

    #[test]
    fn base_paths_start_with_a_slash_and_have_no_spaces() {
        assert_eq!(BasePath::parse(" /payments/v2 ").unwrap().as_str(), "/payments/v2");
        assert_eq!(BasePath::parse("").unwrap().as_str(), "");
        assert_eq!(BasePath::parse("payments"), Err(BasePathError::NoLeadingSlash));
        assert_eq!(BasePath::parse("//evil.example"), Err(BasePathError::NoLeadingSlash));
        assert_eq!(BasePath::parse("/a b"), Err(BasePathError::BadCharacter));
        assert_eq!(BasePath::parse(&format!("/{}", "a".repeat(200))), Err(BasePathError::TooLong));
        assert_eq!(BasePathError::BadCharacter.to_string(), "The base path can't contain spaces, “?”, “#” or “\\”.");
    }

    #[test]
    fn positions_are_small_whole_numbers() {
        assert_eq!(Position::parse(" 3 ").unwrap().get(), 3);
        assert_eq!(Position::parse("1000").unwrap().get(), 1000);
        for raw in ["-1", "1001", "two", ""] {
            assert_eq!(Position::parse(raw), Err(PositionError), "{raw:?}");
        }
    }

    #[test]
    fn an_item_id_knows_its_kind_and_the_kind_its_words() {
        let product = ItemId::from(ProductId::new(7));
        let api = ItemId::from(ApiId::new(7));
        assert_eq!((product.kind(), api.kind()), (ItemKind::Product, ItemKind::Api));
        assert_ne!(product, api);
        assert_eq!(product.to_string(), "7");
        assert_eq!(ItemKind::Api.target("Payments"), "API Payments");
        assert_eq!(
            ItemKind::Product.name_taken("Hub"),
            "Another product is already called “Hub”. Choose a different name."
        );
        assert_eq!(ItemKind::Api.action(ItemEvent::Archived), AuditAction::CatalogApiArchived);
    }
}
