//! The home page: what the portal is for, and the campaigns taking requests now.

use crate::Portal;
use crate::render::Page;
use crate::session::Enrolling;
use actix_web::{HttpResponse, get, web};
use minijinja::context;
use simpa_app::campaigns::open_now;

#[get("/")]
pub async fn home(portal: web::Data<Portal>, visitor: Option<Enrolling>) -> HttpResponse {
    let now = portal.runtime.now();
    let timezone = portal.runtime.timezone;
    let open = match portal
        .runtime
        .read(move |conn| open_now(conn, None, now))
        .await
    {
        Ok(open) => open,
        Err(error) => return crate::answers::failed(&portal, error),
    };
    let campaigns: Vec<_> = open
        .into_iter()
        .map(|open| {
            let settings = open.campaign.settings;
            let local_date = |at: chrono::DateTime<chrono::Utc>| {
                at.with_timezone(&timezone).date_naive().to_string()
            };
            context! {
                title => settings.title,
                description => settings.description,
                circuit => settings.circuit.who_may_apply(),
                district => settings.district.map(simpa_domain::french::ordinal),
                opens_on => local_date(settings.opens_at),
                closes_on => settings.closes_at.map(local_date),
                documents => open.documents,
            }
        })
        .collect();
    let page = Page::new("home.html", context! { campaigns });
    match &visitor {
        Some(Enrolling(visitor)) => page.visitor(visitor),
        None => page,
    }
    .answer(&portal)
}
