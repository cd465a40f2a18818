//! Memoised answers to the expensive questions.
//!
//! The read models as of a position never change: the answer to "tasks as they stood on a
//! day" as of position P is a function of P and the day alone (the projection tests check
//! that a snapshot as of P equals a projection of the first P events, whatever generation of
//! tables holds it). So the questions that scan every task (tasks on a day, roll-ups, the
//! compliance matrix) are computed once per position and parameters and shared, as of a past
//! position and at the head alike, until the budget pushes them out (least recently used
//! first). New events move the head to a new position, so a question at the head is computed
//! afresh once after each change and then shared again.
//!
//! Concurrent askers of the same question wait for one computation instead of each running
//! their own (a failed computation is not kept; the next asker tries again).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use crate::error::Result;

/// A value shared between askers.
type Shared = Arc<dyn Any + Send + Sync>;

/// One question: the position it is asked at and what it asks.
type Key = (u64, String);

struct Slot {
    cell: Arc<OnceCell<Shared>>,
    /// Its weight once computed (0 while computing).
    weight: usize,
    /// When it was last asked (a tick of the memo's clock).
    used: u64,
}

#[derive(Default)]
struct Slots {
    map: HashMap<Key, Slot>,
    clock: u64,
    weight: usize,
}

/// The memo: answers by position and question, within a budget of rows.
pub struct Memo {
    slots: Mutex<Slots>,
    budget: usize,
}

/// The default budget: rows (tasks, roll-up lines, matrix cells) kept in memory, about 400
/// bytes each, so ~800 MB at most. A day's task list at a provincial scale (a million events)
/// is ~130,000 rows.
pub const DEFAULT_BUDGET: usize = 2_000_000;

impl Default for Memo {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET)
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.lock();
        f.debug_struct("Memo")
            .field("entries", &slots.map.len())
            .field("weight", &slots.weight)
            .field("budget", &self.budget)
            .finish()
    }
}

