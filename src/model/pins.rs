//! The pins table (`src/pins.toml`): every version hlc pins — each Kubernetes minor's patch and
//! pause image, the Helm charts, the images it names, the Flux release — read once from the data
//! file compiled into the binary. A version bump edits that file, never code.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The table's text, as compiled in (tests and scripts read the same file).
pub const PINS_TOML: &str = include_str!("../pins.toml");

/// A Helm chart at its version. hlc names every release after its chart.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    /// The chart's name in its repository (filled in from the table's key).
    #[serde(skip)]
    pub chart: String,
    /// The HelmRepository name (also the `helm repo add` name).
    pub repository: String,
    pub url: String,
    pub version: String,
}

/// The images hlc names itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Images {
    pub ceph: String,
    pub kube_vip: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flux {
    pub version: String,
}

/// The whole table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    /// `"1.36"` → `"1.36.3"`.
    pub kubernetes: BTreeMap<String, String>,
    /// `"1.36"` → the pause image.
    pub pause: BTreeMap<String, String>,
    /// Release (= chart) name → chart.
    pub charts: BTreeMap<String, Chart>,
    pub images: Images,
    pub flux: Flux,
}

static PINS: LazyLock<Pins> = LazyLock::new(|| {
    let mut pins: Pins = toml::from_str(PINS_TOML).expect("src/pins.toml is valid (tested)");
    for (name, chart) in &mut pins.charts {
        chart.chart = name.clone();
    }
    pins
});

/// The table compiled into this binary.
pub fn pins() -> &'static Pins {
    &PINS
}

impl Pins {
    /// The pinned chart of a release hlc deploys.
    pub fn chart(&self, release: &str) -> &Chart {
        self.charts.get(release).unwrap_or_else(|| panic!("src/pins.toml pins no chart `{release}`"))
    }

    /// The pinned patch of Kubernetes 1.`minor`, if the minor is in the table.
    pub fn kubernetes_patch(&self, minor: u32) -> Option<u32> {
        let full = self.kubernetes.get(&format!("1.{minor}"))?;
        full.rsplit('.').next()?.parse().ok()
    }

    /// The pause image kubeadm expects for 1.`minor` (the newest listed for a minor outside it).
    pub fn pause_image(&self, minor: u32) -> &str {
        self.pause
            .get(&format!("1.{minor}"))
            .or_else(|| self.pause.values().next_back())
            .expect("src/pins.toml lists pause images")
    }
}

#[cfg(test)]
mod tests {
    use super::pins;
    use crate::model::version::{NEWEST_MINOR, OLDEST_MINOR};

    #[test]
    fn the_table_covers_every_supported_minor_once() {
        let pins = pins();
        for minor in OLDEST_MINOR..=NEWEST_MINOR {
            let key = format!("1.{minor}");
            let full = &pins.kubernetes[&key];
            assert!(full.starts_with(&format!("{key}.")), "{full} is a patch of {key}");
            assert!(pins.kubernetes_patch(minor).is_some(), "{full}");
            assert!(pins.pause[&key].starts_with("registry.k8s.io/pause:"), "{key}");
        }
        assert_eq!(pins.kubernetes.len() as u32, NEWEST_MINOR - OLDEST_MINOR + 1);
        assert_eq!(pins.pause.len(), pins.kubernetes.len());
    }

    #[test]
    fn every_chart_has_its_name_and_a_version() {
        for (name, chart) in &pins().charts {
            assert_eq!(&chart.chart, name);
            assert!(!chart.version.is_empty() && chart.url.starts_with("https://"), "{name}");
        }
    }
}
