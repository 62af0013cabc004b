import { inlineIndexCreates } from './table-inline-index.js';
import { census, PLATFORM_SCHEMAS, relationsIn, stringConst } from '../analysis/ast.js';
import { nameParts, sval } from '../analysis/parse.js';
import { createdTypeName, oneChangelogRuns, rollbackSections, type Func, type Model, type Policy } from '../analysis/model.js';
import { functionsToken, memoModel, orderOf, resolvedCalls, RunIndex, statementRuns, textOfFile, type StatementRun } from '../analysis/policy-exprs.js';
import { rejectedPolicies, rejectionOf } from '../analysis/rejected.js';
import { createsReferencingLater, referenceFailure, workspaceFacts } from '../analysis/columns.js';
import { statementsNamingLaterFunctions } from '../analysis/function-order.js';
import { bodyReturnMismatch, parameterRejection, type BodyReturnMismatch, type ParameterRejection } from '../analysis/function-replace.js';
import { folderOf, mayDropUnseen, type UnseenLookup } from '../analysis/unseen.js';
import type { Loc, Node, ParsedFile, Statement } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { fileOf, newColumnsOf, quoteIdent, removeStatement, supabaseMigration, where } from './lib/util.js';
import { functionsFacts, keeper } from './lib/kept.js';

// A CREATE POLICY of a name its table already has a policy of fails (42710): the model keeps the
// new one (what the statement means once the old one is dropped first: the fix), and this rule
// tells that the migrations, run as written, stop there.
//
// Reported only when the migrations leave no doubt that the old policy is still there:
// - both CREATE POLICY statements are top-level statements of files (one in a DO block may sit
//   in an IF, or under an EXCEPTION handler that catches the error; one that re-creates a policy
//   never replaces it in the model, as in PostgreSQL);
// - both files are in the same folder, one sequence of migrations: a schema dump or a declarative
//   schema beside the migrations (supabase/schemas/) re-creates what they create, and is not run
//   after them;
// - PostgreSQL accepts the old one (a policy it rejects never exists) and would get as far as
//   the name with the new one (it analyses the expressions first: policy-unknown-column and
//   rls-on-view report those, a relation that does not exist yet fails with 42P01, and so may a
//   column of a table written again with new columns, 42703: table-already-exists);
// - the old one's file holds no statement PostgreSQL rejects (a syntax error, a rejected policy, a
//   table that already exists): a tool running each file in one transaction applied none of it;
// - between the two, nothing may drop policies unseen (analysis/unseen.ts; a dynamic DROP VIEW …
//   CASCADE takes only the policies depending on a view: dependsOnView).

/** What mayDropUnseen asks, of the model (its functions at the end of the migrations). */
function lookupIn(model: Model): UnseenLookup {
  return { func: (parts) => model.findFunction(parts), text: (file) => textOfFile(model, file) };
}

/**
 * Whether the policy reads a relation that does not exist when its CREATE POLICY runs: one the
 * migrations never create, outside the platform's schemas (on a new database PostgreSQL stops
 * at it first, 42P01; the table may have been made by hand), or one they create after it.
 */
function readsMissingRelation(model: Model, p: Policy): boolean {
  let at: number | undefined;
  for (const node of [p.using, p.withCheck]) {
    if (!node) continue;
    for (const r of relationsIn(node)) {
      const key = model.relKey(r);
      const schema = key.slice(0, key.indexOf('.'));
      const rel = model.tables.get(key) ?? model.views.get(key);
      if (!rel) {
        if (!PLATFORM_SCHEMAS.has(schema) && schema !== 'pg_catalog' && schema !== 'information_schema') return true;
        continue;
      }
      at ??= orderOf(model, p.created);
      if (orderOf(model, rel.created) > at) return true;
    }
  }
  return false;
}

/**
 * Whether no statement of the migrations makes the policy's table (outside the platform's
 * schemas): on a new database both CREATE POLICY statements then fail with 42P01 (relation does
 * not exist), the earlier one first, and neither meets the other's name (azr18's
 * saved_invoices, whose CREATE TABLE migration was deleted). Certain only when no file's text
 * has a CREATE TABLE / VIEW of that name, or a RENAME TO it, in any schema, dynamic SQL's strings
 * included: any such text, and the table counts as made.
 */
function tableNeverMade(model: Model, p: Policy): boolean {
  const key = p.table;
  const dot = key.indexOf('.');
  const schema = key.slice(0, dot);
  if (model.tables.has(key) || model.views.has(key)) return false;
  if (PLATFORM_SCHEMAS.has(schema) || schema === 'pg_catalog' || schema === 'information_schema') return false;
  // (per model and key: one Map, not a memo name per key)
  const byKey = memoModel(model, 'policy-already-exists:made', newMadeMap);
  let never = byKey.get(key);
  if (never === undefined) {
    const name = key.slice(dot + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const ident = `"?${name}"?(?![\\w$])`;
    const made = new RegExp(
      `\\bcreate\\s+(?:or\\s+replace\\s+)?(?:(?:global|local)\\s+)?(?:(?:temp|temporary|unlogged|foreign|materialized|recursive)\\s+)?(?:table|view)\\s+(?:if\\s+not\\s+exists\\s+)?(?:"?[\\w$]+"?\\s*\\.\\s*)?${ident}|\\brename\\s+to\\s+${ident}`,
      'i',
    );
    byKey.set(key, (never = !model.files.some((f) => made.test(f.text))));
  }
  return never;
}
const newMadeMap = (): Map<string, boolean> => new Map();

/**
 * Whether the policy's table was written again, with columns it does not have, before the
 * policy (Model.recreatedTables), and the policy names one of them: PostgreSQL then stops at it
 * (42703) before it looks at the name. (One naming only columns the table has meets the name:
 * 42710, ANTON.IA's profiles.)
 */
function meantForNewColumns(model: Model, p: Policy): boolean {
  const list = model.recreatedTables;
  if (list.length === 0) return false;
  let at: number | undefined;
  let named: Set<string> | undefined;
  for (const r of list) {
    if (r.table.key !== p.table) continue;
    const added = newColumnsOf(r);
    if (added.length === 0) continue;
    at ??= orderOf(model, p.created);
    if (orderOf(model, r.loc) >= at) continue;
    if (!named) {
      named = new Set();
      for (const e of [p.using, p.withCheck]) {
        for (const c of e ? census(e).columnRefs : []) {
          const fields: Node[] = c?.fields ?? [];
          const last = fields.length ? sval(fields[fields.length - 1]) : undefined;
          if (last) named.add(last);
        }
      }
    }
    if (added.some((c) => named!.has(c))) return true;
  }
  return false;
}

/**
 * Whether a DROP VIEW … CASCADE of the views of `schemas` (undefined: any) may take the policy:
 * PostgreSQL drops with a view what depends on it, and a policy depends on the relations its
 * expressions read and the functions they call; a function on a view its SQL-standard body
 * (BEGIN ATOMIC, RETURN) reads, and the view's row type as an argument or result. A body in a
 * string (plpgsql, or LANGUAGE sql AS $$ … $$) records no dependency: on PGlite the policies calling
 * such a function stayed, those reading the view, or calling a RETURN-bodied or `RETURNS SETOF`
 * view function went with it. A relation the migrations do not make as a table may be a view
 * (vip-drive-florida's loops over pg_views made its views again with dynamic SQL).
 */
function dependsOnView(model: Model, p: Policy, schemas: readonly string[] | undefined): boolean {
  const inSchemas = (key: string) => !schemas || schemas.includes(key.slice(0, key.indexOf('.')));
  const maybeView = (key: string) => inSchemas(key) && (model.views.has(key) || !model.tables.has(key));
  const seen = new Set<Func>();
  const stack: Func[] = [];
  for (const node of [p.using, p.withCheck]) {
    if (!node) continue;
    for (const r of relationsIn(node)) if (maybeView(model.relKey(r))) return true;
    stack.push(...resolvedCalls(model, node));
  }
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const t of [f.returnType, ...f.argTypes]) {
      const key = viewTypeKey(model, t);
      if (key && inSchemas(key)) return true;
    }
    if (!f.stmt.node?.sql_body) continue;
    for (const k of f.reads) if (maybeView(k)) return true;
    for (const k of f.calls) stack.push(...(model.functions.get(k) ?? []));
  }
  return false;
}

