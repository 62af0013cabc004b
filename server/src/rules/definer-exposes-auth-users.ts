import { TRIGGER_INSERT, TRIGGER_TRUNCATE, TRIGGER_UPDATE, type Func, type Model, type Table } from '../analysis/model.js';
import { privilegesOf } from '../analysis/privileges.js';
import { appliesToRole, coversCommand, roleList } from '../analysis/policies.js';
import { constBool, memoModel, textOfFile } from '../analysis/policy-exprs.js';
import { callsIn, conjuncts, constValue, dmlTargetsIn, returningOf, roleText } from '../analysis/ast.js';
import { defElems, stripComments, sval, walk } from '../analysis/parse.js';
import type { Node, Statement } from '../analysis/types.js';
import { extensionCallsIn } from './auth-trigger-unqualified-name.js';
import { catchesErrors } from './lib/auth-triggers.js';
import { failsAsWritten } from './plpgsql-ambiguous-column.js';
import { defineRule, type Report } from './types.js';
import { callersOf, recordsCallerOnly, revokeFix } from './definer-bypasses-rls.js';
import { readsAsOwner } from './definer-helper-under-force-rls.js';
import { AUTH_USERS_REFERENCED_BY, referencingTables, truncation } from './grant-truncate-bypasses-rls.js';
import { AUTH_USERS, authUsersText, supabaseAuthUsers, calledByPolicy, dataDefiners, DF_BODY, DF_TRIGGER, functionLists, funcLooksAtCaller, inputParams, mayHoldPrivilege, passwordCheckHash, ownerRoleNote, mayReadAuthUsers, returnsRowData, SECRET_LOOKUP_HINT, settingOf, platformFunction } from './lib/util.js';

/** Whether the role, known to the workspace, may not read or change auth.users itself: an ordinary role without a grant on it (of `privilege`: SELECT, or TRUNCATE). */
function ordinaryWithoutAuthUsers(model: Model, role: string | undefined, privilege = 'select'): boolean {
  return role !== undefined && model.roleBypassesRls(role) === false && !model.roles.get(role)?.superuser && !mayReadAuthUsers(model, role, AUTH_USERS, privilege);
}

/**
 * The workspace's tables whose foreign keys reference Supabase's auth.users (`id uuid REFERENCES
 * auth.users`, in CREATE TABLE or ALTER TABLE … ADD), and those referencing them in turn: what
 * TRUNCATE auth.users CASCADE empties beside the platform's own (AUTH_USERS_REFERENCED_BY).
 */
function referencingAuthUsers(model: Model): Table[] {
  return memoModel(model, 'rules:referencingAuthUsers', (m) => {
    const direct = new Set<Table>();
    const isAuthUsers = (pk: Node) => pk?.schemaname === 'auth' && pk?.relname === 'users';
    for (const { stmt } of m.statements) {
      const n = stmt.node;
      const fks: Node[] = [];
      if (stmt.kind === 'CreateStmt') {
        for (const e of (n?.tableElts ?? []) as Node[]) {
          for (const c of e?.ColumnDef?.constraints ?? []) fks.push(c?.Constraint);
          fks.push(e?.Constraint);
        }
      } else if (stmt.kind === 'AlterTableStmt') {
        for (const c of (n?.cmds ?? []) as Node[]) {
          fks.push(c?.AlterTableCmd?.def?.Constraint);
          for (const cc of c?.AlterTableCmd?.def?.ColumnDef?.constraints ?? []) fks.push(cc?.Constraint);
        }
      }
      if (!fks.some((c) => c?.contype === 'CONSTR_FOREIGN' && isAuthUsers(c.pktable))) continue;
      const t = m.tables.get(m.relKey(n.relation));
      if (t) direct.add(t);
    }
    const refs = referencingTables(m);
    const out = new Set(direct);
    const stack = [...direct];
    while (stack.length) for (const c of refs.get(stack.pop()!.key) ?? []) if (!out.has(c)) out.add(c), stack.push(c);
    return [...out];
  });
}

/**
 * What `TRUNCATE auth.users CASCADE` in the function empties besides auth.users (the workspace's
 * tables: referencingAuthUsers), when PostgreSQL runs it: on Supabase, only with CASCADE (the
 * platform's auth.identities and others reference auth.users: without it, 0A000; truncation), with
 * the function's owner holding TRUNCATE on every table it reaches (a table another role owns: 42501
 * for all of it), and no ON TRUNCATE trigger on them (it may refuse). Undefined when it does not.
 */
function emptiesAuthUsers(model: Model, f: Func): Table[] | undefined {
  if (!truncation(model, f)?.emptied.has(AUTH_USERS)) return undefined;
  if (ordinaryWithoutAuthUsers(model, f.owner?.role, 'truncate')) return undefined;
  const tables = referencingAuthUsers(model);
  if (model.triggers.some((tr) => tr.events & TRIGGER_TRUNCATE && (tr.table === AUTH_USERS || tables.some((t) => t.key === tr.table)))) return undefined;
  const owner = f.owner?.role;
  if (owner !== undefined && !model.roles.get(owner)?.superuser && tables.some((t) => t.owner?.role !== undefined && t.owner.role !== owner && !privilegesOf(model, t, owner).has('truncate'))) return undefined;
  return tables;
}

/** Whether the statement names one of the variables (a ColumnRef whose first part is one of them). */
function namesVariable(node: unknown, vars: ReadonlySet<string>): boolean {
  let hit = false;
  walk(node, (k, v) => {
    if (hit) return false;
    if (k === 'ColumnRef') {
      const first = sval(v.fields?.[0]);
      if (typeof first === 'string' && vars.has(first.toLowerCase())) hit = true;
    }
  });
  return hit;
}

/**
 * Whether `node` may give the value of one of `vars` (not only a yes/no about it): it names one
 * outside the operands of a comparison (`h = crypt(p_password, h)`, `v IS NULL`, `v LIKE …`, IN,
 * BETWEEN, IS DISTINCT FROM) and the tests of a CASE (`CASE WHEN h = … THEN 'ok' ELSE 'wrong' END`
 * gives one of its constants). A login check comparing the hash it read with crypt() of the
 * password returns whether they match, never the hash.
 */
function passesVariable(node: unknown, vars: ReadonlySet<string>): boolean {
  let hit = false;
  const visit = (n: unknown): void =>
    walk(n, (k, v) => {
      if (hit) return false;
      if (k === 'A_Expr' && (v.kind !== 'AEXPR_OP' || COMPARISONS.has(String(sval(v.name?.[v.name.length - 1]))))) return false;
      if (k === 'NullTest' || k === 'BooleanTest') return false;
      if (k === 'CaseExpr') {
        for (const w of v.args ?? []) visit(w?.CaseWhen?.result);
        visit(v.defresult);
        return false;
      }
      if (k === 'ColumnRef') {
        const first = sval(v.fields?.[0]);
        if (typeof first === 'string' && vars.has(first.toLowerCase())) hit = true;
      }
    });
  visit(node);
  return hit;
}
const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '~~', '~~*', '!~~', '!~~*', '~', '~*', '!~', '!~*']);

/**
 * Whether a PL/pgSQL body asks how many rows its statements touched (FOUND, GET DIAGNOSTICS): a write's effect then reaches what it does next.
 * With `after` (a statement of the body and the model), whether it may ask that of this statement: FOUND
 * and GET DIAGNOSTICS tell of the last statement run before them, so a check written before the write
 * (steve-piece/subdomain-isolated-turborepo's activate_reservation: `IF NOT FOUND THEN RAISE` after
 * its lookup, then the INSERT copying auth.users' e-mail) never sees it — unless a loop may run the
 * check again after the write (any LOOP in the body: the whole body counts, as without `after`).
 */
function asksRowCount(f: Func, after?: { model: Model; s: Statement }): boolean {
  const text = sval(defElems(f.stmt.node?.options).get('as')?.arg?.List?.items?.[0]);
  if (typeof text !== 'string') return true;
  const body = stripComments(text);
  const diagnostics = /\bGET\s+(?:CURRENT\s+)?DIAGNOSTICS\b/i;
  if (after && f.body && !loops(f)) {
    const { model, s } = after;
    return foundAfter(f, s) || diagnostics.test(stripComments(textOfFile(model, f.nameLoc.file).slice(s.end, f.body.end)));
  }
  return foundAfter(f) || diagnostics.test(body);
}

