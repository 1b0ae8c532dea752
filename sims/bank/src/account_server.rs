//! `AccountServer`: a `Process` that owns some accounts and applies changes
//! to them once per txid, each decision synced to its ledger before it is
//! answered.

use std::sync::Arc;

use tidepool::Shutdown;
use tidepool::prelude::*;
use tidepool::providers::{StorageFile, StorageProvider};
use tokio::sync::Mutex;

use crate::book::{Book, BookError, Decided, LedgerRecord};
use crate::line_log::LineLog;
use crate::protocol::{Account, Decision, ServerRequest, TxId, error_reply};
use crate::serve::{LineService, ServeLimits, serve};

/// The ledger's path on the server's disk.
pub const LEDGER_PATH: &str = "ledger";

/// How an account server is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountServerConfig {
    /// Accounts per server: server `i` (its index in its group) owns
    /// accounts `i * accounts_per_server ..` up to the next server's.
    pub accounts_per_server: Account,
    /// What every account holds before any transfer.
    pub initial_balance: i64,
    /// Decisions the ledger holds at most; past them `apply` answers an error.
    pub ledger_records_max: u64,
    /// Connection bounds.
    pub limits: ServeLimits,
}

/// An account server. It keeps nothing in memory across a boot: its `run`
/// rebuilds the balances from the ledger.
#[derive(Clone, Debug)]
pub struct AccountServer {
    config: AccountServerConfig,
}

impl AccountServer {
    /// A server set up by `config`.
    pub fn new(config: AccountServerConfig) -> AccountServer {
        AccountServer { config }
    }
}

impl Process for AccountServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let per_server = self.config.accounts_per_server;
        let first = Account::try_from(ctx.index())? * per_server;
        let book = Book::new(first..first + per_server, self.config.initial_balance);
        let records_max = self.config.ledger_records_max;
        let ledger = Ledger::recover(ctx.storage(), book, records_max).await?;
        let listener = ctx.bind(ctx.address()).await?;
        let total = ledger.book.total();
        tracing::info!(incarnation = ctx.incarnation(), total, "account server up");
        let service = Arc::new(Accounts {
            ledger: Mutex::new(ledger),
            failed: Shutdown::new(),
        });
        let failed = service.failed.clone();
        tidepool::select! {
            () = serve(&ctx, listener, service, self.config.limits) => Ok(()),
            () = failed.requested() => Err("the ledger failed a write: reboot to recover from it".into()),
        }
    }
}

/// The book and the ledger file it is rebuilt from.
struct Ledger<F> {
    book: Book,
    log: LineLog<F>,
}

impl<F: StorageFile> Ledger<F> {
    /// Opens the ledger and replays every decision in it onto `book`.
    async fn recover<S>(
        storage: &S,
        mut book: Book,
        records_max: u64,
    ) -> Result<Ledger<F>, BoxError>
    where
        S: StorageProvider<File = F>,
    {
        let (log, records) = LineLog::open(storage, LEDGER_PATH, records_max).await?;
        for record in &records {
            book.commit(&LedgerRecord::parse(record)?)?;
        }
        Ok(Ledger { book, log })
    }
}

/// What connections share: the ledger, behind one lock, so that decisions
/// are made and synced one at a time (a debit is checked against a balance
/// no other decision is changing, and at most one line is unsynced).
struct Accounts<F> {
    ledger: Mutex<Ledger<F>>,
    /// Fired when a ledger write fails: the book may then disagree with the
    /// disk, and only a reboot (a replay of the ledger) makes them agree.
    failed: Shutdown,
}

impl<F: StorageFile> LineService for Accounts<F> {
    async fn answer(&self, line: String) -> String {
        let request = match ServerRequest::parse(&line) {
            Ok(request) => request,
            Err(error) => return error_reply(error),
        };
        let mut ledger = self.ledger.lock().await;
        if self.failed.is_requested() {
            return error_reply("the ledger failed a write; rebooting");
        }
        let answered = match request {
            ServerRequest::Apply {
                txid,
                account,
                delta,
            } => {
                let applied = ledger.apply(&txid, account, delta).await;
                if let Err(ApplyError::Storage(error)) = &applied {
                    tracing::error!(%error, "ledger write failed");
                    self.failed.request();
                }
                applied.map_err(BoxError::from)
            }
            ServerRequest::Balance { account } => ledger
                .book
                .balance(account)
                .map(|balance| format!("balance {balance}"))
                .map_err(BoxError::from),
            ServerRequest::Total => Ok(format!("total {}", ledger.book.total())),
        };
        answered.unwrap_or_else(error_reply)
    }
}

impl<F: StorageFile> Ledger<F> {
    /// Decides an `apply`; a new decision is synced to the ledger before the
    /// book takes it in, so nothing answered is ever lost.
    async fn apply(
        &mut self,
        txid: &TxId,
        account: Account,
        delta: i64,
    ) -> Result<String, ApplyError> {
        let record = match self.book.decide(txid, account, delta)? {
            Decided::Repeat(outcome) => {
                return Ok(Decision {
                    outcome,
                    repeat: true,
                }
                .to_string());
            }
            Decided::New(record) => record,
        };
        self.log
            .append(&record.to_string())
            .await
            .map_err(ApplyError::Storage)?;
        self.book.commit(&record)?;
        tracing::debug!(%record, "decided");
        let decision = Decision {
            outcome: record.outcome,
            repeat: false,
        };
        Ok(decision.to_string())
    }
}

/// Why an `apply` got no decision.
#[derive(Debug, thiserror::Error)]
enum ApplyError {
    /// The request does not fit the book; nothing was written.
    #[error(transparent)]
    Book(#[from] BookError),
    /// The ledger write failed; the decision may or may not be on the disk.
    #[error("ledger write failed: {0}")]
    Storage(std::io::Error),
}
