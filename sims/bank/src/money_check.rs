//! The final check: once the coordinator has nothing pending, the account
//! servers together hold exactly the money they started with.

use std::net::SocketAddr;
use std::time::Duration;

use tidepool::prelude::*;

use crate::client::LineClient;
use crate::protocol::parse_count_reply;
use crate::{BANK_GROUP, COORDINATOR_GROUP};

/// How long one question of the check may take.
pub const CHECK_CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the check asks a question that got no answer, at most.
pub const CHECK_CALL_ATTEMPTS_MAX: u32 = 20;
/// How often the check asks the coordinator for its pending count, at most.
pub const PENDING_POLLS_MAX: u32 = 120;
/// The pause between two polls, or two attempts of one question.
pub const CHECK_POLL_DELAY: Duration = Duration::from_millis(250);

/// Waits until the coordinator has no transfer pending, then sums `total`
/// over the account servers and asserts it is `expected`.
///
/// # Errors
///
/// When the coordinator still has transfers pending after
/// [`PENDING_POLLS_MAX`] polls, or a server does not answer.
pub async fn money_is_conserved(ctx: WorkloadContext, expected: i64) -> Result<(), BoxError> {
    let coordinator = *ctx
        .processes(COORDINATOR_GROUP)
        .first()
        .ok_or("no coordinator to ask")?;
    wait_for_no_pending(&ctx, coordinator).await?;
    let mut totals = Vec::new();
    for &server in ctx.processes(BANK_GROUP) {
        totals.push(ask(&ctx, server, "total").await?);
    }
    let total: i64 = totals.iter().sum();
    tidepool::assert_always!(
        total == expected,
        "money is conserved",
        total = total,
        expected = expected,
        server_totals = totals
    );
    Ok(())
}

/// Polls `pending` until it is 0: a transfer still being finished moves
/// money between the servers while they are summed.
async fn wait_for_no_pending(
    ctx: &WorkloadContext,
    coordinator: SocketAddr,
) -> Result<(), BoxError> {
    let mut pending = 0;
    for _ in 0..PENDING_POLLS_MAX {
        pending = ask(ctx, coordinator, "pending").await?;
        if pending == 0 {
            return Ok(());
        }
        ctx.sleep(CHECK_POLL_DELAY).await;
    }
    Err(format!(
        "the coordinator still has {pending} transfers pending after {PENDING_POLLS_MAX} polls"
    )
    .into())
}

/// Asks `server` a question answered `<question> <n>`, retrying while it does
/// not answer.
async fn ask(ctx: &WorkloadContext, server: SocketAddr, question: &str) -> Result<i64, BoxError> {
    let mut client = LineClient::new(ctx.providers(), server, CHECK_CALL_TIMEOUT);
    for _ in 0..CHECK_CALL_ATTEMPTS_MAX {
        match client.call(question).await {
            Ok(line) => return Ok(parse_count_reply(question, &line)?),
            Err(error) => tracing::debug!(%error, question, "check call failed"),
        }
        ctx.sleep(CHECK_POLL_DELAY).await;
    }
    Err(
        format!("{server} did not answer '{question}' in {CHECK_CALL_ATTEMPTS_MAX} attempts")
            .into(),
    )
}
