//! Reading an upload: a `multipart/form-data` form with text fields and one file. The file is
//! streamed into the store as it arrives (never held in memory), hashed on the way, its type
//! recognised from its first bytes, and refused as soon as it exceeds the limit.

use crate::store::{BlobStore, CheckFailure, HEAD_BYTES, Received};
use actix_multipart::{Multipart, MultipartError};
use futures_util::TryStreamExt;
use simpa_domain::document::ACCEPTED_MEDIA_TYPES;
use simpa_domain::{FieldError, Violation, text};
use std::collections::HashMap;
use std::time::Duration;

/// Why an upload was not read to its end; each front door tells it in its own way.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Not a `multipart/form-data` body.
    #[error(
        "Un dépôt de document s'envoie en multipart/form-data (un champ « file » et les champs de métadonnées)."
    )]
    NotMultipart,
    /// Unreadable; what the parser said stays in the logs.
    #[error("Le formulaire multipart est illisible ou incomplet : recommencez le dépôt.")]
    Malformed(String),
    /// The client stayed silent longer than the idle timeout.
    #[error("L'envoi s'est interrompu trop longtemps : recommencez le dépôt.")]
    Idle,
    #[error("Le fichier dépasse la taille permise ({} Mo).", .limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    /// Not of an accepted type (what it seems to be, when known).
    #[error("Ce fichier n'est pas d'un type accepté{} : déposez un PDF, une image PNG ou JPEG, ou un document ODT, ODS, DOCX ou XLSX.", .found.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())]
    UnsupportedType { found: Option<String> },
    /// A field of the form breaks a rule (unknown, twice, too long, an empty file…).
    #[error("{}", .0.message)]
    Invalid(FieldError),
    /// The store could not take the bytes: ours, not the client's.
    #[error("the blob store: {0}")]
    Storage(std::io::Error),
}

impl From<Violation> for UploadError {
    fn from(violation: Violation) -> Self {
        UploadError::Invalid(violation.at("file"))
    }
}

fn invalid(field: &str, code: &'static str, message: &str) -> UploadError {
    UploadError::Invalid(Violation::new(code, message.to_owned()).at(field))
}

fn storage_failed(error: std::io::Error) -> UploadError {
    tracing::error!(%error, "cannot write an upload to the blob store");
    UploadError::Storage(error)
}

/// The largest text field accepted (IBAN, dates, kind… and a message's text).
const TEXT_FIELD_LIMIT: usize = 16 * 1024;

/// The most values a listed field takes.
const LIST_LIMIT: usize = 20;

/// The form, read.
pub struct UploadForm {
    pub fields: HashMap<String, String>,
    /// The fields that may come several times, each with its values in order.
    pub lists: HashMap<String, Vec<String>>,
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

fn malformed(error: MultipartError) -> UploadError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => UploadError::NotMultipart,
        other => {
            tracing::debug!(error = %other, "an unreadable multipart body");
            UploadError::Malformed(other.to_string())
        }
    }
}

/// The accepted type of a file, from its first bytes.
pub fn recognise(head: &[u8]) -> Result<&'static str, UploadError> {
    let found = infer::get(head).map(|t| t.mime_type());
    ACCEPTED_MEDIA_TYPES
        .iter()
        .map(|(media_type, _)| *media_type)
        .find(|accepted| Some(*accepted) == found)
        .ok_or_else(|| UploadError::UnsupportedType {
            found: found.map(str::to_owned),
        })
}

/// The text fields a filing may carry; the file comes in `file`.
pub const FILING_FIELDS: &[&str] = &[
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
pub fn check_declared_length(declared: Option<u64>, limit: u64) -> Result<(), UploadError> {
    match declared {
        Some(length) if length > limit + FORM_OVERHEAD => Err(UploadError::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// The next item of an upload's stream, unless the client stays silent longer than `idle`.
async fn next<T>(
    item: impl std::future::Future<Output = Result<Option<T>, MultipartError>>,
    idle: Duration,
) -> Result<Option<T>, UploadError> {
    match tokio::time::timeout(idle, item).await {
        Ok(result) => result.map_err(malformed),
        Err(_) => Err(UploadError::Idle),
    }
}

/// What an upload may hold: its text fields (`fields`, and what the front door adds: `also`),
/// those that may come several times (`lists`), the largest file (`limit`), and how long the
/// client may stay silent (`idle`).
pub struct Expected<'a> {
    pub fields: &'a [&'a str],
    pub also: &'a [&'a str],
    pub lists: &'a [&'a str],
    pub limit: u64,
    pub idle: Duration,
}

