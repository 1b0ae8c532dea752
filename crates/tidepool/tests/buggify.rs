//! buggify: sites activate per seed at about their probability, fire at about
//! theirs, repeat exactly per seed, and never fire outside a simulation.

use tidepool::buggify::{self, BUGGIFY_ACTIVATION_PROBABILITY};
use tidepool::sim::Sim;

const SEEDS: u64 = 2000;

/// Reaches one site once; returns whether it was active.
fn one_site_active(seed: u64) -> bool {
    Sim::new(seed)
        .run(async {
            let _ = tidepool::buggify!();
            let counts = buggify::take_run_counts();
            assert_eq!(counts.len(), 1);
            counts[0].active
        })
        .outcome
        .unwrap()
}

#[test]
fn sites_activate_at_about_their_probability() {
    // Over 2000 seeds a site is active in about a quarter of them; the band
    // (0.20..0.30) is over five standard deviations wide on each side.
    let active = (0..SEEDS).filter(|&seed| one_site_active(seed)).count();
    let rate = active as f64 / SEEDS as f64;
    assert!(
        (BUGGIFY_ACTIVATION_PROBABILITY - 0.05..BUGGIFY_ACTIVATION_PROBABILITY + 0.05)
            .contains(&rate),
        "activation rate {rate} over {SEEDS} seeds"
    );
}

#[test]
fn active_sites_fire_at_about_their_probability() {
    // An active site called 100 times per seed fires about p of the calls; an
    // inactive one never fires. Two sites with different p, over 400 seeds.
    let (mut calls, mut fires) = ([0u64; 2], [0u64; 2]);
    for seed in 0..400 {
        let counts = Sim::new(seed)
            .run(async {
                for _ in 0..100 {
                    let _ = tidepool::buggify_with_prob!(0.5);
                    let _ = tidepool::buggify!();
                }
                buggify::take_run_counts()
            })
            .outcome
            .unwrap();
        assert_eq!(counts.len(), 2);
        for site in &counts {
            assert_eq!(site.calls, 100);
            if !site.active {
                assert_eq!(site.fires, 0);
                continue;
            }
            // The two macro calls sit on consecutive lines; the first has p = 0.5.
            let index =
                usize::from(site.site.line != counts.iter().map(|c| c.site.line).min().unwrap());
            calls[index] += site.calls;
            fires[index] += site.fires;
        }
    }
    let half = fires[0] as f64 / calls[0] as f64;
    let quarter = fires[1] as f64 / calls[1] as f64;
    assert!((0.45..0.55).contains(&half), "fire rate {half} for p = 0.5");
    assert!(
        (0.20..0.30).contains(&quarter),
        "fire rate {quarter} for the default p"
    );
}

#[test]
fn same_seed_same_decisions() {
    // Three sites called in a loop: one seed gives the same sequence of answers
    // every time; across seeds the sequences differ.
    let decisions = |seed| {
        Sim::new(seed)
            .run(async {
                (0..50)
                    .map(|_| {
                        [
                            tidepool::buggify!(),
                            tidepool::buggify_with_prob!(0.9),
                            tidepool::buggify_with_prob!(0.1),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .outcome
            .unwrap()
    };
    for seed in 0..20 {
        assert_eq!(decisions(seed), decisions(seed), "seed {seed}");
    }
    let distinct: std::collections::BTreeSet<_> = (0..20).map(decisions).collect();
    assert!(distinct.len() > 1);
}

#[test]
fn never_fires_outside_a_simulation() {
    // Outside a simulation every call is false, whatever its probability, and
    // nothing is counted.
    for _ in 0..10_000 {
        assert!(!tidepool::buggify!());
        assert!(!tidepool::buggify_with_prob!(1.0));
    }
    assert!(buggify::take_run_counts().is_empty());
}

#[test]
fn sites_are_registered_before_they_run() {
    // Every buggify call in this file is listed, reached or not.
    let here: Vec<_> = buggify::sites()
        .iter()
        .filter(|site| site.file.ends_with("tests/buggify.rs"))
        .collect();
    assert_eq!(here.len(), 8);
}
