//! Points in time that read the same in a simulation and in production.
//!
//! [`Instant`] counts nanoseconds from an origin: the start of the world in a
//! simulation, the first clock read of the process on tokio. Unlike
//! `std::time::Instant` it has no hidden base, so it prints and compares the same
//! way in every run of a seed.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// A point in time, measured from the clock's origin.
///
/// In a simulation the origin is the start of the world, so `Instant::ZERO` is
/// the moment the first task runs and every run of a seed reads the same values.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool_core::time::Instant;
///
/// let start = Instant::ZERO;
/// let later = start + Duration::from_millis(1500);
/// assert_eq!(later - start, Duration::from_millis(1500));
/// assert_eq!(later.to_string(), "1.500000s");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant { nanos: 0 };
    /// The latest representable instant (about 584 years after the origin).
    pub const MAX: Instant = Instant { nanos: u64::MAX };

    /// The instant `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Time since the origin.
    pub const fn since_origin(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// Time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self + duration`, saturating at [`Instant::MAX`].
    pub fn saturating_add(self, duration: Duration) -> Instant {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Instant {
            nanos: self.nanos.saturating_add(nanos),
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, duration: Duration) -> Instant {
        self.saturating_add(duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub for Instant {
    type Output = Duration;

    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.nanos / 1_000_000_000;
        let micros = (self.nanos % 1_000_000_000) / 1_000;
        write!(f, "{secs}.{micros:06}s")
    }
}
