import type { Model, Policy, Table } from '../analysis/model.js';
import { fitted, memoised } from '../analysis/ast.js';
import { nodeFactsFor } from '../analysis/ast.js';
import { functionsToken, keptOnCalls, nodeCallSigOf, rowIndependentCall, textOfFile, usingFile } from '../analysis/policy-exprs.js';
import { sval } from '../analysis/parse.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { fileId, insertAfter, quoteIdent, reportKeeper, tableList, tableName } from './lib/util.js';

/**
 * Whether a value is a constant, the same for every row of a statement (a call, a sub-select, a
 * setting), or row-dependent. Only a call's answer depends on the model: `asked.call` is set
 * when one is looked at.
 */
function valueKind(model: Model, n: Node, asked: { call: boolean }): 'const' | 'statement' | 'row' {
  if (!n || typeof n !== 'object') return 'row';
  if (n.A_Const) return 'const';
  if (n.TypeCast) return valueKind(model, n.TypeCast.arg, asked);
  if (n.SubLink) return n.SubLink.subLinkType === 'EXPR_SUBLINK' || n.SubLink.subLinkType === 'ARRAY_SUBLINK' ? 'statement' : 'row';
  if (n.SQLValueFunction || n.ParamRef) return 'statement';
  if (n.FuncCall) {
    asked.call = true;
    return rowIndependentCall(model, n.FuncCall) ? 'statement' : 'row';
  }
  const parts: Node[] = n.A_Expr && n.A_Expr.kind === 'AEXPR_OP' ? [n.A_Expr.lexpr, n.A_Expr.rexpr].filter(Boolean) : n.A_ArrayExpr ? (n.A_ArrayExpr.elements ?? []) : [];
  if (parts.length === 0) return 'row';
  const kinds = parts.map((x) => valueKind(model, x, asked));
  if (kinds.includes('row')) return 'row';
  return kinds.includes('statement') ? 'statement' : 'const';
}

/** A value the same for every row of a statement that is not a constant (constants are often flags of low selectivity). */
function lookupValue(model: Model, n: Node, asked: { call: boolean }): boolean {
  return valueKind(model, n, asked) === 'statement';
}

/**
 * Column references compared with `=` or `= ANY` to a value in the conditions the whole USING
 * is an AND of (memoised per node). Only those can drive an index scan: a comparison under OR
 * (or NOT, CASE, a call) cannot, unless every other branch of the OR is indexed too, so it is
 * not reported (measured: `owner_id = (select auth.uid()) OR is_public` is a Seq Scan with an
 * index on owner_id). `col IN (SELECT …)` is planned as a hashed sub-plan filter applied to
 * every row, index or not (measured on PGlite): not reported either.
 */
/** A column compared with a value; its location is its ColumnRef's (see ast.ts, "Offsets in what is kept"). */
class Compared {
  constructor(
    readonly parts: Array<string | undefined>,
    readonly value: Node,
    private readonly ref: Node,
  ) {}
  get location(): number {
    return this.ref.location;
  }
}

interface Comparisons {
  /** each with the column reference's name parts */
  found: Compared[];
  /** the lookups among them, once found to depend on no call (so on no model) */
  fixed?: Lookup[];
  /** set once the lookups are found to depend on calls (whether a value asks a call is a fact of the node) */
  onCalls?: true;
}

const comparisons = memoised((using: Node): Comparisons => {
  const found: Comparisons['found'] = [];
  comparedIn(using, found);
  return { found: fitted(found) };
});

/** The comparisons of the AND chain `n` heads, in `found`. (No closure or pair arrays per node: this runs for every USING in a cold lint.) */
function comparedIn(n: Node, found: Compared[]): void {
  if (n?.BoolExpr?.boolop === 'AND_EXPR') {
    const args = n.BoolExpr.args ?? [];
    for (let i = 0; i < args.length; i++) comparedIn(args[i], found);
    return;
  }
  const e = n?.A_Expr;
  if (!e || sval(e.name?.[e.name.length - 1]) !== '=') return;
  if (e.kind === 'AEXPR_OP') {
    compared(e.lexpr, e.rexpr, found);
    compared(e.rexpr, e.lexpr, found);
  } else if (e.kind === 'AEXPR_OP_ANY') compared(e.lexpr, e.rexpr, found);
}

/** `a` compared with `b`, when `a` is a column reference. */
function compared(a: Node, b: Node, found: Compared[]): void {
  if (a?.ColumnRef && (a.ColumnRef.location ?? -1) >= 0) found.push(new Compared(refParts(a), b, a.ColumnRef));
}

/**
 * Another permissive policy on the table that PostgreSQL ORs with `p` for some role and command
 * (commands overlap, roles overlap) and that has no such lookup: the OR of the two cannot use an
 * index on p's column (measured: with an index on owner_id, `owner_id = (select auth.uid())`
 * ORed with a second policy's `is_admin()` is a Seq Scan).
 */
