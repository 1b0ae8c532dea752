//! Swarm testing: each seed turns whole fault families on or off, and draws
//! the intensity of those on, so that a campaign explores mixes no single
//! configuration reaches (a quiet network with one crash; partitions and
//! nothing else; every family at twice its rate).
//!
//! The simulation's own configuration bounds the search: a family it leaves
//! off (a rate of 0, no attrition weight, no swizzle) stays off, and a family
//! on runs at its configured rate times a factor drawn from
//! [`INTENSITY_RANGE`]. The mix comes from the seed alone (a stream of its
//! own, apart from the world's), so a seed's replay has the same mix.

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::attrition::Attrition;
use super::knobs::KnobDraw;
use crate::sim::{NetworkConfig, StorageConfig};

/// The chance that a family the simulation configures is on in a seed's mix.
///
/// Three in four, not one in two: most bugs need a few families at once
/// (a kind of death and a storage fault, say), and each family off in half
/// the seeds left few seeds with all of them. Measured over 1,000 seeds on
/// seven planted KV bugs that other faults do not hide, one in two caught
/// each in 0.30–0.64 times the seeds the fixed mix does, three in four in
/// 0.54–0.96 times; the two that other faults hide were caught about as
/// often under both (1.1–1.35 times).
pub const FAMILY_ON_PROBABILITY: f64 = 0.75;

/// The factor (min, max) applied to an enabled family's configured rate.
pub const INTENSITY_RANGE: (f64, f64) = (0.25, 2.0);

/// A family of faults that swarm testing turns on or off per seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Partial reads and writes.
    PartialIo,
    /// Connection resets.
    Resets,
    /// Refused connection attempts.
    RefusedConnects,
    /// Clogged links.
    Clogs,
    /// Random partitions.
    Partitions,
    /// UDP loss and duplication.
    Datagrams,
    /// Attrition's graceful reboots.
    Graceful,
    /// Attrition's crashes.
    Crashes,
    /// Attrition's power losses.
    PowerLosses,
    /// Attrition's wipes.
    Wipes,
    /// Swizzles.
    Swizzles,
    /// Every storage fault (errors, failed syncs, spikes, corruption, full disks).
    Storage,
    /// Wall-clock steps of the clock skew.
    ClockSteps,
}

impl Family {
    /// Every family, in the report's order.
    pub const ALL: [Family; 13] = [
        Family::PartialIo,
        Family::Resets,
        Family::RefusedConnects,
        Family::Clogs,
        Family::Partitions,
        Family::Datagrams,
        Family::Graceful,
        Family::Crashes,
        Family::PowerLosses,
        Family::Wipes,
        Family::Swizzles,
        Family::Storage,
        Family::ClockSteps,
    ];

    /// The family's name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Family::PartialIo => "partial I/O",
            Family::Resets => "resets",
            Family::RefusedConnects => "refused connects",
            Family::Clogs => "clogs",
            Family::Partitions => "partitions",
            Family::Datagrams => "datagram loss",
            Family::Graceful => "graceful reboots",
            Family::Crashes => "crashes",
            Family::PowerLosses => "power losses",
            Family::Wipes => "wipes",
            Family::Swizzles => "swizzles",
            Family::Storage => "storage faults",
            Family::ClockSteps => "clock steps",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// One seed's mix: which families are on, and each one's intensity.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultMix {
    on: u32,
    /// What the simulation configured at all (a family outside it is never on).
    available: u32,
    intensity: [f64; Family::ALL.len()],
}

impl FaultMix {
    /// Whether `family` is on in this mix.
    pub fn is_on(&self, family: Family) -> bool {
        self.on & family.bit() != 0
    }

    /// Whether the simulation configures `family` at all.
    pub fn is_available(&self, family: Family) -> bool {
        self.available & family.bit() != 0
    }

    /// The factor on `family`'s configured rate (0 when off).
    pub fn intensity(&self, family: Family) -> f64 {
        if self.is_on(family) {
            self.intensity[family as usize]
        } else {
            0.0
        }
    }

