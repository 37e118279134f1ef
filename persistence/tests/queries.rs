//! The queries written in SQL of their own, where they live, on SQLite and PostgreSQL: the
//! requests' numbers, the feed's numbering (in commit order, even when writers race), saving
//! many requests' facts in one statement, whom a batch of notices goes to, and the applying
//! association read with its overdue reports. The data is the demo city of the fixtures.

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use simpa_domain::DomainError;
use simpa_domain::campaign::{Campaign, CampaignStatus, CircuitKind, Nature};
use simpa_domain::circuit::{Command, decide};
use simpa_domain::history::EventActor;
use simpa_domain::ids::{AccountId, AssociationId, EventId, RequestId};
use simpa_domain::life::{Author, StoredRequest};
use simpa_domain::notification::StaffTarget;
use simpa_domain::parties::Party;
use simpa_domain::request::{RequestNumber, RequestState};
use simpa_domain::roles::StaffRole;
use simpa_fixtures::{Loader, Size};
use simpa_persistence::campaigns::CampaignFilter;
use simpa_persistence::instruction::{self, Decided};
use simpa_persistence::{
    Db, DbConnection, StoreResult, accounts, associations, campaigns, grants, history, members,
    reference, requests,
};
use simpa_tests::{Backend, TestDb, on_both_backends};
use std::collections::BTreeSet;

/// Times as both databases keep them (PostgreSQL to the microsecond): whole seconds.
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("a time")
}

/// A database with the demo city.
fn demo_city(backend: Backend) -> TestDb {
    let test = TestDb::create(backend);
    simpa_fixtures::load(
        &test.db,
        Size::Demo,
        3,
        now(),
        &Loader {
            // Nobody signs in here.
            hash_password: &|_| "not a password hash".to_owned(),
            store_blob: &|bytes| Ok(format!("{:x}", Sha256::digest(bytes))),
            progress: &|_, _| {},
        },
    )
    .expect("the demo city loads");
    test
}

fn author(account: AccountId) -> Author {
    Author {
        event: EventId::from_uuid(uuid::Uuid::now_v7()),
        actor: EventActor {
            account: Some(account),
            service: None,
            name: "Présidente".into(),
        },
    }
}

/// A central campaign open now, and presidents of associations (association, account).
fn campaign_and_presidents(db: &Db, count: i64) -> (Campaign, Vec<(AssociationId, AccountId)>) {
    db.read(|conn| {
        let filter = CampaignFilter {
            statuses: vec![CampaignStatus::Published],
            circuit: Some(CircuitKind::Central),
        };
        let campaign = campaigns::list(conn, &filter)?
            .into_iter()
            .next()
            .expect("a published central campaign");
        let presidents = members::presidents_with_rib(conn, count)?
            .into_iter()
            .map(|(association, account, ..)| {
                (
                    association.parse().expect("an association id"),
                    account.parse().expect("an account id"),
                )
            })
            .collect();
        Ok((campaign, presidents))
    })
    .expect("a campaign and presidents")
}

/// Starts a draft of each president's association in the campaign.
fn drafts(
    db: &Db,
    campaign: &Campaign,
    presidents: &[(AssociationId, AccountId)],
) -> Vec<RequestId> {
    let year = campaign.settings.budget_year;
    db.write(|conn| {
        let mut ids = Vec::new();
        for (association, president) in presidents {
            let id = RequestId::from_uuid(uuid::Uuid::now_v7());
            let content = simpa_fixtures::request_content("Atelier", 3_000, year, Nature::Project)?;
            instruction::start_draft(
                conn,
                id,
                campaign,
                *association,
                &content,
                author(*president),
                now(),
            )?;
            ids.push(id);
        }
        Ok(ids)
    })
    .expect("drafts")
}

/// Submits a draft as the API does once everything is checked: numbered, recorded, told to
/// the feed last. Returns its number.
fn submit(conn: &mut DbConnection, id: RequestId) -> StoreResult<RequestNumber> {
    let request = requests::get_locked(conn, id)?.expect("the draft");
    let campaign = campaigns::get(conn, request.campaign)?.expect("its campaign");
    let at = now();
    let outcome = decide(
        &request.facts,
        Command::Submit,
        &[Party::Applicant],
        at,
        at.date_naive(),
    )?;
    let (recorded, life) = instruction::record_action(
        conn,
        &request,
        &campaign,
        outcome,
        author(request.created_by),
        Some(&[]),
        at,
    )?;
    instruction::publish(conn, recorded.change)?;
    Ok(life.request.number.expect("a number"))
}

fn serial(number: RequestNumber) -> u32 {
    number.to_string()[5..].parse().expect("a serial")
}

