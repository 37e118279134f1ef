//! The generated data set: what it holds passes the domain's own rules, the same seed gives
//! the same data on either database, a second load adds nothing, and the API serves it.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use simpa_app::passwords;
use simpa_domain::association::Association;
use simpa_domain::budget::Side;
use simpa_domain::history::{ChainCheck, replay, verify_chain_to};
use simpa_domain::iban::Iban;
use simpa_domain::ids::{AssociationId, DirectionId, DistrictNumber, RequestId};
use simpa_domain::life::{RequestLine, StoredRequest};
use simpa_domain::listing::{AssociationOrder, DocumentOrder, PaymentOrder, RequestOrder};
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{RequestScope, WorkScope};
use simpa_domain::request::RequestState;
use simpa_domain::rna::Rna;
use simpa_domain::siret::Siret;
use simpa_fixtures::{DEMO_PASSWORD, Loader, Report, Size};
use simpa_persistence::associations::AssociationFilter;
use simpa_persistence::documents::{Waiting, WaitingFilter};
use simpa_persistence::grants::DueFilter;
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::schema::{
    accounts, association_members, associations, document_versions, final_reports, grants,
    request_instructors, requests as requests_table,
};
use simpa_persistence::{DbConnection, Keyset, Page, StoreError, history, migrations, requests};
use simpa_tests::{Backend, TestApp, on_both_backends};
use std::collections::HashMap;

const SEED: u64 = 7;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, hour, 0, 0).unwrap()
}

pub(crate) fn load(app: &TestApp) -> Report {
    load_at(app, at(9))
}

fn load_at(app: &TestApp, now: DateTime<Utc>) -> Report {
    let blobs = app.services.blobs.clone();
    simpa_fixtures::load(
        &app.db,
        Size::Demo,
        SEED,
        now,
        &Loader {
            hash_password: &|p| passwords::hash(p).expect("hash"),
            store_blob: &|bytes| blobs.put(bytes),
            progress: &|_, _| {},
        },
    )
    .expect("the data set loads")
}

/// Every request's id and the hash at the head of its history: the hash chain covers every
/// event's content, actor and time, so equal heads mean equal histories.
fn heads(app: &TestApp) -> Vec<(String, String)> {
    app.db
        .read(|conn| {
            requests_table::table
                .select((requests_table::id, requests_table::head_hash))
                .order(requests_table::id)
                .load(conn)
                .map_err(StoreError::from)
        })
        .expect("heads")
}

fn the_generated_data_set_follows_the_rules_and_loads_once(backend: Backend) {
    let app = TestApp::start(backend);
    let first = load(&app);
    assert!(first.associations_created >= 50, "{first}");
    assert!(first.requests_created >= 100, "{first}");

    assert!(first.juries_convened >= 3, "{first}");
    assert!(first.deliberations_voted >= 3, "{first}");
    assert!(first.payments_recorded >= 10, "{first}");
    assert!(
        first.reports_filed >= 5 && first.files_closed >= 3,
        "{first}"
    );
    let again = load(&app);
    assert_eq!(
        (
            again.accounts_created,
            again.associations_created,
            again.requests_created,
            again.juries_convened,
            again.deliberations_voted,
            again.agreements_signed,
            again.payments_recorded,
            again.reports_filed,
            again.files_closed
        ),
        (0, 0, 0, 0, 0, 0, 0, 0, 0),
        "{again}"
    );
    let count = |app: &TestApp| {
        app.db
            .read(|conn| {
                requests_table::table
                    .count()
                    .get_result::<i64>(conn)
                    .map_err(StoreError::from)
            })
            .expect("count")
    };
    assert_eq!(
        usize::try_from(count(&app)).unwrap(),
        first.requests_created
    );

    let (identifiers, ibans) = app
        .db
        .read(|conn| {
            let identifiers: Vec<(Option<String>, Option<String>)> = associations::table
                .select((associations::rna, associations::siret))
                .load(conn)?;
            let ibans: Vec<Option<String>> = document_versions::table
                .filter(document_versions::iban.is_not_null())
                .select(document_versions::iban)
                .load(conn)?;
            Ok((identifiers, ibans))
        })
        .expect("identifiers");
    assert_eq!(identifiers.len(), first.associations_created);
    assert!(identifiers.iter().any(|(_, siret)| siret.is_some()));
    for (rna, siret) in identifiers {
        let rna = rna.expect("every association has an RNA number");
        assert!(Rna::parse(&rna).is_ok(), "{rna}");
        if let Some(siret) = siret {
            assert!(Siret::parse(&siret).is_ok(), "{siret}");
        }
    }
    assert!(ibans.len() >= Size::Demo.scale().associations);
    for iban in ibans.into_iter().flatten() {
        assert!(Iban::parse(&iban).is_ok(), "{iban}");
    }

    let mut states = std::collections::BTreeMap::new();
    for (id, _) in heads(&app) {
        let (request, events) = app
            .db
            .read(|conn| {
                let id = id.parse().expect("request id");
                let request = requests::get(conn, id)?.expect("request");
                Ok((request, history::events(conn, id)?))
            })
            .expect("request");
        assert_eq!(replay(&events), Ok(request.facts.state), "{id}");
        assert_eq!(
            verify_chain_to(&events, &request.head_hash),
            ChainCheck::Intact {
                events: events.len()
            },
            "{id}"
        );
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at), "{id}");
        let budget = &request.content.budget;
        assert_eq!(
            budget.total(Side::Charge),
            budget.total(Side::Income),
            "{id}"
        );
        assert_eq!(budget.city_subsidy_cents(), request.content.requested_cents);
        assert_eq!(
            request.number.is_some(),
            request.submitted_at.is_some(),
            "{id}"
        );
        *states.entry(request.facts.state.code()).or_insert(0) += 1;
    }
    for state in [
        "draft",
        "submitted",
        "in_instruction",
        "instructed",
        "scheduled",
        "granted",
        "rejected",
        "withdrawn",
    ] {
        assert!(
            states.contains_key(state),
            "no {state} request in {states:?}"
        );
    }
}

