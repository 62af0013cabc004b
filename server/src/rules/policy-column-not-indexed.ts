import { SERIAL_TYPES } from '../analysis/catalog-loops.js';
import { resolvedThroughPath, sameItems, type Model, type Policy, type Table } from '../analysis/model.js';
import { nodeFactsFor, typeName } from '../analysis/ast.js';
import { functionsToken, nodeCallSigOf, rowIndependentCall, textOfFile, usingFile } from '../analysis/policy-exprs.js';
import { rejectedPolicies } from '../analysis/rejected.js';
import { ownColumnOf } from '../analysis/columns.js';
import { sval } from '../analysis/parse.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type KeptFinding, type Report } from './types.js';
import { columnTypes, fileId, isBooleanColumn, insertAfter, keepInPlace, quoteIdent, tableList, tableName } from './lib/util.js';

type Kind = 'const' | 'statement' | 'row';

/**
 * Whether a value is a constant, the same for every row of a statement (a call, a sub-select, a
 * setting), or row-dependent. Only a call's answer depends on the model: `asked.call` is set
 * when one is looked at. Every part of an operator or array is asked, whatever the others are.
 */
function valueKind(model: Model, n: Node, asked: { call: boolean }): Kind {
  if (!n || typeof n !== 'object') return 'row';
  if (n.A_Const) return 'const';
  if (n.TypeCast) return valueKind(model, n.TypeCast.arg, asked);
  if (n.SubLink) return n.SubLink.subLinkType === 'EXPR_SUBLINK' || n.SubLink.subLinkType === 'ARRAY_SUBLINK' ? 'statement' : 'row';
  if (n.SQLValueFunction || n.ParamRef) return 'statement';
  if (n.FuncCall) {
    asked.call = true;
    return rowIndependentCall(model, n.FuncCall) ? 'statement' : 'row';
  }
  // (the parts walked in place: no part or kind arrays nor closures per value; NULLIF(a, b) is
  // made of its two parts as an operator is, COALESCE(…) of its arguments as an array of its
  // elements: `nullif(current_setting('app.tenant_id', true), '')::uuid` is a setting)
  if (n.A_Expr && (n.A_Expr.kind === 'AEXPR_OP' || n.A_Expr.kind === 'AEXPR_NULLIF')) {
    const e = n.A_Expr;
    if (!e.lexpr && !e.rexpr) return 'row';
    return joined(e.lexpr ? valueKind(model, e.lexpr, asked) : 'const', e.rexpr ? valueKind(model, e.rexpr, asked) : 'const');
  }
  const elements: Node[] = n.A_ArrayExpr?.elements ?? n.CoalesceExpr?.args ?? [];
  if (elements.length === 0) return 'row';
  let k: Kind = 'const';
  for (let i = 0; i < elements.length; i++) k = joined(k, valueKind(model, elements[i], asked));
  return k;
}

/** The kind of a value made of two: row-dependent if either is, else per-statement if either is. */
function joined(a: Kind, b: Kind): Kind {
  return a === 'row' || b === 'row' ? 'row' : a === 'statement' || b === 'statement' ? 'statement' : 'const';
}

/** A value the same for every row of a statement that is not a constant (constants are often flags of low selectivity). */
function lookupValue(model: Model, n: Node, asked: { call: boolean }): boolean {
  return valueKind(model, n, asked) === 'statement';
}

/**
 * Comparisons: a flat list of pairs, a ColumnRef (its inner object, whose location is read
 * when a report is made) then the value it is compared with. (No record nor name-part array per
 * comparison: a cold bench lint made three objects for each of its 8,938 USINGs with one; a
 * reference's name parts are read from it when a table asks.)
 */
type Pairs = Node[];

/**
 * Column references compared with `=` or `= ANY` to a value in the conditions the whole USING
 * is an AND of, added to `found` (made with the first; undefined when none). Only those can
 * drive an index scan: a comparison under OR (or NOT, CASE, a call) cannot, unless every other
 * branch of the OR is indexed too, so it is not reported (measured: `owner_id = (select
 * auth.uid()) OR is_public` is a Seq Scan with an index on owner_id). `col IN (SELECT …)` is
 * planned as a hashed sub-plan filter applied to every row, index or not (measured on PGlite):
 * not reported either. (No closure or pair arrays per node: this runs for every USING in a
 * cold lint.)
 */
