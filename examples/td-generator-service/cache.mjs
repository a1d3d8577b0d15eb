// A small LRU cache in front of the document store, the way fetches are served.

export class LruCache {
  #entries = new Map();

  constructor(capacity) {
    this.capacity = capacity;
  }

  /** The cached value, or undefined on a miss; a hit becomes the most recent. */
  get(key) {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key, value) {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value);
    }
  }
}
