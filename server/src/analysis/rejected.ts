// Policies PostgreSQL rejects when the migrations create them, so that they never exist: one
// that names a column no table in its reach has (42703, columns.ts), one on a view or a
// materialized view (42809 "v" is not a table: a view has no row-level security of its own),
// one whose clauses its command does not take (42601: USING on FOR INSERT, WITH CHECK on
// FOR SELECT or DELETE), one comparing a column with text where no operator exists, or a value
// with the arrays a sub-select returns (`x = ANY (SELECT arr …)`), or a uuid (integer…) with the
// text a sub-select returns (`x::uuid IN (SELECT id::text …)`, or the reverse) (42883, operators.ts:
// policy-type-mismatch; and an enum column with an ARRAY[…] of strings, text[]: enum-values.ts),
// and one with a string that is no value of the enum type it
// is compared with or cast to (22P02, enum-values.ts: policy-invalid-enum-value).
// The policy index leaves them out of the active policies; policy-unknown-column and
// rls-on-view report them. Pure: reads the model.
import { clauseStatements, createdAsTable, createsReferencingLater, foundMissingColumn, madeBefore, tablesMadeBefore, missingRelationOf, type ColumnAdd, type MissingRelation, readKeysOf, unknownColumnOf, viewAt, workspaceFacts, type UnknownColumn, viewRelation, type WorkspaceColumnFacts } from './columns.js';
import { sameItems, type Model, type Policy, type Table, type View } from './model.js';
import { PLATFORM_SCHEMAS } from './ast.js';
import { doBlockAround } from './parse.js';
import { fileByName, memoModel, orderOf } from './policy-exprs.js';
import type { Loc, ParsedFile, Statement } from './types.js';
import { clauseError } from './clauses.js';
import { functionOrder, missingFunctionOf, nodeContains, type MissingFunction } from './function-order.js';
import { neonUserIdIsText, operatorMismatchOf, subselectMismatchesOf, type ArraySubselectMismatch, type OperatorMismatch, type SubselectTextMismatch } from './operators.js';
import { enumArrayMismatches, enumSignature, invalidEnumValues, type BadValue, type EnumArrayMismatch } from './enum-values.js';

export { clauseError };

export type Rejection =
  | { code: '42703'; column: UnknownColumn }
  | { code: '42809'; view: View }
  | { code: '42601'; message: string }
  | { code: '42P01'; relation: MissingRelation }
  | { code: '42883'; fn: MissingFunction }
  | { code: '42883'; operator: OperatorMismatch }
  | { code: '42883'; arraySubselect: ArraySubselectMismatch }
  | { code: '42883'; subselectText: SubselectTextMismatch }
  | { code: '42883'; enumArray: EnumArrayMismatch }
  | { code: '22P02' | '55P04'; enumValue: BadValue }
  /** never run: a CREATE POLICY before it in its DO block is rejected (`by`), and the block stops there */
  | { code: 'aborted'; by: Policy };

/** The policies PostgreSQL rejects, with why, once per model (in model order). Shared: do not mutate. */
export function rejectedPolicies(model: Model): ReadonlyMap<Policy, Rejection> {
  return memoModel(model, 'rejected:policies', buildRejected);
}

// ---- keeping a table's verdicts ----
//
// A re-lint's model shares most tables with the one before (the same objects: see "redoing a
// segment" in model.ts), and asking each of their policies again was ≈ 10 ms of each bench
// re-lint (≈ 9,000 policies, a few map lookups each, memory bound). So the verdicts are kept
// per table, for the tables none of whose policies PostgreSQL rejects and whose verdicts follow
// from what is compared below, and such a table's policies are not asked again while:
// - the workspace facts they read are the same: the files (by name, in order) and the replay
//   order (ReplayPlaces' key), whether auth.user_id() is Neon's (neonUserIdIsText), workspaceFacts' signature, the first file making each relation, the names relations are renamed to, and
//   the CREATE TABLEs whose FOREIGN KEY names a table made later (createsReferencingLater: the same statements);
// - the table is the same object (then so are its policies: they live on it), and so is every
//   table its policies' sub-selects read (their columns, their CREATE TABLE);
// - none of its policies comes from a file parsed again since (its statements moved);
// - it is not a view; for it and each table its policies read, whether a statement before its
//   CREATE TABLE IF NOT EXISTS names it (madeBefore: then its columns are not known) is the same,
//   and so are the ALTER TABLE … ADD COLUMN statements on it (addedLater reads them: the same
//   objects, from files not parsed again, in the same replay order); no policy of it resolved a
//   name through a SET search_path, and none names a column that usedElsewhere let go.
//   (LanternOps/breeze makes 479 of its 484 tables IF NOT EXISTS and adds 627 columns: kept only
//   without either, its ≈ 1,300 policies were asked again at every re-lint.)
// The file an edit parsed again makes its tables again, new objects, and so does a segment redone
// after it: a table made again, in a file parsed again, is taken as the same while it is alike in
// what the verdict read (sameContent: its CREATE TABLE and its policies the same statements, the
// same columns, no parent, never renamed; each table read made again alike too), and the edit's
// change in each file parsed again its verdict follows (FileChange: one stretch of text, no
// comment in it, the statements around it the same and in order, the changed ones of kinds acting
// only on what they name) names neither it nor a relation its policies read. (Bench: the edited
// file's ≈ 45 tables, ≈ 160 policies, were asked again at every re-lint; one is now.)
// A table with a rejected policy is asked again each time (a Rejection holds locations).
// Which tables to look at is itself kept: only the keys dirtyKeys gives (tables made again, made or
// dropped, with other ADD COLUMNs, and those whose verdicts read one) go through the checks above;
// the other kept verdicts are taken as they are, with no look at each table.
// The test suite asks the kept tables' policies again and compares (checkKeptRejectionsWith).

