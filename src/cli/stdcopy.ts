// Docker's stdcopy demultiplexer for the client side: attach and logs streams of containers
// without a TTY carry 8-byte frame headers [stream, 0, 0, 0, length u32 BE] before each payload.

import type { Readable } from 'node:stream';

export interface Sink {
  write(data: Buffer): unknown;
}

/** Copies frames to `stdout`/`stderr` until the stream ends; stream 3 is a daemon error. */
export async function demux(stream: Readable, stdout: Sink, stderr: Sink, initial: Buffer = Buffer.alloc(0)): Promise<void> {
  let buf = initial;
  const drain = () => {
    while (buf.length >= 8) {
      const length = buf.readUInt32BE(4);
      if (buf.length < 8 + length) return;
      const kind = buf[0];
      const payload = buf.subarray(8, 8 + length);
      buf = buf.subarray(8 + length);
      if (kind === 0 || kind === 1) stdout.write(payload);
      else if (kind === 2) stderr.write(payload);
      else if (kind === 3) throw new Error(`error from daemon in stream: ${payload.toString('utf8')}`);
      else throw new Error(`Unrecognized input header: ${kind}`);
    }
  };
  drain();
  for await (const chunk of stream) {
    buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
    drain();
  }
}
