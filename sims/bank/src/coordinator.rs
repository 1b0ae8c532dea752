//! `Coordinator`: a `Process` that moves money between accounts on
//! different servers, a debit then a credit, and finishes at boot whatever a
//! previous incarnation began.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tidepool::prelude::*;
use tidepool::providers::FileOf;
use tokio::sync::Mutex;

use crate::BANK_GROUP;
use crate::bugs::BankBugs;
use crate::client::LineClient;
use crate::journal::{JournalRecord, replay};
use crate::line_log::LineLog;
use crate::protocol::{
    Account, CoordinatorRequest, Decision, Leg, Outcome, ServerRequest, Transfer, TransferReply,
    TxId, error_reply,
};
use crate::serve::{LineService, ServeLimits, serve};

/// The journal's path on the coordinator's disk.
pub const JOURNAL_PATH: &str = "journal";

/// How the coordinator is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// Accounts per server, as the account servers are set up.
    pub accounts_per_server: Account,
    /// How long one call to an account server may take.
    pub call_timeout: Duration,
    /// Calls made for one leg before the transfer is left pending.
    pub call_attempts_max: u32,
    /// The pause between two calls for one leg.
    pub retry_delay: Duration,
    /// Records the journal holds at most; past them, transfers are refused
    /// as `unavailable`.
    pub journal_records_max: u64,
    /// Connection bounds.
    pub limits: ServeLimits,
    /// Planted bugs.
    pub bugs: BankBugs,
}

/// The coordinator. Like the account servers it keeps nothing in memory
/// across a boot: its journal says what is unfinished.
#[derive(Clone, Debug)]
pub struct Coordinator {
    config: CoordinatorConfig,
}

impl Coordinator {
    /// A coordinator set up by `config`.
    pub fn new(config: CoordinatorConfig) -> Coordinator {
        Coordinator { config }
    }
}

impl Process for Coordinator {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let servers = ctx.peers(BANK_GROUP).to_vec();
        if servers.is_empty() {
            return Err(format!("no account servers in group '{BANK_GROUP}'").into());
        }
        let (journal, unfinished) = if self.config.bugs.forget_intents {
            (None, BTreeMap::new())
        } else {
            let records_max = self.config.journal_records_max;
            let (log, records) = LineLog::open(ctx.storage(), JOURNAL_PATH, records_max).await?;
            (Some(Mutex::new(log)), replay(&records)?)
        };
        let transfers = Arc::new(Transfers {
            providers: ctx.providers().clone(),
            servers,
            config: self.config.clone(),
            journal,
            pending: std::sync::Mutex::new(unfinished.clone()),
        });
        let listener = ctx.bind(ctx.address()).await?;
        tracing::info!(
            incarnation = ctx.incarnation(),
            unfinished = unfinished.len(),
            "coordinator up"
        );
        let recovering = transfers.clone();
        let _detached = ctx.spawn("recovery", async move {
            recovering.recover(unfinished.into_values()).await;
        });
        serve(&ctx, listener, transfers, self.config.limits).await;
        Ok(())
    }
}

/// Whether a transfer is being made for a teller, or finished after a boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Live,
    Recovery,
}

/// What the coordinator's connections share.
struct Transfers<P: Providers> {
    providers: P,
    servers: Vec<SocketAddr>,
    config: CoordinatorConfig,
    /// `None` with the planted bug `forget_intents`.
    journal: Option<Mutex<LineLog<FileOf<P>>>>,
    /// Transfers begun and not ended, by txid: bounded by the connections
    /// open at once, plus what the journal held at boot.
    pending: std::sync::Mutex<BTreeMap<TxId, Transfer>>,
}

impl<P: Providers> LineService for Transfers<P> {
    async fn answer(&self, line: String) -> String {
        match CoordinatorRequest::parse(&line) {
            Err(error) => error_reply(error),
            Ok(CoordinatorRequest::Pending) => format!("pending {}", self.pending_count()),
            Ok(CoordinatorRequest::Transfer(transfer)) => match self.check_accounts(&transfer) {
                Err(error) => error_reply(error),
                Ok(()) => self.transfer(transfer).await.to_string(),
            },
        }
    }
}

