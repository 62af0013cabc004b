// Policy recursion as PostgreSQL sees it (TRUTHS T01, T02, T05, T06, T25, T31–T33). Pure:
// reads the model; computed once per model.
//
// Two mechanisms, one graph. A state is a relation being read, the command it is read for,
// and the role the read runs as ("the caller", or the owner of a SECURITY DEFINER function or
// view). An edge is a policy applied on that read that reads another relation:
//  - in a sub-select (rewrite time): while a relation's applied policies contain a sub-select
//    the relation is "active" in the rewriter, and every relation read inside those
//    sub-selects gets its SELECT policies expanded in turn. Meeting an active relation again
//    whose applied policies contain a sub-select (any, even `(select auth.uid())`) raises
//    42P17 (`fireRIRrules`). So a self-read is harmless when the SELECT policies applied to
//    the inner read contain no sub-select (T32, T33).
//  - through a function the policy calls (execution time): a SECURITY INVOKER function runs
//    its queries as the caller, each a new query with the policies applied again; a cycle
//    never ends and fails with 54001 stack depth limit exceeded (T02, T05). A SECURITY DEFINER
//    function runs as its owner: no policy applies when the owner is a superuser or BYPASSRLS,
//    or owns the table without FORCE; a definer owned by an ordinary role the workspace
//    declares, reading a FORCE'd table, recurses like an invoker one (T06). A function with
//    SET row_security = off, invoker or definer, never recurses: its read that the policies
//    would filter fails with 42501 first (T08). A definer whose owner is not shown, or with that
//    clause, is left to definer-helper-under-force-rls.
import { callsIn, census, fitted, hasSubLink, memoStmt, relationsIn, type CallRef } from './ast.js';
import { replayPlaces, resolvedThroughPath, type Func, type Model, type Policy } from './model.js';
import { appliesToRole, rowSecurityOffClause, usingFoldedAway } from './policies.js';
import { activePoliciesWithKey, activeRuns, leafKind, memoModel, textOfFile } from './policy-exprs.js';
import { nameParts } from './parse.js';
import type { Loc, Node } from './types.js';

export interface RecursionStep {
  /** the policy applied on `table` whose expression makes the read */
  policy: Policy;
  table: string;
  via: 'sub-select' | 'function';
  /** the function the policy calls (via 'function') */
  func?: Func;
  /** the function whose body reads `reads` (the called one or one it calls) */
  reader?: Func;
  /** the relation the step reads (a table key) */
  reads: string;
  /** a view the read goes through, if any */
  view?: string;
  /** the role the read runs as when it is not the caller (a definer function's or view's owner) */
  role?: string;
  /** where the read or call is written (in the policy's expression) */
  loc: Loc;
}

export interface RecursionCycle {
  /** 42P17: rewriter recursion through sub-selects only; 54001: through a function at execution time */
  code: '42P17' | '54001';
  /** the policy the cycle starts from (the one reported) */
  start: Policy;
  steps: RecursionStep[];
  /** 42P17: the policy on the re-entered table whose sub-select makes the re-entry an error */
  closer?: Policy;
  /**
   * 42P17: the roles whose queries meet the closer (null = any role the start policy applies to);
   * a role none of whose policies on the way holds a sub-select is not stopped (measured on PGlite)
   */
  roles?: string[] | null;
}

interface Edge {
  via: 'sub-select' | 'function';
  target: string;
  loc: Loc;
  func?: Func;
  reader?: Func;
  view?: string;
  /** the role the read runs as, when it changes (a definer function's or a view's owner) */
  role?: string;
}

const COMMAND_ORDER = ['select', 'all', 'insert', 'update', 'delete'];

// Facts of a policy's expressions, memoised on its statement (statements are cached per file
// text, so a re-lint after an edit reads a property instead of walking the nodes again). A
// sub-select that reads a relation needs FROM (or TABLE) in the statement's text: only then
// are its relations collected.
interface ExprFacts {
  subReads?: Array<{ schema?: string; name: string; location: number }>;
  calls?: Array<{ name: string[]; argc: number; location: number }>;
  hasSub?: boolean;
}

interface TextFacts {
  /** the text has FROM or TABLE: a sub-select may read a relation */
  reads: boolean;
}

const READS = /\b(from|table)\b/i;

function textFacts(text: string): TextFacts {
  return { reads: READS.test(text) };
}

const factsByNode = new WeakMap<object, ExprFacts>();

/** The facts record of one expression of a policy (on its statement when it comes from p.stmt). */
function factsOf(p: Policy, node: Node, field: 'qual' | 'with_check'): ExprFacts {
  if (p.stmt.node?.[field] === node) return memoStmt(p.stmt, `recursion:${field}`, () => ({}));
  let r = factsByNode.get(node);
  if (!r) factsByNode.set(node, (r = {}));
  return r;
}

