//! A person's membership of an association, as their account and the association's members
//! show it.

use crate::codes::MemberRoleCode;
use serde::Serialize;
use simpa_persistence::accounts::MembershipRecord;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    pub association_id: Uuid,
    pub association_name: String,
    pub role: MemberRoleCode,
    /// French label of the role.
    pub role_label: &'static str,
}

impl From<MembershipRecord> for MembershipView {
    fn from(m: MembershipRecord) -> Self {
        MembershipView {
            association_id: m.association_id.uuid(),
            association_name: m.association_name,
            role: MemberRoleCode(m.role),
            role_label: m.role.label(),
        }
    }
}
