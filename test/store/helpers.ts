// Shared by the store tests: waiting without timing assertions, recording a watch, and running
// a store client in another OS process (child.ts) over an IPC channel.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Store, Watch, WatchEvent } from '../../src/store/store.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wait until `check` holds. The deadline is generous: it catches hangs, it measures nothing. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A watch that records every event and applies it to a key → value map. */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  readonly state: Map<string, string>;
  errors: Error[] = [];
  private watch: Watch | undefined;

  private constructor(initial: ReadonlyMap<string, string>) {
    this.state = new Map(initial);
  }

  static async start(store: Store, prefix: string, fromRevision: number, initial: ReadonlyMap<string, string> = new Map()) {
    const recorder = new WatchRecorder(initial);
    recorder.watch = await store.watch(prefix, {
      fromRevision,
      onEvents: (events) => recorder.apply(events),
      onError: (err) => recorder.errors.push(err),
    });
    return recorder;
  }

  get lastRevision(): number | undefined {
    return this.events.at(-1)?.revision;
  }

  /** Keys seen in events, in order, as "put:key" / "delete:key". */
  get trail(): string[] {
    return this.events.map((e) => `${e.type}:${e.type === 'put' ? e.kv.key : e.key}`);
  }

  async close(): Promise<void> {
    await this.watch?.close();
  }

  private apply(events: WatchEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      if (event.type === 'put') this.state.set(event.kv.key, event.kv.value);
      else this.state.delete(event.key);
    }
  }
}

/** The keys and values of a listing, for comparing final states. */
export async function snapshot(store: Store, prefix: string): Promise<Map<string, string>> {
  const listing = await store.list(prefix);
  return new Map(listing.items.map((kv) => [kv.key, kv.value]));
}

export function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

// --- child processes -------------------------------------------------------------------------

/**
 * A job for child.ts.
 * - race: watch `prefix`, wait for "go", increment `${prefix}counter` `times` times through
 *   updateJson (stalling `stallMs` inside each change, so the two children really race), write `${prefix}done-${id}`, then wait to see the other child's done key and
 *   the counter at `total`.
 * - write: create one key.
 */
export type ChildJob =
  | { readonly kind: 'race'; readonly id: string; readonly other: string; readonly times: number;
      readonly total: number; readonly prefix: string; readonly fromRevision: number;
      /** Stall inside each change for this long, widening the read-to-write window. */
      readonly stallMs: number }
  | { readonly kind: 'write'; readonly key: string; readonly value: string };

export interface ChildStart {
  /** The opener module (see StoreFactory.module) and its config. */
  readonly module: string;
  readonly config: unknown;
  readonly job: ChildJob;
}

export interface RaceResult {
  /** Counter values the child's watch saw, in order. */
  readonly seen: number[];
}

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly result: unknown }
  | { readonly type: 'error'; readonly message: string };

export interface ChildHandle {
  /** Resolves once the child has opened its store (and its watch, for a race). */
  readonly ready: Promise<void>;
  readonly result: Promise<unknown>;
  go(): void;
  /** Stop the child if it is still running (by its own handle, i.e. its PID). */
  stop(): void;
}

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

export function startChild(start: ChildStart): ChildHandle {
  const child: ChildProcess = fork(childScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') onReady();
      else if (message.type === 'done') resolve(message.result);
      else reject(new Error(`child ${child.pid} failed: ${message.message}`));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`child ${child.pid} exited early (${signal ?? code})`)));
  });
  // Fail `ready` too if the child dies first, so nobody waits forever on it.
  const readyOrFailed = Promise.race([ready, result.then(() => undefined)]);
  child.send(start);
  return {
    ready: readyOrFailed,
    result,
    go: () => child.send({ type: 'go' }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
