//! The list type (Redis `t_list.c`). (Being written: see issue 5.)

use crate::commands::Handler;

/// List command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];
