//! Checks of a [`SimulationBuilder`]'s configuration before anything runs.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{GroupPlan, NetworkChoice, ProcessCount, SeedSource, SimulationBuilder};
use crate::runner::config::ConfigError;
use crate::runner::seeds::ITERATIONS_MAX;

impl SimulationBuilder {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        match &self.options.seeds {
            SeedSource::Derived { iterations: 0, .. } => return Err(ConfigError::NoIterations),
            SeedSource::Explicit(seeds) if seeds.is_empty() => return Err(ConfigError::NoSeeds),
            SeedSource::Derived { iterations, .. } if *iterations > ITERATIONS_MAX => {
                return Err(ConfigError::TooManyIterations {
                    iterations: *iterations,
                });
            }
            _ => {}
        }
        if self.options.jobs == 0 {
            return Err(ConfigError::NoJobs);
        }
        if let Some((index, count)) = self.options.shard {
            if count == 0 || index >= count {
                return Err(ConfigError::Shard { index, count });
            }
        }
        if self.time_budget.is_zero() {
            return Err(ConfigError::ZeroTimeBudget);
        }
        if self.options.watchdog.is_zero() {
            return Err(ConfigError::ZeroWatchdog);
        }
        if self.options.budget.memory_bytes_max == Some(0) {
            return Err(ConfigError::ZeroMemoryBudget);
        }
        if self
            .options
            .budget
            .wall_max
            .is_some_and(|wall| wall.is_zero())
        {
            return Err(ConfigError::ZeroWallBudget);
        }
        let derived_without_base =
            matches!(self.options.seeds, SeedSource::Derived { base: None, .. });
        if self.options.shard.is_some() && derived_without_base {
            return Err(ConfigError::ShardWithoutBaseSeed);
        }
        if self.options.explore {
            if !matches!(self.options.seeds, SeedSource::Derived { .. }) {
                return Err(ConfigError::ExploreWithExplicitSeeds);
            }
            if self.options.shard.is_some() {
                return Err(ConfigError::ExploreWithShard);
            }
        }
        if !self.options.branch.is_empty() {
            let one_seed =
                matches!(&self.options.seeds, SeedSource::Explicit(seeds) if seeds.len() == 1);
            if !one_seed || self.options.explore {
                return Err(ConfigError::BranchWithoutOneSeed);
            }
            let increasing = self
                .options
                .branch
                .windows(2)
                .all(|pair| pair[0].step < pair[1].step);
            if self.options.branch[0].step == 0 || !increasing {
                return Err(ConfigError::BranchPoints(crate::runner::format_branches(
                    &self.options.branch,
                )));
            }
        }
        self.validate_groups()?;
        if self.zero_workloads {
            return Err(ConfigError::ZeroWorkloads);
        }
        if self.workloads.is_empty() {
            return Err(ConfigError::NoWorkloads);
        }
        if self.groups.is_empty() {
            return Err(ConfigError::NoProcesses);
        }
        let mut names = BTreeSet::new();
        for (name, _) in &self.invariants {
            if !names.insert(name) {
                return Err(ConfigError::DuplicateInvariant(name.clone()));
            }
        }
        if let NetworkChoice::Fixed(config) = &self.network {
            config.validate()?;
        }
        self.storage.validate()?;
        if let Some((min, max)) = self.swizzle {
            check_bounds("swizzle interval", (min, max))?;
            check_nonzero("swizzle interval", min)?;
        }
        if let Some((min, max)) = self.clock_skew.as_ref().and_then(|skew| skew.step_every) {
            check_bounds("clock skew step interval", (min, max))?;
            check_nonzero("clock skew step interval", min)?;
        }
        self.validate_attrition()
    }

    fn validate_groups(&self) -> Result<(), ConfigError> {
        let mut names = BTreeSet::new();
        for group in &self.groups {
            if !names.insert(group.name.as_str()) {
                return Err(ConfigError::DuplicateGroup(group.name.clone()));
            }
            let ProcessCount {
                min,
                max,
                half_open,
            } = group.count;
            if max < min || max == usize::MAX {
                let range = if half_open {
                    format!("{min}..{}", max.wrapping_add(1))
                } else {
                    format!("{min}..={max}")
                };
                return Err(ConfigError::EmptyCount {
                    group: group.name.clone(),
                    range,
                });
            }
            if max == 0 {
                return Err(ConfigError::EmptyCount {
                    group: group.name.clone(),
                    range: "0".into(),
                });
            }
        }
        Ok(())
    }

    fn validate_attrition(&self) -> Result<(), ConfigError> {
        let Some(attrition) = &self.attrition else {
            return Ok(());
        };
        if attrition.max_dead == 0 {
            return Err(ConfigError::MaxDeadZero);
        }
        let weights = [
            attrition.graceful,
            attrition.crash,
            attrition.power_loss,
            attrition.wipe,
        ];
        let valid = weights
            .iter()
            .all(|weight| weight.is_finite() && *weight >= 0.0);
        if !valid || weights.iter().sum::<f64>() <= 0.0 {
            return Err(ConfigError::AttritionWeights {
                graceful: attrition.graceful,
                crash: attrition.crash,
                power_loss: attrition.power_loss,
                wipe: attrition.wipe,
            });
        }
        check_bounds("attrition recovery_delay", attrition.recovery_delay)?;
        check_bounds("attrition interval", attrition.interval)?;
        check_nonzero("attrition interval", attrition.interval.0)?;
        let targeted: Vec<&GroupPlan> = match &attrition.group {
            Some(name) => {
                let group = self.groups.iter().find(|group| &group.name == name);
                vec![group.ok_or_else(|| ConfigError::UnknownAttritionGroup(name.clone()))?]
            }
            None => self.groups.iter().collect(),
        };
        let group_min: usize = targeted.iter().map(|group| group.count.min).sum();
        if attrition.max_dead >= group_min && !attrition.allow_all_dead {
            let group = attrition
                .group
                .clone()
                .unwrap_or_else(|| "(all groups)".to_string());
            return Err(ConfigError::MaxDeadTooHigh {
                group,
                max_dead: attrition.max_dead,
                group_min,
            });
        }
        Ok(())
    }
}

fn check_bounds(what: &'static str, (min, max): (Duration, Duration)) -> Result<(), ConfigError> {
    if min > max {
        return Err(ConfigError::Bounds { what, min, max });
    }
    Ok(())
}

fn check_nonzero(what: &'static str, min: Duration) -> Result<(), ConfigError> {
    if min.is_zero() {
        return Err(ConfigError::ZeroInterval { what });
    }
    Ok(())
}