impl Memo {
    /// A memo keeping at most `budget` rows (0 keeps nothing: every question is computed).
    #[must_use]
    pub fn new(budget: usize) -> Self {
        Self {
            slots: Mutex::new(Slots::default()),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // The lock guards plain bookkeeping that is never left half-done.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer to `question` at `position`: shared if known or being computed, else
    /// computed by `compute` (whose result weighs `weight(&result)` rows).
    ///
    /// # Errors
    /// Those of `compute`.
    pub async fn get<T, F>(
        &self,
        position: u64,
        question: String,
        weight: impl Fn(&T) -> usize,
        compute: F,
    ) -> Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: Future<Output = Result<T>>,
    {
        if self.budget == 0 {
            return compute.await.map(Arc::new);
        }
        let key = (position, question);
        let cell = {
            let mut slots = self.lock();
            slots.clock += 1;
            let now = slots.clock;
            let slot = slots.map.entry(key.clone()).or_insert_with(|| Slot {
                cell: Arc::new(OnceCell::new()),
                weight: 0,
                used: now,
            });
            slot.used = now;
            slot.cell.clone()
        };
        let mut computed = None;
        let shared = match cell
            .get_or_try_init(|| async {
                let value = compute.await?;
                computed = Some(weight(&value));
                Ok::<Shared, crate::Error>(Arc::new(value))
            })
            .await
        {
            Ok(shared) => shared.clone(),
            Err(e) => {
                self.forget_failed(&key);
                return Err(e);
            }
        };
        if let Some(w) = computed {
            self.admit(&key, w);
        }
        // The key names the type: one question has one answer type.
        shared.downcast::<T>().map_err(|_| {
            crate::Error::Corrupt(format!("memo: question {:?} changed its type", key.1))
        })
    }

    /// Drops a question whose computation failed, unless another asker has since answered it.
    fn forget_failed(&self, key: &Key) {
        let mut slots = self.lock();
        if slots.map.get(key).is_some_and(|s| !s.cell.initialized()) {
            slots.map.remove(key);
        }
    }

    /// Records a computed answer's weight and evicts the least recently used answers beyond
    /// the budget (never answers still being computed).
    fn admit(&self, key: &Key, weight: usize) {
        let mut slots = self.lock();
        let Some(slot) = slots.map.get_mut(key) else {
            return;
        };
        slot.weight = weight.max(1);
        let w = slot.weight;
        slots.weight += w;
        // Questions abandoned while computing (their askers went away) hold nothing: drop
        // those nobody waits on.
        slots
            .map
            .retain(|_, s| s.weight > 0 || Arc::strong_count(&s.cell) > 1 || s.cell.initialized());
        while slots.weight > self.budget {
            let oldest = slots
                .map
                .iter()
                .filter(|(_, s)| s.cell.initialized())
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            if let Some(gone) = slots.map.remove(&oldest) {
                slots.weight -= gone.weight;
            }
        }
    }

    /// How many answers are kept, and their weight.
    #[must_use]
    pub fn size(&self) -> (usize, usize) {
        let slots = self.lock();
        (
            slots.map.values().filter(|s| s.cell.initialized()).count(),
            slots.weight,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn computes_once_per_position_and_question() {
        let memo = Memo::new(100);
        let runs = AtomicUsize::new(0);
        let ask = |p: u64, q: &str| {
            let runs = &runs;
            memo.get(p, q.to_owned(), |v: &Vec<u64>| v.len(), async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(vec![p; 3])
            })
        };
        assert_eq!(*ask(1, "a").await.unwrap(), vec![1, 1, 1]);
        assert_eq!(*ask(1, "a").await.unwrap(), vec![1, 1, 1]);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(*ask(2, "a").await.unwrap(), vec![2, 2, 2]);
        ask(1, "b").await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(memo.size(), (3, 9));
    }

    #[tokio::test]
    async fn concurrent_askers_share_one_computation() {
        let memo = Memo::new(100);
        let runs = AtomicUsize::new(0);
        let (open, gate) = tokio::sync::watch::channel(false);
        let ask = || {
            let mut gate = gate.clone();
            let runs = &runs;
            memo.get(7, "q".to_owned(), |_: &u64| 1, async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = gate.wait_for(|o| *o).await;
                Ok(42u64)
            })
        };
        let both = futures_join(ask(), ask(), async {
            open.send_replace(true);
        })
        .await;
        assert_eq!((*both.0.unwrap(), *both.1.unwrap()), (42, 42));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    async fn futures_join<A: Future, B: Future, C: Future>(
        a: A,
        b: B,
        c: C,
    ) -> (A::Output, B::Output, C::Output) {
        tokio::join!(a, b, c)
    }

    #[tokio::test]
    async fn failures_are_not_kept_and_the_budget_evicts_the_oldest() {
        let memo = Memo::new(10);
        let failed = memo
            .get(1, "q".to_owned(), |_: &u64| 1, async {
                Err(crate::Error::Corrupt("boom".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            *memo
                .get(1, "q".to_owned(), |_: &u64| 1, async { Ok(5u64) })
                .await
                .unwrap(),
            5
        );
        for p in 2..=4 {
            memo.get(p, "q".to_owned(), |_: &u64| 4, async { Ok(p) })
                .await
                .unwrap();
        }
        // 1 + 4 + 4 + 4 > 10: the oldest went first.
        let (entries, weight) = memo.size();
        assert!(weight <= 10, "{weight}");
        assert_eq!(entries, 2);
        let runs = AtomicUsize::new(0);
        memo.get(4, "q".to_owned(), |_: &u64| 4, async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(4u64)
        })
        .await
        .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 0, "the newest is still kept");
    }

    #[tokio::test]
    async fn a_zero_budget_keeps_nothing() {
        let memo = Memo::new(0);
        for _ in 0..2 {
            memo.get(1, "q".to_owned(), |_: &u64| 1, async { Ok(1u64) })
                .await
                .unwrap();
        }
        assert_eq!(memo.size(), (0, 0));
    }
}
