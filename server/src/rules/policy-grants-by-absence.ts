import type { Func, Model, Policy, Table } from '../analysis/model.js';
import { appliesToRole, coversCommand, onSupabasePlatform, roleList, rolesSubjectToRls, type Command } from '../analysis/policies.js';
import { activeRowsWith, constBool, FLAG_CALL_OUTSIDE_SELECT, FLAG_READS_RELATION, textOfFile, type PolicyRow } from '../analysis/policy-exprs.js';
import { callsIn, conjuncts, memoised } from '../analysis/ast.js';
import { sval, walk } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { inputParams, looksAtCaller, mayHoldPrivilege, privilegesNeeded } from './lib/util.js';
import { calledHelper, trueForRole } from './policy-always-true.js';
import { listOr } from '../analysis/words.js';
import { neverTrueIn, requiresKeyIn } from '../analysis/unset-context.js';

// "Internal staff are the users who are not contractors": a permissive policy admitting a row when
// the caller has NO row in a table (NOT EXISTS (SELECT 1 FROM contractor_users WHERE user_id =
// auth.uid())) admits every row to everyone PostgreSQL lets through with that role and no such
// row: on Supabase, anyone who signs up (hvac-saas's *_internal policies).

/** A test that the caller is absent from a table, found in a policy expression (syntax alone). */
interface Absence {
  /** the SelectStmt of the sub-select */
  sub: Node;
  /** NOT IN / <> ALL: its left side */
  test: Node | undefined;
  /** the other conditions AND-ed with it in its branch of the expression (ORs split into branches) */
  rest: Node[];
  /** `NOT f(…)`: the workspace function whose body is the `EXISTS (…)` (sub is its sub-select), with the call's arguments */
  via?: { f: Func; args: Node[] };
}

/**
 * The sub-select a condition negates: `NOT EXISTS (…)`, `NOT (x IN (SELECT …))`, `x <> ALL (SELECT
 * …)`, or `(SELECT …) IS NULL`, when it reads a table (a FROM) and is one SELECT (no UNION).
 */
function absenceOf(c: Node): { sub: Node; test: Node | undefined } | undefined {
  let link: Node | undefined;
  let test: Node | undefined;
  const b = c?.BoolExpr;
  if (b?.boolop === 'NOT_EXPR') {
    const l = b.args?.[0]?.SubLink;
    if (l?.subLinkType === 'EXISTS_SUBLINK') link = l;
    else if (l?.subLinkType === 'ANY_SUBLINK' && (!l.operName || sval(l.operName[l.operName.length - 1]) === '=')) {
      link = l;
      test = l.testexpr;
    }
  } else if (c?.SubLink?.subLinkType === 'ALL_SUBLINK' && sval(c.SubLink.operName?.[c.SubLink.operName.length - 1]) === '<>') {
    link = c.SubLink;
    test = link.testexpr;
  } else if (c?.NullTest?.nulltesttype === 'IS_NULL') {
    let a = c.NullTest.arg;
    while (a?.TypeCast) a = a.TypeCast.arg;
    if (a?.SubLink?.subLinkType === 'EXPR_SUBLINK') link = a.SubLink;
  }
  const sub = link?.subselect?.SelectStmt;
  if (!sub || !sub.fromClause || (sub.op && sub.op !== 'SETOP_NONE')) return undefined;
  return { sub, test };
}

/** At most this many branches of an expression are told apart (its AND / OR as a disjunction of conjunctions). */
const MAX_TERMS = 64;

/**
 * The absence tests of an expression, each with what is AND-ed with it in its branch: the
 * expression as an OR of ANDs (`a AND (b OR NOT EXISTS …)` is `(a AND b) OR (a AND NOT EXISTS …)`),
 * since any one branch admits a row. Kept on the node: syntax only.
 */
const absencesIn = memoised((node: Node): Absence[] => {
  const out: Absence[] = [];
  for (const term of terms(node)) {
    for (let i = 0; i < term.length; i++) {
      const a = absenceOf(term[i]);
      if (a) out.push({ sub: a.sub, test: a.test, rest: term.slice(0, i).concat(term.slice(i + 1)) });
    }
  }
  return out;
});

