import { policyLoopReaches } from '../analysis/dynamic-rls.js';
import type { Model, Policy } from '../analysis/model.js';
import { appliesToRole, commandList, COMMANDS, coversCommand, roleList, rolesNamed, type Command } from '../analysis/policies.js';
import { defineRule, type Report } from './types.js';
import { acceptedPolicies } from './lib/table-kept.js';
import { constValue } from '../analysis/ast.js';
import { activePoliciesWithKey, constBool } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { forEachEnabledTable, forEachPolicyKeyWithoutTable, PF_ALL, PF_INSERT, PF_PERMISSIVE, PF_SELECT, PF_UPDATE, policyFacts } from './lib/util.js';
import { listOr } from '../analysis/words.js';

/**
 * Whether some command is covered by two permissive policies of the list, whatever their roles:
 * when none is, no role has two (on the bench, no table: one policy per command).
 */
function mayOverlap(policies: readonly Policy[]): boolean {
  let all = 0;
  let select = 0;
  let insert = 0;
  let update = 0;
  let del = 0;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i]!;
    if (!p.permissive) continue;
    if (p.command === 'all') all++;
    else if (p.command === 'select') select++;
    else if (p.command === 'insert') insert++;
    else if (p.command === 'update') update++;
    else del++;
  }
  return all + Math.max(select, insert, update, del) >= 2;
}

/** mayOverlap of the policies at `from` to `to` (exclusive) of model.policies, from their policyFacts (the policies are not read). */
function mayOverlapAt(facts: Uint16Array, from: number, to: number): boolean {
  let all = 0;
  let select = 0;
  let insert = 0;
  let update = 0;
  let del = 0;
  for (let i = from; i < to; i++) {
    const f = facts[i]!;
    if (!(f & PF_PERMISSIVE)) continue;
    if (f & PF_ALL) all++;
    else if (f & PF_SELECT) select++;
    else if (f & PF_INSERT) insert++;
    else if (f & PF_UPDATE) update++;
    else del++;
  }
  return all + Math.max(select, insert, update, del) >= 2;
}

/** `col = 'constant'` (either side; casts of the constant allowed): the column's name and the constant's text. */
function pinned(n: Node): { col: string; value: string } | undefined {
  const e = n?.A_Expr;
  if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1 || e.name[0]?.String?.sval !== '=') return undefined;
  const col = (x: Node) => {
    const fields: Node[] | undefined = x?.ColumnRef?.fields;
    const last = fields?.[fields.length - 1]?.String?.sval;
    return typeof last === 'string' ? last : undefined;
  };
  const value = (x: Node) => {
    const v = constValue(x?.TypeCast ? x.TypeCast.arg : x);
    return v === undefined || v === null ? undefined : String(v);
  };
  const l = col(e.lexpr);
  const r = col(e.rexpr);
  if (l !== undefined && value(e.rexpr) !== undefined) return { col: l, value: value(e.rexpr)! };
  if (r !== undefined && value(e.lexpr) !== undefined) return { col: r, value: value(e.lexpr)! };
  return undefined;
}

/** The `col = 'constant'` conditions a row must meet for `n` to hold: its own, or its AND's. */
function pins(n: Node): Map<string, string> {
  const out = new Map<string, string>();
  const add = (x: Node) => {
    const p = pinned(x);
    if (p) out.set(p.col, p.value);
  };
  if (n?.BoolExpr?.boolop === 'AND_EXPR') for (const a of n.BoolExpr.args ?? []) add(a);
  else add(n);
  return out;
}

/**
 * Whether the policies admit disjoint rows for every command of `cmds`: each pins one column
 * to a constant (`bucket_id = 'avatars'`, `bucket_id = 'invoices'`: Supabase storage policies
 * per bucket), no two the same. No row is then admitted by two of them: neither "the broadest
 * decides" nor merging them says anything true or useful.
 */
function disjoint(policies: readonly Policy[], cmds: ReadonlySet<Command>): boolean {
  for (const cmd of cmds) {
    const maps = policies.map((p) => pins((cmd === 'insert' ? (p.withCheck ?? p.using) : (p.using ?? p.withCheck)) as Node));
    const shared = [...maps[0]!.keys()].filter((c) => maps.every((m) => m.has(c)));
    if (!shared.some((c) => new Set(maps.map((m) => m.get(c))).size === maps.length)) return false;
  }
  return true;
}

/**
 * Whether the policy gives PostgreSQL an expression to OR for the command: USING for the rows
 * SELECT, UPDATE and DELETE reach, WITH CHECK (else USING) for the rows INSERT adds. A policy
 * without one adds nothing to the filter (a FOR ALL policy with only WITH CHECK admits no row to
 * read: measured on PGlite).
 */
const filtersFor = (p: Policy, cmd: Command): boolean => clauseFor(p, cmd) != null;

/** The expression PostgreSQL ORs for the command (filtersFor). */
const clauseFor = (p: Policy, cmd: Command): Node | undefined => (cmd === 'insert' ? (p.withCheck ?? p.using) : p.using) as Node | undefined;