/** Whether the body reads FOUND (after `s` only, where a body without a loop cannot come back to a check written before it). */
function foundAfter(f: Func, s?: Statement): boolean {
  const stmts = f.body?.statements ?? [];
  const from = s && !loops(f) ? s.end : -1;
  return stmts.some((t) => t.start >= from && namesVariable(t.node, FOUND));
}

/** Whether the body has a loop (LOOP, WHILE … LOOP, FOR … LOOP, FOREACH … LOOP), as its text says; true where the text is not known. */
function loops(f: Func): boolean {
  const text = sval(defElems(f.stmt.node?.options).get('as')?.arg?.List?.items?.[0]);
  return typeof text !== 'string' || /\bLOOP\b/i.test(stripComments(text));
}
const FOUND: ReadonlySet<string> = new Set(['found']);

/**
 * The variables a PL/pgSQL `RETURN v;` or `RETURN NEXT v;` hands back: PL/pgSQL keeps a lone
 * variable as a variable, not an expression, so the body's statements do not show it (read from
 * the body's text, its comments left out).
 */
function returnedVariables(f: Func): Set<string> {
  const text = sval(defElems(f.stmt.node?.options).get('as')?.arg?.List?.items?.[0]);
  const out = new Set<string>();
  if (typeof text !== 'string') return out;
  for (const m of stripComments(text).matchAll(/\bRETURN\s+(?:NEXT\s+)?([A-Za-z_][\w$]*)\s*;/gi)) out.add(m[1]!.toLowerCase());
  return out;
}

/**
 * Whether an INSERT or UPDATE … RETURNING … INTO, whose values name the variables, may return
 * their values. It does not when RETURNING names none of them and only columns the statement
 * does not set from them, of a table the model knows, defined in its CREATE TABLE, not generated,
 * and with no trigger on that command (a trigger or a generated column may copy a value into the
 * column returned). vip-drive-florida's get_or_create_passenger_profile inserts the e-mail and
 * name it read from auth.users into passengers `RETURNING id INTO v_id` and returns v_id, a new
 * passengers.id: the caller gets a uuid, and passengers' policy shows the row only to its user
 * (PGlite). A WHERE, FROM, ON CONFLICT or query naming them may choose the rows returned: kept.
 */
function writeReturnsVariables(model: Model, s: Statement, vars: ReadonlySet<string>): boolean {
  const n = s.node;
  const returning = returningOf(n);
  if (s.kind === 'DeleteStmt' || namesVariable(returning, vars) || namesVariable([n?.whereClause, n?.fromClause, n?.onConflictClause, n?.withClause], vars)) return true;
  // the columns set from the variables
  const set = new Set<string>();
  if (s.kind === 'InsertStmt') {
    const select = n.selectStmt?.SelectStmt;
    const cols: string[] = (n.cols ?? []).map((c: Node) => String(c?.ResTarget?.name));
    if (!select?.valuesLists || select.targetList || select.fromClause || cols.length === 0) return true;
    for (const row of select.valuesLists) {
      const items: Node[] = row?.List?.items ?? [];
      for (let i = 0; i < items.length; i++) if (namesVariable(items[i], vars)) set.add(cols[i] ?? '*');
    }
  } else if (s.kind === 'UpdateStmt') {
    for (const t of n.targetList ?? []) if (namesVariable(t, vars)) set.add(String(t?.ResTarget?.name));
  } else return true;
  if (set.has('*')) return true;
  const table = model.tables.get(model.relKey(n.relation));
  if (!table || table.triggers.some((t) => t.events & (s.kind === 'InsertStmt' ? TRIGGER_INSERT : TRIGGER_UPDATE))) return true;
  const alias = String(n.relation?.alias?.aliasname ?? n.relation?.relname);
  const defs = new Map<string, Node>();
  for (const e of table.stmt.kind === 'CreateStmt' ? (table.stmt.node?.tableElts ?? []) : []) if (e?.ColumnDef?.colname) defs.set(String(e.ColumnDef.colname), e.ColumnDef);
  let tainted = false;
  walk(returning, (k, v) => {
    if (tainted || k !== 'ColumnRef') return;
    const fields: Node[] = v.fields ?? [];
    const col = sval(fields[fields.length - 1]);
    // (`*`, the row itself, or a column set from the variables, added later or generated)
    if (col === undefined || (fields.length === 1 && col === alias) || set.has(col)) tainted = true;
    else if (!defs.has(col) || (defs.get(col)!.constraints ?? []).some((c: Node) => c?.Constraint?.contype === 'CONSTR_GENERATED')) tainted = true;
  });
  return tainted;
}

/**
 * PL/pgSQL: whether what `SELECT … INTO vars FROM auth.users` puts in its variables can reach the
 * caller. It cannot when the variables (and those assigned from them, transitively) are used only
 * to write into tables (an audit row: `INSERT INTO deletion_log VALUES (_email)`; a new row whose
 * RETURNING gives back none of them: writeReturnsVariables), and are not OUT parameters or
 * returned, and FOUND is not looked at: the function then returns none of it. Any other use (a
 * RETURN, a RAISE, a condition, a call) counts as reaching the caller.
 */
function intoReachesCaller(model: Model, f: Func, into: readonly string[], from?: Statement): 'value' | 'match' | false {
  const outs = returnedVariables(f);
  for (const x of f.stmt.node?.parameters ?? []) {
    const prm = x?.FunctionParameter;
    if (prm && typeof prm.name === 'string' && (prm.mode === 'FUNC_PARAM_OUT' || prm.mode === 'FUNC_PARAM_INOUT' || prm.mode === 'FUNC_PARAM_TABLE')) outs.add(prm.name.toLowerCase());
  }
  const tainted = new Set(into);
  // (variables a query fills with another table's row that they choose, `SELECT secret_question
  // INTO v_question FROM profiles WHERE id = v_user_id`: none of auth.users' data, but whether the
  // row it chose exists, and which one; ExpensePartner's get_security_question, PGlite)
  const chosen = new Set<string>();
  const stmts = f.body?.statements ?? [];
  const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stmts) {
      if (!s.assigns || s.assigns.every((v) => tainted.has(v)) || !namesVariable(s.node, tainted)) continue;
      if (WRITES.has(s.kind) && !writeReturnsVariables(model, s, tainted)) continue;
      if (onlyChoosesRow(s, tainted)) {
        for (const v of s.assigns) if (!chosen.has(v)) (chosen.add(v), (grew = true));
        continue;
      }
      for (const v of s.assigns) tainted.add(v);
      grew = true;
    }
  }
  for (const v of tainted) chosen.delete(v);
  if ([...tainted].some((v) => outs.has(v))) return 'value';
  // (FOUND tells of the last statement run: a check before the SELECT … INTO never sees it, PGlite)
  if (foundAfter(f, from)) return 'value';
  let match = [...chosen].some((v) => outs.has(v));
  for (const s of stmts) {
    if (!s.assigns && !WRITES.has(s.kind) && !s.notice && chosen.size && namesVariable(s.node, chosen) && !namesVariable(s.node, tainted)) match = true;
    if (s.assigns || WRITES.has(s.kind) || !namesVariable(s.node, tainted)) continue;
    // (a RAISE NOTICE / WARNING argument: the notice goes to the session's client, and an API
    // caller's session is PostgREST's, which hands no notice to the caller — airassist's
    // create_missing_profiles() names each account it fails on in a RAISE WARNING)
    if (s.notice) continue;
    // (an IF whose branches only write: it chooses what the function writes, not what it gives
    // back — `IF v_user_id IS NOT NULL THEN INSERT INTO members … END IF; RETURN v_org_id` returns
    // the same for an address with an account and one without; PGlite)
    if (onlyChoosesWrites(model, f, s)) continue;
    // (a query that returns none of them, only rows they select: `RETURN QUERY SELECT m.status …
    // WHERE m.user_id = v_id` tells which rows match, not the value: paynless' check_user_membership)
    // (nor an IF's test or a result that only compares them — `IF h = crypt(p_password, h) THEN`,
    // `RETURN CASE WHEN h = crypt(…) THEN 'ok' ELSE 'wrong password' END`: whether they match)
    if (s.kind === 'SelectStmt' && s.node?.targetList && !s.node.fromClause && (s.armCond || !passesVariable(s.node.targetList, tainted))) {
      match = true;
      continue;
    }
    if (s.kind === 'SelectStmt' && s.node?.targetList && !namesVariable(s.node.targetList, tainted)) {
      match = true;
      continue;
    }
    return 'value';
  }
  return match ? 'match' : false;
}