function subReadsOf(f: ExprFacts, node: Node): NonNullable<ExprFacts['subReads']> {
  if (!f.subReads) {
    const out: NonNullable<ExprFacts['subReads']> = [];
    for (const r of relationsIn(node)) if (r.inSubLink && r.location >= 0) out.push(r);
    f.subReads = fitted(out);
  }
  return f.subReads;
}

/** A call of ExprFacts: its location is its node's (see ast.ts, "Offsets in what is kept"). */
class CallAt {
  readonly name: string[];
  readonly argc: number;
  constructor(private readonly ref: CallRef) {
    this.name = ref.name;
    this.argc = ref.args.length;
  }
  get location(): number {
    return this.ref.location;
  }
}

function callsOf(f: ExprFacts, node: Node): NonNullable<ExprFacts['calls']> {
  if (!f.calls) {
    const out: NonNullable<ExprFacts['calls']> = [];
    for (const c of callsIn(node)) if (c.location >= 0) out.push(new CallAt(c));
    f.calls = fitted(out);
  }
  return f.calls;
}

interface Clause {
  clause: 'using' | 'check';
  node: Node;
  file: string;
  facts: ExprFacts;
}

/** The policy's USING and WITH CHECK (with the files policyExprs gives). */
function clausesOf(p: Policy): Clause[] {
  const out: Clause[] = [];
  const alter = p.stmt.kind === 'AlterPolicyStmt';
  if (p.using) out.push({ clause: 'using', node: p.using, file: alter && p.stmt.node?.qual === p.using ? p.loc.file : p.created.file, facts: factsOf(p, p.using, 'qual') });
  if (p.withCheck) out.push({ clause: 'check', node: p.withCheck, file: alter && p.stmt.node?.with_check === p.withCheck ? p.loc.file : p.created.file, facts: factsOf(p, p.withCheck, 'with_check') });
  return out;
}

const READS_TEXT: TextFacts = { reads: true };
const NO_READS_TEXT: TextFacts = { reads: false };

/**
 * Text facts of the statements a policy's expressions come from. Those of a CREATE POLICY are
 * asked once per default schema (readsOf keeps what follows from them, and buildInfo reads that
 * instead), so they are not kept on the statement: one record and one memo entry less for each
 * of the bench's 8,938 policies.
 */
function policyTextFacts(model: Model, p: Policy): TextFacts {
  // (a DO block's EXECUTE makes its statement from a string the file may not hold: breeze's `USING (%s)`)
  if (p.stmt.dynamic) return READS_TEXT;
  if (p.stmt.kind === 'CreatePolicyStmt') return READS.test(textOfFile(model, p.loc.file).slice(p.stmt.start, p.stmt.end)) ? READS_TEXT : NO_READS_TEXT;
  const own = memoStmt(p.stmt, 'recursion:text', () => textFacts(textOfFile(model, p.loc.file).slice(p.stmt.start, p.stmt.end)));
  if (p.stmt.kind !== 'AlterPolicyStmt' || (p.stmt.node?.qual === p.using && p.stmt.node?.with_check === p.withCheck)) return own;
  const created = textFacts(textOfFile(model, p.created.file).slice(p.created.start, p.created.end));
  return { reads: own.reads || created.reads };
}

interface PolicyInfo {
  /** edges of all its clauses (as the policy a query starts from) */
  start: Edge[];
  /** edges of its USING (applied to a read inside a sub-select or a function) */
  select: Edge[];
}

const NO_EDGES: Edge[] = [];
const NO_INFO: PolicyInfo = { start: NO_EDGES, select: NO_EDGES };

interface Graph {
  /** relations some policy reads in a sub-select or through a function it calls */
  targets: Set<string>;
  /** names (`name` and `schema.name`) of functions that read or call something */
  callable: { has(name: string): boolean };
}

/** Whether the policy contains a sub-select anywhere (PostgreSQL's `hassublinks` is per policy). */
export function policyHasSubLink(p: Policy): boolean {
  for (const c of clausesOf(p)) {
    c.facts.hasSub ??= (c.facts.subReads?.length ?? 0) > 0 || hasSubLink(c.node);
    if (c.facts.hasSub) return true;
  }
  return false;
}

/** A call of a policy: the function's name as written (interned) and how it is resolved. */
interface PolicyCall {
  /** `name` or `schema.name` */
  key: string;
  name: string[];
  argc: number;
}

/**
 * What a policy's clauses read in sub-selects and call, each relation and call once. One record
 * per content (interned), shared by every policy that reads and calls the same: the bench's
 * 8,938 policies have 4, so a model's graph is assembled from those few (see activeReads).
 */
interface PolicyReads {
  /** keys of the relations its clauses read in sub-selects */
  tables: string[];
  /** the calls of its clauses */
  calls: PolicyCall[];
}

const NO_READS: PolicyReads = { tables: [], calls: [] };

