//! The one access policy: who may do what. Every handler asks [`authorize`] before acting,
//! and never decides on its own.
//!
//! Denials come in three kinds. Someone not signed in is `Unauthenticated`. Someone who may not
//! even know a thing exists (a member of association A asking for association B) gets
//! `NotFound`, so ids cannot be probed. Someone who can see the thing but not do this with it,
//! or who asks for a staff-only list, gets `Forbidden`.

use crate::DomainError;
use crate::circuit::RequestFacts;
use crate::ids::{AccountId, AssociationId, DirectionId, DistrictNumber, ServiceAccountId};
use crate::parties::{Instructor, Party};
use crate::request::RequestState;
use crate::roles::{MemberRole, StaffRole};

/// Who a valid access token speaks for, before their roles are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Person(AccountId),
    Service(ServiceAccountId),
}

/// A person's role in one association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub association: AssociationId,
    pub role: MemberRole,
}

/// Who is acting, with every role that matters for access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    Person {
        id: AccountId,
        memberships: Vec<Membership>,
        staff: Vec<StaffRole>,
    },
    /// A direction's API client: acts as an instructor of that direction.
    Service {
        id: ServiceAccountId,
        direction: DirectionId,
    },
}

/// What is known of a request when deciding who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAccess {
    pub association: AssociationId,
    /// Until submitted (a draft, or a draft withdrawn) a request is the association's own.
    pub submitted: bool,
    /// For the local circuit: the district whose town hall runs it.
    pub local_district: Option<DistrictNumber>,
    pub instructors: Vec<Instructor>,
}

/// What an actor asks to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Districts, directions, sectors: public.
    ReadReferenceData,
    /// Registering a person's account: public.
    RegisterAccount,
    /// One's own account and roles.
    ReadOwnAccount,
    /// Someone's account: themselves, or an admin.
    ReadAccount(AccountId),
    /// Listing people and granting or revoking staff roles.
    ManageAccounts,
    /// Creating and revoking directions' API clients.
    ManageServiceAccounts,
    /// Changing the city's reference data: directions, districts, sectors, kinds of
    /// documents and their rules.
    ManageReferenceData,
    /// Creating an association (the creator becomes its president).
    CreateAssociation,
    /// The staff list and search of associations.
    ListAssociations,
    ReadAssociation(AssociationId),
    UpdateAssociation(AssociationId),
    ReadMembers(AssociationId),
    /// Inviting, removing members and changing their roles.
    ManageMembers(AssociationId),
    /// Accepting an invitation addressed to oneself (the token proves it was received).
    AcceptInvitation,
    /// An association's documents: members, central staff and finance, the town hall of the
    /// association's district, and whoever instructs one of its submitted requests (its
    /// directions, the town hall running a local one).
    ReadDocuments {
        association: AssociationId,
        district: Option<DistrictNumber>,
        instructing: Vec<Instructor>,
    },
    /// Filing a document for an association: its members.
    FileDocument(AssociationId),
    /// Accepting or rejecting a filed document: the bureau, or the town hall of its district.
    ReviewDocument {
        association: AssociationId,
        district: Option<DistrictNumber>,
    },
    /// Signing an attestation in the association's name (the contrat d'engagement
    /// républicain): its president.
    Attest(AssociationId),
    /// A campaign: published ones are public, the others the city's staff's.
    ReadCampaign {
        published: bool,
    },
    /// Creating and editing a campaign: the bureau, or a town hall for its local campaigns.
    ManageCampaign {
        district: Option<DistrictNumber>,
    },
    /// Starting a request in the association's name: its members.
    CreateRequest(AssociationId),
    /// A request: the association's members; once submitted, the bureau, the directions
    /// instructing it, and the town hall running it on the local circuit.
    ReadRequest(RequestAccess),
    /// Lists of requests, each caller seeing its own scope.
    ListRequests,
    /// A request's thread, to read it and to write in it: for the association's thread, its
    /// members and the staff who read the request; for the city's internal one, those staff
    /// only. Anyone else is told the request does not exist.
    Converse {
        access: RequestAccess,
        thread: crate::conversation::Thread,
    },
    /// The worklist and the change feed: the city's staff and API clients.
    FollowRequests,
    /// Following a submitted request up for the city ("suivi par"), or naming who does: an
    /// agent of a service it is in the hands of (the bureau unless a town hall runs it, a
    /// direction instructing it, the town hall running it), not a member of its association.
    FollowUpRequest(RequestAccess),
    /// The messages waiting, sent or failed in the outbox: admins.
    ReadOutbox,
    /// The audit trail (sign-ins, role changes, exports): admins.
    ReadAuditTrail,
    /// Registering a webhook endpoint following a direction's requests (its staff and API
    /// clients), or every request (`None`: admins).
    RegisterWebhook {
        direction: Option<DirectionId>,
    },
    /// An endpoint registered: those who may register it; others are told it does not exist.
    ManageWebhook {
        direction: Option<DirectionId>,
    },
    /// The list of endpoints one may manage: admins, and those acting for a direction.
    ListWebhooks,
    /// A call for projects' jury, the coverage of its requests and its minutes: the bureau,
    /// and the jurors who sit on it.
    ReadJury {
        seat: Option<JurySeat>,
    },
    /// The jury's minutes (every sheet, named): the bureau; the chair once the session is
    /// closed (jurors do not read each other's sheets while they score).
    ReadMinutes {
        seat: Option<JurySeat>,
        session_open: bool,
    },
    /// Setting up a jury (rules, grid, members): the bureau.
    ManageJury,
    /// Deliberations: preparing their agenda and recording their vote. The bureau for every
    /// council; a district's town hall for its district council's (`district`).
    ManageDeliberations {
        district: Option<DistrictNumber>,
    },
    /// Reaching deliberations at all, before knowing whose council's they are: the bureau and
    /// the town halls.
    PrepareDeliberations,
    /// A grant with its agreement, schedule and payments: whoever reads the request, and
    /// finance.
    ReadGrant(RequestAccess),
    /// Signing an agreement in the association's name: its president, the legal
    /// representative.
    SignAgreement(AssociationId),
    /// Editing a drafted agreement and signing it for the city: the bureau.
    ManageAgreements,
    /// Payment schedules and payment orders: finance.
    ManagePayments,
    /// The payments due and overdue: finance and the bureau.
    ReadPayments,
    /// The indicators: the bureau and the administration for the whole city, a direction
    /// (or its API client) and a town hall for the requests they instruct.
    ReadIndicators,
    /// Seating jurors on requests, closing the session and validating the ranking: the
    /// bureau or the jury's chair.
    ChairJury {
        seat: Option<JurySeat>,
    },
    /// A juror's work on a request (declaring interests, reading it, scoring it): jurors
    /// seated on it who are neither recused nor members of the applicant. Anyone else is told
    /// it does not exist.
    SitOnRequest {
        association: AssociationId,
        seated: bool,
        recused: bool,
    },
}

