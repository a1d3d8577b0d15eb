// A job queue with a fixed pool of workers: batch generation runs here, off
// the request path, and its length is what backs up in an incident.

export class JobQueue {
  #waiting = [];
  #busy = 0;

  /**
   * @param {number} workers how many jobs run at once
   * @param {(job: object) => Promise<void>} work what a worker does with a job
   */
  constructor(workers, work) {
    this.workers = workers;
    this.work = work;
  }

  get length() {
    return this.#waiting.length;
  }

  push(job) {
    this.#waiting.push(job);
    this.#drain();
  }

  #drain() {
    while (this.#busy < this.workers && this.#waiting.length > 0) {
      const job = this.#waiting.shift();
      this.#busy++;
      this.work(job)
        .catch(() => {
          // The worker records its own failures; the queue only keeps going.
        })
        .finally(() => {
          this.#busy--;
          this.#drain();
        });
    }
  }
}
