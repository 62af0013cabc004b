import type { GrantEvent, Model, Table } from '../analysis/model.js';
import { appliesToRole, coversCommand, type Command } from '../analysis/policies.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { privilegesOf, PSEUDO_ROLES } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { insertAfter, platformTable, quoteIdent, roleMembers, tableName } from './lib/util.js';
import { policiesWithKey } from '../analysis/policy-exprs.js';

// A GRANT of a command on a table with row-level security, to a role no permissive policy for that
// command applies to: PostgreSQL admits no row for it (default deny), so the privilege does
// nothing but make the failure look like a policy's: every INSERT fails with 42501 new row
// violates row-level security policy, an UPDATE or DELETE changes no row, a SELECT returns none
// (measured). Reported where the role ends up with some of the four commands, not all: GRANT ALL,
// and all four granted (at once or one by one), are the usual way to leave every decision to the
// policies.

const COMMANDS: readonly Command[] = ['select', 'insert', 'update', 'delete'];

/**
 * When every member the migrations give the role bypasses row-level security (GamingPlatform's
 * manager, whose one login m1 has BYPASSRLS): a note that they see every row, and what the finding
 * then concerns; '' otherwise.
 */
function bypassingMembers(model: Model, role: string): string {
  const members = [...(roleMembers(model).get(role) ?? [])];
  if (members.length === 0 || !members.every((r) => model.roleBypassesRls(r) === true)) return '';
  return ` (so for ${quoteIdent(role)} itself, after SET ROLE, and for members added later; its member${members.length === 1 ? '' : 's'} ${members.map(quoteIdent).join(', ')} bypass${members.length === 1 ? 'es' : ''} row-level security and see${members.length === 1 ? 's' : ''} every row)`;
}

/** What each command then does, for the message. */
const EFFECT: Record<Command, string> = {
  select: 'every SELECT returns no row',
  insert: 'every INSERT fails with 42501 new row violates row-level security policy',
  update: 'every UPDATE changes no row, without an error',
  delete: 'every DELETE removes no row, without an error',
};

/** The commands of the grant, when it names some but not all four (and not ALL). */
function namedCommands(g: GrantEvent): Command[] | undefined {
  if (g.privileges.includes('all')) return undefined;
  const cmds = COMMANDS.filter((c) => g.privileges.includes(c));
  return cmds.length > 0 && cmds.length < COMMANDS.length ? cmds : undefined;
}

/** The commands of `cmds` that no permissive policy of `t` lets `role` run (it holds the privilege at the end of the migrations). */
function uncovered(model: Model, t: Table, role: string, cmds: Command[]): Command[] {
  const privs = privilegesOf(model, t, role);
  // (a role that ends up with all four, one GRANT each as `supabase db diff` writes them, or
  // Supabase's platform defaults: every decision is left to the policies)
  if (COMMANDS.every((c) => privs.has(c))) return [];
  // (the policies of its key: also those a file replayed before the table's names for it)
  const policies = policiesWithKey(model, t.key);
  // (a table with no policy at all is rls-enabled-without-policy's)
  if (policies.length === 0) return [];
  return cmds.filter((c) => privs.has(c) && !policies.some((p) => p.permissive && coversCommand(p, c) && appliesToRole(model, p, role)));
}

export const grantWithoutPolicy = defineRule({
  meta: {
    id: 'grant-without-policy',
    description: 'A role is granted a command on a table with row-level security, but no permissive policy for that command applies to it: the privilege does nothing, and its INSERTs fail with 42501.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'Row-level security denies by default: a role with the privilege but no permissive policy for the command gets no row. An INSERT fails with 42501 new row violates row-level security policy; an UPDATE, DELETE or SELECT silently finds nothing.',
  },
  check({ model, report }) {
    for (const g of model.grantEvents) {
      if (!g.isGrant || g.objectKind !== 'table') continue;
      const cmds = namedCommands(g);
      if (!cmds) continue;
      for (const key of g.objects) {
        const t = model.tables.get(key);
        // (not Supabase's own tables, realtime.messages… in a dump: their policies are the platform's)
        if (!t || !t.rlsEnabled || platformTable(model, t)) continue;
        // (a partition is queried through its parent, whose policies apply: a direct grant on it is partition-without-rls's)
        if (t.parents.some((x) => x.kind === 'partition')) continue;
        for (const role of g.grantees) {
          // (a role the migrations do not create may bypass row-level security: not known, not said)
          if (PSEUDO_ROLES.has(role) || model.roleBypassesRls(role) !== false) continue;
          // (the owner of a table that is not forced skips its policies)
          if (t.owner?.role === role && !t.rlsForced) continue;
          const missing = uncovered(model, t, role, cmds);
          // (dynamic SQL may create its policies: asked last, its index is built for the first asking)
          if (missing.length === 0 || mayBeDynamic(model, 'policy', t)) continue;
          const name = tableName(model, t, g.loc);
          const privs = missing.map((c) => c.toUpperCase()).join(', ');
          report({
            ...g.loc,
            message:
              `${quoteIdent(role)} is granted ${privs} on ${t.key}, which has row-level security, but no permissive policy for ${missing.length === 1 ? 'that command' : 'those commands'} applies to it: ` +
              `row-level security denies by default, so ${missing.map((c) => EFFECT[c]).join('; ')}${bypassingMembers(model, role)}. ` +
              `Add a policy FOR ${missing.length === 1 ? missing[0]!.toUpperCase() : '…'} TO ${quoteIdent(role)} with the condition ${missing.length === 1 ? 'a row must meet' : 'rows must meet'}, or revoke the privilege if ${quoteIdent(role)} should not have it.`,
            related: [{ ...(t.rlsEvents.find((e) => e.kind === 'enable')?.loc ?? t.created), message: `row-level security of ${name}` }],
            fixes: [
              {
                title: `Revoke ${privs} on ${name} from ${quoteIdent(role)}`,
                kind: 'unsafe',
                edits: [insertAfter(model, g.loc, [`REVOKE ${privs} ON ${name} FROM ${quoteIdent(role)};`])],
              },
            ],
          });
        }
      }
    }
  },
});
