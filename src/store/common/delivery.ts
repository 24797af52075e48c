// Handing a watch's events to its owner: in order, in batches, one awaited onEvents call at a
// time, never synchronously inside whatever produced them (a handler can already use the Watch
// it was given). Shared by the server backends; sqlite/watch.ts does the same for its poller.
import type { WatchEvent, WatchOptions } from '../store.js';

/** Cap on one onEvents call, so a long catch-up is not handed over as one huge array. */
const MAX_BATCH = 1000;

export class EventDelivery {
  private queue: WatchEvent[] = [];
  private delivering = false;
  private done = false;

  /** `onStop` runs once when delivery stops, by close() or by a failure. */
  constructor(private readonly opts: WatchOptions, private readonly onStop: () => void) {}

  get closed(): boolean {
    return this.done;
  }

  push(events: readonly WatchEvent[]): void {
    if (this.done || events.length === 0) return;
    for (const event of events) this.queue.push(event); // no spread: catch-ups can be long
    if (this.delivering) return;
    this.delivering = true;
    setImmediate(() => void this.deliver());
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.onStop();
  }

  /** The watch broke: stop, and tell the owner to relist (or throw, loudly, if nobody listens). */
  fail(error: Error): void {
    if (this.done) return;
    this.close();
    if (this.opts.onError === undefined) throw error;
    this.opts.onError(error);
  }

  private async deliver(): Promise<void> {
    try {
      while (!this.done && this.queue.length > 0) {
        await this.opts.onEvents(this.queue.splice(0, MAX_BATCH));
      }
    } catch (err) {
      // The handler failed part-way, so the owner's view is unknown: going on would be wrong.
      this.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.delivering = false;
    }
  }
}
