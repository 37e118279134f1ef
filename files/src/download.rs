//! Handing stored bytes back: a file of the store as an attachment named as it was filed
//! (with the extension of its type), its type and its SHA-256 as `ETag`. Both front doors
//! answer downloads so.

use crate::store::BlobStore;
use actix_files::NamedFile;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse};
use simpa_domain::document::ACCEPTED_MEDIA_TYPES;
use std::io;

/// What is known of a stored file.
pub struct Stored<'a> {
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub file_name: &'a str,
}

/// The file's bytes as an attachment; an error when the store has lost them (a bug or a
/// manual deletion: the caller logs and answers it as its own failure).
pub async fn attachment(
    req: &HttpRequest,
    store: &BlobStore,
    file: Stored<'_>,
) -> io::Result<HttpResponse> {
    let path = store
        .path_of(file.sha256)
        .ok_or_else(|| io::Error::other("malformed hash"))?;
    let named = NamedFile::open_async(&path).await?;
    let extension = ACCEPTED_MEDIA_TYPES
        .iter()
        .find(|(m, _)| *m == file.media_type)
        .map_or("bin", |(_, e)| *e);
    let name = if file
        .file_name
        .to_lowercase()
        .ends_with(&format!(".{extension}"))
    {
        file.file_name.to_owned()
    } else {
        format!("{}.{extension}", file.file_name)
    };
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: name.into_bytes(),
        })],
    };
    let mut response = named
        .use_etag(false)
        .use_last_modified(false)
        .set_content_type(
            file.media_type
                .parse()
                .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM),
        )
        .set_content_disposition(disposition)
        .into_response(req);
    let etag = format!("\"{}\"", file.sha256);
    response.headers_mut().insert(
        header::ETAG,
        header::HeaderValue::from_str(&etag).map_err(io::Error::other)?,
    );
    Ok(response)
}