/** A table whose policies PostgreSQL accepts, and what that verdict read. */
interface KeptVerdict {
  table: Table | undefined;
  /** the files its policies come from */
  files: string[];
  /** the relations its policies read, and the tables they were */
  reads: string[];
  tables: Array<Table | undefined>;
  /** madeBefore and the ADD COLUMN statements (ws.adds) of the table, then of each table read */
  before: boolean[];
  adds: Array<readonly ColumnAdd[] | undefined>;
}

/** What the last model's verdicts were kept with. */
let lastVerdicts:
  | {
      files: ParsedFile[];
      ws: WorkspaceColumnFacts;
      functions: object;
      enums: string;
      neonUserId: boolean;
      referencing: ReturnType<typeof createsReferencingLater>;
      kept: Map<string, KeptVerdict>;
      /** the keys of the kept verdicts reading each relation (an index of `kept`, kept with it) */
      readers: Map<string, Set<string>>;
      /** the model's tables, views and madeBefore statements (what the next model's are compared with: changedKeys) */
      tables: ReadonlyMap<string, Table>;
      views: ReadonlyMap<string, View>;
      madeBefore: ReadonlySet<Statement>;
      orphans: Map<Policy, KeptVerdict>;
      dropped: Map<Policy, KeptVerdict>;
    }
  | undefined;

/** Per model (made by buildRejected): why PostgreSQL rejects the policies a DROP POLICY removed, those it rejects. */
const droppedRejections = new WeakMap<Model, ReadonlyMap<Policy, Rejection>>();
const NO_REJECTIONS: ReadonlyMap<Policy, Rejection> = new Map();

let keptCheck: ((p: Policy, asked: Rejection | undefined) => void) | undefined;
/** For the test suite: each policy whose verdict is kept is asked again and `check`ed (it must be accepted). */
export function checkKeptRejectionsWith(check: typeof keptCheck): void {
  keptCheck = check;
}

