//! The small-integer set encoding (Redis `intset.c`). (Being written: see issue 5.)
