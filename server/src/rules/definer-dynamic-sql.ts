import { constValue, typeName } from '../analysis/ast.js';
import { nameParts, sval, tryParsePlpgsql, tryParseSql } from '../analysis/parse.js';
import type { Node, Span, Statement } from '../analysis/types.js';
import type { Model } from '../analysis/model.js';
import { defineRule } from './types.js';
import { DF_PLPGSQL_BODY, fileOf, functionLists, platformFunction } from './lib/util.js';
import { onSupabasePlatform } from '../analysis/policies.js';

// Taint analysis of the SQL strings a PL/pgSQL function runs dynamically (EXECUTE, RETURN QUERY
// EXECUTE, FOR … IN EXECUTE, OPEN … FOR EXECUTE). A string is unsafe when text that comes from
// a parameter (directly or through local variables) reaches it without quote_ident /
// quote_literal / quote_nullable or format's %I / %L.

/** Types whose text form cannot carry SQL: a value of them is safe to concatenate. */
const SAFE_TYPES = new Set([
  'integer', 'int', 'int2', 'int4', 'int8', 'bigint', 'smallint', 'numeric', 'decimal', 'real', 'double precision', 'float4', 'float8',
  'boolean', 'bool', 'uuid', 'date', 'timestamp', 'timestamptz', 'timestamp with time zone', 'timestamp without time zone', 'time',
  'timetz', 'interval', 'oid', 'regclass', 'regproc', 'regprocedure', 'regtype', 'regnamespace', 'regrole', 'regoper', 'regoperator',
  'inet', 'cidr', 'macaddr', 'money', 'serial', 'bigserial',
]);
const QUOTING = new Set(['quote_ident', 'quote_literal', 'quote_nullable']);

function safeType(t: string): boolean {
  return SAFE_TYPES.has(t.replace(/^pg_catalog\./, '').replace(/\(.*\)$/, '').trim().toLowerCase());
}

interface Dyn {
  query: string;
  kind: string;
  /** The assignment of the statement just before it in the same list (it alone reaches it). */
  prev?: { name: string; expr: string };
  /** the names a statement of the function's block before it keeps to a list of constants (guardOf) */
  guards: string[];
  /** the statement's node: Flow.at gives the assignments that reach it */
  at: Node;
}

/** variable name → the assignments (indexes of Flow.defs) that may have given it its value there */
type State = ReadonlyMap<string, ReadonlySet<number>>;

/**
 * Which `:=` assignments reach each assignment and each dynamic statement, statement by
 * statement: a later assignment of a variable in the same list replaces the earlier ones
 * (`filter_text := ''` before a loop that appends to it: what an earlier branch assigned it no
 * longer reaches), IF branches join, a loop's body is run again with what its end gives until
 * nothing changes. Other writes (SELECT … INTO, a loop's variable) replace nothing.
 */
interface Flow {
  defs: { name: string; expr: string; state: State }[];
  at: Map<Node, State>;
}

interface Analysis {
  dyns: Dyn[];
  /** variable name → assigned expression texts */
  assigns: Map<string, string[]>;
  /** declared variable name → type name */
  varTypes: Map<string, string>;
  /** a record variable of `FOR rec IN <query> LOOP` → the queries' texts */
  records: Map<string, string[]>;
  /** the variables something other than `:=` writes (SELECT … INTO, a loop, FETCH, GET DIAGNOSTICS): their values are not known */
  otherWrites: Set<string>;
  /** declared variable name → its DECLARE default's expression texts (they reach every use) */
  defaults: Map<string, string[]>;
  flow: Flow;
}

const DYNAMIC_KEYS: Record<string, string> = {
  PLpgSQL_stmt_dynexecute: 'query',
  PLpgSQL_stmt_return_query: 'dynquery',
  PLpgSQL_stmt_open: 'dynquery',
  PLpgSQL_stmt_dynfors: 'query',
};

function join(...states: State[]): State {
  const out = new Map<string, Set<number>>();
  for (const st of states) for (const [k, v] of st) out.set(k, new Set([...(out.get(k) ?? []), ...v]));
  return out;
}

function sameState(a: State, b: State): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.size !== v.size || [...v].some((x) => !w.has(x))) return false;
  }
  return true;
}

/** The statement lists nested in a statement's node (branches, bodies, handlers), not those of statements inside them. */
function stmtLists(n: Node, out: Node[][] = []): Node[][] {
  if (Array.isArray(n)) {
    if (n.length && n.every((x) => x && typeof x === 'object' && Object.keys(x).length === 1 && Object.keys(x)[0]!.startsWith('PLpgSQL_stmt_'))) out.push(n);
    else for (const x of n) stmtLists(x, out);
  } else if (n && typeof n === 'object') for (const v of Object.values(n)) stmtLists(v, out);
  return out;
}

