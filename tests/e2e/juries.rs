//! Juries of calls for projects, over HTTP, on both databases: seats, conflicts of interest,
//! scores, the ranking and the envelope shared out, the minutes, and what each party sees.

use crate::requests::{City, act, campaign_body, id, opinion, path, submitted};
use serde_json::{Value, json};
use simpa_tests::{Backend, TestApp, User, on_both_backends};
use std::collections::HashMap;

const ENVELOPE: i64 = 5_000_000;
const MIN_SCORE: f64 = 40.0;

/// The points juror `j` gives request `n` on the two criteria (impact out of 10, feasibility
/// out of 5): spread enough that scores differ and some fall below the minimum.
fn points(n: usize, j: usize) -> [i64; 2] {
    [((n * 7 + j * 3) % 11) as i64, ((n + 2 * j) % 6) as i64]
}

/// The weighted score out of 100 of those points: impact weighs 3, feasibility 1.
fn weighted(p: [i64; 2]) -> f64 {
    100.0 * (3 * p[0] + p[1]) as f64 / (3 * 10 + 5) as f64
}

fn jury_path(campaign: &Value, rest: &str) -> String {
    format!("/api/v1/campaigns/{}/jury{rest}", id(campaign))
}

fn coverage(app: &TestApp, user: &User, campaign: &Value) -> Vec<Value> {
    app.get(&jury_path(campaign, "/requests"), Some(&user.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn sheet_path(request: &str, what: &str) -> String {
    format!("{}/jury/{what}", path(request))
}

fn sheet(p: [i64; 2], hand_in: bool) -> Value {
    json!({"scores": [{"points": p[0], "comment": "Projet solide"}, {"points": p[1]}], "hand_in": hand_in})
}

fn a_call_for_projects_is_scored_ranked_and_its_envelope_shared_out(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = &city.bureau;

    // A call for projects with a 50,000 € envelope; 30 requests of 4,000 €, instructed by the
    // DAC: 3,000 € proposed, but nothing for every tenth.
    let mut body = campaign_body(app, "AAP_JEUNES", "call_for_projects", None);
    body["envelope_cents"] = json!(ENVELOPE);
    let created = app.post("/api/v1/campaigns", Some(&bureau.access), &body);
    let campaign = created.expect(201).clone();
    app.post(
        &format!("/api/v1/campaigns/{}/publish", id(&campaign)),
        Some(&bureau.access),
        &json!({}),
    )
    .expect(200);
    let mut requests: Vec<(User, Value, String)> = Vec::new();
    for n in 1..=30 {
        let (president, association, request) = submitted(app, n, &campaign);
        city.admit_and_dispatch(&request, "DAC", &[]);
        let given = if n % 10 == 0 {
            opinion("unfavourable", 0)
        } else {
            opinion("favourable", 300_000)
        };
        act(app, &city.dac, &request, given).expect(200);
        requests.push((president, association, request));
    }
    let number_of = |request: &str| -> String {
        app.get(&path(request), Some(&bureau.access)).expect(200)["number"]
            .as_str()
            .expect("number")
            .to_owned()
    };

    // Five jurors; the fifth presides association 3.
    let juror = |email: &str| app.staff(&city.admin, email, json!({"kind": "juror"}));
    let mut jurors: Vec<User> = (1..=4)
        .map(|j| juror(&format!("jure{j}@ville.test")))
        .collect();
    let member_juror = requests[2].0.clone();
    app.post(
        &format!("/api/v1/accounts/{}/staff-roles", member_juror.id),
        Some(&city.admin.access),
        &json!({"kind": "juror"}),
    )
    .expect(201);
    // Roles are read at each call: the president now also acts as a juror.
    jurors.push(member_juror.clone());

    let grid = json!({
        "criteria": [
            {"label": "Impact pour les jeunes", "description": "Nombre et diversité", "weight": 3, "max_points": 10},
            {"label": "Faisabilité", "weight": 1, "max_points": 5}
        ],
        "min_score": MIN_SCORE as i64,
        "min_scores": 2,
        "jurors_per_request": 3,
        "last_request": "partial",
        "closes_on": app.today() + chrono::Days::new(2)
    });
    // Only the bureau sets a jury up, only on a call for projects.
    app.post(&jury_path(&campaign, ""), Some(&jurors[0].access), &grid)
        .expect_problem(403, "access.forbidden");
    let central = city.campaign(bureau, "ANNUELLE_2027", "central", None);
    app.post(&jury_path(&central, ""), Some(&bureau.access), &grid)
        .expect_problem(409, "jury.not_a_call_for_projects");
    let mut bad_grid = grid.clone();
    bad_grid["criteria"][1]["max_points"] = json!(0);
    bad_grid["min_score"] = json!(101);
    let refused = app.post(&jury_path(&campaign, ""), Some(&bureau.access), &bad_grid);
    refused.expect_problem(422, "validation.failed");
    assert_eq!(
        refused.field_errors(),
        [
            (
                "criteria[1].max_points".to_owned(),
                "grid.out_of_range".to_owned()
            ),
            (
                "min_score".to_owned(),
                "jury.min_score_out_of_range".to_owned()
            )
        ]
    );
    let jury = app.post(&jury_path(&campaign, ""), Some(&bureau.access), &grid);
    assert_eq!(jury.expect(201)["status"], "open");
    for (j, juror) in jurors.iter().enumerate() {
        app.post(
            &jury_path(&campaign, "/members"),
            Some(&bureau.access),
            &json!({"account_id": juror.id, "chair": j == 0}),
        )
        .expect(200);
    }
    // Only jurors sit on a jury.
    app.post(
        &jury_path(&campaign, "/members"),
        Some(&bureau.access),
        &json!({"account_id": requests[0].0.id}),
    )
    .expect_problem(422, "validation.failed");
    let chair = &jurors[0].clone();

    // A juror who does not chair cannot seat anyone; an applicant cannot read the jury.
    app.post(
        &jury_path(&campaign, "/seats"),
        Some(&jurors[1].access),
        &json!({}),
    )
    .expect_problem(403, "access.forbidden");
    app.get(&jury_path(&campaign, ""), Some(&requests[0].0.access))
        .expect_problem(403, "access.forbidden");
    app.get(&jury_path(&campaign, ""), None)
        .expect_problem(401, "auth.required");

    // Only the bureau changes the jury and its members; only the chair or the bureau seats,
    // closes and validates; a direction does not read the jury.
    let outsider = &jurors[1];
    let put = app.put(
        &jury_path(&campaign, ""),
        Some(&outsider.access),
        Some("*"),
        &grid,
    );
    put.expect_problem(403, "access.forbidden");
    app.post(
        &jury_path(&campaign, "/members"),
        Some(&outsider.access),
        &json!({"account_id": outsider.id}),
    )
    .expect_problem(403, "access.forbidden");
    app.delete(
        &jury_path(&campaign, &format!("/members/{}", jurors[2].id)),
        Some(&chair.access),
    )
    .expect_problem(403, "access.forbidden");
    app.put(
        &jury_path(
            &campaign,
            &format!("/seats/{}/{}", requests[0].2, outsider.id),
        ),
        Some(&outsider.access),
        None,
        &json!({}),
    )
    .expect_problem(403, "access.forbidden");
    app.post(
        &jury_path(&campaign, "/validate"),
        Some(&outsider.access),
        &json!({}),
    )
    .expect_problem(403, "access.forbidden");
    app.get(&jury_path(&campaign, "/requests"), Some(&city.dac.access))
        .expect_problem(403, "access.forbidden");

    let seated = app.post(
        &jury_path(&campaign, "/seats"),
        Some(&chair.access),
        &json!({}),
    );
    let items = seated.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 30);
    assert!(items.iter().all(|line| line["jurors"] == 3), "{items:?}");
    // The president of association 3 is recused from its request by Simpa.
    let third = items
        .iter()
        .find(|line| line["request"]["id"] == requests[2].2.as_str())
        .expect("request 3");
    let recused: Vec<&Value> = third["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter(|s| s["declaration"] == "conflict")
        .collect();
    assert_eq!(recused.len(), 1);
    assert_eq!(recused[0]["juror"]["id"], member_juror.id.as_str());
    assert_eq!(recused[0]["automatic"], true);
    // Each juror seated hears of it once, with every request they sit on.
    let outbox = app.outbox_settled(&city.admin, std::time::Duration::from_secs(20));
    for juror in &jurors {
        let told: Vec<&Value> = outbox
            .iter()
            .filter(|m| {
                m["recipient"]
                    .as_str()
                    .is_some_and(|r| r.contains(&juror.email))
                    && m["subject"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("Vous siégez sur une demande"))
            })
            .collect();
        let seats = items
            .iter()
            .filter(|line| {
                line["seats"].as_array().is_some_and(|seats| {
                    seats.iter().any(|s| {
                        s["juror"]["id"] == juror.id.as_str() && s["declaration"] != "conflict"
                    })
                })
            })
            .count();
        assert_eq!(
            told.len(),
            usize::from(seats > 0),
            "{}: {told:?}",
            juror.email
        );
    }
    // The session closes in two days: every juror seated is recalled their sheets, once.
    let state = &app.services.state;
    let recalled = simpa_api::jobs::daily(state)
        .expect("daily jobs")
        .reminders
        .jurors;
    let seated_jurors = jurors
        .iter()
        .filter(|j| {
            items.iter().any(|line| {
                line["seats"].as_array().is_some_and(|seats| {
                    seats.iter().any(|s| {
                        s["juror"]["id"] == j.id.as_str() && s["declaration"] != "conflict"
                    })
                })
            })
        })
        .count();
    assert_eq!(recalled, seated_jurors);
    let again = simpa_api::jobs::daily(state)
        .expect("daily jobs")
        .reminders
        .jurors;
    assert_eq!(again, 0, "once");
    let history = app.get(&path(&requests[2].2), Some(&bureau.access));
    assert!(
        history.expect(200)["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["action"] == "declare_interests"
                && e["internal_note"]
                    .as_str()
                    .is_some_and(|n| n.contains("récusé·e d'office"))),
        "the recusal is in the history"
    );

    // The fourth juror withdraws: their seats go to the others.
    let withdrawn = jurors.remove(3);
    app.delete(
        &jury_path(&campaign, &format!("/members/{}", withdrawn.id)),
        Some(&bureau.access),
    )
    .expect(200);
    let items = coverage(app, bureau, &campaign);
    assert!(items.iter().all(|line| line["jurors"] == 3), "{items:?}");
    app.get(&jury_path(&campaign, "/requests"), Some(&withdrawn.access))
        .expect_problem(403, "access.forbidden");

    // Each juror declares, then scores what they sit on; the second recuses themselves from
    // their first request.
    let index_of: HashMap<String, usize> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.2.clone(), i + 1))
        .collect();
    let mut handed_in: HashMap<String, Vec<f64>> = HashMap::new();
    let mut conflict_request = String::new();
    for (j, juror) in jurors.iter().enumerate() {
        // The chair reads every request; the others only those they sit on, with their seat.
        let mine: Vec<Value> = coverage(app, juror, &campaign)
            .into_iter()
            .filter(|line| {
                line["seats"].as_array().expect("seats").iter().any(|s| {
                    s["juror"]["id"] == juror.id.as_str() && s["declaration"] != "conflict"
                })
            })
            .collect();
        assert!(!mine.is_empty());
        for (k, line) in mine.iter().enumerate() {
            if j > 0 {
                assert_eq!(
                    line["seats"].as_array().expect("seats").len(),
                    1,
                    "their seat"
                );
            }
            let request = line["request"]["id"].as_str().expect("id").to_owned();
            app.get(&sheet_path(&request, "sheet"), Some(&juror.access))
                .expect_problem(409, "jury.declaration_required");
            if j == 1 && k == 0 {
                conflict_request = request.clone();
                let declared = app.put(
                    &sheet_path(&request, "declaration"),
                    Some(&juror.access),
                    None,
                    &json!({"declaration": "conflict"}),
                );
                assert_eq!(
                    declared.field_errors(),
                    [(
                        "reason".to_owned(),
                        "declaration.reason_required".to_owned()
                    )]
                );
                app.put(
                    &sheet_path(&request, "declaration"),
                    Some(&juror.access),
                    None,
                    &json!({"declaration": "conflict", "reason": "Je suis bénévole dans cette association."}),
                )
                .expect(200);
                app.get(&sheet_path(&request, "sheet"), Some(&juror.access))
                    .expect_problem(404, "request.not_found");
                continue;
            }
            app.put(
                &sheet_path(&request, "declaration"),
                Some(&juror.access),
                None,
                &json!({"declaration": "no_conflict"}),
            )
            .expect(200);
            let read = app.get(&sheet_path(&request, "sheet"), Some(&juror.access));
            let read = read.expect(200);
            assert_eq!(read["request"]["id"], request.as_str());
            assert_eq!(read["criteria"].as_array().expect("criteria").len(), 2);
            assert!(read.get("timeline").is_none(), "a juror reads no history");
            let p = points(index_of[&request], j);
            if k == 1 {
                // Out of range, then incomplete when handed in: every error at once.
                let refused = app.put(
                    &sheet_path(&request, "sheet"),
                    Some(&juror.access),
                    None,
                    &json!({"scores": [{"points": 11}, {"points": null}], "hand_in": true}),
                );
                refused.expect_problem(422, "validation.failed");
                assert_eq!(
                    refused.field_errors(),
                    [
                        (
                            "scores[0].points".to_owned(),
                            "score.out_of_range".to_owned()
                        ),
                        ("scores[1].points".to_owned(), "score.missing".to_owned())
                    ]
                );
                let draft = app.put(
                    &sheet_path(&request, "sheet"),
                    Some(&juror.access),
                    None,
                    &sheet(p, false),
                );
                assert_eq!(draft.expect(200)["handed_in_at"], Value::Null);
            }
            let saved = app.put(
                &sheet_path(&request, "sheet"),
                Some(&juror.access),
                None,
                &sheet(p, true),
            );
            let saved = saved.expect(200);
            let score = saved["weighted_score"].as_f64().expect("score");
            assert!((score - weighted(p)).abs() < 1e-9);
            handed_in
                .entry(request.clone())
                .or_default()
                .push(weighted(p));
            if k == 1 {
                app.put(
                    &sheet_path(&request, "sheet"),
                    Some(&juror.access),
                    None,
                    &sheet(p, true),
                )
                .expect_problem(409, "jury.sheet_handed_in");
            }
        }
    }
    // The chair was told of the recusal, and seats someone else on that request.
    let outbox = app
        .get("/api/v1/outbox?limit=200", Some(&city.admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert!(
        outbox.iter().any(|m| m["recipient"]
            .as_str()
            .is_some_and(|r| r.contains(&chair.email))
            && m["subject"].as_str().is_some_and(|s| s.contains("récusé"))),
        "the chair hears of the recusal"
    );
    let line = coverage(app, chair, &campaign)
        .into_iter()
        .find(|l| l["request"]["id"] == conflict_request.as_str())
        .expect("line");
    assert_eq!(line["jurors"], 2);
    let seated_there: Vec<&str> = line["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter_map(|s| s["juror"]["id"].as_str())
        .collect();
    let (j, replacement) = jurors
        .iter()
        .enumerate()
        .find(|(_, u)| {
            !seated_there.contains(&u.id.as_str())
                && (u.id != member_juror.id || conflict_request != requests[2].2)
        })
        .expect("a juror free for it");
    let reseated = app.put(
        &jury_path(
            &campaign,
            &format!("/seats/{conflict_request}/{}", replacement.id),
        ),
        Some(&chair.access),
        None,
        &json!({}),
    );
    assert_eq!(reseated.expect(200)["items"][0]["jurors"], 3);
    app.put(
        &sheet_path(&conflict_request, "declaration"),
        Some(&replacement.access),
        None,
        &json!({"declaration": "no_conflict"}),
    )
    .expect(200);
    let p = points(index_of[&conflict_request], j);
    app.put(
        &sheet_path(&conflict_request, "sheet"),
        Some(&replacement.access),
        None,
        &sheet(p, true),
    )
    .expect(200);
    handed_in
        .entry(conflict_request.clone())
        .or_default()
        .push(weighted(p));
    // The recused juror's conflict is final; a request one does not sit on does not exist.
    app.put(
        &sheet_path(&conflict_request, "declaration"),
        Some(&jurors[1].access),
        None,
        &json!({"declaration": "no_conflict"}),
    )
    .expect_problem(404, "request.not_found");
    let not_mine = coverage(app, bureau, &campaign)
        .into_iter()
        .find(|l| {
            !l["seats"]
                .as_array()
                .expect("seats")
                .iter()
                .any(|s| s["juror"]["id"] == jurors[2].id.as_str())
        })
        .expect("a request juror 3 does not sit on");
    let not_mine = not_mine["request"]["id"].as_str().expect("id");
    app.put(
        &sheet_path(not_mine, "sheet"),
        Some(&jurors[2].access),
        None,
        &sheet([1, 1], true),
    )
    .expect_problem(404, "request.not_found");
    app.get(&sheet_path(not_mine, "sheet"), Some(&requests[0].0.access))
        .expect_problem(404, "request.not_found");

    // Scores were given: the grid is locked, other rules are not.
    let current = app.get(&jury_path(&campaign, ""), Some(&bureau.access));
    let tag = current.header("etag").expect("etag").to_owned();
    let mut regraded = grid.clone();
    regraded["criteria"][0]["max_points"] = json!(20);
    app.put(
        &jury_path(&campaign, ""),
        Some(&bureau.access),
        Some(&tag),
        &regraded,
    )
    .expect_problem(409, "jury.grid_locked");
    app.put(&jury_path(&campaign, ""), Some(&bureau.access), None, &grid)
        .expect_problem(428, "precondition.required");

    // Provisional minutes; the ranking is validated only once the session is closed.
    let provisional = app.get(&jury_path(&campaign, "/minutes"), Some(&bureau.access));
    assert_eq!(provisional.expect(200)["provisional"], true);
    // Jurors do not read each other's sheets while they score; the chair reads the minutes
    // once the session is closed.
    for juror in [chair, &jurors[1], &member_juror] {
        app.get(&jury_path(&campaign, "/minutes"), Some(&juror.access))
            .expect_problem(403, "access.forbidden");
    }
    app.post(
        &jury_path(&campaign, "/validate"),
        Some(&chair.access),
        &json!({}),
    )
    .expect_problem(409, "jury.session_open");
    app.post(
        &jury_path(&campaign, "/close"),
        Some(&jurors[1].access),
        &json!({}),
    )
    .expect_problem(403, "access.forbidden");
    let closed = app.post(
        &jury_path(&campaign, "/close"),
        Some(&chair.access),
        &json!({}),
    );
    assert_eq!(closed.expect(200)["status"], "closed");
    let read = app.get(&jury_path(&campaign, "/minutes"), Some(&chair.access));
    assert_eq!(
        read.expect(200)["ranking"].as_array().map(Vec::len),
        Some(30)
    );
    app.get(
        &jury_path(&campaign, "/minutes"),
        Some(&member_juror.access),
    )
    .expect_problem(403, "access.forbidden");
    app.put(
        &sheet_path(&requests[0].2, "sheet"),
        Some(&jurors[2].access),
        None,
        &sheet([1, 1], false),
    )
    .expect_problem(409, "jury.session_closed");

    let validated = app.post(
        &jury_path(&campaign, "/validate"),
        Some(&chair.access),
        &json!({}),
    );
    let validated = validated.expect(200).clone();
    assert_eq!(validated["status"], "validated");
    app.post(
        &jury_path(&campaign, "/validate"),
        Some(&chair.access),
        &json!({}),
    )
    .expect_problem(409, "jury.already_validated");
    let minutes = app.get(
        validated["minutes"].as_str().expect("minutes"),
        Some(&bureau.access),
    );
    let minutes = minutes.expect(200).clone();
    assert_eq!(minutes["provisional"], false);
    let ranking = minutes["ranking"].as_array().expect("ranking").clone();
    assert_eq!(ranking.len(), 30);

    // The scores are the means of the sheets handed in, recused ones left out; the ranking
    // follows them (favourable opinions first on a tie, then the earlier submission).
    let mut expected: Vec<(String, f64, bool, usize)> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let sheets = &handed_in[&r.2];
            let mean = sheets.iter().sum::<f64>() / sheets.len() as f64;
            (r.2.clone(), mean, (i + 1) % 10 != 0, i)
        })
        .collect();
    // Scores closer than a millionth are a tie (sums in another order differ in the last bits).
    let key = |score: f64| (score * 1e6).round() as i64;
    expected.sort_by(|a, b| {
        key(b.1)
            .cmp(&key(a.1))
            .then(b.2.cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });
    let mut left = ENVELOPE;
    let mut exhausted = false;
    for (rank, ((request, mean, favourable, _), line)) in expected.iter().zip(&ranking).enumerate()
    {
        assert_eq!(line["rank"], rank + 1);
        assert_eq!(line["request"]["id"], request.as_str(), "rank {}", rank + 1);
        assert!((line["score"].as_f64().expect("score") - mean).abs() < 1e-9);
        assert_eq!(line["sheets"], 3);
        assert_eq!(line["scores"].as_array().expect("scores").len(), 3);
        let (funded, allotment) = if *mean < MIN_SCORE {
            (0, "below_minimum")
        } else if !favourable {
            (0, "no_amount_proposed")
        } else if exhausted {
            (0, "envelope_exhausted")
        } else if left >= 300_000 {
            left -= 300_000;
            (300_000, "funded")
        } else {
            exhausted = true;
            let rest = left;
            left = 0;
            (rest, "partially_funded")
        };
        assert_eq!(line["funded_cents"], funded, "rank {}", rank + 1);
        assert_eq!(line["allotment"], allotment, "rank {}", rank + 1);
    }
    let allocated: i64 = ranking
        .iter()
        .map(|l| l["funded_cents"].as_i64().expect("funded"))
        .sum();
    assert!(allocated <= ENVELOPE);
    assert_eq!(minutes["allocated_cents"], allocated);
    assert_eq!(minutes["envelope_left_cents"], ENVELOPE - allocated);
    assert_eq!(validated["allocated_cents"], allocated);
    let ranked = ranking
        .iter()
        .filter(|l| l["funded_cents"].as_i64() > Some(0))
        .count();
    assert_eq!(validated["ranked"], ranked);
    assert_eq!(validated["rejected"], 30 - ranked);
    let recusals = minutes["recusals"].as_array().expect("recusals");
    assert_eq!(recusals.len(), 2);
    assert!(recusals.iter().any(|r| r["automatic"] == true));
    assert!(
        recusals
            .iter()
            .any(|r| r["reason"] == "Je suis bénévole dans cette association.")
    );

    // Each request moved, and its association sees its own outcome and score only.
    let funded = ranking
        .iter()
        .find(|l| l["allotment"] == "funded")
        .expect("a funded request");
    let out = ranking
        .iter()
        .find(|l| l["allotment"] == "below_minimum")
        .expect("a request below the minimum");
    let owner = |line: &Value| {
        requests
            .iter()
            .find(|r| r.2 == line["request"]["id"].as_str().expect("id"))
            .expect("owner")
    };
    for (line, state) in [(funded, "ranked"), (out, "rejected")] {
        let (president, _, request) = owner(line);
        let view = app.get(&path(request), Some(&president.access));
        let view = view.expect(200);
        assert_eq!(view["state"], state);
        let last = view["timeline"]
            .as_array()
            .and_then(|t| t.last())
            .expect("an event");
        let message = last["message"].as_str().expect("message");
        assert!(message.contains("/100"), "{message}");
        let result = app.get(&sheet_path(request, "result"), Some(&president.access));
        let result = result.expect(200);
        assert!(result.get("rank").is_none(), "no rank for the association");
        assert_eq!(result["allotment"], line["allotment"]);
        assert_eq!(result["funded_cents"], line["funded_cents"]);
        assert_eq!(result["score"], line["score"]);
        assert_eq!(result["scores"][0]["juror"], "Juré·e 1");
        let staff = app.get(&sheet_path(request, "result"), Some(&bureau.access));
        let staff = staff.expect(200);
        assert_eq!(staff["rank"], line["rank"]);
        assert!(
            staff["scores"][0]["juror"]
                .as_str()
                .is_some_and(|n| n.contains("ville.test") || n.contains("exemple.org"))
        );
    }
    let (president, ..) = owner(funded);
    assert_eq!(
        app.get(&path(owner(funded).2.as_str()), Some(&bureau.access))
            .expect(200)["instruction"]["proposed_cents"],
        funded["funded_cents"]
    );
    app.get(
        &sheet_path(&owner(out).2, "result"),
        Some(&president.access),
    )
    .expect_problem(404, "request.not_found");
    let number = number_of(&owner(funded).2);
    assert!(
        app.get("/api/v1/outbox?limit=200", Some(&city.admin.access))
            .expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["subject"]
                .as_str()
                .is_some_and(|s| s.contains("Le jury a retenu") && s.contains(&number))),
        "the association is told"
    );

    // The minutes as CSV, one line per request.
    let csv = app.get(
        &jury_path(&campaign, "/minutes?format=csv"),
        Some(&bureau.access),
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 31);
    assert!(lines[0].starts_with("rang;numero;association;titre;note_sur_100"));
    assert!(lines[1].starts_with("1;"));
    app.get(
        &jury_path(&campaign, "/minutes"),
        Some(&requests[0].0.access),
    )
    .expect_problem(403, "access.forbidden");
}

on_both_backends!(a_call_for_projects_is_scored_ranked_and_its_envelope_shared_out);
