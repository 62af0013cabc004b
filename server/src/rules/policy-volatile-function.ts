// policy-volatile-function: a policy's USING calls, outside any sub-select and with arguments that
// name no column, a workspace function that is VOLATILE (declared so, or by default: CREATE
// FUNCTION names no volatility) though its body only reads.
//
// PostgreSQL evaluates a VOLATILE call again for every row a scan filters and never makes a
// condition on one an index condition (its value may change from row to row): `tenant_id =
// current_tenant()` is a sequential scan calling the function once per row even with an index on
// tenant_id (PGlite, 100,000 rows: 100,000 calls, ≈ 130 ms; declared STABLE, a bitmap index scan,
// ≈ 1.4 ms; wrapped, `(select current_tenant())`, an InitPlan evaluated once that the index scan
// uses). policy-per-row-function leaves VOLATILE calls alone (evaluating a function that changes
// something once instead of per row could change results); this rule takes those whose body
// changes nothing: only SELECTs (PL/pgSQL's expressions, assignments and conditions are), no
// dynamic SQL, no FOR UPDATE, no data-modifying statement, and calls only of functions that do not
// change anything either (pg_catalog's without a VOLATILE overload, Supabase's auth.uid() & co.,
// the workspace's STABLE or IMMUTABLE functions, or VOLATILE ones that only read in turn).
// A LANGUAGE sql function PostgreSQL may inline (one SELECT of one expression, no FROM, no
// sub-select, not SECURITY DEFINER, no SET clause) is not reported: its body replaces the call
// and is as volatile as what it calls (PGlite: `select current_setting('app.tenant')::int`
// declared VOLATILE gives an index scan).
import type { Func, Model } from '../analysis/model.js';
import { callSpan, callsIn } from '../analysis/ast.js';
import { walk } from '../analysis/parse.js';
import { PG_CATALOG_FUNCTIONS, PG_CATALOG_VOLATILE } from '../analysis/pg-catalog-functions.js';
import { activeRowsWith, FLAG_CALL_OUTSIDE_SELECT, memoModel, resolveCall, rowIndependentValue, selectSubLinkWouldRecurse, textOfFile } from '../analysis/policy-exprs.js';
import { usingFoldedAway } from '../analysis/policies.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { bareValue, insertAfter, latestInReplay, where } from './lib/util.js';
import { writtenBefore } from '../analysis/columns.js';
import { functionKeys, policyCallNames } from '../analysis/recursion.js';

/** Supabase's request functions (STABLE), made by the platform, not by the migrations. */
const SUPABASE_AUTH = new Set(['uid', 'jwt', 'role', 'email']);

