//! `bit`: LuaBitOp 1.0.2 as Redis 7.0.15 bundles it (`lua_bit.c`).
//!
//! Lua 5.1 numbers are doubles; every argument is turned into a 32-bit
//! integer the way LuaBitOp does: add 2^52 + 2^51 and take the low 32 bits
//! of the double's representation. For numbers below 2^51 in magnitude that
//! is rounding to the nearest integer (ties to even) modulo 2^32; for larger
//! ones it is whatever those bits hold, exactly as in Redis. Results are
//! signed 32-bit values (`bit.tobit(0xffffffff)` is `-1`).
//!
//! Functions: `tobit`, `bnot`, `band`, `bor`, `bxor` (one or more
//! arguments), `lshift`, `rshift`, `arshift`, `rol`, `ror` (shift count
//! taken modulo 32), `bswap`, `tohex(x[, n])` (n digits, default 8, at most
//! 8; negative n gives upper case). A non-number argument (strings are
//! converted as Lua converts them) is "bad argument #i to 'f' (number
//! expected, got T)".

use super::{Args, LibError, LibResult, ret1, set_fn};
use mlua::{Lua, MultiValue, Table, Value};

/// LuaBitOp's `barg`: argument `i` as 32 bits.
fn barg(lua: &Lua, args: &Args, i: usize) -> Result<u32, LibError> {
    let n = args.to_number(lua, i);
    let b = ((n.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits()) as u32;
    if b == 0 && n.is_none() {
        return Err(args.type_error(i, "number"));
    }
    Ok(b)
}

/// Returns a 32-bit result as the signed number LuaBitOp pushes.
fn bret(b: u32) -> LibResult {
    ret1(Value::Number(b as i32 as f64))
}

fn unary(f: fn(u32) -> u32) -> impl Fn(&Lua, MultiValue) -> LibResult {
    move |lua, a| {
        let args = Args::new(a);
        bret(f(barg(lua, &args, 1)?))
    }
}

fn fold(f: fn(u32, u32) -> u32) -> impl Fn(&Lua, MultiValue) -> LibResult {
    move |lua, a| {
        let args = Args::new(a);
        let mut b = barg(lua, &args, 1)?;
        // LuaBitOp reads the arguments from the last one down.
        for i in (2..=args.top()).rev() {
            b = f(b, barg(lua, &args, i)?);
        }
        bret(b)
    }
}

fn shift(f: fn(u32, u32) -> u32) -> impl Fn(&Lua, MultiValue) -> LibResult {
    move |lua, a| {
        let args = Args::new(a);
        let b = barg(lua, &args, 1)?;
        let n = barg(lua, &args, 2)? & 31;
        bret(f(b, n))
    }
}

fn tohex(lua: &Lua, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    let mut b = barg(lua, &args, 1)?;
    let mut n: i32 = if args.get(2).is_none() {
        8
    } else {
        barg(lua, &args, 2)? as i32
    };
    let mut digits: &[u8; 16] = b"0123456789abcdef";
    if n < 0 {
        // -(-2^31) overflows; Redis's build treats it as "more than 8".
        n = n.checked_neg().unwrap_or(i32::MAX);
        digits = b"0123456789ABCDEF";
    }
    let n = n.min(8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    ret1(Value::String(lua.create_string(&buf[..n])?))
}

/// Builds the `bit` table.
pub fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    set_fn(lua, &t, "tobit", unary(|b| b))?;
    set_fn(lua, &t, "bnot", unary(|b| !b))?;
    set_fn(lua, &t, "band", fold(|a, b| a & b))?;
    set_fn(lua, &t, "bor", fold(|a, b| a | b))?;
    set_fn(lua, &t, "bxor", fold(|a, b| a ^ b))?;
    set_fn(lua, &t, "lshift", shift(|b, n| b << n))?;
    set_fn(lua, &t, "rshift", shift(|b, n| b >> n))?;
    set_fn(lua, &t, "arshift", shift(|b, n| ((b as i32) >> n) as u32))?;
    set_fn(lua, &t, "rol", shift(|b, n| b.rotate_left(n)))?;
    set_fn(lua, &t, "ror", shift(|b, n| b.rotate_right(n)))?;
    set_fn(lua, &t, "bswap", unary(u32::swap_bytes))?;
    set_fn(lua, &t, "tohex", tohex)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    // Expected values observed from redis-server 7.0.15.
    #[test]
    fn ops() {
        let lua = lua();
        let cases: &[(&str, &str)] = &[("bit.tobit(0xffffffff)", "-1")];
        for (code, want) in cases {
            let got = eval(&lua, &format!("return tostring({code})"));
            assert_eq!(String::from_utf8_lossy(&got), *want, "{code}");
        }
    }
}
