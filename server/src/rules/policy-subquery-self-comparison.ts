import { callsIn, conjuncts, memoised, memoStmt } from '../analysis/ast.js';
import { columnUsedElsewhere } from '../analysis/columns.js';
import { nodeContains } from '../analysis/function-order.js';
import { resolvedThroughPath, type Func, type Model, type Table } from '../analysis/model.js';
import { sval, walk } from '../analysis/parse.js';
import { activeRows, activeRowsWith, FLAG_READS_RELATION } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { bareValue, keptKeys, quoteIdent } from './lib/util.js';
import { policyCallNames } from '../analysis/recursion.js';

interface SelfComparison {
  kind: 'inner' | 'outer';
  /** the unqualified ColumnRef (its location is where it is written) */
  ref: Node;
  column: string;
  /** the alias (or table name) the other side is qualified with, and its table */
  alias: string;
  inner: Table;
  /** `col = col`, both sides unqualified (ref: the right one) */
  bare?: boolean;
  /**
   * `col = col` in a sub-select reading the policy's own table without an alias: the table's name
   * there is the sub-select's row, so `table.col` cannot name the checked row (no fix)
   */
  unaliased?: boolean;
}

/** The bare name and qualifier of a ColumnRef (cast or not), lower-case. */
function refOf(n: Node): { node: Node; qual?: string; name: string } | undefined {
  const c = bareValue(n)?.ColumnRef;
  const fields: Node[] | undefined = c?.fields;
  if (!fields || fields.length === 0 || fields.length > 2) return undefined;
  // (the one or two names read in place: no list of parts per operand, asked of every `=` of every sub-select and function body)
  const a = sval(fields[0])?.toLowerCase();
  if (a === undefined) return undefined;
  if (fields.length === 1) return { node: c, name: a };
  const b = sval(fields[1])?.toLowerCase();
  return b === undefined ? undefined : { node: c, qual: a, name: b };
}

/** A comparison `alias.col = col` AND-ed in the WHERE of a sub-select whose FROM list is plain tables (syntax only). */
interface Candidate {
  /** 'inner': `alias.col = col` (col is the sub-select's table's); 'outer': `col IN (SELECT col FROM …)` (col is the policy's table's) */
  kind: 'inner' | 'outer';
  ref: Node;
  column: string;
  alias: string;
  /** the FROM list's tables, each with its alias (or name), and their RangeVars */
  from: Array<{ alias: string; rv: Node }>;
  rvs: Node[];
  /** their keys under the default schema `keysFor` (keysOf) */
  keys?: readonly string[];
  keysFor?: string;
  /** `col = col`, both sides unqualified, in a sub-select reading one table (ref: the right one) */
  bare?: boolean;
}

/**
 * A FROM list (a SELECT's, or an UPDATE's or DELETE's target and its FROM / USING list) when it is
 * only tables, each with its alias (or name), lower-case; undefined for an empty list or one with a
 * join, a function or a sub-query (their columns are not all known).
 */
function plainFrom(select: Node, items: readonly Node[] = select?.fromClause ?? []): Array<{ alias: string; rv: Node }> | undefined {
  const from: Array<{ alias: string; rv: Node }> = [];
  for (const item of items) {
    const rv = item?.RangeVar;
    if (!rv?.relname) return undefined;
    from.push({ alias: String(rv.alias?.aliasname ?? rv.relname).toLowerCase(), rv });
  }
  return from.length ? from : undefined;
}

/** The command of a query whose WHERE holds a comparison, and whether that comparison is all of the WHERE. */
export interface QueryOf {
  command: 'select' | 'update' | 'delete';
  only: boolean;
}

type Ref = NonNullable<ReturnType<typeof refOf>>;

