//! Reading an upload: a `multipart/form-data` form with text fields and one file. The file is
//! streamed into the blob store as it arrives (never held in memory), hashed on the way, its
//! type recognised from its first bytes, and refused as soon as it exceeds the limit.

use crate::blobs::{BlobStore, HEAD_BYTES, Received};
use crate::input::IDLE_TIMEOUT;
use crate::problem::Problem;
use actix_multipart::{Multipart, MultipartError};
use actix_web::http::StatusCode;
use futures_util::TryStreamExt;
use simpa_domain::Violation;
use simpa_domain::document::ACCEPTED_MEDIA_TYPES;
use simpa_domain::text;
use std::collections::HashMap;

/// The largest text field accepted (IBAN, dates, kind…).
const TEXT_FIELD_LIMIT: usize = 4096;

/// The form, read.
pub struct UploadForm {
    pub fields: HashMap<String, String>,
    pub file: Option<UploadedFile>,
}

/// The file part: its bytes received, what it is, and the name it came with.
pub struct UploadedFile {
    pub received: Received,
    pub file_name: String,
    pub media_type: &'static str,
}

impl UploadForm {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

fn malformed(error: MultipartError) -> Problem {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type.unsupported",
            "Un dépôt de document s'envoie en multipart/form-data (un champ « file » et les champs de métadonnées).",
        ),
        other => Problem::bad_request(
            "multipart.malformed",
            format!("Le formulaire multipart est illisible ou incomplet ({other})."),
            vec![],
        ),
    }
}

fn storage_failed(error: std::io::Error) -> Problem {
    tracing::error!(%error, "cannot write an upload to the blob store");
    Problem::internal()
}

fn too_large(limit: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file.too_large",
        format!(
            "Le fichier dépasse la taille permise ({} Mo).",
            limit / (1024 * 1024)
        ),
    )
}

/// The accepted type of a file, from its first bytes; 415 otherwise.
pub fn recognise(head: &[u8]) -> Result<&'static str, Problem> {
    let found = infer::get(head).map(|t| t.mime_type());
    ACCEPTED_MEDIA_TYPES.iter().map(|(media_type, _)| *media_type).find(|accepted| Some(*accepted) == found).ok_or_else(|| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file.unsupported_type",
            format!(
                "Ce fichier n'est pas d'un type accepté{} : déposez un PDF, une image PNG ou JPEG, ou un document ODT, ODS, DOCX ou XLSX.",
                found.map(|f| format!(" ({f})")).unwrap_or_default()
            ),
        )
    })
}

/// The text fields a filing may carry; the file comes in `file`.
const TEXT_FIELDS: &[&str] = &[
    "kind",
    "fiscal_year",
    "valid_until",
    "event_date",
    "iban",
    "bic",
    "account_holder",
];

/// Room for the form's own bytes (boundaries, part headers, text fields) beside the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// Refuses, before reading anything, a body that declares more than a filing can hold.
pub fn check_declared_length(declared: Option<u64>, limit: u64) -> Result<(), Problem> {
    match declared {
        Some(length) if length > limit + FORM_OVERHEAD => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// The next item of an upload's stream, unless the client stays silent too long.
async fn next<T>(
    item: impl std::future::Future<Output = Result<Option<T>, MultipartError>>,
) -> Result<Option<T>, Problem> {
    match tokio::time::timeout(IDLE_TIMEOUT, item).await {
        Ok(result) => result.map_err(malformed),
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload.idle",
            "L'envoi s'est interrompu trop longtemps : recommencez le dépôt.",
        )),
    }
}

/// Reads the whole form. The file goes to `store` as it arrives; any failure before the end
/// leaves nothing behind (the partial file is deleted when dropped). Only the known fields
/// are accepted, each once, so that the form's size stays bounded.
pub async fn read_form(
    mut multipart: Multipart,
    store: &BlobStore,
    limit: u64,
) -> Result<UploadForm, Problem> {
    let mut form = UploadForm {
        fields: HashMap::new(),
        file: None,
    };
    while let Some(mut field) = next(multipart.try_next()).await? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(text::file_name)
            .transpose()
            .map_err(|v| Problem::invalid(vec![v.at("file")]))?;
        if name == "file" {
            let Some(file_name) = file_name else {
                return Err(Problem::invalid(vec![
                    Violation::new(
                        "file.not_a_file",
                        "Le champ « file » doit contenir un fichier.",
                    )
                    .at("file"),
                ]));
            };
            if form.file.is_some() {
                return Err(Problem::invalid(vec![
                    Violation::new("file.one_per_filing", "Un seul fichier par dépôt.").at("file"),
                ]));
            }
            let mut incoming = store.incoming().await.map_err(storage_failed)?;
            let mut media_type = None;
            while let Some(chunk) = next(field.try_next()).await? {
                if incoming.size() + chunk.len() as u64 > limit {
                    return Err(too_large(limit));
                }
                incoming.write(chunk).await.map_err(storage_failed)?;
                // Refuse a wrong type as soon as enough is known, not after the whole file.
                if media_type.is_none() && incoming.head().len() >= HEAD_BYTES {
                    media_type = Some(recognise(incoming.head())?);
                }
            }
            if incoming.size() == 0 {
                return Err(Problem::invalid(vec![
                    Violation::new("file.empty", "Le fichier est vide.").at("file"),
                ]));
            }
            let media_type = match media_type {
                Some(media_type) => media_type,
                None => recognise(incoming.head())?,
            };
            let received = incoming.finish().await.map_err(storage_failed)?;
            form.file = Some(UploadedFile {
                received,
                file_name,
                media_type,
            });
        } else {
            if !TEXT_FIELDS.contains(&name.as_str()) {
                let known = TEXT_FIELDS.join(", ");
                return Err(Problem::invalid(vec![
                    Violation::new(
                        "field.unknown",
                        format!("Champ inconnu ; champs permis : file, {known}."),
                    )
                    .at(name),
                ]));
            }
            if form.fields.contains_key(&name) {
                return Err(Problem::invalid(vec![
                    Violation::new("field.duplicate", "Ce champ est donné deux fois.").at(name),
                ]));
            }
            let mut value = Vec::new();
            while let Some(chunk) = next(field.try_next()).await? {
                if value.len() + chunk.len() > TEXT_FIELD_LIMIT {
                    return Err(Problem::invalid(vec![
                        Violation::new("text.too_long", "Ce champ est trop long.").at(name),
                    ]));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| {
                Problem::invalid(vec![
                    Violation::new("text.not_utf8", "Ce champ doit être du texte UTF-8.")
                        .at(name.clone()),
                ])
            })?;
            form.fields.insert(name, value);
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_recognised_by_content() {
        assert_eq!(
            recognise(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            recognise(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap(),
            "image/png"
        );
        assert_eq!(
            recognise(b"\xff\xd8\xff\xe0\0\x10JFIF\0").unwrap(),
            "image/jpeg"
        );
        assert_eq!(
            recognise(b"plain text pretending to be a PDF")
                .unwrap_err()
                .code,
            "file.unsupported_type"
        );
        assert_eq!(
            recognise(b"MZ\x90\0\x03\0\0\0").unwrap_err().code,
            "file.unsupported_type"
        );
    }
}
