//! One line of a Claude Code transcript read into what Switchboard stores for its own
//! sessions, plus what the line adds to the session's counters.
//!
//! The transcript format is Claude Code's internal one and changes between versions, so
//! reading is forgiving: a line we do not understand (not JSON, an unknown `type`, a known
//! type without the fields we need) is kept verbatim as a `raw` entry, never an error.
//!
//! Known lines are normalised to the shape of the stream-json lines Claude prints to
//! Switchboard (`{"type":"assistant","message":…,"session_id":…}`) and stored under the
//! kind the Claude adapter gives that shape (`assistant_text`, `tool_use`, `tool_result`,
//! …), so an imported session renders exactly like one Switchboard ran. A person's prompt
//! becomes a [`USER_PROMPT_KIND`] entry, as Switchboard stores the prompts it sends.

use chrono::{DateTime, Utc};
use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::fields::{self, str_of};
use crate::agents::kind_by_blocks;
use crate::model::Stream;
use crate::view::USER_PROMPT_KIND;

/// What a transcript's next pass must carry on with (stored as JSON with the file's
/// offset, so that a restart continues exactly where the last pass stopped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Carry {
    /// The `message.id` of the last assistant line: Claude writes one line per content
    /// block of a message, each repeating the message's usage, which counts once.
    pub last_message_id: Option<String>,
    /// Where the session's title came from so far.
    pub title: TitleSource,
}

/// Where an imported session's title came from: a summary line wins over the first prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleSource {
    #[default]
    None,
    Prompt,
    Summary,
}

/// What lines add to their session: summed over a pass, then applied in one write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Complete lines read.
    pub lines: u64,
    /// Lines kept raw (not JSON, or of a type not known here).
    pub raw: u64,
    /// The person's prompts.
    pub prompts: u64,
    /// Assistant messages (distinct `message.id`s): Claude's own `num_turns` counts the same.
    pub turns: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Summed `costUSD` fields, where a Claude Code version wrote them (others do not).
    pub cost_usd: f64,
    pub model: Option<String>,
    pub cwd: Option<String>,
    /// A new title, when a line gives a better one than the session has.
    pub title: Option<String>,
    pub first_ts: Option<DateTime<Utc>>,
    pub last_ts: Option<DateTime<Utc>>,
    /// The last line's time as written, when counting skipped parsing it (see [`Tally::settle`]).
    pub last_stamp: String,
    /// The pass's last person's line is Claude Code's interrupt note (see [`is_interrupt_marker`]),
    /// not a prompt: the turn was stopped and no Stop hook follows.
    pub interrupted: bool,
}

impl Tally {
    /// Turns the last time kept as text while counting into `last_ts`.
    pub fn settle(&mut self) {
        if let Some(t) = parse_ts(&self.last_stamp) {
            if self.last_ts.is_none_or(|l| t > l) {
                self.last_ts = Some(t);
            }
        }
        self.last_stamp.clear();
    }
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// One line as it is stored: an output entry without its session and seq.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The line's own time when it has one.
    pub ts: Option<DateTime<Utc>>,
    pub stream: Stream,
    pub kind: &'static str,
    pub payload: String,
}

/// Reads one complete line (without its line break). Never fails: see the module's doc.
pub fn read_line(bytes: &[u8], carry: &mut Carry, tally: &mut Tally) -> Entry {
    read(bytes, carry, tally, true).unwrap_or_else(|| Entry { ts: None, stream: Stream::Stdout, kind: "raw", payload: String::new() })
}

/// Counts one complete line into `tally` without making its entry (the first, listing
/// phase of an import: the same counts as [`read_line`], a fraction of the work).
pub fn count_line(bytes: &[u8], carry: &mut Carry, tally: &mut Tally) {
    read(bytes, carry, tally, false);
}

/// The fields of a transcript line read here, in [`LINE_FIELDS`] order.
const LINE_FIELDS: [&str; 9] = ["type", "message", "sessionId", "uuid", "timestamp", "cwd", "costUSD", "isMeta", "summary"];

/// The fields of a line's `message` read here.
const MESSAGE_FIELDS: [&str; 4] = ["content", "model", "id", "usage"];

