//! Document kinds, the versions associations file, and declared public funding.

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{association_public_funding, document_kinds, document_versions};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::document::{
    Condition, ConditionFacts, DocumentKind, ReviewState, ValidityRule, VersionFacts,
};
use simpa_domain::ids::{AccountId, AssociationId, DistrictNumber, DocumentVersionId, RequestId};
use simpa_domain::listing::DocumentOrder;
use std::collections::HashSet;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = document_kinds)]
struct KindRow {
    code: String,
    label: String,
    validity_rule: String,
    fiscal_year_offset: i32,
    grace_months: i32,
    max_age_months: Option<i32>,
    bank_details: bool,
    required_for_profile: bool,
    required_when: Option<String>,
    position: i32,
}

fn kind_from_row(row: KindRow) -> StoreResult<DocumentKind> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("document_kinds.{what} of {}", row.code));
    Ok(DocumentKind {
        rule: ValidityRule::from_code(&row.validity_rule)
            .ok_or_else(|| corrupt("validity_rule"))?,
        condition: row
            .required_when
            .as_deref()
            .map(|c| Condition::from_code(c).ok_or_else(|| corrupt("required_when")))
            .transpose()?,
        grace_months: u32::try_from(row.grace_months).map_err(|_| corrupt("grace_months"))?,
        max_age_months: row
            .max_age_months
            .map(|m| u32::try_from(m).map_err(|_| corrupt("max_age_months")))
            .transpose()?,
        fiscal_year_offset: row.fiscal_year_offset,
        bank_details: row.bank_details,
        required_for_profile: row.required_for_profile,
        code: row.code,
        label: row.label,
    })
}

/// Every kind, in the city's order.
pub fn kinds(conn: &mut DbConnection) -> StoreResult<Vec<DocumentKind>> {
    document_kinds::table
        .select(KindRow::as_select())
        .order(document_kinds::position)
        .load(conn)?
        .into_iter()
        .map(kind_from_row)
        .collect()
}

pub fn kind(conn: &mut DbConnection, code: &str) -> StoreResult<Option<DocumentKind>> {
    document_kinds::table
        .find(code)
        .select(KindRow::as_select())
        .first(conn)
        .optional()?
        .map(kind_from_row)
        .transpose()
}

/// Replaces a kind's rules (its code and place in the list stay); `false` if there is none.
/// A new kind of document, last of the list, with its rules.
pub fn insert_kind(conn: &mut DbConnection, kind: &DocumentKind) -> StoreResult<()> {
    let last: Option<i32> = document_kinds::table
        .select(diesel::dsl::max(document_kinds::position))
        .first(conn)?;
    diesel::insert_into(document_kinds::table)
        .values((
            document_kinds::code.eq(&kind.code),
            document_kinds::label.eq(&kind.label),
            document_kinds::validity_rule.eq(kind.rule.code()),
            document_kinds::fiscal_year_offset.eq(0),
            document_kinds::grace_months.eq(0),
            document_kinds::bank_details.eq(false),
            document_kinds::required_for_profile.eq(false),
            document_kinds::position.eq(last.unwrap_or(0) + 1),
        ))
        .execute(conn)?;
    update_kind(conn, kind).map(|_| ())
}

/// A kind's label and rules (its code stays); whether it exists.
pub fn update_kind(conn: &mut DbConnection, kind: &DocumentKind) -> StoreResult<bool> {
    let updated = diesel::update(document_kinds::table.find(&kind.code))
        .set((
            document_kinds::label.eq(&kind.label),
            document_kinds::validity_rule.eq(kind.rule.code()),
            document_kinds::fiscal_year_offset.eq(kind.fiscal_year_offset),
            document_kinds::grace_months.eq(i32::try_from(kind.grace_months).unwrap_or(i32::MAX)),
            document_kinds::max_age_months.eq(kind
                .max_age_months
                .map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
            document_kinds::bank_details.eq(kind.bank_details),
            document_kinds::required_for_profile.eq(kind.required_for_profile),
            document_kinds::required_when.eq(kind.condition.map(|c| c.code())),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The stored file of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub file_name: String,
}

/// A RIB's details as declared with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDetails {
    pub iban: String,
    pub bic: String,
    pub account_holder: String,
}

/// A version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentVersion {
    pub facts: VersionFacts,
    pub association_id: AssociationId,
    pub kind_code: String,
    pub file: Option<StoredFile>,
    pub bank: Option<BankDetails>,
    pub filed_by: AccountId,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_reason: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = document_versions)]
