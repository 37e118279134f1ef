//! Associations: create (the creator becomes president), read, update with optimistic
//! concurrency, and the staff list.

use crate::auth::Caller;
use crate::codes::TargetPublicCode;
use crate::etag::{etag, with_etag};
use crate::idempotency::{self, Attempt, IdempotencyKey, Replay};
use crate::if_match::IfMatch;
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::access::{person, require};
use simpa_app::associations as app;
use simpa_domain::association::{Association, AssociationProfile, PublicContact};
use simpa_domain::ids::{AssociationId, DistrictNumber};
use simpa_domain::policy::Action;
use simpa_persistence::associations::AssociationFilter;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct AddressInput {
    #[schema(example = "12 rue de la Roquette")]
    pub street: String,
    pub complement: Option<String>,
    /// 5 digits. A Paris code gives the district (75116 is the 16th).
    #[schema(example = "75011")]
    pub postal_code: String,
    #[schema(example = "Paris")]
    pub city: String,
}

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct LegalRepresentativeInput {
    #[schema(example = "Dominique Leroy")]
    pub name: String,
    #[schema(example = "Présidente")]
    pub function: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What an association declares about itself (CERFA 12156, section 1): sent to create or
/// edit it, and found again in what is read.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct AssociationFields {
    #[schema(example = "Théâtre du Faubourg")]
    pub name: String,
    #[schema(example = "TDF")]
    pub acronym: Option<String>,
    /// `W` followed by 9 digits.
    #[schema(example = "W751000001")]
    pub rna: Option<String>,
    /// 14 digits, Luhn-checked (La Poste's exception aside).
    #[schema(example = "21750001600019")]
    pub siret: Option<String>,
    /// Objet social, as in the statutes.
    pub object: String,
    /// Up to 3 codes from `GET /api/v1/sectors`.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Head office.
    pub address: AddressInput,
    pub creation_date: Option<NaiveDate>,
    #[schema(example = "https://theatre-du-faubourg.fr")]
    pub website: Option<String>,
    pub email: Option<String>,
    #[schema(example = "01 43 55 00 00")]
    pub phone: Option<String>,
    /// Whether the association appears in the public directory (off by default).
    #[serde(default)]
    pub directory_consent: bool,
    pub legal_representative: Option<LegalRepresentativeInput>,
    /// Whom its actions are for (up to 5), as the directory shows and filters them.
    #[serde(default)]
    pub target_publics: Vec<TargetPublicCode>,
    /// The districts it acts in (none: all of the city).
    #[serde(default)]
    pub action_districts: Vec<i32>,
    /// Which of its contacts the directory shows (none unless it says).
    #[serde(default)]
    pub public_contact: PublicContactFields,
}

/// Which contacts the public directory shows.
#[derive(Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
pub struct PublicContactFields {
    #[serde(default)]
    pub email: bool,
    #[serde(default)]
    pub phone: bool,
    #[serde(default)]
    pub website: bool,
}

impl From<AssociationFields> for app::ProfileInput {
    fn from(f: AssociationFields) -> Self {
        app::ProfileInput {
            name: f.name,
            acronym: f.acronym,
            rna: f.rna,
            siret: f.siret,
            object: f.object,
            sectors: f.sectors,
            address: app::AddressInput {
                street: f.address.street,
                complement: f.address.complement,
                postal_code: f.address.postal_code,
                city: f.address.city,
            },
            creation_date: f.creation_date,
            website: f.website,
            email: f.email,
            phone: f.phone,
            directory_consent: f.directory_consent,
            legal_representative: f.legal_representative.map(|r| app::RepresentativeInput {
                name: r.name,
                function: r.function,
                email: r.email,
                phone: r.phone,
            }),
            target_publics: f.target_publics.into_iter().map(|t| t.0).collect(),
            action_districts: f.action_districts,
            public_contact: PublicContact {
                email: f.public_contact.email,
                phone: f.public_contact.phone,
                website: f.public_contact.website,
            },
        }
    }
}