fn read(bytes: &[u8], carry: &mut Carry, tally: &mut Tally, entry: bool) -> Option<Entry> {
    tally.lines += 1;
    let raw = |tally: &mut Tally, ts| {
        tally.raw += 1;
        entry.then(|| Entry { ts, stream: Stream::Stdout, kind: "raw", payload: String::from_utf8_lossy(bytes).into_owned() })
    };
    // Straight from the bytes (no UTF-8 pass of its own), only the fields used here: a line
    // that is not a JSON object is kept raw, with invalid bytes replaced.
    let Some(line) = fields::pick(bytes, &LINE_FIELDS) else { return raw(tally, None) };
    let [ty, message, _, _, timestamp, cwd, cost, is_meta, summary] = line;
    let stamp = str_of(timestamp);
    // Counting needs only the first and the last time: the others are not parsed.
    let ts = if entry || tally.first_ts.is_none() { stamp.as_deref().and_then(parse_ts) } else { None };
    if let Some(t) = ts {
        tally.first_ts.get_or_insert(t);
        tally.last_ts = Some(t);
    } else if let Some(s) = &stamp {
        tally.last_stamp.clear();
        tally.last_stamp.push_str(s);
    }
    if tally.cwd.is_none() {
        tally.cwd = str_of(cwd).filter(|c| !c.is_empty()).map(Cow::into_owned);
    }
    if let Some(cost) = fields::f64_of(cost).filter(|c| c.is_finite() && *c >= 0.0) {
        tally.cost_usd += cost;
    }
    let message_fields = || message.and_then(|m| fields::pick(m.get().as_bytes(), &MESSAGE_FIELDS));
    match str_of(ty).as_deref() {
        Some("user") if message.is_some() => {
            let meta = fields::bool_of(is_meta).unwrap_or(false);
            match message_fields().and_then(|m| user_line(&line, m, meta, ts, carry, tally, entry)) {
                Some(e) => e,
                None => raw(tally, ts),
            }
        }
        Some("assistant") if message.is_some() => {
            let m = message_fields().unwrap_or_default();
            count_assistant(&m, cost.is_some(), carry, tally);
            entry.then(|| normalised(&line, true, m[0], ts))
        }
        Some("summary") => {
            if let Some(summary) = str_of(summary).as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                if carry.title != TitleSource::Summary {
                    carry.title = TitleSource::Summary;
                    tally.title = Some(summary.to_string());
                }
            }
            // Kept as it is: it is data, but nothing Switchboard's own sessions show.
            raw(tally, ts)
        }
        _ => raw(tally, ts),
    }
}

/// The `type` of each block of a message's `content` array (None for a block without one).
fn block_types<'a, 'b>(blocks: &'b [&'a RawValue]) -> impl Iterator<Item = Option<Cow<'a, str>>> + use<'a, 'b> {
    blocks.iter().map(|b| fields::pick(b.get().as_bytes(), &["type"]).and_then(|[t]| str_of(t)))
}

/// A user line: a tool's result, a prompt the person typed, or Claude Code's own note
/// (`isMeta`: caveats, command output).
/// The outer None: not a shape known here; the inner one: no entry wanted.
fn user_line(
    line: &[Option<&RawValue>; 9],
    [content, ..]: [Option<&RawValue>; 4],
    meta: bool,
    ts: Option<DateTime<Utc>>,
    carry: &mut Carry,
    tally: &mut Tally,
    entry: bool,
) -> Option<Option<Entry>> {
    let content = content?;
    let blocks = fields::array_of(Some(content));
    let is_result = blocks.as_deref().is_some_and(|b| block_types(b).any(|t| t.as_deref() == Some("tool_result")));
    if is_result || meta {
        return Some(entry.then(|| normalised(line, false, Some(content), ts)));
    }
    let text = match (&blocks, str_of(Some(content))) {
        (_, Some(s)) => s.into_owned(),
        (Some(b), _) => b
            .iter()
            .filter_map(|b| fields::pick(b.get().as_bytes(), &["type", "text"]))
            .filter(|[t, _]| str_of(*t).as_deref() == Some("text"))
            .filter_map(|[_, text]| str_of(text))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return None,
    };
    if is_interrupt_marker(&text) {
        // Claude Code's note that the person stopped the turn (Esc, Ctrl-C, a "No" in a
        // permission dialog): not a prompt. Stored as Switchboard's own sessions store it.
        tally.interrupted = true;
        return Some(entry.then(|| normalised(line, false, Some(content), ts)));
    }
    tally.interrupted = false;
    tally.prompts += 1;
    // A slash command or its output (`<command-name>…`) does not make a title.
    if carry.title == TitleSource::None && !text.trim().is_empty() && !text.trim_start().starts_with('<') {
        carry.title = TitleSource::Prompt;
        tally.title = Some(text.trim().to_string());
    }
    Some(entry.then_some(Entry { ts, stream: Stream::System, kind: USER_PROMPT_KIND, payload: text }))
}

