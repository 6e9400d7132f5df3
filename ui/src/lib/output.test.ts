import { describe, expect, it } from "vitest";
import type { OutputItem } from "./bindings/OutputItem";
import { OutputLog, OutputRows, rowKind, storedTotal } from "./output";
import { entry } from "./testing";


const seqs = (log: OutputLog) => log.items.map((i) => i.seq);

describe("OutputLog", () => {
  it("keeps entries ascending by seq whatever order they come in", () => {
    const log = new OutputLog();
    log.add([entry(5), entry(3), entry(4)]);
    log.add([entry(1), entry(2)]);
    log.add([entry(8), entry(6), entry(7)]);
    expect(seqs(log)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.firstSeq).toBe(1);
    expect(log.lastSeq).toBe(8);
  });

  it("drops duplicates, within a batch and across batches", () => {
    const log = new OutputLog();
    const first = log.add([entry(1), entry(2), entry(2), entry(3)]);
    expect(first).toMatchObject({ inserted: 0, duplicates: 1 });
    const again = log.add([entry(2), entry(3), entry(4)]);
    expect(again.duplicates).toBe(2);
    expect(again.appended.map((i) => i.seq)).toEqual([4]);
    expect(seqs(log)).toEqual([1, 2, 3, 4]);
  });

  it("merges a backfill that overlaps the tail with live batches after it", () => {
    const log = new OutputLog();
    // The tail the view opened on…
    log.add([8, 9, 10].map((s) => entry(s)));
    // …a live batch…
    log.add([11, 12].map((s) => entry(s)));
    // …the subscription's backfill overlapping both…
    const backfill = log.add([9, 10, 11, 12, 13].map((s) => entry(s)));
    expect(backfill.appended.map((i) => i.seq)).toEqual([13]);
    expect(backfill.duplicates).toBe(4);
    // …and an older page.
    const older = log.add([5, 6, 7].map((s) => entry(s)));
    expect(older.inserted).toBe(3);
    expect(older.appended).toEqual([]);
    expect(seqs(log)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it("fills a gap in the middle", () => {
    const log = new OutputLog();
    log.add([entry(1), entry(2), entry(6)]);
    const r = log.add([entry(4), entry(3), entry(5)]);
    expect(r.inserted).toBe(3);
    expect(seqs(log)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.has(4)).toBe(true);
    expect(log.has(7)).toBe(false);
  });
});

const use = (seq: number, id: string, name = "Bash"): OutputItem =>
  entry(seq, { kind: "tool_use", id, name, input: { command: "ls" } });
const result = (seq: number, id: string, isError = false): OutputItem =>
  entry(seq, { kind: "tool_result", tool_use_id: id, content: "ok", is_error: isError });
const text = (seq: number, t = "hi"): OutputItem => entry(seq, { kind: "assistant_text", text: t });

describe("OutputRows", () => {
  it("folds a tool_result into its tool_use row", () => {
    const rows = new OutputRows();
    rows.append([text(1), use(2, "a"), use(3, "b"), result(4, "b", true), result(5, "a")]);
    expect(rows.rows.map(rowKind)).toEqual(["assistant_text", "tool", "tool"]);
    const [, a, b] = rows.rows;
    expect(a?.type === "tool" && a.result?.seq).toBe(5);
    expect(b?.type === "tool" && b.result?.view.is_error).toBe(true);
    expect(rows.rows.map((r) => r.key)).toEqual([1, 2, 3]);
  });

  it("attaches a result arriving in a later batch by replacing the row object", () => {
    const rows = new OutputRows();
    rows.append([use(1, "a")]);
    const before = rows.rows[0];
    rows.append([result(2, "a")]);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).not.toBe(before);
    expect(rows.rows[0]?.type === "tool" && rows.rows[0].result?.seq).toBe(2);
  });

  it("shows a result whose tool_use is not loaded on its own", () => {
    const rows = new OutputRows();
    rows.append([result(7, "older")]);
    expect(rows.rows.map(rowKind)).toEqual(["tool_result"]);
  });

  it("hides raw lines and stderr unless asked, and counts them", () => {
    const items = [
      text(1),
      entry(2, { kind: "raw", text: "{}" }),
      entry(3, { kind: "stderr", text: "warn" }),
      entry(4, { kind: "line", text: "plain" }),
      entry(5, { kind: "lifecycle", text: "exited" }),
    ];
    const hidden = new OutputRows(false);
    hidden.rebuild(items);
    expect(hidden.rows.map(rowKind)).toEqual(["assistant_text", "lifecycle"]);
    expect(hidden.hidden).toBe(3);
    const shown = new OutputRows(true);
    shown.rebuild(items);
    expect(shown.rows).toHaveLength(5);
    expect(shown.hidden).toBe(0);
  });
});

describe("storedTotal", () => {
  it("counts what is stored, so loading older pages does not change it", () => {
    // The tail of 3,002 stored entries: 500 loaded, then all of them.
    expect(storedTotal(3002, 0, 500)).toBe(3002);
    expect(storedTotal(3002, 0, 3002)).toBe(3002);
    // Trimmed by the cap through seq 1000.
    expect(storedTotal(3002, 1000, 500)).toBe(2002);
    expect(storedTotal(null, 0, 0)).toBe(0);
  });
});

describe("OutputRows: \"Agent started\" once per process", () => {
  const init = (seq: number, id = "abc", model = "claude-opus-4") =>
    entry(seq, { kind: "system_init", model, agent_session_id: id, cwd: "/w", permission_mode: "default" });
  const life = (seq: number) => entry(seq, { kind: "lifecycle", text: "exited with code 0" });

  it("leaves out a repeat with the same agent session id and model, also across batches", () => {
    const rows = new OutputRows();
    rows.append([init(1), text(2), init(3), text(4)]);
    rows.append([init(5), text(6)]);
    expect(rows.rows.map(rowKind)).toEqual(["system_init", "assistant_text", "assistant_text", "assistant_text"]);
    rows.rebuild([init(1), text(2), init(3), text(4)]);
    expect(rows.rows.map(rowKind)).toEqual(["system_init", "assistant_text", "assistant_text"]);
  });

  it("shows it again for another id or model, or after the process changed", () => {
    const rows = new OutputRows();
    rows.append([init(1), init(2, "other"), init(3, "other", "claude-sonnet-4"), life(4), init(5, "other", "claude-sonnet-4")]);
    expect(rows.rows.map((r) => r.key)).toEqual([1, 2, 3, 4, 5]);
  });
});
