//! Generates `schema/homelab.schema.kdl`, the machine-readable schema of homelab.kdl, from the
//! vocabulary table. A test keeps the committed file equal to this output.

use std::fmt::Write;

use crate::codes::Code;
use crate::vocabulary::{Arg, Kind, NodeSpec, Prop, DOCUMENT};

/// The schema document: one `node` per language node with its arguments, properties and children.
pub fn generate() -> String {
    let mut out = String::new();
    out.push_str("// Machine-readable schema of homelab.kdl, generated from src/vocabulary.rs by\n");
    out.push_str("// `UPDATE_SCHEMA=1 cargo test schema`; do not edit by hand. See schema/REFERENCE.md.\n");
    out.push_str("schema version=1 {\n");
    for node in DOCUMENT.children {
        write_node(&mut out, node, 1);
    }
    out.push_str("    diagnostics {\n");
    for code in Code::ALL {
        let severity = crate::diagnostic::severity_word(code.severity());
        writeln!(
            out,
            "        code {} severity={} summary={}",
            quote(code.as_str()),
            quote(severity),
            quote(code.summary())
        )
        .unwrap();
    }
    out.push_str("    }\n}\n");
    out
}

fn write_node(out: &mut String, node: &NodeSpec, depth: usize) {
    let pad = "    ".repeat(depth);
    let max = node.max.map_or(String::new(), |m| format!(" max={m}"));
    writeln!(out, "{pad}node {} min={}{max} description={} {{", quote(node.name), node.min, quote(node.doc)).unwrap();
    for arg in node.args {
        write_arg(out, "arg", arg, depth + 1);
    }
    if let Some(rest) = &node.rest {
        write_arg(out, "args", rest, depth + 1);
    }
    for prop in node.props {
        write_prop(out, prop, depth + 1);
    }
    for child in node.children {
        write_node(out, child, depth + 1);
    }
    writeln!(out, "{pad}}}").unwrap();
}

fn write_arg(out: &mut String, keyword: &str, arg: &Arg, depth: usize) {
    let pad = "    ".repeat(depth);
    writeln!(
        out,
        "{pad}{keyword} {} {} required=#{} description={}",
        quote(arg.name),
        kind(arg.kind),
        arg.required,
        quote(arg.doc)
    )
    .unwrap();
}

fn write_prop(out: &mut String, prop: &Prop, depth: usize) {
    let pad = "    ".repeat(depth);
    let mut line = format!("{pad}prop {} {} required=#{}", quote(prop.name), kind(prop.kind), prop.required);
    if let Some(default) = prop.default {
        write!(line, " default={}", quote(default)).unwrap();
    }
    if !prop.only_for.is_empty() {
        write!(line, " only-for={}", quote(&prop.only_for.join(" "))).unwrap();
    }
    writeln!(out, "{line} description={}", quote(prop.doc)).unwrap();
}

/// `type="ip"`, or `type="choice" choices="a b c"`.
fn kind(kind: Kind) -> String {
    let name = match kind {
        Kind::String => "string",
        Kind::Integer => "integer",
        Kind::Port => "port",
        Kind::Bool => "boolean",
        Kind::Choice(choices) => return format!("type=\"choice\" choices={}", quote(&choices.join(" "))),
        Kind::Ip => "ipv4",
        Kind::Cidr => "cidr",
        Kind::Range => "range",
        Kind::RangeOrCidr => "range-or-cidr",
        Kind::Mac => "mac",
        Kind::Size => "size",
        Kind::Url => "url",
        Kind::AptUrl => "apt-url",
        Kind::ChartVersion => "chart-version",
        Kind::Version => "kubernetes-version",
        Kind::DnsLabel => "dns-label",
        Kind::DnsName => "dns-name",
        Kind::Path => "path",
        Kind::HostPort => "host-port",
    };
    format!("type={}", quote(name))
}

/// A KDL string literal.
fn quote(text: &str) -> String {
    kdl::KdlValue::String(text.to_string()).to_string()
}
