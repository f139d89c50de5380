//! All integration tests, compiled as one binary (`autotests = false`), as in casey/just.

mod addons;
mod boot_vm;
mod build;
mod charts;
mod cli;
mod commands;
mod consumers;
mod converge;
mod customisation;
mod diagnostics;
mod etcd;
mod formatting;
mod graph;
mod installer;
mod kubeadm;
mod lifecycle;
mod media;
mod nodes;
mod pki;
mod rendered;
mod robustness;
mod schema;
mod state;
mod support;
mod tidy;
mod valid;
