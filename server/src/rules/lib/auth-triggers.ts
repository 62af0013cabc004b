// The functions Supabase's Auth server runs, in a Supabase project (auth-trigger-unqualified-name,
// auth-trigger-invoker-denied): those of triggers on auth.users, and its hooks. The Auth server
// connects as supabase_auth_admin, with search_path auth; it writes auth.users at each sign-up
// (INSERT), and at sign-ins and account changes (UPDATE: it sets last_sign_in_at at each
// sign-in); it calls a hook (custom access token, send email, …) as that role, which must be
// granted EXECUTE on it (Supabase's hook guides: GRANT EXECUTE … TO supabase_auth_admin). Pure.
import type { Func, Model, Table, Trigger } from '../../analysis/model.js';
import { privilegesOf } from '../../analysis/privileges.js';
import { appliesToRole } from '../../analysis/policies.js';
import type { Loc, ParsedFile } from '../../analysis/types.js';
import { memoModel } from '../../analysis/policy-exprs.js';
import { TRIGGER_DELETE, TRIGGER_INSERT, TRIGGER_UPDATE } from '../../analysis/model.js';
import { onSupabasePlatform } from '../../analysis/policies.js';
import { AUTH_USERS, bodyText, codeOnly, supabaseAuthUsers, where } from './util.js';

/** The trigger functions of the triggers on Supabase's auth.users, with those triggers (none outside a Supabase project). */
export function authUsersTriggerFunctions(model: Model): AuthRun[] {
  if ((!model.supabase && !onSupabasePlatform(model)) || !supabaseAuthUsers(model)) return [];
  let byFunc: Map<string, Trigger[]> | undefined;
  for (const t of model.triggers) {
    if (t.table !== AUTH_USERS) continue;
    byFunc ??= new Map();
    const list = byFunc.get(t.func);
    if (list) list.push(t);
    else byFunc.set(t.func, [t]);
  }
  const out: AuthRun[] = [];
  if (byFunc) {
    for (const [key, triggers] of byFunc) {
      const f = model.functions.get(key)?.find((x) => x.returnsTrigger && x.argTypes.length === 0);
      if (f) out.push({ f, triggers });
    }
  }
  return out;
}

/** The role Supabase's Auth server connects as. */
export const AUTH_ROLE = 'supabase_auth_admin';

/** A function the Auth server runs: a trigger function of triggers on auth.users, or a hook (granted EXECUTE to AUTH_ROLE). */
export interface AuthRun {
  f: Func;
  triggers: Trigger[];
  /** a hook: where EXECUTE on it is granted to AUTH_ROLE, if the grant is found */
  hook?: { grant: Loc | undefined };
}

/** The functions the Auth server runs (none outside a Supabase project): triggers on auth.users first, then hooks. Once per model (both auth-trigger rules ask). */
export function authServerFunctions(model: Model): AuthRun[] {
  return memoModel(model, 'auth-triggers:runs', listAuthServerFunctions);
}

/** Whether a parsed file names supabase_auth_admin anywhere (kept per parsed file: a re-lint reads only the edited one). */
function namesAuthRole(file: ParsedFile): boolean {
  let v = namesRole.get(file);
  if (v === undefined) namesRole.set(file, (v = /supabase_auth_admin/i.test(file.text)));
  return v;
}
const namesRole = new WeakMap<ParsedFile, boolean>();

/**
 * Whether the function has the signature of a Postgres-function Auth hook: Supabase's Auth Hooks
 * guide says the function "should take in a single argument -- the event of type JSONB -- and
 * return a JSONB object". A function of another signature granted to supabase_auth_admin is not a
 * hook the Auth server calls: elizaOS's adapter-postgres remote_schema.sql grants ALL on every
 * function (get_goals(uuid, uuid, boolean, integer), get_relationship(uuid, uuid)…) and every table
 * to authenticated, service_role, supabase_admin and supabase_auth_admin alike.
 */
function hookSignature(f: Func): boolean {
  const jsonb = (t: string | undefined) => !!t && t.toLowerCase().replace(/^pg_catalog\./, '') === 'jsonb';
  return f.argTypes.length === 1 && jsonb(f.argTypes[0]) && jsonb(f.returnType);
}

function listAuthServerFunctions(model: Model): AuthRun[] {
  const out: AuthRun[] = authUsersTriggerFunctions(model);
  if (!model.supabase && !onSupabasePlatform(model)) return out;
  // (a hook is granted to supabase_auth_admin by name: no file names the role, no hook; the bench's
  // 4,474 functions are not looked at on each re-lint)
  if (!model.files.some(namesAuthRole)) return out;
  model.functions.forEach((list) => {
    for (const f of list) {
      if (f.returnsTrigger || !f.executeGrants.has(AUTH_ROLE) || !hookSignature(f)) continue;
      const g = model.grantEvents.find((e) => e.isGrant && e.objectKind === 'function' && e.grantees.includes(AUTH_ROLE) && (e.objects.includes(f.key) || e.objects.includes(f.signature)));
      out.push({ f, triggers: [], hook: { grant: g?.loc } });
    }
  });
  return out;
}

