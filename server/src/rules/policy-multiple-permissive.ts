import type { Policy } from '../analysis/model.js';
import { appliesToRole, commandList, COMMANDS, coversCommand, policiesByTable, roleList, rolesNamed, type Command } from '../analysis/policies.js';
import { defineRule } from './types.js';

export const policyMultiplePermissive = defineRule({
  meta: {
    id: 'policy-multiple-permissive',
    description: 'Several PERMISSIVE policies apply to the same role and command on a table.',
    severity: 'info',
    category: 'correctness',
    fixKind: 'none',
    guards: 'PostgreSQL ORs the permissive policies of a role and command into one filter: a row is admitted when any admits it, so the broadest decides.',
    sources: ['splinter 0006 multiple_permissive_policies'],
  },
  check({ model, report }) {
    for (const group of policiesByTable(model)) {
      if (group.table && !group.table.rlsEnabled) continue; // ignored policies are reported elsewhere
      const permissive = group.policies.filter((p) => p.permissive);
      if (permissive.length < 2) continue;
      // (set of policies) → the roles and commands for which exactly that set applies
      let overlaps: Map<string, { policies: Policy[]; roles: Set<string>; cmds: Set<Command> }> | undefined;
      for (const role of rolesNamed(permissive)) {
        if (role !== 'public' && model.roleBypassesRls(role)) continue;
        for (const cmd of COMMANDS) {
          // counted first: most commands have one policy or none (no list to make)
          let n = 0;
          for (const p of permissive) if (coversCommand(p, cmd) && appliesToRole(model, p, role)) n++;
          if (n < 2) continue;
          const set = permissive.filter((p) => coversCommand(p, cmd) && appliesToRole(model, p, role));
          const key = set.map((p) => p.name).join('\u0000');
          overlaps ??= new Map();
          const o = overlaps.get(key) ?? { policies: set, roles: new Set(), cmds: new Set() };
          o.roles.add(role);
          o.cmds.add(cmd);
          overlaps.set(key, o);
        }
      }
      if (!overlaps) continue;
      for (const o of overlaps.values()) {
        const last = o.policies[o.policies.length - 1]!;
        const names = o.policies.map((p) => `"${p.name}"`);
        const nameText = names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
        const cmds = COMMANDS.filter((c) => o.cmds.has(c));
        const roles = o.roles.has('public') ? ['public'] : [...o.roles]; // PUBLIC covers every role
        report({
          ...last.nameLoc,
          message:
            `Policies ${nameText} on ${group.key} are ${o.policies.length === 2 ? 'both' : 'all'} permissive for ${commandList(cmds)} by ${roleList(roles)}: ` +
            'PostgreSQL ORs them into one filter, so a row is admitted as soon as any of them admits it: the broadest one decides, and each may be evaluated for every row. ' +
            'Consider one policy per role and command whose condition ORs theirs, so the whole rule is visible in one place (PostgreSQL plans both forms the same way).',
          related: o.policies.slice(0, -1).map((p) => ({ ...p.nameLoc, message: `permissive policy "${p.name}"` })),
        });
      }
    }
  },
});
