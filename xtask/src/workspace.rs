//! What the workspace holds: its simulations and benchmarks, found with
//! `cargo metadata`, and running them with cargo.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

pub(crate) struct Simulation {
    pub(crate) name: String,
    pub(crate) package: String,
    pub(crate) binary: String,
    pub(crate) description: String,
}

/// The simulations: binaries named `sim-*` of workspace packages under `sims/`.
pub(crate) fn simulations() -> Result<Vec<Simulation>> {
    let metadata = metadata()?;
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        if !manifest.contains("/sims/") {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
            let binary = target["name"].as_str().unwrap_or_default();
            if let (true, Some(name)) = (is_bin, binary.strip_prefix("sim-")) {
                found.push(Simulation {
                    name: name.to_string(),
                    package: package["name"].as_str().unwrap_or_default().to_string(),
                    binary: binary.to_string(),
                    description: package["description"].as_str().unwrap_or("").to_string(),
                });
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

pub(crate) fn find_simulation(name: &str) -> Result<Simulation> {
    let sims = simulations()?;
    let names: Vec<String> = sims.iter().map(|sim| sim.name.clone()).collect();
    sims.into_iter()
        .find(|sim| sim.name == name)
        .with_context(|| {
            if names.is_empty() {
                format!(
                    "no simulation named '{name}': the workspace has no simulations under sims/ yet"
                )
            } else {
                format!(
                    "no simulation named '{name}'; the simulations are: {}",
                    names.join(", ")
                )
            }
        })
}

/// The benchmarks: binaries `bench-NAME` of the `tidepool-bench` package.
pub(crate) fn benchmarks() -> Result<Vec<String>> {
    let metadata = metadata()?;
    let mut found: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| package["name"] == "tidepool-bench")
        .flat_map(|package| package["targets"].as_array().cloned().unwrap_or_default())
        .filter(|target| {
            target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .filter_map(|target| {
            target["name"]
                .as_str()?
                .strip_prefix("bench-")
                .map(str::to_string)
        })
        .collect();
    found.sort();
    Ok(found)
}

pub(crate) fn metadata() -> Result<serde_json::Value> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Builds `binary` of `package` in release and runs it with `args`, passing its exit code on.
pub(crate) fn cargo_run(package: &str, binary: &str, args: &[String]) -> Result<ExitCode> {
    let status = Command::new(cargo())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            package,
            "--bin",
            binary,
            "--",
        ])
        .args(args)
        .status()
        .with_context(|| format!("running cargo run for {binary}"))?;
    Ok(crate::output::exit_of(binary, status)?)
}
