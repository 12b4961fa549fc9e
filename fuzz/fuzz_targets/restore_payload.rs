//! Fuzz target: arbitrary bytes as a RESTORE payload, loaded as RESTORE
//! does with checksum validation off (DEBUG SET-SKIP-CHECKSUM-VALIDATION 1),
//! under default and tight encoding limits. A refused payload must be an
//! error, never a panic; an accepted one must be a sound value (its walks
//! and lookups agree, and it survives DUMP/RESTORE unchanged). Seed corpus:
//! fuzz/corpus/restore_payload/ (DUMPs of every type and encoding made by
//! redis-server 7.0.15, and hand-built legacy encodings).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rustredis::rdb::dump::restore_payload_fuzz(data);
});