function comparedIn(n: Node, found: Pairs | undefined): Pairs | undefined {
  if (n?.BoolExpr?.boolop === 'AND_EXPR') {
    const args = n.BoolExpr.args ?? [];
    for (let i = 0; i < args.length; i++) found = comparedIn(args[i], found);
    return found;
  }
  const e = n?.A_Expr;
  if (!e || sval(e.name?.[e.name.length - 1]) !== '=') return found;
  if (e.kind === 'AEXPR_OP') {
    found = compared(e.lexpr, e.rexpr, found);
    return compared(e.rexpr, e.lexpr, found);
  }
  return e.kind === 'AEXPR_OP_ANY' ? compared(e.lexpr, e.rexpr, found) : found;
}

/** `a` compared with `b`, when `a` is a column reference, or a cast of one (its TypeCast's inner object: castColumn). */
function compared(a: Node, b: Node, found: Pairs | undefined): Pairs | undefined {
  const column = a?.ColumnRef ?? a?.TypeCast?.arg?.ColumnRef;
  if (!column || (column.location ?? -1) < 0) return found;
  const ref = a.ColumnRef ?? a.TypeCast;
  if (!found) return [ref, b];
  found.push(ref, b);
  return found;
}

/** Types no text cast of which an index on the column serves (`tenant_id::text`: not binary-coercible, unlike varchar's). */
const CAST_BLOCKS = new Set(['uuid', 'integer', 'bigint', 'smallint', 'numeric', 'date', 'timestamp', 'timestamp with time zone', 'boolean']);
const TEXT_TYPES_CAST = new Set(['text', 'character varying', 'character', 'name']);

/** For a compared reference that is a cast (a TypeCast's inner object): the column's type and the type cast to, when the cast keeps an index on the column from serving; else undefined. */
function castColumn(t: Table, ref: Node): { column: string; from: string; to: string } | undefined {
  if (ref.fields) return undefined;
  const column = ownColumnOf(t, ref.arg.ColumnRef);
  if (!column) return undefined;
  const declared = columnTypes(t)?.get(column);
  // (a serial column is of the integer type it names: Django's BigAutoField is `bigserial`)
  const from = declared !== undefined ? (SERIAL_TYPES.get(declared) ?? declared) : undefined;
  const to = typeName(ref.typeName);
  return from !== undefined && CAST_BLOCKS.has(from) && TEXT_TYPES_CAST.has(to) ? { column, from, to } : undefined;
}

/**
 * Another permissive policy on the table that PostgreSQL ORs with `p` for some role and command
 * (commands overlap, roles overlap) and that has no such lookup: the OR of the two cannot use an
 * index on p's column (measured: with an index on owner_id, `owner_id = (select auth.uid())`
 * ORed with a second policy's `is_admin()` is a Seq Scan).
 */
function unindexableOr(t: Table, p: Policy, ls: Array<Pairs | undefined>): Policy | undefined {
  if (!p.permissive) return undefined;
  const ps = t.policies;
  for (let i = 0; i < ps.length; i++) {
    const q = ps[i]!;
    if (q !== p && q.permissive && q.command !== 'insert' && commandsOverlap(p, q) && rolesOverlap(p, q) && !!q.using && !ls[i]) return q;
  }
  return undefined;
}

const commandsOverlap = (a: Policy, b: Policy) => a.command === b.command || a.command === 'all' || b.command === 'all';

/** (loops, no closure per pair of policies) */
function rolesOverlap(a: Policy, b: Policy): boolean {
  const ar = a.roles;
  const br = b.roles;
  if (ar.includes('public') || br.includes('public')) return true;
  for (let i = 0; i < ar.length; i++) if (br.includes(ar[i]!)) return true;
  return false;
}

const NO_LOOKUPS: Pairs = [];

/**
 * Column references compared to a per-statement value, outside sub-selects (pairs, as comparedIn
 * lists them), found again each time a table is checked: nothing is kept on the node. (Kept on
 * it, the comparisons of a cold bench lint's 8,938 USINGs with one cost a slot list grown on each
 * node, a record and copies of lists: with the lookups asked once per policy, the rule allocated
 * 13.8 then 11.8 MB and retained 6.9 then 5.8 MB. Its re-lint asks only the tables whose kept
 * findings do not hold: the rule's bench re-lint is 2.2–2.6 ms, 2.7–3.1 at main with the memo, 5
 * A/B rounds.) `asked.call` is set when a value asks a call: whether a value is per-statement
 * depends on the model only through what its calls resolve to (rowIndependentCall: volatility,
 * kind), so what is kept for the table (KeptTable.calls) lists the node with the signature of
 * those resolutions.
 */
