//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis `eval.c`).
//!
//! Skeleton: filled in by the scripting work of issue 7.

use crate::commands::Handler;

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];
