// Container logs in Docker's json-file format: one JSON object per line,
//   {"log":"hi\n","stream":"stdout","time":"2025-01-01T00:00:00.123456789Z"}
// split at newlines (and at 16 KiB, as Docker does), stamped when the line is complete. Output
// that is not valid UTF-8 is kept exactly in an extra "log64" field.

import { closeSync, createReadStream, fstatSync, openSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { isErrno } from './fs-util.js';
import { formatNs, nowNs, parseRfc3339Ns } from './timestamps.js';
import type { LogEntry, OutputStream } from './types.js';

const MAX_LINE = 16 * 1024;

interface LogLine {
  log: string;
  log64?: string;
  stream: OutputStream;
  time: string;
}

type Subscriber = { onEntry: (e: LogEntry) => void; onClose: () => void };

/** Writes one run's output; writes are synchronous so a reader's snapshot offset is exact. */
export class JsonLogWriter {
  private fd: number | null;
  private readonly partial: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly partialSize: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  private readonly subscribers = new Set<Subscriber>();

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o640);
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Bytes in the file now: everything before this offset is on disk, everything after is live. */
  get size(): number {
    return this.fd === null ? 0 : fstatSync(this.fd).size;
  }

  write(stream: OutputStream, data: Buffer): void {
    let rest = data;
    while (rest.length > 0) {
      const nl = rest.indexOf(0x0a);
      const room = MAX_LINE - this.partialSize[stream];
      if (nl >= 0 && nl < room) {
        this.partial[stream].push(rest.subarray(0, nl + 1));
        this.flush(stream);
        rest = rest.subarray(nl + 1);
      } else if (rest.length >= room) {
        this.partial[stream].push(rest.subarray(0, room));
        this.flush(stream);
        rest = rest.subarray(room);
      } else {
        this.partial[stream].push(rest);
        this.partialSize[stream] += rest.length;
        rest = rest.subarray(rest.length);
      }
    }
  }

  /** Flushes unterminated lines, closes the file and ends every follower. */
  close(): void {
    if (this.fd === null) return;
    this.flush('stdout');
    this.flush('stderr');
    closeSync(this.fd);
    this.fd = null;
    for (const s of this.subscribers) s.onClose();
    this.subscribers.clear();
  }

  /** Live entries from now on; onClose runs when this run's output is complete. */
  subscribe(onEntry: (e: LogEntry) => void, onClose: () => void): () => void {
    if (this.fd === null) {
      onClose();
      return () => {};
    }
    const sub = { onEntry, onClose };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  private flush(stream: OutputStream): void {
    if (this.partial[stream].length === 0 || this.fd === null) return;
    const data = Buffer.concat(this.partial[stream]);
    this.partial[stream] = [];
    this.partialSize[stream] = 0;
    const timeNs = nowNs();
    const entry: LogEntry = { stream, time: formatNs(timeNs), timeNs, data };
    writeSync(this.fd, `${JSON.stringify(encode(entry))}\n`);
    for (const s of this.subscribers) s.onEntry(entry);
  }
}

function encode(entry: LogEntry): LogLine {
  const log = entry.data.toString('utf8');
  const line: LogLine = { log, stream: entry.stream, time: entry.time };
  if (!Buffer.from(log, 'utf8').equals(entry.data)) line.log64 = entry.data.toString('base64');
  return line;
}

function decode(text: string): LogEntry | null {
  try {
    const line = JSON.parse(text) as LogLine;
    if (line.stream !== 'stdout' && line.stream !== 'stderr') return null;
    const data = line.log64 !== undefined ? Buffer.from(line.log64, 'base64') : Buffer.from(line.log, 'utf8');
    return { stream: line.stream, time: line.time, timeNs: parseRfc3339Ns(line.time), data };
  } catch {
    // a torn last line after a crash: skip it
    return null;
  }
}

export interface LogFilter {
  readonly since?: bigint;
  readonly until?: bigint;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

export function matches(entry: LogEntry, f: LogFilter): boolean {
  if (entry.stream === 'stdout' && f.stdout === false) return false;
  if (entry.stream === 'stderr' && f.stderr === false) return false;
  if (f.since !== undefined && entry.timeNs < f.since) return false;
  if (f.until !== undefined && entry.timeNs >= f.until) return false;
  return true;
}

/** Size of a log file, 0 when it does not exist (a container that never ran). */
export async function logFileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}

/** The stored entries in [0, endOffset) that pass the filter; with `tail`, only the last N. */
export async function* readLogFile(
  path: string,
  endOffset: number,
  filter: LogFilter & { readonly tail?: number | 'all' },
): AsyncGenerator<LogEntry> {
  if (endOffset === 0 || filter.tail === 0) return;
  const tail = filter.tail === undefined || filter.tail === 'all' || filter.tail < 0 ? Infinity : filter.tail;
  const input = createReadStream(path, { start: 0, end: endOffset - 1 });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const kept: LogEntry[] = [];
  try {
    for await (const text of lines) {
      const entry = decode(text);
      if (!entry || !matches(entry, filter)) continue;
      if (tail === Infinity) {
        yield entry;
      } else {
        kept.push(entry);
        if (kept.length > tail) kept.shift();
      }
    }
  } finally {
    lines.close();
    input.destroy();
  }
  yield* kept;
}