/** Each `a = b` of two column names alike but for their qualifiers, ANDed in the WHERE of a query (in `node`) whose FROM list is plain tables. */
function sameNameEqualities(node: Node, visit: (l: Ref, r: Ref, from: Array<{ alias: string; rv: Node }>, query: QueryOf) => void): void {
  walk(node, (k, v) => {
    if ((k !== 'SelectStmt' && k !== 'UpdateStmt' && k !== 'DeleteStmt') || !v.whereClause) return;
    // (an UPDATE's or DELETE's own table is the first of its FROM list)
    const from = k === 'SelectStmt' ? plainFrom(v) : plainFrom(v, [{ RangeVar: v.relation }, ...((k === 'UpdateStmt' ? v.fromClause : v.usingClause) ?? [])]);
    if (!from) return;
    const all = conjuncts(v.whereClause);
    for (const c of all) {
      const e = c?.A_Expr;
      if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1 || sval(e.name[0]) !== '=') continue;
      const l = refOf(e.lexpr);
      const r = l && refOf(e.rexpr);
      if (l && r && l.name === r.name) visit(l, r, from, { command: k === 'SelectStmt' ? 'select' : k === 'UpdateStmt' ? 'update' : 'delete', only: all.length === 1 });
    }
  });
}

/** The candidates of an expression (kept on the node: a re-lint looks them up). */
const candidatesOf = memoised((expr: Node): Candidate[] => {
  const out: Candidate[] = [];
  sameNameEqualities(expr, (l, r, from) => {
    const [q, u] = l.qual !== undefined && r.qual === undefined ? [l, r] : r.qual !== undefined && l.qual === undefined ? [r, l] : [undefined, undefined];
    if (q && u && from.some((x) => x.alias === q.qual)) out.push({ kind: 'inner', ref: u.node, column: u.name, alias: q.qual!, from, rvs: from.map((x) => x.rv) });
    // (`col = col`, both unqualified, where the sub-select reads one table: both are that table's
    // column; cryoprotect's EXISTS (SELECT 1 FROM team_members WHERE team_id = team_id …))
    else if (l.qual === undefined && r.qual === undefined && from.length === 1) out.push({ kind: 'inner', ref: r.node, column: r.name, alias: from[0]!.alias, from, rvs: from.map((x) => x.rv), bare: true });
  });
  // `col IN (SELECT col FROM …)`, the selected col unqualified (secretsanta's `matchup IN (SELECT
  // matchup FROM matchup WHERE …)`, a table without such a column)
  walk(expr, (k, v) => {
    if (k !== 'SubLink' || v.subLinkType !== 'ANY_SUBLINK') return;
    const outer = refOf(v.testexpr);
    const q = v.subselect?.SelectStmt;
    const target = q?.targetList?.length === 1 ? refOf(q.targetList[0]?.ResTarget?.val) : undefined;
    if (!outer || !target || target.qual !== undefined || target.name !== outer.name) return;
    const from = plainFrom(q);
    if (from) out.push({ kind: 'outer', ref: target.node, column: target.name, alias: outer.qual ?? '', from, rvs: from.map((x) => x.rv) });
  });
  return out;
});

/**
 * The candidates where the unqualified `col` resolves to the sub-select's own table `alias` (the
 * only table of its FROM list with that column) while the policy's table has a column of that
 * name too: PostgreSQL looks an unqualified name up in the innermost FROM list first, so the
 * comparison is the column with itself.
 */
