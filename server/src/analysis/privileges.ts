// Table privileges as far as the workspace shows them: GRANT/REVOKE (also ON ALL TABLES IN
// SCHEMA and ALTER DEFAULT PRIVILEGES, replayed by the model), grants to PUBLIC, role
// membership (GRANT role TO role, CREATE ROLE … IN ROLE / ROLE), and Supabase's platform
// default privileges. Pure: reads the model, memoised per model.
import type { GrantEvent, Model, Role, Table, View } from './model.js';
import { anyStatementIn, memoModel, orderOf } from './policy-exprs.js';
import { roleName } from './ast.js';
import { sval } from './parse.js';
import type { Node, Statement } from './types.js';

/** The privileges a policy command needs. */
export const COMMAND_PRIVILEGES = ['select', 'insert', 'update', 'delete'] as const;

/**
 * Roles Supabase grants ALL on every table, and EXECUTE on every function, created in `public`
 * (platform default privileges, not visible in the migrations).
 */
export const SUPABASE_PLATFORM_GRANTEES = ['anon', 'authenticated', 'service_role'] as const;

/** Supabase's own service roles (its Auth, Storage and pooler servers, the dashboard): they call what they are granted as the platform, not as users. */
export const SUPABASE_SERVICE_ROLES = new Set(['service_role', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_admin', 'supabase_realtime_admin', 'supabase_replication_admin', 'supabase_read_only_user', 'authenticator', 'dashboard_user', 'pgbouncer', 'supabase_functions_admin']);

const PSEUDO_ROLES = new Set(['public', 'current_user', 'session_user', 'current_role']);

interface GrantFacts {
  /**
   * Roles the workspace grants privileges on tables to (GRANT … ON a table or ALL TABLES IN
   * SCHEMA, or default privileges ON TABLES); grants on views only do not count. Filled as far
   * as asked (isManaged): with the grantees of the first `scanned` grant events.
   */
  managedRoles: Set<string>;
  /** how many of model.grantEvents managedRoles has taken in */
  scanned: number;
  /** role → every role it is a member of (transitively) */
  memberOf: Map<string, Set<string>>;
  /** `role\0object` → the table REVOKEs naming the role there (object: a key or `schema:name`), once asked */
  revoked: Map<string, GrantEvent[]> | undefined;
  /** grantsManagedFor by role, once asked */
  managedFor: Map<string, boolean>;
}

const cache = new WeakMap<Model, GrantFacts>();

const ROLE_STATEMENTS = new Set(['AlterDefaultPrivilegesStmt', 'GrantRoleStmt', 'CreateRoleStmt', 'AlterRoleStmt']);
/** Whether a parsed file has a statement facts() reads role facts from. */
const hasRoleStatements = anyStatementIn((s) => ROLE_STATEMENTS.has(s.kind) || !!roleRenaming(s));

/**
 * `ALTER ROLE old RENAME TO new` (or USER, GROUP): the two names, as PostgreSQL reads them. The
 * role keeps its OID, so what the statements before it say of `old` holds of `new` afterwards:
 * those that read role facts from the statements in order rename them there (the model's
 * replay does the same to its state, Replay.renameRole).
 */
export function roleRenaming(stmt: Statement): [from: string, to: string] | undefined {
  if (stmt.kind !== 'RenameStmt') return undefined;
  const n = stmt.node;
  if (n?.renameType !== 'OBJECT_ROLE' || typeof n.subname !== 'string' || typeof n.newname !== 'string' || n.subname === n.newname) return undefined;
  return [n.subname, n.newname];
}

/** The workspace's role renames in replay order: the index of the statement in model.statements, and the two names. */
function roleRenames(model: Model): ReadonlyArray<{ order: number; from: string; to: string }> {
  return memoModel(model, 'privileges:roleRenames', (m) => {
    const out: Array<{ order: number; from: string; to: string }> = [];
    if (!m.files.some(hasRoleRenames)) return out;
    m.statements.forEach(({ stmt }, order) => {
      const r = roleRenaming(stmt);
      if (r) out.push({ order, from: r[0], to: r[1] });
    });
    return out;
  });
}
const hasRoleRenames = anyStatementIn((s) => !!roleRenaming(s));

/**
 * The name the role that statement `order` of model.statements calls `name` has once the
 * migrations end: its later renames applied (the model's state names roles so), for the rules
 * that read role names from the statements themselves.
 */
export function finalRoleName(model: Model, name: string, order: number): string {
  const renames = roleRenames(model);
  for (let i = 0; i < renames.length; i++) if (renames[i]!.order > order && renames[i]!.from === name) name = renames[i]!.to;
  return name;
}

/** A map of role names to the roles they are members of, with `from` renamed `to` in its keys and values. */
function renameInMemberships(map: Map<string, Set<string>>, from: string, to: string): void {
  const own = map.get(from);
  if (own) {
    map.delete(from);
    map.set(to, new Set([...(map.get(to) ?? []), ...own]));
  }
  for (const s of map.values()) if (s.delete(from)) s.add(to);
}

function facts(model: Model): GrantFacts {
  const hit = cache.get(model);
  if (hit) return hit;
  const managedRoles = new Set<string>();
  const direct = new Map<string, Set<string>>();
  // A membership passes the group's privileges and policies on only when it inherits (PostgreSQL
  // 16+: the grant's INHERIT option, by default the member's INHERIT attribute when it is granted;
  // a NOINHERIT member must SET ROLE to use them: measured, a policy for the group does not apply)
  const noInherit = new Set<string>();
  const inheritOf = (list: Node[] | undefined): boolean | undefined => {
    for (const o of list ?? []) if (o?.DefElem?.defname === 'inherit') return o.DefElem.arg?.Boolean?.boolval === true;
    return undefined;
  };
  const member = (role: string, group: string, add: boolean) => {
    const s = direct.get(role) ?? new Set<string>();
    if (add) s.add(group);
    else s.delete(group);
    direct.set(role, s);
  };
  // (most workspaces have no such statement: then the replayed statements are not looked at)
  if (model.files.some(hasRoleStatements)) for (const { stmt } of model.statements) {
    const n = stmt.node;
    if (stmt.kind === 'AlterDefaultPrivilegesStmt') {
      if (n?.action?.objtype === 'OBJECT_TABLE' && n.action.is_grant) for (const r of (n.action.grantees ?? []).map(roleName)) managedRoles.add(r);
    } else if (stmt.kind === 'GrantRoleStmt') {
      const groups = (n.granted_roles ?? []).map((g: Node) => String(g?.AccessPriv?.priv_name ?? sval(g) ?? ''));
      // (REVOKE INHERIT OPTION FOR, like a REVOKE, ends the inheritance)
      const option = inheritOf(n.opt);
      for (const r of (n.grantee_roles ?? []).map(roleName)) for (const g of groups) member(r, g, !!n.is_grant && (option ?? !noInherit.has(r)));
    } else if (stmt.kind === 'CreateRoleStmt') {
      const name = String(n.role ?? '');
      if (inheritOf(n.options) === false) noInherit.add(name);
      else noInherit.delete(name);
      for (const o of n.options ?? []) {
        const d = o?.DefElem;
        const list: string[] = ((d?.arg?.List?.items ?? []) as Node[]).map(roleName);
        if (d?.defname === 'addroleto') for (const g of list) member(name, g, !noInherit.has(name)); // IN ROLE g
        if (d?.defname === 'rolemembers') for (const m of list) member(m, name, !noInherit.has(m)); // ROLE m
      }
    } else if (stmt.kind === 'AlterRoleStmt') {
      const inherit = inheritOf(n.options);
      const name = roleName(n.role);
      if (inherit === false) noInherit.add(name);
      else if (inherit === true) noInherit.delete(name);
    } else {
      const renamed = roleRenaming(stmt);
      if (!renamed) continue;
      const [from, to] = renamed;
      renameInMemberships(direct, from, to);
      if (noInherit.delete(from)) noInherit.add(to);
      if (managedRoles.delete(from)) managedRoles.add(to);
    }
  }
  const memberOf = new Map<string, Set<string>>();
  for (const role of direct.keys()) {
    const seen = new Set<string>();
    const stack = [...(direct.get(role) ?? [])];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g) || g === role) continue;
      seen.add(g);
      stack.push(...(direct.get(g) ?? []));
    }
    memberOf.set(role, seen);
  }
  const f: GrantFacts = { managedRoles, scanned: 0, memberOf, revoked: undefined, managedFor: new Map() };
  cache.set(model, f);
  return f;
}

