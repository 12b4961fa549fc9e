//! Listpack (Redis `listpack.c`): a sequence of strings and integers in one
//! contiguous allocation, byte-compatible with Redis's format so RDB files
//! can carry it as is.
//!
//! (API fixed; bodies being written by the lead.)
//!
//! Positions are byte offsets of an entry's first byte inside the buffer.

/// One element read from a listpack: a string or an integer (Redis stores
/// strings that look like integers as integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> LpValue<'a> {
    /// The element's bytes; integers are formatted into `tmp`.
    pub fn as_bytes<'b>(&'b self, tmp: &'b mut itoa::Buffer) -> &'b [u8] {
        match self {
            LpValue::Str(s) => s,
            LpValue::Int(i) => tmp.format(*i).as_bytes(),
        }
    }

    /// Owned copy of the element's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t).to_vec()
    }

    /// True if the element equals `s` byte for byte.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t) == s
    }
}

/// A listpack. `Default` is the empty listpack (7 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[allow(unused_variables)]
impl Listpack {
    /// An empty listpack.
    pub fn new() -> Listpack {
        todo!()
    }
    /// Wraps bytes already checked with [`Listpack::validate`].
    pub fn from_bytes(buf: Vec<u8>) -> Listpack {
        Listpack { buf }
    }
    /// Checks a listpack read from a file or RESTORE payload: header, every
    /// entry (when `deep`) and the terminator (Redis `lpValidateIntegrity`).
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        todo!()
    }
    /// The serialized bytes (what RDB saves).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
    /// Total size in bytes (Redis `lpBytes`).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }
    /// Number of elements (Redis `lpLength`).
    pub fn len(&self) -> usize {
        todo!()
    }
    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Position of the first element.
    pub fn first(&self) -> Option<usize> {
        todo!()
    }
    /// Position of the last element.
    pub fn last(&self) -> Option<usize> {
        todo!()
    }
    /// Position of the element after `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        todo!()
    }
    /// Position of the element before `pos`.
    pub fn prev(&self, pos: usize) -> Option<usize> {
        todo!()
    }
    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> LpValue<'_> {
        todo!()
    }
    /// Position of element `index`; negative counts from the tail (-1 is
    /// the last) (Redis `lpSeek`).
    pub fn seek(&self, index: i64) -> Option<usize> {
        todo!()
    }
    /// Elements from head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> + '_ {
        std::iter::empty()
    }
    /// Appends an element (stored as an integer when it looks like one).
    pub fn append(&mut self, s: &[u8]) {
        todo!()
    }
    /// Appends an integer element.
    pub fn append_int(&mut self, v: i64) {
        todo!()
    }
    /// Prepends an element.
    pub fn prepend(&mut self, s: &[u8]) {
        todo!()
    }
    /// Inserts before the element at `pos`; returns the new element's position.
    pub fn insert_before(&mut self, pos: usize, s: &[u8]) -> usize {
        todo!()
    }
    /// Inserts after the element at `pos`; returns the new element's position.
    pub fn insert_after(&mut self, pos: usize, s: &[u8]) -> usize {
        todo!()
    }
    /// Replaces the element at `pos`; returns its (unchanged) position.
    pub fn replace(&mut self, pos: usize, s: &[u8]) -> usize {
        todo!()
    }
    /// Deletes the element at `pos`; returns the position of the element
    /// that followed it, if any.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        todo!()
    }
    /// Deletes `count` elements starting at element `index` (0-based from
    /// the head) (Redis `lpDeleteRange`).
    pub fn delete_range(&mut self, index: usize, count: usize) {
        todo!()
    }
    /// From `pos`, the first element equal to `s`, comparing one element and
    /// then skipping `skip` (Redis `lpFind`; `skip` 1 walks the keys of a
    /// field/value listpack).
    pub fn find(&self, pos: usize, s: &[u8], skip: usize) -> Option<usize> {
        todo!()
    }
    /// Bytes an element would take if stored (encoding, data and back
    /// length), for size limits such as `list-max-listpack-size`.
    pub fn entry_size(s: &[u8]) -> usize {
        todo!()
    }
}
