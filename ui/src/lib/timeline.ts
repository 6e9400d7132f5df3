/**
 * The task log as a timeline: what each event says, in words.
 */
import type { TaskEvent } from "./bindings/TaskEvent";
import type { TaskEventKind } from "./bindings/TaskEventKind";
import { formatDuration, formatInteger } from "./format";
import { AGENT_PROFILES } from "./contract";
import type { Decider } from "./bindings/Decider";

export type TimelineTone = "neutral" | "accent" | "success" | "error" | "muted";

export type TimelineEntry = {
  id: number;
  kind: TaskEventKind;
  sessionId: string;
  ts: string;
  /** e.g. "Command sent", "Response received". */
  title: string;
  /** Facts on one line: "4.2 s · 1,234 chars". */
  meta: string;
  /** A longer text shown under the title (the command, the error message). */
  body: string | null;
  /** Whether `body` is code-like (a command) and shown monospace. */
  mono: boolean;
  /** The session's title when the event tells it (created events). */
  sessionTitle: string | null;
  tone: TimelineTone;
};

type Detail = Record<string, unknown>;

function detailOf(value: unknown): Detail {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Detail;
  if (typeof value === "string" && value !== "") return { message: value };
  return {};
}

function text(d: Detail, key: string): string | null {
  const v = d[key];
  return typeof v === "string" && v.trim() !== "" ? v : null;
}

