//! Byte budgets for what leaves the engine: a page or a message stops at N entries or M
//! bytes, whichever comes first, and an entry of [`LARGE_ENTRY_BYTES`] or more (a huge tool
//! result) goes out as a preview, its full text loaded only on request.

use crate::model::OutputEntry;
use crate::view::{EntryView, OutputItem};

/// An entry at least this long is sent as a preview ([`OutputItem::full_bytes`] says how long it is).
pub const LARGE_ENTRY_BYTES: usize = 1024 * 1024;
/// How much of a large entry's text its preview keeps.
pub const PREVIEW_BYTES: usize = 16 * 1024;
/// The most payload bytes one page of output or one message to the window carries
/// (at least one entry always goes).
pub const MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// What an entry costs in a page or message: its payload, or its preview's.
pub fn sent_bytes(e: &OutputEntry) -> usize {
    if e.payload.len() >= LARGE_ENTRY_BYTES {
        PREVIEW_BYTES
    } else {
        e.payload.len()
    }
}

impl OutputItem {
    /// The entry as sent to the window: whole, or, when it is large, a preview of its text
    /// with `full_bytes` set (ask for the rest by its seq).
    pub fn sent(e: &OutputEntry) -> OutputItem {
        let mut item = OutputItem::from_entry(e);
        if e.payload.len() >= LARGE_ENTRY_BYTES {
            item.view.shorten(PREVIEW_BYTES);
            item.full_bytes = Some(e.payload.len() as u64);
        }
        item
    }
}

impl EntryView {
    /// Cuts every text of the view to `max` bytes (on a character boundary).
    fn shorten(&mut self, max: usize) {
        let cut = |s: &mut String| {
            if s.len() > max {
                let mut at = max;
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.truncate(at);
                // The cut text is all that is sent: do not keep the 1 MiB allocation.
                s.shrink_to_fit();
            }
        };
        match self {
            EntryView::UserText { text }
            | EntryView::AssistantText { text }
            | EntryView::Line { text }
            | EntryView::Stderr { text }
            | EntryView::Lifecycle { text }
            | EntryView::Raw { text } => cut(text),
            EntryView::ToolResult { content, .. } => cut(content),
            EntryView::ToolUse { input, .. } | EntryView::PermissionAsked { input, .. } => {
                let mut text = input.to_string();
                if text.len() > max {
                    cut(&mut text);
                    *input = serde_json::Value::String(text);
                }
            }
            EntryView::TurnResult { text: Some(t), .. } => cut(t),
            _ => {}
        }
    }
}

/// `entries` split into messages of at most `max_items` entries and [`MESSAGE_BYTES`].
pub fn message_pages(entries: &[OutputEntry], max_items: usize) -> Vec<Vec<OutputItem>> {
    let mut pages: Vec<Vec<OutputItem>> = Vec::new();
    let mut bytes = 0;
    for e in entries {
        let cost = sent_bytes(e);
        match pages.last_mut() {
            Some(page) if page.len() < max_items.max(1) && bytes + cost <= MESSAGE_BYTES => {
                bytes += cost;
                page.push(OutputItem::sent(e));
            }
            _ => {
                bytes = cost;
                pages.push(vec![OutputItem::sent(e)]);
            }
        }
    }
    pages
}

/// The newest of `entries` (oldest first) that fit in one message of [`MESSAGE_BYTES`],
/// as sent: a page that adjoins what a viewer already has after it.
pub fn newest_page(entries: &[OutputEntry]) -> Vec<OutputItem> {
    let mut bytes = 0;
    let keep = entries
        .iter()
        .rev()
        .take_while(|e| {
            bytes += sent_bytes(e);
            bytes <= MESSAGE_BYTES
        })
        .count()
        .max(1.min(entries.len()));
    entries[entries.len() - keep..].iter().map(OutputItem::sent).collect()
}

/// The entries of `entries` (oldest first) around the first with seq ≥ `seq` that fit in one
/// message of [`MESSAGE_BYTES`], as sent: that entry always, then one more on each side in
/// turn while they fit, so the entry stays in the middle of what a viewer opens on.
pub fn page_around(entries: &[OutputEntry], seq: u64) -> Vec<OutputItem> {
    if entries.is_empty() {
        return Vec::new();
    }
    let at = entries.iter().position(|e| e.seq >= seq).unwrap_or(entries.len() - 1);
    let (mut lo, mut hi) = (at, at + 1);
    let mut bytes = sent_bytes(&entries[at]);
    let (mut older, mut newer) = (true, true);
    while older || newer {
        older = older && lo > 0 && bytes + sent_bytes(&entries[lo - 1]) <= MESSAGE_BYTES;
        if older {
            lo -= 1;
            bytes += sent_bytes(&entries[lo]);
        }
        newer = newer && hi < entries.len() && bytes + sent_bytes(&entries[hi]) <= MESSAGE_BYTES;
        if newer {
            bytes += sent_bytes(&entries[hi]);
            hi += 1;
        }
    }
    entries[lo..hi].iter().map(OutputItem::sent).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(sizes: &[usize]) -> Vec<OutputEntry> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| OutputEntry {
                session_id: "s".into(),
                seq: i as u64 + 1,
                ts: chrono::Utc::now(),
                stream: crate::model::Stream::Stdout,
                kind: "line".into(),
                payload: "x".repeat(n),
            })
            .collect()
    }

    #[test]
    fn a_page_around_an_entry_keeps_it_in_the_middle_within_the_byte_budget() {
        // Ten entries of 600 KB: three fit in 2 MiB — the one asked for and one on each side.
        let page = page_around(&entries(&[600_000; 10]), 5);
        assert_eq!(page.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![4, 5, 6]);
        // Small entries: the whole page; a seq past the end: the last entry and what fits before it.
        assert_eq!(page_around(&entries(&[10; 50]), 7).len(), 50);
        assert_eq!(page_around(&entries(&[600_000; 10]), 99).iter().map(|i| i.seq).collect::<Vec<_>>(), vec![8, 9, 10]);
        // One side runs out: the other keeps growing.
        assert_eq!(page_around(&entries(&[600_000, 100, 100, 100, 100]), 1).len(), 5);
        // A large entry goes as its preview, counted as such.
        let big = page_around(&entries(&[3 * 1024 * 1024]), 1);
        assert_eq!(big[0].full_bytes, Some(3 * 1024 * 1024));
        assert!(page_around(&[], 1).is_empty());
    }
}
