//! Request access (SPEC §15): the partner Admin's **Request access** (`partner`), the
//! enterprise's **Access requests** with **Approve** and **Decline** (`enterprise`), and the
//! catalog's request settings of a product or API (`settings`).

pub mod enterprise;
pub mod partner;
pub mod settings;

/// Longest answer to one question.
pub const ANSWER_MAX: usize = 2000;
/// Longest decline reason.
pub const REASON_MAX: usize = 1000;

/// `products` / `apis` in a path: (is_product, its word); anything else is not found.
pub fn kind(segment: &str) -> Result<bool, crate::error::AppError> {
    match segment {
        "products" => Ok(true),
        "apis" => Ok(false),
        _ => Err(crate::error::AppError::NotFound),
    }
}
