// Helpers over libpg-query expression trees and their source text. Pure.
import { FLYWAY_PLACEHOLDER_SOURCE, nameParts, quoteIdent, sval, walk } from './parse.js';
import type { Node, ParsedFile, Span, Statement } from './types.js';

export interface RelationRef {
  schema?: string;
  name: string;
  location: number;
  /** Inside a sub-select (SubLink) of the expression, at any depth. */
  inSubLink: boolean;
  /** the RangeVar node (Model.relKey resolves it) */
  readonly node: Node;
}

export interface CallRef {
  /** Name parts as written, e.g. ['auth', 'uid']. */
  name: string[];
  args: Node[];
  location: number;
  node: Node;
  /** Inside any SELECT (a SubLink's sub-select or a FROM sub-query), at any depth. */
  inSelect: boolean;
}

// Offsets in what is kept: an edit moves the statements after it where they are (parse.ts
// moveInPlace), so a node keeps what was computed from it while its `location` changes. What is
// kept therefore never copies an offset: the records below read theirs from their node.

/** A RelationRef that reads its location from its RangeVar. */
class Rel implements RelationRef {
  constructor(
    readonly schema: string | undefined,
    readonly name: string,
    readonly node: Node,
    readonly inSubLink: boolean,
  ) {}
  get location(): number {
    return this.node.location ?? -1;
  }
}

/**
 * The arguments of a call without any: one list for all (never mutated), not an empty list kept
 * with each of them (the bench's policies alone call auth.uid() ≈ 9,000 times).
 */
const NO_ARGS: Node[] = [];

/** A CallRef that reads its location from its FuncCall. */
class Call implements CallRef {
  constructor(
    readonly name: string[],
    readonly args: Node[],
    readonly node: Node,
    readonly inSelect: boolean,
  ) {}
  get location(): number {
    return this.node.location ?? -1;
  }
}

// Parsed files are cached between lints, so their nodes are too: the helpers below are
// memoised per node, which makes rebuilding the model after an edit cheap. Results are
// shared: callers must not mutate them.
//
// What is kept on a node lives in one list of slots per node, a slot per memoised helper and
// one for the NodeFacts record: one WeakMap entry per node rather than one in a WeakMap per
// helper (a policy expression is asked by ten of them). Entries of a WeakMap cost table space
// and extra marking work in every full GC, and the nodes live as long as their parsed files.
//
// What rules keep on a node is in its NodeFacts record: flags, and per-model facts (`model`
// tells which model they were computed for) and results kept across lints under a signature.
export interface NodeFacts {
  /** syntactic flags of a policy expression (policy-exprs.ts exprFlags) */
  flags?: number;
  /** its distinct calls as a list shared by nodes with the same calls (policy-exprs.ts callKeyList) */
  callList?: unknown[];
  /** the model (idOf) the per-model fields below were computed for */
  model?: number;
  /** per-model: signature of what the node's calls resolve to */
  callSig?: string;
  /** per-model: the signature unset-context.ts keeps its results under */
  contextSig?: string;
  /** per-model: the workspace functions its calls resolve to (policy-exprs.ts resolvedCalls) */
  resolved?: readonly unknown[];
  /** results kept across lints (policy-exprs.ts keptUnder): per question, the signature it was computed under and the value */
  results?: Array<{ what: string; sig: string; v: unknown; model?: number; at: number; token: object }>;
}

/**
 * A node's slots live on the node, under a symbol that is not enumerable (for…in, Object.keys,
 * JSON and deepStrictEqual do not see it; a copy of a node does not take it). They were in a
 * WeakMap: its lookups were the hottest line of several rules' re-lints (a hash per node, asked
 * per policy and rule), and its entries cost the garbage collector's marking (ephemerons). A node
 * that cannot take a property (frozen) keeps its slots in the WeakMap.
 */
const SLOTS = Symbol('slots');
const frozenSlots = new WeakMap<object, unknown[]>();
/** whether frozenSlots has ever held a node (most runs never: then it is not looked in) */
let anyFrozen = false;
/** slots handed out so far: the NodeFacts record's, then one per memoised helper (all made when their modules load) */
let slotCount = 0;
const FACTS = slotCount++;
const UNDEFINED = Symbol('undefined');

/** A node's slots, if it has any. */
function slotsIn(node: object): unknown[] | undefined {
  const m = (node as { [SLOTS]?: unknown[] })[SLOTS];
  return m !== undefined || !anyFrozen ? m : frozenSlots.get(node);
}

/**
 * The slots of a node, with room for `slot`. A node is asked by few helpers or by most of
 * them, so its list is only as long as its highest slot in use (an exact-size copy when it
 * grows: this happens once per node and helper).
 */
