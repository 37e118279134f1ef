//! Typed identifiers: UUIDs that cannot be swapped for one another.

use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                $name(uuid)
            }
        }
    };
}

id_type!(
    /// A person's account.
    AccountId
);
id_type!(
    /// An API client of a direction (client-credentials grant).
    ServiceAccountId
);
id_type!(
    /// An association.
    AssociationId
);
id_type!(
    /// A city direction (service instructeur).
    DirectionId
);
id_type!(
    /// A staff role granted to a person.
    StaffRoleId
);
id_type!(
    /// One filed version of an association's document.
    DocumentVersionId
);

id_type!(
    /// A campaign (or call for projects) requests are filed in.
    CampaignId
);
id_type!(
    /// A subsidy request (dossier).
    RequestId
);
id_type!(
    /// One event of a request's history.
    EventId
);
id_type!(
    /// A file attached to a message about a request.
    AttachmentId
);

/// A district (arrondissement) by its number: 1 to 20 in Paris. Which numbers exist is data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistrictNumber(pub i32);

impl DistrictNumber {
    /// Paris's districts: what an association's action or a search may name.
    pub const PARIS: std::ops::RangeInclusive<i32> = 1..=20;
}

impl fmt::Display for DistrictNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
