import { changedColumn, statementColumnRefs, workspaceFacts } from '../analysis/columns.js';
import { census, memoStmt } from '../analysis/ast.js';
import type { Func, Model } from '../analysis/model.js';
import { memoModel } from '../analysis/policy-exprs.js';
import { nameParts, sval, walk } from '../analysis/parse.js';
import type { Node, ParsedFile, Statement } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { calledByPolicy, codeOnly, fileOf, quoteIdent, settingOf, supabaseAuthUsers } from './lib/util.js';
import { onSupabasePlatform } from '../analysis/policies.js';

// PL/pgSQL hands each SQL statement of a function to the SQL parser with a hook: a name that is
// both one of the function's variables (a parameter, an OUT or RETURNS TABLE column, a DECLAREd
// variable) and a column of a table in the statement's reach is an error under the default
// plpgsql.variable_conflict = error: 42702 column reference "x" is ambiguous, raised each time
// the function runs the statement (boothbrain's is_organization_member(org_id, user_id) with
// `WHERE om.user_id = user_id`: every policy calling it fails). A LANGUAGE sql function takes the
// column instead, silently; only PL/pgSQL is looked at.
//
// Reported only where it is certain: a name written unqualified, a variable of the function
// (DECLAREd ones only when the body has one DECLARE section: a nested block's variables are in
// reach of its own statements only), a column the model knows a table in reach has (columnFacts'
// scopes: no sub-query in FROM, CTE, VALUES, column alias), no `#variable_conflict` option in the
// body, no plpgsql.variable_conflict setting on the function or anywhere in the migrations, and
// no statement dropping or renaming a column of that name.

interface Ambiguity {
  ref: Node;
  name: string;
  /** the relation in reach that has the column: a table of the model, or a catalog relation */
  table: { key: string; name: string };
  /** a parameter (else a DECLAREd variable) */
  parameter: boolean;
  /** an OUT parameter or a RETURNS TABLE column */
  output: boolean;
  /** the other operand of the comparison it is in is the column, qualified (`om.user_id = user_id`): the parameter is meant */
  meant: boolean;
  /** a column of an INSERT's ON CONFLICT (…) target, where `table.column` is a syntax error (42601) */
  conflictTarget?: boolean;
  /** an EXCEPTION clause around the query catches 42702 (WHEN OTHERS, …): the call runs the handler instead */
  caught: boolean;
  /** the innermost EXCEPTION clause that catches it (Statement.tries): its block and the first WHEN branch matching 42702 */
  catcher?: { block: number; branch: number };
  /** the EXCEPTION handlers holding the query (Statement.handlerOf) */
  handlerOf?: ReadonlyArray<{ block: number; branch: number }>;
}

/** Condition names of an EXCEPTION clause that catch 42702 (its name, code, class, OTHERS). */
const CATCHES_42702 = new Set(['others', 'ambiguous_column', '42702', 'syntax_error_or_access_rule_violation', '42000']);

/** Whether the migrations set plpgsql.variable_conflict anywhere (ALTER DATABASE / ROLE … SET, SET): the default may not hold. */
function conflictConfigured(model: Model): boolean {
  return memoModel(model, 'plpgsql-ambiguous-column:configured', (m) => m.files.some(setsConflict));
}

/** Whether a file's text names plpgsql.variable_conflict (kept per parsed file: a re-lint reads the edited file's text only). */
const conflictIn = new WeakMap<ParsedFile, boolean>();
function setsConflict(pf: ParsedFile): boolean {
  let v = conflictIn.get(pf);
  if (v === undefined) conflictIn.set(pf, (v = /plpgsql\.variable_conflict/i.test(pf.text)));
  return v;
}