/**
 * The negated calls of an expression, `NOT f(…)`, each with what is AND-ed with it in its branch
 * (syntax only; which function is called and what its body does is the model's: helperAbsencesIn).
 */
const negatedCallsIn = memoised((node: Node): Array<{ call: Node; rest: Node[] }> => {
  const out: Array<{ call: Node; rest: Node[] }> = [];
  for (const term of terms(node)) {
    for (let i = 0; i < term.length; i++) {
      const b = term[i]?.BoolExpr;
      if (b?.boolop === 'NOT_EXPR' && b.args?.[0]?.FuncCall) out.push({ call: b.args[0], rest: term.slice(0, i).concat(term.slice(i + 1)) });
    }
  }
  return out;
});

/** A body that only returns an EXISTS: `BEGIN RETURN EXISTS (…); END` (PL/pgSQL), `SELECT EXISTS (…)` (SQL), comments aside. */
const ONLY_EXISTS = { plpgsql: /^begin\s+return\s+exists\s*\([^;]*;\s*end\s*;?$/i, sql: /^(?:select|return)\s+exists\s*\([^;]*;?$/i } as Record<string, RegExp>;
const COMMENTS = /--[^\n]*|\/\*[\s\S]*?\*\//g;

/** The sub-select of a boolean function whose body only returns `EXISTS (SELECT … FROM …)` (one SELECT), if it is written so. */
function existsBodyOf(model: Model, f: Func): Node | undefined {
  const b = f.body;
  const re = ONLY_EXISTS[f.language];
  if (!b || !re || (f.returnType !== 'boolean' && f.returnType !== 'bool') || b.statements.length !== 1) return undefined;
  const s = b.statements[0]!.node;
  if (!s || s.fromClause || s.whereClause || s.targetList?.length !== 1) return undefined;
  const link = s.targetList[0]?.ResTarget?.val?.SubLink;
  const sub = link?.subLinkType === 'EXISTS_SUBLINK' ? link.subselect?.SelectStmt : undefined;
  if (!sub || !sub.fromClause || (sub.op && sub.op !== 'SETOP_NONE')) return undefined;
  return re.test(textOfFile(model, f.nameLoc.file).slice(b.start, b.end).replace(COMMENTS, ' ').trim()) ? sub : undefined;
}

/**
 * `NOT f(…)` where f is a workspace function whose body only returns `EXISTS (SELECT … FROM t …)`
 * and the call passes nothing of the row (100IN's `NOT has_role(auth.uid(), 'player'::user_role)`,
 * has_role: `SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_id = _user_id AND role = _role)`):
 * the caller's absence from t, read through f. Who calls is passed in an argument its sub-select
 * reads (by name or $n; not a name that is also a column of a table it reads, which the column
 * would win), or asked by the body itself (auth.uid() in it).
 */
function helperAbsencesIn(model: Model, node: Node): Absence[] {
  const out: Absence[] = [];
  for (const { call, rest } of negatedCallsIn(node)) {
    const f = calledHelper(model, call);
    const sub = f ? existsBodyOf(model, f) : undefined;
    if (!f || !sub) continue;
    const args = (call.FuncCall.args ?? []) as Node[];
    // (an argument naming a column may pass the row: then the test is per row; named arguments are not followed)
    if (args.some((a) => hasColumnRef(a) || a?.NamedArgExpr)) continue;
    let caller = looksAtCaller(model, sub);
    if (!caller) {
      const params = inputParams(f);
      const readCols = new Set<string>();
      walk(sub.fromClause, (k, v) => {
        if (k === 'RangeVar') for (const c of columnsOf(model, model.funcRelKey(f, v)) ?? []) readCols.add(c.toLowerCase());
      });
      caller = args.some((a, i) => {
        if (!looksAtCaller(model, a)) return false;
        const name = String(params[i]?.FunctionParameter?.name ?? '').toLowerCase();
        if (name && readCols.has(name)) return false;
        let used = false;
        walk(sub, (k, v) => {
          if (used) return false;
          if (k === 'ParamRef' && v.number === i + 1) used = true;
          else if (k === 'ColumnRef' && name && v.fields?.length === 1 && String(sval(v.fields[0]) ?? '').toLowerCase() === name) used = true;
          return undefined;
        });
        return used;
      });
    }
    if (caller) out.push({ sub, test: undefined, rest, via: { f, args } });
  }
  return out;
}

/** The branches of a condition, each a list of AND-ed conditions (the whole condition as one branch past MAX_TERMS). */
function terms(n: Node): Node[][] {
  const b = n?.BoolExpr;
  if (b?.boolop === 'OR_EXPR') {
    const out: Node[][] = [];
    for (const a of b.args as Node[]) out.push(...terms(a));
    return out.length > MAX_TERMS ? [[n]] : out;
  }
  if (b?.boolop === 'AND_EXPR') {
    let out: Node[][] = [[]];
    for (const a of b.args as Node[]) {
      const next: Node[][] = [];
      for (const t of terms(a)) for (const o of out) next.push(o.concat(t));
      if (next.length > MAX_TERMS) return [conjuncts(n)];
      out = next;
    }
    return out;
  }
  return [[n]];
}

/** The RangeVars of a tree, by the name the query calls them (alias or relation name, lower-cased). */
function rangeVars(n: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  walk(n, (k, v) => {
    if (k === 'RangeVar') out.set(String(v.alias?.aliasname ?? v.relname ?? '').toLowerCase(), v);
  });
  return out;
}

/** The columns of a relation key, when the workspace creates it as a table (a view's are not known). */
function columnsOf(model: Model, key: string): readonly string[] | undefined {
  return model.tables.get(key)?.columns;
}

/**
 * Whether a sub-select may name a column of the policy's row: a qualified column whose qualifier no
 * relation of the sub-select is called by, or an unqualified one that the policy's table has and
 * no relation of the sub-select certainly has (one whose columns are unknown might: then it may be
 * the row's, and the sub-select is taken as tied to the row).
 */
function namesRow(model: Model, t: Table, sub: Node): boolean {
  const inner = rangeVars(sub);
  const innerCols: Array<readonly string[] | undefined> = [...inner.values()].map((rv) => columnsOf(model, model.relKey(rv)));
  let outer = false;
  walk(sub, (k, v) => {
    if (outer || k !== 'ColumnRef') return;
    const fields = (v.fields as Node[]) ?? [];
    if (fields.some((f) => f?.A_Star)) return;
    const parts = fields.map((f) => String(sval(f) ?? '').toLowerCase());
    if (parts.length >= 2) {
      if (!inner.has(parts[parts.length - 2]!)) outer = true;
      return;
    }
    const name = parts[0]!;
    if (!t.columns.some((c) => c.toLowerCase() === name)) return;
    if (innerCols.some((cols) => cols?.some((c) => c.toLowerCase() === name))) return;
    outer = true;
  });
  return outer;
}

/** Whether a tree holds a column reference outside its sub-selects, or a sub-select (taken as naming the row). */
function rowDependent(n: Node): boolean {
  let found = false;
  walk(n, (k) => {
    if (found) return false;
    if (k === 'ColumnRef' || k === 'SubLink') found = true;
    return undefined;
  });
  return found;
}

/** Whether a tree holds a column reference (NOT IN's left side: the row's column, or a sub-select's, taken as the row's). */
function hasColumnRef(n: Node): boolean {
  let found = false;
  walk(n, (k) => {
    if (found) return false;
    if (k === 'ColumnRef') found = true;
    return undefined;
  });
  return found;
}

type Verdict = 'every' | 'filtered' | undefined;

/**
 * Whether an absence admits callers by what they are not: its sub-select (or NOT IN's left side)
 * looks at who calls and names nothing of the row, and nothing AND-ed with it looks at the caller
 * beyond "signed in" (a positive membership or role test, or the row tied to the caller). 'every'
 * when the rest names no column of the row, 'filtered' when it does (a filter, e.g. on a status).
 */
function verdictOf(model: Model, t: Table, a: Absence): Verdict {
  // (through a function: its body cannot name the row, and who calls was found by helperAbsencesIn)
  if (!a.via) {
    if (a.test && hasColumnRef(a.test)) return undefined;
    if (!looksAtCaller(model, a.sub) && !(a.test && looksAtCaller(model, a.test))) return undefined;
    if (namesRow(model, t, a.sub)) return undefined;
  }
  let filtered = false;
  for (const r of a.rest) {
    if (constBool(r) === true || trueForRole(model, r, 'authenticated')) continue;
    if (absenceOf(r)) continue; // (another absence: it admits non-members too)
    if (a.via && negatedCallsIn(r).length && helperAbsencesIn(model, r).length) continue; // (one through a function too)
    if (looksAtCaller(model, r)) return undefined;
    if (rowDependent(r)) filtered = true;
  }
  return filtered ? 'filtered' : 'every';
}

/** The first relation the sub-select reads (its FROM's first table), for messages. */
function membershipTable(model: Model, sub: Node, via?: Func): string | undefined {
  let key: string | undefined;
  walk(sub.fromClause, (k, v) => {
    if (key === undefined && k === 'RangeVar') key = via ? model.funcRelKey(via, v) : model.relKey(v);
    return key === undefined ? undefined : false;
  });
  return key;
}

/** Whether the sub-select asks auth.uid(), which is NULL for a request without a signed-in user. */
function asksUid(sub: Node, test: Node | undefined, args: readonly Node[] = []): boolean {
  const isUid = (c: { name: string[] }) => c.name.length === 2 && c.name[0]!.toLowerCase() === 'auth' && c.name[1]!.toLowerCase() === 'uid';
  return callsIn(sub).some(isUid) || (!!test && callsIn(test).some(isUid)) || args.some((a) => callsIn(a).some(isUid));
}

/**
 * Whether a RESTRICTIVE policy of the table applies to one of the roles for one of the commands
 * and asks more than "signed in": it is ANDed with this policy, and may tie the rows to the caller.
 */
function narrowedByRestrictive(model: Model, t: Table, p: Policy, roles: readonly string[], cmds: readonly Command[]): boolean {
  for (const q of t.policies) {
    if (q.permissive || q === p) continue;
    if (!cmds.some((c) => coversCommand(q, c)) || !roles.some((r) => appliesToRole(model, q, r))) continue;
    const e = q.using ?? q.withCheck;
    if (!e || constBool(e) === true || trueForRole(model, e, 'authenticated')) continue;
    return true;
  }
  return false;
}

const VERB: Record<Command, string> = { select: 'reads', update: 'updates', delete: 'deletes', insert: 'inserts' };

export const policyGrantsByAbsence = defineRule({
  meta: {
    id: 'policy-grants-by-absence',
    description: 'A permissive policy admits callers by the absence of a row (NOT EXISTS (SELECT … WHERE user_id = auth.uid())): every user without that row passes, including anyone who just signed up.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      'PostgreSQL evaluates `NOT EXISTS (SELECT 1 FROM contractor_users WHERE user_id = auth.uid())` as written: it is true for every caller with no row there, so a permissive policy on it admits every row to every such user of its roles (measured: a user who just signed up deletes every row; a contractor deletes none).',
  },
  check({ model, report }) {
    // (policies with a sub-select only; the absence tests of an expression are kept on its node)
    // (and those with a call outside a sub-select: `NOT has_role(auth.uid(), 'player')`, a helper's EXISTS)
    const reading = activeRowsWith(model, FLAG_READS_RELATION);
    const seen = new Set<PolicyRow>(reading);
    const rows = reading.concat(activeRowsWith(model, FLAG_CALL_OUTSIDE_SELECT).filter((r) => !seen.has(r)));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const p = row.policy;
      const t = row.table;
      if (!p.permissive || !t) continue;
      const absences = (n: Node): Absence[] => {
        const direct = absencesIn(n);
        return negatedCallsIn(n).length ? direct.concat(helperAbsencesIn(model, n)) : direct;
      };
      const using = p.command !== 'insert' && p.using ? absences(p.using) : [];
      // (an UPDATE's WITH CHECK alone does not choose the rows: its USING does)
      const check = (p.command === 'insert' || p.command === 'all') && p.withCheck ? absences(p.withCheck) : [];
      if (using.length === 0 && check.length === 0) continue;
      const found = (list: Absence[]): { a: Absence; v: Verdict } | undefined => {
        let best: { a: Absence; v: Verdict } | undefined;
        for (const a of list) {
          const v = verdictOf(model, t, a);
          if (v === 'every') return { a, v };
          if (v && !best) best = { a, v };
        }
        return best;
      };
      const u = using.length ? found(using) : undefined;
      // (FOR ALL without WITH CHECK: its USING is the check of new rows too, T14c)
      const c = check.length ? found(check) : p.command === 'all' && !p.withCheck ? u : undefined;
      if (!u && !c) continue;
      const cmds: Command[] = [];
      // (an UPDATE whose WITH CHECK asks something of the caller or the row changes only the rows whose new values pass it: not said)
      const w = p.withCheck;
      const checkOpen = !w || constBool(w) === true || trueForRole(model, w, 'authenticated') || (c ?? found(absences(w))) !== undefined;
      if (u) for (const x of ['select', 'update', 'delete'] as const) if (coversCommand(p, x) && (x !== 'update' || checkOpen)) cmds.push(x);
      if (c && coversCommand(p, 'insert')) cmds.push('insert');
      if (cmds.length === 0) continue;
      const roles = rolesSubjectToRls(model, p).filter((r) => mayHoldPrivilege(model, t, r, privilegesNeeded(p)));
      if (roles.length === 0) continue;
      if (narrowedByRestrictive(model, t, p, roles, cmds)) continue;
      const hit = (u ?? c)!;
      const member = (membershipTable(model, hit.a.sub, hit.a.via?.f) ?? 'that table') + (hit.a.via ? ` (read through function ${hit.a.via.f.signature})` : '');
      const rowsOf = (v: Verdict) => (v === 'filtered' ? `every row of ${p.table} that a condition on the row's own columns AND-ed with it admits (nothing more is asked of the caller in that branch)` : `every row of ${p.table}`);
      const acts = cmds.filter((x) => x !== 'insert').map((x) => VERB[x]);
      const parts: string[] = [];
      if (acts.length) parts.push(`${listOr(acts, 'and')} ${rowsOf(u!.v)}`);
      if (cmds.includes('insert')) parts.push(c!.v === 'filtered' ? 'inserts any row that such a condition on its columns admits' : 'inserts rows with any values');
      // (an UPDATE or DELETE that reads a column, a WHERE, also gets the SELECT policies as a filter: T26, T27)
      const noRead = !coversCommand(p, 'select') && acts.length ? ' (with a statement that reads no column; one that does, e.g. with a WHERE, also gets the table\'s SELECT policies as a filter)' : '';
      const does = parts.map((x, j) => (j === 0 ? x + noRead : x)).join(', and ');
      const clause = u && c && c !== u ? 'USING and WITH CHECK are' : u ? 'USING is' : 'WITH CHECK is';
      const signUp = roles.includes('authenticated') || roles.includes('public');
      const who =
        signUp && (model.supabase || onSupabasePlatform(model))
          ? 'On Supabase, anyone who signs up gets a session with the authenticated role and no such row, and passes'
          : `Any user or role that later gets ${roleList(roles)} without such a row passes too`;
      // (not where the clause also asks for a signed-in user, `auth.uid() IS NOT NULL AND NOT EXISTS (…)`:
      // marzoouq/waqf-wise's landing_page_settings, which a request without one does not pass)
      const clauseOf = u ? p.using! : (p.withCheck ?? p.using)!;
      const mode = u ? 'filter' : 'check';
      const refusesNoUser = requiresKeyIn(model, clauseOf, 'auth.uid') || neverTrueIn(model, clauseOf, 'auth.uid', 'no-user', { mode });
      const anon = (roles.includes('anon') || roles.includes('public')) && asksUid(hit.a.sub, hit.a.test, hit.a.via?.args) && !refusesNoUser ? ' A request without a signed-in user passes as well: auth.uid() is NULL there, and NULL matches no row.' : '';
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} (FOR ${p.command.toUpperCase()}, TO ${roleList(roles)}) admits callers by the absence of a row: its ${clause} true for every caller with no matching row in ${member}. ` +
          `PostgreSQL evaluates it as written, so every ${roleList(roles)} caller without such a row ${does}. ${who}.${anon} ` +
          `A missing row is not a role: mark the users meant here positively (a staff table, or a role claim) and test for membership with ${hit.a.via ? `a call of ${hit.a.via.f.name}(…) for the role meant, without NOT` : '\`EXISTS (…)\`'}, not its absence.`,
      });
    }
  },
});