/**
 * Whether a PL/pgSQL `SELECT … INTO` names the variables only in its WHERE, to choose a row of
 * other tables, and returns none of their values: its target list and its other clauses name none
 * of them, it reads no `*`, and no column of its target list is one its WHERE sets equal to one of
 * them (`SELECT p.id … WHERE p.id = v_user_id` gives the value back).
 */
function onlyChoosesRow(s: Statement, vars: ReadonlySet<string>): boolean {
  const n = s.node;
  if (s.kind !== 'SelectStmt' || !n?.targetList || !n.whereClause || n.withClause || (n.op && n.op !== 'SETOP_NONE')) return false;
  if (namesVariable([n.targetList, n.fromClause, n.havingClause, n.groupClause, n.sortClause, n.limitCount, n.limitOffset], vars)) return false;
  let auth = false;
  walk(n.fromClause, (k, v) => {
    if (k === 'RangeVar' && v.schemaname === 'auth') auth = true;
  });
  if (auth) return false;
  const equal = new Set<string>();
  let star = false;
  walk(n.whereClause, (k, v) => {
    if (k !== 'A_Expr' || v.kind !== 'AEXPR_OP' || sval(v.name?.[v.name.length - 1]) !== '=') return;
    for (const [a, b] of [[v.lexpr, v.rexpr], [v.rexpr, v.lexpr]]) {
      if (namesVariable(a, vars) && b?.ColumnRef) equal.add(String(sval(b.ColumnRef.fields?.[b.ColumnRef.fields.length - 1])));
    }
  });
  walk(n.targetList, (k, v) => {
    if (k === 'A_Star') star = true;
    if (k === 'ColumnRef' && v.fields?.some((x: Node) => x?.A_Star)) star = true;
  });
  if (star) return false;
  return !(n.targetList as Node[]).some((t) => {
    let hit = false;
    walk(t, (k, v) => {
      if (k === 'ColumnRef' && equal.has(String(sval(v.fields?.[v.fields.length - 1])))) hit = true;
    });
    return hit;
  });
}

const WRITE_KINDS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);

/**
 * PL/pgSQL: whether `s` is the condition of an IF (or ELSIF) whose branches hold only writes that
 * hand nothing back (INSERT / UPDATE / DELETE with no RETURNING … INTO) and the conditions of the
 * IFs among them, none of which returns or raises, in a body that asks no row count: what the
 * condition reads then chooses only what the function writes. The caller reads those rows only as
 * the tables' policies allow. (A RAISE EXCEPTION without arguments is no statement of the body:
 * `ELSE RAISE EXCEPTION 'no account'` tells the caller; any such RAISE from the condition on, and
 * it is not said.)
 */
function onlyChoosesWrites(model: Model, f: Func, s: Statement): boolean {
  if (!s.armCond || !s.arms || s.arms.length < 2 || s.returnsIf || s.raisesIf || s.reported) return false;
  const n = s.arms[s.arms.length - 2]!;
  const stmts = f.body?.statements ?? [];
  const inIf = (t: Statement) => (t.arms ?? []).some((x, i) => i % 2 === 0 && x === n);
  for (const t of stmts) {
    if (t === s || !inIf(t)) continue;
    if (t.reported || t.returnsIf || t.raisesIf || t.assigns?.length) return false;
    if (t.armCond) continue;
    if (!WRITE_KINDS.has(t.kind) || returningOf(t.node).length) return false;
  }
  const body = f.body!;
  const after = stripComments(textOfFile(model, f.nameLoc.file).slice(s.start, body.end));
  return !RAISES.test(after) && !asksRowCount(f);
}
const RAISES = /\b(?:RAISE(?!\s+(?:NOTICE|WARNING|INFO|LOG|DEBUG)\b)|ASSERT)\b/i;

/**
 * What of auth.users the body's queries return, as written: `email`, `raw_user_meta_data->>'display_name'`
 * (its alias's columns, and the keys taken out of a json column); undefined where it is not known
 * (`u.*`, a whole row, a lexical body). `existence`: every query reading auth.users returns none of
 * its columns, only whether (or how many) rows match — `EXISTS (SELECT 1 FROM auth.users …)`,
 * `count(*)`, `PERFORM 1 FROM auth.users …` (esports-bet-beacon's check_registration_duplicates,
 * which tells whether an e-mail address has an account).
 */
