// Store keys as znode paths.
//
// A key's `/`-separated segments become directories (plain persistent znodes, created as
// needed and never removed), and its value lives in a leaf named `=` + its last segment:
//   key "endpoints/n1/e7"  →  <base>/endpoints/n1/=e7
// so a key and a "directory" of the same name can coexist ("a" and "a/b"), and a leased key is
// always a leaf, which an ephemeral znode must be. Segments are percent-encoded where ZooKeeper
// would refuse or misread them ("", ".", "..", "=", "%", "/", control and non-ASCII characters).
const SAFE = /^[A-Za-z0-9._:@+,~-]$/;
export const VALUE_MARK = '=';
/** A directory for an empty segment ("a//b"): percent-encoding never yields a bare "%". */
const EMPTY_DIR = '%';

export function encodeSegment(segment: string): string {
  if (segment === '.' || segment === '..') return segment.replace(/\./g, '%2E');
  let out = '';
  for (const ch of segment) {
    out += SAFE.test(ch)
      ? ch
      : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

export const encodeDir = (segment: string): string => (segment === '' ? EMPTY_DIR : encodeSegment(segment));

export function decodeName(name: string): string {
  return name === EMPTY_DIR ? '' : decodeURIComponent(name);
}

export const isValueNode = (name: string): boolean => name.startsWith(VALUE_MARK);

/** Where one store's keys live: `base` is an absolute znode path ("/weft/v1", "/p/weft/v1"). */
export class KeyPaths {
  constructor(readonly base: string) {}

  /** The znode holding `key`'s value, and its directory. */
  node(key: string): { readonly dir: string; readonly path: string } {
    const segments = key.split('/');
    const last = segments.pop() as string;
    const dir = [this.base, ...segments.map(encodeDir)].join('/');
    return { dir, path: `${dir}/${VALUE_MARK}${encodeSegment(last)}` };
  }

  /** The key a value znode holds, or undefined if the path is not one of ours. */
  key(path: string): string | undefined {
    if (!path.startsWith(`${this.base}/`)) return undefined;
    const names = path.slice(this.base.length + 1).split('/');
    const leaf = names.pop() as string;
    if (!isValueNode(leaf)) return undefined;
    return [...names.map(decodeName), decodeName(leaf.slice(1))].join('/');
  }

  /**
   * Where to look for keys starting with `prefix`: the directory of its complete segments,
   * the key prefix that directory stands for, and the partial last segment children must start with.
   */
  scope(prefix: string): { readonly dir: string; readonly keyPrefix: string; readonly partial: string } {
    const segments = prefix.split('/');
    const partial = segments.pop() as string;
    return {
      dir: [this.base, ...segments.map(encodeDir)].join('/'),
      keyPrefix: segments.map((s) => `${s}/`).join(''),
      partial,
    };
  }

  /** Every directory from the root down to `dir` (inclusive), for creating them in order. */
  static ancestry(dir: string): string[] {
    const names = dir.split('/').filter((n) => n !== '');
    return names.map((_, i) => `/${names.slice(0, i + 1).join('/')}`);
  }
}

/** Does the child `name` of the scope's directory hold keys starting with the scope's prefix? */
export function childMatches(name: string, partial: string): boolean {
  if (partial === '') return true;
  return decodeName(isValueNode(name) ? name.slice(1) : name).startsWith(partial);
}

/** Code-point order (as etcd and SQLite sort keys), not UTF-16 order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
