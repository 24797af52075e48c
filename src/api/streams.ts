// Docker's stdio streams (docker-api.md §4): stdcopy framing, the hijacked 101 answer of attach and
// exec start, the pump between a hijacked socket and a process's stdio, and terminal sizes.
//
// Framing: without a TTY every chunk is an 8-byte header [stream, 0, 0, 0, length u32 BE] plus the
// payload (1 = stdout, 2 = stderr); with a TTY the bytes go raw. The CLI picks its demuxer from its
// own Tty setting, so the framing must follow the container's (or exec's) Tty exactly.

import type { Duplex, Writable } from 'node:stream';
import { invalid } from '../errors.js';
import type { TtySize } from '../runtime/terminal.js';
import type { OutputChunk, StdioSession } from './backend.js';
import { intQuery } from './http.js';
import { API_VERSION, SERVER_HEADER } from './version.js';

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

const STREAM_ID = { stdin: 0, stdout: 1, stderr: 2, system: 3 } as const;

export function stdcopyFrame(stream: keyof typeof STREAM_ID, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_ID[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * A body's ConsoleSize ([rows, columns], set by the CLI for `-t` on a terminal) as a terminal
 * size; undefined when absent or null. moby decodes it into [2]uint, so anything else is a 400.
 */
export function consoleSize(value: unknown): TtySize | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== 2 || !value.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff)) {
    throw invalid(`invalid ConsoleSize: ${JSON.stringify(value)}: want [height, width]`);
  }
  return { rows: value[0] as number, cols: value[1] as number };
}

/** `h` and `w` of a resize: moby's strconv.Atoi, then an unsigned size. */
export function resizeQuery(query: URLSearchParams): TtySize {
  const rows = intQuery(query, 'h') ?? 0;
  const cols = intQuery(query, 'w') ?? 0;
  if (rows < 0 || cols < 0 || rows > 0xffff || cols > 0xffff) throw invalid(`invalid terminal size: ${rows}x${cols}`);
  return { rows, cols };
}

export const encodeChunk = (chunk: OutputChunk, tty: boolean): Buffer => (tty ? chunk.data : stdcopyFrame(chunk.stream, chunk.data));

/** moby's hijack answer; anything but 101 makes the CLI fail ("unable to upgrade to tcp"). */
export function writeUpgraded(socket: Duplex, tty: boolean): void {
  socket.write(
    'HTTP/1.1 101 UPGRADED\r\n' +
      `Content-Type: ${tty ? RAW_STREAM : MULTIPLEXED_STREAM}\r\n` +
      'Connection: Upgrade\r\n' +
      'Upgrade: tcp\r\n' +
      `Api-Version: ${API_VERSION}\r\n` +
      'Ostype: linux\r\n' +
      `Server: ${SERVER_HEADER}\r\n` +
      '\r\n',
  );
}

/** Write, waiting for 'drain' when the peer is slow; false once the stream is gone. */
export async function writeWithBackpressure(out: Writable, data: Buffer): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return false;
  if (out.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

/**
 * Read a hijacked request's body (`length` bytes, Content-Length) off the socket: exec start sends
 * its JSON after the headers on the connection it then uses for stdin. Resolves with the body and
 * whatever followed it (stdin), leaving the socket paused.
 */
export function readHijackedBody(socket: Duplex, head: Buffer, length: number): Promise<{ body: Buffer; rest: Buffer }> {
  if (head.length >= length) return Promise.resolve({ body: head.subarray(0, length), rest: head.subarray(length) });
  return new Promise((resolve, reject) => {
    let buf = head;
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onData = (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      if (buf.length < length) return;
      cleanup();
      socket.pause();
      resolve({ body: buf.subarray(0, length), rest: buf.subarray(length) });
    };
    const onEnd = () => {
      cleanup();
      reject(invalid('unexpected EOF while reading the request body'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
  });
}

/**
 * Connect a hijacked socket to a process's stdio until the process's output ends, then end the
 * socket. Client bytes are stdin (`initial` is what arrived with the request); the client's
 * half-close (shutdown SHUT_WR when its stdin ends) is stdin's EOF, and the socket stays open
 * for output (the server's sockets allow half-open connections).
 */
export async function pumpSession(socket: Duplex, session: StdioSession, tty: boolean, initial: Buffer): Promise<void> {
  if (initial.length > 0) session.write(initial);
  socket.on('data', (data: Buffer) => session.write(data));
  socket.on('end', () => session.endStdin());
  socket.on('error', () => session.detach());
  socket.on('close', () => session.detach());
  // The socket may have been paused while a request body was read off it (exec start).
  socket.resume();
  try {
    for await (const chunk of session.output) {
      if (!(await writeWithBackpressure(socket, encodeChunk(chunk, tty)))) break;
    }
  } finally {
    session.detach();
    if (!socket.destroyed) socket.end();
  }
}
