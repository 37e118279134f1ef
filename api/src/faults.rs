//! Faults the end-to-end tests inject on purpose, compiled only with the `faults` feature
//! (which only the tests crate enables, never a build of the server): they prove that a panic
//! in a handler, inside a use case's transaction or in the outbox worker loses nothing and
//! leaves the server serving and saving. The routes are outside the API's document.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::AccountId;
use simpa_persistence::accounts;
use std::sync::atomic::Ordering;

/// The address of the account that `POST /faults/panic-after-writing` writes, then loses.
pub const LOST_ACCOUNT: &str = "panique@exemple.org";

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/faults/panic", web::get().to(panic_in_handler))
        .route(
            "/faults/panic-after-writing",
            web::post().to(panic_after_writing),
        )
        .route("/faults/panic-in-worker", web::post().to(panic_in_worker))
        .route("/faults/panic-in-worker", web::get().to(worker_panic_armed));
}

async fn panic_in_handler() -> HttpResponse {
    panic!("fault injected by a test, in a handler");
}

/// Writes an account inside a use case's transaction, then panics in it.
async fn panic_after_writing(
    state: web::Data<AppState>,
) -> Result<HttpResponse, crate::problem::Problem> {
    let now = state.now();
    let email = EmailAddress::parse(LOST_ACCOUNT).expect("a valid address");
    state
        .write(move |conn| -> simpa_persistence::StoreResult<()> {
            let id = AccountId::from_uuid(uuid::Uuid::now_v7());
            accounts::insert(conn, id, &email, "Panique", "pas un hachage", false, now)?;
            panic!("fault injected by a test, inside a transaction, after writing");
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes the next round of this node's outbox worker panic.
async fn panic_in_worker(state: web::Data<AppState>) -> HttpResponse {
    state.faults.worker_panics.store(true, Ordering::SeqCst);
    HttpResponse::NoContent().finish()
}

/// Whether the worker's panic is still to come: `{"armed": true}` until a round took it.
async fn worker_panic_armed(state: web::Data<AppState>) -> HttpResponse {
    let armed = state.faults.worker_panics.load(Ordering::SeqCst);
    HttpResponse::Ok().json(serde_json::json!({ "armed": armed }))
}
