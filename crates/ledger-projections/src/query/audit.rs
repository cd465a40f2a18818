//! The audit index, entity versions, and whole-table dumps for tests.

use ledger_store::Timestamp;
use serde::Serialize;

use super::Snapshot;
use crate::error::{Error, Result};
use crate::tables::{AuditFact, Kind, TABLES, t};
use crate::value::{Row, Value};

/// Filters of the audit index; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this stream.
    pub stream_id: Option<String>,
    /// Only this stream type.
    pub stream_type: Option<String>,
    /// Only these event types.
    pub event_types: Vec<String>,
    /// Only this actor (subject).
    pub actor: Option<String>,
    /// Only this acting unit.
    pub acting_unit: Option<String>,
    /// Only this correlation id.
    pub correlation_id: Option<String>,
    /// Recorded at or after.
    pub recorded_from: Option<Timestamp>,
    /// Recorded before.
    pub recorded_to: Option<Timestamp>,
    /// Effective at or after.
    pub effective_from: Option<Timestamp>,
    /// Effective before.
    pub effective_to: Option<Timestamp>,
    /// Only changes dated back beyond their grace (or only the others).
    pub backdated: Option<bool>,
    /// Only records entered from the archive (or only the others).
    pub historical: Option<bool>,
    /// Only positions after this one (paging).
    pub after: u64,
    /// At most this many (1–1000).
    pub limit: usize,
}

/// One entry of the audit index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AuditEntry {
    /// The event's position.
    pub position: u64,
    /// Its envelope.
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub entry: AuditFact,
}

impl Snapshot {
    // ---- audit ----

    /// The audit index, filtered, oldest first.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a limit outside 1–1000; database failures.
    pub async fn audit(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        if !(1..=1000).contains(&filter.limit) {
            return Err(Error::invalid("limit", "must be between 1 and 1000"));
        }
        let (conds, binds) = audit_conditions(filter);
        let sql = format!(
            "SELECT {}, x.valid_from FROM {} x WHERE {} AND {} ORDER BY x.valid_from LIMIT {}",
            Self::columns(t::AUDIT, "x"),
            self.name(t::AUDIT),
            self.valid(t::AUDIT, "x"),
            conds.join(" AND "),
            filter.limit
        );
        let mut out = Vec::new();
        for mut values in self.tx.fetch(&sql, &binds).await? {
            let position = values
                .pop()
                .and_then(|v| v.as_int())
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| Error::Corrupt("audit: bad position".into()))?;
            out.push(AuditEntry {
                position,
                entry: AuditFact::from_values(values)?,
            });
        }
        Ok(out)
    }

    /// How many entries of the audit index pass `filter` (its `after` included; its `limit`
    /// ignored).
    ///
    /// # Errors
    /// Database failures.
    pub async fn audit_count(&mut self, filter: &AuditFilter) -> Result<u64> {
        let (conds, binds) = audit_conditions(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM {} x WHERE {} AND {}",
            self.name(t::AUDIT),
            self.valid(t::AUDIT, "x"),
            conds.join(" AND "),
        );
        let rows = self.tx.fetch(&sql, &binds).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_int)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0))
    }

    /// The versions of one entity's row (stream type and id, as in `{type}/{id}`) recorded by
    /// this snapshot, oldest first: each version's `valid_from` and its columns by name.
    /// Consecutive versions show which fields each event changed. `None` for stream types
    /// without an entity table.
    ///
    /// # Errors
    /// Database failures.
    pub async fn versions(
        &mut self,
        stream_type: &str,
        id: &str,
    ) -> Result<Option<Vec<(u64, Vec<(&'static str, Value)>)>>> {
        let index = match stream_type {
            "unit" => t::UNITS,
            "document" => t::DOCUMENTS,
            "programme" => t::PROGRAMMES,
            "plan" => t::PLANS,
            "focus_programme" => t::FOCUS,
            "task" => t::TASKS,
            "report" => t::REPORTS,
            "obstacle" => t::OBSTACLES,
            "supervision" => t::SUPERVISIONS,
            "briefing" => t::BRIEFINGS,
            _ => return Ok(None),
        };
        let table = &TABLES[index];
        let key = table.columns[0].name;
        let bound = self
            .at
            .map_or_else(String::new, |p| format!(" AND x.valid_from <= {p}"));
        let sql = format!(
            "SELECT {}, x.valid_from FROM {} x WHERE x.{key} = ?{bound} ORDER BY x.valid_from",
            Self::columns(index, "x"),
            self.name(index),
        );
        let mut out = Vec::new();
        for mut values in self.tx.fetch(&sql, &[Value::Text(id.to_owned())]).await? {
            let from = values
                .pop()
                .and_then(|v| v.as_int())
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| Error::Corrupt(format!("{}: bad valid_from", table.name)))?;
            let named = table.columns.iter().map(|c| c.name).zip(values).collect();
            out.push((from, named));
        }
        Ok(Some(out))
    }

    /// Every row of every table, sorted, with its validity range: with `history`, every version
    /// ever written (what a rebuild must reproduce exactly); without, the versions valid at this
    /// snapshot, which are then open (`valid_to` NULL) as of it. What tests compare to show two
    /// projections are the same.
    ///
    /// # Errors
    /// Database failures.
    pub async fn dump(&mut self, history: bool) -> Result<Vec<(String, Vec<Vec<Value>>)>> {
        let mut out = Vec::new();
        for (i, table) in TABLES.iter().enumerate() {
            let range = match (table.kind, history) {
                (Kind::Versioned, true) => "x.valid_from, x.valid_to",
                _ => "x.valid_from",
            };
            let condition = if history {
                "1 = 1".to_owned()
            } else {
                self.valid(i, "x")
            };
            let sql = format!(
                "SELECT {}, {range} FROM {} x WHERE {condition}",
                Self::columns(i, "x"),
                self.name(i),
            );
            let mut rows = self.tx.fetch(&sql, &[]).await?;
            rows.sort();
            out.push((table.name.to_owned(), rows));
        }
        Ok(out)
    }
}

