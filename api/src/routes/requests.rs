//! Subsidy requests: an association starts one in a published campaign, edits it, and
//! everyone who may follows where it stands. Actions on requests are in `instruction.rs`.

use crate::access::require;
use crate::auth::{Caller, secrets};
use crate::codes::{
    ActionCode, CircuitCode, FunderCode, NatureCode, OpinionCode, RequestStateCode, VisibilityCode,
};
use crate::etag::{IfMatch, etag};
use crate::idempotency::{self, IdempotencyKey, Replay};
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::routes::campaigns::load_visible;
use crate::routes::documents::{DocumentVersionView, FileView};
use crate::routes::reference::{district_numbers, known_district};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use simpa_domain::budget::{BudgetLine, MAX_LINES, Side};
use simpa_domain::campaign::Sla;
use simpa_domain::campaign::{Campaign, Nature};
use simpa_domain::circuit::{Command, Instructor, Visibility, decide, possible_actions};
use simpa_domain::history::{Event, EventActor, transitions};
use simpa_domain::ids::{
    AssociationId, CampaignId, DirectionId, DistrictNumber, EventId, RequestId,
};
use simpa_domain::policy::{self, Action, Actor, RequestAccess, Subject};
use simpa_domain::reference::Direction;
use simpa_domain::request::{self as rules, Indicator, MAX_INDICATORS, RequestContent};
use simpa_domain::tracking::{Holder, sla_clock, whereabouts};
use simpa_domain::{Checks, DomainError, Violation};
use simpa_persistence::Keyset;
use simpa_persistence::StoreError;
use simpa_persistence::accounts::load_actor;
use simpa_persistence::instruction::{self, Author};
use simpa_persistence::requests::{RequestFilter, StoredRequest, ViewAtRead};
use simpa_persistence::{
    DbConnection, StoreResult, accounts, associations, campaigns, history, reference, requests,
    service_accounts,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct BudgetLineFields {
    /// A CERFA account: 60–69 charges, 70–79 income, 86/87 in kind, or a sub-account (756).
    #[schema(example = "74")]
    pub account: String,
    /// For account 74 only: who pays (`commune` is the city asked).
    pub funder: Option<FunderCode>,
    #[schema(example = "Subvention demandée à la Ville de Paris")]
    pub label: String,
    /// Whole euros, in cents (a multiple of 100).
    #[schema(example = 400000)]
    pub amount_cents: i64,
}

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct IndicatorFields {
    #[schema(example = "Jeunes accompagnés")]
    pub name: String,
    #[schema(example = "personnes")]
    pub unit: String,
    #[schema(example = 80)]
    pub target: i64,
}

/// What the association writes in a request (CERFA 12156, section 6 and the project budget).
/// A draft may be incomplete; submitting checks everything.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct RequestFields {
    #[schema(example = "Ateliers d'écriture pour les jeunes du quartier")]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub objectives: String,
    #[serde(default)]
    pub target_public: String,
    pub expected_beneficiaries: Option<u32>,
    /// Districts where the project takes place.
    #[serde(default)]
    pub districts: Vec<i32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Defaults to the campaign's.
    pub nature: Option<NatureCode>,
    /// An earlier request of the same association that this one renews.
    pub renews_request_id: Option<Uuid>,
    /// What is asked of the city, in cents: the 74 `commune` lines of the budget.
    #[serde(default)]
    pub requested_cents: i64,
    #[serde(default)]
    pub budget: Vec<BudgetLineFields>,
    #[serde(default)]
    pub indicators: Vec<IndicatorFields>,
}

