// Which policies apply to a role and a command. Pure: reads the model.
import type { Model, Policy } from './model.js';
import { activePoliciesWithKey, constBool } from './policy-exprs.js';
import { groupsOf } from './privileges.js';

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
  let always: Policy[] | undefined;
  const others = activePoliciesWithKey(model, p.table);
  for (let i = 0; i < others.length; i++) {
    const q = others[i]!;
    if (q !== p && q.permissive && q.using && constBool(q.using) === true) (always ??= []).push(q);
  }
  if (always === undefined) return false;
  for (const c of commandsOf(p)) {
    if (c === 'insert') continue; // (a FOR ALL policy's WITH CHECK is the INSERT check, not its USING)
    for (const r of p.roles) if (!always.some((q) => coversCommand(q, c) && appliesToRole(model, q, r))) return false;
  }
  return true;
}

/** The roles a policy is for that are subject to row-level security: PUBLIC, and roles not known to bypass it. */
export function rolesSubjectToRls(model: Model, p: Policy): string[] {
  return p.roles.filter((r) => r === 'public' || !model.roleBypassesRls(r));
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
  return u.length <= 1 ? (u[0] ?? '') : `${u.slice(0, -1).join(', ')} and ${u[u.length - 1]}`;
}

/** Role names for messages: PUBLIC upper-case, others as they are. */
export function roleList(roles: readonly string[]): string {
  const u = roles.map((r) => (r === 'public' ? 'PUBLIC' : r));
  return u.length <= 1 ? (u[0] ?? '') : `${u.slice(0, -1).join(', ')} and ${u[u.length - 1]}`;
}