function flowOf(action: Node, assignment: (v: Node) => { name: string; expr: string } | undefined, loopVar: (v: Node) => { name: string; expr: string } | undefined): Flow {
  const flow: Flow = { defs: [], at: new Map() };
  const ids = new Map<Node, number>();
  const list = (l: Node[], s: State): State => l.reduce((acc: State, st: Node) => step(st, acc), s);
  // (a loop, or what else may run its lists again: until what they give no longer grows)
  const again = (ls: Node[][], s: State): State => {
    let acc = s;
    for (let i = 0; i < 20; i++) {
      const next = join(acc, ...ls.map((l) => list(l, acc)));
      if (sameState(next, acc)) break;
      acc = next;
    }
    return acc;
  };
  const step = (st: Node, s: State): State => {
    const k = Object.keys(st ?? {})[0];
    const v = k ? st[k] : undefined;
    if (!k || !v || typeof v !== 'object') return s;
    // (an assignment, or a FOREACH … IN ARRAY, which assigns each element of its array to its variable before each pass)
    const foreach = k === 'PLpgSQL_stmt_foreach_a';
    if (k === 'PLpgSQL_stmt_assign' || foreach) {
      const as = foreach ? loopVar(v) : assignment(v);
      if (!as) return foreach ? again(stmtLists(v), s) : s;
      let id = ids.get(v);
      if (id === undefined) {
        id = flow.defs.push({ ...as, state: s }) - 1;
        ids.set(v, id);
      } else flow.defs[id]!.state = s; // (a later pass of a loop: what reaches it has grown)
      const assigned = new Map([...s, [as.name, new Set([id])]]);
      return foreach ? join(s, again([v.body ?? []], assigned)) : assigned;
    }
    if (DYNAMIC_KEYS[k] && v[DYNAMIC_KEYS[k]!]) flow.at.set(v, s);
    if (k === 'PLpgSQL_stmt_block') {
      const out = list(v.body ?? [], s);
      const handlers = stmtLists(v.exceptions);
      // (a handler runs after any statement of the body: from what reached the block or its end)
      return handlers.length ? join(out, ...handlers.map((l) => list(l, join(s, out)))) : out;
    }
    if (k === 'PLpgSQL_stmt_if') {
      // (each branch with its condition: a variable a condition matches against a safe regular
      // expression holds, in that branch, only what the expression admits: a constant to the taint)
      const arms: Array<{ cond: Node; body: Node[] }> = [{ cond: v.cond, body: v.then_body ?? [] }, ...(v.elsif_list ?? []).map((e: Node) => ({ cond: e?.PLpgSQL_if_elsif?.cond, body: e?.PLpgSQL_if_elsif?.stmts ?? [] }))];
      const branches = arms.map(({ cond, body }) => list(body, matched(cond, s)));
      return join(...(v.else_body?.length ? [list(v.else_body, s)] : [s]), ...branches);
    }
    const ls = stmtLists(v);
    return ls.length ? again(ls, s) : s;
  };
  // the variables a branch's condition keeps to a safe regular expression, each given a constant def (one per condition and variable)
  const guardDefs = new Map<Node, Map<string, number>>();
  const matched = (cond: Node, s: State): State => {
    const vars = regexGuarded(cond);
    if (!vars.length) return s;
    let mine = guardDefs.get(cond);
    if (!mine) guardDefs.set(cond, (mine = new Map()));
    const out = new Map(s);
    for (const name of vars) {
      let id = mine.get(name);
      if (id === undefined) mine.set(name, (id = flow.defs.push({ name, expr: "''", state: s }) - 1));
      out.set(name, new Set([id]));
    }
    return out;
  };
  step(action, new Map());
  return flow;
}

/**
 * The variables a PL/pgSQL condition requires to match a safe regular expression (`part ~
 * '^[A-Za-z_][A-Za-z0-9_]*\\.is\\.(true|false|null)$'`, alone or in an AND): in that branch
 * the variable holds only letters, digits, `_` and `.`, which end no literal or identifier and
 * start no comment (eiscore's eis_grid_summary builds `%s` from such a piece).
 */
function regexGuarded(cond: Node): string[] {
  const text = cond?.PLpgSQL_expr?.query;
  if (typeof text !== 'string' || !text.includes('~')) return [];
  const e = parseExpr(text);
  const out: string[] = [];
  const visit = (n: Node) => {
    const b = n?.BoolExpr;
    if (b?.boolop === 'AND_EXPR') return (b.args as Node[]).forEach(visit);
    const name = safeRegexTest(n?.A_Expr, /^~$/);
    if (name !== undefined) out.push(name);
  };
  if (e) visit(e);
  return out;
}

/** The variable an operator expression tests against a safe regular expression (`v ~ '^[a-z_]+$'`, the operator one `ops` takes), or undefined. */
function safeRegexTest(x: Node, ops: RegExp): string | undefined {
  if (x?.kind !== 'AEXPR_OP' || !ops.test(String(sval(x.name?.[x.name.length - 1])))) return undefined;
  const fields: Node[] = x.lexpr?.ColumnRef?.fields ?? [];
  const re = constValue(x.rexpr);
  return fields.length === 1 && typeof re === 'string' && safeRegex(re) ? sval(fields[0]) : undefined;
}

/**
 * Whether every string a regular expression matches holds only ASCII letters, digits, `_` and
 * `.`: anchored at both ends, made of such literal characters, escaped dots, classes of them
 * (ranges, not negated), \\d and \\w, groups, alternatives and quantifiers. Anything else (`.`,
 * `[^…]`, `\\s`, a quote, `-`, a space) is not judged safe.
 */
