//! The status workflow of a case.

use serde::{Deserialize, Serialize};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    InReview,
    InformationRequested,
    Approved,
    Rejected,
    Completed,
    Archived,
}

pub const ALL: [Status; 7] = [
    Status::Submitted,
    Status::InReview,
    Status::InformationRequested,
    Status::Approved,
    Status::Rejected,
    Status::Completed,
    Status::Archived,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::InReview => "in_review",
            Status::InformationRequested => "information_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Completed => "completed",
            Status::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The statuses a case worker may move a case to from here. (Information requested returns
    /// to review when the applicant answers, or when the office takes it up again.)
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Submitted => &[Status::InReview],
            Status::InReview => &[Status::InformationRequested, Status::Approved, Status::Rejected],
            Status::InformationRequested => &[Status::InReview],
            Status::Approved | Status::Rejected => &[Status::Completed],
            Status::Completed => &[Status::Archived],
            Status::Archived => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }

    /// Moving here needs a text: the question to the applicant, or the reason of a rejection.
    pub fn needs_text(self) -> bool {
        matches!(self, Status::InformationRequested | Status::Rejected)
    }

    /// Open cases count towards the processing time (overdue).
    pub fn is_open(self) -> bool {
        matches!(self, Status::Submitted | Status::InReview | Status::InformationRequested)
    }

    /// The KERN badge variant.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Submitted | Status::InReview => "info",
            Status::InformationRequested => "warning",
            Status::Approved | Status::Completed => "success",
            Status::Rejected => "danger",
            Status::Archived => "info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_allows_exactly_the_documented_transitions() {
        let allowed = [
            ("submitted", "in_review"),
            ("in_review", "information_requested"),
            ("in_review", "approved"),
            ("in_review", "rejected"),
            ("information_requested", "in_review"),
            ("approved", "completed"),
            ("rejected", "completed"),
            ("completed", "archived"),
        ];
        for from in ALL {
            for to in ALL {
                let expected = allowed.contains(&(from.as_str(), to.as_str()));
                assert_eq!(from.can_move_to(to), expected, "{from:?} -> {to:?}");
            }
        }
        for s in ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
