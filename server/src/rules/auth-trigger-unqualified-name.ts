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
// The same holds for an Auth hook (a function granted EXECUTE to supabase_auth_admin): the Auth
// server calls it in that session.
//
// Only relations (FROM, JOIN, DML targets) are looked at, not functions or types: a function's
// name may also be one of pg_catalog's, which the workspace does not show. A name counts when the
// workspace makes no relation of that name in auth nor in the function's own SET search_path, and
// makes one in another schema. Not reported: a body with an EXCEPTION clause (it may catch the
// error), names in dynamic SQL (EXECUTE '…'), the body's WITH queries and temporary tables, a
// function whose body is a BEGIN ATOMIC (its names are bound when it is made).
import type { Func, FunctionSetting, Model } from '../analysis/model.js';
import { census } from '../analysis/ast.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { cteNames } from './definer-search-path-unsafe.js';
import { fileOf, quoteIdent, settingOf } from './lib/util.js';
import { authRunText, authServerFunctions, catchesErrors } from './lib/auth-triggers.js';

/** Supabase Auth's own tables in schema auth (an unqualified name of one of them resolves there). */
const AUTH_TABLES = new Set([
  'users',
  'identities',
  'sessions',
  'refresh_tokens',
  'audit_log_entries',
  'instances',
  'schema_migrations',
  'mfa_factors',
  'mfa_challenges',
  'mfa_amr_claims',
  'sso_providers',
  'sso_domains',
  'saml_providers',
  'saml_relay_states',
  'flow_state',
  'one_time_tokens',
]);

export const authTriggerUnqualifiedName = defineRule({
  meta: {
    id: 'auth-trigger-unqualified-name',
    description:
      "A trigger function on Supabase's auth.users, or Auth hook, names a table of another schema without its schema and sets no search_path that finds it: the Auth server's session (search_path auth) fails to find it, and every sign-up (or sign-in) fails.",
    severity: 'error',
    category: 'correctness',
    fixKind: 'safe',
    guards:
      "A function resolves unqualified names through the search_path of the session that runs it unless it sets its own; Supabase's Auth server writes auth.users with search_path auth, so `profiles` is not found (42P01) and the sign-up fails.",
    shownBy: { exposure: 'auth-signup' },
  },
  check({ model, report }) {
    for (const run of authServerFunctions(model)) {
      const f = run.f;
      const found = unresolved(model, f);
      if (!found) continue;
      const { names, path, explicit } = found;
      const schemas = [...new Set(names.map((n) => n.schema))];
      const listed = `${names.map((n) => n.name).join(', ')} (made in ${schemas.join(', ')})`;
      const { head, session, fails, related } = authRunText(model, run);
      const first = names[0]!;
      const fixPath = `${schemas.join(', ')}, pg_temp`;
      // (a search_path that finds them, for a function without one of its own — it also settles
      // definer-search-path-missing's finding on a definer —; else the names written with their schema)
      const fixes: Fix[] = [];
      const at = explicit ? undefined : afterBody(model, f);
      if (at) fixes.push({ title: `Add SET search_path = ${fixPath} to ${f.signature}`, kind: 'safe', edits: [{ file: at.file, start: at.offset, end: at.offset, newText: ` SET search_path = ${fixPath}` }] });
      else if (names.every((n) => n.at.length)) {
        const file = f.created.file;
        const edits = names.flatMap((n) => n.at.map((o) => ({ file, start: o, end: o, newText: `${quoteIdent(n.schema)}.` })));
        fixes.push({ title: `Write ${names.map((n) => `${n.schema}.${n.name}`).join(', ')} with ${schemas.length === 1 ? 'its' : 'their'} schema in ${f.signature}`, kind: 'safe', edits });
      }
      report({
        ...f.nameLoc,
        message:
          `${head}, ${session}. ` +
          (explicit
            ? `Its SET search_path = ${path.join(', ') || "''"} is used instead, and does not include ${schemas.join(', ')}: `
            : `The function sets no search_path of its own, so the names it writes without a schema are looked up in auth (and pg_catalog) only: `) +
          `${listed} ${names.length === 1 ? 'is' : 'are'} not found there. The statement fails with 42P01 (relation "${first.name}" does not exist), and with it the Auth server's ${run.hook ? 'request' : 'write of auth.users'}: ` +
          `${fails}. ` +
          `Write the names with their schema (${first.schema}.${first.name})${explicit ? `, or add ${schemas.join(', ')} to its SET search_path` : `, or add SET search_path = ${fixPath} to the function`}.`,
        related,
        fixes,
      });
    }
  },
});

interface Unresolved {
  /** the names not found, with the schema the workspace makes each in, and where the body writes each (offsets of the name) */
  names: Array<{ name: string; schema: string; at: number[] }>;
  /** the schemas its session looks in (the function's SET search_path, else auth) */
  path: string[];
  /** the function sets its own search_path */
  explicit: boolean;
}

/** The relations f's body names without a schema that its session's search_path does not find (asked of the few functions the Auth server runs, once per lint). */
function unresolved(model: Model, f: Func): Unresolved | undefined {
  const b = f.body;
  if (!b || f.language !== 'plpgsql' || b.errors.length || f.stmt.node?.sql_body) return undefined;
  // (an EXCEPTION clause may catch the error: the sign-up then goes on without the row)
  if (catchesErrors(model, f)) return undefined;
  const s = settingOf(f, 'search_path');
  const explicit = !!s;
  const path = s ? schemasOf(s) : ['auth'];
  if (!path) return undefined; // (a value we cannot read: say nothing)
  const own = new Set<string>();
  const names: Unresolved['names'] = [];
  for (const st of b.statements) {
    const n = st.node as Node | undefined;
    if (!n) continue;
    for (const c of cteNames(n)) own.add(c);
    // (a table the body makes itself: CREATE TEMP TABLE x …)
    if (st.kind === 'CreateStmt' && n.relation?.relname) own.add(String(n.relation.relname));
  }
  for (const st of b.statements) {
    if (!st.node) continue;
    // (a DML statement's own target is its `relation`, not a RangeVar node under it)
    const target = st.kind === 'InsertStmt' || st.kind === 'UpdateStmt' || st.kind === 'DeleteStmt' || st.kind === 'MergeStmt' ? [st.node.relation as Node] : [];
    for (const rv of [...target, ...census(st.node).rangeVars]) {
      if (!rv) continue;
      if (rv.schemaname !== undefined || rv.catalogname !== undefined) continue;
      const name = String(rv.relname ?? '');
      if (!name || own.has(name)) continue;
      const seen = names.find((x) => x.name === name);
      if (seen) {
        if (typeof rv.location === 'number' && !seen.at.includes(rv.location)) seen.at.push(rv.location);
        continue;
      }
      if (path.some((p) => relationIn(model, p, name)) || (path.includes('auth') && AUTH_TABLES.has(name))) continue;
      const schema = schemaMaking(model, name);
      if (schema && schema !== 'pg_catalog' && schema !== 'auth') names.push({ name, schema, at: typeof rv.location === 'number' ? [rv.location] : [] });
    }
  }
  return names.length ? { names, path, explicit } : undefined;
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