export function safeRegex(re: string): boolean {
  if (!re.startsWith('^') || !re.endsWith('$') || re.endsWith('\\$')) return false;
  const body = re.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (/[A-Za-z0-9_|()?*+]/.test(c)) {
      if (c === '(' && body[i + 1] === '?') {
        if (body[i + 2] !== ':') return false;
        i += 2;
      }
      continue;
    }
    if (c === '\\') {
      const n = body[++i];
      if (n === '.' || n === 'd' || n === 'w' || n === '_') continue;
      return false;
    }
    if (c === '{') {
      const m = /^\{\d+(,\d*)?\}/.exec(body.slice(i));
      if (!m) return false;
      i += m[0].length - 1;
      continue;
    }
    if (c === '[') {
      const close = body.indexOf(']', i + 1);
      if (close < 0) return false;
      const cls = body.slice(i + 1, close);
      if (!cls.length || cls[0] === '^' || !/^(?:[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9]|[A-Za-z0-9_.])+$/.test(cls.replace(/\\[.]/g, '.'))) return false;
      i = close;
      continue;
    }
    return false;
  }
  return true;
}

const cache = new WeakMap<Statement, Analysis | null>();

function analyse(text: string, stmt: Statement): Analysis | undefined {
  if (cache.has(stmt)) return cache.get(stmt) ?? undefined;
  let out: Analysis | null = null;
  try {
    const tree = tryParsePlpgsql(text);
    const fn = tree?.plpgsql_funcs?.[0]?.PLpgSQL_function;
    if (fn) {
      const datums: Node[] = fn.datums ?? [];
      const names = datums.map((d: Node) => (d.PLpgSQL_var ?? d.PLpgSQL_rec ?? d.PLpgSQL_row ?? {}).refname as string | undefined);
      const a: Analysis = { dyns: [], assigns: new Map(), varTypes: new Map(), records: new Map(), otherWrites: new Set(), defaults: new Map(), flow: { defs: [], at: new Map() } };
      // (a write target: a variable, a row's fields, a record, or a datum's number)
      const written = (t: Node): void => {
        if (typeof t === 'number') {
          if (names[t]) a.otherWrites.add(names[t]!);
          return;
        }
        const d = t?.PLpgSQL_var ?? t?.PLpgSQL_rec ?? t?.PLpgSQL_row;
        if (d?.refname) a.otherWrites.add(d.refname);
        if (typeof d?.dno === 'number' && names[d.dno]) a.otherWrites.add(names[d.dno]!);
        for (const f of d?.fields ?? []) if (typeof f?.name === 'string') a.otherWrites.add(f.name);
      };
      for (const d of datums) {
        const v = d.PLpgSQL_var;
        if (!v?.refname) continue;
        a.varTypes.set(v.refname, String(v.datatype?.PLpgSQL_type?.typname ?? ''));
        const def = v.default_val?.PLpgSQL_expr?.query;
        if (typeof def === 'string') {
          a.assigns.set(v.refname, [...(a.assigns.get(v.refname) ?? []), def]);
          a.defaults.set(v.refname, [...(a.defaults.get(v.refname) ?? []), def]);
        }
      }
      const q = (e: Node) => e?.PLpgSQL_expr?.query as string | undefined;
      /** `name := expr` of an assignment statement to a variable. */
      const assignment = (v: Node): { name: string; expr: string } | undefined => {
        const text = q(v?.expr);
        const name = names[v?.varno ?? 0]; // (libpg-query leaves out a varno of 0: the first datum, often the first argument)
        const m = text ? /^\s*[A-Za-z_][\w$]*\s*:?=\s*/.exec(text) : null;
        return name && m ? { name, expr: text!.slice(m[0].length) } : undefined;
      };
      /** The variable of `FOREACH v IN ARRAY expr` and the array it takes its elements from (what taints the array taints each element). */
      const loopVar = (v: Node): { name: string; expr: string } | undefined => {
        const name = names[v?.varno ?? 0];
        const text = q(v?.expr);
        return name && text ? { name, expr: text } : undefined;
      };
      // Statements of a list run in order: an assignment right before a dynamic statement is
      // the only one that reaches it (whatever loop the list is in).
      // (the function's block; with an EXCEPTION clause, libpg-query wraps it in a block of no line)
      const outer = fn.action?.PLpgSQL_stmt_block;
      const top: Node[] | undefined = ((outer?.lineno === undefined && outer?.body?.[0]?.PLpgSQL_stmt_block) || outer)?.body;
      let guards: string[] = [];
      const visit = (n: Node, before?: Node) => {
        if (Array.isArray(n) && n === top) {
          // (a guard of the function's block protects the statements after it there, not its exception handlers)
          n.forEach((x, i) => {
            visit(x, n[i - 1]);
            const g = guardOf(x);
            if (g) guards = [...guards, g];
          });
          guards = [];
          return;
        }
        if (Array.isArray(n)) return n.forEach((x, i) => visit(x, n[i - 1]));
        if (!n || typeof n !== 'object') return;
        const prev = before?.PLpgSQL_stmt_assign ? assignment(before.PLpgSQL_stmt_assign) : undefined;
        for (const k of Object.keys(n)) {
          const v = n[k];
          if (k === 'PLpgSQL_stmt_dynexecute' && q(v?.query)) a.dyns.push({ query: q(v.query)!, kind: 'EXECUTE', prev, guards, at: v });
          if (k === 'PLpgSQL_stmt_return_query' && q(v?.dynquery)) a.dyns.push({ query: q(v.dynquery)!, kind: 'RETURN QUERY EXECUTE', prev, guards, at: v });
          if (k === 'PLpgSQL_stmt_open' && q(v?.dynquery)) a.dyns.push({ query: q(v.dynquery)!, kind: 'OPEN … FOR EXECUTE', prev, guards, at: v });
          if (k === 'PLpgSQL_stmt_dynfors' && q(v?.query)) a.dyns.push({ query: q(v.query)!, kind: 'FOR … IN EXECUTE', prev, guards, at: v });
          if (k === 'PLpgSQL_stmt_fors' && q(v?.query)) {
            const rec = names[v.var?.PLpgSQL_rec?.dno ?? v.var?.PLpgSQL_row?.dno ?? -1] ?? v.var?.PLpgSQL_rec?.refname;
            if (typeof rec === 'string') a.records.set(rec, [...(a.records.get(rec) ?? []), q(v.query)!]);
          }
          if (k === 'PLpgSQL_stmt_assign' || k === 'PLpgSQL_stmt_foreach_a') {
            const as = k === 'PLpgSQL_stmt_assign' ? assignment(v) : loopVar(v);
            if (as) a.assigns.set(as.name, [...(a.assigns.get(as.name) ?? []), as.expr]);
          }
          if (k !== 'PLpgSQL_stmt_assign' && k.startsWith('PLpgSQL_stmt_') && v && typeof v === 'object') {
            if (v.target !== undefined) written(v.target);
            if (v.var !== undefined) written(v.var);
            for (const d of v.diag_items ?? []) written(d?.PLpgSQL_diag_item?.target);
          }
          visit(v);
        }
      };
      visit(fn.action);
      a.flow = flowOf(fn.action, assignment, loopVar);
      out = a;
    }
  } catch {
    out = null;
  }
  cache.set(stmt, out);
  return out ?? undefined;
}

