// A watch on a prefix, built from ZooKeeper's one-shot watches: a child watch on every
// directory and a data watch on every value node under the prefix, each re-armed by the read
// that follows its notification.
//
// Notifications say *that* something changed, not what; the reads that follow say what is
// there now, at the zxid of their reply. Reads are batched until quiet: a round of reads, then
// the reads for whatever was notified meanwhile, until nothing is pending. ZooKeeper sends a
// session's notifications in zxid order, each before any reply that reflects a later state, so
// once a round is quiet every change up to its highest reply zxid has been read. The round's
// events (puts at the node's mzxid, deletes at the directory's pzxid, which is the delete's
// zxid unless more children changed since) are then sorted and delivered, and the next round's
// changes are all newer.
//
// Changes between two reads of the same node collapse into one (ZooKeeper keeps no history):
// a watcher always reaches the current state, but may not see every step. After the session
// expires (its watches are gone) or when the watch starts, the whole prefix is read again and
// compared with what the watcher was told (resync.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import zookeeper, { type Event } from 'node-zookeeper-client';
import { EventDelivery } from '../common/delivery.js';
import { backoffMs } from '../common/retry.js';
import { startingEvents, type KeyJournal } from '../common/resync.js';
import type { KeyValue, Watch, WatchEvent, WatchOptions } from '../store.js';
import { childMatches, isValueNode, type KeyPaths } from './paths.js';
import { exists, getChildren, getData } from './requests.js';
import { Code, SessionExpiredError, ZkError, isTransient, zxidOf, type ZkSession } from './session.js';
import { toKeyValue } from './tree.js';

export interface WatchContext {
  /** The store's current session (after an expiry: the new one, once connected). */
  session(): Promise<ZkSession>;
  readonly paths: KeyPaths;
  readonly journal: KeyJournal;
  readonly requestTimeoutMs: number;
}

/** After this many rounds without a quiet moment, deliver anyway (a prefix that never rests). */
const MAX_ROUNDS = 20;

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

export class ZkWatch implements Watch {
  private readonly delivery: EventDelivery;
  private readonly scope: ReturnType<KeyPaths['scope']>;
  /** What the owner has been told: key → revision. */
  private readonly known = new Map<string, number>();
  /** The prefix as read: complete whenever no read is pending. */
  private readonly state = new Map<string, KeyValue>();
  /** Directories read (and watched), with their children as last read. */
  private readonly dirs = new Map<string, Set<string>>();
  /** Keys found gone in this round, with the revision to report. */
  private readonly gone = new Map<string, number>();
  private readonly pending = new Set<string>();
  private session: ZkSession | undefined;
  private pumping: Promise<void> | undefined;
  private roundZxid = 0;
  private started = false;
  private resyncNeeded = false;

  private readonly onChildren = (event: Event) => this.notified(event, 'children');
  private readonly onData = (event: Event) => this.notified(event, 'data');

  constructor(
    private readonly ctx: WatchContext,
    private readonly prefix: string,
    private readonly opts: WatchOptions,
    detach: (w: ZkWatch) => void,
  ) {
    this.scope = ctx.paths.scope(prefix);
    this.delivery = new EventDelivery(opts, () => detach(this));
  }

  /** Read the prefix (arming its watches) and queue the events since `fromRevision`. */
  async start(): Promise<void> {
    try {
      this.session = await this.ctx.session();
      this.pending.add(`d${this.scope.dir}`);
      await this.pump();
    } catch (err) {
      this.delivery.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.delivery.close();
  }

  /** The store replaced its expired session: every watch we had is gone with it. */
  sessionReplaced(): void {
    this.resyncNeeded = true;
    this.kick();
  }

  private notified(event: Event, kind: 'children' | 'data'): void {
    if (this.delivery.closed) return;
    const path = event.getPath();
    const type = event.getType();
    if (kind === 'children' || type === zookeeper.Event.NODE_CREATED) this.pending.add(`d${path}`);
    else if (type === zookeeper.Event.NODE_DATA_CHANGED) this.pending.add(`n${path}`);
    else this.pending.add(`d${parentOf(path)}`); // deleted: its directory's read says when
    this.kick();
  }

  private kick(): void {
    if (this.pumping || !this.started || this.delivery.closed) return;
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (let rounds = 0; !this.delivery.closed; rounds++) {
        if (this.resyncNeeded) await this.resync();
        if (this.pending.size === 0 || rounds >= MAX_ROUNDS) break;
        const tasks = [...this.pending];
        this.pending.clear();
        await Promise.all(tasks.map((task) => this.run(task)));
      }
      if (!this.delivery.closed) this.deliver();
    } catch (err) {
      if (!this.started) throw err;
      this.delivery.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.pumping = undefined;
      this.started = true;
      if (this.pending.size > 0 || this.resyncNeeded) this.kick();
    }
  }

