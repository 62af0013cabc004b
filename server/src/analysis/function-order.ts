// Where the migrations create their functions, in migration order, and the policies PostgreSQL
// rejects because they call a function that a later migration creates: CREATE POLICY analyses
// its expressions, so the call fails with 42883 function f(…) does not exist and the policy is
// never created (rejected.ts). Pure: reads the model.
import { callsIn, PLATFORM_SCHEMAS } from './ast.js';
import { isRollbackFile, replayPlaces, rollbackSections, sameItems, type Func, type Model, type Policy } from './model.js';
import { fileByName, functionsToken, memoModel, orderOf, SUPABASE_AUTH_FUNCTIONS } from './policy-exprs.js';
import { nameParts } from './parse.js';
import type { CallRef } from './ast.js';
import type { Loc, Node, ParsedFile, Statement } from './types.js';
import { onSupabasePlatform } from './policies.js';
import { bodyReturnMismatch } from './function-replace.js';

/** A CREATE FUNCTION / PROCEDURE of a file: the statement (its offsets move with it), the schema written (if any), in a DO block. */
interface Creation {
  stmt: Statement;
  schema: string | undefined;
  name: string;
  inDo: boolean;
}

interface FileFunctionFacts {
  creations: Creation[];
  /** names functions are renamed or moved to another schema from, or to (ALTER FUNCTION … RENAME / SET SCHEMA) */
  renamed: string[];
  /** dynamic SQL (a DO block's or a function's EXECUTE) that may create a function */
  dynamic: boolean;
  /** the names created, in order: part of the workspace's signature */
  sig: string;
  /** the creations by name (in file order) */
  byName: Map<string, Creation[]>;
}

const byFile = new WeakMap<ParsedFile, FileFunctionFacts>();
const CREATES_FUNCTION = /\bcreate\s+(or\s+replace\s+)?(function|procedure)\b/i;

function factsOf(file: ParsedFile): FileFunctionFacts {
  let out = byFile.get(file);
  if (out) return out;
  out = { creations: [], renamed: [], dynamic: false, sig: '', byName: new Map() };
  for (const s of file.statements) {
    const n = s.node;
    if (s.kind === 'CreateFunctionStmt') {
      const parts = nameParts(n?.funcname);
      const name = parts[parts.length - 1];
      if (name) out.creations.push({ stmt: s, schema: parts.length > 1 ? parts[parts.length - 2] : undefined, name, inDo: s.origin === 'do' });
      if (s.body?.dynamicExecutes.some((d) => CREATES_FUNCTION.test(d.text))) out.dynamic = true;
    } else if (s.kind === 'DoStmt') {
      if (s.body?.dynamicExecutes.length && CREATES_FUNCTION.test(file.text.slice(s.body.start, s.body.end))) out.dynamic = true;
    } else if (s.kind === 'RenameStmt' && (n?.renameType === 'OBJECT_FUNCTION' || n?.renameType === 'OBJECT_PROCEDURE' || n?.renameType === 'OBJECT_ROUTINE')) {
      if (typeof n.newname === 'string') out.renamed.push(n.newname);
      const parts = nameParts(n.object?.ObjectWithArgs?.objname);
      if (parts.length) out.renamed.push(parts[parts.length - 1]!);
    } else if (s.kind === 'AlterObjectSchemaStmt' && (n?.objectType === 'OBJECT_FUNCTION' || n?.objectType === 'OBJECT_PROCEDURE' || n?.objectType === 'OBJECT_ROUTINE')) {
      const parts = nameParts(n.object?.ObjectWithArgs?.objname);
      if (parts.length) out.renamed.push(parts[parts.length - 1]!);
    }
  }
  for (const c of out.creations) {
    const list = out.byName.get(c.name);
    if (list) list.push(c);
    else out.byName.set(c.name, [c]);
  }
  out.sig = `${out.dynamic ? '!' : ''}${out.creations.map((c) => `${c.schema ?? ''}.${c.name}${c.inDo ? '?' : ''}`).join(',')};${out.renamed.join(',')}`;
  byFile.set(file, out);
  return out;
}

