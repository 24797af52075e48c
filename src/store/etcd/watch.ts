// One watch on one gRPC stream. etcd keeps history, so after a broken stream the watch is
// created again from the revision after the last one it delivered: nothing missed, nothing
// repeated (events at or below that revision are dropped if a member sends them again).
//
// We track that revision ourselves from the events, not from response headers: etcd3's own
// Watcher resumes from header.revision + 1, which skips events when the stream breaks while a
// catching-up watcher is still being sent older revisions (a delayed response carries the
// current revision in its header), or right after the "created" response. Progress
// notifications are not used to move forward either, for the same reason.
//
// If the history we need has been compacted away, the watch fails (onError) and the owner relists.
import { castGrpcError, type IDuplexStream, type IWatchRequest, type IWatchResponse, type WatchClient } from 'etcd3';
import { EventDelivery } from '../common/delivery.js';
import { backoffMs, retrying } from '../common/retry.js';
import { WatchCompactedError } from '../common/resync.js';
import { StoreUnavailableError, type Watch, type WatchEvent, type WatchOptions } from '../store.js';
import { isTransient } from './client.js';
import { revisionOf, toKeyValue, type ByteRange } from './keys.js';

export interface WatchRpc {
  readonly client: WatchClient;
  readonly keyspace: string;
  readonly description: string;
  /** How long watch() keeps trying to reach a member before it rejects. */
  readonly deadlineMs: number;
}

type Stream = IDuplexStream<IWatchRequest, IWatchResponse>;

class StreamBrokenError extends Error {
  constructor(why: string) {
    super(`watch stream broke: ${why}`);
    this.name = 'StreamBrokenError';
  }
}

export class EtcdWatch implements Watch {
  private readonly delivery: EventDelivery;
  /** The last revision delivered (or the caller's starting point): resume after it. */
  private cursor: number;
  private stream: Stream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly rpc: WatchRpc,
    private readonly range: ByteRange,
    opts: WatchOptions,
    detach: (w: EtcdWatch) => void,
  ) {
    this.cursor = opts.fromRevision;
    this.delivery = new EventDelivery(opts, () => {
      clearTimeout(this.retryTimer);
      this.stream?.cancel();
      this.stream = undefined;
      detach(this);
    });
  }

  /** Resolves once etcd has created the watch; rejects if the start revision is compacted. */
  async start(): Promise<void> {
    try {
      await retrying(() => this.open(), {
        deadlineMs: this.rpc.deadlineMs,
        retryable: (err) => isTransient(err) || err instanceof StreamBrokenError,
      });
    } catch (err) {
      this.delivery.close();
      if (err instanceof WatchCompactedError) throw err;
      throw new StoreUnavailableError(this.rpc.description, err);
    }
  }

  async close(): Promise<void> {
    this.delivery.close();
  }

  private async open(): Promise<void> {
    const stream = await this.rpc.client.watch();
    if (this.delivery.closed) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    await new Promise<void>((resolve, reject) => {
      let created = false;
      const broke = (err: Error) => {
        if (this.stream !== stream) return; // an old stream, already replaced or closed
        this.stream = undefined;
        stream.cancel();
        if (!created) reject(err);
        else this.reconnectLater(err);
      };
      stream.on('error', (err) => broke(castGrpcError(err)));
      stream.on('end', () => broke(new StreamBrokenError('the member ended it')));
      stream.on('data', (res) => {
        if (this.stream !== stream) return;
        if (res.canceled) {
          const compacted = revisionOf(res.compact_revision);
          if (compacted > 0) {
            const err = new WatchCompactedError(this.rpc.description, this.cursor + 1, compacted);
            this.stream = undefined;
            stream.cancel();
            if (!created) reject(err);
            else this.delivery.fail(err);
            return;
          }
          broke(new StreamBrokenError(res.cancel_reason || 'canceled by the member'));
          return;
        }
        if (res.created && !created) {
          created = true;
          this.failures = 0;
          resolve();
        }
        this.take(res);
      });
      stream.write({
        create_request: { ...this.range, start_revision: this.cursor + 1, progress_notify: false },
      });
    });
  }

  private take(res: IWatchResponse): void {
    const events: WatchEvent[] = [];
    for (const ev of res.events) {
      const revision = revisionOf(ev.kv.mod_revision);
      if (revision <= this.cursor) continue; // sent again after a reconnect
      const kv = toKeyValue(ev.kv, this.rpc.keyspace);
      events.push(ev.type === 'Delete' ? { type: 'delete', key: kv.key, revision } : { type: 'put', kv, revision });
    }
    // A revision is never split across responses (no fragmenting), so everything up to the
    // last event's revision has now been seen.
    if (events.length > 0) this.cursor = events.at(-1)!.revision;
    this.delivery.push(events);
  }

  /** A running watch outlives store outages: it keeps trying, with backoff, until it gets through. */
  private reconnectLater(why: Error): void {
    if (this.delivery.closed) return;
    const wait = backoffMs(this.failures++, 100, 2000);
    this.retryTimer = setTimeout(() => {
      this.open().catch((err: unknown) => {
        if (err instanceof WatchCompactedError) this.delivery.fail(err);
        else if (isTransient(err) || err instanceof StreamBrokenError) this.reconnectLater(err as Error);
        else this.delivery.fail(err instanceof Error ? err : new Error(String(err), { cause: why }));
      });
    }, wait);
  }
}
