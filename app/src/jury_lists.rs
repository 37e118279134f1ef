//! The jury's lists, as the caller may read them: the requests before it and who sits on each
//! (its coverage), and its minutes (the ranking, each counted sheet, the recusals). What a
//! juror may not see is left out here, once, for every front door.

use crate::juries::{Counting, JuryAt, Standing, counted_sheet};
use chrono::{DateTime, Utc};
use simpa_domain::ids::{AccountId, AssociationId, RequestId};
use simpa_domain::jury::SessionStatus;
use simpa_domain::life::StoredRequest;
use simpa_domain::request::RequestNumber;
use simpa_domain::scoring::{AllocationRules, Placed, criteria_means};
use simpa_persistence::juries::{self, Member, Seat};
use simpa_persistence::{DbConnection, StoreResult, associations, requests};
use std::collections::HashMap;

/// A request before the jury, with its association's name.
pub struct Listed {
    pub request: StoredRequest,
    pub association_name: String,
}

/// A seat on a request, with its juror's name.
pub struct SeatSeen {
    pub seat: Seat,
    pub juror_name: String,
}

/// A request and who sits on it: whether it is covered.
pub struct Covered {
    pub listed: Listed,
    /// Every seat, or only the caller's own for a juror.
    pub seats: Vec<SeatSeen>,
    /// Jurors who may score it (not recused, still on the jury).
    pub jurors: usize,
    pub handed_in: usize,
    /// Fewer sheets handed in than the jury wants.
    pub flagged: bool,
}

/// The requests before the jury and who sits on each; with `only`, a juror's: the requests
/// they sit on (not those they are recused from), with their own seat.
pub fn coverage(
    conn: &mut DbConnection,
    at: &JuryAt,
    only: Option<AccountId>,
) -> StoreResult<Vec<Covered>> {
    let standing = Standing::load(conn, &at.campaign, &at.jury, true)?;
    let hidden = standing.out_of_sight(at);
    let names = Names::load(conn, &standing)?;
    let mut by_request: HashMap<RequestId, Vec<Seat>> = HashMap::new();
    for seat in standing.seats {
        by_request.entry(seat.request).or_default().push(seat);
    }
    let mut covered = Vec::new();
    for request in standing.candidates {
        let seats = by_request.remove(&request.id).unwrap_or_default();
        if hidden.contains(&request.id) {
            continue;
        }
        let association = request.association;
        let excluded = |s: &Seat| standing.counting.excluded(s, association);
        if let Some(juror) = only {
            let mine = seats.iter().find(|s| s.juror == juror);
            if mine.is_none_or(excluded) {
                continue;
            }
        }
        let counted: Vec<&Seat> = seats.iter().filter(|s| !excluded(s)).collect();
        let handed_in = counted.iter().filter(|s| s.handed_in_at.is_some()).count();
        let flagged = standing
            .rules
            .too_few_sheets(u32::try_from(handed_in).unwrap_or(u32::MAX));
        let jurors = counted.len();
        covered.push(Covered {
            seats: seats
                .into_iter()
                .filter(|s| only.is_none_or(|j| s.juror == j))
                .map(|seat| SeatSeen {
                    juror_name: names.juror(seat.juror),
                    seat,
                })
                .collect(),
            listed: names.listed(request),
            jurors,
            handed_in,
            flagged,
        });
    }
    Ok(covered)
}

/// A sheet that counts in the minutes, named for the city's staff.
pub struct CountedSheet {
    pub juror: AccountId,
    pub juror_name: String,
    /// Out of 100.
    pub weighted_score: f64,
    /// In the order of the grid.
    pub points: Vec<u32>,
    pub comments: Vec<Option<String>>,
}

/// A line of the ranking.
pub struct Ranked {
    pub placed: Placed,
    pub listed: Listed,
    /// What the instruction proposed, until the ranking is validated.
    pub proposed_cents: Option<i64>,
    /// The mean points per criterion, in the order of the grid.
    pub criteria_means: Vec<Option<f64>>,
    pub sheets: Vec<CountedSheet>,
    /// Until validated: its rank and amount under the other rule (normalised scores when the
    /// jury ranks by raw ones, raw ones when it normalises).
    pub otherwise: Option<(u32, i64)>,
}

/// A recusal, for the record.
pub struct Recusal {
    pub request_number: Option<RequestNumber>,
    pub juror: AccountId,
    pub juror_name: String,
    pub reason: Option<String>,
    /// By Simpa: the juror is a member of the applicant.
    pub automatic: bool,
    pub at: Option<DateTime<Utc>>,
}