/** The view a type name (`setof public.v`, `v[]`) names, if the migrations make one of that name. */
function viewTypeKey(model: Model, type: string): string | undefined {
  const name = type.replace(/^setof\s+/i, '').replace(/(\[\])+$/, '').trim();
  if (!name) return undefined;
  const parts = name.split('.').map((x) => x.trim().replace(/^"|"$/g, ''));
  const key = model.key(parts.length > 1 ? parts.slice(-2) : [undefined, parts[0]!]);
  return model.views.has(key) ? key : undefined;
}

/** A CREATE POLICY PostgreSQL rejects with 42710, and the CREATE POLICY that made the policy it finds. */
export interface FailingCreate {
  by: Policy;
  /** the policy it finds (a top-level CREATE POLICY made it) */
  first: Policy;
}

/** The CREATE POLICY statements PostgreSQL rejects with 42710 as far as the migrations tell (see above), in replay order. */
export function failingCreates(model: Model): readonly FailingCreate[] {
  return failures(model).creates;
}

/**
 * The files a tool running each file in one transaction applies nothing of, as far as the lint
 * knows for certain: those holding a statement PostgreSQL rejects (filesWithFailures) or a
 * CREATE POLICY it rejects with 42710 (failingCreates).
 */
export function failedFiles(model: Model): ReadonlySet<string> {
  return failures(model).files;
}

/**
 * failingCreates and failedFiles, found together: a CREATE POLICY that collides only with a policy
 * of a file that fails is no collision (that file created nothing), and a file with a collision
 * fails. Until the files stop changing (a few rounds at most: each round drops the collisions
 * with the files the last one found failing).
 */
function failures(model: Model): { creates: readonly FailingCreate[]; files: ReadonlySet<string> } {
  return memoModel(model, 'policy-already-exists', (m) => {
    const base = filesWithFailures(m);
    let files: ReadonlySet<string> = base;
    let creates = collisions(m, files);
    for (let round = 0; round < 4; round++) {
      const next = new Set(base);
      for (const c of creates) next.add(c.by.created.file);
      if (next.size === files.size && [...next].every((f) => files.has(f))) break;
      files = next;
      creates = collisions(m, files);
    }
    return { creates, files };
  });
}

function collisions(m: Model, failing: ReadonlySet<string>): readonly FailingCreate[] {
  const out: FailingCreate[] = [];
  const doubtful = mayFailUnseen(m);
  const earlier = new Map<Policy, Policy>();
  for (const x of m.replacedPolicies) if (x.by) earlier.set(x.by, x.replaced);
  for (const { replaced, by } of m.replacedPolicies) {
    if (!by) continue; // (a DROP POLICY's)
    // (a file with a statement PostgreSQL rejects is not applied at all by a tool that runs each
    // file in one transaction, as the Supabase CLI does (pkg/migration/file.go: a file's
    // statements are one pgconn batch, "implicitly transactional") and most tools: a policy made
    // there was never made, and the one PostgreSQL finds is the one it replaced in the model, if
    // any; in the file that writes it again, the first ran before it either way)
    let first: Policy | undefined = replaced;
    for (let hops = 0; first && first.created.file !== by.created.file && failing.has(first.created.file) && hops < 64; hops++) first = earlier.get(first);
    if (!first) continue;
    if (by.stmt.kind !== 'CreatePolicyStmt' || by.stmt.origin !== 'file' || rejectionOf(m, by) || readsMissingRelation(m, by) || meantForNewColumns(m, by)) continue;
    // (a CREATE POLICY in a DO block never replaces one in the model: if the one found was made
    // in a DO block, it may sit in an IF that did not run)
    if (first.stmt.kind !== 'CreatePolicyStmt' || first.stmt.origin !== 'file' || rejectionOf(m, first) || readsMissingRelation(m, first)) continue;
    // (two folders are two sequences whose order the paths do not tell, unless a Liquibase changelog runs both)
    if ((folderOf(first.created.file) !== folderOf(by.created.file) && !oneChangelogRuns(m, first.created.file, by.created.file)) || doubtful.has(first.created.file)) continue;
    const from = orderOf(m, first.created);
    const to = orderOf(m, by.created);
    if (from < 0 || to <= from) continue;
    const look = lookupIn(m);
    const old = first;
    const readsView = (schemas: readonly string[] | undefined) => dependsOnView(m, old, schemas);
    let unseen = false;
    for (let i = from + 1; i < to && !unseen; i++) unseen = mayDropUnseen(m.statements[i]!.stmt, m.statements[i]!.file.file, look, 'policy', readsView);
    if (!unseen) out.push({ by, first });
  }
  // a policy the model holds from a CREATE POLICY that itself fails is the one before it: the
  // one PostgreSQL finds is its first maker's
  const firstOf = new Map(out.map((x) => [x.by, x.first]));
  return out.map((x) => {
    let first = x.first;
    for (let hops = 0; firstOf.has(first) && hops < out.length; hops++) first = firstOf.get(first)!;
    return first === x.first ? x : { by: x.by, first };
  });
}