function buildRejected(m: Model): Map<Policy, Rejection> {
  const out = new Map<Policy, Rejection>();
  const views = m.views;
  const ws = workspaceFacts(m);
  // (the CREATE POLICY statements whose clauses their command does not take: few, found per file)
  const badClauses = new Set<unknown>();
  for (const { stmt } of clauseStatements(m)) if (stmt.kind === 'CreatePolicyStmt') badClauses.add(stmt);
  const ask = (p: Policy): Rejection | undefined => rejectionIn(m, p, ws, views.size !== 0 && views.has(p.table), badClauses.size !== 0 && badClauses.has(p.stmt));
  // (the enum types' values decide 22P02 verdicts: none kept once they changed)
  const enums = enumSignature(m);
  const before = lastVerdicts;
  const reparsed = before !== undefined && before.enums === enums ? reparsedSince(m, ws, before) : undefined;
  // (what stillHolds asks of each relation read, once per model: the bench's 2,200 tables all read memberships)
  const readFacts = new Map<string, ReadFact>();
  // the keys whose kept verdicts are to be asked again (dirtyKeys), the others' taken as they are;
  // undefined: each one's (a first model, or one after a change every verdict may follow)
  const dirty = reparsed !== undefined ? dirtyKeys(m, ws, before!) : undefined;
  // (the kept verdicts and their index: those of the last model, updated where they changed, or new)
  const kept = dirty !== undefined ? before!.kept : new Map<string, KeptVerdict>();
  const readers = dirty !== undefined ? before!.readers : new Map<string, Set<string>>();
  const setKept = (key: string, v: KeptVerdict | undefined, was: KeptVerdict | undefined) => {
    if (v === was) return;
    if (was !== undefined) for (let i = 0; i < was.reads.length; i++) readers.get(was.reads[i]!)?.delete(key);
    if (v === undefined) {
      kept.delete(key);
      return;
    }
    kept.set(key, v);
    for (let i = 0; i < v.reads.length; i++) {
      const r = v.reads[i]!;
      const set = readers.get(r);
      if (set === undefined) readers.set(r, new Set([key]));
      else set.add(key);
    }
  };
  // (model.policies: the tables' policies, in order, then those on tables the workspace does not create)
  let onTables = 0;
  m.tables.forEach((t, key) => {
    const list = t.policies;
    onTables += list.length;
    // (a table none of whose verdict's inputs changed: its verdict as it is)
    if (dirty !== undefined && !dirty.has(key)) {
      if (list.length === 0) return;
      const k = kept.get(key);
      if (k !== undefined) {
        if (keptCheck !== undefined) for (let i = 0; i < list.length; i++) keptCheck(list[i]!, ask(list[i]!));
        return;
      }
    }
    const was = dirty !== undefined ? kept.get(key) : undefined;
    if (list.length === 0) {
      setKept(key, undefined, was);
      return;
    }
    const k = reparsed !== undefined ? before!.kept.get(key) : undefined;
    const held = k !== undefined ? stillHolds(m, ws, k, t, key, reparsed!, readFacts) : undefined;
    if (held !== undefined) {
      setKept(key, held, was);
      if (keptCheck !== undefined) for (let i = 0; i < list.length; i++) keptCheck(list[i]!, ask(list[i]!));
      return;
    }
    let keep = !views.has(key);
    for (let i = 0; i < list.length; i++) {
      const r = ask(list[i]!);
      if (r) {
        out.set(list[i]!, r);
        keep = false;
      }
    }
    setKept(key, keep ? verdictOf(m, ws, t, key, list) : undefined, was);
  });
  // (the verdicts of tables the model no longer has)
  if (dirty !== undefined) dirty.forEach((key) => {
    if (!m.tables.has(key)) setKept(key, undefined, kept.get(key));
  });
  // (policies on tables the workspace does not create, storage.objects' most often: kept per
  // policy, the same object while the segment making it is redone; 70–98 of them were asked at
  // every re-lint of weareasocialyazilim/travelmatch and KingMansaMusaMarketplace/circulate-black-wealth-hub)
  const all = m.policies;
  const orphans = new Map<Policy, KeptVerdict>();
  for (let i = onTables; i < all.length; i++) {
    const p = all[i]!;
    const k = reparsed !== undefined ? before!.orphans.get(p) : undefined;
    const held = k !== undefined ? stillHolds(m, ws, k, undefined, p.table, reparsed!, readFacts) : undefined;
    if (held !== undefined) {
      orphans.set(p, held);
      if (keptCheck !== undefined) keptCheck(p, ask(p));
      continue;
    }
    const r = ask(p);
    if (r) out.set(p, r);
    else if (!views.has(p.table)) {
      const v = verdictOf(m, ws, undefined, p.table, [p]);
      if (v) orphans.set(p, v);
    }
  }
  // (policies a DROP POLICY removed, which the model no longer holds: rejectedWithReplaced asks for
  // them. Kept per policy as the orphans are: the bench's 279 drops of a policy made again
  // were ≈ 5 ms of each re-lint asked anew)
  const dropped = new Map<Policy, KeptVerdict>();
  const droppedOut = new Map<Policy, Rejection>();
  for (const { replaced: p, by } of m.replacedPolicies) {
    if (by !== undefined || p.stmt.kind !== 'CreatePolicyStmt' || p.stmt.origin !== 'file' || dropped.has(p) || droppedOut.has(p)) continue;
    const t = m.tables.get(p.table);
    const k = reparsed !== undefined ? before!.dropped.get(p) : undefined;
    const held = k !== undefined ? stillHolds(m, ws, k, t, p.table, reparsed!, readFacts) : undefined;
    if (held !== undefined) {
      dropped.set(p, held);
      if (keptCheck !== undefined) keptCheck(p, rejectionOf(m, p));
      continue;
    }
    const r = rejectionOf(m, p);
    if (r) droppedOut.set(p, r);
    else if (!views.has(p.table)) {
      const v = verdictOf(m, ws, t, p.table, [p]);
      if (v) dropped.set(p, v);
    }
  }
  droppedRejections.set(m, droppedOut);
  lastVerdicts = { files: m.files, ws, functions: functionOrder(m).sig, enums, neonUserId: neonUserIdIsText(m), referencing: createsReferencingLater(m), kept, readers, tables: m.tables, views, madeBefore: tablesMadeBefore(m), orphans, dropped };
  if (out.size !== 0) abortedInBlocks(m, out);
  return out;
}

