//! The Lua libraries Redis gives scripts: cjson, cmsgpack, bit and struct,
//! with Redis's behaviour, written in Rust over mlua.
//!
//! Skeleton: filled in by the scripting work of issue 7.
