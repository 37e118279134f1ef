//! Telling people. What each step of a request, each reminder and each digest says is
//! rendered from the French templates of `app/templates/mail/` (plain text and HTML), and
//! queued in the outbox in the same transaction as what causes it.

use crate::clock::CityNow;
use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::Mailbox;
use minijinja::{Environment, Value, context};
use serde::Serialize;
use serde_json::Value as Json;
use simpa_domain::account::TokenPurpose;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::RequestFacts;
use simpa_domain::circuit::{Asked, AskedItem};
use simpa_domain::contact::EmailAddress;
use simpa_domain::conversation::{GROUPED_WITHIN_MINUTES, Thread};
use simpa_domain::document::{DocumentKind, expires_soon};
use simpa_domain::french;
use simpa_domain::history::Event;
use simpa_domain::ids::{AccountId, AssociationId, RequestId};
use simpa_domain::jury::SHEETS_REMINDER_DAYS;
use simpa_domain::life::StoredRequest;
use simpa_domain::money::euros;
use simpa_domain::notification::{
    AGREEMENT_REMINDER_DAYS, Audience, Notice, REPORT_REMINDER_DAYS, StaffTarget, WorkEmails,
    member_is_told, notices_for, report_reminder, told_of_message,
};
use simpa_domain::outbox::MessageStatus;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{Action, Subject};
use simpa_domain::request::field_in_words;
use simpa_persistence::documents::DocumentVersion;
use simpa_persistence::instruction::Recorded;
use simpa_persistence::members::{Addressee, MemberAddressee};
use simpa_persistence::outbox::{self, Channel, Message, NewMessage};
use simpa_persistence::{
    DbConnection, Keyset, Page, StoreError, StoreResult, accounts, associations, campaigns,
    documents, members, reference, reminders, requests, webhooks,
};
use std::collections::HashMap;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/mail/", $name)))),*]
    };
}

/// The address of a request for people (`SIMPA_REQUEST_LINK`): `{id}` is replaced by its id.
#[derive(Debug, Clone)]
pub struct RequestLink(pub String);

impl RequestLink {
    pub fn to(&self, request: RequestId) -> String {
        self.0.replace("{id}", &request.to_string())
    }
}

/// Where people follow the links about their account (`SIMPA_PUBLIC_URL`, the portal's
/// address): to verify their address, to choose a new password.
#[derive(Debug, Clone)]
pub struct AccountLinks(pub String);

impl AccountLinks {
    /// A page of the portal, with the token of its link when it has one.
    fn page(&self, path: &str, token: Option<&str>) -> String {
        let base = self.0.trim_end_matches('/');
        match token {
            Some(token) => format!("{base}/{path}?jeton={token}"),
            None => format!("{base}/{path}"),
        }
    }

    pub fn to(&self, purpose: TokenPurpose, token: &str) -> String {
        let path = match purpose {
            TokenPurpose::VerifyEmail => "compte/verification",
            TokenPurpose::ResetPassword => "compte/mot-de-passe/nouveau",
        };
        self.page(path, Some(token))
    }

    /// Where the person invited to join an association accepts.
    pub fn invitation(&self, token: &str) -> String {
        self.page("compte/invitation", Some(token))
    }

    /// Where a person asks for a new password.
    pub fn forgotten(&self) -> String {
        self.page("compte/mot-de-passe-oublie", None)
    }

    /// Where a person signs in.
    pub fn sign_in(&self) -> String {
        self.page("connexion", None)
    }

    /// Where a person chooses which e-mails they receive.
    pub fn preferences(&self) -> String {
        self.page("compte/preferences", None)
    }

    /// A request's messages, where the association's members read and answer them.
    pub fn messages(&self, request: RequestId) -> String {
        self.page(&format!("demandes/{request}/messages"), None)
    }

    /// A request's messages as the city's agents read them, with their internal notes.
    pub fn staff_messages(&self, request: RequestId) -> String {
        self.page(&format!("agents/demandes/{request}/messages"), None)
    }

    /// A request's agreement, where its president reads and signs it.
    pub fn agreement(&self, request: RequestId) -> String {
        self.page(&format!("demandes/{request}/convention"), None)
    }

    /// A request's final report, where the association files it.
    pub fn report(&self, request: RequestId) -> String {
        self.page(&format!("demandes/{request}/compte-rendu"), None)
    }

    /// A grant as the city's agents read it, where the bureau signs its agreement.
    pub fn staff_grant(&self, request: RequestId) -> String {
        self.page(&format!("agents/subventions/{request}"), None)
    }

    /// The agents' list of the requests past their deadline.
    pub fn late_requests(&self) -> String {
        self.page("agents/demandes?en_retard=oui", None)
    }

    /// A juror's juries.
    pub fn juries(&self) -> String {
        self.page("jury", None)
    }

    /// An association's documents, where its members file them.
    pub fn documents(&self, association: AssociationId) -> String {
        self.page(&format!("associations/{association}/documents"), None)
    }
}

/// Every template file, compiled into the binary.
const FILES: &[(&str, &str)] = templates!(
    "layout.txt",
    "layout.html",
    "request_submitted.txt",
    "request_submitted.html",
    "documents_asked.txt",
    "documents_asked.html",
    "request_admissible.txt",
    "request_admissible.html",
    "request_dispatched.txt",
    "request_dispatched.html",
    "request_instructed.txt",
    "request_instructed.html",
    "request_rejected.txt",
    "request_rejected.html",
    "request_ranked.txt",
    "request_ranked.html",
    "request_granted.txt",
    "request_granted.html",
    "report_changes_asked.txt",
    "report_changes_asked.html",
    "repayment_ordered.txt",
    "repayment_ordered.html",
    "juror_recused.txt",
    "juror_recused.html",
    "request_withdrawn.txt",
    "request_withdrawn.html",
    "new_work.txt",
    "new_work.html",
    "new_messages.txt",
    "new_messages.html",
    "request_scheduled.txt",
    "request_scheduled.html",
    "report_accepted.txt",
    "report_accepted.html",
    "request_closed.txt",
    "request_closed.html",
    "report_filed.txt",
    "report_filed.html",
    "document_rejected.txt",
    "document_rejected.html",
    "agreement_to_sign.txt",
    "agreement_to_sign.html",
    "agreement_signed.txt",
    "agreement_signed.html",
    "payment_recorded.txt",
    "payment_recorded.html",
    "repayment_settled.txt",
    "repayment_settled.html",
    "juror_seated.txt",
    "juror_seated.html",
    "report_due.txt",
    "report_due.html",
    "agreement_unsigned.txt",
    "agreement_unsigned.html",
    "late_steps.txt",
    "late_steps.html",
    "sheets_due.txt",
    "sheets_due.html",
    "work_digest.txt",
    "work_digest.html",
    "document_expiring.txt",
    "document_expiring.html",
    "request_still_incomplete.txt",
    "request_still_incomplete.html",
    "account_exists.txt",
    "account_exists.html",
    "verify_email.txt",
    "verify_email.html",
    "password_reset.txt",
    "password_reset.html",
    "password_changed.txt",
    "password_changed.html",
    "two_factor_changed.txt",
    "two_factor_changed.html",
    "invitation.txt",
    "invitation.html",
);