function lookups(model: Model, using: Node, asked: { call: boolean }): Pairs {
  const found = comparedIn(using, undefined);
  return found ? lookupsIn(model, found, asked) : NO_LOOKUPS;
}

/** The lookups among comparisons. */
function lookupsIn(model: Model, found: Pairs, asked: { call: boolean }): Pairs {
  // (every value asked, as filter would; the comparisons' own list when all are lookups, the usual case)
  let out: Pairs | undefined;
  for (let i = 0; i < found.length; i += 2) {
    if (lookupValue(model, found[i + 1], asked)) {
      if (out !== undefined) out.push(found[i], found[i + 1]);
    } else if (out === undefined) out = found.slice(0, i);
  }
  if (out === undefined) return found;
  return out.length ? out : NO_LOOKUPS;
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
    // keptFor's list of a table whose policies are all in its own file, one per file (never mutated)
    const ownFiles = new Map<string, Array<string | number>>();
    const tables = tableList(model);
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (!t.rlsEnabled || t.columns.length === 0) continue;
      const hit = byTable.get(t);
      const rejected = rejectedOf(model, t);
      if (hit && sameItems(hit.rejected, rejected) && stillHolds(model, hit, token)) {
        for (let j = 0; j < hit.reports.length; j++) report(hit.reports[j]!);
        continue;
      }
      const k = checkTable(model, t, token, ownFiles, rejected);
      for (let j = 0; j < k.reports.length; j++) report(k.reports[j]!);
      // (a table renamed, or a partition: what is found depends on more than the table; not kept;
      // nor where a USING's calls resolved through a SET search_path: rowIndependentCall follows
      // the path, the call signatures kept do not)
      if (t.renamed || t.parents.length > 0 || t.policies.some((p) => p.using && resolvedThroughPath(p.using))) byTable.delete(t);
      else byTable.set(t, k);
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
  /** the table's policies PostgreSQL rejects (rejected.ts), left out: NO_POLICIES when none */
  rejected: readonly Policy[];
}
const byTable = new WeakMap<Table, KeptTable>();
const NO_POLICIES: readonly Policy[] = Object.freeze([]);

/** The table's policies PostgreSQL rejects (they never exist), in order; NO_POLICIES when none. */
function rejectedOf(model: Model, t: Table): readonly Policy[] {
  const all = rejectedPolicies(model);
  if (all.size === 0) return NO_POLICIES;
  const out = t.policies.filter((p) => all.has(p));
  return out.length ? out : NO_POLICIES;
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

/**
 * A report kept on its USING node across lints, one per column (a chain), with what it is made
 * of: the column reference's file, its parsed file and offset, the table, the policy's name and
 * statement, the table's name as written. Its KeptFinding fields are there from the start, where
 * the engine would add them (a property store per record). (Not reportKeeper: no list of
 * dependencies nor closure per report, 2,234 on the bench.)
 */
interface KeptColumn extends KeptFinding {
  column: string;
  file: string;
  fileId: number;
  location: number;
  table: string;
  policy: string;
  name: string;
  locFile: string;
  locStart: number;
  locEnd: number;
  locFileId: number;
  report: Report;
  next: KeptColumn | undefined;
}
const keptOn = new WeakMap<Node, KeptColumn>();

/** lookups' flag, reset for each USING (one record, not one per USING) */
const ASKED = { call: false };

/**
 * What check finds for a table, with what it depends on (KeptTable), in one pass over its
 * policies: each USING's lookups found once (unindexableOr reads them from that list; the
 * table's check, unindexableOr and keptFor asked each three to four times through a memo).
 */
function checkTable(model: Model, t: Table, token: object, ownFiles: Map<string, Array<string | number>>, rejected: readonly Policy[]): KeptTable {
  // (indexed loops and no pair array per policy: for-of allocates an iterator result per element
  // while this is not optimised, as in a cold lint: ≈ 0.7 MB on the bench; the shared NO_CALLS
  // for a table without call-dependent lookups, and one list of files shared by the tables
  // whose policies are all in their file; the other lists made with their first elements and
  // fitted: arrays grown by push keep room for 17 elements, two per table were ≈ 0.7 MB of what
  // the bench's 2,237 records kept)
  let calls: Array<Node | string> = NO_CALLS;
  const own = t.nameLoc.file;
  let files: Array<string | number> | undefined;
  const ps = t.policies;
  // each policy's lookups, by index (undefined without a USING); none made for a table without any
  let ls: Array<Pairs | undefined> | undefined;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const using = p.using;
    if (!using || (rejected.length && rejected.includes(p))) continue;
    const asked = ASKED;
    asked.call = false;
    const found = lookups(model, using, asked);
    if (found.length) (ls ??= new Array<Pairs | undefined>(ps.length))[i] = found;
    if (asked.call) {
      const sig = nodeCallSigOf(model, nodeFactsFor(using, model), using);
      if (calls === NO_CALLS) calls = [using, sig];
      else calls.push(using, sig);
    }
    const u = usingFile(p);
    if (u !== own && !files?.includes(u)) files = withFile(model, files, own, u);
    const f = p.loc.file;
    if (f !== own && !files?.includes(f)) files = withFile(model, files, own, f);
  }
  if (!files && !(files = ownFiles.get(own))) ownFiles.set(own, (files = [own, fileId(model, own)]));
  return { token, calls: fit(calls, 2), files: fit(files, 4), reports: ls ? reportsOf(model, t, ls) : NO_REPORTS, rejected };
}

