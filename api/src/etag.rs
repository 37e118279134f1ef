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

/// A stored file's bytes, with its type and name, its SHA-256 as `ETag` (304 when the client
/// has them). Not kept by a cache (`no-store`, as every private answer): a statute or a RIB
/// must not stay on a shared computer; a client that keeps it itself revalidates with the tag.
pub async fn stored_file(
    req: &HttpRequest,
    blobs: &simpa_files::store::BlobStore,
    file: simpa_files::download::Stored<'_>,
) -> Result<actix_web::HttpResponse, crate::problem::Problem> {
    let etag = format!("\"{}\"", file.sha256);
    if none_match(req, &etag) == Some(true) {
        return Ok(actix_web::HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let sha256 = file.sha256.to_owned();
    simpa_files::download::attachment(req, blobs, file)
        .await
        .map_err(|error| {
            tracing::error!(%sha256, %error, "a row refers to bytes that are not in the store");
            crate::problem::Problem::internal()
        })
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
