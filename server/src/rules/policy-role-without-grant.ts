import type { Policy } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { COMMAND_PRIVILEGES, ownsOrSuperuser, privilegesOf, PSEUDO_ROLES, revokedFrom, grantsManagedFor } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { insertAfter, quoteIdent, tableName } from './util.js';

/** The lists needed() returns, one per command (shared: not mutated). */
const NEEDED = new Map<string, readonly string[]>();

/** Privileges the policy's command needs; for ALL, any one of them makes the policy usable. */
function needed(p: Policy): readonly string[] {
  let list = NEEDED.get(p.command);
  if (!list) NEEDED.set(p.command, (list = p.command === 'all' ? [...COMMAND_PRIVILEGES] : [p.command]));
  return list;
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
  },
  check({ model, report }) {
    for (const t of model.tables.values()) {
      for (const p of t.policies) {
        const missing: string[] = [];
        const need = needed(p);
        for (const role of p.roles) {
          if (PSEUDO_ROLES.has(role)) continue;
          // granted on the table itself: privilegesOf includes it whatever else holds
          const direct = t.grants.get(role);
          if (direct && need.some((x) => direct.has(x))) continue;
          if (ownsOrSuperuser(model, t, role)) continue;
          // When the workspace grants this role nothing on tables, its privileges are managed
          // elsewhere (e.g. Supabase's platform defaults) unless a REVOKE here names it.
          if (!grantsManagedFor(model, role) && !revokedFrom(model, t, role)) continue;
          const privs = privilegesOf(model, t, role);
          if (!need.some((x) => privs.has(x))) missing.push(role);
        }
        if (missing.length === 0) continue;
        const name = tableName(model, t, p.loc);
        const cmd = p.command === 'all' ? 'any command' : p.command.toUpperCase();
        const grantPrivs = needed(p).map((x) => x.toUpperCase()).join(', ');
        const grantees = missing.map(quoteIdent).join(', ');
        const them = missing.length === 1 ? 'its' : 'their';
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on ${t.key} is for ${roleList(missing)}, but ${missing.length === 1 ? 'that role has' : 'those roles have'} no ${p.command === 'all' ? 'privilege' : `${cmd} privilege`} on ${t.key} in these migrations` +
            `${p.command === 'all' ? ' for any command' : ''}: PostgreSQL checks privileges before row-level security, so ${them} ${p.command === 'all' ? 'queries' : `${cmd} queries`} fail with ` +
            `42501 permission denied for table ${t.name} and the policy is never used (T28). Add GRANT ${grantPrivs} ON ${name} TO ${grantees}, or drop the policy if ${missing.length === 1 ? 'the role' : 'those roles'} should have no access.`,
          fixes: [
            {
              title: `GRANT ${grantPrivs} ON ${name} TO ${grantees}`,
              kind: 'unsafe',
              edits: [insertAfter(model, p.loc, [`GRANT ${grantPrivs} ON ${name} TO ${grantees};`])],
            },
          ],
        });
      }
    }
  },
});
