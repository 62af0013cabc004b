import { resolvedThroughPath, type Table } from '../analysis/model.js';
import { roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { activeRowsWith, FLAG_READS_RELATION } from '../analysis/policy-exprs.js';
import { defineRule } from './types.js';
import { onSupabasePlatform, tableName } from './lib/util.js';
import { hiddenFrom, linkKeys, requiredLinks, type Hidden } from './lib/hidden.js';
import { cannotReadKept } from './lib/unreadable.js';

const API_ROLES = ['anon', 'authenticated'];
const NO_ROLES: string[] = [];

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
      let roles: readonly string[] | undefined;
      let done = false;
      for (let ei = 0; ei < row.exprs.length; ei++) {
        const e = row.exprs[ei]!;
        const links = requiredLinks(e.node);
        if (done || links.length === 0) continue;
        // the roles it is for: those it names (subject to RLS); for PUBLIC, Supabase's API roles
        roles ??= p.roles.includes('public') ? (supabase ? API_ROLES : NO_ROLES) : rolesSubjectToRls(model, p);
        if (roles.length === 0) break;
        // (the links' keys and the tables looked up in place: a list per link and policy was most of the rule's garbage)
        const fresh = resolvedThroughPath(p.stmt);
        for (let li = 0; li < links.length; li++) {
          const l = links[li]!;
          const link = l.link;
          const keys = linkKeys(model, l, probe, fresh);
          let u: Table | undefined;
          for (let i = 0; i < keys.length && !u; i++) {
            const v = model.tables.get(keys[i]!);
            if (!v || v === t || !v.rlsEnabled) continue;
            // (a role that may not read the table at all gets 42501 from the sub-select, not an
            // empty result: policy-reads-without-grant says so; sheenapps' EXISTS (… auth.users …)
            // for PUBLIC, on Supabase, where the API roles are granted nothing on auth.users)
            let readable = true;
            for (let j = 0; j < roles.length && readable; j++) if (cannotReadKept(model, v.key, roles[j]!)) readable = false;
            if (!readable) continue;
            let all = true;
            for (let j = 0; j < roles.length && all; j++) if (!hiddenFrom(model, v, roles[j]!)) all = false;
            if (all) u = v;
          }
          if (!u) continue;
          const hidden: Array<Hidden | undefined> = roles.map((r) => hiddenFrom(model, u, r));
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
