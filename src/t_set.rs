//! The set type (Redis `t_set.c`). (Being written: see issue 5.)

use crate::commands::Handler;

/// Set command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// A set value.
#[derive(Clone, Debug)]
pub enum SetObj {}

impl SetObj {
    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match *self {}
    }
}
