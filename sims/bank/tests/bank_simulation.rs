//! The correct bank conserves money: 300 seeds of the full simulation pass,
//! and among them a coordinator dies between a debit and its credit, so the
//! recovery path is what passed, not luck.

use sim_bank::BankBugs;

#[test]
fn the_correct_bank_conserves_money_over_300_seeds() {
    let report = sim_bank::simulation(BankBugs::default())
        .base_seed(0x2026)
        .iterations(300)
        .run_test();
    assert_eq!(report.passed, 300);
    let recovered_mid_transfer = report
        .assertions
        .rows()
        .iter()
        .find(|row| row.message.contains("died between debit and credit"))
        .expect("the recovery assertion has a row");
    assert!(recovered_mid_transfer.true_count > 0, "{report}");
    assert!(report.faults.power_losses > 0 && report.faults.reboots_crash > 0);
}
