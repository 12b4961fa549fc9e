//! Functions (Redis `functions.c`): libraries, FUNCTION and FCALL.
//!
//! Skeleton: filled in by the scripting work of issue 7.

use crate::commands::Handler;

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct FunctionsState {}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];