/** The 1-field ColumnRefs compared with the same column qualified (`om.user_id = user_id`). */
function meantAsVariable(stmt: Node): Set<Node> {
  const out = new Set<Node>();
  walk(stmt, (k, v) => {
    if (k !== 'A_Expr') return;
    const l = v.lexpr?.ColumnRef;
    const r = v.rexpr?.ColumnRef;
    if (!l || !r) return;
    const [one, two] = (l.fields?.length === 1 ? [l, r] : [r, l]) as [Node, Node];
    if (one.fields?.length === 1 && two.fields?.length === 2 && sval(one.fields[0]) === sval(two.fields[1])) out.add(one);
  });
  return out;
}

/** A name of the function's queries that is one of its variables, with the FROM lists in its reach. */
interface Candidate {
  ref: Node;
  name: string;
  scopes: Node[][];
  parameter: boolean;
  output: boolean;
  meant: boolean;
  conflictTarget?: boolean;
  caught: boolean;
  catcher?: { block: number; branch: number };
  handlerOf?: ReadonlyArray<{ block: number; branch: number }>;
}

const NO_CANDIDATES: Candidate[] = [];

/**
 * The unqualified names of the function's queries that are variables of it (kept on its CREATE
 * FUNCTION statement: they depend on its text alone; which are columns is asked of each model).
 */
/** The CREATE FUNCTION statements of a parsed file with candidates, each with them (kept per parsed file: a re-lint looks at the edited file's only). */
const byFile = new WeakMap<ParsedFile, Array<{ stmt: Statement; list: Candidate[] }>>();
function fileCandidates(pf: ParsedFile): Array<{ stmt: Statement; list: Candidate[] }> {
  let out = byFile.get(pf);
  if (out === undefined) {
    out = [];
    for (const s of pf.statements) {
      // (a DO block's too, written in it or made by its EXECUTE: PostgreSQL runs them alike; the engine keeps a fix of one in a string where it can be written there)
      if (s.kind !== 'CreateFunctionStmt' || s.madeByCall || s.body?.language !== 'plpgsql') continue;
      // (kept on the statement too: an edit re-parses its file, whose statements after it are moved, not made again)
      const list = memoStmt(s, 'plpgsql-ambiguous-column', () => candidatesOf(pf, s));
      if (list.length) out.push({ stmt: s, list });
    }
    byFile.set(pf, out);
  }
  return out;
}

/**
 * The unqualified names of a CREATE FUNCTION's PL/pgSQL queries that are variables of it (from its
 * text alone; which are columns is asked of each model).
 */
