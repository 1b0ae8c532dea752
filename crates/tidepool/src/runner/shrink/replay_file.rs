//! The replay file: a shrunk run, exactly reproducible by `--replay FILE`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::edits::Edits;
use super::search::{FailureIdentity, Shrunk};

/// The replay file's format version.
pub const REPLAY_FORMAT: u32 = 1;

/// A replay file: JSON of the simulation, the tidepool that wrote it, the
/// seed, the edits, the failure expected and the run's trace hash, with a
/// checksum over all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayFile {
    /// [`REPLAY_FORMAT`] of the tidepool that wrote it.
    pub format: u32,
    /// The tidepool version that wrote it.
    pub tidepool_version: String,
    /// The simulation's name.
    pub simulation: String,
    /// The replay command without `--seed`: the simulation's own flags.
    pub command: String,
    /// The seed, as `0x` hex.
    pub seed: String,
    /// The edits to the seed's run.
    pub edits: Edits,
    /// The failure the replay must end in.
    pub expected: FailureIdentity,
    /// The shrunk run's trace hash, as `0x` hex: a replay that runs otherwise is refused.
    pub trace_hash: String,
    /// A digest of every field above (FNV-1a of their JSON), as hex: an
    /// edited or damaged file is refused.
    pub checksum: String,
}

/// A replay file that cannot be replayed here, and why.
#[derive(Debug, thiserror::Error)]
pub enum ReplayFileError {
    /// The file could not be read or written.
    #[error("replay file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a replay file's JSON (truncated, or another file).
    #[error("replay file {path} is not a replay file ({reason}); is it truncated?")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        reason: String,
    },
    /// The file has another format version.
    #[error(
        "replay file {path} has format {found} (written by tidepool {written_by}); this tidepool \
         ({ours}) reads format {REPLAY_FORMAT}: shrink the seed again with this version"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// Its format.
        found: u64,
        /// The tidepool that wrote it.
        written_by: String,
        /// This tidepool.
        ours: String,
    },
    /// The checksum does not match the content: edited or damaged.
    #[error(
        "replay file {path} was edited or damaged: its checksum {found} does not match its \
         content ({computed}); shrink the seed again rather than edit the file"
    )]
    Edited {
        /// The file.
        path: PathBuf,
        /// The checksum in the file.
        found: String,
        /// The checksum of its content.
        computed: String,
    },
    /// The file is of another simulation.
    #[error("replay file {path} is of simulation '{found}', not '{expected}'")]
    Simulation {
        /// The file.
        path: PathBuf,
        /// Its simulation.
        found: String,
        /// This one.
        expected: String,
    },
    /// The file was written by a run with other flags.
    #[error(
        "replay file {path} was written by `{found}`, this run is `{expected}`: replay it with \
         the same simulation flags"
    )]
    Command {
        /// The file.
        path: PathBuf,
        /// Its command.
        found: String,
        /// This run's.
        expected: String,
    },
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl ReplayFile {
    /// The replay file of `shrunk`, from `simulation` run as `command`.
    pub(crate) fn of(shrunk: &Shrunk, simulation: &str, command: &str) -> ReplayFile {
        let mut file = ReplayFile {
            format: REPLAY_FORMAT,
            tidepool_version: env!("CARGO_PKG_VERSION").to_string(),
            simulation: simulation.to_string(),
            command: command.to_string(),
            seed: format!("{:#018x}", shrunk.seed),
            edits: shrunk.edits.clone(),
            expected: shrunk.identity.clone(),
            trace_hash: format!("{:#018x}", shrunk.shrunk.trace_hash),
            checksum: String::new(),
        };
        file.checksum = file.computed_checksum();
        file
    }

    fn computed_checksum(&self) -> String {
        let unsigned = ReplayFile {
            checksum: String::new(),
            ..self.clone()
        };
        let json = serde_json::to_vec(&unsigned).expect("a replay file serializes");
        format!("{:016x}", fnv1a(&json))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        parse_hex(&self.seed)
    }

    /// The trace hash expected.
    pub fn expected_trace_hash(&self) -> u64 {
        parse_hex(&self.trace_hash)
    }

    /// Writes the file (pretty JSON), creating its directory.
    ///
    /// # Errors
    ///
    /// When the directory or the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), ReplayFileError> {
        let io = |source| ReplayFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut json = serde_json::to_string_pretty(self).expect("a replay file serializes");
        json.push('\n');
        std::fs::write(path, json).map_err(io)
    }

    /// Reads the file at `path` and checks it is whole, of this format, and
    /// of `simulation` run as `command`.
    ///
    /// # Errors
    ///
    /// A [`ReplayFileError`] naming what does not match.
    pub fn read(
        path: &Path,
        simulation: &str,
        command: &str,
    ) -> Result<ReplayFile, ReplayFileError> {
        let path_buf = path.to_path_buf();
        let text = std::fs::read_to_string(path).map_err(|source| ReplayFileError::Io {
            path: path_buf.clone(),
            source,
        })?;
        let unreadable = |reason: String| ReplayFileError::Unreadable {
            path: path_buf.clone(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?;
        let found = value["format"]
            .as_u64()
            .ok_or_else(|| unreadable("no format field".into()))?;
        if found != u64::from(REPLAY_FORMAT) {
            return Err(ReplayFileError::Format {
                path: path_buf,
                found,
                written_by: value["tidepool_version"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string(),
                ours: env!("CARGO_PKG_VERSION").to_string(),
            });
        }
        let file: ReplayFile =
            serde_json::from_value(value).map_err(|error| unreadable(error.to_string()))?;
        let computed = file.computed_checksum();
        if computed != file.checksum {
            return Err(ReplayFileError::Edited {
                path: path_buf,
                found: file.checksum,
                computed,
            });
        }
        if file.simulation != simulation {
            return Err(ReplayFileError::Simulation {
                path: path_buf,
                found: file.simulation,
                expected: simulation.to_string(),
            });
        }
        if file.command != command {
            return Err(ReplayFileError::Command {
                path: path_buf,
                found: file.command,
                expected: command.to_string(),
            });
        }
        Ok(file)
    }
}

fn parse_hex(text: &str) -> u64 {
    u64::from_str_radix(text.trim_start_matches("0x"), 16).unwrap_or_default()
}