/**
 * What a policy's clauses read and call, memoised on its statement (a CREATE POLICY's) per default
 * schema: under a memo key naming the schema (readsKey), so that the record itself is what the
 * memo holds (a `{ schema, reads }` record per policy was ≈ 0.35 MB of the bench's cold lint).
 */
function readsOf(model: Model, p: Policy, schema: string): PolicyReads {
  // (nor kept when a SET search_path resolved its names: a later replay may resolve them otherwise)
  if (p.stmt.kind !== 'CreatePolicyStmt' || resolvedThroughPath(p.stmt)) return readsOfUncached(model, p);
  const m = (p.stmt.memo ??= {});
  const key = readsKey(schema);
  const hit = m[key] as PolicyReads | undefined;
  if (hit !== undefined) return hit;
  const reads = readsOfUncached(model, p);
  m[key] = reads;
  return reads;
}

/**
 * The memo key of readsOf's records under a default schema, made once per schema in a row (a
 * statement keeps one record per default schema it was asked under: a schema changes with the
 * configuration, seldom).
 */
let lastSchema = '';
let lastReadsKey = 'recursion:reads:';
function readsKey(schema: string): string {
  if (schema !== lastSchema) {
    lastSchema = schema;
    lastReadsKey = `recursion:reads:${schema}`;
  }
  return lastReadsKey;
}

function readsOfUncached(model: Model, p: Policy): PolicyReads {
  const reads = policyTextFacts(model, p).reads;
  // each relation and call once; the content, as one string, is the record's identity. What
  // relationsIn and callsIn find, by a walk that keeps nothing on the nodes (subSelectRelations)
  // and from census (policyCalls): the ExprFacts records (with locations, on the statement) are
  // made for the policies buildInfo asks for edges, not for every policy.
  // (indexed loops, calls told apart by their name parts and argument count rather than by a
  // string made for each, and no record of each call made unless the record is new: this runs
  // once per policy in a cold lint, mostly unoptimised)
  let tables: string[] | undefined;
  const w: CallsWalk = { calls: undefined, rels: undefined, ctes: undefined };
  for (let i = 0; i < 2; i++) {
    const node = i === 0 ? p.using : p.withCheck;
    if (!node || typeof node !== 'object') continue;
    if (reads) {
      subSelectRelations(node, false, w);
      const rels = w.rels;
      if (rels !== undefined) {
        const ctes = w.ctes;
        for (let j = 0; j < rels.length; j++) {
          const r = rels[j]!;
          // (relationsIn drops a relation named as a CTE of the tree, without a schema)
          if (ctes !== undefined && r.schemaname === undefined && ctes.has(r.relname)) continue;
          const k = model.relKey(r);
          if (tables === undefined) tables = [k];
          else if (!tables.includes(k)) tables.push(k);
        }
        w.rels = undefined;
      }
      w.ctes = undefined;
    }
    policyCalls(node, w);
  }
  const calls = w.calls;
  if (tables === undefined && calls === undefined) return NO_READS;
  // (names have no NUL: parts joined with it, and the argument count, tell calls apart)
  let id = tables === undefined ? '\u0001' : `${tables.join('\u0000')}\u0001`;
  if (calls !== undefined) {
    for (let j = 0; j < calls.length; j++) {
      const name = calls[j]!.name;
      id += `${j ? '\u0001' : ''}${name.length === 1 ? name[0] : name.join('\u0000')}\u0000${calls[j]!.argc}`;
    }
  }
  let r = readsByContent.get(id);
  if (r === undefined) {
    if (readsByContent.size >= 20000) readsByContent = new Map();
    // (as shared strings: the names a graph collects compare by pointer)
    r = {
      tables: tables ? tables.map(interned) : NO_READS.tables,
      calls: calls ? calls.map((c) => ({ key: interned(callName(c)), name: c.name, argc: c.argc })) : NO_READS.calls,
    };
    readsByContent.set(id, r);
  }
  return r;
}

/** What readsOfUncached's walks collect: the calls, each name and argument count once. */
interface CallsWalk {
  calls: Array<{ name: string[]; argc: number }> | undefined;
  /** one expression's RangeVars in sub-selects (with a location), and its CTE names */
  rels: Node[] | undefined;
  ctes: Set<string> | undefined;
}

/**
 * The relations of relationsIn(node) that are in a sub-select and have a location, as their
 * RangeVars, in its order (its walk: a SubLink's sub-select before its test expression), with the
 * tree's CTE names (relationsIn drops a relation named like one, without a schema). relationsIn
 * kept a record per relation (and its DML targets) on each expression asked, which no other rule
 * asks of policy expressions on the bench, and its walk was 14–30 ms of a cold lint's profile for
 * the 2,234 whose text has FROM. Bench, cold lint, 6 runs each alternating (census for the calls
 * in both): rules CPU median 678 → 666 ms, retained 52.2 → 52.0 MB; the reads of a cold model
 * alone, 5 runs: CPU median 89 → 78 ms.
 */
