// The one thing the DNS server asks of the rest of Weft (STYLE.md §11): given who is asking and
// what name, is the answer local, definitely absent, or someone else's business? The server knows
// nothing of networks or endpoints; src/cluster/name-table.ts is the network-aware implementation.

export type LookupResult =
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] }
  | { readonly kind: 'nxdomain' }
  | { readonly kind: 'forward' };

export interface NameLookup {
  /**
   * `asker` is an opaque id (the container the query came from); `name` is the query name as
   * sent, in any letter case, with or without a trailing dot. Called for every query: keep it
   * to a few map look-ups. The server caches encoded answers and compares a fresh result with
   * the cached one each time, so returning the *same object* while nothing changed is cheapest,
   * and the order of `addresses` should be stable (the server rotates it for round-robin).
   */
  lookup(asker: string, name: string): LookupResult;
  /** The name for a PTR query (dotted-quad `ip`), e.g. `web.appnet`; undefined = not local. */
  reverse(asker: string, ip: string): string | undefined;
}

export const NXDOMAIN: LookupResult = Object.freeze({ kind: 'nxdomain' });
export const FORWARD: LookupResult = Object.freeze({ kind: 'forward' });

export function sameResult(a: LookupResult, b: LookupResult): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'addresses' || b.kind !== 'addresses') return true;
  if (a.addresses.length !== b.addresses.length) return false;
  for (let i = 0; i < a.addresses.length; i++) if (a.addresses[i] !== b.addresses[i]) return false;
  return true;
}
