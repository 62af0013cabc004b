import { TRIGGER_TRUNCATE, type Func, type Model, type Table } from '../analysis/model.js';
import { appliesToRole, coversCommand } from '../analysis/policies.js';
import { activePolicies, activePoliciesWithKey, constBool, memoModel, orderOf } from '../analysis/policy-exprs.js';
import { groupsOf, platformMayGrant, privilegesOf, PSEUDO_ROLES, SUPABASE_SERVICE_ROLES } from '../analysis/privileges.js';
import { roleName } from '../analysis/ast.js';
import { quoteIdent } from '../analysis/parse.js';
import type { Loc, Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { AUTH_USERS, anyDefaultPrivileges, insertAfter, ownerBypassesRls, platformTable, supabaseAuthUsers, tableName, textOf } from './lib/util.js';

// TRUNCATE is not subject to row-level security: PostgreSQL checks only the TRUNCATE privilege,
// and no policy is asked (measured on PGlite: a role that sees 0 rows of a table and whose DELETE
// removes none empties it with TRUNCATE; with CASCADE, the tables referencing it too, where it
// holds TRUNCATE on them). Found in ludat/fulbo (`GRANT … TRUNCATE … ON TABLE groups TO app_user`,
// pg_dump's spelling of ALL, for every table its owner-only policies guard) and Delibrium (`grant
// all on all tables in schema aula` to the role its requests run as).

/** Where a role's TRUNCATE on a table comes from: the last GRANT giving it (or the default privileges that did, when the table was made). */
interface Source {
  loc: Loc;
  /** replay position of what gave it (a default privilege: of the table's CREATE) */
  order: number;
  kind: 'grant' | 'default';
  /** ALL (not TRUNCATE by name) */
  all: boolean;
  /** the grant was ON ALL TABLES IN SCHEMA (`schema:name` objects) */
  schemaWide: boolean;
}

const hasTruncate = (privileges: readonly string[]) => privileges.includes('truncate') || privileges.includes('all');

/**
 * Whether ALTER DEFAULT PRIVILEGES FOR ROLE `forRoles` may have given `t` its privileges: PostgreSQL
 * applies them only to the objects those roles create. Not where that is certain, as the replay
 * decides it when the table is made (model.ts, defaultsReach): the role that made it is known (its
 * owner since the CREATE, by a SET ROLE) and is none of them, or the session's role made it (no
 * owner) and each of them is a role the migrations create. Otherwise TRUNCATE came from another
 * statement (the defaults of the role running the migrations, written without FOR ROLE), whose
 * REVOKE is the one that takes it back (measured on PGlite: `ALTER DEFAULT PRIVILEGES FOR USER
 * supabase_admin … REVOKE TRUNCATE` leaves a table the session's role makes truncatable).
 */
function forRolesMayReach(model: Model, forRoles: readonly string[], t: Table): boolean {
  // (an owner given later by ALTER … OWNER TO says nothing of who made it)
  if (t.owner?.loc) return true;
  if (t.owner) return forRoles.includes(t.owner.role);
  return !forRoles.every((r) => model.roles.get(r)?.declared === true);
}

/** `role\0table key` → where the role's TRUNCATE there comes from, for every GRANT (and default privileges) giving TRUNCATE. */
function truncateSources(model: Model): Map<string, Source> {
  const out = new Map<string, Source>();
  const keep = (role: string, t: Table, s: Source) => {
    const k = `${role}\u0000${t.key}`;
    const prev = out.get(k);
    if (!prev || prev.order <= s.order) out.set(k, s);
  };
  const created = (t: Table) => orderOf(model, t.created);
  for (const g of model.grantEvents) {
    if (!g.isGrant || g.objectKind !== 'table' || !hasTruncate(g.privileges)) continue;
    const order = orderOf(model, g.loc);
    const s: Source = { loc: g.loc, order, kind: 'grant', all: !g.privileges.includes('truncate'), schemaWide: g.objects.some((o) => o.startsWith('schema:')) };
    for (const o of g.objects) {
      // (a table made again after the GRANT starts from the default privileges: the GRANT was on the old one)
      const tables = o.startsWith('schema:') ? [...model.tables.values()].filter((t) => t.schema === o.slice(7) && created(t) < order) : [model.tables.get(o)].filter((t): t is Table => !!t && created(t) < order);
      for (const t of tables) for (const r of g.grantees) keep(r, t, s);
    }
  }
  // ALTER DEFAULT PRIVILEGES … GRANT ALL / TRUNCATE ON TABLES: what the tables made after it get
  // (whether it reached a table is the model's: the rule asks the table's privileges at the end)
  if (anyDefaultPrivileges(model)) {
    for (const { file, stmt } of model.statements) {
      const a = stmt.node?.action;
      if (stmt.kind !== 'AlterDefaultPrivilegesStmt' || a?.objtype !== 'OBJECT_TABLE' || !a.is_grant) continue;
      const privs: string[] = (a.privileges ?? []).map((p: Node) => String(p?.AccessPriv?.priv_name ?? '').toLowerCase());
      if (privs.length && !privs.includes('truncate')) continue;
      const loc: Loc = { file: file.file, start: stmt.start, end: stmt.end };
      const at = orderOf(model, loc);
      let schemas: string[] = [];
      let forRoles: string[] | undefined;
      for (const o of (stmt.node.options ?? []) as Node[]) {
        if (o?.DefElem?.defname === 'schemas') schemas = ((o.DefElem.arg?.List?.items ?? []) as Node[]).map((x) => String(x?.String?.sval ?? ''));
        else if (o?.DefElem?.defname === 'roles') forRoles = ((o.DefElem.arg?.List?.items ?? []) as Node[]).map(roleName);
      }
      for (const t of model.tables.values()) {
        if (created(t) <= at || (schemas.length && !schemas.includes(t.schema))) continue;
        if (forRoles && !forRolesMayReach(model, forRoles, t)) continue;
        for (const r of (a.grantees ?? []).map(roleName)) keep(r, t, { loc, order: created(t), kind: 'default', all: !privs.length, schemaWide: false });
      }
    }
  }
  return out;
}

/** table key → the tables whose foreign keys may reference it (itself left out); a name written without a schema may be any table of that name. */
export function referencingTables(model: Model): Map<string, Set<Table>> {
  return memoModel(model, 'rules:referencingTables', () => {
    const out = new Map<string, Set<Table>>();
    const byStmt = new Map<object, Table>();
    const byName = new Map<string, Table[]>();
    for (const t of model.tables.values()) {
      byStmt.set(t.stmt, t);
      const list = byName.get(t.name);
      if (list) list.push(t);
      else byName.set(t.name, [t]);
    }
    const named = (rv: Node | undefined): Table[] => (rv?.relname ? (byName.get(rv.relname) ?? []).filter((t) => !rv.schemaname || t.schema === rv.schemaname) : []);
    const add = (from: Table[], pk: Node | undefined) => {
      for (const to of named(pk)) {
        for (const f of from) {
          if (f === to) continue;
          let s = out.get(to.key);
          if (!s) out.set(to.key, (s = new Set()));
          s.add(f);
        }
      }
    };
    for (const { stmt } of model.statements) {
      const n = stmt.node;
      if (stmt.kind === 'CreateStmt') {
        const from = byStmt.get(stmt);
        if (!from) continue;
        for (const e of (n?.tableElts ?? []) as Node[]) {
          if (e?.ColumnDef) for (const c of e.ColumnDef.constraints ?? []) if (c?.Constraint?.contype === 'CONSTR_FOREIGN') add([from], c.Constraint.pktable);
          if (e?.Constraint?.contype === 'CONSTR_FOREIGN') add([from], e.Constraint.pktable);
        }
      } else if (stmt.kind === 'AlterTableStmt') {
        for (const c of (n?.cmds ?? []) as Node[]) {
          const con = c?.AlterTableCmd?.def?.Constraint;
          if (c?.AlterTableCmd?.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_FOREIGN') add(named(n.relation), con.pktable);
          // (ALTER TABLE … ADD COLUMN … REFERENCES)
          for (const cc of c?.AlterTableCmd?.def?.ColumnDef?.constraints ?? []) if (cc?.Constraint?.contype === 'CONSTR_FOREIGN') add(named(n.relation), cc.Constraint.pktable);
        }
      }
    }
    return out;
  });
}

/**
 * What the TRUNCATE statements of a body do (truncation): each table they empty, with the table
 * the statement names, or for one CASCADE empties with it, that named table (`via`). A table named
 * only in a TRUNCATE PostgreSQL refuses or a trigger may stop is not emptied: not listed.
 */
export interface Truncation {
  emptied: Map<string, { via?: string }>;
}

/**
 * Supabase Auth's tables whose foreign keys reference auth.users (supabase/auth's migrations; ON
 * DELETE CASCADE): on the platform, a TRUNCATE of auth.users without CASCADE, or without naming
 * them all, fails (0A000 cannot truncate a table referenced in a foreign key constraint), and one
 * with CASCADE empties them too, with the tables referencing those in turn. Later versions add more.
 */
export const AUTH_USERS_REFERENCED_BY: readonly string[] = ['auth.identities', 'auth.sessions', 'auth.mfa_factors', 'auth.one_time_tokens'];


/**
 * The tables the body's TRUNCATE statements empty (and its EXECUTEs of one naming the table in a
 * constant string), in source order, as the model records them (Func.truncations: resolved with the
 * function's own search_path, as PostgreSQL runs them). TRUNCATE is not subject to row-level security:
 * the owner's TRUNCATE removes every row whoever calls (PGlite: anon, whose own TRUNCATE fails
 * 42501, empties the table through the function). With CASCADE, the tables whose foreign keys
 * reference those it names, in turn, go with them; without, PostgreSQL refuses a table another
 * table not in the same statement references (0A000 cannot truncate a table referenced in a
 * foreign key constraint, even with that table empty), so nothing is said of it, nor of a table
 * with an ON TRUNCATE trigger (it may refuse). Supabase's own auth.users (not made by the
 * migrations) is referenced by the platform's auth.identities and others (AUTH_USERS_REFERENCED_BY):
 * without CASCADE it is refused. Undefined when the body runs no TRUNCATE.
 */
export function truncation(model: Model, f: Func): Truncation | undefined {
  if (f.truncations.length === 0) return undefined;
  const refs = referencingTables(model);
  const out: Truncation = { emptied: new Map() };
  // (each TRUNCATE statement, and each EXECUTE of one naming its table in a constant string)
  for (const { keys: named, cascade } of f.truncations) {
    const reached = new Map<string, string | undefined>(named.map((k) => [k, undefined]));
    // (Supabase's auth.users: the platform's tables reference it, which no TRUNCATE here names)
    let refused = !cascade && named.includes(AUTH_USERS) && supabaseAuthUsers(model);
    for (const k of named) {
      const stack = [k];
      while (stack.length) {
        for (const c of refs.get(stack.pop()!) ?? []) {
          if (reached.has(c.key)) continue;
          if (!cascade) refused = true;
          reached.set(c.key, k);
          stack.push(c.key);
        }
      }
    }
    const triggered = [...reached.keys()].some((k) => model.tables.get(k)?.triggers.some((tr) => tr.events & TRIGGER_TRUNCATE));
    // (a table owned by another role: the owner's TRUNCATE there fails with 42501, unless granted it)
    const owner = f.owner?.role;
    const foreign = !ownerBypassesRls(model, f) && [...reached.keys()].some((k) => {
      const o = model.tables.get(k)?.owner?.role;
      return !!o && !!owner && o !== owner;
    });
    if (refused || triggered || foreign) continue;
    for (const [k, via] of reached) if (!out.emptied.has(k) || via === undefined) out.emptied.set(k, via === undefined ? {} : { via });
  }
  return out;
}

/**
 * The tables TRUNCATE … CASCADE of `t` empties with it, when `role` holds TRUNCATE on each; undefined
 * when one of them it does not: PostgreSQL then refuses TRUNCATE of `t` (measured: 0A000 cannot
 * truncate a table referenced in a foreign key constraint, even with the referencing table empty;
 * with CASCADE, 42501 permission denied for the referencing table).
 */
function cascade(model: Model, t: Table, role: string): Table[] | undefined {
  const refs = referencingTables(model);
  const seen = new Set<Table>([t]);
  const stack = [t];
  while (stack.length) {
    for (const c of refs.get(stack.pop()!.key) ?? []) {
      if (seen.has(c)) continue;
      if (!privilegesOf(model, c, role).has('truncate') && c.owner?.role !== role) return undefined;
      seen.add(c);
      stack.push(c);
    }
  }
  seen.delete(t);
  return [...seen];
}

/** The SECURITY INVOKER functions of the workspace that run TRUNCATE: the tables they name (`schema.name`, or `.name` written without a schema), or `dynamic` for one in dynamic SQL that says TRUNCATE. */
interface Truncating {
  f: Func;
  names: Set<string>;
  dynamic: boolean;
}
function invokerTruncating(model: Model): Truncating[] {
  return memoModel(model, 'rules:invokerTruncating', (m) => {
    const out: Truncating[] = [];
    for (const f of m.allFunctions()) {
      if (f.securityDefiner || !f.body) continue;
      const names = new Set<string>();
      for (const s of f.body.statements) {
        if (s.kind !== 'TruncateStmt') continue;
        for (const r of (s.node?.relations ?? []) as Node[]) if (r?.RangeVar?.relname) names.add(`${r.RangeVar.schemaname ?? ''}.${r.RangeVar.relname}`);
      }
      const dynamic = f.body.dynamicExecutes.some((d) => /\btruncate\b/i.test(d.text));
      if (names.size || dynamic) out.push({ f, names, dynamic });
    }
    return out;
  });
}

/** Whether one of those functions may truncate `t` (and, with `role`, `role` may execute it). */
function invokerTruncates(model: Model, t: Table, role?: string): boolean {
  for (const { f, names, dynamic } of invokerTruncating(model)) {
    if (role !== undefined && !(f.publicExecute || f.executeGrants.has(role) || f.executeGrants.has('public'))) continue;
    if (dynamic || names.has(`.${t.name}`) || names.has(`${t.schema}.${t.name}`)) return true;
  }
  return false;
}

/** Roles some active policy is written for (by name: the TO lists, PUBLIC left out). */
function policyRoles(model: Model): Set<string> {
  return memoModel(model, 'rules:truncatePolicyRoles', (m) => {
    const out = new Set<string>();
    for (const p of activePolicies(m)) for (const r of p.roles) if (r !== 'public') out.add(r);
    return out;
  });
}

/**
 * Whether row-level security is meant to restrict `role` on `t` and TRUNCATE would take it past:
 * PUBLIC; a role some policy is written for (or one of its groups is); a role the migrations create
 * without BYPASSRLS that the table's policies apply to. Not the owner or a role bypassing RLS (they
 * reach every row anyway), nor Supabase's API roles (see below).
 */
function restricted(model: Model, t: Table, role: string): boolean {
  if (role === 'public') return true;
  if (PSEUDO_ROLES.has(role) || t.owner?.role === role) return false;
  const bypass = model.roleBypassesRls(role);
  if (bypass === true) return false;
  // Supabase's API roles hold ALL on every table of `public` by the platform's default privileges
  // (TRUNCATE included), and `supabase db diff` writes `grant truncate on table … to anon,
  // authenticated` for each table; their requests go through PostgREST, which never sends
  // TRUNCATE: reported only where a SECURITY INVOKER function they may call runs one.
  if ((role === 'anon' || role === 'authenticated') && !model.roles.get(role)?.declared && (model.supabase || platformMayGrant(model, 'public', role))) return invokerTruncates(model, t, role);
  // (nor Supabase's own service roles, which act as the platform: supabase_auth_admin granted ALL
  // on user_roles for a custom access token hook, as Supabase's guide writes it; nextbase)
  if (model.supabase && SUPABASE_SERVICE_ROLES.has(role) && !model.roles.get(role)?.declared) return false;
  const named = policyRoles(model);
  if (named.has(role)) return true;
  const groups = groupsOf(model, role);
  if (groups) for (const g of groups) if (named.has(g)) return true;
  // (a role the migrations create without BYPASSRLS is subject to the table's row-level security
  // whether or not a policy names it: with none it sees no row, yet TRUNCATE empties the table;
  // flowglad's authenticated, granted ALL ON ALL TABLES and no policy on most of them)
  return bypass === false && (model.roles.get(role)?.declared === true || activePoliciesWithKey(model, t.key).some((p) => appliesToRole(model, p, role)));
}

/** Whether `role` may DELETE every row of `t` anyway (the DELETE privilege, a permissive policy for it with USING (true), no restrictive one): TRUNCATE then takes it past nothing. */
function deletesEveryRow(model: Model, t: Table, role: string): boolean {
  if (!privilegesOf(model, t, role).has('delete')) return false;
  const policies = activePoliciesWithKey(model, t.key).filter((p) => coversCommand(p, 'delete') && appliesToRole(model, p, role));
  return policies.some((p) => p.permissive && !!p.using && constBool(p.using) === true) && !policies.some((p) => !p.permissive && !(p.using && constBool(p.using) === true));
}

export const grantTruncateBypassesRls = defineRule({
  meta: {
    id: 'grant-truncate-bypasses-rls',
    description: 'A role row-level security restricts is granted TRUNCATE (by name or by ALL) on a table with row-level security: TRUNCATE ignores the policies and removes every row.',
    severity: 'warning',
    category: 'security',
    fixKind: 'safe',
    guards:
      'TRUNCATE is not subject to row-level security: PostgreSQL checks only the TRUNCATE privilege, so a role that sees no row of a table and whose DELETE removes none empties it with TRUNCATE (with CASCADE, the tables referencing it where it holds TRUNCATE too).',
    sources: ['PostgreSQL docs: Row Security Policies (TRUNCATE is not subject to row security)'],
  },
  check({ model, report }) {
    if (model.tables.size === 0) return;
    const sources = truncateSources(model);
    if (sources.size === 0) return;
    // by statement (default privileges give each table a source of its own): each role's tables there
    const bySource = new Map<string, { s: Source; roles: Map<string, Table[]> }>();
    for (const [k, s] of sources) {
      const i = k.indexOf('\u0000');
      const role = k.slice(0, i);
      const t = model.tables.get(k.slice(i + 1))!;
      // (not Supabase's own tables; a partition is reached through its parent; an ON TRUNCATE trigger may refuse it)
      if (!t.rlsEnabled || platformTable(model, t) || t.parents.some((x) => x.kind === 'partition') || t.triggers.some((x) => x.events & TRIGGER_TRUNCATE)) continue;
      // (no later REVOKE took it back)
      if (!t.grants.get(role)?.has('truncate')) continue;
      if (!restricted(model, t, role) || deletesEveryRow(model, t, role) || !cascade(model, t, role)) continue;
      const at = `${s.loc.file}\u0000${s.loc.start}`;
      let entry = bySource.get(at);
      if (!entry) bySource.set(at, (entry = { s, roles: new Map() }));
      const list = entry.roles.get(role);
      if (list) list.push(t);
      else entry.roles.set(role, [t]);
    }
    for (const { s, roles } of bySource.values()) {
      const parts: string[] = [];
      const revokes: string[] = [];
      const all: Table[] = [];
      for (const [role, tables] of roles) {
        tables.sort((a, b) => a.key.localeCompare(b.key));
        all.push(...tables);
        const who = role === 'public' ? 'PUBLIC (every role)' : quoteIdent(role);
        const keys = tables.map((t) => t.key);
        const named = keys.length > 6 ? `${keys.slice(0, 6).join(', ')} and ${keys.length - 6} more` : keys.join(', ');
        parts.push(`${who} ${s.kind === 'default' ? 'gets' : 'is granted'} TRUNCATE${s.all ? ' (in ALL)' : ''} on ${s.kind === 'default' ? 'the tables made after it, ' : ''}${named}, which ${tables.length === 1 ? 'has' : 'have'} row-level security`);
        const grantee = role === 'public' ? 'PUBLIC' : quoteIdent(role);
        if (s.kind === 'default') {
          // (the same FOR ROLE and IN SCHEMA: the tables made after it then do not get TRUNCATE)
          const text = textOf(model, s.loc);
          const head = /^[\s\S]*?(?=\bgrant\b)/i.exec(text)?.[0].trimEnd() ?? 'ALTER DEFAULT PRIVILEGES';
          revokes.push(`${head} REVOKE TRUNCATE ON TABLES FROM ${grantee};`);
        } else {
          revokes.push(`REVOKE TRUNCATE ON ${tables.map((t) => (s.schemaWide ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : tableName(model, t, s.loc))).join(', ')} FROM ${grantee};`);
        }
      }
      const cascaded = all.map((t) => ({ t, with: [...roles].find(([, ts]) => ts.includes(t)) })).map(({ t, with: w }) => ({ t, c: cascade(model, t, w![0]) ?? [] })).filter((x) => x.c.length > 0);
      const one = roles.size === 1 ? [...roles.keys()][0]! : undefined;
      const subject = one === undefined ? 'these roles' : one === 'public' ? 'every role' : quoteIdent(one);
      const cascadeNote = cascaded.length
        ? ` ${cascaded
            .slice(0, 3)
            .map((x) => `TRUNCATE ${x.t.key} CASCADE empties ${x.c.slice(0, 3).map((c) => c.key).join(', ')}${x.c.length > 3 ? ` and ${x.c.length - 3} more` : ''} with it`)
            .join('; ')}${cascaded.length > 3 ? '; …' : ''} (the tables referencing it, on which ${subject} ${one === undefined ? 'hold' : 'holds'} TRUNCATE too).`
        : '';
      report({
        ...s.loc,
        message:
          `${parts.join('; ')}. TRUNCATE is not subject to row-level security: PostgreSQL checks only the TRUNCATE privilege, so ${subject} can remove every row whatever the policies let ${one === undefined || one === 'public' ? 'them' : 'it'} see or delete (a role that sees no row and whose DELETE removes none empties the table).` +
          cascadeNote +
          ` Revoke TRUNCATE (${revokes.join(' ')}) and leave deleting rows to DELETE, which the policies filter.`,
        related: all.slice(0, 5).map((t) => ({ ...(t.rlsEvents.find((e) => e.kind === 'enable')?.loc ?? t.created), message: `row-level security of ${t.key}` })),
        fixes: [
          {
            title: `Revoke TRUNCATE from ${[...roles.keys()].map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ')}`,
            // (a function running TRUNCATE as its caller would fail with 42501 after it)
            kind: all.some((t) => invokerTruncates(model, t)) ? 'unsafe' : 'safe',
            edits: [insertAfter(model, s.loc, revokes)],
          },
        ],
      });
    }
  },
});
