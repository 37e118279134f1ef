//! Deliberations and votes, over HTTP, on both databases: the agenda, the vote that decides
//! every line in one transaction (or nothing), and what the association sees.

use crate::requests::{City, act, id, opinion, path, submitted};
use serde_json::{Value, json};
use simpa_tests::{Backend, User, on_both_backends};

fn state_of(city: &City, request: &str) -> String {
    city.app
        .get(&path(request), Some(&city.bureau.access))
        .expect(200)["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

fn a_council_votes_a_deliberation_and_every_line_is_decided_at_once(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = &city.bureau;
    let campaign = city.campaign(bureau, "ANNUELLE_2027", "central", None);
    // The council sits today; its vote is recorded at once.
    let today = city.app.today();
    let said = simpa_domain::french::long_french_date(today);
    let mut requests = Vec::new();
    for (n, proposed) in [(1, 300_000), (2, 250_000), (3, 400_000)] {
        let (president, _, request) = submitted(app, n, &campaign);
        city.admit_and_dispatch(&request, "DAC", &[]);
        act(app, &city.dac, &request, opinion("favourable", proposed)).expect(200);
        requests.push((president, request));
    }
    let body = json!({
        "reference": "2027 dac 12", "council": "conseil_de_paris",
        "session_on": today, "title": "Subventions à trois associations culturelles"
    });
    // Only the bureau prepares deliberations.
    app.post("/api/v1/deliberations", Some(&city.dac.access), &body)
        .expect_problem(403, "access.forbidden");
    app.post("/api/v1/deliberations", Some(&requests[0].0.access), &body)
        .expect_problem(403, "access.forbidden");
    let refused = app.post(
        "/api/v1/deliberations",
        Some(&bureau.access),
        &json!({"reference": "DAC 12", "council": "conseil_arrondissement", "session_on": "2027-02-10", "title": ""}),
    );
    refused.expect_problem(422, "validation.failed");
    let mut fields = refused.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            (
                "district_number".to_owned(),
                "council.district_required".to_owned()
            ),
            (
                "reference".to_owned(),
                "deliberation.reference_invalid".to_owned()
            ),
            ("title".to_owned(), "text.required".to_owned()),
        ]
    );
    let created = app.post("/api/v1/deliberations", Some(&bureau.access), &body);
    let deliberation = created.expect(201).clone();
    assert_eq!(deliberation["reference"], "2027 DAC 12");
    assert_eq!(deliberation["status"], "draft");
    app.post("/api/v1/deliberations", Some(&bureau.access), &body)
        .expect_problem(409, "deliberation.reference_taken");
    let listed = app.get("/api/v1/deliberations", Some(&bureau.access));
    let listed = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["reference"], "2027 DAC 12");
    assert_eq!(listed[0]["status"], "draft");
    app.get("/api/v1/deliberations", Some(&city.dac.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/deliberations", None)
        .expect_problem(401, "auth.required");
    let base = format!("/api/v1/deliberations/{}", id(&deliberation));

    // The agenda: each request scheduled with the amount instruction proposed.
    for (_, request) in &requests {
        app.post(
            &format!("{base}/lines"),
            Some(&bureau.access),
            &json!({"request_id": request}),
        )
        .expect(200);
    }
    app.post(
        &format!("{base}/lines"),
        Some(&bureau.access),
        &json!({"request_id": requests[0].1}),
    )
    .expect_problem(409, "deliberation.already_scheduled");
    let read = app.get(&base, Some(&bureau.access));
    let read = read.expect(200);
    assert_eq!(read["proposed_cents"], 950_000);
    assert!(
        read["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["state"] == "scheduled")
    );
    let view = app.get(&path(&requests[0].1), Some(&requests[0].0.access));
    let view = view.expect(200);
    assert_eq!(view["state"], "scheduled");
    let last = view["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .expect("event");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.contains("2027 DAC 12") && m.contains(&said)),
        "{last}"
    );

    // Taken off the agenda and put back.
    app.delete(
        &format!("{base}/lines/{}", requests[1].1),
        Some(&bureau.access),
    )
    .expect(200);
    assert_eq!(state_of(&city, &requests[1].1), "instructed");
    app.post(
        &format!("{base}/lines"),
        Some(&bureau.access),
        &json!({"request_id": requests[1].1}),
    )
    .expect(200);

    // A request withdrawn meanwhile stops the vote, named; nothing changes.
    act(
        app,
        &requests[2].0,
        &requests[2].1,
        json!({"action": "withdraw"}),
    )
    .expect(200);
    let vote = |body: Value| app.post(&format!("{base}/vote"), Some(&bureau.access), &body);
    let blocked = vote(json!({"outcome": "adopted", "voted_on": today}));
    let blocked = blocked.expect_problem(409, "deliberation.line_not_scheduled");
    let number = app
        .get(&path(&requests[2].1), Some(&bureau.access))
        .expect(200)["number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert!(
        blocked["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&number)),
        "{blocked}"
    );
    assert_eq!(state_of(&city, &requests[0].1), "scheduled");
    app.delete(
        &format!("{base}/lines/{}", requests[2].1),
        Some(&bureau.access),
    )
    .expect(200);
    assert_eq!(state_of(&city, &requests[2].1), "withdrawn");

    // An invalid amendment: 422, and nothing voted.
    let invalid = vote(json!({
        "outcome": "adopted_with_amendments", "voted_on": today,
        "amendments": [{"request_id": requests[2].1, "voted_cents": 100}]
    }));
    invalid.expect_problem(422, "validation.failed");
    assert_eq!(
        invalid.field_errors(),
        [(
            "amendments[0].request_id".to_owned(),
            "vote.amendment_unknown_line".to_owned()
        )]
    );
    assert_eq!(state_of(&city, &requests[0].1), "scheduled");
    assert_eq!(
        app.get(&base, Some(&bureau.access)).expect(200)["status"],
        "draft"
    );

    // More than the association asked (4,000 €) only saying why (issue 24: 5,000 € went
    // through unsaid).
    let more = vote(json!({
        "outcome": "adopted_with_amendments", "voted_on": today,
        "amendments": [{"request_id": requests[0].1, "voted_cents": 500_000}]
    }));
    more.expect_problem(422, "validation.failed");
    assert_eq!(
        more.field_errors(),
        [(
            "amendments[0].reason".to_owned(),
            "vote.above_requested".to_owned()
        )]
    );
    assert_eq!(state_of(&city, &requests[0].1), "scheduled");

    // Adopted with amendments: 2,000 € instead of 3,000 € for the first, the second refused.
    let voted = vote(json!({
        "outcome": "adopted_with_amendments", "voted_on": today,
        "amendments": [
            {"request_id": requests[0].1, "voted_cents": 200_000},
            {"request_id": requests[1].1, "voted_cents": 0}
        ]
    }));
    let voted = voted.expect(200).clone();
    assert_eq!(voted["status"], "voted");
    assert_eq!(voted["outcome"], "adopted_with_amendments");
    assert_eq!(voted["voted_cents"], 200_000);
    let amounts: Vec<(String, Value)> = voted["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["state"].as_str().unwrap_or_default().to_owned(),
                l["voted_cents"].clone(),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        [
            ("granted".to_owned(), json!(200_000)),
            ("rejected".to_owned(), json!(0))
        ]
    );
    vote(json!({"outcome": "adopted", "voted_on": today}))
        .expect_problem(409, "deliberation.voted");
    let listed = app.get("/api/v1/deliberations", Some(&bureau.access));
    assert_eq!(
        listed.expect(200)["items"][0]["outcome"],
        "adopted_with_amendments"
    );

    // The association sees the decision, the amount, the reference and the date.
    let view = app.get(&path(&requests[0].1), Some(&requests[0].0.access));
    let view = view.expect(200);
    assert_eq!(view["state"], "granted");
    let message = view["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|e| e["message"].as_str())
        .expect("message")
        .to_owned();
    assert!(
        message.starts_with("Le Conseil de Paris a accordé une subvention de 2")
            && message.contains("2027 DAC 12")
            && message.contains(&said),
        "{message}"
    );
    let refused = app.get(&path(&requests[1].1), Some(&requests[1].0.access));
    let refused = refused.expect(200);
    assert_eq!(refused["state"], "rejected");
    assert!(
        refused["timeline"]
            .as_array()
            .and_then(|t| t.last())
            .and_then(|e| e["message"].as_str())
            .is_some_and(|m| m.contains("n'a pas accordé")),
        "{refused}"
    );
    let outbox = app
        .get("/api/v1/outbox?limit=200", Some(&city.admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let granted_number = app
        .get(&path(&requests[0].1), Some(&bureau.access))
        .expect(200)["number"]
        .as_str()
        .expect("number")
        .to_owned();
    assert!(
        outbox
            .iter()
            .any(|m| m["subject"].as_str().is_some_and(|s| s
                .contains("Votre subvention est accordée")
                && s.contains(&granted_number))),
        "the association is told"
    );
}

/// A council session's deliberation of 200 lines, voted with amendments in one transaction:
/// one invalid amendment and nothing changes; then every line decided at once.
fn a_200_line_deliberation_is_voted_whole_or_not_at_all(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    crate::fixtures::load(app);
    let now = chrono::Utc::now();
    let (campaign, _) = app
        .db
        .write(|conn| {
            simpa_fixtures::batches::instructed_campaign(
                conn,
                "SEANCE",
                simpa_domain::campaign::CircuitKind::Central,
                250,
                now,
            )
        })
        .expect("250 instructed requests");
    let favourable: Vec<String> = app
        .db
        .read(|conn| {
            simpa_persistence::requests::of_campaign(
                conn,
                campaign.id,
                &[simpa_domain::request::RequestState::Instructed],
            )
        })
        .expect("requests")
        .into_iter()
        .filter(|r| r.facts.proposed_cents == Some(300_000))
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(favourable.len(), 200);
    let created = app.post(
        "/api/v1/deliberations",
        Some(&city.bureau.access),
        &json!({"reference": "2027 DAC 200", "council": "conseil_de_paris",
                "session_on": now.date_naive(), "title": "Subventions à 200 projets"}),
    );
    let base = format!("/api/v1/deliberations/{}", id(created.expect(201)));
    for request in &favourable {
        app.post(
            &format!("{base}/lines"),
            Some(&city.bureau.access),
            &json!({"request_id": request}),
        )
        .expect(200);
    }
    // Twenty lines lowered to 2,500 €, five refused; one more line amended below zero.
    let mut amendments: Vec<Value> = favourable[..20]
        .iter()
        .map(|r| json!({"request_id": r, "voted_cents": 250_000}))
        .chain(
            favourable[20..25]
                .iter()
                .map(|r| json!({"request_id": r, "voted_cents": 0})),
        )
        .collect();
    let vote = |amendments: &[Value]| {
        app.post(
            &format!("{base}/vote"),
            Some(&city.bureau.access),
            &json!({"outcome": "adopted_with_amendments", "voted_on": now.date_naive(), "amendments": amendments}),
        )
    };
    let mut invalid = amendments.clone();
    invalid.push(json!({"request_id": favourable[150], "voted_cents": -100}));
    let refused = vote(&invalid);
    refused.expect_problem(422, "validation.failed");
    assert_eq!(
        refused.field_errors(),
        [(
            "amendments[25].voted_cents".to_owned(),
            "amount.not_positive".to_owned()
        )]
    );
    let count_in = |state: &str| {
        let state = state.to_owned();
        app.db
            .read(move |conn| {
                use diesel::prelude::*;
                use simpa_persistence::schema::requests;
                requests::table
                    .filter(requests::campaign_id.eq(campaign.id.to_string()))
                    .filter(requests::state.eq(state))
                    .count()
                    .get_result::<i64>(conn)
                    .map_err(simpa_persistence::StoreError::from)
            })
            .expect("count")
    };
    assert_eq!(count_in("scheduled"), 200, "nothing was voted");
    let draft = app.get(&base, Some(&city.bureau.access));
    assert_eq!(draft.expect(200)["status"], "draft");

    amendments.truncate(25);
    let voted = vote(&amendments);
    let voted = voted.expect(200).clone();
    assert_eq!(voted["status"], "voted");
    assert_eq!(voted["voted_cents"], 175 * 300_000 + 20 * 250_000);
    // The fifty unfavourable requests were never on the agenda.
    assert_eq!(
        (
            count_in("granted"),
            count_in("rejected"),
            count_in("instructed")
        ),
        (195, 5, 50)
    );
    let granted: Vec<(String, i64)> = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use simpa_persistence::schema::grants;
            grants::table
                .select((grants::request_id, grants::cents))
                .load(conn)
                .map_err(simpa_persistence::StoreError::from)
        })
        .expect("grants")
        .into_iter()
        .filter(|(r, _)| favourable.contains(r))
        .collect();
    assert_eq!(granted.len(), 195);
    for (request, cents) in &granted {
        let expected = if favourable[..20].contains(request) {
            250_000
        } else {
            300_000
        };
        assert_eq!(*cents, expected, "{request}");
    }
}

/// On the local circuit the district council decides: its town hall prepares the
/// deliberation of its local requests and records the vote; nobody else's requests fit in it.
fn a_district_council_decides_the_local_requests_of_its_district(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let mairie = &city.mairie11;
    let local = city.campaign(mairie, "LOCAL_11_2027", "local", Some(11));
    let central = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, _, request) = submitted(app, 1, &local);
    act(
        app,
        mairie,
        &request,
        json!({"action": "declare_admissible"}),
    )
    .expect(200);
    act(app, mairie, &request, opinion("favourable", 350_000)).expect(200);
    let (_, _, elsewhere) = submitted(app, 2, &central);
    city.admit_and_dispatch(&elsewhere, "DAC", &[]);
    act(app, &city.dac, &elsewhere, opinion("favourable", 100_000)).expect(200);

    let body = |council: &str, district: Option<i32>| {
        json!({"reference": "2027 MAIRE 4", "council": council, "district_number": district,
               "session_on": chrono::Utc::now().date_naive(), "title": "Projets de quartier du 11e"})
    };
    // A town hall prepares its own council's deliberations, not the Conseil de Paris's nor
    // another district's.
    app.post(
        "/api/v1/deliberations",
        Some(&mairie.access),
        &body("conseil_de_paris", None),
    )
    .expect_problem(403, "access.forbidden");
    app.post(
        "/api/v1/deliberations",
        Some(&mairie.access),
        &body("conseil_arrondissement", Some(5)),
    )
    .expect_problem(403, "access.forbidden");
    app.post(
        "/api/v1/deliberations",
        Some(&city.dac.access),
        &body("conseil_arrondissement", Some(11)),
    )
    .expect_problem(403, "access.forbidden");
    let created = app.post(
        "/api/v1/deliberations",
        Some(&mairie.access),
        &body("conseil_arrondissement", Some(11)),
    );
    let base = format!("/api/v1/deliberations/{}", id(created.expect(201)));
    // The town hall does not even see a request of the central circuit; the bureau, who
    // does, cannot put it before a district council.
    app.post(
        &format!("{base}/lines"),
        Some(&mairie.access),
        &json!({"request_id": elsewhere}),
    )
    .expect_problem(404, "request.not_found");
    let refused = app.post(
        &format!("{base}/lines"),
        Some(&city.bureau.access),
        &json!({"request_id": elsewhere}),
    );
    let refused = refused.expect_problem(409, "deliberation.outside_council");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Le conseil du 11e arrondissement")),
        "{refused}"
    );
    app.post(
        &format!("{base}/lines"),
        Some(&mairie.access),
        &json!({"request_id": request}),
    )
    .expect(200);
    assert_eq!(state_of(&city, &request), "scheduled");
    let listed = app.get("/api/v1/deliberations?district=11", Some(&mairie.access));
    assert_eq!(
        listed.expect(200)["items"].as_array().map(Vec::len),
        Some(1)
    );
    let own = app.get("/api/v1/deliberations", Some(&mairie.access));
    assert_eq!(
        own.expect(200)["items"].as_array().map(Vec::len),
        Some(1),
        "a town hall lists its own council's without naming it"
    );
    app.get("/api/v1/deliberations?district=5", Some(&mairie.access))
        .expect_problem(403, "access.forbidden");
    app.get(&base, Some(&city.dac.access))
        .expect_problem(403, "access.forbidden");
    let mairie5 = app.staff(
        &city.admin,
        "mairie5@ville.test",
        json!({"kind": "district", "district_number": 5}),
    );
    app.get(&base, Some(&mairie5.access))
        .expect_problem(403, "access.forbidden");
    app.post(
        &format!("{base}/vote"),
        Some(&mairie5.access),
        &json!({"outcome": "adopted", "voted_on": chrono::Utc::now().date_naive()}),
    )
    .expect_problem(403, "access.forbidden");
    // Whoever may not reach deliberations at all learns nothing of this one: 403 whether or
    // not it exists.
    app.get(&base, Some(&president.access))
        .expect_problem(403, "access.forbidden");
    app.get(
        &format!("/api/v1/deliberations/{}", uuid::Uuid::nil()),
        Some(&president.access),
    )
    .expect_problem(403, "access.forbidden");

    let voted = app.post(
        &format!("{base}/vote"),
        Some(&mairie.access),
        &json!({"outcome": "adopted", "voted_on": chrono::Utc::now().date_naive()}),
    );
    assert_eq!(voted.expect(200)["voted_cents"], 350_000);
    let view = app.get(&path(&request), Some(&president.access));
    assert_eq!(view.expect(200)["state"], "granted");
    let message = view.body["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|e| e["message"].as_str())
        .expect("message")
        .to_owned();
    assert!(
        message.starts_with("Le conseil du 11e arrondissement a accordé une subvention de 3")
            && message.contains("2027 MAIRE 4"),
        "{message}"
    );
    let grant = app.get(
        &format!("{}/grant", path(&request)),
        Some(&president.access),
    );
    assert_eq!(grant.expect(200)["granted_cents"], 350_000);
}

/// A town hall reads its council's deliberations a page at a time; a draft's reference typed
/// wrong is corrected, or the draft deleted (its requests back to `instructed`), and the
/// reference is free again; once voted, neither.
fn a_town_hall_pages_corrects_and_deletes_its_draft_deliberations(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let mairie = &city.mairie11;
    let local = city.campaign(mairie, "LOCAL_11_2027", "local", Some(11));
    let (_, _, request) = submitted(app, 1, &local);
    act(
        app,
        mairie,
        &request,
        json!({"action": "declare_admissible"}),
    )
    .expect(200);
    act(app, mairie, &request, opinion("favourable", 350_000)).expect(200);
    let today = chrono::Utc::now().date_naive();
    let create = |by: &User, reference: &str, council: &str, district: Option<i32>, days: u64| {
        app.post(
            "/api/v1/deliberations",
            Some(&by.access),
            &json!({"reference": reference, "council": council, "district_number": district,
                    "session_on": today + chrono::Days::new(days), "title": "Projets de quartier"}),
        )
    };
    let local_one = |reference: &str, days: u64| {
        let created = create(mairie, reference, "conseil_arrondissement", Some(11), days);
        format!("/api/v1/deliberations/{}", id(created.expect(201)))
    };
    let first = local_one("2027 MAIRE 1", 0);
    local_one("2027 MAIRE 2", 1);
    local_one("2027 MAIRE 3", 2);
    let paris = create(&city.bureau, "2027 DAC 41", "conseil_de_paris", None, 3);
    let paris = format!("/api/v1/deliberations/{}", id(paris.expect(201)));

    // The latest session first, two at a time; never the Conseil de Paris's.
    let references = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| d["reference"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let page = app.get("/api/v1/deliberations?limit=2", Some(&mairie.access));
    let page = page.expect(200).clone();
    assert_eq!(references(&page), ["2027 MAIRE 3", "2027 MAIRE 2"]);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let next = app.get(
        &format!("/api/v1/deliberations?limit=2&cursor={cursor}"),
        Some(&mairie.access),
    );
    let next = next.expect(200).clone();
    assert_eq!(references(&next), ["2027 MAIRE 1"]);
    assert_eq!(next["next_cursor"], Value::Null);
    let all = app.get("/api/v1/deliberations", Some(&city.bureau.access));
    assert_eq!(references(all.expect(200)).len(), 4);
    let mairie5 = app.staff(
        &city.admin,
        "mairie5@ville.test",
        json!({"kind": "district", "district_number": 5}),
    );
    let none = app.get("/api/v1/deliberations", Some(&mairie5.access));
    assert_eq!(none.expect(200)["items"], json!([]));
    app.get("/api/v1/deliberations", Some(&city.dac.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/deliberations?limit=0", Some(&mairie.access))
        .expect_problem(400, "query.invalid");

    // "2027 DAC 41" was meant to be 42: corrected, 41 is free again.
    let tag = |path: &str| {
        app.get(path, Some(&city.bureau.access))
            .header("etag")
            .expect("ETag")
            .to_owned()
    };
    let corrected = json!({"reference": "2027 DAC 42", "council": "conseil_de_paris",
        "session_on": today + chrono::Days::new(3), "title": "Subventions culturelles"});
    let stale = app.put(
        &paris,
        Some(&city.bureau.access),
        Some("\"99\""),
        &corrected,
    );
    stale.expect_problem(412, "version.stale");
    app.put(&paris, Some(&mairie.access), Some(&tag(&paris)), &corrected)
        .expect_problem(403, "access.forbidden");
    let put = app.put(
        &paris,
        Some(&city.bureau.access),
        Some(&tag(&paris)),
        &corrected,
    );
    assert_eq!(
        (
            put.expect(200)["reference"].as_str(),
            put.body["title"].as_str()
        ),
        (Some("2027 DAC 42"), Some("Subventions culturelles"))
    );
    create(&city.bureau, "2027 DAC 41", "conseil_de_paris", None, 3).expect(201);

    // With a request on its agenda, only its title changes.
    app.post(
        &format!("{first}/lines"),
        Some(&mairie.access),
        &json!({"request_id": request}),
    )
    .expect(200);
    let moved = json!({"reference": "2027 MAIRE 9", "council": "conseil_arrondissement",
        "district_number": 11, "session_on": today, "title": "Projets de quartier"});
    let etag_of = |path: &str| {
        app.get(path, Some(&mairie.access))
            .header("etag")
            .expect("ETag")
            .to_owned()
    };
    app.put(&first, Some(&mairie.access), Some(&etag_of(&first)), &moved)
        .expect_problem(409, "deliberation.agenda_not_empty");
    let retitled = json!({"reference": "2027 MAIRE 1", "council": "conseil_arrondissement",
        "district_number": 11, "session_on": today, "title": "Projets du 11e"});
    let put = app.put(
        &first,
        Some(&mairie.access),
        Some(&etag_of(&first)),
        &retitled,
    );
    assert_eq!(put.expect(200)["title"], "Projets du 11e");

    // Deleted: its request goes back to instructed, its reference is free.
    for outsider in [&mairie5, &city.dac] {
        app.delete(&first, Some(&outsider.access))
            .expect_problem(403, "access.forbidden");
    }
    assert_eq!(app.delete(&first, Some(&mairie.access)).status, 204);
    assert_eq!(state_of(&city, &request), "instructed");
    app.get(&first, Some(&mairie.access))
        .expect_problem(404, "deliberation.not_found");
    let again = local_one("2027 MAIRE 1", 0);

    // Once voted, it neither changes nor goes.
    app.post(
        &format!("{again}/lines"),
        Some(&mairie.access),
        &json!({"request_id": request}),
    )
    .expect(200);
    app.post(
        &format!("{again}/vote"),
        Some(&mairie.access),
        &json!({"outcome": "adopted", "voted_on": today}),
    )
    .expect(200);
    app.put(
        &again,
        Some(&mairie.access),
        Some(&etag_of(&again)),
        &retitled,
    )
    .expect_problem(409, "deliberation.voted");
    app.delete(&again, Some(&mairie.access))
        .expect_problem(409, "deliberation.voted");
    assert_eq!(state_of(&city, &request), "granted");
}

on_both_backends!(
    a_town_hall_pages_corrects_and_deletes_its_draft_deliberations,
    a_council_votes_a_deliberation_and_every_line_is_decided_at_once,
    a_district_council_decides_the_local_requests_of_its_district,
    a_200_line_deliberation_is_voted_whole_or_not_at_all
);
