//! The programme-implementation domain: what a Đề án, a Kế hoạch, a task or a report is, and
//! which changes to them are allowed.
//!
//! This crate does no IO. Input is parsed into the types of [`value`] at the edge ("parse,
//! don't validate"): a [`value::DocumentNumber`], a [`value::UnitId`] or a
//! [`value::ReportingPeriod`] cannot hold an invalid value.

pub mod briefing;
pub mod document;
pub mod focus;
pub mod obstacle;
pub mod plan;
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
