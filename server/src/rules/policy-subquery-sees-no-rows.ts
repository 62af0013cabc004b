import { resolvedThroughPath, type Model, type Table } from '../analysis/model.js';
import { conjuncts, memoised } from '../analysis/ast.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { appliesToRole, roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { activePoliciesWithKey, activeRowsWith, constBool, FLAG_READS_RELATION, memoModel } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { neverTrueIn, requiresKeyIn } from '../analysis/unset-context.js';
import { defineRule } from './types.js';
import { mayHoldPrivilege, onSupabasePlatform, tableName } from './lib/util.js';

/**
 * Why no row of `u` is visible to `role` under row-level security, or undefined when one may be:
 * no permissive SELECT (or ALL) policy of `u` with a USING applies to it, or those that do admit
 * it nothing: (Supabase's anon, no signed-in user) they compare a column with auth.uid(), NULL
 * then, or they require a row of a table hidden from the role too (meu-delivery-pro's option
 * items, through option groups, through products). Not for a role that bypasses RLS, owns the
 * table (not forced), or may lack SELECT on it (42501 then: policy-reads-without-grant).
 */
function hiddenFrom(model: Model, u: Table, role: string, seen?: Set<Table>): Hidden | undefined {
  if (!u.rlsEnabled) return undefined;
  // (per model, asked from the top: below, what a cycle gives depends on the path)
  if (seen === undefined) {
    const memo = memoModel(model, 'policy-subquery-sees-no-rows:hidden', () => new Map<Table, Map<string, Hidden | null>>());
    let byRole = memo.get(u);
    if (!byRole) memo.set(u, (byRole = new Map()));
    let v = byRole.get(role);
    if (v === undefined) byRole.set(role, (v = hiddenFrom(model, u, role, new Set()) ?? null));
    return v ?? undefined;
  }
  // (a cycle: not known to be hidden)
  if (seen.has(u)) return undefined;
  seen.add(u);
  const reasons: string[] = [];
  for (const q of activePoliciesWithKey(model, u.key)) {
    if (!q.permissive || (q.command !== 'select' && q.command !== 'all') || !appliesToRole(model, q, role)) continue;
    if (!q.using || constBool(q.using) === false) continue;
    if (role === 'anon' && onSupabasePlatform(model) && (requiresKeyIn(model, q.using, 'auth.uid') || neverTrueIn(model, q.using, 'auth.uid', 'no-user', { mode: 'filter' }))) {
      reasons.push(`policy "${q.name}" admits a row only for the signed-in user (auth.uid(), NULL for anon)`);
      continue;
    }
    const through = requiredSubselects(model, q.using, '', true).flatMap((x) => x.tables).find((v) => v !== u && hiddenFrom(model, v, role, seen));
    if (through) {
      reasons.push(`policy "${q.name}" requires a row of ${tableName(model, through, q.created)}, which it cannot see either`);
      continue;
    }
    seen.delete(u);
    return undefined;
  }
  seen.delete(u);
  if (model.roleBypassesRls(role) === true || (u.owner?.role === role && !u.rlsForced)) return undefined;
  if (mayBeDynamic(model, 'policy', u) || !mayHoldPrivilege(model, u, role, ['select'])) return undefined;
  return { why: reasons.length ? `of its SELECT policies, ${reasons.join('; ')}` : `no permissive SELECT (or ALL) policy of it applies to ${role === 'public' ? 'PUBLIC' : role}` };
}

interface Hidden {
  why: string;
}

/** The RangeVars of a FROM item every row of it needs (a table; each side of an inner join), or undefined for another item. */
function innerRangeVars(item: Node, out: Node[]): boolean {
  if (item?.RangeVar) {
    if (item.RangeVar.relname) out.push(item.RangeVar);
    return true;
  }
  const j = item?.JoinExpr;
  if (j && j.jointype === 'JOIN_INNER') return innerRangeVars(j.larg, out) && innerRangeVars(j.rarg, out);
  return false;
}

/** The sub-selects an expression requires to find a row (an AND-ed EXISTS or IN) with the RangeVars its one FROM item needs a row of (kept on the node). */
interface RequiredLink {
  link: Node;
  rvs: Node[];
  /** the keys of rvs under the default schema `keysFor` (requiredSubselects) */
  keys?: string[];
  keysFor?: string;
}
const requiredLinks = memoised((e: Node): RequiredLink[] => {
  const out: RequiredLink[] = [];
  for (const c of conjuncts(e)) {
    const link = c?.SubLink;
    if (!link || (link.subLinkType !== 'EXISTS_SUBLINK' && link.subLinkType !== 'ANY_SUBLINK')) continue;
    const from = link.subselect?.SelectStmt?.fromClause as Node[] | undefined;
    const rvs: Node[] = [];
    if (from?.length === 1 && innerRangeVars(from[0], rvs) && rvs.length) out.push({ link, rvs });
  }
  return out;
});