/**
 * Whether the workspace grants table privileges to the role itself (`role` undefined: to any
 * role). The grant events are taken in only as far as needed to answer: every re-lint asks it
 * of a new model, the bench's 6,704 events took 1–3.5 ms to go through, and its first table
 * grant answers for the role every policy names.
 */
function isManaged(model: Model, f: GrantFacts, role: string | undefined): boolean {
  const managed = f.managedRoles;
  if (role === undefined ? managed.size > 0 : managed.has(role)) return true;
  const events = model.grantEvents;
  while (f.scanned < events.length) {
    const g = events[f.scanned++]!;
    if (g.objectKind !== 'table' || !g.isGrant) continue;
    // (index loops and no closure) a grant to roles already in adds none: its objects need no look-up
    const grantees = g.grantees;
    let adds = false;
    for (let j = 0; j < grantees.length && !adds; j++) adds = !managed.has(grantees[j]!);
    if (!adds || !onTables(model, g.objects)) continue;
    let found = false;
    for (let j = 0; j < grantees.length; j++) {
      managed.add(grantees[j]!);
      if (role === undefined || grantees[j] === role) found = true;
    }
    if (found) return true;
  }
  return false;
}

/** Whether a grant's objects name a table (or all tables of a schema), not only views. */
function onTables(model: Model, objects: readonly string[]): boolean {
  for (let i = 0; i < objects.length; i++) if (objects[i]!.startsWith('schema:') || !model.views.has(objects[i]!)) return true;
  return false;
}