/** Statement kinds that change something, anywhere in a body's statement (a data-modifying WITH). */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * Whether `f`'s body only reads: each of its statements a SELECT without FOR UPDATE/SHARE or a
 * data-modifying WITH, no dynamic SQL, and each call one of a function that changes nothing
 * either. Unknown calls (an extension's function the workspace does not make) count as changing.
 */
function onlyReads(model: Model, f: Func, seen: Set<Func>): boolean {
  if (seen.has(f)) return true; // (a cycle: judged by the rest)
  seen.add(f);
  const body = f.body;
  if (!body || body.errors.length || body.lexical || body.dynamicExecutes.length || f.writes.size || f.truncates.size) return false;
  if (f.language !== 'plpgsql' && f.language !== 'sql') return false;
  for (const s of body.statements) {
    if (s.kind !== 'SelectStmt' || !s.node) return false;
    let changes = false;
    walk(s.node, (k, v) => {
      if (changes) return false;
      if (WRITES.has(k) || (k === 'lockingClause' && Array.isArray(v) && v.length)) changes = true;
      return undefined;
    });
    if (changes) return false;
    for (const c of callsIn(s.node)) if (!callReads(model, c.name, c.args.length, seen)) return false;
  }
  return true;
}

/** Whether a call (name parts as written) in a body changes nothing: see onlyReads. */
function callReads(model: Model, parts: string[], argc: number, seen: Set<Func>): boolean {
  const g = model.findFunction(parts, argc);
  if (g) return g.volatility !== 'volatile' || (!g.isProcedure && onlyReads(model, g, seen));
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts[parts.length - 2]!.toLowerCase() : undefined;
  if (schema === 'auth') return SUPABASE_AUTH.has(name.toLowerCase());
  if (schema !== undefined && schema !== 'pg_catalog') return false;
  return PG_CATALOG_FUNCTIONS.has(name) && !PG_CATALOG_VOLATILE.has(name);
}

/**
 * Whether PostgreSQL may inline a LANGUAGE sql function's call (inline_function): not SECURITY
 * DEFINER, no SET clause, a body of one SELECT of one expression with no FROM, WHERE, grouping,
 * set operation, WITH, LIMIT or sub-select. In doubt, true.
 */
function mayBeInlined(f: Func): boolean {
  if (f.language !== 'sql') return false;
  if (f.securityDefiner || f.settings.length) return false;
  const stmts = f.body?.statements ?? [];
  if (stmts.length !== 1) return stmts.length === 0;
  const sel = stmts[0]!.node?.SelectStmt ?? stmts[0]!.node;
  if (!sel || stmts[0]!.kind !== 'SelectStmt') return false;
  if (sel.fromClause || sel.whereClause || sel.groupClause || sel.havingClause || sel.withClause || sel.limitCount || sel.limitOffset || sel.valuesLists || (sel.op && sel.op !== 'SETOP_NONE')) return false;
  if ((sel.targetList ?? []).length !== 1) return false;
  let sub = false;
  walk(sel.targetList, (k) => {
    if (k === 'SubLink') sub = true;
    return sub ? false : undefined;
  });
  return !sub;
}

/**
 * The VOLATILE workspace functions active policies call by name (policyCallNames, shared with the
 * recursion rules) that only read and are not inlined, by lower-case name (once per model: only
 * the few functions policies call are looked at, not each of the workspace's).
 */
function readingVolatiles(model: Model): Map<string, Func[]> {
  return memoModel(model, 'policy-volatile-function:candidates', (m) => {
    const out = new Map<string, Func[]>();
    const called = policyCallNames(m);
    if (called.size === 0) return out;
    let schemas: readonly string[] | undefined;
    const seen = new Set<Func>();
    const consider = (list: readonly Func[] | undefined) => {
      if (!list) return;
      for (const f of list) {
        if (seen.has(f)) continue;
        seen.add(f);
        if (f.volatility !== 'volatile' || f.returnsTrigger || f.isProcedure || f.returnType.startsWith('setof')) continue;
        if (mayBeInlined(f) || !onlyReads(m, f, new Set())) continue;
        const k = f.name.toLowerCase();
        const l = out.get(k);
        if (l) l.push(f);
        else out.set(k, [f]);
      }
    };
    for (const n of called) {
      consider(m.functions.get(n));
      if (n.includes('.')) continue;
      // (a bare name: the function of that name in any schema, as the search_path may find it)
      for (const s of (schemas ??= functionKeys(m).schemas)) consider(m.functions.get(`${s}.${n}`));
    }
    return out;
  });
}

/**
 * Whether `f`'s body, or a workspace function it calls, reads a table or view. A VOLATILE call
 * takes a fresh snapshot for each query it runs, so per row it sees what the calling statement
 * wrote to the rows before (PGlite: `UPDATE c SET flag = 1, seen = count_flagged()` gives 0, 1, 2;
 * STABLE, or evaluated once, 0, 0, 0): evaluated once, a function reading tables may answer
 * otherwise than per row; one reading only settings cannot.
 */
function readsTables(model: Model, f: Func, seen = new Set<Func>()): boolean {
  if (seen.has(f)) return false;
  seen.add(f);
  if (f.reads.size) return true;
  for (const k of f.calls) for (const g of model.functions.get(k) ?? []) if (readsTables(model, g, seen)) return true;
  return false;
}

/**
 * The column a call is compared with for equality, as written (`tenant_id = f()`, `f() =
 * t.tenant_id`, casts aside), or undefined: an index on that column could serve the comparison
 * were the call not VOLATILE.
 */
function comparedColumn(root: Node, call: Node, text: string): string | undefined {
  let found: string | undefined;
  walk(root, (k, v) => {
    if (found !== undefined) return false;
    if (k === 'SubLink') return false;
    // (an equality: what an index on the column serves, and what was measured)
    if (k !== 'A_Expr' || v.kind !== 'AEXPR_OP' || !v.lexpr || !v.rexpr || v.name?.length !== 1 || v.name[0]?.String?.sval !== '=') return undefined;
    const l = bareValue(v.lexpr);
    const r = bareValue(v.rexpr);
    const col = l?.FuncCall === call ? r?.ColumnRef : r?.FuncCall === call ? l?.ColumnRef : undefined;
    if (col && col.location >= 0) {
      const m = /^[\w$."]+/.exec(text.slice(col.location, col.location + 200));
      found = m ? m[0] : undefined;
    }
    return undefined;
  });
  return found;
}

export const policyVolatileFunction = defineRule({
  meta: {
    id: 'policy-volatile-function',
    description: 'A policy USING calls, outside a sub-select, a VOLATILE function (the default volatility) whose body only reads: it runs for every row and no index can serve the condition.',
    severity: 'warning',
    category: 'performance',
    fixKind: 'safe',
    guards:
      'PostgreSQL calls a VOLATILE function again for every row a scan filters and never uses a condition on it as an index condition: `tenant_id = current_tenant()` is a sequential scan with one call per row even where tenant_id is indexed (PGlite, 100,000 rows: ≈ 130 ms; STABLE or wrapped in (select …): an index scan, ≈ 1 ms).',
    shownBy: { exposure: 'plan' },
  },
  check({ model, report }) {
    const candidates = readingVolatiles(model);
    if (candidates.size === 0) return;
    const recursion = new Map<string, ReturnType<typeof selectSubLinkWouldRecurse>>();
    for (const row of activeRowsWith(model, FLAG_CALL_OUTSIDE_SELECT)) {
      const e = row.using;
      if (!e || !(row.usingFlags & FLAG_CALL_OUTSIDE_SELECT)) continue;
      const p = row.policy;
      for (const c of callsIn(e.node)) {
        if (c.inSelect || c.location < 0) continue;
        const name = c.name[c.name.length - 1]!.toLowerCase();
        if (!candidates.has(name)) continue;
        const f = resolveCall(model, c.name, c.args.length, c.node);
        if (!f || !candidates.get(name)!.includes(f)) continue;
        if (!c.args.every((a: Node) => rowIndependentValue(model, a))) continue;
        if (usingFoldedAway(model, p)) break;
        const text = textOfFile(model, e.file);
        const span = callSpan(text, c.location);
        if (!span) continue;
        const open = text.indexOf('(', c.location);
        const written = text.slice(c.location, open).trim();
        // (the call as the message names it: its arguments elided)
        const shown = `${written}(${c.args.length ? '…' : ''})`;
        const call = text.slice(span.start, span.end);
        // (a sub-select in the table's SELECT policies would make them recursive, 42P17: T31)
        if ((p.command === 'select' || p.command === 'all') && !recursion.has(p.table)) recursion.set(p.table, selectSubLinkWouldRecurse(model, p.table));
        const closer = p.command === 'select' || p.command === 'all' ? recursion.get(p.table) : undefined;
        const wrap = { file: e.file, start: span.start, end: span.end, newText: `(select ${call})` };
        const alter = insertAfter(model, latestInReplay(model, [f.created, ...f.alters]), [`ALTER FUNCTION ${f.signature} STABLE;`]);
        // (the column the call is compared with, `tenant_id = f()`: an index on it could serve a STABLE call, never a VOLATILE one)
        const column = comparedColumn(e.node, c.node, text);
        const fixes: Fix[] = closer
          ? column
            ? [{ title: `Declare ${f.name}() STABLE: ALTER FUNCTION ${f.signature} STABLE`, kind: 'unsafe', edits: [alter] }]
            : []
          : [
              // (safe where the body reads no table: evaluated once, it answers as it would per row)
              { title: `Wrap ${shown} in a sub-select: (select ${call})`, kind: readsTables(model, f) ? 'unsafe' : 'safe', edits: [wrap] },
              { title: `Declare ${f.name}() STABLE and wrap the call: (select ${call})`, kind: 'unsafe', edits: [alter, wrap] },
            ];
        // (a CREATE OR REPLACE after the policy that names no volatility makes it VOLATILE, whatever the
        // one the policy was written against declared: IntelliFlow-CRM's auth.tenant_id(), STABLE where
        // its policies are, replaced without STABLE in a later migration; PGlite)
        const replacedAfter = !f.volatilityLoc && f.stmt.node?.replace === true && writtenBefore(model, p.created, f.created);
        const how = f.volatilityLoc
          ? 'declared VOLATILE'
          : replacedAfter
            ? `VOLATILE: its CREATE OR REPLACE FUNCTION at ${where(model, f.created)}, after this policy, names no volatility, and CREATE OR REPLACE gives a function the volatility it writes, VOLATILE (the default) when it names none, whatever the definition it replaces declared`
            : 'VOLATILE (the default: its CREATE FUNCTION names no volatility)';
        const recursive = closer
          ? ` Not wrapped automatically: policy "${closer.name}" on ${closer.table} reads ${p.table} inside a sub-select while ${p.table}'s policies are being expanded, so a sub-select in ${p.table}'s SELECT policies would make PostgreSQL raise 42P17 infinite recursion (T31)` +
            (column
              ? `; declared STABLE (ALTER FUNCTION ${f.signature} STABLE), \`${column} = ${shown}\` can use an index on ${column} without being wrapped.`
              : `; declared STABLE it would still run per row (a policy's condition stays in the scan's Filter): have "${closer.name}" read ${p.table} through a SECURITY DEFINER function, then wrap the call.`)
          : '';
        report({
          file: e.file,
          start: c.location,
          end: c.location + written.length,
          message:
            `Policy "${p.name}" on ${p.table} calls ${shown} in its USING outside any sub-select, and ${f.signature} is ${how}. ` +
            `PostgreSQL evaluates a VOLATILE call again for each row a scan of ${p.table} reads (a policy's condition stays in the scan's Filter), so ${f.name}() runs once per row` +
            (column
              ? `, and it never makes a condition on a VOLATILE call an index condition (its value might change from row to row): \`${column} = ${shown}\` cannot use an index on ${column}, and only a query's own conditions can narrow the scan (PGlite, 100,000 rows: a sequential scan, ≈ 130 ms; declared STABLE, an index scan, ≈ 1.4 ms). `
              : '. ') +
            (closer
              ? `Its body only reads, so nothing needs it VOLATILE.${recursive}`
              : `Its body only reads, so nothing needs it VOLATILE: wrap the call, \`(select ${call})\`, and it is evaluated once per statement (an InitPlan${column ? `, whose value an index scan on ${column} can use` : ''}); ` +
                `declare it STABLE too (ALTER FUNCTION ${f.signature} STABLE)${column ? ' so that its other calls can use an index' : ''}.`),
          related: [{ ...f.nameLoc, message: `${f.name}() is ${f.volatilityLoc ? 'declared VOLATILE' : replacedAfter ? 'made VOLATILE here (no volatility named)' : 'VOLATILE by default'} and only reads` }],
          fixes,
        });
      }
    }
  },
});
