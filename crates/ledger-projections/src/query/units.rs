//! Units: names and parents on a day, successor chains, predecessors.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::{Snapshot, day};
use crate::error::Result;
use crate::tables::{UnitRow, t};
use crate::value::Value;

/// One succession: a unit's successor from a day, by merger or declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Succession {
    successor: String,
    on: String,
    kind: String,
}

/// A unit another one succeeded, with the day and the kind of succession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Predecessor {
    /// The unit succeeded.
    pub unit_id: String,
    /// From this day.
    pub on: String,
    /// `merged` (it was merged into this unit) or `declared` (a declared successor).
    pub kind: String,
}

/// The successor map: each unit's successors, dated (read once with
/// [`Snapshot::successor_map`], then asked about any unit and day).
#[derive(Debug, Clone, Default)]
pub struct Successors(HashMap<String, Vec<Succession>>);

impl Successors {
    /// Units whose successor (by merger or declaration) is `id`, by id.
    #[must_use]
    pub fn predecessors(&self, id: &str) -> Vec<String> {
        self.predecessors_dated(id)
            .into_iter()
            .map(|p| p.unit_id)
            .collect()
    }

    /// Units whose successor is `id`, with the day and kind, by id.
    #[must_use]
    pub fn predecessors_dated(&self, id: &str) -> Vec<Predecessor> {
        let mut out: Vec<Predecessor> = self
            .0
            .iter()
            .flat_map(|(unit, list)| {
                list.iter()
                    .filter(|s| s.successor == id)
                    .map(|s| Predecessor {
                        unit_id: unit.clone(),
                        on: s.on.clone(),
                        kind: s.kind.clone(),
                    })
            })
            .collect();
        out.sort_by(|a, b| (&a.unit_id, &a.on).cmp(&(&b.unit_id, &b.on)));
        out
    }

    /// The unit that holds `id`'s duties on `on` and the day they passed to it: the terminal
    /// successor and the day of the first succession, or `None` while `id` has none.
    #[must_use]
    pub fn passed(&self, id: &str, on: NaiveDate) -> Option<(String, String)> {
        let chain = self.terminal(id, on);
        let first = chain.get(1)?;
        let day = self
            .0
            .get(id)?
            .iter()
            .find(|s| &s.successor == first)
            .map(|s| s.on.clone())?;
        chain.last().map(|t| (t.clone(), day))
    }

    /// The chain from `id` to its terminal successor on `on` (the unit itself first): follows
    /// the latest successor dated on or before it until a unit has none (cycles stop the walk).
    #[must_use]
    pub fn terminal(&self, id: &str, on: NaiveDate) -> Vec<String> {
        let on = on.format("%Y-%m-%d").to_string();
        let mut chain = vec![id.to_owned()];
        let mut seen: HashSet<String> = chain.iter().cloned().collect();
        let mut current = id.to_owned();
        while let Some(next) = self
            .0
            .get(&current)
            .and_then(|list| list.iter().rev().find(|s| *s.on <= *on))
            .map(|s| s.successor.clone())
        {
            if !seen.insert(next.clone()) {
                break;
            }
            chain.push(next.clone());
            current = next;
        }
        chain
    }
}

/// How a unit stood on a day: `not_established` (before the ledger knows it), `active`,
/// `merged` or `dissolved` (from the day it ended).
#[must_use]
pub fn status_on(unit: &UnitRow, on: NaiveDate) -> &'static str {
    let day = on.format("%Y-%m-%d").to_string();
    if day < unit.established_on {
        return "not_established";
    }
    match &unit.ended_on {
        Some(ended) if *ended <= day && unit.status == "merged" => "merged",
        Some(ended) if *ended <= day => "dissolved",
        _ => "active",
    }
}

impl Snapshot {
    /// Every unit, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn units(&mut self) -> Result<Vec<UnitRow>> {
        self.rows(t::UNITS, "1 = 1", &[], "x.id").await
    }

    /// One unit.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit(&mut self, id: &str) -> Result<Option<UnitRow>> {
        self.one(t::UNITS, id).await
    }

    /// A unit's name on a day (`None` before it was known).
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit_name_on(&mut self, id: &str, on: NaiveDate) -> Result<Option<String>> {
        self.unit_fact_on(t::UNIT_NAMES, "name", id, on).await
    }

    /// A unit's parent on a day.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unit_parent_on(&mut self, id: &str, on: NaiveDate) -> Result<Option<String>> {
        self.unit_fact_on(t::UNIT_PARENTS, "parent", id, on).await
    }

    /// The `column` of the latest fact of table `index` about unit `id` dated on or before
    /// `on` (latest recorded first among facts of one day).
    async fn unit_fact_on(
        &mut self,
        index: usize,
        column: &str,
        id: &str,
        on: NaiveDate,
    ) -> Result<Option<String>> {
        let sql = format!(
            "SELECT x.{column} FROM {} x WHERE {} AND x.unit_id = ? AND x.from_date <= ? \
             ORDER BY x.from_date DESC, x.valid_from DESC LIMIT 1",
            self.name(index),
            self.valid(index, "x"),
        );
        let rows = self
            .tx
            .fetch(&sql, &[Value::Text(id.to_owned()), day(on)])
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| match r.into_iter().next() {
                Some(Value::Text(s)) => Some(s),
                _ => None,
            }))
    }

    /// Every unit's successors, dated, as of this snapshot.
    ///
    /// # Errors
    /// Database failures.
    pub async fn successor_map(&mut self) -> Result<Successors> {
        let sql = format!(
            "SELECT x.unit_id, x.successor, x.on_date, x.kind FROM {} x WHERE {} \
             ORDER BY x.unit_id, x.on_date, x.valid_from",
            self.name(t::UNIT_SUCCESSORS),
            self.valid(t::UNIT_SUCCESSORS, "x"),
        );
        let mut map: HashMap<String, Vec<Succession>> = HashMap::new();
        for row in self.tx.fetch(&sql, &[]).await? {
            if let [
                Value::Text(u),
                Value::Text(s),
                Value::Text(d),
                Value::Text(k),
            ] = row.as_slice()
            {
                map.entry(u.clone()).or_default().push(Succession {
                    successor: s.clone(),
                    on: d.clone(),
                    kind: k.clone(),
                });
            }
        }
        Ok(Successors(map))
    }

    /// The chain from a unit to its terminal successor on a day (the unit itself first).
    ///
    /// # Errors
    /// Database failures.
    pub async fn successor_chain(&mut self, id: &str, on: NaiveDate) -> Result<Vec<String>> {
        Ok(self.successor_map().await?.terminal(id, on))
    }

    /// Units whose successor (by merger or declaration) is `id`, by id.
    ///
    /// # Errors
    /// Database failures.
    pub async fn predecessors(&mut self, id: &str) -> Result<Vec<String>> {
        Ok(self.successor_map().await?.predecessors(id))
    }
}
