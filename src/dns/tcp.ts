// DNS over TCP (RFC 7766): each message is preceded by its length in two bytes, a connection may
// carry many queries, and answers may come back in any order (clients match them by id).
import type net from 'node:net';

export interface TcpServeOptions {
  /** A connection with nothing to do is closed after this long. */
  readonly idleMs: number;
  /** Reading pauses while this many answers are outstanding on one connection. */
  readonly maxOutstanding: number;
}

/** `reply` must be called exactly once per message; `undefined` means "no answer" (dropped). */
export type TcpQueryHandler = (msg: Buffer, reply: (response: Buffer | undefined) => void) => void;

export function serveTcpConnection(socket: net.Socket, onQuery: TcpQueryHandler, opts: TcpServeOptions): void {
  // A client may send its queries and then half-close; it still wants the answers.
  socket.allowHalfOpen = true;
  socket.setNoDelay(true);
  socket.setTimeout(opts.idleMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());

  let buffered: Buffer = Buffer.alloc(0);
  let outstanding = 0;
  let ended = false;

  const settleOne = (): void => {
    outstanding--;
    if (outstanding < opts.maxOutstanding && socket.isPaused()) socket.resume();
    if (ended && outstanding === 0) socket.end();
  };

  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const size = buffered.readUInt16BE(0);
      if (buffered.length < 2 + size) break;
      // Copied, so that a message kept while forwarding does not pin the whole read buffer.
      const msg = Buffer.from(buffered.subarray(2, 2 + size));
      buffered = buffered.subarray(2 + size);
      outstanding++;
      let answered = false;
      onQuery(msg, (response) => {
        if (answered) return;
        answered = true;
        if (response !== undefined && !socket.destroyed && socket.writable) socket.write(frame(response));
        settleOne();
      });
    }
    if (outstanding >= opts.maxOutstanding) socket.pause();
  });

  socket.on('end', () => {
    ended = true;
    if (outstanding === 0) socket.end();
  });
}

function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}
