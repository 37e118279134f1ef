//! Members of associations, and invitations to join them.

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::connection::on_each_backend;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::schema::{accounts, association_invitations, association_members, staff_roles};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use simpa_domain::association::InvitationState;
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::{AccountId, AssociationId};
use simpa_domain::notification::{StaffTarget, WorkEmails};
use simpa_domain::roles::{MemberRole, StaffRole, StaffRoleKind};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: AccountId,
    pub email: String,
    pub display_name: String,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: Uuid,
    pub association_id: AssociationId,
    pub email: String,
    pub role: MemberRole,
    pub invited_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An invitation found by its token, with what deciding its acceptance needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedInvitation {
    pub invitation: Invitation,
    pub state: InvitationState,
}

fn role(raw: &str) -> StoreResult<MemberRole> {
    MemberRole::from_code(raw).ok_or_else(|| StoreError::Corrupt(format!("member role = {raw:?}")))
}

type MemberRow = (String, String, String, String, NaiveDateTime);

const MEMBER_COLUMNS: (
    association_members::account_id,
    accounts::email,
    accounts::display_name,
    association_members::role,
    association_members::joined_at,
) = (
    association_members::account_id,
    accounts::email,
    accounts::display_name,
    association_members::role,
    association_members::joined_at,
);

fn member_from_row((id, email, display_name, r, joined_at): MemberRow) -> StoreResult<Member> {
    Ok(Member {
        account_id: parse("association_members.account_id", &id)?,
        email,
        display_name,
        role: role(&r)?,
        joined_at: utc(joined_at),
    })
}

pub fn list(conn: &mut DbConnection, association: AssociationId) -> StoreResult<Vec<Member>> {
    association_members::table
        .inner_join(accounts::table)
        .filter(association_members::association_id.eq(association.to_string()))
        .select(MEMBER_COLUMNS)
        .order((
            association_members::joined_at,
            association_members::account_id,
        ))
        .load::<MemberRow>(conn)?
        .into_iter()
        .map(member_from_row)
        .collect()
}

/// One member of an association.
pub fn get(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<Option<Member>> {
    association_members::table
        .inner_join(accounts::table)
        .filter(association_members::association_id.eq(association.to_string()))
        .filter(association_members::account_id.eq(account.to_string()))
        .select(MEMBER_COLUMNS)
        .first::<MemberRow>(conn)
        .optional()?
        .map(member_from_row)
        .transpose()
}

pub fn role_of(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<Option<MemberRole>> {
    association_members::table
        .find((association.to_string(), account.to_string()))
        .select(association_members::role)
        .first::<String>(conn)
        .optional()?
        .map(|r| role(&r))
        .transpose()
}

pub fn presidents(conn: &mut DbConnection, association: AssociationId) -> StoreResult<usize> {
    let count: i64 = association_members::table
        .filter(association_members::association_id.eq(association.to_string()))
        .filter(association_members::role.eq(MemberRole::President.code()))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(count).unwrap_or(0))
}

pub fn add(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
    role: MemberRole,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    add_many(conn, &[(association, account, role)], now)
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = association_members)]
struct NewRow {
    association_id: String,
    account_id: String,
    role: &'static str,
    joined_at: NaiveDateTime,
}

