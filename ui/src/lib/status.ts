import type { SessionStatus } from "./bindings/SessionStatus";
import { LIVE_STATES } from "./contract";

export type StatusState = SessionStatus["state"];

/** The colour family a status is drawn in (see the --status-* CSS variables). */
export type StatusTone = "green" | "amber" | "red" | "blue" | "slate" | "violet" | "grey";

type StatusInfo = { label: string; tone: StatusTone; live: boolean; summary: string };

/** How each status is drawn; which are live comes from the backend (`LIVE_STATES`). */
const STATUS_LOOK: Record<StatusState, Omit<StatusInfo, "live">> = {
  starting: { label: "Starting", tone: "blue", summary: "starting" },
  running: { label: "Running", tone: "green", summary: "running" },
  idle: { label: "Idle", tone: "slate", summary: "idle" },
  waiting_input: { label: "Waiting", tone: "amber", summary: "waiting" },
  compacting: { label: "Compacting", tone: "violet", summary: "compacting" },
  ended: { label: "Ended", tone: "grey", summary: "ended" },
  error: { label: "Failed", tone: "red", summary: "failed" },
  expired: { label: "Expired", tone: "grey", summary: "expired" },
  interrupted: { label: "Interrupted", tone: "grey", summary: "interrupted" },
};

export const STATUS_INFO = Object.fromEntries(
  Object.entries(STATUS_LOOK).map(([state, look]) => [state, { ...look, live: (LIVE_STATES as readonly string[]).includes(state) }]),
) as Record<StatusState, StatusInfo>;

export const ALL_STATES = Object.keys(STATUS_INFO) as StatusState[];

export function statusInfo(state: string): StatusInfo {
  return (
    (STATUS_INFO as Record<string, StatusInfo | undefined>)[state] ?? {
      label: state,
      tone: "grey",
      live: false,
      summary: state,
    }
  );
}

/** A live session can still be ended from the UI. */
export function isLive(status: SessionStatus): boolean {
  return statusInfo(status.state).live;
}

export type StatusCounts = Record<StatusState, number>;

export function emptyCounts(): StatusCounts {
  const counts = {} as StatusCounts;
  for (const s of ALL_STATES) counts[s] = 0;
  return counts;
}

export type CountItem = { key: string; count: number; label: string; tone: StatusTone };

/** Order in which the top bar lists the non-zero counts. */
const SUMMARY_ORDER: StatusState[] = [
  "running",
  "waiting_input",
  "starting",
  "compacting",
  "idle",
  "error",
];
const FINISHED: StatusState[] = ["ended", "expired", "interrupted"];

/** e.g. [2 running, 1 waiting, 1 failed, 3 ended]; empty when there are no sessions. */
export function summarizeCounts(counts: StatusCounts): CountItem[] {
  const items: CountItem[] = [];
  for (const state of SUMMARY_ORDER) {
    const count = counts[state];
    if (count > 0) {
      const info = STATUS_INFO[state];
      items.push({ key: state, count, label: `${count} ${info.summary}`, tone: info.tone });
    }
  }
  const finished = FINISHED.reduce((sum, s) => sum + counts[s], 0);
  if (finished > 0) {
    items.push({ key: "finished", count: finished, label: `${finished} ended`, tone: "grey" });
  }
  return items;
}

export function countsText(counts: StatusCounts): string {
  const items = summarizeCounts(counts);
  return items.length === 0 ? "No sessions" : items.map((i) => i.label).join(" · ");
}
