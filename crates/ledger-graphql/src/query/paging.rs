//! Pages, Relay style: `first`/`after` forward, `last`/`before` backward, each answer saying
//! its position and total count; cursors opaque to clients.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{OutputType, Result, SimpleObject};

use crate::error::{Code, coded_vi};

/// Most items one page returns.
pub const MAX_PAGE: usize = 100;
/// Items a page returns when `first` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// What every paged answer says besides its items.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct AnswerFields {
    /// The log position the answer reflects.
    pub position: u64,
    /// How many items there are in all.
    pub total_count: u64,
}

/// A page of items, Relay style.
pub type Page<T> = Connection<OpaqueCursor<usize>, T, AnswerFields>;

/// What a question that may read every task of the ledger costs in the query-complexity
/// limit, besides its fields: a day's task list, a roll-up, a compliance matrix, missing unit
/// plans. Each is computed once per position and day and then shared, but a request asking
/// about many new days forces as many full computations (at a million events, a roll-up on a
/// new day took 1.3 s and up to 180 MiB: `benches/limits.rs`): at most four in one request.
pub(crate) const SCAN_COST: usize = 1_200;

/// What a scanning question costs: [`SCAN_COST`] and its fields.
pub(crate) fn scan_cost(child_complexity: usize) -> usize {
    SCAN_COST.saturating_add(child_complexity)
}

/// What a page of a scanning question costs: [`SCAN_COST`] and the page's.
pub(crate) fn scan_page_cost(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    SCAN_COST.saturating_add(page_cost(first, last, child_complexity))
}

/// What a page costs in the query-complexity limit: its child fields times the items it may
/// return, so a query cannot ask for many large pages (aliases included).
pub(crate) fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items = first.or(last).map_or(DEFAULT_PAGE, |n| {
        usize::try_from(n).unwrap_or(0).min(MAX_PAGE)
    });
    items.max(1).saturating_mul(child_complexity)
}

/// Paging arguments, Relay style: `first`/`after` forward, `last`/`before` backward.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// At most this many from the start of the window.
    pub first: Option<i32>,
    /// After this cursor.
    pub after: Option<String>,
    /// At most this many from the end of the window.
    pub last: Option<i32>,
    /// Before this cursor.
    pub before: Option<String>,
}

pub(crate) fn count(name: &str, n: Option<i32>) -> Result<Option<usize>> {
    match n {
        None => Ok(None),
        Some(n) if n < 0 => Err(coded_vi(
            Code::BadUserInput,
            format!("{name}: must not be negative"),
            format!("{name}: không được là số âm"),
        )),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_PAGE {
                return Err(coded_vi(
                    Code::BadUserInput,
                    format!("{name}: at most {MAX_PAGE} items per page"),
                    format!("{name}: mỗi trang tối đa {MAX_PAGE} mục"),
                ));
            }
            Ok(Some(n))
        }
    }
}

pub(crate) fn cursor(name: &str, c: Option<String>) -> Result<Option<usize>> {
    c.map(|c| {
        OpaqueCursor::<usize>::decode_cursor(&c)
            .map(|c| c.0)
            .map_err(|_| {
                coded_vi(
                    Code::BadUserInput,
                    format!("{name}: not a cursor this API issued"),
                    format!("{name}: con trỏ trang không do hệ thống này cấp"),
                )
            })
    })
    .transpose()
}

pub(crate) fn paging(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}

/// Pages `items` (already in their final order).
pub(crate) fn page<T: OutputType>(items: Vec<T>, position: u64, args: PageArgs) -> Result<Page<T>> {
    page_map(items, position, args, |t| t)
}

/// Pages `items` (already in their final order), turning only the page's items into `T`.
pub(crate) fn page_map<I, T: OutputType>(
    items: Vec<I>,
    position: u64,
    args: PageArgs,
    into: impl Fn(I) -> T,
) -> Result<Page<T>> {
    let total = items.len();
    let (start, end) = window(total, args)?;
    let page = items.into_iter().skip(start).take(end - start).map(into);
    Ok(connection(position, total, start, page))
}

/// Which items of `total` a page shows: `start..end`.
pub(crate) fn window(total: usize, args: PageArgs) -> Result<(usize, usize)> {
    let first = count("first", args.first)?;
    let last = count("last", args.last)?;
    let mut start = cursor("after", args.after)?.map_or(0, |i| i + 1).min(total);
    let mut end = cursor("before", args.before)?.map_or(total, |i| i.min(total));
    if end < start {
        end = start;
    }
    match (first, last) {
        (Some(f), _) => end = end.min(start + f),
        (None, Some(l)) => start = start.max(end.saturating_sub(l)),
        (None, None) => end = end.min(start + DEFAULT_PAGE),
    }
    if let (Some(_), Some(l)) = (first, last) {
        start = start.max(end.saturating_sub(l));
    }
    Ok((start, end))
}

/// The page of items `start..` of `total`, given in order.
pub(crate) fn connection<T: OutputType>(
    position: u64,
    total: usize,
    start: usize,
    page: impl Iterator<Item = T>,
) -> Page<T> {
    let mut connection = Page::with_additional_fields(
        start > 0,
        false,
        AnswerFields {
            position,
            total_count: total as u64,
        },
    );
    connection.edges.extend(
        page.enumerate()
            .map(|(i, item)| Edge::new(OpaqueCursor(start + i), item)),
    );
    connection.has_next_page = start + connection.edges.len() < total;
    connection
}