/// Makes these people members of these associations, with these roles.
pub fn add_many(
    conn: &mut DbConnection,
    new: &[(AssociationId, AccountId, MemberRole)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<NewRow> = new
        .iter()
        .map(|(association, account, role)| NewRow {
            association_id: association.to_string(),
            account_id: account.to_string(),
            role: role.code(),
            joined_at: naive(now),
        })
        .collect();
    insert_batches!(conn, association_members::table, &rows);
    Ok(())
}

pub fn set_role(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
    role: MemberRole,
) -> StoreResult<()> {
    diesel::update(association_members::table.find((association.to_string(), account.to_string())))
        .set(association_members::role.eq(role.code()))
        .execute(conn)?;
    Ok(())
}

pub fn remove(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<()> {
    diesel::delete(association_members::table.find((association.to_string(), account.to_string())))
        .execute(conn)?;
    Ok(())
}

type InvitationRow = (String, String, String, String, NaiveDateTime, NaiveDateTime);

fn invitation_from_row(
    (id, association, email, r, invited_at, expires_at): InvitationRow,
) -> StoreResult<Invitation> {
    Ok(Invitation {
        id: parse("association_invitations.id", &id)?,
        association_id: parse("association_invitations.association_id", &association)?,
        email,
        role: role(&r)?,
        invited_at: utc(invited_at),
        expires_at: utc(expires_at),
    })
}

const INVITATION_COLUMNS: (
    association_invitations::id,
    association_invitations::association_id,
    association_invitations::email,
    association_invitations::role,
    association_invitations::invited_at,
    association_invitations::expires_at,
) = (
    association_invitations::id,
    association_invitations::association_id,
    association_invitations::email,
    association_invitations::role,
    association_invitations::invited_at,
    association_invitations::expires_at,
);

/// Invitations neither accepted nor cancelled (expired ones included: they show as such).
pub fn pending_invitations(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<Vec<Invitation>> {
    association_invitations::table
        .filter(association_invitations::association_id.eq(association.to_string()))
        .filter(association_invitations::accepted_at.is_null())
        .filter(association_invitations::cancelled_at.is_null())
        .select(INVITATION_COLUMNS)
        .order((
            association_invitations::invited_at,
            association_invitations::id,
        ))
        .load::<InvitationRow>(conn)?
        .into_iter()
        .map(invitation_from_row)
        .collect()
}

/// The pending invitation of this e-mail to this association, if any.
pub fn pending_invitation(
    conn: &mut DbConnection,
    association: AssociationId,
    email: &EmailAddress,
) -> StoreResult<Option<Invitation>> {
    association_invitations::table
        .filter(association_invitations::association_id.eq(association.to_string()))
        .filter(association_invitations::email_key.eq(email.key()))
        .filter(association_invitations::accepted_at.is_null())
        .filter(association_invitations::cancelled_at.is_null())
        .select(INVITATION_COLUMNS)
        .first::<InvitationRow>(conn)
        .optional()?
        .map(invitation_from_row)
        .transpose()
}

pub struct NewInvitation<'a> {
    pub id: Uuid,
    pub association: AssociationId,
    pub email: &'a EmailAddress,
    pub role: MemberRole,
    pub token_hash: &'a str,
    pub invited_by: AccountId,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn invite(conn: &mut DbConnection, new: NewInvitation<'_>) -> StoreResult<()> {
    diesel::insert_into(association_invitations::table)
        .values((
            association_invitations::id.eq(new.id.to_string()),
            association_invitations::association_id.eq(new.association.to_string()),
            association_invitations::email.eq(new.email.as_str()),
            association_invitations::email_key.eq(new.email.key()),
            association_invitations::role.eq(new.role.code()),
            association_invitations::token_hash.eq(new.token_hash),
            association_invitations::invited_by.eq(new.invited_by.to_string()),
            association_invitations::invited_at.eq(naive(new.now)),
            association_invitations::expires_at.eq(naive(new.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a pending invitation a new token and validity (it is sent again); the token before
/// no longer works. `false` if there is no pending invitation with that id in that association.
pub fn renew_invitation(
    conn: &mut DbConnection,
    association: AssociationId,
    id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        association_invitations::table
            .filter(association_invitations::id.eq(id.to_string()))
            .filter(association_invitations::association_id.eq(association.to_string()))
            .filter(association_invitations::accepted_at.is_null())
            .filter(association_invitations::cancelled_at.is_null()),
    )
    .set((
        association_invitations::token_hash.eq(token_hash),
        association_invitations::expires_at.eq(naive(expires_at)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Cancels a pending invitation; `false` if there is none with that id in that association.
pub fn cancel_invitation(
    conn: &mut DbConnection,
    association: AssociationId,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        association_invitations::table
            .filter(association_invitations::id.eq(id.to_string()))
            .filter(association_invitations::association_id.eq(association.to_string()))
            .filter(association_invitations::accepted_at.is_null())
            .filter(association_invitations::cancelled_at.is_null()),
    )
    .set(association_invitations::cancelled_at.eq(naive(now)))
    .execute(conn)?;
    Ok(updated > 0)
}

/// The invitation a token was issued for, whatever its state.
pub fn invitation_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<PresentedInvitation>> {
    let row: Option<(
        InvitationRow,
        String,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    )> = association_invitations::table
        .filter(association_invitations::token_hash.eq(token_hash))
        .select((
            INVITATION_COLUMNS,
            association_invitations::email_key,
            association_invitations::accepted_at,
            association_invitations::cancelled_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(row, email_key, accepted_at, cancelled_at)| {
        let invitation = invitation_from_row(row)?;
        let state = InvitationState {
            email_key,
            expires_at: invitation.expires_at,
            closed: accepted_at.is_some() || cancelled_at.is_some(),
        };
        Ok(PresentedInvitation { invitation, state })
    })
    .transpose()
}

/// Closes an invitation as accepted by `account`; `false` if it was closed meanwhile.
pub fn mark_accepted(
    conn: &mut DbConnection,
    id: Uuid,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        association_invitations::table
            .find(id.to_string())
            .filter(association_invitations::accepted_at.is_null())
            .filter(association_invitations::cancelled_at.is_null()),
    )
    .set((
        association_invitations::accepted_at.eq(naive(now)),
        association_invitations::accepted_by.eq(account.to_string()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Someone to write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub account: AccountId,
    pub email: String,
    pub name: String,
}

/// A member to write to, with whether they want to hear of its requests and whether they
/// preside it.
pub type MemberAddressee = (Addressee, bool, bool);

/// The active members of the association, each with whether they want to hear of its
/// requests and whether they preside it.
pub fn addressees(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<Vec<MemberAddressee>> {
    Ok(addressees_of_many(conn, &[association], &[])?
        .members
        .remove(&association)
        .unwrap_or_default())
}

/// Whom the notices of a batch may go to: the active members of associations, and the active
/// staff whom targets name.
#[derive(Debug, Default)]
pub struct Addressees {
    /// Each association's members, by e-mail.
    pub members: HashMap<AssociationId, Vec<MemberAddressee>>,
    /// Each staff role found, with its holder: by e-mail.
    staff: Vec<(StaffRole, Addressee, WorkEmails)>,
}

impl Addressees {
    /// The staff whom these targets name, target by target, each person once.
    pub fn staff(&self, targets: &[StaffTarget]) -> Vec<(Addressee, WorkEmails)> {
        let mut found: Vec<(Addressee, WorkEmails)> = Vec::new();
        for target in targets {
            for (role, to, when) in &self.staff {
                if target.names(role) && !found.iter().any(|(a, _)| a.account == to.account) {
                    found.push((to.clone(), *when));
                }
            }
        }
        found
    }
}

/// Whom the notices of a batch may go to (see [`Addressees`]), in one statement per thousand
/// associations, whatever the batch's size.
pub fn addressees_of_many(
    conn: &mut DbConnection,
    associations: &[AssociationId],
    targets: &[StaffTarget],
) -> StoreResult<Addressees> {
    type AddresseeRow = (
        Option<String>,
        String,
        String,
        String,
        String,
        bool,
        String,
        String,
        Option<String>,
        Option<i32>,
    );
    // An association named twice (several requests of its) is read once.
    let mut associations = associations.to_vec();
    associations.sort();
    associations.dedup();
    let mut chunks: Vec<&[AssociationId]> = associations.chunks(1000).collect();
    if chunks.is_empty() && !targets.is_empty() {
        chunks.push(&[]);
    }
    let bureau: Vec<&str> = targets
        .iter()
        .filter(|t| **t == StaffTarget::Bureau)
        .map(|_| StaffRoleKind::Bureau.code())
        .collect();
    let directions: Vec<String> = targets
        .iter()
        .filter_map(|t| match t {
            StaffTarget::Direction(d) => Some(d.to_string()),
            _ => None,
        })
        .collect();
    let districts: Vec<i32> = targets
        .iter()
        .filter_map(|t| match t {
            StaffTarget::District(n) => Some(n.0),
            _ => None,
        })
        .collect();
    let mut rows: Vec<AddresseeRow> = Vec::new();
    for (position, chunk) in chunks.into_iter().enumerate() {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        // The staff come with the first associations, in the same statement.
        let with_staff = position == 0 && !targets.is_empty();
        let (bureau, directions, districts) =
            (bureau.clone(), directions.clone(), districts.clone());
        let read: Vec<AddresseeRow> = on_each_backend!(&mut *conn, c => {
            let members = association_members::table
                .inner_join(accounts::table)
                .filter(association_members::association_id.eq_any(ids))
                .filter(accounts::active.eq(true))
                .select((
                    association_members::association_id.nullable(),
                    accounts::id,
                    accounts::email,
                    accounts::email_key,
                    accounts::display_name,
                    accounts::request_emails,
                    accounts::work_emails,
                    association_members::role,
                    None::<String>.into_sql::<Nullable<Text>>(),
                    None::<i32>.into_sql::<Nullable<Integer>>(),
                ));
            let staff = staff_roles::table
                .inner_join(accounts::table)
                .filter(accounts::active.eq(true))
                .filter(
                    staff_roles::kind
                        .eq_any(bureau)
                        .or(staff_roles::kind
                            .eq(StaffRoleKind::Instructor.code())
                            .and(staff_roles::direction_id.eq_any(directions)))
                        .or(staff_roles::kind
                            .eq(StaffRoleKind::District.code())
                            .and(staff_roles::district_number.eq_any(districts))),
                )
                .select((
                    None::<String>.into_sql::<Nullable<Text>>(),
                    accounts::id,
                    accounts::email,
                    accounts::email_key,
                    accounts::display_name,
                    accounts::request_emails,
                    accounts::work_emails,
                    staff_roles::kind,
                    staff_roles::direction_id,
                    staff_roles::district_number,
                ));
            if with_staff {
                members.union_all(staff).load(c)?
            } else {
                members.load(c)?
            }
        });
        rows.extend(read);
    }
    // By e-mail (sorted here: ordering in SQL would walk every account).
    rows.sort_by(|a, b| (&a.0, &a.3).cmp(&(&b.0, &b.3)));
    let mut found = Addressees::default();
    for (association, id, email, _, name, wants, work, role, direction, district) in rows {
        let to = Addressee {
            account: parse("accounts.id", &id)?,
            email,
            name,
        };
        match association {
            Some(association) => found
                .members
                .entry(parse("association_members.association_id", &association)?)
                .or_default()
                .push((to, wants, role == MemberRole::President.code())),
            None => {
                let work = WorkEmails::from_code(&work).ok_or_else(|| {
                    StoreError::Corrupt(format!("accounts.work_emails = {work:?}"))
                })?;
                let role = crate::accounts::staff_role(&role, direction.as_deref(), district)?;
                found.staff.push((role, to, work));
            }
        }
    }
    Ok(found)
}

/// Presidents of associations whose vault has a RIB, at most `limit`, by association: who
/// may apply at once (the benchmarks' and tests' batches). (association, account, e-mail,
/// name).
pub fn presidents_with_rib(
    conn: &mut DbConnection,
    limit: i64,
) -> StoreResult<Vec<(String, String, String, String)>> {
    use crate::schema::document_versions;
    Ok(association_members::table
        .inner_join(accounts::table.on(accounts::id.eq(association_members::account_id)))
        .filter(association_members::role.eq("president"))
        .filter(
            association_members::association_id.eq_any(
                document_versions::table
                    .filter(document_versions::kind_code.eq("rib"))
                    .select(document_versions::association_id),
            ),
        )
        .select((
            association_members::association_id,
            accounts::id,
            accounts::email,
            accounts::display_name,
        ))
        .order(association_members::association_id)
        .limit(limit)
        .load(conn)?)
}
