import type { GrantEvent, Model, Policy, Table } from '../analysis/model.js';
import { admitsNothing, roleList } from '../analysis/policies.js';
import { lastRevokeOf, mayInheritUnseen, PSEUDO_ROLES } from '../analysis/privileges.js';
import { dynamicGrants, mayBeDynamic } from '../analysis/dynamic-rls.js';
import { orderOf, policiesWithKeys } from '../analysis/policy-exprs.js';
import { defineRule, type Report } from './types.js';
import { API_ROLES, authTableGrantees, insertAfter, mayRunPolicyCommand, PF_GRANTED, policyFacts, privilegesNeeded, quoteIdent, SUPABASE_AUTH_TABLES, tableList, tableName, where } from './lib/util.js';

/**
 * The roles of the policy without any privilege it needs on the table, undefined when there is
 * none. (Index loops, no closure, a list only for a missing role: it is asked of every policy, and
 * on the bench finds none.)
 */
function missingRoles(model: Model, t: Table, p: Policy): string[] | undefined {
  let missing: string[] | undefined;
  const roles = p.roles;
  for (let i = 0; i < roles.length; i++) {
    const role = roles[i]!;
    if (PSEUDO_ROLES.has(role)) continue;
    // (when the workspace grants this role nothing on tables, its privileges are managed
    // elsewhere, e.g. Supabase's platform defaults, unless a REVOKE here names it)
    // (nor one a membership the migrations do not show may give the privilege: mayInheritUnseen)
    if (!mayRunPolicyCommand(model, t, p, role) && !mayInheritUnseen(model, t, role, privilegesNeeded(p))) (missing ??= []).push(role);
  }
  return missing;
}

