//! Where the next page of a list starts, as an opaque token a client or a page's link carries:
//! the position's sort key and id, in URL-safe base64.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use simpa_persistence::Keyset;

/// The token of a position.
pub fn encode(keyset: &Keyset) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\u{1f}{}", keyset.sort_key, keyset.id))
}

/// The position a token names; `None` for anything no page gave.
pub fn decode(token: &str) -> Option<Keyset> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    if simpa_domain::text::has_control_characters(&text.replace('\u{1f}', "")) {
        return None;
    }
    let (sort_key, id) = text.split_once('\u{1f}')?;
    Some(Keyset {
        sort_key: sort_key.to_owned(),
        id: id.to_owned(),
    })
}
