//! The indicators over HTTP, on both databases, against a scenario built by hand: five
//! requests of one campaign whose every step is dated by the test's clock, so that counts,
//! durations, amounts, the refusal rate and the alerts are known in advance; scopes, filters
//! and the CSV.

use crate::requests::{City, act, create_draft, id, opinion, ready_association};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use simpa_app::clock::Clock;
use simpa_tests::{Backend, User, on_both_backends};

const INDICATORS: &str = "/api/v1/indicators";

fn today(city: &City) -> NaiveDate {
    city.app.clock.now().date_naive()
}

fn indicators(city: &City, user: &User, query: &str) -> Value {
    city.app
        .get(&format!("{INDICATORS}{query}"), Some(&user.access))
        .expect(200)
        .clone()
}

fn step<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["durations"]
        .as_array()
        .expect("durations")
        .iter()
        .find(|d| d["step"] == name)
        .unwrap_or_else(|| panic!("{name} in {view}"))
}

fn count_of(view: &Value, state: &str) -> i64 {
    view["states"]
        .as_array()
        .expect("states")
        .iter()
        .find(|s| s["state"] == state)
        .and_then(|s| s["count"].as_i64())
        .unwrap_or_else(|| panic!("{state} in {view}"))
}

fn group<'a>(view: &'a Value, by: &str, key: &str) -> &'a Value {
    view["amounts"][by]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("{by} {key} in {view}"))
}

