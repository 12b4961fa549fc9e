//! Fuzz target: arbitrary bytes as an RDB file. The loader must return an
//! error for anything malformed, never panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rustredis::rdb::rdb_load_fuzz(data);
});
