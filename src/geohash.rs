//! Geohash encoding and distance math (Redis `geohash.c`,
//! `geohash_helper.c`). Issue 9.