/**
 * Adds the policies of DO blocks that never run: a CREATE POLICY before one in the same block is
 * rejected, runs whatever the block's conditions and is caught by no EXCEPTION clause, so the
 * block stops with its error (organizacao10x's srv01: a FOR SELECT policy with WITH CHECK,
 * 42601, then the write policy, never created).
 */
function abortedInBlocks(m: Model, out: Map<Policy, Rejection>): void {
  const stops: Policy[] = [];
  for (const q of out.keys()) if (q.stmt.origin === 'do' && q.stmt.guard === undefined && !q.stmt.caught?.length) stops.push(q);
  if (stops.length === 0) return;
  const blockOf = (p: Policy) => {
    const pf = fileByName(m, p.created.file);
    return pf && doBlockAround(pf, p.stmt.start, p.stmt.end);
  };
  for (const p of m.policies) {
    if (p.stmt.origin !== 'do' || out.has(p)) continue;
    const mine = stops.filter((q) => q.created.file === p.created.file && q.stmt.start < p.stmt.start);
    if (mine.length === 0) continue;
    const block = blockOf(p);
    const by = block && mine.find((q) => q.stmt.start >= block.start);
    if (by) out.set(p, { code: 'aborted', by });
  }
}

/**
 * The keys of the tables whose kept verdicts may not hold in `m` (see "keeping a table's
 * verdicts"), when the workspace facts are the same (reparsedSince): a table made again (another
 * object: the replay of a file parsed again makes again each table its statements act on, a
 * policy's included), made or dropped, whose ADD COLUMN statements changed, and each table whose
 * kept verdict reads one of those (lastVerdicts.readers). The others' verdicts are taken as they
 * are, without a look at each (the bench's 2,234 tables at every re-lint, ≈ 2 ms). Undefined when
 * the views or the madeBefore statements changed: every verdict is asked again then.
 */
function dirtyKeys(m: Model, ws: WorkspaceColumnFacts, before: NonNullable<typeof lastVerdicts>): Set<string> | undefined {
  if (!sameKeys(m.views, before.views) || !sameMembers(tablesMadeBefore(m), before.madeBefore)) return undefined;
  const changed = new Set<string>();
  const was = before.tables;
  // (how many of was's keys m still has: fewer, and the others are looked for)
  let kept = 0;
  m.tables.forEach((t, key) => {
    const w = was.get(key);
    if (w !== undefined) kept++;
    if (w !== t) changed.add(key);
  });
  if (kept !== was.size) was.forEach((_, key) => {
    if (!m.tables.has(key)) changed.add(key);
  });
  const adds = ws.adds, wasAdds = before.ws.adds;
  if (adds !== wasAdds) {
    adds.forEach((list, key) => {
      if (!sameAdds(list, wasAdds.get(key))) changed.add(key);
    });
    wasAdds.forEach((_, key) => {
      if (!adds.has(key)) changed.add(key);
    });
  }
  const out = new Set(changed);
  changed.forEach((key) => before.readers.get(key)?.forEach((k) => out.add(k)));
  return out;
}

function sameKeys<K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

/** What an accepted table's verdict read (undefined: it cannot be kept); `t` undefined: the table `key` the workspace does not create. */
function verdictOf(m: Model, ws: WorkspaceColumnFacts, t: Table | undefined, key: string, list: readonly Policy[]): KeptVerdict | undefined {
  const v: KeptVerdict = { table: t, files: [], reads: [], tables: [], before: [t !== undefined && madeBefore(m, t)], adds: [ws.adds.get(key)] };
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    if (foundMissingColumn(p)) return undefined;
    const keys = readKeysOf(m, p, ws);
    if (keys === undefined) return undefined;
    // (a table a plain CREATE TABLE makes again: a column's type is read from each of its CREATE
    // TABLEs (operators.ts columnTypeOf), in files this verdict does not follow)
    if (ws.recreated.size !== 0 && (ws.recreated.has(key) || keys.some((k) => ws.recreated.has(k)))) return undefined;
    if (!v.files.includes(p.created.file)) v.files.push(p.created.file);
    if (p.loc.file !== p.created.file && !v.files.includes(p.loc.file)) v.files.push(p.loc.file);
    for (let j = 0; j < keys.length; j++) {
      const r = keys[j]!;
      if (v.reads.includes(r)) continue;
      const rt = m.tables.get(r);
      // (a view whose columns the column walk read: a view made again is the same key, not followed here)
      if (rt === undefined && viewRelation(m, r) !== undefined) return undefined;
      v.reads.push(r);
      v.tables.push(rt);
      v.before.push(rt !== undefined && madeBefore(m, rt));
      v.adds.push(ws.adds.get(r));
    }
  }
  return v;
}

