//! Requests: an association starts one and edits it; reading one as someone may (who acts,
//! the request if they may see it, and what is shown of it: its campaign, its association's
//! name, its history, the versions attached).

use crate::access::require;
use crate::clock::CityNow;
use crate::grants::{Followed, followed};
use crate::instruction::{RequestFile, Telling, act, author, signed};
use crate::notify::Notifier;
use crate::request_content::ContentInput;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use simpa_domain::circuit::{ActionKind, Command, decide, possible_actions};
use simpa_domain::document::DocumentKind;
use simpa_domain::history::transitions;
use simpa_domain::ids::{AssociationId, CampaignId, RequestId};
use simpa_domain::life::{RequestLine, StoredRequest};
use simpa_domain::policy::{self, Action, Actor, Membership, RequestAccess, Subject};
use simpa_domain::request::{RequestContent, RequestState};
use simpa_domain::tracking::{Holder, SlaClock, sla_clock};
use simpa_domain::{DomainError, Violation};
use simpa_persistence::accounts::{Signed, load_signed};
use simpa_persistence::instruction;
use simpa_persistence::reference::district_numbers;
use simpa_persistence::requests::{KeptKind, Listable, RequestFilter, ViewAtRead};
use simpa_persistence::{DbConnection, StoreResult, associations, campaigns, documents, requests};
use simpa_persistence::{Keyset, Page};
use uuid::Uuid;

/// Who acts and the request, if they may see it; otherwise "not found" (unauthenticated when
/// anonymous), exactly as if it did not exist. `lock` keeps the request from changing until
/// the transaction ends (actions on one request take turns).
#[tracing::instrument(name = "requests::load_readable", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn load_readable(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    lock: bool,
) -> StoreResult<(Signed, StoredRequest)> {
    let signed = load_signed(conn, subject)?;
    let request = readable_as(conn, &signed.actor, id, lock)?;
    Ok((signed, request))
}

/// The request, if `actor` may see it (see [`load_readable`]).
fn readable_as(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
    lock: bool,
) -> StoreResult<StoredRequest> {
    let request = requests::get_maybe_locked(conn, id, lock)?;
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

/// A request as the portal shows it to someone who may read it: who reads, its file (the
/// request, its campaign, its association's name, its history, the versions attached), the
/// kinds of documents (to name what is asked), and what the reader may do with it now.
pub struct Shown {
    pub signed: Signed,
    pub file: RequestFile,
    pub kinds: Vec<DocumentKind>,
    pub possible: Vec<ActionKind>,
    /// Once voted: the grant, its agreement and its deliberation.
    pub grant: Option<Followed>,
    /// Who holds it now, in words (the directions by their names); nobody once it is closed.
    pub holder: Option<String>,
    /// What happens next, in a sentence for the association (`tracking::standing`).
    pub next_step: String,
}

impl Shown {
    pub fn request(&self) -> &StoredRequest {
        &self.file.request
    }
}

/// Reads a request for its page (see [`Shown`]); "not found" for whoever may not see it.
#[tracing::instrument(name = "requests::show", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn show(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    timezone: Tz,
) -> StoreResult<Shown> {
    let (signed, request) = load_readable(conn, subject, id, false)?;
    let possible = possible_actions(
        &request.facts,
        &policy::parties(&signed.actor, request.association),
    );
    let grant = if matches!(
        request.facts.state,
        RequestState::Granted | RequestState::Closed
    ) {
        followed(conn, subject, id)?
    } else {
        None
    };
    let (holder, next_step) = crate::tracking::standing(conn, &request, timezone)?;
    // The directions' names are read only when directions hold it.
    let names = match &holder {
        Holder::Instructors(_) => simpa_persistence::reference::directions(conn)?,
        _ => vec![],
    };
    let holder = (holder != Holder::Nobody).then(|| {
        holder.in_words(|d| {
            names
                .iter()
                .find(|direction| direction.id == d)
                .map_or_else(|| "?".to_owned(), |direction| direction.name.clone())
        })
    });
    Ok(Shown {
        signed,
        file: RequestFile::load(conn, request)?,
        kinds: documents::kinds(conn)?,
        possible,
        grant,
        holder,
        next_step,
    })
}

/// A request renews an earlier one of the same association, never itself.
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

/// Starts a request (a draft) in a published campaign, in the name of one of the actor's
/// associations; only the association sees it until it is submitted.
#[tracing::instrument(name = "requests::start", skip_all, fields(actor = actor.kind(), association = %association, campaign = %campaign))]
pub fn start(
    conn: &mut DbConnection,
    actor: &Actor,
    association: AssociationId,
    campaign: CampaignId,
    fields: ContentInput,
    now: DateTime<Utc>,
) -> StoreResult<StoredRequest> {
    policy::authorize(actor, Action::CreateRequest(association))?;
    simpa_domain::existed(associations::exists(conn, association)?, "association")?;
    // Its circuit cannot change while a draft starts on it.
    let campaign = crate::campaigns::visible(actor, campaigns::get_shared(conn, campaign)?)?;
    campaign.check_accepts_drafts(now)?;
    let content = fields.into_content(&district_numbers(conn)?, campaign.settings.nature)?;
    check_renewal(conn, &content, association, None)?;
    let id = RequestId::from_uuid(Uuid::now_v7());
    let author = author(&signed(conn, actor)?);
    instruction::start_draft(conn, id, &campaign, association, &content, author, now)?;
    Ok(requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?)
}

/// What editing a request did.
pub enum Edited {
    /// The content is the one stored (an autosave): nothing recorded.
    Unchanged(Box<StoredRequest>),
    Changed(Box<RequestFile>),
}

