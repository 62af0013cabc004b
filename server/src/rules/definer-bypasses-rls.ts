import { columnDataType, createdTypeName, TRIGGER_TRUNCATE, type Func, type Model, type Policy, type Table } from '../analysis/model.js';
import type { FunctionBody, Loc, Node, Statement } from '../analysis/types.js';
import { callSpan, callsIn, census, conjuncts, dmlTargetsIn, hasSubLink, relationsIn, returningOf, type RelationRef, roleText, shapeOf } from '../analysis/ast.js';
import { nameParts, sval, walk } from '../analysis/parse.js';
import { informationSchemaType } from '../analysis/catalog-loops.js';
import { appliesToRole } from '../analysis/policies.js';
import { activePoliciesWithKey, constBool, fileByName, functionsToken, idLikeColumn, memoModel, policyExprs, textOfFile, visitTyped } from '../analysis/policy-exprs.js';
import { platformMayGrant, platformPrivileges, privilegesOf, SUPABASE_PLATFORM_GRANTEES, SUPABASE_SERVICE_ROLES } from '../analysis/privileges.js';
import { defineRule, type Fix, type Report } from './types.js';
import { constantPolicies, readsAll, selectsAdmitted } from './lib/admitted.js';
import { authCallOf, policySubjects, bareValue, bodyText, codeOnly, calledByPolicy, passwordCheckHash, columnRef, dataDefiners, DF_DYNAMIC, DF_PLPGSQL_BODY, DF_TRIGGER, executeRevokedFrom, funcLooksAtCaller, functionLists, inputParams, insertAfter, looksAtCaller, namesCallerRole, onSupabasePlatform, ownerRoleNote, sessionUserIsCaller, quoteIdent, returnsRowData, SECRET_LOOKUP_HINT, settingOf, ownerBypassesRls, tableList, usesSchema, where, platformFunction } from './lib/util.js';
import { readsAsOwner } from './definer-helper-under-force-rls.js';
import { failsAsWritten } from './plpgsql-ambiguous-column.js';
import { lastGrant, signatureSql } from './definer-execute-granted-to-public.js';
import { referencingTables, truncation } from './grant-truncate-bypasses-rls.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { privilegeWrite } from './definer-grants-caller-role.js';
import { functionsFacts, keeper, modelFacts } from './lib/kept.js';
import { listOr } from '../analysis/words.js';


export interface Callers {
  /** `public` (every role), or the roles */
  roles: string[];
  /** PUBLIC, or the roles, as written in the message */
  text: string;
  /** what a REVOKE names so that none of them can call it */
  revoke: string[];
}

/**
 * Who can call `f` whose reads the policies of `tables` would limit: PUBLIC, anon and
 * authenticated, or a role a policy of these tables names; with EXECUTE (granted, by the
 * workspace's default privileges, PUBLIC's, or Supabase's default privileges on functions in public) and USAGE on the function's schema,
 * and not known to bypass row-level security. With `anyGrantee` (a function that empties tables with
 * TRUNCATE, which no policy limits, so every role without TRUNCATE on them gains), every role
 * granted EXECUTE too.
 */
export function callersOf(model: Model, f: Func, tables: Table[], anyGrantee = false): Callers | undefined {
  const limited = new Set<string>(['anon', 'authenticated']);
  if (anyGrantee) for (const r of f.executeGrants) if (r !== 'public' && !tables.some((t) => t.owner?.role === r)) limited.add(r);
  for (const t of tables) for (const p of t.policies) for (const r of p.roles) if (r !== 'public') limited.add(r);
  // (roles granted the tables: subject to their row-level security too, where the policies are for PUBLIC: postgraphile-auth)
  for (const t of tables) for (const r of t.grants.keys()) if (r !== 'public') limited.add(r);
  // (and the roles the workspace's policies are written for, where the function reaches a table
  // that grants them nothing and names them in no policy: the request roles, whom the function
  // gives what no privilege of theirs does; postgraphile-auth's change_password, executable by the
  // anonymous role through default privileges, rewrites every account's hash in
  // postgraphile_auth.auth, a table with RLS and no policy that no role is granted)
  for (const r of policySubjects(model)) limited.add(r);
  const subject = (r: string) => limited.has(r) && model.roleBypassesRls(r) !== true && !SUPABASE_SERVICE_ROLES.has(r) && usesSchema(model, f.schema, r);
  const supabaseDefault = model.supabase && f.schema === 'public';
  if (f.publicExecute && usesSchema(model, f.schema, 'public')) {
    const extra = supabaseDefault ? SUPABASE_PLATFORM_GRANTEES.filter((r) => r !== 'service_role' && !executeRevokedFrom(model, f, r)) : [];
    return {
      roles: ['public'],
      text: model.supabase ? 'PUBLIC (every role, anon and authenticated included)' : 'PUBLIC (every role)',
      revoke: ['PUBLIC', ...extra, ...[...f.executeGrants].filter((r) => subject(r) && !extra.includes(r as never))],
    };
  }
  const roles: string[] = [];
  for (const r of f.executeGrants) if (subject(r)) roles.push(r);
  // PUBLIC's EXECUTE in a schema PUBLIC may not use: the roles that may
  if (f.publicExecute) for (const r of limited) if (!roles.includes(r) && subject(r)) roles.push(r);
  let byDefault = false;
  if (supabaseDefault) {
    for (const r of ['anon', 'authenticated']) {
      if (roles.includes(r) || executeRevokedFrom(model, f, r) || !subject(r)) continue;
      roles.push(r);
      byDefault = true;
    }
  }
  if (roles.length === 0) return undefined;
  const list = listOr(roles, 'and');
  return { roles, text: byDefault ? `${list} (by Supabase's default privileges on new functions in public, which these migrations do not take away)` : list, revoke: f.publicExecute ? ['PUBLIC', ...roles] : roles };
}

/**
 * Whether every read of `t` in the function's own body asks at least what a permissive SELECT
 * policy for `role` asks, when that policy compares columns with constants only (`USING
 * (is_active = true)`, which the function's `WHERE … AND is_active = true` asks too): the rows the
 * function reads are rows the caller may read itself (calculate_delivery_fee). Reads through other
 * functions, joins and anything less plain are not compared.
 */
