//! Group commit: many concurrent appends, one writer, one transaction per batch.
//!
//! Callers check their request ([`PreparedAppend::prepare`]) in their own task, then queue it.
//! The writer task takes the first queued request and everything else already waiting (up to
//! [`WriterOptions::max_batch_events`]), and hands the batch to the backend's
//! [`BatchCommitter`], which commits it in one transaction. Each caller is answered only after
//! that transaction commits. While one batch commits the next one queues up, so under load the
//! cost of a commit (and its fsync) is shared by the whole batch, and positions and the Merkle
//! tree stay gapless without a lock per event.

use std::future::Future;

use tokio::sync::{mpsc, oneshot, watch};

use crate::batch::PreparedAppend;
use crate::envelope::{AppendRequest, AppendResult, Head};
use crate::error::{Error, Result};

/// A backend's half of group commit: commit one batch in one transaction.
pub trait BatchCommitter: Send + 'static {
    /// Commits `batch` (typically: lock the head, load a [`crate::batch::BatchState`], call
    /// [`crate::batch::plan_batch`], write the plan, commit) and returns the head after it and
    /// one answer per request. An `Err` means nothing was committed, or — if the failure struck
    /// during commit — that the outcome is unknown.
    fn commit(
        &mut self,
        batch: &[PreparedAppend],
    ) -> impl Future<Output = Result<(Head, Vec<Result<AppendResult>>)>> + Send;
}

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Most events in one batch (a request is never split; one larger request is its own batch).
    pub max_batch_events: usize,
    /// How many requests may wait for the writer before callers are slowed down.
    pub queue_capacity: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            max_batch_events: 2000,
            queue_capacity: 8192,
        }
    }
}

struct Job {
    append: PreparedAppend,
    reply: oneshot::Sender<Result<AppendResult>>,
}

/// Handle to a running writer task. Cloning shares the task; it stops when every handle is gone.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime. After each committed batch it
    /// publishes the new head size on `head`.
    pub fn spawn<C: BatchCommitter>(
        committer: C,
        head: watch::Sender<u64>,
        options: WriterOptions,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(options.queue_capacity.max(1));
        tokio::spawn(run(committer, jobs, head, options));
        Self { queue }
    }

    /// Checks and appends a request; returns once its batch has committed.
    ///
    /// # Errors
    /// Refusals of the request ([`Error::Invalid`], [`Error::TooLarge`], [`Error::Conflict`], …),
    /// [`Error::Backend`] when the batch failed, [`Error::WriterStopped`] after shutdown.
    pub async fn append(&self, request: AppendRequest) -> Result<AppendResult> {
        let append = PreparedAppend::prepare(request)?;
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { append, reply })
            .await
            .map_err(|_| Error::WriterStopped)?;
        answer.await.map_err(|_| Error::WriterStopped)?
    }
}

async fn run<C: BatchCommitter>(
    mut committer: C,
    mut jobs: mpsc::Receiver<Job>,
    head: watch::Sender<u64>,
    options: WriterOptions,
) {
    let mut batch: Vec<PreparedAppend> = Vec::new();
    let mut replies: Vec<oneshot::Sender<Result<AppendResult>>> = Vec::new();
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut events = first.append.request.event_count();
        batch.push(first.append);
        replies.push(first.reply);
        while events < options.max_batch_events {
            match jobs.try_recv() {
                Ok(job) => {
                    let n = job.append.request.event_count();
                    if events + n > options.max_batch_events {
                        carried = Some(job);
                        break;
                    }
                    events += n;
                    batch.push(job.append);
                    replies.push(job.reply);
                }
                Err(_) => break,
            }
        }
        match committer.commit(&batch).await {
            Ok((new_head, outcomes)) => {
                head.send_if_modified(|size| {
                    let grew = new_head.size > *size;
                    if grew {
                        *size = new_head.size;
                    }
                    grew
                });
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    // The caller may have gone away; its append stands regardless.
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::warn!(%error, requests = batch.len(), "group commit failed");
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
        batch.clear();
        replies.clear();
    }
}