function subSelectRelations(n: Node, inSub: boolean, w: CallsWalk): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) subSelectRelations(n[i], inSub, w);
    return;
  }
  if (!n || typeof n !== 'object') return;
  for (const key in n) {
    const v = n[key];
    if (!v || typeof v !== 'object') continue;
    if (key === 'SubLink') {
      subSelectRelations(v.subselect, true, w);
      subSelectRelations(v.testexpr, inSub, w);
      continue;
    }
    if (key === 'RangeVar' || (key === 'relation' && v.relname !== undefined)) {
      if (inSub && (v.location ?? -1) >= 0) (w.rels ??= []).push(v);
      continue;
    }
    if (key === 'CommonTableExpr' && v.ctename) (w.ctes ??= new Set()).add(v.ctename);
    if (!leafKind(key)) subSelectRelations(v, inSub, w);
  }
}

/**
 * Adds the calls of callsIn(node) that have a location to w.calls, each name and argument count
 * once, in callsIn's order. callsIn kept a record and a name list per call on every policy
 * expression, which on the bench no other rule asks of most of them (per-row-function asks it
 * of the 2,235 its flag selects, of 11,172): ≈ 1.7 MB of a cold lint. census lists the same
 * calls in the same order (each walk looks at every object-valued property, for-in order) but
 * for one thing: callsIn looks into a call's arguments and aggregate FILTER only, census into
 * all of it. So census' list serves where no call has an aggregate FILTER, ORDER BY or OVER
 * (FILTER too: callsIn looks at it after the arguments, whatever the order of the fields); a
 * walk as callsIn's (callsUnder) otherwise. Not a walk of its own for all: census is kept
 * already, and a new walker runs unoptimised in a cold lint where those of ast.ts are hot from
 * the model build (bench, CPU of the reads of a cold model, 5 runs each under load: medians 81
 * ms with callsIn, 99 with a walk of its own for every expression).
 */
function policyCalls(node: Node, w: CallsWalk): void {
  const all = census(node).funcCalls;
  for (let i = 0; i < all.length; i++) {
    const v = all[i];
    if (v.agg_filter || v.agg_order || v.over) {
      callsUnder(node, w);
      return;
    }
  }
  for (let i = 0; i < all.length; i++) addCall(all[i], w);
}

function addCall(v: Node, w: CallsWalk): void {
  if ((v.location ?? -1) < 0) return;
  const argc: number = v.args?.length ?? 0;
  const name = nameParts(v.funcname);
  if (w.calls === undefined) w.calls = [{ name, argc }];
  else if (!hasCall(w.calls, name, argc)) w.calls.push({ name, argc });
}

/** callsIn's walk (ast.ts callsUnder), adding each call to w (addCall). */
function callsUnder(n: Node, w: CallsWalk): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') callsUnder(x, w);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'FuncCall') {
      addCall(v, w);
      if (v.args && typeof v.args === 'object') callsUnder(v.args, w);
      if (v.agg_filter && typeof v.agg_filter === 'object') callsUnder(v.agg_filter, w);
    } else if (!leafKind(k)) callsUnder(v, w);
  }
}

/** Whether `calls` has a call of `name` (the same parts) with `argc` arguments. */
function hasCall(calls: Array<{ name: string[]; argc: number }>, name: string[], argc: number): boolean {
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    if (c.argc !== argc || c.name.length !== name.length) continue;
    let same = true;
    for (let k = 0; k < name.length && same; k++) same = c.name[k] === name[k];
    if (same) return true;
  }
  return false;
}

/** The one record of each content of PolicyReads (bounded: when full it starts over, which costs only sharing). */
let readsByContent = new Map<string, PolicyReads>();

/** One string object per name read or called by policies (bounded: when full it starts over). */
let names = new Map<string, string>();
function interned(k: string): string {
  const hit = names.get(k);
  if (hit !== undefined) return hit;
  if (names.size >= 20000) names = new Map();
  names.set(k, k);
  return k;
}

function callName(c: { name: string[] }): string {
  return c.name.length > 1 ? c.name.slice(-2).join('.') : c.name[0]!;
}

interface ActiveReads {
  /** the distinct PolicyReads of active policies, in the order policies first have them */
  records: PolicyReads[];
  /** names of the functions active policies call, as written */
  called: Set<string>;
}

/**
 * The distinct reads records of the active policies (per model). A re-lint's model has new
 * policy objects for every file replayed, but their statements keep their records: one pass
 * over the policies, a property read and a Set.add each, and what follows from the records
 * (names, view expansion, what calls read) is done once per record, not once per policy. In
 * first-seen order: what the graph derives from them comes in the order the policies give it.
 */
function activeReads(model: Model): ActiveReads {
  return memoModel(model, 'recursion:activeReads', buildActiveReads);
}