/**
 * Where dynamic SQL may make tables (columns.ts workspaceFacts: a DO block's EXECUTE, a migration
 * runner EXECUTEing the CREATE TABLE it is handed), the files with a top-level plain CREATE TABLE:
 * it fails with 42P07 if that SQL made the table first, and a tool running each file in one
 * transaction then applies none of the file — whether its policies exist is not known.
 * Munkhjavkhlann/mongolec-backend's database-schema.sql makes tenants, users… that its runner
 * (database-migrations.sql, earlier in path order) has made.
 */
function mayFailUnseen(m: Model): ReadonlySet<string> {
  return memoModel(m, 'policy-already-exists:unseen-creates', (model) => {
    const out = new Set<string>();
    if (!workspaceFacts(model).dynamic) return out;
    for (const f of model.files) if (f.statements.some((st) => st.kind === 'CreateStmt' && st.origin === 'file' && !st.node?.if_not_exists)) out.add(f.file);
    return out;
  });
}

/** The files holding a statement PostgreSQL rejects, as far as the lint knows for certain (knownFailures). */
function filesWithFailures(model: Model): ReadonlySet<string> {
  return new Set(knownFailures(model).map((x) => x.loc.file));
}

/**
 * The statements PostgreSQL certainly rejects, as far as the lint knows, with what they are: a
 * syntax error (not in a section that never runs migrating up: `-- migrate:down`, a rolled-back
 * transaction), a CREATE POLICY it rejects (rejected.ts), a CREATE TABLE of a table that exists
 * (table-already-exists), a CREATE TYPE of a type that exists, a CREATE OR REPLACE FUNCTION it
 * refuses (function-replace-rejected).
 */
function knownFailures(model: Model): ReadonlyArray<{ loc: Loc; what: string }> {
  return memoModel(model, 'policy-already-exists:known', (m) => {
    const out: Array<{ loc: Loc; what: string }> = [];
    for (const f of m.files) {
      if (!f.errors.length) continue;
      const sections = rollbackSections(f);
      for (const e of f.errors) if (!sections.some((r) => r.start <= e.start && e.start < r.end)) out.push({ loc: { file: f.file, start: e.start, end: e.end }, what: 'a syntax error' });
    }
    for (const p of rejectedPolicies(m).keys()) out.push({ loc: p.created, what: `CREATE POLICY "${p.name}", which PostgreSQL rejects` });
    for (const r of m.recreatedTables) if (!r.ifNotExists) out.push({ loc: r.loc, what: 'a CREATE TABLE of a table that exists: 42P07' });
    for (const { loc } of typeRecreations(m)) out.push({ loc, what: 'a CREATE TYPE of a type that exists: 42710' });
    for (const { loc, key } of createsReferencingLater(m)) out.push({ loc, what: `a CREATE TABLE referencing ${key}, which the migrations create only later: ${referenceFailure(m, loc, key).code}` });
    for (const r of m.rejectedReplacements) out.push({ loc: r.loc, what: `a CREATE OR REPLACE of \`${r.replaced.signature}\` that changes ${r.rejection.change.replace(/ \(.*$/, '')}: ${r.rejection.code}` });
    for (const r of rejectedBodies(m)) out.push({ loc: r.loc, what: `a CREATE FUNCTION of ${r.name} whose body returns text, not ${r.declared}: 42P13` });
    for (const r of rejectedParameters(m)) out.push({ loc: r.loc, what: `a CREATE FUNCTION of ${r.name} with ${r.what}: 42P13` });
    for (const c of inlineIndexCreates(m)) out.push({ loc: c.loc, what: `a CREATE TABLE with MySQL's index clause (INDEX ${c.clauses[0]!.name} …): 42704` });
    return out;
  });
}

/**
 * The top-level CREATE FUNCTION statements the migrations run (not a rollback section's, nor a file
 * left out) that `find` says PostgreSQL rejects, each with its place: kept per parsed file (`kept`),
 * gathered per model under `key`.
 */
function rejectedCreates<T extends object>(model: Model, key: string, kept: WeakMap<ParsedFile, ReadonlyArray<T & { loc: Loc }>>, find: (f: ParsedFile, stmt: Statement) => T | undefined): ReadonlyArray<T & { loc: Loc }> {
  return memoModel(model, key, (m) => {
    const out: Array<T & { loc: Loc }> = [];
    for (const f of m.files) {
      let list = kept.get(f);
      if (list === undefined) {
        const found: Array<T & { loc: Loc }> = [];
        for (const stmt of f.statements) {
          const r = stmt.kind === 'CreateFunctionStmt' ? find(f, stmt) : undefined;
          if (r) found.push({ ...r, loc: { file: f.file, start: stmt.start, end: stmt.end } });
        }
        kept.set(f, (list = found));
      }
      for (const r of list) if (orderOf(m, r.loc) >= 0) out.push(r);
    }
    return out;
  });
}

const bodyMismatches = new WeakMap<ParsedFile, ReadonlyArray<BodyReturnMismatch & { loc: Loc }>>();

/**
 * The top-level CREATE FUNCTION … LANGUAGE sql statements the migrations run whose body returns
 * text for a type text does not become by assignment (function-replace.ts bodyReturnMismatch):
 * PostgreSQL rejects them with 42P13, and the model makes no function of them.
 */
export function rejectedBodies(model: Model): ReadonlyArray<BodyReturnMismatch & { loc: Loc }> {
  return rejectedCreates(model, 'policy-already-exists:bodies', bodyMismatches, bodyReturnMismatch);
}

const parameterRejections = new WeakMap<ParsedFile, ReadonlyArray<ParameterRejection & { loc: Loc }>>();

/**
 * The top-level CREATE FUNCTION statements the migrations run whose parameter list PostgreSQL
 * refuses (function-replace.ts parameterRejection: two names alike, a default missing after one):
 * PostgreSQL rejects them with 42P13, and the model makes no function of them.
 */
export function rejectedParameters(model: Model): ReadonlyArray<ParameterRejection & { loc: Loc }> {
  return rejectedCreates(model, 'policy-already-exists:parameters', parameterRejections, parameterRejection);
}

/** The names of the types a parsed file's statements make (or rename a type to), and those its plain CREATE TYPE / DOMAIN statements (outside DO blocks) make. */
interface TypesMade {
  all: string[];
  plain: string[];
}
const typesMade = new WeakMap<ParsedFile, TypesMade>();

function typesMadeIn(file: ParsedFile): TypesMade {
  let out = typesMade.get(file);
  if (!out) {
    out = { all: [], plain: [] };
    for (const stmt of file.statements) {
      const name = createdTypeName(stmt);
      if (name !== undefined) {
        out.all.push(name);
        if (stmt.origin === 'file') out.plain.push(name);
      }
      // (and the names a type is renamed to: a type made under one then exists already)
      else if (stmt.kind === 'RenameStmt' && (stmt.node.renameType === 'OBJECT_TYPE' || stmt.node.renameType === 'OBJECT_DOMAIN') && typeof stmt.node.newname === 'string') out.all.push(stmt.node.newname);
    }
    typesMade.set(file, out);
  }
  return out;
}

