import { describe, expect, it } from "vitest";
import type { OutputItem } from "./bindings/OutputItem";
import type { OutputMessage } from "./bindings/OutputMessage";
import { immediately, OutputStore, type OutputSource } from "./output.svelte";
import { entry } from "./testing";

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Sub = { id: string; after: number; send: (m: OutputMessage) => void; stopped: boolean };

/** A backend whose replies the test hands out one by one. */
class FakeSource implements OutputSource {
  tails: Array<{ id: string; limit: number; reply: Deferred<OutputItem[]> }> = [];
  reads: Array<{ id: string; after: number; limit: number; reply: Deferred<OutputItem[]> }> = [];
  arounds: Array<{ id: string; seq: number; before: number; after: number; reply: Deferred<OutputItem[]> }> = [];
  subs: Sub[] = [];

  around(id: string, seq: number, before: number, after: number): Promise<OutputItem[]> {
    const reply = deferred<OutputItem[]>();
    this.arounds.push({ id, seq, before, after, reply });
    return reply.promise;
  }

  tail(id: string, limit: number): Promise<OutputItem[]> {
    const reply = deferred<OutputItem[]>();
    this.tails.push({ id, limit, reply });
    return reply.promise;
  }

  read(id: string, after: number, limit: number): Promise<OutputItem[]> {
    const reply = deferred<OutputItem[]>();
    this.reads.push({ id, after, limit, reply });
    return reply.promise;
  }

  async subscribe(id: string, after: number, onMessage: (m: OutputMessage) => void): Promise<() => void> {
    const sub: Sub = { id, after, send: onMessage, stopped: false };
    this.subs.push(sub);
    return () => {
      sub.stopped = true;
    };
  }
}

const range = (from: number, to: number, tag = "") =>
  Array.from({ length: to - from + 1 }, (_, k) => entry(from + k, { kind: "line", text: `${tag}${from + k}` }));
const items = (...list: OutputItem[]): OutputMessage => ({ type: "items", items: list, partial: null });
const settle = () => new Promise((r) => setTimeout(r, 0));
const seqsOf = (store: OutputStore) => store.items.map((i) => i.seq);

async function openOn(store: OutputStore, source: FakeSource, id: string, tail: OutputItem[]) {
  const opened = store.open(id, { showRaw: true });
  source.tails.at(-1)?.reply.resolve(tail);
  await opened;
  await settle();
  return source.subs.at(-1) as Sub;
}

