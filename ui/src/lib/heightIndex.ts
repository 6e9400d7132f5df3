/**
 * Heights of a long list's rows with fast offset ↔ index look-ups, for the
 * virtual list. Rows are grouped in blocks whose sums are kept, so a height
 * change or an append is O(1) and a look-up is O(n / BLOCK + BLOCK)
 * (≈ 900 additions for 100k rows), with no rebuild on every measurement.
 */
const BLOCK = 128;

export class HeightIndex {
  #heights: number[] = [];
  #blocks: number[] = [];
  #total = 0;

  constructor(heights: readonly number[] = []) {
    this.reset(heights);
  }

  get count(): number {
    return this.#heights.length;
  }

  get total(): number {
    return this.#total;
  }

  reset(heights: readonly number[]): void {
    this.#heights = [];
    this.#blocks = [];
    this.#total = 0;
    for (const h of heights) this.push(h);
  }

  push(height: number): void {
    const h = sane(height);
    const i = this.#heights.length;
    this.#heights.push(h);
    const b = Math.floor(i / BLOCK);
    if (b === this.#blocks.length) this.#blocks.push(0);
    this.#blocks[b] = (this.#blocks[b] ?? 0) + h;
    this.#total += h;
  }

  /** Drops rows from `count` on. */
  truncate(count: number): void {
    if (count >= this.#heights.length) return;
    this.reset(this.#heights.slice(0, Math.max(0, count)));
  }

  get(i: number): number {
    return this.#heights[i] ?? 0;
  }

  /** Sets row i's height; returns the change. */
  set(i: number, height: number): number {
    if (i < 0 || i >= this.#heights.length) return 0;
    const h = sane(height);
    const delta = h - (this.#heights[i] as number);
    if (delta === 0) return 0;
    this.#heights[i] = h;
    const b = Math.floor(i / BLOCK);
    this.#blocks[b] = (this.#blocks[b] as number) + delta;
    this.#total += delta;
    return delta;
  }

  /** Top of row i (the sum of the heights before it); `count` gives the total. */
  offsetOf(i: number): number {
    if (i <= 0) return 0;
    if (i >= this.#heights.length) return this.#total;
    const b = Math.floor(i / BLOCK);
    let sum = 0;
    for (let k = 0; k < b; k += 1) sum += this.#blocks[k] as number;
    for (let k = b * BLOCK; k < i; k += 1) sum += this.#heights[k] as number;
    return sum;
  }

  /** The row that contains `offset` (clamped to the first and the last row). */
  indexAt(offset: number): number {
    const n = this.#heights.length;
    if (n === 0) return 0;
    if (offset <= 0) return 0;
    if (offset >= this.#total) return n - 1;
    let sum = 0;
    let b = 0;
    while (b < this.#blocks.length && sum + (this.#blocks[b] as number) <= offset) {
      sum += this.#blocks[b] as number;
      b += 1;
    }
    let i = b * BLOCK;
    while (i < n - 1 && sum + (this.#heights[i] as number) <= offset) {
      sum += this.#heights[i] as number;
      i += 1;
    }
    return i;
  }
}

function sane(h: number): number {
  return Number.isFinite(h) && h > 0 ? h : 0;
}
