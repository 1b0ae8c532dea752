//! Wall clocks per host: offset, drift and steps over simulated time.
//!
//! Each host's wall clock reads 2026-01-01T00:00:00Z plus the simulated time,
//! plus its offset, plus its drift times the simulated time, plus the steps
//! it took (as NTP steps a clock, forwards or backwards). The monotonic clock
//! ([`crate::sim::now`]) and every timer ignore all of it.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::context::with_world;
use super::host::HostId;
use super::trace::TraceKind;

/// Where every wall clock starts: 2026-01-01T00:00:00Z, in seconds since 1970.
pub const WALL_CLOCK_EPOCH_S: u64 = 1_767_225_600;

/// How a host's wall clock departs from simulated time. Default: not at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock {
    /// Nanoseconds ahead of (or, negative, behind) simulated time at time zero.
    pub offset_nanos: i64,
    /// Nanoseconds gained (or lost) per second of simulated time: parts per
    /// billion (1,000 ppb = 1 ms per second).
    pub drift_ppb: i64,
    /// The steps taken so far, summed, in nanoseconds.
    pub stepped_nanos: i64,
}

impl WallClock {
    /// The clock's reading, in nanoseconds since the Unix epoch, at simulated
    /// time `now` (nanoseconds); never before the epoch.
    pub fn reading_nanos(&self, now: u64) -> u64 {
        let now_i = i128::from(now);
        let drift = now_i * i128::from(self.drift_ppb) / 1_000_000_000;
        let reading = i128::from(WALL_CLOCK_EPOCH_S) * 1_000_000_000
            + now_i
            + i128::from(self.offset_nanos)
            + drift
            + i128::from(self.stepped_nanos);
        u64::try_from(reading.max(0)).unwrap_or(u64::MAX)
    }
}

/// The calling task's host's wall clock, as `SystemTime::now()` would read it.
///
/// # Panics
///
/// Outside a running simulation.
pub fn system_time() -> SystemTime {
    let nanos = with_world("system_time", |world| {
        let host = world.current_host();
        world.hosts.get(host).clock.reading_nanos(world.now)
    });
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// Sets `host`'s wall clock offset and drift (its steps so far stay).
///
/// # Panics
///
/// When `host` does not exist, or outside a running simulation.
pub fn skew_clock(host: HostId, offset_nanos: i64, drift_ppb: i64) {
    with_world("skew_clock", |world| {
        let clock = &mut world.hosts.get_mut(host.0).clock;
        clock.offset_nanos = offset_nanos;
        clock.drift_ppb = drift_ppb;
    });
}

/// Steps `host`'s wall clock by `by_nanos` (negative: backwards), as NTP
/// stepping a clock does; recorded in the trace as a fault.
///
/// # Panics
///
/// When `host` does not exist, or outside a running simulation.
pub fn step_clock(host: HostId, by_nanos: i64) {
    with_world("step_clock", |world| {
        let clock = &mut world.hosts.get_mut(host.0).clock;
        clock.stepped_nanos = clock.stepped_nanos.saturating_add(by_nanos);
        world.record(TraceKind::Fault, host.0, super::net::CLOCK_STEP_FAULT);
    });
}

/// `host`'s wall clock settings.
///
/// # Panics
///
/// When `host` does not exist, or outside a running simulation.
pub fn wall_clock(host: HostId) -> WallClock {
    with_world("wall_clock", |world| world.hosts.get(host.0).clock)
}

/// The addresses of the host named `name` (ASCII case ignored; `localhost`
/// is the calling host; an IP literal is itself), each with `port`.
///
/// # Errors
///
/// An unknown name: `NotFound`, with the message a failed system lookup
/// starts with (`failed to lookup address information`) and the names there are.
///
/// # Panics
///
/// Outside a running simulation.
pub fn lookup_host(name: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    with_world("lookup_host", |world| {
        let found = if name.eq_ignore_ascii_case("localhost") {
            Some(world.hosts.get(world.current_host()).ip)
        } else {
            world
                .hosts
                .list
                .iter()
                .find(|host| host.name.eq_ignore_ascii_case(name))
                .map(|host| host.ip)
        };
        match found {
            Some(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            None => {
                let names: Vec<&str> = world
                    .hosts
                    .list
                    .iter()
                    .map(|host| host.name.as_str())
                    .collect();
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "failed to lookup address information: Name or service not known \
                         (no host named '{name}' in the simulation; hosts: {})",
                        names.join(", ")
                    ),
                ))
            }
        }
    })
}