impl RequestFields {
    /// Checks every field at once; completeness waits for submission.
    fn into_content(
        self,
        known_districts: &[i32],
        default_nature: Nature,
    ) -> Result<RequestContent, DomainError> {
        let mut c = Checks::default();
        let title = c.check("title", rules::parse_title(&self.title));
        let summary = c.check("summary", rules::parse_text(&self.summary));
        let objectives = c.check("objectives", rules::parse_text(&self.objectives));
        let target_public = c.check("target_public", rules::parse_text(&self.target_public));
        let requested_cents = c.check(
            "requested_cents",
            rules::parse_requested_cents(self.requested_cents),
        );
        let mut districts = Vec::new();
        for (i, n) in self.districts.iter().enumerate() {
            match known_district(known_districts, format!("districts[{i}]"), *n) {
                Ok(district) if !districts.contains(&district) => districts.push(district),
                Ok(_) => {}
                Err(e) => c.push(e),
            }
        }
        let start_date = c.check(
            "start_date",
            self.start_date.map(rules::parse_project_date).transpose(),
        );
        let end_date = c.check(
            "end_date",
            self.end_date.map(rules::parse_project_date).transpose(),
        );
        if self.expected_beneficiaries.is_some_and(|n| n > 100_000_000) {
            c.push(
                Violation::new(
                    "beneficiaries.out_of_range",
                    "Au plus 100 millions de bénéficiaires.",
                )
                .at("expected_beneficiaries"),
            );
        }
        if self.budget.len() > MAX_LINES {
            c.push(
                Violation::new(
                    "budget.too_many_lines",
                    format!("Au plus {MAX_LINES} lignes."),
                )
                .at("budget"),
            );
        }
        let lines: Vec<BudgetLine> = self
            .budget
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                BudgetLine::parse(
                    i,
                    &l.account,
                    l.funder.map(|f| f.0),
                    &l.label,
                    l.amount_cents,
                )
                .map_err(|e| c.extend(e))
                .ok()
            })
            .collect();
        if self.indicators.len() > MAX_INDICATORS {
            c.push(
                Violation::new(
                    "indicators.too_many",
                    format!("Au plus {MAX_INDICATORS} indicateurs."),
                )
                .at("indicators"),
            );
        }
        let indicators: Vec<Indicator> = self
            .indicators
            .iter()
            .enumerate()
            .filter_map(|(i, ind)| {
                Indicator::parse(i, &ind.name, &ind.unit, ind.target)
                    .map_err(|e| c.extend(e))
                    .ok()
            })
            .collect();
        let (
            Some(title),
            Some(summary),
            Some(objectives),
            Some(target_public),
            Some(requested_cents),
            Some(start_date),
            Some(end_date),
        ) = (
            title,
            summary,
            objectives,
            target_public,
            requested_cents,
            start_date,
            end_date,
        )
        else {
            return Err(c.into_error());
        };
        c.finish()?;
        Ok(RequestContent {
            title,
            summary,
            objectives,
            target_public,
            expected_beneficiaries: self.expected_beneficiaries,
            districts,
            start_date,
            end_date,
            nature: self.nature.map_or(default_nature, |n| n.0),
            renews: self.renews_request_id.map(RequestId::from_uuid),
            requested_cents,
            budget: simpa_domain::budget::Budget { lines },
            indicators,
        })
    }

    fn from_content(c: RequestContent) -> RequestFields {
        RequestFields {
            title: c.title,
            summary: c.summary,
            objectives: c.objectives,
            target_public: c.target_public,
            expected_beneficiaries: c.expected_beneficiaries,
            districts: c.districts.iter().map(|d| d.0).collect(),
            start_date: c.start_date,
            end_date: c.end_date,
            nature: Some(NatureCode(c.nature)),
            renews_request_id: c.renews.map(RequestId::uuid),
            requested_cents: c.requested_cents,
            budget: c
                .budget
                .lines
                .into_iter()
                .map(|l| BudgetLineFields {
                    account: l.account.as_str().to_owned(),
                    funder: l.funder.map(FunderCode),
                    label: l.label,
                    amount_cents: l.amount_cents,
                })
                .collect(),
            indicators: c
                .indicators
                .into_iter()
                .map(|i| IndicatorFields {
                    name: i.name,
                    unit: i.unit,
                    target: i.target,
                })
                .collect(),
        }
    }
}

