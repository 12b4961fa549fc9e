//! HyperLogLog (Redis `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG,
//! PFSELFTEST, with Redis's sparse and dense representations. Issue 9.

use crate::commands::Handler;

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[];
