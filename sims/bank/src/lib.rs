//! The bank simulation: the configuration behind `cargo xtask sim run bank`.
//!
//! Two [`AccountServer`]s each own half of the bank's accounts and apply
//! changes to them once per txid, every decision synced to a ledger before
//! it is answered. A [`Coordinator`] moves money between accounts: it
//! journals its intent, debits one server, credits the other, and journals
//! the end; at boot it finishes whatever it had begun. Three [`Teller`]s send
//! it random transfers. During the chaos window any of the three processes
//! may die (gracefully, by a crash, or by a power loss) and the network cuts
//! reads and writes short, resets and stalls connections. When the system is
//! quiet, a final check waits for the coordinator to have nothing pending
//! and requires that the servers hold exactly the money they started with;
//! within [`LIVENESS_BOUND`] of the faults healing, the coordinator must
//! decide a new transfer (liveness).
//!
//! The disks never fail here: storage errors are `sims/kv-durable`'s
//! subject. `--bug forget_intents` plants a coordinator without a journal.
#![warn(missing_docs, unreachable_pub)]

pub mod account_server;
pub mod book;
pub mod bugs;
pub mod client;
pub mod coordinator;
pub mod journal;
pub mod line_log;
pub mod money_check;
pub mod protocol;
pub mod serve;
pub mod teller;

use std::time::Duration;

use tidepool::prelude::*;
use tidepool::sim::{NetworkConfig, StorageConfig};

pub use account_server::{AccountServer, AccountServerConfig};
pub use bugs::BankBugs;
pub use coordinator::{Coordinator, CoordinatorConfig};
pub use money_check::money_is_conserved;
pub use teller::{Teller, TellerConfig};

use protocol::Account;
use serve::ServeLimits;

/// The account servers' group.
pub const BANK_GROUP: &str = "bank";
/// The coordinator's group.
pub const COORDINATOR_GROUP: &str = "coordinator";
/// Account servers in the simulation.
pub const ACCOUNT_SERVERS: usize = 2;
/// Accounts each server owns.
pub const ACCOUNTS_PER_SERVER: Account = 4;
/// What each account holds at the start.
pub const INITIAL_BALANCE: i64 = 100;
/// The money in the bank, which no transfer changes.
pub const INITIAL_TOTAL: i64 =
    ACCOUNT_SERVERS as i64 * ACCOUNTS_PER_SERVER as i64 * INITIAL_BALANCE;
/// Concurrent tellers.
pub const TELLERS: usize = 3;
/// Transfers each teller sends.
pub const TRANSFERS_PER_TELLER: u64 = 40;
/// The largest transfer: most fit the source's balance, some do not.
pub const TRANSFER_AMOUNT_MAX: u64 = 80;
/// Iterations of `cargo xtask sim run bank` when `--iterations` is not given.
pub const ITERATIONS_DEFAULT: u64 = 300;
/// How soon after the faults heal the coordinator must decide a transfer.
pub const LIVENESS_BOUND: Duration = Duration::from_secs(10);
/// How long faults run at most, from the start of the tellers.
pub const CHAOS_DURATION: Duration = Duration::from_secs(20);

/// The bank simulation, with `bugs` planted in the coordinator.
pub fn simulation(bugs: BankBugs) -> SimulationBuilder {
    let server = account_server_config();
    let coordinator = coordinator_config(bugs);
    let teller = teller_config();
    SimulationBuilder::new("bank")
        .processes(BANK_GROUP, ACCOUNT_SERVERS, move || {
            AccountServer::new(server.clone())
        })
        .processes(COORDINATOR_GROUP, 1, move || {
            Coordinator::new(coordinator.clone())
        })
        .workloads(TELLERS, move |_| Teller::new(teller.clone()))
        .final_check("money is conserved", |ctx| {
            money_is_conserved(ctx, INITIAL_TOTAL)
        })
        .eventually(
            "the coordinator decides a transfer",
            LIVENESS_BOUND,
            teller::coordinator_decides,
        )
        .network(NetworkConfig::default())
        .storage(StorageConfig::fault_free())
        .chaos_duration(CHAOS_DURATION)
        .attrition(attrition())
        .iterations(ITERATIONS_DEFAULT)
}

/// The account servers: [`ACCOUNTS_PER_SERVER`] accounts of
/// [`INITIAL_BALANCE`] each.
pub fn account_server_config() -> AccountServerConfig {
    AccountServerConfig {
        accounts_per_server: ACCOUNTS_PER_SERVER,
        initial_balance: INITIAL_BALANCE,
        ledger_records_max: 100_000,
        limits: ServeLimits::default(),
    }
}

/// The coordinator, with `bugs` planted: a leg call waits 500 ms, and is
/// retried every 100 ms, 200 times at most (longer than any server stays
/// down).
pub fn coordinator_config(bugs: BankBugs) -> CoordinatorConfig {
    CoordinatorConfig {
        accounts_per_server: ACCOUNTS_PER_SERVER,
        call_timeout: Duration::from_millis(500),
        call_attempts_max: 200,
        retry_delay: Duration::from_millis(100),
        journal_records_max: 100_000,
        limits: ServeLimits::default(),
        bugs,
    }
}

/// The tellers: [`TRANSFERS_PER_TELLER`] transfers of up to
/// [`TRANSFER_AMOUNT_MAX`] each, a 2 s timeout, pauses of up to 100 ms.
pub fn teller_config() -> TellerConfig {
    TellerConfig {
        transfers: TRANSFERS_PER_TELLER,
        accounts: ACCOUNT_SERVERS as Account * ACCOUNTS_PER_SERVER,
        amount_max: TRANSFER_AMOUNT_MAX,
        request_timeout: Duration::from_secs(2),
        pause_max: Duration::from_millis(100),
    }
}

/// Deaths of any process, the coordinator included, one at a time: graceful
/// stops, crashes (unsynced writes kept) and power losses (unsynced writes
/// torn or lost), often enough that a coordinator dies mid-transfer.
pub fn attrition() -> Attrition {
    Attrition {
        max_dead: 1,
        graceful: 1.0,
        crash: 1.0,
        power_loss: 1.0,
        interval: (Duration::from_millis(500), Duration::from_secs(3)),
        recovery_delay: (Duration::from_millis(200), Duration::from_secs(2)),
        ..Attrition::default()
    }
}
