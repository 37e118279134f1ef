//! An association's requests: starting one in an open campaign; its page (where it stands,
//! what comes next and, while the association writes it, the steps left); the page that checks
//! everything before it is submitted; the receipt. The CERFA sections, one step each, are in
//! `request_steps.rs`.

use crate::Portal;
use crate::answers::{city_date, date_in, failed, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, field_errors, form_page};
use crate::render::{Page, fill, html_answer};
use crate::session::{self, Visitor};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::campaigns::open_now;
use simpa_app::clock::CityNow;
use simpa_app::grants::Followed;
use simpa_app::instruction::{act_as_reader, what_is_missing};
use simpa_app::request_content::ContentInput;
use simpa_app::requests::{self, Shown};
use simpa_app::runtime::RunError;
use simpa_app::sign_in;
use simpa_domain::agreement::AgreementStatus;
use simpa_domain::budget::Side;
use simpa_domain::circuit::{ActionKind, Asked, Command, Visibility};
use simpa_domain::french::long_french_date;
use simpa_domain::history::Event;
use simpa_domain::ids::{AssociationId, CampaignId, RequestId};
use simpa_domain::money::euros;
use simpa_domain::policy::Action;
use simpa_domain::policy::Subject;
use simpa_domain::request::{RequestContent, RequestState, field_in_words};
use simpa_domain::tracking::{SlaClock, Step as ClockStep};
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::requests::{KeptKind, KeptView};
use simpa_persistence::{DbConnection, StoreError, StoreResult};
use uuid::Uuid;

/// A step of the request as the portal asks it: its address under the request, its name,
/// and the fields of the rules that belong to it.
pub(super) struct Step {
    pub slug: &'static str,
    pub name: &'static str,
    fields: &'static [&'static str],
}

/// The steps in order; the documents live in the association's vault, filed once for every
/// request, and the last step checks everything and submits.
pub(super) const STEPS: [Step; 5] = [
    Step {
        slug: "projet",
        name: "Le projet",
        fields: &[
            "title",
            "summary",
            "objectives",
            "nature",
            "renews_request_id",
        ],
    },
    Step {
        slug: "dates-et-lieux",
        name: "Dates et lieux",
        fields: &["start_date", "end_date", "districts"],
    },
    Step {
        slug: "public",
        name: "Public et indicateurs",
        fields: &["target_public", "expected_beneficiaries", "indicators"],
    },
    Step {
        slug: "budget",
        name: "Le budget",
        fields: &["budget", "requested_cents"],
    },
    Step {
        slug: "documents",
        name: "Les pièces de l'association",
        fields: &["documents", "association"],
    },
];

/// How many steps the portal counts, the check included.
pub(super) const STEP_COUNT: usize = STEPS.len() + 1;

impl Step {
    /// Whether a rule's field (`budget[3].amount_cents`, `documents.statuts`) is this step's.
    fn owns(&self, field: &str) -> bool {
        let root = field.split(['.', '[']).next().unwrap_or(field);
        self.fields.contains(&root)
    }

    /// Its page: a section of the request, or the association's documents.
    fn address(&self, request: RequestId, association: AssociationId) -> String {
        match self.slug {
            "documents" => format!("/associations/{association}/documents"),
            slug => format!("/demandes/{request}/{slug}"),
        }
    }

    /// Its place, counted from 1.
    pub(super) fn number(&self) -> usize {
        STEPS.iter().position(|s| s.slug == self.slug).unwrap_or(0) + 1
    }
}

/// Where a rule's field is on the pages: a step's field (the budget for its lines and the
/// amount asked, the districts' group), or a kind of document on the association's page.
pub(super) fn anchor(field: &str) -> String {
    match field {
        "requested_cents" => "budget".into(),
        f if f.starts_with("budget") => "budget".into(),
        f if f.starts_with("districts") => "districts".into(),
        f => match f.strip_prefix("documents.") {
            Some(kind) => format!("piece-{kind}"),
            None => f.replace(['.', '[', ']'], "_"),
        },
    }
}

/// What keeps the request from being submitted, each with the step that fixes it.
fn missing_shown(
    missing: &[FieldError],
    request: RequestId,
    association: AssociationId,
) -> Vec<Value> {
    missing
        .iter()
        .map(|error| {
            let step = STEPS.iter().find(|s| s.owns(&error.field));
            context! {
                message => error.message,
                address => step.map(|s| format!("{}#{}", s.address(request, association), anchor(&error.field))),
                step => step.map(|s| s.name),
            }
        })
        .collect()
}