/// The filters templates write French with (`simpa_domain::french`), in e-mails and pages:
/// `{{ association|de }}` ("de l'Escale", "des Amis du jardin", "d'Atelier 13"),
/// `{{ association|a }}` ("au Phare", "à la Ruche"), `{{ n|count("demande", "demandes") }}`.
pub fn add_french_filters(env: &mut Environment<'_>) {
    env.add_filter("de", |name: String| french::de(&name));
    env.add_filter("a", |name: String| french::a(&name));
    env.add_filter("count", |n: i64, singular: String, plural: String| {
        french::count(n, &singular, &plural)
    });
}

/// The templates, parsed once.
pub struct Templates(Environment<'static>);

impl Templates {
    pub fn load() -> Result<Templates, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in FILES {
            env.add_template(name, source)?;
        }
        add_french_filters(&mut env);
        Ok(Templates(env))
    }

    /// The templates, their e-mails linking to the portal's pages every one may name: where to
    /// sign in, where to ask for a new password, where to choose the e-mails one receives.
    pub fn linking_to(mut self, links: &AccountLinks) -> Templates {
        self.0.add_global("sign_in", links.sign_in());
        self.0.add_global("forgotten", links.forgotten());
        self.0.add_global("preferences", links.preferences());
        self
    }

    /// The subject, plain text and HTML of a notice.
    fn render(
        &self,
        notice: Notice,
        subject: String,
        data: Value,
    ) -> StoreResult<(String, String, String)> {
        let failed =
            |e: minijinja::Error| StoreError::Corrupt(format!("template {}: {e:#}", notice.code()));
        let data = context! { subject => subject.clone(), ..data };
        let render = |ext: &str| {
            self.0
                .get_template(&format!("{}.{ext}", notice.code()))
                .and_then(|t| t.render(&data))
                .map_err(failed)
        };
        Ok((subject, render("txt")?, render("html")?))
    }
}

/// What telling people needs: the e-mail templates, parsed once, and the link to a request
/// that the e-mails carry.
pub struct Notifier {
    pub templates: Templates,
    pub link: RequestLink,
    pub accounts: AccountLinks,
    /// The city's time zone: the days notices name are the city's.
    pub timezone: chrono_tz::Tz,
}

/// Whom of these members a notice reaches (a decision or not), by their choice.
fn told(addressees: &[MemberAddressee], decision: bool) -> Vec<Addressee> {
    addressees
        .iter()
        .filter(|(_, wants, presides)| member_is_told(*wants, *presides, decision))
        .map(|(to, ..)| to.clone())
        .collect()
}

/// The members of an association who hear of something (a decision or not), by their choice.
fn members_told(
    conn: &mut DbConnection,
    association: AssociationId,
    decision: bool,
) -> StoreResult<Vec<Addressee>> {
    Ok(told(&members::addressees(conn, association)?, decision))
}

/// What templates know of a request.
#[derive(Serialize)]
struct RequestLine {
    number: String,
    title: String,
    association: String,
    campaign: String,
    state: String,
    requested: String,
    link: String,
}

fn request_line(
    conn: &mut DbConnection,
    link: &RequestLink,
    request: &StoredRequest,
) -> StoreResult<RequestLine> {
    request_lines(conn, link, &[(request, Held::default())])?
        .pop()
        .ok_or_else(|| simpa_persistence::StoreError::Corrupt("a request without its line".into()))
}