/// Starting a request: in which campaign, for which association, and its first content.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewRequest {
    pub campaign_id: Uuid,
    pub association_id: Uuid,
    #[serde(flatten)]
    pub fields: RequestFields,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignRef {
    pub id: Uuid,
    pub code: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssociationRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DirectionRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// Who the request waits for.
#[derive(Serialize, ToSchema)]
pub struct HolderView {
    /// `association`, `bureau`, `district`, `instructors` or `nobody`.
    pub kind: &'static str,
    pub label: String,
    pub district_number: Option<i32>,
    /// For `instructors`: the directions whose opinion is awaited.
    pub directions: Vec<DirectionRef>,
}

/// Time with the city against the campaign's deadlines; time waiting for the association
/// apart (it stops the city's clock).
#[derive(Serialize, ToSchema)]
pub struct SlaView {
    pub days_with_city: i64,
    pub days_with_association: i64,
    /// `admissibility` or `instruction`; absent outside these steps.
    pub step: Option<&'static str>,
    pub days_in_step: i64,
    pub sla_days: Option<u32>,
    /// Absent while waiting for the association.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BudgetSummary {
    pub charges_cents: i64,
    pub income_cents: i64,
    pub in_kind_cents: i64,
    pub city_subsidy_cents: i64,
    /// The share of the project's income asked of the city, in hundredths of a percent.
    pub city_share_basis_points: Option<i64>,
}

/// One event of the history. The association sees only public events, without internal
/// notes and, but for what was asked of it, without details.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub seq: i32,
    pub action: ActionCode,
    pub action_label: &'static str,
    pub from_state: Option<RequestStateCode>,
    pub to_state: RequestStateCode,
    pub to_state_label: &'static str,
    pub at: DateTime<Utc>,
    /// `association` or `city`.
    pub by: &'static str,
    /// The person or API client who acted: shown to the association for its own members only.
    pub actor_name: Option<String>,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<VisibilityCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct OpinionView {
    pub opinion: OpinionCode,
    pub label: &'static str,
    pub proposed_cents: i64,
    pub public_comment: Option<String>,
    pub internal_comment: Option<String>,
    pub given_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct InstructorView {
    /// `direction:<id>` or `district:<n>`.
    pub instructor: String,
    pub direction: Option<DirectionRef>,
    pub district_number: Option<i32>,
    pub lead: bool,
    pub opinion: Option<OpinionView>,
}

/// The city's side of instruction: staff only.
#[derive(Serialize, ToSchema)]
pub struct InstructionView {
    pub proposed_cents: Option<i64>,
    pub instructors: Vec<InstructorView>,
}

/// A document version attached to a request when it was submitted: fixed once attached (the
/// city's review of it is on the association's documents).
#[derive(Serialize, ToSchema)]
pub struct AttachedDocumentView {
    pub id: Uuid,
    pub kind: String,
    pub fiscal_year: Option<i32>,
    pub valid_until: Option<NaiveDate>,
    pub event_date: Option<NaiveDate>,
    pub file: Option<FileView>,
    pub filed_at: DateTime<Utc>,
}

impl From<DocumentVersionView> for AttachedDocumentView {
    fn from(v: DocumentVersionView) -> Self {
        AttachedDocumentView {
            id: v.id,
            kind: v.kind,
            fiscal_year: v.fiscal_year,
            valid_until: v.valid_until,
            event_date: v.event_date,
            file: v.file,
            filed_at: v.filed_at,
        }
    }
}

/// A request, as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct RequestView {
    pub id: Uuid,
    /// `YYYY_NNNNN`, given at submission.
    pub number: Option<String>,
    pub campaign: CampaignRef,
    pub association: AssociationRef,
    pub circuit: CircuitCode,
    pub local_district: Option<i32>,
    pub state: RequestStateCode,
    pub state_label: &'static str,
    pub state_since: DateTime<Utc>,
    pub holder: HolderView,
    pub next_step: String,
    pub sla: SlaView,
    /// What the caller may do now (`POST …/actions`).
    pub possible_actions: Vec<ActionCode>,
    #[serde(flatten)]
    pub fields: RequestFields,
    pub budget_summary: BudgetSummary,
    /// The document versions attached at submission; later replacements do not change them.
    pub documents: Vec<AttachedDocumentView>,
    pub timeline: Vec<EventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<InstructionView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl RequestView {
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ETag", etag(self.version)),
            ("Location", format!("/api/v1/requests/{}", self.id)),
        ]
    }
}

fn direction_ref(directions: &[Direction], id: DirectionId) -> DirectionRef {
    directions.iter().find(|d| d.id == id).map_or_else(
        || DirectionRef {
            id: id.uuid(),
            code: "?".into(),
            name: "?".into(),
        },
        |d| DirectionRef {
            id: d.id.uuid(),
            code: d.code.clone(),
            name: d.name.clone(),
        },
    )
}

fn holder_view(holder: Holder, directions: &[Direction]) -> HolderView {
    let mut view = HolderView {
        kind: "nobody",
        label: String::new(),
        district_number: None,
        directions: vec![],
    };
    match holder {
        Holder::Association => (view.kind, view.label) = ("association", "L'association".into()),
        Holder::Bureau => (view.kind, view.label) = ("bureau", "Bureau des subventions".into()),
        Holder::District(n) => {
            (view.kind, view.label) = (
                "district",
                format!(
                    "Mairie du {} arrondissement",
                    simpa_domain::circuit::ordinal(n)
                ),
            );
            view.district_number = Some(n.0);
        }
        Holder::Instructors(awaited) => {
            view.kind = "instructors";
            for instructor in awaited {
                match instructor {
                    Instructor::Direction(d) => view.directions.push(direction_ref(directions, d)),
                    Instructor::District(n) => view.district_number = Some(n.0),
                }
            }
            let codes: Vec<String> = view.directions.iter().map(|d| d.code.clone()).collect();
            view.label = match view.district_number {
                Some(n) => format!(
                    "Mairie du {} arrondissement",
                    simpa_domain::circuit::ordinal(DistrictNumber(n))
                ),
                None => codes.join(", "),
            };
        }
        Holder::Nobody => view.label = "Personne : la demande est close".into(),
    }
    view
}