function unindexableOr(model: Model, t: Table, p: Policy): Policy | undefined {
  if (!p.permissive) return undefined;
  const ps = t.policies;
  for (let i = 0; i < ps.length; i++) {
    const q = ps[i]!;
    if (q !== p && q.permissive && q.command !== 'insert' && commandsOverlap(p, q) && rolesOverlap(p, q) && !!q.using && lookups(model, q.using).length === 0) return q;
  }
  return undefined;
}

const commandsOverlap = (a: Policy, b: Policy) => a.command === b.command || a.command === 'all' || b.command === 'all';
const rolesOverlap = (a: Policy, b: Policy) => a.roles.includes('public') || b.roles.includes('public') || a.roles.some((r) => b.roles.includes(r));

type Lookup = { parts: Array<string | undefined>; location: number };
const NO_LOOKUPS: Lookup[] = [];

/**
 * Column references (as name parts) compared to a per-statement value, outside sub-selects.
 * Whether a value is per-statement depends on the model only through what its calls resolve
 * to (rowIndependentCall: volatility, kind), so the result is kept on the node across lints
 * under the signature of those resolutions (keptOnCalls).
 */
function lookups(model: Model, using: Node): Lookup[] {
  const cs = comparisons(using);
  if (cs.fixed) return cs.fixed;
  if (cs.found.length === 0) return NO_LOOKUPS;
  if (cs.onCalls) return keptOnCalls(model, using, 'column-not-indexed:lookups', () => lookupsIn(model, cs, { call: false }));
  // First time for this node: computed before any signature. Values without calls (e.g.
  // `(select auth.uid())`) answer the same in every model: kept on the node, with no signature
  // computed, no kept entry made and no offset anchor looked for (a cold bench lint made them
  // for each of its 8,938 USINGs with a comparison); whether a value asks a call depends on the
  // node alone.
  const asked = { call: false };
  const v = lookupsIn(model, cs, asked);
  if (!asked.call) return (cs.fixed = v);
  cs.onCalls = true;
  return keptOnCalls(model, using, 'column-not-indexed:lookups', () => v);
}

function lookupsIn(model: Model, cs: Comparisons, asked: { call: boolean }): Lookup[] {
  const found = cs.found;
  // (every value asked, as filter would; the comparisons' own list when all are lookups, the usual case: no copy kept with it)
  let out: Lookup[] | undefined;
  for (let i = 0; i < found.length; i++) {
    const c = found[i]!;
    if (lookupValue(model, c.value, asked)) {
      if (out !== undefined) out.push(c);
    } else if (out === undefined) out = found.slice(0, i);
  }
  if (out === undefined) return found;
  return out.length ? out : NO_LOOKUPS;
}

/** A column reference's name parts (kept with the comparisons it is in, not on the reference's own node). */
function refParts(ref: Node): Array<string | undefined> {
  return ((ref?.ColumnRef?.fields ?? []) as Node[]).map((f) => sval(f));
}

/** The column of `t` a column reference names (unqualified or qualified by the table's name). */
function ownColumnOf(t: Table, parts: Array<string | undefined>): string | undefined {
  if (parts.includes(undefined)) return undefined;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && parts[0] !== t.name) return undefined;
  if (parts.length > 2 && (parts[parts.length - 2] !== t.name || parts[parts.length - 3] !== t.schema)) return undefined;
  return t.columns.includes(name) ? name : undefined;
}

/** Whether an index, primary key or unique constraint of `t` (or of a partitioned parent) starts with the column. */
function leadsAnIndex(model: Model, t: Table, column: string, seen?: Set<string>): boolean {
  if (seen?.has(t.key)) return false;
  if (t.indexes.some((i) => i.columns[0] === column) || t.keys.some((k) => k[0] === column)) return true;
  if (t.parents.length === 0) return false;
  seen ??= new Set<string>();
  seen.add(t.key);
  return t.parents.some((p) => p.kind === 'partition' && !!model.tables.get(p.key) && leadsAnIndex(model, model.tables.get(p.key)!, column, seen));
}

function refSpan(text: string, at: number): Span {
  const m = /^(?:"(?:[^"]|"")*"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[\w$]+))*/.exec(text.slice(at, at + 200));
  return { start: at, end: at + (m ? m[0].length : 1) };
}

/** Reports kept on the USING node per column (what they are made of: the deps in check). */
const kept = reportKeeper();

export const policyColumnNotIndexed = defineRule({
  meta: {
    id: 'policy-column-not-indexed',
    description: 'A column a policy compares to the current user or tenant is not the leading column of any index.',
    severity: 'info',
    category: 'performance',
    fixKind: 'unsafe',
    guards:
      'A policy condition such as owner_id = (select auth.uid()) is looked up efficiently only through an index that starts with the column; without one the whole table is typically read and every row checked (measured on 200,000 rows: 11 ms sequential, 1.6 ms with an index).',
  },
  check({ model, report }) {
    const token = functionsToken(model);
    const tables = tableList(model);
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (!t.rlsEnabled || t.columns.length === 0) continue;
      const hit = byTable.get(t);
      if (hit && stillHolds(model, hit, token)) {
        for (let j = 0; j < hit.reports.length; j++) report(hit.reports[j]!);
        continue;
      }
      const reports: Report[] = [];
      checkTable(model, t, reports);
      for (let j = 0; j < reports.length; j++) report(reports[j]!);
      // (a table renamed, or a partition: what is found depends on more than the table; not kept)
      if (t.renamed || t.parents.length > 0) byTable.delete(t);
      else byTable.set(t, keptFor(model, t, token, reports));
    }
  },
});

