//! The audit trail: sign-ins (and those refused), changes of who may do what (staff roles, API
//! clients, members of associations) and exports of the city's data. An event is written in
//! the transaction of the change it records; a refused sign-in or an export, which change
//! nothing else, in a transaction of its own. It never holds a password, a token or a secret.

use crate::coded_enum;
use crate::ids::{AccountId, ServiceAccountId};
use crate::policy::{Actor, Subject};

coded_enum! {
    /// What an audit event records.
    pub enum AuditAction {
        SignedIn = ("auth.signed_in", "Connexion"),
        SignInRefused = ("auth.sign_in_refused", "Connexion refusée : identifiants invalides"),
        SignInThrottled = ("auth.sign_in_throttled", "Connexion refusée : trop d'échecs récents"),
        SsoLinked = ("auth.sso_linked", "Identité du fournisseur d'identité liée au compte (par son adresse vérifiée)"),
        ClientSignedIn = ("auth.client_signed_in", "Connexion d'un client d'API"),
        ClientSignInRefused = ("auth.client_sign_in_refused", "Connexion d'un client d'API refusée"),
        RefreshTokenReused = ("auth.refresh_token_reused", "Jeton de rafraîchissement présenté deux fois : session révoquée"),
        PasswordChanged = ("auth.password_changed", "Mot de passe changé (toutes les sessions fermées)"),
        SessionRevoked = ("auth.session_revoked", "Session fermée par son titulaire"),
        TwoFactorEnabled = ("auth.two_factor_enabled", "Double authentification activée"),
        TwoFactorDisabled = ("auth.two_factor_disabled", "Double authentification désactivée par son titulaire"),
        TwoFactorReset = ("auth.two_factor_reset", "Double authentification réinitialisée par un administrateur (sessions fermées)"),
        RecoveryCodesRenewed = ("auth.recovery_codes_renewed", "Nouveaux codes de secours"),
        RecoveryCodeUsed = ("auth.recovery_code_used", "Code de secours utilisé pour se connecter"),
        AccountDeactivated = ("account.deactivated", "Compte désactivé (ses sessions fermées)"),
        AccountReactivated = ("account.reactivated", "Compte réactivé"),
        AccountProvisioned = ("account.provisioned", "Compte créé à la première connexion par le fournisseur d'identité (sans rôle)"),
        StaffRoleGranted = ("staff_role.granted", "Rôle attribué"),
        StaffRoleRevoked = ("staff_role.revoked", "Rôle retiré"),
        ServiceAccountCreated = ("service_account.created", "Client d'API créé"),
        ServiceAccountRevoked = ("service_account.revoked", "Client d'API révoqué"),
        ServiceAccountSecretRotated = ("service_account.secret_rotated", "Secret d'un client d'API renouvelé"),
        ReferenceDataChanged = ("reference.changed", "Donnée de référence créée ou modifiée (direction, arrondissement, secteur, pièce)"),
        AssociationCreated = ("association.created", "Association créée : son auteur en est président·e"),
        MemberInvited = ("member.invited", "Membre invité"),
        InvitationCancelled = ("member.invitation_cancelled", "Invitation annulée"),
        MemberJoined = ("member.joined", "Invitation acceptée"),
        MemberRoleChanged = ("member.role_changed", "Rôle d'un membre changé"),
        MemberRemoved = ("member.removed", "Membre retiré"),
        IndicatorsExported = ("export.indicators", "Indicateurs exportés"),
        JuryMinutesExported = ("export.jury_minutes", "Procès-verbal de jury exporté"),
    }
}

/// Who did it: a person, an API client, or nobody known (a refused sign-in names what was
/// typed in `identifier`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditActor {
    pub account: Option<AccountId>,
    pub service: Option<ServiceAccountId>,
    /// The e-mail or client id a sign-in gave.
    pub identifier: Option<String>,
}

impl AuditActor {
    pub fn of(subject: Subject) -> AuditActor {
        match subject {
            Subject::Person(id) => AuditActor {
                account: Some(id),
                ..AuditActor::default()
            },
            Subject::Service(id) => AuditActor {
                service: Some(id),
                ..AuditActor::default()
            },
        }
    }

    /// The actor the policy let through.
    pub fn acting(actor: &Actor) -> AuditActor {
        match actor {
            Actor::Person { id, .. } => AuditActor::of(Subject::Person(*id)),
            Actor::Service { id, .. } => AuditActor::of(Subject::Service(*id)),
            Actor::Anonymous => AuditActor::default(),
        }
    }

    /// Someone who only said who they were.
    pub fn claiming(identifier: &str) -> AuditActor {
        AuditActor {
            identifier: Some(identifier.to_owned()),
            ..AuditActor::default()
        }
    }
}
