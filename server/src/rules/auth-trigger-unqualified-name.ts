// auth-trigger-unqualified-name: a trigger function on Supabase's auth.users names a table of
// another schema without its schema and sets no search_path that finds it. A function uses the
// search_path of the session that runs it unless it sets its own (SECURITY DEFINER changes the
// rights, not the search_path), and the session that writes auth.users is the Auth server's:
// Supabase sets its role's search_path to auth (`ALTER ROLE supabase_auth_admin SET search_path
// TO 'auth'`, in every platform dump). So `INSERT INTO profiles …` in handle_new_user() looks for
// auth.profiles, fails with 42P01, and with it the Auth server's INSERT into auth.users: the
// sign-up answers "Database error saving new user". Measured on PGlite
// (test/rules/auth-trigger-unqualified-name.test.ts): with search_path auth, the INSERT INTO
// auth.users fails with 42P01; with the fix (SET search_path = public, pg_temp) it passes and
// the profile row is there.
//
// The same holds for an Auth hook (a function (event jsonb) RETURNS jsonb granted EXECUTE to supabase_auth_admin): the Auth
// server calls it in that session.
//
// Relations (FROM, JOIN, DML targets) and function calls are looked at (not types, nor the
// sequence a nextval('…') names in a string). A relation counts when the workspace makes no
// relation of that name in auth nor in the function's own SET search_path, and makes one in
// another schema (42P01). A call counts when its name is none of pg_catalog's (searched in every
// session: now(), gen_random_uuid(), …) and the workspace makes a function of that name only in
// other schemas (42883); or, for a function with no schema of its own to look in (no SET
// search_path, or one that lists none but auth), when it is one of uuid-ossp's or pgcrypto's,
// which Supabase installs in schema extensions (uuid_generate_v4(), gen_random_bytes(): the
// migrations may put them elsewhere, never in auth; no fix is offered for those, the schema not
// being known). Not reported: a body with an EXCEPTION clause (it may catch the error), names in
// dynamic SQL (EXECUTE '…'), the body's WITH queries and temporary tables, a function whose body
// is a BEGIN ATOMIC (its names are bound when it is made). Languages: PL/pgSQL and SQL (a hook
// may be a SQL function; a trigger function cannot be one).
import type { Func, FunctionSetting, Model } from '../analysis/model.js';
import { census } from '../analysis/ast.js';
import { memoModel } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { PG_CATALOG_FUNCTIONS } from '../analysis/pg-catalog-functions.js';
import { defineRule, type Fix } from './types.js';
import { cteNames } from './definer-search-path-unsafe.js';
import { fileOf, quoteIdent, settingOf, SUPABASE_AUTH_TABLES } from './lib/util.js';
import { authRunText, authServerFunctions, catchesErrors } from './lib/auth-triggers.js';

/** Supabase Auth's own tables in schema auth (an unqualified name of one of them resolves there). */
const AUTH_TABLES = SUPABASE_AUTH_TABLES;

/** The platform's functions in schema auth (found by an unqualified call in the Auth server's session; the workspace does not make them). */
const AUTH_FUNCTIONS = new Set(['uid', 'role', 'email', 'jwt']);