function buildActiveReads(model: Model): ActiveReads {
  const schema = model.config.defaultSchema || 'public';
  const runs = activeRuns(model);
  const seen = new Set<PolicyReads>();
  // (indexed loops: this runs once per model, mostly before it is optimised, where for-of
  // allocates an iterator result per element: ≈ 1 MB per re-lint in the loop this replaces)
  // run by run: a run the index keeps on its table keeps its distinct records too, as long as the
  // default schema is the same and none of its policies' names resolved through a SET search_path
  // (readsOf keeps them on the statement then only): a re-lint asks the rows of the tables the
  // edit touched, not the ≈ 9,000 policies of the bench
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    let records = run.readsSchema === schema ? (run.reads as readonly PolicyReads[] | undefined) : undefined;
    if (records === undefined) {
      const rows = run.active;
      let own: PolicyReads[] | undefined;
      let keep = run.kept;
      for (let j = 0; j < rows.length; j++) {
        const p = rows[j]!.policy;
        if (keep && (p.stmt.kind !== 'CreatePolicyStmt' || resolvedThroughPath(p.stmt))) keep = false;
        const r = readsOf(model, p, schema);
        if (r === NO_READS) continue;
        if (own === undefined) own = [r];
        else if (!own.includes(r)) own.push(r);
      }
      records = own ?? NO_RECORDS;
      if (keep) {
        run.reads = records;
        run.readsSchema = schema;
      }
    }
    for (let j = 0; j < records.length; j++) seen.add(records[j]!);
  }
  const records = [...seen];
  const called = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const calls = records[i]!.calls;
    for (let j = 0; j < calls.length; j++) called.add(calls[j]!.key);
  }
  return { records, called };
}

const NO_RECORDS: readonly PolicyReads[] = [];

/**
 * The active policies of tables other than `table` whose clauses read `table` in a sub-select
 * (policy-recursion: a query applying one of them expands `table`'s SELECT policies too, and
 * fails with their 42P17 for a role they apply to). In model order.
 */
export function policiesReadingInSubSelect(model: Model, table: string): Policy[] {
  const schema = model.config.defaultSchema || 'public';
  const out: Policy[] = [];
  for (const run of activeRuns(model)) {
    for (const row of run.active) {
      const p = row.policy;
      if (p.table !== table && readsOf(model, p, schema).tables.includes(table)) out.push(p);
    }
  }
  return out;
}

/** Names of the functions active policies call, as written (`name` or `schema.name`). */
export function policyCallNames(model: Model): ReadonlySet<string> {
  return activeReads(model).called;
}

/**
 * The relations policies read (pass 1, cheap: no edge objects). A cycle only ever visits
 * tables some edge reads, so edges are built (pass 2, edgesOf) for the policies of those only.
 */
function graph(model: Model): Graph {
  return memoModel(model, 'recursion:graph', buildGraph);
}

function buildGraph(model: Model): Graph {
  const callable = callableNames(model);
  const targets = new Set<string>();
  // what a call reads, per called name and argument count (the same few helpers are called by many policies)
  const readsByCall = new Map<string, Array<readonly string[] | undefined>>();
  const readsOfCall = (c: PolicyCall): readonly string[] => {
    let byArgc = readsByCall.get(c.key);
    if (!byArgc) readsByCall.set(c.key, (byArgc = []));
    let keys = byArgc[c.argc];
    if (!keys) {
      const out: string[] = [];
      const f = callable.has(c.key) ? model.findFunction(c.name, c.argc) : undefined;
      if (f) for (const x of functionReads(model, f)) out.push(x.key);
      byArgc[c.argc] = keys = out;
    }
    return keys;
  };
  // each record in the order policies first have it: targets come in the order the policies give them
  for (const r of activeReads(model).records) {
    for (const k of r.tables) {
      if (model.views.size && model.views.has(k)) for (const x of expandRead(model, k, undefined)) targets.add(x.key);
      else targets.add(k);
    }
    for (const c of r.calls) for (const k of readsOfCall(c)) targets.add(k);
  }
  return { targets, callable };
}

/** The keys of a model's functions, as the lookups by name need them (see functionKeys). */
export interface FunctionKeys {
  /** the schema part of every `schema.name` key (one dot), each once */
  schemas: string[];
  /** keys with no dot or more than one (a quoted schema or name with a dot in it), with their functions, in map order */
  irregular: Array<{ key: string; list: Func[] }>;
}

/**
 * The schemas of the model's function keys and its irregular keys (per model): a function
 * named `n` in any schema is then one lookup per schema, `schema.n`, and irregular keys are
 * looked at one by one, instead of a pass over every function per question. One pass over the
 * keys alone, with forEach: for-of over a Map allocates a `[key, value]` entry and an iterator
 * result per key, and reading each key's functions (their schema) costs a cache miss per
 * function: over the bench's 4,469 keys ≈ 5 ms per model under the profiler, against ≈ 2 ms for
 * the keys alone (0.6–0.8 ms without it).
 */