struct VersionRow {
    id: String,
    association_id: String,
    kind_code: String,
    fiscal_year: Option<i32>,
    valid_until: Option<NaiveDate>,
    event_date: Option<NaiveDate>,
    blob_sha256: Option<String>,
    size_bytes: Option<i64>,
    media_type: Option<String>,
    file_name: Option<String>,
    iban: Option<String>,
    bic: Option<String>,
    account_holder: Option<String>,
    filed_by: String,
    filed_at: NaiveDateTime,
    review_state: String,
    reviewed_at: Option<NaiveDateTime>,
    review_reason: Option<String>,
}

fn version_from_row(row: VersionRow) -> StoreResult<DocumentVersion> {
    let review = ReviewState::from_code(&row.review_state).ok_or_else(|| {
        StoreError::Corrupt(format!("document_versions.review_state of {}", row.id))
    })?;
    let file = match (
        row.blob_sha256,
        row.size_bytes,
        row.media_type,
        row.file_name,
    ) {
        (Some(sha256), Some(size_bytes), Some(media_type), Some(file_name)) => Some(StoredFile {
            sha256,
            size_bytes,
            media_type,
            file_name,
        }),
        _ => None,
    };
    let bank = match (row.iban, row.bic, row.account_holder) {
        (Some(iban), Some(bic), Some(account_holder)) => Some(BankDetails {
            iban,
            bic,
            account_holder,
        }),
        _ => None,
    };
    Ok(DocumentVersion {
        facts: VersionFacts {
            id: parse("document_versions.id", &row.id)?,
            fiscal_year: row.fiscal_year,
            valid_until: row.valid_until,
            event_date: row.event_date,
            filed_at: utc(row.filed_at),
            review,
        },
        association_id: parse("document_versions.association_id", &row.association_id)?,
        kind_code: row.kind_code,
        file,
        bank,
        filed_by: parse("document_versions.filed_by", &row.filed_by)?,
        reviewed_at: row.reviewed_at.map(utc),
        review_reason: row.review_reason,
    })
}

/// What filing a version writes.
pub struct NewVersion<'a> {
    pub id: DocumentVersionId,
    pub association: AssociationId,
    pub kind_code: &'a str,
    pub fiscal_year: Option<i32>,
    pub valid_until: Option<NaiveDate>,
    pub event_date: Option<NaiveDate>,
    pub file: Option<&'a StoredFile>,
    pub bank: Option<&'a BankDetails>,
    pub filed_by: AccountId,
    pub filed_at: DateTime<Utc>,
    pub review: ReviewState,
}

pub fn insert_version(conn: &mut DbConnection, new: NewVersion<'_>) -> StoreResult<()> {
    insert_versions(conn, &[new])
}

#[derive(Insertable)]
#[diesel(table_name = document_versions, treat_none_as_default_value = false)]
struct NewVersionRow<'a> {
    id: String,
    association_id: String,
    kind_code: &'a str,
    fiscal_year: Option<i32>,
    valid_until: Option<NaiveDate>,
    event_date: Option<NaiveDate>,
    blob_sha256: Option<&'a str>,
    size_bytes: Option<i64>,
    media_type: Option<&'a str>,
    file_name: Option<&'a str>,
    iban: Option<&'a str>,
    bic: Option<&'a str>,
    account_holder: Option<&'a str>,
    filed_by: String,
    filed_at: NaiveDateTime,
    review_state: &'static str,
}

