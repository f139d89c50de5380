//! The chart and values of each Helm release: the pins table's chart (`src/pins.toml`), at the
//! lab's `release NAME version=` when given, and hlc's values with the lab's values file merged
//! in. hlc's values come in two kinds: its own choices (replicas, tunnel mode …), which a values
//! file may change, and settings derived from the lab (CIDRs, addresses, the endpoint, pools),
//! which always win; a values file that contradicts a setting is an error (`check::releases`).

use serde_json::Value;

use crate::model::pins::{pins, Chart};
use crate::model::SourceId;
use crate::plan::reads::LabReader;

/// hlc's values of one release, before a values file is merged in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelmValues {
    /// hlc's own choices: a values file may change them.
    pub defaults: Value,
    /// Values derived from the lab, each with the source it comes from: they win.
    pub settings: Vec<(SourceId, Value)>,
    /// Key paths (`a.b.c`) of maps among the defaults that hold one choice of several (Calico's
    /// address autodetection): a values file that sets one replaces hlc's map instead of adding a
    /// second choice to it.
    pub one_of: Vec<&'static str>,
}

impl HelmValues {
    pub fn new(defaults: Value) -> HelmValues {
        HelmValues { defaults, settings: Vec::new(), one_of: Vec::new() }
    }

    /// Marks the default map at `path` as one choice of several.
    pub fn one_of(mut self, path: &'static str) -> HelmValues {
        self.one_of.push(path);
        self
    }

    /// Adds values derived from `source`.
    pub fn setting(mut self, source: SourceId, values: Value) -> HelmValues {
        self.settings.push((source, values));
        self
    }

    /// The values the release gets: hlc's choices, then the user's, then the lab's settings;
    /// keys sorted (as `helm get values` prints them), so the file does not depend on which
    /// part a key came from.
    pub fn merged(&self, user: Option<&Value>) -> Value {
        let mut values = self.defaults.clone();
        if let Some(user) = user {
            for path in &self.one_of {
                remove_where_set(&mut values, user, path);
            }
            merge(&mut values, user);
        }
        for (_, setting) in &self.settings {
            merge(&mut values, setting);
        }
        sorted(values)
    }
}

/// Removes the key at `path` (`a.b.c`) from `values` when `user` sets it.
fn remove_where_set(values: &mut Value, user: &Value, path: &str) {
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last().expect("a path has a key");
    let user_sets = keys.iter().try_fold(user, |v, k| v.get(k)).is_some();
    let parent = parents.iter().try_fold(values, |v, k| v.get_mut(k));
    if let (true, Some(Value::Object(parent))) = (user_sets, parent) {
        parent.remove(*last);
    }
}

/// `value` with the keys of every map in sorted order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Helm's merge of values: maps merge key by key, anything else (lists too) replaces.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

/// A value of a values file that contradicts a setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The key path, e.g. `ipam.operator.clusterPoolIPv4PodCIDRList`.
    pub path: String,
    pub user: Value,
    pub hlc: Value,
    pub source: SourceId,
}

/// Every place where `user` changes or removes a value a setting of `values` fixes. Restating a
/// setting's value is not a conflict.
pub fn conflicts(values: &HelmValues, user: &Value) -> Vec<Conflict> {
    let mut found = Vec::new();
    for (source, setting) in &values.settings {
        walk(setting, user, "", source, &mut found);
    }
    found
}

fn walk(setting: &Value, user: &Value, path: &str, source: &SourceId, found: &mut Vec<Conflict>) {
    match (setting, user) {
        (Value::Object(setting), Value::Object(user)) => {
            for (key, value) in setting {
                if let Some(theirs) = user.get(key) {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(value, theirs, &path, source, found);
                }
            }
        }
        (setting, user) if setting != user => found.push(Conflict {
            path: path.to_string(),
            user: user.clone(),
            hlc: setting.clone(),
            source: source.clone(),
        }),
        _ => {}
    }
}

/// The chart of release `name`: the pinned one, at the version the lab's `release` gives.
pub fn chart(lab: &LabReader, name: &str) -> Chart {
    let mut chart = pins().chart(name).clone();
    if let Some(version) = lab.release_settings(name).and_then(|r| r.version.as_ref()) {
        chart.version = version.value.clone();
    }
    chart
}

/// The lab's values file of release `name`, if it has one.
pub fn user_values<'a>(lab: &LabReader<'a>, name: &str) -> Option<&'a Value> {
    lab.release_settings(name).and_then(|r| r.values.as_ref()).map(|v| &v.values)
}

/// The Ceph image Rook runs.
pub fn ceph_image() -> &'static str {
    &pins().images.ceph
}

/// The Flux release the bootstrap script installs (`flux install --version`).
pub fn flux_version() -> &'static str {
    &pins().flux.version
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{conflicts, HelmValues};
    use crate::model::SourceId;

    fn values() -> HelmValues {
        HelmValues::new(json!({"operator": {"replicas": 2}, "routingMode": "tunnel"}))
            .setting(SourceId::Network, json!({"ipam": {"operator": {"cidrs": ["10.244.0.0/16"]}}}))
    }

    #[test]
    fn user_values_override_choices_and_settings_win() {
        let user = json!({"operator": {"replicas": 1, "extra": true}, "routingMode": "native", "ipam": {"mode": "x"}});
        let merged = values().merged(Some(&user));
        assert_eq!(
            merged,
            json!({"operator": {"replicas": 1, "extra": true}, "routingMode": "native",
                   "ipam": {"operator": {"cidrs": ["10.244.0.0/16"]}, "mode": "x"}})
        );
        let keys: Vec<&String> = merged.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["ipam", "operator", "routingMode"], "sorted");
        assert!(conflicts(&values(), &user).is_empty());
    }

    #[test]
    fn a_one_of_map_is_replaced_whole() {
        let values =
            HelmValues::new(json!({"autodetect": {"kubernetes": "NodeInternalIP"}, "x": 1})).one_of("autodetect");
        let user = json!({"autodetect": {"interface": "eth.*"}});
        assert_eq!(values.merged(Some(&user)), json!({"autodetect": {"interface": "eth.*"}, "x": 1}));
        assert_eq!(values.merged(None), json!({"autodetect": {"kubernetes": "NodeInternalIP"}, "x": 1}));
    }

    #[test]
    fn contradicting_a_setting_is_a_conflict_and_restating_it_is_not() {
        let restated = json!({"ipam": {"operator": {"cidrs": ["10.244.0.0/16"]}}});
        assert!(conflicts(&values(), &restated).is_empty());
        let changed = json!({"ipam": {"operator": {"cidrs": ["10.0.0.0/8"]}}});
        let found = conflicts(&values(), &changed);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "ipam.operator.cidrs");
        assert_eq!(found[0].source, SourceId::Network);
        // Replacing a whole map hlc sets (or nulling it) contradicts it too.
        assert_eq!(conflicts(&values(), &json!({"ipam": null}))[0].path, "ipam");
    }
}