/// An event as the caller sees it; `position` numbers the association's (public) timeline,
/// which shows no gap where internal events are.
fn event_view(event: Event, internal: bool, position: usize) -> EventView {
    let by_association = event.action.is_the_applicants();
    let public_details = internal || event.action.details_are_public();
    EventView {
        seq: if internal {
            event.seq
        } else {
            i32::try_from(position).unwrap_or(i32::MAX)
        },
        action: ActionCode(event.action),
        action_label: event.action.label(),
        from_state: event.from.map(RequestStateCode),
        to_state: RequestStateCode(event.to),
        to_state_label: event.to.label(),
        at: event.at,
        by: if by_association {
            "association"
        } else {
            "city"
        },
        actor_name: (internal || by_association).then_some(event.actor.name),
        message: event.public_message,
        visibility: internal.then_some(VisibilityCode(event.visibility)),
        internal_note: event.internal_note.filter(|_| internal),
        details: serde_json::from_str(&event.details)
            .ok()
            .filter(|_| public_details),
    }
}

/// The days in a duration, rounded down.
fn days(duration: chrono::Duration) -> i64 {
    duration.num_days()
}

/// What the SLA clock runs on, kept with the association's rendered view so that its times
/// are computed at each read.
#[derive(Serialize, Deserialize)]
pub(crate) struct ClockInputs {
    resume_state: Option<RequestStateCode>,
    transitions: Vec<(DateTime<Utc>, RequestStateCode)>,
    admissibility_days: u32,
    instruction_days: u32,
}

impl ClockInputs {
    fn new(request: &StoredRequest, campaign: &Campaign, events: &[Event]) -> ClockInputs {
        ClockInputs {
            resume_state: request.facts.resume_state.map(RequestStateCode),
            transitions: transitions(events)
                .into_iter()
                .map(|(at, state)| (at, RequestStateCode(state)))
                .collect(),
            admissibility_days: campaign.settings.sla.admissibility_days,
            instruction_days: campaign.settings.sla.instruction_days,
        }
    }

    fn view(&self, now: DateTime<Utc>) -> SlaView {
        let transitions: Vec<(DateTime<Utc>, simpa_domain::request::RequestState)> =
            self.transitions.iter().map(|(at, s)| (*at, s.0)).collect();
        let sla = Sla {
            admissibility_days: self.admissibility_days,
            instruction_days: self.instruction_days,
        };
        let clock = sla_clock(&transitions, self.resume_state.map(|s| s.0), &sla, now);
        SlaView {
            days_with_city: days(clock.with_city),
            days_with_association: days(clock.with_association),
            step: clock.step.map(|s| s.code()),
            days_in_step: days(clock.step_elapsed),
            sla_days: clock.step_allowed_days,
            overdue: clock.is_overdue(now),
            due_at: clock.due_at,
        }
    }
}

/// Everything the caller may see of a request, in a few queries.
pub(crate) fn request_view(
    conn: &mut DbConnection,
    actor: &Actor,
    request: StoredRequest,
    now: DateTime<Utc>,
) -> StoreResult<RequestView> {
    render(conn, actor, request, now).map(|(view, _)| view)
}