export const authTriggerUnqualifiedName = defineRule({
  meta: {
    id: 'auth-trigger-unqualified-name',
    description:
      "A trigger function on Supabase's auth.users, or Auth hook, names a table or function of another schema without its schema and sets no search_path that finds it: the Auth server's session (search_path auth) fails to find it, and every sign-up (or sign-in) fails.",
    severity: 'error',
    category: 'correctness',
    fixKind: 'safe',
    guards:
      "A function resolves unqualified names through the search_path of the session that runs it unless it sets its own; Supabase's Auth server writes auth.users with search_path auth, so `profiles` is not found (42P01), nor a function of public or extensions (42883), and the sign-up fails.",
    shownBy: { exposure: 'auth-signup' },
  },
  check({ model, report }) {
    for (const run of authServerFunctions(model)) {
      const f = run.f;
      const found = unresolved(model, f);
      if (!found) continue;
      const { names, path, explicit } = found;
      // (the schemas the names are made in: an extension's functions are in a schema the workspace may not show)
      const schemas = [...new Set(names.flatMap((n) => (n.schema ? [n.schema] : [])))];
      const listed = listNames(names);
      const { head, session, fails, related } = authRunText(model, run);
      const rel = names.find((n) => n.kind === 'relation');
      const fn = names.find((n) => n.kind !== 'relation');
      const errors = [
        ...(rel ? [`42P01 (relation "${rel.name}" does not exist)`] : []),
        ...(fn ? [`42883 (undefined_function: ${fn.name})`] : []),
      ].join(' or ');
      const fixPath = `${schemas.join(', ')}, pg_temp`;
      // (a search_path that finds them, for a function without one of its own — it also settles
      // definer-search-path-missing's finding on a definer —; else the names written with their
      // schema; none when an extension's function is among them: its schema is not known)
      const known = names.every((n) => n.schema);
      const fixes: Fix[] = [];
      const at = explicit || !known ? undefined : afterBody(model, f);
      if (at) fixes.push({ title: `Add SET search_path = ${fixPath} to ${f.signature}`, kind: 'safe', edits: [{ file: at.file, start: at.offset, end: at.offset, newText: ` SET search_path = ${fixPath}` }] });
      else if (known && names.every((n) => n.at.length)) {
        const file = f.created.file;
        const edits = names.flatMap((n) => n.at.map((o) => ({ file, start: o, end: o, newText: `${quoteIdent(n.schema!)}.` })));
        fixes.push({ title: `Write ${names.map((n) => `${n.schema}.${n.name}`).join(', ')} with ${names.length === 1 ? 'its' : 'their'} schema in ${f.signature}`, kind: 'safe', edits });
      }
      const first = names[0]!;
      const qualified = first.schema ? `${first.schema}.${first.name}` : `extensions.${first.name}`;
      const whereSchemas = known ? schemas.join(', ') : [...schemas, 'the extension\'s schema (extensions on Supabase)'].join(', ');
      report({
        ...f.nameLoc,
        message:
          `${head}, ${session}. ` +
          (explicit
            ? `Its SET search_path = ${path.join(', ') || "''"} is used instead, and does not include ${whereSchemas}: `
            : `The function sets no search_path of its own, so the names it writes without a schema are looked up in auth (and pg_catalog) only: `) +
          `${listed} ${names.length === 1 ? 'is' : 'are'} not found there. The statement fails with ${errors}, and with it the Auth server's ${run.hook ? 'request' : 'write of auth.users'}: ` +
          `${fails}. ` +
          `Write the names with their schema (${qualified})` +
          (explicit ? `, or add ${whereSchemas} to its SET search_path` : `, or add SET search_path = ${known ? fixPath : `${[...schemas, 'extensions'].join(', ')}, pg_temp`} to the function`) +
          '.',
        related,
        fixes,
      });
    }
  },
});

/** The names not found, for a message, by where they are made: `profiles, user_roles (made in public), uuid_generate_v4() (of extension uuid-ossp)`. */
function listNames(names: Unresolved['names']): string {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const origin = n.schema ? `made in ${n.schema}` : `of extension ${n.extension}`;
    const list = groups.get(origin);
    const shown = n.kind === 'relation' ? n.name : `${n.name}()`;
    if (list) list.push(shown);
    else groups.set(origin, [shown]);
  }
  return [...groups].map(([origin, list]) => `${list.join(', ')} (${origin})`).join(', ');
}

export interface Unresolved {
  /**
   * the names not found: a relation or a function, with the schema the workspace makes it in
   * (none for an extension's function: the extension instead), and where the body writes each
   * (offsets of the name)
   */
  names: Array<{ kind: 'relation' | 'function'; name: string; schema?: string; extension?: string; at: number[] }>;
  /** the schemas its session looks in (the function's SET search_path, else auth) */
  path: string[];
  /** the function sets its own search_path */
  explicit: boolean;
}

