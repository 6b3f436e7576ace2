//! The typed ids (`crate::ids`), under the name domain code has always used.

pub use crate::ids::*;
