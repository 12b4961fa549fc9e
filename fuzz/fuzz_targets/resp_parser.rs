//! Fuzz target: the RESP query parser.
//!
//! `rustredis::resp::fuzz_query_buffer` feeds the bytes to the resumable
//! query parser (multibulk and inline) in chunks, the way a socket delivers
//! them, and must never panic, loop forever or allocate without bound,
//! whatever the input: complete commands, incomplete frames and protocol
//! errors are all ordinary outcomes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rustredis::resp::fuzz_query_buffer(data);
});