function slotsOf(node: object, slot: number): unknown[] {
  const m = slotsIn(node);
  if (m && slot < m.length) return m;
  const grown = new Array<unknown>(slot + 1);
  if (m) for (let i = 0; i < m.length; i++) grown[i] = m[i];
  if (m && Object.prototype.hasOwnProperty.call(node, SLOTS)) (node as { [SLOTS]?: unknown[] })[SLOTS] = grown;
  else if (Object.isExtensible(node)) Object.defineProperty(node, SLOTS, { value: grown, writable: true, enumerable: false, configurable: true });
  else {
    anyFrozen = true;
    frozenSlots.set(node, grown);
  }
  return grown;
}

/** The record of facts of a node (created on first use). */
export function nodeFacts(node: object): NodeFacts {
  const m = slotsOf(node, FACTS);
  // every field from the start: one shape of record (fields added as asked made a shape per order
  // of questions, and a policy node's seven did not fit in the empty literal's four slots)
  return (m[FACTS] ??= { flags: undefined, callList: undefined, model: undefined, callSig: undefined, contextSig: undefined, resolved: undefined, results: undefined }) as NodeFacts;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
/**
 * A number identifying an object (a model, a statement) for as long as it lives. Models are
 * told apart by it, so that a record never keeps an old model alive (nor does a WeakRef, whose
 * target lives at least until the end of the current job).
 */
export function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

/** The record's per-model fields, reset when the model is not the one they were computed for. */
export function nodeFactsFor(node: object, model: object): NodeFacts {
  const f = nodeFacts(node);
  const id = idOf(model);
  if (f.model !== id) {
    f.model = id;
    f.callSig = undefined;
    f.contextSig = undefined;
    f.resolved = undefined;
  }
  return f;
}

/** `fn` of a node, computed once per node (kept in a slot of the node, an undefined result too). */
export function memoised<T>(fn: (node: Node) => T): (node: Node) => T {
  const slot = slotCount++;
  return (node: Node) => {
    if (!node || typeof node !== 'object') return fn(node);
    const hit = slotsIn(node)?.[slot];
    if (hit !== undefined) return (hit === UNDEFINED ? undefined : hit) as T;
    const v = fitted(fn(node));
    slotsOf(node, slot)[slot] = v === undefined ? UNDEFINED : v;
    return v;
  };
}

/**
 * memoised() for a helper whose result holds offsets (copied from the node's tree, or found in
 * the text at them): kept with the node's first offset (anchorAt), and computed again when
 * that has changed. An edit moves all of a statement's offsets by the same amount (parse.ts
 * moveInPlace), so one offset tells whether the result still holds.
 */
export function memoisedAt<T>(fn: (node: Node) => T): (node: Node) => T {
  const slot = slotCount++;
  return (node: Node) => {
    if (!node || typeof node !== 'object') return fn(node);
    const at = anchorAt(node);
    const hit = slotsIn(node)?.[slot] as { at: number; v: T } | undefined;
    if (hit !== undefined && hit.at === at) return hit.v;
    const v = fitted(fn(node));
    slotsOf(node, slot)[slot] = { at, v };
    return v;
  };
}

/**
 * The first AST offset (`location`) in a node's tree, -1 when it has none: what a result kept
 * with offsets is checked against (memoisedAt). A tree without any offset yields no offset to
 * keep. Expression nodes have their own location, so this returns at the first or second step.
 */
export function anchorAt(node: Node): number {
  const stack: unknown[] = [node];
  while (stack.length) {
    const v = stack.pop() as Record<string, unknown> | unknown[] | null;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      continue;
    }
    const loc = (v as { location?: unknown }).location;
    if (typeof loc === 'number' && loc >= 0) return loc;
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return -1;
}

/** The one empty array of kept results: most nodes have no match for most helpers. Frozen, so a caller mutating a result throws. */
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * An array built with push() has room for more (at least 17 elements once one is pushed):
 * for results kept as long as their nodes, an exact-size copy (slice) instead, and the shared
 * EMPTY for an empty one. Other values are returned as they are.
 */
export function fitted<T>(v: T): T {
  return Array.isArray(v) ? ((v.length ? v.slice() : EMPTY) as T) : v;
}

/** The same for facts derived from one statement alone, kept on the statement under `tag`. */
export function memoStmt<T>(stmt: Statement, tag: string, fn: () => T): T {
  const m = (stmt.memo ??= {});
  if (tag in m) return m[tag] as T;
  const v = fn();
  m[tag] = v;
  return v;
}

/** What one walk of a node finds: every FuncCall (in walk order) and whether some node kinds occur at all. */
export interface Census {
  /** FuncCall values, in the order walk() meets them */
  funcCalls: Node[];
  /** an A_Const anywhere (every literal is one) */
  aConst: boolean;
  /** a string (a literal, a name) that contains `user_meta` in any case */
  userMeta: boolean;
  /** a call named current_setting (any schema) */
  currentSetting: boolean;
  /** a COALESCE anywhere */
  coalesce: boolean;
  /** a cast (`x::type`, CAST (x AS type)) anywhere (lib/uuid-as-number.ts: a tree without one casts nothing to a number) */
  typeCast: boolean;
  /** a string `->>` anywhere (the operator's name; a literal of that text alike) (operators.ts: what a tree without one, a cast nor current_setting() compares is no text) */
  arrowText: boolean;
  /** a SubLink `x IN (SELECT …)`, `= ANY (SELECT …)`, `<> ALL (SELECT …)` anywhere (operators.ts: a value compared with a sub-select's rows) */
  anyAllSubLink: boolean;
  /** ColumnRef values, in walk order (columns.ts: the names a policy reads) */
  columnRefs: Node[];
  /** RangeVar values (relations named in FROM, and DML targets), in walk order (columns.ts) */
  rangeVars: Node[];
}

// The walkers below (census, relationsIn, callsIn, hasSubLink) each visit what parse.ts `walk`
// would with their callback, in the same order, written as plain recursive functions: no
// callback per object, no closure per call, no for-of iterator over the lists (which allocate
// while the code is not yet optimised, as it is in a cold lint), and none descends into a node
// that cannot hold what it looks for (isLeafKind). Like `walk`, each looks at every
// object-valued property of an object (for-in order) and every element of an array, the key
// being the property an object hangs from (for an array's elements, the array's). Measured on
// the bench's 11,172 policy expressions (census, callsIn, relationsIn, hasSubLink) and 8,937
// function body statements (census, relationsIn), first pass in a fresh process: CPU median
// ≈ 195–220 → 157 ms (10 runs each, best 178 → 152; this VM is shared, so also counted under
// cachegrind, single-threaded and deterministic: 1.53 → 1.05 billion instructions); in a cold
// bench lint they allocate ≈ 10 MB instead of ≈ 30 MB.

/** One walk that lets helpers skip nodes that cannot hold what they look for. */
export const census = memoised((node: Node): Census => {
  const out: Census = { funcCalls: [], aConst: false, userMeta: false, currentSetting: false, coalesce: false, typeCast: false, arrowText: false, anyAllSubLink: false, columnRefs: [], rangeVars: [] };
  if (node && typeof node === 'object') censusIn(node, out);
  out.funcCalls = fitted(out.funcCalls);
  out.columnRefs = fitted(out.columnRefs);
  out.rangeVars = fitted(out.rangeVars);
  return out;
});

/** census' visit of the object-valued properties of `n` (an array: of its elements). */
function censusIn(n: Node, out: Census): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') censusIn(x, out);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'FuncCall') {
      out.funcCalls.push(v);
      if (!out.currentSetting && isCurrentSetting(lastNamePart(v.funcname))) out.currentSetting = true;
    } else if (k === 'A_Const') out.aConst = true;
    else if (k === 'CoalesceExpr') out.coalesce = true;
    else if (k === 'TypeCast') out.typeCast = true;
    else if (k === 'ColumnRef') out.columnRefs.push(v);
    else if (k === 'SubLink') out.anyAllSubLink ||= v.subLinkType === 'ANY_SUBLINK' || v.subLinkType === 'ALL_SUBLINK';
    else if (k === 'RangeVar') out.rangeVars.push(v);
    else if (k === 'String' || k === 'sval') {
      if (!out.userMeta && mentionsUserMeta(v.sval)) out.userMeta = true;
      if (v.sval === '->>') out.arrowText = true;
      // (a String is its sval alone, as an A_Const's sval: nothing under it; a sixth of a policy expression's objects)
      continue;
    }
    censusIn(v, out);
  }
}

