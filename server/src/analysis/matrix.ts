// The RLS matrix: for every table of the workspace, every role and every command, what a
// query of that role sees. Pure: reads the model, returns data (rendered by cli/ and lsp/).
//
// Cells (after the last migration):
// - `rls-off`: row-level security is disabled and the role has the privilege (or the
//   workspace grants nothing, so grants are managed elsewhere): every row.
// - `bypass`: the role bypasses RLS (superuser, BYPASSRLS, or the owner of a table whose RLS
//   is not forced) and has the privilege: every row.
// - `deny`: no privilege (when the workspace grants table privileges to anyone: then a role
//   without a GRANT here has none), or RLS on and no permissive policy applies to the role
//   and command (PostgreSQL's default deny), or a restrictive policy that is constant false.
// - `allow`: a permissive policy whose expression for the command is constant `true`, and no
//   restrictive policy applies.
// - `filtered`: otherwise, rows are filtered by the policies' conditions.
// - `unknown`: no permissive policy the migrations write applies, but dynamic SQL may create
//   policies on the table (`EXECUTE 'CREATE POLICY …'`: dynamic-rls.ts), which the model does not read.
// The expression a command uses: SELECT and DELETE the USING; INSERT the WITH CHECK (USING
// when a FOR ALL policy has none); UPDATE both.
import type { Model, Policy, Table } from './model.js';
import { appliesToRole, COMMANDS, coversCommand, type Command } from './policies.js';
import { constBool } from './policy-exprs.js';
import { mayBeDynamic } from './dynamic-rls.js';
import { privilegesOf, workspaceManagesTableGrants } from './privileges.js';

export type Access = 'allow' | 'filtered' | 'deny' | 'rls-off' | 'bypass' | 'unknown';

export interface MatrixCell {
  access: Access;
  /** names of the policies that decide it (permissive that apply, then restrictive) */
  policies: string[];
  /** one short reason, e.g. `no GRANT`, `no permissive policy`, `BYPASSRLS`, `owner` */
  reason?: string;
}

export interface MatrixRow {
  table: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  policyCount: number;
  /** role → command → cell */
  cells: Record<string, Record<Command, MatrixCell>>;
}

export interface RlsMatrix {
  roles: string[];
  commands: readonly Command[];
  tables: MatrixRow[];
}

const PSEUDO_ROLES = new Set(['current_user', 'session_user', 'current_role']);
const cache = new WeakMap<Model, RlsMatrix>();

/** The roles of the matrix: named in policies, granted table privileges, declared, Supabase's; `public` last. */
export function matrixRoles(model: Model): string[] {
  const roles = new Set<string>();
  let publicNamed = false;
  const add = (r: string) => {
    if (r === 'public') publicNamed = true;
    else if (!PSEUDO_ROLES.has(r)) roles.add(r);
  };
  for (const p of model.policies) p.roles.forEach(add);
  for (const g of model.grantEvents) if (g.objectKind === 'table') g.grantees.forEach(add);
  for (const r of model.roles.values()) if (r.declared || model.supabase) add(r.name);
  const out = [...roles].sort();
  if (publicNamed || out.length === 0) out.push('public');
  return out;
}

export function rlsMatrix(model: Model): RlsMatrix {
  const hit = cache.get(model);
  if (hit) return hit;
  const roles = matrixRoles(model);
  const managed = workspaceManagesTableGrants(model);
  const tables = [...model.tables.values()].filter((t) => !t.temp).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows: MatrixRow[] = tables.map((t) => {
    const cells: MatrixRow['cells'] = {};
    for (const role of roles) {
      const byCmd = {} as Record<Command, MatrixCell>;
      for (const cmd of COMMANDS) byCmd[cmd] = cell(model, t, role, cmd, managed);
      cells[role] = byCmd;
    }
    return { table: t.key, rlsEnabled: t.rlsEnabled, rlsForced: t.rlsForced, policyCount: t.policies.length, cells };
  });
  const m = { roles, commands: COMMANDS, tables: rows };
  cache.set(model, m);
  return m;
}

/** The expressions a policy applies for a command (permissive: what rows pass). */
function exprsFor(p: Policy, cmd: Command): unknown[] {
  switch (cmd) {
    case 'select':
    case 'delete':
      return [p.using];
    case 'insert':
      return [p.withCheck ?? p.using];
    case 'update':
      return [p.using, p.withCheck ?? p.using];
  }
}

function cell(model: Model, t: Table, role: string, cmd: Command, managed: boolean): MatrixCell {
  const r = model.roles.get(role);
  const owner = t.owner?.role === role;
  const superuser = !!r?.superuser;
  // privileges: a superuser or the owner has them all; otherwise the workspace's GRANTs when it
  // grants anything (to this role or any), else unknown (managed elsewhere): assume granted
  const hasPrivilege = superuser || owner || !managed || privilegesOf(model, t, role).has(cmd);
  if (!hasPrivilege) return { access: 'deny', policies: [], reason: 'no GRANT' };
  if (!t.rlsEnabled) return { access: 'rls-off', policies: [] };
  if (superuser || r?.bypassRls) return { access: 'bypass', policies: [], reason: superuser ? 'superuser' : 'BYPASSRLS' };
  if (owner && !t.rlsForced) return { access: 'bypass', policies: [], reason: 'owner (RLS not forced)' };
  const applying = t.policies.filter((p) => coversCommand(p, cmd) && appliesToRole(model, p, role));
  const permissive = applying.filter((p) => p.permissive && exprsFor(p, cmd).every((e) => e !== undefined));
  const restrictive = applying.filter((p) => !p.permissive);
  const names = [...permissive, ...restrictive].map((p) => p.name);
  if (permissive.length === 0) {
    // (hps-dealengine's 69 policies made by `DO … EXECUTE $$create policy …$$`: not "deny")
    if (mayBeDynamic(model, 'policy', t)) return { access: 'unknown', policies: names, reason: 'policies made by dynamic SQL' };
    return { access: 'deny', policies: names, reason: 'no permissive policy' };
  }
  if (restrictive.some((p) => exprsFor(p, cmd).some((e) => e !== undefined && constBool(e) === false))) return { access: 'deny', policies: names, reason: 'restrictive policy is false' };
  const openRestrictive = restrictive.filter((p) => !exprsFor(p, cmd).every((e) => e === undefined || constBool(e) === true));
  const allTrue = permissive.some((p) => exprsFor(p, cmd).every((e) => constBool(e) === true));
  if (allTrue && openRestrictive.length === 0) return { access: 'allow', policies: names };
  return { access: 'filtered', policies: names };
}
