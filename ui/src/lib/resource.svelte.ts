/**
 * Data a view fetches from the backend: loading, loaded, or failed with a
 * readable message. A reload keeps showing the last data meanwhile, and only
 * the latest of overlapping loads is applied.
 */
import { errorMessage } from "./errors";

export class Resource<T> {
  data: T | null = $state(null);
  error: string | null = $state(null);
  loading = $state(false);
  #fetch: () => Promise<T>;
  #token: object = {};

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /** Never loaded successfully and not loading: the first load failed or has not run. */
  get failed(): boolean {
    return this.data === null && this.error !== null;
  }

  async load(): Promise<void> {
    const token = {};
    this.#token = token;
    this.loading = true;
    try {
      const data = await this.#fetch();
      if (token !== this.#token) return;
      this.data = data;
      this.error = null;
    } catch (err) {
      if (token !== this.#token) return;
      this.error = errorMessage(err);
    } finally {
      if (token === this.#token) this.loading = false;
    }
  }

  /** Forgets the data (e.g. the thing it was about is gone). */
  reset(): void {
    this.#token = {};
    this.data = null;
    this.error = null;
    this.loading = false;
  }
}