function selfComparisons(model: Model, t: Table, expr: Node, probe: string, fresh: boolean): SelfComparison[] {
  const list = candidatesOf(expr);
  if (list.length === 0) return NONE;
  let out: SelfComparison[] | undefined;
  for (const c of list) {
    if (!t.columns.includes(c.column)) continue;
    const keys = keysOf(model, c, probe, fresh);
    if (c.kind === 'outer') {
      // (every table of the sub-select known, none the policy's and none with the column, and the
      // IN's own column the policy's table's; most IN lists select a column their table has: the
      // first table read decides)
      if (c.alias && c.alias !== t.name.toLowerCase()) continue;
      let first: Table | undefined;
      let ok = true;
      for (let i = 0; i < keys.length && ok; i++) {
        const x = model.tables.get(keys[i]!);
        // (nor one the migrations name the column of elsewhere, made with IF NOT EXISTS: it was made
        // elsewhere with it; WellFit's user_roles, whose tenant_id an INSERT before the policy writes)
        if (!x || x === t || x.columns.includes(c.column) || columnUsedElsewhere(model, x, c.column)) ok = false;
        else first ??= x;
      }
      if (ok && first) (out ??= []).push({ kind: 'outer', ref: c.ref, column: c.column, alias: c.alias, inner: first });
      continue;
    }
    // (every table of the FROM list known; the aliased one, and those with the column)
    let inner: Table | undefined;
    let having = 0;
    let innerHas = false;
    let known = true;
    for (let i = 0; i < keys.length && known && having < 2; i++) {
      const x = model.tables.get(keys[i]!);
      if (!x) known = false;
      else {
        const has = x.columns.includes(c.column);
        if (has) having++;
        if (inner === undefined && c.from[i]!.alias === c.alias) {
          inner = x;
          innerHas = has;
        }
      }
    }
    if (!known) continue;
    // (the policy's own table read again is one too, under an alias that hides its name: the
    // unqualified column is the sub-select's row's, and the fix's `table.column` the checked
    // row's; we-community's space_members)
    // (`col = col`, both unqualified, reading the policy's own table under its own name: both are the
    // sub-select's row's all the same; kinpulse's group_members, `auth.uid() IN (SELECT user_id FROM
    // group_members WHERE group_id = group_id)`. Told, without the fix `table.col`, which names that row too)
    const unaliased = !!c.bare && inner === t && c.alias === t.name.toLowerCase();
    if (!inner || (inner === t && (c.alias === undefined || c.alias === t.name.toLowerCase()) && !unaliased) || having !== 1 || !innerHas) continue;
    (out ??= []).push({ kind: 'inner', ref: c.ref, column: c.column, alias: c.alias, inner, ...(c.bare ? { bare: true } : {}), ...(unaliased ? { unaliased: true } : {}) });
  }
  return out ?? NONE;
}
const NONE: SelfComparison[] = [];

/** Whether the innermost sub-select whose WHERE holds `ref` is used as a value (`(SELECT x FROM … WHERE …)`, an EXPR_SUBLINK), not in EXISTS, IN or ANY. */
function inScalarSubselect(expr: Node, ref: Node): boolean {
  let scalar = false;
  // (walk meets the outer sub-selects first: the last one holding it is the innermost)
  walk(expr, (k, v) => {
    if (k === 'SubLink' && nodeContains(v.subselect?.SelectStmt?.whereClause, ref)) scalar = v.subLinkType === 'EXPR_SUBLINK';
  });
  return scalar;
}

/** The keys of a candidate's FROM list (kept on it: keptKeys; making them each lint was most of the rule's re-lint and garbage). */
function keysOf(model: Model, c: Candidate, probe: string, fresh: boolean): readonly string[] {
  return keptKeys(model, c, c.rvs, probe, fresh);
}

/** `col = col` (one name, written the same on both sides) ANDed in the WHERE of a query whose FROM list is plain tables. */
export interface Tautology {
  ref: Node;
  qual: string | undefined;
  /**
   * `alias.col = col` (either order): the alias the other side is qualified with. The unqualified
   * side (`ref`) is looked up in the whole FROM list: when `alias`'s table is the only one with
   * the column, it is that table's column too (in a LANGUAGE sql function, before any parameter of
   * that name), and the comparison is of the column with itself.
   */
  other?: string;
  /** (with `other`) the unqualified side is written first: `col = alias.col` */
  bareFirst?: boolean;
  column: string;
  from: Array<{ alias: string; rv: Node }>;
  query: QueryOf;
}

/** The `col = col` comparisons of a statement's queries (kept on the node). */
const tautologiesOf = memoised((stmt: Node): Tautology[] => {
  const out: Tautology[] = [];
  sameNameEqualities(stmt, (l, r, from, query) => {
    if (l.qual === r.qual) out.push({ ref: r.node, qual: l.qual, column: l.name, from, query });
    else if (l.qual === undefined || r.qual === undefined) {
      const [q, u] = l.qual === undefined ? [r, l] : [l, r];
      if (from.some((x) => x.alias === q.qual)) out.push({ ref: u.node, qual: undefined, other: q.qual, bareFirst: u === l, column: u.name, from, query });
    }
  });
  return out;
});

