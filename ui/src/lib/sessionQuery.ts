/**
 * Filtering, searching and sorting the sessions list. Applied client-side to
 * the event-updated list (so the view stays live), with the same meaning as
 * the backend's `SessionFilter` (`toSessionFilter` gives that form).
 */
import type { AgentKind } from "./bindings/AgentKind";
import type { Session } from "./bindings/Session";
import type { SessionFilter } from "./bindings/SessionFilter";
import type { SessionSort } from "./bindings/SessionSort";
import { ALL_STATES, STATUS_INFO, type StatusState } from "./status";
import { compareSessions } from "./sessions";
import { compareTimestamps } from "./time";
import { AGENT_KINDS } from "./contract";

/** "live" and "finished" group states; a state name selects just that one. */
export type StatusFilter = "all" | "live" | "finished" | StatusState;
/** "all", "none" (sessions without a task), or a task id. */
export type TaskFilter = string;

export type SessionQuery = {
  status: StatusFilter;
  agent: AgentKind | "all";
  task: TaskFilter;
  search: string;
  sort: SessionSort;
};

export const DEFAULT_QUERY: SessionQuery = { status: "all", agent: "all", task: "all", search: "", sort: "created" };

export function statesOf(filter: StatusFilter): StatusState[] {
  if (filter === "all") return [];
  if (filter === "live") return ALL_STATES.filter((s) => STATUS_INFO[s].live);
  if (filter === "finished") return ALL_STATES.filter((s) => !STATUS_INFO[s].live);
  return [filter];
}

/** The same query as the backend's `SessionFilter`, for `list_sessions`. */
export function toSessionFilter(q: SessionQuery): SessionFilter {
  const search = q.search.trim();
  return {
    statuses: statesOf(q.status),
    agent: q.agent === "all" ? null : q.agent,
    origin: null,
    task_id: q.task === "all" || q.task === "none" ? null : q.task,
    search: search === "" ? null : search,
    sort: q.sort,
    limit: null,
    offset: 0,
  };
}

export function isDefaultQuery(q: SessionQuery): boolean {
  return q.status === "all" && q.agent === "all" && q.task === "all" && q.search.trim() === "";
}

export function matchesQuery(s: Session, q: SessionQuery): boolean {
  if (q.status !== "all") {
    const states = statesOf(q.status);
    if (!states.includes(s.status.state)) return false;
  }
  if (q.agent !== "all" && s.agent !== q.agent) return false;
  if (q.task === "none" && s.task_id !== null) return false;
  if (q.task !== "all" && q.task !== "none" && s.task_id !== q.task) return false;
  const needle = q.search.trim().toLowerCase();
  if (needle !== "") {
    const hay = `${s.title}\n${s.cwd}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

/** Most recent activity first, then newest first. */
export function compareByActivity(a: Session, b: Session): number {
  const byActivity = compareTimestamps(b.last_activity, a.last_activity);
  return byActivity !== 0 ? byActivity : compareSessions(a, b);
}

export function sortBy(list: readonly Session[], sort: SessionSort): Session[] {
  return [...list].sort(sort === "last_activity" ? compareByActivity : compareSessions);
}

/** The sessions the query selects, in its order. */
export function applyQuery(list: readonly Session[], q: SessionQuery): Session[] {
  return sortBy(
    list.filter((s) => matchesQuery(s, q)),
    q.sort,
  );
}

/** Task ids used by the sessions, sorted. */
export function taskIdsOf(list: readonly Session[]): string[] {
  const ids = new Set<string>();
  for (const s of list) if (s.task_id) ids.add(s.task_id);
  return [...ids].sort((a, b) => a.localeCompare(b));
}

/** Agents used by the sessions, in a fixed order. */
export function agentsOf(list: readonly Session[]): AgentKind[] {
  const used = new Set(list.map((s) => s.agent));
  return AGENT_KINDS.filter((a) => used.has(a));
}
