import { flushSync } from "svelte";
import { describe, expect, it } from "vitest";
import { SessionStore } from "./sessions.svelte";
import { makeSession } from "./testing";

describe("SessionStore reactivity", () => {
  it("re-runs effects that read list and counts when sessions change", () => {
    const store = new SessionStore();
    const seen: string[] = [];
    const cleanup = $effect.root(() => {
      $effect(() => {
        seen.push(`${store.list.map((s) => s.id).join(",")}|${store.counts.running}`);
      });
    });
    flushSync();
    store.upsert(makeSession({ id: "a", created_at: "2025-01-01T10:00:00Z" }));
    flushSync();
    store.upsert(makeSession({ id: "b", created_at: "2025-01-01T11:00:00Z", status: "ended" }));
    flushSync();
    store.remove("a");
    flushSync();
    cleanup();
    expect(seen).toEqual(["|0", "a|1", "b,a|1", "b|0"]);
  });
});