/// The jury's minutes: provisional until the ranking is validated.
pub struct Minutes {
    pub provisional: bool,
    /// The jury ranks by normalised scores.
    pub normalised: bool,
    pub members: Vec<Member>,
    pub envelope_cents: i64,
    pub allocated_cents: i64,
    pub ranking: Vec<Ranked>,
    pub recusals: Vec<Recusal>,
}

/// The minutes as they stand (once validated, as the validation left them), without what the
/// caller may not see: the chair reads nothing of the requests it is recused from.
pub fn minutes(conn: &mut DbConnection, at: &JuryAt) -> StoreResult<Minutes> {
    let validated = at.jury.status == SessionStatus::Validated;
    let mut standing = Standing::load(conn, &at.campaign, &at.jury, true)?;
    let otherwise = (!validated).then(|| {
        let other = AllocationRules {
            normalise: !standing.rules.normalise,
            ..standing.rules
        };
        standing.placed_under(&other)
    });
    let placed = if validated {
        let results = juries::results(conn, at.campaign.id)?;
        // Once validated, its requests have left instruction: read them by id.
        let ids: Vec<String> = results.iter().map(|p| p.request.to_string()).collect();
        standing.candidates = requests::get_many(conn, &ids)?;
        let associations: Vec<AssociationId> =
            standing.candidates.iter().map(|r| r.association).collect();
        standing.counting = Counting::load(conn, &standing.members, &associations)?;
        results
    } else {
        standing.placed()
    };
    let association_of = standing.association_of();
    let hidden = standing.out_of_sight(at);
    let names = Names::load(conn, &standing)?;
    let request_of = |id: RequestId| standing.candidates.iter().find(|r| r.id == id);
    let mut sheets_of: HashMap<RequestId, Vec<CountedSheet>> = HashMap::new();
    let mut recusals = Vec::new();
    for seat in &standing.seats {
        let Some(association) = association_of.get(&seat.request) else {
            continue;
        };
        if hidden.contains(&seat.request) {
            continue;
        }
        if seat.recused() {
            recusals.push(Recusal {
                request_number: request_of(seat.request).and_then(|r| r.number),
                juror: seat.juror,
                juror_name: names.juror(seat.juror),
                reason: seat.conflict_reason.clone(),
                automatic: seat.automatic,
                at: seat.declared_at,
            });
        }
        if let Some(sheet) = counted_sheet(&standing.counting, seat, *association) {
            let marks = seat.marks.clone().unwrap_or_default();
            sheets_of
                .entry(seat.request)
                .or_default()
                .push(CountedSheet {
                    juror: seat.juror,
                    juror_name: names.juror(seat.juror),
                    weighted_score: sheet.score,
                    points: marks.iter().filter_map(|m| m.points).collect(),
                    comments: marks.into_iter().map(|m| m.comment).collect(),
                });
        }
    }
    let criteria_count = at.jury.settings.grid.len();
    let allocated_cents = simpa_domain::money::total(placed.iter().map(|p| p.funded_cents));
    let mut ranking = Vec::new();
    for placed in placed {
        if hidden.contains(&placed.request) {
            continue;
        }
        let Some(request) = request_of(placed.request).cloned() else {
            continue;
        };
        let sheets = sheets_of.remove(&placed.request).unwrap_or_default();
        ranking.push(Ranked {
            criteria_means: criteria_means(
                sheets.iter().map(|s| s.points.as_slice()),
                criteria_count,
            ),
            proposed_cents: request.facts.proposed_cents.filter(|_| !validated),
            listed: names.listed(request),
            otherwise: otherwise
                .iter()
                .flatten()
                .find(|p| p.request == placed.request)
                .map(|p| (p.rank, p.funded_cents)),
            placed,
            sheets,
        });
    }
    Ok(Minutes {
        provisional: !validated,
        normalised: standing.rules.normalise,
        members: standing.members,
        envelope_cents: standing.rules.envelope_cents,
        allocated_cents,
        ranking,
        recusals,
    })
}

/// The names the lists show: the applicants' and the jurors'.
struct Names {
    associations: HashMap<AssociationId, String>,
    jurors: HashMap<AccountId, String>,
}

impl Names {
    fn load(conn: &mut DbConnection, standing: &Standing) -> StoreResult<Names> {
        let ids: Vec<AssociationId> = standing.candidates.iter().map(|r| r.association).collect();
        Ok(Names {
            associations: associations::names(conn, &ids)?.into_iter().collect(),
            jurors: standing
                .members
                .iter()
                .map(|m| (m.account, m.name.clone()))
                .collect(),
        })
    }

    fn juror(&self, id: AccountId) -> String {
        self.jurors.get(&id).cloned().unwrap_or_default()
    }

    fn listed(&self, request: StoredRequest) -> Listed {
        Listed {
            association_name: self
                .associations
                .get(&request.association)
                .cloned()
                .unwrap_or_default(),
            request,
        }
    }
}
