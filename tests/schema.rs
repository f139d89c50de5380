//! The published schema and reference stay in sync with the parser's vocabulary.

use hlc::codes::Code;
use hlc::vocabulary::{NodeSpec, DOCUMENT};

use crate::support::root;

#[test]
fn committed_schema_matches_the_vocabulary() {
    let generated = hlc::schema::generate();
    let path = root().join("schema/homelab.schema.kdl");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "schema/homelab.schema.kdl is stale: run `UPDATE_SCHEMA=1 cargo test schema`");
    committed.parse::<kdl::KdlDocument>().expect("the schema is valid KDL");
}

fn all_specs(spec: &'static NodeSpec, out: &mut Vec<&'static NodeSpec>) {
    for child in spec.children {
        out.push(child);
        all_specs(child, out);
    }
}

#[test]
fn reference_documents_every_node_property_and_code() {
    let reference = std::fs::read_to_string(root().join("schema/REFERENCE.md")).unwrap();
    let mut specs = Vec::new();
    all_specs(&DOCUMENT, &mut specs);
    let mut missing = Vec::new();
    for spec in specs {
        if !reference.contains(&format!("`{}", spec.name)) {
            missing.push(format!("node {}", spec.name));
        }
        for prop in spec.props {
            if !reference.contains(&format!("{}=", prop.name)) {
                missing.push(format!("property {}= of {}", prop.name, spec.name));
            }
        }
    }
    for code in Code::ALL {
        if !reference.contains(code.as_str()) {
            missing.push(format!("code {}", code.as_str()));
        }
    }
    assert!(missing.is_empty(), "schema/REFERENCE.md does not mention: {missing:#?}");
}