/// Replaces what a request says, while it is a draft, or incomplete when the city asked for
/// more; its association's members only. `expected`: the version the editor read (`None`:
/// whichever is stored).
#[tracing::instrument(name = "requests::edit", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn edit(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    expected: Option<i64>,
    fields: ContentInput,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<(Signed, Edited)> {
    let (signed, request) = load_readable(conn, subject, id, true)?;
    // Who may edit, and when, before what they wrote is read.
    let at = now.at.max(request.updated_at);
    let parties = policy::parties(&signed.actor, request.association);
    decide(&request.facts, Command::Edit, &parties, at, now.today())?;
    let expected = expected.unwrap_or(request.version);
    simpa_domain::association::check_version(request.version, expected)?;
    let campaign = campaigns::get(conn, request.campaign)?
        .ok_or(DomainError::NotFound { what: "campaign" })?;
    let content = fields.into_content(&district_numbers(conn)?, campaign.settings.nature)?;
    check_renewal(conn, &content, request.association, Some(id))?;
    if content == request.content {
        return Ok((signed, Edited::Unchanged(Box::new(request))));
    }
    requests::update_content(conn, id, &content, expected, at)?;
    let edited = requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
    let acted = act(
        conn,
        &signed,
        edited,
        &parties,
        Command::Edit,
        now,
        Telling::Everyone(notifier),
    )?;
    let file = acted.into_file(conn)?;
    Ok((signed, Edited::Changed(Box::new(file))))
}

/// What the association reading its own request needs (the view of `kind` kept at an earlier
/// read, see `requests::view_at_read`), in one query, once the policy allowed it; `None` when
/// the reader is no member of the request's association (they read it as anyone else).
#[tracing::instrument(name = "requests::read_own", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn read_own(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    kind: KeptKind,
) -> StoreResult<Option<ViewAtRead>> {
    let Some(Subject::Person(reader)) = subject else {
        return Ok(None);
    };
    let Some(at_read) = requests::view_at_read(conn, id, reader, kind)? else {
        return Ok(None);
    };
    let Some(role) = at_read.reader_role else {
        return Ok(None);
    };
    // The one policy decides, on what that query knows of the reader.
    let member = Actor::Person {
        id: reader,
        memberships: vec![Membership {
            association: at_read.association,
            role,
        }],
        staff: vec![],
    };
    let access = RequestAccess {
        association: at_read.association,
        submitted: at_read.submitted,
        local_district: None,
        instructors: vec![],
    };
    policy::authorize(&member, Action::ReadRequest(access))?;
    Ok(Some(at_read))
}

/// A request's clock at `now`: the time it spent with the city and with its association,
/// the deadline of its step, and until when all that reads the same.
pub fn clock(file: &RequestFile, now: DateTime<Utc>) -> SlaClock {
    sla_clock(
        &transitions(&file.events),
        file.request.facts.resume_state,
        &file.campaign.settings.sla,
        now,
    )
}

/// A page of requests in the caller's scope, the latest first: an association its own
/// (drafts included), the bureau every submitted request, a direction those it instructs, a
/// town hall its district's local ones; read whole or as a list's lines. With the actor, whom
/// the summaries are shown to.
#[tracing::instrument(name = "requests::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list<T: Listable>(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &RequestFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<(Actor, Page<T>)> {
    let actor = require(conn, subject, Action::ListRequests)?;
    let page = requests::list(conn, &policy::request_scope(&actor), filter, after, limit)?;
    Ok((actor, page))
}

/// A request as a list shows it to its reader: its line, what was proposed (for whom sees the
/// city's side of it), and whether its step is late.
pub struct Summary {
    pub request: RequestLine,
    pub proposed_cents: Option<i64>,
    /// Its current step is past its deadline.
    pub overdue: bool,
    /// The agent named to follow it for the city ("suivi par"), for whom sees the city's side.
    pub assignee: Option<String>,
    /// How many of its messages are new to the reader.
    pub unread: i64,
}

/// A page of requests' lines as `actor` sees them in a list: who follows them and what is new,
/// in two queries whatever its size.
pub fn summaries(
    conn: &mut DbConnection,
    actor: &Actor,
    lines: Vec<RequestLine>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Summary>> {
    let ids: Vec<RequestId> = lines.iter().map(|r| r.id).collect();
    let internal: std::collections::HashSet<RequestId> = lines
        .iter()
        .filter(|r| policy::sees_internal(actor, &r.access))
        .map(|r| r.id)
        .collect();
    let shown: Vec<RequestId> = internal.iter().copied().collect();
    let mut assignments = simpa_persistence::follow_up::assignments(conn, &shown)?;
    let unread = crate::conversation::unread(conn, actor, &ids)?;
    Ok(lines
        .into_iter()
        .map(|request| {
            let internal = internal.contains(&request.id);
            let assignee = assignments.remove(&request.id).map(|a| a.agent.name);
            Summary {
                proposed_cents: request.proposed_cents.filter(|_| internal),
                overdue: request.sla_due_at.is_some_and(|due| due < now),
                assignee,
                unread: unread.get(&request.id).copied().unwrap_or(0),
                request,
            }
        })
        .collect())
}

/// The summaries of these requests, in their order, for a list that found them whole.
pub fn summaries_of(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[RequestId],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Summary>> {
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let lines = requests::lines(conn, &keys)?;
    summaries(conn, actor, lines, now)
}

/// A page of the requests waiting on the caller as staff: what they hold now.
#[tracing::instrument(name = "requests::worklist", skip_all, fields(actor = Subject::kind(subject)))]
pub fn worklist<T: Listable>(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &RequestFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<(Actor, Page<T>)> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let page = requests::worklist(conn, &policy::work_scope(&actor), filter, after, limit)?;
    Ok((actor, page))
}