function authUsersColumns(model: Model, f: Func): { cols: string[] | undefined; existence: boolean; none?: boolean; copied?: Copied } {
  const body = f.body;
  if (!body || body.lexical) return { cols: undefined, existence: false };
  const out = new Set<string>();
  let unknown = false;
  // (where the columns a statement reads go: the result's, or, for a statement whose data only goes
  // into tables, those of the copies)
  const copiedCols = new Set<string>();
  const copiedTables = new Set<string>();
  let copiedUnknown = false;
  let cols = out;
  let setUnknown = () => {
    unknown = true;
  };
  let reading = 0;
  // statements reading auth.users whose result does not reach the caller
  let kept = 0;
  const plpgsqlVariables = new Set(body.language === 'plpgsql' ? (body.variables ?? []).map((x) => x.toLowerCase()) : []);
  for (const s of body.statements) {
    const aliases = new Set<string>();
    let tables = 0;
    walk(s.node, (k, v) => {
      if (k !== 'RangeVar') return;
      tables++;
      if (v.schemaname === 'auth' && v.relname === 'users') aliases.add(String(v.alias?.aliasname ?? 'users'));
    });
    // (the table an INSERT / UPDATE / DELETE writes: a bare RangeVar field, which the walk above
    // does not see — `UPDATE auth.users SET raw_user_meta_data = … WHERE id = …` reads the rows its
    // WHERE picks, and hands them back only through RETURNING, INTO or the row count)
    const target = WRITE_KINDS.has(s.kind) ? s.node?.relation : undefined;
    if (target) {
      tables++;
      if (target.schemaname === 'auth' && target.relname === 'users') aliases.add(String(target.alias?.aliasname ?? 'users'));
    }
    // (DDL naming auth.users reads none of its rows: classclown's create_auth_user_trigger()
    // drops and creates the sign-up trigger ON auth.users and returns a constant; PGlite: anon
    // gets {"success": true}, no account's data. Its relation is a bare RangeVar, not a node.)
    if (NO_ROWS_DDL.has(s.kind)) {
      if (namesAuthUsers(s.node)) kept++;
      continue;
    }
    if (aliases.size === 0) continue;
    // (an INSERT / UPDATE / DELETE whose values or WHERE read auth.users and that returns nothing —
    // no RETURNING: it hands the caller none of it, as a variable that only goes into an audit row
    // below; steve-piece's bootstrap_organization copies the owner's e-mail and name into
    // user_profiles with `(SELECT … FROM auth.users WHERE id = p_user_id)`; PGlite: the caller gets
    // the same answer for an id with an account and one without)
    // (unless the body asks how many rows a statement touched: FOUND, GET DIAGNOSTICS … ROW_COUNT)
    // (the tables such a statement copies auth.users' data into: its own target, or the writes its variables go into)
    let copyTo: string[] | undefined;
    if (WRITE_KINDS.has(s.kind) && !returningOf(s.node).length && !s.assigns?.length && !asksRowCount(f, { model, s })) {
      kept++;
      copyTo = s.kind !== 'DeleteStmt' && target && !(target.schemaname === 'auth' && target.relname === 'users') ? [model.relKey(target)] : [];
    }
    // (`SELECT email INTO _email FROM auth.users …` whose variable only goes into an audit row; the
    // same for `FOR r IN SELECT … FROM auth.users LOOP`, whose rows go into r)
    const vars = s.assigns?.length ? s.assigns : s.loopInto;
    if (!copyTo && vars?.length && body.language === 'plpgsql') {
      const reaches = intoReachesCaller(model, f, vars, s);
      if (!reaches) {
        kept++;
        copyTo = writesOfVariables(model, f, vars);
      }
      // (only which rows a returned query selects: as an EXISTS, none of its columns)
      else if (reaches === 'match') {
        reading++;
        continue;
      }
    }
    if (copyTo) {
      if (copyTo.length === 0) continue;
      copyTo.forEach((k) => copiedTables.add(k));
      cols = copiedCols;
      setUnknown = () => {
        copiedUnknown = true;
      };
    } else reading++;
    // (auth.users read in a WITH query: its columns may reach the result through the CTE's name,
    // which the target list below does not tell: vitaluxe-flow's fix_orphaned_patient_accounts,
    // whose CTEs carry auth.users.id into RETURNING and the result)
    let inCte = false;
    walk(s.node?.withClause, (k, v) => {
      if (k === 'RangeVar' && v.schemaname === 'auth' && v.relname === 'users') inCte = true;
    });
    if (inCte) {
      setUnknown();
      [cols, setUnknown] = [out, () => (unknown = true)];
      continue;
    }
    // (whose a column written without a table is, in the query level being read: auth.users' when
    // it is the only table; the statement's when it reads one table)
    let only = tables === 1;
    // (a column of auth.users as written: `email` when it is the only table, `u.email`, `auth.users.email`)
    // (a level reading auth.users with other tables: a column without a table is auth.users' unless
    // one of the others has it; where one is not known, whose it is is not known)
    let others: Node[] | undefined;
    const bare = (fields: Node[]): boolean => {
      // (a PL/pgSQL variable or parameter is not a column: one named as a column of a table the
      // query reads would make it fail with 42702 — `CASE WHEN user_project_id IS NULL …` in the
      // target list of a query joining auth.users returns the argument, none of auth.users' data)
      const name = sval(fields[fields.length - 1]);
      if (fields.length === 1 && typeof name === 'string' && plpgsqlVariables.has(name)) return false;
      if (only) return true;
      if (!others) return false;
      const col = sval(fields[fields.length - 1]);
      if (typeof col !== 'string') return false;
      let unsure = false;
      for (const o of others) {
        const t = o.RangeVar ? model.tables.get(model.relKey(o.RangeVar)) : undefined;
        if (t?.columns.includes(col)) return false;
        if (!t) unsure = true;
      }
      if (unsure) setUnknown();
      return !unsure;
    };
    const named = (fields: Node[]): boolean =>
      (fields.length === 3 && sval(fields[0]) === 'auth' && aliases.has(String(sval(fields[1])))) || (fields.length === 2 && aliases.has(String(sval(fields[0])))) || (fields.length <= 1 && bare(fields));
    const keyed = new Set<Node>();
    // (what the query returns: its target list, not the join's or the WHERE's columns; of a
    // sub-select in it, its own target list, where a column without a table is auth.users' when the
    // sub-select reads auth.users alone — zebri-crm's get_public_invoice returns `(SELECT
    // raw_user_meta_data->>'bank_account_number' FROM auth.users WHERE id = i.user_id)` from a query
    // of invoices and couples; an EXISTS or count() returns no column)
    const visit = (k: string, v: Node): boolean | void => {
      if (k === 'SubLink') {
        if (v.subLinkType !== 'EXISTS_SUBLINK') visitLevel(v.subselect?.SelectStmt);
        return false;
      }
      if (k === 'FuncCall' && (v.funcname ?? []).length === 1 && sval(v.funcname[0]) === 'count') return false;
      if (k === 'A_Expr' && (sval(v.name?.[0]) === '->>' || sval(v.name?.[0]) === '->')) {
        const f0: Node[] = v.lexpr?.ColumnRef?.fields ?? [];
        const key = constValue(v.rexpr);
        const col = f0.length > 0 && named(f0) ? sval(f0[f0.length - 1]) : undefined;
        if (col && typeof key === 'string') {
          cols.add(`${col}->>'${key}'`);
          keyed.add(v.lexpr.ColumnRef);
        }
      }
      // (`encrypted_password IS NOT NULL`: whether the column is set, not its value — zero-start's
      // verify_all_hr_users() returns that, not the password hash)
      if (k === 'NullTest' && v.arg?.ColumnRef) {
        const f0: Node[] = v.arg.ColumnRef.fields ?? [];
        const col = f0.length > 0 && named(f0) ? sval(f0[f0.length - 1]) : undefined;
        if (typeof col === 'string') {
          cols.add(`${col} ${v.nulltesttype === 'IS_NULL' ? 'IS NULL' : 'IS NOT NULL'}`);
          return false;
        }
      }
      if (k !== 'ColumnRef' || keyed.has(v)) return;
      const fields: Node[] = v.fields ?? [];
      const last = fields[fields.length - 1];
      if (named(fields)) {
        // (`u.*`, or `u` itself: the whole row)
        if (last?.A_Star || (fields.length === 1 && aliases.has(String(sval(last))))) setUnknown();
        else if (sval(last)) cols.add(String(sval(last)));
      }
    };
    const visitLevel = (sel: Node | undefined): void => {
      if (sel?.larg || sel?.rarg) {
        visitLevel(sel.larg);
        visitLevel(sel.rarg);
        return;
      }
      const from: Node[] = sel?.fromClause ?? [];
      const [outer, outerOthers] = [only, others];
      if (from.length > 0) {
        // (the level's tables: those of its FROM list and joins; a sub-query there is one whose columns are not known)
        const items: Node[] = [];
        let auth = false;
        walk(from, (k, v) => {
          if (k === 'RangeSubselect' || k === 'RangeFunction') {
            items.push({ [k]: v });
            return false;
          }
          if (k === 'SubLink') return false;
          if (k !== 'RangeVar') return;
          if (v.schemaname === 'auth' && v.relname === 'users') auth = true;
          else items.push({ RangeVar: v });
        });
        only = auth && items.length === 0;
        others = auth && items.length > 0 ? items : undefined;
      }
      walk(sel?.targetList, visit);
      [only, others] = [outer, outerOthers];
    };
    // (a copy's INSERT: what its query or VALUES put in the new rows)
    if (copyTo && s.kind === 'InsertStmt') {
      const sel = s.node?.selectStmt?.SelectStmt;
      if (sel?.valuesLists) walk(sel.valuesLists, visit);
      else visitLevel(sel);
    } else if (s.kind === 'SelectStmt') visitLevel(s.node);
    // (a write hands back what its RETURNING names: of auth.users, the columns it names; of
    // another table, values its query may have copied from auth.users, not known here)
    else if (WRITE_KINDS.has(s.kind) && returningOf(s.node).length) {
      if (target?.schemaname === 'auth' && target.relname === 'users') walk(returningOf(s.node), visit);
      else if (!s.assigns?.length) setUnknown();
      else walk(s.node?.targetList, visit);
    } else walk(s.node?.targetList, visit);
    // (RETURN QUERY / a returned set: a statement without target list, e.g. a TABLE or a lexical piece)
    if (!s.node?.targetList && s.kind === 'SelectStmt') setUnknown();
    [cols, setUnknown] = [out, () => (unknown = true)];
  }
  const copied = copiedTables.size ? { tables: [...copiedTables], cols: copiedUnknown || copiedCols.size === 0 ? undefined : [...copiedCols] } : undefined;
  if (unknown) return { cols: undefined, existence: false, ...(copied ? { copied } : {}) };
  if (reading === 0 && kept > 0) return { cols: undefined, existence: false, none: true, ...(copied ? { copied } : {}) };
  return { ...(out.size === 0 ? { cols: undefined, existence: reading > 0 } : { cols: [...out], existence: false }), ...(copied ? { copied } : {}) };
}

/** What a function copies of auth.users into other tables: their keys, and the columns where the body names them. */
interface Copied {
  tables: string[];
  cols: string[] | undefined;
}

/**
 * The tables a PL/pgSQL body's INSERTs and UPDATEs write the variables' values into (and those of
 * the variables assigned from them, transitively), as intoReachesCaller follows them.
 */
function writesOfVariables(model: Model, f: Func, vars: readonly string[]): string[] {
  const stmts = f.body?.statements ?? [];
  const tainted = new Set(vars);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stmts) {
      if (!s.assigns || WRITE_KINDS.has(s.kind) || s.assigns.every((v) => tainted.has(v)) || !namesVariable(s.node, tainted)) continue;
      for (const v of s.assigns) tainted.add(v);
      grew = true;
    }
  }
  const out = new Set<string>();
  for (const s of stmts) {
    const n = s.node;
    if ((s.kind !== 'InsertStmt' && s.kind !== 'UpdateStmt') || !n?.relation) continue;
    if (!namesVariable(s.kind === 'InsertStmt' ? n.selectStmt : n.targetList, tainted)) continue;
    if (n.relation.schemaname === 'auth' && n.relation.relname === 'users') continue;
    out.add(model.relKey(n.relation));
  }
  return [...out];
}

/** The tables of a copy that the API roles among the callers may read (not those that may read auth.users themselves; not anon where a sign-in test stops it), with those roles. */
function copiedReadable(model: Model, copied: Copied, callers: readonly string[], signIn: boolean): Array<{ table: string; readers: string[] }> {
  const who = (callers[0] === 'public' ? ['anon', 'authenticated'] : callers).filter((r) => !mayReadAuthUsers(model, r) && !(signIn && r === 'anon'));
  const out: Array<{ table: string; readers: string[] }> = [];
  for (const k of copied.tables) {
    const t = model.tables.get(k);
    const readers = t ? readersOfTable(model, t, who) : [];
    if (readers.length) out.push({ table: k, readers });
  }
  return out;
}

