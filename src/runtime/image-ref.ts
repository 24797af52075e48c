// Image references as Docker normalises them: `busybox`, `busybox:latest`,
// `docker.io/library/busybox:latest` and `index.docker.io/library/busybox` are one image, shown
// in its familiar form `busybox:latest`.

import { invalid } from '../errors.js';

export interface ImageRef {
  /** Familiar repository name: `busybox`, `netd/base`, `registry.example:5000/x`. */
  readonly name: string;
  readonly tag: string;
  /** `name:tag`, the key under which tags are stored and the form RepoTags show. */
  readonly familiar: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|[a-zA-Z0-9-]+)(?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const FULL_ID = /^(?:sha256:)?[0-9a-f]{64}$/;

/** Parses a reference; returns null when it is not a valid name[:tag] (digests are unsupported). */
export function parseImageRef(ref: string): ImageRef | null {
  if (ref === '' || ref.includes('@') || FULL_ID.test(ref)) return null;
  const lastSlash = ref.lastIndexOf('/');
  const lastColon = ref.lastIndexOf(':');
  let name = ref;
  let tag = 'latest';
  if (lastColon > lastSlash) {
    name = ref.slice(0, lastColon);
    tag = ref.slice(lastColon + 1);
  }
  if (!TAG.test(tag)) return null;
  const parts = name.split('/');
  // Docker treats the first component as a registry when it looks like a host.
  const hasDomain = parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost');
  if (hasDomain && !DOMAIN.test(parts[0])) return null;
  const path = hasDomain ? parts.slice(1) : parts;
  if (path.length === 0 || !path.every((c) => COMPONENT.test(c))) return null;
  let domain = hasDomain ? parts[0] : 'docker.io';
  if (domain === 'index.docker.io') domain = 'docker.io';
  let familiarPath = path;
  if (domain === 'docker.io' && path.length === 2 && path[0] === 'library') familiarPath = [path[1]];
  const familiarName = domain === 'docker.io' ? familiarPath.join('/') : `${domain}/${path.join('/')}`;
  return { name: familiarName, tag, familiar: `${familiarName}:${tag}` };
}

/** Like parseImageRef, for a user-supplied repository (import's `repo`): 400 when malformed. */
export function requireImageRef(ref: string): ImageRef {
  if (/[A-Z]/.test(ref.split(':')[0] ?? '')) {
    throw invalid(`invalid reference format: repository name (${ref}) must be lowercase`);
  }
  if (FULL_ID.test(ref)) {
    throw invalid(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  }
  const parsed = parseImageRef(ref);
  if (!parsed) throw invalid('invalid reference format');
  return parsed;
}

/** A full image id `sha256:<64hex>` if the string is one (with or without the prefix). */
export function asFullImageId(ref: string): string | null {
  return FULL_ID.test(ref) ? (ref.startsWith('sha256:') ? ref : `sha256:${ref}`) : null;
}

/** The hex part of a possible short id (`82e5a4dc`, `sha256:82e5`), or null. */
export function asIdPrefix(ref: string): string | null {
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  return /^[0-9a-f]{1,64}$/.test(hex) ? hex : null;
}
