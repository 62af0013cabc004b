// Which policies apply to a role and a command. Pure: reads the model.
import type { Func, Model, Policy } from './model.js';
import { activeRowsWith, constBool, FLAG_TAUTOLOGY, memoModel, selectSubLinkWouldRecurse } from './policy-exprs.js';
import type { Node } from './types.js';
import { isOffValue, roleText } from './ast.js';
import { groupsOf } from './privileges.js';
import { listOr } from './words.js';

export const COMMANDS = ['select', 'insert', 'update', 'delete'] as const;
export type Command = (typeof COMMANDS)[number];

/** The commands a policy covers (`ALL` covers each). */
export function commandsOf(p: Policy): Command[] {
  return p.command === 'all' ? [...COMMANDS] : [p.command];
}

export function coversCommand(p: Policy, cmd: Command): boolean {
  return p.command === 'all' || p.command === cmd;
}

/**
 * Whether the policy applies to `role`: named in its TO list, PUBLIC, or a role `role` is a
 * member of. For `role === 'public'` only policies TO PUBLIC apply.
 */
export function appliesToRole(model: Model, p: Policy, role: string): boolean {
  const roles = p.roles;
  if (roles.includes('public')) return true;
  if (role === 'public') return false;
  if (roles.includes(role)) return true;
  // (no closure: rules ask this for every policy and role of a table)
  const groups = groupsOf(model, role);
  if (groups) for (let i = 0; i < roles.length; i++) if (groups.has(roles[i]!)) return true;
  return false;
}

/**
 * Whether PostgreSQL never evaluates the policy's USING: for each command it filters and each
 * role it is for, another permissive policy of the table for that command and role has USING
 * (true). PostgreSQL ORs the permissive policies' USING and folds `true OR …` to true while
 * planning, so nothing of this USING is in the plan (shown on PGlite: a helper it calls is
 * never called; test/rules/policy-per-row-function.test.ts). Not for a restrictive policy
 * (ANDed), nor for FOR ALL without WITH CHECK (its USING is also the INSERT check). Sub-selects
 * are expanded by the rewriter before planning: a recursion through one is still raised.
 */
export function usingFoldedAway(model: Model, p: Policy): boolean {
  if (!p.permissive || (p.command === 'all' && !p.withCheck)) return false;
  const always = alwaysTrue(model).get(p.table);
  if (always === undefined) return false;
  for (const c of commandsOf(p)) {
    if (c === 'insert') continue; // (a FOR ALL policy's WITH CHECK is the INSERT check, not its USING)
    for (const r of p.roles) if (!always.some((q) => q !== p && coversCommand(q, c) && appliesToRole(model, q, r))) return false;
  }
  return true;
}

/**
 * Whether a read of the table `tableKey` by `owner` is left whole by the table's policies, were
 * they applied to it (FORCE ROW LEVEL SECURITY, a definer helper's read as its owner): a permissive
 * SELECT (or ALL) policy with USING (true) applies to that role (for a role the workspace does not
 * show, `undefined`: one for PUBLIC), no restrictive SELECT policy may apply (for an unknown role,
 * none at all), and no sub-select of the table's policies leads back to it (the rewriter expands
 * those before planning, 42P17). PostgreSQL folds `true OR …` while planning: the read sees every
 * row and no other policy's USING runs, so a helper called there is not called again (PGlite:
 * test/rules/rls-not-forced.test.ts, mdluo/graphile-next-example's current_user_id()).
 */
export function readUnfilteredFor(model: Model, tableKey: string, policies: readonly Policy[], owner: string | undefined): boolean {
  const always = alwaysTrue(model).get(tableKey);
  if (always === undefined) return false;
  const role = owner ?? 'public';
  if (!always.some((q) => coversCommand(q, 'select') && appliesToRole(model, q, role))) return false;
  for (const q of policies) if (!q.permissive && coversCommand(q, 'select') && (owner === undefined || appliesToRole(model, q, owner))) return false;
  return selectSubLinkWouldRecurse(model, tableKey) === undefined;
}

/**
 * The permissive policies with USING (true) (constBool, the policy index's FLAG_TAUTOLOGY) by
 * table key, per model: usingFoldedAway is asked for every policy a rule reports on, and on
 * the bench, which has none, each answer is one lookup in an empty map (a loop over the
 * table's policies per ask cost policy-per-row-function's re-lint ≈ 3 ms).
 */