function isCurrentSetting(name: string | undefined): boolean {
  return name !== undefined && name.length === 15 && name.toLowerCase() === 'current_setting';
}

/**
 * Whether a string contains `user_meta` in any case. Every name and operator is a String: the
 * regular expression only for those long enough that have an underscore where one would be.
 */
function mentionsUserMeta(s: unknown): boolean {
  return typeof s === 'string' && s.length >= 9 && s.indexOf('_', 4) >= 0 && /user_meta/i.test(s);
}

/** The last of nameParts(list) (its last non-empty part), without the array. */
function lastNamePart(list: Node[] | undefined): string | undefined {
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const s = sval(list[i]);
    if (s) return s;
  }
  return undefined;
}

/** Relations read by an expression or statement (RangeVar nodes). CTE names are excluded. */
export const relationsIn = memoised(relationsInUncached);

/** The slot of dmlTargetsIn's lists: relationsIn's walk fills it. */
const DML_TARGETS = slotCount++;

/**
 * The relations (RangeVar nodes) of the INSERT / UPDATE / DELETE / MERGE statements inside a
 * tree (not the node's own), in the order a walk of the tree meets them. Found by relationsIn's
 * walk: the model asks both of every function body statement, and a walk of its own was ≈ 8 %
 * of the bench's cold model build.
 */