/// What the request says, as the check page and the request's page show it.
pub(super) fn answers(content: &RequestContent) -> Value {
    let budget = &content.budget;
    context! {
        title => content.title,
        summary => content.summary,
        objectives => content.objectives,
        start_date => content.start_date.map(long_french_date),
        end_date => content.end_date.map(long_french_date),
        districts => content.districts.iter().map(|d| simpa_domain::french::district(*d)).collect::<Vec<_>>(),
        target_public => content.target_public,
        beneficiaries => content.expected_beneficiaries,
        indicators => content.indicators.iter().map(|i| format!("{} : {} {}", i.name, i.target, i.unit)).collect::<Vec<_>>(),
        charges => euros(budget.total(Side::Charge)),
        income => euros(budget.total(Side::Income)),
        requested => euros(content.requested_cents),
        share => budget.city_share_basis_points().map(|bp| format!("{} %", bp / 100)),
    }
}

/// The state of a request as a tag: its words, and a colour that repeats them.
pub(super) fn state_tag(state: RequestState) -> &'static str {
    match state {
        RequestState::Draft | RequestState::Incomplete => "govuk-tag--yellow",
        RequestState::Granted | RequestState::Closed => "govuk-tag--green",
        RequestState::Rejected | RequestState::Withdrawn => "govuk-tag--grey",
        _ => "govuk-tag--blue",
    }
}

/// What the request's pages share: its names, where it stands and the steps, each with
/// whether something in it is missing.
fn request_data(portal: &Portal, shown: &Shown, missing: &[FieldError]) -> Value {
    let request = shown.request();
    let next = &shown.next_step;
    let editable = shown.possible.contains(&ActionKind::Edit);
    let steps: Vec<Value> = STEPS
        .iter()
        .map(|step| {
            let to_do = missing.iter().any(|e| step.owns(&e.field));
            context! {
                name => step.name,
                address => step.address(request.id, request.association),
                to_do => to_do,
            }
        })
        .collect();
    context! {
        id => request.id.to_string(),
        association_id => request.association.to_string(),
        association => shown.file.association,
        campaign => shown.file.campaign.settings.title,
        closes_on => shown.file.campaign.settings.closes_at.map(|at| city_date(portal, at)),
        number => request.number.map(|n| n.to_string()),
        title => request.content.title,
        state => request.facts.state.label(),
        tag => state_tag(request.facts.state),
        since => city_date(portal, request.state_since),
        submitted_on => request.submitted_at.map(|at| city_date(portal, at)),
        next => next,
        holder => shown.holder,
        editable => editable,
        submittable => shown.possible.iter().any(|a| matches!(a, ActionKind::Submit | ActionKind::Resubmit)),
        steps => steps,
        step_count => STEP_COUNT,
        answers => answers(&request.content),
        missing => missing_shown(missing, request.id, request.association),
        asked => asked_shown(shown),
        timeline => timeline(portal, &shown.file.events),
        documents => shown.file.documents.iter().map(|v| {
            let label = shown.kinds.iter().find(|k| k.code == v.kind_code).map_or(v.kind_code.as_str(), |k| k.label.as_str());
            context! { label => label, file => v.file.as_ref().map(|f| f.file_name.clone()) }
        }).collect::<Vec<_>>(),
        withdrawable => shown.possible.contains(&ActionKind::Withdraw),
        resubmission => request.facts.state == RequestState::Incomplete,
        grant => shown.grant.as_ref().map(|g| grant_shown(g, request.content.requested_cents, request.id.uuid())),
    }
}

/// The city's time against its deadline, and the time waiting for the association, as the
/// request's page says them (a kept page holds them until `reads_the_same_until`).
fn clock_data(portal: &Portal, clock: &SlaClock, now: DateTime<Utc>) -> Value {
    let step = clock.step.map(|step| match step {
        ClockStep::Admissibility => "la vérification du dossier",
        ClockStep::Instruction => "l'instruction",
    });
    context! {
        with_city => clock.with_city.num_days(),
        with_association => clock.with_association.num_days(),
        step => step,
        allowed => clock.step_allowed_days,
        due_on => clock.due_at.map(|at| city_date(portal, at)),
        overdue => clock.is_overdue(now),
    }
}

