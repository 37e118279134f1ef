//! The public directory (`/annuaire`): searching the associations that consented, each one's
//! card (`/annuaire/{id}`), and the card to embed in another site's frame
//! (`/annuaire/{id}/carte`: no header, framing allowed, cached five minutes). Nobody signs in;
//! a card shows only what the association made public (see `app::directory::PublicCard`).

use crate::Portal;
use crate::answers::{failed, not_found_page};
use crate::render::Page;
use crate::session::Enrolling;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::directory::{self as app, PublicCard, Search};
use simpa_app::runtime::RunError;
use simpa_domain::DomainError;
use simpa_domain::french::ordinal;
use simpa_domain::ids::{AssociationId, DistrictNumber};
use simpa_persistence::StoreError;
use uuid::Uuid;

/// Cards a search shows at most (then it asks to narrow it).
const SHOWN: usize = 50;

/// A card as the pages show it.
pub(super) fn card_shown(portal: &Portal, card: PublicCard) -> Value {
    let acts_in: Vec<String> = card.action_districts.iter().map(|d| ordinal(*d)).collect();
    context! {
        id => card.id.to_string(),
        name => card.name,
        acronym => card.acronym,
        rna => card.rna,
        excerpt => excerpt(&card.object),
        object => card.object,
        address => card.address.on_one_line(),
        district => card.district.map(ordinal),
        acts_in => (!acts_in.is_empty()).then(|| format!("{} arrondissement{}", acts_in.join(", "), if acts_in.len() > 1 { "s" } else { "" })),
        email => card.email,
        phone => card.phone,
        website => card.website,
        updated_on => crate::answers::city_date(portal, card.updated_at),
    }
}

/// The start of a text, cut at a word past 240 characters.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= 240 {
        return text.to_owned();
    }
    let start: String = text.chars().take(240).collect();
    let cut = start.rfind(' ').unwrap_or(start.len());
    format!("{}…", start[..cut].trim_end())
}

#[derive(Deserialize)]
pub struct DirectoryQuery {
    q: Option<String>,
    arrondissement: Option<String>,
}

#[get("/annuaire")]
pub async fn directory(
    portal: web::Data<Portal>,
    visitor: Option<Enrolling>,
    query: web::Query<DirectoryQuery>,
) -> HttpResponse {
    let DirectoryQuery { q, arrondissement } = query.into_inner();
    // A district that is not one is no filter.
    let district = arrondissement
        .and_then(|d| d.parse::<i32>().ok())
        .filter(|d| DistrictNumber::PARIS.contains(d));
    let words = q.clone().filter(|q| !q.trim().is_empty());
    let found = portal
        .runtime
        .read(move |conn| {
            let search = Search {
                words: words.as_deref(),
                district: district.map(DistrictNumber),
                ..Search::default()
            };
            app::search(conn, &search, None, SHOWN)
        })
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return failed(&portal, error),
    };
    let more = page.next.is_some();
    let cards: Vec<Value> = page
        .items
        .into_iter()
        .map(|a| card_shown(&portal, PublicCard::from(a)))
        .collect();
    let districts: Vec<Value> = DistrictNumber::PARIS
        .map(|n| context! { number => n, label => simpa_domain::french::district(DistrictNumber(n)) })
        .collect();
    let data = context! {
        words => q.unwrap_or_default(),
        district => district,
        districts => districts,
        cards => cards,
        more => more,
    };
    let page = Page::new("directory.html", data);
    match &visitor {
        Some(Enrolling(visitor)) => page.visitor(visitor),
        None => page,
    }
    .answer(&portal)
}

/// One association's public card, or the page of what is not found.
async fn public_card(portal: &Portal, id: Uuid) -> Result<PublicCard, HttpResponse> {
    let id = AssociationId::from_uuid(id);
    match portal.runtime.read(move |conn| app::card(conn, id)).await {
        Ok(association) => Ok(PublicCard::from(association)),
        Err(RunError::Store(StoreError::Domain(DomainError::NotFound { .. }))) => {
            Err(not_found_page(portal))
        }
        Err(error) => Err(failed(portal, error)),
    }
}

#[get("/annuaire/{id}")]
pub async fn card_page(
    portal: web::Data<Portal>,
    visitor: Option<Enrolling>,
    path: web::Path<Uuid>,
) -> HttpResponse {
    let card = match public_card(&portal, path.into_inner()).await {
        Ok(card) => card,
        Err(answer) => return answer,
    };
    let page = Page::new("card.html", context! { card => card_shown(&portal, card) });
    match &visitor {
        Some(Enrolling(visitor)) => page.visitor(visitor),
        None => page,
    }
    .answer(&portal)
}

/// The card alone, for another site's frame: public, so cached five minutes.
#[get("/annuaire/{id}/carte")]
pub async fn embedded_card(portal: web::Data<Portal>, path: web::Path<Uuid>) -> HttpResponse {
    let card = match public_card(&portal, path.into_inner()).await {
        Ok(card) => card,
        Err(answer) => return answer,
    };
    let data = context! {
        card => card_shown(&portal, card),
        origin => portal.settings.origin.clone(),
    };
    let mut answer = Page::new("card_embedded.html", data).answer(&portal);
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
    answer
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn a_long_object_is_cut_at_a_word() {
        assert_eq!(excerpt("Court."), "Court.");
        let long = "mot ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with("mot…"), "{cut}");
        assert!(cut.chars().count() <= 241, "{cut}");
    }
}
