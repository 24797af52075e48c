// Small request/response helpers shared by the route modules: moby's ReadJSON checks, JSON
// replies (Content-Type exactly `application/json`: the CLI compares the string), Go's bools.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid } from '../errors.js';
import { decodeJson } from './json.js';

/** Bodies larger than this are refused rather than buffered (no Docker request comes close). */
const MAX_JSON_BODY = 8 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  // moby's WriteJSON uses json.Encoder, which ends the document with a newline.
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A reply without a body (204 for DELETE, 200 for connect/disconnect). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** moby's CheckForJSON: a body must be declared `application/json` (parameters allowed). */
function checkForJson(req: IncomingMessage): void {
  const ct = req.headers['content-type'] ?? '';
  if (ct === '' && !hasBody(req)) return;
  const mediaType = ct.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === '') {
    throw invalid(`malformed Content-Type header (${ct}): mime: no media type`);
  }
  if (mediaType !== 'application/json') {
    throw invalid(`unsupported Content-Type header (${ct}): must be 'application/json'`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_JSON_BODY) throw invalid(`request body is larger than ${MAX_JSON_BODY} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * moby's httputils.ReadJSON: check the Content-Type, then decode. A request without a body
 * decodes to `undefined` (Go leaves the struct at its zero value), which schemas treat as {}.
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  checkForJson(req);
  if (!hasBody(req)) return undefined;
  return decodeJson(await readBody(req));
}

/** Go's strconv.ParseBool, for query parameters such as `verbose`. */
export function parseGoBool(name: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw invalid(`invalid value for ${name}: ${value}: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

/** A boolean query parameter as moby's httputils.BoolValue reads it: absent, "", "0", "false", "no" are false. */
export function boolQuery(query: URLSearchParams, name: string): boolean {
  const v = (query.get(name) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** An integer query parameter (`t`, `h`, `w`, `tail`…), undefined when absent or empty. */
export function intQuery(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalid(`invalid value for ${name}: ${v}: strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}
