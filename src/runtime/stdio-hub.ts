// A container's live stdio, shared by its attachers: output is broadcast to every attachment,
// stdin from any attachment goes to the process. Attachments may register before the process
// starts (docker run attaches, then starts), and stdin — even its EOF — may arrive before the
// start, so both are buffered until a process is bound.

import type { Writable } from 'node:stream';
import { AsyncQueue } from './sync.js';
import type { OutputChunk, OutputStream } from './types.js';

export interface AttachOptions {
  readonly stdin?: boolean;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

export interface Attachment {
  /** Raw output (not line-split) until the process exits or detach() is called. */
  readonly output: AsyncIterable<OutputChunk>;
  /** Bytes for the process's stdin; buffered until it starts. Ignored unless attached with stdin. */
  write(data: Buffer): void;
  /** The client's stdin is at EOF; with StdinOnce this closes the process's stdin. */
  endStdin(): void;
  /** Stops this attachment's output; the container is unaffected. */
  detach(): void;
}

interface Listener {
  readonly queue: AsyncQueue<OutputChunk>;
  readonly streams: ReadonlySet<OutputStream>;
}

export class StdioHub {
  private stdin: Writable | null = null;
  private running = false;
  private pending: Buffer[] = [];
  private closeStdinWhenBound = false;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly stdinOnce: boolean) {}

  /** A process started; `stdin` is null when the container has no open stdin. */
  bind(stdin: Writable | null): void {
    this.running = true;
    this.stdin = stdin;
    if (!stdin) return;
    // A process that exits early must not crash weftd with EPIPE on its stdin.
    stdin.on('error', () => {});
    for (const chunk of this.pending) stdin.write(chunk);
    this.pending = [];
    if (this.closeStdinWhenBound) stdin.end();
  }

  broadcast(stream: OutputStream, data: Buffer): void {
    for (const l of this.listeners) if (l.streams.has(stream)) l.queue.push({ stream, data });
  }

  /** The process exited and its output is drained: end every attachment. */
  processExited(): void {
    this.running = false;
    this.stdin = null;
    this.pending = [];
    this.closeStdinWhenBound = false;
    for (const l of [...this.listeners]) l.queue.end();
  }

  /** Ends every attachment without a process (the container is being removed). */
  close(): void {
    this.processExited();
  }

  attach(opts: AttachOptions): Attachment {
    const streams = new Set<OutputStream>();
    if (opts.stdout) streams.add('stdout');
    if (opts.stderr) streams.add('stderr');
    const listener: Listener = {
      streams,
      queue: new AsyncQueue<OutputChunk>(() => this.listeners.delete(listener)),
    };
    this.listeners.add(listener);
    const withStdin = opts.stdin === true;
    return {
      output: listener.queue,
      write: (data) => {
        if (!withStdin) return;
        if (this.stdin) this.stdin.write(data);
        else if (!this.running) this.pending.push(data);
      },
      endStdin: () => {
        if (!withStdin || !this.stdinOnce) return;
        if (this.stdin) this.stdin.end();
        else if (!this.running) this.closeStdinWhenBound = true;
      },
      detach: () => listener.queue.end(),
    };
  }
}