    /// The families on, with their intensities, for the replay log.
    pub fn describe(&self) -> String {
        let on: Vec<String> = Family::ALL
            .iter()
            .filter(|family| self.is_on(**family))
            .map(|family| format!("{} ×{:.2}", family.name(), self.intensity(*family)))
            .collect();
        let off: Vec<&str> = Family::ALL
            .iter()
            .filter(|family| self.is_available(**family) && !self.is_on(**family))
            .map(|family| family.name())
            .collect();
        format!(
            "on: {}; off: {}",
            if on.is_empty() {
                "none".to_string()
            } else {
                on.join(", ")
            },
            if off.is_empty() {
                "none".to_string()
            } else {
                off.join(", ")
            }
        )
    }
}

/// What the simulation configured, family by family.
pub(crate) struct Configured<'a> {
    pub(crate) network: &'a NetworkConfig,
    pub(crate) attrition: Option<&'a Attrition>,
    pub(crate) swizzle: bool,
    pub(crate) storage: &'a StorageConfig,
    pub(crate) clock_steps: bool,
}

impl Configured<'_> {
    fn has(&self, family: Family) -> bool {
        let net = self.network;
        let weight = |pick: fn(&Attrition) -> f64| self.attrition.is_some_and(|a| pick(a) > 0.0);
        match family {
            Family::PartialIo => {
                net.partial_read_probability > 0.0 || net.partial_write_probability > 0.0
            }
            Family::Resets => net.reset_probability > 0.0,
            Family::RefusedConnects => net.connect_failure_probability > 0.0,
            Family::Clogs => net.clog_probability > 0.0,
            Family::Partitions => net.partition_probability > 0.0,
            Family::Datagrams => {
                net.datagram_loss_probability > 0.0 || net.datagram_duplicate_probability > 0.0
            }
            Family::Graceful => weight(|a| a.graceful),
            Family::Crashes => weight(|a| a.crash),
            Family::PowerLosses => weight(|a| a.power_loss),
            Family::Wipes => weight(|a| a.wipe),
            Family::Swizzles => self.swizzle,
            Family::Storage => *self.storage != self.storage.without_faults(),
            Family::ClockSteps => self.clock_steps,
        }
    }
}

/// The mix of the seed `seed`, within what `configured` allows: each family
/// the simulation configures is on with probability [`FAMILY_ON_PROBABILITY`].
pub(crate) fn mix_for(seed: u64, configured: &Configured<'_>) -> FaultMix {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x7377_6172_6d6d_6978);
    let mut mix = FaultMix::default();
    let (low, high) = INTENSITY_RANGE;
    for family in Family::ALL {
        // Two draws per family whatever the configuration, so that narrowing
        // one family does not reshuffle the others' mixes.
        let on = ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < FAMILY_ON_PROBABILITY;
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        if configured.has(family) {
            mix.available |= family.bit();
            if on {
                mix.on |= family.bit();
                mix.intensity[family as usize] = low + unit * (high - low);
            }
        }
    }
    mix
}

/// `base` with each network family at its mix's intensity.
pub(crate) fn network(mix: &FaultMix, base: &NetworkConfig) -> NetworkConfig {
    let scale = |rate: f64, family: Family| (rate * mix.intensity(family)).min(1.0);
    NetworkConfig {
        partial_read_probability: scale(base.partial_read_probability, Family::PartialIo),
        partial_write_probability: scale(base.partial_write_probability, Family::PartialIo),
        reset_probability: scale(base.reset_probability, Family::Resets),
        connect_failure_probability: scale(
            base.connect_failure_probability,
            Family::RefusedConnects,
        ),
        clog_probability: scale(base.clog_probability, Family::Clogs),
        partition_probability: scale(base.partition_probability, Family::Partitions),
        datagram_loss_probability: scale(base.datagram_loss_probability, Family::Datagrams),
        datagram_duplicate_probability: scale(
            base.datagram_duplicate_probability,
            Family::Datagrams,
        ),
        ..base.clone()
    }
}

/// `base` with the kinds of death the mix turns off weighed 0; `None` when none is left.
pub(crate) fn attrition(mix: &FaultMix, base: &Attrition) -> Option<Attrition> {
    let weigh = |weight: f64, family: Family| if mix.is_on(family) { weight } else { 0.0 };
    let attrition = Attrition {
        graceful: weigh(base.graceful, Family::Graceful),
        crash: weigh(base.crash, Family::Crashes),
        power_loss: weigh(base.power_loss, Family::PowerLosses),
        wipe: weigh(base.wipe, Family::Wipes),
        ..base.clone()
    };
    let total = attrition.graceful + attrition.crash + attrition.power_loss + attrition.wipe;
    (total > 0.0).then_some(attrition)
}

