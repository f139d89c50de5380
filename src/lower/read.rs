//! Typed reads of KDL nodes for lowering. Values were validated by `shape`, so a read that does
//! not fit just yields `None` (the problem is already reported).

use kdl::{KdlEntry, KdlNode, KdlValue};

use crate::model::Spanned;

/// The property `key` (the rightmost one, as KDL v2 specifies).
pub fn prop<'a>(node: &'a KdlNode, key: &str) -> Option<&'a KdlEntry> {
    node.entries().iter().rev().find(|e| e.name().is_some_and(|n| n.value() == key))
}

/// Positional arguments in order.
pub fn args(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|e| e.name().is_none())
}

pub fn arg(node: &KdlNode, index: usize) -> Option<&KdlEntry> {
    args(node).nth(index)
}

pub fn text(entry: &KdlEntry) -> Option<Spanned<String>> {
    entry.value().as_string().map(|s| Spanned::new(s.to_string(), entry.span()))
}

pub fn integer(entry: &KdlEntry) -> Option<Spanned<u32>> {
    let n = entry.value().as_integer()?;
    u32::try_from(n).ok().map(|n| Spanned::new(n, entry.span()))
}

pub fn boolean(entry: &KdlEntry) -> Option<bool> {
    match entry.value() {
        KdlValue::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Parses a string entry with `parse`; `None` if it is not a string or does not parse.
pub fn parsed<T>(entry: &KdlEntry, parse: impl Fn(&str) -> Result<T, String>) -> Option<Spanned<T>> {
    let s = entry.value().as_string()?;
    parse(s).ok().map(|v| Spanned::new(v, entry.span()))
}

/// Maps a string entry onto one of `choices`.
pub fn choice<T: Copy>(entry: &KdlEntry, choices: &[(&str, T)]) -> Option<Spanned<T>> {
    let s = entry.value().as_string()?;
    choices.iter().find(|(name, _)| *name == s).map(|(_, v)| Spanned::new(*v, entry.span()))
}

/// Child nodes called `name`.
pub fn children<'a>(node: &'a KdlNode, name: &'a str) -> impl Iterator<Item = &'a KdlNode> + 'a {
    node.children().into_iter().flat_map(|doc| doc.nodes()).filter(move |n| n.name().value() == name)
}

/// The first child node called `name`.
pub fn child<'a>(node: &'a KdlNode, name: &'a str) -> Option<&'a KdlNode> {
    children(node, name).next()
}

/// A string property.
pub fn prop_text(node: &KdlNode, key: &str) -> Option<Spanned<String>> {
    prop(node, key).and_then(text)
}

/// The first argument of the first child `name` (e.g. `kubernetes "1.36"` inside `cluster`).
pub fn child_arg<'a>(node: &'a KdlNode, name: &'a str) -> Option<&'a KdlEntry> {
    child(node, name).and_then(|c| arg(c, 0))
}