/**
 * The `col = col` comparisons in the queries of a function a policy calls (classroomio's
 * is_org_admin(), `WHERE organization_id = organization_id AND profile_id = auth.uid()`): the
 * column is one table's of the FROM list; in PL/pgSQL, not also one of its variables (then it is
 * 42702, plpgsql-ambiguous-column); in SQL a parameter of that name is shadowed by the column.
 */
const NO_TAUTOLOGIES: never[] = [];

/** The `col = col` comparisons of a SQL or PL/pgSQL body (syntax alone: kept on the function's statement). */
export function bodyTautologies(f: Func): readonly Tautology[] {
  const body = f.body;
  if (!body || body.lexical || (f.language !== 'sql' && f.language !== 'plpgsql')) return NO_TAUTOLOGIES;
  return memoStmt(f.stmt, 'bodyTautologies', () => {
    const out: Tautology[] = [];
    // (the statement itself too: a body statement is its node without the kind around it)
    for (const st of body.statements) out.push(...tautologiesOf({ [st.kind]: st.node }));
    return out.length ? out : NO_TAUTOLOGIES;
  });
}

/**
 * A `col = col` of a function's body: the table the column is of, whether a parameter of that name
 * is shadowed, where the (right, or unqualified) side is written, and the comparison as written.
 */
export type HelperTautology = Tautology & { table: Table; shadowed: boolean; at: number; written: string; comparison: string };

/** What a message says of a parameter a column of the same name shadows. */
export const shadowedNote = (column: string) => ` (in a LANGUAGE sql function a column name takes precedence over a parameter of the same name: the parameter ${column} is never read)`;

export function helperTautologies(model: Model, f: Func): HelperTautology[] {
  const found = bodyTautologies(f);
  if (found.length === 0) return NO_TAUTOLOGIES;
  const params = new Set<string>();
  for (const x of f.stmt.node?.parameters ?? []) if (typeof x?.FunctionParameter?.name === 'string') params.add(x.FunctionParameter.name.toLowerCase());
  const out: HelperTautology[] = [];
  for (const t of found) {
    if (f.language === 'plpgsql' && (f.body!.variables?.includes(t.column) || params.has(t.column))) continue;
    const having: Table[] = [];
    let known = true;
    for (const x of t.from) {
      if (t.qual !== undefined && x.alias !== t.qual) continue;
      const table = model.tables.get(model.relKey(x.rv));
      if (!table) known = false;
      else if (table.columns.includes(t.column)) having.push(table);
    }
    const at: unknown = t.ref.location;
    // (`alias.col = col`: the unqualified col is the column of the one table that has it, alias's)
    if (t.other !== undefined && !t.from.some((x) => x.alias === t.other && model.tables.get(model.relKey(x.rv)) === having[0])) continue;
    if (known && having.length === 1 && typeof at === 'number' && at >= 0) {
      const written = t.qual ? `${t.qual}.${t.column}` : t.column;
      out.push({ ...t, table: having[0]!, shadowed: params.has(t.column), at, written, comparison: t.other === undefined ? `${written} = ${written}` : t.bareFirst ? `${t.column} = ${t.other}.${t.column}` : `${t.other}.${t.column} = ${t.column}` });
    }
  }
  return out;
}

/**
 * What else the policy expression says of the compared column and the sub-select, so that the
 * message claims no more than follows (sprintable's notifications: `org_id IN (SELECT
 * get_user_admin_org_ids()) AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.id = user_id AND
 * tm.org_id = org_id)`): `bound`, a conjunct outside the sub-select that names the policy's
 * table's column (outside any sub-select of its own), which still ties the row's column; and
 * `captured`, the other unqualified names of the sub-select's WHERE that the policy's table has
 * and that resolve to the sub-select's table all the same (user_id is tm.user_id there, so
 * `tm.id = user_id` compares two columns of one row of team_members).
 */
