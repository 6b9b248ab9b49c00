//! GuruConnect's capability document (`GET /api/integration/v1/capabilities`) and the version
//! gate: this build speaks contract major [`SUPPORTED_MAJOR`]; any minor of it is accepted (a
//! newer minor only adds, and unknown fields and flags are ignored), another major is refused.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The contract version this client was written against (CONTRACT.md).
pub const BUILT_FOR: &str = "1.0.0";
/// The major version this client accepts.
pub const SUPPORTED_MAJOR: u64 = 1;

/// The capability document. Unknown top-level fields are ignored (compatibility promise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Capabilities {
    pub contract_version: String,
    pub features: Features,
}

/// The feature flags. A flag GuruConnect does not send counts as off; flags this build does
/// not know are kept (and logged) but change nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Features {
    #[serde(default)]
    pub embedded_viewer: bool,
    #[serde(default)]
    pub consent_prompt: bool,
    #[serde(default)]
    pub per_machine_keys: bool,
    #[serde(default)]
    pub programmatic_sessions: bool,
    /// Flags newer than this build.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// What the version gate concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compatibility {
    Compatible,
    /// Another major version: nothing of the integration is used.
    MajorMismatch {
        served: String,
    },
    /// Not a `MAJOR.MINOR.PATCH` version at all.
    Unparseable {
        served: String,
    },
}

/// `MAJOR.MINOR.PATCH` (a pre-release or build suffix on the patch is tolerated).
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().splitn(3, '.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch_text = parts.next()?;
    let digits: String = patch_text
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = &patch_text[digits.len()..];
    if digits.is_empty() || !(rest.is_empty() || rest.starts_with(['-', '+'])) {
        return None;
    }
    Some((major, minor, digits.parse().ok()?))
}

/// The modes a technician may pick, given the flags, are among these.
pub use crate::model::RemoteControlMode as Mode;

impl Capabilities {
    /// Parses a capability document (the body GuruConnect sent).
    pub fn parse(body: &str) -> Result<Self, String> {
        serde_json::from_str(body).map_err(|e| format!("not a capability document: {e}"))
    }

    pub fn compatibility(&self) -> Compatibility {
        match parse_version(&self.contract_version) {
            Some((major, _, _)) if major == SUPPORTED_MAJOR => Compatibility::Compatible,
            Some(_) => Compatibility::MajorMismatch {
                served: self.contract_version.clone(),
            },
            None => Compatibility::Unparseable {
                served: self.contract_version.clone(),
            },
        }
    }

    /// Why remote control cannot be used at all, or None when it can.
    pub fn unavailable_reason(&self) -> Option<String> {
        match self.compatibility() {
            Compatibility::Compatible => {}
            Compatibility::MajorMismatch { served } => {
                return Some(format!(
                    "GuruConnect serves integration contract {served}; this GuruRMM speaks \
                     {SUPPORTED_MAJOR}.x (built for {BUILT_FOR}), so remote control is disabled \
                     until one side is upgraded"
                ))
            }
            Compatibility::Unparseable { served } => {
                return Some(format!(
                    "GuruConnect reports contract version `{served}`, which is not a semantic \
                     version; remote control is disabled"
                ))
            }
        }
        if !self.features.programmatic_sessions {
            return Some(
                "GuruConnect does not offer programmatic sessions (programmatic_sessions is \
                 off: its integration key is not configured)"
                    .into(),
            );
        }
        None
    }

    /// The modes a technician may choose: none when unavailable; attended only with the
    /// consent prompt; unattended only with per-machine keys.
    pub fn modes(&self) -> Vec<Mode> {
        if self.unavailable_reason().is_some() {
            return Vec::new();
        }
        let mut modes = Vec::new();
        if self.features.per_machine_keys {
            modes.push(Mode::Unattended);
        }
        if self.features.consent_prompt {
            modes.push(Mode::Attended);
        }
        modes
    }

    /// Why `mode` is refused, or None when it is allowed.
    pub fn refuses(&self, mode: Mode) -> Option<String> {
        if let Some(reason) = self.unavailable_reason() {
            return Some(reason);
        }
        if self.modes().contains(&mode) {
            return None;
        }
        Some(match mode {
            Mode::Attended => "attended remote control is not offered: GuruConnect's \
                               consent_prompt is off, so the end user would not be asked"
                .into(),
            Mode::Unattended => "unattended remote control is not offered: GuruConnect's \
                                 per_machine_keys is off"
                .into(),
        })
    }

    /// The flags as one map, for the log line.
    pub fn feature_map(&self) -> String {
        serde_json::to_string(&self.features).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("1.0.0"), Some((1, 0, 0)));
        assert_eq!(parse_version("1.12.3-rc.1"), Some((1, 12, 3)));
        for bad in ["1", "1.0", "v1.0.0", "1.x.0", "1.0.0x", ""] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
