//! Associations: profile, sectors, list and search.

use crate::DbConnection;
use crate::connection::{MultiBackend, insert_batches, one_of};
use crate::convert::{naive, parse, parse_with, utc};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{association_sectors, association_terms, associations, directory_terms};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::DomainError;
use simpa_domain::association::{
    Address, Association, AssociationProfile, LegalRepresentative, PublicContact, TargetPublic,
};
use simpa_domain::contact::{EmailAddress, PhoneNumber, WebsiteUrl};
use simpa_domain::ids::{AssociationId, DistrictNumber};
use simpa_domain::listing::AssociationOrder;
use simpa_domain::postal_code::PostalCode;
use simpa_domain::rna::Rna;
use simpa_domain::search::{self, fold};
use simpa_domain::siret::Siret;

/// Filters of the staff list. Every one is served by an index but the free text, which
/// matches inside the folded name, acronym, RNA and SIRET.
#[derive(Debug, Clone, Default)]
pub struct AssociationFilter {
    pub text: Option<String>,
    pub district: Option<DistrictNumber>,
    pub sector: Option<String>,
    pub order: AssociationOrder,
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (escape char `\`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = associations)]
struct Row {
    id: String,
    name: String,
    acronym: Option<String>,
    rna: Option<String>,
    siret: Option<String>,
    object: String,
    street: String,
    address_complement: Option<String>,
    postal_code: String,
    city: String,
    district_number: Option<i32>,
    creation_date: Option<NaiveDate>,
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    directory_consent: bool,
    legal_representative_name: Option<String>,
    legal_representative_function: Option<String>,
    legal_representative_email: Option<String>,
    legal_representative_phone: Option<String>,
    target_publics: String,
    action_districts: String,
    public_email: bool,
    public_phone: bool,
    public_website: bool,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    confirmed_at: Option<NaiveDateTime>,
}

/// The columns an edit of the profile writes. `None` clears a column.
#[derive(Insertable, AsChangeset)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(
    table_name = associations,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
struct ProfileColumns<'a> {
    name: &'a str,
    acronym: Option<&'a str>,
    rna: Option<&'a str>,
    siret: Option<&'a str>,
    object: &'a str,
    street: &'a str,
    address_complement: Option<&'a str>,
    postal_code: &'a str,
    city: &'a str,
    district_number: Option<i32>,
    creation_date: Option<NaiveDate>,
    website: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    directory_consent: bool,
    legal_representative_name: Option<&'a str>,
    legal_representative_function: Option<&'a str>,
    legal_representative_email: Option<&'a str>,
    legal_representative_phone: Option<&'a str>,
    target_publics: String,
    action_districts: String,
    public_email: bool,
    public_phone: bool,
    public_website: bool,
    search_text: String,
    sort_key: String,
    updated_at: NaiveDateTime,
    /// Editing the profile confirms it.
    confirmed_at: NaiveDateTime,
}

fn profile_columns(
    profile: &AssociationProfile,
    district: Option<DistrictNumber>,
    now: DateTime<Utc>,
) -> ProfileColumns<'_> {
    let p = profile;
    let representative = p.legal_representative.as_ref();
    let searchable = [
        Some(p.name.as_str()),
        p.acronym.as_deref(),
        p.rna.as_ref().map(Rna::as_str),
        p.siret.as_ref().map(Siret::as_str),
    ];
    ProfileColumns {
        name: &p.name,
        acronym: p.acronym.as_deref(),
        rna: p.rna.as_ref().map(Rna::as_str),
        siret: p.siret.as_ref().map(Siret::as_str),
        object: &p.object,
        street: &p.address.street,
        address_complement: p.address.complement.as_deref(),
        postal_code: p.address.postal_code.as_str(),
        city: &p.address.city,
        district_number: district.map(|d| d.0),
        creation_date: p.creation_date,
        website: p.website.as_ref().map(WebsiteUrl::as_str),
        email: p.email.as_ref().map(EmailAddress::as_str),
        phone: p.phone.as_ref().map(PhoneNumber::as_str),
        directory_consent: p.directory_consent,
        legal_representative_name: representative.map(|r| r.name.as_str()),
        legal_representative_function: representative.and_then(|r| r.function.as_deref()),
        legal_representative_email: representative
            .and_then(|r| r.email.as_ref().map(EmailAddress::as_str)),
        legal_representative_phone: representative
            .and_then(|r| r.phone.as_ref().map(PhoneNumber::as_str)),
        target_publics: json::write(
            &p.target_publics
                .iter()
                .map(|t| t.code())
                .collect::<Vec<_>>(),
        ),
        action_districts: json::write(&p.action_districts.iter().map(|d| d.0).collect::<Vec<_>>()),
        public_email: p.public_contact.email,
        public_phone: p.public_contact.phone,
        public_website: p.public_contact.website,
        search_text: fold(
            &searchable
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        sort_key: sort_key(p),
        updated_at: naive(now),
        confirmed_at: naive(now),
    }
}

fn from_row(row: Row, sectors: Vec<String>) -> StoreResult<Association> {
    let optional = |column: &str, value: Option<String>| {
        value
            .filter(|v| !v.is_empty())
            .map(|v| (column.to_owned(), v))
    };
    let representative = match row.legal_representative_name {
        Some(name) => Some(LegalRepresentative {
            name,
            function: row.legal_representative_function,
            email: optional("legal_representative_email", row.legal_representative_email)
                .map(|(c, v)| parse_with(&c, &v, EmailAddress::parse))
                .transpose()?,
            phone: optional("legal_representative_phone", row.legal_representative_phone)
                .map(|(c, v)| parse_with(&c, &v, PhoneNumber::parse))
                .transpose()?,
        }),
        None => None,
    };
    let profile = AssociationProfile {
        name: row.name,
        acronym: row.acronym,
        rna: row
            .rna
            .map(|v| parse_with("rna", &v, Rna::parse))
            .transpose()?,
        siret: row
            .siret
            .map(|v| parse_with("siret", &v, Siret::parse))
            .transpose()?,
        object: row.object,
        sectors,
        address: Address {
            street: row.street,
            complement: row.address_complement,
            postal_code: parse_with("postal_code", &row.postal_code, PostalCode::parse)?,
            city: row.city,
        },
        creation_date: row.creation_date,
        website: row
            .website
            .map(|v| parse_with("website", &v, WebsiteUrl::parse))
            .transpose()?,
        email: row
            .email
            .map(|v| parse_with("email", &v, EmailAddress::parse))
            .transpose()?,
        phone: row
            .phone
            .map(|v| parse_with("phone", &v, PhoneNumber::parse))
            .transpose()?,
        directory_consent: row.directory_consent,
        legal_representative: representative,
        target_publics: json::read::<Vec<String>>(
            "associations.target_publics",
            &row.target_publics,
        )?
        .iter()
        .map(|code| {
            TargetPublic::from_code(code)
                .ok_or_else(|| StoreError::Corrupt(format!("associations.target_publics: {code}")))
        })
        .collect::<StoreResult<_>>()?,
        action_districts: json::read::<Vec<i32>>(
            "associations.action_districts",
            &row.action_districts,
        )?
        .into_iter()
        .map(DistrictNumber)
        .collect(),
        public_contact: PublicContact {
            email: row.public_email,
            phone: row.public_phone,
            website: row.public_website,
        },
    };
    Ok(Association {
        id: parse("associations.id", &row.id)?,
        profile,
        district: row.district_number.map(DistrictNumber),
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        confirmed_at: utc(row.confirmed_at.unwrap_or(row.updated_at)),
    })
}

/// Loads the sectors of many associations in one query, in each one's chosen order.
fn sectors_of(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<(String, String)>> {
    Ok(association_sectors::table
        .filter(one_of(association_sectors::association_id, ids))
        .select((
            association_sectors::association_id,
            association_sectors::sector_code,
        ))
        .order((
            association_sectors::association_id,
            association_sectors::position,
        ))
        .load(conn)?)
}

fn with_sectors(conn: &mut DbConnection, rows: Vec<Row>) -> StoreResult<Vec<Association>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let sectors = sectors_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let mine = sectors
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, code)| code.clone())
                .collect();
            from_row(row, mine)
        })
        .collect()
}

fn replace_sectors(
    conn: &mut DbConnection,
    id: AssociationId,
    sectors: &[String],
) -> StoreResult<()> {
    diesel::delete(
        association_sectors::table.filter(association_sectors::association_id.eq(id.to_string())),
    )
    .execute(conn)?;
    let rows: Vec<SectorRow> = sector_rows(id, sectors).collect();
    insert_batches!(conn, association_sectors::table, &rows);
    Ok(())
}

/// An identifier that belongs to one association only.
#[derive(Debug, Clone, Copy)]
pub enum Identifier<'a> {
    Rna(&'a Rna),
    Siret(&'a Siret),
}

/// The association that already holds this identifier, other than `except`.
pub fn holder(
    conn: &mut DbConnection,
    identifier: Identifier<'_>,
    except: Option<AssociationId>,
) -> StoreResult<Option<AssociationId>> {
    let mut query = associations::table.select(associations::id).into_boxed();
    query = match identifier {
        Identifier::Rna(rna) => query.filter(associations::rna.eq(rna.as_str())),
        Identifier::Siret(siret) => query.filter(associations::siret.eq(siret.as_str())),
    };
    if let Some(except) = except {
        query = query.filter(associations::id.ne(except.to_string()));
    }
    query
        .first::<String>(conn)
        .optional()?
        .map(|id| parse("associations.id", &id))
        .transpose()
}

/// The district of the association's head office (`None` outside the districts, or when
/// there is no such association).
pub fn district(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Option<DistrictNumber>> {
    let district: Option<Option<i32>> = associations::table
        .find(id.to_string())
        .select(associations::district_number)
        .first(conn)
        .optional()?;
    Ok(district.flatten().map(DistrictNumber))
}

pub fn exists(conn: &mut DbConnection, id: AssociationId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        associations::table.find(id.to_string()),
    ))
    .get_result(conn)?)
}

/// Which of these associations exist.
pub fn existing(
    conn: &mut DbConnection,
    ids: &[AssociationId],
) -> StoreResult<std::collections::HashSet<AssociationId>> {
    let keys: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let found: Vec<String> = associations::table
        .filter(associations::id.eq_any(&keys))
        .select(associations::id)
        .load(conn)?;
    found
        .iter()
        .map(|id| parse("associations.id", id))
        .collect()
}

/// Whether the association exists; if it does, its row stays locked until the transaction
/// ends, so that use cases that check a rule over its members (the last president) and then
/// change them cannot interleave.
pub fn lock(conn: &mut DbConnection, id: AssociationId) -> StoreResult<bool> {
    // Rewriting a column that is no key takes the row lock; rewriting the key would make
    // SQLite check every table that refers to it.
    let locked = diesel::update(associations::table.find(id.to_string()))
        .set(associations::version.eq(associations::version))
        .execute(conn)?;
    Ok(locked == 1)
}

pub fn insert(
    conn: &mut DbConnection,
    id: AssociationId,
    profile: &AssociationProfile,
    district: Option<DistrictNumber>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    insert_many(conn, &[(id, profile, district)], now)
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = associations)]
struct NewRow<'a> {
    id: String,
    #[diesel(embed)]
    profile: ProfileColumns<'a>,
    version: i64,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = association_sectors)]
struct SectorRow<'a> {
    association_id: String,
    sector_code: &'a str,
    position: i32,
}

fn sector_rows(id: AssociationId, sectors: &[String]) -> impl Iterator<Item = SectorRow<'_>> {
    sectors
        .iter()
        .enumerate()
        .map(move |(position, code)| SectorRow {
            association_id: id.to_string(),
            sector_code: code,
            position: i32::try_from(position).unwrap_or(i32::MAX),
        })
}

/// Registers associations (id, profile, district of the head office), with their sectors.
pub fn insert_many(
    conn: &mut DbConnection,
    new: &[(AssociationId, &AssociationProfile, Option<DistrictNumber>)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<NewRow> = new
        .iter()
        .map(|(id, profile, district)| NewRow {
            id: id.to_string(),
            profile: profile_columns(profile, *district, now),
            version: 1,
            created_at: naive(now),
        })
        .collect();
    insert_batches!(conn, associations::table, &rows);
    let sectors: Vec<SectorRow> = new
        .iter()
        .flat_map(|(id, profile, _)| sector_rows(*id, &profile.sectors))
        .collect();
    insert_batches!(conn, association_sectors::table, &sectors);
    let terms: Vec<TermRow> = new
        .iter()
        .flat_map(|(id, profile, district)| term_rows(*id, profile, *district))
        .collect();
    insert_batches!(conn, directory_terms::table, &terms);
    let names: Vec<NameTermRow> = new
        .iter()
        .flat_map(|(id, profile, _)| name_term_rows(*id, profile))
        .collect();
    insert_batches!(conn, association_terms::table, &names);
    Ok(())
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = directory_terms)]
struct TermRow {
    term: String,
    association_id: String,
    weight: i32,
    sort_key: String,
}

/// Where an association stands in lists by name: its folded name (the directory's terms
/// carry the same, so that a search orders cards as the list does).
fn sort_key(profile: &AssociationProfile) -> String {
    fold(&profile.name)
}

/// The terms the directory finds an association's card by: none unless it consented.
fn term_rows(
    id: AssociationId,
    profile: &AssociationProfile,
    district: Option<DistrictNumber>,
) -> Vec<TermRow> {
    if !profile.directory_consent {
        return Vec::new();
    }
    let facets = search::card_facets(profile, district);
    let sort_key = sort_key(profile);
    search::card_terms(
        &profile.name,
        profile.acronym.as_deref(),
        &profile.object,
        &facets,
    )
    .into_iter()
    .map(|(term, weight)| TermRow {
        term,
        association_id: id.to_string(),
        weight,
        sort_key: sort_key.clone(),
    })
    .collect()
}

#[derive(Insertable)]
#[diesel(table_name = association_terms)]
struct NameTermRow {
    term: String,
    association_id: String,
}

/// The terms the city's staff find an association by.
fn name_term_rows(id: AssociationId, profile: &AssociationProfile) -> Vec<NameTermRow> {
    terms_named(
        &id.to_string(),
        &profile.name,
        profile.acronym.as_deref(),
        profile.rna.as_ref().map(Rna::as_str),
        profile.siret.as_ref().map(Siret::as_str),
    )
}

/// The rows of [`search::name_terms`] for the association `id`.
fn terms_named(
    id: &str,
    name: &str,
    acronym: Option<&str>,
    rna: Option<&str>,
    siret: Option<&str>,
) -> Vec<NameTermRow> {
    search::name_terms(name, acronym, rna, siret)
        .into_iter()
        .map(|term| NameTermRow {
            term,
            association_id: id.to_owned(),
        })
        .collect()
}

/// Fills the terms of the associations registered before they were kept (migration 000037).
pub(crate) fn backfill_name_terms(conn: &mut DbConnection) -> StoreResult<()> {
    #[derive(Queryable)]
    struct Named {
        id: String,
        name: String,
        acronym: Option<String>,
        rna: Option<String>,
        siret: Option<String>,
    }
    let named: Vec<Named> = associations::table
        .select((
            associations::id,
            associations::name,
            associations::acronym,
            associations::rna,
            associations::siret,
        ))
        .load(conn)?;
    let terms: Vec<NameTermRow> = named
        .iter()
        .flat_map(|a| {
            terms_named(
                &a.id,
                &a.name,
                a.acronym.as_deref(),
                a.rna.as_deref(),
                a.siret.as_deref(),
            )
        })
        .collect();
    insert_batches!(conn, association_terms::table, &terms);
    Ok(())
}

/// Associations by id, in no particular order (ids not found are left out).
pub fn by_ids(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<Association>> {
    let rows: Vec<Row> = associations::table
        .filter(one_of(associations::id, ids))
        .select(Row::as_select())
        .load(conn)?;
    with_sectors(conn, rows)
}

pub fn get(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Option<Association>> {
    // One statement: the row with each of its sectors.
    let rows: Vec<(Row, Option<String>)> = associations::table
        .left_join(association_sectors::table)
        .filter(associations::id.eq(id.to_string()))
        .select((
            Row::as_select(),
            association_sectors::sector_code.nullable(),
        ))
        .order(association_sectors::sector_code)
        .load(conn)?;
    one_with_sectors(rows.into_iter())
}

/// The association as it applies on `today`: its profile, and how many of its final reports
/// are overdue, in one statement.
pub fn applicant(
    conn: &mut DbConnection,
    id: AssociationId,
    today: NaiveDate,
) -> StoreResult<Option<(Association, u32)>> {
    let overdue = crate::grants::overdue_reports_count(id.to_string(), today);
    let rows: Vec<(Row, Option<String>, Option<i64>)> = associations::table
        .left_join(association_sectors::table)
        .filter(associations::id.eq(id.to_string()))
        .select((
            Row::as_select(),
            association_sectors::sector_code.nullable(),
            overdue.single_value(),
        ))
        .order(association_sectors::sector_code)
        .load(conn)?;
    let overdue = rows.first().and_then(|(_, _, n)| *n).unwrap_or(0);
    let association = one_with_sectors(rows.into_iter().map(|(row, sector, _)| (row, sector)))?;
    Ok(association.map(|a| (a, u32::try_from(overdue).unwrap_or(u32::MAX))))
}

/// The association of rows joined with its sectors (one row a sector, or one without).
fn one_with_sectors(
    rows: impl Iterator<Item = (Row, Option<String>)>,
) -> StoreResult<Option<Association>> {
    let mut rows = rows;
    let Some((row, first)) = rows.next() else {
        return Ok(None);
    };
    let sectors = first
        .into_iter()
        .chain(rows.filter_map(|(_, sector)| sector))
        .collect();
    from_row(row, sectors).map(Some)
}

/// Replaces the profile if the stored version is still `expected_version`; returns the new
/// version. The check and the write are one statement, so two concurrent edits of the same
/// version cannot both win.
pub fn update(
    conn: &mut DbConnection,
    id: AssociationId,
    profile: &AssociationProfile,
    district: Option<DistrictNumber>,
    expected_version: i64,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let updated = diesel::update(
        associations::table
            .find(id.to_string())
            .filter(associations::version.eq(expected_version)),
    )
    .set((
        profile_columns(profile, district, now),
        associations::version.eq(expected_version + 1),
    ))
    .execute(conn)?;
    if updated == 0 {
        let current: Option<i64> = associations::table
            .find(id.to_string())
            .select(associations::version)
            .first(conn)
            .optional()?;
        return Err(match current {
            Some(current) => DomainError::StaleVersion { current },
            None => DomainError::NotFound {
                what: "association",
            },
        }
        .into());
    }
    replace_sectors(conn, id, &profile.sectors)?;
    diesel::delete(
        directory_terms::table.filter(directory_terms::association_id.eq(id.to_string())),
    )
    .execute(conn)?;
    let terms = term_rows(id, profile, district);
    insert_batches!(conn, directory_terms::table, &terms);
    diesel::delete(
        association_terms::table.filter(association_terms::association_id.eq(id.to_string())),
    )
    .execute(conn)?;
    insert_batches!(conn, association_terms::table, &name_term_rows(id, profile));
    Ok(expected_version + 1)
}

/// The range of terms a word begins: from the word to the word followed by the last character
/// there is (terms compare byte by byte on both databases).
pub(crate) fn prefix_range(word: &str) -> (String, String) {
    (word.to_owned(), format!("{word}\u{10FFFF}"))
}

/// A word searched matching more terms than this is frequent: testing each association met
/// in the list's order finds a page sooner than reading and sorting every one it matches.
const FREQUENT: i64 = 1_000;

/// The associations `query` selects whose name, acronym, RNA or SIRET has a word beginning
/// with each word of `text`. The associations of the rarest word, unless frequent, are read
/// from its range of terms (the page is then sorted from them); the other words are tested on
/// each association so found, or met in the list's order.
fn named(
    conn: &mut DbConnection,
    mut query: associations::BoxedQuery<'static, MultiBackend>,
    text: &str,
) -> StoreResult<associations::BoxedQuery<'static, MultiBackend>> {
    let ranges: Vec<(String, String)> = search::query_words(text)
        .into_iter()
        .map(|word| prefix_range(&word))
        .collect();
    let mut rarest: Option<(usize, Vec<String>)> = None;
    for (i, (from, to)) in ranges.iter().enumerate() {
        let held: Vec<String> = association_terms::table
            .filter(association_terms::term.ge(from.clone()))
            .filter(association_terms::term.le(to.clone()))
            .select(association_terms::association_id)
            .limit(FREQUENT + 1)
            .load(conn)?;
        let frequent = held.len() > FREQUENT as usize;
        if !frequent
            && rarest
                .as_ref()
                .is_none_or(|(_, ids)| held.len() < ids.len())
        {
            rarest = Some((i, held));
        }
    }
    for (i, (from, to)) in ranges.into_iter().enumerate() {
        query = match &rarest {
            Some((r, ids)) if *r == i => query.filter(one_of(associations::id, ids)),
            _ => query.filter(diesel::dsl::exists(
                association_terms::table
                    .filter(association_terms::association_id.eq(associations::id))
                    .filter(association_terms::term.ge(from))
                    .filter(association_terms::term.le(to)),
            )),
        };
    }
    Ok(query)
}

/// A page of associations in name order (or the newest first), in two steps: the ids and
/// keys first, from the index that gives the order and holds the text searched (a search
/// reads no row it does not show), then the rows of the page.
pub fn list(
    conn: &mut DbConnection,
    filter: &AssociationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Association>> {
    let mut query = associations::table.into_boxed();
    if let Some(text) = filter.text.as_deref() {
        query = named(conn, query, text)?;
    }
    if let Some(district) = filter.district {
        query = query.filter(associations::district_number.eq(district.0));
    }
    if let Some(sector) = &filter.sector {
        let holders = association_sectors::table
            .filter(association_sectors::sector_code.eq(sector.clone()))
            .select(association_sectors::association_id);
        query = query.filter(associations::id.eq_any(holders));
    }
    let take = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let keys: Vec<(String, Keyset)> = match filter.order {
        AssociationOrder::Name => {
            if let Some(after) = after {
                // The redundant `>=` lets PostgreSQL start the index scan at the cursor.
                query = query
                    .filter(associations::sort_key.ge(after.sort_key.clone()))
                    .filter(
                        associations::sort_key.gt(after.sort_key.clone()).or(
                            associations::sort_key
                                .eq(after.sort_key.clone())
                                .and(associations::id.gt(after.id.clone())),
                        ),
                    );
            }
            query
                .order((associations::sort_key, associations::id))
                .limit(take)
                .select((associations::id, associations::sort_key))
                .load::<(String, String)>(conn)?
                .into_iter()
                .map(|(id, sort_key)| {
                    let key = Keyset {
                        sort_key,
                        id: id.clone(),
                    };
                    (id, key)
                })
                .collect()
        }
        AssociationOrder::Newest => {
            let (id, created_at) = (associations::id, associations::created_at);
            ordered_after!(query, after, id, created_at, time, desc, lt)
                .limit(take)
                .select((associations::id, associations::created_at))
                .load::<(String, NaiveDateTime)>(conn)?
                .into_iter()
                .map(|(id, time)| {
                    let key = Keyset::at_time(time, &id);
                    (id, key)
                })
                .collect()
        }
    };
    let page = Page::from_rows(keys, limit, |(_, key)| key.clone());
    let ids: Vec<String> = page.items.into_iter().map(|(id, _)| id).collect();
    let mut rows: Vec<Row> = associations::table
        .filter(one_of(associations::id, &ids))
        .select(Row::as_select())
        .load(conn)?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(Page {
        items: with_sectors(conn, rows)?,
        next: page.next,
    })
}

/// Records that the association confirmed its profile is still accurate.
pub fn confirm(
    conn: &mut DbConnection,
    id: AssociationId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(associations::table.find(id.to_string()))
        .set(associations::confirmed_at.eq(naive(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The name of an association, for messages.
pub fn name(conn: &mut DbConnection, id: AssociationId) -> StoreResult<String> {
    associations::table
        .find(id.to_string())
        .select(associations::name)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::from(DomainError::NotFound {
                what: "association",
            })
        })
}

/// The names of many associations, in one query.
pub fn names(
    conn: &mut DbConnection,
    ids: &[AssociationId],
) -> StoreResult<Vec<(AssociationId, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, String)> = associations::table
        .filter(one_of(associations::id, &ids))
        .select((associations::id, associations::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name)| Ok((parse("associations.id", &id)?, name)))
        .collect()
}

/// The associations that filed at least one document: those a document can expire for.
pub fn with_documents(conn: &mut DbConnection) -> StoreResult<Vec<AssociationId>> {
    let ids: Vec<String> = crate::schema::document_versions::table
        .select(crate::schema::document_versions::association_id)
        .distinct()
        .load(conn)?;
    ids.iter()
        .map(|id| parse("document_versions.association_id", id))
        .collect()
}

/// The labels of each of these associations' sectors, in their order.
pub fn sector_labels(
    conn: &mut DbConnection,
    associations: &[String],
) -> StoreResult<std::collections::HashMap<String, Vec<String>>> {
    use crate::schema::{association_sectors, sectors};
    let mut labels: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (association, label) in association_sectors::table
        .inner_join(sectors::table)
        .filter(crate::connection::one_of(
            association_sectors::association_id,
            associations,
        ))
        .order((
            association_sectors::association_id,
            association_sectors::position,
        ))
        .select((association_sectors::association_id, sectors::label))
        .load::<(String, String)>(conn)?
    {
        labels.entry(association).or_default().push(label);
    }
    Ok(labels)
}
