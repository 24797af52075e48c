// Image configuration (Docker's field names, as `docker image inspect` shows them) and the
// Dockerfile instructions that `docker import --change` may apply to it.

import { posix } from 'node:path';
import { invalid } from '../errors.js';

export interface ImageConfig {
  readonly Cmd: readonly string[] | null;
  readonly Entrypoint: readonly string[] | null;
  readonly Env: readonly string[] | null;
  readonly WorkingDir: string;
  readonly User: string;
  readonly Labels: Readonly<Record<string, string>> | null;
  readonly ExposedPorts: Readonly<Record<string, Record<string, never>>> | null;
  readonly Volumes: Readonly<Record<string, Record<string, never>>> | null;
  readonly StopSignal: string;
  readonly OnBuild: readonly string[] | null;
}

export const EMPTY_IMAGE_CONFIG: ImageConfig = {
  Cmd: null,
  Entrypoint: null,
  Env: null,
  WorkingDir: '',
  User: '',
  Labels: null,
  ExposedPorts: null,
  Volumes: null,
  StopSignal: '',
  OnBuild: null,
};

/** The PATH runc (and so Docker) gives a process whose environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Applies `--change` instructions in order (moby allows only these ten for import/commit). */
export function applyChanges(base: ImageConfig, changes: readonly string[]): ImageConfig {
  let config = base;
  for (const change of changes) {
    const trimmed = change.trim();
    if (trimmed === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(trimmed)!;
    config = applyOne(config, m[1].toUpperCase(), m[2].trim());
  }
  return config;
}

function applyOne(config: ImageConfig, instruction: string, rest: string): ImageConfig {
  switch (instruction) {
    case 'CMD':
      return { ...config, Cmd: commandForm(rest) };
    case 'ENTRYPOINT':
      return { ...config, Entrypoint: commandForm(rest) };
    case 'ENV':
      return { ...config, Env: mergeEnv(config.Env ?? [], keyValues(rest, 'ENV').map(([k, v]) => `${k}=${v}`)) };
    case 'LABEL':
      return { ...config, Labels: { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(rest, 'LABEL')) } };
    case 'WORKDIR':
      return { ...config, WorkingDir: posix.resolve(config.WorkingDir || '/', rest) };
    case 'USER':
      return { ...config, User: rest };
    case 'EXPOSE': {
      const ports = { ...(config.ExposedPorts ?? {}) };
      for (const p of rest.split(/\s+/).filter(Boolean)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
      return { ...config, ExposedPorts: ports };
    }
    case 'VOLUME': {
      const volumes = { ...(config.Volumes ?? {}) };
      for (const v of jsonArray(rest) ?? rest.split(/\s+/).filter(Boolean)) volumes[v] = {};
      return { ...config, Volumes: volumes };
    }
    case 'STOPSIGNAL':
      return { ...config, StopSignal: rest };
    case 'ONBUILD':
      return { ...config, OnBuild: [...(config.OnBuild ?? []), rest] };
    default:
      throw invalid(`${instruction} is not a valid change command`);
  }
}

function jsonArray(text: string): string[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
  } catch {
    // not JSON: Docker falls back to the shell form
  }
  return null;
}

/** Exec form (`["a","b"]`) or shell form (`a b` → `/bin/sh -c "a b"`). */
function commandForm(text: string): string[] {
  return jsonArray(text) ?? ['/bin/sh', '-c', text];
}

/** `K=V K2="v 2"` pairs, or the legacy `K value with spaces` form. */
function keyValues(text: string, instruction: string): Array<[string, string]> {
  const words = shellWords(text);
  if (words.length === 0) throw invalid(`${instruction} requires at least one argument`);
  if (!words[0].includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) throw invalid(`${instruction} names can not be blank`);
    return [[m[1], shellWords(m[2]).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalid(`${instruction} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Splits on unquoted whitespace, removing quotes and backslash escapes as Dockerfiles do. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Later entries override earlier ones with the same key; order of first appearance is kept. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const result = [...base];
  for (const entry of overrides) {
    const key = envKey(entry);
    const index = result.findIndex((e) => envKey(e) === key);
    if (index >= 0) result[index] = entry;
    else result.push(entry);
  }
  return result;
}

export function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}