export interface FunctionOrder {
  /** a function name's creations in replay order, with the replay run holding each (model.ts ReplayPlaces; undefined: none) */
  creationsOf(name: string): ReadonlyArray<{ fi: number; c: Creation }> | undefined;
  /**
   * whether a creation of the name in `schema` (or unqualified) comes before offset `start` in
   * replay run `fi`, its own file's (then no creation of it comes only later: createdOnlyLater)
   */
  createdInRunBefore(fi: number, start: number, name: string, schema: string): boolean;
  /** whether the workspace creates any function */
  any: boolean;
  renamed: Set<string>;
  dynamic: boolean;
  /**
   * what the above is made of: a verdict kept from an earlier model holds while it is the same
   * object (the same as the last model's when every file's signature is: compared, not joined)
   */
  sig: object;
}

/** The files' signatures of the last model functionOrder was asked about, and its token. */
let lastSigs: { sigs: string[]; order: readonly number[]; token: object } | undefined;

/**
 * The workspace's function creations in replay order, once per model. A name's creations are
 * gathered when a policy calls it (a few names; the workspace may create thousands of functions:
 * bench, ≈ 1 MB per re-lint for a map of them all).
 */
export function functionOrder(model: Model): FunctionOrder {
  return memoModel(model, 'functionOrder', (m) => {
    const facts = m.files.map(factsOf);
    const renamed = new Set<string>();
    let dynamic = false;
    let any = false;
    const sigs: string[] = new Array(facts.length);
    for (let i = 0; i < facts.length; i++) {
      const f = facts[i]!;
      sigs[i] = f.sig;
      if (f.dynamic) dynamic = true;
      if (f.creations.length) any = true;
      for (const r of f.renamed) renamed.add(r);
    }
    // (and the same replay order: a file psql includes runs where it is included)
    const places = replayPlaces(m);
    const same = lastSigs !== undefined && lastSigs.sigs.length === sigs.length && lastSigs.sigs.every((x, i) => x === sigs[i]) && sameItems(lastSigs.order, places.key);
    if (!same) lastSigs = { sigs, order: places.key, token: {} };
    const byName = new Map<string, Array<{ fi: number; c: Creation }> | undefined>();
    const creationsOf = (name: string) => {
      if (byName.has(name)) return byName.get(name);
      let list: Array<{ fi: number; c: Creation }> | undefined;
      for (let fi = 0; fi < places.runs.length; fi++) {
        const run = places.runs[fi]!;
        for (const c of facts[places.key[2 * fi]!]!.byName.get(name) ?? []) if (c.stmt.start >= run.start && c.stmt.start < run.end) (list ??= []).push({ fi, c });
      }
      byName.set(name, list);
      return list;
    };
    const createdInRunBefore = (fi: number, start: number, name: string, schema: string) => {
      const run = places.runs[fi];
      if (!run) return false;
      for (const c of facts[places.key[2 * fi]!]!.byName.get(name) ?? []) if (c.stmt.start >= run.start && c.stmt.start < start && (c.schema === undefined || c.schema === schema)) return true;
      return false;
    };
    return { creationsOf, createdInRunBefore, any, renamed, dynamic, sig: lastSigs!.token };
  });
}

export interface MissingFunction {
  /** the call as written in the policy */
  call: CallRef;
  /** the function the call resolves to (undefined: none is made, PostgreSQL refusing its CREATE FUNCTION: `refused`) */
  fn: Func | undefined;
  /** the CREATE FUNCTION that comes only after the policy (or, `refused`, the last one before it) */
  made: Loc;
  /** the CREATE FUNCTION at `made` is one PostgreSQL refuses, its body returning text: the type it is declared to return (function-replace.ts bodyReturnMismatch) */
  refused?: string;
}

/**
 * The first call of a CREATE POLICY's expressions to a function the migrations create only after
 * it, in the same folder, by a top-level CREATE FUNCTION, and never before (in any schema it may
 * resolve to, any argument list): PostgreSQL rejects the policy with 42883. Not for a function of
 * a schema the platform fills before the migrations (Supabase's auth.uid(), which a migration
 * may write again), a function renamed or moved anywhere, nor when dynamic SQL may create one.
 */