fn the_indicators_count_time_money_and_alerts_of_a_hand_built_scenario(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = &city.bureau;
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    let campaign = city.campaign(bureau, "INDICATEURS_2027", "central", None);
    let mut presidents = Vec::new();
    let mut requests = Vec::new();
    let mut associations = Vec::new();
    for n in 1..=5 {
        let (president, association) = ready_association(app, n);
        let draft = create_draft(app, &president, &campaign, &association);
        requests.push(id(&draft));
        presidents.push(president);
        associations.push(association);
    }
    let (r1, r2, r3, r4, r5) = (
        &requests[0],
        &requests[1],
        &requests[2],
        &requests[3],
        &requests[4],
    );

    // Day 0: all five are submitted (4,000 € asked each).
    for (president, request) in presidents.iter().zip(&requests) {
        act(app, president, request, json!({"action": "submit"})).expect(200);
    }
    // Day 2: R1 lacks a document; day 5: its association sends it back.
    app.clock.advance(Duration::days(2));
    let due_on = today(&city) + Duration::days(20);
    let ask = json!({"action": "ask_documents", "items": [{"document_kind": "rib", "reason": "missing"}], "message": "Le RIB manque.", "due_on": due_on});
    act(app, bureau, r1, ask).expect(200);
    app.clock.advance(Duration::days(3));
    simpa_tests::documents::file_kind(app, &presidents[0], &associations[0], "rib", "R1");
    act(app, &presidents[0], r1, json!({"action": "resubmit"})).expect(200);
    // Day 6: R1 goes to the DAC, R3 to the DJS; R2 is inadmissible. R4 waits.
    app.clock.advance(Duration::days(1));
    city.admit_and_dispatch(r1, "DAC", &[]);
    city.admit_and_dispatch(r3, "DJS", &[]);
    let reject =
        json!({"action": "reject_inadmissible", "reason": "Hors du champ de la campagne."});
    act(app, bureau, r2, reject).expect(200);
    // Day 8: R5 goes to the DAC.
    app.clock.advance(Duration::days(2));
    city.admit_and_dispatch(r5, "DAC", &[]);
    // Day 16: the opinions: 4,000 € for R1, 3,000 € for R5, nothing for R3.
    app.clock.advance(Duration::days(8));
    act(app, &city.dac, r1, opinion("favourable", 400_000)).expect(200);
    act(app, &city.dac, r5, opinion("favourable", 300_000)).expect(200);
    act(app, &city.djs, r3, opinion("unfavourable", 0)).expect(200);
    // Day 21: the council grants R1 and R5 and refuses R3.
    app.clock.advance(Duration::days(5));
    let session = today(&city);
    let deliberation = app.post(
        "/api/v1/deliberations",
        Some(&bureau.access),
        &json!({"reference": "2027 DAC 7", "council": "conseil_de_paris", "session_on": session, "title": "Subventions"}),
    );
    let base = format!("/api/v1/deliberations/{}", id(deliberation.expect(201)));
    for request in [r1, r3, r5] {
        app.post(
            &format!("{base}/lines"),
            Some(&bureau.access),
            &json!({"request_id": request}),
        )
        .expect(200);
    }
    let vote = json!({"outcome": "adopted", "voted_on": session});
    app.post(&format!("{base}/vote"), Some(&bureau.access), &vote)
        .expect(200);
    // Day 41: finance pays R1. R5 is never paid: due 60 days after the vote, on day 81.
    app.clock.advance(Duration::days(20));
    app.post(
        &format!("/api/v1/requests/{r1}/grant/payments"),
        Some(&finance.access),
        &json!({"amount_cents": 400_000, "paid_on": today(&city), "reference": "MDT-1"}),
    )
    .expect(201);
    // Day 85: R5's payment is 4 days late.
    app.clock.advance(Duration::days(44));

    let view = indicators(&city, bureau, "");
    assert_eq!(view["requests"], 5);
    for (state, count) in [
        ("submitted", 1),
        ("granted", 2),
        ("rejected", 2),
        ("in_instruction", 0),
        ("closed", 0),
    ] {
        assert_eq!(count_of(&view, state), count, "{state}");
    }

    // Submission → admissibility: R1 6 days of which 3 waiting for its association, R3 6,
    // R5 8. Then 10, 10 and 8 days of instruction; 5 days to the vote; 20 days to pay R1.
    let admissibility = step(&view, "submission_to_admissible");
    assert_eq!(
        (
            &admissibility["count"],
            &admissibility["median_days"],
            &admissibility["p90_days"],
            &admissibility["median_waiting_days"],
            &admissibility["p90_waiting_days"],
        ),
        (
            &json!(3),
            &json!(6.0),
            &json!(8.0),
            &json!(0.0),
            &json!(3.0)
        )
    );
    let instruction = step(&view, "admissible_to_instructed");
    assert_eq!(
        (
            &instruction["count"],
            &instruction["median_days"],
            &instruction["p90_days"]
        ),
        (&json!(3), &json!(10.0), &json!(10.0))
    );
    let to_vote = step(&view, "instructed_to_vote");
    assert_eq!(
        (&to_vote["count"], &to_vote["median_days"]),
        (&json!(3), &json!(5.0))
    );
    let to_payment = step(&view, "vote_to_first_payment");
    assert_eq!(
        (&to_payment["count"], &to_payment["median_days"]),
        (&json!(1), &json!(20.0))
    );

    // Money by lead direction (the campaign's, the DAC, before dispatch), district, nature,
    // year.
    let dac = group(&view, "direction", "DAC");
    assert_eq!(
        (
            &dac["requests"],
            &dac["requested_cents"],
            &dac["proposed_cents"],
            &dac["voted_cents"],
            &dac["paid_cents"]
        ),
        (
            &json!(4),
            &json!(1_600_000),
            &json!(700_000),
            &json!(700_000),
            &json!(400_000)
        )
    );
    let djs = group(&view, "direction", "DJS");
    assert_eq!(
        (&djs["requests"], &djs["voted_cents"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(group(&view, "district", "11")["requests"], 5);
    let culture = group(&view, "sector", "Culture & Arts");
    assert_eq!(
        (&culture["requests"], &culture["voted_cents"]),
        (&json!(5), &json!(700_000)),
        "each request once in its association's sector"
    );
    assert_eq!(group(&view, "nature", "Projet")["voted_cents"], 700_000);
    assert_eq!(group(&view, "year", "2027")["paid_cents"], 400_000);
    assert_eq!(view["refusal_rate"], 0.5, "2 refused of 4 decided");
    assert_eq!(view["final_reports_overdue"], 0);

    // Alerts: R4 waits past its admissibility deadline, R5's payment is late.
    let r4_view = app
        .get(&format!("/api/v1/requests/{r4}"), Some(&bureau.access))
        .expect(200)
        .clone();
    let sla_due: chrono::DateTime<chrono::Utc> = r4_view["sla"]["due_at"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("R4 has a deadline");
    let late = &view["alerts"]["steps_late"];
    assert_eq!(late.as_array().map(Vec::len), Some(1), "{late}");
    assert_eq!(late[0]["request"], r4.as_str());
    assert_eq!(late[0]["days_late"], (app.clock.now() - sla_due).num_days());
    assert_eq!(late[0]["link"], format!("/api/v1/requests/{r4}"));
    let unpaid = &view["alerts"]["payments_late"];
    assert_eq!(unpaid.as_array().map(Vec::len), Some(1), "{unpaid}");
    assert_eq!(
        (
            &unpaid[0]["request"],
            &unpaid[0]["days_late"],
            &unpaid[0]["unpaid_cents"]
        ),
        (&json!(r5), &json!(4), &json!(300_000))
    );

    // Filters.
    assert_eq!(indicators(&city, bureau, "?direction=DJS")["requests"], 1);
    assert_eq!(indicators(&city, bureau, "?year=2027")["requests"], 5);
    assert_eq!(indicators(&city, bureau, "?year=2026")["requests"], 0);
    assert_eq!(indicators(&city, bureau, "?district=12")["requests"], 0);
    let campaign_id = campaign["id"].as_str().expect("id");
    assert_eq!(
        indicators(&city, bureau, &format!("?campaign={campaign_id}"))["requests"],
        5
    );
    for (query, field) in [
        ("?direction=XYZ", "direction"),
        ("?district=21", "district"),
        ("?format=xls", "format"),
        ("?year=soon", "year"),
    ] {
        let refused = app.get(&format!("{INDICATORS}{query}"), Some(&bureau.access));
        refused.expect_problem(400, "query.invalid");
        assert_eq!(refused.field_errors()[0].0, field, "{query}");
    }

    // Scopes: each direction sees what it instructs; a town hall with no local request
    // sees none; associations, finance and strangers are refused.
    let dac_view = indicators(&city, &city.dac, "");
    assert_eq!(dac_view["requests"], 2, "R1 and R5");
    assert_eq!(group(&dac_view, "direction", "DAC")["voted_cents"], 700_000);
    assert_eq!(indicators(&city, &city.djs, "")["requests"], 1);
    assert_eq!(indicators(&city, &city.mairie11, "")["requests"], 0);
    for user in [&presidents[0], &finance] {
        app.get(INDICATORS, Some(&user.access))
            .expect_problem(403, "access.forbidden");
    }
    app.get(INDICATORS, None)
        .expect_problem(401, "auth.required");

    // The same numbers as CSV.
    let csv = app.get(&format!("{INDICATORS}?format=csv"), Some(&bureau.access));
    csv.expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    for line in [
        "rubrique;groupe;mesure;valeur",
        "demandes;;nombre;5",
        "etat;granted;nombre;2",
        "duree;submission_to_admissible;p90_jours;8",
        "duree;submission_to_admissible;p90_attente_association_jours;3",
        "montants_par_direction;DAC;vote_euros;7000",
        "montants_par_direction;DAC;verse_euros;4000",
        "taux_de_refus;;taux;0,5",
    ] {
        assert!(
            csv.text.lines().any(|l| l == line),
            "{line} in\n{}",
            csv.text
        );
    }
    assert!(
        csv.text
            .lines()
            .any(|l| l.starts_with("alerte_versement;") && l.ends_with(";jours_de_retard;4")),
        "{}",
        csv.text
    );

    // Two years on, the final reports of the 2027 grants (due 30 June 2028) are overdue.
    app.clock.advance(Duration::days(730));
    let later = indicators(&city, bureau, "");
    assert_eq!(later["final_reports_overdue"], 2, "R1 and R5");
}

on_both_backends!(the_indicators_count_time_money_and_alerts_of_a_hand_built_scenario);
