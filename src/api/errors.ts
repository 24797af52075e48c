// The one error boundary (STYLE §10): every handler failure becomes a status code and a
// `{"message": …}` body here. WeftError kinds map to Docker's statuses; anything else is a bug
// or an unexpected failure and is answered 500 with its message, and the daemon keeps serving.

import type { ServerResponse } from 'node:http';
import { isWeftError, type ErrorKind } from '../errors.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  unavailable: 503,
  'not-implemented': 501,
};

export function statusOf(err: unknown): number {
  return isWeftError(err) ? STATUS[err.kind] : 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The full error response: status and body (empty for 304, which may carry none). */
export function errorResponse(err: unknown): { status: number; body: string } {
  const status = statusOf(err);
  if (status === 304) return { status, body: '' };
  return { status, body: JSON.stringify({ message: messageOf(err) }) + '\n' };
}

/** Answer `res` with the error; if the response has already started, cut the connection. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const { status, body } = errorResponse(err);
  if (status === 304) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