/// The text of the user line Claude Code writes when the person interrupts a turn:
/// `[Request interrupted by user]`, `[Request interrupted by user for tool use]`.
pub const INTERRUPT_MARKER: &str = "[Request interrupted by user";

/// Whether a user line's text is Claude Code's interrupt note (see [`INTERRUPT_MARKER`]).
pub fn is_interrupt_marker(text: &str) -> bool {
    text.trim_start().starts_with(INTERRUPT_MARKER)
}

/// Counts an assistant line's message once: its usage, its model, one turn.
fn count_assistant([_, model, id, usage]: &[Option<&RawValue>; 4], has_cost: bool, carry: &mut Carry, tally: &mut Tally) {
    let model = str_of(*model).filter(|m| !m.is_empty() && *m != "<synthetic>");
    if let Some(m) = &model {
        tally.model = Some(m.to_string());
    }
    let id = str_of(*id);
    if id.is_some() && id.as_deref() == carry.last_message_id.as_deref() {
        return;
    }
    carry.last_message_id = id.map(Cow::into_owned);
    if model.is_none() {
        // Claude Code's own synthetic messages (an API error shown as a reply) used no model.
        return;
    }
    let usage = usage.and_then(|u| {
        fields::pick(u.get().as_bytes(), &["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens"])
    });
    let [input, created, cached, output] = usage.unwrap_or_default().map(|n| fields::u64_of(n).unwrap_or(0));
    tally.turns += 1;
    tally.input_tokens = tally.input_tokens.saturating_add(input).saturating_add(created).saturating_add(cached);
    tally.output_tokens = tally.output_tokens.saturating_add(output);
    if !has_cost {
        // Versions that write no cost: what these tokens cost on the API, priced as Claude
        // Code prices them (a subscription plan pays nothing per token; this is its worth).
        if let Some((inp, out)) = model.as_deref().and_then(price_per_mtok) {
            let dollars = (input as f64 * inp + created as f64 * inp * 1.25 + cached as f64 * inp * 0.1 + output as f64 * out) / 1e6;
            tally.cost_usd += dollars;
        }
    }
}

/// Anthropic's API list prices in dollars per million input and output tokens, by model
/// family; cache writes cost 1.25× input, cache reads 0.1×. None: a model not known here
/// (its cost is left out, never guessed).
pub fn price_per_mtok(model: &str) -> Option<(f64, f64)> {
    let m = model.to_ascii_lowercase();
    let old_opus = ["claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-2025", "claude-3-opus"];
    Some(if old_opus.iter().any(|p| m.starts_with(p)) {
        (15.0, 75.0)
    } else if m.starts_with("claude-opus-") {
        (5.0, 25.0)
    } else if m.starts_with("claude-sonnet-") || m.starts_with("claude-3-7-sonnet") || m.starts_with("claude-3-5-sonnet") {
        (3.0, 15.0)
    } else if m.starts_with("claude-haiku-") {
        (1.0, 5.0)
    } else if m.starts_with("claude-3-5-haiku") {
        (0.8, 4.0)
    } else if m.starts_with("claude-3-haiku") {
        (0.25, 1.25)
    } else {
        return None;
    })
}

