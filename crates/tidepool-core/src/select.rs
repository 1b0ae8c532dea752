//! Racing futures with a branch order drawn from the seed.
//!
//! Which branch is polled first decides which of two ready futures wins; tokio
//! picks with its own thread-local RNG, which a seed cannot reproduce. Here the
//! first branch comes from the world's RNG inside a simulation, and rotates
//! (per thread) outside one, as in production.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::hooks;

/// Which of two futures finished first, with its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first future won.
    Left(A),
    /// The second future won.
    Right(B),
}

/// The index of the first branch to poll among `branches`.
#[doc(hidden)]
pub fn first_branch(branches: usize) -> usize {
    thread_local! {
        static ROTATION: Cell<usize> = const { Cell::new(0) };
    }
    let drawn = hooks::installed().and_then(|hooks| (hooks.first_branch)(branches));
    drawn.unwrap_or_else(|| {
        ROTATION.with(|rotation| {
            let next = rotation.get().wrapping_add(1);
            rotation.set(next);
            next % branches
        })
    })
}

/// Waits for the first of two futures; the other is dropped.
///
/// When both are ready at the same poll, the winner is drawn from the world's
/// RNG in a simulation, so a seed explores both outcomes and replays its own;
/// outside one, the first branch rotates.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool_core::select::{Either, select};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let fast = tokio::time::sleep(Duration::from_millis(1));
/// let slow = tokio::time::sleep(Duration::from_secs(5));
/// assert_eq!(select(fast, slow).await, Either::Left(()));
/// # });
/// ```
pub async fn select<A: Future, B: Future>(left: A, right: B) -> Either<A::Output, B::Output> {
    let mut left = std::pin::pin!(left);
    let mut right = std::pin::pin!(right);
    let left_first = first_branch(2) == 0;
    std::future::poll_fn(|cx| {
        if left_first {
            if let Poll::Ready(output) = left.as_mut().poll(cx) {
                return Poll::Ready(Either::Left(output));
            }
        }
        if let Poll::Ready(output) = right.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(output));
        }
        if !left_first {
            if let Poll::Ready(output) = left.as_mut().poll(cx) {
                return Poll::Ready(Either::Left(output));
            }
        }
        Poll::Pending
    })
    .await
}

/// Waits for the first of `futures` to finish; returns its output and index.
///
/// The polling order rotates from a start drawn from the world's RNG.
///
/// # Panics
///
/// When `futures` is empty.
pub async fn select_all<F: Future>(futures: impl IntoIterator<Item = F>) -> (F::Output, usize) {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    assert!(
        !futures.is_empty(),
        "tidepool: select_all needs at least one future"
    );
    let start = first_branch(futures.len());
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let count = futures.len();
        for offset in 0..count {
            let index = (start + offset) % count;
            if let Poll::Ready(output) = futures[index].as_mut().poll(cx) {
                return Poll::Ready((output, index));
            }
        }
        Poll::Pending
    })
    .await
}

/// Races two or three futures like `tokio::select!`, with the first branch to
/// poll drawn from the world's RNG in a simulation (rotating outside one); the
/// losers are dropped.
///
/// Each branch is `pattern = future => handler`; the handler of the winner runs.
/// Patterns should be irrefutable: unlike `tokio::select!`, a branch whose
/// pattern does not match its output is not disabled and waited past; the
/// macro panics, saying so. Match inside the handler instead.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let winner = tidepool_core::select! {
///     () = tokio::time::sleep(Duration::from_secs(5)) => "slow",
///     () = tokio::time::sleep(Duration::from_millis(1)) => "fast",
/// };
/// assert_eq!(winner, "fast");
/// # });
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __select {
    ($p1:pat = $f1:expr => $h1:expr, $p2:pat = $f2:expr => $h2:expr $(,)?) => {
        match $crate::select::select($f1, $f2).await {
            $crate::select::Either::Left($p1) => $h1,
            $crate::select::Either::Right($p2) => $h2,
            #[allow(unreachable_patterns)]
            _ => unreachable!("a select! pattern did not match its output"),
        }
    };
    ($p1:pat = $f1:expr => $h1:expr, $p2:pat = $f2:expr => $h2:expr, $p3:pat = $f3:expr => $h3:expr $(,)?) => {
        match $crate::select::select3($f1, $f2, $f3).await {
            $crate::select::Either3::A($p1) => $h1,
            $crate::select::Either3::B($p2) => $h2,
            $crate::select::Either3::C($p3) => $h3,
            #[allow(unreachable_patterns)]
            _ => unreachable!("a select! pattern did not match its output"),
        }
    };
}

/// Which of three futures finished first (see [`select3`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either3<A, B, C> {
    /// The first future won.
    A(A),
    /// The second future won.
    B(B),
    /// The third future won.
    C(C),
}

/// Waits for the first of three futures; the first branch polled is drawn from
/// the world's RNG, the others follow in rotation.
pub async fn select3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> Either3<A::Output, B::Output, C::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let mut c = std::pin::pin!(c);
    let start = first_branch(3);
    std::future::poll_fn(|cx| {
        for offset in 0..3 {
            let ready = match (start + offset) % 3 {
                0 => a.as_mut().poll(cx).map(Either3::A),
                1 => b.as_mut().poll(cx).map(Either3::B),
                _ => c.as_mut().poll(cx).map(Either3::C),
            };
            if ready.is_ready() {
                return ready;
            }
        }
        Poll::Pending
    })
    .await
}