/// What the city asks of the association while the request is incomplete: each document or
/// part of the request, why, where to answer it, and by when.
fn asked_shown(shown: &Shown) -> Value {
    let request = shown.request();
    if request.facts.state != RequestState::Incomplete {
        return Value::from(());
    }
    let Some(event) = shown
        .file
        .events
        .iter()
        .rev()
        .find(|e| e.action == ActionKind::AskDocuments)
    else {
        return Value::from(());
    };
    let (items, due_on) = event.asked();
    let items: Vec<Value> = items
        .iter()
        .map(|item| {
            let (what, address) = match &item.what {
                Asked::Document(code) => (
                    shown
                        .kinds
                        .iter()
                        .find(|k| &k.code == code)
                        .map_or(code.clone(), |k| k.label.clone()),
                    format!(
                        "/associations/{}/documents#piece-{code}",
                        request.association
                    ),
                ),
                Asked::Field(field) => {
                    let step = STEPS.iter().find(|s| s.owns(field));
                    (
                        format!(
                            "{} : {}",
                            step.map_or("La demande", |s| s.name),
                            field_in_words(field)
                        ),
                        step.map_or(format!("/demandes/{}", request.id), |s| {
                            s.address(request.id, request.association)
                        }),
                    )
                }
            };
            context! { what => what, reason => item.reason.label(), address => address }
        })
        .collect();
    context! {
        items => items,
        message => event.public_message,
        due_on => due_on.map(long_french_date),
    }
}

/// The public timeline, the latest first: when, what happened, who did it, what was said.
fn timeline(portal: &Portal, events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.visibility == Visibility::Public && !e.action.is_conversation())
        .rev()
        .map(|e| {
            context! {
                on => city_date(portal, e.at),
                done => e.action.done(),
                by => if e.action.is_the_applicants() { "L'association" } else { "La Ville" },
                message => e.public_message,
            }
        })
        .collect()
}

/// The request and what is missing for the association to submit it (nothing is checked
/// once it cannot be submitted); "not found" for whoever may not see it.
pub(super) async fn load(
    portal: &Portal,
    visitor: &Visitor,
    id: Uuid,
) -> Result<(Shown, Vec<FieldError>), HttpResponse> {
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let id = RequestId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| show_with_missing(conn, subject, id, now))
        .await;
    found.map_err(|error| unless_hidden(portal, error))
}

/// See [`load`].
fn show_with_missing(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    now: CityNow,
) -> StoreResult<(Shown, Vec<FieldError>)> {
    let shown = requests::show(conn, subject, id, now.timezone)?;
    let missing = if submittable(&shown) {
        what_is_missing(conn, &shown.signed, shown.request(), now)?
    } else {
        vec![]
    };
    Ok((shown, missing))
}

/// Whether the reader may submit the request now (or send it back).
fn submittable(shown: &Shown) -> bool {
    shown
        .possible
        .iter()
        .any(|a| matches!(a, ActionKind::Submit | ActionKind::Resubmit))
}

/// The code that gathers the request page's data, part of what its kept copies are made
/// from (see `render::fingerprint`).
pub(crate) const KEPT_SOURCES: &[&str] = &[
    include_str!("requests.rs"),
    include_str!("grant.rs"),
    include_str!("mod.rs"),
];

