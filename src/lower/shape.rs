//! Validates a KDL document against the vocabulary: unknown or missing nodes and properties,
//! wrong value types, invalid choices and malformed values (IP, CIDR, size, …), all at once.
//! After this pass, `lower` can read values without reporting anything itself.

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::address::{parse_cidr, parse_ip, AddressRange};
use crate::model::names::{
    absolute_path_error, apt_url_error, chart_version_error, dns_label_error, dns_name_error, url_error, HostPort, Mac,
};
use crate::model::{ByteSize, KubeVersion};
use crate::vocabulary::{did_you_mean, quoted_list, Arg, KdlType, Kind, NodeSpec, Prop};

/// Validates `document` (the children of `spec`) and returns every finding.
pub fn validate(document: &KdlDocument, spec: &NodeSpec, parent: Option<&KdlNode>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for node in document.nodes() {
        match spec.child(node.name().value()) {
            Some(child) => validate_node(node, child, &mut diagnostics),
            None => diagnostics.push(unknown_node(node, spec, parent)),
        }
    }
    check_cardinality(document, spec, parent, &mut diagnostics);
    diagnostics
}

fn unknown_node(node: &KdlNode, spec: &NodeSpec, parent: Option<&KdlNode>) -> Diagnostic {
    let name = node.name().value();
    let place = parent.map_or("at the top level".to_string(), |p| format!("inside `{}`", p.name().value()));
    let mut diagnostic = Diagnostic::new(
        Code::UnknownNode,
        node.name().span(),
        format!("unknown node `{name}` {place}"),
        "not a known node",
    );
    let expected = spec.children.iter().map(|c| c.name);
    diagnostic.help = Some(match did_you_mean(name, expected.clone()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None if spec.children.is_empty() => format!("`{}` takes no child nodes", spec.name),
        None => format!("expected one of: {}", expected.collect::<Vec<_>>().join(", ")),
    });
    diagnostic
}

fn check_cardinality(document: &KdlDocument, spec: &NodeSpec, parent: Option<&KdlNode>, out: &mut Vec<Diagnostic>) {
    for child in spec.children {
        let found: Vec<&KdlNode> = document.nodes().iter().filter(|n| n.name().value() == child.name).collect();
        if (found.len() as u32) < child.min {
            let (span, place) = match parent {
                Some(p) => (p.name().span(), format!("`{}`", p.name().value())),
                None => (Span::from(0..0), "the document".to_string()),
            };
            out.push(
                Diagnostic::new(
                    Code::MissingNode,
                    span,
                    format!("{place} needs a `{}` node", child.name),
                    "declared here",
                )
                .with_help(format!("add `{}`: {}", child.name, child.doc)),
            );
        }
        if let Some(max) = child.max {
            for extra in found.iter().skip(max as usize) {
                out.push(
                    Diagnostic::new(
                        Code::DuplicateNode,
                        extra.name().span(),
                        format!("`{}` may appear only once", child.name),
                        "repeated here",
                    )
                    .with_label(found[0].name().span(), "first declared here")
                    .with_help("merge the two into one node"),
                );
            }
        }
    }
}

fn validate_node(node: &KdlNode, spec: &NodeSpec, out: &mut Vec<Diagnostic>) {
    validate_arguments(node, spec, out);
    validate_properties(node, spec, out);
    match node.children() {
        Some(children) => out.extend(validate(children, spec, Some(node))),
        None => {
            for child in spec.children.iter().filter(|c| c.min > 0) {
                out.push(
                    Diagnostic::new(
                        Code::MissingNode,
                        node.name().span(),
                        format!("`{}` needs a `{}` node", spec.name, child.name),
                        "declared here",
                    )
                    .with_help(format!("add a block: {} {{ {} … }}", spec.name, child.name)),
                );
            }
        }
    }
}

fn validate_arguments(node: &KdlNode, spec: &NodeSpec, out: &mut Vec<Diagnostic>) {
    let args: Vec<&KdlEntry> = node.entries().iter().filter(|e| e.name().is_none()).collect();
    for (index, entry) in args.iter().enumerate() {
        match spec.args.get(index).or(spec.rest.as_ref()) {
            Some(arg) => out.extend(check_value(entry, arg.kind, &argument_label(spec, arg))),
            None => out.push(
                Diagnostic::new(
                    Code::UnexpectedArgument,
                    entry.span(),
                    format!("`{}` takes {} argument(s); this is one too many", spec.name, spec.args.len()),
                    "unexpected argument",
                )
                .with_help(usage(spec)),
            ),
        }
    }
    let missing: Vec<&Arg> = spec.args.iter().skip(args.len()).filter(|a| a.required).collect();
    let rest_missing = spec.rest.filter(|r| r.required && args.len() <= spec.args.len());
    for arg in missing.into_iter().chain(rest_missing.as_ref()) {
        out.push(
            Diagnostic::new(
                Code::MissingValue,
                node.name().span(),
                format!("`{}` needs its {} argument", spec.name, arg.name),
                format!("{} missing", arg.name),
            )
            .with_help(usage(spec)),
        );
    }
}

