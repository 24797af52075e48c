// One watch: filters the change-log rows the store's shared poller hands it, queues them as
// events, and delivers them in order, one awaited onEvents call at a time.
//
// It also keeps the set of keys under its prefix as of its cursor. That set is what lets it
// repair a gap: if the log was trimmed past the cursor before the poller read it (the process
// was paused while others wrote more than the log keeps), `resync` turns the current state
// into puts for whatever changed since the cursor and deletes for known keys that are gone.
import type { Watch, WatchEvent, WatchOptions } from '../store.js';
import { toKeyValue } from './keys.js';
import type { ChangeRow, KvRow } from './tables.js';

/** Cap on one onEvents call, so a long catch-up is not handed over as one huge array. */
const MAX_BATCH = 1000;

export interface WatchStart {
  /** Full key prefix (root included). */
  readonly prefix: string;
  readonly root: string;
  /** The caller's fromRevision: nothing at or below it is delivered. */
  readonly floor: number;
  /** The revision this watch has accounted for: later rows are still to come. */
  readonly cursor: number;
  /** Full keys under the prefix at `cursor`. */
  readonly known: Iterable<string>;
  /** Log rows under the prefix after `floor`, up to `cursor`: delivered first. */
  readonly backlog: readonly ChangeRow[];
}

export class SqliteWatch implements Watch {
  readonly prefix: string;
  private readonly root: string;
  private readonly floor: number;
  private cursor: number;
  private known: Set<string>;
  private queue: WatchEvent[] = [];
  private delivering = false;
  private closed = false;

  constructor(start: WatchStart, private readonly opts: WatchOptions, private readonly detach: (w: SqliteWatch) => void) {
    this.prefix = start.prefix;
    this.root = start.root;
    this.floor = start.floor;
    this.cursor = start.cursor;
    this.known = new Set(start.known);
    this.enqueue(start.backlog.map((row) => this.toEvent(row)));
  }

  /** True if changes after this watch's cursor may already be trimmed from the log. */
  missed(compacted: number): boolean {
    return this.cursor < compacted;
  }

  /** Take the log rows after the cursor (any prefix, in revision order), then stand at `revision`. */
  offer(rows: readonly ChangeRow[], revision: number): void {
    const events: WatchEvent[] = [];
    for (const row of rows) {
      if (row.revision <= this.cursor || !row.key.startsWith(this.prefix)) continue;
      if (row.type === 'put') this.known.add(row.key);
      else this.known.delete(row.key);
      if (row.revision > this.floor) events.push(this.toEvent(row));
    }
    this.cursor = Math.max(this.cursor, revision);
    this.enqueue(events);
  }

  /**
   * Repair a gap from the current state (`current`: every key under the prefix at `revision`).
   * Puts keep their own revisions; a delete's true revision is gone with the log, so deletes
   * carry `revision` and come last. The watcher reaches the right state, not every step.
   */
  resync(current: readonly KvRow[], revision: number): void {
    const events: WatchEvent[] = [];
    const present = new Set<string>();
    for (const row of [...current].sort((a, b) => a.revision - b.revision)) {
      present.add(row.key);
      if (row.revision > this.cursor && row.revision > this.floor) {
        events.push({ type: 'put', kv: toKeyValue(row, this.root), revision: row.revision });
      }
    }
    if (revision > this.floor) {
      for (const key of this.known) {
        if (!present.has(key)) events.push({ type: 'delete', key: key.slice(this.root.length), revision });
      }
    }
    this.known = present;
    this.cursor = Math.max(this.cursor, revision);
    this.enqueue(events);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.detach(this);
  }

  /** The watch broke: stop, and tell the caller to relist. */
  fail(error: Error): void {
    if (this.closed) return;
    void this.close();
    // Without onError the error is thrown (an unhandled rejection), loudly, rather than the
    // caller silently missing events.
    if (this.opts.onError === undefined) throw error;
    this.opts.onError(error);
  }

  private toEvent(row: ChangeRow): WatchEvent {
    if (row.type === 'delete') return { type: 'delete', key: row.key.slice(this.root.length), revision: row.revision };
    return { type: 'put', kv: toKeyValue({ ...row, value: row.value ?? '' }, this.root), revision: row.revision };
  }

  private enqueue(events: WatchEvent[]): void {
    if (this.closed || events.length === 0) return;
    for (const event of events) this.queue.push(event); // no spread: catch-ups can be long
    if (this.delivering) return;
    this.delivering = true;
    // Deliver from a fresh macrotask: never inside the poll or before watch() has returned,
    // so a handler can already use the Watch it was given.
    setImmediate(() => void this.deliver());
  }

  private async deliver(): Promise<void> {
    try {
      while (!this.closed && this.queue.length > 0) {
        await this.opts.onEvents(this.queue.splice(0, MAX_BATCH));
      }
    } catch (err) {
      // The handler failed part-way, so the caller's view is unknown: going on as if the
      // batch had been applied would be wrong.
      this.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.delivering = false;
    }
  }
}
