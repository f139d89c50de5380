//! The one place YAML is emitted: a header comment, then `serde_yaml` output of a typed value.
//! (`serde_yaml` is archived; a maintained drop-in such as `serde_norway` swaps in here.)
//!
//! The output is read by YAML 1.2 readers (Go's sigs.k8s.io/yaml, serde) and YAML 1.1 ones:
//! cloud-init loads user-data and network-config with PyYAML, where a plain `52:54:00:10:00:11`
//! is a base-60 integer, `on`/`no` booleans, `0755` octal, `2024-01-01` a date. `serde_yaml`
//! quotes only the YAML 1.2 look-alikes, so every string a YAML 1.1 reader would resolve to
//! something else is quoted here too. `serde_yaml` has no way to ask for a quoting style; but it
//! single-quotes any string made of a leading zero and digits (a YAML 1.2 string that would look
//! octal to 1.1). Each risky string is swapped for such a unique stand-in before emission, and
//! the stand-in's exact quoted token `'0…'` is swapped back for the string, single-quoted, after.
//! Everything else is serde_yaml's output byte for byte.

use crate::plan::RenderError;
use serde::Serialize;
use serde_yaml::{Mapping, Value};

/// `# <provenance>` followed by `value` as YAML.
pub fn document(provenance: &str, value: &impl Serialize) -> Result<Vec<u8>, RenderError> {
    let body = to_string(value)?;
    Ok(format!("# {provenance}\n{body}").into_bytes())
}

/// A `#cloud-config` document: the marker line cloud-init needs first, then the header comment.
pub fn cloud_config(provenance: &str, value: &impl Serialize) -> Result<Vec<u8>, RenderError> {
    let body = to_string(value)?;
    Ok(format!("#cloud-config\n# {provenance}\n{body}").into_bytes())
}

/// Several YAML documents in one file, separated by `---`.
pub fn documents(provenance: &str, values: &[Value]) -> Result<Vec<u8>, RenderError> {
    let mut out = format!("# {provenance}\n");
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(value)?);
    }
    Ok(out.into_bytes())
}

/// `value` as YAML that YAML 1.1 and 1.2 readers load alike: every string stays a string.
fn to_string(value: &impl Serialize) -> Result<String, RenderError> {
    let mut value = serde_yaml::to_value(value)?;
    let mut risky = Vec::new();
    let prefix = stand_in_prefix(&value);
    swap_risky(&mut value, &prefix, &mut risky);
    let mut text = serde_yaml::to_string(&value)?;
    for (index, original) in risky.iter().enumerate() {
        let token = format!("'{}'", stand_in(&prefix, index));
        if text.matches(&token).count() != 1 {
            return Err(RenderError::YamlEmitter(format!("the stand-in for {original:?} was not emitted as {token}")));
        }
        text = text.replacen(&token, &format!("'{}'", original.replace('\'', "''")), 1);
    }
    Ok(text)
}

fn stand_in(prefix: &str, index: usize) -> String {
    format!("{prefix}{index:06}")
}

