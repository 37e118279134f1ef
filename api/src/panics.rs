//! A panic is a bug: it is logged (with the request's id, through the request's span), counted
//! in `/metrics` (`simpa_panics_total`) and answered 500 `internal`; the server goes on
//! serving and saving. Panics inside a use case are caught by `Db` (which rolls the transaction
//! back); this module catches the others, in handlers and middleware.

use crate::contract::{Contract, RouteTemplate};
use crate::problem::Problem;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::FutureExt;
use prometheus::IntCounter;
use std::panic::AssertUnwindSafe;
use std::sync::{LazyLock, Once};

/// Every panic of the process, whichever server or thread it happened in.
pub static PANICS: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "simpa_panics_total",
        "Panics (bugs) since the process started; each was answered 500 and logged.",
    )
    .expect("a valid counter")
});

/// Logs and counts every panic, once, in the log's format; the standard message on stderr
/// (the previous hook) follows only when a backtrace is asked for (`RUST_BACKTRACE`).
/// Installed once per process.
pub fn install_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.inc();
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = simpa_persistence::panic_message(info.payload());
            tracing::error!(panic = %message, %location, "panic (a bug): what it was doing is rolled back, a call is answered 500");
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                previous(info);
            }
        }));
    });
}

/// A streamed body whose production panics (after its answer began, past `answer_500`)
/// ends there, cut short, instead of taking down the worker thread and its connections.
pub fn cut_short_on_panic<T>(
    stream: impl futures_util::Stream<Item = std::io::Result<T>>,
) -> impl futures_util::Stream<Item = std::io::Result<T>> {
    use futures_util::StreamExt;
    AssertUnwindSafe(stream)
        .catch_unwind()
        .map(|item| item.unwrap_or_else(|_| Err(std::io::Error::other("a streamed body panicked"))))
}

/// Answers 500 `internal` for a handler or middleware that panics, instead of dropping the
/// connection (and the worker thread with it).
pub async fn answer_500(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The request cannot be kept aside (the router needs it alone): what the answer needs of
    // it is.
    let (method, uri) = (req.method().clone(), req.uri().to_string());
    let template = req
        .app_data::<web::Data<Contract>>()
        .and_then(|c| c.template(req.match_info().as_str()).map(str::to_owned));
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(response) => response.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            let request = actix_web::test::TestRequest::default()
                .method(method)
                .uri(&uri)
                .to_http_request();
            if let Some(template) = template {
                request.extensions_mut().insert(RouteTemplate(template));
            }
            Ok(ServiceResponse::new(
                request,
                Problem::internal().error_response(),
            ))
        }
    }
}