/// Loaded in the morning on one database and in the evening on the other: the data is dated
/// from the day, so the two are the same.
fn the_same_seed_gives_the_same_data_on_either_database(backend: Backend) {
    let other = match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    };
    if !simpa_tests::available(other) {
        return;
    }
    let (one, two) = (TestApp::start(backend), TestApp::start(other));
    load_at(&one, at(9));
    load_at(&two, at(18));
    let heads = heads(&one);
    assert!(heads.len() >= 100);
    assert_eq!(heads, self::heads(&two));
}

/// A generated member signs in with the demo password and reads the association's request as
/// the API serves it; the DAC's worklist reads the opinions awaited from what was loaded.
fn the_api_serves_generated_requests_to_their_people(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    let (request, email): (String, String) = app
        .db
        .read(|conn| {
            requests_table::table
                .inner_join(
                    association_members::table
                        .on(association_members::association_id.eq(requests_table::association_id)),
                )
                .inner_join(accounts::table.on(accounts::id.eq(association_members::account_id)))
                .filter(requests_table::state.eq("in_instruction"))
                .filter(accounts::email.like("%.asso.example"))
                .select((requests_table::id, accounts::email))
                .first(conn)
                .map_err(StoreError::from)
        })
        .expect("a generated request in instruction");
    let tokens = app.sign_in(&email, DEMO_PASSWORD).expect(200).clone();
    let token = tokens["access_token"].as_str().expect("token");
    let view = app.get(&format!("/api/v1/requests/{request}"), Some(token));
    let view = view.expect(200);
    assert_eq!(view["state"], "in_instruction");
    assert!(
        view["number"].as_str().is_some_and(|n| n.len() == 10),
        "{view}"
    );
    let timeline = view["timeline"].as_array().expect("timeline");
    assert_eq!(timeline.first().expect("first event")["action"], "create");

    // The DAC's worklist starts with the request that has waited longest for its opinion.
    let dac = format!("direction:{}", app.direction_id("DAC"));
    let longest: String = app
        .db
        .read(|conn| {
            requests_table::table
                .inner_join(
                    request_instructors::table
                        .on(request_instructors::request_id.eq(requests_table::id)),
                )
                .filter(requests_table::state.eq("in_instruction"))
                .filter(request_instructors::instructor.eq(dac))
                .filter(request_instructors::opinion.is_null())
                .order((requests_table::state_since, requests_table::id))
                .select(requests_table::id)
                .first(conn)
                .map_err(StoreError::from)
        })
        .expect("a request awaiting the DAC's opinion");
    let instructor = app
        .sign_in("dac@demo.simpa.fr", DEMO_PASSWORD)
        .expect(200)
        .clone();
    let worklist = app.get("/api/v1/worklist", instructor["access_token"].as_str());
    assert_eq!(worklist.expect(200)["items"][0]["id"], longest.as_str());
}