export function dmlTargetsIn(node: Node): readonly Node[] {
  if (!node || typeof node !== 'object') return EMPTY;
  let hit = slotsIn(node)?.[DML_TARGETS];
  if (hit === undefined) {
    relationsIn(node);
    hit = slotsIn(node)?.[DML_TARGETS];
    if (hit === undefined) {
      relationsInUncached(node);
      hit = slotsIn(node)![DML_TARGETS];
    }
  }
  return hit as readonly Node[];
}

/** What relationsIn's walk collects. */
interface RelationWalk {
  out: Rel[];
  /** DML targets (dmlTargetsIn) */
  dml: Node[];
  /** CTE names */
  ctes: Set<string> | undefined;
}

function relationsInUncached(node: Node): RelationRef[] {
  // The CTE names are collected in the same walk and the relations named like one dropped at
  // the end: a CTE cannot sit where the walk does not go (inside a RangeVar, a SubLink's
  // operator name), so this is the set a walk of its own found, for one walk instead of two
  // (the model asks this of every function body statement and view query first). The DML
  // statements cannot either.
  const w: RelationWalk = { out: [], dml: [], ctes: undefined };
  visitRelations(node, false, w);
  if (node && typeof node === 'object') slotsOf(node, DML_TARGETS)[DML_TARGETS] = fitted(w.dml);
  const { out, ctes } = w;
  if (!ctes) return out;
  return out.filter((r) => !(r.schema === undefined && ctes.has(r.name)));
}

/**
 * walk() of a tree for relationsIn, specialised: no callback per node nor closure per sub-select
 * (with them, relationsIn took ≈ 5× a bare walk of the same trees; this, ≈ 2×).
 */
function visitRelations(n: Node, inSub: boolean, w: RelationWalk): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) visitRelations(n[i], inSub, w);
    return;
  }
  if (!n || typeof n !== 'object') return;
  for (const key in n) {
    const v = n[key];
    if (!v || typeof v !== 'object') continue;
    if (key === 'SubLink') {
      const { dml } = w;
      const mark = dml.length;
      visitRelations(v.subselect, true, w);
      const split = dml.length;
      visitRelations(v.testexpr, inSub, w);
      // (DML targets in the tree's key order: a SubLink's testexpr before its subselect)
      if (split > mark && dml.length > split) dml.splice(mark, 0, ...dml.splice(split));
      continue;
    }
    if (key === 'RangeVar' || (key === 'relation' && v.relname !== undefined)) {
      w.out.push(new Rel(v.schemaname, v.relname, v, inSub));
      continue;
    }
    // (`FOR UPDATE OF p` names items of the FROM, by alias or name: no relation read, 42P01 else)
    if (key === 'lockingClause') continue;
    if (key === 'CommonTableExpr' && v.ctename) (w.ctes ??= new Set()).add(v.ctename);
    else if ((key === 'InsertStmt' || key === 'UpdateStmt' || key === 'DeleteStmt' || key === 'MergeStmt') && v.relation) w.dml.push(v.relation);
    if (!isLeafKind(key)) visitRelations(v, inSub, w);
  }
}

/** Function calls in an expression, with whether each sits inside a SELECT. */
export const callsIn = memoised(callsInUncached);
function callsInUncached(node: Node): CallRef[] {
  const out: CallRef[] = [];
  if (node && typeof node === 'object') callsUnder(node, false, out);
  return out;
}

/**
 * callsIn's visit of `n`: a SELECT, a SubLink's sub-select or a sub-query in FROM puts what it
 * holds in a SELECT (not a SubLink's test expression: `x` of `x IN (SELECT …)` is the outer
 * query's); a call is one, and only its arguments and aggregate FILTER are looked into.
 */
function callsUnder(n: Node, inSelect: boolean, out: CallRef[]): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') callsUnder(x, inSelect, out);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'SubLink') {
      // (its test expression, `auth.uid()` of `auth.uid() IN (SELECT …)`, belongs to the query around it)
      if (v.testexpr && typeof v.testexpr === 'object') callsUnder(v.testexpr, inSelect, out);
      if (v.subselect && typeof v.subselect === 'object') callsUnder(v.subselect, true, out);
    } else if (k === 'SelectStmt' || k === 'RangeSubselect') {
      callsUnder(v, true, out);
    } else if (k === 'FuncCall') {
      out.push(new Call(nameParts(v.funcname), v.args ?? NO_ARGS, v, inSelect));
      if (v.args && typeof v.args === 'object') callsUnder(v.args, inSelect, out);
      if (v.agg_filter && typeof v.agg_filter === 'object') callsUnder(v.agg_filter, inSelect, out);
    } else if (!isLeafKind(k)) callsUnder(v, inSelect, out);
  }
}

export const hasSubLink = memoised(hasSubLinkUncached);
function hasSubLinkUncached(node: Node): boolean {
  return !!node && typeof node === 'object' && subLinkIn(node);
}