/// Numbers follow each other without gaps, whoever submits at the same time; a submission
/// rolled back gives its number back.
fn numbers_are_dense_and_a_rolled_back_submission_gives_its_number_back(backend: Backend) {
    let test = demo_city(backend);
    let db = &test.db;
    let (campaign, presidents) = campaign_and_presidents(db, 12);
    assert!(presidents.len() >= 12, "the demo has presidents");
    let ids = drafts(db, &campaign, &presidents);

    let rolled_back = db
        .write(|conn| -> StoreResult<RequestNumber> {
            let number = submit(conn, ids[0])?;
            Err(DomainError::conflict("test.rollback", None, number.to_string()).into())
        })
        .expect_err("rolled back");
    let given_back = match rolled_back {
        simpa_persistence::StoreError::Domain(DomainError::Conflict { message, .. }) => {
            RequestNumber::parse(&message).expect("a number")
        }
        other => panic!("{other:?}"),
    };
    let again = db.write(|conn| submit(conn, ids[0])).expect("submitted");
    assert_eq!(again, given_back, "the number rolled back is given again");

    // Eleven submissions from four writers at once.
    let numbers: Vec<u32> = std::thread::scope(|scope| {
        let writers: Vec<_> = ids[1..]
            .chunks(3)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| serial(db.write(|conn| submit(conn, *id)).expect("submitted")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer"))
            .collect()
    });
    let given: BTreeSet<u32> = numbers.iter().copied().collect();
    assert_eq!(
        given.len(),
        numbers.len(),
        "no number given twice: {numbers:?}"
    );
    let first = serial(again) + 1;
    let expected: BTreeSet<u32> = (first..first + 11).collect();
    assert_eq!(
        given, expected,
        "the numbers after {again} follow without gaps"
    );
}

/// Declares a submitted request admissible, as the bureau, and tells the feed.
fn admit(conn: &mut DbConnection, id: RequestId) -> StoreResult<()> {
    let request = requests::get_locked(conn, id)?.expect("the request");
    let campaign = campaigns::get(conn, request.campaign)?.expect("its campaign");
    let at = now();
    let command = Command::DeclareAdmissible { message: None };
    let outcome = decide(
        &request.facts,
        command,
        &[Party::Bureau],
        at,
        at.date_naive(),
    )?;
    let author = author(request.created_by);
    let (recorded, _) =
        instruction::record_action(conn, &request, &campaign, outcome, author, None, at)?;
    instruction::publish(conn, recorded.change)
}

/// The feed numbers changes as they commit: a client that read up to number N never finds
/// later a change numbered N or below, however many writers race (these writers take no
/// other lock: submissions would take turns on their numbers first).
fn the_feed_numbers_changes_in_commit_order_even_when_writers_race(backend: Backend) {
    let test = demo_city(backend);
    let db = &test.db;
    let (campaign, presidents) = campaign_and_presidents(db, 16);
    let ids = drafts(db, &campaign, &presidents);
    for id in &ids {
        db.write(|conn| submit(conn, *id)).expect("submitted");
    }
    let city = vec!["city".to_owned()];
    let start = db.read(history::last_change).expect("the last change");

    let done = std::sync::atomic::AtomicBool::new(false);
    let (seen, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            // Follows the feed as a client does: from the last number it read.
            let (mut cursor, mut seen) = (start, Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = db
                    .read(|conn| history::changes(conn, &city, cursor, 1000))
                    .expect("a page of the feed");
                for change in &page {
                    seen.push(change.seq);
                    cursor = cursor.max(change.seq);
                }
                if finished {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = ids
            .chunks(4)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| db.write(|conn| admit(conn, *id)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let written: Vec<StoreResult<()>> = writers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer"))
            .collect();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        (reader.join().expect("the reader"), written)
    });
    for result in written {
        result.expect("admitted");
    }

    let all: Vec<i64> = db
        .read(|conn| history::changes(conn, &city, start, 1000))
        .expect("the feed")
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(all.len(), ids.len(), "one change an action");
    let expected: Vec<i64> = (start + 1..=start + ids.len() as i64).collect();
    assert_eq!(all, expected, "numbered without gaps, in order");
    assert_eq!(seen, all, "the client following the feed missed nothing");
}

/// Saving many requests' facts in one statement writes what the actions computed: a read
/// gives back each request as the recording returned it, instructors included.
fn many_requests_facts_are_saved_as_computed(backend: Backend) {
    let test = demo_city(backend);
    let db = &test.db;
    let (campaign, presidents) = campaign_and_presidents(db, 5);
    let ids = drafts(db, &campaign, &presidents);
    for id in &ids {
        db.write(|conn| submit(conn, *id)).expect("submitted");
    }
    let bureau = |request: &StoredRequest| Decided {
        request: request.clone(),
        actions: vec![],
    };
    let act_on_all = |command: &dyn Fn() -> Command| -> Vec<StoredRequest> {
        db.write(|conn| {
            let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
            let at = now();
            let decided = requests::get_many(conn, &keys)?
                .iter()
                .map(|r| {
                    let outcome =
                        decide(&r.facts, command(), &[Party::Bureau], at, at.date_naive())?;
                    let mut d = bureau(r);
                    d.actions.push((outcome, author(r.created_by), at));
                    Ok(d)
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let (_, after) = instruction::record_many(conn, decided)?;
            Ok(after)
        })
        .expect("recorded")
    };
    let admitted = act_on_all(&|| Command::DeclareAdmissible { message: None });
    let dac = db
        .read(|conn| reference::direction_by_code(conn, "DAC"))
        .expect("directions")
        .expect("the DAC")
        .id;
    let dispatched = act_on_all(&|| Command::Dispatch {
        lead: dac,
        co: vec![],
    });
    for (admitted, dispatched) in admitted.iter().zip(&dispatched) {
        assert_eq!(admitted.facts.state, RequestState::InInstruction);
        assert_eq!(dispatched.facts.instructors.len(), 1);
        assert!(dispatched.version > admitted.version);
        let stored = db
            .read(|conn| requests::get(conn, dispatched.id))
            .expect("read")
            .expect("the request");
        assert_eq!(&stored, dispatched, "stored as computed");
    }
}

/// Whom a batch of notices goes to comes in one statement: each association's active
/// members, and the staff each target names.
fn a_batch_finds_its_addressees_in_one_statement(backend: Backend) {
    let test = demo_city(backend);
    let db = &test.db;
    let (_, presidents) = campaign_and_presidents(db, 6);
    let associations: Vec<AssociationId> = presidents.iter().map(|(a, _)| *a).collect();
    let dac = db
        .read(|conn| reference::direction_by_code(conn, "DAC"))
        .expect("directions")
        .expect("the DAC")
        .id;
    let targets = [StaffTarget::Bureau, StaffTarget::Direction(dac)];
    let (statements, found) = db
        .read(|conn| {
            let before = db.statements_run();
            let found = members::addressees_of_many(conn, &associations, &targets)?;
            Ok((db.statements_run() - before, found))
        })
        .expect("the addressees");
    assert_eq!(statements, 1, "one statement for members and staff");

    for association in &associations {
        let mut expected: Vec<AccountId> = db
            .read(|conn| members::list(conn, *association))
            .expect("members")
            .iter()
            .map(|m| m.account_id)
            .collect();
        let mut got: Vec<AccountId> = found.members[association]
            .iter()
            .map(|(to, ..)| to.account)
            .collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "the members of {association}");
    }
    for target in targets {
        let named = found.staff(&[target]);
        assert!(!named.is_empty(), "the demo has staff for {target:?}");
        for (to, _) in named {
            let roles = db
                .read(|conn| accounts::staff_grants(conn, to.account))
                .expect("roles");
            let holds = roles.iter().any(|g| match (target, g.role) {
                (StaffTarget::Bureau, StaffRole::Bureau) => true,
                (StaffTarget::Direction(d), StaffRole::Instructor(r)) => d == r,
                _ => false,
            });
            assert!(holds, "{} is named by {target:?}", to.email);
        }
    }
    // Named by both targets, a person is told once.
    let both = found.staff(&targets);
    let distinct: BTreeSet<AccountId> = both.iter().map(|(to, _)| to.account).collect();
    assert_eq!(distinct.len(), both.len());
}

/// The applying association is read with its overdue final reports in one statement, and
/// counts what the query of its own counts.
fn the_applicant_is_read_with_its_overdue_reports(backend: Backend) {
    let test = demo_city(backend);
    let db = &test.db;
    // Years later, every grant not reported on is overdue.
    let later = (now() + Duration::days(5 * 365)).date_naive();
    let counts = db
        .read(|conn| {
            use diesel::prelude::*;
            use simpa_persistence::schema::grants as grants_table;
            let with_grants: Vec<String> = grants_table::table
                .select(grants_table::association_id)
                .distinct()
                .load(conn)
                .map_err(simpa_persistence::StoreError::from)?;
            let mut counts = Vec::new();
            for association in with_grants {
                let association: AssociationId = association.parse().expect("an id");
                let (read, overdue) =
                    associations::applicant(conn, association, later)?.expect("the association");
                assert_eq!(Some(read), associations::get(conn, association)?);
                counts.push((overdue, grants::overdue_reports(conn, association, later)?));
            }
            Ok(counts)
        })
        .expect("the applicants");
    assert!(counts.iter().any(|(overdue, _)| *overdue > 0), "{counts:?}");
    for (overdue, counted) in counts {
        assert_eq!(overdue, counted);
    }
}

on_both_backends!(
    numbers_are_dense_and_a_rolled_back_submission_gives_its_number_back,
    the_feed_numbers_changes_in_commit_order_even_when_writers_race,
    many_requests_facts_are_saved_as_computed,
    a_batch_finds_its_addressees_in_one_statement,
    the_applicant_is_read_with_its_overdue_reports,
);