/**
 * `IF p NOT IN ('asc', 'desc') THEN RAISE EXCEPTION …; END IF;` (or RETURN): the name it keeps to
 * those constants in the statements after it (hivecom's list_storage_objects sort order); or, with
 * `IF p !~ '<safe regular expression>'` (safeRegex), to letters, digits, `_` and dots.
 */
function guardOf(s: Node): string | undefined {
  const i = s?.PLpgSQL_stmt_if;
  if (!i || i.elsif_list?.length || i.else_body?.length || !i.then_body?.length) return undefined;
  if (!i.then_body.every((t: Node) => t?.PLpgSQL_stmt_raise?.elog_level === 21 || t?.PLpgSQL_stmt_return)) return undefined;
  const cond = typeof i.cond?.PLpgSQL_expr?.query === 'string' ? parseExpr(i.cond.PLpgSQL_expr.query) : undefined;
  // (or `IF p !~ '^[a-z_]+$' THEN RAISE …`, `IF NOT p ~ …`: p matches a safe regular expression after it, or is NULL)
  const negated = cond?.BoolExpr?.boolop === 'NOT_EXPR' && cond.BoolExpr.args?.length === 1 ? cond.BoolExpr.args[0]?.A_Expr : undefined;
  const tested = negated ? safeRegexTest(negated, /^~\*?$/) : safeRegexTest(cond?.A_Expr, /^!~\*?$/);
  if (tested !== undefined) return tested;
  const e = cond?.A_Expr;
  if (e?.kind !== 'AEXPR_IN' || sval(e.name?.[0]) !== '<>') return undefined;
  const fields: Node[] = e.lexpr?.ColumnRef?.fields ?? [];
  const list: Node[] = e.rexpr?.List?.items ?? [];
  if (fields.length !== 1 || list.length === 0 || !list.every((x) => x?.A_Const && !x.A_Const.isnull)) return undefined;
  return sval(fields[0]);
}

/** The operators that take a member out of a json value. */
const JSON_OPS = new Set(['->', '->>', '#>', '#>>']);

function parseSelect(query: string): Node | undefined {
  return tryParseSql(query)?.stmts?.[0]?.stmt?.SelectStmt;
}

function parseExpr(expr: string): Node | undefined {
  return tryParseSql(`SELECT ${expr}`)?.stmts?.[0]?.stmt?.SelectStmt?.targetList?.[0]?.ResTarget?.val;
}

interface Ctx {
  params: Map<string, string>;
  positional: string[];
  a: Analysis;
  /** variables being resolved (cycles) */
  active: Set<string>;
  /** the one assignment that reaches the dynamic statement for this variable (its own expression only) */
  reaching?: { name: string; expr: string };
  /** the assignments that reach the expression, by variable (Flow); without it, every assignment of a variable may */
  state?: State;
  /** the workspace's function of a call's name and argument count (its signature), if it makes one */
  own: (parts: string[], argc: number) => string | undefined;
  /** the workspace's functions a tainted value passed through (they may strip quotes: the message says so) */
  through: Set<string>;
  /** the type of a column of the workspace's table whose row type `type` is, if known */
  fieldType: (type: string, column: string) => string | undefined;
  /** the arguments a guard before the dynamic statement keeps to constants (Dyn.guards) */
  guarded?: ReadonlySet<string>;
  /** the node is the whole string EXECUTE runs (not a part of it): a format() there knows which of its %s stand inside a literal */
  top?: boolean;
  /**
   * Whether a column of the row a trigger function gets (`old`, `new`) holds no quote or
   * backslash on every table it is a trigger on: a CHECK of its CREATE TABLE (`col ~
   * '^[a-zA-Z0-9_-]+$'`) keeps them out (of OLD, and of NEW after the row is written).
   */
  rowQuoteFree?: (row: 'old' | 'new', column: string) => boolean;
}

/**
 * Whether the value of `n` can hold no quote and no backslash: constants without them, a
 * value of a type whose text cannot carry SQL, a variable every write of which is such a value,
 * a column a CHECK keeps them out of, and concatenations of those. Inside a literal of the SQL
 * (`'rm -rf %s'`) such a value cannot end the literal.
 */
