//! Error texts and prebuilt replies shared by many commands (Redis
//! `shared` objects in `server.c`). Every common error is made here once, so
//! the exact text is written in one place.

/// `WRONGTYPE Operation against a key holding the wrong kind of value`.
pub fn err_wrong_type() -> &'static str {
    "WRONGTYPE Operation against a key holding the wrong kind of value"
}

/// `BUSYKEY Target key name already exists.` (RESTORE, MIGRATE's target).
pub fn err_busy_key() -> &'static str {
    "BUSYKEY Target key name already exists."
}

/// `ERR syntax error`.
pub fn err_syntax() -> &'static str {
    "ERR syntax error"
}

/// `ERR value is not an integer or out of range`.
pub fn err_not_integer() -> &'static str {
    "ERR value is not an integer or out of range"
}

/// `ERR value is not a valid float`.
pub fn err_not_float() -> &'static str {
    "ERR value is not a valid float"
}

/// `ERR increment or decrement would overflow`.
pub fn err_overflow() -> &'static str {
    "ERR increment or decrement would overflow"
}

/// `ERR source and destination objects are the same`.
pub fn err_same_object() -> &'static str {
    "ERR source and destination objects are the same"
}

/// `ERR no such key`.
pub fn err_no_such_key() -> &'static str {
    "ERR no such key"
}

/// `ERR DB index is out of range`.
pub fn err_db_index_out_of_range() -> &'static str {
    "ERR DB index is out of range"
}

/// `ERR wrong number of arguments for '<cmd>' command` (Redis
/// `addReplyErrorArity`); `fullname` is e.g. "get" or "config|get".
pub fn err_wrong_arity(fullname: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", fullname)
}

/// `ERR invalid expire time in '<cmd>' command` (Redis `addReplyErrorExpireTime`).
pub fn err_expire_time(fullname: &str) -> String {
    format!("ERR invalid expire time in '{}' command", fullname)
}
