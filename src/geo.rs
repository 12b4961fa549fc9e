//! Geo commands (Redis `geo.c`): GEOADD, GEOPOS, GEODIST, GEOHASH,
//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS(_RO), GEORADIUSBYMEMBER(_RO),
//! on sorted sets scored by 52-bit geohashes. Issue 9.

use crate::commands::Handler;

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[];