/**
 * Whether a top-level statement sets the search_path: true to a schema other than public first
 * (or none), false back to public (or RESET); undefined for any other statement.
 */
function searchPathSet(stmt: Statement): boolean | undefined {
  if (stmt.origin !== 'file') return undefined;
  const n = stmt.node;
  if (stmt.kind === 'VariableSetStmt' && n?.name === 'search_path') {
    if (n.kind !== 'VAR_SET_VALUE') return false;
    const first = (n.args ?? []).map((a: Node) => String(sval(a?.A_Const?.sval) ?? sval(a) ?? ''))[0];
    return first !== 'public';
  }
  if (stmt.kind === 'SelectStmt') {
    const call = n?.targetList?.[0]?.ResTarget?.val?.FuncCall;
    if (call && nameParts(call.funcname).pop() === 'set_config' && stringConst(call.args?.[0]) === 'search_path') {
      const value = stringConst(call.args?.[1]);
      return value === undefined || value.split(',')[0]!.trim() !== 'public';
    }
  }
  return undefined;
}

/** Whether a DO block's CREATE TYPE is guarded by a test that the type does not exist yet, or a duplicate_object handler. */
function guardedCreate(file: ParsedFile, stmt: Statement): boolean {
  const block = file.statements.find((s) => s.kind === 'DoStmt' && s.start <= stmt.start && stmt.end <= s.end);
  return !!block && /\bpg_type\b|\bto_regtype\b|\bduplicate_object\b|\b42710\b/i.test(file.text.slice(block.start, block.end));
}

/** The schema a CREATE TYPE / DOMAIN statement names, if it names one. */
function createdTypeSchema(stmt: Statement): string | undefined {
  const n = stmt.node;
  const parts = stmt.kind === 'CreateDomainStmt' ? n?.domainname : stmt.kind === 'CompositeTypeStmt' ? undefined : n?.typeName;
  if (stmt.kind === 'CompositeTypeStmt') return n?.typevar?.schemaname;
  return Array.isArray(parts) && parts.length > 1 ? parts[parts.length - 2]?.String?.sval : undefined;
}

/**
 * The plain CREATE TYPE / DOMAIN statements of a type (`schema.name`) an earlier migration of the
 * same folder made and no DROP TYPE / DOMAIN (nor anything unseen) took away since, each with the
 * statement that made it first: PostgreSQL rejects them (42710 type already exists), and their
 * file fails (camerpulse's second payment_status; Reparalo's app_role).
 */
export function typeRecreations(model: Model): ReadonlyArray<{ loc: Loc; name: string; first: Loc }> {
  return memoModel(model, 'policy-already-exists:types', (m) => {
    const out: Array<{ loc: Loc; name: string; first: Loc }> = [];
    // (most workspaces make no type twice: then nothing more is looked at; the names each parsed
    // file makes are kept with it, so a re-lint looks at the edited file's statements only)
    // (only a plain CREATE TYPE is rejected: a name made twice where neither is plain — breeze's
    // DO blocks catching duplicate_object — needs no look either)
    const count = new Map<string, number>();
    for (const f of m.files) for (const name of typesMadeIn(f).all) count.set(name, (count.get(name) ?? 0) + 1);
    let twice = false;
    for (const f of m.files) for (const name of typesMadeIn(f).plain) if (count.get(name)! > 1) twice = true;
    if (!twice) return out;
    const made = new Map<string, Loc>(); // type name → the statement that made it
    const look = lookupIn(m);
    // (after a SET search_path to another schema, an unqualified name is made there: not followed,
    // those statements are left out; a dump's set_config('search_path', '', false) too)
    let pathMoved = false;
    let lastFile: ParsedFile | undefined;
    let walked: ReadonlySet<Statement> = NO_STATEMENTS;
    for (const { stmt, file } of m.statements) {
      // (only the statements the loop below can act on: the others change nothing)
      if (file !== lastFile) {
        lastFile = file;
        walked = typeWalkedIn(file);
      }
      if (walked.size === 0 || !walked.has(stmt)) continue;
      const path = searchPathSet(stmt);
      if (path !== undefined) {
        pathMoved = path;
        continue;
      }
      if (stmt.kind === 'DropStmt' && (stmt.node.removeType === 'OBJECT_TYPE' || stmt.node.removeType === 'OBJECT_DOMAIN')) {
        for (const o of stmt.node.objects ?? []) {
          const parts: string[] = (o?.TypeName?.names ?? o?.List?.items ?? []).map((x: { String?: { sval?: string } }) => String(x?.String?.sval ?? ''));
          if (parts.length) made.delete(m.key(parts.length > 1 ? parts.slice(-2) : [undefined, parts[0]!]));
        }
        continue;
      }
      // (a type renamed or moved to another schema frees its name: credivio's interval_unit_type,
      // renamed to …__old_version_to_be_dropped before the new enum is made)
      const moved = stmt.kind === 'RenameStmt' ? stmt.node.renameType : stmt.kind === 'AlterObjectSchemaStmt' ? stmt.node.objectType : undefined;
      if (moved === 'OBJECT_TYPE' || moved === 'OBJECT_DOMAIN') {
        const parts: string[] = (stmt.node.object?.List?.items ?? []).map((x: { String?: { sval?: string } }) => String(x?.String?.sval ?? ''));
        const was = parts.length ? made.get(m.key(parts.length > 1 ? parts.slice(-2) : [undefined, parts[0]!])) : undefined;
        if (parts.length) made.delete(m.key(parts.length > 1 ? parts.slice(-2) : [undefined, parts[0]!]));
        const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
        const to = stmt.kind === 'RenameStmt' ? m.key([schema, stmt.node.newname]) : parts.length ? m.key([stmt.node.newschema, parts[parts.length - 1]!]) : undefined;
        if (was && to) made.set(to, was);
        continue;
      }
      if (made.size && typeDropUnseen(m, stmt, file.file, look)) made.clear();
      const bare = createdTypeName(stmt);
      if (bare === undefined) continue;
      const schema = createdTypeSchema(stmt);
      if (schema === undefined && pathMoved) continue;
      // (schema-qualified: public.status and billing.status are two types)
      const name = m.key([schema, bare]);
      const before = made.get(name);
      const loc = { file: file.file, start: stmt.start, end: stmt.end };
      if (before !== undefined && stmt.origin === 'file' && folderOf(before.file) === folderOf(file.file)) out.push({ loc, name, first: before });
      else if (stmt.origin === 'file') made.set(name, loc);
      // (a DO block making it where it does not exist yet — IF NOT EXISTS (… pg_type …), or an
      // EXCEPTION WHEN duplicate_object handler — leaves it made either way: stratevo's app_role)
      else if (!made.has(name) && guardedCreate(file, stmt)) made.set(name, loc);
    }
    return out;
  });
}

