// `docker image ls` filters with moby's semantics: dangling (untagged), reference (a glob on the
// familiar name or name:tag), label (k or k=v), before/since (an image reference).

import { invalid } from '../errors.js';
import type { ImageRecord } from './backend.js';
import { parseUntil, validateFilterKeys, type FilterArgs } from './filters.js';

export const IMAGE_LIST_FILTERS = ['before', 'dangling', 'label', 'label!', 'reference', 'since', 'until'] as const;

/** Go's path.Match for the `*`, `?` and `[…]` a reference pattern may hold, anchored. */
function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  try {
    return new RegExp(`^${source}$`);
  } catch {
    throw invalid(`invalid reference filter: ${glob}`);
  }
}

function referenceMatches(patterns: readonly RegExp[], tags: readonly string[]): boolean {
  return tags.some((tag) => {
    const name = tag.slice(0, tag.lastIndexOf(':'));
    return patterns.some((p) => p.test(name) || p.test(tag));
  });
}

function labelsMatch(wanted: readonly string[], labels: Readonly<Record<string, string>> | null): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    return labels !== null && Object.hasOwn(labels, key) && (eq < 0 || labels[key] === w.slice(eq + 1));
  });
}

/** `resolve` finds the image a before/since reference names (404 when none). */
export function filterImages(images: readonly ImageRecord[], args: FilterArgs, resolve: (ref: string) => ImageRecord | undefined): ImageRecord[] {
  validateFilterKeys(args, IMAGE_LIST_FILTERS);
  const get = (k: string) => [...(args.get(k) ?? [])];
  const dangling = get('dangling');
  if (dangling.length > 1) throw invalid('got more than one value for filter key "dangling"');
  let onlyDangling: boolean | undefined;
  if (dangling.length === 1) {
    const d = dangling[0]!.toLowerCase();
    if (d === 'true' || d === '1') onlyDangling = true;
    else if (d === 'false' || d === '0') onlyDangling = false;
    else throw invalid(`invalid filter 'dangling=${dangling[0]}'`);
  }
  const refs = get('reference').map(globToRegExp);
  const labels = get('label');
  const labelsNot = get('label!');
  const bound = (k: string) =>
    get(k).map((ref) => {
      const image = resolve(ref);
      if (!image) throw invalid(`No such image: ${ref}`);
      return Date.parse(image.created);
    });
  const before = bound('before');
  const since = bound('since');
  const until = get('until').map((u) => parseUntil(u, new Date()).getTime());
  return images.filter((i) => {
    if (onlyDangling !== undefined && (i.repoTags.length === 0) !== onlyDangling) return false;
    if (refs.length > 0 && !referenceMatches(refs, i.repoTags)) return false;
    if (!labelsMatch(labels, i.config.Labels)) return false;
    if (labelsNot.length > 0 && labelsMatch(labelsNot, i.config.Labels)) return false;
    const created = Date.parse(i.created);
    if (before.some((t) => created >= t)) return false;
    if (since.some((t) => created <= t)) return false;
    if (until.some((t) => created > t)) return false;
    return true;
  });
}
