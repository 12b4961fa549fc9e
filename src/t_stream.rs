//! Stream commands (Redis `t_stream.c`): XADD, XRANGE, XREVRANGE, XLEN,
//! XDEL, XTRIM, XSETID. Issue 9.

use crate::commands::Handler;

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[];