fn render(
    conn: &mut DbConnection,
    actor: &Actor,
    request: StoredRequest,
    now: DateTime<Utc>,
) -> StoreResult<(RequestView, ClockInputs)> {
    let access = request.access();
    let internal = policy::sees_internal(actor, &access);
    let parties = policy::parties(actor, request.association);
    let campaign = campaigns::get(conn, request.campaign)?
        .ok_or(DomainError::NotFound { what: "campaign" })?;
    let association = associations::name(conn, request.association)?;
    let events = history::events(conn, request.id)?;
    let documents = requests::snapshot(conn, request.id)?;
    let directions = reference::directions(conn)?;
    let (holder, next_step) = whereabouts(&request.facts);
    let clock = ClockInputs::new(&request, &campaign, &events);
    let budget = &request.content.budget;
    let instruction = internal.then(|| InstructionView {
        proposed_cents: request.facts.proposed_cents,
        instructors: request
            .facts
            .instructors
            .iter()
            .map(|a| InstructorView {
                instructor: a.instructor.key(),
                direction: match a.instructor {
                    Instructor::Direction(d) => Some(direction_ref(&directions, d)),
                    Instructor::District(_) => None,
                },
                district_number: match a.instructor {
                    Instructor::District(n) => Some(n.0),
                    Instructor::Direction(_) => None,
                },
                lead: a.lead,
                opinion: a.opinion.as_ref().map(|o| OpinionView {
                    opinion: OpinionCode(o.value),
                    label: o.value.label(),
                    proposed_cents: o.proposed_cents,
                    public_comment: o.public_comment.clone(),
                    internal_comment: o.internal_comment.clone(),
                    given_at: o.given_at,
                }),
            })
            .collect(),
    });
    let view = RequestView {
        id: request.id.uuid(),
        number: request.number.map(|n| n.to_string()),
        campaign: CampaignRef {
            id: campaign.id.uuid(),
            code: campaign.settings.code.clone(),
            title: campaign.settings.title.clone(),
        },
        association: AssociationRef {
            id: request.association.uuid(),
            name: association,
        },
        circuit: CircuitCode(request.facts.circuit),
        local_district: request.facts.local_district.map(|d| d.0),
        state: RequestStateCode(request.facts.state),
        state_label: request.facts.state.label(),
        state_since: request.state_since,
        holder: holder_view(holder, &directions),
        next_step,
        sla: clock.view(now),
        possible_actions: possible_actions(&request.facts, &parties)
            .into_iter()
            .map(ActionCode)
            .collect(),
        budget_summary: BudgetSummary {
            charges_cents: budget.total(Side::Charge),
            income_cents: budget.total(Side::Income),
            in_kind_cents: budget.total(Side::InKindUse),
            city_subsidy_cents: budget.city_subsidy_cents(),
            city_share_basis_points: budget.city_share_basis_points(),
        },
        documents: documents
            .into_iter()
            .map(|v| AttachedDocumentView::from(DocumentVersionView::from(v)))
            .collect(),
        timeline: events
            .into_iter()
            .filter(|e| internal || e.visibility == Visibility::Public)
            .enumerate()
            .map(|(i, e)| event_view(e, internal, i + 1))
            .collect(),
        instruction,
        version: request.version,
        created_at: request.created_at,
        submitted_at: request.submitted_at,
        updated_at: request.updated_at,
        fields: RequestFields::from_content(request.content),
    };
    Ok((view, clock))
}

/// The association's view rendered for the request's current version: the view without
/// what may change while the request does not (the names of its campaign and association)
/// nor what depends on the time of reading (the clock), and what the clock needs.
fn render_for_association(
    conn: &mut DbConnection,
    actor: &Actor,
    request: StoredRequest,
    now: DateTime<Utc>,
) -> StoreResult<(String, String)> {
    let (view, clock) = render(conn, actor, request, now)?;
    let unserialisable = |e: serde_json::Error| StoreError::Corrupt(format!("request view: {e}"));
    let mut body = serde_json::to_value(&view).map_err(unserialisable)?;
    if let Some(fields) = body.as_object_mut() {
        for read_time in ["campaign", "association", "sla"] {
            fields.remove(read_time);
        }
    }
    Ok((
        serde_json::to_string(&body).map_err(unserialisable)?,
        serde_json::to_string(&clock).map_err(unserialisable)?,
    ))
}

/// The association's view at read time: the rendered body with the names and the clock of now.
fn association_view(
    at_read: &ViewAtRead,
    body: &str,
    clock: &str,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let corrupt = |e: serde_json::Error| {
        StoreError::Corrupt(format!("request view of {}: {e}", at_read.campaign))
    };
    let clock: ClockInputs = serde_json::from_str(clock).map_err(corrupt)?;
    let head = serde_json::to_string(&serde_json::json!({
        "campaign": CampaignRef { id: at_read.campaign.uuid(), code: at_read.campaign_code.clone(), title: at_read.campaign_title.clone() },
        "association": AssociationRef { id: at_read.association.uuid(), name: at_read.association_name.clone() },
        "sla": clock.view(now),
    }))
    .map_err(corrupt)?;
    // Both are JSON objects: `{head…}` and `{body…}` make `{head…,body…}`.
    match (head.strip_suffix('}'), body.strip_prefix('{')) {
        (Some(head), Some(rest)) if rest != "}" => Ok(format!("{head},{rest}")),
        _ => Err(StoreError::Corrupt(
            "request view: not a JSON object".into(),
        )),
    }
}

/// The caller and the request, if the caller may see it; otherwise 404 (401 when anonymous),
/// exactly as if it did not exist. `lock` keeps the request's row until the transaction ends.
pub(crate) fn load_readable(
    conn: &mut DbConnection,
    caller: Caller,
    id: RequestId,
    lock: bool,
) -> StoreResult<(Actor, StoredRequest)> {
    let actor = load_actor(conn, caller.0)?;
    let request = load_readable_as(conn, &actor, id, lock)?;
    Ok((actor, request))
}

