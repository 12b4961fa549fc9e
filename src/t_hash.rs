//! The hash type (Redis `t_hash.c`). (Being written: see issue 5.)

use crate::commands::Handler;

/// Hash command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// A hash value.
#[derive(Clone, Debug)]
pub enum HashObj {}

impl HashObj {
    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match *self {}
    }
}
