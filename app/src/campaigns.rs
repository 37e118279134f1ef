//! Reading campaigns as someone may.

use simpa_domain::DomainError;
use simpa_domain::campaign::{Campaign, CampaignStatus};
use simpa_domain::ids::CampaignId;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::{DbConnection, StoreResult, campaigns};

/// The campaign, if the caller may know of it (a draft is its managers' alone).
#[tracing::instrument(name = "campaigns::load_visible", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn load_visible(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<(Actor, Campaign)> {
    let campaign = campaigns::get(conn, id)?;
    let actor = load_actor(conn, subject)?;
    let campaign = visible(&actor, campaign)?;
    Ok((actor, campaign))
}

/// The campaign read, if the actor may know of it (a draft is its managers' alone).
pub fn visible(actor: &Actor, campaign: Option<Campaign>) -> StoreResult<Campaign> {
    let published = campaign
        .as_ref()
        .is_some_and(|c| c.status != CampaignStatus::Draft);
    policy::authorize(actor, Action::ReadCampaign { published })?;
    Ok(campaign.ok_or(DomainError::NotFound { what: "campaign" })?)
}