export function missingFunctionOf(model: Model, p: Policy): MissingFunction | undefined {
  if (p.stmt.origin !== 'file' || p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  const order = functionOrder(model);
  if (order.dynamic || !order.any) return undefined;
  // (the policy's replay run asked only for a call of a name some CREATE FUNCTION makes, not renamed:
  // createdOnlyLater finds nothing for the others; most policies call only such as auth.uid())
  let at: number | undefined;
  const n = p.stmt.node;
  for (const expr of [n?.qual, n?.with_check]) {
    if (!expr) continue;
    for (const call of callsIn(expr)) {
      if (call.location < 0) continue;
      const last = call.name[call.name.length - 1]!;
      if (order.creationsOf(last) === undefined || order.renamed.has(last)) continue;
      at ??= replayPlaces(model).runOf(p.created);
      if (at < 0) return undefined;
      const later = createdOnlyLater(model, order, at, p.created.start, call.name, call.args.length);
      if (later) return { call, ...later };
      const refused = refusedOnly(model, order, at, p.created.start, call.name, call.args.length);
      if (refused) return { call, fn: undefined, ...refused };
    }
  }
  return undefined;
}

/**
 * The function `name` (with `argc` arguments, or any) resolves to, and its CREATE FUNCTION, when the
 * migrations create it only after the statement at `start` of replay run `at` (see missingFunctionOf).
 */
function createdOnlyLater(model: Model, order: FunctionOrder, at: number, start: number, name: string[], argc: number | undefined): { fn: Func; made: Loc } | undefined {
  const last = name[name.length - 1]!;
  const list = order.creationsOf(last);
  if (list === undefined || order.renamed.has(last)) return undefined;
  const fn = model.findFunction(name, argc);
  if (!fn || fn.schema === 'pg_catalog') return undefined;
  if (PLATFORM_SCHEMAS.has(fn.schema) && (model.supabase || onSupabasePlatform(model))) return undefined;
  // (an unqualified CREATE FUNCTION may have made it in another schema, through a SET search_path)
  const mine = list.filter(({ c }) => c.schema === undefined || c.schema === fn.schema);
  const before = mine.find(({ fi, c }) => fi < at || (fi === at && c.stmt.start < start));
  if (before !== undefined) return undefined;
  const later = mine[0];
  if (!later || later.c.inDo) return undefined;
  // (an unqualified CREATE FUNCTION made the function the call finds only in the default schema)
  if (later.c.schema === undefined && fn.schema !== model.key([undefined, 'x']).slice(0, -2)) return undefined;
  // (in another folder: two folders are two sequences of migrations, whose order the paths do not tell)
  const places = replayPlaces(model);
  if (later.fi > at && !places.oneSequence(later.fi, at)) return undefined;
  const file = places.runs[later.fi]!.file;
  // (its migration's rollback makes the function again, the version before it: it replaced one the database had)
  if (rollbackRemakes(model, file, later.c)) return undefined;
  return { fn, made: { file, start: later.c.stmt.start, end: later.c.stmt.end } };
}

/**
 * Whether the rollback of the migration `file` — its twin `<name>.down.sql` (`<name>.up.sql`,
 * `_up`/`-up` beside `_down`/`-down`), or a rollback section of the file itself (dbmate's
 * `-- migrate:down`) — creates the function `c` makes: undoing the migration restores the
 * version it replaced, so the function stood there before it, made outside these migrations
 * (AldenQuesada/clinicai-v2's 20260800000077_…_app_clinic_id_canonical.sql replaces
 * public.app_clinic_id(), which policies of earlier migrations call; its .down.sql restores the
 * earlier body). A rollback that drops it says it was new.
 */
function rollbackRemakes(model: Model, file: string, c: Creation): boolean {
  const same = (s: Statement) => {
    if (s.kind !== 'CreateFunctionStmt' || s.origin !== 'file') return false;
    const parts = nameParts(s.node?.funcname);
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    return parts[parts.length - 1] === c.name && (schema === undefined || c.schema === undefined || schema === c.schema);
  };
  const own = fileByName(model, file);
  if (own && /down|rollback/i.test(own.text)) {
    for (const r of rollbackSections(own)) if (own.statements.some((s) => s.start >= r.start && s.start < r.end && s !== c.stmt && same(s))) return true;
  }
  const names = new Set<string>();
  const m = /^(.*?)(?:([._-])up)?\.sql$/i.exec(file);
  if (m) {
    names.add(`${m[1]}.down.sql`);
    if (m[2]) names.add(`${m[1]}${m[2]}down.sql`);
  }
  for (const n of names) {
    const twin = fileByName(model, n);
    // (`x.down.sql`, or `x_down.sql` beside this `x_up.sql`: rollbackTwins')
    if (twin && (isRollbackFile(twin.file) || (m?.[2] !== undefined && n === `${m[1]}${m[2]}down.sql`)) && twin.statements.some(same)) return true;
  }
  return false;
}

/**
 * Where the call `name` (with `argc` arguments) finds no function because every CREATE FUNCTION of
 * that name and argument count before the statement at `start` of replay run `at`, top-level
 * statements of its sequence of migrations, is one PostgreSQL refuses (a LANGUAGE sql body returning
 * text for a uuid, integer… function: bodyReturnMismatch, 42P13) and nothing else makes it: the
 * policy then fails with 42883 function … does not exist (PGlite; MarcoFranca/ContemplaHub's
 * lead_diagnosticos policies calling auth.org_id()). The last such CREATE, and its declared type.
 * Not where the function exists (the model has one), a schema the platform fills, or a DO block may make it.
 */
function refusedOnly(model: Model, order: FunctionOrder, at: number, start: number, name: string[], argc: number): { made: Loc; refused: string } | undefined {
  const last = name[name.length - 1]!;
  const list = order.creationsOf(last);
  if (list === undefined || order.renamed.has(last) || model.findFunction(name, argc)) return undefined;
  const schema = name.length > 1 ? name[name.length - 2]! : undefined;
  // (a function the platform makes before the migrations, which one may write again: Supabase's
  // auth.uid(); not auth.org_id(), which the platform has not)
  if (schema === 'pg_catalog' || (schema !== undefined && PLATFORM_SCHEMAS.has(schema) && (schema !== 'auth' || SUPABASE_AUTH_FUNCTIONS.has(`auth.${last}`)) && (model.supabase || onSupabasePlatform(model)))) return undefined;
  const places = replayPlaces(model);
  let found: { made: Loc; refused: string } | undefined;
  for (const { fi, c } of list) {
    if (fi > at || (fi === at && c.stmt.start >= start)) break;
    if (schema !== undefined && c.schema !== undefined && c.schema !== schema) continue;
    // (of another argument count: the call does not find it either way)
    const inputs = ((c.stmt.node?.parameters ?? []) as Node[]).filter((x) => !/^FUNC_PARAM_(?:OUT|TABLE)$/.test(String(x?.FunctionParameter?.mode ?? '')));
    if (inputs.length !== argc) continue;
    if (c.inDo || inputs.some((x) => x?.FunctionParameter?.defexpr)) return undefined;
    if (fi !== at && !places.oneSequence(fi, at)) return undefined;
    const file = places.runs[fi]!.file;
    const pf = fileByName(model, file);
    const r = pf ? bodyReturnMismatch(pf, c.stmt) : undefined;
    if (!r) return undefined;
    found = { made: { file, start: c.stmt.start, end: c.stmt.end }, refused: r.declared };
  }
  return found;
}

/** GRANT / REVOKE … ON FUNCTION (PROCEDURE, ROUTINE) and ALTER FUNCTION: the functions a top-level statement names, as written. */
function functionsNamed(stmt: Statement): Array<{ name: string[]; argc: number | undefined; verb: string }> {
  const n = stmt.node;
  const objects: Node[] =
    stmt.kind === 'GrantStmt' && n?.targtype === 'ACL_TARGET_OBJECT' && /^OBJECT_(?:FUNCTION|PROCEDURE|ROUTINE)$/.test(n.objtype ?? '')
      ? (n.objects ?? [])
      : stmt.kind === 'AlterFunctionStmt' && n?.func
        ? [{ ObjectWithArgs: n.func }]
        : [];
  const verb = stmt.kind === 'AlterFunctionStmt' ? 'ALTER FUNCTION' : `${n?.is_grant ? 'GRANT' : 'REVOKE'} … ON FUNCTION`;
  return objects.flatMap((o) => {
    const w = o?.ObjectWithArgs;
    return w ? [{ name: nameParts(w.objname), argc: w.args_unspecified ? undefined : (w.objargs ?? []).length, verb }] : [];
  });
}

/** statementsNamingLaterFunctions' last result, and what it was made of. */
let lastNamed: { sig: object; token: object; perFile: Map<ParsedFile, Array<{ loc: Loc; what: string; made: Loc }> | undefined> } | undefined;

const namingStatements = new WeakMap<ParsedFile, Array<{ stmt: Statement; named: ReturnType<typeof functionsNamed> }>>();
/** A parsed file's top-level statements that name functions (functionsNamed), in file order. */
function functionNamingStatements(pf: ParsedFile): Array<{ stmt: Statement; named: ReturnType<typeof functionsNamed> }> {
  let out = namingStatements.get(pf);
  if (out === undefined) {
    out = [];
    for (const stmt of pf.statements) {
      if (stmt.origin !== 'file' || (stmt.kind !== 'GrantStmt' && stmt.kind !== 'AlterFunctionStmt')) continue;
      const named = functionsNamed(stmt);
      if (named.length) out.push({ stmt, named });
    }
    namingStatements.set(pf, out);
  }
  return out;
}

/**
 * The statements of a file that name a function the migrations create only later (GRANT / REVOKE
 * … ON FUNCTION, ALTER FUNCTION: PostgreSQL rejects them, 42883 function … does not exist;
 * local-marketplace's REVOKE of brand_owns_order_item(uuid) a later migration creates), each with
 * the function's name as written and where it is created; same conditions as missingFunctionOf.
 */
export function statementsNamingLaterFunctions(model: Model, file: string): ReadonlyArray<{ loc: Loc; what: string; made: Loc }> {
  return memoModel(model, 'function-order:later-named', (m) => {
    const out = new Map<string, Array<{ loc: Loc; what: string; made: Loc }>>();
    const order = functionOrder(m);
    if (order.dynamic || !order.any) return out;
    // (each file's results kept from the last model while the functions, their creations and the
    // replay order are the same: then a file parsed again is the only one looked at — the
    // statements' places follow the order, and what they name resolves as before)
    const token = functionsToken(m);
    const last = lastNamed !== undefined && lastNamed.sig === order.sig && lastNamed.token === token ? lastNamed.perFile : undefined;
    const perFile = new Map<ParsedFile, Array<{ loc: Loc; what: string; made: Loc }> | undefined>();
    lastNamed = { sig: order.sig, token, perFile };
    const places = replayPlaces(m);
    // (each file's statements that name functions, kept per parsed file: a pass over every
    // statement of the model was ≈ 8 ms of a bench re-lint; those the replay runs)
    for (const pf of m.files) {
      let list = last?.get(pf);
      if (list === undefined && !last?.has(pf)) {
        for (const { stmt, named } of functionNamingStatements(pf)) {
          const loc = { file: pf.file, start: stmt.start, end: stmt.end };
          if (orderOf(m, loc) < 0) continue;
          const at = places.runOf(loc);
          if (at < 0) continue;
          for (const { name, argc, verb } of named) {
            // (most name a function their own file made just before: GRANT EXECUTE after CREATE
            // FUNCTION; asking every creation of the name in every file for each was 30–40 ms of a
            // bench re-lint, 4,470 functions)
            if (name.length === 0) continue;
            const fn = m.findFunction(name, argc);
            if (fn && order.createdInRunBefore(at, stmt.start, name[name.length - 1]!, fn.schema)) continue;
            const later = createdOnlyLater(m, order, at, stmt.start, name, argc);
            if (!later) continue;
            (list ??= []).push({ loc, what: `${verb} ${name.join('.')}, a function the migrations create only later: 42883`, made: later.made });
            break;
          }
        }
      }
      perFile.set(pf, list);
      if (list) out.set(pf.file, list);
    }
    return out;
  }).get(file) ?? [];
}

/** Whether `target` is `node` or inside it. */
export function nodeContains(node: Node, target: Node): boolean {
  if (node === target) return true;
  if (!node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((x) => nodeContains(x, target));
  for (const k in node) {
    const v = node[k];
    if (v && typeof v === 'object' && nodeContains(v, target)) return true;
  }
  return false;
}
