//! The public directory of associations that Paris.fr embeds: no authentication, only the
//! associations that consented and only what a public card shows. Search is accent- and
//! case-insensitive, ranked by relevance, filtered by district, sector and public; pages are
//! cached and revalidated (`ETag`, `Last-Modified`, 304) and callable from the configured web
//! origins (CORS).

use crate::codes::TargetPublicCode;
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use simpa_app::directory::{self as app, PublicCard, Search};
use simpa_domain::association::Association;
use simpa_domain::ids::AssociationId;
use simpa_domain::reference;
use std::time::{Duration, SystemTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The public routes, under `/api/v1/directory`, callable from browsers on `origins`.
pub fn scope(
    origins: Vec<String>,
) -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope::scope(crate::cors::DIRECTORY)
        .wrap(crate::cors::public(&origins))
        .service(search_directory)
        .service(directory_card)
}

/// How long browsers and proxies keep a page before revalidating it.
const CACHE_CONTROL: &str = "public, max-age=300";

/// The version of the card's JSON schema: fields are only ever added within a version.
pub const CARD_SCHEMA_VERSION: &str = "1";

#[derive(Serialize, ToSchema)]
pub struct PublicAddress {
    pub street: String,
    pub complement: Option<String>,
    pub postal_code: String,
    pub city: String,
}

/// The contacts the association chose to show.
#[derive(Serialize, ToSchema)]
pub struct PublicContactView {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

/// A public card: what the directory shows of an association, nothing else.
#[derive(Serialize, ToSchema)]
pub struct DirectoryCard {
    pub id: Uuid,
    pub name: String,
    pub acronym: Option<String>,
    pub rna: Option<String>,
    /// Objet social.
    pub object: String,
    /// Up to 3 sector codes (`GET /api/v1/sectors`).
    pub sectors: Vec<String>,
    pub target_publics: Vec<TargetPublicCode>,
    /// The districts it acts in; empty: all of the city.
    pub action_districts: Vec<i32>,
    pub address: PublicAddress,
    /// The district of the head office.
    pub district_number: Option<i32>,
    pub contact: PublicContactView,
    pub updated_at: DateTime<Utc>,
}

impl From<Association> for DirectoryCard {
    fn from(a: Association) -> Self {
        let card = PublicCard::from(a);
        DirectoryCard {
            id: card.id.uuid(),
            name: card.name,
            acronym: card.acronym,
            rna: card.rna,
            object: card.object,
            sectors: card.sectors,
            target_publics: card
                .target_publics
                .into_iter()
                .map(TargetPublicCode)
                .collect(),
            action_districts: card.action_districts.iter().map(|d| d.0).collect(),
            address: PublicAddress {
                street: card.address.street,
                complement: card.address.complement,
                postal_code: card.address.postal_code.to_string(),
                city: card.address.city,
            },
            district_number: card.district.map(|d| d.0),
            contact: PublicContactView {
                email: card.email,
                phone: card.phone,
                website: card.website,
            },
            updated_at: card.updated_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct DirectoryParams {
    /// Words of the name, acronym or object; accents and case do not matter, and a word
    /// finds the words it begins ("thea" finds "Théâtre").
    pub q: Option<String>,
    /// Acting in this district (head office or district of action), 1 to 20.
    pub district: Option<i32>,
    /// A sector code.
    pub sector: Option<String>,
    pub public: Option<TargetPublicCode>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The strong validator of a representation: its bytes' SHA-256.
fn content_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn http_date(time: DateTime<Utc>) -> HttpDate {
    let seconds = u64::try_from(time.timestamp()).unwrap_or(0);
    HttpDate::from(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Whether the client's copy is current: `If-None-Match` names this tag, or, without it,
/// `If-Modified-Since` is not before `last_modified` (when known).
fn not_modified(request: &HttpRequest, tag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if let Some(current) = crate::etag::none_match(request, tag) {
        return current;
    }
    let since = request
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok());
    match (since, last_modified) {
        (Some(since), Some(modified)) => {
            SystemTime::from(since) >= SystemTime::from(http_date(modified))
        }
        _ => false,
    }
}

/// The answer with its validators and caching rules: 304 without a body when the client's
/// copy is current.
fn cached<T: Serialize>(
    request: &HttpRequest,
    body: &T,
    last_modified: Option<DateTime<Utc>>,
) -> Result<HttpResponse, Problem> {
    let bytes = serde_json::to_vec(body).map_err(|_| Problem::internal())?;
    let tag = content_tag(&bytes);
    let fresh = not_modified(request, &tag, last_modified);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag.clone()))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL));
    if let Some(modified) = last_modified {
        response.insert_header((header::LAST_MODIFIED, http_date(modified)));
    }
    if fresh {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("application/json")
        .insert_header((
            "Simpa-Schema",
            format!("directory-card/{CARD_SCHEMA_VERSION}"),
        ))
        .body(bytes))
}

/// The directory: the associations that consented, the most relevant first when searching,
/// by name otherwise. Public; cached five minutes and revalidated with `ETag`.
#[utoipa::path(
    tag = "directory",
    params(DirectoryParams),
    responses(
        (status = 200, body = Page<DirectoryCard>, headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String))),
        (status = 304, description = "The copy named by If-None-Match is current."),
        (status = 400, response = responses::BadRequest),
    )
)]
#[get("/associations")]
pub async fn search_directory(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: crate::input::Query<DirectoryParams>,
) -> Result<HttpResponse, Problem> {
    let params = params.0;
    let limit = pagination::limit(params.limit)?;
    let after = pagination::decode_cursor(params.cursor.as_deref())?;
    let district =
        reference::district_filter(params.district).map_err(|e| Problem::invalid_query(vec![e]))?;
    let page = state
        .read(move |conn| {
            let search = Search {
                words: params.q.as_deref(),
                district,
                sector: params.sector.as_deref(),
                public: params.public.map(|p| p.0),
            };
            app::search(conn, &search, after.as_ref(), limit)
        })
        .await?;
    let last_modified = page.items.iter().map(|a| a.updated_at).max();
    let page = Page::from_stored(page, DirectoryCard::from);
    cached(&request, &page, last_modified)
}

/// One association's public card; 404 when it did not consent.
#[utoipa::path(
    tag = "directory",
    responses(
        (status = 200, body = DirectoryCard, headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String))),
        (status = 304, description = "The copy named by If-None-Match (or dated by If-Modified-Since) is current."),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/associations/{association_id}")]
pub async fn directory_card(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let card = state.read(move |conn| app::card(conn, id)).await?;
    let modified = card.updated_at;
    cached(&request, &DirectoryCard::from(card), Some(modified))
}
