//! What the paths people use all day cost the database, in statements actually run (every
//! connection counts what it runs: transactions' own statements and the pool's check of a
//! connection included). The bounds are today's counts: a change that reads more fails here;
//! one that reads less lowers them.

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
    // The kept view is the one rendered (the clock, computed at each read, aside).
    let without_clock = |mut view: serde_json::Value| {
        view.as_object_mut().map(|v| v.remove("sla"));
        view
    };
    assert_eq!(without_clock(first), without_clock(kept));

    city.admit_and_dispatch(&request, "DAC", &[]);
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
        "statements ({backend:?}): submit {submit}, first read {first_read}, read {read}, opinion {give_opinion}, 200-line vote {vote}"
    );
    // Issue 20's counts (SQLite, PostgreSQL); before it: submit 52/47, first read 19/20,
    // read 4/5, opinion 34/32, a 200-line vote 921/40. PostgreSQL locks the request's row
    // (its instructors then read apart) and the feed in statements of their own.
    for (what, counted, (sqlite, postgres)) in [
        ("submit", submit, (18, 20)),
        (
            "the association's first read of its request",
            first_read,
            (16, 16),
        ),
        ("the association's read of its request", read, (4, 4)),
        ("an instructor's opinion", give_opinion, (21, 23)),
        // At most three statements a line and a constant, on both databases.
        ("a 200-line vote", vote, (34, 37)),
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
