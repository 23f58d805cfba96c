//! Flows: the platform's workflows without HTTP, shared by page handlers, webhooks and jobs. They use
//! only the kit.

pub mod directory;
pub mod documents;
pub mod filing;
pub mod payment;
pub mod receipt;
pub mod retention;
pub mod staff_invite;