export const policyRoleWithoutGrant = defineRule({
  meta: {
    id: 'policy-role-without-grant',
    description: 'A policy is written for a role that has no privilege for that command on the table.',
    severity: 'info',
    category: 'correctness',
    fixKind: 'unsafe',
    guards: 'PostgreSQL checks table privileges before row-level security: without the GRANT the query fails with 42501 and the policy is never used.',
    truths: ['T28'],
    shownBy: { probe: ['42501'], asPolicyRole: true },
  },
  check({ model, config, report }) {
    // Most policies have each role granted on the table (policyFacts), and are not read here.
    // model.policies, which policyFacts follows, holds the tables' policies first, in this order.
    const facts = policyFacts(model);
    const tables = tableList(model);
    let k = 0;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      const policies = t.policies;
      for (let j = 0; j < policies.length; j++) {
        if (facts[k++]! & PF_GRANTED) continue;
        const p = policies[j]!;
        // (a policy admitting no row, `WITH CHECK (false)` to say the role never inserts, is
        // denied what the missing privilege denies: the REVOKE and the policy agree; FinanceX's
        // "Block direct inserts to audit_log", after REVOKE INSERT … FROM anon, authenticated)
        if (admitsNothing(p)) continue;
        const missing = missingRoles(model, t, p);
        if (!missing) continue;
        // (dynamic SQL may grant on the table where the replay cannot see it: a DO block looping
        // `EXECUTE format('GRANT … ON TABLE public.%I TO merchant', t)` over pg_tables)
        if (mayBeDynamic(model, 'grant', t)) {
          const g = dynamicGrants(model);
          if (g === 'any') continue;
          const granted = g.privileges.has('all') || privilegesNeeded(p).some((x) => g.privileges.has(x));
          if (granted && (g.roles.has('public') || missing.some((r) => g.roles.has(r)))) continue;
        }
        // (a REVOKE that took the privilege away after the policy was written: a GRANT must come
        // after it, and it may be deliberate: then the policy is what should go)
        let revoke: GrantEvent | undefined;
        for (const r of missing) {
          const g = lastRevokeOf(model, t, r, privilegesNeeded(p));
          if (g && orderOf(model, g.loc) > orderOf(model, p.loc) && (!revoke || orderOf(model, g.loc) > orderOf(model, revoke.loc))) revoke = g;
        }
        const at = revoke?.loc ?? p.loc;
        const name = tableName(model, t, at);
        const cmd = p.command === 'all' ? 'any command' : p.command.toUpperCase();
        const grantPrivs = privilegesNeeded(p).map((x) => x.toUpperCase()).join(', ');
        const grantees = missing.map(quoteIdent).join(', ');
        const them = missing.length === 1 ? 'its' : 'their';
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on ${t.key} is for ${roleList(missing)}, but ${missing.length === 1 ? 'that role has' : 'those roles have'} no ${p.command === 'all' ? 'privilege' : `${cmd} privilege`} on ${t.key} in these migrations` +
            `${p.command === 'all' ? ' for any command' : ''}: PostgreSQL checks privileges before row-level security, so ${them} ${p.command === 'all' ? 'queries' : `${cmd} queries`} fail with ` +
            `42501 permission denied for table ${t.name} and the policy is never used (T28). ` +
            (revoke
              ? `The privilege is revoked at ${where(model, revoke.loc)}: if that is deliberate, drop the policy; otherwise add GRANT ${grantPrivs} ON ${name} TO ${grantees} after that REVOKE.`
              : `Add GRANT ${grantPrivs} ON ${name} TO ${grantees}, or drop the policy if ${missing.length === 1 ? 'the role' : 'those roles'} should have no access.`),
          fixes: [
            {
              title: `GRANT ${grantPrivs} ON ${name} TO ${grantees}${revoke ? ` (after the REVOKE at ${where(model, revoke.loc)})` : ''}`,
              kind: 'unsafe',
              edits: [insertAfter(model, at, [`GRANT ${grantPrivs} ON ${name} TO ${grantees};`])],
            },
            ...(revoke
              ? [{ title: `Drop policy "${p.name}" (the REVOKE at ${where(model, revoke.loc)} is deliberate)`, kind: 'unsafe' as const, edits: [insertAfter(model, at, [`DROP POLICY ${quoteIdent(p.name)} ON ${name};`])] }]
              : []),
          ],
        });
      }
    }
    if (model.supabase) reportAuthTables(model, report);
  },
});

/**
 * Policies on Supabase Auth's own tables (auth.users…, which the migrations do not create) for
 * anon or authenticated: the platform grants them no privilege there, so their queries fail with
 * 42501 before any policy is asked (T28), unless these migrations grant one
 * (bryandijkhuizen/dartproject-s7's "Users can update their own data" ON auth.users FOR UPDATE TO public).
 */
function reportAuthTables(model: Model, report: (r: Report) => void): void {
  for (const [key, policies] of policiesWithKeys(model)) {
    if (!key.startsWith('auth.') || !SUPABASE_AUTH_TABLES.has(key.slice(5)) || model.tables.has(key)) continue;
    for (const p of policies) {
      if (admitsNothing(p)) continue;
      const need = privilegesNeeded(p);
      const granted = new Set(need.flatMap((x) => authTableGrantees(model, key, x)));
      if (granted.has('public')) continue;
      const isPublic = p.roles.includes('public');
      const missing = API_ROLES.filter((r) => (isPublic || p.roles.includes(r)) && !granted.has(r));
      if (!missing.length) continue;
      const cmd = p.command === 'all' ? 'any' : p.command.toUpperCase();
      const table = key.slice(5);
      const instead =
        table === 'users'
          ? p.command === 'select'
            ? 'Keep what clients read of accounts in a table of your own (e.g. public.profiles, filled by a trigger on auth.users), or drop the policy.'
            : "A user changes their own account through Supabase Auth (supabase.auth.updateUser(), which the Auth server applies), not with a query on auth.users: keep what clients write in a table of your own (e.g. public.profiles), or drop the policy."
          : 'Supabase Auth manages this table through its own server: keep what clients need in a table of your own, or drop the policy.'
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${key} is for ${isPublic ? `PUBLIC (${roleList(missing)} included)` : roleList(missing)}, but ${key} is Supabase Auth's table, on which the platform grants anon and authenticated no privilege, and these migrations grant ${roleList(missing)} no ${cmd === 'any' ? 'privilege' : `${cmd} privilege`} on it: ` +
          `PostgreSQL checks privileges before row-level security, so ${missing.length === 1 ? 'its' : 'their'} ${cmd === 'any' ? 'queries' : `${cmd} queries`} on ${key} fail with 42501 permission denied for table ${table} and the policy is never used (T28). ${instead}`,
      });
    }
  }
}