export function functionKeys(model: Model): FunctionKeys {
  return memoModel(model, 'recursion:functionKeys', buildFunctionKeys);
}

function buildFunctionKeys(model: Model): FunctionKeys {
  const schemas: string[] = [];
  const irregular: FunctionKeys['irregular'] = [];
  // the schema of the key before (keys of one schema tend to come together), then a scan of the few known
  let last: string | undefined;
  let many: Set<string> | undefined;
  model.functions.forEach((list, k) => {
    const dot = k.indexOf('.');
    if (dot < 0 || dot !== k.lastIndexOf('.')) {
      irregular.push({ key: k, list });
      return;
    }
    if (last !== undefined && last.length === dot && k.startsWith(last)) return;
    if (many === undefined) {
      for (let i = 0; i < schemas.length; i++) {
        const x = schemas[i]!;
        if (x.length === dot && k.startsWith(x)) {
          last = x;
          return;
        }
      }
    }
    const schema = k.slice(0, dot);
    last = schema;
    if (many === undefined) {
      schemas.push(schema);
      // (past a few dozen schemas, a scan per key costs more than a slice and a Set)
      if (schemas.length > 32) many = new Set(schemas);
    } else if (!many.has(schema)) {
      many.add(schema);
      schemas.push(schema);
    }
  });
  return { schemas, irregular };
}

/**
 * Names (`name` and `schema.name`) of functions that read or call something, looked up as
 * asked (a function `f` is callable as its key, and as its bare name in the default schema
 * or pg_catalog): no pass over every function.
 */
function callableNames(model: Model): { has(name: string): boolean } {
  const defaultSchema = model.config.defaultSchema || 'public';
  const reads = (f: Func) => f.reads.size > 0 || f.calls.size > 0;
  // functions whose key is not `schema.name` (a schema name with a dot in it): checked one by one
  let odd: Func[] | undefined;
  const oddFunctions = () => {
    if (odd) return odd;
    odd = [];
    for (const { key: k, list } of functionKeys(model).irregular) if (k.indexOf('.') !== k.lastIndexOf('.')) for (const f of list) if (f.key !== `${f.schema}.${f.name}`) odd.push(f);
    return odd;
  };
  const memo = new Map<string, boolean>();
  const compute = (name: string): boolean => {
    const exact = (f: Func) => reads(f) && (f.key === name || (f.name === name && (f.schema === defaultSchema || f.schema === 'pg_catalog')));
    for (const k of [name, `${defaultSchema}.${name}`, `pg_catalog.${name}`]) if (model.functions.get(k)?.some(exact)) return true;
    return oddFunctions().some(exact);
  };
  return {
    has(name: string): boolean {
      let v = memo.get(name);
      if (v === undefined) memo.set(name, (v = compute(name)));
      return v;
    },
  };
}

function buildInfo(model: Model, p: Policy): PolicyInfo {
  const g = graph(model);
  const r = readsOf(model, p, model.config.defaultSchema || 'public');
  if (r === NO_READS) return NO_INFO;
  // (a sub-select read is an edge when the text has FROM or TABLE: then r.tables has it)
  const subReads = r.tables.length > 0;
  const wantCalls = r.calls.some((c) => g.callable.has(c.key));
  if (r.tables.length === 0 && !wantCalls) return NO_INFO;
  let start = NO_EDGES;
  let select = NO_EDGES;
  // a USING PostgreSQL never evaluates (beside USING (true) for each of its commands and roles,
  // folded while planning) calls nothing; its sub-selects are still expanded by the rewriter
  const folded = wantCalls && usingFoldedAway(model, p);
  for (const e of clausesOf(p)) {
    const edges: Edge[] = [];
    if (subReads) {
      for (const r of subReadsOf(e.facts, e.node)) {
        const loc = { file: e.file, start: r.location, end: r.location + (r.schema ? r.schema.length + 1 : 0) + r.name.length };
        for (const x of expandRead(model, model.relKey(r), undefined)) edges.push({ via: 'sub-select', target: x.key, loc, view: x.view, role: x.role });
      }
    }
    if (wantCalls && !(folded && e.clause === 'using')) {
      for (const c of callsOf(e.facts, e.node)) {
        if (!g.callable.has(callName(c))) continue;
        const f = model.findFunction(c.name, c.argc);
        if (!f) continue;
        const text = textOfFile(model, e.file);
        const open = text.indexOf('(', c.location);
        const loc = { file: e.file, start: c.location, end: open > c.location ? open : c.location + 1 };
        for (const x of functionReads(model, f)) edges.push({ via: 'function', target: x.key, loc, func: f, reader: x.reader, view: x.view, role: x.role });
      }
    }
    if (edges.length === 0) continue;
    start = start === NO_EDGES ? edges : [...start, ...edges];
    if (e.clause === 'using') select = edges;
  }
  return start === NO_EDGES ? NO_INFO : { start, select };
}

