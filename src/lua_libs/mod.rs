//! The Lua libraries Redis gives scripts: cjson, cmsgpack, bit and struct,
//! with Redis's behaviour, written in Rust over mlua.
//!
//! Skeleton: filled in by the scripting work of issue 7.

/// Loads cjson, cmsgpack, bit and struct into `lua` as the globals Redis
/// gives scripts (Redis `luaLoadLibraries`' extra libraries).
///
/// Skeleton: loads nothing yet; the scripting work of issue 7 fills it in.
pub fn load_libs(_lua: &mlua::Lua) -> mlua::Result<()> {
    Ok(())
}