/**
 * The roles of `who` that may read every row of `t`: SELECT on it, and no row-level security, or
 * a permissive policy for SELECT with USING (true) that applies to them.
 */
function readersOfTable(model: Model, t: Table, who: readonly string[]): string[] {
  return who.filter(
    (r) => mayHoldPrivilege(model, t, r, ['select']) && (!t.rlsEnabled || t.policies.some((p) => p.permissive && coversCommand(p, 'select') && appliesToRole(model, p, r) && constBool(p.using) === true)),
  );
}

/** Statements that name a table but read none of its rows (a trigger, index, policy, grant, comment, lock on it). */
const NO_ROWS_DDL: ReadonlySet<string> = new Set(['CreateTrigStmt', 'IndexStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'GrantStmt', 'CommentStmt', 'LockStmt']);

/** Whether a parse tree names auth.users anywhere, as a RangeVar node or a bare RangeVar field (`relation`, `table`). */
function namesAuthUsers(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(namesAuthUsers);
  const o = node as Record<string, unknown>;
  if (o.schemaname === 'auth' && o.relname === 'users') return true;
  return Object.values(o).some(namesAuthUsers);
}

/** auth.users' columns holding what anyone may try for someone else's account: an e-mail address, a phone number (an id is a random uuid). */
const GUESSABLE: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['email', ['e-mail address', 'e-mail addresses']],
  ['phone', ['phone number', 'phone numbers']],
]);

/** Operators comparing a column with a value the caller chooses: `=` (with IN and `= ANY`), LIKE, ILIKE. */
const LOOKUP_OPS = new Set(['=', '~~', '~~*']);

/**
 * The guessable columns of auth.users (GUESSABLE) a statement of the body looks accounts up by, and
 * the parameters it compares them with: a query level reading auth.users whose WHERE (or JOIN … ON)
 * compares `email` or `phone` with an argument, `lower(email) = lower(p_email)`, `u.phone = $1`,
 * `email ILIKE p_pattern`, and no other column of auth.users with an argument (`AND id = p_id`, `AND
 * confirmation_token = p_token`: whoever holds that id or token already knows the account). A
 * column written without a table is auth.users' when it is the level's only table and the name is
 * not a parameter's; a sub-select is a level of its own.
 */
function lookupByGuessable(f: Func, s: Statement): { cols: string[]; params: string[] } | undefined {
  const names: Array<string | undefined> = inputParams(f).map((x) => (typeof x?.FunctionParameter?.name === 'string' ? x.FunctionParameter.name.toLowerCase() : undefined));
  const paramNames = new Set(names.filter((x): x is string => !!x));
  const cols = new Set<string>();
  const params = new Set<string>();
  const level = (sel: Node): void => {
    const aliases = new Set<string>();
    let others = 0;
    const conds: Node[] = [sel?.whereClause];
    walk(sel?.fromClause, (k, v) => {
      if (k === 'RangeSubselect' || k === 'RangeFunction') {
        others++;
        return false;
      }
      if (k === 'SubLink') return false;
      if (k === 'JoinExpr' && v.quals) conds.push(v.quals);
      if (k !== 'RangeVar') return;
      if (v.schemaname === 'auth' && v.relname === 'users') aliases.add(String(v.alias?.aliasname ?? 'users'));
      else others++;
    });
    if (aliases.size === 0) return;
    const side = (n: Node) => {
      const auth = new Set<string>();
      const prm = new Set<string>();
      walk(n, (k, v) => {
        if (k === 'SubLink') return false;
        if (k === 'ParamRef' && typeof v.number === 'number') prm.add(names[v.number - 1] ?? `$${v.number}`);
        if (k !== 'ColumnRef') return;
        const fields: Node[] = v.fields ?? [];
        const parts = fields.map((x) => sval(x));
        if (parts.some((x) => typeof x !== 'string')) return;
        const [a, b, c] = parts as string[];
        if (parts.length === 3 && a === 'auth' && aliases.has(b!)) auth.add(c!);
        else if (parts.length === 2 && aliases.has(a!)) auth.add(b!);
        else if (parts.length === 2 && a === f.name.toLowerCase() && paramNames.has(b!)) prm.add(b!);
        else if (parts.length === 1 && paramNames.has(a!)) prm.add(a!);
        else if (parts.length === 1 && others === 0) auth.add(a!);
      });
      return { auth, prm };
    };
    const found = new Set<string>();
    const by = new Set<string>();
    let other = false;
    for (const cond of conds)
      walk(cond, (k, v) => {
        if (k === 'SubLink') return false;
        if (k !== 'A_Expr' || !LOOKUP_OPS.has(String(sval(v.name?.[v.name.length - 1])))) return;
        const l = side(v.lexpr);
        const r = side(v.rexpr);
        const [col, arg] = l.auth.size && !l.prm.size && r.prm.size && !r.auth.size ? [l, r] : r.auth.size && !r.prm.size && l.prm.size && !l.auth.size ? [r, l] : [];
        if (!col || !arg) return;
        if ([...col.auth].every((x) => GUESSABLE.has(x))) {
          col.auth.forEach((x) => found.add(x));
          arg.prm.forEach((x) => by.add(x));
        } else other = true;
      });
    if (other || found.size === 0) return;
    found.forEach((x) => cols.add(x));
    by.forEach((x) => params.add(x));
  };
  if (s.kind === 'SelectStmt') level(s.node);
  walk(s.node, (k, v) => {
    if (k === 'SelectStmt' || k === 'larg' || k === 'rarg') level(v);
  });
  return cols.size ? { cols: [...cols], params: [...params] } : undefined;
}

/**
 * Whether a statement of the body finds or changes rows of auth.users only where their password is
 * the one an argument holds: its WHERE (a conjunct of it) is `encrypted_password =
 * crypt(<argument>, encrypted_password)`, pgcrypto's check of a password against its bcrypt hash,
 * either way round (coinhub's update_password, a login check's `verify_login(p_email, p_password)`).
 * Such a lookup does not tell an address with an account from one without (both give nothing for a
 * wrong password): it tells whether a password is right.
 */
function checksPassword(f: Func, s: Statement): boolean {
  const n = s.node as Node | undefined;
  if (!n) return false;
  const isHash = (x: Node): boolean => {
    const fields: Node[] | undefined = x?.ColumnRef?.fields;
    return !!fields && sval(fields[fields.length - 1]) === 'encrypted_password';
  };
  // (auth.users' hash on both sides, however qualified: `u.encrypted_password = crypt(p, encrypted_password)`)
  const isCheck = (c: Node): boolean => !!passwordCheckHash(f, c, (a, b) => isHash(a) && isHash(b));
  const readsUsers = (from: Node): boolean => {
    let hit = false;
    walk(from, (k, v) => {
      if (k === 'SubLink' || k === 'RangeSubselect') return false;
      if (k === 'RangeVar' && v.schemaname === 'auth' && v.relname === 'users') hit = true;
    });
    return hit;
  };
  // (the query levels reading auth.users, as lookupByGuessable takes them; an UPDATE or DELETE of it)
  const levels: Node[] = [];
  if (s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt') {
    if (n.relation?.schemaname === 'auth' && n.relation?.relname === 'users') levels.push(n);
  } else if (s.kind === 'SelectStmt') {
    if (readsUsers(n.fromClause)) levels.push(n);
    walk(n, (k, v) => {
      if ((k === 'SelectStmt' || k === 'larg' || k === 'rarg') && readsUsers(v?.fromClause)) levels.push(v);
    });
  }
  // (a conjunct of the WHERE: a check under an OR does not bind every row found)
  return levels.length !== 0 && levels.every((l) => conjuncts(l.whereClause).some(isCheck));
}

/**
 * Whether what a statement of the body finds decides what the caller gets: in a LANGUAGE sql body,
 * the last statement (whose result the function returns); in PL/pgSQL, a RETURN's value, an IF
 * whose branches return, raise or set a returned variable (or OUT parameter), or a `SELECT … INTO`
 * (or PERFORM, through FOUND) whose variables such a statement uses. Not a lookup whose answer only
 * chooses what the function writes (`IF EXISTS (…) THEN INSERT … ELSE INSERT … END IF; RETURN
 * true`): the caller gets the same answer either way.
 */
