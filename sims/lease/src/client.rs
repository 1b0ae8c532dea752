//! A lease client: acquires the lease, holds it while it believes it valid,
//! lets it go, and again. Every client publishes until when it believes it
//! holds the lease; a client granted the lease while another still believes
//! it holds it breaks the one rule of a lease.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tidepool::providers::Providers as _;
use tidepool::time::Instant;
use tidepool::{BoxError, StateKey, Workload, WorkloadContext};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::{LEASE_GROUP, LeaseBugs};

/// Per client, the simulated time until which it believes it holds the lease.
pub const BELIEFS: StateKey<BTreeMap<u64, Instant>> = StateKey::new("lease beliefs");

/// How a client behaves.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Leases each client takes before it stops.
    pub leases: u32,
    /// The time-to-live it asks for.
    pub ttl: Duration,
    /// How much sooner than `ttl` (counted from its request) it stops believing.
    pub margin: Duration,
    /// How long it waits for an answer.
    pub request_timeout: Duration,
    /// The longest pause before asking again after `HELD`.
    pub retry_max: Duration,
    /// Planted bugs.
    pub bugs: LeaseBugs,
}

/// One lease client.
pub struct LeaseClient {
    config: ClientConfig,
}

impl LeaseClient {
    /// A client behaving as `config` says.
    pub fn new(config: ClientConfig) -> LeaseClient {
        LeaseClient { config }
    }
}

fn nanos_since_epoch(time: SystemTime) -> i128 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as i128)
}

impl Workload for LeaseClient {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let id = ctx.client_id() as u64;
        let server = ctx.processes(LEASE_GROUP)[0];
        let mut taken = 0;
        let mut connection = None;
        while taken < self.config.leases {
            if connection.is_none() {
                connection = ctx.connect(server).await.ok().map(BufReader::new);
            }
            let Some(stream) = connection.as_mut() else {
                ctx.sleep(self.config.retry_max).await;
                continue;
            };
            let sent = ctx.now();
            let request = format!("ACQUIRE {id} {}\n", self.config.ttl.as_millis());
            let reply = ctx
                .timeout(self.config.request_timeout, async {
                    stream.get_mut().write_all(request.as_bytes()).await?;
                    let mut line = String::new();
                    stream.read_line(&mut line).await?;
                    Ok::<String, std::io::Error>(line)
                })
                .await;
            let line = match reply {
                Ok(Ok(line)) if !line.is_empty() => line,
                // A lost answer may have been a grant: the server times it out.
                _ => {
                    connection = None;
                    ctx.sleep(self.config.ttl).await;
                    continue;
                }
            };
            let words: Vec<&str> = line.trim_end().split(' ').collect();
            match words.as_slice() {
                ["GRANTED", expiry] => {
                    let expiry: i128 = expiry.parse()?;
                    let now = ctx.now();
                    let until = if self.config.bugs.trusts_wall_clock {
                        // The server's wall-clock expiry, on this host's wall clock.
                        let left = expiry - nanos_since_epoch(ctx.providers().system_time());
                        now + Duration::from_nanos(left.clamp(0, i128::from(u64::MAX)) as u64)
                    } else {
                        // Counted from the request, on the monotonic clock: the
                        // server counted from later, so this ends first.
                        sent + self.config.ttl.saturating_sub(self.config.margin)
                    };
                    let others = ctx.state().update(BELIEFS, |beliefs| {
                        let others: Vec<u64> = beliefs
                            .iter()
                            .filter(|(client, believed)| **client != id && **believed > now)
                            .map(|(client, _)| *client)
                            .collect();
                        beliefs.insert(id, until);
                        others
                    });
                    tidepool::assert_always!(
                        others.is_empty(),
                        "at most one client believes it holds the lease",
                        client = id,
                        also_believing = format!("{others:?}")
                    );
                    taken += 1;
                    if until > now {
                        ctx.sleep(until - now).await;
                    }
                }
                ["HELD", _] => {
                    let pause = ctx.random_below(self.config.retry_max.as_millis() as u64 + 1);
                    ctx.sleep(Duration::from_millis(pause)).await;
                }
                _ => return Err(format!("the server answered {line:?}").into()),
            }
        }
        Ok(())
    }
}

/// The id of the liveness check's client, apart from the workload clients'.
pub const NEWCOMER: u64 = 1_000;

/// One attempt of the liveness property: a newcomer asks for the lease
/// (1 ms, so that it keeps nobody waiting) and must be granted it.
///
/// # Errors
///
/// When the server cannot be reached, or answers anything but `GRANTED`
/// (`HELD` by a client now: the check runs again).
pub async fn newcomer_is_granted(ctx: WorkloadContext) -> Result<(), BoxError> {
    let server = ctx.processes(LEASE_GROUP)[0];
    let mut stream = BufReader::new(ctx.connect(server).await?);
    stream
        .get_mut()
        .write_all(format!("ACQUIRE {NEWCOMER} 1\n").as_bytes())
        .await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    if line.starts_with("GRANTED ") {
        Ok(())
    } else {
        Err(format!("the server answered {:?}", line.trim_end()).into())
    }
}
