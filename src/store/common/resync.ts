// Watching a store that keeps no history (ZooKeeper) or only answers "what is there now"
// (Consul's blocking queries): events are derived by comparing states, not replayed from a log.
//
// - A running watch keeps what it last told its owner (key → revision) and turns each new state
//   into puts for keys that are new or changed and deletes for keys that are gone.
// - A new watch asked to start at an older revision compares today's state with what this store
//   client has itself seen (the KeyJournal: every get, list, write and watch event): keys it saw
//   present and that are gone now are reported deleted. Keys this client never saw cannot be,
//   so "resuming" is judged by the state the watcher reaches, not by the exact events (the
//   conformance suite judges it that way too).
import type { KeyValue, WatchEvent } from '../store.js';

/**
 * Events taking a watcher from `known` (key → revision it was told) to `current` (every key
 * under its prefix, read at `revision`): puts in revision order, then deletes at `revision`.
 * Only changes after `floor` are reported. `known` is updated in place.
 */
export function diffToEvents(
  known: Map<string, number>, current: readonly KeyValue[], revision: number, floor: number,
): WatchEvent[] {
  const events: WatchEvent[] = [];
  const present = new Set<string>();
  for (const kv of [...current].sort((a, b) => a.revision - b.revision)) {
    present.add(kv.key);
    if (known.get(kv.key) === kv.revision) continue;
    known.set(kv.key, kv.revision);
    if (kv.revision > floor) events.push({ type: 'put', kv, revision: kv.revision });
  }
  for (const key of [...known.keys()]) {
    if (present.has(key)) continue;
    known.delete(key);
    if (revision > floor) events.push({ type: 'delete', key, revision });
  }
  return events;
}

interface Seen {
  readonly revision: number;
  readonly present: boolean;
}

/** How many deleted keys the journal remembers before it forgets the oldest half. */
const MAX_TOMBSTONES = 20_000;

/** What one store client has seen of each key, so a watch resumed at a revision can infer deletes. */
export class KeyJournal {
  private readonly seen = new Map<string, Seen>();
  private tombstones = 0;
  /** Deletes at or below this revision may have been forgotten. */
  private forgottenUpTo = 0;

  get floor(): number {
    return this.forgottenUpTo;
  }

  present(kv: KeyValue): void {
    this.record(kv.key, { revision: kv.revision, present: true });
  }

  deleted(key: string, revision: number): void {
    this.record(key, { revision, present: false });
  }

  /** A listing of `prefix` at `revision`: its keys are there, every other key under it is not. */
  listing(prefix: string, items: readonly KeyValue[], revision: number): void {
    const listed = new Set<string>();
    for (const kv of items) {
      listed.add(kv.key);
      this.present(kv);
    }
    for (const [key, seen] of this.seen) {
      if (seen.present && key.startsWith(prefix) && !listed.has(key)) this.deleted(key, revision);
    }
  }

  /**
   * Keys under `prefix` a watcher at `fromRevision` may still believe present, with the revision
   * to report their deletion at if they are gone now (undefined: unknown, use the read's).
   */
  believedPresent(prefix: string, fromRevision: number): Map<string, number | undefined> {
    const out = new Map<string, number | undefined>();
    for (const [key, seen] of this.seen) {
      if (!key.startsWith(prefix)) continue;
      if (seen.present) out.set(key, undefined);
      else if (seen.revision > fromRevision) out.set(key, seen.revision);
    }
    return out;
  }

  private record(key: string, next: Seen): void {
    const before = this.seen.get(key);
    if (before && before.revision > next.revision) return; // an older answer arriving late
    if (before && !before.present) this.tombstones--;
    if (!next.present) this.tombstones++;
    this.seen.set(key, next);
    if (this.tombstones > MAX_TOMBSTONES) this.forgetOldTombstones();
  }

  private forgetOldTombstones(): void {
    const dead = [...this.seen].filter(([, s]) => !s.present).sort((a, b) => a[1].revision - b[1].revision);
    for (const [key, s] of dead.slice(0, dead.length / 2)) {
      this.seen.delete(key);
      this.tombstones--;
      this.forgottenUpTo = Math.max(this.forgottenUpTo, s.revision);
    }
  }
}

/**
 * The first events of a watch started at `fromRevision` on a store without history: puts for
 * keys changed since, deletes for keys the journal believed present that are gone. `known` is
 * filled with the current state.
 */
export function startingEvents(
  journal: KeyJournal, prefix: string, fromRevision: number, current: readonly KeyValue[], revision: number,
  known: Map<string, number>,
): WatchEvent[] {
  const events: WatchEvent[] = [];
  const present = new Set(current.map((kv) => kv.key));
  for (const kv of [...current].sort((a, b) => a.revision - b.revision)) {
    known.set(kv.key, kv.revision);
    if (kv.revision > fromRevision) events.push({ type: 'put', kv, revision: kv.revision });
  }
  const deletes: WatchEvent[] = [];
  for (const [key, at] of journal.believedPresent(prefix, fromRevision)) {
    if (present.has(key)) continue;
    const rev = Math.min(at ?? revision, revision);
    if (rev > fromRevision) deletes.push({ type: 'delete', key, revision: rev });
  }
  return [...events, ...deletes].sort((a, b) => a.revision - b.revision);
}

export class WatchCompactedError extends Error {
  constructor(description: string, fromRevision: number, oldest?: number) {
    super(`cannot watch ${description} from revision ${fromRevision}: ` +
      `${oldest === undefined ? 'that history is gone' : `history before revision ${oldest} is gone`}; ` +
      'list again and watch from the listing\'s revision');
    this.name = 'WatchCompactedError';
  }
}
