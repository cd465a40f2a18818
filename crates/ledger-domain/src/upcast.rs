//! Upcasters: read events stored in an older shape as the current one.
//!
//! Every stored event carries its schema version (`schema_version` in the envelope,
//! `event_version` in cqrs-es). When an event's shape changes, its version goes up and an
//! upcaster here turns the old payload into the new one on every load, so stored history is
//! never rewritten. Use [`upcasters`] with cqrs-es's `PersistedEventStore::with_upcasters`.
//!
//! Changes so far:
//! - `ReportSubmitted` version 1 had no `regime`: reports were due under Nghị định
//!   09/2019/NĐ-CP, which version 2 names explicitly (a plan may set another regime). No
//!   version 1 data has been written outside tests yet; the upcaster keeps the path exercised.
//! - `ReportSubmitted` version 3 adds `attested` and `discrepancies` (both optional, so older
//!   payloads read as they are) and changes what the version means for lateness: before 3, the
//!   submission's own date was taken as its receipt (a claim); from 3 on, a report is received
//!   when the ledger records it, or on the day the archive attests. Readers tell the two apart
//!   by the stored `schema_version`; no upcaster can make a version 2 receipt anything but
//!   claimed.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde_json::Value;

use crate::value::ReportingRegime;

/// All upcasters, oldest change first.
#[must_use]
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    vec![Box::new(ReportSubmittedV1)]
}

/// `ReportSubmitted` 1 → 2: adds the regime reports were then due under.
pub struct ReportSubmittedV1;

impl EventUpcaster for ReportSubmittedV1 {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        event_type == "ReportSubmitted" && event_version == "1"
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        if let Value::Object(payload) = &mut event.payload
            && !payload.contains_key("regime")
        {
            let regime =
                serde_json::to_value(ReportingRegime::decree_09_2019()).unwrap_or(Value::Null);
            payload.insert("regime".to_owned(), regime);
        }
        event.event_version = "2".to_owned();
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, ReportEvent};
    use cqrs_es::{Aggregate, EventEnvelope};
    use serde_json::json;

    /// A `ReportSubmitted` as version 1 wrote it: no `regime`.
    fn version_1() -> SerializedEvent {
        SerializedEvent {
            aggregate_id: "report/so-tu-phap-2022-q1".into(),
            sequence: 1,
            aggregate_type: "report".into(),
            event_type: "ReportSubmitted".into(),
            event_version: "1".into(),
            payload: json!({
                "type": "ReportSubmitted",
                "id": "so-tu-phap-2022-q1",
                "unit": "so-tu-phap",
                "plan": "kh-44-kh-tu",
                "period": "2022-Q1",
                "submitted_on": "2022-03-16",
                "content": { "items": [] }
            }),
            metadata: json!({}),
        }
    }

    #[test]
    fn an_old_report_reads_in_the_current_shape() {
        let old = version_1();
        // As stored, it does not read: the current shape requires the regime.
        assert!(serde_json::from_value::<ReportEvent>(old.payload.clone()).is_err());
        let upcaster = upcasters().remove(0);
        assert!(upcaster.can_upcast("ReportSubmitted", "1"));
        assert!(!upcaster.can_upcast("ReportSubmitted", "2"));
        assert!(!upcaster.can_upcast("ReportAccepted", "1"));
        let new = upcaster.upcast(old);
        assert_eq!(new.event_version, "2");
        let envelope = EventEnvelope::<Report>::try_from(new).unwrap();
        match &envelope.payload {
            ReportEvent::ReportSubmitted { regime, .. } => {
                assert_eq!(regime, &ReportingRegime::decree_09_2019());
            }
            other => panic!("expected ReportSubmitted, got {other:?}"),
        }
        // And it rebuilds a report's state.
        let mut report = Report::default();
        report.apply(envelope.payload);
        assert_eq!(report.revision(), 1);
    }
}
