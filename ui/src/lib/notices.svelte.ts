/** App-wide transient messages (e.g. "Could not end session: …"). */
export type Notice = { id: number; kind: "error" | "info"; message: string };

class Notices {
  items: Notice[] = $state([]);
  #next = 1;

  error(message: string): void {
    this.#push("error", message);
  }

  info(message: string): void {
    this.#push("info", message);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  #push(kind: Notice["kind"], message: string): void {
    const notice = { id: this.#next++, kind, message };
    // Keep the last few only.
    this.items = [...this.items.slice(-2), notice];
  }
}

export const notices = new Notices();
