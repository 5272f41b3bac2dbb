//! What a partner may use: the Products tab with Add Products, the APIs tab with the Add
//! APIs matrix, and the locking and audit they share.

pub mod apis;
pub mod extend;
pub mod products;
pub mod review;
pub mod shared;