/** `files` with `file` (and its fileId) added, made with `own` and `file` when undefined. */
function withFile(model: Model, files: Array<string | number> | undefined, own: string, file: string): Array<string | number> {
  if (!files) return [own, fileId(model, own), file, fileId(model, file)];
  files.push(file, fileId(model, file));
  return files;
}

/**
 * A list kept with a table, exact-size: one made as a literal of `made` elements is; one grown
 * by push has room for 17 or more, copied. (Most lists are made with their first elements.)
 */
function fit<T>(list: T[], made: number): T[] {
  return list.length > made ? list.slice() : list;
}

/** The reports of a table, given its policies' lookups (NO_REPORTS when none: the list is kept with the table). */
function reportsOf(model: Model, t: Table, ls: Array<Pairs | undefined>): Report[] {
  // the columns of t compared with `=` or `= ANY` to a per-statement value, outside
  // sub-selects, each with the first policy that does and its reference: triples in one list
  // (no map nor record per column, none for a table without one)
  let first: Array<string | Policy | Node> | undefined;
  const ps = t.policies;
  for (let i = 0; i < ps.length; i++) {
    const found = ls[i];
    if (!found) continue;
    const p = ps[i]!;
    if (unindexableOr(t, p, ls)) continue;
    for (let j = 0; j < found.length; j += 2) {
      const ref = found[j];
      // (a cast of a column: keyed apart, `tenant_id::`, with its own report)
      const cast = ref.fields ? undefined : castColumn(t, ref);
      const column = cast ? `${cast.column}::` : ref.fields ? ownColumnOf(t, ref) : undefined;
      if (!column) continue;
      if (!first) first = [column, p, found[j]];
      else if (!hasColumn(first, column)) first.push(column, p, found[j]);
    }
  }
  if (!first) return NO_REPORTS;
  let reports: Report[] | undefined;
  for (let i = 0; i < first.length; i += 3) {
    const column = first[i] as string;
    const ref = first[i + 2] as Node;
    if (!column.endsWith('::') && (leadsAnIndex(model, t, column) || isBooleanColumn(t, column))) continue;
    const r = reportFor(model, t, first[i + 1] as Policy, column, ref.fields ? ref.location : ref.arg.ColumnRef.location, ref.fields ? undefined : ref);
    if (!reports) reports = [r];
    else reports.push(r);
  }
  return reports ? fit(reports, 1) : NO_REPORTS;
}

const NO_REPORTS: Report[] = [];

function hasColumn(first: Array<string | Policy | Node>, column: string): boolean {
  for (let i = 0; i < first.length; i += 3) if (first[i] === column) return true;
  return false;
}