function decidesResult(f: Func, s: Statement): boolean {
  const stmts = f.body?.statements ?? [];
  if (f.language === 'sql') return stmts[stmts.length - 1] === s;
  if (f.language !== 'plpgsql') return false;
  const outs = returnedVariables(f);
  for (const x of f.stmt.node?.parameters ?? []) {
    const prm = x?.FunctionParameter;
    if (prm && typeof prm.name === 'string' && (prm.mode === 'FUNC_PARAM_OUT' || prm.mode === 'FUNC_PARAM_INOUT' || prm.mode === 'FUNC_PARAM_TABLE')) outs.add(prm.name.toLowerCase());
  }
  const inIf = (t: Statement, n: number) => (t.arms ?? []).some((x, i) => i % 2 === 0 && x === n);
  const decides = (t: Statement): boolean => {
    if (t.reported || t.returnsIf || t.raisesIf) return true;
    if (!t.armCond || t.inertIf || !t.arms || t.arms.length < 2) return false;
    // (an IF condition: the IF's branches return, raise, or set what is returned)
    const n = t.arms[t.arms.length - 2]!;
    return stmts.some((u) => u !== t && inIf(u, n) && (u.reported || u.returnsIf || u.raisesIf || !!u.assigns?.some((v) => outs.has(v))));
  };
  if (!s.assigns?.length) {
    if (decides(s)) return true;
    // (PERFORM … FROM auth.users: its answer is FOUND, returned as it is or tested)
    return !s.armCond && (outs.has('found') || stmts.some((t) => t !== s && namesVariable(t.node, new Set(['found'])) && decides(t)));
  }
  // (the variables it fills, and those assigned from them, transitively; not through writes)
  const tainted = new Set(s.assigns);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of stmts) {
      if (!t.assigns || t.assigns.every((v) => tainted.has(v)) || t.kind !== 'SelectStmt' || !namesVariable(t.node, tainted)) continue;
      for (const v of t.assigns) tainted.add(v);
      grew = true;
    }
  }
  tainted.add('found');
  if ([...tainted].some((v) => outs.has(v))) return true;
  return stmts.some((t) => !t.assigns && namesVariable(t.node, tainted) && decides(t));
}

/**
 * An existence oracle: a SECURITY DEFINER function returning only a yes/no or a number (no row
 * data, not void), whose answer comes from accounts of auth.users its arguments choose by e-mail
 * address or phone number (lookupByGuessable, decidesResult). the-suite's `user_exists(p_email)`
 * returns `exists (select 1 from auth.users where lower(email) = lower(p_email))`: on PGlite anon
 * gets true for a registered address and false for another, and 42501 from auth.users itself.
 */
function existenceOracle(f: Func): { cols: string[]; params: string[]; password: boolean } | undefined {
  const body = f.body;
  if (!body || body.lexical || body.errors.length || f.returnType === 'void' || returnsRowData(f) || inputParams(f).length === 0) return undefined;
  const cols = new Set<string>();
  const params = new Set<string>();
  let password = true;
  for (const s of body.statements) {
    const hit = lookupByGuessable(f, s);
    if (!hit || !decidesResult(f, s)) continue;
    hit.cols.forEach((x) => cols.add(x));
    hit.params.forEach((x) => params.add(x));
    if (!checksPassword(f, s)) password = false;
  }
  return cols.size ? { cols: [...cols], params: [...params], password } : undefined;
}

/**
 * Whether every statement of f's body that writes a relation named users (auth.users, or one a
 * search_path may resolve to it) is a plain INSERT INTO it: no UPDATE, DELETE or MERGE, no
 * ON CONFLICT DO UPDATE, no data-modifying WITH writing it, no TRUNCATE of it (a reset that
 * empties auth.users, then inserts: every existing account goes).
 */
/** Whether every statement of f's body that writes auth.users is a DELETE (Neema's delete_user_by_id: it removes accounts, it changes none). */
function deletesOnlyUsers(f: Func): boolean {
  return everyUsersWrite(f, (st) => st.kind === 'DeleteStmt');
}

function insertsOnlyUsers(f: Func): boolean {
  if (f.truncations.some((t) => t.keys.some((k) => k === 'auth.users' || k.endsWith('.users')))) return false;
  return everyUsersWrite(f, (st) => st.kind === 'InsertStmt' && st.node.onConflictClause?.action !== 'ONCONFLICT_UPDATE');
}

/**
 * Whether f's body writes a relation named users (auth.users, or one a search_path may resolve to
 * it) in at least one statement, each an INSERT, UPDATE, DELETE or MERGE of it that `ok` takes, and
 * none in a data-modifying WITH.
 */
function everyUsersWrite(f: Func, ok: (st: Statement) => boolean): boolean {
  let writes = 0;
  for (const st of f.body?.statements ?? []) {
    const n = st.node as Node | undefined;
    if (!n) continue;
    if (dmlTargetsIn(n).some((r) => r?.relname === 'users')) return false;
    const dml = st.kind === 'InsertStmt' || st.kind === 'UpdateStmt' || st.kind === 'DeleteStmt' || st.kind === 'MergeStmt';
    if (!dml || n.relation?.relname !== 'users') continue;
    if (!ok(st)) return false;
    writes++;
  }
  return writes > 0;
}

/**
 * Whether every statement of f's body that writes auth.users is an UPDATE or DELETE of the rows
 * whose password an argument holds (checksPassword): a caller changes only an account whose
 * password it knows, or guesses.
 */
function writesNeedPassword(f: Func): boolean {
  return f.truncations.length === 0 && everyUsersWrite(f, (st) => checksPassword(f, st));
}

/**
 * On Supabase, a definer whose INSERT INTO auth.users calls pgcrypto's or uuid-ossp's functions
 * without a schema (`crypt(p ->> 'password', gen_salt('bf'))`) while its own SET search_path does
 * not list extensions, where the platform installs them (`SET search_path = ''`: pg_catalog alone):
 * PL/pgSQL plans the INSERT when a call reaches it and raises 42883 function … does not exist, so
 * that INSERT adds no account (adminesde/TabunganKu_V2's create_initial_users, whose EXCEPTION WHEN
 * OTHERS returns the error as JSON; PGlite, with the functions in schema extensions). The note the
 * message then ends with; '' when there is none (no SET search_path: the caller's is used, and
 * PostgREST's lists extensions).
 */
function insertFailsAsWritten(model: Model, f: Func): string {
  if (!model.supabase || f.language !== 'plpgsql' || !f.body || f.body.lexical) return '';
  const s = settingOf(f, 'search_path');
  if (!s || s.values[0] === '<from current>') return '';
  const path = s.values.filter((x) => x !== '' && x !== '$user');
  if (path.includes('extensions')) return '';
  for (const st of f.body.statements) {
    const rel = st.kind === 'InsertStmt' ? st.node?.relation : undefined;
    if (rel?.relname !== 'users' || (rel.schemaname !== undefined && rel.schemaname !== 'auth')) continue;
    const calls = extensionCallsIn(model, st.node as Node);
    if (calls.length === 0) continue;
    const exts = [...new Set(calls.map((c) => c.extension))];
    const pathText = path.length ? path.join(', ') : "''";
    return (
      ` (As written, though, its INSERT into auth.users calls ${calls.map((c) => `${c.name}()`).join(', ')} without a schema, and its SET search_path (${pathText}) does not list extensions, where Supabase installs ${exts.join(' and ')}: ` +
      `a call that reaches it gets 42883 (function does not exist)${catchesErrors(model, f) ? ', which its EXCEPTION clause may catch,' : ''} and adds no account; the above holds once that is fixed.)`
    );
  }
  return '';
}

