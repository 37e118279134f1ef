//! Domain enums in the API: each travels as its stable code, and the OpenAPI document lists
//! the codes. Unknown codes are refused with the list of permitted ones.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use simpa_domain::agreement::AgreementStatus;
use simpa_domain::association::TargetPublic;
use simpa_domain::audit::AuditAction;
use simpa_domain::budget::Funder;
use simpa_domain::campaign::{CampaignStatus, CircuitKind, Nature};
use simpa_domain::circuit::Declaration;
use simpa_domain::circuit::{ActionKind, AskReason, OpinionValue, Visibility};
use simpa_domain::conversation::{Side, Thread};
use simpa_domain::council::CouncilKind;
use simpa_domain::deliberation::VoteOutcome;
use simpa_domain::document::{Condition, DocumentStatus, ProfileStatus, ReviewState, ValidityRule};
use simpa_domain::final_report::ReportStatus;
use simpa_domain::funding::InstallmentDue;
use simpa_domain::jury::SessionStatus;
use simpa_domain::notification::WorkEmails;
use simpa_domain::outbox::{Channel, MessageStatus};
use simpa_domain::request::RequestState;
use simpa_domain::roles::{MemberRole, StaffRoleKind};
use simpa_domain::scoring::{Allotment, LastRequest};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! api_code {
    ($(#[$meta:meta])* $wrapper:ident($domain:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $wrapper(pub $domain);

        impl Serialize for $wrapper {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.0.code())
            }
        }

        impl<'de> Deserialize<'de> for $wrapper {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = String::deserialize(deserializer)?;
                <$domain>::from_code(&code).map($wrapper).ok_or_else(|| {
                    let expected: Vec<String> = <$domain>::codes().iter().map(|c| format!("`{c}`")).collect();
                    D::Error::custom(format!("unknown variant `{code}`, expected one of {}", expected.join(", ")))
                })
            }
        }

        impl utoipa::PartialSchema for $wrapper {
            fn schema() -> RefOr<Schema> {
                let labels: Vec<String> = <$domain>::ALL.iter().map(|v| format!("`{}`: {}", v.code(), v.label())).collect();
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(<$domain>::codes()))
                    .description(Some(labels.join("; ")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $wrapper {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($wrapper))
            }
        }
    };
}

api_code!(
    /// A role within an association.
    MemberRoleCode(MemberRole)
);
api_code!(
    /// A kind of staff role.
    StaffRoleKindCode(StaffRoleKind)
);
api_code!(
    /// How long a version of a kind of document stays valid.
    ValidityRuleCode(ValidityRule)
);
api_code!(
    /// When a kind of document is required at all.
    ConditionCode(Condition)
);
api_code!(
    /// The city's review of a document.
    ReviewStateCode(ReviewState)
);
api_code!(
    /// Where a kind of document stands on a date.
    DocumentStatusCode(DocumentStatus)
);
api_code!(
    /// The status shown on an association's profile.
    ProfileStatusCode(ProfileStatus)
);
api_code!(
    /// What a subsidy pays for.
    NatureCode(Nature)
);
api_code!(
    /// How a campaign's requests are instructed.
    CircuitCode(CircuitKind)
);
api_code!(
    /// Where a campaign stands.
    CampaignStatusCode(CampaignStatus)
);
api_code!(
    /// Where a request stands.
    RequestStateCode(RequestState)
);
api_code!(
    /// What happened to a request.
    ActionCode(ActionKind)
);
api_code!(
    /// Which of a request's threads.
    ThreadCode(Thread)
);
api_code!(
    /// Who wrote a message.
    SideCode(Side)
);
api_code!(
    /// An instructor's opinion.
    OpinionCode(OpinionValue)
);
api_code!(
    /// Why something is asked again.
    AskReasonCode(AskReason)
);
api_code!(
    /// Whether the association sees an event.
    VisibilityCode(Visibility)
);
api_code!(
    /// Who pays a subsidy line (account 74) of a budget.
    FunderCode(Funder)
);
api_code!(
    /// How staff hear of new work.
    WorkEmailsCode(WorkEmails)
);
api_code!(
    /// Where an agreement's signatures stand.
    AgreementStatusCode(AgreementStatus)
);
api_code!(
    /// Whom an association's actions are for.
    TargetPublicCode(TargetPublic)
);
api_code!(
    /// Where a final report stands.
    ReportStatusCode(ReportStatus)
);
api_code!(
    /// When an installment of a grant's payment schedule is due.
    InstallmentDueCode(InstallmentDue)
);
api_code!(
    /// Which council votes a deliberation.
    CouncilCode(CouncilKind)
);
api_code!(
    /// How a council voted a deliberation.
    VoteOutcomeCode(VoteOutcome)
);
api_code!(
    /// Where a jury's session stands.
    SessionStatusCode(SessionStatus)
);
api_code!(
    /// A juror's declaration of interests on a request.
    DeclarationCode(Declaration)
);
api_code!(
    /// What the last request reached when the envelope runs out receives.
    LastRequestCode(LastRequest)
);
api_code!(
    /// What a jury's ranking gave a request.
    AllotmentCode(Allotment)
);
api_code!(
    /// How a message of the outbox travels.
    ChannelCode(Channel)
);
api_code!(
    /// Where a message of the outbox stands.
    MessageStatusCode(MessageStatus)
);
api_code!(
    /// What an event of the audit trail records.
    AuditActionCode(AuditAction)
);
