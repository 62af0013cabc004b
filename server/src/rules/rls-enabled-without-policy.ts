import { callsIn } from '../analysis/ast.js';
import type { Model, Table } from '../analysis/model.js';
import { sval } from '../analysis/parse.js';
import { roleList } from '../analysis/policies.js';
import type { Loc, Node } from '../analysis/types.js';
import { rlsSubjectGrantees } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { platformTable, policiesBeforeCreate, rlsAncestor, tableList, where } from './lib/util.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';

/**
 * A policy of the table that a later DROP FUNCTION … CASCADE took away with a function it calls
 * (workover's DROP FUNCTION is_admin(uuid) CASCADE), as the statements show: the first one.
 */
function cascadeDrop(model: Model, t: Table): { policy: string; created: Loc; func: string; drop: Loc } | undefined {
  const creates: Array<{ name: string; calls: string[]; at: [number, number]; loc: Loc }> = [];
  for (let fi = 0; fi < model.files.length; fi++) {
    const file = model.files[fi]!;
    for (const s of file.statements) {
      const n = s.node;
      if (s.kind === 'CreatePolicyStmt' && n?.table?.relname === t.name && (!n.table.schemaname || n.table.schemaname === t.schema)) {
        const calls = [n.qual, n.with_check].flatMap((e) => (e ? callsIn(e).map((c) => c.name[c.name.length - 1]!.toLowerCase()) : []));
        creates.push({ name: String(n.policy_name), calls, at: [fi, s.start], loc: { file: file.file, start: s.start, end: s.end } });
      }
      if (s.kind === 'DropStmt' && n?.removeType === 'OBJECT_FUNCTION' && n.behavior === 'DROP_CASCADE') {
        for (const o of n.objects ?? []) {
          const parts: Node[] = o?.ObjectWithArgs?.objname ?? [];
          const func = parts.length ? String(sval(parts[parts.length - 1]) ?? '').toLowerCase() : '';
          const hit = creates.find((c) => c.calls.includes(func) && (c.at[0] < fi || c.at[1] < s.start));
          if (hit) return { policy: hit.name, created: hit.loc, func: parts.map((x) => sval(x)).join('.'), drop: { file: file.file, start: s.start, end: s.end } };
        }
      }
    }
  }
  return undefined;
}

/**
 * The Supabase Auth server's own migrations (supabase/auth and its forks: tables in the schema its
 * `{{ index .Options "Namespace" }}` template names, which parse.ts reads as the same-length name
 * `___index__options__namespace____`) are run by the server as its database role,
 * supabase_auth_admin on Supabase (the only place that role exists), which then owns every table
 * they create: without FORCE the owner bypasses the table's RLS (T13), so a GRANT to it
 * (uxodb/auth: `grant select … to supabase_auth_admin with grant option`) reads every row.
 */
function authServerOwns(t: Table, role: string): boolean {
  return role === 'supabase_auth_admin' && !t.owner && !t.rlsForced && /^_+index__options__namespace_+$/.test(t.schema);
}

export const rlsEnabledWithoutPolicy = defineRule({
  meta: {
    id: 'rls-enabled-without-policy',
    description: 'Row-level security is enabled on a table that roles are granted access to, but the table has no policy.',
    severity: 'info',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'With RLS on and no policy, a role subject to RLS sees 0 rows, UPDATE and DELETE change nothing and INSERT fails with 42501: right for service-only tables, a bug otherwise.',
    truths: ['T12', 'T13b'],
    shownBy: { emptyRead: true },
    sources: ['splinter 0008 rls_enabled_no_policy'],
  },
  check({ model, config, report }) {
    const ordered = !!config.order?.length;
    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.temp || !t.rlsEnabled || t.policies.length > 0) continue;
      // A partition/child of an RLS table is read through its parent with the parent's
      // policies; denying direct access is what partition-without-rls asks for.
      if (rlsAncestor(model, t)) continue;
      if (mayBeDynamic(model, 'policy', t)) continue; // (dynamic SQL may create its policies: analysis/dynamic-rls.ts)
      if (mayBeDynamic(model, 'dropTable', t)) continue; // (dynamic SQL may drop it: EXECUTE 'DROP TABLE …')
      if (platformTable(model, t)) continue; // (Supabase's own, with RLS and no policy on purpose)
      // Only a grant (here, or Supabase's platform defaults) shows that a role subject to RLS
      // queries the table; without one, RLS with no policy is the deny-all default.
      const roles = rlsSubjectGrantees(model, t).filter((r) => !authServerOwns(t, r));
      if (roles.length === 0) continue;
      const enable = [...t.rlsEvents].reverse().find((e) => e.kind === 'enable');
      const at = enable?.loc ?? t.nameLoc;
      const granted = model.supabase && t.schema === 'public' ? 'granted access (here or by Supabase\'s default privileges)' : 'granted access';
      // policies written for it before it is created (files replayed in path order: policies/ before tables/)
      const early = policiesBeforeCreate(model, t);
      const cascaded = early.length ? undefined : cascadeDrop(model, t);
      report({
        ...at,
        message:
          `${t.key} has row-level security enabled but no policy, and ${roleList(roles)} ${roles.length === 1 ? 'is' : 'are'} ${granted}: ` +
          `for ${roles.length === 1 ? 'it' : 'them'}${t.rlsForced ? ' (and for the table owner, since RLS is forced, unless it is a superuser or has BYPASSRLS)' : ''} every SELECT returns 0 rows, UPDATE and DELETE change nothing, ` +
          'and INSERT fails with 42501 — no error on reads, just nothing (T12). ' +
          (early.length
            ? `${early.length === 1 ? `Its policy "${early[0]!.name}" is` : `Its ${early.length} policies (the first, "${early[0]!.name}") are`} written before the table is created, at ${where(model, early[0]!.created)}: ${early.some((p) => p.created.file !== t.created.file) ? (ordered ? 'replayed in the order of the "order" setting, as here, ' : "replayed in the files' path order, as here, ") : ''}PostgreSQL rejects ${early.length === 1 ? 'that CREATE POLICY' : 'each CREATE POLICY'}, as the table does not exist yet (42P01, or 3F000 when its schema does not either). ` +
              (early.some((p) => p.created.file !== t.created.file)
                ? ordered
                  ? 'If the files run in another order, correct the "order" setting in .pg-rls-lint.json; else create the table first.'
                  : 'Where a script runs the files in another order (tables/ before policies/), the table has these policies, and this finding comes from the path order alone: list the folders in that order in the "order" setting of .pg-rls-lint.json (e.g. ["tables/**", "policies/**"]).'
                : 'Create the table first.')
            : (cascaded
                ? `Its policy "${cascaded.policy}" (${where(model, cascaded.created)}) calls ${cascaded.func}(), which DROP FUNCTION … CASCADE at ${where(model, cascaded.drop)} dropped, and PostgreSQL drops the policies that depend on a function with it: the table has had no policy since. Create the policies again after the function, or drop it without CASCADE. `
                : '') +
              'That is right for a table only its owner or BYPASSRLS roles (e.g. service_role) use; otherwise add a policy for each role that needs rows, or revoke the grant.'),
      });
    }
  },
});
