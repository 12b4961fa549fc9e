//! Client-side caching (Redis `tracking.c`): CLIENT TRACKING and the
//! invalidation messages sent when a tracked key changes.
//!
//! Skeleton: filled in by the messaging work of issue 7.

use crate::commands::Handler;

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct ClientTracking {}

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct TrackingState {}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];
