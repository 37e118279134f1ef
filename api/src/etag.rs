//! Optimistic concurrency: `ETag` carries a resource's version (the `If-Match` an edit sends
//! back is read by `if_match`); `If-None-Match` spares sending what a client has.

use actix_web::HttpRequest;
use actix_web::http::header;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// An answer carrying a resource at `version`, with its `ETag`.
pub fn with_etag<T: serde::Serialize>(
    mut response: actix_web::HttpResponseBuilder,
    version: i64,
    body: &T,
) -> actix_web::HttpResponse {
    response
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// What `If-None-Match` says of the client's copy: `None` without the header, else whether
/// it names `tag` (weakly compared, as RFC 9110 asks for `If-None-Match`) or is `*`.
pub fn none_match(request: &HttpRequest, tag: &str) -> Option<bool> {
    let tags = request
        .headers()
        .get(header::IF_NONE_MATCH)?
        .to_str()
        .ok()?;
    Some(
        tags.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == tag || t == "*"),
    )
}
