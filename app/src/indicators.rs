//! The figures the city's indicators are computed from: the requests submitted in the
//! caller's scope as staff (the bureau and the administration see the whole city, a direction
//! or a town hall the requests it instructs), within the filters.

use crate::access::require;
use simpa_domain::ids::{CampaignId, DistrictNumber};
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{Action, Actor, Subject, request_scope};
use simpa_persistence::indicators::{self, RequestFigures};
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, StoreResult, reference};

/// Which requests the indicators count.
#[derive(Default)]
pub struct Counted<'a> {
    pub year: Option<i32>,
    /// A direction's code: the requests it instructs.
    pub direction: Option<&'a str>,
    pub district: Option<DistrictNumber>,
    pub campaign: Option<CampaignId>,
}

/// The actor and the figures of the requests counted; `None` when the direction named is
/// none of the city's.
#[tracing::instrument(name = "indicators::figures", skip_all, fields(actor = Subject::kind(subject)))]
pub fn figures(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    counted: &Counted<'_>,
) -> StoreResult<Option<(Actor, Vec<RequestFigures>)>> {
    let actor = require(conn, subject, Action::ReadIndicators)?;
    let mut scope = request_scope(&actor);
    // What the caller sees as staff, not as a member of an association.
    scope.associations.clear();
    let instructor = match counted.direction {
        None => None,
        Some(code) => match reference::direction_by_code(conn, code)? {
            Some(direction) => Some(Instructor::Direction(direction.id)),
            None => return Ok(None),
        },
    };
    let filter = RequestFilter {
        campaign: counted.campaign,
        budget_year: counted.year,
        instructor,
        district: counted.district,
        ..RequestFilter::default()
    };
    let figures = indicators::figures(conn, &scope, &filter)?;
    Ok(Some((actor, figures)))
}