impl<P: Providers> Transfers<P> {
    /// Logs the intent, then makes the transfer.
    async fn transfer(&self, transfer: Transfer) -> TransferReply {
        if let Err(error) = self.log(&JournalRecord::Begin(transfer.clone())).await {
            tracing::warn!(%error, txid = %transfer.txid, "journal write failed");
            return TransferReply::Unavailable;
        }
        self.pending_set()
            .insert(transfer.txid.clone(), transfer.clone());
        self.finish(&transfer, Path::Live).await
    }

    /// Finishes every transfer a previous incarnation began and did not end.
    async fn recover(&self, unfinished: impl Iterator<Item = Transfer>) {
        for transfer in unfinished {
            let reply = self.finish(&transfer, Path::Recovery).await;
            tracing::info!(txid = %transfer.txid, %reply, "recovered a transfer");
        }
    }

    /// The debit, then the credit unless the debit was refused, then the
    /// end in the journal. Both legs are idempotent on the account servers,
    /// so a transfer finished twice moves its money once.
    async fn finish(&self, transfer: &Transfer, path: Path) -> TransferReply {
        let amount = transfer.amount as i64;
        let Some(debit) = self
            .apply(transfer, Leg::Debit, transfer.from, -amount)
            .await
        else {
            return TransferReply::Unavailable;
        };
        let reply = match debit.outcome {
            Outcome::Refused => TransferReply::Refused,
            Outcome::Applied => {
                let Some(credit) = self.apply(transfer, Leg::Credit, transfer.to, amount).await
                else {
                    return TransferReply::Unavailable;
                };
                tidepool::assert_always!(
                    credit.outcome == Outcome::Applied,
                    "a credit is never refused",
                    txid = %transfer.txid
                );
                if path == Path::Recovery && debit.repeat && !credit.repeat {
                    tidepool::assert_reachable!(
                        "recovery credits a transfer whose coordinator died between debit and credit"
                    );
                }
                TransferReply::Done
            }
        };
        let end = JournalRecord::End {
            txid: transfer.txid.clone(),
            reply,
        };
        if let Err(error) = self.log(&end).await {
            // The transfer is done; the next boot finishes it again, harmlessly.
            tracing::warn!(%error, txid = %transfer.txid, "journal write failed");
        }
        self.pending_set().remove(&transfer.txid);
        reply
    }

    /// Applies one leg on the server of `account`, retrying through timeouts
    /// and reboots; `None` after `call_attempts_max` calls without a decision.
    async fn apply(
        &self,
        transfer: &Transfer,
        leg: Leg,
        account: Account,
        delta: i64,
    ) -> Option<Decision> {
        let request = ServerRequest::Apply {
            txid: transfer.txid.leg(leg),
            account,
            delta,
        }
        .to_string();
        let server = self.servers[(account / self.config.accounts_per_server) as usize];
        let mut client = LineClient::new(self.providers.clone(), server, self.config.call_timeout);
        for attempt in 1..=self.config.call_attempts_max {
            match client.call(&request).await {
                Ok(reply) => {
                    let decision = Decision::parse(&reply);
                    tidepool::assert_always!(
                        decision.is_ok(),
                        "an account server decides every apply of the coordinator",
                        request = request,
                        reply = reply
                    );
                    if let Ok(decision) = decision {
                        return Some(decision);
                    }
                }
                Err(error) => tracing::debug!(%error, attempt, request, "leg call failed"),
            }
            self.providers.sleep(self.config.retry_delay).await;
        }
        tracing::warn!(request, "leg left pending: no decision");
        None
    }

    /// Writes `record` to the journal and syncs it; nothing with the planted
    /// bug `forget_intents`.
    async fn log(&self, record: &JournalRecord) -> std::io::Result<()> {
        match &self.journal {
            Some(journal) => journal.lock().await.append(&record.to_string()).await,
            None => Ok(()),
        }
    }

    /// Refuses accounts that no server holds.
    fn check_accounts(&self, transfer: &Transfer) -> Result<(), String> {
        let accounts = self.servers.len() as u64 * u64::from(self.config.accounts_per_server);
        for account in [transfer.from, transfer.to] {
            if u64::from(account) >= accounts {
                return Err(format!(
                    "account {account} does not exist: the bank has 0..{accounts}"
                ));
            }
        }
        Ok(())
    }

    fn pending_set(&self) -> std::sync::MutexGuard<'_, BTreeMap<TxId, Transfer>> {
        self.pending
            .lock()
            .expect("the pending set is never poisoned")
    }

    fn pending_count(&self) -> usize {
        self.pending_set().len()
    }
}
