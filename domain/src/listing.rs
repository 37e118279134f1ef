//! How the agents' lists are ordered: each list's orders, the first being the one it opens
//! with.

use crate::coded_enum;

coded_enum! {
    /// The orders of a list of requests (and of the final reports to review).
    #[derive(Default)]
    pub enum RequestOrder {
        #[default]
        Newest = ("recentes", "Les plus récentes d'abord"),
        Oldest = ("anciennes", "Les plus anciennes d'abord"),
        /// The longest in their present state first: what waits the most.
        LongestInState = ("attente", "Depuis le plus longtemps dans leur état"),
        LargestAmount = ("montant_decroissant", "Montant demandé, du plus grand au plus petit"),
        SmallestAmount = ("montant_croissant", "Montant demandé, du plus petit au plus grand"),
    }
}

coded_enum! {
    /// The orders of the list of associations.
    #[derive(Default)]
    pub enum AssociationOrder {
        #[default]
        Name = ("nom", "Par nom"),
        Newest = ("recentes", "Les dernières inscrites d'abord"),
    }
}

coded_enum! {
    /// The orders of the documents waiting for review.
    #[derive(Default)]
    pub enum DocumentOrder {
        #[default]
        Oldest = ("anciennes", "Déposées depuis le plus longtemps d'abord"),
        Newest = ("recentes", "Les dernières déposées d'abord"),
    }
}

coded_enum! {
    /// The orders of the payments due.
    #[derive(Default)]
    pub enum PaymentOrder {
        #[default]
        Soonest = ("echeance", "Échéance la plus proche d'abord"),
        LargestGrant = ("montant", "Subvention, de la plus grande à la plus petite"),
    }
}
