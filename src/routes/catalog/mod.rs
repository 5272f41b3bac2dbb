//! Settings → Catalog: the Products, APIs and Environments tabs and their forms.

pub mod apis;
pub mod environments;
pub mod items;
pub mod products;
pub mod tabs;
