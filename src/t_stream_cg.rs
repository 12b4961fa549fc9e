//! Stream reading and consumer groups (Redis `t_stream.c`): XREAD,
//! XREADGROUP, XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO. Issue 9.

use crate::commands::Handler;

/// Handlers owned by this module, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];
