//! Keyset pagination: a page ends at a (sort key, id) pair, and the next page starts after it,
//! so pages stay stable while rows are added.

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub sort_key: String,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Keyset>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only says
    /// that another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, keyset: impl Fn(&T) -> Keyset) -> Page<T> {
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(keyset)
        } else {
            None
        };
        Page { items: rows, next }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}
