// Encoded answers to repeated queries, per container.
//
// Most DNS traffic is the same few questions again and again, and decoding plus encoding with
// dns-packet costs more than everything else on the path. A query is keyed on its bytes after
// the id (flags, question, EDNS), so a hit needs no decoding at all; the answer's source (the
// lookup result) is checked against a fresh lookup on every hit, so a cached answer is never
// staler than the name table. A multi-address answer keeps one encoding per rotation, each
// built the first time it is used.
import type { LocalAnswer } from './decide.js';
import type { Query } from './messages.js';

export interface CachedAnswer {
  readonly query: Query;
  readonly answer: LocalAnswer;
  /** Encoded for UDP (cut to its size limit) or for TCP. */
  readonly udp: boolean;
  /** Encoded responses, one per rotation of the records; the id in them is the first asker's. */
  readonly rotations: (Buffer | undefined)[];
  /** Shared by every entry for the same name and type (see RoundRobin). */
  readonly turn: Turn;
}

export interface Turn {
  next: number;
}

/**
 * Where the round-robin stands per name and type. Kept apart from the answer cache because
 * queries for one name need not be byte-identical (dig sends a fresh EDNS cookie each time,
 * resolvers randomise the letter case), yet they should still take turns.
 */
export class RoundRobin {
  private readonly turns = new Map<string, Turn>();

  turnFor(type: string, name: string): Turn {
    const key = `${type} ${name.toLowerCase()}`;
    let turn = this.turns.get(key);
    if (turn === undefined) {
      if (this.turns.size >= MAX_ENTRIES) this.turns.clear();
      turn = { next: 0 };
      this.turns.set(key, turn);
    }
    return turn;
  }
}

/** Enough for every name a container uses; a container that asks for more just misses more. */
const MAX_ENTRIES = 2048;

export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();

  static keyOf(msg: Buffer): string {
    return msg.toString('latin1', 2);
  }

  get(key: string): CachedAnswer | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: CachedAnswer): void {
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
