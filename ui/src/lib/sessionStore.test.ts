import { describe, expect, it } from "vitest";
import type { Session } from "./bindings/Session";
import { SessionStore, type SessionSource } from "./sessions.svelte";
import { makeSession } from "./testing";

/** A fake backend whose list() resolves only when told to. */
function fakeSource() {
  let changed: ((s: Session) => void) | null = null;
  let deleted: ((id: string) => void) | null = null;
  let resolveList: ((list: Session[]) => void) | null = null;
  let rejectList: ((err: unknown) => void) | null = null;
  const calls: string[] = [];
  const source: SessionSource = {
    list: () => {
      calls.push("list");
      return new Promise((resolve, reject) => {
        resolveList = resolve;
        rejectList = reject;
      });
    },
    onChanged: async (h) => {
      calls.push("listen:changed");
      changed = h;
      return () => {
        changed = null;
      };
    },
    onDeleted: async (h) => {
      calls.push("listen:deleted");
      deleted = h;
      return () => {
        deleted = null;
      };
    },
  };
  return {
    source,
    calls,
    emitChanged: (s: Session) => changed?.(s),
    emitDeleted: (id: string) => deleted?.(id),
    resolve: (list: Session[]) => resolveList?.(list),
    reject: (err: unknown) => rejectList?.(err),
    subscribed: () => changed !== null && deleted !== null,
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("SessionStore", () => {
  it("subscribes before fetching and merges events that arrive during the fetch", async () => {
    const fake = fakeSource();
    const store = new SessionStore();
    const connected = store.connect(fake.source);
    await flush();

    expect(fake.calls).toEqual(["listen:changed", "listen:deleted", "list"]);
    expect(store.loadState).toBe("loading");

    // Events while list_sessions is in flight.
    fake.emitChanged(makeSession({ id: "created-meanwhile", created_at: "2025-01-01T10:09:00Z" }));
    fake.emitChanged(
      makeSession({ id: "a", status: "ended", created_at: "2025-01-01T10:01:00Z", last_activity: "2025-01-01T10:05:00Z" }),
    );
    fake.emitDeleted("b");

    // The snapshot was taken before those events.
    fake.resolve([
      makeSession({ id: "a", status: "running", created_at: "2025-01-01T10:01:00Z", last_activity: "2025-01-01T10:02:00Z" }),
      makeSession({ id: "b", created_at: "2025-01-01T10:02:00Z" }),
      makeSession({ id: "c", created_at: "2025-01-01T10:03:00Z" }),
    ]);
    const stop = await connected;

    expect(store.loadState).toBe("ready");
    expect(store.list.map((s) => s.id)).toEqual(["created-meanwhile", "c", "a"]);
    expect(store.get("a")?.status.state).toBe("ended");
    expect(store.counts.running).toBe(2);
    expect(store.counts.ended).toBe(1);
    expect(store.size).toBe(3);

    // Live updates after the load.
    fake.emitChanged(makeSession({ id: "d", created_at: "2025-01-01T10:10:00Z", status: "waiting_input" }));
    expect(store.list[0]?.id).toBe("d");
    expect(store.counts.waiting_input).toBe(1);
    fake.emitDeleted("d");
    expect(store.list.map((s) => s.id)).toEqual(["created-meanwhile", "c", "a"]);

    stop();
    expect(fake.subscribed()).toBe(false);
  });

  it("reports a failed load as a readable error and can retry", async () => {
    const fake = fakeSource();
    const store = new SessionStore();
    const connected = store.connect(fake.source);
    await flush();
    fake.reject({ code: "internal", message: "database is locked", field: null });
    await connected;

    expect(store.loadState).toBe("error");
    expect(store.loadError).toMatchObject({ code: "internal", message: "database is locked" });

    const retry = store.reload();
    expect(store.loadState).toBe("loading");
    fake.resolve([makeSession({ id: "x" })]);
    await retry;
    expect(store.loadState).toBe("ready");
    expect(store.loadError).toBeNull();
    expect(store.list.map((s) => s.id)).toEqual(["x"]);
  });

  it("offer() does not overwrite newer event data", () => {
    const store = new SessionStore();
    store.upsert(makeSession({ id: "a", status: "running", last_activity: "2025-01-01T10:02:00Z" }));
    store.offer(makeSession({ id: "a", status: "starting", last_activity: "2025-01-01T10:01:00Z" }));
    expect(store.get("a")?.status.state).toBe("running");
  });
});