/**
 * What check found for a table, kept on the table object: a re-lint whose replay kept the
 * object (a table of a file before the edited one, or of a segment redone) reports it again
 * when what the finding depends on beyond the table is the same: what the policies' calls
 * resolve to (functionsToken, else each call list's signature) and the files its reports are
 * made of (their text, their offsets).
 */
interface KeptTable {
  token: object;
  /** the USING nodes whose lookups depend on calls, each with its call signature then */
  calls: Array<Node | string>;
  /** file names and their fileIds */
  files: Array<string | number>;
  reports: Report[];
}
const byTable = new WeakMap<Table, KeptTable>();

function keptFor(model: Model, t: Table, token: object, reports: Report[]): KeptTable {
  // (indexed loops and no pair array per policy: for-of allocates an iterator result per element
  // while this is not optimised, as in a cold lint: ≈ 0.7 MB on the bench; the shared NO_CALLS
  // for a table without call-dependent lookups, most of them)
  let calls: Array<Node | string> = NO_CALLS;
  const files: Array<string | number> = [t.nameLoc.file, fileId(model, t.nameLoc.file)];
  const ps = t.policies;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (!p.using) continue;
    const cs = comparisons(p.using);
    if (cs.found.length && !cs.fixed) {
      if (calls === NO_CALLS) calls = [];
      calls.push(p.using, nodeCallSigOf(model, nodeFactsFor(p.using, model), p.using));
    }
    const u = usingFile(p);
    if (!files.includes(u)) files.push(u, fileId(model, u));
    const f = p.loc.file;
    if (!files.includes(f)) files.push(f, fileId(model, f));
  }
  return { token, calls, files, reports };
}

/** The calls of a KeptTable with none (never mutated). */
const NO_CALLS: Array<Node | string> = [];

function stillHolds(model: Model, k: KeptTable, token: object): boolean {
  for (let i = 0; i < k.files.length; i += 2) if (fileId(model, k.files[i] as string) !== k.files[i + 1]) return false;
  if (k.token === token) return true;
  for (let i = 0; i < k.calls.length; i += 2) {
    const n = k.calls[i] as Node;
    if (nodeCallSigOf(model, nodeFactsFor(n, model), n) !== k.calls[i + 1]) return false;
  }
  k.token = token;
  return true;
}

/** The findings of one table, into `reports` (no closure per table to collect them). */
function checkTable(model: Model, t: Table, reports: Report[]): void {
  // the columns of t compared with `=` or `= ANY` to a per-statement value, outside
  // sub-selects, each with the first policy that does (no map for a table without one)
  let first: Map<string, { p: Policy; file: string; location: number }> | undefined;
  const ps = t.policies;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (!p.using) continue;
    const found = lookups(model, p.using);
    if (found.length === 0 || unindexableOr(model, t, p)) continue;
    for (let j = 0; j < found.length; j++) {
      const c = found[j]!;
      const column = ownColumnOf(t, c.parts);
      if (column && !first?.has(column)) (first ??= new Map()).set(column, { p, file: usingFile(p), location: c.location });
    }
  }
  if (!first) return;
  // (forEach: no entry pair nor iterator result per column, and no spread of the span into the
  // report: each runs in the runtime while this is not optimised, as in a cold lint)
  first.forEach(({ p, file, location }, column) => {
    if (leadsAnIndex(model, t, column)) return;
    const name = tableName(model, t, p.loc);
    const deps = [file, fileId(model, file), location, t.key, p.name, name, p.loc.file, p.loc.start, p.loc.end, fileId(model, p.loc.file)];
    reports.push(
      kept(p.using!, column, deps, () => {
        const stmt = `CREATE INDEX ON ${name} (${quoteIdent(column)});`;
        const span = refSpan(textOfFile(model, file), location);
        return {
          file,
          start: span.start,
          end: span.end,
          message:
            `Column ${column} of ${t.key} is compared in policy "${p.name}" to a value that is the same for every row, but no index, primary key or unique constraint on ${t.key} starts with it: ` +
            'so PostgreSQL cannot look up the rows the policy admits: a query with no other selective indexed condition typically reads the whole table and checks the policy on every row ' +
            `(measured on 200,000 rows, 1% visible: 11 ms with a Seq Scan, 1.6 ms with an index on the column). Add ${stmt}`,
          fixes: [{ title: `Add ${stmt} (on a large table, consider CREATE INDEX CONCURRENTLY outside a transaction)`, kind: 'unsafe', edits: [insertAfter(model, p.loc, [stmt])] }],
        };
      }),
    );
  });
}