/**
 * The kept verdict if it holds in this model (see "keeping a table's verdicts"): `k` itself, or,
 * for a table the edit of its file made again as a new object alike in what the verdict read, a
 * verdict on the new objects (sameContent); undefined when it does not hold.
 */
function stillHolds(m: Model, ws: WorkspaceColumnFacts, k: KeptVerdict, t: Table | undefined, key: string, reparsed: ReadonlyMap<string, FileChange>, readFacts: Map<string, ReadFact>): KeptVerdict | undefined {
  // (t undefined: a policy on a table the workspace does not create, and still does not)
  if ((t === undefined && m.tables.has(key)) || m.views.has(key) || (t !== undefined && madeBefore(m, t)) !== k.before[0]) return undefined;
  // (the changed statements of the files parsed again its verdict read: none may name a table it read)
  let changes: FileChange[] | undefined;
  let tables: Array<Table | undefined> | undefined;
  let adds: Array<readonly ColumnAdd[] | undefined> | undefined;
  const own = ws.adds.get(key);
  if (!sameAdds(own, k.adds[0])) {
    if (!alikeAdds(own, k.adds[0], reparsed, (changes ??= []))) return undefined;
    (adds ??= k.adds.slice())[0] = own;
  }
  if (k.table !== t) {
    if (t === undefined || k.table === undefined || !sameContent(k.table, t, true)) return undefined;
    (changes ??= []).push(reparsed.get(t.created.file) ?? null);
  }
  if (reparsed.size !== 0) {
    for (let i = 0; i < k.files.length; i++) {
      const c = reparsed.get(k.files[i]!);
      if (c === null) return undefined;
      if (c !== undefined) (changes ??= []).push(c);
    }
  }
  for (let i = 0; i < k.reads.length; i++) {
    const r = readFactOf(m, ws, readFacts, k.reads[i]!);
    const rt = r.table;
    const was = k.tables[i];
    if (rt !== was) {
      if (rt === undefined || was === undefined || !sameContent(was, rt, false)) return undefined;
      (changes ??= []).push(reparsed.get(rt.created.file) ?? null);
      (tables ??= k.tables.slice())[i] = rt;
    }
    if (r.before !== k.before[i + 1]) return undefined;
    if (!sameAdds(r.adds, k.adds[i + 1])) {
      if (!alikeAdds(r.adds, k.adds[i + 1], reparsed, (changes ??= []))) return undefined;
      (adds ??= k.adds.slice())[i + 1] = r.adds;
    }
  }
  if (changes === undefined) return k;
  if (!namesNone(changes, key, k.reads)) return undefined;
  return k.table === t && tables === undefined && adds === undefined ? k : { ...k, table: t, tables: tables ?? k.tables, adds: adds ?? k.adds };
}

/**
 * Whether ADD COLUMN statements made again by the files parsed again are alike those a verdict
 * was kept with (the same columns, in the same order and files); each such file's change goes to
 * `changes` (stillHolds follows it).
 */
function alikeAdds(list: readonly ColumnAdd[] | undefined, was: readonly ColumnAdd[] | undefined, reparsed: ReadonlyMap<string, FileChange>, changes: FileChange[]): boolean {
  if (list === undefined || was === undefined || list.length !== was.length) return false;
  for (let j = 0; j < list.length; j++) {
    const a = list[j]!, b = was[j]!;
    if (a.column !== b.column || a.inDo !== b.inDo || a.loc.file !== b.loc.file) return false;
    if (a !== b) changes.push(reparsed.get(a.loc.file) ?? null);
  }
  return true;
}

/** What a kept verdict compares of a relation its policies read: the table it is, madeBefore, its ADD COLUMN statements. */
interface ReadFact {
  table: Table | undefined;
  before: boolean;
  adds: readonly ColumnAdd[] | undefined;
}

function readFactOf(m: Model, ws: WorkspaceColumnFacts, facts: Map<string, ReadFact>, key: string): ReadFact {
  let f = facts.get(key);
  if (f === undefined) {
    const table = m.tables.get(key);
    f = { table, before: table !== undefined && madeBefore(m, table), adds: ws.adds.get(key) };
    facts.set(key, f);
  }
  return f;
}

/**
 * What an edit changed in a file parsed again (reparsedSince): the text, lower case, of each
 * statement of the new parse the old one does not hold and of each of the old one the new one does
 * not, when the rest is the same (the statements, moved in place, in the same order; the text
 * before and after the changed ones the same: no comment nor psql meta-command between changed)
 * and each changed statement is a top-level one of a kind that acts on the tables it names only
 * (SAFE_CHANGES: not a SET, a function, a type, a DO block, a transaction's BEGIN or ROLLBACK…);
 * else null: the verdicts of its policies are asked again.
 */