/// Someone's seat on a jury.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JurySeat {
    pub chair: bool,
}

/// Why access is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Unauthenticated,
    Forbidden,
    NotFound,
}

impl Subject {
    /// What kind of caller it is, as logs name it (never who).
    pub fn kind(subject: Option<Subject>) -> &'static str {
        match subject {
            Some(Subject::Person(_)) => "person",
            Some(Subject::Service(_)) => "service",
            None => "anonymous",
        }
    }
}

impl Actor {
    /// What kind of caller it is, as logs name it (never who).
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Person { .. } => "person",
            Actor::Service { .. } => "service",
            Actor::Anonymous => "anonymous",
        }
    }

    fn has_staff(&self, wanted: impl Fn(&StaffRole) -> bool) -> bool {
        match self {
            Actor::Person { staff, .. } => staff.iter().any(wanted),
            _ => false,
        }
    }

    /// Holds the juror role (the juries they sit on are data of each jury).
    fn is_juror(&self) -> bool {
        self.has_staff(|r| matches!(r, StaffRole::Juror))
    }

    fn is_finance(&self) -> bool {
        self.has_staff(|r| matches!(r, StaffRole::Finance))
    }

    fn is_admin(&self) -> bool {
        self.has_staff(|r| matches!(r, StaffRole::Admin))
    }

    /// Admin or bureau: city-wide authority over associations.
    fn is_central(&self) -> bool {
        self.has_staff(|r| matches!(r, StaffRole::Admin | StaffRole::Bureau))
    }

    /// Any city staff role, or a direction's API client.
    fn is_staff(&self) -> bool {
        // Jurors are often outside experts: they see only what their juries are given.
        matches!(self, Actor::Service { .. }) || self.has_staff(|r| !matches!(r, StaffRole::Juror))
    }

    /// Whether this person acts for the town hall of `district`.
    fn is_district_of(&self, district: Option<DistrictNumber>) -> bool {
        district.is_some_and(|d| self.has_staff(|r| *r == StaffRole::District(d)))
    }

    /// Whether this person (or API client) acts for the direction.
    fn acts_for_direction(&self, direction: DirectionId) -> bool {
        matches!(self, Actor::Service { direction: d, .. } if *d == direction)
            || self.has_staff(|r| *r == StaffRole::Instructor(direction))
    }

    /// The directions this person (or API client) instructs for.
    pub fn directions(&self) -> Vec<DirectionId> {
        match self {
            Actor::Service { direction, .. } => vec![*direction],
            Actor::Person { staff, .. } => staff
                .iter()
                .filter_map(|r| match r {
                    StaffRole::Instructor(d) => Some(*d),
                    _ => None,
                })
                .collect(),
            Actor::Anonymous => vec![],
        }
    }

    fn acts_as(&self, instructor: Instructor) -> bool {
        match instructor {
            Instructor::Direction(d) => self.acts_for_direction(d),
            Instructor::District(n) => self.is_district_of(Some(n)),
        }
    }

    /// Whether the city's side sees the request: submitted, and in the caller's scope.
    fn sees_as_staff(&self, access: &RequestAccess) -> bool {
        access.submitted
            && (self.is_central()
                || access.instructors.iter().any(|i| self.acts_as(*i))
                || self.is_district_of(access.local_district))
    }

    /// Whether this person is an agent of a service the submitted request is in the hands of,
    /// and no member of its association.
    fn serves(&self, access: &RequestAccess) -> bool {
        matches!(self, Actor::Person { .. })
            && access.submitted
            && self.role_in(access.association).is_none()
            && ((access.local_district.is_none() && self.has_staff(|r| *r == StaffRole::Bureau))
                || access.instructors.iter().any(|i| self.acts_as(*i))
                || self.is_district_of(access.local_district))
    }

    /// This person's role in the association, if they are a member.
    pub fn role_in(&self, association: AssociationId) -> Option<MemberRole> {
        match self {
            Actor::Person { memberships, .. } => memberships
                .iter()
                .find(|m| m.association == association)
                .map(|m| m.role),
            _ => None,
        }
    }
}

