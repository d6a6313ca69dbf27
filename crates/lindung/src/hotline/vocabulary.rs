//! The hotline's closed vocabularies, stored as the strings the columns always held.

use crate::helpers::vocabulary;

vocabulary! {
    /// Where a report stands.
    pub enum ReportStatus {
        New = "new",
        InReview = "in_review",
        Assessed = "assessed",
        NoticeSent = "notice_sent",
        Removed = "removed",
        Closed = "closed",
    }
}

impl ReportStatus {
    /// What a reporter may learn: `received`, `in_review`, `action_taken` (a notice was sent),
    /// `removed` or `closed`.
    pub fn public(self) -> &'static str {
        match self {
            ReportStatus::New => "received",
            ReportStatus::InReview | ReportStatus::Assessed => "in_review",
            ReportStatus::NoticeSent => "action_taken",
            ReportStatus::Removed => "removed",
            ReportStatus::Closed => "closed",
        }
    }

    /// Still being worked: neither removed nor closed.
    pub fn is_open(self) -> bool {
        !matches!(self, ReportStatus::Removed | ReportStatus::Closed)
    }

    /// Whether a new submission with the same URL or file joins the report: only before it is
    /// assessed. Later ones open a new report linked to it, so that the public can neither
    /// reopen nor steer a report an analyst has decided.
    pub fn open_for_intake(self) -> bool {
        matches!(self, ReportStatus::New | ReportStatus::InReview)
    }
}

vocabulary! {
    /// How a linked report stands to the one shown.
    pub enum LinkRelation {
        /// An earlier report this one repeats.
        Earlier = "earlier",
        /// A later report that repeats this one.
        Later = "later",
    }
}

vocabulary! {
    /// Who sent a submission.
    pub enum ReportSource {
        /// Anyone, through the public form.
        Public = "public",
        /// An IT company, through the API.
        Platform = "platform",
        /// A partner hotline, through a partner export.
        Partner = "partner",
    }
}

vocabulary! {
    /// The eight CyberTipline incident types, by our names.
    pub enum IncidentType {
        Csam = "csam",
        ChildSexTrafficking = "child_sex_trafficking",
        ChildSexTourism = "child_sex_tourism",
        ChildSexualMolestation = "child_sexual_molestation",
        MisleadingDomainName = "misleading_domain_name",
        MisleadingWordsOrImages = "misleading_words_or_images",
        OnlineEnticement = "online_enticement",
        UnsolicitedObsceneMaterialToChild = "unsolicited_obscene_material_to_child",
    }
}

impl IncidentType {
    /// NCMEC's name for the type, as the CyberTipline XML has it.
    pub fn ncmec_name(self) -> &'static str {
        match self {
            IncidentType::Csam => "Child Pornography (possession, manufacture, and distribution)",
            IncidentType::ChildSexTrafficking => "Child Sex Trafficking",
            IncidentType::ChildSexTourism => "Child Sex Tourism",
            IncidentType::ChildSexualMolestation => "Child Sexual Molestation",
            IncidentType::MisleadingDomainName => "Misleading Domain Name",
            IncidentType::MisleadingWordsOrImages => {
                "Misleading Words or Digital Images on the Internet"
            }
            IncidentType::OnlineEnticement => "Online Enticement of Children for Sexual Acts",
            IncidentType::UnsolicitedObsceneMaterialToChild => {
                "Unsolicited Obscene Material Sent to a Child"
            }
        }
    }
}

vocabulary! {
    /// The apparent age group of the person depicted, as analysts assess it.
    pub enum AgeGroup {
        InfantToddler = "infant_toddler",
        Prepubescent = "prepubescent",
        Pubescent = "pubescent",
        Unknown = "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_and_strangers_are_refused_by_name() {
        for status in ReportStatus::ALL {
            assert_eq!(status.as_str().parse::<ReportStatus>(), Ok(*status));
        }
        let refused = "archived".parse::<ReportStatus>().expect_err("unknown");
        assert!(
            refused.contains("archived") && refused.contains("notice_sent"),
            "{refused}"
        );
        assert_eq!(
            serde_json::to_string(&IncidentType::OnlineEnticement).expect("json"),
            "\"online_enticement\""
        );
    }

    #[test]
    fn only_new_and_in_review_reports_take_more_submissions() {
        for status in ReportStatus::ALL {
            let expected = matches!(status, ReportStatus::New | ReportStatus::InReview);
            assert_eq!(status.open_for_intake(), expected, "{status:?}");
        }
    }

    #[test]
    fn reporters_see_only_a_coarse_status() {
        assert_eq!(ReportStatus::New.public(), "received");
        assert_eq!(ReportStatus::Assessed.public(), "in_review");
        assert_eq!(ReportStatus::NoticeSent.public(), "action_taken");
        assert_eq!(ReportStatus::Removed.public(), "removed");
        assert_eq!(ReportStatus::Closed.public(), "closed");
    }
}
