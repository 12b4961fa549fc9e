//! The run context shared by EVAL scripts and Functions (Redis `script.c`):
//! the running script, its flags, the busy state and the checks every
//! command a script calls goes through.
//!
//! Skeleton: filled in by the scripting work of issue 7.

use crate::commands::Handler;

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct ScriptState {}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];