/// An association's profile as stored. Send its fields back (edited) with `PUT` and the
/// `ETag` you read.
#[derive(Serialize, ToSchema)]
pub struct AssociationView {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: AssociationFields,
    /// The first 9 digits of the SIRET.
    pub siren: Option<String>,
    /// Derived from the head office's postal code; empty outside the city's districts.
    pub district_number: Option<i32>,
    /// Increases with every change; also sent as `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored profile as the API shows it: its fields as they would be sent again (the one
/// reading of a profile as typed is `ProfileInput`'s).
impl From<AssociationProfile> for AssociationFields {
    fn from(p: AssociationProfile) -> Self {
        let p = app::ProfileInput::from(p);
        AssociationFields {
            name: p.name,
            acronym: p.acronym,
            rna: p.rna,
            siret: p.siret,
            object: p.object,
            sectors: p.sectors,
            address: AddressInput {
                street: p.address.street,
                complement: p.address.complement,
                postal_code: p.address.postal_code,
                city: p.address.city,
            },
            creation_date: p.creation_date,
            website: p.website,
            email: p.email,
            phone: p.phone,
            directory_consent: p.directory_consent,
            legal_representative: p.legal_representative.map(|r| LegalRepresentativeInput {
                name: r.name,
                function: r.function,
                email: r.email,
                phone: r.phone,
            }),
            target_publics: p.target_publics.into_iter().map(TargetPublicCode).collect(),
            action_districts: p.action_districts,
            public_contact: PublicContactFields {
                email: p.public_contact.email,
                phone: p.public_contact.phone,
                website: p.public_contact.website,
            },
        }
    }
}

impl From<Association> for AssociationView {
    fn from(a: Association) -> Self {
        AssociationView {
            id: a.id.uuid(),
            siren: a.profile.siret.as_ref().map(|s| s.siren().to_string()),
            district_number: a.district.map(|d| d.0),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            fields: a.profile.into(),
        }
    }
}

impl AssociationView {
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ETag", etag(self.version)),
            ("Location", format!("/api/v1/associations/{}", self.id)),
        ]
    }
}

const CREATE: &str = "create_association";

/// Creates an association; the person creating it becomes its president.
///
/// Send an `Idempotency-Key` header to retry safely: the same key with the same body answers
/// the first answer again, and never creates a second association.
#[utoipa::path(
    tag = "associations",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = AssociationFields,
    responses(
        (status = 201, body = AssociationView, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/associations")]
pub async fn create_association(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<AssociationFields>,
) -> Result<HttpResponse, Problem> {
    let attempt = Attempt::new(key, CREATE, &[&body.raw]);
    let first = create_once(&state, caller, attempt.clone(), body.value.clone()).await;
    // A concurrent call (without a key: same-key calls take turns) won a race on a unique
    // index; the second try names the field it took first.
    let outcome = match first {
        Err(problem) if problem.code == "conflict.duplicate" => {
            create_once(&state, caller, attempt, body.value).await?
        }
        other => other?,
    };
    Ok(idempotency::created(outcome, AssociationView::headers))
}

/// One attempt at creating an association, or the replay of an earlier one with the same key.
async fn create_once(
    state: &AppState,
    caller: Caller,
    attempt: Attempt,
    input: AssociationFields,
) -> Result<Result<AssociationView, Replay>, Problem> {
    let now = state.city_now();
    state
        .write(move |conn| {
            let actor = require(conn, caller.0, Action::CreateAssociation)?;
            person(&actor)?;
            if let Some(replay) = attempt.replay(conn, &actor)? {
                return Ok(Err(replay));
            }
            let view = AssociationView::from(app::create(conn, &actor, input.into(), now)?);
            attempt.remember(conn, &actor, 201, &view.headers(), &view, now.at)?;
            Ok(Ok(view))
        })
        .await
}

/// An association's profile, for its members and the city's staff.
#[utoipa::path(
    tag = "associations",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssociationView, headers(("ETag" = String))),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/associations/{association_id}")]
pub async fn get_association(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| app::read(conn, caller.0, id).map(AssociationView::from))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Replaces an association's profile. `If-Match` must carry the `ETag` read: if someone
/// changed the profile since, the answer is 412 and nothing is written.
#[utoipa::path(
    tag = "associations",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = AssociationFields,
    responses(
        (status = 200, body = AssociationView, headers(("ETag" = String))),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/associations/{association_id}")]
pub async fn update_association(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<AssociationFields>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let input = body.value;
    let now = state.city_now();
    let view = state
        .write(move |conn| {
            app::update(conn, caller.0, id, if_match.version(), input.into(), now)
                .map(AssociationView::from)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

#[derive(Deserialize, IntoParams)]
pub struct AssociationQuery {
    /// Text searched in name, acronym, RNA and SIRET, ignoring accents and case.
    pub q: Option<String>,
    /// Only associations whose head office is in this district.
    pub district: Option<i32>,
    /// Only associations working in this sector (a code).
    pub sector: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists and searches associations, in name order (city staff).
#[utoipa::path(
    tag = "associations",
    security(("bearer" = [])),
    params(AssociationQuery),
    responses(
        (status = 200, body = Page<AssociationView>),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/associations")]
pub async fn list_associations(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AssociationQuery>,
) -> Result<web::Json<Page<AssociationView>>, Problem> {
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let filter = AssociationFilter {
        text: query.q,
        district: query.district.map(DistrictNumber),
        sector: query.sector,
        ..AssociationFilter::default()
    };
    let page = state
        .read(move |conn| app::list(conn, caller.0, &filter, after.as_ref(), limit))
        .await?;
    Ok(web::Json(Page::from_stored(page, AssociationView::from)))
}
