//! The jury of a call for projects as the bureau sets it up (`/agents/campagnes/{id}/jury`):
//! its scoring grid (up to eight criteria, each with its weight and maximum) and rules
//! (normalisation, the sheets needed, the minimum score, what the last request reached
//! receives, how many jurors read each request), then its members (holders of the juror's
//! role, one of them chair), who withdraws, and seating the jurors on the requests. Each
//! through the API's use cases; the grid locks with the first point given. The jurors' own
//! work is at `/jury`.

use super::typed::{Typed, field, whole_number};
use crate::Portal;
use crate::answers::{city_moment, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{answered, errors_page, field_error, form_page};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::juries;
use simpa_domain::FieldError;
use simpa_domain::ids::{AccountId, CampaignId};
use simpa_domain::jury::{JuryInput, SessionStatus};
use simpa_domain::scoring::{CriterionInput, LastRequest};
use uuid::Uuid;

/// How many criteria the form offers.
const LINES: usize = 8;

#[derive(Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

/// The jury's page: its rules to set (or change), its members.
#[get("/agents/campagnes/{id}/jury")]
pub async fn jury_setup(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match query.fait.as_deref() {
        Some("regles") => Some("Règles du jury enregistrées."),
        Some("jure") => Some("Juré·e ajouté·e au jury."),
        Some("retrait") => {
            Some("Juré·e retiré·e : ses places vont aux autres, ses notes ne comptent plus.")
        }
        Some("places") => Some("Juré·es placé·es sur les demandes qui en manquaient."),
        _ => None,
    };
    page(
        &portal,
        &req,
        &visitor,
        path.into_inner(),
        done,
        vec![],
        None,
    )
    .await
}

/// The page after `done`, or with a form's `errors` and what was typed.
async fn page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    typed: Option<Typed>,
) -> HttpResponse {
    let subject = visitor.subject();
    let campaign = CampaignId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| juries::setup(conn, subject, campaign))
        .await;
    let juries::Setup {
        campaign: c,
        jury,
        candidates,
    } = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let typed = typed.unwrap_or_else(|| match &jury {
        Some((jury, _)) => typed_of(&jury.settings),
        None => Typed::from([("min_scores".to_owned(), "2".to_owned())]),
    });
    let members = jury.as_ref().map(|(_, m)| m.as_slice()).unwrap_or_default();
    let data = context! {
        id => id.to_string(),
        title => c.settings.title,
        done => done,
        typed => typed,
        // The lines typed, and two more to add a criterion (eight at most).
        lines => (0..shown_lines(&typed)).collect::<Vec<_>>(),
        exists => jury.is_some(),
        version => jury.as_ref().map(|(j, _)| j.version),
        status => jury.as_ref().map(|(j, _)| j.status.label()),
        open => jury.as_ref().is_some_and(|(j, _)| j.status == SessionStatus::Open),
        per_request => jury.as_ref().and_then(|(j, _)| j.settings.jurors_per_request),
        last_requests => LastRequest::ALL.iter().map(|l| context! { code => l.code(), label => l.label() }).collect::<Vec<_>>(),
        members => members.iter().map(|m| context! {
            id => m.account.to_string(), name => m.name, chair => m.chair,
            joined => city_moment(portal, m.joined_at),
            withdrawn => m.withdrawn_at.map(|at| city_moment(portal, at)),
        }).collect::<Vec<_>>(),
        candidates => candidates.iter()
            .filter(|a| !members.iter().any(|m| m.account == a.id && m.withdrawn_at.is_none()))
            .map(|a| context! { code => a.id.to_string(), label => a.name }).collect::<Vec<_>>(),
    };
    let page = errors_page("staff_jury_setup.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// How many criteria lines the form shows: those typed and two more, at least three, at most
/// eight.
fn shown_lines(typed: &Typed) -> usize {
    let typed_lines = (0..LINES)
        .filter(|i| line_typed(typed, *i))
        .max()
        .map_or(0, |last| last + 1);
    (typed_lines + 2).clamp(3, LINES)
}

/// Whether anything was typed on a criterion's line.
fn line_typed(typed: &Typed, line: usize) -> bool {
    ["label", "description", "weight", "max_points"]
        .iter()
        .any(|f| {
            !field(typed, &format!("critere-{line}-{f}"))
                .trim()
                .is_empty()
        })
}

/// The rules as the form shows them.
fn typed_of(settings: &simpa_domain::jury::JurySettings) -> Typed {
    let mut typed = Typed::new();
    for (i, c) in settings.grid.iter().enumerate() {
        typed.insert(format!("critere-{i}-label"), c.label.clone());
        typed.insert(format!("critere-{i}-description"), c.description.clone());
        typed.insert(format!("critere-{i}-weight"), c.weight.to_string());
        typed.insert(format!("critere-{i}-max_points"), c.max_points.to_string());
    }
    if settings.normalise {
        typed.insert("normalise".to_owned(), "oui".to_owned());
    }
    typed.insert("min_scores".to_owned(), settings.min_scores.to_string());
    typed.insert("min_score".to_owned(), settings.min_score.to_string());
    typed.insert(
        "last_request".to_owned(),
        settings.last_request.code().to_owned(),
    );
    if let Some(n) = settings.jurors_per_request {
        typed.insert("jurors_per_request".to_owned(), n.to_string());
    }
    if let Some(day) = settings.closes_on {
        typed.insert("closes_on".to_owned(), day.to_string());
    }
    typed
}

/// The rules as typed (the criteria lines left empty left out), with the line of the form
/// each criterion was typed on; or the numbers typed wrong.
fn input_of(typed: &Typed) -> Result<(JuryInput, Vec<usize>), Vec<FieldError>> {
    let mut errors = vec![];
    let (mut criteria, mut lines) = (vec![], vec![]);
    for i in 0..LINES {
        let name = |f: &str| format!("critere-{i}-{f}");
        let said = |f: &str| field(typed, &name(f)).trim().to_owned();
        if !line_typed(typed, i) {
            continue;
        }
        let weight = whole_number(typed, &name("weight"), &mut errors);
        let max_points = whole_number(typed, &name("max_points"), &mut errors);
        criteria.push(CriterionInput {
            label: said("label"),
            description: said("description"),
            weight: weight.unwrap_or(0),
            max_points: max_points.unwrap_or(0),
        });
        lines.push(i);
    }
    let mut count = |name: &str| {
        whole_number(typed, name, &mut errors).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    let (min_scores, min_score, per_request) = (
        count("min_scores").unwrap_or(0),
        count("min_score").unwrap_or(0),
        count("jurors_per_request"),
    );
    let closes_on = match field(typed, "closes_on").trim() {
        "" => None,
        day => match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                let said = "Date attendue, par exemple 15/03/2027.";
                errors.push(crate::forms::field_error("closes_on", said));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let input = JuryInput {
        criteria,
        normalise: field(typed, "normalise") == "oui",
        min_scores,
        min_score,
        last_request: LastRequest::from_code(field(typed, "last_request"))
            .unwrap_or(LastRequest::Partial),
        jurors_per_request: per_request,
        closes_on,
    };
    Ok((input, lines))
}

/// The form's field of a rule's: `criteria[1].weight` is the weight of the second criterion
/// typed, on its line of the form (`lines`).
fn form_field(rule: &str, lines: &[usize]) -> String {
    let criterion = rule
        .strip_prefix("criteria[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(n, f)| Some((lines.get(n.parse::<usize>().ok()?)?, f)));
    match criterion {
        Some((line, f)) => format!("critere-{line}-{f}"),
        None if rule.starts_with("criteria") => "critere-0-label".to_owned(),
        None => rule.to_owned(),
    }
}

/// The jury's rules set, or changed from the version read.
#[post("/agents/campagnes/{id}/jury")]
pub async fn save_rules(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let (input, lines) = match input_of(&typed) {
        Ok(input) => input,
        Err(errors) => return page(&portal, &req, &visitor, id, None, errors, Some(typed)).await,
    };
    let version = field(&typed, "version").parse::<i64>().ok();
    let (subject, now, campaign) = (
        visitor.subject(),
        portal.runtime.now(),
        CampaignId::from_uuid(id),
    );
    let saved = portal
        .runtime
        .write(move |conn| {
            match version {
                Some(version) => {
                    juries::update(conn, subject, campaign, Some(version), &input, now)
                }
                None => juries::create(conn, subject, campaign, &input, now),
            }
            .map(|_| ())
        })
        .await;
    let next = format!("/agents/campagnes/{id}/jury?fait=regles");
    answered(
        &portal,
        saved,
        &next,
        |f| form_field(f, &lines),
        "critere-0-label",
        |errors| {
            page(
                &portal,
                &req,
                &visitor,
                id,
                None,
                errors,
                Some(typed.clone()),
            )
        },
    )
    .await
}

/// A juror added, chair or not.
#[post("/agents/campagnes/{id}/jury/jures")]
pub async fn add_juror(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let Some(account) = Uuid::parse_str(field(&typed, "account_id")).ok() else {
        let errors = vec![field_error(
            "account_id",
            "Choisissez le ou la juré·e à ajouter.",
        )];
        return page(&portal, &req, &visitor, id, None, errors, Some(typed)).await;
    };
    let chair = field(&typed, "chair") == "oui";
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let added = portal
        .runtime
        .write(move |conn| {
            let (campaign, account) = (CampaignId::from_uuid(id), AccountId::from_uuid(account));
            juries::add_juror(conn, subject, campaign, account, chair, now).map(|_| ())
        })
        .await;
    let next = format!("/agents/campagnes/{id}/jury?fait=jure");
    answered(
        &portal,
        added,
        &next,
        |_| "account_id".to_owned(),
        "account_id",
        |errors| {
            page(
                &portal,
                &req,
                &visitor,
                id,
                None,
                errors,
                Some(typed.clone()),
            )
        },
    )
    .await
}

/// A juror withdrawn: their seats go to the others.
#[post("/agents/campagnes/{id}/jury/jures/{account}/retrait")]
pub async fn withdraw_juror(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let (id, account) = path.into_inner();
    let (subject, city) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let withdrawn = portal
        .runtime
        .write(move |conn| {
            let (campaign, account) = (CampaignId::from_uuid(id), AccountId::from_uuid(account));
            juries::withdraw_juror(conn, subject, campaign, account, city, &notifier).map(|_| ())
        })
        .await;
    let next = format!("/agents/campagnes/{id}/jury?fait=retrait");
    answered(
        &portal,
        withdrawn,
        &next,
        |_| "account_id".to_owned(),
        "account_id",
        |errors| page(&portal, &req, &visitor, id, None, errors, None),
    )
    .await
}

/// The jurors seated on every request that lacks its count of them.
#[post("/agents/campagnes/{id}/jury/places")]
pub async fn seat_jurors(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let (subject, city) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let seated = portal
        .runtime
        .write(move |conn| {
            let campaign = CampaignId::from_uuid(id);
            juries::seat_jurors(conn, subject, campaign, city, &notifier).map(|_| ())
        })
        .await;
    let next = format!("/agents/campagnes/{id}/jury?fait=places");
    answered(
        &portal,
        seated,
        &next,
        |_| "places".to_owned(),
        "places",
        |errors| page(&portal, &req, &visitor, id, None, errors, None),
    )
    .await
}