/// The line in stream-json's shape (`{"type","message","session_id","parent_tool_use_id",
/// "uuid","timestamp"}`, each part copied verbatim from the line), stored under the kind
/// the Claude adapter gives that shape (`kind_by_blocks`, the adapter's own rule).
fn normalised(line: &[Option<&RawValue>; 9], assistant: bool, content: Option<&RawValue>, ts: Option<DateTime<Utc>>) -> Entry {
    let [ty, message, session_id, uuid, timestamp, ..] = line;
    fn part<'a>(v: &Option<&'a RawValue>) -> &'a str {
        v.map_or("null", RawValue::get)
    }
    let mut payload = String::with_capacity(part(message).len() + 200);
    for (name, value) in [("type", ty), ("message", message), ("session_id", session_id)] {
        payload.push_str(if name == "type" { "{\"" } else { ",\"" });
        payload.push_str(name);
        payload.push_str("\":");
        payload.push_str(part(value));
    }
    payload.push_str(",\"parent_tool_use_id\":null,\"uuid\":");
    payload.push_str(part(uuid));
    payload.push_str(",\"timestamp\":");
    payload.push_str(part(timestamp));
    payload.push('}');
    let blocks = fields::array_of(content);
    let types: Vec<_> = blocks.as_deref().map(|b| block_types(b).flatten().collect()).unwrap_or_default();
    let kind = kind_by_blocks(assistant, |t| types.iter().any(|x| x == t));
    Entry { ts, stream: Stream::Stdout, kind, payload }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> (Vec<Entry>, Tally, Carry) {
        let (mut carry, mut tally) = (Carry::default(), Tally::default());
        let entries = lines.iter().map(|l| read_line(l.as_bytes(), &mut carry, &mut tally)).collect();
        (entries, tally, carry)
    }

    #[test]
    fn usage_repeated_on_each_line_of_a_message_counts_once() {
        let usage = r#""usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7}"#;
        let a = format!(
            r#"{{"type":"assistant","sessionId":"s","message":{{"id":"m1","model":"claude-x","content":[{{"type":"text","text":"hi"}}],{usage}}}}}"#
        );
        let b = format!(
            r#"{{"type":"assistant","sessionId":"s","message":{{"id":"m1","model":"claude-x","content":[{{"type":"tool_use","id":"t1","name":"Bash","input":{{}}}}],{usage}}}}}"#
        );
        let c = format!(
            r#"{{"type":"assistant","sessionId":"s","message":{{"id":"m2","model":"claude-x","content":[{{"type":"text","text":"done"}}],{usage}}}}}"#
        );
        let (entries, tally, _) = read(&[&a, &b, &c]);
        assert_eq!((tally.turns, tally.input_tokens, tally.output_tokens), (2, 30, 14));
        assert_eq!(entries.iter().map(|e| e.kind).collect::<Vec<_>>(), ["assistant_text", "tool_use", "assistant_text"]);
        assert_eq!(tally.model.as_deref(), Some("claude-x"));
    }

    #[test]
    fn a_message_without_a_cost_is_priced_like_claude_code_prices_it() {
        // Claude Code reported 0.02927025 for exactly this usage (tests/fake-api/README.md).
        let line = r#"{"type":"assistant","message":{"id":"m1","model":"claude-opus-4-8","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":1891,"cache_creation_input_tokens":1889,"cache_read_input_tokens":15118,"output_tokens":18}}}"#;
        let (_, tally, _) = read(&[line, line]);
        assert!((tally.cost_usd - 0.02927025).abs() < 1e-9, "{}", tally.cost_usd);
        let unknown = line.replace("claude-opus-4-8", "mystery-model");
        assert_eq!(read(&[&unknown]).1.cost_usd, 0.0, "an unknown model's cost is not guessed");
        assert_eq!(price_per_mtok("claude-opus-4-1-20250805"), Some((15.0, 75.0)));
    }

    #[test]
    fn an_interrupt_note_is_not_a_prompt() {
        let (entries, tally, _) = read(&[
            r#"{"type":"user","message":{"role":"user","content":"go"}}"#,
            r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user]"}]}}"#,
        ]);
        assert_eq!(entries[1].kind, "user_text", "stored as Switchboard's own sessions store it");
        assert_eq!((tally.prompts, tally.interrupted), (1, true));
        let (_, tally, _) = read(&[
            r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user for tool use]"}]}}"#,
            r#"{"type":"user","message":{"role":"user","content":"next"}}"#,
        ]);
        assert_eq!((tally.prompts, tally.interrupted), (1, false), "a prompt after it starts a turn again");
    }

    #[test]
    fn prompts_results_summaries_and_unknown_lines() {
        let (entries, tally, carry) = read(&[
            r#"{"type":"user","cwd":"/w","sessionId":"s","timestamp":"2026-01-02T03:04:05Z","message":{"role":"user","content":"fix the bug\nplease"}}"#,
            r#"{"type":"user","sessionId":"s","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}}"#,
            r#"{"type":"file-history-snapshot","snapshot":{}}"#,
            r#"{"type":"summary","summary":"Bug fix","leafUuid":"x"}"#,
            "not json {",
        ]);
        assert_eq!(entries[0].kind, USER_PROMPT_KIND);
        assert_eq!(entries[0].stream, Stream::System);
        assert_eq!(entries[0].payload, "fix the bug\nplease");
        assert_eq!(entries[1].kind, "tool_result");
        assert_eq!(entries[2].kind, "raw");
        assert_eq!(entries[4].payload, "not json {");
        assert_eq!(tally.cwd.as_deref(), Some("/w"));
        assert_eq!(tally.title.as_deref(), Some("Bug fix"), "a summary wins over the first prompt");
        assert_eq!(carry.title, TitleSource::Summary);
        assert_eq!((tally.lines, tally.raw, tally.prompts), (5, 3, 1));
        assert_eq!(tally.first_ts.map(|t| t.timestamp()), Some(1_767_323_045));
    }
}