/**
 * The statements of a parsed file typeRecreations acts on: a search_path set, a DROP, RENAME or
 * SET SCHEMA of a type or domain, a type made, and those mayDropUnseen may say yes to (DROP
 * OWNED, DROP SCHEMA … CASCADE, a DO block running dynamic SQL or calling a function, a SELECT or
 * CALL calling one); for any other statement each of its tests is false. Kept per parsed file:
 * each test reads the statement alone (its kind, node and DO body), never the model or an offset,
 * and the model replays statements of their file's `statements` (planOf's ops), so a re-lint
 * looks at the edited file's statements only, and the model's walk skips the rest.
 */
function typeWalkedIn(file: ParsedFile): ReadonlySet<Statement> {
  let out = typeWalked.get(file);
  if (!out) {
    const set = new Set<Statement>();
    for (const stmt of file.statements) if (typeWalkedStatement(stmt)) set.add(stmt);
    typeWalked.set(file, (out = set.size ? set : NO_STATEMENTS));
  }
  return out;
}
const typeWalked = new WeakMap<ParsedFile, ReadonlySet<Statement>>();
const NO_STATEMENTS: ReadonlySet<Statement> = new Set();

const TYPE_OBJECTS = new Set(['OBJECT_TYPE', 'OBJECT_DOMAIN']);

/**
 * mayDropUnseen(stmt, file, look, 'policy') as typeRecreations asks it, kept per statement while
 * calls resolve the same (functionsToken): it reads the statement itself (its node, its DO body,
 * its text and its body's, the same where an edit moves it) and the functions its calls resolve
 * to (model.findFunction), their language, body and its text, which the token keeps the same
 * (the same objects, or the same statement and body).
 */
function typeDropUnseen(model: Model, stmt: Statement, file: string, look: UnseenLookup): boolean {
  const facts = functionsFacts(model);
  return (dropUnseenKept.get(model, stmt, facts) ?? dropUnseenKept.set(stmt, facts, undefined, mayDropUnseen(stmt, file, look, 'policy'))).value;
}
const dropUnseenKept = keeper<Statement, boolean>();

function typeWalkedStatement(stmt: Statement): boolean {
  if (searchPathSet(stmt) !== undefined || createdTypeName(stmt) !== undefined) return true;
  const n = stmt.node;
  switch (stmt.kind) {
    case 'DropStmt':
      return TYPE_OBJECTS.has(n?.removeType) || (n?.removeType === 'OBJECT_SCHEMA' && n?.behavior === 'DROP_CASCADE');
    case 'RenameStmt':
      return TYPE_OBJECTS.has(n?.renameType);
    case 'AlterObjectSchemaStmt':
      return TYPE_OBJECTS.has(n?.objectType);
    case 'DropOwnedStmt':
      return true;
    // (mayDropUnseen: a DO block without a body, or without dynamic SQL and without a call in its
    // statements, and a SELECT or CALL without a call, say no)
    case 'DoStmt': {
      const body = stmt.body;
      return !!body && (body.dynamicExecutes.length !== 0 || body.statements.some((s) => census(s.node).funcCalls.length !== 0));
    }
    case 'SelectStmt':
    case 'CallStmt':
      return census(n).funcCalls.length !== 0;
    default:
      return false;
  }
}

/**
 * The first statement before `by` in its file that PostgreSQL certainly rejects, if the lint
 * knows one: a syntax error, a rejected or colliding CREATE POLICY, a CREATE TABLE of a table that
 * exists, a CREATE INDEX / CREATE TRIGGER of a name an earlier migration made and nothing
 * dropped (42P07, 42710: mail-management-system's second todos file), a GRANT, REVOKE or ALTER
 * FUNCTION of a function created only later (42883). A tool stops there, not at `by`.
 */
export function earlierFailure(model: Model, at: Loc): { loc: Loc; what: string } | undefined {
  const file = at.file;
  const before = (loc: Loc) => loc.file === file && loc.start < at.start;
  const { creates } = failures(model);
  const found = [...knownFailures(model)];
  for (const c of creates) found.push({ loc: c.by.created, what: `CREATE POLICY "${c.by.name}", which exists already: 42710` });
  // (a GRANT, REVOKE or ALTER FUNCTION of a function created only later: local-marketplace's REVOKE of brand_owns_order_item(uuid))
  for (const x of statementsNamingLaterFunctions(model, file)) found.push(x);
  for (const stmt of makersOf(model).byFile.get(file) ?? []) {
    if (!before({ file, start: stmt.start, end: stmt.end })) continue;
    const n = stmt.node;
    const loc = { file, start: stmt.start, end: stmt.end };
    const at = orderOf(model, loc);
    // (both asked of the replay up to here, not of the model's indexes and triggers: those are the
    // ones left at the end, and one a later migration drops and makes again is there at its later
    // CREATE — as when an app builder restates a whole migration, then remakes its triggers)
    if (stmt.kind === 'IndexStmt' && n.idxname && !n.if_not_exists) {
      const schema = n.relation?.schemaname ?? model.key([n.relation?.relname]).split('.')[0]!;
      if (madeBefore(model, { index: n.idxname, schema }, at, file)) found.push({ loc, what: `CREATE INDEX ${n.idxname}, which an earlier migration made: 42P07` });
    }
    if (stmt.kind === 'CreateTrigStmt' && !n.replace && n.trigname) {
      const table = model.key([n.relation?.schemaname, n.relation?.relname]);
      if (madeBefore(model, { trigger: n.trigname, table }, at, file)) found.push({ loc, what: `CREATE TRIGGER ${n.trigname}, which an earlier migration made: 42710` });
    }
  }
  // (an ALTER TABLE … ADD COLUMN, without IF NOT EXISTS, of a column an earlier migration made:
  // 42701 — mostralo-lovable's second products.slug file fails there, before its CREATE INDEX)
  for (const r of columnRecreations(model)) if (r.loc.file === file) found.push({ loc: r.loc, what: `ALTER TABLE ${r.table} ADD COLUMN ${r.column}, a column ${where(model, r.madeAt)} made: 42701` });
  let first: { loc: Loc; what: string } | undefined;
  for (const x of found) if (before(x.loc) && (!first || x.loc.start < first.loc.start)) first = x;
  return first;
}

/**
 * The files' own statements that make an index or a trigger or add a column, per file; and each
 * run of statements' (statementRuns) own of them (runMakers). Per model, from the runs' kept by
 * run (one pass over every statement per model was ≈ 4–8 ms of the bench's re-lint).
 */
