//! The portal's static files, part of the binary, each served under a name that carries its
//! digest (`simpa.3f2a….css`): a new version has a new address, so browsers keep a file for a
//! year without asking again.

use crate::Portal;
use crate::theme::Theme;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use simpa_domain::digest::sha256_hex;
use std::borrow::Cow;

/// A file: its name as served, its type and its bytes.
struct Asset {
    logical: &'static str,
    served: String,
    content_type: &'static str,
    bytes: Cow<'static, [u8]>,
}

/// The files, fingerprinted once at start.
pub struct Assets(Vec<Asset>);

const FILES: [(&str, &str, &[u8]); 6] = [
    (
        "simpa.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/simpa.css"),
    ),
    (
        "budget.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/budget.js"),
    ),
    (
        "fields.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/fields.js"),
    ),
    (
        "govuk-file-upload.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/govuk-file-upload.js"),
    ),
    (
        "upload.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/upload.js"),
    ),
    (
        "LICENCE-govuk-frontend.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../static/LICENCE-govuk-frontend.txt"),
    ),
];

impl Assets {
    /// The vendored files, and the city's: its colours' stylesheet (`ville.css`) and its logo
    /// (`logo.png` or `logo.svg`).
    pub fn load(theme: &Theme) -> Assets {
        let city_styles = (
            "ville.css",
            "text/css; charset=utf-8",
            Cow::Owned(theme.stylesheet().into_bytes()),
        );
        let logo = theme.logo.as_ref().map(|logo| {
            let logical = if logo.extension == "svg" {
                "logo.svg"
            } else {
                "logo.png"
            };
            (logical, logo.content_type, Cow::Owned(logo.bytes.clone()))
        });
        let files = FILES
            .iter()
            .map(|(logical, content_type, bytes)| (*logical, *content_type, Cow::Borrowed(*bytes)))
            .chain([city_styles])
            .chain(logo);
        Assets(
            files
                .map(|(logical, content_type, bytes)| {
                    let digest = sha256_hex(&bytes);
                    let served = match logical.rsplit_once('.') {
                        Some((stem, extension)) => format!("{stem}.{}.{extension}", &digest[..12]),
                        None => logical.to_string(),
                    };
                    Asset {
                        logical,
                        served,
                        content_type,
                        bytes,
                    }
                })
                .collect(),
        )
    }

    /// The address of the city's logo, if it has one.
    pub fn logo(&self) -> Option<String> {
        ["logo.svg", "logo.png"]
            .into_iter()
            .map(|logical| self.url(logical))
            .find(|url| !url.is_empty())
    }

    /// The address of a file, as pages link to it.
    pub fn url(&self, logical: &str) -> String {
        self.0
            .iter()
            .find(|a| a.logical == logical)
            .map(|a| format!("/static/{}", a.served))
            .unwrap_or_default()
    }
}

/// A static file, by its fingerprinted name.
#[get("/static/{name}")]
pub async fn serve(portal: web::Data<Portal>, name: web::Path<String>) -> HttpResponse {
    match portal.assets.0.iter().find(|a| a.served == *name) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes.clone().into_owned()),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Fichier introuvable."),
    }
}
