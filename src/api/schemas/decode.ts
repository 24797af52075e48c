// Validate a decoded JSON body against a zod schema the way Go's json.Unmarshal into a struct
// fails: unknown fields are ignored, null leaves the zero value, and a type mismatch is
// "invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Internal of type bool".

import type { z } from 'zod';
import { invalid } from '../../errors.js';
import { jsonKind } from '../json.js';

const GO_TYPES: Record<string, string> = {
  string: 'string',
  boolean: 'bool',
  number: 'int',
  int: 'int',
  record: 'map[string]string',
  array: '[]string',
  object: 'struct',
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * `goStruct` names the Go type the body decodes into (e.g. "network.CreateRequest"), for messages.
 * A missing body (undefined) or `null` decodes as an empty object, as Go leaves the zero value.
 */
export function decodeBody<S extends z.ZodType>(schema: S, body: unknown, goStruct: string): z.output<S> {
  const value = body === undefined || body === null ? {} : body;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`invalid JSON: json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goStruct}`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.filter((k) => typeof k === 'string').join('.');
  const got = valueAt(value, issue.path);
  const expected = issue.code === 'invalid_type' ? (GO_TYPES[issue.expected] ?? issue.expected) : 'value';
  const shortStruct = goStruct.slice(goStruct.lastIndexOf('.') + 1);
  throw invalid(`invalid JSON: json: cannot unmarshal ${jsonKind(got)} into Go struct field ${shortStruct}.${field} of type ${expected}`);
}
