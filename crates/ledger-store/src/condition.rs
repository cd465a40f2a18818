//! Dynamic consistency boundaries (the dcb.events specification): events carry **tags**, and an
//! append may carry a **condition** — "fail if any event matching this query was appended after
//! position P" — so an invariant that crosses streams (one report per unit, plan and period)
//! holds without a reservation stream or a read model.
//!
//! A [`Query`] is a list of [`QueryItem`]s OR'd together. An event matches an item when its
//! type is one of the item's types (no types: any type) and its tags include every one of the
//! item's tags. A query with no items matches nothing; [`Query::all`] (one empty item) matches
//! every event.
//!
//! The log's gapless global order makes the check cheap: a writer that decided from the log
//! as of position P appends with `after: P`; the store looks for a matching event after P, and
//! the events earlier requests of the same batch wrote, and refuses with
//! [`crate::Error::ConditionFailed`] naming the first it finds.

use serde::{Deserialize, Serialize};

use crate::envelope::{NewEvent, StoredEvent};

/// One alternative of a [`Query`]: a type constraint and a tag constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryItem {
    /// The event types accepted (empty: any).
    #[serde(default)]
    pub types: Vec<String>,
    /// Tags an event must all carry (empty: no constraint).
    #[serde(default)]
    pub tags: Vec<String>,
}

impl QueryItem {
    /// The tag of an item that is one tag of any type (what a decision fenced on the streams
    /// it read asks), which a backend can look up with others in one read.
    #[must_use]
    pub fn single_tag(&self) -> Option<&str> {
        match (self.types.is_empty(), self.tags.as_slice()) {
            (true, [tag]) => Some(tag),
            _ => None,
        }
    }

    /// Whether an event of `event_type` with `tags` matches.
    #[must_use]
    pub fn matches(&self, event_type: &str, tags: &[String]) -> bool {
        (self.types.is_empty() || self.types.iter().any(|t| t == event_type))
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

/// Which events: any item may match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The alternatives.
    pub items: Vec<QueryItem>,
}

impl Query {
    /// Every event.
    #[must_use]
    pub fn all() -> Self {
        Self {
            items: vec![QueryItem::default()],
        }
    }

    /// Events of one of `types` carrying every tag of `tags`.
    #[must_use]
    pub fn item(types: &[&str], tags: &[&str]) -> Self {
        Self {
            items: vec![QueryItem {
                types: types.iter().map(|t| (*t).to_owned()).collect(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            }],
        }
    }

    /// Whether an event of `event_type` with `tags` matches.
    #[must_use]
    pub fn matches(&self, event_type: &str, tags: &[String]) -> bool {
        self.items.iter().any(|i| i.matches(event_type, tags))
    }

    /// Whether a stored event matches.
    #[must_use]
    pub fn matches_stored(&self, event: &StoredEvent) -> bool {
        self.matches(&event.event_type, &event.tags)
    }

    /// Whether a new event matches.
    #[must_use]
    pub fn matches_new(&self, event: &NewEvent) -> bool {
        self.matches(&event.event_type, &event.tags)
    }
}

/// The guard of an append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendCondition {
    /// Refuse if an event matching this query is in the log after `after`.
    pub fail_if_events_match: Query,
    /// The last position the decision read (`None`: the whole log counts).
    #[serde(default)]
    pub after: Option<u64>,
}

impl AppendCondition {
    /// The first position the condition looks at.
    #[must_use]
    pub fn after(&self) -> u64 {
        self.after.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn items_or_types_and_tags_and() {
        let q = Query {
            items: vec![
                QueryItem {
                    types: tags(&["ReportSubmitted"]),
                    tags: tags(&["report:a", "unit:x"]),
                },
                QueryItem {
                    types: vec![],
                    tags: tags(&["plan:p"]),
                },
            ],
        };
        assert!(q.matches("ReportSubmitted", &tags(&["unit:x", "report:a", "more"])));
        assert!(!q.matches("ReportSubmitted", &tags(&["report:a"])));
        assert!(!q.matches("ReportCorrected", &tags(&["report:a", "unit:x"])));
        assert!(q.matches("Anything", &tags(&["plan:p"])));
        assert!(Query::all().matches("X", &[]));
        assert!(!Query::default().matches("X", &tags(&["plan:p"])));
        assert!(Query::item(&["A", "B"], &[]).matches("B", &[]));
    }
}
