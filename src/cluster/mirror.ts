// A local, always-current copy of every record under one store prefix: list once, then watch
// from the listing's revision. Subscribers get one callback per change, in revision order.
//
// `catchUp(subprefix)` is the race-free join of DESIGN.md: it re-lists part of the prefix at
// the store's *current* revision, so a caller can act on state that is at least as new as the
// moment it asked, without waiting for the watch to deliver. Events the watch delivers later for
// revisions at or below that listing are then stale and are ignored (a per-key revision and a
// per-subprefix floor), so the mirror never moves backwards.
import type { KeyValue, Store, Watch, WatchEvent } from '../store/store.js';

export interface MirrorChange<T> {
  readonly key: string;
  /** New value; undefined when the key was deleted. */
  readonly value: T | undefined;
  /** Value before the change; undefined when the key is new. */
  readonly previous: T | undefined;
}

export type MirrorListener<T> = (change: MirrorChange<T>) => void;

export class StoreMirror<T> {
  private readonly entries = new Map<string, { value: T; revision: number }>();
  /** Last revision applied per key, deletes included, so late events never undo newer state. */
  private readonly seen = new Map<string, number>();
  private readonly floors = new Map<string, number>();
  private readonly listeners = new Set<MirrorListener<T>>();
  private watch: Watch | undefined;

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly decode: (kv: KeyValue) => T,
    private readonly onWatchError: (err: Error) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const listing = await this.store.list(this.prefix);
    for (const kv of listing.items) this.apply(kv.key, kv.revision, this.decodeSafe(kv));
    this.watch = await this.store.watch(this.prefix, {
      fromRevision: listing.revision,
      onEvents: (events) => this.onEvents(events),
      onError: (err) => this.onWatchError(err),
    });
  }

  async close(): Promise<void> {
    await this.watch?.close();
    this.watch = undefined;
  }

  subscribe(listener: MirrorListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  values(subprefix = this.prefix): T[] {
    const out: T[] = [];
    for (const [key, e] of this.entries) if (key.startsWith(subprefix)) out.push(e.value);
    return out;
  }

  /**
   * Apply records this process has just written (with the revisions the store gave them), without
   * waiting for the watch to bring them back: a caller then sees its own write at once.
   */
  record(written: readonly KeyValue[]): void {
    for (const kv of written) if (kv.key.startsWith(this.prefix)) this.apply(kv.key, kv.revision, this.decodeSafe(kv));
  }

  /** Re-list `subprefix` at the store's current revision and apply it before returning. */
  async catchUp(subprefix: string): Promise<T[]> {
    const listing = await this.store.list(subprefix);
    const present = new Set<string>();
    for (const kv of listing.items) {
      present.add(kv.key);
      this.apply(kv.key, kv.revision, this.decodeSafe(kv));
    }
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(subprefix) && !present.has(key)) this.apply(key, listing.revision, undefined);
    }
    this.floors.set(subprefix, Math.max(this.floors.get(subprefix) ?? 0, listing.revision));
    return this.values(subprefix);
  }

  private onEvents(events: WatchEvent[]): void {
    for (const ev of events) {
      const key = ev.type === 'put' ? ev.kv.key : ev.key;
      if (ev.revision <= this.floorFor(key)) continue;
      this.apply(key, ev.revision, ev.type === 'put' ? this.decodeSafe(ev.kv) : undefined);
    }
  }

  private floorFor(key: string): number {
    let floor = 0;
    for (const [sub, rev] of this.floors) if (key.startsWith(sub) && rev > floor) floor = rev;
    return floor;
  }

  private apply(key: string, revision: number, value: T | undefined): void {
    if (revision <= (this.seen.get(key) ?? 0)) return;
    this.seen.set(key, revision);
    const previous = this.entries.get(key)?.value;
    if (value === undefined) {
      if (!this.entries.delete(key)) return;
    } else {
      this.entries.set(key, { value, revision });
    }
    for (const l of this.listeners) l({ key, value, previous });
  }

  private decodeSafe(kv: KeyValue): T | undefined {
    try {
      return this.decode(kv);
    } catch (err) {
      this.onWatchError(new Error(`undecodable record at ${kv.key}: ${(err as Error).message}`));
      return undefined;
    }
  }
}
