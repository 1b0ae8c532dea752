//! Serde for the types of `tidepool_core`, which a production server links
//! without serde: reports and their JSON read as they did when the types lived
//! in this crate. Fields use them with `#[serde(with = "...")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tidepool_core::assertions::{AssertionKind, Detail, SiteLocation};

use crate::time::Instant;

/// [`Instant`] as `{"nanos": u64}`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Instant", rename = "Instant")]
pub(crate) struct InstantDef {
    #[serde(getter = "instant_nanos")]
    nanos: u64,
}

fn instant_nanos(instant: &Instant) -> u64 {
    instant.as_nanos()
}

impl From<InstantDef> for Instant {
    fn from(def: InstantDef) -> Instant {
        Instant::from_nanos(def.nanos)
    }
}

/// [`AssertionKind`] as its name: `"always"`, `"sometimes"`, ...
#[derive(Serialize, Deserialize)]
#[serde(
    remote = "AssertionKind",
    rename = "AssertionKind",
    rename_all = "snake_case"
)]
pub(crate) enum AssertionKindDef {
    Always,
    Sometimes,
    Reachable,
    Unreachable,
}

/// [`SiteLocation`] as `{"file", "line", "column"}`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "SiteLocation", rename = "SiteLocation")]
pub(crate) struct SiteLocationDef {
    file: String,
    line: u32,
    column: u32,
}

/// A list of [`Detail`]s as `[{"key", "value"}, ...]`.
pub(crate) mod details {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename = "Detail")]
    struct Written<'a> {
        key: &'a str,
        value: &'a str,
    }

    #[derive(Deserialize)]
    #[serde(rename = "Detail")]
    struct Read {
        key: String,
        value: String,
    }

    pub(crate) fn serialize<S: Serializer>(
        details: &[Detail],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(details.iter().map(|detail| Written {
            key: &detail.key,
            value: &detail.value,
        }))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Detail>, D::Error> {
        let read = Vec::<Read>::deserialize(deserializer)?;
        Ok(read
            .into_iter()
            .map(|detail| Detail {
                key: detail.key,
                value: detail.value,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "InstantDef")]
        time: Instant,
        #[serde(with = "AssertionKindDef")]
        kind: AssertionKind,
        #[serde(with = "SiteLocationDef")]
        site: SiteLocation,
        #[serde(with = "details")]
        details: Vec<Detail>,
    }

    #[test]
    fn the_json_keeps_its_shape() {
        // Pinned: reports and merged shards written before the crate split read the same.
        let sample = Sample {
            time: Instant::from_nanos(1_500),
            kind: AssertionKind::Unreachable,
            site: SiteLocation {
                file: "src/kv.rs".into(),
                line: 4,
                column: 9,
            },
            details: vec![Detail {
                key: "got".into(),
                value: "7".into(),
            }],
        };
        let json = serde_json::to_string(&sample).unwrap();
        assert_eq!(
            json,
            r#"{"time":{"nanos":1500},"kind":"unreachable","site":{"file":"src/kv.rs","line":4,"column":9},"details":[{"key":"got","value":"7"}]}"#
        );
        assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), sample);
    }
}