export const definerExposesAuthUsers = defineRule({
  meta: {
    id: 'definer-exposes-auth-users',
    description: "A SECURITY DEFINER function that API roles can call returns data of, or changes, Supabase's auth.users, or tells whether an e-mail address or phone number it is passed has an account, and never looks at who is calling.",
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A SECURITY DEFINER function runs with its owner's privileges: one that postgres owns reads and changes auth.users, every account's email, phone and metadata, for callers that have no privilege on it.",
    truths: ['T22'],
    shownBy: { exposure: 'auth-users' },
    sources: ['splinter 0028 anon_security_definer_function_executable', 'splinter 0029 authenticated_security_definer_function_executable', 'splinter 0002 auth_users_exposed'],
  },
  check({ model, report }) {
    // (a workspace that creates auth.users itself models it: definer-bypasses-rls looks at its row-level security)
    if (!supabaseAuthUsers(model)) return;
    for (const f of dataDefiners(model)) {
      const writes = f.writes.has(AUTH_USERS);
      // (only INSERTs: it adds accounts, it changes none of the others')
      const addsOnly = writes && insertsOnlyUsers(f);
      // (only DELETEs: it removes accounts, and with them every row whose foreign key cascades from auth.users)
      const deletesOnly = writes && !addsOnly && deletesOnlyUsers(f);
      const readsAuth = readsAsOwner(model, f).has(AUTH_USERS);
      const readsOwn = returnsRowData(f) && readsAuth;
      // (the columns it reads, where the body names them: mentopanda's author credit reads two metadata keys, not the email)
      const { cols, existence, none, copied } = readsAuth ? authUsersColumns(model, f) : { cols: undefined, existence: false, none: false, copied: undefined };
      // (what it reads only goes into a table, an audit row: it returns none of it)
      const reads = readsOwn && !none;
      // (it empties auth.users, TRUNCATE … CASCADE, and writes no row of it: every account goes)
      const emptied = writes || f.truncations.length === 0 ? undefined : emptiesAuthUsers(model, f);
      if (emptied && !reads) {
        reportEmptied(model, f, emptied, report);
        continue;
      }
      if (!writes && !reads && !copied) continue;
      // (a policy's helper that returns columns of the account its argument names — get_user_email(uuid),
      // called by policies as get_user_email(auth.uid()) — answers anyone who calls it directly too)
      const byArgument = reads && !existence && !!cols?.length && !writes && f.argTypes.length > 0;
      const exposed = exposedTo(model, f, 'select', byArgument);
      const helper = byArgument && calledByPolicy(model, f);
      if (!exposed) continue;
      const { callers, looked, recorded, signIn } = exposed;
      // (what it only copies into tables: reported where the callers may read the copies — a table
      // without row-level security, or whose policy for them is USING (true))
      const copies = reads || !copied ? [] : copiedReadable(model, copied, callers.roles, signIn);
      if (!writes && !reads && copies.length === 0) continue;
      const ownerText = ownerOf(f);
      const colText = cols?.length ? ` (${cols.join(', ')})` : '';
      const returned = existence ? `tells whether rows of auth.users match ${f.argTypes.length ? 'its arguments' : 'what it looks for'} (it returns none of their columns)` : `returns data${colText} of rows of auth.users`;
      const copiedCols = copied?.cols?.length ? copied.cols.join(', ') : undefined;
      const copiedInto = copies.map((c) => `${c.table}, which ${roleList(c.readers)} can read`).join(', and ');
      const copiedText = `copies data${copiedCols ? ` (${copiedCols})` : ''} of rows of auth.users, ${authUsersText(model)}, into ${copiedInto}`;
      const change = addsOnly ? 'adds rows to auth.users' : deletesOnly ? 'deletes rows of auth.users' : 'changes rows of auth.users';
      const what = copies.length
        ? `${copiedText}${writes ? `, and ${change}` : ''}`
        : `${reads && writes ? `${returned}, and ${change}` : reads ? returned : change}, ${authUsersText(model)}`;
      // (a function without arguments does what it does: the caller only chooses to run it)
      const fixed = f.argTypes.length === 0;
      const from = copies.map((c) => c.table).join(' and ');
      const gets = copies.length
        ? [fixed ? `read what it copies of other users' accounts from ${from}` : `read ${copiedCols ? `${copiedCols} of` : ''} other users' accounts from ${from}`.replace('  ', ' '), writes ? (fixed ? 'make it change auth.users as it does' : 'change them') : ''].filter(Boolean).join(' and ')
        : fixed
          ? [reads ? 'read what it returns of other users\' accounts' : '', writes ? `make it ${deletesOnly ? 'delete from' : 'change'} auth.users as it does` : ''].filter(Boolean).join(' and ')
          : reads && writes
            ? `read other users' accounts and ${deletesOnly ? 'delete' : 'change'} them`
            : reads
              ? existence
                ? 'learn whether an account exists for any value it passes (an e-mail address, a user name, an id: account enumeration)'
                : cols?.length
                  ? `read ${cols.join(', ')} of other users' accounts`
                  : "read other users' accounts"
              : addsOnly
                ? 'create accounts in auth.users with the values it passes (an e-mail address no account has yet, for one; it changes no existing account)'
                : deletesOnly
                  ? "delete other users' accounts (and with each, the rows of every table whose foreign key to auth.users is ON DELETE CASCADE)"
                  : "change other users' accounts";
      // (it changes only accounts whose password it is passed: a password check, coinhub's update_password)
      if (writes && !addsOnly && !reads && copies.length === 0 && !fixed && writesNeedPassword(f)) {
        report({
          ...f.nameLoc,
          message:
            `SECURITY DEFINER function ${f.signature} can be called by ${callers.text} and ${what}, but never ${looked ? 'checks' : 'looks at'} who is calling ` +
            callerText(recorded, signIn, ownerRoleNote(model, f)) +
            `it runs with the privileges of ${ownerText}, and only the password limits it: it changes an account only where the password it is passed matches the account's hash (crypt()), ` +
            `so any${signIn ? ' signed-in' : ''} caller can try passwords for any account through it (password guessing), outside Supabase Auth's sign-in and the rate limit per IP address Supabase Auth puts on sign-ins, and change the account once one matches. ` +
            "Change passwords through Supabase Auth (updateUser, for the signed-in user's own account), or check the caller in the function (e.g. `WHERE id = (select auth.uid())`), or revoke EXECUTE from these roles and call it with the service role.",
          fixes: [revokeFix(model, f, callers)],
        });
        continue;
      }
      report({
        ...f.nameLoc,
        message:
          `SECURITY DEFINER function ${f.signature} can be called by ${callers.text} and ${what}, but never ${looked ? 'checks' : 'looks at'} who is calling ` +
          callerText(recorded, signIn, ownerRoleNote(model, f)) +
          `it runs with the privileges of ${ownerText}, so nothing limits it to the caller's own account, and any${signIn ? ' signed-in' : ''} caller can ${gets}. ` +
          (helper
            ? policyHelperNote(model, f, cols!)
            : 'Check the caller in the function (e.g. `WHERE id = (select auth.uid())`), or revoke EXECUTE from these roles and call it with the service role. ') +
          (copies.length ? `What it has copied stays readable until row-level security on ${from} limits each user to their own rows. ` : '') +
          SECRET_LOOKUP_HINT +
          (addsOnly ? insertFailsAsWritten(model, f) : '') +
          // (a query of it that raises 42702 on every call: nothing is read yet — mentalspaceehr's check_client_portal_config)
          failsAsWritten(model, f),
        // (not for a policy's helper: revoked, every query its policy applies to fails with 42501)
        fixes: helper ? [] : [revokeFix(model, f, callers)],
      });
    }
    // existence oracles: a yes/no or a number telling whether an e-mail address (a phone number) has an account
    const { definers, definerFacts } = functionLists(model);
    for (let i = 0; i < definers.length; i++) {
      const f = definers[i]!;
      if ((definerFacts[i]! & (DF_TRIGGER | DF_BODY)) !== DF_BODY || !f.reads.has(AUTH_USERS) || f.writes.has(AUTH_USERS) || f.isProcedure || f.stmt.kind !== 'CreateFunctionStmt' || platformFunction(model, f)) continue;
      const oracle = existenceOracle(f);
      if (!oracle) continue;
      const exposed = exposedTo(model, f);
      if (!exposed) continue;
      const { callers, looked, recorded, signIn } = exposed;
      const things = oracle.cols.map((c) => GUESSABLE.get(c)!);
      const args = oracle.params.filter((p) => !p.startsWith('$'));
      const argText = `the ${things.map((t) => t[0]).join(' or ')} it is passed${args.length ? `, ${args.join(', ')}` : ''}`;
      // (RETURNS TABLE or OUT parameters of yes/no and number columns: a record)
      const record = f.returnType === 'record' || f.returnType.startsWith('setof ');
      const returned = record ? 'only yes/no values or numbers' : `${/^[aeiou]/.test(f.returnType) ? 'an' : 'a'} ${f.returnType}`;
      const answer = NUMBER_TYPES.has(f.returnType) || record ? `whether, or how many, accounts of auth.users match ${argText}` : `whether an account of auth.users matches ${argText}`;
      const users = authUsersText(model);
      // (every lookup also checks a password the caller passes: a wrong address and a wrong password both find nothing)
      if (oracle.password) {
        report({
          ...f.nameLoc,
          message:
            `SECURITY DEFINER function ${f.signature} can be called by ${callers.text} and tells whether an account of auth.users has the ${things.map((t) => t[0]).join(' or ')} and the password it is passed: it returns ${returned}, none of the account's columns, but it reads auth.users, ${users}${users.endsWith('no privilege') ? ' (a SELECT on it fails with 42501)' : ''}, and never ${looked ? 'checks' : 'looks at'} who is calling ` +
            callerText(recorded, signIn, ownerRoleNote(model, f)) +
            `it runs with the privileges of ${ownerOf(f)} and checks the password against the account's hash (crypt()). A wrong address and a wrong password both find no account, so it does not tell which ${things.map((t) => t[1]).join(' or ')} have one; ` +
            `but any${signIn ? ' signed-in' : ''} caller can try passwords for any ${things.map((t) => t[0]).join(' or ')} through it (password guessing), outside Supabase Auth's sign-in and the rate limit per IP address Supabase Auth puts on sign-ins. ` +
            `Sign users in with Supabase Auth (signInWithPassword) instead, or revoke EXECUTE from these roles and call it with the service role from your server.`,
          fixes: [revokeFix(model, f, callers)],
        });
        continue;
      }
      report({
        ...f.nameLoc,
        message:
          `SECURITY DEFINER function ${f.signature} can be called by ${callers.text} and tells ${answer}: it returns ${returned}, none of the account's columns, but it reads auth.users, ${users}${users.endsWith('no privilege') ? ' (a SELECT on it fails with 42501)' : ''}, and never ${looked ? 'checks' : 'looks at'} who is calling ` +
          callerText(recorded, signIn, ownerRoleNote(model, f)) +
          `it runs with the privileges of ${ownerOf(f)}, so any${signIn ? ' signed-in' : ''} caller can try ${things.map((t) => t[1]).join(' or ')} one by one and learn which have an account (account enumeration). ` +
          "Revoke EXECUTE from these roles and call it with the service role from your server, or answer only for the caller's own account (`WHERE id = (select auth.uid())`). " +
          SECRET_LOOKUP_HINT +
          failsAsWritten(model, f),
        fixes: [revokeFix(model, f, callers)],
      });
    }
  },
});

