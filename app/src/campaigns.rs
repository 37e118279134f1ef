//! Reading campaigns as someone may.

use crate::access::require;
use simpa_domain::DomainError;
use simpa_domain::campaign::{Campaign, CampaignStatus};
use simpa_domain::ids::CampaignId;
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_persistence::{DbConnection, StoreResult, campaigns};

/// The campaign, if the caller may know of it (a draft is its managers' alone).
#[tracing::instrument(name = "campaigns::load_visible", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn load_visible(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<(Actor, Campaign)> {
    let campaign = campaigns::get(conn, id)?;
    let published = campaign
        .as_ref()
        .is_some_and(|c| c.status != CampaignStatus::Draft);
    let actor = require(conn, subject, Action::ReadCampaign { published })?;
    let campaign = campaign.ok_or(DomainError::NotFound { what: "campaign" })?;
    Ok((actor, campaign))
}