/**
 * The conditions that hold whenever the one holding `ref` admits a row: the other conjuncts of
 * each AND on the way down from the root to it, through the branch of an OR that holds it (in
 * `is_service_mode() OR (tenant_id = current_tenant() AND EXISTS (…))` that is the tenant_id check).
 * Nothing below a NOT or a sub-select.
 */
function alongside(n: Node, ref: Node, out: Node[] = []): Node[] {
  const b = n?.BoolExpr;
  if (!b || b.boolop === 'NOT_EXPR') return out;
  for (const a of b.args ?? []) {
    if (nodeContains(a, ref)) alongside(a, ref, out);
    else if (b.boolop === 'AND_EXPR') out.push(...conjuncts(a));
  }
  return out;
}

function context(model: Model, t: Table, expr: Node, s: SelfComparison): { bound: Node | undefined; captured: string[] } {
  // (the innermost query whose WHERE holds the comparison: walk meets the outer ones first)
  let select: Node | undefined;
  walk(expr, (k, v) => {
    if (k === 'SelectStmt' && nodeContains(v.whereClause, s.ref)) select = v;
  });
  const tname = t.name.toLowerCase();
  // (a sub-select beside it that names the policy's row's column: qualified with the table's name, or
  // unqualified where no table of its plain FROM list has that column, as in EXISTS (SELECT 1 FROM
  // leases l WHERE l.id = lease_id …) beside the comparison)
  const readsOuter = (sel: Node | undefined): boolean => {
    const from = sel ? plainFrom(sel) : undefined;
    if (!from) return false;
    const tables = from.map((x) => model.tables.get(model.relKey(x.rv)));
    if (tables.some((x) => x === undefined)) return false;
    const own = tables.some((x) => x!.columns.includes(s.column));
    let found = false;
    walk(sel.whereClause, (k, v) => {
      if (found || k === 'SubLink') return false;
      if (k !== 'ColumnRef') return;
      const r = refOf({ ColumnRef: v });
      if (r?.name !== s.column) return;
      if (r.qual === undefined ? !own : r.qual === tname && !from.some((x) => x.alias === tname)) found = true;
    });
    return found;
  };
  const namesOutside = (n: Node): boolean => {
    let found = false;
    walk(n, (k, v) => {
      if (found) return false;
      // (a sub-select's own names are its FROM list's; its IN's left side is this level's)
      if (k === 'SubLink') {
        if ((v.testexpr && namesOutside(v.testexpr)) || readsOuter(v.subselect?.SelectStmt)) found = true;
        return false;
      }
      if (k !== 'ColumnRef') return;
      const r = refOf({ ColumnRef: v });
      if (r && r.name === s.column && (r.qual === undefined || r.qual === tname)) found = true;
    });
    return found;
  };
  // (a NULL test names the column but ties it to nothing)
  const bound = alongside(expr, s.ref).find((c) => !c.NullTest && namesOutside(c));
  const captured: string[] = [];
  const from = select ? plainFrom(select) : undefined;
  if (select && from) {
    const tables = from.map((x) => model.tables.get(model.relKey(x.rv)));
    if (tables.every((x) => x !== undefined) && tables.includes(s.inner)) {
      walk(select.whereClause, (k, v) => {
        if (k === 'SubLink') return false;
        if (k !== 'ColumnRef') return;
        const r = refOf({ ColumnRef: v });
        if (!r || r.qual !== undefined || r.name === s.column || captured.includes(r.name) || !t.columns.includes(r.name)) return;
        if (tables.filter((x) => x!.columns.includes(r.name)).length === 1) captured.push(r.name);
      });
    }
  }
  return { bound, captured };
}

/**
 * A hint at the column of the sub-select's table that holds the value: the one `<stem>_id` whose
 * stem begins the selected column's (SixtySecondsApp/use60's organization_memberships.org_id for
 * `organization_id IN (SELECT organization_id FROM organization_memberships …)`), else its id,
 * else its columns where they are few; nothing where none of these says more than the message.
 */