describe("OutputStore", () => {
  it("opens on the tail, then subscribes after its last seq", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const sub = await openOn(store, source, "s1", range(501, 1000));
    expect(source.tails[0]).toMatchObject({ id: "s1", limit: 500 });
    expect(sub).toMatchObject({ id: "s1", after: 1000 });
    expect(store.phase).toBe("ready");
    expect(store.stream).toBe("live");
    expect(store.hasOlder).toBe(true);
    expect(store.size).toBe(500);
  });

  it("merges backfill and live batches in seq order, each seq once", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const sub = await openOn(store, source, "s1", range(1, 10));
    sub.send(items(...range(11, 13)));
    sub.send(items(...range(12, 15))); // overlaps what came
    sub.send(items(entry(17), entry(16))); // out of order within a batch
    expect(seqsOf(store)).toEqual(range(1, 17).map((i) => i.seq));
    expect(store.rows).toHaveLength(17);
    sub.send({ type: "end" });
    expect(store.stream).toBe("ended");
  });

  it("drops everything from a session that is no longer shown, however quick the switch", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    // A: opened and subscribed.
    const subA = await openOn(store, source, "A", range(1, 3, "A"));
    // B: opened while A still streams; its tail is slow.
    const openedB = store.open("B", { showRaw: true });
    expect(subA.stopped).toBe(true);
    subA.send(items(...range(4, 6, "A"))); // stale: A's channel still delivers
    // C: opened before B's tail came back.
    const openedC = store.open("C", { showRaw: true });
    source.tails[1]?.reply.resolve(range(1, 5, "B")); // B's late tail
    source.tails[2]?.reply.resolve(range(1, 2, "C"));
    await Promise.all([openedB, openedC]);
    await settle();
    expect(store.sessionId).toBe("C");
    expect(source.subs.map((s) => s.id)).toEqual(["A", "C"]);
    const subC = source.subs[1] as Sub;
    subC.send(items(...range(3, 4, "C")));
    subA.send(items(...range(7, 8, "A")));
    const texts = store.items.map((i) => (i.view.kind === "line" ? i.view.text : ""));
    expect(texts).toEqual(["C1", "C2", "C3", "C4"]);
    expect(store.staleDropped).toBe(2);
  });

  it("ignores an older page that comes back after a switch", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    await openOn(store, source, "A", range(101, 200, "A"));
    const paging = store.loadOlder(50);
    expect(source.reads[0]).toMatchObject({ id: "A", after: 50, limit: 50 });
    await openOn(store, source, "B", range(1, 2, "B"));
    source.reads[0]?.reply.resolve(range(51, 100, "A"));
    await paging;
    expect(seqsOf(store)).toEqual([1, 2]);
    expect(store.loadingOlder).toBe(false);
  });

  it("pages older history until the first entry, and then stops asking", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const sub = await openOn(store, source, "s", range(2501, 3000));
    // A live batch meanwhile does not disturb paging.
    sub.send(items(...range(3001, 3005)));
    const page1 = store.loadOlder(2000);
    expect(source.reads[0]).toMatchObject({ after: 500, limit: 2000 });
    expect(store.loadingOlder).toBe(true);
    void store.loadOlder(2000); // a second call while loading does nothing
    expect(source.reads).toHaveLength(1);
    source.reads[0]?.reply.resolve(range(501, 2500));
    await page1;
    expect(store.hasOlder).toBe(true);
    const page2 = store.loadOlder(2000);
    expect(source.reads[1]).toMatchObject({ after: 0, limit: 500 });
    source.reads[1]?.reply.resolve(range(1, 500));
    await page2;
    expect(store.hasOlder).toBe(false);
    expect(store.firstSeq).toBe(1);
    expect(store.lastSeq).toBe(3005);
    expect(store.size).toBe(3005);
    await store.loadOlder();
    expect(source.reads).toHaveLength(2);
  });

  it("does not page below output trimmed by the cap", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const opened = store.open("s", { trimmedThrough: 900 });
    source.tails[0]?.reply.resolve(range(1001, 1500));
    await opened;
    const page = store.loadOlder(2000);
    expect(source.reads[0]).toMatchObject({ after: 900, limit: 100 });
    source.reads[0]?.reply.resolve(range(901, 1000));
    await page;
    expect(store.hasOlder).toBe(false);
  });

  it("reports a failed older page and can retry it", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    await openOn(store, source, "s", range(101, 200));
    const page = store.loadOlder(100);
    source.reads[0]?.reply.reject({ code: "internal", message: "database is locked", field: null });
    await page;
    expect(store.olderError).toBe("database is locked");
    expect(store.hasOlder).toBe(true);
    const retry = store.loadOlder(100);
    source.reads[1]?.reply.resolve(range(1, 100));
    await retry;
    expect(store.olderError).toBeNull();
    expect(store.size).toBe(200);
  });

  it("shows a readable error when the tail cannot be read", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const opened = store.open("s");
    source.tails[0]?.reply.reject({ code: "not_found", message: "session s not found", field: null });
    await opened;
    expect(store.phase).toBe("error");
    expect(store.error).toBe("session s not found");
    expect(source.subs).toHaveLength(0);
  });

  it("follows again after the stream ended (a resumed session), from the last seq", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const first = await openOn(store, source, "s", range(1, 5));
    first.send({ type: "end" });
    expect(store.stream).toBe("ended");
    await store.resubscribe();
    const second = source.subs[1] as Sub;
    expect(second.after).toBe(5);
    second.send(items(...range(6, 7)));
    first.send(items(entry(99))); // the old channel is stale
    expect(seqsOf(store)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    second.send({ type: "error", message: "subscription lagged" });
    expect(store.stream).toBe("error");
    expect(store.streamError).toBe("subscription lagged");
  });

  it("rebuilds the rows when raw output is toggled", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const opened = store.open("s", { showRaw: false });
    source.tails[0]?.reply.resolve([
      entry(1, { kind: "assistant_text", text: "hi" }),
      entry(2, { kind: "stderr", text: "warn" }),
      entry(3, { kind: "raw", text: "{}" }),
    ]);
    await opened;
    expect(store.rows).toHaveLength(1);
    expect(store.hidden).toBe(2);
    const v = store.version;
    store.setShowRaw(true);
    expect(store.rows).toHaveLength(3);
    expect(store.version).toBeGreaterThan(v);
  });
});