function readsOnlyAdmitted(model: Model, f: Func, t: Table, role: string): boolean {
  if (!f.reads.has(t.key) || !f.body) return false;
  const policies = constantPolicies(model, t, role);
  if (policies.length === 0) return false;
  const seen = { reads: 0, admitted: true };
  for (const s of f.body.statements) {
    if (s.kind !== 'SelectStmt' && s.kind !== 'InsertStmt' && s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt' && census(s.node).rangeVars.some((rv) => model.funcRelKey(f, rv) === t.key)) seen.admitted = false;
    selectsAdmitted(model, s.kind === 'SelectStmt' ? { SelectStmt: s.node } : s.node, t, policies, seen, f);
  }
  return seen.admitted && seen.reads > 0;
}

/**
 * When the function looks at the caller only in the WHERE of UPDATE or DELETE statements (each
 * such condition limits its own statement) and in values it records, and nothing checks how many
 * rows those statements found (FOUND, GET DIAGNOSTICS … ROW_COUNT): those statements (`guarded`,
 * as `UPDATE public.companies`), and the tables the function writes in statements that do not
 * look at the caller (`unguarded`). Undefined otherwise (a check in an IF, a RETURN, a SELECT …
 * INTO that later code may test).
 */
function checksOnlyOwnStatements(model: Model, f: Func): { guarded: string[]; unguarded: Set<string> } | undefined {
  const body = f.body;
  if (!body || body.errors.length || body.dynamicExecutes.length || body.lexical || f.language !== 'plpgsql') return undefined;
  const text = bodyText(model, f);
  if (/\b(found|row_count|get\s+diagnostics)\b/i.test(text)) return undefined;
  const guarded: string[] = [];
  const unguarded = new Set<string>();
  for (const s of body.statements) {
    const rel = s.node?.relation;
    const key = rel?.relname ? model.funcRelKey(f, rel) : undefined;
    const part = choosingPart(s);
    if (!looksAtCaller(model, part, undefined, 'definer')) {
      if (key && (s.kind === 'InsertStmt' || s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt' || s.kind === 'MergeStmt')) unguarded.add(key);
      for (const k of truncatedBy(f, s)) unguarded.add(k);
      continue;
    }
    // (the caller only in the WHERE of an UPDATE or DELETE, not in a sub-select another statement reads)
    if ((s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt') || !key || s.assigns) return undefined;
    guarded.push(`${s.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE FROM'} ${key}`);
  }
  for (const g of guarded) unguarded.delete(g.slice(g.lastIndexOf(' ') + 1));
  return guarded.length && unguarded.size ? { guarded, unguarded } : undefined;
}

/**
 * Whether `role` may itself make every write of `cmds` the function makes on `t`, to any row:
 * it holds the privilege, a permissive policy's conditions are always true, and no restrictive
 * one narrows them (debt-manager's register_user only INSERTs, which app_auth's own INSERT
 * grant and WITH CHECK (true) already allow). All three commands when the function's are not known.
 */
function writesAll(model: Model, t: Table, role: string, cmds: ReadonlySet<string> = ALL_WRITES): boolean {
  const applies = (p: Policy, cmd: string) => (p.command === cmd || p.command === 'all') && appliesToRole(model, p, role);
  // (WITH CHECK defaults to USING: T14c)
  const checks = (p: Policy) => constBool(p.withCheck ?? p.using) === true;
  const ok = (p: Policy, cmd: string) => (cmd === 'insert' ? checks(p) : cmd === 'update' ? constBool(p.using) === true && checks(p) : constBool(p.using) === true);
  const privs = role === 'public' ? (t.grants.get('public') ?? new Set<string>()) : privilegesOf(model, t, role);
  // (and what Supabase's defaults may grant where the migrations may run on it: platformMayGrant)
  const platform = role === 'public' ? [] : platformPrivileges(model, t, role, true);
  for (const cmd of cmds) {
    // (TRUNCATE asks no policy: a role holding the privilege empties the table itself; Supabase's
    // API roles hold it by the platform's defaults but reach the database through PostgREST, which
    // never sends TRUNCATE: grant-truncate-bypasses-rls)
    if (cmd === 'truncate') {
      const api = (role === 'anon' || role === 'authenticated') && !model.roles.get(role)?.declared && (model.supabase || platformMayGrant(model, 'public', role));
      if (api || !privs.has('truncate')) return false;
      continue;
    }
    if (!privs.has(cmd) && !platform.includes(cmd)) return false;
    if (!t.policies.some((p) => p.permissive && applies(p, cmd) && ok(p, cmd))) return false;
    if (t.policies.some((p) => !p.permissive && applies(p, cmd) && !ok(p, cmd))) return false;
  }
  return true;
}
/** The types information_schema names that PostgreSQL has no `=` or `<>` for with uuid (no implicit cast either way). */
const NO_OPERATOR_WITH_UUID: ReadonlySet<string> = new Set(['integer', 'bigint', 'smallint', 'text', 'character varying']);

/**
 * A PL/pgSQL body's UPDATE or DELETE whose WHERE compares a column of its table with one of the
 * function's parameters, by `=` or `<>`, where PostgreSQL has no operator for the pair (a uuid with
 * an integer or a text): PL/pgSQL plans the statement when a call first reaches it and raises 42883
 * operator does not exist, so that statement never changes a row (synthwave-toolscape's
 * increment_views(uuid) on an integer id; PGlite: `integer = uuid`, `uuid = text`,
 * `smallint <> uuid`). The note the message then ends with; '' when there is none.
 */
function operatorFailure(model: Model, f: Func): string {
  if (f.language !== 'plpgsql' || !f.body || f.body.lexical) return '';
  const params = new Map<string, string>();
  for (const p of inputParams(f)) {
    const fp = p.FunctionParameter;
    const type = informationSchemaType(fp?.argType);
    if (fp?.name && type) params.set(fp.name, type);
  }
  if (params.size === 0) return '';
  for (const s of f.body.statements) {
    if (s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt') continue;
    const rel = s.node?.relation;
    const t = rel?.relname ? model.tables.get(model.funcRelKey(f, rel)) : undefined;
    if (!t || rel.alias) continue;
    for (const c of conjuncts(s.node.whereClause)) {
      const e = c?.A_Expr;
      const op = e?.kind === 'AEXPR_OP' && e.name?.length === 1 ? sval(e.name[0]) : undefined;
      if (op !== '=' && op !== '<>' && op !== '!=') continue;
      for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as Array<[Node, Node]>) {
        const colFields: Node[] | undefined = a?.ColumnRef?.fields;
        const parFields: Node[] | undefined = b?.ColumnRef?.fields;
        if (!colFields || parFields?.length !== 1) continue;
        const column = colFields.length <= 2 && (colFields.length === 1 || sval(colFields[0]) === t.name) ? sval(colFields[colFields.length - 1]) : undefined;
        const param = sval(parFields[0]);
        if (!column || !param || !t.columns.includes(column) || t.columns.includes(param)) continue;
        const columnType = columnDataType(t, column);
        const paramType = params.get(param);
        if (!columnType || !paramType) continue;
        const uuidPair = (columnType === 'uuid' && NO_OPERATOR_WITH_UUID.has(paramType)) || (paramType === 'uuid' && NO_OPERATOR_WITH_UUID.has(columnType));
        if (!uuidPair) continue;
        const shown = op === '!=' ? '<>' : op;
        const [l, r] = a === e.lexpr ? [columnType, paramType] : [paramType, columnType];
        const verb = s.kind === 'UpdateStmt' ? `UPDATE of ${t.key}` : `DELETE FROM ${t.key}`;
        return ` (Its ${verb} compares the column ${column}, of type ${columnType}, with the parameter ${param}, of type ${paramType}, for which PostgreSQL has no operator: it fails as written with 42883 operator does not exist: ${l} ${shown} ${r}, so a call that reaches it gets that error and changes no row through it; the above holds once that is fixed.)`;
      }
    }
  }
  return '';
}

const ALL_WRITES: ReadonlySet<string> = new Set(['insert', 'update', 'delete']);

/**
 * The commands the function's body runs on each table it writes (MERGE and ON CONFLICT DO UPDATE
 * count as the commands they may run), keyed as the model resolves the tables in the function
 * (model.funcRelKey: with its own SET search_path, as `f.writes`). Shared: do not mutate. Kept per
 * body while the keys answer the same (the default schema, and f.relKeys, which a prototype
 * computed again has anew): the answer reads the body's statement nodes and the keys of their
 * relations, nothing else (echo: 5.5 ms per re-lint asked again).
 */
function writeCommands(model: Model, f: Func): ReadonlyMap<string, ReadonlySet<string>> {
  const body = f.body;
  if (!body) return NO_WRITES;
  // (what model.key makes of an unqualified name: its default schema)
  const facts = schemaFacts(model);
  return (writesKept.get(model, body, facts, f.relKeys) ?? writesKept.set(body, facts, f.relKeys, writeCommandsOf(model, f, body))).value;
}
const writesKept = keeper<FunctionBody, ReadonlyMap<string, ReadonlySet<string>>>();
const schemaFacts = modelFacts('definer-bypasses-rls:schema', (m) => [m.key([undefined, '_'])]);
const NO_WRITES: ReadonlyMap<string, ReadonlySet<string>> = new Map();

function writeCommandsOf(model: Model, f: Func, body: FunctionBody): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (k: string, ...cmds: string[]) => {
    let set = out.get(k);
    if (!set) out.set(k, (set = new Set()));
    for (const c of cmds) set.add(c);
  };
  const look = (type: string, n: Node) => {
    const rel = n?.relation;
    if (!rel?.relname) return;
    const k = model.funcRelKey(f, rel);
    if (type === 'InsertStmt') add(k, 'insert', ...(n.onConflictClause?.action === 'ONCONFLICT_UPDATE' ? ['update'] : []));
    else if (type === 'UpdateStmt') add(k, 'update');
    else if (type === 'DeleteStmt') add(k, 'delete');
    else if (type === 'MergeStmt') add(k, 'insert', 'update', 'delete');
  };
  // (a body statement is its kind and its node; a write inside it, in a WITH, is a typed node)
  for (const s of body.statements) {
    look(s.kind, s.node as Node);
    visitTyped(s.node as Node, (type, n) => look(type, n));
  }
  return out;
}

/**
 * The UPDATE and DELETE statements of the body (top-level ones, not those inside a WITH) that
 * have no WHERE, no FROM or USING and are not a cursor's (WHERE CURRENT OF): each changes every row
 * of its table, whatever the arguments (postgraphile-auth's change_password, `UPDATE
 * postgraphile_auth.auth SET hash = new_hash, …` without a WHERE). As `UPDATE of
 * postgraphile_auth.auth`, in body order, each table once.
 */
function unkeyedChanges(model: Model, f: Func): string[] {
  const out: string[] = [];
  for (const s of f.body?.statements ?? []) {
    if (s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt') continue;
    const n = s.node as Node;
    if (!n?.relation?.relname || n.whereClause || n.fromClause?.length || n.usingClause?.length || n.withClause) continue;
    const text = `${s.kind === 'UpdateStmt' ? 'UPDATE of' : 'DELETE from'} ${model.funcRelKey(f, n.relation)}`;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

/**
 * `empties public.a with TRUNCATE`, and for the tables a TRUNCATE … CASCADE empties with the one it
 * names: `empties public.b through TRUNCATE public.a CASCADE (which empties the tables whose foreign
 * keys reference it, in turn)`; '' for none.
 */
function emptiedText(tables: readonly Table[], via: (t: Table) => string | undefined): string {
  const direct = tables.filter((t) => via(t) === undefined);
  const cascaded = tables.filter((t) => via(t) !== undefined);
  const vias = [...new Set(cascaded.map((t) => via(t)!))];
  return [
    direct.length ? `empties ${direct.map((t) => t.key).join(', ')} with TRUNCATE` : '',
    cascaded.length
      ? `empties ${cascaded.map((t) => t.key).join(', ')} through TRUNCATE ${vias.join(', ')} CASCADE (which empties the tables whose foreign keys reference ${vias.length === 1 ? 'it' : 'them'}, in turn)`
      : '',
  ]
    .filter(Boolean)
    .join(', and ');
}

/** The tables a TRUNCATE statement of the body names, as the model resolves them in the function (Func.truncations); none for another statement. */
function truncatedBy(f: Func, s: Statement): readonly string[] {
  if (s.kind !== 'TruncateStmt') return NO_TABLES;
  for (const t of f.truncations) if (t.stmt === s) return t.keys;
  return NO_TABLES;
}
const NO_TABLES: readonly string[] = [];

const onlyInserts = (cmds: ReadonlySet<string> | undefined): boolean => !!cmds && cmds.size === 1 && cmds.has('insert');

/** The part of a body statement that chooses rows: an UPDATE without what it writes (SET, RETURNING), an INSERT without its values (VALUES, or a SELECT with no FROM) and RETURNING (returningClause in PostgreSQL 18's parser, returningList before). */
function choosingPart(s: { kind: string; node: Node }): Node {
  const n = s.node;
  if (s.kind === 'UpdateStmt') return { ...n, targetList: undefined, returningList: undefined, returningClause: undefined };
  if (s.kind === 'InsertStmt') {
    const sel = n.selectStmt?.SelectStmt;
    const values = !sel || sel.valuesLists || (!sel.fromClause && !sel.whereClause && !sel.withClause);
    return { ...n, selectStmt: values ? undefined : n.selectStmt, returningList: undefined, returningClause: undefined };
  }
  return n;
}

/** Whether a node names one of the variables (a ColumnRef whose first part is one). */
function namesVariable(node: Node, vars: ReadonlySet<string>): boolean {
  if (vars.size === 0) return false;
  let hit = false;
  visitTyped(node, (type, n) => {
    if (hit) return false;
    if (type !== 'ColumnRef') return;
    const first = n.fields?.[0]?.String?.sval;
    if (typeof first === 'string' && vars.has(first.toLowerCase())) hit = true;
  });
  return hit;
}

/** What recordsCallerOnly finds in a body that looks at its caller only to record it, or to test that someone is signed in. */
export interface RecordedCaller {
  /**
   * The tables the body writes only by INSERTs with the caller among their values, each with the
   * tables those values were read from (a variable a `SELECT … INTO` filled from them): a new row
   * whose other values are only arguments and constants is the caller's own (a create_org()).
   */
  own: Map<string, Set<string>>;
  /** Whether an IF that raises or returns tests only whether the caller is NULL (`IF auth.uid() IS NULL THEN RAISE …`): whether anyone is signed in. */
  signIn: boolean;
  /** Whether it records the caller somewhere (a value written, returned or raised as a notice); false where it only assigns it to variables nothing else uses (a call of a function that records it, affiliate's v_reliq_result := reliquidar_aposta_v6(…)). */
  records: boolean;
}

/**
 * Where a body looks at its caller only to record it, never to choose rows: in the values an
 * UPDATE writes (SET approved_by = auth.uid() WHERE id = p_id), in an INSERT's values (an audit
 * row), in the value a RETURN gives back or a RAISE below ERROR (with no sub-select reading rows),
 * or through a variable assigned the caller that only those use; or only to test that someone is
 * signed in, an IF that raises or returns when auth.uid() (or a variable assigned it) IS NULL: any
 * signed-in user passes it, whatever rows its arguments choose (stewardtrack's get_user_profiles
 * hands any signed-in user every account's email). Undefined when it looks at the caller anywhere
 * else (a WHERE, another IF, a sub-select…), or its body is not read statement by statement.
 */
export function recordsCallerOnly(model: Model, f: Func): Readonly<RecordedCaller> | undefined {
  const body = f.body;
  if (!body) return undefined;
  // (kept per body while calls resolve the same, functionsToken: the answer reads the body's
  // statements, the function's language, looksAtCaller of its nodes (itself kept under the token),
  // the functions its calls resolve to and their bodies, and model.key, whose default schema the
  // token holds too, and the tables its statements name as the model resolves them in the function
  // (f.truncations and f.relKeys, which the session's search_path may resolve anew: a prototype
  // computed again has its own); nodes made here, choosingPart's and mapNodes', were asked anew every lint)
  const facts = functionsFacts(model);
  const own = [f.language, f.truncations, f.relKeys, !sessionUserIsCaller(model)];
  return (recordedKept.get(model, body, facts, own) ?? recordedKept.set(body, facts, own, recordsCallerOnlyIn(model, f, body))).value;
}
const recordedKept = keeper<FunctionBody, Readonly<RecordedCaller> | undefined>();

function recordsCallerOnlyIn(model: Model, f: Func, body: FunctionBody): RecordedCaller | undefined {
  if (body.errors.length || body.dynamicExecutes.length || body.lexical) return undefined;
  if (f.language !== 'sql' && f.language !== 'plpgsql') return undefined;
  const caller = new Set<string>();
  // (the variables assigned auth.uid() itself, `v_uid := auth.uid()`: what a NULL test of them asks)
  const uids = new Set<string>();
  // (the variables a query fills from tables, `SELECT workspace_id INTO v_ws FROM bookmakers …`, and those tables)
  const readInto = new Map<string, Set<string>>();
  const assignsCaller = (s: (typeof body.statements)[number]) => {
    const n = s.node;
    return !!s.assigns && s.kind === 'SelectStmt' && !n.fromClause && !n.whereClause && !n.withClause && looksAtCaller(model, n, undefined, 'definer');
  };
  for (const s of body.statements) {
    if (assignsCaller(s) && !namesVariable(s.node, caller)) {
      for (const v of s.assigns!) caller.add(v);
      if (s.node.targetList?.length === 1 && authCallOf(s.node.targetList[0]?.ResTarget?.val) === 'uid') for (const v of s.assigns!) uids.add(v);
    }
    if (s.assigns && s.kind === 'SelectStmt' && s.node.fromClause) {
      const from = relationsIn(s.node).map((r) => model.funcRelKey(f, r));
      if (from.length) for (const v of s.assigns) readInto.set(v, new Set([...(readInto.get(v) ?? []), ...from]));
    }
  }
  // (`auth.uid() IS NULL`, `v_uid IS NOT NULL`: whether anyone is signed in, not who)
  const signInTest = (n: Node): boolean => {
    const x = bareValue(n);
    if (authCallOf(x) === 'uid') return true;
    const c = columnRef(x);
    return !!c && c.qual === undefined && uids.has(c.name);
  };
  const own = new Map<string, Set<string>>();
  // (the variables an INSERT that records the caller fills with RETURNING … INTO a key column of
  // its table — one row's alone, a primary key or unique column — each with the table and the column)
  const fresh = new Map<string, { table: string; column: string }>();
  const otherWrites = new Set<string>();
  let signIn = false;
  let records = false;
  const names = (n: Node) => looksAtCaller(model, n, undefined, 'definer') || namesVariable(n, caller);
  for (const s of body.statements) {
    // (a call of a helper that raises on a condition about the caller checks it: postgres.garden's
    // v_organization = organization_for_invitation(…), 'That invitation is not for you')
    if (callsCheckingHelper(model, s.node)) return undefined;
    if (assignsCaller(s)) continue;
    // (a value only reported back, RETURN json_build_object('approved_by', auth.uid()) or a
    // RAISE NOTICE, unless a sub-select of it reads rows: those it may choose; IF current_user <>
    // v_leader THEN RAISE NOTICE …: a condition nothing depends on checks nothing)
    if ((s.reported && census(s.node).rangeVars.length === 0) || s.inertIf) {
      records ||= names(s.node);
      continue;
    }
    // (IF auth.uid() IS NULL THEN RAISE EXCEPTION 'Authentication required': the caller is
    // only required to be signed in; any other part of the condition that looks at the caller checks it)
    if (s.raisesIf || s.returnsIf) {
      let tested = false;
      const rest = mapNodes(s.node, (k, v) => {
        if (k !== 'NullTest' || !signInTest(v.arg)) return undefined;
        tested = true;
        return { A_Const: { isnull: true } };
      });
      if (tested && !looksAtCaller(model, rest, undefined, 'definer') && !namesVariable(rest, caller)) {
        signIn = true;
        continue;
      }
    }
    const part = choosingPart(s);
    if (names(part)) return undefined;
    records ||= names(s.node);
    const rel = s.node?.relation;
    const key = rel?.relname ? model.funcRelKey(f, rel) : undefined;
    // (a variable the RETURNING … INTO of such an INSERT fills holds the caller's own new row:
    // easyword's suggest_jargon updates `WHERE id = v_comment_id` the comment it just inserted with
    // author_id = auth.uid(), and links the jargon it just created, v_jargon_id, to categories)
    const freshOf = (n: Node | undefined) => !!n && [...fresh.keys()].some((v) => namesVariable(n, new Set([v])));
    // (`id = v_comment_id`, either way round: the key column the variable holds, of the new row's table)
    const keyOfFresh = (c: Node) => {
      const e = c.A_Expr;
      if (e?.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') return false;
      for (const [col, val] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]]) {
        const ref = columnRef(col);
        const v = columnRef(val);
        const held = v && v.qual === undefined ? fresh.get(v.name) : undefined;
        if (ref && held && held.table === key && held.column === ref.name) return true;
      }
      return false;
    };
    const freshRow =
      !!key &&
      !names(s.node) &&
      ((s.kind === 'UpdateStmt' &&
        // (a conjunct of the WHERE: an OR could reach other rows)
        conjuncts(s.node.whereClause).some(keyOfFresh) &&
        census(s.node.whereClause).rangeVars.length === 0) ||
        (s.kind === 'InsertStmt' && freshOf(s.node.selectStmt) && census(s.node.selectStmt).rangeVars.length === 0));
    if (key && s.kind === 'InsertStmt' && part !== s.node && names(s.node)) {
      const from = own.get(key) ?? new Set<string>();
      for (const [v, tables] of readInto) if (namesVariable(s.node, new Set([v]))) for (const t of tables) from.add(t);
      own.set(key, from);
      const t = model.tables.get(key);
      const returned = returningOf(s.node);
      (s.assigns ?? []).forEach((v, i) => {
        const col = returned.length === (s.assigns ?? []).length ? columnRef(returned[i]?.ResTarget?.val) : undefined;
        if (col && t?.keys.some((k) => k.length === 1 && k[0] === col.name)) fresh.set(v, { table: key, column: col.name });
      });
    } else if (key && freshRow) {
      if (!own.has(key)) own.set(key, new Set<string>());
    } else if (key && (s.kind === 'InsertStmt' || s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt' || s.kind === 'MergeStmt')) otherWrites.add(key);
    for (const k of truncatedBy(f, s)) otherWrites.add(k);
  }
  for (const k of otherWrites) own.delete(k);
  return { own, signIn, records };
}

/**
 * A login check: a PL/pgSQL function that gives back what it reads only where the password it is
 * passed matches a stored hash — every RETURN of a value that is not a constant is in the THEN branch
 * of an IF whose condition compares a hash with pgcrypto's `crypt(<argument>, <that hash>)`
 * (vivekagr/txm's and PostGraphile's `authenticate(username, password)`: `IF _user.password_hash =
 * crypt(password, _user.password_hash) THEN RETURN (…)::jwt_token; ELSE RETURN NULL; END IF`), and
 * nothing else tells the caller anything: no RAISE at ERROR, no notice of a value, no OUT parameter,
 * no RETURN QUERY or NEXT, no FOUND or row count. The condition as written, or undefined.
 */
export function passwordGate(model: Model, f: Func): string | undefined {
  const body = f.body;
  if (f.language !== 'plpgsql' || !body || body.lexical || body.errors.length) return undefined;
  // (kept per body: the answer reads the body, its parameters and the condition's text, the same while the body object is)
  const kept = gatesKept.get(body);
  if (kept !== undefined && kept.f === f.stmt) return kept.cond;
  const cond = findPasswordGate(model, f, body);
  gatesKept.set(body, { f: f.stmt, cond });
  return cond;
}
const gatesKept = new WeakMap<FunctionBody, { f: Statement; cond: string | undefined }>();

function findPasswordGate(model: Model, f: Func, body: FunctionBody): string | undefined {
  if ((f.stmt.node?.parameters ?? []).some((x: Node) => x?.FunctionParameter?.mode && x.FunctionParameter.mode !== 'FUNC_PARAM_IN' && x.FunctionParameter.mode !== 'FUNC_PARAM_DEFAULT')) return undefined;
  const text = codeOnly(bodyText(model, f));
  if (/\b(?:RAISE(?!\s+(?:NOTICE|WARNING|INFO|LOG|DEBUG)\b)|ASSERT|FOUND|GET\s+DIAGNOSTICS|RETURN\s+(?:QUERY|NEXT))\b/i.test(text)) return undefined;
  const isCheck = (n: Node): boolean => {
    let hit = false;
    walk(n, (k, v) => {
      if (!hit && k === 'A_Expr' && passwordCheckHash(f, { A_Expr: v })) hit = true;
    });
    return hit;
  };
  // (a lookup that raises when no row comes back tells the caller which names have one)
  if (body.statements.some((s) => s.intoStrict)) return undefined;
  // the THEN branches of the IFs whose condition checks a password (`ifNumber,0`), with the
  // branches of those IFs (their `arms`, the ELSE's)
  const gates = new Set<string>();
  const elses = new Set<string>();
  let cond: string | undefined;
  for (const s of body.statements) {
    const arms = s.arms;
    if (!s.armCond || !arms || arms.length < 2 || arms[arms.length - 1] !== 0 || !isCheck(s.node)) continue;
    gates.add(`${arms[arms.length - 2]},0`);
    elses.add(`${arms.slice(0, -1).join(',')},1`);
    cond ??= textOfFile(model, f.nameLoc.file).slice(s.start, s.end).replace(/\s+/g, ' ').trim();
  }
  if (gates.size === 0) return undefined;
  const constant = (n: Node): boolean => {
    let plain = true;
    walk(n, (k) => {
      if (k === 'ColumnRef' || k === 'ParamRef' || k === 'FuncCall' || k === 'SubLink') plain = false;
    });
    return plain;
  };
  // without the password: every value it may give back is one constant (`RETURN NULL` in the
  // ELSE, or before and after the check), and one is given back whatever the path (a RETURN at the
  // top level, or in the check's ELSE): a name with an account and one without get the same
  // answer — not 'no such user' for one and NULL for the other, nor an error (2F005, control
  // reached end of function without RETURN) for one
  let answer: string | undefined;
  let always = false;
  for (const s of body.statements) {
    if (!s.reported) continue;
    const arms = s.arms ?? [];
    let gated = false;
    for (let i = 0; i + 1 < arms.length; i += 2) if (gates.has(`${arms[i]},${arms[i + 1]}`)) gated = true;
    if (gated) continue;
    if (!constant(s.node)) return undefined;
    const shape = shapeOf(s.node);
    if (answer !== undefined && answer !== shape) return undefined;
    answer = shape;
    // (a top-level RETURN may not run only after one that left: in a body with no loop or CASE statement, one the check or this constant's)
    if ((arms.length === 0 && (!s.mayNotRun || !/\b(?:LOOP|FOR|FOREACH|WHILE|CASE)\b/i.test(text))) || elses.has(arms.join(','))) always = true;
  }
  return always ? cond : undefined;
}

/** A lookup of a secret argument that stops the function when no row matches it (secretLookup). */
export interface SecretLookup {
  /** the parameters looked up: each one the lookup's WHERE requires a column equal to (`bolao_id = p_bolao_id AND celular_ultimos4 = p_senha`), in order */
  params: string[];
  /** the table it is looked up in, as the message names it */
  table: string;
  /** the helper the lookup goes through (`_resolve_portal_couple(p_token)`), when it is one */
  via?: string;
  /** what stops the function: `IF v_couple_id IS NULL THEN RAISE`, `IF NOT FOUND THEN RAISE`, `SELECT … INTO STRICT` */
  check: string;
  /** where that check is */
  at: Loc;
}

/**
 * The parameters a condition compares with a column (`portal_token = p_token`, or an OR of such
 * comparisons of one parameter: `portal_token = p_token OR secondary_portal_token = p_token`),
 * among its AND-ed parts, each once, in order: a row must match every one of them
 * (bolao-go's participant_login: `bolao_id = p_bolao_id AND … AND celular_ultimos4 = p_senha`, not
 * p_bolao_id alone); `param` says whether a node is one of the parameters, and which.
 */
function keyedBy(where: Node, param: (n: Node) => string | undefined, params: ReadonlySet<string>, columns: ReadonlySet<string> | undefined): string[] {
  const compared = (n: Node): string | undefined => {
    const e = n?.A_Expr;
    if (e?.kind !== 'AEXPR_OP' || nameParts(e.name).join('.') !== '=' || !e.lexpr || !e.rexpr) return undefined;
    for (const [col, val] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as const) {
      // (or qualified by its schema too, xcono/base's `tenancy.invitations.token = lookup_invitation_token`: columnRef reads three parts)
      const c = columnRef(col);
      const v = bareValue(val);
      // (a parameter's bare name that is also a column of the table read is that column in a
      // LANGUAGE sql body, `i.token = token` true for every row, and ambiguous (42702) in PL/pgSQL;
      // where the table's columns are unknown, only `$1` or the name qualified by the function's)
      const bare = columnRef(v);
      if (bare && bare.qual === undefined && (!columns || columns.has(bare.name))) continue;
      const p = param(v);
      // (a column, not another parameter: qualified, or a name no parameter has)
      if (p && c && (c.qual !== undefined || !params.has(c.name))) return p;
    }
    return undefined;
  };
  const keyed: string[] = [];
  for (const part of conjuncts(where)) {
    const arms: Node[] = part?.BoolExpr?.boolop === 'OR_EXPR' ? part.BoolExpr.args : [part];
    const by = arms.map(compared);
    if (by[0] && by.every((x) => x === by[0]) && !keyed.includes(by[0])) keyed.push(by[0]);
  }
  return keyed;
}

/** Parameters as a sentence names them: `p_token`, `p_bolao_id and p_senha`. */
const paramList = (ps: readonly string[]): string => listOr(ps, 'and');

/** The columns of the table `rel` names, as the model has them; undefined when it has no such table. */
function columnsOf(model: Model, rel: RelationRef | undefined): ReadonlySet<string> | undefined {
  const t = rel ? model.tables.get(model.relKey(rel)) : undefined;
  return t ? new Set(t.columns.map((c) => c.toLowerCase())) : undefined;
}

/**
 * After a secret's lookup, the first INSERT or UPDATE of a table with row-level security that sets
 * a column straight from another parameter (`INSERT INTO household_members (user_id, household_id)
 * VALUES (p_user_id, v_invite.household_id)`: koichirokudo/wakepon's use_invite_code(p_user_id,
 * p_invite_code)): the lookup does not stand behind that value, the caller picks it.
 */
function chosenApart(model: Model, f: Func, secret: SecretLookup): { verb: string; column: string; param: string } | undefined {
  const params = new Set(inputParams(f).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase()).filter((x) => x && !secret.params.includes(x)));
  if (params.size === 0 || !f.body) return undefined;
  const param = (v: Node): string | undefined => {
    const c = columnRef(v);
    return c && c.qual === undefined && params.has(c.name) ? c.name : undefined;
  };
  for (const st of f.body.statements) {
    if (st.start <= secret.at.start || st.guard) continue;
    const n = st.node;
    const rel = n?.relation;
    const t = rel?.relname ? model.tables.get(model.funcRelKey(f, rel)) : undefined;
    if (!t?.rlsEnabled) continue;
    // (a column that tells whose the row is: an id its policies name, `user_id = auth.uid()`;
    // not a name or a note the caller rightly picks)
    const decides = (col: string | undefined): col is string => {
      if (!col || !idLikeColumn(col)) return false;
      let named = false;
      for (const pol of t.policies) for (const e of policyExprs(pol)) walk(e.node, (k, v) => {
        if (k === 'ColumnRef' && sval(v.fields?.[v.fields.length - 1]) === col) named = true;
      });
      return named;
    };
    if (st.kind === 'InsertStmt') {
      const cols: string[] = (n.cols ?? []).map((c: Node) => String(c?.ResTarget?.name ?? ''));
      const rows: Node[] = n.selectStmt?.SelectStmt?.valuesLists ?? [];
      if (rows.length !== 1) continue;
      const vals: Node[] = rows[0]?.List?.items ?? [];
      for (let i = 0; i < vals.length && i < cols.length; i++) {
        const p = param(vals[i]!);
        if (p && decides(cols[i])) return { verb: `row it inserts into ${t.key}`, column: cols[i]!, param: p };
      }
    } else if (st.kind === 'UpdateStmt') {
      for (const r of (n.targetList ?? []) as Node[]) {
        const p = param(r?.ResTarget?.val);
        const col = r?.ResTarget?.name;
        if (p && decides(typeof col === 'string' ? col : undefined)) return { verb: `UPDATE of ${t.key}`, column: String(col), param: p };
      }
    }
  }
  return undefined;
}

/**
 * A lookup of what the caller passes, in the form a secret is checked (an invitation's or a portal's
 * token): a `SELECT … INTO v FROM t WHERE <column> = <parameter>` (or FROM a LANGUAGE sql helper,
 * passed the parameter, whose one SELECT compares it with a column: zebri-crm's
 * `_resolve_portal_couple(p_token)`), followed by `IF v IS NULL THEN RAISE …` (or `IF NOT FOUND`
 * right after it, or the SELECT … INTO STRICT itself), at the body's top level, outside any
 * EXCEPTION block: for a value no row has, the function raises (measured) before any other
 * statement reads or changes a row. Undefined otherwise. Whether the parameter is a secret, and
 * whether the rows the function goes on to choose are the ones that lookup leads to, is not known.
 */
export function secretLookup(model: Model, f: Func): SecretLookup | undefined {
  const body = f.body;
  if (!body || f.language !== 'plpgsql' || body.errors.length || body.dynamicExecutes.length || body.lexical) return undefined;
  const params = new Set(inputParams(f).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase()).filter(Boolean));
  if (params.size === 0) return undefined;
  const ownParam = (n: Node) => {
    const c = columnRef(n);
    return c && params.has(c.name) && (c.qual === undefined || c.qual === f.name.toLowerCase()) ? c.name : undefined;
  };
  const readsRows = (n: Node) =>
    relationsIn(n).length > 0 ||
    callsIn(n).some((c) => {
      const g = model.findFunction(c.name, c.args.length);
      return !!g && (g.reads.size > 0 || g.writes.size > 0);
    });
  const statements = body.statements;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    const n = s.node;
    const lookup = s.kind === 'SelectStmt' && !!s.assigns?.length && !s.arms?.length && !s.guard && !hasSubLink(n) && n?.fromClause?.length === 1;
    const gate = lookup ? undefined : gateOnHelper(model, s, ownParam);
    if (gate) {
      // (the branch that stops it reads or changes no row first)
      for (let k = i + 1; k < statements.length; k++) {
        const b = statements[k]!;
        if (!b.arms || b.arms.length < s.arms!.length || s.arms!.some((x, j) => b.arms![j] !== x)) break;
        if (readsRows(b.node)) return undefined;
      }
      const key = model.relKey(gate.table);
      const t = key ? model.tables.get(key) : undefined;
      const table = t ? t.key : [gate.table.schema, gate.table.name].filter(Boolean).join('.');
      return { params: gate.params, table, via: gate.via, check: gate.check, at: { file: f.created.file, start: s.start, end: s.end } };
    }
    if (!lookup) {
      // (nothing before the lookup reads or changes a row)
      if (readsRows(n)) return undefined;
      continue;
    }
    let found: { params: string[]; table?: RelationRef; via?: string } | undefined;
    const from: Node = n.fromClause[0];
    const fn: Node = from?.RangeFunction?.functions?.length === 1 ? from.RangeFunction.functions[0]?.List?.items?.[0]?.FuncCall : undefined;
    if (fn) {
      // (a LANGUAGE sql helper passed a parameter, whose one SELECT compares it with a column)
      const args: Node[] = fn.args ?? [];
      const g = model.findFunction(nameParts(fn.funcname), args.length);
      const q = g?.language === 'sql' && g.body?.statements.length === 1 && g.body.statements[0]!.kind === 'SelectStmt' ? g.body.statements[0]!.node : undefined;
      const gParams = g ? inputParams(g).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase()) : [];
      const inner = q?.fromClause?.length === 1 ? relationsIn(q.fromClause) : [];
      if (g && q?.whereClause && inner.length === 1 && !n.whereClause) {
        const gParam = (x: Node) => {
          const k = typeof x?.ParamRef?.number === 'number' ? x.ParamRef.number - 1 : gParams.indexOf(columnRef(x)?.qual === undefined ? (columnRef(x)?.name ?? '') : '');
          return k >= 0 && k < args.length ? ownParam(args[k]) : undefined;
        };
        const keyed = keyedBy(q.whereClause, gParam, new Set(gParams.filter(Boolean)), columnsOf(model, inner[0]));
        if (keyed.length) found = { params: keyed, table: inner[0], via: `${nameParts(fn.funcname).join('.')}(${args.map((a) => ownParam(a) ?? '…').join(', ')})` };
      }
    } else if (n.whereClause) {
      const rels = relationsIn(n);
      const keyed = rels.length === 1 ? keyedBy(n.whereClause, ownParam, params, columnsOf(model, rels[0])) : [];
      if (keyed.length) found = { params: keyed, table: rels[0] };
    }
    if (!found) return undefined;
    // (what stops the function for a value no row has: INTO STRICT, or the next IF raising on it)
    let check: string | undefined;
    let at: Statement | undefined;
    if (s.intoStrict && !s.caught?.length) [check, at] = ['SELECT … INTO STRICT', s];
    else {
      const vars = new Set(s.assigns);
      for (let j = i + 1; j < statements.length && !at; j++) {
        const t = statements[j]!;
        const cond: Node = t.kind === 'SelectStmt' && t.armCond ? t.node?.targetList?.[0]?.ResTarget?.val : undefined;
        // (an early RETURN stops it as a RAISE does: `IF NOT FOUND THEN RETURN json_build_object('error', …)`)
        if (cond && (t.raisesIf || t.returnsIf) && t.arms?.length === 2 && !t.caught?.length) {
          const arms: Node[] = cond.BoolExpr?.boolop === 'OR_EXPR' ? cond.BoolExpr.args : [cond];
          const then = t.raisesIf ? 'RAISE' : 'RETURN';
          for (const a of arms) {
            const v = a?.NullTest?.nulltesttype === 'IS_NULL' ? columnRef(a.NullTest.arg) : undefined;
            if (v && v.qual === undefined && vars.has(v.name)) [check, at] = [`IF ${v.name} IS NULL THEN ${then}`, t];
            // (FOUND: of the lookup only when no statement runs between them)
            else if (j === i + 1 && a?.BoolExpr?.boolop === 'NOT_EXPR' && columnRef(a.BoolExpr.args?.[0])?.name === 'found' && columnRef(a.BoolExpr.args[0])?.qual === undefined) [check, at] = [`IF NOT FOUND THEN ${then}`, t];
          }
          if (at) {
            // (the branch that stops it reads or changes no row first: bolao-go's participant_login
            // logs the failed attempt, PERFORM log_session_activity(…), an INSERT, before its RETURN)
            const arms = t.arms;
            for (let k = j + 1; k < statements.length; k++) {
              const b = statements[k]!;
              if (!b.arms || b.arms.length < arms.length || arms.some((x, i) => b.arms![i] !== x)) break;
              if (readsRows(b.node)) return undefined;
            }
            break;
          }
        }
        // (before the check: nothing reads or changes a row, nor assigns the variable again)
        if (readsRows(t.node) || t.assigns?.some((v) => vars.has(v))) return undefined;
      }
    }
    if (!check || !at) return undefined;
    const key = found.table ? model.relKey(found.table) : undefined;
    const t = key ? model.tables.get(key) : undefined;
    const table = t ? t.key : found.table ? [found.table.schema, found.table.name].filter(Boolean).join('.') : 'its table';
    return { params: found.params, table, ...(found.via ? { via: found.via } : {}), check, at: { file: f.created.file, start: at.start, end: at.end } };
  }
  return undefined;
}

/**
 * `IF NOT helper(p_token) THEN RAISE …` (or RETURN) at the body's top level, outside any EXCEPTION
 * block, where the helper is a function of the workspace whose one statement is `RETURN EXISTS
 * (SELECT … FROM t WHERE <column> = <its parameter> …)` (`SELECT EXISTS (…)` in SQL) and it is
 * passed the caller's parameter there: for a value no row of t has, EXISTS is false and the
 * function stops (marcosviniiciusfs-png/CRM---Definitivo's admin RPCs: `validate_admin_token(p_token)`, an
 * EXISTS over admin_sessions). The parameters the lookup is keyed by, the table, the call, the check.
 */
function gateOnHelper(model: Model, s: Statement, ownParam: (n: Node) => string | undefined): { params: string[]; table: RelationRef; via: string; check: string } | undefined {
  if (s.kind !== 'SelectStmt' || !s.armCond || !(s.raisesIf || s.returnsIf) || s.arms?.length !== 2 || s.caught?.length || s.guard) return undefined;
  const cond: Node = s.node?.targetList?.length === 1 ? s.node.targetList[0]?.ResTarget?.val : undefined;
  const fn: Node = cond?.BoolExpr?.boolop === 'NOT_EXPR' && cond.BoolExpr.args?.length === 1 ? cond.BoolExpr.args[0]?.FuncCall : undefined;
  if (!fn || fn.agg_star || fn.over) return undefined;
  const args: Node[] = fn.args ?? [];
  const g = model.findFunction(nameParts(fn.funcname), args.length);
  if (!g?.body || (g.language !== 'sql' && g.language !== 'plpgsql') || g.returnType !== 'boolean' || g.body.errors.length || g.body.lexical || g.body.statements.length !== 1) return undefined;
  const only = g.body.statements[0]!;
  if (only.kind !== 'SelectStmt' || only.assigns?.length || only.arms?.length || only.node?.targetList?.length !== 1 || only.node.fromClause?.length) return undefined;
  const sub: Node = only.node.targetList[0]?.ResTarget?.val?.SubLink;
  const q: Node = sub?.subLinkType === 'EXISTS_SUBLINK' ? sub.subselect?.SelectStmt : undefined;
  const inner = q?.fromClause?.length === 1 ? relationsIn(q.fromClause) : [];
  if (!q?.whereClause || inner.length !== 1) return undefined;
  const gParams = inputParams(g).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
  const gParam = (x: Node) => {
    const k = typeof x?.ParamRef?.number === 'number' ? x.ParamRef.number - 1 : gParams.indexOf(columnRef(x)?.qual === undefined ? (columnRef(x)?.name ?? '') : '');
    return k >= 0 && k < args.length ? ownParam(args[k]) : undefined;
  };
  const params = keyedBy(q.whereClause, gParam, new Set(gParams.filter(Boolean)), columnsOf(model, inner[0]));
  if (!params.length) return undefined;
  const via = `${nameParts(fn.funcname).join('.')}(${args.map((a) => ownParam(a) ?? '…').join(', ')})`;
  return { params, table: inner[0]!, via, check: `IF NOT ${via} THEN ${s.raisesIf ? 'RAISE' : 'RETURN'}` };
}

/**
 * A pure lookup by a parameter: every statement of the body that reads rows is a SELECT of one
 * table (no sub-select, no call of a workspace function, nothing changed) whose WHERE requires a
 * column equal to the same parameter (unison's `lookup_workspace_by_invite_token(lookup_token)`:
 * `SELECT w.id, w.slug FROM public.workspaces w WHERE w.invite_token = lookup_token`;
 * quick-paste-magic's `SELECT email INTO inv_email … WHERE token = p_token`), and nothing else
 * reads or changes a row: every row it reads is one that parameter matches. The tables it reads
 * so, in order (travelmatch's get_user_moderation_status reads two). Whether the parameter is a
 * secret is not known.
 */
function pureLookup(model: Model, f: Func): { params: string[]; tables: string[] } | undefined {
  const body = f.body;
  if (!body || (f.language !== 'plpgsql' && f.language !== 'sql') || body.errors.length || body.dynamicExecutes.length || body.lexical) return undefined;
  const names = inputParams(f).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
  const params = new Set(names.filter(Boolean));
  const ownParam = (n: Node) => {
    if (typeof n?.ParamRef?.number === 'number') return names[n.ParamRef.number - 1] || `$${n.ParamRef.number}`;
    const c = columnRef(n);
    return c && params.has(c.name) && (c.qual === undefined || c.qual === f.name.toLowerCase()) ? c.name : undefined;
  };
  // (each table read, in order: every one of them by the same parameter)
  let found: { params: string[]; tables: string[] } | undefined;
  for (const s of body.statements) {
    const n = s.node;
    // (a call of a workspace function that reads and writes no table, xcono/base's
    // `cutoff_time := tenancy.get_cutoff_time()`, `now() - interval '24 hours'`, reads no row)
    const workspaceCalls = callsIn(n).some((c) => {
      const g = model.findFunction(c.name, c.args.length);
      return !!g && !touchesNoTable(model, g);
    });
    // (a statement changing rows names its table: relationsIn has it; a SELECT's data-changing CTE: dmlTargetsIn)
    const rels = relationsIn(n);
    if (rels.length === 0 && !workspaceCalls) continue;
    if (s.kind !== 'SelectStmt' || workspaceCalls || dmlTargetsIn(n).length !== 0 || hasSubLink(n) || rels.length !== 1 || n?.fromClause?.length !== 1 || !n.whereClause) return undefined;
    // (the parameters every such statement requires a column equal to)
    const keyed = keyedBy(n.whereClause, ownParam, params, columnsOf(model, rels[0]));
    const common = found ? found.params.filter((p) => keyed.includes(p)) : keyed;
    if (!common.length) return undefined;
    const t = model.tables.get(model.relKey(rels[0]!));
    const table = t ? t.key : [rels[0]!.schema, rels[0]!.name].filter(Boolean).join('.');
    found = { params: common, tables: found?.tables ?? [] };
    if (!found.tables.includes(table)) found.tables.push(table);
  }
  return found;
}

/**
 * A change keyed by a parameter: every statement of the body that reads or changes rows is an
 * UPDATE or DELETE of one table (no FROM or USING list) whose WHERE requires, as one of its
 * conjuncts, a column equal to the same parameter or an EXISTS of a row of one table whose WHERE
 * does (graphile/starter's verify_email(user_email_id, token): `UPDATE app_public.user_emails …
 * WHERE id = user_email_id AND exists(SELECT 1 FROM app_private.user_email_secrets WHERE
 * user_email_secrets.user_email_id = user_emails.id AND verification_token = token)`). Every row it changes is then one that parameter leads to (a sub-select
 * of its SET only computes the new values of those rows). The parameters, the tables changed and
 * how each parameter is required. Only where one is required through an EXISTS. Whether a
 * parameter is a secret is not known.
 */
function keyedChange(model: Model, f: Func): { params: string[]; tables: string[]; how: Map<string, string> } | undefined {
  const body = f.body;
  if (!body || (f.language !== 'plpgsql' && f.language !== 'sql') || body.errors.length || body.dynamicExecutes.length || body.lexical) return undefined;
  const names = inputParams(f).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
  const params = new Set(names.filter(Boolean));
  if (params.size === 0) return undefined;
  const ownParam = (n: Node) => {
    if (typeof n?.ParamRef?.number === 'number') return names[n.ParamRef.number - 1] || `$${n.ParamRef.number}`;
    const c = columnRef(n);
    return c && params.has(c.name) && (c.qual === undefined || c.qual === f.name.toLowerCase()) ? c.name : undefined;
  };
  const tableName = (r: RelationRef) => {
    const t = model.tables.get(model.relKey(r));
    return t ? t.key : [r.schema, r.name].filter(Boolean).join('.');
  };
  let common: string[] | undefined;
  const tables: string[] = [];
  // (how each parameter is required, as the first statement keyed by it does: a column equal to it, or an EXISTS of a row of a table)
  const how = new Map<string, string>();
  for (const s of body.statements) {
    const n = s.node;
    const workspaceCalls = callsIn(n).some((c) => {
      const g = model.findFunction(c.name, c.args.length);
      return !!g && !touchesNoTable(model, g);
    });
    if (relationsIn(n).length === 0 && !workspaceCalls) continue;
    if (workspaceCalls || (s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt') || n?.fromClause?.length || n?.usingClause?.length || n?.withClause || !n?.relation || !n.whereClause) return undefined;
    const target = relationsIn({ RangeVar: n.relation })[0];
    if (!target) return undefined;
    const keyed = keyedBy(n.whereClause, ownParam, params, columnsOf(model, target));
    for (const p of keyed) if (!how.has(p)) how.set(p, 'a column equal to it');
    for (const part of conjuncts(n.whereClause)) {
      const sub = part?.SubLink;
      const q: Node = sub?.subLinkType === 'EXISTS_SUBLINK' ? sub.subselect?.SelectStmt : undefined;
      const inner = q?.fromClause?.length === 1 ? relationsIn(q.fromClause) : [];
      if (!q?.whereClause || inner.length !== 1) continue;
      const by = keyedBy(q.whereClause, ownParam, params, columnsOf(model, inner[0]));
      if (!by.length) continue;
      for (const p of by) {
        if (!keyed.includes(p)) keyed.push(p);
        if (!how.has(p)) how.set(p, `an EXISTS of a row of ${tableName(inner[0]!)} holding it`);
      }
    }
    common = common ? common.filter((p) => keyed.includes(p)) : keyed;
    if (!common.length) return undefined;
    const name = tableName(target);
    if (!tables.includes(name)) tables.push(name);
  }
  // (only where a parameter leads to the rows through another table's row holding it, a secrets
  // table's: a change keyed by the row's own id alone, which any caller may name, keeps the general advice)
  if (!common || !tables.length || !common.some((p) => how.get(p)!.startsWith('an EXISTS'))) return undefined;
  return { params: common, tables, how };
}

/**
 * Whether the function reads, writes and empties no table, runs no dynamic SQL, and calls only
 * functions that do the same (a body-less one, C or internal, is not known to).
 */
function touchesNoTable(model: Model, g: Func, seen = new Set<Func>()): boolean {
  if (seen.has(g)) return true;
  seen.add(g);
  const body = g.body;
  if (!body || body.errors.length || body.dynamicExecutes.length || g.reads.size || g.writes.size || g.truncates.size) return false;
  if (g.language !== 'sql' && g.language !== 'plpgsql') return false;
  // (RETURN QUERY EXECUTE, FOR … IN EXECUTE, OPEN … FOR EXECUTE: as definer-unneeded reads them)
  if (g.language === 'plpgsql' && /\bEXECUTE\b/i.test(bodyText(model, g))) return false;
  for (const k of g.calls) for (const h of model.functions.get(k) ?? []) if (!touchesNoTable(model, h, seen)) return false;
  return true;
}

/** A copy of a tree in which each node `fn` gives a replacement for (keyed by its type) is replaced. */
function mapNodes(n: unknown, fn: (type: string, node: Node) => Node | undefined): Node {
  if (Array.isArray(n)) return n.map((x) => mapNodes(x, fn));
  if (!n || typeof n !== 'object') return n as Node;
  const out: Node = {};
  for (const [k, v] of Object.entries(n)) {
    const r = v && typeof v === 'object' && !Array.isArray(v) ? fn(k, v as Node) : undefined;
    if (r) return r;
    out[k] = mapNodes(v, fn);
  }
  return out;
}

/** Whether the node calls a function of the workspace whose body raises on a condition about the caller (helperChecksCaller). */
function callsCheckingHelper(model: Model, node: Node): boolean {
  const calls = census(node).funcCalls;
  for (let i = 0; i < calls.length; i++) {
    const g = model.findFunction(nameParts(calls[i]!.funcname), (calls[i]!.args ?? []).length);
    if (g?.body && !g.body.lexical && helperChecksCaller(model, g.body)) return true;
  }
  return false;
}

const FOUND = new Set(['found']);

/**
 * Whether a body raises on a condition about its caller: an IF … THEN RAISE whose condition looks
 * at the caller, or tests a variable a `SELECT … INTO` filled with rows it chose by the caller
 * (FOUND right after it, too), or such a `SELECT … INTO STRICT`, no EXCEPTION clause catching the
 * error. basejump's current_user_account_role(account_id) fills `response` from account_user
 * `WHERE wu.user_id = auth.uid() AND wu.account_id = …` and raises 'Not found' when it is NULL:
 * a function calling it stops for whoever is no member of the account.
 */
function helperChecksCaller(model: Model, body: FunctionBody): boolean {
  const sts = body.statements;
  let byCaller: Set<string> | undefined;
  for (let i = 0; i < sts.length; i++) {
    const st = sts[i]!;
    if (st.raisesIf && looksAtCaller(model, st.node, undefined, 'definer')) return true;
    if (st.raisesIf && !st.caught?.length && byCaller && (namesVariable(st.node, byCaller) || (namesVariable(st.node, FOUND) && chosenByCaller(model, sts[i - 1])))) return true;
    if (chosenByCaller(model, st)) {
      if (st.intoStrict && !st.caught?.length) return true;
      for (const v of st.assigns!) (byCaller ??= new Set()).add(v);
    }
  }
  return false;
}

/** A `SELECT … INTO` whose rows are chosen by the caller (its FROM or WHERE looks at the caller; its select list is not asked). */
function chosenByCaller(model: Model, st: FunctionBody['statements'][number] | undefined): boolean {
  return !!st && st.kind === 'SelectStmt' && !!st.assigns?.length && !!st.node?.fromClause && looksAtCaller(model, { ...st.node, targetList: undefined, intoClause: undefined }, undefined, 'definer');
}

export function revokeFix(model: Model, f: Func, callers: Callers): Fix {
  const at = lastGrant(model, f, callers.revoke.map((r) => r.toLowerCase()));
  const roles = callers.revoke.map((r) => (r === 'PUBLIC' ? r : quoteIdent(r))).join(', ');
  return {
    title: `Revoke EXECUTE on ${f.name}() from ${roles}`,
    kind: 'unsafe',
    edits: [insertAfter(model, at, [`REVOKE EXECUTE ON ${f.isProcedure ? 'PROCEDURE' : 'FUNCTION'} ${signatureSql(f)} FROM ${roles};`])],
  };
}

/**
 * A table of the workspace's only by its row-level security: the migrations never create it (it
 * was made elsewhere, the dashboard or an older history) but their last word on its RLS is ENABLE.
 * A Table as the model would hold it, with what the migrations say of it: its policies (those
 * PostgreSQL applies), its RLS events; no column, key, index, grant, trigger or owner known.
 */
export function uncreatedRlsTable(model: Model, k: string): Table | undefined {
  return memoModel(model, 'rules:uncreatedRlsTables', (m) => {
    const out = new Map<string, Table>();
    for (const [key, events] of m.rlsEventsOfUncreatedTables) {
      if (m.tables.has(key) || m.views.has(key)) continue;
      const last = [...events].reverse().find((e) => e.kind === 'enable' || e.kind === 'disable');
      if (last?.kind !== 'enable') continue;
      const file = fileByName(m, last.loc.file);
      const stmt = file?.statements.find((x) => x.start <= last.loc.start && last.loc.start < Math.max(x.end, x.start + 1));
      if (!stmt) continue;
      const dot = key.indexOf('.');
      const forced = [...events].reverse().find((e) => e.kind === 'force' || e.kind === 'no-force');
      out.set(key, {
        key,
        schema: dot < 0 ? '' : key.slice(0, dot),
        name: dot < 0 ? key : key.slice(dot + 1),
        partitioned: false,
        temp: false,
        created: last.loc,
        nameLoc: last.loc,
        stmt,
        columns: [],
        keys: [],
        indexes: [],
        rlsEnabled: true,
        rlsForced: forced?.kind === 'force',
        rlsEvents: events,
        parents: [],
        policies: activePoliciesWithKey(m, key),
        triggers: [],
        grants: new Map(),
      });
    }
    return out;
  }).get(k);
}

/** Who the function runs as, for the message: its owner, and why the policies of its `count` tables do not restrict it. */
export function ownerText(model: Model, f: Func, count: number): string {
  const owner = f.owner?.role;
  if (ownerBypassesRls(model, f)) return owner ? `${roleText(owner)}, which bypasses row-level security` : 'a role assumed to bypass row-level security (setting definerOwnerBypassesRls; on Supabase, postgres)';
  return `${owner ? `${roleText(owner)}, ` : 'presumably '}${count === 1 ? "the table's owner" : "the tables' owner"}${owner ? '' : ' too (the same migrations create both)'}, whom ${count === 1 ? 'its' : 'their'} policies do not restrict without FORCE ROW LEVEL SECURITY`;
}

/**
 * The table of key `k` when it has row-level security that does not restrict what the function
 * does as its owner: FORCE'd tables restrict their owner too, and a table owned by another role
 * restricts the function's owner.
 */
export function unrestrictedFor(model: Model, f: Func, k: string): Table | undefined {
  const t = model.tables.get(k);
  if (!t || !t.rlsEnabled) return undefined;
  if (ownerBypassesRls(model, f)) return t;
  if (t.rlsForced) return undefined;
  const owner = f.owner?.role;
  return owner && t.owner?.role && t.owner.role !== owner ? undefined : t;
}

/** `format('UPDATE %I SET deleted_at = now() WHERE id = $1', _table_name)`: the command, the schema written, the argument naming the table. */
const DYNAMIC_TABLE = /^\s*format\s*\(\s*'\s*(UPDATE|DELETE\s+FROM|INSERT\s+INTO|SELECT\b(?:[^'])*?\bFROM)\s+(?:(?:"?([A-Za-z_][\w$]*)"?|%I)\s*\.\s*)?%I\b(?:[^']|'')*'\s*,\s*(?:[A-Za-z_][\w$]*\s*,\s*)?([A-Za-z_][\w$]*|\$\d+)\s*[,)]/i;

/**
 * SECURITY DEFINER functions whose dynamic SQL works on a table the caller names
 * (`EXECUTE format('UPDATE %I SET deleted_at = now() WHERE id = $1', _table_name)`: gasmask's
 * soft_delete) and that never look at who calls: any caller reaches every RLS table of the schema.
 */
function dynamicTableChoices(model: Model, report: (r: Report) => void): void {
  const { definers, definerFacts } = functionLists(model);
  for (let i = 0; i < definers.length; i++) {
    // (the bits first: the bench's 2,235 definers, none with dynamic SQL, were each read)
    if ((definerFacts[i]! & (DF_DYNAMIC | DF_PLPGSQL_BODY | DF_TRIGGER)) !== (DF_DYNAMIC | DF_PLPGSQL_BODY)) continue;
    const f = definers[i]!;
    if (platformFunction(model, f)) continue;
    const body = f.body;
    if (!body || body.dynamicExecutes.length === 0 || f.language !== 'plpgsql' || f.returnsTrigger || f.isProcedure || f.stmt.kind !== 'CreateFunctionStmt') continue;
    const params: string[] = (f.stmt.node?.parameters ?? []).map((x: Node) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
    let found: { command: string; schema: string; param: string; text: string } | undefined;
    for (const d of body.dynamicExecutes) {
      const m = DYNAMIC_TABLE.exec(d.text);
      if (!m) continue;
      const arg = m[3]!.toLowerCase();
      const index = arg.startsWith('$') ? Number(arg.slice(1)) - 1 : params.indexOf(arg);
      if (index < 0 || index >= f.argTypes.length) continue;
      const command = m[1]!.toUpperCase().startsWith('SELECT') ? 'SELECT' : m[1]!.toUpperCase().split(/\s+/)[0]!;
      found = { command, schema: (m[2] ?? settingOf(f, 'search_path')?.values.find((v) => v !== 'pg_temp' && v !== '$user' && v !== '') ?? 'public').toLowerCase(), param: params[index] || `$${index + 1}`, text: d.text };
      break;
    }
    // (a SELECT whose answer is a yes/no or a count: one fact per call, as for the static reads)
    if (!found || calledByPolicy(model, f) || (found.command === 'SELECT' && !returnsRowData(f))) continue;
    // (funcLooksAtCaller gives up on dynamic SQL: here its strings are read for a caller check too)
    if (body.errors.length || body.lexical || body.statements.some((st) => looksAtCaller(model, st.node, undefined, 'definer'))) continue;
    // (current_user and current_role are the owner here: only session_user may tell who calls, sessionUserIsCaller)
    if (body.dynamicExecutes.some((d) => /\b(auth\s*\.|current_setting|jwt)/i.test(d.text) || (sessionUserIsCaller(model) && /\bsession_user\b/i.test(d.text)))) continue;
    // (a list of names the argument is checked against, `IF status_table NOT IN ('a', 'b') THEN
    // RAISE …`: only those tables are reached; lumiso's get_status_lifecycle)
    const allowed = allowList(textOfFile(model, f.created.file).slice(body.start, body.end), found.param);
    const tables = tableList(model).filter((t) => t.schema === found!.schema && !t.temp && (!allowed || allowed.has(t.name.toLowerCase())) && unrestrictedFor(model, f, t.key));
    if (tables.length === 0) continue;
    const callers = callersOf(model, f, tables);
    if (!callers) continue;
    const names = tables.slice(0, 5).map((t) => t.key).join(', ') + (tables.length > 5 ? `, and ${tables.length - 5} more` : '');
    const verb = found.command === 'SELECT' ? 'read rows' : found.command === 'INSERT' ? 'insert rows' : found.command === 'DELETE' ? 'delete rows' : 'change rows';
    report({
      ...f.nameLoc,
      message:
        `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} can be called by ${callers.text} and runs ${found.command} on the table its argument ${found.param} names (EXECUTE ${found.text.trim().slice(0, 80)}${found.text.trim().length > 80 ? '…' : ''}), but never looks at who is calling: ` +
        (allowed
          ? `it checks the name against a list of tables, which limits which tables, not which rows. It runs as its owner, ${ownerText(model, f, tables.length)}, so any caller can ${verb} of ${tables.length === 1 ? 'the listed table' : 'the listed tables'} with row-level security (${names}) that ${tables.length === 1 ? 'its' : 'their'} policies would not let it reach. ` +
            `Check the caller's right to the row in the function, make it SECURITY INVOKER so that the policies apply, or revoke EXECUTE from these roles.`
          : `%I quotes the name, it does not limit which table. ` +
            `It runs as its owner, ${ownerText(model, f, tables.length)}, so any caller can ${verb} of any table of schema ${found.schema} with row-level security (${names}) that its policies would not let it reach. ` +
            `Check the table against a list of those it may touch and the caller's right to the row in the function, make it SECURITY INVOKER so that the policies apply, or revoke EXECUTE from these roles.`),
      related: tables.slice(0, 5).map((t) => ({ ...(t.rlsEvents.find((e) => e.kind === 'enable')?.loc ?? t.created), message: `row-level security of ${t.key}` })),
      fixes: [revokeFix(model, f, callers)],
    });
  }
}

/**
 * The names a parameter is checked against in a body (`p NOT IN ('a', 'b')`, `p IN (…)`, `p <> ALL
 * (ARRAY['a', …])`, `p = ANY (ARRAY[…])`), lower-case; undefined where there is no such list.
 */
function allowList(body: string, param: string): Set<string> | undefined {
  const name = param.replace(/[$]/g, '\\$');
  const re = new RegExp(`(?<![\\w$.])${name}\\s*(?:(?:not\\s+)?in\\s*\\(([^()]*)\\)|(?:<>|!=|=)\\s*(?:all|any)\\s*\\(\\s*array\\s*\\[([^\\]]*)\\])`, 'gi');
  let out: Set<string> | undefined;
  for (const m of body.matchAll(re)) {
    const list = (m[1] ?? m[2] ?? '').split(',').map((x) => x.trim());
    if (!list.length || !list.every((x) => /^'[^']*'(?:::\w+)?$/.test(x))) continue;
    out ??= new Set();
    for (const x of list) out.add(/^'([^']*)'/.exec(x)![1]!.replace(/^.*\./, '').toLowerCase());
  }
  return out;
}

/**
 * The first parameter whose DEFAULT looks at who is calling, with that default as written
 * (`assigned_by_admin DEFAULT auth.uid()`, workover's assign_moderator_role): the function looks at
 * the caller only when the caller leaves it out.
 */
/** The domains (last name, lower-case) whose CHECK looks at the caller (`CREATE DOMAIN whoami AS name CHECK (VALUE = current_user)`). */
function callerDomains(model: Model): ReadonlySet<string> {
  return memoModel(model, 'rules:callerDomains', (m) => {
    const out = new Set<string>();
    for (const { stmt } of m.statements) {
      if (stmt.kind !== 'CreateDomainStmt') continue;
      const checks = ((stmt.node?.constraints ?? []) as Node[]).map((c) => c?.Constraint).filter((c) => c?.contype === 'CONSTR_CHECK');
      const name = createdTypeName(stmt);
      if (name && checks.some((c) => looksAtCaller(m, c.raw_expr))) out.add(name.toLowerCase());
    }
    return out;
  });
}

/**
 * Hasura's session argument: a json or jsonb parameter whose `x-hasura-…` keys the body reads
 * (`hasura_session ->> 'x-hasura-user-id'`, aelmamclinic's nhost RPCs). Hasura fills it from the
 * request's verified JWT when it calls the function for a GraphQL query (a client cannot set it),
 * but a role calling the function in SQL passes any session it likes. The parameter and the key.
 */
function hasuraSession(model: Model, f: Func): { param: string; key: string } | undefined {
  const text = bodyText(model, f);
  if (!/x-hasura-/i.test(text)) return undefined;
  for (const x of f.stmt.node?.parameters ?? []) {
    const p = x?.FunctionParameter;
    const names: Node[] = p?.argType?.names ?? [];
    const type = String(sval(names[names.length - 1]) ?? '').toLowerCase();
    if (typeof p?.name !== 'string' || (type !== 'json' && type !== 'jsonb') || (p.mode && p.mode !== 'FUNC_PARAM_DEFAULT' && p.mode !== 'FUNC_PARAM_IN')) continue;
    const name = p.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = new RegExp(`(?<![\\w$])"?${name}"?\\s*(?:::\\s*jsonb?\\s*)?->>?\\s*'(x-hasura-[\\w-]+)'`, 'i').exec(text);
    if (m) return { param: p.name, key: m[1]!.toLowerCase() };
  }
  return undefined;
}

/**
 * Whether a parameter's type is such a domain (GamingPlatform's `fromUser whoami DEFAULT
 * current_user`): PostgreSQL checks the value a caller passes against who calls (23514 for any
 * other), so the parameter is the caller, checked, and the rows it chooses are theirs.
 */
function callerCheckedParameter(model: Model, f: Func): boolean {
  const domains = callerDomains(model);
  if (domains.size === 0) return false;
  for (const x of f.stmt.node?.parameters ?? []) {
    const names: Node[] = x?.FunctionParameter?.argType?.names ?? [];
    const last = names.length ? sval(names[names.length - 1]) : undefined;
    if (last && domains.has(last.toLowerCase())) return true;
  }
  return false;
}

function spoofable(model: Model, f: Func): string | undefined {
  for (const x of f.stmt.node?.parameters ?? []) {
    const p = x?.FunctionParameter;
    if (!p?.defexpr || typeof p.name !== 'string' || !looksAtCaller(model, p.defexpr)) continue;
    const text = textOfFile(model, f.created.file);
    const at: number = p.defexpr.FuncCall?.location ?? -1;
    const span = at >= 0 ? callSpan(text, at) : undefined;
    return span ? `${p.name} (${text.slice(span.start, span.end)})` : p.name;
  }
  return undefined;
}

/**
 * `coalesce(p_user_id, auth.uid())` as written, when the body looks at who is calling only as
 * such fallbacks after a parameter: the caller passes the parameter and chooses another user's
 * rows (a common RPC form, `WHERE user_id = COALESCE(p_user_id, auth.uid())`, with the same hole
 * as a parameter's DEFAULT auth.uid()). Undefined otherwise.
 */
function callerFallbackOnly(model: Model, f: Func): string | undefined {
  const body = f.body;
  if (!body || body.lexical || body.errors.length || body.dynamicExecutes.length) return undefined;
  const params: string[] = [];
  for (const x of f.stmt.node?.parameters ?? []) {
    const p = x?.FunctionParameter;
    const mode = p?.mode ?? 'FUNC_PARAM_DEFAULT';
    if (mode !== 'FUNC_PARAM_OUT' && mode !== 'FUNC_PARAM_TABLE') params.push(typeof p?.name === 'string' ? p.name.toLowerCase() : '');
  }
  const isParam = (n: Node): boolean => {
    const r = n?.ParamRef;
    if (r) return typeof r.number === 'number' && r.number >= 1 && r.number <= params.length;
    const c = columnRef(n);
    return !!c && params.includes(c.name) && (c.qual === undefined || c.qual === f.name.toLowerCase());
  };
  let example: string | undefined;
  for (const st of body.statements) {
    if (namesCallerRole(model, st.node, 'definer')) return undefined;
    const fallback = new Set<Node>();
    walk(st.node, (k, v) => {
      if (k !== 'CoalesceExpr' || !isParam(v.args?.[0])) return;
      let caller = false;
      for (const a of (v.args as Node[]).slice(1))
        for (const c of callsIn(a)) {
          fallback.add(c.node);
          caller ||= looksAtCaller(model, { FuncCall: c.node }, undefined, 'definer');
        }
      // (the example is a coalesce falling back to the caller, not coalesce(p_id, gen_random_uuid()))
      if (example === undefined && caller && typeof v.location === 'number') {
        const text = textOfFile(model, f.created.file);
        const span = callSpan(text, v.location);
        example = span ? text.slice(span.start, span.end) : 'coalesce(…)';
      }
    });
    for (const c of callsIn(st.node)) if (!fallback.has(c.node) && looksAtCaller(model, { FuncCall: c.node }, undefined, 'definer')) return undefined;
  }
  return example;
}

/** Statement kinds that change a table itself, not its rows, with what they are called in a message. */
const DDL_KINDS: Record<string, string> = {
  AlterTableStmt: 'ALTER TABLE',
  RenameStmt: 'ALTER TABLE … RENAME',
  DropStmt: 'DROP',
  CreatePolicyStmt: 'CREATE POLICY',
  AlterPolicyStmt: 'ALTER POLICY',
  GrantStmt: 'GRANT / REVOKE',
  IndexStmt: 'CREATE INDEX',
  CreateTrigStmt: 'CREATE TRIGGER',
};

/**
 * The tables the function's body names only in statements that change the table itself (ALTER
 * TABLE, DROP, TRUNCATE, …), never in a query, with those statements' names: it reads no row of
 * them (lumiso's cleanup_old_onboarding_columns, ALTER TABLE user_settings DROP COLUMN).
 */
function ddlOnly(model: Model, f: Func): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const queried = new Set<string>();
  for (const s of f.body?.statements ?? []) {
    const verb = DDL_KINDS[s.kind];
    for (const r of relationsIn(s.node)) {
      const k = model.funcRelKey(f, r);
      if (!verb) queried.add(k);
      else if (!out.get(k)?.includes(verb)) out.set(k, [...(out.get(k) ?? []), verb]);
    }
  }
  for (const k of queried) out.delete(k);
  return out;
}

export const definerBypassesRls = defineRule({
  meta: {
    id: 'definer-bypasses-rls',
    description:
      'A SECURITY DEFINER function that API roles can call returns rows of, or changes, a table with row-level security whose policies do not restrict its owner, and never looks at who is calling.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A SECURITY DEFINER function runs with its owner's rights, and a table's owner (without FORCE) or a BYPASSRLS role is not subject to its policies: what the function reads or changes is chosen by its arguments alone.",
    truths: ['T13', 'T22'],
    shownBy: { exposure: 'definer-call' },
    sources: ['splinter 0028 anon_security_definer_function_executable', 'splinter 0029 authenticated_security_definer_function_executable'],
  },
  check({ model, report }) {
    dynamicTableChoices(model, report);
    // (a procedure, run with CALL by any role with EXECUTE, as its owner too: GamingPlatform's AcceptTeamRequest)
    for (const f of [...dataDefiners(model), ...dataDefiners(model, true)]) {
      if (platformFunction(model, f)) continue; // (Supabase's own, from a dump: not the project's)
      const data = returnsRowData(f);
      // (a table the migrations never create but enable row-level security on, made in the
      // dashboard first: chat-frontier-family's chat_sessions, which set_session_name() renames
      // by any id; only where the function's owner bypasses RLS, the table's owner being unknown)
      const bypasses = ownerBypassesRls(model, f);
      const unrestricted = (k: string) => unrestrictedFor(model, f, k) ?? (bypasses ? uncreatedRlsTable(model, k) : undefined);
      // (TRUNCATE: every row of the tables it names, with CASCADE of those referencing them too)
      const trunc = truncation(model, f);
      const writes: Table[] = [];
      // (the rows it inserts, updates or deletes; then the tables it empties, not those named only
      // in a TRUNCATE PostgreSQL refuses: f.truncates has them too)
      for (const k of f.writes) {
        const t = unrestricted(k);
        if (t) writes.push(t);
      }
      if (trunc) {
        for (const k of trunc.emptied.keys()) {
          const t = unrestricted(k);
          if (t && !writes.includes(t)) writes.push(t);
        }
      }
      const reads: Table[] = [];
      // (tables it only alters, truncates or drops: no row of them is read, the table itself is changed)
      const ddl = f.body && f.body.statements.some((st) => st.kind in DDL_KINDS) ? ddlOnly(model, f) : undefined;
      const altered: Array<{ t: Table; verbs: string[] }> = [];
      if (data) {
        for (const k of readsAsOwner(model, f)) {
          const t = unrestricted(k);
          if (!t) continue;
          const verbs = ddl?.get(k);
          if (verbs) altered.push({ t, verbs });
          else reads.push(t);
        }
      }
      if (writes.length === 0 && reads.length === 0 && altered.length === 0) continue;
      const callers = callersOf(model, f, [...new Set([...writes, ...reads, ...altered.map((a) => a.t)])], writes.some((t) => trunc?.emptied.has(t.key)));
      if (!callers) continue;
      // a table every caller may read whole anyway (a permissive USING (true) for SELECT) leaks
      // nothing, nor one every caller may change whole (always-true policies for INSERT, UPDATE
      // and DELETE); PUBLIC's callers: on Supabase its API roles, elsewhere any role (a policy TO PUBLIC)
      const who = callers.roles[0] === 'public' && model.supabase ? ['anon', 'authenticated'] : callers.roles;
      // (a table dynamic SQL may put policies on, unseen: a helper's `EXECUTE format('CREATE POLICY
      // … FOR SELECT TO authenticated USING (true)', …)` for the table its caller names, as
      // statistics registries do for every table: whether its callers read it whole is not known)
      const readsWhole = (t: Table, r: string) => mayBeDynamic(model, 'policy', t) || readsAll(model, t, r) || readsOnlyAdmitted(model, f, t, r);
      for (let j = reads.length - 1; j >= 0; j--) if (who.every((r) => readsWhole(reads[j]!, r))) reads.splice(j, 1);
      let cmds = writes.length ? writeCommands(model, f) : undefined;
      if (cmds && trunc?.emptied.size) {
        const merged = new Map<string, ReadonlySet<string>>(cmds);
        for (const k of trunc.emptied.keys()) merged.set(k, new Set([...(cmds.get(k) ?? []), 'truncate']));
        cmds = merged;
      }
      for (let j = writes.length - 1; j >= 0; j--) if (who.every((r) => writesAll(model, writes[j]!, r, cmds?.get(writes[j]!.key)))) writes.splice(j, 1);
      if (writes.length === 0 && reads.length === 0 && altered.length === 0) continue;
      // (the callers that gain: those that may not read or write these tables whole themselves;
      // keen-auth-kit's get_user_role reads user_roles, which authenticated reads whole, anon not)
      const gainers = altered.length
        ? who
        : who.filter((r) => reads.some((t) => !readsWhole(t, r)) || writes.some((t) => !writesAll(model, t, r, cmds?.get(t.key))));
      // a policy's helper: its callers need EXECUTE (definer-execute-granted-to-public looks at who has it)
      if (calledByPolicy(model, f)) continue;
      if (callerCheckedParameter(model, f)) continue;
      // (the caller only recorded: SET approved_by = auth.uid() WHERE id = p_id, an audit row, a
      // RETURN or RAISE NOTICE of it, or only required to be signed in; a table only such INSERTs
      // write gets rows of the caller's own)
      // (the caller only as a fallback after a parameter, coalesce(p_user_id, auth.uid()): any caller passes another)
      const looks = funcLooksAtCaller(model, f);
      const fallback = looks ? callerFallbackOnly(model, f) : undefined;
      const records = looks && !fallback;
      // (the caller checked only in the WHERE of an UPDATE or DELETE: that guards the statement alone)
      let guardedOnly: { guarded: string[]; unguarded: Set<string> } | undefined;
      const recorded = records ? recordsCallerOnly(model, f) : undefined;
      if (records && !recorded) {
        guardedOnly = checksOnlyOwnStatements(model, f);
        if (!guardedOnly) continue;
        for (let j = writes.length - 1; j >= 0; j--) if (!guardedOnly.unguarded.has(writes[j]!.key)) writes.splice(j, 1);
        reads.length = 0;
        altered.length = 0;
        if (writes.length === 0) continue;
      }
      if (recorded) {
        // (a new row whose values carry what the function read from a table its callers may not
        // read is tied to that row, not the caller's own: affiliate's debit_multiple_bookmakers
        // stamps created_by = auth.uid() on a debit event for the workspace of any bookmaker it is
        // passed, and returns that bookmaker's name and balance)
        const hidden = (k: string) => {
          const t = unrestricted(k);
          return !!t && !who.every((r) => readsWhole(t, r));
        };
        const tied = (k: string) => [...(recorded.own.get(k) ?? [])].some(hidden);
        for (let j = writes.length - 1; j >= 0; j--) if (recorded.own.has(writes[j]!.key) && !tied(writes[j]!.key)) writes.splice(j, 1);
        // (new rows only, beside those: a job's first status row, an organisation whose owner row
        // records the caller: nothing said, when it returns no row it reads either)
        if (writes.every((t) => onlyInserts(cmds?.get(t.key)) && !tied(t.key)) && reads.length === 0 && altered.length === 0) continue;
      }
      // (a sign-in test: anon, whom auth.uid() IS NULL stops, gains nothing)
      if (recorded?.signIn) for (let j = gainers.length - 1; j >= 0; j--) if (gainers[j] === 'anon') gainers.splice(j, 1);
      if (recorded?.signIn && gainers.length === 0 && !who.some((r) => r !== 'anon')) continue;
      const signedIn = recorded?.signIn ? ' signed-in' : '';
      const anyCaller = gainers.length === who.length || gainers.length === 0 || (recorded?.signIn && gainers.length === who.filter((r) => r !== 'anon').length) ? `any${signedIn} caller` : listOr(gainers, 'and');
      const tables = [...new Set([...writes, ...reads, ...altered.map((a) => a.t)])];
      // (auth.uid() exists where Supabase's platform roles are known: elsewhere the message names what PostgreSQL has)
      const supabase = onSupabasePlatform(model);
      // (schema-qualified, as policies' tables are named (`on public.x`), whether or not the CREATE
      // TABLE wrote the schema: a list never mixes the two (zebri-crm's `portal_people, and …
      // public.couples`); and another schema's table of that name stays apart: artemis' public.devices
      // and toit_artemis.devices)
      const names = (ts: Table[]) => ts.map((t) => t.key).join(', ');
      // (a table it empties with TRUNCATE: every row goes, whatever else it writes there)
      const emptied = (t: Table) => !!cmds?.get(t.key)?.has('truncate');
      // (in source order: the order the TRUNCATEs empty them, not f.writes' first)
      const emptiedTables = trunc ? [...trunc.emptied.keys()].flatMap((k) => writes.filter((t) => t.key === k && emptied(t))) : [];
      const rowWrites = writes.filter((t) => !emptied(t));
      const both = rowWrites.filter((t) => reads.includes(t));
      const onlyWrites = rowWrites.filter((t) => !both.includes(t));
      const onlyReads = reads.filter((t) => !both.includes(t));
      // (a table the body only INSERTs into gets new rows, none of its rows is changed: sagefy's sign_up)
      const inserted = (t: Table) => onlyInserts(cmds?.get(t.key));
      const changed = onlyWrites.filter((t) => !inserted(t));
      const what = [
        both.some((t) => !inserted(t)) ? `reads and changes rows of ${names(both.filter((t) => !inserted(t)))}` : '',
        both.some(inserted) ? `reads rows of and inserts rows into ${names(both.filter(inserted))}` : '',
        changed.length ? `changes rows of ${names(changed)}` : '',
        changed.length < onlyWrites.length ? `inserts rows into ${names(onlyWrites.filter(inserted))}` : '',
        onlyReads.length ? `reads rows of ${names(onlyReads)}` : '',
        emptiedText(emptiedTables, (t) => trunc?.emptied.get(t.key)?.via),
        ...altered.map((a) => `runs ${a.verbs.join(' and ')} on ${names([a.t])} (it reads no row of it)`),
      ]
        .filter(Boolean)
        .join(', and ');
      // (it gives back what it reads only where the password it is passed is right: a login check)
      const gate = reads.length && writes.length === 0 && !guardedOnly ? passwordGate(model, f) : undefined;
      const gets = [
        rowWrites.length ? (rowWrites.every(inserted) ? 'insert rows it may not insert itself' : 'change rows it may not change itself') : '',
        emptiedTables.length
          ? `empty ${names(emptiedTables)}, every row, whatever the policies let it see or delete (TRUNCATE is not subject to row-level security, and it runs as the owner, so the caller needs no TRUNCATE privilege of its own)`
          : '',
        reads.length ? (gate ? "learn what it returns of any account whose password it knows or guesses (password guessing, with no limit on attempts but the API's)" : 'learn about rows it may not read itself (through what the function returns, raises or does)') : '',
        altered.length ? `run that ${[...new Set(altered.flatMap((a) => a.verbs))].join(' and ')} with the owner's rights, which no policy limits` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      // (with no argument, nothing the caller passes chooses the rows: the same for every caller)
      // (or one it only empties: TRUNCATE takes no rows of its choosing either)
      const onlyAltered = writes.every(emptied) && reads.length === 0;
      // (an UPDATE or DELETE with no WHERE: no argument chooses its rows, it changes them all)
      const unkeyed = rowWrites.length ? unkeyedChanges(model, f).filter((u) => rowWrites.some((t) => u.endsWith(` ${t.key}`))) : [];
      const everyRow = `each call changes every row of ${unkeyed.length > 1 ? 'these tables' : 'the table'}`;
      const unkeyedText = unkeyed.length ? `its ${listOr(unkeyed, 'and')} ${unkeyed.length > 1 ? 'have' : 'has'} no WHERE: ${everyRow}` : '';
      // (every row it changes is changed by such a statement, and it reads none: nothing the caller passes matters)
      const allUnkeyed = unkeyed.length > 0 && reads.length === 0 && altered.length === 0 && rowWrites.every((t) => unkeyed.some((u) => u.endsWith(` ${t.key}`)));
      const choose = onlyAltered
        ? 'it runs the same for every caller'
        : allUnkeyed
          ? `nothing limits its ${listOr(unkeyed, 'and')}, which ${unkeyed.length > 1 ? 'have' : 'has'} no WHERE: ${everyRow}${f.argTypes.length ? ', whatever its arguments' : ''}`
          : `${f.argTypes.length ? 'its arguments alone choose the rows' : 'the rows it reaches are the same whoever calls it (it takes no argument)'}${unkeyedText ? `, and ${unkeyedText}` : ''}`;
      // (a parameter that looks at the caller only as its DEFAULT: the caller chooses it too)
      const spoof = guardedOnly ? undefined : fallback ? `${fallback}` : spoofable(model, f);
      // (Hasura's session argument, which a SQL caller sets: the message says how Hasura fills it)
      const session = guardedOnly || spoof ? undefined : hasuraSession(model, f);
      // (a lookup of what the caller passes that raises when no row matches it: a secret's check, if
      // the argument is one; zebri-crm's portal functions, `IF v_couple_id IS NULL THEN RAISE`)
      const secret = guardedOnly || onlyAltered ? undefined : secretLookup(model, f);
      const lookup = guardedOnly || onlyAltered || secret ? undefined : pureLookup(model, f);
      const change = guardedOnly || onlyAltered || secret || lookup ? undefined : keyedChange(model, f);
      // (a value a write takes from another argument than the secret: the caller's pick, not the lookup's)
      const apart = secret ? chosenApart(model, f, secret) : undefined;
      // (`current_user` in its body: the owner, which every caller's call compares with)
      const ownerNote = ownerRoleNote(model, f);
      // (a row the policies read as a privilege, for the user its arguments choose: a caller naming
      // their own account gains it; justicebot's make_user_admin(_email). Not where a lookup of an
      // argument that may be a secret leads to the row: an invitation's user, not one the caller names)
      const priv = guardedOnly || records || secret ? undefined : privilegeWrite(model, f);
      const privNote =
        priv && rowWrites.some((t) => t.key === priv.table)
          ? `The row it writes in ${priv.table} sets ${priv.column} = ${priv.value}, which ${priv.policies.length > 1 ? 'policies trust' : 'a policy trusts'}: ${priv.policies.slice(0, 2).join(priv.policies.length > 2 ? ', ' : ' and ')}${priv.policies.length > 2 ? ` and ${priv.policies.length - 2} more` : ''} ${priv.policies.length > 1 ? 'admit' : 'admits'} a user whose ${priv.table} row has ${priv.column} = ${priv.value}; its ${priv.key} is not the caller but whatever user its arguments name, so a caller who names their own account is then admitted by ${priv.policies.length > 1 ? 'each of them' : 'it'} (a privilege escalation), and may do the same for any other account. `
          : '';
      report({
        ...f.nameLoc,
        message: (
          (guardedOnly
            ? `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} can be called by ${callers.text} and ${what}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, checking who is calling only in the WHERE of its ${guardedOnly.guarded.join(' and ')}, which limits that statement alone, while the statements that ${writes.length === 1 ? 'write this table run' : 'write these tables run'} whoever calls: `
            : session && !records
              ? `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} can be called by ${callers.text} and ${what}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, but looks at who is calling only through its argument ${session.param} ('${session.key}'), Hasura's session argument: Hasura fills it from the request's verified JWT when a GraphQL query calls the function, but a role that calls it in SQL passes any session it likes, e.g. another user's id: `
            : spoof && !records
              ? `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} can be called by ${callers.text} and ${what}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, but looks at who is calling only ${fallback ? `as the fallback of ${spoof}, which any caller skips by passing the parameter` : `through the DEFAULT of its parameter ${spoof}, which any caller may override`} with another value, e.g. an admin's or another user's id: `
              : `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} can be called by ${callers.text} and ${what}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, but never ${records ? 'checks' : 'looks at'} who is calling `) +
          (guardedOnly
            ? ''
            : records
            ? `(it uses ${recorded?.signIn || onSupabasePlatform(model) ? '`auth.uid()`' : '`session_user`'} or the like only ${[recorded?.signIn ? 'to test whether it is NULL, i.e. whether anyone is signed in' : '', !recorded?.signIn || recorded.records ? 'to record the caller, in the values it writes, returns or raises as a notice' : ''].filter(Boolean).join(', and ')}, never to choose the rows it ${reads.length && writes.length ? `reads or ${writes.every(inserted) ? 'inserts' : 'changes'}` : reads.length ? 'reads' : writes.every(inserted) ? 'inserts' : 'changes'}): `
            : spoof || session
              ? ''
              : // (current_user is the function's owner inside it, never the caller: said where the body names it)
                `(no ${supabase ? '`auth.uid()` or `auth.jwt()`' : '`session_user`'}, \`current_setting()\` or function that uses them${ownerNote ? `; ${ownerNote}` : ''}): `) +
          `it runs as its owner, ${ownerText(model, f, tables.length)}, so ${choose}, and ${anyCaller}${secret ? ` passing ${listOr(secret.params.map((p) => `a ${p}`), 'and')} that its lookup in ${secret.table} finds` : ''} can ${gets}. ` + privNote +
          (onlyAltered
            ? emptiedTables.length
              ? `Revoke EXECUTE from these roles (their call then fails with 42501 permission denied for function; run such maintenance from a migration or a trusted role instead), check the caller in the function, or make it SECURITY INVOKER, so that the TRUNCATE runs with the caller's privileges (without TRUNCATE on the table: 42501). `
              : `Revoke EXECUTE from these roles (run such maintenance from a migration instead), check the caller in the function, or make it SECURITY INVOKER, so that only the table's owner can run it. `
            : `Check the caller in the function (e.g. ${supabase ? '`AND user_id = (select auth.uid())`' : "`AND owner = session_user` where each user logs in as a role of their own, not `current_user`, which is the function's owner inside it; or the request's user or tenant setting"}), make it SECURITY INVOKER so that the policies apply, or revoke EXECUTE from these roles. `) +
          (onlyAltered
            ? ''
            : gate
              ? `It gives back what it reads only where \`${gate}\` holds, the password it is passed checked against the stored hash with crypt(): a login check. A caller without the password gets the same answer for a name that has an account and one that has none (only how long the call takes may differ: crypt() hashes only where there is a hash to check). If this is the login function your API lets anonymous callers use (PostGraphile's authenticate), that check is what it is for: suppress the finding here, and limit sign-in attempts where the API is exposed.`
            : secret
              ? `It looks ${paramList(secret.params)} up in ${secret.table}${secret.via ? ` through ${secret.via}` : ''} and stops when no row matches (${secret.check}, ${where(model, secret.at)}) before it reads or changes any other row: if ${secret.params.length > 1 ? 'one of them' : secret.params[0]} is a secret only the right caller holds (an invitation token), that is its check. ` +
                (apart
                  ? `But the ${apart.verb} takes ${apart.column} from ${apart.param}, an argument the lookup does not check: whoever holds a valid ${secret.params[0]} chooses that value, ${/user|owner|member|profile|account/i.test(apart.column) ? "e.g. another user's id, not only their own" : 'e.g. the id of a row they may not reach themselves'}. Take it from the caller (auth.uid()) instead, or check it against the row the lookup found.`
                  : `Then suppress the finding here, once every row the function reads or changes is one that lookup leads to, not one its other arguments choose alone.`)
              : lookup
                ? `It only reads rows of ${listOr(lookup.tables, 'and')} that ${paramList(lookup.params)} ${lookup.params.length > 1 ? 'match' : 'matches'} (${lookup.tables.length > 1 ? 'each' : 'its'} WHERE requires a column equal to ${lookup.params.length > 1 ? 'each' : 'it'}) and changes none: if ${lookup.params.length > 1 ? 'one of them' : lookup.params[0]} is a secret only the right caller holds (an invitation token), a caller without it gets nothing through the function, and such a lookup is how it is done; then suppress the finding here.`
                : change
                  ? `Every row it changes is one that ${paramList(change.params)} ${change.params.length > 1 ? 'lead' : 'leads'} to: each UPDATE or DELETE of ${listOr(change.tables, 'and')} requires in its WHERE ${listOr(change.params.map((p) => `${p} (${change.how.get(p)})`), 'and')}. If ${change.params.length > 1 ? 'one of them' : change.params[0]} is a secret only the right caller holds (a verification or invitation token), a caller without it changes nothing through the function, and that is its check; then suppress the finding here.`
                  : allUnkeyed
                    ? ''
                    : SECRET_LOOKUP_HINT) +
          (failsAsWritten(model, f) || operatorFailure(model, f))
        ).trimEnd(),
        related: tables.map((t) => ({ ...(t.rlsEvents.find((e) => e.kind === 'enable')?.loc ?? t.created), message: `row-level security of ${t.key}` })),
        fixes: [revokeFix(model, f, callers)],
      });
    }
  },
});