/** `role\0object` for every table REVOKE of the workspace (object: a key or `schema:name`). */
function revokedSet(model: Model): Map<string, GrantEvent[]> {
  const revoked = new Map<string, GrantEvent[]>();
  const events = model.grantEvents;
  for (let i = 0; i < events.length; i++) {
    const g = events[i]!;
    if (g.objectKind !== 'table' || g.isGrant) continue;
    for (const r of g.grantees) {
      for (const o of g.objects) {
        const k = `${r}\u0000${o}`;
        const list = revoked.get(k);
        if (list) list.push(g);
        else revoked.set(k, [g]);
      }
    }
  }
  return revoked;
}

/**
 * The REVOKEs naming the role on this relation since it was (last) created: on it, or on all
 * tables of its schema (REVOKE … ON ALL TABLES IN SCHEMA touches the tables there at that point;
 * a later one gets the default privileges again). DROP TABLE discards a table's privileges: one
 * created again under the same name starts from the defaults (paynless' github_connections).
 */
function revokesOf(model: Model, rel: Table | View, role: string): GrantEvent[] {
  const f = facts(model);
  const r = (f.revoked ??= revokedSet(model));
  const own = r.get(`${role}\u0000${rel.key}`);
  const schemaWide = r.get(`${role}\u0000schema:${rel.schema}`);
  if (!own && !schemaWide) return [];
  const created = orderOf(model, rel.created);
  // (a REVOKE at the CREATE itself: default privileges revoked before it, model.ts defaultRevoke)
  const since = (g: GrantEvent) => created < 0 || orderOf(model, g.loc) < 0 || orderOf(model, g.loc) >= created;
  return [...(own ?? []), ...(schemaWide ?? [])].filter(since);
}

/**
 * True when the workspace itself grants table privileges to the role (or to a role it is a
 * member of). When it does not, the role's grants are managed elsewhere (e.g. Supabase's
 * platform defaults, a DBA's script) and "no GRANT here" says nothing about the database.
 */