impl Action {
    /// What a `NotFound` denial says was not found.
    pub fn resource(&self) -> &'static str {
        match self {
            Action::ReadAssociation(_)
            | Action::UpdateAssociation(_)
            | Action::ReadMembers(_)
            | Action::ManageMembers(_)
            | Action::ReadDocuments { .. }
            | Action::FileDocument(_)
            | Action::ReviewDocument { .. }
            | Action::Attest(_)
            | Action::CreateRequest(_) => "association",
            Action::ReadGrant(_) => "grant",
            Action::SignAgreement(_) => "agreement",
            Action::ReadAccount(_) => "account",
            Action::ReadCampaign { .. } | Action::ManageCampaign { .. } => "campaign",
            Action::ReadRequest(_) | Action::FollowUpRequest(_) | Action::SitOnRequest { .. } => {
                "request"
            }
            Action::ReadJury { .. }
            | Action::ReadMinutes { .. }
            | Action::ManageJury
            | Action::ChairJury { .. } => "jury",
            Action::ManageDeliberations { .. } | Action::PrepareDeliberations => "deliberation",
            Action::ManageWebhook { .. } => "webhook",
            Action::Converse { .. } => "thread",
            _ => "resource",
        }
    }
}

/// The refusal of a call that needs an access token and carries none.
pub fn authentication_required() -> DomainError {
    DomainError::Unauthenticated {
        code: "auth.required",
        message: "Connectez-vous (jeton d'accès Bearer) pour accéder à cette ressource.".into(),
    }
}

/// Asks the policy, and words a refusal as the error the caller receives.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), DomainError> {
    let resource = action.resource();
    decide(actor, action).map_err(|denial| match denial {
        Denial::Unauthenticated => authentication_required(),
        Denial::Forbidden => DomainError::Forbidden,
        Denial::NotFound => DomainError::NotFound { what: resource },
    })
}

/// The direction a new webhook endpoint follows: the one named; else none (every request)
/// for admins, or the caller's only direction. Whether the caller may register it is asked
/// of [`decide`] next.
pub fn webhook_direction(
    actor: &Actor,
    named: Option<DirectionId>,
) -> Result<Option<DirectionId>, DomainError> {
    if named.is_some() || actor.is_admin() {
        return Ok(named);
    }
    match actor.directions().as_slice() {
        [only] => Ok(Some(*only)),
        [] => Ok(None),
        _ => Err(DomainError::invalid(
            "direction_id",
            crate::Violation::new(
                "field.required",
                "Vous instruisez pour plusieurs directions : précisez laquelle suit ce point de réception.",
            ),
        )),
    }
}