/**
 * Node kinds that hold no other node but names and values (a ColumnRef's fields are String or
 * A_Star nodes): the walkers that look for relations, calls or sub-links do not descend into
 * them (a fifth of a policy expression's objects are such nodes or in them).
 */
function isLeafKind(k: string): boolean {
  return k === 'ColumnRef' || k === 'String' || k === 'A_Const' || k === 'ParamRef' || k === 'A_Star';
}

/** Whether a SubLink hangs anywhere under `n` (stops at the first). */
function subLinkIn(n: Node): boolean {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object' && subLinkIn(x)) return true;
    }
    return false;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'SubLink' || (!isLeafKind(k) && subLinkIn(v))) return true;
  }
  return false;
}

/**
 * Where a quoted identifier or string, a dollar-quoted string or a `--` comment starting at `i`
 * ends (its last character), `i` when none starts there, -1 when a dollar quote is not closed.
 */
function skipQuoted(text: string, i: number, limit: number): number {
  const c = text[i];
  if (c === "'" || c === '"') {
    i++;
    while (i < limit && !(text[i] === c && text[i + 1] !== c)) i += text[i] === c ? 2 : 1;
    return i;
  }
  if (c === '$') {
    const m = /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 64));
    if (!m) return i;
    const close = text.indexOf(m[0], i + m[0].length);
    return close < 0 ? -1 : close + m[0].length - 1;
  }
  if (c === '-' && text[i + 1] === '-') {
    const k = text.indexOf('\n', i);
    return k < 0 ? limit : k;
  }
  return i;
}

/** Index of the parenthesis matching the one at `open` (honours quotes), or -1. */
export function matchParen(text: string, open: number, limit = text.length): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    i = skipQuoted(text, i, limit);
    if (i < 0) return -1;
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The end (exclusive) of the last token of an item of a parenthesised, comma-separated list that
 * starts at `start`: the item goes to the `,` or `)` after it (outside parentheses, quotes and
 * comments), its trailing blanks and comments left out; -1 when the list does not end.
 */
export function listItemEnd(text: string, start: number, limit = text.length): number {
  let depth = 0;
  let last = start;
  for (let i = start; i < limit; i++) {
    const comment = text[i] === '-' && text[i + 1] === '-';
    i = skipQuoted(text, i, limit);
    if (i < 0) return -1;
    if (comment) continue;
    const c = text[i]!;
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if ((c === ',' || c === ')') && depth === 0) return last;
    if (!/\s/.test(c)) last = i + 1;
  }
  return -1;
}

/**
 * The smallest and the largest `location` (≥ 0) in a node, the node itself included: where its
 * first and its last token start ({ min: Infinity, max: -1 } when it holds none).
 */
export function locationBounds(n: Node): { min: number; max: number } {
  let min = Infinity;
  let max = -1;
  const see = (v: Node) => {
    const at = v?.location;
    if (typeof at === 'number' && at >= 0) {
      if (at < min) min = at;
      if (at > max) max = at;
    }
  };
  if (n && typeof n === 'object' && !Array.isArray(n)) see(n);
  walk(n, (_k, v) => {
    see(v);
  });
  return { min, max };
}

