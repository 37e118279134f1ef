//! The filters of the agents' lists, saved under a name: each agent's own, and those shared
//! with one of their services (the bureau, a direction, a town hall), which its other agents
//! see and use but only their author deletes.

use crate::access::{person, require};
use crate::clock::CityNow;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::saved_filter::{self as rules, FilteredList, Service, services};
use simpa_domain::{Checks, DomainError, Violation};
use simpa_persistence::saved_filters::{self, NewFilter, SavedFilter};
use simpa_persistence::{DbConnection, StoreResult};
use uuid::Uuid;

/// The filters of `list` the agent sees (theirs and their services'), with the services they
/// may share with.
#[tracing::instrument(name = "saved_filters::visible", skip_all, fields(actor = Subject::kind(subject)))]
pub fn visible(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    list: FilteredList,
) -> StoreResult<(Vec<SavedFilter>, Vec<Service>)> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let services = services(&policy::work_scope(&actor));
    let filters = saved_filters::visible(conn, person(&actor)?, &services, list)?;
    Ok((filters, services))
}

/// A filter to save.
pub struct NewSavedFilter {
    pub list: FilteredList,
    pub name: String,
    pub query: String,
    pub shared_with: Option<Service>,
}

/// Saves the agent's filter under its name (unique among theirs for the list), shared with
/// one of their services or kept for them: its id.
#[tracing::instrument(name = "saved_filters::save", skip_all, fields(actor = Subject::kind(subject)))]
pub fn save(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: NewSavedFilter,
    now: CityNow,
) -> StoreResult<Uuid> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let owner = person(&actor)?;
    let mut c = Checks::default();
    let name = c.check("name", rules::parse_name(&filter.name));
    let query = c.check("query", rules::parse_query(&filter.query));
    if let Some(service) = filter.shared_with
        && !serves_in(&actor, service)
    {
        c.push(
            Violation::new(
                "saved_filter.not_your_service",
                "Partagez un filtre avec l'un de vos services seulement.",
            )
            .at("shared_with"),
        );
    }
    let (Some(name), Some(query)) = (name, query) else {
        return Err(c.into_error().into());
    };
    c.finish()?;
    if saved_filters::name_taken(conn, owner, filter.list, &name)? {
        return Err(DomainError::invalid(
            "name",
            Violation::new(
                "saved_filter.name_taken",
                format!("Vous avez déjà un filtre nommé « {name} » : choisissez un autre nom."),
            ),
        )
        .into());
    }
    let new = NewFilter {
        owner,
        list: filter.list,
        name: &name,
        query: &query,
        shared_with: filter.shared_with,
    };
    saved_filters::insert(conn, &new, now.at)
}

fn serves_in(actor: &Actor, service: Service) -> bool {
    services(&policy::work_scope(actor)).contains(&service)
}

/// Deletes one of the agent's own filters (another's is not found).
#[tracing::instrument(name = "saved_filters::delete", skip_all, fields(actor = Subject::kind(subject), filter = %id))]
pub fn delete(conn: &mut DbConnection, subject: Option<Subject>, id: Uuid) -> StoreResult<()> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    simpa_domain::existed(saved_filters::delete(conn, person(&actor)?, id)?, "filter")
        .map_err(Into::into)
}