/** The functions of the extensions Supabase installs in schema extensions, that are not pg_catalog's (uuid-ossp's, pgcrypto's), by name. */
export const EXTENSION_FUNCTIONS = new Map<string, string>([
  ...['uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v3', 'uuid_generate_v4', 'uuid_generate_v5', 'uuid_nil', 'uuid_ns_dns', 'uuid_ns_oid', 'uuid_ns_url', 'uuid_ns_x500'].map((n) => [n, 'uuid-ossp'] as const),
  ...['crypt', 'gen_salt', 'digest', 'hmac', 'gen_random_bytes', 'encrypt', 'decrypt', 'encrypt_iv', 'decrypt_iv', 'armor', 'dearmor', 'pgp_sym_encrypt', 'pgp_sym_decrypt', 'pgp_sym_encrypt_bytea', 'pgp_sym_decrypt_bytea', 'pgp_pub_encrypt', 'pgp_pub_decrypt', 'pgp_pub_encrypt_bytea', 'pgp_pub_decrypt_bytea', 'pgp_key_id', 'pgp_armor_headers'].map((n) => [n, 'pgcrypto'] as const),
]);

/**
 * The relations and functions f's body names without a schema that its session's search_path does
 * not find (asked of the few functions the Auth server runs, once per model: this rule and
 * auth-trigger-invoker-denied both ask).
 */
export function unresolved(model: Model, f: Func): Unresolved | undefined {
  const kept = memoModel(model, 'auth-trigger-unqualified-name:unresolved', () => new Map<Func, Unresolved | null>());
  let u = kept.get(f);
  if (u === undefined) kept.set(f, (u = unresolvedUncached(model, f) ?? null));
  return u ?? undefined;
}

function unresolvedUncached(model: Model, f: Func): Unresolved | undefined {
  const b = f.body;
  if (!b || (f.language !== 'plpgsql' && f.language !== 'sql') || b.errors.length || f.stmt.node?.sql_body) return undefined;
  // (an EXCEPTION clause may catch the error: the sign-up then goes on without the row)
  if (catchesErrors(model, f)) return undefined;
  const s = settingOf(f, 'search_path');
  const explicit = !!s;
  const path = s ? schemasOf(s) : ['auth'];
  if (!path) return undefined; // (a value we cannot read: say nothing)
  // (no schema but auth to look in: an extension's function is not found, wherever the migrations put it)
  const authOnly = path.every((p) => p === 'auth' || p === 'pg_temp' || p === 'pg_catalog');
  const own = new Set<string>();
  const names: Unresolved['names'] = [];
  for (const st of b.statements) {
    const n = st.node as Node | undefined;
    if (!n) continue;
    for (const c of cteNames(n)) own.add(c);
    // (a table the body makes itself: CREATE TEMP TABLE x …)
    if (st.kind === 'CreateStmt' && n.relation?.relname) own.add(String(n.relation.relname));
  }
  const seenAt = (kind: 'relation' | 'function', name: string, at: unknown): boolean => {
    const seen = names.find((x) => x.kind === kind && x.name === name);
    if (seen && typeof at === 'number' && !seen.at.includes(at)) seen.at.push(at);
    return !!seen;
  };
  for (const st of b.statements) {
    if (!st.node) continue;
    // (a DML statement's own target is its `relation`, not a RangeVar node under it)
    const target = st.kind === 'InsertStmt' || st.kind === 'UpdateStmt' || st.kind === 'DeleteStmt' || st.kind === 'MergeStmt' ? [st.node.relation as Node] : [];
    const c = census(st.node);
    for (const rv of [...target, ...c.rangeVars]) {
      if (!rv) continue;
      if (rv.schemaname !== undefined || rv.catalogname !== undefined) continue;
      const name = String(rv.relname ?? '');
      if (!name || own.has(name) || seenAt('relation', name, rv.location)) continue;
      if (path.some((p) => relationIn(model, p, name)) || (path.includes('auth') && AUTH_TABLES.has(name))) continue;
      const schema = schemaMaking(model, name);
      if (schema && schema !== 'pg_catalog' && schema !== 'auth') names.push({ kind: 'relation', name, schema, at: typeof rv.location === 'number' ? [rv.location] : [] });
    }
    for (const call of c.funcCalls) {
      const parts = call.funcname as Node[] | undefined;
      if (!Array.isArray(parts) || parts.length !== 1) continue;
      const name = parts[0]?.String?.sval;
      if (typeof name !== 'string' || !name || PG_CATALOG_FUNCTIONS.has(name) || seenAt('function', name, call.location)) continue;
      if (path.includes('auth') && AUTH_FUNCTIONS.has(name)) continue;
      const at = typeof call.location === 'number' ? [call.location] : [];
      const made = functionSchemas(model, name);
      if (made.length) {
        if (made.some((x) => x === 'auth' || x === 'pg_catalog' || path.includes(x))) continue;
        names.push({ kind: 'function', name, schema: made.includes('public') ? 'public' : made[0]!, at });
      } else {
        const extension = EXTENSION_FUNCTIONS.get(name);
        if (extension && authOnly) names.push({ kind: 'function', name, extension, at });
      }
    }
  }
  return names.length ? { names, path, explicit } : undefined;
}

