//! The programme-implementation domain: what a Đề án, a Kế hoạch, a task or a report is, and
//! which changes to them are allowed.
//!
//! This crate does no IO. Input is parsed into the types of [`value`] at the edge ("parse,
//! don't validate"): a [`value::DocumentNumber`], a [`value::UnitId`] or a
//! [`value::ReportingPeriod`] cannot hold an invalid value.
//!
//! Each command is one type ([`command::Command`]), listed once ([`for_each_command!`]); it
//! says who may run it ([`access`]), how its date is judged ([`policy`]) and what it needs
//! from the log beyond its aggregate ([`facts`]). The command path (`ledger-app`) runs them.

pub mod access;
pub mod briefing;
pub mod command;
pub mod document;
pub mod facts;
pub mod focus;
pub mod obstacle;
pub mod plan;
pub mod policy;
pub mod programme;
pub mod report;
pub mod schemas;
pub mod supervision;
pub mod task;
pub mod unit;
pub mod upcast;
pub mod value;

#[cfg(test)]
mod test_support;
