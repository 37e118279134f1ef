//! Districts, directions and sectors: read by everyone, changed by admins.

use crate::DbConnection;
use crate::convert::parse;
use crate::error::StoreResult;
use crate::schema::{directions, district_postal_codes, districts, sectors};
use diesel::prelude::*;
use simpa_domain::ids::{DirectionId, DistrictNumber};
use simpa_domain::reference::{Direction, District, Sector};

pub fn districts(conn: &mut DbConnection) -> StoreResult<Vec<District>> {
    let rows: Vec<(i32, String, String, String)> = districts::table
        .select((
            districts::number,
            districts::name,
            districts::insee_code,
            districts::town_hall,
        ))
        .order(districts::number)
        .load(conn)?;
    let codes: Vec<(String, i32)> = district_postal_codes::table
        .select((
            district_postal_codes::postal_code,
            district_postal_codes::district_number,
        ))
        .order(district_postal_codes::postal_code)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(number, name, insee_code, town_hall)| District {
            number: DistrictNumber(number),
            name,
            insee_code,
            town_hall,
            postal_codes: codes
                .iter()
                .filter(|(_, n)| *n == number)
                .map(|(code, _)| code.clone())
                .collect(),
        })
        .collect())
}

pub fn district_exists(conn: &mut DbConnection, number: DistrictNumber) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(districts::table.find(number.0))).get_result(conn)?)
}

/// The district a postal code serves, if it serves one (CEDEX and other cities' codes don't).
pub fn district_of_postal_code(
    conn: &mut DbConnection,
    postal_code: &str,
) -> StoreResult<Option<DistrictNumber>> {
    Ok(district_postal_codes::table
        .find(postal_code)
        .select(district_postal_codes::district_number)
        .first::<i32>(conn)
        .optional()?
        .map(DistrictNumber))
}

type DirectionRow = (String, String, String, bool);

const DIRECTION_COLUMNS: (
    directions::id,
    directions::code,
    directions::name,
    directions::active,
) = (
    directions::id,
    directions::code,
    directions::name,
    directions::active,
);

fn direction_from_row((id, code, name, active): DirectionRow) -> StoreResult<Direction> {
    Ok(Direction {
        id: parse("directions.id", &id)?,
        code,
        name,
        active,
    })
}

pub fn directions(conn: &mut DbConnection) -> StoreResult<Vec<Direction>> {
    directions::table
        .select(DIRECTION_COLUMNS)
        .order(directions::code)
        .load::<DirectionRow>(conn)?
        .into_iter()
        .map(direction_from_row)
        .collect()
}

pub fn direction(conn: &mut DbConnection, id: DirectionId) -> StoreResult<Option<Direction>> {
    directions::table
        .find(id.to_string())
        .select(DIRECTION_COLUMNS)
        .first::<DirectionRow>(conn)
        .optional()?
        .map(direction_from_row)
        .transpose()
}

pub fn direction_by_code(conn: &mut DbConnection, code: &str) -> StoreResult<Option<Direction>> {
    directions::table
        .filter(directions::code.eq(code))
        .select(DIRECTION_COLUMNS)
        .first::<DirectionRow>(conn)
        .optional()?
        .map(direction_from_row)
        .transpose()
}

pub fn sectors(conn: &mut DbConnection) -> StoreResult<Vec<Sector>> {
    Ok(sectors::table
        .select((sectors::code, sectors::label))
        .order(sectors::position)
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(code, label)| Sector { code, label })
        .collect())
}

/// The codes of every sector, for checking a selection.
pub fn sector_codes(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    Ok(sectors::table.select(sectors::code).load(conn)?)
}

/// Each direction's code, by its id.
pub fn direction_codes(
    conn: &mut DbConnection,
) -> StoreResult<std::collections::HashMap<String, String>> {
    Ok(directions::table
        .select((directions::id, directions::code))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// The numbers of the city's districts.
pub fn district_numbers(conn: &mut DbConnection) -> StoreResult<Vec<i32>> {
    Ok(districts(conn)?.into_iter().map(|d| d.number.0).collect())
}

/// A new direction.
pub fn insert_direction(conn: &mut DbConnection, direction: &Direction) -> StoreResult<()> {
    diesel::insert_into(directions::table)
        .values((
            directions::id.eq(direction.id.to_string()),
            directions::code.eq(&direction.code),
            directions::name.eq(&direction.name),
            directions::active.eq(direction.active),
        ))
        .execute(conn)?;
    Ok(())
}

/// A direction's name and whether it is active (its code stays); whether it exists.
pub fn update_direction(
    conn: &mut DbConnection,
    id: DirectionId,
    name: &str,
    active: bool,
) -> StoreResult<bool> {
    let updated = diesel::update(directions::table.find(id.to_string()))
        .set((directions::name.eq(name), directions::active.eq(active)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A new sector, last of the list.
pub fn insert_sector(conn: &mut DbConnection, sector: &Sector) -> StoreResult<()> {
    let last: Option<i32> = sectors::table
        .select(diesel::dsl::max(sectors::position))
        .first(conn)?;
    diesel::insert_into(sectors::table)
        .values((
            sectors::code.eq(&sector.code),
            sectors::label.eq(&sector.label),
            sectors::position.eq(last.unwrap_or(0) + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// A sector's label (its code stays); whether it exists.
pub fn update_sector(conn: &mut DbConnection, code: &str, label: &str) -> StoreResult<bool> {
    let updated = diesel::update(sectors::table.find(code))
        .set(sectors::label.eq(label))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A district's name and town hall (its number, INSEE code and postal codes stay); whether
/// it exists.
pub fn update_district(
    conn: &mut DbConnection,
    number: DistrictNumber,
    name: &str,
    town_hall: &str,
) -> StoreResult<bool> {
    let updated = diesel::update(districts::table.find(number.0))
        .set((districts::name.eq(name), districts::town_hall.eq(town_hall)))
        .execute(conn)?;
    Ok(updated == 1)
}
