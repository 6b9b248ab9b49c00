//! What a connection may cost before its peer has proved who it is. A socket whose first
//! message authenticates (an agent's key, a viewer's token) is read under a small byte budget
//! until it has, instead of under the protocol's full message size; and only so many such
//! sockets may wait at once, per client address and in total. Without both, a stranger could
//! make the server hold megabytes per socket for the whole authentication timeout.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum_server::accept::Accept;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tower_http::add_extension::AddExtension;

/// What an unauthenticated socket may send before it must have authenticated: enough for
/// every product's first message (each is a few KiB at most), far below their size limits.
pub const UNAUTHENTICATED_READ_BYTES: u64 = 64 * 1024;

const UNLIMITED: u64 = u64::MAX;

/// A connection's read allowance, shared by the connection's reader and its request handlers
/// (an extension on every request). Unlimited until a handler limits it.
#[derive(Debug, Clone)]
pub struct ConnectionBudget(Arc<AtomicU64>);

impl ConnectionBudget {
    fn unlimited() -> Self {
        Self(Arc::new(AtomicU64::new(UNLIMITED)))
    }

    /// From now on the connection may deliver at most `bytes` more; beyond that its reads
    /// fail and the connection ends.
    fn limit(&self, bytes: u64) {
        self.0.store(bytes, Ordering::Release);
    }

    fn lift(&self) {
        self.0.store(UNLIMITED, Ordering::Release);
    }

    /// Takes `bytes` from the allowance; false when they were more than was left.
    fn spend(&self, bytes: u64) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                if left == UNLIMITED {
                    Some(UNLIMITED)
                } else {
                    left.checked_sub(bytes)
                }
            })
            .is_ok()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ConnectionBudget {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only `server_kit::serve` puts it there; a route that needs it cannot be served
        // without its protection.
        parts.extensions.get::<Self>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "this server was not started with connection budgets",
        ))
    }
}

/// A connection's byte stream, counted against its [`ConnectionBudget`] as it is read, and
/// cut off when its first request has not arrived in time.
#[derive(Debug)]
pub struct Metered<S> {
    inner: S,
    budget: ConnectionBudget,
    /// Until the first request reaches the service: the flag it sets and when to give up.
    first_request: Option<(FirstRequestSeen, Pin<Box<Sleep>>)>,
}

/// Set once a connection's first request has reached the service: its headers are in.
#[derive(Debug, Clone, Default)]
pub struct FirstRequestSeen(Arc<AtomicBool>);

impl<S> Metered<S> {
    /// Fails the read when the first request is overdue (the sleep also wakes the connection
    /// then, so a peer that sends nothing more is noticed).
    fn check_first_request(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let Some((seen, deadline)) = &mut self.first_request else {
            return Ok(());
        };
        if seen.0.load(Ordering::Acquire) {
            self.first_request = None;
            return Ok(());
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no whole request arrived in time",
            ));
        }
        Ok(())
    }
}

/// Marks [`FirstRequestSeen`] when a request reaches the wrapped service.
#[derive(Debug, Clone)]
pub struct MarkFirstRequest<S> {
    inner: S,
    seen: FirstRequestSeen,
}

impl<S: tower::Service<R>, R> tower::Service<R> for MarkFirstRequest<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> S::Future {
        self.seen.0.store(true, Ordering::Release);
        self.inner.call(request)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check_first_request(cx)?;
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let read = (buf.filled().len() - before) as u64;
        if this.budget.spend(read) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the peer sent more than it may before authenticating",
            )))
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Accepts each TCP connection for serving: a first byte within `header_timeout` and its
/// first whole request within `header_timeout` of that (HTTP's own header timeout only starts
/// once the server has seen which HTTP it speaks — after TLS, after the HTTP/2 preface — so a
/// client sending nothing, or stopping inside the TLS session or the preface, would otherwise
/// hold its socket for ever), Nagle's algorithm off (small messages — a key, a frame
/// acknowledgement, a typed character's echo — go out at once) and the stream metered, its
/// budget handed to every request on it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Intake {
    pub header_timeout: std::time::Duration,
}

