//! The Lua side shared by EVAL and Functions (Redis `script_lua.c`): the
//! `redis` table, reply conversions in both directions, and the sandbox.
//!
//! Skeleton: filled in by the scripting work of issue 7.