export function grantsManagedFor(model: Model, role: string): boolean {
  const f = facts(model);
  let managed = f.managedFor.get(role);
  if (managed === undefined) {
    managed = isManaged(model, f, role);
    const groups = f.memberOf.get(role);
    if (!managed && groups) for (const g of groups) if ((managed = isManaged(model, f, g))) break;
    f.managedFor.set(role, managed);
  }
  return managed;
}

/** True when the workspace grants table privileges to any role. */
export function workspaceManagesTableGrants(model: Model): boolean {
  return isManaged(model, facts(model), undefined);
}

/** The role, every role it is a member of, and PUBLIC. */
export function rolesActingAs(model: Model, role: string): string[] {
  return [role, ...(facts(model).memberOf.get(role) ?? []), 'public'];
}

/** Every role the role is a member of (directly or not), undefined for none. Shared: do not mutate. */
export function groupsOf(model: Model, role: string): ReadonlySet<string> | undefined {
  return facts(model).memberOf.get(role);
}

/** The roles the workspace makes members of `group` (GRANT group TO role: directly or not), sorted; [] for none. */
export function membersOf(model: Model, group: string): string[] {
  const out: string[] = [];
  for (const [role, groups] of facts(model).memberOf) if (groups.has(group)) out.push(role);
  return out.sort();
}

/** A REVOKE in the workspace names this role on this relation (or on all tables of its schema, after it was created). */
export function revokedFrom(model: Model, rel: Table | View, role: string): boolean {
  return revokesOf(model, rel, role).length > 0;
}

/** The last REVOKE (in replay order) that takes privileges on the relation from `role` (by name, or on all tables of its schema), if any. */
export function lastRevokeOf(model: Model, rel: Table | View, role: string, privileges?: readonly string[]): GrantEvent | undefined {
  let last: GrantEvent | undefined;
  for (const g of revokesOf(model, rel, role)) {
    // (with `privileges`, only a REVOKE that takes one of them: not the `REVOKE UPDATE` after the `REVOKE SELECT` a SELECT policy lost)
    if (privileges && !g.privileges.some((x) => x === 'all' || privileges.includes(x))) continue;
    if (!last || orderOf(model, g.loc) > orderOf(model, last.loc)) last = g;
  }
  return last;
}

/** Whether Supabase's platform default privileges grant `role` ALL on a relation in `schema` (its API roles, in `public`). */
export function platformGrantee(model: Model, schema: string, role: string): boolean {
  return model.supabase && schema === 'public' && (SUPABASE_PLATFORM_GRANTEES as readonly string[]).includes(role);
}

/**
 * Whether Supabase's platform default privileges may grant `role` on a relation in `schema`:
 * known in a Supabase layout (platformGrantee); possible where migrations outside one call
 * auth.uid() & co. and do not create the role themselves, as they may run on Supabase (a
 * missing GRANT there proves nothing; what they revoke still counts: platformPrivileges).
 */
export function platformMayGrant(model: Model, schema: string, role: string): boolean {
  if (platformGrantee(model, schema, role)) return true;
  if (schema !== 'public' || !(SUPABASE_PLATFORM_GRANTEES as readonly string[]).includes(role)) return false;
  const r = model.roles.get(role);
  return !!r && !r.declared;
}

/**
 * What Supabase's platform default privileges leave the role on a relation in `public`: ALL
 * (of the command privileges) to its API roles, less what the workspace revokes from it there
 * (`REVOKE INSERT, UPDATE … FROM authenticated` leaves SELECT and DELETE). Empty elsewhere.
 * With `possibly`, also where the platform only may grant (platformMayGrant).
 */
export function platformPrivileges(model: Model, rel: Table | View, role: string, possibly = false): string[] {
  if (!(possibly ? platformMayGrant : platformGrantee)(model, rel.schema, role)) return [];
  const revokes = revokesOf(model, rel, role);
  if (revokes.length === 0) return [...COMMAND_PRIVILEGES];
  const taken = new Set<string>();
  for (const g of revokes) for (const p of g.privileges) taken.add(p);
  return taken.has('all') ? [] : COMMAND_PRIVILEGES.filter((p) => !taken.has(p));
}