const alwaysTrue = (model: Model): Map<string, Policy[]> => memoModel(model, 'policies:alwaysTrue', buildAlwaysTrue);

function buildAlwaysTrue(model: Model): Map<string, Policy[]> {
  const out = new Map<string, Policy[]>();
  const rows = activeRowsWith(model, FLAG_TAUTOLOGY);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const q = row.policy;
    if (!q.permissive || !(row.usingFlags & FLAG_TAUTOLOGY)) continue;
    const list = out.get(q.table);
    if (list) list.push(q);
    else out.set(q.table, [q]);
  }
  return out;
}

/** The roles a policy is for that are subject to row-level security: PUBLIC, and roles not known to bypass it. */
export function rolesSubjectToRls(model: Model, p: Policy): readonly string[] {
  // (the policy's own list when no role of it bypasses RLS, the common case: no copy per policy and lint)
  const roles = p.roles;
  for (let i = 0; i < roles.length; i++) if (roles[i] !== 'public' && model.roleBypassesRls(roles[i]!)) return roles.filter((r) => r === 'public' || !model.roleBypassesRls(r));
  return roles;
}

/** The roles named by policies of a list (PUBLIC included as `public`), in first-seen order. */
export function rolesNamed(policies: readonly Policy[]): string[] {
  // (a list: policies name one role or a few, where a Set and its spread cost more than includes)
  const out: string[] = [];
  for (const p of policies) for (const r of p.roles) if (!out.includes(r)) out.push(r);
  return out;
}

/** Upper-case command names joined for messages: `SELECT`, `SELECT and UPDATE`, … */
export function commandList(cmds: readonly string[]): string {
  const u = cmds.map((c) => c.toUpperCase());
  return listOr(u, 'and');
}

/**
 * Role names for messages, each as SQL writes it (roleText: PUBLIC, CURRENT_USER, `"App_Visitor"`).
 * An entry a rule has already written out (quoted, or a role with words after it: `app_owner (the
 * table's owner, …)`) is kept as it is.
 */
export function roleList(roles: readonly string[]): string {
  const u = roles.map((r) => (r === 'PUBLIC' || r.startsWith('"') || /\s/.test(r) ? r : roleText(r)));
  return listOr(u, 'and');
}

/** Whether the workspace runs on Supabase's platform roles (anon, authenticated, auth.uid()): its examples fit. */
/**
 * A custom setting the application sets itself (a switch policy-setting-bypass reports, verify's
 * setting-switch look reads): a dotted name (a built-in setting has none), but not one a server
 * sets from a request it verified, which its clients cannot set — PostgREST's `request.*`
 * (`request.jwt.claims`, read by Supabase's auth.uid()), PostGraphile's `jwt.claims.*`, Hasura's
 * `hasura.user`.
 */
export function appSetting(name: string): boolean {
  return name.includes('.') && !/^(?:request|jwt|hasura)\./i.test(name);
}

export function onSupabasePlatform(model: Model): boolean {
  const r = model.roles.get('authenticated');
  return !!r && !r.declared;
}

/**
 * A permissive policy without the expression its command is checked with admits no row:
 * PostgreSQL skips a permissive policy with no USING for reads, and one with neither WITH
 * CHECK nor USING for writes (measured: FOR ALL TO public with neither, 0 rows, INSERT 42501);
 * one whose expression is `false` admits none either.
 */
export function admitsNothing(p: Policy): boolean {
  // (or with the expression `false`: a deny-all policy, e.g. USING (false) to say nobody writes through the API)
  const none = (n: Node | undefined) => !n || constBool(n) === false;
  if (p.command === 'insert') return none(p.withCheck);
  if (p.command === 'all') return none(p.using) && (p.withCheck ? none(p.withCheck) : true);
  return none(p.using);
}

/**
 * Whether the function has a `SET row_security = off` clause: while it runs, a query that a policy
 * would filter for the role it runs as fails with 42501 "query would be affected by row-level
 * security policy" instead (T08), for the invoker functions it calls too.
 */
export function rowSecurityOffClause(f: Func): boolean {
  const s = f.settings.find((x) => x.name === 'row_security');
  return !!s && isOffValue(s.values[0]);
}
