//! Malformed lines get an error reply and never end a connection or panic a
//! server: a workload sends each kind of bad line to an account server and
//! to the coordinator, then a valid request on the same connection, inside
//! the bank simulation with its chaos off.

use std::net::SocketAddr;
use std::time::Duration;

use sim_bank::protocol::LINE_BYTES_MAX;
use sim_bank::{BANK_GROUP, BankBugs, COORDINATOR_GROUP};
use tidepool::prelude::*;
use tidepool::sim::TcpStream;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Lines neither server can read, each with a word its error reply names.
fn malformed_lines() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (b"\n".to_vec(), "empty"),
        (b"withdraw 5\n".to_vec(), "unknown command"),
        (b"apply t1 0\n".to_vec(), "argument"),
        (b"apply t1 zero 5\n".to_vec(), "account"),
        (b"apply t1 0 0\n".to_vec(), "delta"),
        (b"apply t/1 0 5\n".to_vec(), "txid"),
        (b"balance 99999999999\n".to_vec(), "account"),
        (b"transfer t1 1 1 5\n".to_vec(), "to"),
        (b"transfer t1 1 2 -5\n".to_vec(), "amount"),
        (b"\xff\xfe\xfd\n".to_vec(), "UTF-8"),
        (
            [vec![b'x'; LINE_BYTES_MAX * 4], b"\n".to_vec()].concat(),
            "longer",
        ),
    ]
}

/// Connects to `server`, waiting while it boots (it replays its log before
/// it listens).
async fn connect(ctx: &WorkloadContext, server: SocketAddr) -> Result<TcpStream, BoxError> {
    for _ in 0..CONNECT_ATTEMPTS_MAX {
        if let Ok(stream) = ctx.connect(server).await {
            return Ok(stream);
        }
        ctx.sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{server} refused {CONNECT_ATTEMPTS_MAX} connections").into())
}

const CONNECT_ATTEMPTS_MAX: u32 = 20;

struct MalformedLines;

impl MalformedLines {
    /// Sends every malformed line to `server`, then `valid`, on one connection.
    async fn probe(ctx: &WorkloadContext, server: SocketAddr, valid: &str) -> Result<(), BoxError> {
        let mut stream = BufReader::new(connect(ctx, server).await?);
        for (line, named) in malformed_lines() {
            stream.get_mut().write_all(&line).await?;
            let mut reply = String::new();
            stream.read_line(&mut reply).await?;
            let shown = String::from_utf8_lossy(&line[..line.len().min(24)]).into_owned();
            let is_error = reply.starts_with("error ");
            tidepool::assert_always!(is_error, "a malformed line gets an error reply", server = %server, line = shown, reply = reply);
            // A request valid for one server is an unknown command to the other.
            let says_why = reply.contains(named) || reply.contains("unknown command");
            tidepool::assert_always!(
                says_why,
                "an error reply says what is wrong",
                line = shown,
                reply = reply
            );
        }
        stream
            .get_mut()
            .write_all(format!("{valid}\n").as_bytes())
            .await?;
        let mut reply = String::new();
        stream.read_line(&mut reply).await?;
        tidepool::assert_always!(
            reply.starts_with(valid),
            "the connection still answers",
            reply = reply
        );
        Ok(())
    }
}

impl Workload for MalformedLines {
    fn name(&self) -> &str {
        "malformed"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let bank = ctx.processes(BANK_GROUP)[0];
        let coordinator = ctx.processes(COORDINATOR_GROUP)[0];
        MalformedLines::probe(ctx, bank, "total").await?;
        MalformedLines::probe(ctx, coordinator, "pending").await
    }
}

#[test]
fn malformed_lines_get_error_replies_and_the_connection_goes_on() {
    let report = sim_bank::simulation(BankBugs::default())
        .no_chaos()
        .workload(|_| MalformedLines)
        .base_seed(7)
        .iterations(5)
        .run_test();
    let checked = report
        .assertions
        .rows()
        .iter()
        .find(|row| row.message == "a malformed line gets an error reply")
        .expect("the workload ran");
    assert_eq!(checked.true_count, 5 * 2 * malformed_lines().len() as u64);
}