function holderHint(columns: readonly string[], column: string): string {
  const stem = (c: string) => (c.endsWith('_id') && c.length > 3 ? c.slice(0, -3) : undefined);
  const own = stem(column);
  const akin = own ? columns.filter((c) => c !== column && !!stem(c) && (own.startsWith(stem(c)!) || stem(c)!.startsWith(own))) : [];
  if (akin.length === 1) return ` (e.g. its ${akin[0]})`;
  if (columns.includes('id')) return ' (e.g. its id)';
  return columns.length > 0 && columns.length <= 8 ? ` (one of its columns: ${columns.join(', ')})` : '';
}

export const policySubquerySelfComparison = defineRule({
  meta: {
    id: 'policy-subquery-self-comparison',
    description: "A policy's sub-select compares a column of its own table with the same name unqualified, meant as the policy's table's column (or a function a policy calls compares a column with itself): PostgreSQL resolves it to the sub-select's table, so the comparison is always true.",
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards:
      "An unqualified name in a sub-select is looked up in the sub-select's own FROM list first: in EXISTS (SELECT 1 FROM members m WHERE m.org_id = org_id …) org_id is m.org_id, the comparison is true for every membership, and the policy admits the rows of every organisation to a member of any.",
  },
  check({ model, report }) {
    const probe = model.key([undefined, '']);
    for (const row of activeRowsWith(model, FLAG_READS_RELATION)) {
      const t = row.table;
      if (!t) continue;
      const p = row.policy;
      for (const e of row.exprs) {
        for (const s of selfComparisons(model, t, e.node, probe, resolvedThroughPath(p.stmt))) {
          const at: number = s.ref.location;
          if (typeof at !== 'number' || at < 0) continue;
          if (s.kind === 'outer') {
            report({
              file: e.file,
              start: at,
              end: at + s.column.length,
              message:
                `In policy "${p.name}" on ${p.table}, ${s.column} IN (SELECT ${s.column} FROM ${s.inner.key} …) selects ${s.column}, which ${s.inner.key} has no column of: PostgreSQL takes it from the enclosing query, the policy's table, so the sub-select returns the row's own ${s.column} and the IN is true whenever the sub-select finds any row at all ` +
                `(for the caller, a row of ${s.inner.key} in any ${s.column}), so the policy admits rows of every ${s.column}. Select the column of ${s.inner.key} that holds it${holderHint(s.inner.columns, s.column)}, qualified with the table's alias.`,
            });
            continue;
          }
          const qualified = `${quoteIdent(t.name)}.${s.column}`;
          if (s.unaliased) {
            report({
              file: e.file,
              start: at,
              end: at + s.column.length,
              message:
                `In policy "${p.name}" on ${p.table}, the sub-select reads ${p.table} again, without an alias, and compares ${s.column} = ${s.column}, both unqualified: PostgreSQL resolves both to the sub-select's own row (an unqualified name is looked up in the innermost FROM list first), not either to the row the policy checks, ` +
                `so the comparison is true for every row whose ${s.column} is not null and the sub-select no longer ties its row to the ${s.column} of the checked row: it finds a row of any ${s.column} the rest of its WHERE admits (e.g. the caller's membership of any group). ` +
                `Writing ${qualified} would not help: inside the sub-select ${quoteIdent(t.name)} is the sub-select's table. Give it an alias and compare with the checked row: FROM ${quoteIdent(t.name)} x WHERE x.${s.column} = ${qualified}.`,
            });
            continue;
          }
          const fix: Fix = {
            title: `Qualify ${s.column} with the policy's table: ${qualified}`,
            kind: 'safe',
            edits: [{ file: e.file, start: at, end: at + s.column.length, newText: qualified }],
          };
          const { bound, captured } = context(model, t, e.node, s);
          // (what follows for the policy: only where nothing else ties the column, and no other name of the sub-select is taken the same way)
          const effect = !bound && !captured.length && inScalarSubselect(e.node, s.ref)
            ? // (a sub-select used as a value: no longer tied to the row, it returns one value per row of the
              // table the rest of its WHERE admits, and PostgreSQL raises 21000 for two or more; tarrasque's
              // "Media can be updated if the size is not set", PGlite)
              `, and this sub-select is used as a value: it now returns ${s.alias}'s value for every row of ${s.inner.key} the rest of its WHERE admits, not for the row the policy checks, so where that is two rows or more PostgreSQL raises 21000 (more than one row returned by a subquery used as an expression) and the statement fails, and where it is one row every row of ${p.table} gets that row's answer. `
            : bound
            ? `; another condition of the policy, outside the sub-select (where ${s.column} is the row's), still ties ${s.column}, so what is lost is the sub-select's check that its row of ${s.inner.key} has the same ${s.column} as the row of ${p.table}. `
            : captured.length
              ? '. '
              : `, and the policy admits the rows of every ${s.column} to anyone the rest of the sub-select admits (e.g. a caller with a row of ${s.inner.key} for any ${s.column}). `;
          const others = captured.length
            ? `Other unqualified names of this sub-select that ${p.table} has resolve the same way, to ${s.alias}: ${captured.map((c) => `${c} is ${s.alias}.${c}, not ${quoteIdent(t.name)}.${c}`).join('; ')} — qualify each name with the table it means. `
            : '';
          report({
            file: e.file,
            start: at,
            end: at + s.column.length,
            message:
              (s.bare
                ? `In policy "${p.name}" on ${p.table}, the sub-select compares ${s.column} = ${s.column}, both unqualified, but PostgreSQL resolves both to the sub-select's own table ${s.inner.key} (an unqualified name is looked up in the innermost FROM list first), not either to ${p.table}: `
                : s.inner === t
                ? `In policy "${p.name}" on ${p.table}, the sub-select reads ${p.table} again as ${s.alias} and compares ${s.alias}.${s.column} with ${s.column}, but PostgreSQL resolves the unqualified ${s.column} to the sub-select's row ${s.alias} (an unqualified name is looked up in the innermost FROM list first), not to the row the policy checks: `
                : `In policy "${p.name}" on ${p.table}, the sub-select compares ${s.alias}.${s.column} with ${s.column}, but PostgreSQL resolves the unqualified ${s.column} to the sub-select's own table ${s.inner.key} (an unqualified name is looked up in the innermost FROM list first), not to ${p.table}: `) +
              `the comparison is ${s.alias}.${s.column} = ${s.alias}.${s.column}, true for every row whose ${s.column} is not null, so the sub-select no longer ties the row to the ${s.column} of ${p.table}${effect}` +
              others +
              `Qualify it with the policy's table: ${qualified}.`,
            fixes: [fix],
          });
        }
      }
    }
    // the functions policies call: a query comparing a column with itself answers for every row
    // (by the names policies call: a few, where the workspace's functions are thousands)
    const seen = new Set<Func>();
    for (const name of policyCallNames(model)) {
      for (const f of model.functions.get(model.key(name.split('.'))) ?? []) {
        if (seen.has(f) || !f.body || bodyTautologies(f).length === 0) continue;
        seen.add(f);
        const found = helperTautologies(model, f);
        if (found.length === 0) continue;
        const caller = activeRows(model).find((r) => r.exprs.some((e) => callsIn(e.node).some((c) => c.name[c.name.length - 1] === f.name)));
        if (!caller) continue;
        for (const x of found) {
          const written = x.written;
          report({
            file: f.created.file,
            start: x.at,
            end: x.at + written.length,
            message:
              `In function ${f.signature}, which policy "${caller.policy.name}" on ${caller.policy.table} calls, ${x.comparison} compares ${x.table.key}.${x.column} with itself` +
              (x.shadowed ? shadowedNote(x.column) : '') +
              `: it is true for every row whose ${x.column} is not null, so the query finds a row of ${x.table.key} whatever ${x.column} it should be about, and the function answers for every ${x.column} as it would for any one (e.g. a member or admin of one organisation is taken for one of all). ` +
              `Compare the column with the value it is meant to match: a parameter with a name no column has (p_${x.column}), passed by the policy (e.g. its table's ${x.column}).`,
          });
        }
      }
    }
  },
});