const privilegeCache = new WeakMap<Model, WeakMap<Table | View, Map<string, Set<string>>>>();

/** Privileges of `role` on a table or view as the workspace shows them (membership and PUBLIC included). Shared: do not mutate. */
export function privilegesOf(model: Model, rel: Table | View, role: string): Set<string> {
  let byRel = privilegeCache.get(model);
  if (!byRel) privilegeCache.set(model, (byRel = new WeakMap()));
  let byRole = byRel.get(rel);
  if (!byRole) byRel.set(rel, (byRole = new Map()));
  let out = byRole.get(role);
  if (!out) byRole.set(role, (out = computePrivileges(model, rel, role)));
  return out;
}

function computePrivileges(model: Model, rel: Table | View, role: string): Set<string> {
  const out = new Set<string>();
  for (const r of rolesActingAs(model, role)) {
    for (const p of rel.grants.get(r) ?? []) if (!p.includes('(')) out.add(p); // (not the marks of column privileges: model.ts)
    for (const p of platformPrivileges(model, rel, r)) out.add(p);
  }
  return out;
}

/**
 * The columns `role` may write with `priv` on a table when it holds that privilege only through
 * column GRANTs (`GRANT INSERT (location, time) ON match TO app`), directly, through its groups or
 * PUBLIC: writing any other column is refused (42501). Undefined when it holds the privilege on the
 * whole table, or not at all.
 */
export function columnsGrantedOnly(model: Model, rel: Table | View, role: string, priv: 'select' | 'insert' | 'update'): string[] | undefined {
  const cols = new Set<string>();
  const mark = `${priv}(`;
  for (const r of rolesActingAs(model, role)) {
    const set = rel.grants.get(r);
    if (set?.has(priv)) {
      let marked = false;
      for (const x of set) if (x.startsWith(mark)) (marked = true), cols.add(x.slice(mark.length, -1));
      if (!marked) return undefined; // (held on the whole table)
    }
    if (platformPrivileges(model, rel, r).includes(priv)) return undefined;
  }
  return cols.size ? [...cols] : undefined;
}

/**
 * Whether the role may hold one of `need` on the relation through a membership the migrations do
 * not show: it is not created in them (elhub's roles and their GRANT flex_common TO … live in an
 * init script), not one of Supabase's API roles, the migrations grant no membership at all, and
 * another role holds the privilege there.
 */
export function mayInheritUnseen(model: Model, rel: Table | View, role: string, need: readonly string[]): boolean {
  if (model.roles.get(role)?.declared || (SUPABASE_PLATFORM_GRANTEES as readonly string[]).includes(role) || PSEUDO_ROLES.has(role)) return false;
  // (migrations that grant memberships show them: only where they grant none are they made elsewhere)
  if (facts(model).memberOf.size !== 0) return false;
  for (const [grantee, privileges] of rel.grants) {
    if (grantee === role || grantee === 'public') continue;
    for (const x of need) if (privileges.has(x) || privileges.has('all')) return true;
  }
  return false;
}

/** Whether the role skips privilege checks (a superuser) or owns the relation. */
export function ownsOrSuperuser(model: Model, rel: Table | View, role: string): boolean {
  if (rel.owner?.role === role) return true;
  return model.roles.get(role)?.superuser ?? false;
}

/**
 * Roles granted a command privilege on the table (directly, via PUBLIC or via Supabase's
 * platform defaults) that are subject to its row-level security: not superusers, not
 * BYPASSRLS, not the owner unless RLS is forced. `public` stands for PUBLIC.
 */
export function rlsSubjectGrantees(model: Model, t: Table): string[] {
  const out = new Set<string>();
  const candidates = new Set<string>([...t.grants.keys()]);
  if (model.supabase && t.schema === 'public') SUPABASE_PLATFORM_GRANTEES.forEach((r) => candidates.add(r));
  for (const role of candidates) {
    if (PSEUDO_ROLES.has(role) && role !== 'public') continue;
    if (role !== 'public' && model.roleBypassesRls(role)) continue;
    if (role !== 'public' && t.owner?.role === role && !t.rlsForced) continue;
    const privs = role === 'public' ? (t.grants.get('public') ?? new Set<string>()) : privilegesOf(model, t, role);
    if (COMMAND_PRIVILEGES.some((p) => privs.has(p))) out.add(role);
  }
  return [...out];
}