/** The report for `column` compared in p's USING at `location`: the one kept on the node when what it is made of is the same. */
function reportFor(model: Model, t: Table, p: Policy, column: string, location: number, castRef?: Node): Report {
  const using = p.using!;
  const file = usingFile(p);
  const id = fileId(model, file);
  const name = tableName(model, t, p.loc);
  const loc = p.loc;
  const locId = fileId(model, loc.file);
  const head = keptOn.get(using);
  let hit = head;
  while (hit && hit.column !== column) hit = hit.next;
  if (
    hit &&
    hit.file === file &&
    hit.fileId === id &&
    hit.location === location &&
    hit.table === t.key &&
    hit.policy === p.name &&
    hit.name === name &&
    hit.locFile === loc.file &&
    hit.locStart === loc.start &&
    hit.locEnd === loc.end &&
    hit.locFileId === locId
  )
    return hit.report;
  const span = refSpan(textOfFile(model, file), location);
  const report: Report = castRef ? castReport(model, t, p, castRef, file, span, name) : columnReport(model, t, p, column, file, span, name);
  // a new record (the engine's finding on the old one belongs to the old report), in hit's place
  const entry: KeptColumn = {
    column,
    file,
    fileId: id,
    location,
    table: t.key,
    policy: p.name,
    name,
    locFile: loc.file,
    locStart: loc.start,
    locEnd: loc.end,
    locFileId: locId,
    report,
    next: hit ? hit.next : head,
    finding: undefined,
    files: undefined,
  };
  report.kept = entry;
  keepInPlace(keptOn, using, head, hit, entry);
  return report;
}

/** The report of a column no index leads. */
function columnReport(model: Model, t: Table, p: Policy, column: string, file: string, span: Span, name: string): Report {
  const stmt = `CREATE INDEX ON ${name} (${quoteIdent(column)});`;
  return {
    file,
    start: span.start,
    end: span.end,
    message:
      `Column ${column} of ${t.key} is compared in policy "${p.name}" to a value that is the same for every row, but no index, primary key or unique constraint on ${t.key} starts with it: ` +
      'so PostgreSQL cannot look up the rows the policy admits: a query with no other selective indexed condition typically reads the whole table and checks the policy on every row ' +
      `(measured on 200,000 rows, 1% visible: 11 ms with a Seq Scan, 1.6 ms with an index on the column). Add ${stmt}`,
    fixes: [{ title: `Add ${stmt} (on a large table, consider CREATE INDEX CONCURRENTLY outside a transaction)`, kind: 'unsafe', edits: [insertAfter(model, p.loc, [stmt])] }],
    kept: undefined,
  };
}

/**
 * The report of a column compared through a text cast (`tenant_id::text = current_setting(…)`):
 * an index on the column serves comparisons of the column, not of its cast (measured on PGlite:
 * a Seq Scan even with sequential scans disabled; compared as uuid, an index scan).
 */
function castReport(model: Model, t: Table, p: Policy, ref: Node, file: string, span: Span, name: string): Report {
  const c = castColumn(t, ref)!;
  const indexed = leadsAnIndex(model, t, c.column);
  const text = textOfFile(model, file);
  // (the cast as written: the column, then `::text` or `CAST (… AS text)`)
  const castEnd = /^\s*::\s*[\w ]+?(?=\s*(?:[=<>!)]|$))/.exec(text.slice(span.end, span.end + 40));
  return {
    file,
    start: span.start,
    end: castEnd ? span.end + castEnd[0].length : span.end,
    message:
      `Column ${c.column} of ${t.key} (${c.from}) is compared in policy "${p.name}" as ${c.column}::${c.to}: ${indexed ? `the index of ${t.key} on ${c.column}` : `an index on ${c.column}`} cannot serve that comparison, since an index serves the column's own values and ${c.from} to ${c.to} is a conversion, not a relabeling, ` +
      `so a query with no other selective indexed condition reads the whole table and checks the policy on every row (measured on PGlite: a Seq Scan even with sequential scans disabled). ` +
      `Compare the column itself, casting the other side to ${c.from} instead (e.g. ${c.column} = nullif(current_setting('…', true), '')::${c.from} for a setting)${indexed ? '' : `, and add CREATE INDEX ON ${name} (${quoteIdent(c.column)})`}.`,
    fixes: [],
    kept: undefined,
  };
}