/// A request's page. Its association's members read it as it was kept at an earlier read
/// while nothing it is made from changed and its clock reads the same: the browser's session
/// and the kept page are two lookups (no transaction), the browser's token filled in.
/// Otherwise the page is made in a read transaction, and kept for its members.
#[get("/demandes/{id}")]
pub async fn request_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> HttpResponse {
    let Some(token) = session::token(&req) else {
        return session::to_sign_in(&req);
    };
    let id = RequestId::from_uuid(path.into_inner());
    let (now, rules) = (portal.runtime.city_now(), portal.settings.session_rules);
    let looked_up = portal
        .runtime
        .look_up(move |conn| {
            let visit = sign_in::visit(conn, &token, now.at, rules)?;
            let own = match &visit {
                Some((visit, _)) if !visit.must_enrol => {
                    let reader = Some(Subject::Person(visit.account));
                    requests::read_own(conn, reader, id, KeptKind::Page)?
                }
                _ => None,
            };
            Ok((visit, own))
        })
        .await;
    let (visit, own) = match looked_up {
        Ok(looked_up) => looked_up,
        Err(error) => return unless_hidden(&portal, error),
    };
    let visitor = match session::admitted(&portal, &req, visit).await {
        Ok(Some(visitor)) if visitor.must_enrol => return session::to_enrol(),
        Ok(Some(visitor)) => visitor,
        Ok(None) => return session::to_sign_in(&req),
        Err(error) => return failed(&portal, error),
    };
    let format = &portal.kept_format;
    let body = match own.map(|at_read| at_read.kept_in(format, now.at)) {
        Some(Ok(kept)) => kept.body,
        own => {
            let (shown, missing) = match load(&portal, &visitor, id.uuid()).await {
                Ok(loaded) => loaded,
                Err(answer) => return answer,
            };
            // Kept for a member, once nothing on it depends on the time or on the
            // association's other files (what is missing to submit it). Its key names the
            // versions looked up before it was made: anything changed since makes it again.
            let keep_as = own
                .and_then(Result::err)
                .filter(|_| !submittable(&shown))
                .map(|at_read| at_read.key(format));
            let clock = requests::clock(&shown.file, now.at);
            let submitted = shown.request().submitted_at.is_some();
            let data = context! {
                clock => submitted.then(|| clock_data(&portal, &clock, now.at)),
                ..request_data(&portal, &shown, &missing)
            };
            let body = match Page::new("request.html", data).render_kept(&portal) {
                Ok(body) => body,
                Err(e) => return html_answer(StatusCode::OK, Err(e)),
            };
            if let Some(key) = keep_as {
                let fresh_until = clock.reads_the_same_until;
                let page = KeptView {
                    key,
                    body: body.clone(),
                    fresh_until,
                };
                keep(&portal, id, page).await;
            }
            body
        }
    };
    html_answer(StatusCode::OK, Ok(fill(&body, &visitor.csrf)))
}

/// Keeps a request's page for its next readers; a failure only costs them the work again.
async fn keep(portal: &Portal, id: RequestId, page: KeptView) {
    let kept = portal
        .runtime
        .write(move |conn| simpa_persistence::requests::keep_view(conn, id, KeptKind::Page, &page))
        .await;
    if let Err(error) = kept {
        tracing::warn!(%error, "the page of a request was not kept");
    }
}

#[get("/demandes/{id}/verification")]
pub async fn check_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    match load(&portal, &visitor, path.into_inner()).await {
        Ok((shown, missing)) if shown.possible.contains(&ActionKind::Edit) => form_page(
            &portal,
            &req,
            Page::new(
                "request_check.html",
                request_data(&portal, &shown, &missing),
            )
            .visitor(&visitor),
        ),
        Ok((shown, _)) => see_other(&format!("/demandes/{}", shown.request().id)),
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    attestation: String,
    /// Sending it back completed: what the association tells the city, if anything.
    #[serde(default)]
    message: String,
}

/// Submits the request (or sends it back completed): the attestation ticked, every rule met.
#[post("/demandes/{id}/depot")]
pub async fn submit(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<SubmitForm>,
) -> HttpResponse {
    let id = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let request_id = RequestId::from_uuid(id);
    let message = Some(form.message.trim().to_owned()).filter(|m| !m.is_empty());
    let typed = message.clone().unwrap_or_default();
    let submitted = if form.attestation != "oui" {
        // Nothing is done: the page says what to tick.
        Ok(None)
    } else {
        portal
            .runtime
            .write(move |conn| {
                let (signed, request) = requests::load_readable(conn, subject, request_id, true)?;
                let command = if request.facts.state == RequestState::Incomplete {
                    Command::Resubmit { message }
                } else {
                    Command::Submit
                };
                act_as_reader(conn, &signed, request, command, now, &notifier).map(Some)
            })
            .await
    };
    let errors = match submitted {
        Ok(Some(_)) => return see_other(&format!("/demandes/{id}/recepisse")),
        Ok(None) => vec![field_error(
            "attestation",
            "Cochez la case pour certifier les informations de la demande.",
        )],
        Err(RunError::Store(StoreError::Domain(DomainError::Unmet { errors, .. }))) => {
            vec![field_error(
                "a-completer",
                format!(
                    "La demande ne peut pas encore être déposée : {}, ci-dessous.",
                    simpa_domain::french::agreed(
                        errors.len(),
                        "un point à régler",
                        "{n} points à régler"
                    )
                ),
            )]
        }
        Err(RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
        ))) => vec![field_error("contenu", message)],
        Err(error) => match field_errors(&error) {
            Some(errors) => errors.to_vec(),
            None => return unless_hidden(&portal, error),
        },
    };
    match load(&portal, &visitor, id).await {
        Ok((shown, missing)) => {
            let data = context! { message => typed, ..request_data(&portal, &shown, &missing) };
            let page = errors_page("request_check.html", &errors, data).visitor(&visitor);
            form_page(&portal, &req, page)
        }
        Err(answer) => answer,
    }
}

