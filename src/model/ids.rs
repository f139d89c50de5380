//! Typed references from one part of the lab to another: a node by name (`nfs server="nas1"`),
//! a hardware profile by name (`node … hardware="eq12"`). `lower` only makes them for names it
//! resolved (an unknown name is a diagnostic), so renderers look them up without guessing.

use std::fmt;
use std::ops::Deref;

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

id! {
    /// A node of the lab, by name.
    NodeId;
    /// A hardware profile, by name.
    HardwareId;
}