function makersOf(model: Model): { byFile: Map<string, Statement[]>; runs: RunMakers[] } {
  return memoModel(model, 'policy-already-exists:makers', (m) => {
    const byFile = new Map<string, Statement[]>();
    const list = m.statements;
    const all = statementRuns(m);
    const runs = all.map((r) => runMakers(list, r));
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      if (run.stmts.length === 0) continue;
      const name = all[i]!.file.file;
      const before = byFile.get(name);
      // (a file's one run: its list as it is; a file in several runs, a copy)
      byFile.set(name, before === undefined ? run.stmts : before.concat(run.stmts));
    }
    return { byFile, runs };
  });
}

/**
 * A run's statements of the file's own that make an index or a trigger or add a column; the places
 * of those making an index (`i:name`) or a trigger (`t:name`), in order, and those names, each once.
 * Kept per run (StatementRun.key).
 */
interface RunMakers {
  stmts: Statement[];
  made: Array<{ key: string; loc: Loc }>;
  names: string[];
}
const makersByRun = new WeakMap<object, RunMakers>();

/** The runs making each index (`i:name`) and trigger (`t:name`) name (RunMakers' names); made on first use. */
let runsMaking: RunIndex | undefined;

function runMakers(list: Model['statements'], r: StatementRun): RunMakers {
  let run = makersByRun.get(r.key);
  if (run !== undefined) return run;
  run = { stmts: [], made: [], names: [] };
  const names = new Set<string>();
  for (let i = r.from; i < r.to; i++) {
    const { stmt, file: pf } = list[i]!;
    if (stmt.origin !== 'file' || (stmt.kind !== 'IndexStmt' && stmt.kind !== 'CreateTrigStmt' && addsColumn(stmt).length === 0)) continue;
    run.stmts.push(stmt);
    const name = stmt.kind === 'CreateTrigStmt' ? stmt.node?.trigname : stmt.kind === 'IndexStmt' ? stmt.node?.idxname : undefined;
    if (typeof name !== 'string') continue;
    const key = `${stmt.kind === 'CreateTrigStmt' ? 't' : 'i'}:${name}`;
    run.made.push({ key, loc: { file: pf.file, start: stmt.start, end: stmt.end } });
    if (!names.has(key)) {
      names.add(key);
      run.names.push(key);
    }
  }
  makersByRun.set(r.key, run);
  return run;
}

/**
 * Where an earlier statement of the replay (before position `at`, in a file of `file`'s folder
 * that fails nowhere) made trigger `trigger` on table `table`, or index `index` in `schema`, when
 * nothing after it may have dropped it: a CREATE TRIGGER / CREATE INDEX, with no DROP TRIGGER or
 * DROP INDEX of it, DROP TABLE or RENAME of its table, RENAME of the index or a schema, DROP …
 * CASCADE, CREATE of that name outside the files' own statements (a DO block's), or statement that
 * may drop a table unseen (mayDropUnseen) between (any of these: undefined, as for one no
 * statement made).
 */
function madeBefore(model: Model, what: { trigger: string; table: string } | { index: string; schema: string }, at: number, file: string): Loc | undefined {
  const name = 'trigger' in what ? what.trigger : what.index;
  // (no statement before `at` makes a trigger or an index of the name: most, not asked further)
  const key = `${'trigger' in what ? 't' : 'i'}:${name}`;
  const { runs } = makersOf(model);
  const making = (runsMaking ??= new RunIndex((r, m) => runMakers(m.statements, r).names)).of(model).get(key);
  const earlier = (x: { key: string; loc: Loc }) => {
    if (x.key !== key) return false;
    const i = orderOf(model, x.loc);
    return i >= 0 && i < at;
  };
  if (!making?.some((r) => runs[r]!.made.some(earlier))) return undefined;
  const failing = failures(model).files;
  const look = lookupIn(model);
  let made: Loc | undefined;
  // the table of the trigger or index made
  let table = 'trigger' in what ? what.table : '';
  for (const { stmt, file: pf } of model.statements) {
    const loc = { file: pf.file, start: stmt.start, end: stmt.end };
    const i = orderOf(model, loc);
    if (i < 0 || i >= at) continue;
    const n = stmt.node;
    const on = stmt.kind === 'CreateTrigStmt' || stmt.kind === 'IndexStmt' ? model.key([n?.relation?.schemaname, n?.relation?.relname]) : '';
    const makes =
      'trigger' in what
        ? stmt.kind === 'CreateTrigStmt' && n?.trigname === name && on === what.table
        : stmt.kind === 'IndexStmt' && n?.idxname === name && (n?.relation?.schemaname ?? on.split('.')[0]) === what.schema;
    if (makes) {
      if (made && stmt.kind === 'IndexStmt' && n?.if_not_exists) continue;
      made = stmt.origin === 'file' && !failing.has(pf.file) && folderOf(pf.file) === folderOf(file) ? loc : undefined;
      table = on;
      continue;
    }
    if (!made) continue;
    if (stmt.kind === 'DropStmt') {
      if (n?.behavior === 'DROP_CASCADE') made = undefined;
      else if (n?.removeType === 'OBJECT_TABLE' || n?.removeType === ('trigger' in what ? 'OBJECT_TRIGGER' : 'OBJECT_INDEX')) {
        for (const o of (n.objects ?? []) as Node[]) {
          const parts = o?.List ? nameParts(o.List.items) : [];
          if (parts.length === 0) made = undefined;
          else if (n.removeType === 'OBJECT_TABLE' ? model.key(parts) === table : parts[parts.length - 1] === name) {
            // (DROP TRIGGER names its table too: another table's trigger of that name stays)
            if (n.removeType !== 'OBJECT_TRIGGER' || model.key(parts.slice(0, -1)) === table) made = undefined;
          }
        }
      }
      continue;
    }
    if (stmt.kind === 'RenameStmt') {
      const rel = n?.relation ? model.key([n.relation.schemaname, n.relation.relname]) : undefined;
      if (n?.renameType === 'OBJECT_SCHEMA' || rel === table || (n?.renameType === 'OBJECT_INDEX' && n?.relation?.relname === name)) made = undefined;
      continue;
    }
    if (mayDropUnseen(stmt, pf.file, look, 'table')) made = undefined;
  }
  return made;
}

/** The columns a top-level ALTER TABLE adds without IF NOT EXISTS (none for any other statement). */
function addsColumn(stmt: Statement): string[] {
  if (stmt.kind !== 'AlterTableStmt' || stmt.node?.objtype !== 'OBJECT_TABLE') return [];
  const out: string[] = [];
  for (const c of (stmt.node.cmds ?? []) as Node[]) {
    const cmd = c?.AlterTableCmd;
    if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok && typeof cmd.def?.ColumnDef?.colname === 'string') out.push(cmd.def.ColumnDef.colname);
  }
  return out;
}