/**
 * requiredLinks with the tables of the model their RangeVars name. The keys are kept on the links
 * for the default schema they were made under (`probe`), unless a SET search_path resolved the
 * statement's names (`fresh`): resolving them each lint was most of the rule's re-lint.
 */
function requiredSubselects(model: Model, e: Node, probe: string, fresh: boolean): Array<{ link: Node; tables: Table[] }> {
  const links = requiredLinks(e);
  if (links.length === 0) return [];
  return links.map((l) => {
    let keys = l.keysFor === probe && !fresh ? l.keys! : undefined;
    if (!keys) {
      keys = l.rvs.map((rv) => model.relKey(rv));
      if (!fresh) {
        l.keys = keys;
        l.keysFor = probe;
      }
    }
    const tables: Table[] = [];
    for (const k of keys) {
      const t = model.tables.get(k);
      if (t) tables.push(t);
    }
    return { link: l.link, tables };
  });
}

export const policySubquerySeesNoRows = defineRule({
  meta: {
    id: 'policy-subquery-sees-no-rows',
    description: "A policy admits a row only when its sub-select finds one in another table with row-level security, and no policy of that table lets the policy's roles see any row: the policy admits nothing.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "Row-level security applies inside a policy's sub-selects as in any query of the role: a required EXISTS (or IN) on a table whose policies show that role no row is never true, so the policy admits no row (reads return nothing, writes fail with 42501).",
    truths: ['T12'],
    shownBy: { emptyRead: true, asPolicyRole: true },
  },
  check({ model, report }) {
    const supabase = onSupabasePlatform(model);
    const probe = model.key([undefined, '']);
    for (const row of activeRowsWith(model, FLAG_READS_RELATION)) {
      const p = row.policy;
      const t = row.table;
      if (!p.permissive || !t) continue;
      let roles: string[] | undefined;
      let done = false;
      for (const e of row.exprs) {
        if (done || requiredLinks(e.node).length === 0) continue;
        // the roles it is for: those it names (subject to RLS); for PUBLIC, Supabase's API roles
        roles ??= p.roles.includes('public') ? (supabase ? ['anon', 'authenticated'] : []) : rolesSubjectToRls(model, p);
        if (roles.length === 0) break;
        for (const { link, tables } of requiredSubselects(model, e.node, probe, resolvedThroughPath(p.stmt))) {
          let u: Table | undefined;
          let hidden: Array<Hidden | undefined> = [];
          for (const v of tables) {
            if (v === t || !v.rlsEnabled) continue;
            hidden = roles.map((r) => hiddenFrom(model, v, r));
            if (hidden.every((h) => h)) {
              u = v;
              break;
            }
          }
          if (!u) continue;
          const who = p.roles.includes('public') ? 'anon and authenticated (it is for PUBLIC)' : roleList(roles);
          const uName = tableName(model, u, p.created);
          const form = link.subLinkType === 'EXISTS_SUBLINK' ? `EXISTS (SELECT … FROM ${uName} …)` : `… IN (SELECT … FROM ${uName} …)`;
          const effect =
            e.clause === 'using'
              ? `${p.command === 'select' || p.command === 'all' ? 'their queries of' : `their ${p.command.toUpperCase()}s on`} ${p.table} get no row through it, with no error`
              : `every ${p.command === 'update' ? 'UPDATE' : 'INSERT'} it alone would admit fails with 42501 new row violates row-level security policy`;
          report({
            ...p.nameLoc,
            message:
              `Policy "${p.name}" on ${p.table} is for ${who} and admits a row only when its sub-select ${form} finds one, but no row of ${uName} is visible to ${roles.length === 1 ? 'that role' : 'those roles'}: ` +
              `${[...new Set(hidden.map((h) => h!.why))].join('; ')}. Row-level security applies inside a policy's sub-selects as in any query of the role, so the sub-select finds nothing and the policy admits no row: ${effect}. ` +
              `Add a SELECT policy on ${uName} for ${roles.length === 1 ? 'the role' : 'these roles'} admitting the rows this policy needs (e.g. the published ones), or look the row up through a SECURITY DEFINER function (with SET search_path) that reads ${uName} as its owner.`,
            related: [{ ...u.nameLoc, message: `${uName}: row-level security enabled, no row visible to ${roleList(roles)}` }],
          });
          done = true;
          break;
        }
      }
    }
  },
});
