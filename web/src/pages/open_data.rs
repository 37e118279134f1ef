//! The open data page (`/donnees-ouvertes`): what the city publishes of the subsidies it
//! grants, in which formats, and the links to download them, by budget year. The files are
//! the API's public exports (`/api/v1/open-data/…`), which anyone may download.

use crate::Portal;
use crate::render::Page;
use crate::session::Enrolling;
use actix_web::{HttpResponse, get, web};
use chrono::Datelike;
use minijinja::context;

/// The budget years offered: this one and the two before.
const YEARS: i32 = 3;

#[get("/donnees-ouvertes")]
pub async fn open_data(portal: web::Data<Portal>, visitor: Option<Enrolling>) -> HttpResponse {
    let this_year = portal.runtime.today().year();
    let years: Vec<i32> = (0..YEARS).map(|back| this_year - back).collect();
    let page = Page::new("open_data.html", context! { years => years });
    match &visitor {
        Some(Enrolling(visitor)) => page.visitor(visitor),
        None => page,
    }
    .answer(&portal)
}