/// How an argument is named in messages: `node name`, or just `kubernetes` for one-value nodes.
fn argument_label(spec: &NodeSpec, arg: &Arg) -> String {
    if arg.name == spec.name {
        arg.name.to_string()
    } else {
        format!("{} {}", spec.name, arg.name)
    }
}

fn validate_properties(node: &KdlNode, spec: &NodeSpec, out: &mut Vec<Diagnostic>) {
    let kind_of_node = node.entry(0).and_then(|e| e.value().as_string());
    for entry in node.entries() {
        let Some(key) = entry.name() else { continue };
        match spec.prop(key.value()) {
            Some(prop) if applies(prop, kind_of_node) => out.extend(check_value(entry, prop.kind, prop.name)),
            Some(prop) => out.push(
                Diagnostic::new(
                    Code::UnknownProperty,
                    key.span(),
                    format!("`{}` does not apply to {} \"{}\"", prop.name, spec.name, kind_of_node.unwrap_or("")),
                    "not for this kind",
                )
                .with_help(format!("`{}` is only for {}", prop.name, quoted_list(prop.only_for))),
            ),
            None => out.push(unknown_property(key.value(), key.span(), spec, kind_of_node)),
        }
    }
    for prop in spec.props.iter().filter(|p| p.required) {
        if node.entry(prop.name).is_none() {
            out.push(
                Diagnostic::new(
                    Code::MissingValue,
                    node.name().span(),
                    format!("`{}` needs `{}=`", spec.name, prop.name),
                    format!("{} missing", prop.name),
                )
                .with_help(format!("add {}=… ({})", prop.name, prop.doc)),
            );
        }
    }
}

fn applies(prop: &Prop, kind_of_node: Option<&str>) -> bool {
    prop.only_for.is_empty() || kind_of_node.is_some_and(|k| prop.only_for.contains(&k))
}

fn unknown_property(key: &str, span: Span, spec: &NodeSpec, kind_of_node: Option<&str>) -> Diagnostic {
    let candidates: Vec<&str> = spec.props.iter().filter(|p| applies(p, kind_of_node)).map(|p| p.name).collect();
    let help = match did_you_mean(key, candidates.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None if candidates.is_empty() => format!("`{}` takes no properties", spec.name),
        None => format!("`{}` takes: {}", spec.name, candidates.join(", ")),
    };
    Diagnostic::new(
        Code::UnknownProperty,
        span,
        format!("unknown property `{key}` on `{}`", spec.name),
        "not a known property",
    )
    .with_help(help)
}

/// `name ARG… key=VALUE…` for help lines.
fn usage(spec: &NodeSpec) -> String {
    let mut words = vec![spec.name.to_string()];
    words.extend(spec.args.iter().map(|a| a.name.to_uppercase()));
    if let Some(rest) = spec.rest {
        words.push(format!("{}…", rest.name.to_uppercase()));
    }
    words.extend(spec.props.iter().map(|p| format!("{}=…", p.name)));
    format!("usage: {}", words.join(" "))
}

/// Checks one value against its kind; `name` is the argument or property it fills.
fn check_value(entry: &KdlEntry, kind: Kind, name: &str) -> Option<Diagnostic> {
    let span = entry.span();
    let value = entry.value();
    if let Some(diagnostic) = check_kdl_type(value, kind, name, span) {
        return Some(diagnostic);
    }
    match (kind, value) {
        (Kind::Integer, KdlValue::Integer(n)) if !(1..=u32::MAX as i128).contains(n) => Some(
            Diagnostic::new(Code::InvalidNumber, span, format!("`{name}` must be a positive integer"), "out of range")
                .with_help(format!("use a whole number from 1 to {}", u32::MAX)),
        ),
        (Kind::Port, KdlValue::Integer(n)) if !(1..=65535).contains(n) => Some(
            Diagnostic::new(Code::InvalidNumber, span, format!("`{name}` must be a TCP port"), "out of range")
                .with_help("use a port from 1 to 65535"),
        ),
        (Kind::Choice(choices), KdlValue::String(s)) if !choices.contains(&s.as_str()) => {
            let help = match did_you_mean(s, choices.iter().copied()) {
                Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
                None => format!("expected {}", quoted_list(choices)),
            };
            Some(
                Diagnostic::new(
                    Code::InvalidChoice,
                    span,
                    format!("`{name}` cannot be \"{s}\""),
                    "not an allowed value",
                )
                .with_help(help),
            )
        }
        (_, KdlValue::String(s)) => check_text(s, kind, name, span),
        _ => None,
    }
}

