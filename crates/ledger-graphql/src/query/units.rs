//! Units: their names, parents and status on a day, successors and dated predecessors.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use ledger_domain::value::Date;
use ledger_projections::Snapshot;
use ledger_projections::query::{Predecessor, Successors, status_on};
use ledger_projections::tables::UnitRow;

use super::node::global_id;
use super::paging::{Page, page, page_cost, paging};
use super::{AsOfInput, finish, on_day, require_reader, snapshot};
use crate::error::from_read;

/// A unit, with its name, parent, status and successors on the day asked about.
#[derive(Debug, Clone, SimpleObject)]
pub struct Unit {
    /// Opaque global id (`node(id:)`); the unit's own id is `key`.
    pub id: ID,
    /// The unit as recorded (its latest name, parent and status).
    #[graphql(flatten)]
    pub row: UnitRow,
    /// Its name on the day asked about (`null` before it was known).
    pub name_on: Option<String>,
    /// Its parent on that day.
    pub parent_on: Option<String>,
    /// How it stood that day: `not_established`, `active`, `merged` or `dissolved`.
    pub status_on: String,
    /// The chain to its terminal successor on that day (the unit itself first).
    pub successor_chain: Vec<String>,
    /// Units merged into it or succeeded by it, by id.
    pub predecessors: Vec<String>,
    /// The same, with the day and the kind of each succession.
    pub predecessors_dated: Vec<Predecessor>,
}

/// Which way to sort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    /// Smallest first (A to Z in Vietnamese order).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// What to sort units by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UnitOrderField {
    /// Their ids.
    Key,
    /// Their names on the day asked about, in Vietnamese alphabetical order.
    Name,
}

/// How to sort units.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct UnitOrder {
    /// By what.
    pub field: UnitOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Reverses items sorted ascending when asked for descending.
pub(crate) fn directed<T>(mut items: Vec<T>, direction: OrderDirection) -> Vec<T> {
    if direction == OrderDirection::Desc {
        items.reverse();
    }
    items
}

/// A unit row as it stood on `on`.
pub(crate) async fn unit_on(
    s: &mut Snapshot,
    successors: &Successors,
    row: UnitRow,
    on: NaiveDate,
) -> Result<Unit> {
    let name_on = s.unit_name_on(&row.id, on).await.map_err(from_read)?;
    let parent_on = s.unit_parent_on(&row.id, on).await.map_err(from_read)?;
    Ok(Unit {
        id: global_id("Unit", &row.id),
        status_on: status_on(&row, on).to_owned(),
        successor_chain: successors.terminal(&row.id, on),
        predecessors: successors.predecessors(&row.id),
        predecessors_dated: successors.predecessors_dated(&row.id),
        name_on,
        parent_on,
        row,
    })
}

/// The units' questions.
#[derive(Default)]
pub struct UnitQuery;

// A GraphQL field's arguments are its parameters: as-of, day, order and four paging arguments.
#[allow(clippy::too_many_arguments)]
#[Object]
impl UnitQuery {
    /// Units, by id, with their names, status and successors on `on` (default: today).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
        order_by: Option<UnitOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Unit>> {
        require_reader(ctx, false)?;
        let on = on_day(ctx, on);
        let mut s = snapshot(ctx, as_of).await?;
        let rows = s.units().await.map_err(from_read)?;
        let successors = s.successor_map().await.map_err(from_read)?;
        let mut units = Vec::with_capacity(rows.len());
        for row in rows {
            units.push(unit_on(&mut s, &successors, row, on).await?);
        }
        if let Some(order) = order_by {
            if order.field == UnitOrderField::Name {
                units.sort_by_cached_key(|u| {
                    ledger_domain::value::vietnamese_sort_key(
                        u.name_on.as_deref().unwrap_or(&u.row.name),
                    )
                });
            }
            units = directed(units, order.direction);
        }
        let position = s.position();
        let page = page(units, position, paging(first, after, last, before))?;
        finish(s, page).await
    }

    /// One unit on `on` (default: today).
    async fn unit(
        &self,
        ctx: &Context<'_>,
        id: String,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
    ) -> Result<Option<Unit>> {
        require_reader(ctx, false)?;
        let on = on_day(ctx, on);
        let mut s = snapshot(ctx, as_of).await?;
        let unit = match s.unit(&id).await.map_err(from_read)? {
            Some(row) => {
                let successors = s.successor_map().await.map_err(from_read)?;
                Some(unit_on(&mut s, &successors, row, on).await?)
            }
            None => None,
        };
        finish(s, unit).await
    }
}
