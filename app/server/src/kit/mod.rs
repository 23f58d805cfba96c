//! The kit: the bottom layer every capability builds on. It knows no capability; capabilities reach
//! shared pages (navigation, panels) through the [`registry`] the wiring fills.

pub mod checked;
pub mod cpu;
pub mod dates;
pub mod deadline;
pub mod error_page;
pub mod form;
pub mod frame;
pub mod limits;
pub mod links;
pub mod mail;
pub mod notice;
pub mod office;
pub mod operator;
pub mod page;
pub mod params;
pub mod paths;
pub mod pipeline;
pub mod public;
pub mod registry;
pub mod schedule;
pub mod second_factor;
pub mod session;
pub mod uploads;
pub mod widgets;
