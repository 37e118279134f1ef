//! Webhooks: signed calls to directions' systems on loopback receivers, retried, given up,
//! redelivered, and only for those who follow the direction.

use crate::requests::{City, act, id, opinion, submitted};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use simpa_tests::receiver::{Call, Receiver};
use simpa_tests::{Backend, TestApp, User, on_both_backends};
use std::time::{Duration, Instant};

/// A fast outbox, and the loopback receivers allowed (they are internal addresses).
pub(crate) const FAST_OUTBOX: [(&str, &str); 4] = [
    ("SIMPA_OUTBOX_POLL_MS", "50"),
    ("SIMPA_OUTBOX_FIRST_RETRY_SECONDS", "1"),
    ("SIMPA_OUTBOX_LEASE_SECONDS", "2"),
    ("SIMPA_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1, LOCALHOST"),
];

fn register(app: &TestApp, by: &User, body: Value) -> Value {
    let created = app.post("/api/v1/webhooks", Some(&by.access), &body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    created.expect(201).clone()
}

/// Checks the `Simpa-Signature` header of a call the way a receiver would: HMAC-SHA256 with
/// the endpoint's secret over `<t>.<body>`, and `t` recent.
pub(crate) fn assert_signed(call: &Call, secret: &str) {
    let signature = call.header("simpa-signature");
    let (t, v1) = signature
        .split_once(',')
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("a signature header: {signature:?}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.{}", call.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "signature of {}", call.body);
    let sent_at: i64 = t.parse().expect("unix seconds");
    assert!(
        (Utc::now().timestamp() - sent_at).abs() < 300,
        "t is the time of sending"
    );
    assert_eq!(call.header("content-type"), "application/json");
}

pub(crate) fn types(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c.json()["type"].as_str().expect("type").to_owned())
        .collect()
}

