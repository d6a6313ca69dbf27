//! Care's closed vocabularies, stored as the strings the columns always held, and the case's
//! path between stages.

use crate::helpers::vocabulary;

vocabulary! {
    /// Where a case stands on its path from registration to closure.
    pub enum CareStage {
        Registration = "registration",
        Assessment = "assessment",
        CasePlan = "case_plan",
        ServiceDelivery = "service_delivery",
        FollowUp = "follow_up",
        Closure = "closure",
        Reopened = "reopened",
    }
}

/// A move from one stage to the next: made at once, or recorded to wait for a supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Now,
    /// Agreeing the case plan (entering service delivery) and closing wait for a supervisor;
    /// the value is what awaits approval.
    AfterApproval(CareStage),
}

impl CareStage {
    /// How a case at this stage may move to `to`, or `None` if it may not.
    pub fn move_to(self, to: CareStage) -> Option<Move> {
        use CareStage::*;
        match (self, to) {
            (Registration | Reopened, Assessment)
            | (Assessment, CasePlan)
            | (ServiceDelivery, FollowUp)
            | (Closure, Reopened) => Some(Move::Now),
            (CasePlan, ServiceDelivery) => Some(Move::AfterApproval(CasePlan)),
            (FollowUp, Closure) => Some(Move::AfterApproval(Closure)),
            _ => None,
        }
    }

    /// The stage a supervisor's approval of `self` (what awaits approval) leads to.
    pub fn approved(self) -> Option<CareStage> {
        match self {
            CareStage::CasePlan => Some(CareStage::ServiceDelivery),
            CareStage::Closure => Some(CareStage::Closure),
            _ => None,
        }
    }
}

vocabulary! {
    /// What a consent allows.
    pub enum ConsentPurpose {
        /// Services for the child.
        Services = "services",
        /// Sharing the case with another organisation (referrals, transfers).
        Disclosure = "disclosure",
        /// Counting the case in statistics.
        Statistics = "statistics",
        /// Banking the child's picture hashes so that platforms block them and the case hears
        /// when they are seen again.
        HashSharing = "hash_sharing",
    }
}

vocabulary! {
    /// Where a planned service stands.
    pub enum ServiceStatus {
        Planned = "planned",
        Referred = "referred",
        Accepted = "accepted",
        InProgress = "in_progress",
        Delivered = "delivered",
        Declined = "declined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_moves_forward_and_waits_for_approval_at_the_plan_and_the_end() {
        use CareStage::*;
        assert_eq!(Registration.move_to(Assessment), Some(Move::Now));
        assert_eq!(Reopened.move_to(Assessment), Some(Move::Now));
        assert_eq!(Assessment.move_to(CasePlan), Some(Move::Now));
        assert_eq!(
            CasePlan.move_to(ServiceDelivery),
            Some(Move::AfterApproval(CasePlan))
        );
        assert_eq!(ServiceDelivery.move_to(FollowUp), Some(Move::Now));
        assert_eq!(
            FollowUp.move_to(Closure),
            Some(Move::AfterApproval(Closure))
        );
        assert_eq!(Closure.move_to(Reopened), Some(Move::Now));
        // No skipping ahead, no going back except by reopening a closed case.
        assert_eq!(Registration.move_to(CasePlan), None);
        assert_eq!(Assessment.move_to(Registration), None);
        assert_eq!(ServiceDelivery.move_to(Closure), None);
        assert_eq!(CasePlan.approved(), Some(ServiceDelivery));
        assert_eq!(Closure.approved(), Some(Closure));
        assert_eq!(Assessment.approved(), None);
    }
}
