//! One integration test binary: database isolation, the portal, the console, and the data files.

mod abuse;
mod appointments;
mod authz;
mod builder;
mod cache;
mod capabilities;
mod cases;
mod console;
mod data;
mod documents;
mod form_import;
mod forms;
mod hostile_xml;
mod identity;
mod isolation;
mod kita;
mod mail;
mod payments;
mod pipeline;
mod portal;
mod routes_admin;
mod routes_appointments;
mod routes_casework;
mod staff;
mod sync;
mod texts;
