//! People's accounts, their staff roles, and the actor a request acts as.

use crate::DbConnection;
use crate::connection::{insert_batches, on_each_backend};
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page};
use crate::schema::{accounts, association_members, associations, service_accounts, staff_roles};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use simpa_domain::DomainError;
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::{AccountId, AssociationId, DistrictNumber, StaffRoleId};
use simpa_domain::notification::WorkEmails;
use simpa_domain::policy::{Actor, Membership, Subject};
use simpa_domain::roles::{MemberRole, StaffRole, StaffRoleKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When its owner proved the address (by the link sent to it); `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// A staff role as granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffGrant {
    pub id: StaffRoleId,
    pub role: StaffRole,
    pub granted_at: DateTime<Utc>,
}

/// A person's membership, with the association's name for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub association_id: AssociationId,
    pub association_name: String,
    pub role: MemberRole,
}

/// What signing in needs to know.
pub struct Credentials {
    pub id: AccountId,
    pub password_hash: String,
    pub active: bool,
}

type AccountRow = (
    String,
    String,
    String,
    bool,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

const ACCOUNT_COLUMNS: (
    accounts::id,
    accounts::email,
    accounts::display_name,
    accounts::active,
    accounts::created_at,
    accounts::email_verified_at,
) = (
    accounts::id,
    accounts::email,
    accounts::display_name,
    accounts::active,
    accounts::created_at,
    accounts::email_verified_at,
);

fn account_from_row(
    (id, email, display_name, active, created_at, verified_at): AccountRow,
) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: parse("accounts.id", &id)?,
        email,
        display_name,
        active,
        created_at: utc(created_at),
        email_verified_at: verified_at.map(utc),
    })
}

pub fn email_taken(conn: &mut DbConnection, email: &EmailAddress) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        accounts::table.filter(accounts::email_key.eq(email.key())),
    ))
    .get_result(conn)?)
}

pub fn insert(
    conn: &mut DbConnection,
    id: AccountId,
    email: &EmailAddress,
    display_name: &str,
    password_hash: &str,
    verified: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    insert_many(
        conn,
        &[NewAccount {
            id,
            email,
            display_name,
            password_hash,
            verified,
        }],
        now,
    )?;
    Ok(())
}

/// An account to create.
pub struct NewAccount<'a> {
    pub id: AccountId,
    pub email: &'a EmailAddress,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    /// Whether its address is known to be its owner's (demo data, an admin's command).
    pub verified: bool,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = accounts)]
struct NewRow<'a> {
    id: String,
    email: &'a str,
    email_key: String,
    display_name: &'a str,
    password_hash: &'a str,
    active: bool,
    created_at: NaiveDateTime,
    email_verified_at: Option<NaiveDateTime>,
}

/// Creates active accounts.
pub fn insert_many(
    conn: &mut DbConnection,
    new: &[NewAccount<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<NewRow> = new
        .iter()
        .map(|a| NewRow {
            id: a.id.to_string(),
            email: a.email.as_str(),
            email_key: a.email.key(),
            display_name: a.display_name,
            password_hash: a.password_hash,
            active: true,
            created_at: naive(now),
            email_verified_at: a.verified.then(|| naive(now)),
        })
        .collect();
    insert_batches!(conn, accounts::table, &rows);
    Ok(())
}

/// Deactivates or reactivates an account; `false` when it already was so (or does not
/// exist).
pub fn set_active(conn: &mut DbConnection, id: AccountId, active: bool) -> StoreResult<bool> {
    let updated = diesel::update(
        accounts::table
            .find(id.to_string())
            .filter(accounts::active.eq(!active)),
    )
    .set(accounts::active.eq(active))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records that the owner proved the address; `false` when it was already.
pub fn mark_verified(
    conn: &mut DbConnection,
    id: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        accounts::table
            .find(id.to_string())
            .filter(accounts::email_verified_at.is_null()),
    )
    .set(accounts::email_verified_at.eq(naive(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The hash of an active account's password.
pub fn password_hash(conn: &mut DbConnection, id: AccountId) -> StoreResult<Option<String>> {
    Ok(accounts::table
        .find(id.to_string())
        .filter(accounts::active.eq(true))
        .select(accounts::password_hash)
        .first::<String>(conn)
        .optional()?)
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    id: AccountId,
    password_hash: &str,
) -> StoreResult<()> {
    diesel::update(accounts::table.find(id.to_string()))
        .set(accounts::password_hash.eq(password_hash))
        .execute(conn)?;
    Ok(())
}

pub fn credentials(
    conn: &mut DbConnection,
    email: &EmailAddress,
) -> StoreResult<Option<Credentials>> {
    accounts::table
        .filter(accounts::email_key.eq(email.key()))
        .select((accounts::id, accounts::password_hash, accounts::active))
        .first::<(String, String, bool)>(conn)
        .optional()?
        .map(|(id, password_hash, active)| {
            Ok(Credentials {
                id: parse("accounts.id", &id)?,
                password_hash,
                active,
            })
        })
        .transpose()
}

pub fn get(conn: &mut DbConnection, id: AccountId) -> StoreResult<Option<AccountRecord>> {
    accounts::table
        .find(id.to_string())
        .select(ACCOUNT_COLUMNS)
        .first::<AccountRow>(conn)
        .optional()?
        .map(account_from_row)
        .transpose()
}

pub fn find_by_email(
    conn: &mut DbConnection,
    email: &EmailAddress,
) -> StoreResult<Option<AccountRecord>> {
    accounts::table
        .filter(accounts::email_key.eq(email.key()))
        .select(ACCOUNT_COLUMNS)
        .first::<AccountRow>(conn)
        .optional()?
        .map(account_from_row)
        .transpose()
}

/// Accounts in e-mail order, optionally those whose e-mail or name contains `search`
/// (case-insensitive).
pub fn list(
    conn: &mut DbConnection,
    search: Option<&str>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<AccountRecord>> {
    let mut query = accounts::table
        .select((ACCOUNT_COLUMNS, accounts::email_key))
        .into_boxed();
    if let Some(text) = search {
        let pattern = crate::associations::contains_pattern(&text.to_lowercase());
        query = query.filter(
            accounts::email_key
                .like(pattern.clone())
                .escape('\\')
                .or(lower(accounts::display_name).like(pattern).escape('\\')),
        );
    }
    if let Some(after) = after {
        // The redundant `>=` lets PostgreSQL start the index scan at the cursor.
        query = query
            .filter(accounts::email_key.ge(after.sort_key.clone()))
            .filter(
                accounts::email_key
                    .gt(after.sort_key.clone())
                    .or(accounts::email_key
                        .eq(after.sort_key.clone())
                        .and(accounts::id.gt(after.id.clone()))),
            );
    }
    let rows: Vec<(AccountRow, String)> = query
        .order((accounts::email_key, accounts::id))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    Page::from_rows(rows, limit, |(row, key)| Keyset {
        sort_key: key.clone(),
        id: row.0.clone(),
    })
    .try_map(|(row, _)| account_from_row(row))
}

diesel::define_sql_function! {
    /// SQL's `lower`: both databases have it (SQLite folds ASCII letters only).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

type StaffRow = (String, String, Option<String>, Option<i32>, NaiveDateTime);

/// A staff role from its columns (kind, direction, district).
pub(crate) fn staff_role(
    kind: &str,
    direction: Option<&str>,
    district: Option<i32>,
) -> StoreResult<StaffRole> {
    let corrupt = || {
        StoreError::Corrupt(format!(
            "staff role {kind:?} (direction {direction:?}, district {district:?})"
        ))
    };
    let kind_code = StaffRoleKind::from_code(kind).ok_or_else(corrupt)?;
    let direction_id = direction
        .map(|d| parse("staff_roles.direction_id", d))
        .transpose()?;
    StaffRole::from_parts(kind_code, direction_id, district.map(DistrictNumber))
        .map_err(|_| corrupt())
}

fn grant_from_row(
    (id, kind, direction, district, granted_at): StaffRow,
) -> StoreResult<StaffGrant> {
    Ok(StaffGrant {
        id: parse("staff_roles.id", &id)?,
        role: staff_role(&kind, direction.as_deref(), district)?,
        granted_at: utc(granted_at),
    })
}

pub fn staff_grants(conn: &mut DbConnection, account: AccountId) -> StoreResult<Vec<StaffGrant>> {
    // Read at each page a person opens (whether they must add a second factor): on the
    // backend's own connection (see `connection::on_each_backend`).
    let rows: Vec<StaffRow> = on_each_backend!(&mut *conn, c => {
        staff_roles::table
            .filter(staff_roles::account_id.eq(account.to_string()))
            .select((
                staff_roles::id,
                staff_roles::kind,
                staff_roles::direction_id,
                staff_roles::district_number,
                staff_roles::granted_at,
            ))
            .order((staff_roles::granted_at, staff_roles::id))
            .load::<StaffRow>(c)
    })?;
    rows.into_iter().map(grant_from_row).collect()
}

pub fn grant(
    conn: &mut DbConnection,
    id: StaffRoleId,
    account: AccountId,
    role: StaffRole,
    granted_by: Option<AccountId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(staff_roles::table)
        .values((
            staff_roles::id.eq(id.to_string()),
            staff_roles::account_id.eq(account.to_string()),
            staff_roles::kind.eq(role.kind().code()),
            staff_roles::direction_id.eq(role.direction().map(|d| d.to_string())),
            staff_roles::district_number.eq(role.district().map(|d| d.0)),
            staff_roles::granted_at.eq(naive(now)),
            staff_roles::granted_by.eq(granted_by.map(|a| a.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes a staff role; `false` when the account holds no such grant.
pub fn revoke(
    conn: &mut DbConnection,
    account: AccountId,
    grant: StaffRoleId,
) -> StoreResult<bool> {
    let deleted = diesel::delete(
        staff_roles::table
            .filter(staff_roles::id.eq(grant.to_string()))
            .filter(staff_roles::account_id.eq(account.to_string())),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

pub fn memberships(
    conn: &mut DbConnection,
    account: AccountId,
) -> StoreResult<Vec<MembershipRecord>> {
    association_members::table
        .inner_join(associations::table)
        .filter(association_members::account_id.eq(account.to_string()))
        .select((
            association_members::association_id,
            associations::name,
            association_members::role,
        ))
        .order(associations::sort_key)
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, role)| {
            Ok(MembershipRecord {
                association_id: parse("association_members.association_id", &id)?,
                association_name: name,
                role: MemberRole::from_code(&role).ok_or_else(|| {
                    StoreError::Corrupt(format!("association_members.role = {role:?}"))
                })?,
            })
        })
        .collect()
}

fn unauthenticated() -> StoreError {
    DomainError::Unauthenticated {
        code: "auth.account_inactive",
        message: "Ce compte n'existe pas ou a été désactivé.".into(),
    }
    .into()
}

/// The actor a request acts as, with every role the policy needs. A token whose account was
/// deactivated or deleted since it was issued is refused here.
pub fn load_actor(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Actor> {
    load_signed(conn, subject).map(|signed| signed.actor)
}

/// Who acts, and the name their acts are signed with (the person's display name, the
/// service account's name; `?` for no one).
#[derive(Debug, Clone)]
pub struct Signed {
    pub actor: Actor,
    pub name: String,
    /// Whether a person proved their e-mail address (programs have none to prove).
    pub verified: bool,
}

/// The actor of a subject and their name, in one round trip (see [`load_actor`]).
pub fn load_signed(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Signed> {
    match subject {
        None => Ok(Signed {
            actor: Actor::Anonymous,
            name: "?".into(),
            verified: false,
        }),
        Some(Subject::Person(id)) => {
            // One round trip: whether the account is active, its memberships, its staff roles.
            let who = id.to_string();
            let rows: Vec<(String, Option<String>, String, Option<i32>)> = on_each_backend!(conn, c => {
                let account = accounts::table
                    .filter(accounts::id.eq(who.clone()))
                    .filter(accounts::active.eq(true))
                    .select((
                        "account".into_sql::<Text>(),
                        None::<String>.into_sql::<Nullable<Text>>(),
                        accounts::display_name,
                        // Not an SQL literal: a statement with one is prepared at every call.
                        case_when(accounts::email_verified_at.is_null(), 0.into_sql::<Integer>())
                            .otherwise(1.into_sql::<Integer>())
                            .nullable(),
                    ));
                let members = association_members::table
                    .filter(association_members::account_id.eq(who.clone()))
                    .select((
                        "member".into_sql::<Text>(),
                        association_members::association_id.nullable(),
                        association_members::role,
                        None::<i32>.into_sql::<Nullable<Integer>>(),
                    ));
                let staff = staff_roles::table
                    .filter(staff_roles::account_id.eq(who.clone()))
                    .select((
                        "staff".into_sql::<Text>(),
                        staff_roles::direction_id,
                        staff_roles::kind,
                        staff_roles::district_number,
                    ));
                account.union_all(members).union_all(staff).load(c)?
            });
            let Some((name, verified)) = rows
                .iter()
                .find(|(what, ..)| what == "account")
                .map(|(_, _, name, verified)| (name.clone(), *verified == Some(1)))
            else {
                return Err(unauthenticated());
            };
            let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of account {id}"));
            let (mut memberships, mut staff) = (Vec::new(), Vec::new());
            for (what, reference, code, district) in rows {
                match what.as_str() {
                    "member" => memberships.push(Membership {
                        association: parse(
                            "association_members.association_id",
                            reference.as_deref().unwrap_or_default(),
                        )?,
                        role: MemberRole::from_code(&code)
                            .ok_or_else(|| corrupt("a member role"))?,
                    }),
                    "staff" => staff.push(staff_role(&code, reference.as_deref(), district)?),
                    _ => {}
                }
            }
            Ok(Signed {
                actor: Actor::Person {
                    id,
                    memberships,
                    staff,
                },
                name,
                verified,
            })
        }
        Some(Subject::Service(id)) => {
            let row: Option<(String, bool, String)> = service_accounts::table
                .find(id.to_string())
                .select((
                    service_accounts::direction_id,
                    service_accounts::active,
                    service_accounts::name,
                ))
                .first(conn)
                .optional()?;
            match row {
                Some((direction, true, name)) => Ok(Signed {
                    actor: Actor::Service {
                        id,
                        direction: parse("service_accounts.direction_id", &direction)?,
                    },
                    name,
                    verified: true,
                }),
                _ => Err(unauthenticated()),
            }
        }
    }
}

/// What a person wants to hear by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub request_emails: bool,
    pub work_emails: WorkEmails,
}

pub fn preferences(
    conn: &mut DbConnection,
    account: AccountId,
) -> StoreResult<Option<Preferences>> {
    let row: Option<(bool, String)> = accounts::table
        .find(account.to_string())
        .select((accounts::request_emails, accounts::work_emails))
        .first(conn)
        .optional()?;
    row.map(|(request_emails, work)| {
        Ok(Preferences {
            request_emails,
            work_emails: WorkEmails::from_code(&work)
                .ok_or_else(|| StoreError::Corrupt(format!("accounts.work_emails = {work:?}")))?,
        })
    })
    .transpose()
}

pub fn set_preferences(
    conn: &mut DbConnection,
    account: AccountId,
    preferences: Preferences,
) -> StoreResult<bool> {
    let updated = diesel::update(accounts::table.find(account.to_string()))
        .set((
            accounts::request_emails.eq(preferences.request_emails),
            accounts::work_emails.eq(preferences.work_emails.code()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}
