// iptables rules for local bridge networks, reconciled like everything else: one `iptables-save`
// read, then one atomic `iptables-restore --noflush` carrying only the difference. Each rule
// carries the comment `weft:<bridge>`, which is how reconciling and removal find ours.
import { netnsPath } from './netns.js';
import type { CommandRunner } from './runner.js';

export type Table = 'nat' | 'filter';

export interface Rule {
  readonly table: Table;
  readonly chain: string;
  /** The rule after `-A <chain>`, written as iptables-save prints it (that is how it is matched). */
  readonly spec: string;
  /** Insert at the top of the chain (drops that must win over the host's accepts) or append. */
  readonly position: 'insert' | 'append';
}

export interface BridgeRuleOptions {
  readonly bridgeName: string;
  /** Network address form, e.g. 172.17.0.0/16. */
  readonly subnet: string;
  readonly masquerade: boolean;
  readonly internal: boolean;
  /** Whether containers on the bridge may talk to each other (Docker's enable_icc); default true. */
  readonly icc?: boolean;
}

export const ruleComment = (bridgeName: string): string => `weft:${bridgeName}`;

/**
 * Docker's rules for a bridge, minus its chains. Internal networks drop everything crossing the
 * bridge's edge (traffic between ports of the bridge has -i and -o both the bridge, so it passes)
 * and never masquerade. Others accept their traffic, which only matters on a host whose FORWARD
 * policy is DROP, and masquerade when asked.
 */
export function bridgeRules(o: BridgeRuleOptions): Rule[] {
  const br = o.bridgeName;
  const c = `-m comment --comment "${ruleComment(br)}"`;
  if (o.internal) {
    return [
      { table: 'filter', chain: 'FORWARD', spec: `-i ${br} ! -o ${br} ${c} -j DROP`, position: 'insert' },
      { table: 'filter', chain: 'FORWARD', spec: `! -i ${br} -o ${br} ${c} -j DROP`, position: 'insert' },
    ];
  }
  const rules: Rule[] = [
    { table: 'filter', chain: 'FORWARD', spec: `-i ${br} ${c} -j ACCEPT`, position: 'append' },
    { table: 'filter', chain: 'FORWARD', spec: `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED ${c} -j ACCEPT`, position: 'append' },
  ];
  if (o.masquerade) rules.push({ table: 'nat', chain: 'POSTROUTING', spec: `-s ${o.subnet} ! -o ${br} ${c} -j MASQUERADE`, position: 'append' });
  // Bridged traffic passes FORWARD too (bridge-nf-call-iptables is on in new namespaces).
  if (o.icc === false) rules.unshift({ table: 'filter', chain: 'FORWARD', spec: `-i ${br} -o ${br} ${c} -j DROP`, position: 'insert' });
  return rules;
}

export interface SavedRule {
  readonly table: string;
  readonly chain: string;
  readonly spec: string;
}

export function parseSave(text: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (m) rules.push({ table, chain: m[1] as string, spec: (m[2] as string).trim() });
  }
  return rules;
}

/** Quotes and spacing differ between iptables-save versions; the tokens do not. */
const normalize = (spec: string): string => spec.replace(/"/g, '').replace(/\s+/g, ' ').trim();

const hasComment = (spec: string, comment: string): boolean => normalize(spec).split(' ').some((t, i, all) => t === comment && all[i - 1] === '--comment');

/**
 * The iptables-restore input that makes the rules commented `comment` exactly `desired`, or ''
 * when they already are. Rule order inside a chain is not reconciled: a rule present anywhere counts.
 */
export function planRules(saved: readonly SavedRule[], desired: readonly Rule[], comment: string): string {
  const key = (table: string, chain: string, spec: string) => `${table} ${chain} ${normalize(spec)}`;
  const wanted = new Set(desired.map((r) => key(r.table, r.chain, r.spec)));
  const present = new Set<string>();
  const byTable = new Map<string, string[]>();
  const emit = (table: string, line: string) => byTable.set(table, [...(byTable.get(table) ?? []), line]);

  for (const r of saved) {
    if (!hasComment(r.spec, comment)) continue;
    const k = key(r.table, r.chain, r.spec);
    if (wanted.has(k)) present.add(k);
    else emit(r.table, `-D ${r.chain} ${r.spec}`);
  }
  // Inserting at 1 in reverse keeps the desired order at the top of the chain.
  const inserts = desired.filter((r) => r.position === 'insert').reverse();
  for (const r of [...inserts, ...desired.filter((r) => r.position === 'append')]) {
    if (present.has(key(r.table, r.chain, r.spec))) continue;
    emit(r.table, r.position === 'insert' ? `-I ${r.chain} 1 ${r.spec}` : `-A ${r.chain} ${r.spec}`);
  }
  return [...byTable].map(([table, lines]) => `*${table}\n${lines.join('\n')}\nCOMMIT\n`).join('');
}

/** argv run inside `ns` (undefined = here). nsenter switches only the network namespace, which is
 * all iptables and sysctl's /proc/sys/net need; `ip netns exec` would also remount /sys. */
export function inNetns(ns: string | undefined, argv: readonly string[]): string[] {
  return ns === undefined ? [...argv] : ['nsenter', `--net=${netnsPath(ns)}`, ...argv];
}

export async function readRules(runner: CommandRunner, ns: string | undefined): Promise<SavedRule[]> {
  return parseSave((await runner.run(inNetns(ns, ['iptables-save']))).stdout);
}

export async function applyRules(runner: CommandRunner, ns: string | undefined, restoreInput: string): Promise<void> {
  if (restoreInput === '') return;
  await runner.run(inNetns(ns, ['iptables-restore', '--noflush']), { input: restoreInput });
}
