//! Shared by capabilities, below them all: what several of them need of cases and drafts. Who may
//! see a case and how it reads (status label, timeline), its PDFs for its holder, and the applicant
//! of a draft. It uses only the kit and the flows; capabilities meet here instead of importing each
//! other.

pub mod cases;
pub mod drafts;
