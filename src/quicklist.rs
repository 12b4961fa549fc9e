//! The list encoding (Redis `quicklist.c`): a doubly linked sequence of
//! listpack nodes. (Being written: see issue 5.)

/// A list value.
#[derive(Clone, Debug, Default)]
pub struct Quicklist {}