/** An ALTER TABLE … ADD COLUMN (no IF NOT EXISTS) of a column the table has: PostgreSQL rejects it, 42701. */
export interface ColumnRecreation {
  /** the ALTER TABLE statement (all of it fails) */
  loc: Loc;
  stmt: Statement;
  /** the table's key and the column, as the statement names them */
  table: string;
  column: string;
  /** the column's name in the ADD COLUMN */
  nameLoc: Loc;
  def: Node;
  /** the statement that made the column (a plain CREATE TABLE or an ADD COLUMN) and its definition there */
  madeAt: Loc;
  madeDef: Node;
}

const NO_RECREATIONS: readonly ColumnRecreation[] = [];

/**
 * The ALTER TABLE … ADD COLUMN statements, without IF NOT EXISTS, of a column an earlier statement
 * of the replay made, in a file of the same folder that fails nowhere, when nothing after it may
 * have taken it away (per model, in replay order). Made: by a plain CREATE TABLE or an ADD COLUMN
 * among the files' own statements. Taken away (the column is then not known, as one no statement
 * made): a DROP COLUMN, a RENAME of the table or a column or a schema, a DROP TABLE, a CREATE TABLE
 * IF NOT EXISTS (its table may be another), a statement of a DO block on the table, a DROP … CASCADE
 * of something else (a type's columns go with it), a DO block running dynamic SQL or a statement
 * that may drop a table unseen (mayDropUnseen). One pass over the statements, only when some file
 * adds a column without IF NOT EXISTS (makersOf).
 */
export function columnRecreations(model: Model): readonly ColumnRecreation[] {
  return memoModel(model, 'policy-already-exists:columns', (m) => {
    if (!makersOf(m).runs.some((r) => r.stmts.some((s) => s.kind === 'AlterTableStmt'))) return NO_RECREATIONS;
    const failing = failures(m).files;
    const look = lookupIn(m);
    const out: ColumnRecreation[] = [];
    // per table key, the columns made and where (a table absent: none known)
    const made = new Map<string, Map<string, { loc: Loc; def: Node }>>();
    for (const { stmt, file: pf } of m.statements) {
      const n = stmt.node;
      const k = stmt.kind;
      if (k !== 'CreateStmt' && k !== 'AlterTableStmt' && k !== 'RenameStmt' && k !== 'DropStmt' && k !== 'DoStmt' && k !== 'SelectStmt' && k !== 'CallStmt' && k !== 'DropOwnedStmt') continue;
      if (made.size === 0 && k !== 'CreateStmt' && k !== 'AlterTableStmt') continue;
      const loc = { file: pf.file, start: stmt.start, end: stmt.end };
      if (orderOf(m, loc) < 0) continue;
      if (k === 'DoStmt' && stmt.body?.dynamicExecutes.length) {
        made.clear();
        continue;
      }
      if (mayDropUnseen(stmt, pf.file, look, 'table')) {
        made.clear();
        continue;
      }
      const key = n?.relation ? m.key([n.relation.schemaname, n.relation.relname]) : undefined;
      const own = stmt.origin === 'file' && !failing.has(pf.file);
      if (k === 'CreateStmt') {
        if (key === undefined) continue;
        made.delete(key);
        if (stmt.origin !== 'file' || n.if_not_exists) continue;
        const cols = new Map<string, { loc: Loc; def: Node }>();
        for (const e of (n.tableElts ?? []) as Node[]) {
          const def = e?.ColumnDef;
          if (own && typeof def?.colname === 'string') cols.set(def.colname, { loc, def });
        }
        if (own) made.set(key, cols);
      } else if (k === 'AlterTableStmt') {
        if (key === undefined || n.objtype !== 'OBJECT_TABLE') continue;
        if (stmt.origin !== 'file') {
          made.delete(key);
          continue;
        }
        let cols = made.get(key);
        for (const c of (n.cmds ?? []) as Node[]) {
          const cmd = c?.AlterTableCmd;
          const def = cmd?.def?.ColumnDef;
          if (cmd?.subtype === 'AT_AddColumn' && typeof def?.colname === 'string') {
            const before = cols?.get(def.colname);
            if (before !== undefined) {
              if (!cmd.missing_ok && folderOf(before.loc.file) === folderOf(pf.file)) {
                const at = typeof def.location === 'number' && def.location >= stmt.start ? def.location : stmt.start;
                out.push({ loc, stmt, table: key, column: def.colname, nameLoc: { file: pf.file, start: at, end: at + quoteIdent(def.colname).length }, def, madeAt: before.loc, madeDef: before.def });
              }
            } else if (own) {
              if (cols === undefined) made.set(key, (cols = new Map()));
              cols.set(def.colname, { loc, def });
            }
          } else if (cmd?.subtype === 'AT_DropColumn' && typeof cmd.name === 'string') cols?.delete(cmd.name);
        }
      } else if (k === 'RenameStmt') {
        if (n?.renameType === 'OBJECT_SCHEMA') made.clear();
        else if (key !== undefined) {
          made.delete(key);
          if (n.renameType === 'OBJECT_TABLE' && typeof n.newname === 'string') made.delete(m.key([n.relation.schemaname, n.newname]));
        }
      } else if (k === 'DropStmt') {
        if (n?.removeType !== 'OBJECT_TABLE') {
          if (n?.behavior === 'DROP_CASCADE') made.clear();
          continue;
        }
        for (const o of (n.objects ?? []) as Node[]) {
          const parts = o?.List ? nameParts(o.List.items) : [];
          if (parts.length === 0) made.clear();
          else made.delete(m.key(parts));
        }
      }
    }
    return out;
  });
}

/**
 * Where a migration tool applying a file in order stops, for a statement at `at` PostgreSQL
 * rejects: "stops here", or, where a statement before it in its file already fails (earlierFailure),
 * "stops before it, at <file:line> (<what>), and here too once it gets this far" — not "would stop
 * here once that is fixed": another failure between the two may stop it first (local-marketplace's
 * 20260722101910_security_boundaries.sql: line 6 fails, line 9 too). Said so by table-already-exists,
 * policy-already-exists, policy-unknown-column, type-already-exists and function-replace-rejected.
 */
export function stopsAt(model: Model, at: Loc): string {
  const stops = earlierFailure(model, at);
  return stops ? `stops before it, at ${where(model, stops.loc)} (${stops.what}), and here too once it gets this far` : 'stops here';
}

/**
 * What a statement PostgreSQL rejects at `loc` costs beyond itself, after stopsAt's "stops here"
 * (`first`: the file of the statement it collides with, `firstFile` how the message names it): with the Supabase CLI, which runs each
 * file in one transaction, none of the file's statements, and no later migration; otherwise the
 * statements after it in its file. The RLS statements among them are named (ENABLE/FORCE ROW
 * LEVEL SECURITY, CREATE POLICY, GRANT/REVOKE): the table is left without them. Ends with ". ".
 * Said so by type-already-exists and column-already-exists.
 */