type Accepted<S> = (
    Metered<TcpStream>,
    AddExtension<MarkFirstRequest<S>, ConnectionBudget>,
);

impl<S: Send + 'static> Accept<TcpStream, S> for Intake {
    type Stream = Metered<TcpStream>;
    type Service = AddExtension<MarkFirstRequest<S>, ConnectionBudget>;
    type Future = Pin<Box<dyn std::future::Future<Output = io::Result<Accepted<S>>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let header_timeout = self.header_timeout;
        Box::pin(async move {
            let mut peeked = [0u8; 1];
            match tokio::time::timeout(header_timeout, stream.peek(&mut peeked)).await {
                Ok(Ok(n)) if n > 0 => {}
                Ok(Ok(_)) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::ErrorKind::TimedOut.into()),
            }
            stream.set_nodelay(true)?;
            let budget = ConnectionBudget::unlimited();
            let seen = FirstRequestSeen::default();
            let marked = MarkFirstRequest {
                inner: service,
                seen: seen.clone(),
            };
            let service = AddExtension::new(marked, budget.clone());
            let deadline = Box::pin(tokio::time::sleep(header_timeout));
            let metered = Metered {
                inner: stream,
                budget,
                first_request: Some((seen, deadline)),
            };
            Ok((metered, service))
        })
    }
}

/// Checks the two bounds of [`Waiting`] as read from a config file's `[limits]`.
pub fn check_limits(per_address: usize, total: usize) -> Result<(), crate::config::ConfigError> {
    let checks = [
        ("limits.unauthenticated_sockets_per_address", per_address),
        ("limits.unauthenticated_sockets", total),
    ];
    for (key, value) in checks {
        if value == 0 {
            return Err(crate::config::invalid(key, "must be at least 1"));
        }
    }
    Ok(())
}

/// Why a socket was not let in to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Crowded {
    #[error("too many connections from this address are waiting to authenticate")]
    Address,
    #[error("too many connections are waiting to authenticate")]
    Server,
}

/// The sockets that are waiting to authenticate, bounded per client address and in total.
#[derive(Debug, Clone)]
pub struct Waiting(Arc<WaitingInner>);

#[derive(Debug)]
struct WaitingInner {
    per_address: usize,
    total: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<Option<IpAddr>, usize>,
}

impl Waiting {
    pub fn new(per_address: usize, total: usize) -> Self {
        Self(Arc::new(WaitingInner {
            per_address,
            total,
            counts: Mutex::default(),
        }))
    }

    /// Lets one more socket from `address` wait to authenticate, its connection read under
    /// [`UNAUTHENTICATED_READ_BYTES`] until [`Unproven::proven`]; or says which bound is full.
    pub fn admit(
        &self,
        address: Option<IpAddr>,
        budget: &ConnectionBudget,
    ) -> Result<Unproven, Crowded> {
        let address = address.map(crate::throttle::source_of);
        let mut counts = self.0.lock();
        if counts.total >= self.0.total {
            return Err(Crowded::Server);
        }
        let from_address = counts.by_address.entry(address).or_default();
        if *from_address >= self.0.per_address {
            return Err(Crowded::Address);
        }
        *from_address += 1;
        counts.total += 1;
        budget.limit(UNAUTHENTICATED_READ_BYTES);
        Ok(Unproven {
            waiting: self.0.clone(),
            address,
            budget: budget.clone(),
        })
    }

    /// How many sockets wait now.
    pub fn len(&self) -> usize {
        self.0.lock().total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl WaitingInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One socket's place among those waiting to authenticate; leaving (by authenticating, or by
/// being dropped with its socket) frees the place.
#[derive(Debug)]
pub struct Unproven {
    waiting: Arc<WaitingInner>,
    address: Option<IpAddr>,
    budget: ConnectionBudget,
}

impl Unproven {
    /// The peer has authenticated: its connection is read under the protocol's own limits.
    pub fn proven(self) {
        self.budget.lift();
    }
}

impl Drop for Unproven {
    fn drop(&mut self) {
        let mut counts = self.waiting.lock();
        counts.total -= 1;
        if let Some(from_address) = counts.by_address.get_mut(&self.address) {
            *from_address -= 1;
            if *from_address == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests;