#[get("/demandes/{id}/retrait")]
pub async fn withdrawal_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    match load(&portal, &visitor, path.into_inner()).await {
        Ok((shown, _)) if shown.possible.contains(&ActionKind::Withdraw) => form_page(
            &portal,
            &req,
            Page::new(
                "request_withdrawal.html",
                request_data(&portal, &shown, &[]),
            )
            .visitor(&visitor),
        ),
        Ok((shown, _)) => see_other(&format!("/demandes/{}", shown.request().id)),
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct WithdrawalForm {
    #[serde(default)]
    reason: String,
}

/// The association withdraws its request, saying why if it wishes.
#[post("/demandes/{id}/retrait")]
pub async fn withdraw(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<WithdrawalForm>,
) -> HttpResponse {
    let id = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let withdrawn = portal
        .runtime
        .write(move |conn| {
            let (signed, request) =
                requests::load_readable(conn, subject, RequestId::from_uuid(id), true)?;
            let command = Command::Withdraw { reason };
            act_as_reader(conn, &signed, request, command, now, &notifier)
        })
        .await;
    let errors = match withdrawn {
        Ok(_) => return see_other(&format!("/demandes/{id}")),
        Err(RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
        ))) => vec![field_error("reason", message)],
        Err(error) => match field_errors(&error) {
            Some(errors) => errors.to_vec(),
            None => return unless_hidden(&portal, error),
        },
    };
    match load(&portal, &visitor, id).await {
        Ok((shown, _)) => {
            let data = context! { reason => form.reason, ..request_data(&portal, &shown, &[]) };
            let page = errors_page("request_withdrawal.html", &errors, data).visitor(&visitor);
            form_page(&portal, &req, page)
        }
        Err(answer) => answer,
    }
}

#[get("/demandes/{id}/recepisse")]
pub async fn receipt(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    match load(&portal, &visitor, path.into_inner()).await {
        Ok((shown, _)) if shown.request().submitted_at.is_some() => {
            // Sent back completed, or submitted for the first time.
            let resent = shown
                .file
                .events
                .iter()
                .rev()
                .find(|e| matches!(e.action, ActionKind::Submit | ActionKind::Resubmit))
                .is_some_and(|e| e.action == ActionKind::Resubmit);
            let data = context! { resent => resent, ..request_data(&portal, &shown, &[]) };
            Page::new("request_receipt.html", data)
                .visitor(&visitor)
                .answer(&portal)
        }
        Ok((shown, _)) => see_other(&format!("/demandes/{}", shown.request().id)),
        Err(answer) => answer,
    }
}

/// The association's requests, the latest first, as its page lists them.
pub(super) fn listed(
    conn: &mut simpa_persistence::DbConnection,
    subject: Option<simpa_domain::policy::Subject>,
    association: AssociationId,
    timezone: Tz,
    now: DateTime<Utc>,
) -> simpa_persistence::StoreResult<Vec<Value>> {
    let filter = RequestFilter {
        association: Some(association),
        ..RequestFilter::default()
    };
    let (actor, page) = requests::list(conn, subject, &filter, None, 100)?;
    let listed = requests::summaries(conn, &actor, page.items, now)?;
    Ok(listed
        .into_iter()
        .map(|s| {
            let r = s.request;
            context! {
                unread => s.unread,
                messages => format!("/demandes/{}/messages", r.id),
                address => format!("/demandes/{}", r.id),
                title => r.title,
                number => r.number.map(|n| n.to_string()),
                state => r.state.label(),
                tag => state_tag(r.state),
                since => date_in(timezone, r.state_since),
            }
        })
        .collect())
}

/// The campaigns open now, as the form to start a request offers them.
async fn open_campaigns(portal: &Portal, visitor: &Visitor) -> Result<Vec<Value>, HttpResponse> {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let open = portal
        .runtime
        .read(move |conn| open_now(conn, subject, now))
        .await
        .map_err(|error| failed(portal, error))?;
    Ok(open
        .into_iter()
        .map(|open| {
            let settings = open.campaign.settings;
            let closes = settings
                .closes_at
                .map(|at| format!(" Dépôt jusqu'au {}.", city_date(portal, at)))
                .unwrap_or_default();
            context! {
                code => open.campaign.id.to_string(),
                label => settings.title,
                hint => format!("{}.{closes}", settings.circuit.who_may_apply()),
            }
        })
        .collect())
}