function candidatesOf(pf: ParsedFile, stmt: Statement): Candidate[] {
  const body = stmt.body;
  if (!body || body.lexical || body.language !== 'plpgsql' || !body.variables?.length) return NO_CANDIDATES;
  // (first the statements that read a table and name a variable, from what census keeps: most
  // functions have none, and their text is never looked at)
  const all = new Set<string>(body.variables);
  const named: Statement[] = [];
  ONE: for (const s of body.statements) {
    // (a query reads a table only after FROM, UPDATE or INTO: most of a body's expressions do not)
    if (!READS_TABLE.test(pf.text.slice(s.start, s.end))) continue;
    const c = census(s.node);
    if (c.rangeVars.length === 0 && !s.node?.relation) continue;
    if (s.kind === 'InsertStmt' && s.node?.onConflictClause) {
      named.push(s);
      continue;
    }
    for (let i = 0; i < c.columnRefs.length; i++) {
      const fields = c.columnRefs[i]!.fields;
      if (fields?.length === 1 && all.has(sval(fields[0]) as string)) {
        named.push(s);
        continue ONE;
      }
    }
  }
  if (named.length === 0) return NO_CANDIDATES;
  const text = pf.text.slice(body.start, body.end);
  if (/#\s*variable_conflict/i.test(text)) return NO_CANDIDATES;
  const params = new Set<string>();
  const outputs = new Set<string>();
  for (const p of (stmt.node?.parameters ?? []) as Node[]) {
    const name = p?.FunctionParameter?.name;
    if (typeof name !== 'string') continue;
    params.add(name);
    const mode = p.FunctionParameter.mode;
    if (mode === 'FUNC_PARAM_OUT' || mode === 'FUNC_PARAM_TABLE') outputs.add(name);
  }
  const declares = (codeOnly(text).match(/\bdeclare\b/gi) ?? []).length;
  const names = declares <= 1 ? all : new Set(body.variables.filter((v) => params.has(v)));
  if (names.size === 0) return NO_CANDIDATES;
  const section = declares === 1 ? declareSection(codeOnly(text)) : undefined;
  const out: Candidate[] = [];
  for (const s of named) {
    const refs = statementColumnRefs(s.kind, s.node);
    if (!refs?.length) continue;
    const inScope = section ? defaultScope(s, body.start, section, body.variables, names) : names;
    let meant: Set<Node> | undefined;
    for (const r of refs) {
      const fields: Node[] = r.ref.fields ?? [];
      if (fields.length !== 1 || r.scopes.length === 0) continue;
      const name = sval(fields[0]);
      if (name === undefined || !inScope.has(name)) continue;
      meant ??= meantAsVariable(s.node);
      const caught = !!s.caught?.some((c) => CATCHES_42702.has(c.toLowerCase()));
      out.push({ ref: r.ref, name, scopes: r.scopes, parameter: params.has(name), output: outputs.has(name), meant: meant.has(r.ref), conflictTarget: r.conflictTarget, caught, catcher: caught ? catcherOf(s) : undefined, handlerOf: s.handlerOf });
    }
  }
  return out.length ? out : NO_CANDIDATES;
}

const READS_TABLE = /\b(?:from|update|into)\b/i;

/** The span (offsets into the body's text) between a body's only DECLARE and the BEGIN after it. */
function declareSection(code: string): [number, number] | undefined {
  const d = /\bdeclare\b/i.exec(code);
  if (!d) return undefined;
  const b = /\bbegin\b/i.exec(code.slice(d.index));
  return [d.index, b ? d.index + b.index : code.length];
}

/**
 * The variables a statement may name: for a declaration's default (`role name := role FROM
 * web.users WHERE …`, docker4gis's web.user_role), only those declared before it. PL/pgSQL reads
 * a default with the names declared so far, not the variable itself nor the ones after it
 * (measured on PGlite: that default answers, while the same query assigned in the body fails
 * with 42702). The parameters and FOUND come first among the variables, so they stay in scope.
 */
function defaultScope(s: Statement, bodyStart: number, [from, to]: [number, number], variables: string[], names: Set<string>): Set<string> {
  const at = s.start - bodyStart;
  const v = s.assigns?.length === 1 ? s.assigns[0] : undefined;
  if (at < from || at >= to || v === undefined) return names;
  const i = variables.findIndex((x) => x.toLowerCase() === v);
  if (i < 0) return names;
  return new Set(variables.slice(0, i).filter((x) => names.has(x)));
}

/** The candidates of a function of the model (those of its CREATE FUNCTION). */
function candidates(model: Model, f: Func): Candidate[] {
  if (f.language !== 'plpgsql' || !f.body || f.stmt.madeByCall) return NO_CANDIDATES;
  const pf = fileOf(model, f.created.file);
  if (!pf) return NO_CANDIDATES;
  for (const x of fileCandidates(pf)) if (x.stmt === f.stmt) return x.list;
  return NO_CANDIDATES;
}

/** The model's functions with candidates: their CREATE FUNCTION statements are the files' (not iterating every function per lint). */
function functionsWithCandidates(model: Model): Func[] {
  const out: Func[] = [];
  for (const pf of model.files) {
    for (const { stmt } of fileCandidates(pf)) {
      const list = model.functions.get(model.key(nameParts(stmt.node?.funcname)));
      if (list) for (const f of list) if (f.stmt === stmt) out.push(f);
    }
  }
  return out;
}

function ambiguities(model: Model, f: Func): Ambiguity[] {
  const list = candidates(model, f);
  if (list.length === 0 || settingOf(f, 'plpgsql.variable_conflict')) return [];
  const ws = workspaceFacts(model);
  const out: Ambiguity[] = [];
  for (const c of list) {
    // (a column some statement drops, retypes or renames on that table, or on one not known:
    // not a rename on another table, deptrai/suna's credit_accounts.user_id)
    const table = tableWith(model, c, c.name);
    if (table && !changedColumn(ws, c.name, table.name)) out.push({ ref: c.ref, name: c.name, table, parameter: c.parameter, output: c.output, meant: c.meant, conflictTarget: c.conflictTarget, caught: c.caught, catcher: c.catcher, handlerOf: c.handlerOf });
  }
  return out;
}

/** Where the name is written at `at` (an ON CONFLICT column: after the clause's parenthesis). */
function nameAt(text: string, at: number, name: string): number {
  if (text.slice(at, at + name.length) === name) return at;
  const m = new RegExp(`\\b${name.replace(/[^\w$]/g, '')}\\b`).exec(text.slice(at, at + 300));
  return m ? at + m.index : at;
}

/** A table in the reference's reach that has the column (as the model knows it). */
function tableWith(model: Model, r: { scopes: Node[][] }, name: string): { key: string; name: string } | undefined {
  for (const scope of r.scopes) {
    for (const rv of scope) {
      const t = model.tables.get(model.relKey(rv));
      if (t && t.columns.includes(name)) return t;
      // (a catalog relation: pg_catalog's are found unqualified too, first in every search_path)
      const schema = rv.schemaname ?? (t || model.views.has(model.relKey(rv)) ? undefined : 'pg_catalog');
      const cols = schema === 'pg_catalog' || schema === 'information_schema' ? CATALOG_COLUMNS[`${schema}.${rv.relname}`] : undefined;
      if (cols?.includes(name)) return { key: `${schema}.${rv.relname}`, name: rv.relname };
      // (Supabase's auth.users, which its Auth server makes: where the migrations run there and make no other)
      if (!t && rv.schemaname === 'auth' && rv.relname === 'users' && AUTH_USERS_COLUMNS.includes(name) && (model.supabase || onSupabasePlatform(model)) && supabaseAuthUsers(model)) return { key: 'auth.users', name: rv.relname };
    }
  }
  return undefined;
}

/**
 * The columns of Supabase's auth.users (its Auth server's migrations): a function of the
 * migrations returning `TABLE (id uuid, email text, …)` that selects them unqualified fails with 42702.
 */
const AUTH_USERS_COLUMNS = [
  'instance_id', 'id', 'aud', 'role', 'email', 'encrypted_password', 'email_confirmed_at', 'invited_at', 'confirmation_token', 'confirmation_sent_at',
  'recovery_token', 'recovery_sent_at', 'email_change_token_new', 'email_change', 'email_change_sent_at', 'last_sign_in_at', 'raw_app_meta_data',
  'raw_user_meta_data', 'is_super_admin', 'created_at', 'updated_at', 'phone', 'phone_confirmed_at', 'phone_change', 'phone_change_token',
  'phone_change_sent_at', 'confirmed_at', 'email_change_token_current', 'email_change_confirm_status', 'banned_until', 'reauthentication_token',
  'reauthentication_sent_at', 'is_sso_user', 'deleted_at', 'is_anonymous',
];

/**
 * Columns of the catalog relations functions most often query (PostgreSQL 17/18), for names such
 * as a RETURNS TABLE (table_name …) column over information_schema.columns (setique's
 * validate_product_workspace_alignment: 42702 on every call).
 */
const CATALOG_COLUMNS: Record<string, readonly string[]> = {
  'information_schema.columns': ['table_catalog', 'table_schema', 'table_name', 'column_name', 'ordinal_position', 'column_default', 'is_nullable', 'data_type', 'character_maximum_length', 'numeric_precision', 'udt_name', 'is_identity', 'is_generated', 'is_updatable'],
  'information_schema.tables': ['table_catalog', 'table_schema', 'table_name', 'table_type', 'is_insertable_into', 'is_typed'],
  'information_schema.routines': ['specific_catalog', 'specific_schema', 'specific_name', 'routine_catalog', 'routine_schema', 'routine_name', 'routine_type', 'data_type', 'routine_definition', 'external_language', 'security_type'],
  'information_schema.table_constraints': ['constraint_catalog', 'constraint_schema', 'constraint_name', 'table_catalog', 'table_schema', 'table_name', 'constraint_type', 'is_deferrable', 'initially_deferred', 'enforced'],
  'information_schema.key_column_usage': ['constraint_catalog', 'constraint_schema', 'constraint_name', 'table_catalog', 'table_schema', 'table_name', 'column_name', 'ordinal_position', 'position_in_unique_constraint'],
  'pg_catalog.pg_class': ['oid', 'relname', 'relnamespace', 'reltype', 'relowner', 'relkind', 'relrowsecurity', 'relforcerowsecurity', 'relispartition', 'reltuples', 'relpages', 'relhasindex', 'relpersistence', 'relnatts', 'relacl', 'reloptions'],
  'pg_catalog.pg_attribute': ['attrelid', 'attname', 'atttypid', 'attnum', 'attnotnull', 'atthasdef', 'attisdropped', 'attidentity', 'attgenerated', 'attlen', 'atttypmod', 'attndims', 'attcollation', 'attacl', 'attoptions'],
  'pg_catalog.pg_namespace': ['oid', 'nspname', 'nspowner', 'nspacl'],
  'pg_catalog.pg_proc': ['oid', 'proname', 'pronamespace', 'proowner', 'prolang', 'prokind', 'prosecdef', 'provolatile', 'proargtypes', 'prorettype', 'prosrc', 'proconfig', 'proacl', 'pronargs', 'proretset'],
  'pg_catalog.pg_type': ['oid', 'typname', 'typnamespace', 'typowner', 'typlen', 'typtype', 'typcategory', 'typrelid', 'typelem', 'typarray', 'typnotnull', 'typbasetype', 'typacl'],
  'pg_catalog.pg_roles': ['rolname', 'rolsuper', 'rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolcanlogin', 'rolreplication', 'rolconnlimit', 'rolpassword', 'rolvaliduntil', 'rolbypassrls', 'rolconfig', 'oid'],
  'pg_catalog.pg_policies': ['schemaname', 'tablename', 'policyname', 'permissive', 'roles', 'cmd', 'qual', 'with_check'],
  'pg_catalog.pg_policy': ['oid', 'polname', 'polrelid', 'polcmd', 'polpermissive', 'polroles', 'polqual', 'polwithcheck'],
  'pg_catalog.pg_tables': ['schemaname', 'tablename', 'tableowner', 'tablespace', 'hasindexes', 'hasrules', 'hastriggers', 'rowsecurity'],
  'pg_catalog.pg_views': ['schemaname', 'viewname', 'viewowner', 'definition'],
  'pg_catalog.pg_indexes': ['schemaname', 'tablename', 'indexname', 'tablespace', 'indexdef'],
  'pg_catalog.pg_constraint': ['oid', 'conname', 'connamespace', 'contype', 'condeferrable', 'condeferred', 'convalidated', 'conrelid', 'contypid', 'conindid', 'confrelid', 'conkey', 'confkey'],
  'pg_catalog.pg_trigger': ['oid', 'tgrelid', 'tgparentid', 'tgname', 'tgfoid', 'tgtype', 'tgenabled', 'tgisinternal', 'tgconstrrelid', 'tgconstraint', 'tgnargs', 'tgargs'],
  'pg_catalog.pg_enum': ['oid', 'enumtypid', 'enumsortorder', 'enumlabel'],
  'pg_catalog.pg_extension': ['oid', 'extname', 'extowner', 'extnamespace', 'extrelocatable', 'extversion', 'extconfig', 'extcondition'],
  'pg_catalog.pg_stat_activity': ['datid', 'datname', 'pid', 'leader_pid', 'usesysid', 'usename', 'application_name', 'client_addr', 'client_hostname', 'client_port', 'backend_start', 'xact_start', 'query_start', 'state_change', 'wait_event_type', 'wait_event', 'state', 'backend_xid', 'backend_xmin', 'query_id', 'query', 'backend_type'],
};

/**
 * For a query whose 42702 an EXCEPTION clause catches: an ambiguous query of that clause's own
 * handler that nothing catches. The handler then fails with 42702 in turn, and so does the call
 * (measured on PGlite: `UPDATE logs SET duration_ms = duration_ms` in the block and again in its
 * WHEN OTHERS handler, the call fails with 42702 instead of returning the handler's result).
 */
function failingHandler(found: Ambiguity[], a: Ambiguity): Ambiguity | undefined {
  const c = a.caught ? a.catcher : undefined;
  if (!c) return undefined;
  return found.find((h) => !h.caught && h.handlerOf?.some((x) => x.block === c.block && x.branch === c.branch));
}

/** The innermost EXCEPTION clause around the statement that catches 42702, and its first WHEN branch that does (PL/pgSQL runs the first that matches). */
function catcherOf(s: Statement): { block: number; branch: number } | undefined {
  for (const t of s.tries ?? []) {
    const branch = t.conds.findIndex((conds) => conds.some((c) => CATCHES_42702.has(c)));
    if (branch >= 0) return { block: t.block, branch };
  }
  return undefined;
}

/** Fix: qualify each parameter meant (the other side of its comparison is the column) with the function's name. */
function qualifyFix(model: Model, f: Func, list: Ambiguity[]): Fix | undefined {
  if (!list.every((a) => a.parameter && a.meant)) return undefined;
  const text = fileOf(model, f.created.file)?.text ?? '';
  const edits = [];
  for (const a of list) {
    const start = a.ref.location as number;
    if (typeof start !== 'number' || text.slice(start, start + a.name.length) !== a.name || a.output) return undefined;
    edits.push({ file: f.created.file, start, end: start + a.name.length, newText: `${quoteIdent(f.name)}.${a.name}` });
  }
  return {
    title: `Qualify the parameter${list.length > 1 ? 's' : ''} with the function's name (${[...new Set(list.map((a) => `${f.name}.${a.name}`))].join(', ')})`,
    kind: 'unsafe',
    edits,
  };
}

/**
 * For a finding on what a function does when it runs: a sentence saying that as written a query
 * of it fails with 42702 (boothbrain's get_user_current_organization), or ''.
 */
export function failsAsWritten(model: Model, f: Func): string {
  if (f.language !== 'plpgsql' || conflictConfigured(model)) return '';
  const found = ambiguities(model, f);
  if (found.length === 0) return '';
  const a = found[0]!;
  return a.caught && !failingHandler(found, a)
    ? ` (Its query naming ${a.name} fails as written with 42702 column reference "${a.name}" is ambiguous, plpgsql-ambiguous-column, which its EXCEPTION clause catches: a call that reaches it gets the handler's result, not rows; the above holds for every call once that is fixed.)`
    : ` (Its query naming ${a.name} fails as written with 42702 column reference "${a.name}" is ambiguous, plpgsql-ambiguous-column: a call that reaches it gets that error, not rows; the above holds for every call once that is fixed.)`;
}

export const plpgsqlAmbiguousColumn = defineRule({
  meta: {
    id: 'plpgsql-ambiguous-column',
    description: 'A PL/pgSQL function names, unqualified, one of its parameters or variables that is also a column of a table its query reads: PostgreSQL raises 42702 each time it runs that query.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'PL/pgSQL resolves each name of a query against its variables and the tables in reach: under the default plpgsql.variable_conflict = error, a name that is both fails the query with 42702 column reference "x" is ambiguous, every time it runs (a policy calling such a helper fails every query that evaluates it).',
  },
  check({ model, report }) {
    if (conflictConfigured(model)) return;
    for (const f of functionsWithCandidates(model)) {
      {
        // (in the order of the text, which is the order they run in: a FOR loop's query before its
        // body's; the body's statements come after it in the parse, yugi-forge-arena's
        // notify_daily_tournament_participants reported its body's query first)
        const found = [...ambiguities(model, f)].sort((a, b) => (a.ref.location as number) - (b.ref.location as number));
        if (found.length === 0) continue;
        const first = found[0]!;
        const handler = failingHandler(found, first);
        const start = nameAt(fileOf(model, f.created.file)?.text ?? '', first.ref.location as number, first.name);
        const kind = !first.parameter ? 'a variable' : first.output ? 'an output column (OUT or RETURNS TABLE)' : 'a parameter';
        const others = [...new Set(found.slice(1).map((a) => a.name).filter((n) => n !== first.name))];
        const fix = qualifyFix(model, f, found);
        report({
          file: f.created.file,
          start,
          end: start + first.name.length,
          message:
            `In PL/pgSQL function ${f.signature}, ${first.name} is ${kind} of the function and a column of ${first.table.key}, which this query reads: ` +
            `PL/pgSQL raises 42702 column reference "${first.name}" is ambiguous each time the function runs the query (plpgsql.variable_conflict = error, the default), ` +
            (first.caught && handler
              ? `and its EXCEPTION clause catches that error, but the handler then runs a query naming ${handler.name} that is ambiguous the same way and that nothing catches: a call whose handler reaches that query fails with 42702 all the same${calledByPolicy(model, f) ? ', and so does every query evaluating a policy whose call of it does' : ''}.`
              : first.caught
              ? `and its EXCEPTION clause catches that error: every call that reaches the query runs the handler instead and returns what the handler returns, never an answer from ${first.table.key}${calledByPolicy(model, f) ? ' (a policy calling it gets that result for every row)' : ''}.`
              : `so every call that reaches it fails instead of answering${calledByPolicy(model, f) ? ', and so does every query evaluating a policy whose call of it does' : ''}.`) +
            `${others.length ? ` (Also ambiguous in this function: ${others.join(', ')}.)` : ''} ` +
            (first.conflictTarget
              ? `In ON CONFLICT (${first.name}) the column cannot be written qualified (ON CONFLICT (${first.table.name}.${first.name}) is a syntax error, 42601): name its unique constraint (ON CONFLICT ON CONSTRAINT …), write the column as an expression in parentheses (ON CONFLICT ((${first.table.name}.${first.name})), or with its alias, which still infers its unique index), or rename the ${first.parameter ? (first.output ? 'output column' : 'parameter') : 'variable'}${others.length ? '; qualify the other names with their table or alias' : ''}. `
              : first.output
              ? `Qualify the table's column (${first.table.name}.${first.name}, or its alias): ${first.name} the variable is the function's result column, NULL until the function assigns it, so ${f.name}.${first.name} would compare with NULL, and renaming it changes the columns the function returns. `
              : `Qualify the column with its table or alias and the ${first.parameter ? `parameter with the function's name (${f.name}.${first.name})` : 'variable with its block label'}, or rename the ${first.parameter ? 'parameter (e.g. p_' + first.name + ')' : 'variable'}. `) +
            '(#variable_conflict use_column would make a comparison such as om.user_id = user_id compare the column with itself, true for every row.)',
          fixes: fix ? [fix] : undefined,
        });
      }
    }
  },
});
