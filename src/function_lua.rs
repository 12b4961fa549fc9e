//! The Lua engine of Functions (Redis `function_lua.c`): loading a library
//! and `redis.register_function`.
//!
//! Skeleton: filled in by the scripting work of issue 7.
