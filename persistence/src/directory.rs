//! The public directory's search, over the index of terms each consenting association's card
//! is found by (`directory_terms`, kept by `associations`): every word searched must begin a
//! term of the card and every facet asked must be one; cards rank by the weight of the terms
//! they match, then by name. The same SQL, and so the same results, on both databases; terms
//! and names compare byte by byte on both.

use crate::DbConnection;
use crate::associations;
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page};
use crate::schema::associations as table;
use crate::schema::directory_terms as terms;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use simpa_domain::association::Association;
use simpa_domain::ids::AssociationId;
use std::collections::HashMap;

/// A search of the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    /// Folded words, each matching the terms it begins.
    pub words: Vec<String>,
    /// Facet terms the card must have (`@sector:sport`, `@district:11`, `@public:jeunes`).
    pub facets: Vec<String>,
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Integer)]
    score: i32,
    #[diesel(sql_type = Text)]
    sort_key: String,
}

/// A page of the cards a search finds, the most relevant first.
pub fn search(
    conn: &mut DbConnection,
    query: &DirectoryQuery,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Association>> {
    let after = after
        .map(|k| k.score().map(|(score, key)| (score, key, k.id.clone())))
        .transpose()?;
    let hits: Vec<Hit> = if query.words.is_empty() && query.facets.is_empty() {
        browse(conn, after, limit)?
    } else {
        matching(conn, query, after, limit)?
    };
    // The extra hit only says that another page exists: its card is not read.
    let page = Page::from_rows(hits, limit, |h| Keyset::scored(h.score, &h.sort_key, &h.id));
    let ids: Vec<String> = page.items.iter().map(|h| h.id.clone()).collect();
    let mut cards: HashMap<String, Association> = associations::by_ids(conn, &ids)?
        .into_iter()
        .map(|card| (card.id.to_string(), card))
        .collect();
    Ok(Page {
        items: ids.iter().filter_map(|id| cards.remove(id)).collect(),
        next: page.next,
    })
}

/// The whole directory by name.
fn browse(
    conn: &mut DbConnection,
    after: Option<(i32, String, String)>,
    limit: usize,
) -> StoreResult<Vec<Hit>> {
    let mut query = table::table
        .filter(table::directory_consent.eq(true))
        .into_boxed();
    if let Some((_, sort_key, id)) = after {
        query = query.filter(
            table::sort_key
                .gt(sort_key.clone())
                .or(table::sort_key.eq(sort_key).and(table::id.gt(id))),
        );
    }
    let rows: Vec<(String, String)> = query
        .order((table::sort_key, table::id))
        .limit(limit as i64 + 1)
        .select((table::id, table::sort_key))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, sort_key)| Hit {
            id,
            score: 0,
            sort_key,
        })
        .collect())
}