fn check_kdl_type(value: &KdlValue, kind: Kind, name: &str, span: Span) -> Option<Diagnostic> {
    let actual = match value {
        KdlValue::String(_) => KdlType::String,
        KdlValue::Integer(_) => KdlType::Integer,
        KdlValue::Bool(_) => KdlType::Bool,
        KdlValue::Float(_) | KdlValue::Null => {
            return Some(wrong_type(kind, name, span, if value.is_null() { "#null" } else { "a float" }));
        }
    };
    let found = match actual {
        KdlType::String => "a string",
        KdlType::Integer => "an integer",
        KdlType::Bool => "a boolean",
    };
    (actual != kind.kdl_type()).then(|| wrong_type(kind, name, span, found))
}

fn wrong_type(kind: Kind, name: &str, span: Span, found: &str) -> Diagnostic {
    let hint = match kind.kdl_type() {
        KdlType::String => "put the value in \"quotes\"",
        KdlType::Integer => "write a bare whole number, e.g. 3",
        KdlType::Bool => "write #true or #false",
    };
    Diagnostic::new(Code::WrongType, span, format!("`{name}` must be {}, found {found}", kind.describe()), "wrong type")
        .with_help(hint)
}

/// Parses textual kinds (addresses, sizes, …) and reports what is wrong with them.
fn check_text(text: &str, kind: Kind, name: &str, span: Span) -> Option<Diagnostic> {
    let (code, error, help) = match kind {
        Kind::Ip => (Code::InvalidIp, parse_ip(text).err(), "write four decimal octets, e.g. \"192.168.1.10\""),
        Kind::Cidr => {
            (Code::InvalidCidr, parse_cidr(text).err(), "write the network address and prefix, e.g. \"192.168.1.0/24\"")
        }
        Kind::Range => (
            Code::InvalidRange,
            AddressRange::parse(text, false).err(),
            "write \"FIRST-LAST\", e.g. \"192.168.1.200-192.168.1.249\"",
        ),
        Kind::RangeOrCidr => {
            (Code::InvalidRange, AddressRange::parse(text, true).err(), "write \"FIRST-LAST\" or a CIDR")
        }
        Kind::Mac => (Code::InvalidMac, Mac::parse(text).err(), "write six hex octets, e.g. \"1c:83:41:30:aa:aa\""),
        Kind::Size => (Code::InvalidSize, ByteSize::parse(text).err(), "units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"),
        Kind::Url => (
            Code::InvalidUrl,
            url_error(text, &["https", "http", "ssh"]),
            "write a full URL, e.g. \"https://example.com/x\"",
        ),
        Kind::AptUrl => {
            (Code::InvalidUrl, apt_url_error(text), "write an http(s) URL such as \"http://apt.home.arpa:3142\"")
        }
        Kind::ChartVersion => {
            (Code::InvalidChartVersion, chart_version_error(text), "write the exact version, e.g. \"1.20.1\"")
        }
        Kind::Path => {
            (Code::InvalidPath, absolute_path_error(text), "write an absolute path such as \"/dev/disk/by-id/…\"")
        }
        Kind::HostPort => {
            (Code::InvalidHostPort, HostPort::parse(text).err(), "write e.g. \"registry.home.arpa:5000\"")
        }
        Kind::DnsLabel => (Code::DnsLabel, dns_label_error(text), "use lower-case letters, digits and `-` (RFC 1123)"),
        Kind::DnsName => (Code::DnsLabel, dns_name_error(text), "use dot-separated DNS labels, e.g. \"k8s.home.arpa\""),
        Kind::Version => (Code::UnsupportedVersion, version_error(text), "hlc supports Kubernetes 1.33 to 1.37"),
        Kind::String | Kind::Integer | Kind::Bool | Kind::Port | Kind::Choice(_) => return None,
    };
    error.map(|message| Diagnostic::new(code, span, format!("{name}: {message}"), "invalid value").with_help(help))
}

fn version_error(text: &str) -> Option<String> {
    match KubeVersion::parse(text) {
        Err(message) => Some(message),
        Ok(version) if !version.is_supported() => Some(format!("Kubernetes {version} is not supported")),
        Ok(_) => None,
    }
}