/// A run of digits after a leading zero (so serde_yaml single-quotes it) that no string of
/// `value` contains, so a stand-in can never be confused with real content.
fn stand_in_prefix(value: &Value) -> String {
    let mut strings = Vec::new();
    collect_strings(value, &mut strings);
    let mut prefix = String::from("0918273645");
    while strings.iter().any(|s| s.contains(&prefix)) {
        prefix.push('7');
    }
    prefix
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Sequence(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Value::Mapping(map) => {
            for (key, item) in map {
                collect_strings(key, out);
                collect_strings(item, out);
            }
        }
        Value::Tagged(tagged) => collect_strings(&tagged.value, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Replaces every string (keys too) a YAML 1.1 reader would not load as a string by a stand-in,
/// recording the original at the stand-in's index.
fn swap_risky(value: &mut Value, prefix: &str, risky: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if yaml11_non_string(s) {
                let stand = stand_in(prefix, risky.len());
                risky.push(std::mem::replace(s, stand));
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|item| swap_risky(item, prefix, risky)),
        Value::Mapping(map) => {
            let entries = std::mem::take(map);
            let mut swapped = Mapping::with_capacity(entries.len());
            for (mut key, mut item) in entries {
                swap_risky(&mut key, prefix, risky);
                swap_risky(&mut item, prefix, risky);
                swapped.insert(key, item);
            }
            *map = swapped;
        }
        Value::Tagged(tagged) => swap_risky(&mut tagged.value, prefix, risky),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Whether a YAML 1.1 reader resolves the plain scalar `s` to something other than a string:
/// the implicit types of the YAML 1.1 type repository (yaml.org/type) as PyYAML implements them
/// (null, bool, int incl. base 2/8/16/60 and `_`, float incl. base 60 and `.inf`/`.nan`,
/// timestamp, merge `<<`, value `=`), booleans and the special floats in any letter case.
fn yaml11_non_string(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "" | "~" | "null" | "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "<<" | "="
    ) || int(s)
        || float(&lower)
        || timestamp(s)
}

fn unsigned(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(allowed)
}

/// `[-+]?` then `0b[01_]+`, `0x[0-9a-fA-F_]+`, `0[0-7_]+`, `0`, `[1-9][0-9_]*`, or base 60:
/// `[1-9][0-9_]*(:[0-5]?[0-9])+`.
fn int(s: &str) -> bool {
    let s = unsigned(s);
    if let Some(rest) = s.strip_prefix("0b") {
        return all(rest, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(rest) = s.strip_prefix("0x") {
        return all(rest, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if s == "0" {
        return true;
    }
    if let Some(rest) = s.strip_prefix('0') {
        return all(rest, |b| matches!(b, b'0'..=b'7' | b'_'));
    }
    let mut groups = s.split(':');
    let head = groups.next().unwrap_or_default();
    let decimal = head.starts_with(|c: char| c.is_ascii_digit()) && all(head, |b| b.is_ascii_digit() || b == b'_');
    decimal && groups.all(sexagesimal_digit)
}

/// One `:[0-5]?[0-9]` group of a base-60 number (without the colon).
fn sexagesimal_digit(group: &str) -> bool {
    match group.as_bytes() {
        [d] => d.is_ascii_digit(),
        [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
        _ => false,
    }
}

/// PyYAML's float (`s` in lower case): `[-+]?[0-9][0-9_]*\.[0-9_]*([e][-+][0-9]+)?`,
/// `\.[0-9_]+([e][-+][0-9]+)?`, base 60 `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`,
/// `[-+]?\.inf`, `\.nan`.
fn float(s: &str) -> bool {
    if s == ".nan" || unsigned(s) == ".inf" {
        return true;
    }
    let (mantissa, exponent) = match s.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (s, None),
    };
    if let Some(exponent) = exponent {
        let signed = exponent.starts_with(['-', '+']);
        if !signed || !all(&exponent[1..], |b| b.is_ascii_digit()) {
            return false;
        }
    }
    let Some((whole, fraction)) = mantissa.split_once('.') else { return false };
    if !fraction.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return false;
    }
    if whole.is_empty() {
        return !fraction.is_empty();
    }
    let whole = unsigned(whole);
    let mut groups = whole.split(':');
    let head = groups.next().unwrap_or_default();
    let sexagesimal = whole.contains(':');
    let decimal = head.starts_with(|c: char| c.is_ascii_digit()) && all(head, |b| b.is_ascii_digit() || b == b'_');
    decimal && groups.all(sexagesimal_digit) && !(sexagesimal && exponent.is_some())
}

/// PyYAML's timestamp: `YYYY-MM-DD`, or `YYYY-M-D` followed by `T`/`t`/blanks and a time.
fn timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() == 10 && digits(0..4) && digits(5..7) && digits(8..10) && b[4] == b'-' && b[7] == b'-' {
        return true;
    }
    let mut parts = s.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let short = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|d| d.is_ascii_digit());
    let day_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    year.len() == 4
        && year.bytes().all(|d| d.is_ascii_digit())
        && short(month)
        && (1..=2).contains(&day_len)
        && rest[day_len..].starts_with(['T', 't', ' ', '\t'])
        && rest[day_len + 1..].trim_start().starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_look_alikes() {
        for s in [
            "52:54:00:10:00:11",
            "52:54:00:12:34:56",
            "1:20",
            "-1:20",
            "1:20.5",
            "on",
            "OFF",
            "Yes",
            "y",
            "N",
            "0755",
            "0",
            "0b101",
            "0x1F",
            "1_000",
            "+12",
            ".inf",
            "-.INF",
            ".NaN",
            ".5",
            "1.",
            "1.5e+3",
            "~",
            "",
            "null",
            "2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "<<",
            "=",
            "0.8",
            "6443",
        ] {
            assert!(yaml11_non_string(s), "{s:?} is not a string in YAML 1.1");
        }
        for s in [
            "00:11:22:33:44:55",
            "94:c6:91:00:00:01",
            "1:60",
            "v1.35.0",
            "1.35.0",
            "4.15.1",
            "1e5",
            "1.0e5",
            "10.0.10.10",
            "10.0.10.0/24",
            "2024-1-1",
            "2024-01-01x",
            "onion",
            "yesterday",
            "abc",
            "08",
            "0_8",
            ":20",
            "1:",
            "1::20",
            "enp1s0",
        ] {
            assert!(!yaml11_non_string(s), "{s:?} is a string in YAML 1.1");
        }
    }

    #[test]
    fn risky_strings_are_quoted_and_the_rest_untouched() {
        let value = serde_json::json!({
            "macaddress": "52:54:00:10:00:11",
            "other": "00:11:22:33:44:55",
            "on": ["no", "plain", "it's", "1:20", 8443, true],
            "mode": "0755",
            "text": "line\n1:20\n",
        });
        let text = to_string(&value).unwrap();
        assert_eq!(
            text,
            "macaddress: '52:54:00:10:00:11'\nother: 00:11:22:33:44:55\n'on':\n- 'no'\n- plain\n- it's\n- '1:20'\n- 8443\n- true\nmode: '0755'\ntext: |\n  line\n  1:20\n"
        );
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, serde_yaml::to_value(&value).unwrap());
    }

    #[test]
    fn stand_ins_never_collide_with_content() {
        let value = serde_json::json!(["0918273645000000", "on"]);
        let text = to_string(&value).unwrap();
        assert_eq!(text, "- '0918273645000000'\n- 'on'\n");
    }
}
