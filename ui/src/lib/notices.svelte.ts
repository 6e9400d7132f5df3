/** App-wide transient messages (e.g. "Could not end session: …"). */
export type Notice = { id: number; kind: "error" | "info"; message: string };

class Notices {
  items: Notice[] = $state([]);
  #next = 1;

  /** Returns the notice's id, so that the error can be taken back once it no longer holds. */
  error(message: string): number {
    return this.#push("error", message);
  }

  /** Informational notices go away by themselves after a few seconds. */
  info(message: string, ttlMs = 5000): void {
    const id = this.#push("info", message);
    if (ttlMs > 0) setTimeout(() => this.dismiss(id), ttlMs);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  #push(kind: Notice["kind"], message: string): number {
    const notice = { id: this.#next++, kind, message };
    // Keep the last few only.
    this.items = [...this.items.slice(-2), notice];
    return notice.id;
  }
}

export const notices = new Notices();
