//! Access: a lab without `access` users builds nodes nobody can log in to.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::Lab;

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    if lab.users.is_empty() {
        out.push(
            Diagnostic::new(
                Code::NoAccess,
                lab.cluster.name.span,
                format!("cluster {} has no `access` users: nobody can log in to its nodes", lab.cluster.name.value),
                "this cluster",
            )
            .with_help(
                "add a login user (sudo, SSH key only): access { user \"ops\" ssh-key=\"ssh-ed25519 AAAA… you@laptop\" }",
            ),
        );
    }
}