type FileChange = string[] | null;

/** The statements whose replay changes only the relations they name (and a CREATE TABLE's FOREIGN KEYs: createsReferencingLater, compared as a whole). */
const SAFE_CHANGES = new Set(['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'GrantStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'CommentStmt', 'CreateTrigStmt', 'ViewStmt']);

function changeOf(a: ParsedFile, b: ParsedFile): FileChange {
  if (a.includes?.length || b.includes?.length || a.placeholders?.size || b.placeholders?.size || a.errors.length !== 0 || b.errors.length !== 0) return null;
  // (the text an edit changed: between the texts' common start and common end)
  const x = a.text, y = b.text;
  if (x === y) return [];
  const most = Math.min(x.length, y.length);
  // (the longest common start and end, by halves: string comparisons, not a loop per character)
  let lo = 0, hi = most;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x.slice(0, mid) === y.slice(0, mid)) lo = mid;
    else hi = mid - 1;
  }
  const from = lo;
  lo = 0;
  hi = most - from;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x.slice(x.length - mid) === y.slice(y.length - mid)) lo = mid;
    else hi = mid - 1;
  }
  const tail = lo;
  const was = x.slice(from, x.length - tail).toLowerCase();
  const is = y.slice(from, y.length - tail).toLowerCase();
  if (commentOrMeta(was) || commentOrMeta(is)) return null;
  const texts: string[] = [was, is];
  const old = new Map<object, number>();
  for (let i = 0; i < a.statements.length; i++) old.set(a.statements[i]!, i);
  let last = -1;
  const now = new Set<object>();
  for (let i = 0; i < b.statements.length; i++) {
    const s = b.statements[i]!;
    now.add(s);
    const j = old.get(s);
    if (j !== undefined) {
      if (j <= last) return null;
      last = j;
      continue;
    }
    if (!safeChange(s, y)) return null;
    texts.push(y.slice(s.start, s.end).toLowerCase());
  }
  for (let i = 0; i < a.statements.length; i++) {
    const s = a.statements[i]!;
    if (now.has(s)) continue;
    if (!safeChange(s, x)) return null;
    texts.push(x.slice(s.start, s.end).toLowerCase());
  }
  return texts;
}

/** Whether changed text may hold a comment (a rollback section's marker, a changeset's header…), a psql meta-command, a Unicode-escaped name or a placeholder (`${…}`). */
function commentOrMeta(text: string): boolean {
  return text.includes('--') || text.includes('/*') || text.includes('*/') || text.includes('\\') || text.includes('u&') || text.includes('${');
}

function safeChange(s: Statement, text: string): boolean {
  return s.origin === 'file' && !s.dynamic && SAFE_CHANGES.has(s.kind) && s.start >= 0 && s.end <= text.length && s.start <= s.end;
}

/** Whether no changed statement's text holds the name of the table `key` nor of a relation read (lower case, anywhere: a name in another schema, in a string, counts too). */
function namesNone(changes: readonly FileChange[], key: string, reads: readonly string[]): boolean {
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (c === null || c === undefined) return false;
    if (c.length === 0) continue;
    for (let j = -1; j < reads.length; j++) {
      const k = j < 0 ? key : reads[j]!;
      const name = k.slice(k.indexOf('.') + 1).toLowerCase();
      const bare = k.slice(k.lastIndexOf('.') + 1).toLowerCase();
      for (let x = 0; x < c.length; x++) if (c[x]!.includes(name) || c[x]!.includes(bare)) return false;
    }
  }
  return true;
}

/**
 * Whether a table made again (a new object) is alike in what a verdict reads: the same CREATE
 * TABLE statement, columns, their types an ALTER TABLE set, parents, never renamed; `policies`:
 * and the same policies (statements, conditions, files), in order.
 */
function sameContent(a: Table, b: Table, policies: boolean): boolean {
  if (a.stmt !== b.stmt || a.key !== b.key || a.renamed !== undefined || b.renamed !== undefined || a.partitioned !== b.partitioned || a.temp !== b.temp || a.created.file !== b.created.file) return false;
  if (!sameStrings(a.columns, b.columns) || a.parents.length !== 0 || b.parents.length !== 0) return false;
  if (a.columnTypes !== b.columnTypes && (a.columnTypes === undefined || b.columnTypes === undefined || !sameEntries(a.columnTypes, b.columnTypes))) return false;
  if (!policies) return true;
  const p = a.policies, q = b.policies;
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) {
    const x = p[i]!, y = q[i]!;
    if (x.stmt !== y.stmt || x.using !== y.using || x.withCheck !== y.withCheck || x.name !== y.name || x.table !== y.table || x.loc.file !== y.loc.file || x.created.file !== y.created.file || x.wrapped !== undefined || y.wrapped !== undefined) return false;
  }
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two lists of ADD COLUMN statements are the same objects in the same order (none: both undefined). */
function sameAdds(a: readonly ColumnAdd[] | undefined, b: readonly ColumnAdd[] | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && sameItems(a, b));
}