/// The cards with every facet and a term beginning with every word, scored.
///
/// Each word's range of terms is read and grouped by card (a word's prefix, once per card with
/// its best weight), and the cards of the first word joined to those of each other one; each
/// facet is then joined to the cards found by its key (`term`, `association_id`). A facet is a broad
/// category (a district, a sector, a public: thousands of cards at a city's size), so it is
/// read as a range only when there is no word, and then the least frequent one, counted first:
/// a search costs what its rarest condition finds, not what its broadest does.
fn matching(
    conn: &mut DbConnection,
    query: &DirectoryQuery,
    after: Option<(i32, String, String)>,
    limit: usize,
) -> StoreResult<Vec<Hit>> {
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let mut n = 0;
    let mut slot = || {
        n += 1;
        if postgres {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    };
    // SQLite's planner, from the statistics of a frequent word, may choose to walk the whole
    // index by association to group without sorting: `+` keeps it on the word's range.
    let grouped = if postgres {
        "association_id"
    } else {
        "+association_id"
    };
    let mut binds: Vec<String> = Vec::new();
    let mut facets: Vec<&String> = query.facets.iter().collect();
    // The cards found: by the first word (or, without words, the rarest facet), then joined
    // to each other word's cards, grouped apart.
    let mut ctes = Vec::new();
    let mut score = "found.score".to_owned();
    let mut joins = String::new();
    match query.words.split_first() {
        None => {
            let Some(first) = rarest(conn, &mut facets)? else {
                return browse(conn, after, limit);
            };
            binds.push(first.clone());
            ctes.push(format!(
                "found AS (SELECT association_id AS id, weight AS score, sort_key \
                 FROM directory_terms WHERE term = {})",
                slot()
            ));
        }
        Some((first, others)) => {
            let (from, to) = associations::prefix_range(first);
            binds.extend([from, to]);
            ctes.push(format!(
                "found AS (SELECT association_id AS id, MAX(weight) AS score, \
                 MIN(sort_key) AS sort_key FROM directory_terms \
                 WHERE term >= {} AND term <= {} GROUP BY {grouped})",
                slot(),
                slot()
            ));
            for (at, word) in others.iter().enumerate() {
                let (from, to) = associations::prefix_range(word);
                binds.extend([from, to]);
                ctes.push(format!(
                    "w{at} AS (SELECT association_id AS id, MAX(weight) AS score \
                     FROM directory_terms WHERE term >= {} AND term <= {} GROUP BY {grouped})",
                    slot(),
                    slot()
                ));
                score.push_str(&format!(" + w{at}.score"));
                joins.push_str(&format!(" JOIN w{at} ON w{at}.id = found.id"));
            }
        }
    }
    // Each facet is joined by its key: a card without it is not found.
    for (at, facet) in facets.into_iter().enumerate() {
        score.push_str(&format!(" + f{at}.weight"));
        joins.push_str(&format!(
            " JOIN directory_terms f{at} ON f{at}.term = {} AND f{at}.association_id = found.id",
            slot()
        ));
        binds.push(facet.clone());
    }
    // The words come first in the text: SQLite numbers its `?` in the order they appear.
    let mut sql = format!(
        "WITH {} SELECT id, score, sort_key FROM (\
           SELECT found.id AS id, {score} AS score, found.sort_key AS sort_key FROM found{joins}\
         ) s",
        ctes.join(", ")
    );
    let after_binds = after.clone();
    if after.is_some() {
        let (s1, s2, k1, k2, i1) = (slot(), slot(), slot(), slot(), slot());
        sql.push_str(&format!(
            " WHERE score < {s1} OR (score = {s2} AND (sort_key > {k1} OR (sort_key = {k2} AND id > {i1})))"
        ));
    }
    let limit_slot = slot();
    sql.push_str(&format!(
        " ORDER BY score DESC, sort_key, id LIMIT {limit_slot}"
    ));
    let limit = limit as i64 + 1;
    crate::connection::on_each_backend!(&mut *conn, c => {
        let mut q = diesel::sql_query(sql.clone()).into_boxed();
        for value in &binds {
            q = q.bind::<Text, _>(value.clone());
        }
        if let Some((score, sort_key, id)) = &after_binds {
            q = q
                .bind::<Integer, _>(*score)
                .bind::<Integer, _>(*score)
                .bind::<Text, _>(sort_key.clone())
                .bind::<Text, _>(sort_key.clone())
                .bind::<Text, _>(id.clone());
        }
        q.bind::<BigInt, _>(limit).load::<Hit>(c)
    })
    .map_err(StoreError::from)
}

/// Takes out of `facets` the one the fewest cards have (the first of equals), counted along
/// the index; none when there is none.
fn rarest<'a>(
    conn: &mut DbConnection,
    facets: &mut Vec<&'a String>,
) -> StoreResult<Option<&'a String>> {
    let mut fewest: Option<(i64, usize)> = None;
    if facets.len() > 1 {
        for (at, facet) in facets.iter().enumerate() {
            let cards: i64 = terms::table
                .filter(terms::term.eq(facet.as_str()))
                .count()
                .get_result(conn)?;
            if fewest.is_none_or(|(least, _)| cards < least) {
                fewest = Some((cards, at));
            }
        }
    }
    let at = fewest.map_or(0, |(_, at)| at);
    Ok((at < facets.len()).then(|| facets.remove(at)))
}

/// One card, if its association consented.
pub fn card(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Option<Association>> {
    Ok(associations::get(conn, id)?.filter(|a| a.profile.directory_consent))
}