/// Files versions (their bytes already stored).
pub fn insert_versions(conn: &mut DbConnection, new: &[NewVersion<'_>]) -> StoreResult<()> {
    let rows: Vec<NewVersionRow> = new
        .iter()
        .map(|new| NewVersionRow {
            id: new.id.to_string(),
            association_id: new.association.to_string(),
            kind_code: new.kind_code,
            fiscal_year: new.fiscal_year,
            valid_until: new.valid_until,
            event_date: new.event_date,
            blob_sha256: new.file.map(|f| f.sha256.as_str()),
            size_bytes: new.file.map(|f| f.size_bytes),
            media_type: new.file.map(|f| f.media_type.as_str()),
            file_name: new.file.map(|f| f.file_name.as_str()),
            iban: new.bank.map(|b| b.iban.as_str()),
            bic: new.bank.map(|b| b.bic.as_str()),
            account_holder: new.bank.map(|b| b.account_holder.as_str()),
            filed_by: new.filed_by.to_string(),
            filed_at: naive(new.filed_at),
            review_state: new.review.code(),
        })
        .collect();
    insert_batches!(conn, document_versions::table, &rows);
    Ok(())
}

/// Every version an association filed, newest first.
pub fn versions(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<Vec<DocumentVersion>> {
    document_versions::table
        .filter(document_versions::association_id.eq(association.to_string()))
        .select(VersionRow::as_select())
        .order((
            document_versions::filed_at.desc(),
            document_versions::id.desc(),
        ))
        .load(conn)?
        .into_iter()
        .map(version_from_row)
        .collect()
}

/// Every kind of document, in order, and this association's versions by kind (each kind's
/// latest first): its vault, in one statement.
pub fn kinds_and_versions(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<(Vec<DocumentKind>, Vec<DocumentVersion>)> {
    let rows: Vec<(KindRow, Option<VersionRow>)> = document_kinds::table
        .left_join(
            document_versions::table.on(document_versions::kind_code
                .eq(document_kinds::code)
                .and(document_versions::association_id.eq(association.to_string()))),
        )
        .select((KindRow::as_select(), Option::<VersionRow>::as_select()))
        .order((
            document_kinds::position,
            document_versions::filed_at.desc(),
            document_versions::id.desc(),
        ))
        .load(conn)?;
    let (mut kinds, mut versions) = (Vec::new(), Vec::new());
    for (kind, version) in rows {
        if kinds
            .last()
            .is_none_or(|k: &DocumentKind| k.code != kind.code)
        {
            kinds.push(kind_from_row(kind)?);
        }
        if let Some(version) = version {
            versions.push(version_from_row(version)?);
        }
    }
    Ok((kinds, versions))
}

/// One version of this association's documents.
pub fn version(
    conn: &mut DbConnection,
    association: AssociationId,
    id: DocumentVersionId,
) -> StoreResult<Option<DocumentVersion>> {
    document_versions::table
        .find(id.to_string())
        .filter(document_versions::association_id.eq(association.to_string()))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?
        .map(version_from_row)
        .transpose()
}

/// The versions attached to a request, in the kinds' order, in one statement.
pub(crate) fn attached_to(
    conn: &mut DbConnection,
    request: RequestId,
) -> StoreResult<Vec<DocumentVersion>> {
    use crate::schema::request_documents;
    request_documents::table
        .inner_join(document_versions::table.inner_join(document_kinds::table))
        .filter(request_documents::request_id.eq(request.to_string()))
        .select(VersionRow::as_select())
        .order((document_kinds::position, document_versions::id))
        .load(conn)?
        .into_iter()
        .map(version_from_row)
        .collect()
}

/// Records the city's review of a version; `false` if there is no such version.
pub fn review(
    conn: &mut DbConnection,
    association: AssociationId,
    id: DocumentVersionId,
    state: ReviewState,
    reason: Option<&str>,
    reviewer: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        document_versions::table
            .find(id.to_string())
            .filter(document_versions::association_id.eq(association.to_string())),
    )
    .set((
        document_versions::review_state.eq(state.code()),
        document_versions::review_reason.eq(reason),
        document_versions::reviewed_by.eq(reviewer.to_string()),
        document_versions::reviewed_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Every stored blob a row refers to: the documents' versions and the files of messages.
pub fn referenced_blobs(conn: &mut DbConnection) -> StoreResult<HashSet<String>> {
    let hashes: Vec<Option<String>> = document_versions::table
        .select(document_versions::blob_sha256)
        .distinct()
        .load(conn)?;
    let mut referenced: HashSet<String> = hashes.into_iter().flatten().collect();
    referenced.extend(crate::messages::referenced_blobs(conn)?);
    Ok(referenced)
}

/// The public cash subsidies an association declared, per year.
pub fn condition_facts(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<ConditionFacts> {
    let rows: Vec<(i32, i64)> = association_public_funding::table
        .filter(association_public_funding::association_id.eq(association.to_string()))
        .select((
            association_public_funding::fiscal_year,
            association_public_funding::cash_subsidies_cents,
        ))
        .order(association_public_funding::fiscal_year)
        .load(conn)?;
    Ok(ConditionFacts {
        public_cash_subsidies: rows,
    })
}

/// Declares (or corrects) the public cash subsidies of one year.
pub fn declare_public_funding(
    conn: &mut DbConnection,
    association: AssociationId,
    fiscal_year: i32,
    cents: i64,
    declared_by: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(association_public_funding::table.find((association.to_string(), fiscal_year)))
        .execute(conn)?;
    diesel::insert_into(association_public_funding::table)
        .values((
            association_public_funding::association_id.eq(association.to_string()),
            association_public_funding::fiscal_year.eq(fiscal_year),
            association_public_funding::cash_subsidies_cents.eq(cents),
            association_public_funding::declared_by.eq(declared_by.to_string()),
            association_public_funding::declared_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A version waiting for the city's review, with its association's name and district.
pub struct Waiting {
    pub version: DocumentVersion,
    pub association_name: String,
    pub district: Option<DistrictNumber>,
}

/// What narrows and orders the documents waiting for review.
#[derive(Debug, Clone, Default)]
pub struct WaitingFilter {
    /// One kind of document (its code).
    pub kind: Option<String>,
    /// The associations headquartered in this district.
    pub district: Option<DistrictNumber>,
    /// Filed from and before these times.
    pub filed_from: Option<DateTime<Utc>>,
    pub filed_until: Option<DateTime<Utc>>,
    pub order: DocumentOrder,
}

/// The versions filed with a file that wait for the city's review, as `filter` narrows and
/// orders them: every association's (`everyone`), or those of the associations headquartered
/// in `districts`; a page after `after`.
pub fn waiting_review(
    conn: &mut DbConnection,
    everyone: bool,
    districts: &[DistrictNumber],
    filter: &WaitingFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Waiting>> {
    use crate::schema::associations;
    let mut query = document_versions::table
        .inner_join(associations::table.on(associations::id.eq(document_versions::association_id)))
        .filter(document_versions::review_state.eq(ReviewState::Pending.code()))
        .filter(document_versions::blob_sha256.is_not_null())
        .into_boxed();
    if !everyone {
        let numbers: Vec<i32> = districts.iter().map(|d| d.0).collect();
        query = query.filter(associations::district_number.eq_any(numbers));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(document_versions::kind_code.eq(kind.clone()));
    }
    if let Some(district) = filter.district {
        query = query.filter(associations::district_number.eq(district.0));
    }
    if let Some(from) = filter.filed_from {
        query = query.filter(document_versions::filed_at.ge(naive(from)));
    }
    if let Some(until) = filter.filed_until {
        query = query.filter(document_versions::filed_at.lt(naive(until)));
    }
    let (id, filed_at) = (document_versions::id, document_versions::filed_at);
    let query = match filter.order {
        DocumentOrder::Oldest => ordered_after!(query, after, id, filed_at, time, asc, gt),
        DocumentOrder::Newest => ordered_after!(query, after, id, filed_at, time, desc, lt),
    };
    let rows: Vec<(VersionRow, String, Option<i32>)> = query
        .limit(limit as i64 + 1)
        .select((
            VersionRow::as_select(),
            associations::name,
            associations::district_number,
        ))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|(row, association_name, district)| {
            Ok(Waiting {
                version: version_from_row(row)?,
                association_name,
                district: district.map(DistrictNumber),
            })
        })
        .collect::<StoreResult<Vec<Waiting>>>()?;
    Ok(Page::from_rows(rows, limit, |w| {
        Keyset::at_time(
            naive(w.version.facts.filed_at),
            &w.version.facts.id.to_string(),
        )
    }))
}
