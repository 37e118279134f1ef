//! What callers see of requests: the association's view (rendered once per version of the
//! request and kept, its clock computed at each read), the staff's view with the city's side of
//! instruction, and the lines of lists.

use crate::codes::{ActionCode, CircuitCode, OpinionCode, RequestStateCode, VisibilityCode};
use crate::etag::etag;
use crate::views::documents::{DocumentVersionView, FileView};
use crate::views::request_fields::RequestFields;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use simpa_app::clock::CityNow;
use simpa_app::instruction::RequestFile;
use simpa_domain::budget::Side;
use simpa_domain::circuit::{Visibility, possible_actions};
use simpa_domain::history::Event;
use simpa_domain::ids::DirectionId;
use simpa_domain::life::{RequestLine, StoredRequest};
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Actor};
use simpa_domain::reference::Direction;
use simpa_domain::tracking::Holder;
use simpa_domain::tracking::SlaClock;
use simpa_persistence::StoreError;
use simpa_persistence::{DbConnection, StoreResult, reference};
use utoipa::ToSchema;
use uuid::Uuid;

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
    /// `association`, `bureau`, `finance` (a payment to make), `district`, `instructors` or
    /// `nobody`.
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

impl BudgetSummary {
    pub(crate) fn of(budget: &simpa_domain::budget::Budget) -> BudgetSummary {
        BudgetSummary {
            charges_cents: budget.total(Side::Charge),
            income_cents: budget.total(Side::Income),
            in_kind_cents: budget.total(Side::InKindUse),
            city_subsidy_cents: budget.city_subsidy_cents(),
            city_share_basis_points: budget.city_share_basis_points(),
        }
    }
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
    /// What the caller may do now: `edit` is `PUT /api/v1/requests/{id}`, every other action
    /// `POST /api/v1/requests/{id}/actions`.
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
        label: holder.in_words(|d| direction_ref(directions, d).code),
        district_number: None,
        directions: vec![],
    };
    match holder {
        Holder::Association => view.kind = "association",
        Holder::Bureau => view.kind = "bureau",
        Holder::Finance => view.kind = "finance",
        Holder::District(n) => {
            view.kind = "district";
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
        }
        Holder::Nobody => {}
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

/// The clock of a request at `now`, as the API shows it.
fn sla_view(clock: &SlaClock, now: DateTime<Utc>) -> SlaView {
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

/// Everything the caller may see of a request, in a few queries.
pub(crate) fn request_view(
    conn: &mut DbConnection,
    actor: &Actor,
    request: StoredRequest,
    now: CityNow,
) -> StoreResult<RequestView> {
    let file = RequestFile::load(conn, request)?;
    file_view(conn, actor, file, now)
}

/// What the caller may see of a request's file already read.
pub(crate) fn file_view(
    conn: &mut DbConnection,
    actor: &Actor,
    file: RequestFile,
    now: CityNow,
) -> StoreResult<RequestView> {
    render(conn, actor, file, now).map(|(view, _)| view)
}

fn render(
    conn: &mut DbConnection,
    actor: &Actor,
    file: RequestFile,
    city: CityNow,
) -> StoreResult<(RequestView, Option<DateTime<Utc>>)> {
    let now = city.at;
    let clock = simpa_app::requests::clock(&file, now);
    let RequestFile {
        request,
        campaign,
        association,
        events,
        documents,
    } = file;
    let access = request.access();
    let internal = policy::sees_internal(actor, &access);
    let parties = policy::parties(actor, request.association);
    // Directions are named only when one instructs.
    let directions = if request
        .facts
        .instructors
        .iter()
        .any(|a| matches!(a.instructor, Instructor::Direction(_)))
    {
        reference::directions(conn)?
    } else {
        vec![]
    };
    let (holder, next_step) = simpa_app::tracking::standing(conn, &request, city.timezone)?;
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
        sla: sla_view(&clock, now),
        possible_actions: possible_actions(&request.facts, &parties)
            .into_iter()
            .map(ActionCode)
            .collect(),
        budget_summary: BudgetSummary::of(&request.content.budget),
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
    Ok((view, clock.reads_the_same_until))
}

/// The shape of the association's kept views: raise it when `RequestView` changes, and
/// views kept by an earlier build are rendered again.
pub(crate) const VIEW_FORMAT: &str = "3";

/// A request's view as the caller may see it, as JSON: its version, its body, and until when
/// its clock reads the same (what a kept copy of it is good for).
pub(crate) fn view_json(
    conn: &mut DbConnection,
    actor: &Actor,
    request: StoredRequest,
    now: CityNow,
) -> StoreResult<(i64, String, Option<DateTime<Utc>>)> {
    let file = RequestFile::load(conn, request)?;
    let (view, fresh_until) = render(conn, actor, file, now)?;
    let body = serde_json::to_string(&view)
        .map_err(|e| StoreError::Corrupt(format!("request view: {e}")))?;
    Ok((view.version, body, fresh_until))
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

/// Summaries of a page of requests (see [`app::summaries`]).
pub(crate) fn summaries(
    conn: &mut DbConnection,
    actor: &Actor,
    lines: Vec<RequestLine>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<RequestSummary>> {
    Ok(simpa_app::requests::summaries(conn, actor, lines, now)?
        .into_iter()
        .map(|s| {
            let r = s.request;
            RequestSummary {
                id: r.id.uuid(),
                number: r.number.map(|n| n.to_string()),
                title: r.title,
                association: AssociationRef {
                    id: r.access.association.uuid(),
                    name: r.association_name,
                },
                campaign: CampaignRef {
                    id: r.campaign.uuid(),
                    code: r.campaign_code,
                    title: r.campaign_title,
                },
                circuit: CircuitCode(r.circuit),
                state: RequestStateCode(r.state),
                state_label: r.state.label(),
                state_since: r.state_since,
                requested_cents: r.requested_cents,
                proposed_cents: s.proposed_cents,
                overdue: s.overdue,
                due_at: r.sla_due_at,
                submitted_at: r.submitted_at,
                created_at: r.created_at,
            }
        })
        .collect())
}
