import { census } from '../../analysis/ast.js';
import { resolvedThroughPath, type Model, type Policy, type Table } from '../../analysis/model.js';
import type { Node } from '../../analysis/types.js';
import { activeRowsWith, FLAG_READS_RELATION, constBool, memoModel, policiesWithKey, type PolicyRow } from '../../analysis/policy-exprs.js';
import { grantsManagedFor, mayInheritUnseen, ownsOrSuperuser, platformPrivileges, privilegesOf, PSEUDO_ROLES, revokedFrom, rlsSubjectGrantees } from '../../analysis/privileges.js';
import { mayBeDynamic } from '../../analysis/dynamic-rls.js';
import { AUTH_USERS, mayReadAuthUsers, mayRunPolicyCommand, SUPABASE_AUTH_TABLES, supabaseAuthUsers } from './util.js';
import { keeper, NO_FACTS } from './kept.js';

// Which tables a policy's sub-selects read that a role whose queries it filters cannot read:
// PostgreSQL checks that role's privileges on them, and the query fails with 42501
// (policy-reads-without-grant; policy-user-metadata, for auth.users).

/** Supabase's API roles, for which the platform grants nothing on auth.users. */
const AUTH_USERS_ROLES = ['anon', 'authenticated'];

/** The roles whose queries the policy filters, as far as the migrations say: PUBLIC stands for the roles granted the table. */
export function filteredRoles(model: Model, t: Table, p: Policy): string[] {
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

/** Whether `key` is Supabase's auth.users (in a Supabase project, even where a dump of the database creates it). */
export function supabasesAuthUsers(model: Model, key: string): boolean {
  return key === AUTH_USERS && (model.supabase || (model.tables.has(AUTH_USERS) && supabaseAuthUsers(model)));
}

/**
 * Whether `key` is another of Supabase Auth's tables in schema auth (auth.mfa_factors, auth.sessions,
 * auth.identities…) in a Supabase project whose migrations do not create it: the platform's, on
 * which it grants anon and authenticated no privilege, as on auth.users (the MFA guide's policy
 * reading auth.mfa_factors fails with 42501 permission denied for table mfa_factors: supabase/auth#944).
 */
export function supabasesAuthTable(model: Model, key: string): boolean {
  return key !== AUTH_USERS && model.supabase && key.startsWith('auth.') && SUPABASE_AUTH_TABLES.has(key.slice(5)) && !model.tables.has(key) && !model.views.has(key);
}

/** Whether the migrations say for certain that the role cannot SELECT from the relation `key`. */
function cannotRead(model: Model, key: string, role: string): boolean {
  if (supabasesAuthUsers(model, key)) return AUTH_USERS_ROLES.includes(role) && !mayReadAuthUsers(model, role);
  if (supabasesAuthTable(model, key)) return AUTH_USERS_ROLES.includes(role) && !mayReadAuthUsers(model, role, key);
  const rel = model.tables.get(key) ?? model.views.get(key);
  if (!rel) return false;
  if (ownsOrSuperuser(model, rel, role) || privilegesOf(model, rel, role).has('select')) return false;
  // (grants made elsewhere: the migrations grant this role nothing on tables, and revoke nothing here;
  // Supabase's platform defaults reach only public, so another schema's tables are the migrations' to grant)
  const supabaseOwn = model.supabase && rel.schema !== 'public' && AUTH_USERS_ROLES.includes(role);
  // (migrations outside a Supabase layout that call auth.uid() & co. may run on Supabase, whose
  // platform grants its API roles every table in public: not known, so not said)
  if (platformPrivileges(model, rel, role, true).includes('select')) return false;
  if (!supabaseOwn && !grantsManagedFor(model, role) && !revokedFrom(model, rel, role)) return false;
  // (a membership the migrations do not show may give it: elhub's GRANT flex_common TO … in an init script)
  if (mayInheritUnseen(model, rel, role, ['select'])) return false;
  return !('rlsEnabled' in rel) || !mayBeDynamic(model, 'grant', rel);
}

/** A read of a relation in a sub-select of an active policy: its row, and where the relation is named. */
export interface SubselectRead {
  row: PolicyRow;
  location: number;
}

/**
 * The relations an expression reads, as [key, RangeVar] pairs, kept on its node across lints
 * (lib/kept.ts: a re-lint's new rows hold the nodes of the files it did not reparse) with the
 * default schema they were resolved in. The RangeVar, not its location: an edit before the
 * statement moves it in place (parse.ts moveInPlace), and a number kept here would not move (a
 * re-lint's policy-reads-without-grant was one character off on donna-app).
 */
const readsKept = keeper<object, Array<string | Node>>();

function readsOf(model: Model, ds: string, node: Node): Array<string | Node> {
  // (not kept when a SET search_path resolved its names: a later replay may resolve them otherwise)
  const pathy = resolvedThroughPath(node);
  const kept = pathy ? undefined : readsKept.get(model, node, NO_FACTS, ds);
  if (kept) return kept.value;
  const reads: Array<string | Node> = [];
  const rvs = census(node).rangeVars;
  for (let j = 0; j < rvs.length; j++) reads.push(model.relKey(rvs[j]!), rvs[j]!);
  if (!pathy) readsKept.set(node, NO_FACTS, ds, reads);
  return reads;
}

/**
 * The active policies whose expressions read a table other than their own, by the key of the
 * table read, in model order; one pass per model. A policy expression names relations only in
 * sub-selects (census' RangeVars, from a walk the other policy rules share), and each expression
 * keeps its list across lints: on the bench, 2,234 of 8,938 policies read one, and the rules asking
 * (policy-reads-without-grant, policy-membership-self-join) look at those alone.
 */
export function subselectReads(model: Model): ReadonlyMap<string, SubselectRead[]> {
  return memoModel(model, 'unreadable:subselectReads', buildSubselectReads);
}
function buildSubselectReads(model: Model): Map<string, SubselectRead[]> {
  const out = new Map<string, SubselectRead[]>();
  const ds = model.key([undefined, '']);
  const rows = activeRowsWith(model, FLAG_READS_RELATION);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const exprs = row.exprs;
    for (let k = 0; k < exprs.length; k++) {
      const reads = readsOf(model, ds, exprs[k]!.node);
      for (let j = 0; j < reads.length; j += 2) {
        const key = reads[j] as string;
        if (key === row.policy.table) continue;
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        // (a table read twice by one policy: its first place)
        if (list.length === 0 || list[list.length - 1]!.row !== row) list.push({ row, location: (reads[j + 1] as Node).location });
      }
    }
  }
  return out;
}

