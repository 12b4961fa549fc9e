//! The sorted set type (Redis `t_zset.c`). (Being written: see issue 5.)

use crate::commands::Handler;

/// Sorted set command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// A sorted set value.
#[derive(Clone, Debug)]
pub enum ZSetObj {}

impl ZSetObj {
    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match *self {}
    }
}
