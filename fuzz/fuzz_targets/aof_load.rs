//! Fuzz target: arbitrary bytes as one AOF file (an RDB preamble or base,
//! then commands, annotations, MULTI/EXEC) replayed into a fresh server.
//! Loading must end with a status for anything malformed, never panic or
//! allocate without bound. Admin commands are refused inside the target
//! (see `aof::load::aof_load_fuzz`) so inputs cannot touch files or sockets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rustredis::aof::load::aof_load_fuzz(data);
});
