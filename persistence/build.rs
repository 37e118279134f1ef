//! The migrations are embedded at compile time (`embed_migrations!`): a migration added or
//! changed must rebuild the crate, though no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