  /** Forget every read and watch, and read the whole prefix again on the current session. */
  private async resync(): Promise<void> {
    this.resyncNeeded = false;
    this.session = await this.ctx.session();
    this.dirs.clear();
    this.state.clear();
    this.gone.clear();
    this.pending.clear();
    this.pending.add(`d${this.scope.dir}`);
  }

  private async run(task: string): Promise<void> {
    const path = task.slice(1);
    for (let attempt = 0; !this.delivery.closed; attempt++) {
      const session = this.session!;
      try {
        if (task.startsWith('d')) await this.readDir(session, path);
        else await this.readNode(session, path);
        return;
      } catch (err) {
        if (err instanceof SessionExpiredError || session.expired) {
          this.resyncNeeded = true;
          return;
        }
        if (!isTransient(err)) throw err;
        await sleep(backoffMs(attempt, 50, 1000));
      }
    }
  }

  private async readDir(session: ZkSession, dir: string): Promise<void> {
    const isTop = dir === this.scope.dir;
    let names: string[];
    let pzxid: number;
    try {
      const reply = await getChildren(session, dir, this.ctx.requestTimeoutMs, this.onChildren);
      this.saw(reply.zxid);
      names = isTop ? reply.value.names.filter((n) => childMatches(n, this.scope.partial)) : reply.value.names;
      pzxid = zxidOf(reply.value.stat.pzxid);
    } catch (err) {
      if (!(err instanceof ZkError) || err.code !== Code.NO_NODE) throw err;
      this.saw(err.zxid);
      this.removeUnder(dir, err.zxid);
      // The top directory may be created later: watch for it. (Deeper ones are announced by
      // their parent's child watch.)
      if (isTop) {
        const there = await exists(session, dir, this.ctx.requestTimeoutMs, this.onChildren);
        if (there.value) this.pending.add(`d${dir}`);
      }
      return;
    }
    const before = this.dirs.get(dir) ?? new Set<string>();
    const now = new Set(names);
    this.dirs.set(dir, now);
    for (const name of now) {
      if (before.has(name)) continue;
      this.pending.add(`${isValueNode(name) ? 'n' : 'd'}${dir}/${name}`);
    }
    for (const name of before) {
      if (now.has(name)) continue;
      if (isValueNode(name)) this.removeKey(`${dir}/${name}`, pzxid);
      else this.removeUnder(`${dir}/${name}`, pzxid);
    }
  }

  private async readNode(session: ZkSession, path: string): Promise<void> {
    const key = this.ctx.paths.key(path);
    if (key === undefined) return;
    try {
      const reply = await getData(session, path, this.ctx.requestTimeoutMs, this.onData);
      this.saw(reply.zxid);
      this.state.set(key, toKeyValue(key, reply.value));
    } catch (err) {
      if (!(err instanceof ZkError) || err.code !== Code.NO_NODE) throw err;
      // Gone already: its directory's child watch has fired too, and that read reports it.
      this.saw(err.zxid);
    }
  }

  private saw(zxid: number): void {
    if (zxid > this.roundZxid) this.roundZxid = zxid;
  }

  private removeKey(path: string, revision: number): void {
    const key = this.ctx.paths.key(path);
    if (key === undefined) return;
    this.state.delete(key);
    this.gone.set(key, revision);
  }

  private removeUnder(dir: string, revision: number): void {
    for (const d of [...this.dirs.keys()]) if (d === dir || d.startsWith(`${dir}/`)) this.dirs.delete(d);
    for (const key of [...this.state.keys()]) {
      if (this.ctx.paths.node(key).path.startsWith(`${dir}/`)) {
        this.state.delete(key);
        this.gone.set(key, revision);
      }
    }
  }

  /** Turn the quiet state into events for the owner (the first time: since fromRevision). */
  private deliver(): void {
    const floor = this.opts.fromRevision;
    let events: WatchEvent[];
    if (!this.started) {
      events = startingEvents(this.ctx.journal, this.prefix, floor, [...this.state.values()], this.roundZxid, this.known);
    } else {
      events = [];
      for (const kv of this.state.values()) {
        if (this.known.get(kv.key) === kv.revision) continue;
        this.known.set(kv.key, kv.revision);
        events.push({ type: 'put', kv, revision: kv.revision });
      }
      for (const key of [...this.known.keys()]) {
        if (this.state.has(key)) continue;
        this.known.delete(key);
        events.push({ type: 'delete', key, revision: this.gone.get(key) ?? this.roundZxid });
      }
      events = events.filter((e) => e.revision > floor).sort((a, b) => a.revision - b.revision);
    }
    this.gone.clear();
    for (const e of events) {
      if (e.type === 'put') this.ctx.journal.present(e.kv);
      else this.ctx.journal.deleted(e.key, e.revision);
    }
    this.delivery.push(events);
  }
}

