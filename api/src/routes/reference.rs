//! Reference data: districts, directions, activity sectors. Public.

use crate::auth::Caller;
use crate::pagination::Page;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{get, web};
use serde::Serialize;
use simpa_domain::reference::{Direction, District, Sector};

use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct DistrictView {
    /// 1 to 20 in Paris.
    #[schema(example = 11)]
    pub number: i32,
    #[schema(example = "11e arrondissement")]
    pub name: String,
    /// INSEE code of the municipal arrondissement.
    #[schema(example = "75111")]
    pub insee_code: String,
    #[schema(example = "Mairie du 11e arrondissement")]
    pub town_hall: String,
    /// Postal codes that serve the district (75116 serves the 16th too).
    pub postal_codes: Vec<String>,
}

impl From<District> for DistrictView {
    fn from(d: District) -> Self {
        DistrictView {
            number: d.number.0,
            name: d.name,
            insee_code: d.insee_code,
            town_hall: d.town_hall,
            postal_codes: d.postal_codes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DirectionView {
    pub id: Uuid,
    #[schema(example = "DAC")]
    pub code: String,
    #[schema(example = "Direction des Affaires Culturelles")]
    pub name: String,
    /// Merged or renamed directions stay, inactive, for history.
    pub active: bool,
}

impl From<Direction> for DirectionView {
    fn from(d: Direction) -> Self {
        DirectionView {
            id: d.id.uuid(),
            code: d.code,
            name: d.name,
            active: d.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SectorView {
    #[schema(example = "culture_arts")]
    pub code: String,
    #[schema(example = "Culture & Arts")]
    pub label: String,
}

impl From<Sector> for SectorView {
    fn from(s: Sector) -> Self {
        SectorView {
            code: s.code,
            label: s.label,
        }
    }
}

/// The city's districts, with their postal codes.
#[utoipa::path(tag = "reference", responses((status = 200, body = Page<DistrictView>), (status = 401, response = crate::problem::responses::Unauthenticated)))]
#[get("/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<DistrictView>>, Problem> {
    let districts = state
        .read(move |conn| simpa_app::reference::districts(conn, caller.0))
        .await?;
    Ok(web::Json(Page::all(
        districts.into_iter().map(DistrictView::from),
    )))
}

/// The directions that instruct subsidy requests.
#[utoipa::path(tag = "reference", responses((status = 200, body = Page<DirectionView>), (status = 401, response = crate::problem::responses::Unauthenticated)))]
#[get("/directions")]
pub async fn list_directions(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<DirectionView>>, Problem> {
    let directions = state
        .read(move |conn| simpa_app::reference::directions(conn, caller.0))
        .await?;
    Ok(web::Json(Page::all(
        directions.into_iter().map(DirectionView::from),
    )))
}

/// The activity sectors an association may choose (at most three).
#[utoipa::path(tag = "reference", responses((status = 200, body = Page<SectorView>), (status = 401, response = crate::problem::responses::Unauthenticated)))]
#[get("/sectors")]
pub async fn list_sectors(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<SectorView>>, Problem> {
    let sectors = state
        .read(move |conn| simpa_app::reference::sectors(conn, caller.0))
        .await?;
    Ok(web::Json(Page::all(
        sectors.into_iter().map(SectorView::from),
    )))
}
