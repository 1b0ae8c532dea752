//! The lease server: one lease, granted to one client at a time for a
//! time-to-live measured on the server's monotonic clock.
//!
//! The line protocol: `ACQUIRE CLIENT TTL_MS` answers `GRANTED EXPIRY_NS`
//! (the expiry on the server's wall clock, in nanoseconds since 1970, for
//! information) or `HELD HOLDER`; `RELEASE CLIENT` answers `OK`. Anything
//! else answers `ERR` and a reason.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use tidepool::providers::{Listener, Providers};
use tidepool::time::Instant;
use tidepool::{BoxError, PROCESS_PORT, Process, ProcessContext};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The longest lease a client may ask for.
pub const TTL_MAX: Duration = Duration::from_secs(10);

/// Who holds the lease, until when (on the server's monotonic clock).
#[derive(Default)]
struct Lease {
    holder: Option<(u64, Instant)>,
}

/// The lease server process.
#[derive(Default)]
pub struct LeaseServer;

impl Process for LeaseServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx
            .bind(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                PROCESS_PORT,
            ))
            .await?;
        let lease = Arc::new(Mutex::new(Lease::default()));
        loop {
            let shutdown = ctx.shutdown().clone();
            let accepted = tidepool::select! {
                accepted = listener.accept() => accepted,
                () = shutdown.requested() => return Ok(()),
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            let (ctx, lease) = (ctx.clone(), lease.clone());
            drop(ctx.clone().spawn("connection", async move {
                if let Err(error) = serve(&ctx, &lease, stream).await {
                    tracing::debug!("connection ends: {error}");
                }
            }));
        }
    }
}

async fn serve<P: Providers, S>(
    ctx: &ProcessContext<P>,
    lease: &Mutex<Lease>,
    stream: S,
) -> Result<(), BoxError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let reply = answer(ctx, lease, line.trim_end());
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
}

fn answer<P: Providers>(ctx: &ProcessContext<P>, lease: &Mutex<Lease>, request: &str) -> String {
    let words: Vec<&str> = request.split(' ').collect();
    let now = ctx.now();
    let mut lease = lease.lock().expect("no task panics holding the lease");
    match words.as_slice() {
        ["ACQUIRE", client, ttl_ms] => {
            let (Ok(client), Ok(ttl_ms)) = (client.parse::<u64>(), ttl_ms.parse::<u64>()) else {
                return "ERR malformed ACQUIRE\n".to_string();
            };
            let ttl = Duration::from_millis(ttl_ms);
            if ttl.is_zero() || ttl > TTL_MAX {
                return format!("ERR ttl must lie in 1..={} ms\n", TTL_MAX.as_millis());
            }
            match lease.holder {
                Some((holder, until)) if holder != client && until > now => {
                    format!("HELD {holder}\n")
                }
                _ => {
                    lease.holder = Some((client, now + ttl));
                    let wall = ctx.system_time() + ttl;
                    let expiry = wall
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_nanos();
                    format!("GRANTED {expiry}\n")
                }
            }
        }
        ["RELEASE", client] => {
            if let Ok(client) = client.parse::<u64>()
                && lease.holder.is_some_and(|(holder, _)| holder == client)
            {
                lease.holder = None;
            }
            "OK\n".to_string()
        }
        _ => "ERR unknown request\n".to_string(),
    }
}
