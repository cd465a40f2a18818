//! Global ids, Relay style: `node(id:)` finds anything that has one.

use async_graphql::{Context, ID, Object, Result};
use ledger_domain::value::Date;

use super::plans::{Plan, Programme};
use super::reports::Report;
use super::supervision::{Obstacle, Recommendation};
use super::tasks::Task;
use super::units::{Unit, unit_on};
use super::{AsOfInput, finish, on_day, require_reader, snapshot};
use crate::error::{Code, coded_vi, from_read};

/// Anything with a global id.
#[derive(Debug, Clone, async_graphql::Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "Opaque global id."))]
pub enum Node {
    /// A unit.
    Unit(Unit),
    /// A task.
    Task(Task),
    /// A plan.
    Plan(Plan),
    /// A programme.
    Programme(Programme),
    /// A report.
    Report(Report),
    /// An obstacle.
    Obstacle(Obstacle),
    /// A supervision recommendation.
    Recommendation(Recommendation),
}

/// The global id of an entity: opaque to clients (base64url of `Type:key`).
#[must_use]
pub fn global_id(kind: &str, key: &str) -> ID {
    use base64::Engine;
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

fn not_ours() -> async_graphql::Error {
    coded_vi(
        Code::BadUserInput,
        "id: not an id this API issued",
        "id: không phải mã định danh do hệ thống này cấp",
    )
}

/// The kind and key of a global id.
fn parse_global_id(id: &ID) -> Result<(String, String)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| not_ours())?;
    let text = String::from_utf8(bytes).map_err(|_| not_ours())?;
    let (kind, key) = text.split_once(':').ok_or_else(not_ours)?;
    Ok((kind.to_owned(), key.to_owned()))
}

/// The global-id question.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Anything by its global id: a unit, task, obstacle or recommendation on `on` (default:
    /// today), a plan, a programme or a report; `null` when there is no such thing at that
    /// position.
    async fn node(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<AsOfInput>,
        on: Option<Date>,
    ) -> Result<Option<Node>> {
        require_reader(ctx, false)?;
        let (kind, key) = parse_global_id(&id)?;
        let on = on_day(ctx, on);
        let mut s = snapshot(ctx, as_of).await?;
        let node = match kind.as_str() {
            "Unit" => match s.unit(&key).await.map_err(from_read)? {
                Some(row) => {
                    let successors = s.successor_map().await.map_err(from_read)?;
                    Some(Node::Unit(unit_on(&mut s, &successors, row, on).await?))
                }
                None => None,
            },
            "Task" => s
                .tasks_on(on)
                .await
                .map_err(from_read)?
                .iter()
                .find(|t| t.task.id == key)
                .map(|t| Node::Task(Task::from(t.clone()))),
            "Plan" => s
                .plans()
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|p| p.id == key)
                .map(|row| Node::Plan(Plan::from(row))),
            "Programme" => s
                .programmes()
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|p| p.id == key)
                .map(|row| Node::Programme(Programme::from(row))),
            "Report" => {
                let at = s.position();
                s.report(&key)
                    .await
                    .map_err(from_read)?
                    .map(|row| Node::Report(Report::new(row, at)))
            }
            "Obstacle" => s
                .obstacles_on(on)
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|o| o.obstacle.id == key)
                .map(|o| Node::Obstacle(Obstacle::from(o))),
            "Recommendation" => s
                .recommendations_on(on)
                .await
                .map_err(from_read)?
                .into_iter()
                .find(|r| r.recommendation.id == key)
                .map(|r| Node::Recommendation(Recommendation::from(r))),
            _ => {
                s.close().await.map_err(from_read)?;
                return Err(not_ours());
            }
        };
        finish(s, node).await
    }
}
