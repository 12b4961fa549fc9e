//! Bitmaps (Redis `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD, BITFIELD_RO. Issue 9.

use crate::commands::Handler;

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[];
