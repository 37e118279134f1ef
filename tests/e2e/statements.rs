//! What the paths people use all day cost the database, in statements actually run (every
//! connection counts what it runs: transactions' own statements and the pool's check of a
//! connection included). The bounds are today's counts: a change that reads more fails here;
//! one that reads less lowers them.

use crate::portal_requests::browser_of;
use crate::requests::{City, act, create_draft, id, opinion, path, ready_association};
use serde_json::json;
use simpa_tests::{Backend, TestApp, on_both_backends};

/// The statements `call` made the application run. The outbox worker is asleep in these
/// tests (see below), so only the call's use case counts.
fn statements_of<T>(app: &TestApp, call: impl FnOnce() -> T) -> (u64, T) {
    let before = app.db.statements_run();
    let result = call();
    (app.db.statements_run() - before, result)
}

fn the_paths_of_every_day_run_a_bounded_number_of_statements(backend: Backend) {
    // The outbox worker polls once at start, then sleeps past the test.
    let city = City::start_with(backend, &[("SIMPA_OUTBOX_POLL_MS", "3600000")]);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, association) = ready_association(app, 1);
    let request = id(&create_draft(app, &president, &campaign, &association));

    let (submit, reply) = statements_of(app, || {
        act(app, &president, &request, json!({"action": "submit"}))
    });
    assert_eq!(reply.expect(200)["state"], "submitted");

    // The association reads its request: the first read renders its view and keeps it.
    let (first_read, first) =
        statements_of(app, || app.get(&path(&request), Some(&president.access)));
    let (read, kept) = statements_of(app, || app.get(&path(&request), Some(&president.access)));
    let (first, kept) = (first.expect(200).clone(), kept.expect(200).clone());
    assert_eq!(kept["state"], "submitted");
    // The kept view is the one rendered, its clock included.
    assert_eq!(first, kept);
    // Its page in the portal: made at the first read, then the session and the kept page.
    let browser = browser_of(app, "president1@exemple.org");
    let page = app.url(&format!("/demandes/{request}"));
    let (first_page, made) = statements_of(app, || browser.go(&page));
    let (page_read, read_again) = statements_of(app, || browser.go(&page));
    assert_eq!((made.0, read_again.0), (200, 200));
    assert_eq!(made.2, read_again.2);

    // The association lists its requests.
    let (listed, reply) =
        statements_of(app, || app.get("/api/v1/requests", Some(&president.access)));
    assert_eq!(reply.expect(200)["items"][0]["id"], request.as_str());

    city.admit_and_dispatch(&request, "DAC", &[]);
    // The direction's worklist, and the bureau's search of the requests.
    let (worklist, reply) =
        statements_of(app, || app.get("/api/v1/worklist", Some(&city.dac.access)));
    assert_eq!(reply.expect(200)["items"][0]["id"], request.as_str());
    let title = kept["title"].as_str().expect("a title").to_owned();
    let word = title.split(' ').next().expect("a word");
    let (searched, reply) = statements_of(app, || {
        app.get(
            &format!("/api/v1/requests?q={word}"),
            Some(&city.bureau.access),
        )
    });
    assert_eq!(reply.expect(200)["items"][0]["title"], title.as_str());
    let (give_opinion, reply) = statements_of(app, || {
        act(app, &city.dac, &request, opinion("favourable", 400_000))
    });
    assert_eq!(reply.expect(200)["state"], "instructed");

    // A council votes a deliberation of 200 lines as proposed.
    let now = chrono::Utc::now();
    let deliberation = app
        .db
        .write(move |conn| {
            simpa_fixtures::batches::deliberation_of_campaign(conn, 200, None, false, now)
        })
        .expect("a deliberation of 200 lines");
    let base = format!("/api/v1/deliberations/{deliberation}");
    let session_on = app.get(&base, Some(&city.bureau.access)).expect(200)["session_on"].clone();
    let (vote, reply) = statements_of(app, || {
        app.post(
            &format!("{base}/vote"),
            Some(&city.bureau.access),
            &json!({"outcome": "adopted", "voted_on": session_on}),
        )
    });
    assert_eq!(reply.expect(200)["status"], "voted");

    eprintln!(
        "statements ({backend:?}): submit {submit}, first read {first_read}, read {read}, first page {first_page}, page {page_read}, list {listed}, worklist {worklist}, search {searched}, opinion {give_opinion}, 200-line vote {vote}"
    );
    // Issue 20's counts (SQLite, PostgreSQL); before it: submit 52/47, first read 19/20,
    // read 4/5, opinion 34/32, a 200-line vote 921/40. PostgreSQL locks the request's row
    // (its instructors then read apart) and the feed in statements of their own.
    for (what, counted, (sqlite, postgres)) in [
        // Each change of state rewrites the request's figures for the indicators (one
        // statement), and stores the step it ended, if any (one more).
        ("submit", submit, (19, 21)),
        (
            "the association's first read of its request",
            first_read,
            (15, 15),
        ),
        // A kept view: the pool's check of its connection, then one lookup (two for a page:
        // the browser's session, and the page).
        ("the association's read of its request", read, (2, 2)),
        ("the first read of the request's page", first_page, (17, 17)),
        ("a read of the request's page", page_read, (3, 3)),
        // A list: the pool's check, the transaction, the caller's roles, the keys of its page
        // (the worklist: the reports waiting, then its kinds of work), then their lines in
        // one statement (names and instructors included), who follows those the caller sees
        // the city's side of (none for an association), and the unread messages.
        // Before the lines (issue 25): 12, 13 and 12 on both databases.
        ("the association's list of its requests", listed, (7, 7)),
        ("the direction's worklist", worklist, (9, 9)),
        ("the bureau's search of requests", searched, (8, 8)),
        ("an instructor's opinion", give_opinion, (23, 25)),
        // At most three statements a line and a constant, on both databases (issue 24: two
        // more, what the associations were voted in the twelve months, which the grant's
        // e-mail says the agreement rule from).
        // Three more for the figures: the requests' and the grants' refreshes, the spans.
        ("a 200-line vote", vote, (39, 42)),
    ] {
        let bound = match backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        assert!(
            counted <= bound,
            "{what}: {counted} statements (at most {bound})"
        );
        assert!(counted > 0, "{what}: nothing counted");
    }
}

on_both_backends!(the_paths_of_every_day_run_a_bounded_number_of_statements);
