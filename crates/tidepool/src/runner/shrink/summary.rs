//! A shrunk run in words: what remained, and how much smaller than the original.

use std::fmt;
use std::time::Duration;

use super::search::Shrunk;

fn ratio(before: u64, after: u64) -> String {
    match (before, after) {
        (0, 0) => "none either way".to_string(),
        (_, 0) => format!("{before} -> 0"),
        _ => format!(
            "{before} -> {after} ({:.1}x smaller)",
            before as f64 / after as f64
        ),
    }
}

/// The fault counts that are not zero, as `name N, ...`.
fn nonzero_counts(counts: &crate::runner::FaultCounts) -> String {
    let value = serde_json::to_value(counts).unwrap_or_default();
    let listed: Vec<String> = value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, count)| {
            let count = count.as_u64().filter(|count| *count > 0)?;
            Some(format!("{name} {count}"))
        })
        .collect();
    listed.join(", ")
}

fn seconds(nanos: u64) -> String {
    format!("{:.3?}", Duration::from_nanos(nanos))
}

impl Shrunk {
    /// The edits, in words.
    pub fn edits_in_words(&self) -> String {
        let edits = &self.edits;
        let mut words = Vec::new();
        if let Some(window) = edits.chaos_window_ns {
            words.push(format!("chaos window {}", seconds(window)));
        }
        if let Some(percent) = edits.network_fault_percent {
            words.push(format!("network faults at {percent}% of their rates"));
        }
        for (off, what) in [
            (edits.network_faults_off, "network faults off"),
            (edits.storage_faults_off, "disk faults off"),
            (edits.attrition_off, "attrition off"),
            (edits.swizzle_off, "swizzles off"),
        ] {
            if off {
                words.push(what.to_string());
            }
        }
        for name in &edits.injectors_off {
            words.push(format!("injector '{name}' off"));
        }
        if !edits.dropped_faults.is_empty() {
            words.push(format!("{} fault(s) dropped", edits.dropped_faults.len()));
        }
        if let Some(max) = edits.operations_max {
            words.push(format!("at most {max} operations"));
        }
        if words.is_empty() {
            "none: no edit kept the failure".to_string()
        } else {
            words.join(", ")
        }
    }
}

impl fmt::Display for Shrunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (before, after) = (&self.original, &self.shrunk);
        writeln!(
            f,
            "shrunk seed {:#018x} in {} runs, still failing the same way: {} at {}",
            self.seed,
            self.runs,
            self.identity.kind.label(),
            self.identity.origin
        )?;
        writeln!(
            f,
            "  faults          {}",
            ratio(before.fault_total(), after.fault_total())
        )?;
        let operations = match (before.operations, after.operations) {
            (Some(before), Some(after)) => ratio(before, after),
            _ => "not counted (the workload does not call WorkloadContext::take_operation)"
                .to_string(),
        };
        writeln!(f, "  operations      {operations}")?;
        writeln!(
            f,
            "  simulated time  {} -> {}",
            seconds(before.sim_time_ns),
            seconds(after.sim_time_ns)
        )?;
        writeln!(
            f,
            "  events          {}",
            ratio(before.events, after.events)
        )?;
        writeln!(f, "  edits           {}", self.edits_in_words())?;
        for fault in &after.faults {
            writeln!(
                f,
                "  fault #{:<8} {} of {} at {}",
                fault.number, fault.kind, fault.target, fault.time
            )?;
        }
        let discrete = after.faults.len() as u64;
        let others = after.fault_total().saturating_sub(discrete);
        if others > 0 {
            writeln!(
                f,
                "  counted         {} (the discrete faults above included)",
                nonzero_counts(&after.fault_counts)
            )?;
        }
        writeln!(f, "  failure         {}", self.reason)?;
        if let Some(file) = &self.file {
            writeln!(f, "  replay file     {}", file.display())?;
        }
        if let Some(replay) = &self.replay {
            writeln!(f, "  replay          {replay}")?;
        }
        Ok(())
    }
}
