//! `kv`: serve the key-value server on tokio, or talk to one.
//!
//! ```text
//! kv serve --listen 127.0.0.1:7000
//! kv serve --data-dir /var/lib/kv   # durable: survives restarts and power losses
//! kv set color blue            # --server 127.0.0.1:7000 by default
//! kv get color
//! kv delete color
//! ```

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use kv::protocol::{Reply, Response};
use kv::{DurableConfig, KvClient, KvConfig, KvServer};
use tidepool_core::providers::TokioProviders;
use tidepool_core::{Process, ProcessContext, Shutdown};

/// The address `serve` listens on and clients talk to by default.
const ADDRESS_DEFAULT: &str = "127.0.0.1:7000";

/// A key-value server, in memory or durable (`serve --data-dir`), and its client.
#[derive(Debug, Parser)]
#[command(name = "kv", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until ctrl-c (SIGINT) or SIGTERM, then stop gracefully.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = ADDRESS_DEFAULT)]
        listen: SocketAddr,
        /// Keeps the data in this directory (created if missing), in a
        /// write-ahead log and snapshots, and recovers it at start. Without
        /// it the data lives in memory and dies with the process.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Print the value of KEY.
    Get {
        /// The key.
        key: String,
        #[command(flatten)]
        target: Target,
    },
    /// Store VALUE under KEY.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        #[command(flatten)]
        target: Target,
    },
    /// Remove KEY.
    Delete {
        /// The key.
        key: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Args)]
struct Target {
    /// The server's address.
    #[arg(long, default_value = ADDRESS_DEFAULT)]
    server: SocketAddr,
    /// How long to wait for a reply, in milliseconds.
    #[arg(long, default_value_t = kv::REQUEST_TIMEOUT_DEFAULT.as_millis() as u64)]
    timeout_ms: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // RUST_LOG=debug (a level name) shows more; the default is info.
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A closed stderr must not panic the server through its logging.
        .log_internal_errors(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    match runtime.block_on(execute(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kv: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<ExitCode> {
    let (target, request) = match command {
        Command::Serve { listen, data_dir } => {
            return serve(listen, data_dir).await.map(|()| ExitCode::SUCCESS);
        }
        Command::Get { key, target } => (target, kv::protocol::Request::Get { key: key.into() }),
        Command::Set { key, value, target } => (
            target,
            kv::protocol::Request::Set {
                key: key.into(),
                value: value.into(),
            },
        ),
        Command::Delete { key, target } => {
            (target, kv::protocol::Request::Delete { key: key.into() })
        }
    };
    let mut client = KvClient::new(TokioProviders::new(), target.server)
        .with_timeout(Duration::from_millis(target.timeout_ms));
    let reply = client.request(request).await?;
    Ok(print_reply(&reply))
}

/// Runs the same [`KvServer`] a simulation runs, on tokio; durable under
/// `data_dir` when one is given.
async fn serve(listen: SocketAddr, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let shutdown = Shutdown::new();
    // Milliseconds since the epoch: a restarted server has a larger incarnation.
    let incarnation = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_millis() as u64;
    let (providers, config) = server_setup(data_dir)?;
    let ctx = ProcessContext::new(providers, "kv", listen, shutdown.clone())
        .with_incarnation(incarnation);
    let mut server = KvServer::new(config);
    let mut run = std::pin::pin!(server.run(ctx));
    let mut stop = std::pin::pin!(stop_signal());
    let mut interrupted = false;
    // The signals are polled first, so their handlers are installed before
    // the server listens; after one fires the server is awaited to the end.
    let served = loop {
        tokio::select! {
            biased;
            signal = &mut stop, if !interrupted => {
                interrupted = true;
                shutdown.request();
                match signal {
                    Ok(name) => tracing::info!("{name}: shutting down"),
                    Err(error) => tracing::warn!(%error, "cannot listen for signals; shutting down"),
                }
            }
            served = &mut run => break served,
        }
    };
    served
        .map_err(|error| anyhow::anyhow!(error))
        .with_context(|| format!("serving on {listen}"))
}

/// Waits for ctrl-c (SIGINT) or, on Unix, SIGTERM (what systemd, Docker and
/// Kubernetes send to stop a service), and names the one that came: both
/// stop the server gracefully.
async fn stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.map(|()| "ctrl-c (SIGINT)"),
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "ctrl-c")
    }
}

/// The providers and the configuration of `kv serve`: in memory, or durable
/// under `data_dir`, which is created if missing.
fn server_setup(data_dir: Option<PathBuf>) -> anyhow::Result<(TokioProviders, KvConfig)> {
    let Some(dir) = data_dir else {
        return Ok((TokioProviders::new(), KvConfig::default()));
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the data directory '{}'", dir.display()))?;
    let config = KvConfig {
        durable: Some(DurableConfig::default()),
        ..KvConfig::default()
    };
    Ok((TokioProviders::new().with_data_dir(dir), config))
}

/// Prints what the server answered; an error reply fails the command.
fn print_reply(reply: &Reply) -> ExitCode {
    let (incarnation, store_id) = (reply.incarnation, reply.store_id);
    tracing::debug!(incarnation, store_id, "reply");
    match &reply.response {
        Response::Value(value) => println!("{}", String::from_utf8_lossy(value)),
        Response::NotFound => println!("(not found)"),
        Response::Ok => println!("OK"),
        Response::Error(message) => {
            eprintln!("kv: the server refused: {message}");
            return ExitCode::FAILURE;
        }
        Response::Unavailable(message) => {
            eprintln!(
                "kv: the server could not reach its data (a write may or may not have been applied): {message}"
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