/// The lines of these requests, the association and campaign names not held read in one
/// query each.
fn request_lines(
    conn: &mut DbConnection,
    link: &RequestLink,
    requests: &[(&StoredRequest, Held<'_>)],
) -> StoreResult<Vec<RequestLine>> {
    let association_ids: Vec<_> = requests
        .iter()
        .filter(|(_, held)| held.association.is_none())
        .map(|(r, _)| r.association)
        .collect();
    let mut associations: HashMap<AssociationId, String> =
        associations::names(conn, &association_ids)?
            .into_iter()
            .collect();
    let campaign_ids: Vec<_> = requests
        .iter()
        .filter(|(_, held)| held.campaign.is_none())
        .map(|(r, _)| r.campaign)
        .collect();
    let mut campaigns = campaigns::get_many(conn, &campaign_ids)?;
    for (request, held) in requests {
        if let Some(name) = held.association {
            associations.insert(request.association, name.to_owned());
        }
        if let Some(campaign) = held.campaign {
            campaigns.push(campaign.clone());
        }
    }
    Ok(requests
        .iter()
        .map(|(request, _)| RequestLine {
            number: request
                .number
                .map_or_else(|| "(brouillon)".to_owned(), |n| n.to_string()),
            title: request.content.title.clone(),
            association: associations
                .get(&request.association)
                .cloned()
                .unwrap_or_default(),
            campaign: campaigns
                .iter()
                .find(|c| c.id == request.campaign)
                .map(|c| c.settings.title.clone())
                .unwrap_or_default(),
            state: request.facts.state.label().to_lowercase(),
            requested: euros(request.content.requested_cents),
            link: link.to(request.id),
        })
        .collect())
}

/// `Name <address>`, as the outbox stores a recipient. The name is put on one line (a name
/// stored before names were checked may hold a line break, which lettre cannot write).
fn mailbox(to: &Addressee) -> String {
    use std::fmt::Write;
    let Ok(address) = to.email.parse() else {
        // Stored addresses were checked when registered; a bad one fails at sending, visibly.
        return to.email.clone();
    };
    let name = simpa_domain::text::on_one_line(&to.name);
    let mut written = String::new();
    match write!(written, "{}", Mailbox::new(Some(name), address)) {
        Ok(()) => written,
        Err(_) => to.email.clone(),
    }
}

/// One e-mail to someone, about a request or not.
fn email(
    to: &Addressee,
    rendered: (String, String, String),
    request: Option<RequestId>,
    dedupe_key: Option<String>,
) -> NewMessage {
    email_to(mailbox(to), rendered, request, dedupe_key)
}

/// One e-mail to a recipient as the message names it (`Name <address>`, or an address alone).
fn email_to(
    recipient: String,
    rendered: (String, String, String),
    request: Option<RequestId>,
    dedupe_key: Option<String>,
) -> NewMessage {
    let (subject, text, html) = rendered;
    NewMessage {
        channel: Channel::Email,
        recipient,
        subject,
        body: text,
        html: Some(html),
        request,
        dedupe_key,
    }
}

/// Queues one e-mail; false when its dedupe key was queued before.
fn queue(
    conn: &mut DbConnection,
    to: &Addressee,
    rendered: (String, String, String),
    request: Option<RequestId>,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    outbox::enqueue(conn, &email(to, rendered, request, dedupe_key), now)
        .map(|queued| queued.is_some())
}

/// The details of the event that templates show: what was asked, and by when.
fn asked_items(kinds: &[DocumentKind], items: &[AskedItem]) -> Vec<Json> {
    items
        .iter()
        .map(|item| {
            let what = match &item.what {
                Asked::Document(kind) => kind_label(kinds, kind),
                Asked::Field(field) => format!("{} de la demande", field_in_words(field)),
            };
            serde_json::json!({"what": what, "reason": item.reason.label().to_lowercase()})
        })
        .collect()
}

/// The label of a kind of document, or its code when unknown.
fn kind_label(kinds: &[DocumentKind], code: &str) -> String {
    kinds
        .iter()
        .find(|k| k.code == code)
        .map_or(code.to_owned(), |k| k.label.clone())
}

/// Queues what actions on requests tell, to whom (the association's members, the staff for
/// whom it is new work), in the transaction that recorded them. What every e-mail needs is
/// read once for the whole batch.
fn queue_for_actions(
    conn: &mut DbConnection,
    notifier: &Notifier,
    told: &[Told<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let noticed: Vec<(&Told<'_>, Vec<(Notice, Audience)>)> = told
        .iter()
        .map(|t| {
            (
                t,
                notices_for(t.recorded.event.action, t.before, &t.request.facts),
            )
        })
        .filter(|(_, notices)| !notices.is_empty())
        .collect();
    if noticed.is_empty() {
        return Ok(());
    }
    let requests: Vec<(&StoredRequest, Held<'_>)> =
        noticed.iter().map(|(t, _)| (t.request, t.held)).collect();
    let lines = request_lines(conn, &notifier.link, &requests)?;
    let kinds = match noticed.iter().find_map(|(t, _)| t.held.kinds) {
        Some(kinds) => kinds.to_vec(),
        None => documents::kinds(conn)?,
    };
    // Directions are named only when one instructs.
    let instructed_by_directions = requests.iter().any(|(r, _)| {
        r.facts
            .instructors
            .iter()
            .any(|a| matches!(a.instructor, Instructor::Direction(_)))
    });
    let directions = if instructed_by_directions {
        reference::directions(conn)?
    } else {
        vec![]
    };
    let associations: Vec<_> = requests.iter().map(|(r, _)| r.association).collect();
    let mut targets: Vec<StaffTarget> = Vec::new();
    for (_, notices) in &noticed {
        for (_, audience) in notices {
            if let Audience::Staff(named) = audience {
                for target in named {
                    if !targets.contains(target) {
                        targets.push(*target);
                    }
                }
            }
        }
    }
    let addressees = members::addressees_of_many(conn, &associations, &targets)?;
    let granted: Vec<RequestId> = noticed
        .iter()
        .filter(|(_, notices)| notices.iter().any(|(n, _)| *n == Notice::Granted))
        .map(|(t, _)| t.request.id)
        .collect();
    let rules = agreement_rules(conn, &granted)?;
    let mut emails = Vec::new();
    let mut digested = Vec::new();
    for ((t, notices), line) in noticed.iter().zip(&lines) {
        let (event, request) = (&t.recorded.event, t.request);
        for (notice, audience) in notices {
            match audience {
                Audience::Association { decision } => {
                    let documents: Vec<Json> = if *notice == Notice::Submitted {
                        let attached = match t.held.attached {
                            Some(attached) => attached.to_vec(),
                            None => requests::snapshot(conn, request.id)?,
                        };
                        attached
                            .into_iter()
                            .map(|v| {
                                let label = kind_label(&kinds, &v.kind_code);
                                serde_json::json!({"label": label, "file": v.file.map(|f| f.file_name)})
                            })
                            .collect()
                    } else {
                        vec![]
                    };
                    let instructors: Vec<&str> = directions
                        .iter()
                        .filter(|d| {
                            request
                                .facts
                                .instructors
                                .iter()
                                .any(|a| a.instructor == Instructor::Direction(d.id))
                        })
                        .map(|d| d.name.as_str())
                        .collect();
                    let (items, due_on) = event.asked();
                    let asked = asked_items(&kinds, &items);
                    let due_on = due_on.map_or_else(String::new, french::long_french_date);
                    let (agreement, to_sign) = match (*notice, rules.get(&request.id)) {
                        (Notice::Granted, Some((rule, to_sign, cents))) => {
                            (Some(rule.clone()), to_sign.then_some(*cents))
                        }
                        _ => (None, None),
                    };
                    let members = addressees
                        .members
                        .get(&request.association)
                        .map_or(&[][..], Vec::as_slice);
                    for to in self::told(members, *decision) {
                        let data = context! {
                            recipient => to.name.clone(),
                            request => Value::from_serialize(line),
                            documents => Value::from_serialize(&documents),
                            asked => Value::from_serialize(&asked),
                            due_on => due_on.clone(),
                            instructors => instructors.join(", "),
                            message => event.public_message.clone(),
                            agreement => agreement.clone(),
                        };
                        let subject = format!("{} — demande {}", notice.label(), line.number);
                        let rendered = notifier.templates.render(*notice, subject, data)?;
                        emails.push(email(&to, rendered, Some(request.id), None));
                    }
                    // Once told of their grant, presidents hear of the agreement to sign.
                    if let Some(cents) = to_sign {
                        for to in presidents(members) {
                            let data = context! {
                                recipient => to.name.clone(),
                                request => Value::from_serialize(line),
                                association => line.association.clone(),
                                amount => euros(cents),
                                link => notifier.accounts.agreement(request.id),
                            };
                            let notice = Notice::AgreementToSign;
                            let subject = format!("{} : demande {}", notice.label(), line.number);
                            let rendered = notifier.templates.render(notice, subject, data)?;
                            emails.push(email(to, rendered, Some(request.id), None));
                        }
                    }
                }
                Audience::Staff(targets) => {
                    for (to, when) in addressees.staff(targets) {
                        match when {
                            WorkEmails::Immediate => {
                                let data = context! { recipient => to.name.clone(), request => Value::from_serialize(line) };
                                let subject = format!(
                                    "{} : {} « {} »",
                                    notice.label(),
                                    line.number,
                                    line.title
                                );
                                let rendered = notifier.templates.render(*notice, subject, data)?;
                                emails.push(email(&to, rendered, Some(request.id), None));
                            }
                            WorkEmails::Daily => digested.push((to.account, request.id)),
                            WorkEmails::Never => {}
                        }
                    }
                }
            }
        }
    }
    outbox::add_to_digests(conn, &digested, now)?;
    outbox::enqueue_all(conn, &emails, now)
}

/// Whether the grants of these requests need an agreement and why, in words (see
/// `funding::agreement_rule_in_words`: what each association was voted in the twelve months
/// before counts with its grant), and whether it waits for the president's signature. Two
/// statements, whatever their number.
fn agreement_rules(
    conn: &mut DbConnection,
    requests: &[RequestId],
) -> StoreResult<HashMap<RequestId, (String, bool, i64)>> {
    use simpa_domain::funding::{agreement_rule_in_words, twelve_months_before};
    let voted = simpa_persistence::grants::voted_of(conn, requests)?;
    let Some(first) = voted.iter().map(|v| v.voted_on).min() else {
        return Ok(HashMap::new());
    };
    let mut associations: Vec<AssociationId> = voted.iter().map(|v| v.association).collect();
    associations.sort();
    associations.dedup();
    let earlier =
        simpa_persistence::grants::voted_after(conn, &associations, twelve_months_before(first))?;
    Ok(voted
        .iter()
        .map(|v| {
            let since = twelve_months_before(v.voted_on);
            let together = simpa_domain::money::total(
                earlier
                    .iter()
                    .filter(|(a, on, _)| *a == v.association && *on > since && *on <= v.voted_on)
                    .map(|(_, _, c)| *c),
            );
            let before = together.saturating_sub(v.cents).max(0);
            let rule = agreement_rule_in_words(v.cents, before);
            (v.request, (rule, v.to_sign, v.cents))
        })
        .collect())
}

/// Queues the daily digest of everyone who chose one and has new work; returns how many.
#[tracing::instrument(name = "notify::queue_digests", skip_all)]
pub fn queue_digests(
    conn: &mut DbConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut sent = 0;
    for (account, ids) in outbox::pending_digests(conn)? {
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut waiting = requests::get_many(conn, &keys)?;
        waiting.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        let waiting: Vec<_> = waiting.iter().map(|r| (r, Held::default())).collect();
        let lines = request_lines(conn, &notifier.link, &waiting)?;
        // A deactivated account hears nothing more; its waiting lines are dropped.
        let to = match addressee(conn, account)? {
            Some(to) if !lines.is_empty() => to,
            _ => {
                outbox::mark_digested(conn, account, now)?;
                continue;
            }
        };
        let data =
            context! { recipient => to.name.clone(), requests => Value::from_serialize(&lines) };
        let subject = format!("{} ({})", Notice::Digest.label(), lines.len());
        queue(
            conn,
            &to,
            notifier.templates.render(Notice::Digest, subject, data)?,
            None,
            None,
            now,
        )?;
        outbox::mark_digested(conn, account, now)?;
        sent += 1;
    }
    Ok(sent)
}

/// A recorded action to tell of: `before`, the request's facts before it; `held`, what the
/// caller already read of the request (what is not held is read).
pub struct Told<'a> {
    pub recorded: &'a Recorded,
    pub before: &'a RequestFacts,
    pub request: &'a StoredRequest,
    pub held: Held<'a>,
}

/// What a use case already read of a request, which telling need not read again.
#[derive(Default, Clone, Copy)]
pub struct Held<'a> {
    pub campaign: Option<&'a Campaign>,
    pub association: Option<&'a str>,
    pub kinds: Option<&'a [DocumentKind]>,
    /// The versions attached to the request.
    pub attached: Option<&'a [DocumentVersion]>,
}

/// Tells everyone of a recorded action: e-mails to whom it concerns, calls to the webhooks
/// that follow the request. `before`: the request's facts before the action.
pub fn tell(
    conn: &mut DbConnection,
    notifier: &Notifier,
    told: Told<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tell_all(conn, notifier, &[told], now)
}

/// Tells of many recorded actions at once (see [`tell`]).
#[tracing::instrument(name = "notify::tell_all", skip_all, fields(actions = told.len()))]
pub fn tell_all(
    conn: &mut DbConnection,
    notifier: &Notifier,
    told: &[Told<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    queue_for_actions(conn, notifier, told, now)?;
    queue_webhooks(conn, told, now)
}

/// Queues a delivery of each change to every webhook endpoint that follows it (the request's
/// directions' ones, and the city-wide ones) and wants its type. The body says what changed;
/// the request itself is read through the API.
fn queue_webhooks(
    conn: &mut DbConnection,
    told: &[Told<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut following: HashMap<&[String], Vec<webhooks::Endpoint>> = HashMap::new();
    let mut calls = Vec::new();
    for Told {
        recorded, request, ..
    } in told
    {
        let audiences = recorded.change.audiences();
        if !following.contains_key(audiences) {
            let endpoints = webhooks::following(conn, audiences)?;
            following.insert(audiences, endpoints);
        }
        let event = &recorded.event;
        let kind = event.action.code();
        for endpoint in &following[audiences] {
            if !endpoint.wants(kind) {
                continue;
            }
            // A direction relieved of the request by this change is told so.
            let audience = simpa_domain::feed::audience_of(endpoint.direction);
            let payload = serde_json::json!({
                "id": event.id.to_string(),
                "type": kind,
                "seq": event.seq,
                "request_id": request.id.to_string(),
                "number": request.number.map(|n| n.to_string()),
                "state": request.facts.state.code(),
                "in_scope": recorded.change.keeps(&audience),
                "occurred_at": event.at.to_rfc3339(),
            });
            calls.push(NewMessage::webhook(
                &endpoint.id.to_string(),
                kind.to_owned(),
                payload.to_string(),
                Some(request.id),
            ));
        }
    }
    outbox::enqueue_all(conn, &calls, now)
}

/// A request as a subject names it: "demande 2027_00001".
pub fn about(request: &StoredRequest) -> String {
    match request.number {
        Some(number) => format!("demande {number}"),
        None => "demande (brouillon)".to_owned(),
    }
}

/// What is told to an association's members who want to hear of their requests, about one
/// of its requests or not.
pub struct Letter<'a> {
    pub association: AssociationId,
    pub notice: Notice,
    /// What follows the notice's label in the subject ("demande 2027_00001", a document).
    pub about: String,
    pub request: Option<&'a StoredRequest>,
    /// What the template says beyond its reader, the request and its link.
    pub data: Value,
}

impl<'a> Letter<'a> {
    /// A letter about one of the association's requests.
    pub fn of_request(notice: Notice, request: &'a StoredRequest, data: Value) -> Letter<'a> {
        Letter {
            association: request.association,
            notice,
            about: about(request),
            request: Some(request),
            data,
        }
    }
}

/// The presidents among an association's members.
fn presidents(addressees: &[MemberAddressee]) -> impl Iterator<Item = &Addressee> {
    addressees
        .iter()
        .filter(|(_, _, presides)| *presides)
        .map(|(to, ..)| to)
}

/// Mails a letter to the association's members it reaches (see [`Letter`]); how many.
pub fn tell_members(
    conn: &mut DbConnection,
    notifier: &Notifier,
    letter: Letter<'_>,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let to = members_told(conn, letter.association, false)?;
    if to.is_empty() {
        return Ok(0);
    }
    let line = match letter.request {
        Some(request) => Some(request_line(conn, &notifier.link, request)?),
        None => None,
    };
    let subject = format!("{} : {}", letter.notice.label(), letter.about);
    let mut emails = Vec::with_capacity(to.len());
    for to in &to {
        let data = context! {
            recipient => to.name.clone(),
            request => line.as_ref().map(Value::from_serialize),
            ..letter.data.clone()
        };
        let rendered = notifier
            .templates
            .render(letter.notice, subject.clone(), data)?;
        emails.push(email(to, rendered, letter.request.map(|r| r.id), None));
    }
    outbox::enqueue_all(conn, &emails, now)?;
    Ok(emails.len())
}

/// Tells the other side of a new message in a request's thread (see
/// `notification::told_of_message`): the association's members who want to hear of their
/// requests, or the staff who hold the request as they chose (at once, in their daily digest,
/// never). Messages that follow within minutes join the e-mail still waiting: each person
/// receives one, with every message written since the first. `history`: the request's, the
/// message its last event.
pub fn tell_of_message(
    conn: &mut DbConnection,
    notifier: &Notifier,
    request: &StoredRequest,
    history: &[Event],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(message) = history.last() else {
        return Ok(());
    };
    let Some(audience) = told_of_message(message.action, &request.facts) else {
        return Ok(());
    };
    let (recipients, link) = match audience {
        Audience::Association { decision } => (
            members_told(conn, request.association, decision)?,
            notifier.accounts.messages(request.id),
        ),
        Audience::Staff(targets) => {
            let mut at_once = Vec::new();
            let mut digested = Vec::new();
            for (to, when) in members::addressees_of_many(conn, &[], &targets)?.staff(&targets) {
                match when {
                    WorkEmails::Immediate => at_once.push(to),
                    WorkEmails::Daily => digested.push((to.account, request.id)),
                    WorkEmails::Never => {}
                }
            }
            outbox::add_to_digests(conn, &digested, now)?;
            (at_once, notifier.accounts.staff_messages(request.id))
        }
    };
    let recipients: Vec<Addressee> = recipients
        .into_iter()
        .filter(|to| Some(to.account) != message.actor.account)
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let line = request_line(conn, &notifier.link, request)?;
    let grouped = chrono::Duration::minutes(GROUPED_WITHIN_MINUTES);
    for to in recipients {
        let prefix = format!("messages:{}:{}:", request.id, to.account);
        let waiting = outbox::waiting(conn, &prefix, now)?;
        let first = waiting
            .as_ref()
            .and_then(|(_, key)| key.rsplit(':').next()?.parse::<i32>().ok())
            .unwrap_or(message.seq);
        let told: Vec<Json> = history
            .iter()
            .filter(|e| e.seq >= first && e.action.thread() == Some(Thread::Association))
            .filter(|e| e.actor.account != Some(to.account))
            .map(|e| {
                let files: Vec<String> = serde_json::from_str::<Json>(&e.details)
                    .ok()
                    .and_then(|d| d["attachments"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a["file_name"].as_str().map(str::to_owned))
                    .collect();
                serde_json::json!({
                    "from": if e.action.is_the_applicants() { format!("{} ({})", e.actor.name, line.association) } else { format!("{} (Ville)", e.actor.name) },
                    "on": french::moment(e.at.with_timezone(&notifier.timezone).naive_local()),
                    "text": e.public_message.clone().unwrap_or_default(),
                    "files": files,
                })
            })
            .collect();
        let subject = match told.len() {
            1 => format!("{} : demande {}", Notice::NewMessages.label(), line.number),
            n => format!("{n} nouveaux messages sur la demande {}", line.number),
        };
        let data = context! {
            recipient => to.name.clone(),
            request => Value::from_serialize(&line),
            messages => Value::from_serialize(&told),
            link => link.clone(),
        };
        let (subject, text, html) =
            notifier
                .templates
                .render(Notice::NewMessages, subject, data)?;
        let rewritten = match &waiting {
            Some((id, _)) => outbox::rewrite_waiting(conn, *id, &subject, &text, Some(&html), now)?,
            None => false,
        };
        if !rewritten {
            let key = format!("{prefix}{}", message.seq);
            let email = email(&to, (subject, text, html), Some(request.id), Some(key));
            outbox::enqueue_at(conn, &email, now + grouped, now)?;
        }
    }
    Ok(())
}

/// Tells each juror just seated on requests of a call for projects which ones, in one e-mail.
pub fn tell_jurors_seated(
    conn: &mut DbConnection,
    notifier: &Notifier,
    campaign: &Campaign,
    seated: &[(AccountId, RequestId)],
    jurors: &[simpa_persistence::juries::Member],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if seated.is_empty() {
        return Ok(());
    }
    let mut keys: Vec<String> = seated.iter().map(|(_, r)| r.to_string()).collect();
    keys.sort();
    keys.dedup();
    let stored = requests::get_many(conn, &keys)?;
    let held = Held {
        campaign: Some(campaign),
        ..Held::default()
    };
    let with_held: Vec<_> = stored.iter().map(|r| (r, held)).collect();
    let lines = request_lines(conn, &notifier.link, &with_held)?;
    let mut emails = Vec::new();
    for juror in jurors {
        let theirs: Vec<&RequestLine> = stored
            .iter()
            .zip(&lines)
            .filter(|(r, _)| seated.contains(&(juror.account, r.id)))
            .map(|(_, line)| line)
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let to = Addressee {
            account: juror.account,
            email: juror.email.clone(),
            name: juror.name.clone(),
        };
        let data = context! {
            recipient => to.name.clone(),
            campaign => campaign.settings.title.clone(),
            requests => Value::from_serialize(&theirs),
            link => notifier.accounts.juries(),
        };
        let subject = format!(
            "{} : {}",
            Notice::JurorSeated.label(),
            campaign.settings.title
        );
        let rendered = notifier
            .templates
            .render(Notice::JurorSeated, subject, data)?;
        emails.push(email(&to, rendered, None, None));
    }
    outbox::enqueue_all(conn, &emails, now)
}

/// Tells a jury's chair that a juror recused themselves from a request, and how many jurors
/// it has left, so that its coverage can be fixed.
#[allow(clippy::too_many_arguments)]
pub fn tell_chair_of_recusal(
    conn: &mut DbConnection,
    notifier: &Notifier,
    chair: &simpa_persistence::juries::Member,
    juror: &str,
    reason: &str,
    request: &StoredRequest,
    seated: usize,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let line = request_line(conn, &notifier.link, request)?;
    let to = Addressee {
        account: chair.account,
        email: chair.email.clone(),
        name: chair.name.clone(),
    };
    let data = context! {
        recipient => to.name.clone(),
        request => Value::from_serialize(&line),
        juror => juror,
        reason => reason,
        seated => seated,
        link => notifier.accounts.juries(),
    };
    let subject = format!("{} : demande {}", Notice::JurorRecused.label(), line.number);
    let rendered = notifier
        .templates
        .render(Notice::JurorRecused, subject, data)?;
    queue(conn, &to, rendered, Some(request.id), None, now).map(|_| ())
}

/// Tells the owner of an address that someone asked to register with it: registration
/// answers the same whether the address has an account or not, so that it cannot tell
/// which addresses do. Once a day (the city's) at most, so that no one can flood a mailbox
/// through it.
pub fn tell_account_exists(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    now: CityNow,
) -> StoreResult<()> {
    let data = context! { recipient => to.name.clone() };
    let subject = Notice::AccountExists.label().to_owned();
    let rendered = notifier
        .templates
        .render(Notice::AccountExists, subject, data)?;
    let once_a_day = format!("account_exists:{}:{}", to.account, now.today());
    queue(conn, to, rendered, None, Some(once_a_day), now.at).map(|_| ())
}

/// Sends a person the link of a token (to verify their address, to reset their password),
/// valid for the token's lifetime.
pub fn tell_account_link(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    purpose: TokenPurpose,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let notice = match purpose {
        TokenPurpose::VerifyEmail => Notice::VerifyEmail,
        TokenPurpose::ResetPassword => Notice::PasswordReset,
    };
    let data = context! {
        recipient => to.name.clone(),
        link => notifier.accounts.to(purpose, token),
        hours => purpose.lifetime().num_hours(),
    };
    let rendered = notifier
        .templates
        .render(notice, notice.label().to_owned(), data)?;
    queue(conn, to, rendered, None, None, now).map(|_| ())
}

/// Tells a person their password changed (by a reset or by themselves), and what to do if it
/// was not them.
pub fn tell_password_changed(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tell_security_change(conn, notifier, to, Notice::PasswordChanged, "", now)
}

/// Tells a person their second factor changed (`change` says how), with the link to take
/// the account back if it was not them.
pub fn tell_two_factor_changed(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    change: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tell_security_change(conn, notifier, to, Notice::TwoFactorChanged, change, now)
}

fn tell_security_change(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    notice: Notice,
    change: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let data = context! {
        recipient => to.name.clone(),
        change => change,
        link => notifier.accounts.forgotten(),
    };
    let rendered = notifier
        .templates
        .render(notice, notice.label().to_owned(), data)?;
    queue(conn, to, rendered, None, None, now).map(|_| ())
}

/// What an invitation to join an association says.
pub struct InvitationLetter<'a> {
    pub association: &'a str,
    pub inviter: &'a str,
    pub role: &'a str,
    pub token: &'a str,
    pub expires_on: NaiveDate,
}

/// Mails an invitation to the address invited, which may have no account yet: the link to
/// accept it, who invites, for which role, until when.
pub fn tell_invited(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &EmailAddress,
    letter: &InvitationLetter<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let data = context! {
        association => letter.association,
        inviter => letter.inviter,
        role => letter.role,
        link => notifier.accounts.invitation(letter.token),
        until => simpa_domain::french::long_french_date(letter.expires_on),
    };
    let notice = Notice::Invitation;
    let subject = format!("{} : {}", notice.label(), letter.association);
    let rendered = notifier.templates.render(notice, subject, data)?;
    let message = email_to(to.as_str().to_owned(), rendered, None, None);
    outbox::enqueue(conn, &message, now).map(|_| ())
}

/// What the reminders of a day queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reminded {
    pub documents: usize,
    pub requests: usize,
    pub reports: usize,
    pub agreements: usize,
    /// Agents told of the steps past their deadline.
    pub late: usize,
    /// Jurors recalled their sheets before the session closes.
    pub jurors: usize,
}

/// Queues the day's reminders: documents of an association that expire within 30 days, and
/// requests still incomplete after 15 days. Each is sent once per thing and person: a
/// reminder's key names them both.
#[tracing::instrument(name = "notify::queue_reminders", skip_all)]
pub fn queue_reminders(
    conn: &mut DbConnection,
    notifier: &Notifier,
    city: CityNow,
) -> StoreResult<Reminded> {
    let (now, timezone, today) = (city.at, city.timezone, city.today());
    let mut reminded = Reminded::default();
    for id in associations::with_documents(conn)? {
        let Some(association) = associations::get(conn, id)? else {
            continue;
        };
        let (vault, _) = crate::vault::vault_of(conn, &association, today, timezone)?;
        let expiring: Vec<(String, simpa_domain::document::KindStatus)> = vault
            .kinds
            .iter()
            .zip(vault.statuses)
            .filter(|(_, (_, s))| expires_soon(s, today))
            .map(|(kind, (_, status))| (kind.label.clone(), status))
            .collect();
        if expiring.is_empty() {
            continue;
        }
        let name = association.profile.name.clone();
        let addressees = members_told(conn, id, false)?;
        for (label, status) in expiring {
            let version = status.version.map(|v| v.to_string()).unwrap_or_default();
            let valid_until = status
                .valid_until
                .map(simpa_domain::french::long_french_date)
                .unwrap_or_default();
            for to in &addressees {
                let data = context! { recipient => to.name.clone(), document => label.clone(), association => name.clone(), valid_until => valid_until.clone(), link => notifier.accounts.documents(id) };
                let subject = format!("{} : {}", Notice::DocumentExpiring.label(), label);
                let key = format!(
                    "{}:{version}:{}",
                    Notice::DocumentExpiring.code(),
                    to.account
                );
                let rendered =
                    notifier
                        .templates
                        .render(Notice::DocumentExpiring, subject, data)?;
                reminded.documents += usize::from(queue(conn, to, rendered, None, Some(key), now)?);
            }
        }
    }
    let waiting_since =
        now - chrono::Duration::days(simpa_domain::notification::INCOMPLETE_REMINDER_DAYS);
    for request in requests::incomplete_since(conn, waiting_since)? {
        let line = request_line(conn, &notifier.link, &request)?;
        let asked_on =
            french::long_french_date(request.state_since.with_timezone(&timezone).date_naive());
        for to in members_told(conn, request.association, false)? {
            let data = context! { recipient => to.name.clone(), request => Value::from_serialize(&line), asked_on => asked_on.clone() };
            let subject = format!(
                "{} — demande {}",
                Notice::StillIncomplete.label(),
                line.number
            );
            // Once per time the request became incomplete, and per person.
            let key = format!(
                "{}:{}:{}:{}",
                Notice::StillIncomplete.code(),
                request.id,
                request.state_since.timestamp_micros(),
                to.account
            );
            let rendered = notifier
                .templates
                .render(Notice::StillIncomplete, subject, data)?;
            reminded.requests += usize::from(queue(
                conn,
                &to,
                rendered,
                Some(request.id),
                Some(key),
                now,
            )?);
        }
    }
    reminded.reports = remind_reports(conn, notifier, city)?;
    reminded.agreements = remind_agreements(conn, notifier, city)?;
    reminded.late = remind_late_steps(conn, notifier, city)?;
    reminded.jurors = remind_jurors(conn, notifier, city)?;
    Ok(reminded)
}

/// Recalls the final reports awaited to their associations: within the month before their
/// day, on it, and once late; each once per grant, step and person, none once it is filed.
fn remind_reports(
    conn: &mut DbConnection,
    notifier: &Notifier,
    city: CityNow,
) -> StoreResult<usize> {
    let today = city.today();
    let until = today + chrono::Days::new(REPORT_REMINDER_DAYS.unsigned_abs());
    let awaited = simpa_persistence::grants::reports_awaited(conn, until)?;
    let keys: Vec<String> = awaited.iter().map(|(r, ..)| r.to_string()).collect();
    let stored = requests::get_many(conn, &keys)?;
    let mut sent = 0;
    for (id, association, due_on) in awaited {
        let (Some(step), Some(request)) = (
            report_reminder(due_on, today),
            stored.iter().find(|r| r.id == id),
        ) else {
            continue;
        };
        let line = request_line(conn, &notifier.link, request)?;
        for to in members_told(conn, association, false)? {
            let data = context! {
                recipient => to.name.clone(),
                request => Value::from_serialize(&line),
                step => step.code(),
                due_on => simpa_domain::french::long_french_date(due_on),
                link => notifier.accounts.report(id),
            };
            let subject = format!("{} — {}", Notice::ReportDue.label(), about(request));
            let rendered = notifier
                .templates
                .render(Notice::ReportDue, subject, data)?;
            let key = format!("report_due:{id}:{}:{}", step.code(), to.account);
            sent += usize::from(queue(conn, &to, rendered, Some(id), Some(key), city.at)?);
        }
    }
    Ok(sent)
}

/// Recalls the agreements unsigned for a week to whoever must sign: the association's
/// presidents, then the bureau for the city; once per agreement, side and person.
fn remind_agreements(
    conn: &mut DbConnection,
    notifier: &Notifier,
    city: CityNow,
) -> StoreResult<usize> {
    use simpa_domain::agreement::AgreementStatus;
    use simpa_persistence::agreements;
    let waited = city.at - chrono::Duration::days(AGREEMENT_REMINDER_DAYS);
    let mut sent = 0;
    for status in [
        AgreementStatus::Drafted,
        AgreementStatus::SignedByAssociation,
    ] {
        for agreement in agreements::in_status(conn, status, 10_000)? {
            let since = match status {
                AgreementStatus::SignedByAssociation => agreement
                    .association_signature
                    .as_ref()
                    .map_or(agreement.created_at, |s| s.at),
                _ => agreement.created_at,
            };
            if since > waited {
                continue;
            }
            let Some(first) = agreements::grants_covered(conn, agreement.id)?
                .first()
                .copied()
            else {
                continue;
            };
            let city_signs = status == AgreementStatus::SignedByAssociation;
            let (to, link): (Vec<Addressee>, String) = if city_signs {
                let bureau = [StaffTarget::Bureau];
                let staff = members::addressees_of_many(conn, &[], &bureau)?.staff(&bureau);
                let to = staff
                    .into_iter()
                    .filter(|(_, when)| *when != WorkEmails::Never)
                    .map(|(to, _)| to)
                    .collect();
                (to, notifier.accounts.staff_grant(first))
            } else {
                let members = members::addressees(conn, agreement.association)?;
                let to = presidents(&members).cloned().collect();
                (to, notifier.accounts.agreement(first))
            };
            let association = associations::name(conn, agreement.association)?;
            for to in to {
                let data = context! {
                    recipient => to.name.clone(),
                    title => agreement.terms.object.clone(),
                    association => association.clone(),
                    city => city_signs,
                    since => simpa_domain::french::long_french_date(
                        since.with_timezone(&city.timezone).date_naive()
                    ),
                    link => link.clone(),
                };
                let subject = format!("{} : {}", Notice::AgreementUnsigned.label(), association);
                let rendered =
                    notifier
                        .templates
                        .render(Notice::AgreementUnsigned, subject, data)?;
                let key = format!(
                    "agreement_unsigned:{}:{}:{}",
                    agreement.id,
                    status.code(),
                    to.account
                );
                sent += usize::from(queue(conn, &to, rendered, Some(first), Some(key), city.at)?);
            }
        }
    }
    Ok(sent)
}

/// Recalls to each juror, three days before the session is planned to close, how many of
/// their sheets are not handed in: once per session's closing day, none once all are in.
fn remind_jurors(
    conn: &mut DbConnection,
    notifier: &Notifier,
    city: CityNow,
) -> StoreResult<usize> {
    let today = city.today();
    let until = today + chrono::Days::new(SHEETS_REMINDER_DAYS.unsigned_abs());
    let mut sent = 0;
    for (campaign, closes_on, juror, left) in
        simpa_persistence::juries::sheets_left(conn, today, until)?
    {
        let (Some(to), Some(call)) = (addressee(conn, juror)?, campaigns::get(conn, campaign)?)
        else {
            continue;
        };
        let data = context! {
            recipient => to.name.clone(),
            campaign => call.settings.title.clone(),
            left => left,
            closes_on => simpa_domain::french::long_french_date(closes_on),
            link => notifier.accounts.juries(),
        };
        let subject = format!("{} : {}", Notice::SheetsDue.label(), call.settings.title);
        let rendered = notifier
            .templates
            .render(Notice::SheetsDue, subject, data)?;
        let key = format!("sheets_due:{campaign}:{juror}:{closes_on}");
        sent += usize::from(queue(conn, &to, rendered, None, Some(key), city.at)?);
    }
    Ok(sent)
}

/// Tells each agent of the steps that passed their deadline among what waits for them (the
/// bureau's, their direction's, their town hall's), in one digest a day: each deadline passed
/// once, unless they want no e-mail of work.
fn remind_late_steps(
    conn: &mut DbConnection,
    notifier: &Notifier,
    city: CityNow,
) -> StoreResult<usize> {
    let mut targets = vec![StaffTarget::Bureau];
    targets.extend(
        reference::directions(conn)?
            .into_iter()
            .map(|d| StaffTarget::Direction(d.id)),
    );
    targets.extend(
        reference::districts(conn)?
            .into_iter()
            .map(|d| StaffTarget::District(d.number)),
    );
    let staff = members::addressees_of_many(conn, &[], &targets)?.staff(&targets);
    let filter = simpa_persistence::requests::RequestFilter {
        overdue_at: Some(city.at),
        ..Default::default()
    };
    let mut sent = 0;
    for (to, when) in staff {
        if when == WorkEmails::Never {
            continue;
        }
        let subject = Some(Subject::Person(to.account));
        let (_, page): (_, Page<StoredRequest>) =
            crate::requests::worklist(conn, subject, &filter, None, 200)?;
        let ids: Vec<RequestId> = page.items.iter().map(|r| r.id).collect();
        let told = reminders::late_steps_told(conn, to.account, &ids)?;
        // Each deadline passed is told once; a step that moved on has a new one.
        let new: Vec<&StoredRequest> = page
            .items
            .iter()
            .filter(|r| r.sla_due_at.is_some_and(|due| !told.contains(&(r.id, due))))
            .collect();
        if new.is_empty() {
            continue;
        }
        let late: Vec<_> = new.iter().map(|r| (*r, Held::default())).collect();
        let lines = request_lines(conn, &notifier.link, &late)?;
        let data = context! {
            recipient => to.name.clone(),
            requests => Value::from_serialize(&lines),
            more => page.next.is_some(),
            link => notifier.accounts.late_requests(),
        };
        let subject = format!("{} ({})", Notice::LateSteps.label(), lines.len());
        let rendered = notifier
            .templates
            .render(Notice::LateSteps, subject, data)?;
        queue(conn, &to, rendered, None, None, city.at)?;
        let steps: Vec<(RequestId, DateTime<Utc>)> = new
            .iter()
            .filter_map(|r| Some((r.id, r.sla_due_at?)))
            .collect();
        reminders::record_late_steps_told(conn, to.account, &steps, city.at)?;
        sent += 1;
    }
    Ok(sent)
}

/// The addressee of an account, if it is still active.
fn addressee(conn: &mut DbConnection, account: AccountId) -> StoreResult<Option<Addressee>> {
    Ok(accounts::get(conn, account)?
        .filter(|a| a.active)
        .map(|a| Addressee {
            account,
            email: a.email,
            name: a.display_name,
        }))
}

/// The outbox, the latest first: what waits to be sent, what was, and what was given up
/// (admins).
#[tracing::instrument(name = "notify::outbox", skip_all, fields(actor = Subject::kind(subject)))]
pub fn outbox(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    status: Option<MessageStatus>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Message>> {
    crate::access::require(conn, subject, Action::ReadOutbox)?;
    outbox::list(conn, status, None, after, limit)
}

/// Puts a message given up back in line, to be tried again now (admins); a message that was
/// not given up is refused.
#[tracing::instrument(name = "notify::requeue", skip_all, fields(actor = Subject::kind(subject), message = %id))]
pub fn requeue(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    crate::access::require(conn, subject, Action::ReadOutbox)?;
    outbox::get(conn, id)?.ok_or(simpa_domain::DomainError::NotFound { what: "message" })?;
    if !outbox::requeue(conn, id, now)? {
        return Err(simpa_domain::DomainError::conflict(
            "outbox.not_failed",
            None,
            "Ce message n'a pas été abandonné : il est envoyé ou en attente d'envoi.",
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_has_its_templates_and_they_render() {
        let links = AccountLinks("https://exemple.org/".into());
        let templates = Templates::load()
            .expect("templates parse")
            .linking_to(&links);
        let line = RequestLine {
            number: "2027_00001".into(),
            title: "Ateliers <d'écriture>".into(),
            association: "Théâtre du Faubourg".into(),
            campaign: "Campagne annuelle 2027".into(),
            state: "déposée".into(),
            requested: euros(400_000),
            link: "https://exemple.org/demandes/1".into(),
        };
        for notice in Notice::ALL {
            let data = context! {
                recipient => "Camille",
                request => Value::from_serialize(&line),
                requests => Value::from_serialize(vec![&line]),
                documents => Value::from_serialize(vec![serde_json::json!({"label": "Statuts", "file": "statuts.pdf"})]),
                asked => Value::from_serialize(vec![serde_json::json!({"what": "RIB", "reason": "incorrect"})]),
                due_on => "2026-12-15",
                message => "Motif",
                instructors => "Direction des Affaires Culturelles",
                document => "Attestation d'assurance",
                association => "Théâtre du Faubourg",
                valid_until => "2026-12-31",
                asked_on => "2026-11-01",
                link => "https://exemple.org/associations/1/documents",
                messages => Value::from_serialize(vec![serde_json::json!({"from": "Camille (Ville)", "on": "7 décembre 2026 à 10 h 00", "text": "Pouvez-vous préciser le budget ?", "files": ["devis.pdf"]})]),
                seated => 2,
                hours => 1,
            };
            let (subject, text, html) = templates
                .render(*notice, format!("Sujet {}", notice.code()), data)
                .expect("renders");
            assert!(text.starts_with("Bonjour Camille,"), "{notice}: {text}");
            assert!(html.contains("<p>Bonjour Camille,</p>"), "{notice}: {html}");
            assert!(!html.contains("<d'écriture>"), "{notice}: HTML is escaped");
            assert_eq!(subject, format!("Sujet {}", notice.code()));
            // Every e-mail says where its reader chooses what they receive.
            assert!(
                text.contains("https://exemple.org/compte/preferences"),
                "{notice}"
            );
            assert!(
                html.contains("preferences\">dans votre compte</a>"),
                "{notice}"
            );
        }
    }

    /// Every e-mail reads as French whatever the association's name: "de l'Escale", "des Amis",
    /// "au Phare", "d'Atelier 13", never "de Les", "à Le" nor "de Atelier"; no English, no API
    /// path, no "(s)".
    #[test]
    fn every_email_reads_as_french_whatever_the_names() {
        let links = AccountLinks("https://exemple.org/".into());
        let templates = Templates::load()
            .expect("templates parse")
            .linking_to(&links);
        let strip = |html: &str| {
            let mut text = String::new();
            let mut in_tag = false;
            for c in html.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    _ if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.replace("&#x27;", "'").replace("&amp;", "&")
        };
        for name in [
            "Les Amis du jardin partagé",
            "L'Escale de Bercy",
            "Le Phare",
            "Atelier 13",
            "Épicerie solidaire",
        ] {
            let line = RequestLine {
                number: "2027_00001".into(),
                title: "Ateliers d'écriture".into(),
                association: name.into(),
                campaign: "Campagne annuelle 2027".into(),
                state: "déposée".into(),
                requested: euros(400_000),
                link: "https://exemple.org/demandes/1".into(),
            };
            for notice in Notice::ALL {
                for (requests, seated, hours) in [(vec![&line], 1, 1), (vec![&line, &line], 2, 24)]
                {
                    let data = context! {
                        recipient => "Camille",
                        request => Value::from_serialize(&line),
                        requests => Value::from_serialize(requests),
                        association => name,
                        instructors => "Direction des Affaires Culturelles",
                        seated => seated,
                        hours => hours,
                        amount => euros(250_000),
                        due_on => "15 décembre 2026",
                        document => "Attestation d'assurance",
                        documents => Value::from_serialize(vec![serde_json::json!({"label": "Statuts", "file": "statuts.pdf"})]),
                        asked => Value::from_serialize(vec![serde_json::json!({"what": "RIB", "reason": "incorrect"})]),
                        messages => Value::from_serialize(vec![serde_json::json!({"from": "Camille (Ville)", "on": "7 décembre 2026 à 10 h 00", "text": "Pouvez-vous préciser le budget ?", "files": []})]),
                        link => "https://exemple.org/jury",
                    };
                    let (_, text, html) = templates
                        .render(*notice, "Sujet".into(), data)
                        .expect("renders");
                    for body in [text, strip(&html)] {
                        let slips = french::slips(&body);
                        assert!(
                            slips.is_empty(),
                            "{notice} with « {name} »: {slips:?} in {body}"
                        );
                    }
                }
            }
        }
    }
}
