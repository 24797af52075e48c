// The handful of ZooKeeper requests the backend makes, on a ZkSession, with their reply zxids.
import zookeeper, { type Exception, type OpResult, type Stat, type Watcher } from 'node-zookeeper-client';
import { ZkError, type Reply, type ZkSession } from './session.js';

export interface NodeData {
  readonly data: Buffer;
  readonly stat: Stat;
}

export interface Children {
  readonly names: string[];
  readonly stat: Stat;
}

export type Op =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer | null; readonly ephemeral: boolean }
  | { readonly op: 'set'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly op: 'remove'; readonly path: string; readonly version: number };

/** A multi's answer: applied, or refused by op `failed` with `error` (nothing applied). */
export type MultiResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly failed: number; readonly error: ZkError };

export function getData(s: ZkSession, path: string, timeoutMs: number, watcher?: Watcher): Promise<Reply<NodeData>> {
  return s.request<NodeData>((c, done) => c.getData(path, watcher, (err, data, stat) => done(err, { data: data ?? Buffer.alloc(0), stat })), timeoutMs);
}

export function getChildren(s: ZkSession, path: string, timeoutMs: number, watcher?: Watcher): Promise<Reply<Children>> {
  return s.request<Children>((c, done) => c.getChildren(path, watcher, (err, names, stat) => done(err, { names, stat })), timeoutMs);
}

/** The node's stat, or null; with a watcher, an existence watch is left either way. */
export function exists(s: ZkSession, path: string, timeoutMs: number, watcher?: Watcher): Promise<Reply<Stat | null>> {
  return s.request<Stat | null>((c, done) => c.exists(path, watcher, (err, stat) => done(err, stat)), timeoutMs);
}

export function createDir(s: ZkSession, path: string, timeoutMs: number): Promise<Reply<string>> {
  return s.request<string>((c, done) => c.create(path, null, zookeeper.CreateMode.PERSISTENT, done), timeoutMs);
}

export function remove(s: ZkSession, path: string, timeoutMs: number): Promise<Reply<null>> {
  return s.request<null>((c, done) => c.remove(path, -1, (err) => done(err, null)), timeoutMs);
}

export function touch(s: ZkSession, path: string, data: Buffer, timeoutMs: number): Promise<Reply<Stat>> {
  return s.request<Stat>((c, done) => c.setData(path, data, -1, done), timeoutMs);
}

export function multi(s: ZkSession, ops: readonly Op[], timeoutMs: number): Promise<Reply<MultiResult>> {
  return s.request<MultiResult>((c, done) => {
    const txn = c.transaction();
    for (const o of ops) {
      if (o.op === 'create') txn.create(o.path, o.data, o.ephemeral ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT);
      else if (o.op === 'set') txn.setData(o.path, o.data, o.version);
      else txn.remove(o.path, o.version);
    }
    // The library's transaction turns version 0 into -1 ("any version") with `version || -1`,
    // which would make a swap of a node never changed since its creation unconditional.
    const queued = (txn as unknown as { ops: { version?: number }[] }).ops;
    ops.forEach((o, i) => {
      if (o.op !== 'create') queued[i]!.version = o.version;
    });
    txn.commit((err: Exception | null, results: OpResult[] | undefined) => {
      if (!results) {
        done(err, { ok: true }); // no answer at all (connection lost): request() rejects with err
        return;
      }
      const failed = results.findIndex((r) => r.err !== undefined && r.err !== 0);
      if (failed < 0) done(null, { ok: true });
      else done(null, { ok: false, failed, error: new ZkError(results[failed]!.err!, err?.getName() ?? 'multi failed') });
    });
  }, timeoutMs);
}