/// Reads the whole form. The file goes to `store` as it arrives; any failure before the end
/// leaves nothing behind (the partial file is deleted when dropped). Only the expected fields
/// are accepted, each once, so that the form's size stays bounded.
pub async fn read_form(
    mut multipart: Multipart,
    store: &BlobStore,
    expected: Expected<'_>,
) -> Result<UploadForm, UploadError> {
    let Expected {
        fields,
        also,
        lists,
        limit,
        idle,
    } = expected;
    let text_fields: Vec<&str> = fields.iter().chain(also).chain(lists).copied().collect();
    let mut form = UploadForm {
        fields: HashMap::new(),
        lists: HashMap::new(),
        file: None,
    };
    while let Some(mut field) = next(multipart.try_next(), idle).await? {
        let name = field.name().unwrap_or_default().to_owned();
        let raw_file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let file_name = raw_file_name
            .as_deref()
            .map(text::file_name)
            .transpose()
            .map_err(|v| UploadError::Invalid(v.at("file")))?;
        if name == "file" {
            let Some(file_name) = file_name else {
                return Err(invalid(
                    "file",
                    "file.not_a_file",
                    "Le champ « file » doit contenir un fichier.",
                ));
            };
            if form.file.is_some() {
                return Err(invalid(
                    "file",
                    "file.one_per_filing",
                    "Un seul fichier par dépôt.",
                ));
            }
            let mut incoming = store.incoming().await.map_err(storage_failed)?;
            let mut media_type = None;
            while let Some(chunk) = next(field.try_next(), idle).await? {
                if incoming.size() + chunk.len() as u64 > limit {
                    return Err(UploadError::TooLarge { limit });
                }
                incoming.write(chunk).await.map_err(storage_failed)?;
                // Refuse a wrong type as soon as enough is known, not after the whole file.
                if media_type.is_none() && incoming.head().len() >= HEAD_BYTES {
                    media_type = Some(recognise(incoming.head())?);
                }
            }
            if incoming.size() == 0 {
                // A file input left empty: browsers send it with no name and no bytes.
                if raw_file_name.as_deref() == Some("") {
                    continue;
                }
                return Err(invalid("file", "file.empty", "Le fichier est vide."));
            }
            let media_type = match media_type {
                Some(media_type) => media_type,
                None => recognise(incoming.head())?,
            };
            let received = incoming.finish().await.map_err(storage_failed)?;
            // A file named .pdf that does not open is refused at the door (dropped, its bytes
            // go with it).
            let (received, checked) = tokio::task::spawn_blocking(move || {
                let checked = received.check_content(media_type);
                (received, checked)
            })
            .await
            .map_err(|e| storage_failed(std::io::Error::other(e)))?;
            match checked {
                Ok(()) => {}
                Err(CheckFailure::Damaged(violation)) => return Err(violation.into()),
                Err(CheckFailure::Io(error)) => return Err(storage_failed(error)),
            }
            form.file = Some(UploadedFile {
                received,
                file_name,
                media_type,
            });
        } else {
            if !text_fields.contains(&name.as_str()) {
                let known = text_fields.join(", ");
                let message = format!("Champ inconnu ; champs permis : file, {known}.");
                return Err(invalid(&name, "field.unknown", &message));
            }
            let listed = lists.contains(&name.as_str());
            if listed
                && form
                    .lists
                    .get(&name)
                    .is_some_and(|values| values.len() >= LIST_LIMIT)
            {
                let message = format!("Ce champ est donné plus de {LIST_LIMIT} fois.");
                return Err(invalid(&name, "field.too_many", &message));
            }
            if !listed && form.fields.contains_key(&name) {
                return Err(invalid(
                    &name,
                    "field.duplicate",
                    "Ce champ est donné deux fois.",
                ));
            }
            let mut value = Vec::new();
            while let Some(chunk) = next(field.try_next(), idle).await? {
                if value.len() + chunk.len() > TEXT_FIELD_LIMIT {
                    return Err(invalid(&name, "text.too_long", "Ce champ est trop long."));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| {
                invalid(&name, "text.not_utf8", "Ce champ doit être du texte UTF-8.")
            })?;
            if listed {
                form.lists.entry(name).or_default().push(value);
            } else {
                form.fields.insert(name, value);
            }
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
        assert!(matches!(
            recognise(b"plain text pretending to be a PDF"),
            Err(UploadError::UnsupportedType { found: None })
        ));
        assert!(matches!(
            recognise(b"MZ\x90\0\x03\0\0\0"),
            Err(UploadError::UnsupportedType { found: Some(_) })
        ));
    }
}