#[derive(Deserialize, Default)]
pub struct NewRequestForm {
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    title: String,
}

/// The form that starts a request: the campaign, and the project's title.
async fn new_request_form(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    association: Uuid,
    form: &NewRequestForm,
    errors: &[FieldError],
) -> HttpResponse {
    let id = AssociationId::from_uuid(association);
    let subject = visitor.subject();
    let allowed = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::CreateRequest(id))?;
            Ok(simpa_app::associations::read(conn, subject, id)?
                .profile
                .name)
        })
        .await;
    let name = match allowed {
        Ok(name) => name,
        Err(error) => return unless_hidden(portal, error),
    };
    let campaigns = match open_campaigns(portal, visitor).await {
        Ok(campaigns) => campaigns,
        Err(answer) => return answer,
    };
    let data = context! {
        association_id => association.to_string(),
        association => name,
        campaigns => campaigns,
        campaign => form.campaign,
        title => form.title,
    };
    let page = errors_page("request_new.html", errors, data);
    form_page(portal, req, page.visitor(visitor))
}

#[get("/associations/{id}/demandes/nouvelle")]
pub async fn new_request_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    let form = NewRequestForm::default();
    new_request_form(&portal, &req, &visitor, path.into_inner(), &form, &[]).await
}

/// Starts a draft in the chosen campaign, then asks its first step.
#[post("/associations/{id}/demandes/nouvelle")]
pub async fn start(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<NewRequestForm>,
) -> HttpResponse {
    let association = path.into_inner();
    let Ok(campaign) = form.campaign.parse::<Uuid>() else {
        let error = field_error(
            "campaign",
            "Choisissez la campagne dans laquelle vous demandez une subvention.",
        );
        return new_request_form(&portal, &req, &visitor, association, &form, &[error]).await;
    };
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let input = ContentInput {
        title: form.title.clone(),
        ..ContentInput::default()
    };
    let started = portal
        .runtime
        .write(move |conn| {
            let id = AssociationId::from_uuid(association);
            let actor = require(conn, subject, Action::CreateRequest(id))?;
            let campaign = CampaignId::from_uuid(campaign);
            requests::start(conn, &actor, id, campaign, input, now)
        })
        .await;
    let errors = match started {
        Ok(request) => return see_other(&format!("/demandes/{}/projet", request.id)),
        Err(RunError::Store(StoreError::Domain(DomainError::Unmet { message, .. })))
        | Err(RunError::Store(StoreError::Domain(DomainError::Conflict { message, .. }))) => {
            vec![field_error("campaign", message)]
        }
        Err(error) => match field_errors(&error) {
            Some(errors) => errors
                .iter()
                .map(|e| match e.field.as_str() {
                    "title" if form.title.trim().is_empty() => {
                        field_error("title", "Saisissez le titre du projet.")
                    }
                    "title" => e.clone(),
                    _ => field_error("campaign", e.message.clone()),
                })
                .collect(),
            None => return unless_hidden(&portal, error),
        },
    };
    new_request_form(&portal, &req, &visitor, association, &form, &errors).await
}

/// The grant as the request's page shows it.
pub(super) fn grant_shown(followed: &Followed, requested_cents: i64, request: Uuid) -> Value {
    let grant = &followed.grant;
    context! {
        voted => euros(grant.cents),
        asked => euros(requested_cents),
        less => grant.cents < requested_cents,
        voted_on => long_french_date(grant.voted_on),
        deliberation => followed.deliberation.as_ref().map(|d| context! {
            reference => d.reference.to_string(),
            title => d.title,
            session_on => long_french_date(d.session_on),
        }),
        installments => grant.installments.iter().map(|i| context! {
            amount => euros(i.cents), due => i.due.label(),
        }).collect::<Vec<_>>(),
        payments => grant.payments.iter().map(|p| context! {
            amount => euros(p.cents), paid_on => long_french_date(p.paid_on), reference => p.reference,
        }).collect::<Vec<_>>(),
        paid => euros(grant.paid_cents),
        left => euros((grant.cents - grant.paid_cents).max(0)),
        report_due_on => long_french_date(grant.final_report_due_on),
        report_accepted_on => grant.report_accepted_on.map(long_french_date),
        agreement => followed.agreement.as_ref().map(|a| context! {
            status => a.status.label(),
            to_sign => a.status == AgreementStatus::Drafted,
            reference => a.reference,
            address => format!("/demandes/{request}/convention"),
        }),
    }
}