fn deliveries(app: &TestApp, by: &User, webhook: &str) -> Vec<Value> {
    app.get(
        &format!("/api/v1/webhooks/{webhook}/deliveries"),
        Some(&by.access),
    )
    .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// Polls the endpoint's deliveries until the latest has `value` in `field`.
fn latest_delivery_with(
    app: &TestApp,
    by: &User,
    webhook: &str,
    field: &str,
    value: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let latest = deliveries(app, by, webhook)
            .first()
            .cloned()
            .unwrap_or(Value::Null);
        if latest[field] == value {
            return latest;
        }
        assert!(
            Instant::now() < deadline,
            "{field} still not {value}: {latest}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn latest_delivery_in(app: &TestApp, by: &User, webhook: &str, status: &str) -> Value {
    latest_delivery_with(app, by, webhook, "status", status)
}

fn latest_delivery_failing_with(app: &TestApp, by: &User, webhook: &str, error: &str) -> Value {
    latest_delivery_with(app, by, webhook, "last_error", error)
}

fn directions_systems_are_told_of_their_requests_by_signed_calls(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let app = &city.app;
    let (dac_rx, djs_rx, ddct_rx, city_rx) = (
        Receiver::start(),
        Receiver::start(),
        Receiver::start(),
        Receiver::start(),
    );
    let dac = register(app, &city.dac, json!({"url": dac_rx.url("/simpa")}));
    assert_eq!(dac["direction_id"], app.direction_id("DAC"));
    assert_eq!(dac["event_types"], json!([]), "every type");
    assert_eq!(dac["active"], true);
    let dac_secret = dac["secret"].as_str().expect("secret").to_owned();
    assert!(dac_secret.len() >= 32, "{dac_secret}");
    let djs = register(
        app,
        &city.djs,
        json!({"url": djs_rx.url("/"), "event_types": ["give_opinion"]}),
    );
    register(app, &city.ddct, json!({"url": ddct_rx.url("/")}));
    let everything = register(
        app,
        &city.admin,
        json!({"url": city_rx.url("/"), "event_types": ["submit", "submit"]}),
    );
    assert_eq!(
        (&everything["direction_id"], &everything["event_types"]),
        (&Value::Null, &json!(["submit"])),
        "admins follow every request"
    );
    assert_ne!(everything["secret"], dac["secret"]);

    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(app, 1, &campaign);
    city.admit_and_dispatch(&request, "DAC", &["DJS"]);
    act(app, &city.djs, &request, opinion("favourable", 300_000)).expect(200);
    act(app, &city.dac, &request, opinion("favourable", 350_000)).expect(200);
    app.outbox_settled(&city.admin, Duration::from_secs(10));

    let dac_calls = dac_rx.calls();
    assert_eq!(
        types(&dac_calls),
        ["dispatch", "give_opinion", "give_opinion"],
        "from the dispatch on, every change of its requests"
    );
    assert_eq!(types(&djs_rx.calls()), ["give_opinion", "give_opinion"]);
    assert_eq!(types(&city_rx.calls()), ["submit"]);
    assert!(ddct_rx.calls().is_empty(), "DDCT does not instruct it");

    let submit = &city_rx.calls()[0];
    assert_signed(submit, everything["secret"].as_str().expect("secret"));
    let payload = submit.json();
    assert_eq!(
        (
            &payload["request_id"],
            &payload["number"],
            &payload["state"],
            &payload["seq"]
        ),
        (
            &json!(request),
            &json!("2027_00001"),
            &json!("submitted"),
            &json!(2)
        ),
        "{payload}"
    );
    assert!(
        payload["occurred_at"]
            .as_str()
            .is_some_and(|t| t.parse::<DateTime<Utc>>().is_ok()),
        "{payload}"
    );
    for call in &dac_calls {
        assert_signed(call, &dac_secret);
        assert_eq!(call.header("simpa-event"), call.json()["type"]);
    }
    assert_eq!(
        dac_calls.last().expect("a call").json()["state"],
        "instructed"
    );
    let delivery_ids: Vec<&str> = dac_calls
        .iter()
        .map(|c| c.header("simpa-delivery"))
        .collect();

    // The delivery log: the owner's endpoint, the latest first, each with what was sent.
    let log = deliveries(app, &city.dac, &id(&dac));
    let logged: Vec<(&str, &str, &Value)> = log
        .iter()
        .map(|d| {
            (
                d["id"].as_str().expect("id"),
                d["status"].as_str().expect("status"),
                &d["payload"]["type"],
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            (delivery_ids[2], "sent", &json!("give_opinion")),
            (delivery_ids[1], "sent", &json!("give_opinion")),
            (delivery_ids[0], "sent", &json!("dispatch")),
        ]
    );
    assert_eq!(log[2]["payload"], dac_calls[0].json());

    // A delivery is redelivered only to its own endpoint.
    app.post(
        &format!(
            "/api/v1/webhooks/{}/deliveries/{}/redeliver",
            id(&djs),
            delivery_ids[0]
        ),
        Some(&city.djs.access),
        &json!({}),
    )
    .expect_problem(404, "webhook_delivery.not_found");
    let bad_cursor = app.get(
        &format!("/api/v1/webhooks/{}/deliveries?cursor=eB95", id(&dac)),
        Some(&city.dac.access),
    );
    bad_cursor.expect_problem(422, "validation.failed");
    assert_eq!(
        bad_cursor.field_errors(),
        [("cursor".to_owned(), "cursor.invalid".to_owned())]
    );

    let listed = |user: &User| -> Vec<String> {
        app.get("/api/v1/webhooks", Some(&user.access)).expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect()
    };
    assert_eq!(listed(&city.dac), [id(&dac)]);
    assert_eq!(listed(&city.djs), [id(&djs)]);
    assert_eq!(listed(&city.admin).len(), 4);
    assert!(
        !app.get("/api/v1/webhooks", Some(&city.admin.access))
            .text
            .contains(&dac_secret),
        "a secret is shown once"
    );
}

fn a_failing_receiver_is_retried_then_given_up_and_redelivered_on_demand(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let app = &city.app;
    let (failing, gone) = (Receiver::start(), Receiver::start());
    failing.answer_with(503);
    gone.answer_with(410);
    let webhook = id(&register(
        app,
        &city.dac,
        json!({"url": failing.url("/"), "event_types": ["dispatch"]}),
    ));
    let gone_webhook = id(&register(
        app,
        &city.dac,
        json!({"url": gone.url("/"), "event_types": ["dispatch"]}),
    ));
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(app, 1, &campaign);
    city.admit_and_dispatch(&request, "DAC", &[]);

    let retried = failing.wait_for(2, Duration::from_secs(15));
    assert!(retried.len() >= 2, "tried again after a second");
    assert_eq!(retried[0].body, retried[1].body, "the same event");
    let waiting = latest_delivery_in(app, &city.dac, &webhook, "pending");
    assert_eq!(waiting["last_error"], "refused", "no more than that");
    assert!(waiting["attempts"].as_u64().is_some_and(|n| n >= 1));

    let given_up = latest_delivery_in(app, &city.dac, &gone_webhook, "failed");
    assert_eq!(
        (&given_up["attempts"], &given_up["last_error"]),
        (&json!(1), &json!("refused")),
        "410 Gone is not tried again"
    );
    assert_eq!(gone.calls().len(), 1);

    // A day later the receiver still fails: the delivery is given up.
    city.app.clock.advance(chrono::Duration::hours(25));
    let failed = latest_delivery_in(app, &city.dac, &webhook, "failed");
    assert_eq!(failed["last_error"], "refused");
    // Given up, and nothing else pending: no call can follow.
    let tried = failing.calls().len();
    app.outbox_settled(&city.admin, Duration::from_secs(10));
    assert_eq!(failing.calls().len(), tried, "nothing more once given up");

    // The receiver is fixed: its owner has the event delivered again.
    failing.answer_with(204);
    let again = app.post(
        &format!(
            "/api/v1/webhooks/{webhook}/deliveries/{}/redeliver",
            id(&failed)
        ),
        Some(&city.dac.access),
        &json!({}),
    );
    let again = again.expect(202).clone();
    assert_ne!(again["id"], failed["id"]);
    assert_eq!(again["payload"], failed["payload"]);
    let delivered = latest_delivery_in(app, &city.dac, &webhook, "sent");
    assert_eq!(delivered["id"], again["id"]);
    let last = failing.calls().last().cloned().expect("a call");
    assert_eq!(last.json(), failed["payload"], "the same event id and body");
    assert_eq!(last.header("simpa-delivery"), id(&again));
    assert_eq!(deliveries(app, &city.dac, &webhook).len(), 2);

    // A removed endpoint gets nothing more, even on demand.
    app.delete(
        &format!("/api/v1/webhooks/{webhook}"),
        Some(&city.dac.access),
    )
    .expect(204);
    app.post(
        &format!(
            "/api/v1/webhooks/{webhook}/deliveries/{}/redeliver",
            id(&failed)
        ),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect_problem(409, "webhook.removed");
    let listed = app.get("/api/v1/webhooks", Some(&city.dac.access));
    let states: Vec<(String, bool)> = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|w| (id(w), w["active"].as_bool().expect("active")))
        .collect();
    assert_eq!(states, [(webhook, false), (gone_webhook, true)]);
}

fn webhooks_are_only_for_those_who_follow_the_direction(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let app = &city.app;
    let receiver = Receiver::start();
    let body = json!({"url": receiver.url("/")});
    let president = app.new_user("president@exemple.org");
    for (who, token) in [
        ("an association member", &president.access),
        ("the bureau (no direction)", &city.bureau.access),
        ("a town hall", &city.mairie11.access),
    ] {
        let refused = app.post("/api/v1/webhooks", Some(token), &body);
        assert_eq!(refused.status, 403, "{who}: {}", refused.text);
        refused.expect_problem(403, "access.forbidden");
    }
    app.post("/api/v1/webhooks", None, &body)
        .expect_problem(401, "auth.required");
    app.post(
        "/api/v1/webhooks",
        Some(&city.djs.access),
        &json!({"url": receiver.url("/"), "direction_id": app.direction_id("DAC")}),
    )
    .expect_problem(403, "access.forbidden");
    app.get("/api/v1/webhooks", Some(&president.access))
        .expect_problem(403, "access.forbidden");

    let invalid = app.post(
        "/api/v1/webhooks",
        Some(&city.dac.access),
        &json!({"url": "ftp://dac.paris.fr/depot"}),
    );
    invalid.expect_problem(422, "validation.failed");
    assert_eq!(
        invalid.field_errors(),
        [("url".to_owned(), "url.invalid".to_owned())]
    );
    let unknown = app.post(
        "/api/v1/webhooks",
        Some(&city.dac.access),
        &json!({"url": receiver.url("/"), "event_types": ["explode"]}),
    );
    unknown.expect_problem(422, "validation.failed");
    assert_eq!(
        unknown.field_errors(),
        [(
            "event_types[0]".to_owned(),
            "field.unknown_value".to_owned()
        )]
    );
    let nowhere = app.post(
        "/api/v1/webhooks",
        Some(&city.admin.access),
        &json!({"url": receiver.url("/"), "direction_id": uuid::Uuid::now_v7()}),
    );
    nowhere.expect_problem(422, "validation.failed");
    assert_eq!(nowhere.field_errors()[0].0, "direction_id");
    assert!(
        app.get("/api/v1/webhooks", Some(&city.admin.access))
            .expect(200)["items"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing was registered"
    );

    // A retried registration answers the first one again: one endpoint, one secret.
    let retry = || {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/webhooks")
                .bearer_auth(&city.dac.access)
                .header("Idempotency-Key", "dac-webhook-1")
                .json(&body),
        )
    };
    let (first, again) = (retry(), retry());
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(
        (&again.body["id"], &again.body["secret"]),
        (&first.body["id"], &first.body["secret"])
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("cache-control"), Some("no-store"));
    let webhook = id(&first.body);
    // Someone instructing for two directions says which one.
    let both = app.staff(
        &city.admin,
        "dac-djs@ville.test",
        json!({"kind": "instructor", "direction_id": app.direction_id("DAC")}),
    );
    app.post(
        &format!("/api/v1/accounts/{}/staff-roles", both.id),
        Some(&city.admin.access),
        &json!({"kind": "instructor", "direction_id": app.direction_id("DJS")}),
    )
    .expect(201);
    let unsaid = app.post("/api/v1/webhooks", Some(&both.access), &body);
    unsaid.expect_problem(422, "validation.failed");
    assert_eq!(
        unsaid.field_errors(),
        [("direction_id".to_owned(), "field.required".to_owned())]
    );
    let delivery = uuid::Uuid::now_v7();
    let log = format!("/api/v1/webhooks/{webhook}/deliveries");
    for stranger in [&city.djs, &president] {
        app.get(&log, Some(&stranger.access))
            .expect_problem(404, "webhook.not_found");
    }
    app.post(
        &format!("/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver"),
        Some(&city.djs.access),
        &json!({}),
    )
    .expect_problem(404, "webhook.not_found");
    app.post(
        &format!("/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver"),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect_problem(404, "webhook_delivery.not_found");
    app.delete(
        &format!("/api/v1/webhooks/{webhook}"),
        Some(&city.djs.access),
    )
    .expect_problem(404, "webhook.not_found");
    assert!(
        app.get("/api/v1/webhooks", Some(&city.djs.access))
            .expect(200)["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let still = app.get("/api/v1/webhooks", Some(&city.dac.access));
    assert_eq!(
        still.expect(200)["items"][0]["active"],
        true,
        "DJS removed nothing"
    );
    // Admins manage every endpoint.
    app.delete(
        &format!("/api/v1/webhooks/{webhook}"),
        Some(&city.admin.access),
    )
    .expect(204);
    let removed = app.get("/api/v1/webhooks", Some(&city.dac.access));
    assert_eq!(removed.expect(200)["items"][0]["active"], false);
}

/// Server-side request forgery: a webhook is a way to make the server call an address. Only
/// public addresses are called, checked at registration and at each delivery, unless the
/// host is allowed; what the delivery log says cannot map a network.
fn webhooks_reach_no_internal_address_unless_its_host_is_allowed(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let receiver = Receiver::start();
    let port = receiver.port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // Allowed hosts: registered, and called.
    let literal = id(&register(
        &city.app,
        &city.admin,
        json!({"url": receiver.url("/ip")}),
    ));
    let by_name = id(&register(
        &city.app,
        &city.admin,
        json!({"url": format!("http://localhost:{port}/nom")}),
    ));
    let silent = id(&register(
        &city.app,
        &city.admin,
        json!({"url": format!("http://127.0.0.1:{closed}/")}),
    ));
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    submitted(&city.app, 1, &campaign);
    assert_eq!(receiver.wait_for(2, Duration::from_secs(15)).len(), 2);
    let unanswered = latest_delivery_failing_with(&city.app, &city.admin, &silent, "no answer");
    assert_eq!(unanswered["status"], "pending");

    let keyed = |app: &TestApp, admin: &User| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/webhooks")
                .bearer_auth(&admin.access)
                .header("Idempotency-Key", "registered-while-allowed")
                .json(&json!({"url": receiver.url("/cle")})),
        )
    };
    let first = keyed(&city.app, &city.admin);
    assert_eq!(first.status, 201, "{}", first.text);

    // The administrator no longer allows them.
    let city = city.restart_with(&[("SIMPA_WEBHOOK_ALLOWED_HOSTS", "")]);
    let (app, admin) = (&city.app, &city.admin);
    // A retry of a registration made while its host was allowed is answered as it was.
    let again = keyed(app, admin);
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    let refused_urls = [
        receiver.url("/"),
        format!("http://localhost:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://LocalHost:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://192.168.1.254/admin".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[fd00::1]/".to_owned(),
    ];
    for url in refused_urls {
        let reply = app.post(
            "/api/v1/webhooks",
            Some(&admin.access),
            &json!({"url": url}),
        );
        reply.expect_problem(422, "validation.failed");
        assert_eq!(
            reply.field_errors(),
            [("url".to_owned(), "url.not_public".to_owned())],
            "{url}"
        );
    }
    let nowhere = app.post(
        "/api/v1/webhooks",
        Some(&admin.access),
        &json!({"url": "https://nulle-part.invalid/simpa"}),
    );
    assert_eq!(
        nowhere.field_errors(),
        [("url".to_owned(), "url.not_public".to_owned())]
    );
    // Those registered before are refused at delivery, before connecting: by address, and
    // by name (a name may come to point inside after its registration).
    submitted(&city.app, 2, &campaign);
    for webhook in [&literal, &by_name, &silent] {
        let refused = latest_delivery_failing_with(&city.app, &city.admin, webhook, "refused");
        assert_eq!(refused["status"], "pending", "{webhook}");
    }
    assert_eq!(
        receiver.calls().len(),
        2,
        "nothing more reached the receiver"
    );
}

/// A request dispatched to the DAC, then to the DJS alone: the DAC's system hears of both
/// dispatches, the second one saying it no longer instructs the request; the DJS's hears of
/// the second as its own.
fn a_direction_relieved_of_a_request_is_told_so(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let app = &city.app;
    let (dac_rx, djs_rx) = (Receiver::start(), Receiver::start());
    let dac = register(app, &city.dac, json!({"url": dac_rx.url("/")}));
    register(app, &city.djs, json!({"url": djs_rx.url("/")}));
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(app, 1, &campaign);
    city.admit_and_dispatch(&request, "DAC", &[]);
    act(
        app,
        &city.bureau,
        &request,
        json!({"action": "dispatch", "lead_direction_id": app.direction_id("DJS")}),
    )
    .expect(200);
    app.outbox_settled(&city.admin, Duration::from_secs(10));

    let told = |calls: &[Call]| -> Vec<(Value, Value)> {
        calls
            .iter()
            .map(|c| (c.json()["type"].clone(), c.json()["in_scope"].clone()))
            .collect()
    };
    let dac_calls = dac_rx.calls();
    assert_eq!(
        told(&dac_calls),
        [
            (json!("dispatch"), json!(true)),
            (json!("dispatch"), json!(false))
        ]
    );
    for call in &dac_calls {
        assert_signed(call, dac["secret"].as_str().expect("secret"));
    }
    assert_eq!(told(&djs_rx.calls()), [(json!("dispatch"), json!(true))]);
}

on_both_backends!(
    a_direction_relieved_of_a_request_is_told_so,
    webhooks_reach_no_internal_address_unless_its_host_is_allowed,
    directions_systems_are_told_of_their_requests_by_signed_calls,
    a_failing_receiver_is_retried_then_given_up_and_redelivered_on_demand,
    webhooks_are_only_for_those_who_follow_the_direction,
);