fn load_readable_as(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
    lock: bool,
) -> StoreResult<StoredRequest> {
    let request = if lock {
        requests::get_locked(conn, id)?
    } else {
        requests::get(conn, id)?
    };
    let access = request.as_ref().map_or_else(
        // A request that does not exist is refused like someone else's draft.
        || RequestAccess {
            association: AssociationId::from_uuid(Uuid::nil()),
            submitted: false,
            local_district: None,
            instructors: vec![],
        },
        StoredRequest::access,
    );
    policy::authorize(actor, Action::ReadRequest(access))?;
    request.ok_or_else(|| DomainError::NotFound { what: "request" }.into())
}

/// Who acted, as the history records it.
pub(crate) fn event_actor(conn: &mut DbConnection, actor: &Actor) -> StoreResult<EventActor> {
    Ok(match actor {
        Actor::Person { id, .. } => EventActor {
            account: Some(*id),
            service: None,
            name: accounts::get(conn, *id)?.map_or_else(|| "?".into(), |a| a.display_name),
        },
        Actor::Service { id, .. } => EventActor {
            account: None,
            service: Some(*id),
            name: service_accounts::get(conn, *id)?.map_or_else(|| "?".into(), |s| s.name),
        },
        Actor::Anonymous => EventActor {
            account: None,
            service: None,
            name: "?".into(),
        },
    })
}

/// The author of an event: who acts, and a new event id.
pub(crate) fn author(conn: &mut DbConnection, actor: &Actor) -> StoreResult<Author> {
    Ok(Author {
        event: EventId::from_uuid(Uuid::now_v7()),
        actor: event_actor(conn, actor)?,
    })
}

/// Who sent a request, for idempotency keys.
pub(crate) fn owner(actor: &Actor) -> String {
    match actor {
        Actor::Person { id, .. } => id.to_string(),
        Actor::Service { id, .. } => format!("service:{id}"),
        Actor::Anonymous => "anonymous".into(),
    }
}

fn check_renewal(
    conn: &mut DbConnection,
    content: &RequestContent,
    association: AssociationId,
    itself: Option<RequestId>,
) -> StoreResult<()> {
    if let Some(renews) = content.renews
        && (Some(renews) == itself || !requests::belongs_to(conn, renews, association)?)
    {
        return Err(DomainError::invalid(
            "renews_request_id",
            Violation::new(
                "request.renews_unknown",
                "Une demande renouvelée est une demande antérieure de la même association.",
            ),
        )
        .into());
    }
    Ok(())
}

fn respond(mut response: actix_web::HttpResponseBuilder, view: &RequestView) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(view.version)))
        .json(view)
}

const CREATE: &str = "create_request";

/// Starts a request (a draft) in a published campaign, in the name of one of the caller's
/// associations. Only the association sees it until it is submitted.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body is answered like the first call, and creates nothing more.")),
    request_body = NewRequest,
    responses(
        (status = 201, body = RequestView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewRequest>,
) -> Result<HttpResponse, Problem> {
    let fingerprint = secrets::sha256_hex(&body.raw);
    let input = body.value;
    let now = state.now();
    let outcome: Result<RequestView, Replay> = state
        .write(move |conn| {
            let association = AssociationId::from_uuid(input.association_id);
            let actor = require(conn, caller, Action::CreateRequest(association))?;
            let owner = owner(&actor);
            if let Some(replay) = idempotency::replay(conn, &owner, &key, CREATE, &fingerprint)? {
                return Ok(Err(replay));
            }
            existed_association(conn, association)?;
            let (_, campaign) =
                load_visible(conn, caller, CampaignId::from_uuid(input.campaign_id))?;
            campaign.check_accepts_drafts(now)?;
            let content = input
                .fields
                .into_content(&district_numbers(conn)?, campaign.settings.nature)?;
            check_renewal(conn, &content, association, None)?;
            let id = RequestId::from_uuid(Uuid::now_v7());
            let author = author(conn, &actor)?;
            instruction::start_draft(conn, id, &campaign, association, &content, author, now)?;
            let request =
                requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
            let view = request_view(conn, &actor, request, now)?;
            idempotency::remember(
                conn,
                &owner,
                &key,
                CREATE,
                &fingerprint,
                201,
                &view.headers(),
                &view,
                now,
            )?;
            Ok(Ok(view))
        })
        .await?;
    Ok(idempotency::created(outcome, RequestView::headers))
}

fn existed_association(conn: &mut DbConnection, id: AssociationId) -> StoreResult<()> {
    crate::routes::existed(associations::exists(conn, id)?, "association")
}

/// A request: for the association, where it stands, since when, what happens next, who holds
/// it, its documents and its public timeline; for the city's staff who may see it, the
/// internal events, notes and opinions too.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    responses((status = 200, body = RequestView, headers(("ETag" = String))), (status = 404, response = responses::NotFound))
)]
#[get("/requests/{request_id}")]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let now = state.now();
    let (version, body, to_keep) = state
        .read(move |conn| {
            // The association reading its own request: one query when its view is rendered.
            let own = match caller.0 {
                Some(Subject::Person(reader)) => requests::view_at_read(conn, id, reader)?
                    .filter(|at_read| at_read.read_by_member),
                _ => None,
            };
            if let Some(at_read) = own {
                let (rendered, fresh) = match at_read.rendered.clone() {
                    Some(rendered) => (rendered, false),
                    None => {
                        let (actor, request) = load_readable(conn, caller, id, false)?;
                        (render_for_association(conn, &actor, request, now)?, true)
                    }
                };
                let body = association_view(&at_read, &rendered.0, &rendered.1, now)?;
                return Ok((at_read.version, body, fresh.then_some(rendered)));
            }
            let (actor, request) = load_readable(conn, caller, id, false)?;
            let view = request_view(conn, &actor, request, now)?;
            let body = serde_json::to_string(&view)
                .map_err(|e| StoreError::Corrupt(format!("request view: {e}")))?;
            Ok((view.version, body, None))
        })
        .await?;
    if let Some((rendered, clock)) = to_keep {
        // Only saves work for the next reads: a failure here changes nothing for this one.
        let kept = state
            .write(move |conn| requests::keep_view(conn, id, version, &rendered, &clock))
            .await;
        if let Err(problem) = kept {
            tracing::warn!(%problem, "the rendered view of a request was not kept");
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag(version)))
        .body(body))
}

