//! Rebuild when a migration is added: `embed_migrations!` alone doesn't notice new folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
