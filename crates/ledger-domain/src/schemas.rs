//! JSON Schemas of every aggregate's events, as checked into `schema/events/`.
//!
//! Outside auditors read the log's payloads through these files; a test keeps them equal to
//! the code. After changing an event, regenerate them with
//! `UPDATE_EVENT_SCHEMAS=1 cargo test -p ledger-domain event_schemas` and commit the result.

use schemars::schema_for;
use serde_json::Value;

use crate::briefing::BriefingEvent;
use crate::document::DocumentEvent;
use crate::focus::FocusEvent;
use crate::obstacle::ObstacleEvent;
use crate::plan::PlanEvent;
use crate::programme::ProgrammeEvent;
use crate::report::ReportEvent;
use crate::supervision::SupervisionEvent;
use crate::task::TaskEvent;
use crate::unit::UnitEvent;

/// `(file stem, schema)` for each aggregate's events: one `oneOf` branch per event type,
/// told apart by its `type` field.
#[must_use]
pub fn event_schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("briefing", schema_for!(BriefingEvent).to_value()),
        ("document", schema_for!(DocumentEvent).to_value()),
        ("focus_programme", schema_for!(FocusEvent).to_value()),
        ("obstacle", schema_for!(ObstacleEvent).to_value()),
        ("plan", schema_for!(PlanEvent).to_value()),
        ("programme", schema_for!(ProgrammeEvent).to_value()),
        ("report", schema_for!(ReportEvent).to_value()),
        ("supervision", schema_for!(SupervisionEvent).to_value()),
        ("task", schema_for!(TaskEvent).to_value()),
        ("unit", schema_for!(UnitEvent).to_value()),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/events")
    }

    #[test]
    fn event_schemas_match_the_checked_in_files() {
        let update = std::env::var("UPDATE_EVENT_SCHEMAS").is_ok_and(|v| v == "1");
        for (name, schema) in event_schemas() {
            let path = dir().join(format!("{name}.schema.json"));
            let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            if update {
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run UPDATE_EVENT_SCHEMAS=1 cargo test -p ledger-domain event_schemas",
                    path.display()
                )
            });
            assert_eq!(
                stored,
                text,
                "{} differs from the code; run UPDATE_EVENT_SCHEMAS=1 cargo test -p ledger-domain event_schemas",
                path.display()
            );
        }
    }

    #[test]
    fn every_event_type_has_a_branch() {
        let schemas = event_schemas();
        let text = serde_json::to_string(&schemas).unwrap();
        for event in [
            "UnitRegistered",
            "UnitRenamed",
            "UnitReparented",
            "UnitMerged",
            "UnitDissolved",
            "SuccessorDeclared",
            "TaskAssigned",
            "ReminderIssued",
            "DeadlineExtended",
            "ResponsibilityTransferred",
            "ProgressReported",
            "TaskCompleted",
            "TaskCancelled",
            "ReportSubmitted",
            "ReportCorrected",
            "ReportAccepted",
            "ReportReturned",
            "DocumentRegistered",
            "BriefingHeld",
            "ConclusionIssued",
            "ObstacleRaised",
            "ObstacleEscalated",
            "ObstacleResolved",
            "PlanIssued",
            "PlanAmended",
            "UnitPlanRecorded",
            "PlanSuperseded",
            "SupervisionOpened",
            "RecommendationMade",
            "RecommendationAnswered",
            "SupervisionClosed",
            "FocusProgrammeAdopted",
            "FocusProgrammeAmended",
            "ProgrammeAdopted",
            "ProgrammeAmended",
            "ProgrammeReviewed",
            "ProgrammeClosed",
        ] {
            assert!(text.contains(&format!("\"const\":\"{event}\"")), "{event}");
        }
    }

    #[test]
    fn a_stored_event_validates_its_shape() {
        // The schema of a task event names the fields a stored payload has.
        let (_, task) = event_schemas()
            .into_iter()
            .find(|(n, _)| *n == "task")
            .unwrap();
        let text = task.to_string();
        for field in ["deadline", "lead", "coordinating", "assigned_on", "basis"] {
            assert!(text.contains(&format!("\"{field}\"")), "{field}");
        }
    }
}