export function whatIsLost(model: Model, loc: Loc, first: string, firstFile: string): string {
  const f = fileOf(model, loc.file);
  const after = f ? f.statements.filter((s) => s.origin === 'file' && s.start > loc.start) : [];
  const n = after.length;
  const rls = rlsStatements(model, after);
  const supabase = supabaseMigration(loc.file);
  if (supabase?.applied && supabaseMigration(first)?.applied !== false)
    return `: the Supabase CLI runs each file in one transaction, so none of this file's statements is applied${n ? ` (the ${n} after this one included${rls})` : ''}, and no later migration runs. `;
  return `${supabase ? ` (a new database, CI; the Supabase CLI skips ${skipped(supabase.applied, supabaseMigration(first)?.applied, firstFile)}: supabase-migration-skipped)` : ''}${n ? `, before the ${n} statement${n > 1 ? 's' : ''} after it in this file${rls}` : ''}. `;
}

/** `, among them …` naming the first RLS statements of `list` (up to three), or ''. */
function rlsStatements(model: Model, list: readonly Statement[]): string {
  const names: string[] = [];
  let more = 0;
  for (const s of list) {
    const n = s.node;
    let said: string | undefined;
    if (s.kind === 'CreatePolicyStmt') said = `CREATE POLICY "${n?.policy_name}"`;
    else if (s.kind === 'AlterTableStmt') {
      const sub = ((n?.cmds ?? []) as Node[]).map((c) => c?.AlterTableCmd?.subtype).find((x) => typeof x === 'string' && /^AT_(?:Enable|Force)RowSecurity$/.test(x));
      if (sub) said = `${sub === 'AT_EnableRowSecurity' ? 'ENABLE' : 'FORCE'} ROW LEVEL SECURITY on ${model.key([n.relation?.schemaname, n.relation?.relname]).replace(/^public\./, '')}`;
    } else if (s.kind === 'GrantStmt') said = n?.is_grant ? 'a GRANT' : 'a REVOKE';
    if (said === undefined) continue;
    if (names.length < 3) names.push(said);
    else more++;
  }
  if (names.length === 0) return '';
  return names.length === list.length ? `: ${names.join(', ')}` : `, among them ${names.join(', ')}${more ? ` and ${more} more such` : ''}`;
}

/** Which of the two files the Supabase CLI skips, for the message (one of them does, or it would not be said). */
function skipped(thisApplied: boolean, firstApplied: boolean | undefined, firstFile: string): string {
  if (!thisApplied && firstApplied === false) return 'both files';
  if (!thisApplied) return 'this file';
  return firstFile;
}

/** `name ON table` as the new CREATE POLICY writes them. */
function target(model: Model, p: Policy): string {
  const text = fileOf(model, p.created.file)?.text ?? '';
  const rel = p.stmt.node?.table;
  const written = /^\s*ON\s+((?:"(?:[^"]|"")*"|[^\s(]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s(]+))?)/i.exec(text.slice(p.nameLoc.end, p.created.end));
  const table = written ? written[1]! : rel?.schemaname ? `${quoteIdent(rel.schemaname)}.${quoteIdent(rel.relname)}` : quoteIdent(rel?.relname ?? p.table);
  return `${quoteIdent(p.name)} ON ${table}`;
}

export const policyAlreadyExists = defineRule({
  meta: {
    id: 'policy-already-exists',
    description: 'A CREATE POLICY of a name its table already has a policy of, with no DROP POLICY before it: PostgreSQL rejects it (42710) and the migration stops.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'CREATE POLICY fails with 42710 (policy "…" for table "…" already exists) when the table has a policy of that name: the migration stops there, and the table keeps the old policy. There is no CREATE OR REPLACE POLICY: drop the old one first, or use ALTER POLICY.',
    shownBy: { statement: ['42710'] },
  },
  check({ model, report }) {
    for (const { first: old, by } of failingCreates(model)) {
      const same = old.created.file === by.created.file;
            const fixes: Fix[] = [
        {
          title: `Drop the earlier policy "${by.name}" first (DROP POLICY IF EXISTS), so that this one replaces it`,
          kind: 'unsafe',
          edits: [{ file: by.created.file, start: by.created.start, end: by.created.start, newText: `DROP POLICY IF EXISTS ${target(model, by)};\n${indentBefore(model, by)}` }],
        },
        { title: `Remove this CREATE POLICY (the earlier "${by.name}" stays)`, kind: 'unsafe', edits: [removeStatement(model, by.created)] },
      ];
      report({
        file: by.nameLoc.file,
        start: by.nameLoc.start,
        end: by.nameLoc.end,
        message:
          (tableNeverMade(model, by)
            ? `The policy "${by.name}" is created on ${old.table.replace(/^public\./, '')} a second time: the first is at ${where(model, old.created)}${same ? '' : ' (an earlier migration)'}, and nothing drops it before this statement. ` +
              `No migration makes ${old.table}: on a database these migrations make, both CREATE POLICY statements fail with 42P01 (relation does not exist); where the table was made elsewhere (the dashboard, a migration no longer here), this one fails with 42710 (policy "${by.name}" for table "${old.table.split('.').pop()}" already exists), and the table keeps the earlier policy. ` +
              `Make the table in the migrations before its policies, and put DROP POLICY IF EXISTS … before this one to replace the policy, change it with ALTER POLICY, give it another name, or remove it.`
            : `The policy "${by.name}" already exists on ${old.table.replace(/^public\./, '')}: it is created at ${where(model, old.created)}${same ? '' : ' (an earlier migration)'} and nothing drops it before this statement. ` +
          `PostgreSQL rejects this CREATE POLICY with 42710 (policy "${by.name}" for table "${old.table.split('.').pop()}" already exists), so a migration tool applying them in order (a new database, ${supabaseMigration(by.created.file)?.applied === true && supabaseMigration(old.created.file)?.applied === true ? 'supabase db reset, ' : ''}CI) ${stopsAt(model, by.created)}${earlierFailure(model, by.created) ? '; either way' : ', and'} the table keeps the earlier policy. ` +
          `There is no CREATE OR REPLACE POLICY: put DROP POLICY IF EXISTS … before it to replace the policy (the other rules read this one as the table's), change it with ALTER POLICY, give it another name, or remove it.`),
        related: [{ ...old.created, message: `the policy "${old.name}" is created here` }],
        fixes,
      });
    }
  },
});

/** The blanks before the statement on its line, for a statement inserted before it on a line of its own. */
function indentBefore(model: Model, p: Policy): string {
  const text = fileOf(model, p.created.file)?.text ?? '';
  let i = p.created.start;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return i === 0 || text[i - 1] === '\n' ? text.slice(i, p.created.start) : '';
}