/** Reports the overlaps among the permissive policies of one table (key). */
function checkTable(model: Model, key: string, policies: readonly Policy[], report: (r: Report) => void): void {
  const permissive = policies.filter((p) => p.permissive);
  // (set of policies) → the roles and commands for which exactly that set applies
  let overlaps: Map<string, { policies: Policy[]; roles: Set<string>; cmds: Set<Command> }> | undefined;
  for (const role of rolesNamed(permissive)) {
    if (role !== 'public' && model.roleBypassesRls(role)) continue;
    for (const cmd of COMMANDS) {
      // counted first: most commands have one policy or none (no list to make)
      let n = 0;
      for (const p of permissive) if (coversCommand(p, cmd) && filtersFor(p, cmd) && appliesToRole(model, p, role)) n++;
      if (n < 2) continue;
      const set = permissive.filter((p) => coversCommand(p, cmd) && filtersFor(p, cmd) && appliesToRole(model, p, role));
      const key = set.map((p) => p.name).join('\u0000');
      overlaps ??= new Map();
      const o = overlaps.get(key) ?? { policies: set, roles: new Set(), cmds: new Set() };
      o.roles.add(role);
      o.cmds.add(cmd);
      overlaps.set(key, o);
    }
  }
  if (!overlaps) return;
  for (const o of overlaps.values()) {
    if (disjoint(o.policies, o.cmds)) continue;
    const last = o.policies[o.policies.length - 1]!;
    const names = o.policies.map((p) => `"${p.name}"`);
    const nameText = listOr(names, 'and');
    const cmds = COMMANDS.filter((c) => o.cmds.has(c));
    const roles = o.roles.has('public') ? ['public'] : [...o.roles]; // PUBLIC covers every role
    // (a "deny" written permissive: false for each command, it adds no row to the OR and takes none away)
    const deny = o.policies.filter((p) => cmds.every((c) => constBool(clauseFor(p, c)) === false));
    const others = o.policies.filter((p) => !deny.includes(p));
    // (every one a "deny": their OR admits no row, as one of them alone would, and as no policy at
    // all would; "the broadest decides" and merging them say nothing true or useful: hire-speedy-ai's
    // oauth_states, "Block all client access" and "Service role manages oauth states", FOR ALL
    // USING (false) WITH CHECK (false) both)
    if (deny.length && !others.length) continue;
    if (deny.length && others.length) {
      const d = deny[0]!;
      const clauses = [...new Set(cmds.map((c) => (c === 'insert' && d.withCheck ? 'WITH CHECK' : 'USING')))];
      const otherText = others.map((p) => `"${p.name}"`);
      const othersList = listOr(otherText, 'and');
      report({
        ...d.nameLoc,
        message:
          `Policy "${d.name}" on ${key} is permissive and its ${clauses.join(' and ')} ${clauses.length === 1 ? 'is' : 'are'} always false: it admits no row, and PostgreSQL ORs it with ` +
          `${othersList}, ${others.length === 1 ? 'the other permissive policy' : 'the other permissive policies'} for ${commandList(cmds)} by ${roleList(roles)}, so it takes nothing away from ${others.length === 1 ? 'it' : 'them'}: ` +
          `what ${roleList(roles)} ${roles.length === 1 && roles[0] !== 'public' ? 'gets' : 'get'} is what ${others.length === 1 ? 'that policy admits' : 'they admit'}. ` +
          'Permissive policies only add rows; to deny, make it AS RESTRICTIVE (PostgreSQL ANDs restrictive policies with the permissive ones, so a false one then denies its roles every row), or drop it.',
        related: others.map((p) => ({ ...p.nameLoc, message: `permissive policy "${p.name}"` })),
      });
      continue;
    }
    report({
      ...last.nameLoc,
      message:
        `Policies ${nameText} on ${key} are ${o.policies.length === 2 ? 'both' : 'all'} permissive for ${commandList(cmds)} by ${roleList(roles)}: ` +
        (cmds.length === 1 && cmds[0] === 'insert'
          ? 'PostgreSQL ORs their WITH CHECK conditions into one check, so a new row is accepted as soon as any of them accepts it: the broadest one decides, and each may be evaluated for every row. '
          : cmds.includes('insert')
            ? 'PostgreSQL ORs them into one condition (a filter on the rows read, changed or deleted, a check on new rows), so a row is admitted as soon as any of them admits it: the broadest one decides, and each may be evaluated for every row. '
            : 'PostgreSQL ORs them into one filter, so a row is admitted as soon as any of them admits it: the broadest one decides, and each may be evaluated for every row. ') +
        'Consider one policy per role and command whose condition ORs theirs, so the whole rule is visible in one place (PostgreSQL plans both forms the same way).',
      related: o.policies.slice(0, -1).map((p) => ({ ...p.nameLoc, message: `permissive policy "${p.name}"` })),
    });
  }
}

export const policyMultiplePermissive = defineRule({
  meta: {
    id: 'policy-multiple-permissive',
    description: 'Several PERMISSIVE policies apply to the same role and command on a table.',
    severity: 'info',
    category: 'correctness',
    fixKind: 'none',
    guards: 'PostgreSQL ORs the permissive policies of a role and command into one filter: a row is admitted when any admits it, so the broadest decides.',
    shownBy: { exposure: 'filter' },
    sources: ['splinter 0006 multiple_permissive_policies'],
  },
  check({ model, report }) {
    // Tables the workspace creates, then the table keys it has policies on without creating
    // them (e.g. storage.objects), each in first-seen order. model.policies, which policyFacts
    // follows, holds the tables' policies first, in this order.
    const facts = policyFacts(model);
    // (the policies of a table without RLS are ignored, and reported by other rules)
    forEachEnabledTable(model, (t, from, to) => {
      // (a later loop over pg_policies that drops and creates policies, ft's consolidation of
      // duplicate permissive policies into one: which remain is not known)
      // (not the policies PostgreSQL rejects when they are created: they never exist)
      if (mayOverlapAt(facts, from, to) && !policyLoopReaches(model, t)) checkTable(model, t.key, acceptedPolicies(model, t), report);
    });
    // (those PostgreSQL applies: not on a table whose RLS the migrations disable last, nor rejected ones)
    forEachPolicyKeyWithoutTable(model, (key, policies) => {
      if (mayOverlap(policies)) checkTable(model, key, activePoliciesWithKey(model, key), report);
    });
  },
});