/**
 * The names of the files parsed again since the last model, when the verdicts kept from it may
 * hold (the same files in the same order, the same workspace facts); else undefined.
 */
function reparsedSince(m: Model, ws: WorkspaceColumnFacts, before: NonNullable<typeof lastVerdicts>): Map<string, FileChange> | undefined {
  const a = before.files;
  const b = m.files;
  if (a.length !== b.length) return undefined;
  const out = new Map<string, FileChange>();
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.file !== b[i]!.file) return undefined;
    if (a[i] !== b[i]) out.set(b[i]!.file, changeOf(a[i]!, b[i]!));
  }
  const w = before.ws;
  if (w.sig !== ws.sig || w.dynamic !== ws.dynamic || !sameItems(w.order, ws.order) || !sameEntries(w.firstMade, ws.firstMade) || !sameMembers(w.renamedTo, ws.renamedTo)) return undefined;
  // (the CREATE TABLEs that fail, 42P01, referencing a table made later: the same statements and
  // keys; one such statement turned every verdict off — redatito8150-sketch/local-marketplace,
  // hrds100/marketplace10)
  const refs = createsReferencingLater(m);
  const was = before.referencing;
  if (refs.length !== was.length) return undefined;
  for (let i = 0; i < refs.length; i++) if (refs[i]!.stmt !== was[i]!.stmt || refs[i]!.key !== was[i]!.key) return undefined;
  // (where the functions are created: a policy calling one created later is rejected, 42883)
  if (before.functions !== functionOrder(m).sig) return undefined;
  // (whether auth.user_id() is Neon's, text: a CREATE EXTENSION pg_session_jwt or a Drizzle policy
  // in another file decides the verdicts of every policy calling it — operators.ts neonUserIdIsText)
  if (before.neonUserId !== neonUserIdIsText(m)) return undefined;
  return out;
}

