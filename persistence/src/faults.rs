//! Faults the end-to-end tests inject on purpose, compiled only with the `faults` feature
//! (which only the tests crate enables): they prove that a panic inside a use case's
//! transaction loses nothing and leaves the server saving.

/// The display name that makes a registration panic inside its transaction, after its
/// account row is written.
pub const PANIC_MARKER: &str = "Panique provoquée par un test";

pub fn panic_if_marked(text: &str) {
    if text == PANIC_MARKER {
        panic!("fault injected by a test, inside a transaction");
    }
}
