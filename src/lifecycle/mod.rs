//! Day 2: what a change of `homelab.kdl` does to the running cluster. The previous build's lock is
//! the applied baseline (each node's role, version, address and seed digest, and every
//! certificate's expiry); comparing it with the new build gives a per-node change plan in the
//! order nodes must be rebooted, the checks that judge a change against it (a skipped minor, a
//! downgrade, quorum), and the certificate expiry warnings.

pub mod baseline;
pub mod change_plan;
pub mod checks;
pub mod report;

pub use baseline::{CertificateRecord, NodeRecord};
pub use change_plan::{ChangePlan, NodeChange, NodePlan};
