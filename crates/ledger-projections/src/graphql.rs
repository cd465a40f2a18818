//! GraphQL fields of the row types that hold lists as JSON text: the lists themselves
//! (feature `graphql`).

use async_graphql::ComplexObject;
use ledger_domain::focus::Priority;

use crate::tables::{BriefingRow, FocusRow, SupervisionRow, TaskRow};

/// A JSON array of strings as a list (empty if the text is not one: it is written by the
/// projection from a list).
fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

#[ComplexObject]
impl TaskRow {
    /// Coordinating units (cơ quan phối hợp).
    async fn coordinating(&self) -> Vec<String> {
        list(&self.coordinating)
    }
}

#[ComplexObject]
impl SupervisionRow {
    /// The supervised units (đối tượng giám sát).
    async fn supervised(&self) -> Vec<String> {
        list(&self.supervised)
    }
}

#[ComplexObject]
impl BriefingRow {
    /// The participating units.
    async fn participants(&self) -> Vec<String> {
        list(&self.participants)
    }
}

#[ComplexObject]
impl FocusRow {
    /// The year's priorities, each with its solution group and tasks.
    async fn priorities(&self) -> Vec<Priority> {
        serde_json::from_str(&self.priorities).unwrap_or_default()
    }
}