/**
 * Whether a role subject to RLS may query the table directly: yes when one is granted access
 * (here, via PUBLIC or Supabase's platform defaults); unknown, so yes, when one of the roles
 * expected to query it (e.g. those of its parent's policies) has its grants managed elsewhere.
 */
export function mayBeQueriedBySubjectRoles(model: Model, t: Table, expectedRoles: readonly string[]): boolean {
  if (rlsSubjectGrantees(model, t).length > 0) return true;
  if (expectedRoles.length === 0) return !workspaceManagesTableGrants(model);
  for (const r of expectedRoles) {
    if (r === 'public') {
      if (!workspaceManagesTableGrants(model)) return true;
      continue;
    }
    if (PSEUDO_ROLES.has(r) || model.roleBypassesRls(r)) continue;
    // a platform role whose default grant on this table was revoked
    if (platformGrantee(model, t.schema, r)) continue;
    if (!grantsManagedFor(model, r)) return true;
  }
  return false;
}

export { PSEUDO_ROLES };

// ---- a token for what this module answers ----

/** What the last model privilegesToken was asked about was made of, and its token. */
let lastPrivileges:
  | { config: object; supabase: boolean; roles: Role[]; roleStatements: Statement[]; events: GrantEvent[]; views: string[]; token: object }
  | undefined;

/**
 * A token two models share when what this module (and model.roleBypassesRls) answers about a
 * relation is the same in both for the same relation object: the same config object and
 * Supabase layout; the same roles (the same objects or the same attributes) in the same order;
 * the same statements facts() reads role memberships and default privileges from (by identity:
 * an edit keeps the statements it does not touch, moved); grant events with the same content
 * in the same order (each file's, in replay order: what a REVOKE comes after), and the same view
 * keys (grants on views only do not manage a role's table grants). A rule may then keep what it
 * derived per table object across lints (policy-update-moves-row).
 */
export function privilegesToken(model: Model): object {
  return memoModel(model, 'privileges:token', makePrivilegesToken);
}

function makePrivilegesToken(model: Model): object {
  const roles: Role[] = [];
  model.roles.forEach((r) => roles.push(r));
  const roleStatements: Statement[] = [];
  if (model.files.some(hasRoleStatements)) for (const { stmt } of model.statements) if (ROLE_STATEMENTS.has(stmt.kind) || roleRenaming(stmt)) roleStatements.push(stmt);
  const events = model.grantEvents;
  const views: string[] = [];
  model.views.forEach((_, k) => views.push(k));
  const last = lastPrivileges;
  const same =
    last !== undefined &&
    last.config === model.config &&
    last.supabase === model.supabase &&
    sameList(last.roles, roles, sameRole) &&
    sameList(last.roleStatements, roleStatements, (a, b) => a === b) &&
    sameList(last.events, events, sameEvent) &&
    sameList(last.views, views, (a, b) => a === b);
  const token = same ? last.token : {};
  lastPrivileges = { config: model.config, supabase: model.supabase, roles, roleStatements, events, views, token };
  return token;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !same(a[i]!, b[i]!)) return false;
  return true;
}

const sameRole = (a: Role, b: Role): boolean => a.name === b.name && a.bypassRls === b.bypassRls && a.superuser === b.superuser && a.declared === b.declared;

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => sameList(a, b, (x, y) => x === y);

const sameEvent = (a: GrantEvent, b: GrantEvent): boolean =>
  a.isGrant === b.isGrant && a.objectKind === b.objectKind && a.loc.file === b.loc.file && sameStrings(a.objects, b.objects) && sameStrings(a.privileges, b.privileges) && sameStrings(a.grantees, b.grantees);