/**
 * A definer that empties auth.users with TRUNCATE … CASCADE (emptiesAuthUsers), callable by roles
 * that hold no TRUNCATE on it: any of them deletes every account at once, and the rows of every table
 * referencing auth.users (`tables`: the workspace's; the platform's auth.identities and the like).
 * TRUNCATE asks for the TRUNCATE privilege alone, which the owner holds (Supabase grants postgres ALL
 * on the auth tables), and no policy (row-level security does not apply to it).
 */
function reportEmptied(model: Model, f: Func, tables: readonly Table[], report: (r: Report) => void): void {
  const exposed = exposedTo(model, f, 'truncate');
  if (!exposed) return;
  const { callers, looked, recorded, signIn } = exposed;
  const own = tables.length ? `, and this project's ${tables.map((t) => t.key).join(', ')}` : '';
  report({
    ...f.nameLoc,
    message:
      `SECURITY DEFINER function ${f.signature} can be called by ${callers.text} and empties auth.users with TRUNCATE … CASCADE, ${authUsersText(model)}, but never ${looked ? 'checks' : 'looks at'} who is calling ` +
      callerText(recorded, signIn, ownerRoleNote(model, f)) +
      `it runs with the privileges of ${ownerOf(f)}, which include TRUNCATE on auth.users, and TRUNCATE asks for that privilege alone: not the caller's, who has none, nor any policy (row-level security does not apply to TRUNCATE). ` +
      `So any${signIn ? ' signed-in' : ''} caller can delete every account at once, and CASCADE empties with auth.users every table whose foreign keys reference it, in turn: Supabase's ${AUTH_USERS_REFERENCED_BY.join(', ')} (every identity, session and sign-in factor; and the others the platform adds)${own}. ` +
      'Revoke EXECUTE from these roles and run it only as the service role (or from the SQL editor), or refuse every caller but an administrator before the TRUNCATE.',
    fixes: [revokeFix(model, f, callers)],
  });
}

/** Return types of existence oracles that count: a number may say how many accounts match. */
const NUMBER_TYPES = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision']);

/** Its owner, as the messages name it. */
function ownerOf(f: Func): string {
  const owner = f.owner?.role;
  return owner ? `its owner, ${roleText(owner)}` : 'its owner (on Supabase, postgres, which runs the migrations and may read and change auth.users)';
}

/** How the function looks at its caller, for the messages: only to record it, or to test that someone is signed in; or not at all. */
function callerText(recorded: ReturnType<typeof recordsCallerOnly>, signIn: boolean, ownerNote: string): string {
  // (current_user inside a definer is its owner, never the caller: said where the body names it, ownerRoleNote)
  return recorded
    ? `(it uses \`auth.uid()\` or the like only ${[signIn ? 'to test whether it is NULL, i.e. whether anyone is signed in' : '', !signIn || recorded.records ? 'to record the caller, in the values it writes, returns or raises as a notice' : ''].filter(Boolean).join(', and ')}, never to choose the accounts it reads or changes${ownerNote ? `; ${ownerNote}` : ''}): `
    : `(no \`auth.uid()\` or \`auth.jwt()\`, \`current_setting()\` or function that uses them${ownerNote ? `; ${ownerNote}` : ''}): `;
}

/**
 * For a policy's helper that returns columns of the account its argument names: the policy that
 * calls it, that the policy does not limit who else calls it, and what a policy can read instead
 * of the signed-in user's e-mail (codescribblr/budget-app's get_user_email(uuid), called by
 * "Users can view invitations to their email" as get_user_email(auth.uid())).
 */
function policyHelperNote(model: Model, f: Func, cols: readonly string[]): string {
  const names = new Set([f.name, `${f.schema}.${f.name}`]);
  const p = model.policies.find((q) => [q.using, q.withCheck].some((e) => !!e && callsIn(e).some((c) => names.has(c.name.join('.')))));
  const which = p ? `policy "${p.name}" on ${p.table}` : 'a policy';
  const email = cols.length === 1 && cols[0] === 'email' ? " For the signed-in user's own e-mail a policy needs no function: (select auth.jwt() ->> 'email')." : '';
  return (
    `That ${which} calls it, for the signed-in user's own account, does not limit who else calls it: a direct call with another account's id returns that account's ${cols.join(', ')}. ` +
    `Make it answer for the caller only (no argument, \`WHERE id = (select auth.uid())\`); revoking EXECUTE instead would fail every query that policy applies to (42501 permission denied for function ${f.name}).${email} `
  );
}

/**
 * Who can call `f` to reach auth.users with its owner's rights, and how it looks at them:
 * undefined when its owner is an ordinary role without a grant on auth.users (of `privilege`: 42501 itself), no
 * API role may call it or those who may read auth.users themselves, a policy calls it, or it looks
 * at its caller for more than recording them or testing that someone is signed in (then not for
 * anon alone, whom that test stops).
 */
function exposedTo(model: Model, f: Func, privilege = 'select', evenForPolicies = false): { callers: NonNullable<ReturnType<typeof callersOf>>; looked: boolean; recorded: ReturnType<typeof recordsCallerOnly>; signIn: boolean } | undefined {
  // an owner known to be an ordinary role without a grant on auth.users gets 42501 itself
  if (ordinaryWithoutAuthUsers(model, f.owner?.role, privilege)) return undefined;
  const callers = callersOf(model, f, []);
  if (!callers) return undefined;
  // callers granted auth.users themselves get nothing they could not read (or change, or empty) directly
  const who = callers.roles[0] === 'public' ? ['anon', 'authenticated'] : callers.roles;
  if (who.every((r) => mayReadAuthUsers(model, r, AUTH_USERS, privilege))) return undefined;
  if (!evenForPolicies && calledByPolicy(model, f)) return undefined;
  // (the caller only required to be signed in, or only recorded: stewardtrack's
  // get_user_profiles raises when auth.uid() IS NULL, then returns the email of every id it is
  // passed; a signed-in user reads every account's)
  const looked = funcLooksAtCaller(model, f);
  const recorded = looked ? recordsCallerOnly(model, f) : undefined;
  if (looked && !recorded) return undefined;
  const signIn = !!recorded?.signIn;
  // (anon, whom the sign-in test stops, gains nothing)
  if (signIn && !who.some((r) => r !== 'anon')) return undefined;
  return { callers, looked, recorded, signIn };
}
