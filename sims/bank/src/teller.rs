//! `Teller`: the workload. Each teller sends random transfers between random
//! accounts to the coordinator, and asserts on every reply it gets.

use std::time::Duration;

use tidepool::prelude::*;

use crate::COORDINATOR_GROUP;
use crate::client::{CallError, LineClient};
use crate::protocol::{Account, CoordinatorRequest, Transfer, TransferReply, TxId};

/// What a teller does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TellerConfig {
    /// Transfers each teller sends.
    pub transfers: u64,
    /// Accounts in the bank; transfers go between two of `0..accounts`.
    pub accounts: Account,
    /// The largest amount a transfer moves; each draws from `1..=amount_max`.
    pub amount_max: u64,
    /// How long a transfer may take before the teller gives up on it.
    pub request_timeout: Duration,
    /// The longest pause after a transfer; each draws from `0..=pause_max`.
    pub pause_max: Duration,
}

/// One teller: a client of the coordinator.
#[derive(Clone, Debug)]
pub struct Teller {
    config: TellerConfig,
}

impl Teller {
    /// A teller doing what `config` says.
    pub fn new(config: TellerConfig) -> Teller {
        Teller { config }
    }

    /// A transfer between two different random accounts, with a txid no
    /// other teller uses: `t<client>-<n>`.
    fn draw(&self, ctx: &WorkloadContext, n: u64) -> Result<Transfer, BoxError> {
        let accounts = u64::from(self.config.accounts);
        let from = ctx.random_below(accounts);
        let to = (from + 1 + ctx.random_below(accounts - 1)) % accounts;
        Ok(Transfer {
            txid: TxId::parse(&format!("t{}-{n}", ctx.client_id()))?,
            from: Account::try_from(from)?,
            to: Account::try_from(to)?,
            amount: 1 + ctx.random_below(self.config.amount_max),
        })
    }
}

impl Workload for Teller {
    fn name(&self) -> &str {
        "teller"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let coordinator = *ctx
            .processes(COORDINATOR_GROUP)
            .first()
            .ok_or("no coordinator to send transfers to")?;
        let timeout = self.config.request_timeout;
        let mut client = LineClient::new(ctx.providers(), coordinator, timeout);
        for n in 0..self.config.transfers {
            // A shrunk run may cap the transfers (tidepool's --shrink).
            if !ctx.take_operation() {
                break;
            }
            let transfer = self.draw(ctx, n)?;
            let request = CoordinatorRequest::Transfer(transfer.clone()).to_string();
            let reply = client.call(&request).await;
            match &reply {
                Ok(line) => tracing::debug!(%transfer, reply = %line, "transfer"),
                Err(error) => tracing::debug!(%transfer, %error, "transfer without reply"),
            }
            check_reply(reply);
            let pause_ns = self.config.pause_max.as_nanos() as u64;
            ctx.sleep(Duration::from_nanos(ctx.random_below(pause_ns + 1)))
                .await;
        }
        Ok(())
    }
}

/// What a teller can say about a reply. A call without a reply says
/// nothing: the transfer may have happened, or may still happen, and the
/// money check holds either way.
fn check_reply(reply: Result<String, CallError>) {
    tidepool::assert_sometimes!(reply.is_err(), "a teller never learns a transfer's outcome");
    let Ok(line) = reply else {
        return;
    };
    let parsed = TransferReply::parse(&line);
    tidepool::assert_always!(
        parsed.is_ok(),
        "the coordinator answers a transfer with done, refused or unavailable",
        reply = line
    );
    tidepool::assert_sometimes!(parsed == Ok(TransferReply::Done), "a transfer succeeded");
    tidepool::assert_sometimes!(
        parsed == Ok(TransferReply::Refused),
        "a transfer was refused for insufficient funds"
    );
}

/// One attempt of the bank's liveness property: a transfer of 1 from
/// account 0 to account 1, under a txid of its own, must be decided (done
/// or refused) by the coordinator: once the faults have healed, every
/// server answers, so "unavailable" or no answer means something is stuck.
///
/// # Errors
///
/// No answer within 2 s, or an answer other than done or refused.
pub async fn coordinator_decides(ctx: WorkloadContext) -> Result<(), BoxError> {
    let coordinator = *ctx
        .processes(COORDINATOR_GROUP)
        .first()
        .ok_or("no coordinator")?;
    let transfer = Transfer {
        txid: TxId::parse(&format!("live-{}", ctx.random_below(u64::MAX)))?,
        from: 0,
        to: 1,
        amount: 1,
    };
    let mut client = LineClient::new(ctx.providers(), coordinator, Duration::from_secs(2));
    let line = client
        .call(&CoordinatorRequest::Transfer(transfer).to_string())
        .await?;
    match TransferReply::parse(&line)? {
        TransferReply::Done | TransferReply::Refused => Ok(()),
        TransferReply::Unavailable => Err(format!("the coordinator answered {line:?}").into()),
    }
}
