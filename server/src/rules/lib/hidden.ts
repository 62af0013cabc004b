// What a role sees of a table under row-level security, as far as the policies tell: shared by
// policy-subquery-sees-no-rows (a required sub-select that finds nothing) and
// policy-membership-self-join (a membership row its writer cannot read back gains nothing).
import type { Model, Table } from '../../analysis/model.js';
import { conjuncts, memoised, roleText } from '../../analysis/ast.js';
import { mayBeDynamic } from '../../analysis/dynamic-rls.js';
import { appliesToRole } from '../../analysis/policies.js';
import { activePoliciesWithKey, constBool, memoModel, policiesWithKey } from '../../analysis/policy-exprs.js';
import { rejectedPolicies } from '../../analysis/rejected.js';
import type { Node } from '../../analysis/types.js';
import { neverTrueIn, requiresKeyIn } from '../../analysis/unset-context.js';
import { keptKeys, mayHoldPrivilege, onSupabasePlatform, tableName } from './util.js';

/**
 * Why no row of `u` is visible to `role` under row-level security, or undefined when one may be:
 * no permissive SELECT (or ALL) policy of `u` with a USING applies to it, or those that do admit
 * it nothing: (Supabase's anon, no signed-in user) they compare a column with auth.uid(), NULL
 * then, or they require a row of a table hidden from the role too (meu-delivery-pro's option
 * items, through option groups, through products). Not for a role that bypasses RLS, owns the
 * table (not forced), or may lack SELECT on it (42501 then: policy-reads-without-grant).
 */
export function hiddenFrom(model: Model, u: Table, role: string, seen?: Set<Table>): Hidden | undefined {
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
  return { why: reasons.length ? `of its SELECT policies, ${reasons.join('; ')}` : `no permissive SELECT (or ALL) policy of it applies to ${roleText(role)}${rejectedNote(model, u, role)}` };
}

/**
 * The permissive SELECT (or ALL) policies of `u` for `role` that PostgreSQL rejects when the
 * migrations create them, as a note: the reader sees one written for the role, which never exists
 * (Case_Bridge's matter_update_comments, naming a column the table lacks: 42703).
 */
function rejectedNote(model: Model, u: Table, role: string): string {
  const rejected = rejectedPolicies(model);
  if (rejected.size === 0) return '';
  const lost = policiesWithKey(model, u.key).filter((q) => q.permissive && (q.command === 'select' || q.command === 'all') && rejected.has(q) && appliesToRole(model, q, role));
  if (lost.length === 0) return '';
  const each = lost.map((q) => {
    const r = rejected.get(q)!;
    return r.code === 'aborted' ? `"${q.name}" never runs (its DO block stops at "${r.by.name}", rejected before it)` : `PostgreSQL rejects "${q.name}" when the migrations create it (${r.code})`;
  });
  return ` (one is written for it, but ${each.join('; ')}: ${lost.length === 1 ? 'it never exists' : 'they never exist'})`;
}

export interface Hidden {
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
  keys?: readonly string[];
  keysFor?: string;
}
export const requiredLinks = memoised((e: Node): RequiredLink[] => {
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
export function requiredSubselects(model: Model, e: Node, probe: string, fresh: boolean): Array<{ link: Node; tables: Table[] }> {
  const links = requiredLinks(e);
  if (links.length === 0) return [];
  return links.map((l) => {
    const keys = linkKeys(model, l, probe, fresh);
    const tables: Table[] = [];
    for (const k of keys) {
      const t = model.tables.get(k);
      if (t) tables.push(t);
    }
    return { link: l.link, tables };
  });
}

/** The keys of a required link's RangeVars (kept on it for `probe` unless `fresh`: keptKeys). */
export function linkKeys(model: Model, l: RequiredLink, probe: string, fresh: boolean): readonly string[] {
  return keptKeys(model, l, l.rvs, probe, fresh);
}
