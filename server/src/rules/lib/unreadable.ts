import { relationsIn } from '../../analysis/ast.js';
import type { Model, Policy, Table } from '../../analysis/model.js';
import { constBool, policiesWithKey } from '../../analysis/policy-exprs.js';
import { grantsManagedFor, ownsOrSuperuser, privilegesOf, PSEUDO_ROLES, revokedFrom, rlsSubjectGrantees } from '../../analysis/privileges.js';
import { mayBeDynamic } from '../../analysis/dynamic-rls.js';
import { AUTH_USERS, hasAnyPrivilege, mayReadAuthUsers, privilegesNeeded, supabaseAuthUsers } from './util.js';

// Which tables a policy's sub-selects read that a role whose queries it filters cannot read:
// PostgreSQL checks that role's privileges on them, and the query fails with 42501
// (policy-reads-without-grant; policy-user-metadata, for auth.users).

/** Supabase's API roles, for which the platform grants nothing on auth.users. */
const AUTH_USERS_ROLES = ['anon', 'authenticated'];

/** The roles whose queries the policy filters, as far as the migrations say: PUBLIC stands for the roles granted the table. */
function filteredRoles(model: Model, t: Table, p: Policy): string[] {
  const out: string[] = [];
  for (const role of p.roles) {
    const add = role === 'public' ? rlsSubjectGrantees(model, t).filter((r) => r !== 'public') : PSEUDO_ROLES.has(role) ? [] : [role];
    for (const r of add) {
      if (out.includes(r) || model.roleBypassesRls(r) === true) continue;
      // (the owner of a table that is not forced skips its policies)
      if (t.owner?.role === r && !t.rlsForced) continue;
      out.push(r);
    }
  }
  return out;
}

/** Whether the role may run the policy's command on its table (else policy-role-without-grant says so, and the query fails there first). */
function reachesTable(model: Model, t: Table, p: Policy, role: string): boolean {
  if (ownsOrSuperuser(model, t, role)) return true;
  if (hasAnyPrivilege(privilegesOf(model, t, role), privilegesNeeded(p))) return true;
  return !grantsManagedFor(model, role) && !revokedFrom(model, t, role);
}

/** Whether `key` is Supabase's auth.users (in a Supabase project, even where a dump of the database creates it). */
export function supabasesAuthUsers(model: Model, key: string): boolean {
  return key === AUTH_USERS && (model.supabase || (model.tables.has(AUTH_USERS) && supabaseAuthUsers(model)));
}

/** Whether the migrations say for certain that the role cannot SELECT from the relation `key`. */
function cannotRead(model: Model, key: string, role: string): boolean {
  if (supabasesAuthUsers(model, key)) return AUTH_USERS_ROLES.includes(role) && !mayReadAuthUsers(model, role);
  const rel = model.tables.get(key) ?? model.views.get(key);
  if (!rel) return false;
  if (ownsOrSuperuser(model, rel, role) || privilegesOf(model, rel, role).has('select')) return false;
  // (grants made elsewhere: the migrations grant this role nothing on tables, and revoke nothing here;
  // Supabase's platform defaults reach only public, so another schema's tables are the migrations' to grant)
  const supabaseOwn = model.supabase && rel.schema !== 'public' && AUTH_USERS_ROLES.includes(role);
  if (!supabaseOwn && !grantsManagedFor(model, role) && !revokedFrom(model, rel, role)) return false;
  return !('rlsEnabled' in rel) || !mayBeDynamic(model, 'grant', rel);
}

/** Another permissive policy of the role for the command that is always true: PostgreSQL folds the OR and never runs the sub-select. */
export function foldedAway(model: Model, p: Policy, role: string): boolean {
  return policiesWithKey(model, p.table).some(
    (q) =>
      q !== p &&
      q.permissive &&
      p.permissive &&
      (q.command === 'all' || p.command === 'all' || q.command === p.command) &&
      (q.roles.includes(role) || q.roles.includes('public')) &&
      [q.using, q.withCheck].some((e) => e !== undefined && constBool(e) === true),
  );
}

export interface Gap {
  key: string;
  location: number;
  roles: string[];
}

/** The tables the policy's sub-selects read that some of the roles it filters cannot read, each with those roles. */
export function unreadableInPolicy(model: Model, t: Table, p: Policy): Gap[] {
  const gaps: Gap[] = [];
  let roles: string[] | undefined;
  for (const e of [p.using, p.withCheck]) {
    if (e === undefined) continue;
    for (const r of relationsIn(e)) {
      if (!r.inSubLink) continue;
      const key = model.key([r.schema, r.name]);
      if (key === t.key || gaps.some((g) => g.key === key)) continue;
      roles ??= filteredRoles(model, t, p).filter((role) => reachesTable(model, t, p, role) && !foldedAway(model, p, role));
      const denied = roles.filter((role) => cannotRead(model, key, role));
      if (denied.length) gaps.push({ key, location: r.location, roles: denied });
    }
  }
  return gaps;
}