/// `base`, or its fault-free twin when the mix turns storage faults off.
pub(crate) fn storage(mix: &FaultMix, base: &StorageConfig) -> StorageConfig {
    if mix.is_on(Family::Storage) || !mix.is_available(Family::Storage) {
        base.clone()
    } else {
        base.without_faults()
    }
}

/// Per family: seeds with it on, and failures among them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmTable {
    /// Seeds run with swarm testing on.
    pub seeds: u64,
    /// One row per family the simulation configures.
    pub rows: Vec<SwarmRow>,
    /// One row per swarm knob a workload asked for
    /// ([`WorkloadContext::swarm_knob`](crate::WorkloadContext::swarm_knob)),
    /// by name.
    #[serde(default)]
    pub knobs: Vec<KnobRow>,
}

/// One knob's row of the [`SwarmTable`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnobRow {
    /// The knob's name.
    pub name: String,
    /// Seeds in which swarm testing varied it.
    pub seeds_varied: u64,
    /// Failed seeds in which it was varied.
    pub failures_varied: u64,
}

/// One family's row of the [`SwarmTable`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmRow {
    /// The family.
    pub family: Family,
    /// Seeds that had it on.
    pub seeds_on: u64,
    /// Failed seeds that had it on.
    pub failures_on: u64,
}

impl SwarmTable {
    /// Counts one seed with `mix` and its `knobs`, failed or not.
    pub fn add_seed(&mut self, mix: &FaultMix, knobs: &[KnobDraw], failed: bool) {
        self.seeds += 1;
        for knob in knobs {
            let row = self.knob_mut(&knob.name);
            if knob.varied {
                row.seeds_varied += 1;
                row.failures_varied += u64::from(failed);
            }
        }
        for family in Family::ALL
            .into_iter()
            .filter(|family| mix.is_available(*family))
        {
            let row = self.row_mut(family);
            if mix.is_on(family) {
                row.seeds_on += 1;
                row.failures_on += u64::from(failed);
            }
        }
    }

    /// Adds another shard's table.
    pub fn merge(&mut self, other: &SwarmTable) {
        self.seeds += other.seeds;
        for theirs in &other.rows {
            let row = self.row_mut(theirs.family);
            row.seeds_on += theirs.seeds_on;
            row.failures_on += theirs.failures_on;
        }
        for theirs in &other.knobs {
            let row = self.knob_mut(&theirs.name);
            row.seeds_varied += theirs.seeds_varied;
            row.failures_varied += theirs.failures_varied;
        }
    }

    /// Knob `name`'s row, inserted empty in name order.
    fn knob_mut(&mut self, name: &str) -> &mut KnobRow {
        let index = match self
            .knobs
            .binary_search_by(|row| row.name.as_str().cmp(name))
        {
            Ok(index) => index,
            Err(index) => {
                let empty = KnobRow {
                    name: name.to_string(),
                    seeds_varied: 0,
                    failures_varied: 0,
                };
                self.knobs.insert(index, empty);
                index
            }
        };
        &mut self.knobs[index]
    }

    /// `family`'s row, inserted empty where the family order puts it.
    fn row_mut(&mut self, family: Family) -> &mut SwarmRow {
        let index = match self.rows.binary_search_by_key(&family, |row| row.family) {
            Ok(index) => index,
            Err(index) => {
                let empty = SwarmRow {
                    family,
                    seeds_on: 0,
                    failures_on: 0,
                };
                self.rows.insert(index, empty);
                index
            }
        };
        &mut self.rows[index]
    }
}

impl std::fmt::Display for SwarmTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "FAMILY              ON IN SEEDS  FAILURES WITH IT ON")?;
        for row in &self.rows {
            writeln!(
                f,
                "{:<19} {:>12}  {:>19}",
                row.family.name(),
                format!("{}/{}", row.seeds_on, self.seeds),
                row.failures_on
            )?;
        }
        if !self.knobs.is_empty() {
            writeln!(
                f,
                "KNOB                VARIED IN SEEDS  FAILURES WITH IT VARIED"
            )?;
            for row in &self.knobs {
                writeln!(
                    f,
                    "{:<19} {:>15}  {:>23}",
                    row.name,
                    format!("{}/{}", row.seeds_varied, self.seeds),
                    row.failures_varied
                )?;
            }
        }
        Ok(())
    }
}
