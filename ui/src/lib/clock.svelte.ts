/** A coarse "now" for relative times ("2 min ago"), ticking while started. */
class Clock {
  now: number = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Starts ticking; returns a function that stops it. */
  start(intervalMs = 15_000): () => void {
    this.now = Date.now();
    if (this.#timer === null) {
      this.#timer = setInterval(() => {
        this.now = Date.now();
      }, intervalMs);
    }
    return () => {
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
    };
  }
}

export const clock = new Clock();