/** An ordinary role the workspace declares: not a superuser, no BYPASSRLS. */
export function declaredOrdinaryRole(model: Model, role: string | undefined): boolean {
  if (!role) return false;
  const r = model.roles.get(role);
  return !!r && r.declared && !r.bypassRls && !r.superuser;
}

/** Whether a table's policies apply to a read running as `role` (undefined: the caller, assumed subject to RLS). */
function rlsApplies(model: Model, key: string, role: string | undefined): boolean {
  const t = model.tables.get(key);
  if (t && !t.rlsEnabled) return false;
  if (role === undefined) return true;
  if (model.roleBypassesRls(role) !== false) return false;
  if (!t) return true;
  if (t.rlsForced) return true;
  // without FORCE the owner is exempt; when the table's owner is not shown it may be this role
  return !!t.owner && t.owner.role !== role;
}

/** Relation keys a read of `key` stands for, each with the role it runs as (views expanded). */
function expandRead(model: Model, key: string, role: string | undefined, seen = new Set<string>()): Array<{ key: string; view?: string; role: string | undefined }> {
  const v = model.views.get(key);
  // (a materialized view is read as its stored rows: the tables its query reads are not read, nor their policies expanded)
  if (!v || v.materialized) return [{ key, role }];
  if (seen.has(key)) return [];
  seen.add(key);
  let inner = role;
  if (!v.securityInvoker) {
    // a plain view reads its tables as the view's owner: only followed when that owner is a declared ordinary role
    if (!declaredOrdinaryRole(model, v.owner?.role)) return [];
    inner = v.owner!.role;
  }
  return [...v.reads].flatMap((r) => expandRead(model, r, inner, seen).map((x) => ({ ...x, view: x.view ?? key })));
}

/** Tables a function's body reads when called, with the role each read runs as (undefined: the caller). */
function functionReads(model: Model, f: Func): Array<{ key: string; reader: Func; view?: string; role: string | undefined }> {
  const cache = memoModel(model, 'recursion:functionReads', () => new Map<Func, Array<{ key: string; reader: Func; view?: string; role: string | undefined }>>());
  const hit = cache.get(f);
  if (hit) return hit;
  const out: Array<{ key: string; reader: Func; view?: string; role: string | undefined }> = [];
  cache.set(f, out); // cycles between functions end here
  // (with SET row_security = off, a read the policies would filter fails with 42501 instead, in the
  // function and the invoker functions it calls: no recursion through it, as the caller (T08) or as a
  // definer's ordinary owner; row-security-off-does-not-bypass and definer-helper-under-force-rls tell; PGlite)
  if (rowSecurityOffClause(f)) return out;
  let role: string | undefined;
  if (f.securityDefiner) {
    if (!declaredOrdinaryRole(model, f.owner?.role)) return out;
    role = f.owner!.role;
  }
  for (const r of f.reads) for (const x of expandRead(model, r, role)) out.push({ ...x, reader: f });
  for (const k of f.calls) {
    for (const g of model.functions.get(k) ?? []) {
      // a function that calls itself reads nothing more through that call; following it would
      // append to the list being iterated, without end (a recursive helper ran out of memory)
      if (g === f) continue;
      for (const x of functionReads(model, g)) out.push({ ...x, role: x.role ?? role });
    }
  }
  return out;
}

function edgesOf(model: Model, p: Policy, mode: 'start' | 'select'): Edge[] {
  const cache = memoModel(model, 'recursion:edges', () => new Map<Policy, PolicyInfo>());
  let i = cache.get(p);
  if (!i) cache.set(p, (i = buildInfo(model, p)));
  return i[mode];
}

/** Roles a chain of policies can run as: null = any role. */
type Roles = string[] | null;

function intersect(model: Model, roles: Roles, p: Policy): Roles | undefined {
  if (p.roles.includes('public')) return roles;
  // roles that bypass RLS (superusers, BYPASSRLS such as Supabase's service_role) never expand policies
  const out = (roles ?? p.roles).filter((r) => model.roleBypassesRls(r) !== true && (roles === null || appliesToRole(model, p, r)));
  return out.length ? out : undefined;
}

function appliesTo(model: Model, p: Policy, role: string | undefined, roles: Roles): Roles | undefined {
  if (role !== undefined) return appliesToRole(model, p, role) ? roles : undefined;
  return intersect(model, roles, p);
}

const isSelect = (p: Policy) => p.command === 'select' || p.command === 'all';

/** Replay order of a location: its replay run (a file psql includes runs where it is included), then offset. */
function orderKey(model: Model, loc: Loc): number {
  return Math.max(replayPlaces(model).runOf(loc), 0) * 1e9 + loc.start;
}

