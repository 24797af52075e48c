// A watch is a loop of blocking queries on the prefix (GET /v1/kv/<prefix>?recurse&index=N):
// each answer is the whole prefix as of a newer index, compared with what the owner was told
// (resync.ts) into puts (at each key's ModifyIndex) and deletes (at the answer's index). Every
// change after one answer has a higher index than it, so events come in revision order.
//
// A failing agent is retried with backoff, not in a tight loop. An index that goes backwards
// (Consul documents it for a restored snapshot) breaks the watch: revisions before and after
// are no longer comparable, so the owner is told (onError) and relists.
import { setTimeout as sleep } from 'node:timers/promises';
import { EventDelivery } from '../common/delivery.js';
import { backoffMs } from '../common/retry.js';
import { diffToEvents, startingEvents, type KeyJournal } from '../common/resync.js';
import type { KeyValue, Watch, WatchOptions } from '../store.js';
import type { Answer, ConsulEntry, ConsulHttp } from './http.js';

export interface WatchContext {
  readonly http: ConsulHttp;
  readonly journal: KeyJournal;
  /** Consul key of the prefix (keyspace included). */
  readonly consulPrefix: string;
  toKeyValue(entry: ConsulEntry): KeyValue;
  /** Longest wait of one blocking query. */
  readonly waitSeconds: number;
}

export class ConsulWatch implements Watch {
  private readonly delivery: EventDelivery;
  private readonly known = new Map<string, number>();
  private index = 0;

  constructor(private readonly ctx: WatchContext, private readonly prefix: string, private readonly opts: WatchOptions, detach: (w: ConsulWatch) => void) {
    this.delivery = new EventDelivery(opts, () => detach(this));
  }

  /** The first (non-blocking) read: events since fromRevision; then the loop runs on its own. */
  async start(): Promise<void> {
    let first: Answer<ConsulEntry[]>;
    try {
      first = await this.ctx.http.list(this.ctx.consulPrefix);
    } catch (err) {
      this.delivery.close();
      throw err;
    }
    const items = first.body.map((e) => this.ctx.toKeyValue(e));
    this.index = first.index;
    this.delivery.push(this.record(startingEvents(this.ctx.journal, this.prefix, this.opts.fromRevision, items, first.index, this.known)));
    void this.loop();
  }

  async close(): Promise<void> {
    this.delivery.close();
  }

  private async loop(): Promise<void> {
    for (let failures = 0; !this.delivery.closed; ) {
      let answer: Answer<ConsulEntry[]>;
      try {
        answer = await this.ctx.http.list(this.ctx.consulPrefix, { index: Math.max(1, this.index), waitSeconds: this.ctx.waitSeconds });
        failures = 0;
      } catch {
        if (this.delivery.closed) return;
        await sleep(backoffMs(failures++, 200, 5000));
        continue;
      }
      if (this.delivery.closed) return;
      if (answer.index < this.index) {
        this.delivery.fail(new Error(`${this.ctx.http.description}: Consul's index went back from ${this.index} to ` +
          `${answer.index} (a restored snapshot?); list again and watch from the listing's revision`));
        return;
      }
      if (answer.index === this.index) continue; // the wait ran out: nothing changed
      this.index = answer.index;
      const items = answer.body.map((e) => this.ctx.toKeyValue(e));
      this.delivery.push(this.record(diffToEvents(this.known, items, answer.index, this.opts.fromRevision)));
    }
  }

  private record<T extends ReturnType<typeof diffToEvents>>(events: T): T {
    for (const e of events) {
      if (e.type === 'put') this.ctx.journal.present(e.kv);
      else this.ctx.journal.deleted(e.key, e.revision);
    }
    return events;
  }
}
