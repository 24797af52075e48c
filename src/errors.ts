// Typed error kinds, mapped to HTTP status codes at one boundary (src/api/errors.ts), as
// libnetwork does with its BadRequest/NotFound/Forbidden kinds. Messages are the texts Docker
// users know; the API layer sends them verbatim as {"message": ...}.

export type ErrorKind =
  | 'invalid' // 400
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'not-modified' // 304
  | 'unavailable' // 503
  | 'not-implemented'; // 501

export class WeftError extends Error {
  constructor(readonly kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeftError';
  }
}

export const invalid = (message: string, cause?: unknown) => new WeftError('invalid', message, { cause });
export const forbidden = (message: string) => new WeftError('forbidden', message);
export const notFound = (message: string) => new WeftError('not-found', message);
export const conflict = (message: string) => new WeftError('conflict', message);
export const notModified = (message = '') => new WeftError('not-modified', message);
export const unavailable = (message: string, cause?: unknown) => new WeftError('unavailable', message, { cause });
export const notImplemented = (message: string) => new WeftError('not-implemented', message);

export const isWeftError = (err: unknown, kind?: ErrorKind): err is WeftError =>
  err instanceof WeftError && (kind === undefined || err.kind === kind);
