// Conditional writes that are safe to retry.
//
// A write whose connection broke (a member died, a leader changed) may or may not have
// committed, and etcd has no idempotency token. Blindly re-sending a create would then report
// "already exists" for our own key, and re-sending a compare-and-swap would report a conflict
// for our own change, so the caller would apply its change twice (a counter would skip, an
// address would leak). So every write transaction also puts a *receipt*: a key of its own,
// outside the store's root, named after this client and the operation. The failure branch
// reads that receipt back. A retry that fails its comparison but finds its receipt knows an
// earlier attempt committed, and at which revision. Only one attempt can ever pass the
// comparison, so a late arrival of an earlier attempt changes nothing.
//
// Receipts are deleted by later writes of the same client (one range delete below the oldest
// operation still in flight) and by close(); a crashed client leaves at most a few behind.
import { randomBytes } from 'node:crypto';
import type { ICompare, IRequestOp, IResponseOp, KVClient } from 'etcd3';
import { retrying } from '../common/retry.js';
import { isTransient } from './client.js';
import { prefixRange, revisionOf } from './keys.js';

export type TxnOutcome =
  | { readonly committed: true; readonly revision: number }
  | { readonly committed: false; readonly responses: readonly IResponseOp[] };

const SEQ_DIGITS = 16;

export class ReceiptedWriter {
  private readonly prefix: Buffer;
  private seq = 0;
  private readonly inFlight = new Set<number>();

  constructor(
    private readonly kv: KVClient,
    receiptsRoot: string,
    private readonly deadlineMs: number,
  ) {
    this.prefix = Buffer.from(`${receiptsRoot}${randomBytes(8).toString('hex')}/`);
  }

  /**
   * Run `compare ? success : failure` once, whatever happens to the connection. `failure`'s
   * responses come back when the comparison fails (and no earlier attempt had committed).
   */
  async txn(compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]): Promise<TxnOutcome> {
    const seq = ++this.seq;
    this.inFlight.add(seq);
    const receipt = this.receiptKey(seq);
    try {
      return await retrying(async () => {
        const oldest = Math.min(...this.inFlight);
        const res = await this.kv.txn({
          compare,
          success: [
            ...success,
            { request_put: { key: receipt, value: Buffer.alloc(0) } },
            { request_delete_range: { key: this.receiptKey(0), range_end: this.receiptKey(oldest) } },
          ],
          failure: [...failure, { request_range: { key: receipt } }],
        });
        if (res.succeeded) return { committed: true, revision: revisionOf(res.header.revision) };
        const found = res.responses.at(-1)?.response_range?.kvs[0];
        if (found) return { committed: true, revision: revisionOf(found.mod_revision) };
        return { committed: false, responses: res.responses.slice(0, failure.length) };
      }, { deadlineMs: this.deadlineMs, retryable: isTransient });
    } finally {
      this.inFlight.delete(seq);
    }
  }

  /** Delete this client's receipts (on close; best effort). */
  async clear(timeoutMs: number): Promise<void> {
    await this.kv.deleteRange(prefixRange(this.prefix), { deadline: Date.now() + timeoutMs });
  }

  private receiptKey(seq: number): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(String(seq).padStart(SEQ_DIGITS, '0'))]);
  }
}