/** What a message says of how the Auth server runs the function, and what fails with it. */
export function authRunText(model: Model, r: AuthRun): { head: string; session: string; fails: string; related: Array<Loc & { message: string }> } {
  if (r.hook) {
    return {
      head: `Function ${r.f.signature} is granted EXECUTE to supabase_auth_admin${r.hook.grant ? ` (at ${where(model, r.hook.grant)})` : ''}, as a Supabase Auth hook is: the Auth server calls it`,
      session: "in its session, whose role supabase_auth_admin has search_path auth",
      fails: 'each Auth request that calls the hook fails (for a custom access token hook, every sign-in and token refresh)',
      related: r.hook.grant ? [{ ...r.hook.grant, message: `EXECUTE on ${r.f.signature} granted to supabase_auth_admin` }] : [],
    };
  }
  const { events, fails } = authEvents(r.triggers);
  return {
    head: `Trigger function ${r.f.signature} runs on ${events} of Supabase's auth.users (trigger ${r.triggers.map((t) => t.name).join(', ')})`,
    session: "in the session that writes auth.users: the Auth server's, whose role supabase_auth_admin has search_path auth",
    fails,
    related: r.triggers.map((t) => ({ ...t.loc, message: `trigger ${t.name} on auth.users runs ${r.f.signature}` })),
  };
}

/** The events of triggers as text (`each INSERT or UPDATE`), and what the Auth server does that fires them, for a message. */
export function authEvents(triggers: readonly Trigger[]): { events: string; fails: string } {
  let bits = 0;
  for (const t of triggers) bits |= t.events;
  const words = [
    [TRIGGER_INSERT, 'INSERT'],
    [TRIGGER_UPDATE, 'UPDATE'],
    [TRIGGER_DELETE, 'DELETE'],
  ]
    .filter(([b]) => bits & (b as number))
    .map(([, w]) => w as string);
  const fails: string[] = [];
  if (bits & TRIGGER_INSERT) fails.push('every sign-up fails with "Database error saving new user"');
  if (bits & TRIGGER_UPDATE) fails.push("every sign-in and account change that updates auth.users fails (the Auth server sets last_sign_in_at at each sign-in)");
  if (bits & TRIGGER_DELETE) fails.push('deleting a user fails');
  return { events: words.length ? `each ${words.join(' or ')}` : 'writes', fails: fails.join('; ') || 'the write fails' };
}

/** Whether a PL/pgSQL body has an EXCEPTION clause (it may catch an error: the write then goes on). */
export const catchesErrors = (model: Model, f: Func): boolean => /\bexception\b/i.test(codeOnly(bodyText(model, f)));

const WRITES = ['insert', 'update', 'delete', 'all'];
const READS = ['select', 'all'];

export type Denial = { table: Table; how: 'written' | 'read' };

/**
 * The tables outside schema auth that f reads or writes and supabase_auth_admin may not
 * (`denied`: no privilege), or reaches through no policy (`filtered`: privileges granted, but
 * row-level security and no permissive policy for the role: for a table f inserts into, none for
 * INSERT; for one it only reads, none for SELECT). `how` says what f does there.
 */
export function deniedTables(model: Model, f: Func): { denied: Denial[]; filtered: Denial[] } {
  const denied: Denial[] = [];
  const filtered: Denial[] = [];
  const seen = new Set<Table>();
  for (const [keys, how, need] of [
    [f.writes, 'written', WRITES],
    [f.reads, 'read', READS],
  ] as const) {
    for (const k of keys) {
      const t = model.tables.get(k);
      if (!t || t.schema === 'auth' || t.temp || t.owner?.role === AUTH_ROLE || seen.has(t)) continue;
      seen.add(t);
      const held = privilegesOf(model, t, AUTH_ROLE);
      if (!need.some((p) => held.has(p))) {
        denied.push({ table: t, how });
        continue;
      }
      if (!t.rlsEnabled) continue;
      // (what the policies must admit: an INSERT the body makes into it; else, read only, a SELECT)
      const command = how === 'written' ? (insertsInto(model, f, t) ? 'insert' : undefined) : 'select';
      if (!command) continue;
      if (!t.policies.some((q) => q.permissive && (q.command === command || q.command === 'all') && appliesToRole(model, q, AUTH_ROLE))) filtered.push({ table: t, how });
    }
  }
  return { denied, filtered };
}

/** Whether f's body has an INSERT into table t. */
function insertsInto(model: Model, f: Func, t: Table): boolean {
  return (f.body?.statements ?? []).some((st) => st.kind === 'InsertStmt' && st.node?.relation?.relname === t.name && model.funcRelKey(f, st.node.relation) === t.key);
}