function sameEntries<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameMembers<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Why PostgreSQL rejects a policy's CREATE POLICY (as rejectedPolicies), for one the model no longer holds too. */
export function rejectionOf(model: Model, p: Policy): Rejection | undefined {
  if (p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  const n = p.stmt.node;
  return rejectionIn(model, p, workspaceFacts(model), model.views.has(p.table), !!(n?.qual || n?.with_check));
}

/** Why PostgreSQL rejects the policy; `mayBeView` and `mayHaveBadClause` say which checks may apply (rejectedPolicies knows them for many policies at once). */
function rejectionIn(model: Model, p: Policy, ws: WorkspaceColumnFacts, mayBeView: boolean, mayHaveBadClause: boolean): Rejection | undefined {
  // (one in a DO block may not run, but then it does not exist either)
  const view = mayBeView ? onView(model, p.table, p.loc) : undefined;
  if (view) return { code: '42809', view };
  const clause = mayHaveBadClause ? clauseError(p.stmt.node) : undefined;
  if (clause) return { code: '42601', message: clause };
  // (a policy on a table the migrations never create, in no schema the platform fills: the table was
  // made elsewhere — the dashboard, an older history these migrations do not hold — and so may be
  // what its sub-selects read and the functions it calls before a later migration makes them again;
  // on a database these migrations make, PostgreSQL stops at the policy's own table (42P01), which
  // is not told either. robert-grey-dev/admin-medical-v1's policies on profiles calling
  // get_user_role(uuid), which a later migration drops IF EXISTS and creates again)
  const external = !model.tables.has(p.table) && !createdAsTable(model, p.table) && !PLATFORM_SCHEMAS.has(p.table.slice(0, p.table.indexOf('.')));
  // (PostgreSQL looks up the relations of the FROM lists before the columns)
  const relation = external ? undefined : missingRelationOf(model, p, ws);
  if (relation) return { code: '42P01', relation };
  const column = unknownColumnOf(model, p, ws);
  const fn = external ? undefined : missingFunctionOf(model, p);
  // (both: PostgreSQL stops at the first it meets, a call's arguments before the call)
  if (fn && (!column || (column.ref.location > fn.call.location && !fn.call.args.some((a) => nodeContains(a, column.ref))))) return { code: '42883', fn };
  if (column) return { code: '42703', column };
  const operator = operatorMismatchOf(model, p, ws);
  // (one walk of the sub-selects for both)
  const { arraySubselect, subselectText } = subselectMismatchesOf(model, p, ws);
  const enumArray = enumArrayRejection(model, p);
  const enumValue = enumRejection(model, p);
  // (several: the first PostgreSQL meets)
  const first = [operator, arraySubselect, subselectText, enumArray, enumValue].reduce<{ location: number } | undefined>((a, b) => (b && (!a || b.location < a.location) ? b : a), undefined);
  if (first && first === operator) return { code: '42883', operator };
  if (first && first === arraySubselect) return { code: '42883', arraySubselect };
  if (first && first === subselectText) return { code: '42883', subselectText };
  if (first && first === enumArray) return { code: '42883', enumArray };
  return enumValue ? { code: enumValue.uncommitted ? '55P04' : '22P02', enumValue } : undefined;
}

/** The comparison of p's CREATE POLICY of an enum column with an ARRAY[…] of strings (42883), if any. */
function enumArrayRejection(model: Model, p: Policy): EnumArrayMismatch | undefined {
  const found = enumArrayMismatches(model);
  if (found.length === 0 || p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  for (let i = 0; i < found.length; i++) if (found[i]!.stmt === p.stmt) return found[i]!.mismatch;
  return undefined;
}

/** The string of p's CREATE POLICY that is no value of the enum type it meets (22P02), if any. */
function enumRejection(model: Model, p: Policy): BadValue | undefined {
  const found = invalidEnumValues(model);
  if (found.length === 0 || p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  for (let i = 0; i < found.length; i++) if (found[i]!.stmt === p.stmt) return found[i]!.bad;
  return undefined;
}

/** A policy PostgreSQL rejects, with why; `by`: the later CREATE POLICY of its name that replaced it in the model. */
export type RejectedPolicy = readonly [Policy, Rejection, Policy?];

/**
 * The policies PostgreSQL rejects (rejectedPolicies), and those a later CREATE POLICY of the same
 * name replaced in the model that it rejects too (the third item: the one replacing it): the first
 * CREATE POLICY fails, and the one written again (fixed, or after the column or function it lacked
 * is made) does not collide with it, so the model, which keeps the last, holds no trace of the
 * failure (circle-marketplace's listings policies; a storage policy comparing a uuid with a
 * sub-select's text, made again with the cast fixed). Once per model. Shared: do not mutate.
 */
export function rejectedWithReplaced(model: Model): readonly RejectedPolicy[] {
  return memoModel(model, 'rejected:with-replaced', (m) => {
    const out: RejectedPolicy[] = [...rejectedPolicies(m)]; // (and buildRejected's droppedRejections with it)
    const dropped = droppedRejections.get(m) ?? NO_REJECTIONS;
    for (const { replaced, by } of m.replacedPolicies) {
      if (replaced.stmt.kind !== 'CreatePolicyStmt' || replaced.stmt.origin !== 'file') continue;
      if (by) {
        const r = rejectionOf(m, replaced);
        if (r) out.push([replaced, r, by]);
        continue;
      }
      // (one a DROP POLICY removed — `DROP POLICY IF EXISTS` before it is written again, fixed: the
      // first CREATE POLICY still failed where it stands. buildRejected asked, and most are
      // accepted. Only on a table the migrations still hold under that name, or one of the
      // platform's, as its verdict reads them; with the policy of its name written after it, if any)
      const r = dropped.get(replaced);
      if (!r) continue;
      const t = m.tables.get(replaced.table);
      let later: Policy | undefined;
      if (t) {
        // (a table made again since has another table's columns; but one that did not exist yet
        // when the policy was written, 42P01 on it, was refused all the same: shipyard's
        // fix-rls-policies.sql, its DROP POLICY IF EXISTS and CREATE POLICY run before the schema)
        if (orderOf(m, t.created) > orderOf(m, replaced.created) && !(r.code === '42P01' && r.relation.key === replaced.table)) continue;
        later = t.policies.find((q) => q.name === replaced.name);
      } else {
        if (!PLATFORM_SCHEMAS.has(replaced.table.slice(0, replaced.table.indexOf('.')))) continue;
        later = m.policies.find((q) => q.table === replaced.table && q.name === replaced.name);
      }
      out.push([replaced, r, later]);
    }
    return out;
  });
}

/** Whether PostgreSQL rejects the policy (rejectedPolicies). */
export function isRejected(model: Model, p: Policy): boolean {
  const r = rejectedPolicies(model);
  return r.size !== 0 && r.has(p);
}

/**
 * The view (or materialized view) `key` names when the statement at `at` runs, as far as the
 * migrations tell for certain: a view at their end and at that point, never a table (no CREATE
 * TABLE of that name: a table dropped for a view takes its policies with it).
 */
export function onView(model: Model, key: string, at: Loc): View | undefined {
  const v = model.views.get(key);
  if (!v || model.tables.has(key) || createdAsTable(model, key) || !viewAt(model, key, at)) return undefined;
  return v;
}
