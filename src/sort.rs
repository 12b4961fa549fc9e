//! SORT and SORT_RO (Redis `sort.c`). (Being written: see issue 5.)

use crate::commands::Handler;

/// SORT handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];
