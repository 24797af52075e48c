// Output formatting shared by the `weft` commands, as docker's CLI formats it: Go's tabwriter
// columns, json.Indent, 12-character ids, natural sort, human durations and sizes, and the small
// subset of Go templates `--format` needs.

import { UsageError } from './common.js';

/** docker's stringid.TruncateID. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

/**
 * Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1, padding 3, spaces):
 * tab-terminated cells form columns as wide as their widest cell plus padding, within each
 * run of consecutive lines that have that column; the text after a line's last tab is not
 * part of any column.
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const width = (s: string) => [...s].length;
  const widths: number[][] = lines.map(() => []);
  const columns = Math.max(0, ...lines.map((cells) => cells.length - 1));
  for (let col = 0; col < columns; col++) {
    let start = 0;
    while (start < lines.length) {
      if (lines[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      let w = minwidth;
      while (end < lines.length && lines[end]!.length - 1 > col) {
        w = Math.max(w, width(lines[end]![col]!) + padding);
        end++;
      }
      for (let i = start; i < end; i++) widths[i]![col] = w;
      start = end;
    }
  }
  return lines
    .map((cells, i) =>
      cells.map((cell, col) => (col < cells.length - 1 ? cell + ' '.repeat(widths[i]![col]! - width(cell)) : cell)).join(''),
    )
    .join('\n');
}

/** Go's json.Indent(dst, src, "", indent): re-indent raw JSON without reordering anything. */
export function indentJson(raw: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const newline = () => '\n' + indent.repeat(depth);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += raw[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      // An empty object or array stays on one line, as json.Indent leaves it.
      let j = i + 1;
      while (j < raw.length && ' \t\n\r'.includes(raw[j]!)) j++;
      const close = c === '{' ? '}' : ']';
      if (raw[j] === close) {
        out += c + close;
        i = j;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') {
      out += c + newline();
    } else if (c === ':') {
      out += ': ';
    } else {
      out += c;
    }
  }
  return out;
}

/** fvbommel/sortorder's NaturalLess, which `docker network ls` sorts names by. */
export function naturalLess(a: string, b: string): boolean {
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i]!;
    const cb = b[j]!;
    if (digit(ca) !== digit(cb)) return digit(ca);
    if (!digit(ca)) {
      if (ca !== cb) return ca < cb;
      i++;
      j++;
      continue;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const na = i;
    const nb = j;
    while (digit(a[i])) i++;
    while (digit(b[j])) j++;
    if (i - na !== j - nb) return i - na < j - nb;
    const da = a.slice(na, i);
    const db = b.slice(nb, j);
    if (da !== db) return da < db;
    if (na !== nb) return na < nb;
  }
  return a.length < b.length;
}

/** Go's time.Time.String() for an RFC3339 timestamp: "2026-11-28 15:53:32.522 +0000 UTC". */
export function goTimeString(rfc3339: string | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339 ?? '');
  if (!m) return rfc3339 ?? '';
  const frac = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac} ${zone}`;
}

// Templates: the small subset of Go templates `--format` needs here: {{.Field}}, {{.A.B}},
// {{json .}} / {{json .Field}} and, for ls, {{.Label "key"}}.

export type Lookup = (path: readonly string[]) => unknown;

export function renderValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function renderTemplate(template: string, lookup: Lookup, label?: (key: string) => string): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_whole, expr: string) => {
    const json = /^json\s+(\S+)$/.exec(expr);
    const labelCall = /^\.Label\s+"([^"]*)"$/.exec(expr);
    if (labelCall && label) return label(labelCall[1]!);
    const pathExpr = json ? json[1]! : expr;
    if (!/^\.(\w+(\.\w+)*)?$/.test(pathExpr)) throw new UsageError(`template parsing error: unsupported expression {{${expr}}}`);
    const path = pathExpr === '.' ? [] : pathExpr.slice(1).split('.');
    const value = lookup(path);
    return json ? JSON.stringify(value ?? null) : renderValue(value);
  });
}

/** Field lookup in Docker JSON: exact key first, else case-insensitive (`.ID` finds "Id"). */
export function jsonLookup(root: unknown): Lookup {
  return (path) => {
    let v: unknown = root;
    for (const key of path) {
      if (v === null || typeof v !== 'object') return undefined;
      const obj = v as Record<string, unknown>;
      const found = Object.hasOwn(obj, key) ? key : Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
      if (found === undefined) return undefined;
      v = obj[found];
    }
    return v;
  };
}

/** docker's formatter: `\t` and `\n` escapes become real tabs and newlines. */
export const unescapeFormat = (format: string) => format.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');

export { humanDuration } from '../util/human-duration.js';

/** docker/go-units HumanSizeWithPrecision(size, 3): decimal units, "4.26MB", "10.2kB", "0B". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  // Go's %.3g: three significant digits, no trailing zeros.
  return `${Number(size.toPrecision(3))}${units[i]}`;
}

/** docker's formatter.Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}
