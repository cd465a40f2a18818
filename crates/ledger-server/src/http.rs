//! The HTTP accept loop: what `axum::serve` does, with the timeouts it does not expose. A
//! connection with no request in flight and no bytes moving for [`HEADER_READ_TIMEOUT`] is
//! closed: a client that never finishes its headers, one that connects and says nothing, one
//! that keeps a connection alive and idle, one that stops reading its answer. A request being
//! worked on is never cut by this (the request timeout bounds it). A stopping server stops
//! accepting, lets requests in flight finish within its grace, then closes what is left.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tower_service::Service;

/// Longest wait for a request's headers, and longest a connection may sit idle.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest buffer for a request's head (request line and headers): 64 KiB. Longer heads are
/// answered 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long the server waits.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For a request's headers, and for a connection idle between requests.
    pub header_read: Duration,
    /// For requests in flight when the server stops.
    pub grace: Duration,
}

/// What a connection is doing: requests in flight, and when bytes last moved.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened` that bytes last moved or a request ended.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    /// When the connection counts as idle if nothing happens before.
    fn idle_at(&self, idle: Duration) -> Instant {
        self.opened + Duration::from_millis(self.last.load(Ordering::Relaxed)) + idle
    }

    fn is_idle(&self, idle: Duration) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && Instant::now() >= self.idle_at(idle)
    }
}

/// Ends a request's part of the activity when its answer is ready (or it is dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.touch();
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that notes when bytes move.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves `app` on `listener` until `closing` turns true, then drains for at most the grace.
/// Returns whether every connection finished within it.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    closing: watch::Receiver<bool>,
    timeouts: Timeouts,
) -> bool {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .max_buf_size(MAX_HEAD_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(timeouts.header_read)
        .keep_alive_timeout(timeouts.header_read);
    // Every connection task holds a sender; when all are gone, every connection has ended.
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let mut failures = 0u32;
    let mut stop = closing.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = async { drop(stop.wait_for(|c| *c).await) } => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait
                // a little and go on, as axum::serve does.
                failures = failures.saturating_add(1);
                if failures == 1 || failures.is_power_of_two() {
                    tracing::warn!(error = %e, failures, "cannot accept a connection");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            app.clone(),
            builder.clone(),
            closing.clone(),
            timeouts.header_read,
            open.clone(),
        ));
    }
    drop(listener);
    drop(open);
    tokio::select! {
        _ = all_closed.recv() => true,
        () = tokio::time::sleep(timeouts.grace) => false,
    }
}

/// Serves one connection until it ends, sits idle too long, or the server stops (then it
/// finishes the request in flight and closes).
async fn connection(
    stream: TcpStream,
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    mut closing: watch::Receiver<bool>,
    idle: Duration,
    _open: mpsc::Sender<()>,
) {
    let activity = Arc::new(Activity::new());
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |request: hyper::Request<hyper::body::Incoming>| {
            let in_flight = InFlight::start(&activity);
            let mut app = app.clone();
            async move {
                let response = app.call(request).await;
                drop(in_flight);
                response
            }
        }
    });
    let io = TokioIo::new(Tracked {
        stream,
        activity: activity.clone(),
    });
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        let idle_at = activity.idle_at(idle);
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = async { drop(closing.wait_for(|c| *c).await) }, if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_at) => {
                if activity.is_idle(idle) {
                    return;
                }
            }
        }
    }
}