/// Decides whether `actor` may carry out `action`.
pub fn decide(actor: &Actor, action: Action) -> Result<(), Denial> {
    use Action::*;
    let allow = |ok: bool, otherwise: Denial| if ok { Ok(()) } else { Err(otherwise) };
    if let ReadReferenceData | RegisterAccount | ReadCampaign { published: true } = action {
        return Ok(());
    }
    if let Actor::Anonymous = actor {
        return Err(Denial::Unauthenticated);
    }
    let person = matches!(actor, Actor::Person { .. });
    match action {
        ReadReferenceData | RegisterAccount => Ok(()),
        ReadOwnAccount | CreateAssociation | AcceptInvitation => allow(person, Denial::Forbidden),
        ReadAccount(id) => allow(
            actor.is_admin() || matches!(actor, Actor::Person { id: own, .. } if *own == id),
            Denial::NotFound,
        ),
        ManageAccounts | ManageServiceAccounts | ManageReferenceData => {
            allow(actor.is_admin(), Denial::Forbidden)
        }
        ListAssociations => allow(actor.is_staff(), Denial::Forbidden),
        ReadAssociation(id) => allow(
            actor.is_staff() || actor.role_in(id).is_some(),
            Denial::NotFound,
        ),
        UpdateAssociation(id) | ReadMembers(id) => {
            allow_or_refuse(actor, id, actor.is_central() || actor.role_in(id).is_some())
        }
        ManageMembers(id) => allow_or_refuse(
            actor,
            id,
            actor.is_admin() || actor.role_in(id) == Some(MemberRole::President),
        ),
        // Whoever may not read an association's documents is told they do not exist.
        ReadDocuments {
            association,
            district,
            instructing,
        } => allow(
            actor.role_in(association).is_some()
                || actor.has_staff(|r| {
                    matches!(r, StaffRole::Admin | StaffRole::Bureau | StaffRole::Finance)
                })
                || actor.is_district_of(district)
                || instructing.iter().any(|i| actor.acts_as(*i)),
            Denial::NotFound,
        ),
        FileDocument(id) => {
            allow_or_refuse(actor, id, actor.is_admin() || actor.role_in(id).is_some())
        }
        // Nobody reviews the documents of an association they belong to.
        ReviewDocument {
            association,
            district,
        } => allow_or_refuse(
            actor,
            association,
            (actor.is_central() || actor.is_district_of(district))
                && actor.role_in(association).is_none(),
        ),
        Attest(id) | SignAgreement(id) => {
            allow_or_refuse(actor, id, actor.role_in(id) == Some(MemberRole::President))
        }
        ReadCampaign { .. } => allow(actor.is_staff(), Denial::NotFound),
        ManageCampaign { district } => allow(
            actor.is_central() || actor.is_district_of(district),
            Denial::Forbidden,
        ),
        CreateRequest(id) => allow_or_refuse(actor, id, actor.role_in(id).is_some()),
        ReadRequest(access) => allow(
            actor.role_in(access.association).is_some() || actor.sees_as_staff(&access),
            Denial::NotFound,
        ),
        ListRequests => allow(
            actor.is_staff()
                || matches!(actor, Actor::Person { memberships, .. } if !memberships.is_empty()),
            Denial::Forbidden,
        ),
        FollowRequests => allow(actor.is_staff(), Denial::Forbidden),
        Converse { access, thread } => allow(
            sees_internal(actor, &access)
                || (thread == crate::conversation::Thread::Association
                    && actor.role_in(access.association).is_some()),
            Denial::NotFound,
        ),
        FollowUpRequest(access) => allow(
            actor.serves(&access),
            if actor.sees_as_staff(&access) || actor.role_in(access.association).is_some() {
                Denial::Forbidden
            } else {
                Denial::NotFound
            },
        ),
        ReadOutbox | ReadAuditTrail => allow(actor.is_admin(), Denial::Forbidden),
        RegisterWebhook { direction } => allow(
            actor.is_admin() || direction.is_some_and(|d| actor.acts_for_direction(d)),
            Denial::Forbidden,
        ),
        ManageWebhook { direction } => allow(
            actor.is_admin() || direction.is_some_and(|d| actor.acts_for_direction(d)),
            Denial::NotFound,
        ),
        ListWebhooks => allow(
            actor.is_admin() || !actor.directions().is_empty(),
            Denial::Forbidden,
        ),
        ReadJury { seat } => allow(
            actor.is_central() || (actor.is_juror() && seat.is_some()),
            Denial::Forbidden,
        ),
        ReadMinutes { seat, session_open } => allow(
            actor.is_central()
                || (actor.is_juror() && seat.is_some_and(|s| s.chair) && !session_open),
            Denial::Forbidden,
        ),
        ManageJury | ManageAgreements => allow(actor.is_central(), Denial::Forbidden),
        PrepareDeliberations => allow(
            actor.is_central() || actor.has_staff(|r| matches!(r, StaffRole::District(_))),
            Denial::Forbidden,
        ),
        ManageDeliberations { district } => allow(
            actor.is_central() || actor.is_district_of(district),
            Denial::Forbidden,
        ),
        ReadGrant(access) => allow(
            actor.role_in(access.association).is_some()
                || actor.sees_as_staff(&access)
                || (access.submitted && actor.is_finance()),
            Denial::NotFound,
        ),
        ManagePayments => allow(
            actor.has_staff(|r| matches!(r, StaffRole::Admin | StaffRole::Finance)),
            Denial::Forbidden,
        ),
        ReadPayments => allow(actor.is_central() || actor.is_finance(), Denial::Forbidden),
        ReadIndicators => allow(
            actor.is_central()
                || matches!(actor, Actor::Service { .. })
                || actor
                    .has_staff(|r| matches!(r, StaffRole::Instructor(_) | StaffRole::District(_))),
            Denial::Forbidden,
        ),
        ChairJury { seat } => allow(
            actor.is_central() || (actor.is_juror() && seat.is_some_and(|s| s.chair)),
            Denial::Forbidden,
        ),
        SitOnRequest {
            association,
            seated,
            recused,
        } => allow(
            actor.is_juror() && seated && !recused && actor.role_in(association).is_none(),
            Denial::NotFound,
        ),
    }
}

/// The parts `actor` plays in a request of `association`. A member of the association plays
/// only the applicant: nobody instructs their own association's request.
pub fn parties(actor: &Actor, association: AssociationId) -> Vec<Party> {
    if actor.role_in(association).is_some() {
        return vec![Party::Applicant];
    }
    match actor {
        Actor::Anonymous => vec![],
        Actor::Service { direction, .. } => vec![Party::Direction(*direction)],
        Actor::Person { staff, .. } => {
            let mut parties: Vec<Party> = Vec::new();
            for role in staff {
                let party = match role {
                    StaffRole::Admin | StaffRole::Bureau => Party::Bureau,
                    StaffRole::Instructor(d) => Party::Direction(*d),
                    StaffRole::District(n) => Party::District(*n),
                    StaffRole::Finance => Party::Finance,
                    StaffRole::Juror => continue,
                };
                if !parties.contains(&party) {
                    parties.push(party);
                }
            }
            parties
        }
    }
}

/// Whether `actor` reads the city's side of a request (internal events and notes, opinions):
/// staff who see it, unless they belong to the association.
pub fn sees_internal(actor: &Actor, access: &RequestAccess) -> bool {
    actor.role_in(access.association).is_none() && actor.sees_as_staff(access)
}

/// Which requests a caller may list: its associations' (drafts included) and, once
/// submitted, the whole city's or those of its directions and local districts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestScope {
    pub everything: bool,
    pub associations: Vec<AssociationId>,
    pub instructors: Vec<Instructor>,
    pub local_districts: Vec<DistrictNumber>,
}