function quoteFree(n: Node, c: Ctx): boolean {
  if (!n || typeof n !== 'object') return false;
  if (n.A_Const) {
    const v = constValue(n);
    return typeof v !== 'string' || !/['\\]/.test(v);
  }
  if (n.TypeCast) return safeType(typeName(n.TypeCast.typeName)) || quoteFree(n.TypeCast.arg, c);
  if (n.A_Expr) return (nameParts(n.A_Expr.name).pop() ?? '') === '||' && quoteFree(n.A_Expr.lexpr, c) && quoteFree(n.A_Expr.rexpr, c);
  if (!n.ColumnRef) return false;
  const fields = (n.ColumnRef.fields ?? []).map((f: Node) => sval(f) ?? '*');
  if (fields.length === 2 && /^(new|old)$/i.test(fields[0]!)) return !!c.rowQuoteFree?.(fields[0]!.toLowerCase() as 'old' | 'new', fields[1]!);
  if (fields.length !== 1) return false;
  const name = fields[0]!;
  const p = c.params.get(name);
  if (p !== undefined) return safeType(p);
  const vt = c.a.varTypes.get(name);
  if (vt === undefined) return false;
  if (safeType(vt)) return true;
  if (c.a.otherWrites.has(name)) return false;
  // (a variable in its own assignment, s := s || …: what it held before, which the other writes decide)
  if (c.active.has(name)) return true;
  c.active.add(name);
  const ok = (c.a.assigns.get(name) ?? []).every((e) => {
    const node = parseExpr(e);
    return !!node && quoteFree(node, c);
  });
  c.active.delete(name);
  return ok;
}

/** The parameter or variable names whose unquoted text reaches the string (empty: safe). */
function taint(n: Node, c: Ctx): string[] {
  if (!n || typeof n !== 'object') return [];
  const top = c.top === true;
  if (top) c = { ...c, top: false };
  if (Array.isArray(n)) return n.flatMap((x) => taint(x, c));
  if (n.A_Const) return [];
  if (n.ParamRef) {
    const i = (n.ParamRef.number ?? 0) - 1;
    const t = c.positional[i];
    return t !== undefined && safeType(t) ? [] : [`$${i + 1}`];
  }
  if (n.ColumnRef) {
    const fields = (n.ColumnRef.fields ?? []).map((f: Node) => sval(f) ?? '*');
    const name = fields.join('.');
    if (fields.length === 1) {
      const p = c.params.get(fields[0]);
      // (an argument a guard keeps to constants, and the body never assigns)
      if (p !== undefined) return safeType(p) || (c.guarded?.has(fields[0]) && !c.a.assigns.has(fields[0])) ? [] : [fields[0]];
      const vt = c.a.varTypes.get(fields[0]);
      if (vt !== undefined) {
        if (safeType(vt)) return [];
        if (c.state) {
          // the assignments that reach it, each read with what reached that assignment, and its DECLARE default
          const t = (c.a.defaults.get(fields[0]) ?? []).flatMap((e) => {
            const node = parseExpr(e);
            return node ? taint(node, { ...c, reaching: undefined, state: undefined }) : [];
          });
          for (const id of c.state.get(fields[0]) ?? []) {
            const key = `#${id}`; // (a loop's s := s || …: the assignment in its own value, once)
            if (c.active.has(key)) continue;
            c.active.add(key);
            const d = c.a.flow.defs[id]!;
            const node = parseExpr(d.expr);
            if (node) t.push(...taint(node, { ...c, reaching: undefined, state: d.state }));
            c.active.delete(key);
          }
          return [...new Set(t)];
        }
        // the variables an assigned expression reads hold what they held at that assignment
        const inner: Ctx = { ...c, reaching: undefined };
        if (c.reaching && c.reaching.name === fields[0]) {
          // the one reaching assignment; the variable itself in it (s := s || …) is its earlier value
          const node = parseExpr(c.reaching.expr);
          return node ? [...new Set(taint(node, inner))] : [];
        }
        const assigned = c.a.assigns.get(fields[0]) ?? [];
        if (c.active.has(fields[0])) return [];
        c.active.add(fields[0]);
        const t = assigned.flatMap((e) => {
          const node = parseExpr(e);
          return node ? taint(node, inner) : [];
        });
        c.active.delete(fields[0]);
        return t.length ? [...new Set(t)] : [];
      }
      return [];
    }
    // a field of an argument of a row or json type (`job.column_type`, statbus' import_job_generate):
    // the caller's text, unless the workspace's table of that type says the column's type is safe
    const p = c.params.get(fields[0]);
    if (p !== undefined) {
      if (safeType(p)) return [];
      const ft = c.fieldType(p, fields[1]!);
      return ft !== undefined && safeType(ft) ? [] : [fields[0]];
    }
    // a field of a loop's record: what its query takes from the arguments (`FOR col IN SELECT * FROM jsonb_to_recordset(job.snapshot) …`)
    const queries = c.a.records.get(fields[0]);
    if (queries && !c.active.has(fields[0])) {
      c.active.add(fields[0]);
      const t = queries.flatMap((query) => {
        const sel = parseSelect(query);
        return sel ? taint([sel.targetList, sel.fromClause], { ...c, reaching: undefined, state: undefined }) : [];
      });
      c.active.delete(fields[0]);
      if (t.length) return [...new Set(t)];
    }
    // NEW.col / OLD.col / rec.field: row data
    return /^(new|old)\./i.test(name) ? [name] : [];
  }
  if (n.TypeCast) {
    const t = typeName(n.TypeCast.typeName);
    return safeType(t) ? [] : taint(n.TypeCast.arg, c);
  }
  if (n.FuncCall) {
    const fname = (nameParts(n.FuncCall.funcname).pop() ?? '').toLowerCase();
    const args: Node[] = n.FuncCall.args ?? [];
    if (QUOTING.has(fname)) return [];
    if (fname === 'format' && args.length) {
      const fmt = constValue(args[0]);
      if (typeof fmt !== 'string') return taint(args[0], c);
      const out: string[] = [];
      let next = 1;
      const inner = c;
      for (const m of fmt.matchAll(/%(?:(\d+)\$)?-?(\*(?:\d+\$)?|\d+)?([sIL%])/g)) {
        if (m[3] === '%') continue;
        if (m[2]?.startsWith('*')) next++;
        const idx = m[1] ? Number(m[1]) : next;
        next = idx + 1;
        if (m[3] !== 's' || !args[idx]) continue;
        // (the whole statement's text before it opens a literal it does not close — an odd number of
        // quotes, no backslash that an E'' string would read — and the value holds no quote: it stays in the literal)
        const before = fmt.slice(0, m.index);
        if (top && !before.includes('\\') && (before.match(/'/g)?.length ?? 0) % 2 === 1 && quoteFree(args[idx], { ...inner, active: new Set() })) continue;
        out.push(...taint(args[idx], inner));
      }
      return out;
    }
    const t = taint(args, c);
    // (a function of the workspace may clean its argument, e.g. a slugify keeping [a-z0-9-]: not assumed either way)
    const own = t.length ? c.own(nameParts(n.FuncCall.funcname), args.length) : undefined;
    if (own) c.through.add(own);
    return t;
  }
  if (n.SubLink) return [];
  if (n.A_Expr) {
    const op = (nameParts(n.A_Expr.name).pop() ?? '').toString();
    if (op === '||') return [...taint(n.A_Expr.lexpr, c), ...taint(n.A_Expr.rexpr, c)];
    // (a json argument's member as text or json: `s ->> 'type'`, `s #>> '{a,b}'`)
    return JSON_OPS.has(op) ? taint(n.A_Expr.lexpr, c) : [];
  }
  if (n.BoolExpr || n.NullTest || n.BooleanTest) return [];
  // (CASE: what its results hold; the value it tests and its WHEN conditions do not reach the string)
  if (n.CaseExpr) return [...(n.CaseExpr.args ?? []).flatMap((w: Node) => taint(w?.CaseWhen?.result, c)), ...taint(n.CaseExpr.defresult, c)];
  // CASE, COALESCE, GREATEST, …: any branch
  return Object.values(n).flatMap((v) => (v && typeof v === 'object' ? taint(v, c) : []));
}

/**
 * Whether column `column` of the rows trigger function `func` gets holds no quote or backslash
 * on every table it is a trigger on (rowQuoteFree of Ctx): of a type whose text cannot carry
 * SQL, or kept to quote-free characters by a CHECK of the table's CREATE TABLE that nothing
 * drops (`CHECK (username ~ '^[a-zA-Z0-9_-]+$')`, alone or ANDed, not NOT VALID). A CHECK
 * holds for the rows stored (OLD); a BEFORE trigger sees NEW before PostgreSQL checks it.
 */
function rowQuoteFree(model: Model, func: string, row: 'old' | 'new', column: string): boolean {
  const tables = [...model.tables.values()].filter((t) => t.triggers.some((tr) => tr.func === func));
  if (tables.length === 0) return false;
  return tables.every((t) => {
    if (t.columnTypes?.has(column)) return false; // (altered since: not read)
    const elts: Node[] = t.stmt.node?.tableElts ?? [];
    const col = elts.find((e) => e?.ColumnDef?.colname === column)?.ColumnDef;
    if (!col) return false;
    if (safeType(typeName(col.typeName))) return true;
    if (row === 'new' && t.triggers.some((tr) => tr.func === func && tr.before)) return false;
    const checks = [...(col.constraints ?? []), ...elts.filter((e) => e?.Constraint)].map((e: Node) => e?.Constraint).filter((k: Node) => k?.contype === 'CONSTR_CHECK' && !k.skip_validation);
    const { dropped, named } = constraintNames(model, t.name, elts);
    // (a CHECK is gone once a DROP CONSTRAINT names it; one PostgreSQL named itself, once a DROP names a constraint no statement named)
    const kept = (k: Node) => (k.conname ? !dropped.has(k.conname) : [...dropped].every((d) => named.has(d)));
    return checks.some((k: Node) => kept(k) && conjuncts(k.raw_expr).some((e) => quoteFreeMatch(e, column)));
  });
}

/** The constraints the workspace's ALTER TABLEs of a table of that name drop, and those its statements name (CONSTRAINT x, ADD CONSTRAINT x). */
function constraintNames(model: Model, table: string, elts: Node[]): { dropped: Set<string>; named: Set<string> } {
  const dropped = new Set<string>();
  const named = new Set<string>();
  for (const e of elts) {
    for (const k of [e?.Constraint, ...(e?.ColumnDef?.constraints ?? []).map((c: Node) => c?.Constraint)]) if (k?.conname) named.add(k.conname);
  }
  for (const f of model.files) {
    for (const s of f.statements) {
      if (s.kind !== 'AlterTableStmt' || s.node?.relation?.relname !== table) continue;
      for (const c of s.node?.cmds ?? []) {
        const cmd = c?.AlterTableCmd;
        if (cmd?.subtype === 'AT_DropConstraint' && cmd.name) dropped.add(cmd.name);
        if (cmd?.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.conname) named.add(cmd.def.Constraint.conname);
      }
    }
  }
  return { dropped, named };
}

function conjuncts(e: Node): Node[] {
  return e?.BoolExpr?.boolop === 'AND_EXPR' ? (e.BoolExpr.args ?? []).flatMap(conjuncts) : [e];
}

/** `column ~ '^[a-zA-Z0-9_-]+$'`: a whole-value match of one bracket expression of no quote or backslash (ranges a-z, A-Z, 0-9 only). */
function quoteFreeMatch(e: Node, column: string): boolean {
  const x = e?.A_Expr;
  if (!x || sval(x.name?.[0]) !== '~') return false;
  const f = x.lexpr?.ColumnRef?.fields ?? [];
  if (f.length !== 1 || sval(f[0]) !== column) return false;
  const re = constValue(x.rexpr);
  const m = typeof re === 'string' ? /^\^\[([^\]]+)\](?:\+|\*|\{\d+(?:,\d*)?\})\$$/.exec(re) : null;
  if (!m || m[1]!.startsWith('^')) return false;
  const rest = m[1]!.replace(/a-z|A-Z|0-9/g, '');
  return !/[-'\\[:]/.test(rest.replace(/^-|-$/g, ''));
}

/**
 * Where the query text of a dynamic EXECUTE stands in the body, from `from` on: right after an
 * EXECUTE keyword (`EXECUTE sql`, not the `sql` of an earlier IF or declaration), else its first
 * occurrence; -1 if absent.
 */
function executedAt(body: string, query: string, from: number): number {
  const re = /\bEXECUTE\s+/gi;
  re.lastIndex = from;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const at = m.index + m[0].length;
    if (body.startsWith(query, at)) return at;
  }
  return body.indexOf(query, from);
}

/** A piece of the text a dynamic statement runs: constant text, an argument's text, or something else. */
type Piece = { text: string } | { param: string } | { other: true };

/**
 * The pieces of a dynamic query's expression, in order: `||` chains, format() with a constant
 * format of %s (and %%) only, text arguments (cast to text or not), and a local variable written
 * once (one `:=`, no DECLARE default, nothing else writing it) read through its assignment.
 */
function pieces(n: Node, c: Ctx, depth = 0): Piece[] {
  if (!n || typeof n !== 'object' || depth > 8) return [{ other: true }];
  if (n.A_Const) {
    const v = constValue(n);
    return typeof v === 'string' ? [{ text: v }] : [{ other: true }];
  }
  if (n.TypeCast) return /^(?:text|varchar|character varying)$/i.test(typeName(n.TypeCast.typeName)) ? pieces(n.TypeCast.arg, c, depth + 1) : [{ other: true }];
  if (n.A_Expr && (nameParts(n.A_Expr.name).pop() ?? '') === '||') return [...pieces(n.A_Expr.lexpr, c, depth + 1), ...pieces(n.A_Expr.rexpr, c, depth + 1)];
  if (n.FuncCall && (nameParts(n.FuncCall.funcname).pop() ?? '').toLowerCase() === 'format') {
    const args: Node[] = n.FuncCall.args ?? [];
    const fmt = constValue(args[0]);
    if (typeof fmt !== 'string' || /%(?!%|s)/.test(fmt.replace(/%%/g, ''))) return [{ other: true }];
    const out: Piece[] = [];
    let i = 1;
    fmt.split(/(%%|%s)/).forEach((part) => {
      if (part === '%s') out.push(...pieces(args[i++], c, depth + 1));
      else if (part) out.push({ text: part === '%%' ? '%' : part });
    });
    return out;
  }
  const fields: Node[] = n.ColumnRef?.fields ?? [];
  if (fields.length === 1) {
    const name = sval(fields[0]);
    if (name === undefined) return [{ other: true }];
    const p = c.params.get(name);
    if (p !== undefined) return safeType(p) || c.a.assigns.has(name) ? [{ other: true }] : [{ param: name }];
    const assigned = c.a.assigns.get(name);
    if (assigned?.length === 1 && !c.a.otherWrites.has(name) && !c.a.defaults.has(name)) {
      const node = parseExpr(assigned[0]!);
      if (node) return pieces(node, c, depth + 1);
    }
  }
  return [{ other: true }];
}

/**
 * The text argument a dynamic statement runs as a query of its own: the whole statement, or a
 * query inside the one it builds (`'SELECT jsonb_agg(t) FROM (' || query_text || ') t'`). Where
 * the argument stands, `SELECT 1` makes the text parse and a name or a number does not: it is
 * there as SQL, not as a value or a name quoting could make of it (an exec_sql RPC).
 */
function queryArgument(n: Node, c: Ctx): string | undefined {
  const ps = pieces(n, c);
  const params = [...new Set(ps.flatMap((x) => ('param' in x ? [x.param] : [])))];
  const parses = (param: string, as: string) => tryParseSql(ps.map((x) => ('text' in x ? x.text : 'param' in x && x.param === param ? as : '1')).join('')) !== undefined;
  return params.find((p) => parses(p, 'SELECT 1') && !parses(p, 'x') && !parses(p, '1'));
}

export const definerDynamicSql = defineRule({
  meta: {
    id: 'definer-dynamic-sql',
    description: 'A SECURITY DEFINER function EXECUTEs a string built from its arguments without quote_ident/quote_literal or format(%I/%L).',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "Text concatenated into a dynamic query is parsed as SQL: a caller can inject SQL that runs with the definer function's owner's privileges.",
    sources: ['pgspot PS001 (unsafe dynamic SQL)', 'CWE-89'],
    shownBy: { exposure: 'injection' },
  },
  check({ model, report }) {
    const { definers, definerFacts } = functionLists(model);
    for (let i = 0; i < definers.length; i++) {
      if (!(definerFacts[i]! & DF_PLPGSQL_BODY)) continue; // (the definer is not read)
      const f = definers[i]!;
      if (!f.securityDefiner || f.language !== 'plpgsql' || !f.body || platformFunction(model, f)) continue;
      const file = fileOf(model, f.created.file);
      if (!file) continue;
      const bodyText = file.text.slice(f.body.start, f.body.end);
      if (!/\bEXECUTE\b/i.test(bodyText)) continue;
      const a = analyse(file.text.slice(f.stmt.start, f.stmt.end), f.stmt);
      if (!a) continue;
      const own = (parts: string[], argc: number) => {
        const g = model.findFunction(parts, argc);
        return g && g.argTypes.length === argc ? `${g.schema}.${g.name}()` : undefined;
      };
      const fieldType = (type: string, column: string) => {
        const t = model.tables.get(type.includes('.') ? type.toLowerCase() : `public.${type.toLowerCase()}`);
        for (const e of t?.stmt.node?.tableElts ?? []) if (e?.ColumnDef?.colname === column) return typeName(e.ColumnDef.typeName);
        return undefined;
      };
      const ctx: Ctx = { params: new Map(), positional: [], a, active: new Set(), own, through: new Set(), fieldType, rowQuoteFree: (row, column) => rowQuoteFree(model, `${f.schema}.${f.name}`, row, column) };
      for (const p of f.stmt.node.parameters ?? []) {
        const fp = p.FunctionParameter;
        if (!fp || fp.mode === 'FUNC_PARAM_OUT' || fp.mode === 'FUNC_PARAM_TABLE') continue;
        const t = typeName(fp.argType);
        ctx.positional.push(t);
        if (fp.name) ctx.params.set(fp.name, t);
      }
      let cursor = 0;
      for (const d of a.dyns) {
        const k = executedAt(bodyText, d.query, cursor);
        const span: Span = k >= 0 ? { start: f.body.start + k, end: f.body.start + k + d.query.length } : { start: f.nameLoc.start, end: f.nameLoc.end };
        if (k >= 0) cursor = k + d.query.length;
        const node = parseExpr(d.query);
        if (!node) continue;
        const through = new Set<string>();
        const sources = [...new Set(taint(node, { ...ctx, reaching: d.prev, state: a.flow.at.get(d.at), through, guarded: new Set(d.guards), top: true }))];
        if (sources.length === 0) continue;
        const via = [...through];
        const unless = via.length ? `, unless ${via.join(' or ')} removes quotes and everything else that can end a literal or an identifier (it is not assumed either way)` : '';
        const list = sources.map((s) => (ctx.params.has(s) || s.startsWith('$') ? `argument ${s}` : s)).join(', ');
        const direct = sources.length === 1 && ctx.params.has(sources[0]!) && sval(node.ColumnRef?.fields?.[0]) === sources[0] && node.ColumnRef.fields.length === 1;
        const query = queryArgument(node, ctx);
        if (query !== undefined && sources.includes(query)) {
          // (the caller's text is the query: quoting has nothing to do there; the function runs any query as its owner)
          const supabase = model.supabase || onSupabasePlatform(model);
          report({
            file: f.created.file,
            start: span.start,
            end: span.end,
            message:
              `SECURITY DEFINER function ${f.signature} runs ${d.kind} on its argument ${query} as a query${direct ? '' : ' (inside the statement it builds around it)'}: ` +
              `whoever can call it runs any query of their choosing with the owner's rights — it reads every row of any table the owner can read, which the table's policies do not limit for a table's owner (unless FORCE'd) or a role that bypasses RLS${supabase ? ' (on Supabase, postgres)' : ''}` +
              (d.kind === 'EXECUTE'
                ? ", and a check of the text's first word (SELECT) does not make it read-only: EXECUTE runs each statement of a string that holds several (`…; DELETE FROM …; …`). "
                : '. ') +
              `Quoting cannot help where the argument is meant to be SQL. Make it SECURITY INVOKER, so the query runs with the caller's rights and the policies apply, or keep it from the API roles (REVOKE EXECUTE ON FUNCTION ${f.signature} FROM PUBLIC${supabase ? ', anon, authenticated' : ''}) and grant EXECUTE only to a role trusted with any query${supabase ? ' (e.g. service_role)' : ''}.`,
          });
          continue;
        }
        report({
          file: f.created.file,
          start: span.start,
          end: span.end,
          message:
            `SECURITY DEFINER function ${f.signature} runs ${d.kind} on ${direct ? `its argument ${sources[0]} as SQL` : `a string built from ${list}${via.length ? `, passed through ${via.join(', ')},` : ''} without quoting`}: ` +
            `PostgreSQL parses that text as SQL, so a caller can inject SQL that runs with the function owner's privileges and reads or changes data the caller cannot${unless}. ` +
            "Build the string with format() using %I for identifiers and %L for values (or quote_ident()/quote_literal()), and pass values with EXECUTE … USING where you can.",
        });
      }
    }
  },
});
