//! The audit trail, as admins read it.

use crate::access::require;
use simpa_domain::audit::AuditAction;
use simpa_domain::policy::{Action, Subject};
use simpa_persistence::audit::{self, AuditEvent};
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult};

/// The audit trail, the latest first, of one action or all (admins).
#[tracing::instrument(name = "audit::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    action: Option<AuditAction>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<AuditEvent>> {
    require(conn, subject, Action::ReadAuditTrail)?;
    audit::list(conn, action, after, limit)
}