/// The generated juries ranked their calls within the envelopes, as the API reads them; the
/// demo's juror finds the open session and the requests they sit on.
fn the_generated_juries_rank_within_their_envelopes(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    let sign_in = |email: &str| {
        app.sign_in(email, DEMO_PASSWORD).expect(200)["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let bureau = sign_in("bureau@demo.simpa.fr");
    let calls = app.get("/api/v1/campaigns?circuit=call_for_projects", Some(&bureau));
    let calls = calls.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let (mut validated, mut open) = (0, None);
    for call in &calls {
        let id = call["id"].as_str().expect("id");
        let jury = app.get(&format!("/api/v1/campaigns/{id}/jury"), Some(&bureau));
        if jury.status == 404 {
            continue;
        }
        let status = jury.expect(200)["status"]
            .as_str()
            .expect("status")
            .to_owned();
        let minutes = app.get(
            &format!("/api/v1/campaigns/{id}/jury/minutes"),
            Some(&bureau),
        );
        let minutes = minutes.expect(200);
        let funded: i64 = minutes["ranking"]
            .as_array()
            .expect("ranking")
            .iter()
            .map(|l| l["funded_cents"].as_i64().expect("funded"))
            .sum();
        assert!(funded <= call["envelope_cents"].as_i64().expect("envelope"));
        if status == "validated" {
            validated += 1;
            assert_eq!(minutes["provisional"], false);
            for line in minutes["ranking"].as_array().expect("ranking") {
                let request = line["request"]["id"].as_str().expect("id");
                let view = app.get(&format!("/api/v1/requests/{request}"), Some(&bureau));
                let view = view.expect(200);
                // Ranked, then put to the council's vote, then paid and reported on.
                let expected: &[&str] = if line["funded_cents"].as_i64() > Some(0) {
                    &["ranked", "scheduled", "granted", "closed"]
                } else {
                    &["rejected"]
                };
                assert!(
                    expected.contains(&view["state"].as_str().unwrap_or_default()),
                    "{line}"
                );
                assert_eq!(view["instruction"]["proposed_cents"], line["funded_cents"]);
            }
        } else if status == "open" {
            open = Some(id.to_owned());
        }
    }
    assert!(validated >= 2, "validated juries among {calls:?}");
    let open = open.expect("an open session");
    let juror = sign_in("jure@demo.simpa.fr");
    let mine = app.get(
        &format!("/api/v1/campaigns/{open}/jury/requests"),
        Some(&juror),
    );
    let mine = mine.expect(200)["items"].as_array().expect("items").clone();
    assert!(
        !mine.is_empty(),
        "the demo's juror sits on the open session"
    );
    assert!(
        mine.iter()
            .all(|line| line["seats"].as_array().map(Vec::len) == Some(1))
    );
}

/// Every page of a list read `size` at a time, in order.
fn paged<T>(
    app: &TestApp,
    size: usize,
    page: impl Fn(&mut DbConnection, Option<&Keyset>, usize) -> Result<Page<T>, StoreError>,
) -> Vec<T> {
    let (mut items, mut after) = (vec![], None);
    loop {
        let read = app.db.read(|conn| page(conn, after.as_ref(), size));
        let read = read.expect("a page");
        items.extend(read.items);
        match read.next {
            Some(next) => after = Some(next),
            None => return items,
        }
    }
}

/// Each order of the agents' lists, read a few rows a page, gives what one long page gives:
/// no row lost or repeated where pages meet, whatever the key (a time, an amount, a day, a
/// name), ties broken by id.
fn every_order_of_the_agents_lists_pages_through_the_data_set(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    let everything = RequestScope {
        everything: true,
        ..RequestScope::default()
    };
    for order in RequestOrder::ALL {
        let filter = RequestFilter {
            order: *order,
            ..RequestFilter::default()
        };
        let list = |size| {
            paged(&app, size, |conn, after, limit| {
                requests::list::<StoredRequest>(conn, &everything, &filter, after, limit)
            })
        };
        let (by_seven, at_once) = (list(7), list(100_000));
        let ids = |l: &[StoredRequest]| l.iter().map(|r| r.id).collect::<Vec<_>>();
        assert!(at_once.len() > 7, "{order:?}");
        assert_eq!(ids(&by_seven), ids(&at_once), "{order:?}");
        // The lines a list shows say what the whole requests say, in the same order.
        let lines = paged(&app, 7, |conn, after, limit| {
            requests::list::<RequestLine>(conn, &everything, &filter, after, limit)
        });
        assert_eq!(lines.len(), at_once.len(), "{order:?}");
        for (line, request) in lines.iter().zip(&at_once) {
            let shown = (
                (line.id, line.number, &line.title, line.campaign),
                (line.circuit, line.state, line.state_since),
                (line.requested_cents, line.proposed_cents),
                (line.sla_due_at, line.submitted_at, line.created_at),
                &line.access,
            );
            let stored = (
                (
                    request.id,
                    request.number,
                    &request.content.title,
                    request.campaign,
                ),
                (
                    request.facts.circuit,
                    request.facts.state,
                    request.state_since,
                ),
                (
                    request.content.requested_cents,
                    request.facts.proposed_cents,
                ),
                (request.sla_due_at, request.submitted_at, request.created_at),
                &request.access(),
            );
            assert_eq!(shown, stored, "{order:?}");
            assert!(!line.association_name.is_empty() && !line.campaign_code.is_empty());
        }
        let amounts: Vec<i64> = at_once.iter().map(|r| r.content.requested_cents).collect();
        let waited: Vec<_> = at_once.iter().map(|r| r.state_since).collect();
        match order {
            RequestOrder::LargestAmount => assert!(amounts.is_sorted_by(|a, b| a >= b)),
            RequestOrder::SmallestAmount => assert!(amounts.is_sorted()),
            RequestOrder::LongestInState => assert!(waited.is_sorted()),
            _ => {}
        }
    }
    for order in AssociationOrder::ALL {
        let filter = AssociationFilter {
            order: *order,
            ..AssociationFilter::default()
        };
        let list = |size| {
            paged(&app, size, |conn, after, limit| {
                simpa_persistence::associations::list(conn, &filter, after, limit)
            })
        };
        let ids = |l: Vec<Association>| l.into_iter().map(|a| a.id).collect::<Vec<_>>();
        let (by_seven, at_once) = (ids(list(7)), ids(list(100_000)));
        assert!(at_once.len() > 7, "{order:?}");
        assert_eq!(by_seven, at_once, "{order:?}");
    }
    // The data set's documents were reviewed a month after they were filed: back to be reviewed.
    app.db
        .write(|conn| {
            diesel::update(document_versions::table)
                .set(document_versions::review_state.eq("pending"))
                .execute(conn)
                .map_err(StoreError::from)
        })
        .expect("pending again");
    for order in DocumentOrder::ALL {
        let filter = WaitingFilter {
            order: *order,
            ..WaitingFilter::default()
        };
        let list = |size| {
            paged(&app, size, |conn, after, limit| {
                simpa_persistence::documents::waiting_review(conn, true, &[], &filter, after, limit)
            })
        };
        let ids = |l: Vec<Waiting>| {
            l.into_iter()
                .map(|w| w.version.facts.id)
                .collect::<Vec<_>>()
        };
        let (by_two, at_once) = (ids(list(2)), ids(list(100_000)));
        assert!(at_once.len() > 2, "{order:?}: {}", at_once.len());
        assert_eq!(by_two, at_once, "{order:?}");
    }
    // One payment is due in the data set: every grant made due, most on one day (ties).
    app.db
        .write(|conn| {
            diesel::update(grants::table.filter(grants::due_on.is_null()))
                .set(grants::due_on.eq(chrono::NaiveDate::from_ymd_opt(2026, 12, 1)))
                .execute(conn)
                .map_err(StoreError::from)
        })
        .expect("due");
    for order in PaymentOrder::ALL {
        let filter = DueFilter {
            order: *order,
            ..DueFilter::default()
        };
        let list = |size| {
            paged(&app, size, |conn, after, limit| {
                simpa_persistence::grants::due(conn, &filter, after, limit)
            })
        };
        let (by_two, at_once) = (list(2), list(100_000));
        assert!(at_once.len() > 2, "{order:?}: {}", at_once.len());
        assert_eq!(by_two, at_once, "{order:?}");
        let granted: Vec<i64> = at_once.iter().map(|d| d.cents).collect();
        if *order == PaymentOrder::LargestGrant {
            assert!(granted.is_sorted_by(|a, b| a >= b));
        }
    }
}

/// The generated grants, as finance reads them: the payments due, the longest due first, some
/// already late; each grant paid within what is payable, never before its agreement's
/// signatures.
fn the_generated_grants_are_paid_as_their_rules_say(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    let finance = app
        .sign_in("finances@demo.simpa.fr", DEMO_PASSWORD)
        .expect(200)
        .clone();
    let token = finance["access_token"].as_str();
    let due = app.get("/api/v1/payments/due?limit=200", token);
    let due = due.expect(200)["items"].as_array().expect("items").clone();
    let owed = app
        .db
        .read(|conn| {
            grants::table
                .filter(grants::due_on.is_not_null())
                .count()
                .get_result::<i64>(conn)
                .map_err(StoreError::from)
        })
        .expect("count");
    assert_eq!(due.len(), usize::try_from(owed.min(200)).unwrap());
    let dates: Vec<&str> = due.iter().filter_map(|d| d["due_on"].as_str()).collect();
    assert!(dates.is_sorted(), "{dates:?}");
    let overdue = app.get("/api/v1/payments/due?overdue=true&limit=200", token);
    let overdue = overdue.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert!(
        overdue.iter().all(|d| d["days_late"].as_i64() > Some(0)),
        "{overdue:?}"
    );
    let granted: Vec<(String, Option<String>)> = app
        .db
        .read(|conn| {
            grants::table
                .select((grants::request_id, grants::agreement_id))
                .order(grants::request_id)
                .load(conn)
                .map_err(StoreError::from)
        })
        .expect("grants");
    assert!(granted.iter().any(|(_, a)| a.is_some()), "agreements");
    let mut signed = 0;
    let mut paid_grants = 0;
    for (request, agreement) in &granted {
        let grant = app.get(&format!("/api/v1/requests/{request}/grant"), token);
        let grant = grant.expect(200);
        let paid = grant["paid_cents"].as_i64().expect("paid");
        assert!(
            paid <= grant["payable_cents"].as_i64().expect("payable"),
            "{grant}"
        );
        assert!(
            paid <= grant["granted_cents"].as_i64().expect("granted"),
            "{grant}"
        );
        paid_grants += usize::from(paid > 0);
        if agreement.is_some() {
            let status = &grant["agreement"]["status"];
            signed += usize::from(status == "signed");
            if status != "signed" {
                assert_eq!(paid, 0, "{grant}");
            }
        }
    }
    assert!(signed > 0, "some agreements are signed");
    // The final reports filed: their lines beside the plan, the annex where one moved over
    // 15 %; accepted ones make the balance paid and the file closed.
    let reports: Vec<(String, String)> = app
        .db
        .read(|conn| {
            final_reports::table
                .select((final_reports::request_id, final_reports::status))
                .order(final_reports::request_id)
                .load(conn)
                .map_err(StoreError::from)
        })
        .expect("reports");
    assert!(reports.len() >= 5, "{reports:?}");
    let bureau = app
        .sign_in("bureau@demo.simpa.fr", DEMO_PASSWORD)
        .expect(200)
        .clone();
    for (request, status) in &reports {
        let report = app.get(&format!("/api/v1/requests/{request}/final-report"), token);
        let report = report.expect(200);
        assert_eq!(&report["status"], status);
        let lines = report["lines"].as_array().expect("lines");
        assert!(!lines.is_empty());
        if lines.iter().any(|l| l["significant_variance"] == true) {
            assert!(report["annex"].is_string(), "{report}");
        }
        let state = app.get(
            &format!("/api/v1/requests/{request}"),
            bureau["access_token"].as_str(),
        );
        if status == "accepted" {
            let grant = app.get(&format!("/api/v1/requests/{request}/grant"), token);
            let grant = grant.expect(200);
            let paid_in_full = grant["paid_cents"] == grant["granted_cents"];
            assert_eq!(
                state.expect(200)["state"] == "closed",
                paid_in_full,
                "{grant}"
            );
        }
    }
    assert!(
        paid_grants * 2 > granted.len(),
        "most grants are paid: {paid_grants} of {}",
        granted.len()
    );
}

/// Every worklist, read a few a page, holds exactly what waits on its caller by the domain's
/// rule (`WorkScope::holds`), the longest waiting first, with and without a filter; the same
/// once the migration that keeps each wait in an index is run again over data that was there
/// before it.
fn every_worklist_holds_what_waits_on_its_caller(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    // Some final reports wait for review: filed again, their requests granted again.
    let filed: Vec<String> = app
        .db
        .write(|conn| {
            let reported: Vec<String> = final_reports::table
                .order(final_reports::request_id)
                .limit(9)
                .select(final_reports::request_id)
                .load(conn)?;
            diesel::update(
                final_reports::table.filter(final_reports::request_id.eq_any(&reported)),
            )
            .set(final_reports::status.eq("filed"))
            .execute(conn)?;
            diesel::update(requests_table::table.filter(requests_table::id.eq_any(&reported)))
                .set(requests_table::state.eq("granted"))
                .execute(conn)?;
            Ok::<_, StoreError>(reported)
        })
        .expect("reports filed");
    let filed: Vec<RequestId> = filed.iter().map(|id| id.parse().expect("id")).collect();
    let everything = RequestScope {
        everything: true,
        ..RequestScope::default()
    };
    let all = paged(&app, 100_000, |conn, after, limit| {
        requests::list::<StoredRequest>(conn, &everything, &RequestFilter::default(), after, limit)
    });
    let mut directions: Vec<DirectionId> = all
        .iter()
        .flat_map(|r| &r.facts.instructors)
        .filter_map(|a| match a.instructor {
            Instructor::Direction(d) => Some(d),
            Instructor::District(_) => None,
        })
        .collect();
    directions.sort();
    directions.dedup();
    let mut districts: Vec<DistrictNumber> =
        all.iter().filter_map(|r| r.facts.local_district).collect();
    districts.sort();
    districts.dedup();
    let mut works: Vec<WorkScope> = vec![WorkScope {
        bureau: true,
        ..WorkScope::default()
    }];
    works.extend(directions.iter().map(|d| WorkScope {
        directions: vec![*d],
        ..WorkScope::default()
    }));
    works.extend(districts.iter().map(|d| WorkScope {
        districts: vec![*d],
        ..WorkScope::default()
    }));
    works.push(WorkScope {
        bureau: true,
        directions: directions.clone(),
        districts: districts.clone(),
    });
    // Narrowed: only the requests of at least 1,000 €.
    let narrowed = RequestFilter {
        min_requested_cents: Some(100_000),
        ..RequestFilter::default()
    };
    let in_instruction: Vec<RequestId> = all
        .iter()
        .filter(|r| r.facts.state == RequestState::InInstruction)
        .map(|r| r.id)
        .collect();
    let check = |when: &str| {
        let mut kinds = (0, 0, 0);
        for work in &works {
            for filter in [&RequestFilter::default(), &narrowed] {
                let mut expected: Vec<&StoredRequest> = all
                    .iter()
                    .filter(|r| work.holds(&r.facts, filed.contains(&r.id)))
                    .filter(|r| {
                        filter
                            .min_requested_cents
                            .is_none_or(|min| r.content.requested_cents >= min)
                    })
                    .collect();
                expected.sort_by_key(|r| (r.state_since, r.id.to_string()));
                let expected: Vec<RequestId> = expected.iter().map(|r| r.id).collect();
                let read = paged(&app, 7, |conn, after, limit| {
                    requests::worklist::<RequestLine>(conn, work, filter, after, limit)
                });
                let read: Vec<RequestId> = read.iter().map(|r| r.id).collect();
                assert_eq!(
                    read,
                    expected,
                    "{when}: {work:?}, narrowed: {}",
                    filter.narrows()
                );
                let instructing = expected
                    .iter()
                    .filter(|id| in_instruction.contains(id))
                    .count();
                if work.bureau && work.directions.is_empty() {
                    kinds.0 += instructing;
                } else if !work.directions.is_empty() && work.districts.is_empty() {
                    kinds.1 += instructing;
                }
                kinds.2 += expected.iter().filter(|id| filed.contains(id)).count();
            }
        }
        // Each kind of work is met: to dispatch, opinions awaited, reports to review.
        assert!(
            kinds.0 > 0 && kinds.1 > 0 && kinds.2 > 0,
            "{when}: {kinds:?}"
        );
    };
    check("as loaded");
    app.db
        .write(|conn| {
            // Back to before the migration 000032, and forward again.
            while !migrations::revert_last(conn)?.ends_with("000032") {}
            migrations::run_pending(conn)
        })
        .expect("the migration runs again");
    check("migrated");
}

/// The indicators the stored figures add up to are those recounted from every request, its
/// grant, payments and history, as they were computed before: for the bureau, a direction
/// and a town hall, over the whole city and each filter; and again once the migration that
/// stores the figures has filled them in from data that was there before it.
fn stored_figures_give_the_indicators_recounted_from_every_request(backend: Backend) {
    use simpa_app::indicators::{Counted, indicators, recount};
    use simpa_domain::ids::CampaignId;
    use simpa_domain::policy::Subject;
    let app = TestApp::start(backend);
    load(&app);
    let now = Utc.with_ymd_and_hms(2027, 1, 20, 12, 0, 0).unwrap();
    let today = now.date_naive();
    let person = |email: &str| -> Subject {
        let id: String = app
            .db
            .read(|conn| {
                accounts::table
                    .filter(accounts::email.eq(email))
                    .select(accounts::id)
                    .first(conn)
                    .map_err(StoreError::from)
            })
            .expect("account");
        Subject::Person(id.parse().expect("account id"))
    };
    let callers = [
        person("bureau@demo.simpa.fr"),
        person("dac@demo.simpa.fr"),
        person("mairie11@demo.simpa.fr"),
    ];
    let campaign: String = app
        .db
        .read(|conn| {
            requests_table::table
                .filter(requests_table::submitted_at.is_not_null())
                .order(requests_table::id)
                .select(requests_table::campaign_id)
                .first(conn)
                .map_err(StoreError::from)
        })
        .expect("a campaign");
    let campaign = CampaignId::from_uuid(campaign.parse().expect("campaign id"));
    let filters = [
        Counted::default(),
        Counted {
            year: Some(2026),
            ..Counted::default()
        },
        Counted {
            direction: Some("DAC"),
            ..Counted::default()
        },
        Counted {
            district: Some(DistrictNumber(11)),
            ..Counted::default()
        },
        Counted {
            campaign: Some(campaign),
            ..Counted::default()
        },
    ];
    let compare = |when: &str| {
        for caller in callers {
            for counted in &filters {
                let (stored, recounted) = app
                    .db
                    .read(|conn| {
                        let stored = indicators(conn, Some(caller), counted, now, today)?;
                        let recounted = recount::figures(conn, Some(caller), counted)?
                            .map(|(_, figures)| recount::indicators_of(&figures, now, today));
                        Ok::<_, StoreError>((stored.map(|(_, shown)| shown), recounted))
                    })
                    .expect("indicators");
                let (stored, recounted) = (stored.expect("shown"), recounted.expect("shown"));
                assert_eq!(
                    stored, recounted,
                    "{when}: {caller:?}, {:?} {:?} {:?} {:?}",
                    counted.year, counted.direction, counted.district, counted.campaign
                );
            }
        }
        // What the comparison covers: every step measured, money voted and paid, alerts.
        let city = app
            .db
            .read(|conn| indicators(conn, Some(callers[0]), &Counted::default(), now, today))
            .expect("indicators")
            .expect("shown")
            .1;
        assert!(city.requests > 100, "{when}: {} requests", city.requests);
        assert!(
            city.durations
                .iter()
                .all(|d| d.count > 0 && d.median_days.is_some()),
            "{when}: {:?}",
            city.durations
        );
        assert!(
            city.durations
                .iter()
                .any(|d| d.p90_waiting_days > Some(0.0))
        );
        assert!(city.amounts.direction.iter().any(|(_, a)| a.paid_cents > 0));
        assert!(city.amounts.sector.len() > 2 && city.amounts.district.len() > 10);
        assert!(
            !city.steps_late.is_empty() && city.final_reports_overdue > 0,
            "{when}"
        );
        assert!(city.refusal_rate.is_some());
    };
    compare("as loaded");
    app.db
        .write(|conn| {
            // Back to before the migration 000035, and forward again: the figures of the
            // requests already there are filled in.
            while !migrations::revert_last(conn)?.ends_with("000035") {}
            migrations::run_pending(conn)
        })
        .expect("the migration runs again");
    compare("migrated");
}

/// The staff's search of associations finds, in name order and page after page, exactly the
/// associations with a word of their name, acronym, RNA or SIRET beginning with each word
/// searched: rare words read from their terms, frequent ones (every Paris RNA begins with
/// `w75`) tested on each association met; and the terms of associations registered before the
/// index are filled in by the backfill the migrations leave.
fn the_staff_search_of_associations_finds_every_word_it_is_given(backend: Backend) {
    let app = TestApp::start(backend);
    load(&app);
    let now = Utc::now();
    // More associations than a frequent word's threshold share the RNA's first letters.
    simpa_fixtures::batches::directory_associations(&app.db, 7, 40, 1_200, now)
        .expect("associations added");
    let searched = |text: &str| {
        let filter = AssociationFilter {
            text: Some(text.to_owned()),
            ..AssociationFilter::default()
        };
        paged(&app, 50, |conn, after, limit| {
            simpa_persistence::associations::list(conn, &filter, after, limit)
        })
        .into_iter()
        .map(|a| a.id)
        .collect::<Vec<_>>()
    };
    let all = paged(&app, 500, |conn, after, limit| {
        simpa_persistence::associations::list(conn, &AssociationFilter::default(), after, limit)
    });
    assert!(all.len() > 1_200);
    let expected = |text: &str| {
        let words = simpa_domain::search::query_words(text);
        all.iter()
            .filter(|a| {
                let p = &a.profile;
                let terms = simpa_domain::search::name_terms(
                    &p.name,
                    p.acronym.as_deref(),
                    p.rna.as_ref().map(|r| r.as_str()),
                    p.siret.as_ref().map(|s| s.as_str()),
                );
                words
                    .iter()
                    .all(|w| terms.iter().any(|t| t.starts_with(w.as_str())))
            })
            .map(|a| a.id)
            .collect::<Vec<_>>()
    };
    let some = &all[all.len() / 2].profile;
    let rare = simpa_domain::search::words(&some.name)
        .into_iter()
        .max_by_key(|w| w.len())
        .expect("a word of a name");
    let rna = some.rna.as_ref().expect("an RNA").as_str().to_lowercase();
    let queries = [
        "w75".to_owned(),
        format!("w75 {rare}"),
        rare.clone(),
        rare[..3].to_owned(),
        rna.clone(),
        "association".to_owned(),
        "zzzz".to_owned(),
    ];
    let mut found = 0;
    for query in &queries {
        let read = searched(query);
        assert_eq!(read, expected(query), "{query}");
        found += usize::from(!read.is_empty());
    }
    assert!(searched("w75").len() > 1_000, "a frequent word");
    assert!(searched(&rna).len() == 1, "an RNA");
    assert!(found >= 5);
    // Registered before the index: the backfill fills it in.
    app.db
        .write(|conn| {
            use simpa_persistence::schema::association_terms;
            diesel::delete(association_terms::table).execute(conn)?;
            Ok::<_, StoreError>(())
        })
        .expect("terms removed");
    assert_eq!(searched(&rare), Vec::<AssociationId>::new());
    app.db
        .write(|conn| {
            use simpa_persistence::schema::backfills;
            diesel::insert_into(backfills::table)
                .values(backfills::name.eq("association_terms"))
                .execute(conn)?;
            migrations::run_pending(conn)?;
            Ok::<_, StoreError>(())
        })
        .expect("the backfill run");
    for query in &queries {
        assert_eq!(searched(query), expected(query), "{query}, backfilled");
    }
}

/// The public directory's search gives, page after page, what its rule gives over every card:
/// the consenting associations with every facet asked and a term beginning each word, by the
/// weight of the terms they match, then by name. Words and facets alike, rare and frequent,
/// alone or together, whichever the search reads first.
fn the_directory_search_ranks_every_card_as_its_rule_says(backend: Backend) {
    use simpa_domain::search::{Facet, card_facets, card_terms, fold, query_words};
    use simpa_persistence::directory::{DirectoryQuery, search};
    let app = TestApp::start(backend);
    load(&app);
    simpa_fixtures::batches::directory_associations(&app.db, 7, 40, 1_200, Utc::now())
        .expect("associations added");
    let all = paged(&app, 500, |conn, after, limit| {
        simpa_persistence::associations::list(conn, &AssociationFilter::default(), after, limit)
    });
    let cards: Vec<(&Association, Vec<(String, i32)>)> = all
        .iter()
        .filter(|a| a.profile.directory_consent)
        .map(|a| {
            let p = &a.profile;
            let facets = card_facets(p, a.district);
            let terms = card_terms(&p.name, p.acronym.as_deref(), &p.object, &facets);
            (a, terms)
        })
        .collect();
    assert!(cards.len() > 800, "{} cards", cards.len());
    let expected = |query: &DirectoryQuery| {
        let mut found: Vec<(i32, String, String)> = cards
            .iter()
            .filter_map(|(a, terms)| {
                let weight = |word: &String| {
                    terms
                        .iter()
                        .filter(|(t, _)| t.starts_with(word.as_str()))
                        .map(|(_, w)| *w)
                        .max()
                };
                let mut score = 0;
                for word in &query.words {
                    score += weight(word)?;
                }
                for facet in &query.facets {
                    score += terms.iter().find(|(t, _)| t == facet)?.1;
                }
                Some((-score, fold(&a.profile.name), a.id.to_string()))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, _, id)| id).collect::<Vec<_>>()
    };
    let searched = |query: &DirectoryQuery| {
        paged(&app, 37, |conn, after, limit| {
            search(conn, query, after, limit)
        })
        .into_iter()
        .map(|a| a.id.to_string())
        .collect::<Vec<_>>()
    };
    // The most frequent facets and words of the generated cards, and a rare word.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, terms) in &cards {
        for (term, _) in terms {
            *counts.entry(term.as_str()).or_default() += 1;
        }
    }
    let mut by_count: Vec<(&str, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let facets: Vec<String> = by_count
        .iter()
        .filter(|(t, _)| t.starts_with('@'))
        .take(3)
        .map(|(t, _)| (*t).to_owned())
        .collect();
    let words: Vec<String> = by_count
        .iter()
        .filter(|(t, _)| !t.starts_with('@') && t.len() > 4)
        .take(2)
        .map(|(t, _)| (*t).to_owned())
        .collect();
    let rare = by_count
        .iter()
        .rev()
        .find(|(t, _)| !t.starts_with('@') && t.len() > 4)
        .map(|(t, _)| (*t).to_owned())
        .expect("a word of few cards");
    let rare_facet = cards
        .iter()
        .find(|(_, terms)| terms.iter().any(|(t, _)| *t == rare))
        .and_then(|(_, terms)| terms.iter().find(|(t, _)| t.starts_with('@')))
        .map(|(t, _)| t.clone())
        .expect("a facet of the rare word's card");
    let district = Facet::District(DistrictNumber(11)).term();
    let query = |words: &[&str], facets: &[&str]| DirectoryQuery {
        words: words.iter().flat_map(|w| query_words(w)).collect(),
        facets: facets.iter().map(|f| (*f).to_owned()).collect(),
    };
    let (w0, w1) = (words[0].as_str(), words[1].as_str());
    let (f0, f1, f2) = (facets[0].as_str(), facets[1].as_str(), facets[2].as_str());
    let queries = [
        query(&[w0], &[]),
        query(&[&w0[..3]], &[]),
        query(&[&rare], &[]),
        query(&[w0, w1], &[]),
        query(&[w0, &rare], &[]),
        query(&[w0], &[f0]),
        query(&[&rare], &[f0, f1]),
        query(&[&rare], &[&rare_facet]),
        query(&[], &[f0]),
        query(&[], &[f0, f1]),
        query(&[], &[f2, f0, &district]),
        query(&[w1], &[&district, f1]),
        query(&[], &["@district:99"]),
        query(&["zzzz"], &[f0]),
    ];
    let mut found = 0;
    for query in &queries {
        let read = searched(query);
        assert_eq!(read, expected(query), "{query:?}");
        found += usize::from(!read.is_empty());
    }
    assert!(found >= 10, "{found} searches found cards");
    assert!(searched(&queries[0]).len() > 100, "a frequent word");
}

on_both_backends!(
    the_directory_search_ranks_every_card_as_its_rule_says,
    the_staff_search_of_associations_finds_every_word_it_is_given,
    stored_figures_give_the_indicators_recounted_from_every_request,
    every_worklist_holds_what_waits_on_its_caller,
    every_order_of_the_agents_lists_pages_through_the_data_set,
    the_generated_grants_are_paid_as_their_rules_say,
    the_generated_data_set_follows_the_rules_and_loads_once,
    the_generated_juries_rank_within_their_envelopes,
    the_same_seed_gives_the_same_data_on_either_database,
    the_api_serves_generated_requests_to_their_people,
);