/**
 * The functions of uuid-ossp and pgcrypto that f's body (PL/pgSQL or SQL) calls without a schema
 * and the workspace makes under no schema of its own, by name with their extension: on Supabase
 * they are in schema extensions, found only where the search_path lists it.
 */
export function extensionCalls(model: Model, f: Func): Array<{ name: string; extension: string }> {
  const b = f.body;
  if (!b || (f.language !== 'plpgsql' && f.language !== 'sql')) return [];
  const out: Array<{ name: string; extension: string }> = [];
  for (const st of b.statements) if (st.node) extensionCallsIn(model, st.node, out);
  return out;
}

/** extensionCalls for one statement of a body (its node), added to `out` (each name once). */
export function extensionCallsIn(model: Model, node: Node, out: Array<{ name: string; extension: string }> = []): Array<{ name: string; extension: string }> {
  for (const call of census(node).funcCalls) {
    const parts = call.funcname as Node[] | undefined;
    if (!Array.isArray(parts) || parts.length !== 1) continue;
    const name = parts[0]?.String?.sval;
    const extension = typeof name === 'string' ? EXTENSION_FUNCTIONS.get(name) : undefined;
    if (!extension || PG_CATALOG_FUNCTIONS.has(name!) || out.some((x) => x.name === name) || functionSchemas(model, name!).length) continue;
    out.push({ name: name!, extension });
  }
  return out;
}

/** The schemas the workspace makes a function named `name` in (model.functions is keyed by `schema.name`). */
function functionSchemas(model: Model, name: string): string[] {
  const out: string[] = [];
  model.functions.forEach((list) => {
    for (const g of list) if (g.name === name && !out.includes(g.schema)) out.push(g.schema);
  });
  return out;
}

/** Whether the workspace makes relation `schema.name` (a table or a view). */
const relationIn = (model: Model, schema: string, name: string): boolean => model.tables.has(`${schema}.${name}`) || model.views.has(`${schema}.${name}`);

/** The schema the workspace makes a relation named `name` in: public first, else the first other one. */
function schemaMaking(model: Model, name: string): string | undefined {
  if (relationIn(model, 'public', name)) return 'public';
  for (const t of model.tables.values()) if (t.name === name) return t.schema;
  for (const v of model.views.values()) if (v.name === name) return v.schema;
  return undefined;
}

/** The schemas a function's SET search_path makes its session look in (`$user` left out: no schema is named for the Auth server's role); undefined when not known (FROM CURRENT of a session the replay does not know). */
function schemasOf(s: FunctionSetting): string[] | undefined {
  // (FROM CURRENT: the session's path where the function was made; the server's default, "$user", public, when it set none)
  const v = s.values[0] !== '<from current>' ? s.values : s.current ? (s.current.path ?? ['public']) : undefined;
  return v?.filter((x) => x !== '' && x !== '$user');
}

/** Where an option can go after the function's body: just after its closing quote (`$$`, `$tag$` or `'`). */
function afterBody(model: Model, f: Func): { file: string; offset: number } | undefined {
  const b = f.body!;
  const text = fileOf(model, f.created.file)?.text;
  if (!text) return undefined;
  const rest = text.slice(b.end, b.end + 64);
  const m = /^(\$[A-Za-z_0-9]*\$|')/.exec(rest);
  return m ? { file: f.created.file, offset: b.end + m[1]!.length } : undefined;
}
