//! The one access policy: who may do what. Every handler asks [`authorize`] before acting,
//! and never decides on its own.
//!
//! Denials come in three kinds. Someone not signed in is `Unauthenticated`. Someone who may not
//! even know a thing exists (a member of association A asking for association B) gets
//! `NotFound`, so ids cannot be probed. Someone who can see the thing but not do this with it,
//! or who asks for a staff-only list, gets `Forbidden`.

use crate::DomainError;
use crate::ids::{AccountId, AssociationId, DirectionId, DistrictNumber, ServiceAccountId};
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

/// What an actor asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// An association's documents: members, central staff and finance, and the town hall of
    /// the association's district.
    ReadDocuments {
        association: AssociationId,
        district: Option<DistrictNumber>,
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
    /// Editing the kinds of documents.
    ManageDocumentKinds,
}

/// Why access is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Unauthenticated,
    Forbidden,
    NotFound,
}

impl Actor {
    fn has_staff(&self, wanted: impl Fn(&StaffRole) -> bool) -> bool {
        match self {
            Actor::Person { staff, .. } => staff.iter().any(wanted),
            _ => false,
        }
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
    pub fn resource(self) -> &'static str {
        match self {
            Action::ReadAssociation(_)
            | Action::UpdateAssociation(_)
            | Action::ReadMembers(_)
            | Action::ManageMembers(_)
            | Action::ReadDocuments { .. }
            | Action::FileDocument(_)
            | Action::ReviewDocument { .. }
            | Action::Attest(_) => "association",
            Action::ReadAccount(_) => "account",
            _ => "resource",
        }
    }
}

/// Asks the policy, and words a refusal as the error the caller receives.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), DomainError> {
    decide(actor, action).map_err(|denial| match denial {
        Denial::Unauthenticated => DomainError::Unauthenticated {
            code: "auth.required",
            message: "Connectez-vous (jeton d'accès Bearer) pour accéder à cette ressource.".into(),
        },
        Denial::Forbidden => DomainError::Forbidden,
        Denial::NotFound => DomainError::NotFound {
            what: action.resource(),
        },
    })
}

/// Decides whether `actor` may carry out `action`.
pub fn decide(actor: &Actor, action: Action) -> Result<(), Denial> {
    use Action::*;
    let allow = |ok: bool, otherwise: Denial| if ok { Ok(()) } else { Err(otherwise) };
    if let ReadReferenceData | RegisterAccount = action {
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
        ManageAccounts | ManageServiceAccounts => allow(actor.is_admin(), Denial::Forbidden),
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
        } => allow(
            actor.role_in(association).is_some()
                || actor.has_staff(|r| {
                    matches!(r, StaffRole::Admin | StaffRole::Bureau | StaffRole::Finance)
                })
                || actor.is_district_of(district),
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
        Attest(id) => allow_or_refuse(actor, id, actor.role_in(id) == Some(MemberRole::President)),
        ManageDocumentKinds => allow(actor.is_admin(), Denial::Forbidden),
    }
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
            (Action::ListAssociations,        [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   OK,    OK,     OK,    OK,    OK, Err(F)]),
            (Action::ReadAssociation(a),      [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    OK,     OK,    OK,    OK, Err(N)]),
            (Action::ReadAssociation(b),      [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    OK,     OK,    OK,    OK, Err(N)]),
            (Action::UpdateAssociation(a),    [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::UpdateAssociation(b),    [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadMembers(a),          [Err(U),   Err(N),   OK,       OK,       OK,       OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadMembers(b),          [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   OK,    Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ManageMembers(a),        [Err(U),   Err(N),   OK,       Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ManageMembers(b),        [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReadDocuments { association: a, district: d11 }, [Err(U), Err(N), OK, OK, OK, OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadDocuments { association: a, district: d5 },  [Err(U), Err(N), OK, OK, OK, OK, OK, OK, Err(N), Err(N), Err(N), Err(N)]),
            (Action::ReadDocuments { association: b, district: d11 }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), OK, Err(N), Err(N)]),
            (Action::ReadDocuments { association: b, district: None }, [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, OK, Err(N), Err(N), Err(N), Err(N)]),
            (Action::FileDocument(a),         [Err(U),   Err(N),   OK,       OK,       OK,       OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::FileDocument(b),         [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ReviewDocument { association: a, district: d11 }, [Err(U), Err(N), Err(F), Err(F), Err(F), OK, OK, Err(F), Err(F), OK, Err(F), Err(N)]),
            (Action::ReviewDocument { association: b, district: d5 },  [Err(U), Err(N), Err(N), Err(N), Err(N), OK, OK, Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::Attest(a),               [Err(U),   Err(N),   OK,       Err(F),   Err(F),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::Attest(b),               [Err(U),   Err(N),   Err(N),   Err(N),   Err(N),   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F), Err(N)]),
            (Action::ManageDocumentKinds,     [Err(U),   Err(F),   Err(F),   Err(F),   Err(F),   OK,   Err(F), Err(F), Err(F), Err(F), Err(F), Err(F)]),
        ];
        let actors = actors();
        for (action, expected) in matrix {
            for ((name, actor), expected) in actors.iter().zip(expected) {
                assert_eq!(decide(actor, action), expected, "{name} doing {action:?}");
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
        let bureau_and_member = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(3)),
            memberships: vec![Membership {
                association: a,
                role: MemberRole::Treasurer,
            }],
            staff: vec![StaffRole::Bureau, StaffRole::District(DistrictNumber(11))],
        };
        assert_eq!(decide(&bureau_and_member, review), Err(Denial::Forbidden));
        let bureau = Actor::Person {
            id: AccountId::from_uuid(Uuid::from_u128(3)),
            memberships: vec![],
            staff: vec![StaffRole::Bureau, StaffRole::District(DistrictNumber(11))],
        };
        assert_eq!(decide(&bureau, review), Ok(()));
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