function num(d: Detail, key: string): number | null {
  const v = d[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** 512 → "512 chars", 1234 → "1,234 chars". */
function size(n: number): string {
  return `${formatInteger(n)} ${n === 1 ? "char" : "chars"}`;
}

/** Agent names as the backend gives them (the detail is free JSON: an unknown agent shows as is). */
const AGENT_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(AGENT_PROFILES).map((p) => [p.agent, p.label]),
);

export function describeTaskEvent(event: TaskEvent): TimelineEntry {
  const d = detailOf(event.detail);
  const base = {
    id: event.id,
    kind: event.kind,
    sessionId: event.session_id,
    ts: event.ts,
    sessionTitle: text(d, "title"),
  };
  switch (event.kind) {
    case "created": {
      const agent = text(d, "agent");
      const parts = [agent ? (AGENT_NAMES[agent] ?? agent) : null, text(d, "cwd")].filter((p): p is string => p !== null);
      return {
        ...base,
        title: "Session created",
        meta: parts.join(" · "),
        body: null,
        mono: false,
        tone: "accent",
      };
    }
    case "command_sent": {
      const permission = text(d, "permission");
      if (permission !== null) return permissionEntry(base, d, permission);
      const command = text(d, "command") ?? text(d, "text");
      const length = num(d, "length");
      return {
        ...base,
        title: "Command sent",
        meta: length !== null ? size(length) : "",
        body: command,
        mono: true,
        tone: "neutral",
      };
    }
    case "response_received": {
      const duration = num(d, "duration_ms");
      const length = num(d, "length");
      const interrupted = d["interrupted"] === true;
      const meta = [duration !== null ? formatDuration(duration) : null, length !== null ? size(length) : null]
        .filter((p): p is string => p !== null)
        .join(" · ");
      return {
        ...base,
        title: interrupted ? "Response interrupted" : "Response received",
        meta,
        body: text(d, "message"),
        mono: false,
        tone: interrupted ? "muted" : "success",
      };
    }
    case "error": {
      const status = num(d, "api_error_status");
      const duration = num(d, "duration_ms");
      const meta = [status !== null ? `HTTP ${status}` : null, duration !== null ? formatDuration(duration) : null]
        .filter((p): p is string => p !== null)
        .join(" · ");
      return {
        ...base,
        title: "Error",
        meta,
        body: text(d, "message") ?? "Unknown error",
        mono: false,
        tone: "error",
      };
    }
    case "ended": {
      const status = text(d, "status");
      return {
        ...base,
        title: status && status !== "ended" ? `Ended (${status})` : "Ended",
        meta: "",
        body: null,
        mono: false,
        tone: "muted",
      };
    }
    case "checkpoint": {
      const n = num(d, "n");
      const restored = num(d, "restored");
      return {
        ...base,
        title: restored !== null ? `Restored checkpoint ${restored}` : `Checkpoint ${n ?? "?"}`,
        meta: restored !== null ? `the state it replaced is checkpoint ${n ?? "?"}` : (text(d, "label") ?? ""),
        body: null,
        mono: false,
        tone: "muted",
      };
    }
    case "landed": {
      const how: Record<string, string> = { fast_forward: "Fast-forwarded", merge: "Merged", squash: "Squashed", rebase: "Rebased" };
      const method = text(d, "method") ?? "";
      const landed = d["landed"] === true;
      const conflicts = Array.isArray(d["conflicts"]) ? (d["conflicts"] as unknown[]).filter((c) => typeof c === "string") : [];
      return {
        ...base,
        title: landed ? `${how[method] ?? "Landed"} into base` : `Landing refused: ${conflicts.length} conflicting file${conflicts.length === 1 ? "" : "s"}`,
        meta: landed ? (text(d, "commit")?.slice(0, 10) ?? "") : "",
        body: landed ? null : conflicts.join("\n") || (text(d, "message") ?? null),
        mono: !landed,
        tone: landed ? "neutral" : "error",
      };
    }
    default: {
      const kind: string = event.kind;
      return { ...base, title: kind, meta: "", body: null, mono: false, tone: "neutral" };
    }
  }
}

/**
 * A permission decision (logged by the engine as `{permission, tool, gist}`): what was
 * decided, on which tool, about what — "Allowed: Write" / "wants to write notes.md", a
 * deny with its message, a saved rule.
 */
/** Who settled a permission request, and where (the task log's `by`). */
const DECIDED_BY: Readonly<Record<Decider, string>> = {
  app: "by you, in the app",
  cli: "by you, from the CLI",
  rule: "by a saved rule",
  timeout: "nobody answered in time",
  terminal: "by you, in the terminal",
};

function permissionEntry(
  base: Pick<TimelineEntry, "id" | "kind" | "sessionId" | "ts" | "sessionTitle">,
  d: Detail,
  permission: string,
): TimelineEntry {
  const tool = text(d, "tool") ?? "a tool";
  // "denied: <message>", "allowed; rule saved: <rule>"; but "allowed by <rule>" has no detail
  // (and its rule may hold a colon: "Bash(touch:*)").
  const [word, ...rest] = permission.startsWith("allowed by ") ? [permission] : permission.split(":");
  const detail = rest.join(":").trim();
  const outcome = (word ?? "").trim();
  const verb = outcome.startsWith("allowed") ? "Allowed" : outcome.startsWith("denied") ? "Denied" : outcome.startsWith("cancelled") ? "Cancelled" : outcome;
  const extra = outcome.startsWith("allowed") && outcome !== "allowed" ? outcome.replace(/^allowed\s*;?\s*/, "") : "";
  const body = [text(d, "gist"), detail !== "" ? (verb === "Denied" ? `“${detail}”` : detail) : null].filter((p): p is string => p !== null).join("\n");
  const by = text(d, "by");
  // A rule's decision already names the rule ("by Bash(npm test:*)").
  const who = by === null || (by === "rule" && extra.startsWith("by ")) ? "" : (DECIDED_BY[by as Decider] ?? `by ${by}`);
  return {
    ...base,
    title: `${verb}: ${tool}`,
    meta: [extra, who, "permission"].filter((p) => p !== "").join(" · "),
    body: body !== "" ? body : null,
    mono: false,
    tone: verb === "Allowed" ? "success" : verb === "Denied" ? "error" : "muted",
  };
}

export type TimelineDay = { day: string; label: string; entries: TimelineEntry[] };

function localDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 10);
  const m = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${d.getFullYear()}-${m}-${day}`;
}

function dayLabel(day: string, nowMs: number): string {
  if (day === localDay(new Date(nowMs).toISOString())) return "Today";
  if (day === localDay(new Date(nowMs - 86_400_000).toISOString())) return "Yesterday";
  const d = new Date(`${day}T12:00:00`);
  return Number.isNaN(d.getTime())
    ? day
    : d.toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric", year: "numeric" });
}

/** Events in time order (by ts, then id), grouped by local day. */
export function buildTimeline(events: readonly TaskEvent[], nowMs = Date.now()): TimelineDay[] {
  const sorted = [...events].sort((a, b) => {
    const ta = Date.parse(a.ts);
    const tb = Date.parse(b.ts);
    if (ta !== tb) return ta - tb;
    return a.id - b.id;
  });
  const days: TimelineDay[] = [];
  for (const event of sorted) {
    const day = localDay(event.ts);
    let group = days[days.length - 1];
    if (!group || group.day !== day) {
      group = { day, label: dayLabel(day, nowMs), entries: [] };
      days.push(group);
    }
    group.entries.push(describeTaskEvent(event));
  }
  return days;
}

/** "14:03:22" in local time. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** How a permission request was settled, for its "Permission asked" line in the transcript. */
export type PermissionOutcome = { text: string; tone: "success" | "error" | "muted" };

/**
 * The decided permission requests of a session, by request id, from its task log (the engine
 * logs each decision as `{permission, tool, gist, request_id, by}`): "allowed by you",
 * "denied by you", "allowed by a rule", "denied: nobody answered in time", "cancelled".
 */
export function permissionOutcomes(events: readonly TaskEvent[]): Map<string, PermissionOutcome> {
  const out = new Map<string, PermissionOutcome>();
  for (const e of events) {
    if (e.kind !== "command_sent" || e.detail === null || typeof e.detail !== "object") continue;
    const d = e.detail as Detail;
    const permission = text(d, "permission");
    const id = text(d, "request_id");
    if (permission === null || id === null) continue;
    const by = text(d, "by");
    const outcome = permission.trim();
    if (outcome.startsWith("allowed")) {
      const rule = by === "rule" || outcome.startsWith("allowed by ");
      out.set(id, { text: rule ? "allowed by a rule" : by === "app" || by === "cli" || by === "terminal" ? "allowed by you" : "allowed", tone: "success" });
    } else if (outcome.startsWith("denied")) {
      out.set(id, { text: by === "timeout" ? "denied: nobody answered in time" : by === "app" || by === "cli" || by === "terminal" ? "denied by you" : "denied", tone: "error" });
    } else if (outcome.startsWith("cancelled")) {
      out.set(id, { text: "cancelled", tone: "muted" });
    }
  }
  return out;
}
