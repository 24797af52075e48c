// API version negotiation, as moby's VersionMiddleware: the path may carry /v{X.Y}; without
// it the request gets the newest version. Outside [MIN, MAX] the request is refused with
// moby's texts, which the docker CLI shows as "Error response from daemon: …".

import { invalid } from '../errors.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';
/** What the `Server` header claims: the engine whose API the CLI was traced against. */
export const SERVER_HEADER = 'Docker/28.2.2 (linux)';

const VERSIONED_PATH = /^\/v([0-9.]+)(\/.*)$/;

/** Compare dotted versions segment by segment (moby's versions.compare). */
export function compareVersions(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const x = Number.parseInt(as[i] ?? '0', 10) || 0;
    const y = Number.parseInt(bs[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Split `/v1.44/networks` into version and path; unversioned paths get API_VERSION. */
export function splitVersion(path: string): { version: string; path: string } {
  const m = VERSIONED_PATH.exec(path);
  if (!m) return { version: API_VERSION, path };
  return { version: m[1]!, path: m[2]! };
}

/** Throws moby's 400 when the client's version is outside what this daemon speaks. */
export function checkVersion(version: string): void {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw invalid(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw invalid(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}