describe("OutputStore: live typing", () => {
  const typing = (key: string, text: string, append: boolean, done: number | null = null): OutputMessage => ({
    type: "items",
    items: [],
    partial: { key, after_seq: 0, append, text, done_through: done },
  });
  const partialRows = (store: OutputStore) => store.rows.filter((r) => r.type === "entry" && r.partial);

  it("grows one row in place, after the entries, and the final entry replaces it in the same message", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const sub = await openOn(store, source, "s1", range(1, 3));
    sub.send(typing("m", "Hel", false));
    const rows = store.rows;
    sub.send(typing("m", "lo, wor", true));
    expect(store.partialText).toBe("Hello, wor");
    expect(store.rows).toBe(rows); // grown in place: the list sees no new array
    expect(partialRows(store)).toHaveLength(1);
    const last = store.rows.at(-1);
    expect(last?.type === "entry" && last.partial && last.item.view).toEqual({ kind: "assistant_text", text: "Hello, wor" });
    expect(store.rows.map((r) => r.key)).toEqual([1, 2, 3, 3.5]);
    expect(store.size).toBe(3); // not an entry

    // An entry meanwhile goes before it; keys stay ascending.
    sub.send(items(entry(4)));
    expect(store.rows.map((r) => r.key)).toEqual([1, 2, 3, 4, 4.5]);

    // The final entry and the end of the partial text, in one message: no duplicate, no gap.
    sub.send({
      type: "items",
      items: [entry(5, { kind: "assistant_text", text: "Hello, world" })],
      partial: { key: "m", after_seq: 3, append: true, text: "", done_through: 5 },
    });
    expect(partialRows(store)).toHaveLength(0);
    expect(store.partialText).toBeNull();
    expect(store.rows.map((r) => r.key)).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps the text until its final entry is shown, and a new message replaces it", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const sub = await openOn(store, source, "s1", range(1, 2));
    sub.send(typing("m", "first", false));
    sub.send(typing("m", "", true, 3)); // done through 3, which has not come yet
    expect(store.partialText).toBe("first");
    sub.send(items(entry(3, { kind: "assistant_text", text: "first" })));
    expect(store.partialText).toBeNull();
    sub.send(typing("n", "second", false));
    sub.send(typing("o", "third", false));
    expect(store.partialText).toBe("third");
    expect(partialRows(store)).toHaveLength(1);
    sub.send({ type: "end" });
    expect(partialRows(store)).toHaveLength(0);
  });

  it("opens around an entry far back: one page around it, older and newer pages on demand, live only once newer pages run out", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const opened = store.openAround("s1", 300_000, { showRaw: true });
    expect(source.arounds[0]).toMatchObject({ id: "s1", seq: 300_000, before: 1000, after: 1000 });
    expect(source.tails[0]).toMatchObject({ id: "s1", limit: 1 }); // the newest entry only, for the count
    source.arounds[0]?.reply.resolve(range(299_000, 301_000));
    source.tails[0]?.reply.resolve(range(1_000_000, 1_000_000));
    await opened;
    expect(store.phase).toBe("ready");
    expect(store.detached).toBe(true);
    expect(store.aroundSeq).toBe(300_000);
    expect(source.subs).toHaveLength(0); // nothing live followed from far back
    expect(store.total).toBe(1_000_000);
    expect(store.hasOlder).toBe(true);

    // Older: the page before the first loaded.
    const older = store.loadOlder(2000);
    expect(source.reads[0]).toMatchObject({ after: 296_999, limit: 2000 });
    source.reads[0]?.reply.resolve(range(297_000, 298_999));
    await older;
    expect(store.firstSeq).toBe(297_000);

    // Newer: from the last loaded, `before` 0; they append.
    const newer = store.loadNewer(2000);
    void store.loadNewer(2000); // a second call while loading does nothing
    expect(source.arounds).toHaveLength(2);
    expect(source.arounds[1]).toMatchObject({ seq: 301_000, before: 0, after: 2000 });
    source.arounds[1]?.reply.resolve(range(301_000, 303_000));
    await newer;
    expect(store.lastSeq).toBe(303_000);
    expect(store.detached).toBe(true);
    expect(seqsOf(store)).toEqual(range(297_000, 303_000).map((e) => e.seq));

    // The newest reached: an empty newer page, then the subscription from the last seq.
    const end = store.loadNewer(2000);
    source.arounds[2]?.reply.resolve(range(303_000, 303_000));
    await end;
    await settle();
    expect(store.detached).toBe(false);
    expect(source.subs.at(-1)).toMatchObject({ id: "s1", after: 303_000 });
  });

  it("a failed page around an entry is shown as the open's error; opening the tail again follows live", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    const opened = store.openAround("s1", 5);
    source.arounds[0]?.reply.reject(new Error("no such session"));
    source.tails[0]?.reply.resolve([]);
    await opened;
    expect(store.phase).toBe("error");
    expect(store.error).toMatch(/no such session/);
    const sub = await openOn(store, source, "s1", range(1, 10));
    expect(store.detached).toBe(false);
    expect(store.aroundSeq).toBeNull();
    expect(sub).toMatchObject({ after: 10 });
  });

  it("learns the trim mark after the open: the count and older pages stop at it", async () => {
    const source = new FakeSource();
    const store = new OutputStore(source, immediately);
    await openOn(store, source, "s1", range(900, 1000));
    expect(store.total).toBe(1000);
    store.setTrimmedThrough(899);
    expect(store.total).toBe(101);
    expect(store.hasOlder).toBe(false);
    await store.loadOlder();
    expect(source.reads).toHaveLength(0);
  });
});