function searchFrom(model: Model, start: Policy): RecursionCycle | undefined {
  const R = start.table;
  const startRoles = intersect(model, null, start);
  if (startRoles === undefined) return undefined;
  const path: RecursionStep[] = [];
  const visited = new Set<string>();
  let found: RecursionCycle | undefined;

  const arrive = (S: string, role: string | undefined, roles: Roles, active: ReadonlySet<string>, runtime: boolean, depth: number): void => {
    if (found || depth > 16) return;
    if (!rlsApplies(model, S, role)) return;
    const applied: Array<{ p: Policy; roles: Roles }> = [];
    for (const q of activePoliciesWithKey(model, S)) {
      if (!isSelect(q)) continue;
      const r2 = appliesTo(model, q, role, roles);
      if (r2 !== undefined) applied.push({ p: q, roles: r2 });
    }
    const subLinks = applied.filter((x) => policyHasSubLink(x.p));
    if (S === R) {
      if (runtime) {
        // a new query on R applies its SELECT policies: the cycle repeats when the start policy is one of them
        if (applied.some((x) => x.p === start)) found = { code: '54001', start, steps: path.slice() };
      } else if (active.has(R) && subLinks.length) {
        const c = subLinks.find((x) => x.p === start) ?? subLinks[0]!;
        // (every role any of them applies to recurses)
        const roles2 = subLinks.some((x) => x.roles === null) ? null : [...new Set(subLinks.flatMap((x) => x.roles!))];
        found = { code: '42P17', start, steps: path.slice(), closer: c.p, roles: roles2 };
      }
      return;
    }
    // an active relation met again: a recursion of other policies (reported from their own start)
    if (!runtime && active.has(S) && subLinks.length) return;
    const key = `${S}\u0000${role ?? ''}\u0000${runtime ? 1 : 0}`;
    if (visited.has(key)) return;
    visited.add(key);
    const nextActive = subLinks.length ? new Set([...active, S]) : active;
    for (const { p: q, roles: r2 } of applied) follow(q, S, 'select', role, r2, nextActive, runtime, depth);
  };

  const follow = (q: Policy, table: string, mode: 'start' | 'select', role: string | undefined, roles: Roles, active: ReadonlySet<string>, runtime: boolean, depth: number): void => {
    for (const e of edgesOf(model, q, mode)) {
      if (found) return;
      const nextRole = e.role ?? role;
      path.push({ policy: q, table, via: e.via, func: e.func, reader: e.reader, reads: e.target, view: e.view, role: nextRole, loc: e.loc });
      // a definer owner's read: the chain's roles are those of the owner from here on
      if (e.via === 'sub-select') arrive(e.target, nextRole, roles, active, runtime, depth + 1);
      else arrive(e.target, nextRole, nextRole === undefined ? roles : null, new Set(), true, depth + 1);
      path.pop();
    }
  };

  follow(start, R, 'start', undefined, startRoles, policyHasSubLink(start) ? new Set([R]) : new Set(), false, 0);
  return found;
}

/**
 * Every policy recursion of the workspace, one per cycle (the same cycle found from several of
 * its policies is kept once, started from the policy that comes last in migration order: the
 * one whose CREATE closes the cycle). In migration order of their start.
 */
export function recursionCycles(model: Model): RecursionCycle[] {
  return memoModel(model, 'recursion:cycles', () => {
    const g = graph(model);
    const byKey = new Map<string, RecursionCycle>();
    // a cycle through R needs an edge that reads R: only policies on such tables can start one
    const starts: Policy[] = [];
    for (const k of g.targets) for (const p of activePoliciesWithKey(model, k)) if (edgesOf(model, p, 'start').length) starts.push(p);
    starts.sort((a, b) => COMMAND_ORDER.indexOf(a.command) - COMMAND_ORDER.indexOf(b.command));
    for (const p of starts) {
      const c = searchFrom(model, p);
      if (!c) continue;
      const k = cycleKey(c);
      const prev = byKey.get(k);
      if (!prev || orderKey(model, c.start.loc) > orderKey(model, prev.start.loc)) byKey.set(k, c);
    }
    return [...byKey.values()].sort((a, b) => orderKey(model, a.start.loc) - orderKey(model, b.start.loc));
  });
}

function policyId(p: Policy): string {
  return `${p.table}\u0000${p.name}`;
}

function cycleKey(c: RecursionCycle): string {
  const ids = new Set<string>([policyId(c.start), ...c.steps.map((s) => policyId(s.policy))]);
  return `${c.code}|${[...ids].sort().join('|')}`;
}

/** SECURITY DEFINER functions whose reads take part in a recursion cycle, by table read. */
export function definersInCycles(model: Model): Set<string> {
  return memoModel(model, 'recursion:definers', () => {
    const out = new Set<string>();
    for (const c of recursionCycles(model)) {
      for (const s of c.steps) {
        if (s.func?.securityDefiner) out.add(`${s.func.key}\u0000${s.reads}`);
        if (s.reader?.securityDefiner) out.add(`${s.reader.key}\u0000${s.reads}`);
      }
    }
    return out;
  });
}