/** cannotRead, kept per model by relation and role: the migrations say for certain that the role cannot SELECT from the relation. */
export function cannotReadKept(model: Model, key: string, role: string): boolean {
  const kept = memoModel(model, 'unreadable:cannotRead', () => new Map<string, Map<string, boolean>>());
  let byRole = kept.get(key);
  if (!byRole) kept.set(key, (byRole = new Map()));
  let v = byRole.get(role);
  if (v === undefined) byRole.set(role, (v = cannotRead(model, key, role)));
  return v;
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
  /** the policy and its table */
  policy: Policy;
  table: Table;
  /** the table read, where it is named, and the roles that cannot read it */
  key: string;
  location: number;
  roles: string[];
}

/**
 * The reads of tables in policies' sub-selects that some of the roles the policy filters cannot
 * make (cannotRead), each with those roles, grouped by the table read.
 */
export function unreadableReads(model: Model): readonly Gap[] {
  return memoModel(model, 'unreadable:gaps', findGaps);
}

/** unreadableReads, once per model (two rules ask it: policy-reads-without-grant, policy-update-moves-row). */
function findGaps(model: Model): Gap[] {
  const gaps: Gap[] = [];
  for (const [key, reads] of subselectReads(model)) {
    for (const { row, location } of reads) {
      const p = row.policy;
      const t = row.table;
      if (!t) continue;
      // (most policies name their roles and read tables they may read: nothing more to look at)
      if (!p.roles.includes('public') && p.roles.every((r) => PSEUDO_ROLES.has(r) || !cannotReadKept(model, key, r))) continue;
      const candidates = filteredRoles(model, t, p);
      const denied = candidates.filter((role) => cannotReadKept(model, key, role) && mayRunPolicyCommand(model, t, p, role) && !foldedAway(model, p, role));
      if (denied.length) gaps.push({ policy: p, table: t, key, location, roles: denied });
    }
  }
  return gaps;
}