/** Span of a function call `name(...)` starting at `location` (the name's start). */
export function callSpan(text: string, location: number, limit = text.length): Span | undefined {
  const open = text.indexOf('(', location);
  if (open < 0 || open >= limit) return undefined;
  if (/[^\s\w."$]/.test(text.slice(location, open))) return undefined;
  const close = matchParen(text, open, limit);
  return close < 0 ? undefined : { start: location, end: close + 1 };
}

/**
 * Span of a policy clause's parenthesised expression, `USING (…)` or `WITH CHECK (…)`,
 * in a statement's text; the span includes the parentheses.
 */
export function clauseSpan(text: string, stmt: Span, clause: 'using' | 'check'): Span | undefined {
  const src = text.slice(stmt.start, stmt.end);
  const re = clause === 'using' ? /\bUSING\s*\(/gi : /\bWITH\s+CHECK\s*\(/gi;
  // skip occurrences inside parentheses (e.g. a nested `USING (` of a join)
  for (const m of src.matchAll(re)) {
    const before = src.slice(0, m.index);
    // (not one a comment holds: conduit-connections' `-- using (bucket_id = … and (auth.uid())::text = owner);`
    // above the USING the policy has, which messages quoted as its condition)
    const at = stateAt(before);
    if (at.comment || at.depth !== 0) continue;
    const open = stmt.start + m.index! + m[0].length - 1;
    const close = matchParen(text, open, stmt.end);
    if (close > 0) return { start: open, end: close + 1 };
  }
  return undefined;
}

/**
 * Where the end of `s` (SQL from a statement's start) stands: inside a `--` or block comment
 * (`comment`), else how many parentheses are open there (`depth`), quotes and comments skipped.
 */
function stateAt(s: string): { comment: boolean; depth: number } {
  let d = 0;
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = null;
    } else if (c === "'" || c === '"') q = c;
    else if (c === '(') d++;
    else if (c === ')') d--;
    else if (c === '-' && s[i + 1] === '-') {
      const k = s.indexOf('\n', i);
      if (k < 0) return { comment: true, depth: d };
      i = k;
    } else if (c === '/' && s[i + 1] === '*') {
      let nest = 1;
      for (i += 2; i < s.length && nest > 0; i++) {
        if (s[i] === '/' && s[i + 1] === '*') nest++, i++;
        else if (s[i] === '*' && s[i + 1] === '/') nest--, i++;
      }
      if (nest > 0) return { comment: true, depth: d };
      i--;
    }
  }
  return { comment: false, depth: d };
}

/** PostgreSQL's internal names of types, as they are written (typeName). */
const TYPE_ALIASES = new Map([
  ['int4', 'integer'],
  ['int8', 'bigint'],
  ['int2', 'smallint'],
  ['bool', 'boolean'],
  ['float8', 'double precision'],
  ['float4', 'real'],
  ['varchar', 'character varying'],
  ['bpchar', 'character'],
  ['timestamptz', 'timestamp with time zone'],
]);

/**
 * Type names PostgreSQL's grammar reads as keywords, mapping them to pg_catalog's type itself
 * (`int`, `timestamp`…), and PL/pgSQL's `record`: never looked up in the search_path, so pg_temp
 * cannot shadow them (a one-word name such as `text` or `uuid` is looked up).
 */
export const KEYWORD_TYPES: ReadonlySet<string> = new Set(['int', 'integer', 'smallint', 'bigint', 'real', 'float', 'double', 'numeric', 'decimal', 'dec', 'boolean', 'bit', 'character', 'char', 'varchar', 'nchar', 'national', 'time', 'timestamp', 'interval', 'json', 'record']);

/** Normalised type name of a TypeName node, e.g. `uuid`, `integer[]`, `text`. */
export function typeName(t: Node): string {
  if (!t) return '';
  // one pass over the names (no parts array, filtered copy and join, nor an alias object per
  // call: the model asks this of every parameter and return type, ≈ 20,000 times on the bench)
  let base = '';
  const names: Node[] | undefined = t.names;
  if (names) {
    for (let i = 0; i < names.length; i++) {
      const p = sval(names[i]) ?? '';
      if (p === '' || p === 'pg_catalog') continue;
      base = base === '' ? p : `${base}.${p}`;
    }
  }
  const name = TYPE_ALIASES.get(base) ?? base;
  return t.arrayBounds ? name + '[]'.repeat(t.arrayBounds.length) : name;
}

/** The literal text of an A_Const (string, number or boolean) if the node is one. */
export function constValue(n: Node): string | number | boolean | null | undefined {
  const c = n?.A_Const;
  if (!c) return undefined;
  if (c.isnull) return null;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return c.ival.ival ?? 0;
  if (c.fval) return Number(c.fval.fval);
  if (c.boolval) return c.boolval.boolval ?? false;
  if ('ival' in c) return 0;
  if ('boolval' in c) return false;
  return undefined;
}

/** A constant, cast or not (`'owner'`, `'owner'::org_role`, `1`, `true`), as one text to compare constants by (`'owner'`, `1`, `true`); undefined for anything else. */
export function literalText(n: Node): string | undefined {
  const v = constValue(n?.TypeCast ? n.TypeCast.arg : n);
  return typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Types a string constant keeps its text in (a cast to one of them changes no value). */
export const TEXT_TYPES: ReadonlySet<string> = new Set(['text', 'character varying', 'varchar', 'name', 'character', 'bpchar', 'citext', 'unknown']);

/**
 * A string constant's text: `'app.uid'`, or `'app.uid'::text` as pg_dump (and so Rails'
 * structure.sql, dbmate's schema.sql, a baseline) writes every string argument; undefined for anything else.
 */
export function stringConst(n: Node): string | undefined {
  const v = constValue(n);
  if (typeof v === 'string') return v;
  const c = n?.TypeCast;
  if (!c || !TEXT_TYPES.has(typeName(c.typeName))) return undefined;
  const inner = constValue(c.arg);
  return typeof inner === 'string' ? inner : undefined;
}

/**
 * A search_path setting's text as PostgreSQL reads it (a list of identifiers, comma-separated:
 * an unquoted one folded to lower case, a double-quoted one as written, `""` inside it a quote);
 * undefined where it is not such a list (`a,,b`, `public, `: PostgreSQL rejects the value with
 * 22023 List syntax is invalid). A .gmrc's pgSettings, a set_config('search_path', …).
 */
export function searchPathSetting(text: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^",\s]+))\s*(,|$)/y;
  let at = 0;
  if (text.trim() === '') return [];
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
    at = re.lastIndex;
    if (m[3] === '') break;
  }
  return out;
}

/** The relation (its RangeVar) a CREATE TABLE, CREATE TABLE AS / MATERIALIZED VIEW, CREATE VIEW or CREATE FOREIGN TABLE statement makes. */
export function madeRelation(stmt: { kind: string; node: Node }): Node | undefined {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'CreateStmt':
      return n?.relation;
    case 'ViewStmt':
      return n?.view;
    case 'CreateTableAsStmt':
      return n?.into?.rel;
    case 'CreateForeignTableStmt':
      return n?.base?.relation;
    default:
      return undefined;
  }
}

/** Span of the literal starting at `at`: a quoted string (with '' escapes) or a number. */
export function literalSpan(text: string, at: number): Span {
  if (text[at] === "'" || ((text[at] === 'E' || text[at] === 'e') && text[at + 1] === "'")) {
    let i = text[at] === "'" ? at + 1 : at + 2;
    while (i < text.length && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
    return { start: at, end: Math.min(i + 1, text.length) };
  }
  const m = /^[-+]?[\w.]+/.exec(text.slice(at, at + 64));
  return { start: at, end: at + (m ? m[0].length : 1) };
}

/**
 * Approximate end of an identifier (possibly qualified, each part possibly quoted: `"storage"."objects"`,
 * or a psql variable: `:schema.docs`, `:"name"`, `@extschema@.t`) starting at `start`.
 */
export function identEnd(text: string, start: number): number {
  let k = start;
  for (;;) {
    const c = text.charCodeAt(k);
    if (c === 58 && (isWordChar(text.charCodeAt(k + 1)) || text.charCodeAt(k + 1) === 34)) k++; // :name, :"name"
    else if (c === 64) {
      const m = /^@ext(?:schema|owner)(?::[A-Za-z0-9_]+)?@/.exec(text.slice(k, k + 80));
      if (m) k += m[0].length;
    }
    if (text.charCodeAt(k) === 34) {
      // a quoted part ends at a quote that is not doubled ("a""b" is one name)
      let q = text.indexOf('"', k + 1);
      while (q >= 0 && text.charCodeAt(q + 1) === 34) q = text.indexOf('"', q + 2);
      k = q < 0 ? k + 1 : q + 1;
    } else {
      for (;;) {
        while (k < text.length && isWordChar(text.charCodeAt(k))) k++;
        // (a Flyway or Liquibase placeholder in the name, `${schema}.notes`, parsed as a name of its length: parse.ts)
        if (text.charCodeAt(k) !== 123 || text.charCodeAt(k - 1) !== 36) break;
        const re = (placeholderInName ??= new RegExp(FLYWAY_PLACEHOLDER_SOURCE, 'y'));
        re.lastIndex = k - 1;
        if (!re.test(text)) break;
        k = re.lastIndex;
      }
    }
    if (text.charCodeAt(k) === 46 && k + 1 < text.length && (isWordChar(text.charCodeAt(k + 1)) || text.charCodeAt(k + 1) === 34)) {
      k++;
      continue;
    }
    return Math.max(k, start + 1);
  }
}

/** parse.ts's placeholder pattern, sticky (made at its first use: parse.ts and this module import each other). */
let placeholderInName: RegExp | undefined;

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
}

/**
 * `l op r` for two non-NULL constants of the same JavaScript type, as PostgreSQL compares them;
 * undefined for other operators, mixed types (left to PostgreSQL's coercions) and ordering of booleans.
 */
export function compareConstants(op: string, l: string | number | boolean, r: string | number | boolean): boolean | undefined {
  if (typeof l !== typeof r) return undefined;
  switch (op) {
    case '=':
      return l === r;
    case '<>':
    case '!=':
      return l !== r;
  }
  if (typeof l === 'boolean') return undefined;
  switch (op) {
    case '<':
      return l < r;
    case '>':
      return l > r;
    case '<=':
      return l <= r;
    case '>=':
      return l >= r;
  }
  return undefined;
}

/**
 * A role as the model names it, exactly as PostgreSQL does: the parser has already folded an
 * unquoted name to lower case, and a quoted one (`"App_Visitor"`) keeps its case, so
 * `"App_Visitor"` and `app_visitor` are two roles; `public` for PUBLIC, `current_user` etc. for
 * those keywords (a RoleSpec, or a String node).
 */
export function roleName(spec: Node): string {
  const r = spec?.RoleSpec ?? spec;
  switch (r?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return 'public';
    case 'ROLESPEC_CURRENT_USER':
      return 'current_user';
    case 'ROLESPEC_SESSION_USER':
      return 'session_user';
    case 'ROLESPEC_CURRENT_ROLE':
      return 'current_role';
    default:
      return String(r?.rolename ?? sval(r) ?? '');
  }
}

/**
 * A role of the model as SQL must write it to name it (messages, fixes): PUBLIC and the
 * CURRENT_USER / SESSION_USER / CURRENT_ROLE keywords in capitals, a plain lower-case name bare,
 * any other name quoted (`"App_Visitor"`, `"$DATABASE_VISITOR"`: bare, PostgreSQL would fold the
 * first to app_visitor, another role, and reject the second).
 */
export function roleText(role: string): string {
  switch (role) {
    case 'public':
      return 'PUBLIC';
    case 'current_user':
    case 'session_user':
    case 'current_role':
      return role.toUpperCase();
  }
  return quoteIdent(role);
}

/**
 * An identifier written in SQL text (a grantee in a dynamic GRANT's string) as PostgreSQL names
 * it: `"App_Visitor"` → `App_Visitor` (its `""` one `"`), `App_Visitor` → `app_visitor` (an
 * unquoted identifier folds to lower case, ASCII letters only, as PostgreSQL's downcase_identifier).
 */
export function foldIdent(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/""/g, '"');
  return t.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Schemas a platform (Supabase, extensions) fills before any migration runs: a CREATE TABLE
 * there is often a local stand-in (IF NOT EXISTS), and the real table's columns are not its.
 */
export const PLATFORM_SCHEMAS = new Set(['auth', 'storage', 'realtime', '_realtime', 'extensions', 'graphql', 'graphql_public', 'vault', 'pgsodium', 'net', 'supabase_functions', 'supabase_migrations', 'cron', 'pgbouncer']);

/**
 * Whether a statement is a CREATE TABLE with a plain column list, outside DO blocks: it lists all
 * the table's columns itself (no LIKE, no parents, no type, not a partition; kept per statement).
 */
export function plainCreate(stmt: Statement): boolean {
  return memoStmt(stmt, 'plainCreate', () => {
    const n = stmt.node;
    return stmt.kind === 'CreateStmt' && stmt.origin === 'file' && !n?.ofTypename && !n?.partbound && !n?.inhRelations?.length && !(n?.tableElts ?? []).some((e: Node) => e?.TableLikeClause);
  });
}

/** The AND-ed parts of a condition, nested ANDs flattened (`a AND (b AND c)`: a, b, c); none for no condition. */
export function conjuncts(n: Node | undefined): Node[] {
  if (!n) return [];
  if (n.BoolExpr?.boolop !== 'AND_EXPR') return [n];
  const out: Node[] = [];
  addConjuncts(n, out);
  return out;
}
function addConjuncts(n: Node, out: Node[]): void {
  if (n?.BoolExpr?.boolop !== 'AND_EXPR') {
    out.push(n);
    return;
  }
  const args: Node[] = n.BoolExpr.args ?? [];
  for (let i = 0; i < args.length; i++) addConjuncts(args[i], out);
}

/** The OR-ed parts of a condition, nested ORs flattened; itself when it is no OR. */
export function disjuncts(n: Node): Node[] {
  if (n?.BoolExpr?.boolop !== 'OR_EXPR') return [n];
  return ((n.BoolExpr.args ?? []) as Node[]).flatMap(disjuncts);
}

/** A write's RETURNING list: libpg-query 18 (PostgreSQL 18's parser) puts it in returningClause.exprs, earlier ones in returningList. */
export function returningOf(n: Node | undefined): Node[] {
  return n?.returningClause?.exprs ?? n?.returningList ?? [];
}

/** Whether `SET check_function_bodies …` sets it off (PostgreSQL's boolean spellings: false, off, no, 0, and their prefixes). */
export function setsCheckOff(n: Node): boolean {
  if (n?.kind !== 'VAR_SET_VALUE') return false;
  const c = n.args?.[0]?.A_Const;
  if (!c) return false;
  if (c.ival !== undefined) return !c.ival.ival;
  return isOffValue(c.sval?.sval);
}

/** The spellings PostgreSQL takes for a boolean setting's off (any unique prefix of off/false/no, and 0). */
const OFF = /^(off|of|false|fals|fal|fa|f|no|n|0)$/i;

/** Whether a value written for a boolean setting (check_function_bodies, row_security) turns it off. */
export function isOffValue(v: unknown): boolean {
  return OFF.test(String(v ?? '').trim());
}

/** Whether the file sets check_function_bodies off before `stmt` (pg_dump's `SET check_function_bodies = false;`): PostgreSQL then creates a function without analysing its body. */
export function bodiesUncheckedBefore(file: ParsedFile, stmt: Statement): boolean {
  let off = false;
  for (const s of file.statements) {
    if (s.start >= stmt.start) break;
    if (s.origin === 'file' && s.kind === 'VariableSetStmt' && s.node?.name === 'check_function_bodies') off = setsCheckOff(s.node);
  }
  return off;
}

/** An expression's shape, locations aside: the same expression written in two places has one key. */
export function shapeOf(n: unknown): string {
  return JSON.stringify(n, (k, v) => (k === 'location' ? undefined : v));
}