pub fn request_scope(actor: &Actor) -> RequestScope {
    let mut scope = RequestScope {
        everything: actor.is_central(),
        ..RequestScope::default()
    };
    match actor {
        Actor::Anonymous => {}
        Actor::Service { direction, .. } => {
            scope.instructors.push(Instructor::Direction(*direction));
        }
        Actor::Person {
            memberships, staff, ..
        } => {
            scope.associations = memberships.iter().map(|m| m.association).collect();
            for role in staff {
                match role {
                    StaffRole::Instructor(d) => scope.instructors.push(Instructor::Direction(*d)),
                    StaffRole::District(n) => {
                        scope.instructors.push(Instructor::District(*n));
                        scope.local_districts.push(*n);
                    }
                    _ => {}
                }
            }
        }
    }
    scope
}

/// Allows, or refuses in a way that tells nothing to whoever may not know the association
/// exists: its members and the city's staff get 403, anyone else 404.
fn allow_or_refuse(actor: &Actor, association: AssociationId, allowed: bool) -> Result<(), Denial> {
    if allowed {
        Ok(())
    } else if actor.is_staff() || actor.role_in(association).is_some() {
        Err(Denial::Forbidden)
    } else {
        Err(Denial::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }
    const A: u128 = 1;
    const B: u128 = 2;

    fn member(role: MemberRole) -> Actor {
        Actor::Person {
            id: AccountId::from_uuid(id(10)),
            memberships: vec![Membership {
                association: AssociationId::from_uuid(id(A)),
                role,
            }],
            staff: vec![],
        }
    }

    /// Staff share one account id, so that `ReadAccount` of the members' id (10) is someone else's.
    fn staff(role: StaffRole) -> Actor {
        Actor::Person {
            id: AccountId::from_uuid(id(20)),
            memberships: vec![],
            staff: vec![role],
        }
    }

    fn nobody() -> Actor {
        Actor::Person {
            id: AccountId::from_uuid(id(30)),
            memberships: vec![],
            staff: vec![],
        }
    }

    fn service() -> Actor {
        Actor::Service {
            id: ServiceAccountId::from_uuid(id(40)),
            direction: DirectionId::from_uuid(id(50)),
        }
    }

    #[test]
    fn a_webhook_follows_the_direction_named_or_the_callers_only_one() {
        let (d50, d60) = (
            DirectionId::from_uuid(id(50)),
            DirectionId::from_uuid(id(60)),
        );
        let admin = staff(StaffRole::Admin);
        assert_eq!(webhook_direction(&admin, None), Ok(None));
        assert_eq!(webhook_direction(&admin, Some(d60)), Ok(Some(d60)));
        assert_eq!(webhook_direction(&service(), None), Ok(Some(d50)));
        assert_eq!(webhook_direction(&nobody(), None), Ok(None));
        let both = Actor::Person {
            id: AccountId::from_uuid(id(20)),
            memberships: vec![],
            staff: vec![StaffRole::Instructor(d50), StaffRole::Instructor(d60)],
        };
        assert!(matches!(
            webhook_direction(&both, None),
            Err(DomainError::Invalid(errors)) if errors[0].field == "direction_id"
        ));
        assert_eq!(webhook_direction(&both, Some(d60)), Ok(Some(d60)));
    }

    /// Every actor the matrix below covers, with a short name for failure messages.
    fn actors() -> Vec<(&'static str, Actor)> {
        vec![
            ("anonymous", Actor::Anonymous),
            ("no role", nobody()),
            ("president of A", member(MemberRole::President)),
            ("treasurer of A", member(MemberRole::Treasurer)),
            ("manager of A", member(MemberRole::Manager)),
            ("admin", staff(StaffRole::Admin)),
            ("bureau", staff(StaffRole::Bureau)),
            ("finance", staff(StaffRole::Finance)),
            (
                "instructor",
                staff(StaffRole::Instructor(DirectionId::from_uuid(id(50)))),
            ),
            ("district", staff(StaffRole::District(DistrictNumber(11)))),
            ("service account", service()),
            ("juror", staff(StaffRole::Juror)),
        ]
    }

    use Denial::{Forbidden as F, NotFound as N, Unauthenticated as U};
    const OK: Result<(), Denial> = Ok(());

    /// The expected outcome of each action for each actor, in the order of `actors()`.
    #[test]
    fn the_access_matrix() {
        let a = AssociationId::from_uuid(id(A));
        let b = AssociationId::from_uuid(id(B));
        let (d11, d5) = (Some(DistrictNumber(11)), Some(DistrictNumber(5)));
        let d50 = DirectionId::from_uuid(id(50));
        let access = |association, submitted, local_district, instructors| RequestAccess {
            association,
            submitted,
            local_district,
            instructors,
        };
        let a_submitted = access(a, true, None, vec![Instructor::Direction(d50)]);
        let a_draft = access(a, false, None, vec![]);
        let b_local = access(b, true, d11, vec![Instructor::District(DistrictNumber(11))]);
        let b_elsewhere = access(
            b,
            true,
            None,
            vec![Instructor::Direction(DirectionId::from_uuid(id(60)))],
        );
        #[rustfmt::skip]
        let matrix: Vec<(Action, [Result<(), Denial>; 12])> = vec![
            //                                  anon      none      pres      treas     manag     admin bureau finance instr  distr  service juror
            (Action::ReadReferenceData,       [OK,       OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, OK]),
            (Action::RegisterAccount,         [OK,       OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, OK]),
            (Action::ReadOwnAccount,          [Err(U),   OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    Err(F), OK]),
            (Action::ReadAccount(AccountId::from_uuid(id(10))), [Err(U), Err(N), OK, OK, OK, OK, Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
            (Action::CreateAssociation,       [Err(U),   OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    Err(F), OK]),
            (Action::AcceptInvitation,        [Err(U),   OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    Err(F), OK]),
            (Action::ManageAccounts,          [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageServiceAccounts,   [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageReferenceData,     [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ListAssociations,        [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    OK,     OK,    OK,    OK, Err(F)]),
            (Action::ReadAssociation(a),      [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, Err(N)]),
            (Action::ReadAssociation(b),      [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    OK,     OK,    OK,    OK, Err(N)]),
            (Action::UpdateAssociation(a),    [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::UpdateAssociation(b),    [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadMembers(a),          [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadMembers(b),          [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ManageMembers(a),        [Err(U),   Err(N),   OK,       Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ManageMembers(b),        [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadDocuments { association: a, district: d11, instructing: vec![] }, [Err(U), Err(N), OK, OK, OK, OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadDocuments { association: a, district: d5, instructing: vec![] },  [Err(U), Err(N), OK, OK, OK, OK, OK, OK, Err(N), Err(N), Err(N), Err(N)]),
            (Action::ReadDocuments { association: b, district: d11, instructing: vec![] }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadDocuments { association: b, district: None, instructing: vec![] }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), Err(N), Err(N), Err(N)]),
            (Action::FileDocument(a),         [Err(U),   Err(N),   OK,       OK,       OK,       OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::FileDocument(b),         [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReviewDocument { association: a, district: d11 }, [Err(U), Err(N), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), OK, Err(F), Err(N)]),
            (Action::ReviewDocument { association: b, district: d5 },  [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::Attest(a),               [Err(U),   Err(N),   OK,       Err(F),   Err(F),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::Attest(b),               [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            // The direction instructing one of B's requests reads B's documents.
            // So does the town hall running a local request of an association from elsewhere.
            (Action::ReadDocuments { association: b, district: d5, instructing: vec![Instructor::District(DistrictNumber(11))] }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadDocuments { association: b, district: None, instructing: vec![Instructor::Direction(d50)] }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, OK, Err(N), OK, Err(N)]),
            (Action::ReadCampaign { published: true },  [OK,     OK,       OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, OK]),
            (Action::ReadCampaign { published: false }, [Err(U), Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    OK,     OK,    OK,    OK, Err(N)]),
            (Action::ManageCampaign { district: None }, [Err(U), Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageCampaign { district: d11 },  [Err(U), Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), Err(F), OK,    Err(F), Err(F)]),
            (Action::CreateRequest(a),        [Err(U),   Err(N),   OK,       OK,       OK,       Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::CreateRequest(b),        [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadRequest(a_submitted.clone()), [Err(U), Err(N), OK, OK, OK, OK, OK, Err(N), OK, Err(N), OK, Err(N)]),
            (Action::ReadRequest(a_draft.clone()),     [Err(U), Err(N), OK, OK, OK, Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
            (Action::ReadRequest(b_local.clone()),     [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, Err(N), Err(N), OK, Err(N), Err(N)]),
            (Action::ReadRequest(b_elsewhere.clone()), [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, Err(N), Err(N), Err(N), Err(N), Err(N)]),


            (Action::ListRequests,            [Err(U),   Err(F),   OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, Err(F)]),
            (Action::FollowRequests,          [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    OK,     OK,    OK,    OK, Err(F)]),
            (Action::FollowUpRequest(a_submitted.clone()), [Err(U), Err(N), Err(F), Err(F), Err(F), Err(F), OK, Err(N), OK, Err(N), Err(F), Err(N)]),
            (Action::FollowUpRequest(b_local.clone()),     [Err(U), Err(N), Err(N), Err(N), Err(N), Err(F), Err(F), Err(N), Err(N), OK, Err(N), Err(N)]),
            (Action::ReadOutbox,              [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ReadAuditTrail,          [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::RegisterWebhook { direction: Some(d50) }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, Err(F), Err(F), OK, Err(F), OK, Err(F)]),
            (Action::RegisterWebhook { direction: None },      [Err(U), Err(F), Err(F), Err(F), Err(F), OK, Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageWebhook { direction: Some(d50) },   [Err(U), Err(N), Err(N), Err(N), Err(N), OK, Err(N), Err(N), OK, Err(N), OK, Err(N)]),
            (Action::ManageWebhook { direction: Some(DirectionId::from_uuid(id(60))) }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
            (Action::ListWebhooks,            [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), OK,    Err(F), OK, Err(F)]),
            // The juror (last column) sits on the jury, or not; chairs it, or not.
            (Action::ReadJury { seat: Some(JurySeat { chair: false }) }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), OK]),
            (Action::ReadJury { seat: None }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageJury,              [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::PrepareDeliberations,    [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), Err(F), OK,    Err(F), Err(F)]),
            (Action::ManageDeliberations { district: None }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageDeliberations { district: d11 },  [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), OK,    Err(F), Err(F)]),
            (Action::ManageDeliberations { district: d5 },   [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManageAgreements,        [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ManagePayments,          [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), OK,    Err(F), Err(F), Err(F), Err(F)]),
            (Action::ReadPayments,            [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    OK,     Err(F), Err(F), Err(F), Err(F)]),
            (Action::ReadIndicators,          [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    Err(F), OK,     OK,     OK,     Err(F)]),
            (Action::SignAgreement(a),        [Err(U),   Err(N),   OK,       Err(F),   Err(F),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::SignAgreement(b),        [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadGrant(a_submitted.clone()), [Err(U), Err(N), OK, OK, OK, OK, OK, OK, OK, Err(N), OK, Err(N)]),
            (Action::ReadGrant(a_draft.clone()),     [Err(U), Err(N), OK, OK, OK, Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
            (Action::ReadGrant(b_local.clone()),     [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadMinutes { seat: Some(JurySeat { chair: true }), session_open: false }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), OK]),
            (Action::ReadMinutes { seat: Some(JurySeat { chair: true }), session_open: true },  [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ReadMinutes { seat: Some(JurySeat { chair: false }), session_open: false }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            (Action::ChairJury { seat: Some(JurySeat { chair: true }) },  [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), OK]),
            (Action::ChairJury { seat: Some(JurySeat { chair: false }) }, [Err(U), Err(F), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(F)]),
            // Only a juror seated on the request, not recused, not a member of the applicant.
            (Action::SitOnRequest { association: b, seated: true, recused: false }, [Err(U), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), OK]),
            (Action::SitOnRequest { association: b, seated: true, recused: true },  [Err(U), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
            (Action::SitOnRequest { association: b, seated: false, recused: false }, [Err(U), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N), Err(N)]),
        ];
        let actors = actors();
        for (action, expected) in matrix {
            for ((name, actor), expected) in actors.iter().zip(expected) {
                assert_eq!(
                    decide(actor, action.clone()),
                    expected,
                    "{name} doing {action:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod wording {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn staff_do_not_review_their_own_associations_documents() {
        let a = AssociationId::from_uuid(Uuid::from_u128(1));
        let review = Action::ReviewDocument {
            association: a,
            district: Some(DistrictNumber(11)),
        };
        let juror_and_member = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(4)),
            memberships: vec![Membership {
                association: a,
                role: MemberRole::Manager,
            }],
            staff: vec![StaffRole::Juror],
        };
        let sit = Action::SitOnRequest {
            association: a,
            seated: true,
            recused: false,
        };
        // A juror who belongs to the applicant is recused, whatever was declared.
        assert_eq!(decide(&juror_and_member, sit), Err(Denial::NotFound));
        let bureau_and_member = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(3)),
            memberships: vec![Membership {
                association: a,
                role: MemberRole::Treasurer,
            }],
            staff: vec![StaffRole::Bureau, StaffRole::District(DistrictNumber(11))],
        };
        assert_eq!(
            decide(&bureau_and_member, review.clone()),
            Err(Denial::Forbidden)
        );
        let bureau = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(3)),
            memberships: vec![],
            staff: vec![StaffRole::Bureau, StaffRole::District(DistrictNumber(11))],
        };
        assert_eq!(decide(&bureau, review), Ok(()));
    }

    #[test]
    fn members_play_only_the_applicant_and_staff_their_roles() {
        let a = AssociationId::from_uuid(Uuid::from_u128(1));
        let dac = DirectionId::from_uuid(Uuid::from_u128(5));
        let staff_member = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(3)),
            memberships: vec![Membership {
                association: a,
                role: MemberRole::Manager,
            }],
            staff: vec![
                StaffRole::Bureau,
                StaffRole::Instructor(dac),
                StaffRole::Admin,
            ],
        };
        assert_eq!(parties(&staff_member, a), [Party::Applicant]);
        let other = AssociationId::from_uuid(Uuid::from_u128(2));
        assert_eq!(
            parties(&staff_member, other),
            [Party::Bureau, Party::Direction(dac)]
        );
        let service = Actor::Service {
            id: ServiceAccountId::from_uuid(Uuid::from_u128(4)),
            direction: dac,
        };
        assert_eq!(parties(&service, a), [Party::Direction(dac)]);
        let submitted = RequestAccess {
            association: a,
            submitted: true,
            local_district: None,
            instructors: vec![],
        };
        assert!(
            !sees_internal(&staff_member, &submitted),
            "not on their own association"
        );
        assert!(sees_internal(
            &staff_member,
            &RequestAccess {
                association: other,
                ..submitted
            }
        ));
        let scope = request_scope(&staff_member);
        assert!(scope.everything);
        assert_eq!(scope.associations, [a]);
        assert_eq!(scope.instructors, [Instructor::Direction(dac)]);
        assert_eq!(
            request_scope(&service),
            RequestScope {
                everything: false,
                associations: vec![],
                instructors: vec![Instructor::Direction(dac)],
                local_districts: vec![],
            }
        );
    }

    #[test]
    fn refusals_become_the_errors_callers_receive() {
        let a = AssociationId::from_uuid(Uuid::from_u128(1));
        assert!(matches!(
            authorize(&Actor::Anonymous, Action::ReadAssociation(a)),
            Err(DomainError::Unauthenticated {
                code: "auth.required",
                ..
            })
        ));
        let nobody = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(2)),
            memberships: vec![],
            staff: vec![],
        };
        assert_eq!(
            authorize(&nobody, Action::ReadAssociation(a)),
            Err(DomainError::NotFound {
                what: "association"
            })
        );
        assert_eq!(
            authorize(&nobody, Action::ListAssociations),
            Err(DomainError::Forbidden)
        );
    }
}

/// Whose work a worklist shows: the bureau checks submitted requests and dispatches admitted
/// ones (city-wide circuits); a direction gives the opinions awaited from it; a town hall
/// instructs its district's local requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkScope {
    pub bureau: bool,
    pub directions: Vec<DirectionId>,
    pub districts: Vec<DistrictNumber>,
}

impl WorkScope {
    /// Whether a request with these facts waits on this work; `report_filed`: its final
    /// report waits for review. The bureau checks what the city's circuits submitted and
    /// names the instructors of what it admitted; a direction gives the opinions asked of it
    /// and reviews the final reports of what it instructed; a town hall does all of it for
    /// its district's local requests.
    pub fn holds(&self, facts: &RequestFacts, report_filed: bool) -> bool {
        let state = facts.state;
        let report = state == RequestState::Granted && report_filed;
        let bureau = self.bureau
            && (facts.awaits_dispatch()
                || (state == RequestState::Submitted && facts.gatekeeper() == Some(Party::Bureau)));
        let direction = facts.instructors.iter().any(|a| match a.instructor {
            Instructor::Direction(d) => {
                self.directions.contains(&d) && (facts.awaits_opinion(a) || report)
            }
            Instructor::District(_) => false,
        });
        let district = facts
            .local_district
            .is_some_and(|d| self.districts.contains(&d))
            && (matches!(state, RequestState::Submitted | RequestState::InInstruction) || report);
        bureau || direction || district
    }
}

pub fn work_scope(actor: &Actor) -> WorkScope {
    let mut work = WorkScope {
        bureau: actor.is_central(),
        ..WorkScope::default()
    };
    match actor {
        Actor::Service { direction, .. } => work.directions.push(*direction),
        Actor::Person { staff, .. } => {
            for role in staff {
                match role {
                    StaffRole::Instructor(d) => work.directions.push(*d),
                    StaffRole::District(n) => work.districts.push(*n),
                    _ => {}
                }
            }
        }
        Actor::Anonymous => {}
    }
    work
}

#[cfg(test)]
mod work {
    use super::*;
    use crate::campaign::CircuitKind;
    use crate::circuit::{Assignment, Opinion, OpinionValue};
    use uuid::Uuid;

    fn facts(
        state: RequestState,
        circuit: CircuitKind,
        instructors: Vec<Assignment>,
    ) -> RequestFacts {
        let district = (circuit == CircuitKind::Local).then_some(DistrictNumber(11));
        RequestFacts {
            state,
            instructors,
            ..RequestFacts::new_draft(circuit, district)
        }
    }

    fn assigned(d: DirectionId, given: bool) -> Assignment {
        Assignment {
            instructor: Instructor::Direction(d),
            lead: true,
            opinion: given.then(|| Opinion {
                value: OpinionValue::Favourable,
                proposed_cents: 100_000,
                public_comment: None,
                internal_comment: None,
                given_at: chrono::Utc::now(),
            }),
        }
    }

    #[test]
    fn a_request_waits_on_whoever_must_act_on_it() {
        use RequestState::*;
        let dac = DirectionId::from_uuid(Uuid::from_u128(1));
        let bureau = WorkScope {
            bureau: true,
            ..WorkScope::default()
        };
        let direction = WorkScope {
            directions: vec![dac],
            ..WorkScope::default()
        };
        let town_hall = WorkScope {
            districts: vec![DistrictNumber(11)],
            ..WorkScope::default()
        };
        let central = |state, instructors| facts(state, CircuitKind::Central, instructors);
        let local = |state, instructors| facts(state, CircuitKind::Local, instructors);
        let holders = |f: &RequestFacts, filed: bool| {
            [&bureau, &direction, &town_hall].map(|w| w.holds(f, filed))
        };
        assert_eq!(
            holders(&central(Submitted, vec![]), false),
            [true, false, false]
        );
        assert_eq!(
            holders(&central(InInstruction, vec![]), false),
            [true, false, false],
            "to dispatch"
        );
        let awaited = central(InInstruction, vec![assigned(dac, false)]);
        assert_eq!(holders(&awaited, false), [false, true, false]);
        assert_eq!(
            holders(&central(InInstruction, vec![assigned(dac, true)]), false),
            [false; 3],
            "given"
        );
        assert_eq!(
            holders(&central(Incomplete, vec![assigned(dac, false)]), false),
            [false; 3],
            "sent back"
        );
        assert_eq!(
            holders(&central(Granted, vec![assigned(dac, true)]), true),
            [false, true, false],
            "report"
        );
        assert_eq!(
            holders(&central(Granted, vec![assigned(dac, true)]), false),
            [false; 3]
        );
        // A town hall checks and instructs its own: the bureau names no instructor there.
        assert_eq!(
            holders(&local(Submitted, vec![]), false),
            [false, false, true]
        );
        assert_eq!(
            holders(&local(InInstruction, vec![]), false),
            [false, false, true]
        );
        assert_eq!(holders(&local(Granted, vec![]), true), [false, false, true]);
    }
}