/// Replaces what the request says (`If-Match`: the `ETag` read): while it is a draft, or
/// incomplete when the city asked for more. The association's members only.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("If-Match" = String, Header, description = "The ETag of the version edited")),
    request_body = RequestFields,
    responses(
        (status = 200, body = RequestView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/requests/{request_id}")]
pub async fn update_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RequestFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let now = state.now();
    let view = state
        .write(move |conn| {
            let (actor, request) = load_readable(conn, caller, id, true)?;
            let parties = policy::parties(&actor, request.association);
            let outcome = decide(
                &request.facts,
                Command::Edit,
                &parties,
                now,
                now.date_naive(),
            )?;
            let expected = if_match.expected(request.version);
            simpa_domain::association::check_version(request.version, expected)?;
            let campaign = campaigns::get(conn, request.campaign)?
                .ok_or(DomainError::NotFound { what: "campaign" })?;
            let content = input.into_content(&district_numbers(conn)?, campaign.settings.nature)?;
            check_renewal(conn, &content, request.association, Some(id))?;
            requests::update_content(conn, id, &content, expected, now)?;
            let edited =
                requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
            let author = author(conn, &actor)?;
            let change =
                instruction::record_action(conn, &edited, &campaign, outcome, author, None, now)?;
            let request =
                requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
            let view = request_view(conn, &actor, request, now)?;
            instruction::publish(conn, change)?;
            Ok(view)
        })
        .await?;
    Ok(respond(HttpResponse::Ok(), &view))
}

/// A line of a list of requests.
#[derive(Serialize, ToSchema)]
pub struct RequestSummary {
    pub id: Uuid,
    pub number: Option<String>,
    pub title: String,
    pub association: AssociationRef,
    pub campaign: CampaignRef,
    pub circuit: CircuitCode,
    pub state: RequestStateCode,
    pub state_label: &'static str,
    pub state_since: DateTime<Utc>,
    pub requested_cents: i64,
    /// For the city's staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_cents: Option<i64>,
    /// When the current step is due (absent while waiting for the association).
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Summaries of a page of requests: association names and campaigns in two queries.
pub(crate) fn summaries(
    conn: &mut DbConnection,
    actor: &Actor,
    items: Vec<StoredRequest>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<RequestSummary>> {
    let association_ids: Vec<AssociationId> = items.iter().map(|r| r.association).collect();
    let names = associations::names(conn, &association_ids)?;
    let campaign_ids: Vec<CampaignId> = items.iter().map(|r| r.campaign).collect();
    let campaigns = campaigns::get_many(conn, &campaign_ids)?;
    Ok(items
        .into_iter()
        .map(|r| {
            let internal = policy::sees_internal(actor, &r.access());
            let name = names
                .iter()
                .find(|(id, _)| *id == r.association)
                .map_or_else(String::new, |(_, n)| n.clone());
            let campaign = campaigns.iter().find(|c| c.id == r.campaign);
            RequestSummary {
                id: r.id.uuid(),
                number: r.number.map(|n| n.to_string()),
                title: r.content.title,
                association: AssociationRef {
                    id: r.association.uuid(),
                    name,
                },
                campaign: CampaignRef {
                    id: r.campaign.uuid(),
                    code: campaign.map_or_else(String::new, |c| c.settings.code.clone()),
                    title: campaign.map_or_else(String::new, |c| c.settings.title.clone()),
                },
                circuit: CircuitCode(r.facts.circuit),
                state: RequestStateCode(r.facts.state),
                state_label: r.facts.state.label(),
                state_since: r.state_since,
                requested_cents: r.content.requested_cents,
                proposed_cents: r.facts.proposed_cents.filter(|_| internal),
                overdue: r.sla_due_at.is_some_and(|due| due < now),
                due_at: r.sla_due_at,
                submitted_at: r.submitted_at,
                created_at: r.created_at,
            }
        })
        .collect())
}

#[derive(Deserialize, IntoParams)]
pub struct RequestQuery {
    /// Only requests in this state.
    pub state: Option<RequestStateCode>,
    pub campaign_id: Option<Uuid>,
    pub association_id: Option<Uuid>,
    /// Only requests this direction instructs.
    pub direction_id: Option<Uuid>,
    /// Only requests of associations whose head office is in this district.
    pub district: Option<i32>,
    /// Only requests of associations working in this sector.
    pub sector: Option<String>,
    pub min_requested_cents: Option<i64>,
    pub max_requested_cents: Option<i64>,
    /// Submitted on or after this day (city time).
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this day (city time).
    pub submitted_until: Option<NaiveDate>,
    /// Only requests past the deadline of their step.
    pub overdue: Option<bool>,
    /// A number (`2026_04217`) or words of the title.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// The start of a day in the city, as a UTC instant.
fn start_of(day: NaiveDate, timezone: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    timezone
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl RequestQuery {
    /// The filter, its dates read in the city's time; dates beyond belief are refused.
    pub(crate) fn filter(
        &self,
        now: DateTime<Utc>,
        timezone: Tz,
    ) -> Result<RequestFilter, Problem> {
        let day = |field: &str,
                   date: Option<NaiveDate>,
                   next: bool|
         -> Result<Option<DateTime<Utc>>, Problem> {
            let Some(date) = date else { return Ok(None) };
            let date = rules::parse_project_date(date).map_err(|v| {
                Problem::bad_request(
                    "query.invalid",
                    "Un paramètre de la requête n'est pas valide : voir le détail.",
                    vec![v.at(field)],
                )
            })?;
            let date = if next {
                date.succ_opt().unwrap_or(date)
            } else {
                date
            };
            Ok(start_of(date, timezone))
        };
        Ok(RequestFilter {
            states: self.state.map(|s| vec![s.0]).unwrap_or_default(),
            campaign: self.campaign_id.map(CampaignId::from_uuid),
            association: self.association_id.map(AssociationId::from_uuid),
            instructor: self
                .direction_id
                .map(|d| Instructor::Direction(DirectionId::from_uuid(d))),
            district: self.district.map(DistrictNumber),
            sector: self.sector.clone(),
            min_requested_cents: self.min_requested_cents,
            max_requested_cents: self.max_requested_cents,
            submitted_from: day("submitted_from", self.submitted_from, false)?,
            submitted_until: day("submitted_until", self.submitted_until, true)?,
            overdue_at: self.overdue.filter(|o| *o).map(|_| now),
            text: self.q.clone(),
        })
    }
}

/// Lists and searches requests, the latest first. Each caller sees its scope: an
/// association its own (drafts included); the bureau every submitted request; a direction
/// those it instructs; a town hall its district's local ones.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(RequestQuery),
    responses((status = 200, body = Page<RequestSummary>), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<RequestQuery>,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    summary_page(
        &state,
        caller,
        query.0,
        Action::ListRequests,
        |conn, actor, filter, after, limit| {
            requests::list(conn, &policy::request_scope(actor), filter, after, limit)
        },
    )
    .await
}

/// A page of requests as summaries, for a caller the `action` admits, fetched by `fetch`.
pub(crate) async fn summary_page(
    state: &AppState,
    caller: Caller,
    query: RequestQuery,
    action: Action,
    fetch: impl FnOnce(
        &mut DbConnection,
        &Actor,
        &RequestFilter,
        Option<&Keyset>,
        usize,
    ) -> StoreResult<simpa_persistence::Page<StoredRequest>>
    + Send
    + 'static,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let now = state.now();
    let filter = query.filter(now, state.config.timezone)?;
    let page = state
        .read(move |conn| {
            let actor = require(conn, caller, action)?;
            let page = fetch(conn, &actor, &filter, after.as_ref(), limit)?;
            let next = page.next.clone();
            let items = summaries(conn, &actor, page.items, now)?;
            Ok(simpa_persistence::Page { items, next })
        })
        .await?;
    Ok(web::Json(Page::from_stored(page, |s| s)))
}
