//! Kubernetes versions (`"1.36"` or `"1.36.2"`) and the supported window.

use std::fmt;

/// Oldest supported minor version of Kubernetes 1.x.
pub const OLDEST_MINOR: u32 = 33;
/// Newest supported minor version (also the default).
pub const NEWEST_MINOR: u32 = 37;

/// A Kubernetes 1.x version; without a patch, the pinned patch of that minor is meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub minor: u32,
    pub patch: Option<u32>,
}

impl KubeVersion {
    /// The default: the newest supported minor.
    pub fn newest() -> KubeVersion {
        KubeVersion { minor: NEWEST_MINOR, patch: None }
    }

    /// Parses `1.N` or `1.N.P` (a leading `v` is allowed); the support window is checked separately.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let error = || format!("`{text}` is not a Kubernetes version such as \"1.36\" or \"1.36.2\"");
        let parts: Vec<&str> = text.strip_prefix('v').unwrap_or(text).split('.').collect();
        let number = |s: &str| -> Result<u32, String> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            s.parse().map_err(|_| error())
        };
        match parts.as_slice() {
            ["1", minor] => Ok(KubeVersion { minor: number(minor)?, patch: None }),
            ["1", minor, patch] => Ok(KubeVersion { minor: number(minor)?, patch: Some(number(patch)?) }),
            _ => Err(error()),
        }
    }

    /// This version with its patch filled in from the pins table (`src/pins.toml`, `[kubernetes]`)
    /// when it has none (and the minor is supported); a patch the user wrote is kept.
    pub fn with_pinned_patch(self) -> KubeVersion {
        let pinned = super::pins::pins().kubernetes_patch(self.minor);
        KubeVersion { minor: self.minor, patch: self.patch.or(pinned) }
    }

    pub fn is_supported(&self) -> bool {
        (OLDEST_MINOR..=NEWEST_MINOR).contains(&self.minor)
    }

    /// `v1.36` — the pkgs.k8s.io repository path component.
    pub fn minor_string(&self) -> String {
        format!("v1.{}", self.minor)
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(patch) => write!(f, "1.{}.{patch}", self.minor),
            None => write!(f, "1.{}", self.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minor_and_patch() {
        assert_eq!(KubeVersion::parse("1.36").unwrap(), KubeVersion { minor: 36, patch: None });
        assert_eq!(KubeVersion::parse("v1.36.2").unwrap(), KubeVersion { minor: 36, patch: Some(2) });
        for bad in ["2.0", "1", "1.x", "1.36.", "1.36.2.1", ""] {
            assert!(KubeVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_minor_alone_means_its_pinned_patch() {
        assert_eq!(KubeVersion { minor: 36, patch: None }.with_pinned_patch().patch, Some(3));
        assert_eq!(KubeVersion { minor: 36, patch: Some(1) }.with_pinned_patch().patch, Some(1));
        assert_eq!(KubeVersion { minor: 99, patch: None }.with_pinned_patch().patch, None);
    }

    #[test]
    fn support_window_is_inclusive() {
        assert!(KubeVersion::parse(&format!("1.{OLDEST_MINOR}")).unwrap().is_supported());
        assert!(KubeVersion::parse(&format!("1.{NEWEST_MINOR}")).unwrap().is_supported());
        assert!(!KubeVersion::parse(&format!("1.{}", OLDEST_MINOR - 1)).unwrap().is_supported());
        assert!(!KubeVersion::parse(&format!("1.{}", NEWEST_MINOR + 1)).unwrap().is_supported());
    }
}