/// The SQL conditions (over alias `x`) and bound values of an audit filter.
fn audit_conditions(filter: &AuditFilter) -> (Vec<String>, Vec<Value>) {
    let mut conds = vec![format!(
        "x.valid_from > {}",
        ledger_store::store::sql_position(filter.after)
    )];
    let mut binds = Vec::new();
    let mut eq = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            conds.push(format!("x.{column} = ?"));
            binds.push(Value::Text(v.clone()));
        }
    };
    eq("stream_id", &filter.stream_id);
    eq("stream_type", &filter.stream_type);
    eq("actor", &filter.actor);
    eq("acting_unit", &filter.acting_unit);
    eq("correlation_id", &filter.correlation_id);
    let mut range = |column: &str, op: &str, value: &Option<Timestamp>| {
        if let Some(v) = value {
            conds.push(format!("x.{column} {op} ?"));
            binds.push(Value::Text(v.to_string()));
        }
    };
    range("recorded_at", ">=", &filter.recorded_from);
    range("recorded_at", "<", &filter.recorded_to);
    range("effective_at", ">=", &filter.effective_from);
    range("effective_at", "<", &filter.effective_to);
    for (flag, dating) in [
        (filter.backdated, "backdated"),
        (filter.historical, "historical"),
    ] {
        match flag {
            Some(true) => conds.push(format!("x.dating = '{dating}'")),
            Some(false) => conds.push(format!("(x.dating IS NULL OR x.dating <> '{dating}')")),
            None => {}
        }
    }
    if !filter.event_types.is_empty() {
        conds.push(format!(
            "x.event_type IN ({})",
            vec!["?"; filter.event_types.len()].join(", ")
        ));
        binds.extend(filter.event_types.iter().cloned().map(Value::Text));
    }
    (conds, binds)
}
