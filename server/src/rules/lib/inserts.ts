// What trigger functions insert, and which policies admit an insert: shared by the trigger rules.
import type { Func, Model, Policy } from '../../analysis/model.js';
import { walk } from '../../analysis/parse.js';
import { appliesToRole } from '../../analysis/policies.js';
import { memoModel } from '../../analysis/policy-exprs.js';
import type { FunctionBody, Loc, Node } from '../../analysis/types.js';
import { callsIn, identEnd } from '../../analysis/ast.js';
import { bodyText, codeOnly, fileOf, forEachInvokerCallee, lowerCallName } from './util.js';

export interface InsertRef {
  table: string;
  /** `INSERT INTO name` in the body */
  loc: Loc;
  /** the InsertStmt */
  node: Node;
}

/** An INSERT of a body as written: its target's name parts and its span. */
interface RawInsert {
  schema: string | undefined;
  name: string;
  start: number;
  end: number;
  node: Node;
}

/** The INSERTs of each body, kept with the body (a re-lint keeps the bodies of the files it did not parse again). */
const rawInserts = new WeakMap<FunctionBody, RawInsert[]>();

/** `text`: the file's text, which the body's locations are offsets into. */
function rawInsertsOf(body: FunctionBody, text: string): RawInsert[] {
  let out = rawInserts.get(body);
  if (out) return out;
  const found: RawInsert[] = [];
  for (const s of body.statements) {
    const visit = (key: string, v: Node) => {
      if (key !== 'InsertStmt' || !v.relation?.relname) return;
      const rv = v.relation;
      const at: number = typeof rv.location === 'number' && rv.location >= s.start ? rv.location : s.start;
      // (the name as written: quoted, or longer than the 63 bytes PostgreSQL keeps of it)
      const end = at === rv.location ? identEnd(text, at) : at;
      found.push({ schema: rv.schemaname, name: String(rv.relname), start: s.start, end: Math.max(s.start + 6, end), node: v });
    };
    if (s.kind === 'InsertStmt') visit('InsertStmt', s.node);
    walk(s.node, (k, v) => {
      visit(k, v);
    });
  }
  rawInserts.set(body, (out = found));
  return out;
}

/**
 * The inserts of each function, kept with it: a re-lint's model holds the same function object
 * while nothing changed it (its keys depend on the function's own writes and the model's default
 * schema, which a new configuration rebuilds everything for).
 */
const insertRefs = new WeakMap<Func, InsertRef[]>();

/** INSERTs of the function body (also inside writable CTEs), with their target keys. Shared: do not mutate. */
export function insertsOf(model: Model, f: Func): InsertRef[] {
  let hit = insertRefs.get(f);
  if (!hit) insertRefs.set(f, (hit = insertsOfUncached(model, f)));
  return hit;
}

function insertsOfUncached(model: Model, f: Func): InsertRef[] {
  if (!f.body) return [];
  const out: InsertRef[] = [];
  for (const r of rawInsertsOf(f.body, fileOf(model, f.created.file)?.text ?? '')) {
    // (an unqualified name resolved through the function's own search_path, or the one it was created under: as its writes say)
    const table = model.funcRelKey(f, r.node.relation);
    out.push({ table, loc: { file: f.created.file, start: r.start, end: r.end }, node: r.node });
  }
  return out;
}

/** An INSERT a function runs with its own rights: in its body, or in a SECURITY INVOKER function it calls. */
export interface ReachedInsert extends InsertRef {
  /** the function whose body holds the INSERT */
  func: Func;
  /** the calls from the function asked about to `func` (that function first, `func` last; `[func]` for its own INSERTs) */
  chain: readonly Func[];
}

/**
 * The INSERTs `f` runs with its rights: its own, then those of the SECURITY INVOKER functions it
 * calls, through any number of them (forEachInvokerCallee: a SECURITY DEFINER function stops the
 * chain). Once per function in a lint. Shared: do not mutate.
 */
export function insertsReached(model: Model, f: Func): readonly ReachedInsert[] {
  const kept = memoModel(model, 'inserts:reached', () => new Map<Func, ReachedInsert[]>());
  let out = kept.get(f);
  if (out) return out;
  const chain = [f];
  out = insertsOf(model, f).map((ins) => ({ ...ins, func: f, chain }));
  forEachInvokerCallee(model, f, (g, via) => {
    if (g.writes.size === 0) return;
    const copy = [...via];
    for (const ins of insertsOf(model, g)) out!.push({ ...ins, func: g, chain: copy });
  });
  kept.set(f, out);
  return out;
}

/**
 * What a trigger function does to reach an INSERT into `table`, for the messages, as the predicate
 * of a sentence whose subject is the trigger function: `inserts into T` for its own INSERT; for one
 * in a SECURITY INVOKER function it calls, the functions on the way, in order, each running
 * `runsAs` ("as the trigger function's owner", "with the same rights"):
 *   `calls G, a SECURITY INVOKER function (so it runs as …), which inserts into T`,
 *   `calls G, which calls H, both SECURITY INVOKER (so they run as …), and H inserts into T`,
 *   `calls G, which calls H, which calls I, all three SECURITY INVOKER (…), and I inserts into T`.
 * It ends with the table, so that a clause about the table may follow.
 */
export function insertRoute(ins: ReachedInsert, table: string, runsAs: string): string {
  const via = ins.chain.slice(1);
  if (via.length === 0) return `inserts into ${table}`;
  const [first, ...rest] = via.map((g) => g.signature);
  if (rest.length === 0) return `calls ${first}, a SECURITY INVOKER function (so it runs ${runsAs}), which inserts into ${table}`;
  const all = via.length === 2 ? 'both' : `all ${NUMBERS[via.length] ?? via.length}`;
  return `calls ${first}, ${rest.map((g) => `which calls ${g}`).join(', ')}, ${all} SECURITY INVOKER (so they run ${runsAs}), and ${rest[rest.length - 1]} inserts into ${table}`;
}
const NUMBERS: Record<number, string> = { 3: 'three', 4: 'four', 5: 'five', 6: 'six', 7: 'seven', 8: 'eight', 9: 'nine' };

/**
 * Whether a policy can admit a new row inserted by `role`: permissive, for INSERT or ALL, with a
 * check that is not `false` (an INSERT policy without WITH CHECK admits nothing, T14). With no
 * role (a function owner the workspace does not show), only a policy for PUBLIC or CURRENT_USER.
 */
export function admitsInsert(model: Model, p: Policy, role: string | undefined): boolean {
  if (!p.permissive || (p.command !== 'insert' && p.command !== 'all')) return false;
  const check = p.withCheck ?? (p.command === 'all' ? p.using : undefined);
  if (!check) return false;
  if (check.A_Const?.boolval !== undefined && check.A_Const.boolval.boolval !== true) return false; // WITH CHECK (false)
  if (role) return appliesToRole(model, p, role);
  return p.roles.some((r) => r === 'public' || r === 'current_user' || r === 'current_role' || r === 'session_user');
}

/** Whether the body may catch the insert's error, or runs it as another role. */
export function mayEscape(model: Model, f: Func): boolean {
  const body = f.body;
  if (!body) return true;
  const text = bodyText(model, f);
  if (/\bexception\s+when\b/i.test(text)) return true;
  return body.statements.some((s) => s.kind === 'VariableSetStmt' && /^(role|session_authorization)$/i.test(String(s.node?.name ?? '')));
}

/**
 * Where `f`'s body calls `g` (its first call of that name), the name as written: the place of an
 * INSERT `f` reaches through `g`. A call whose node's offset does not point at its name (a
 * PL/pgSQL `SELECT … INTO x FROM …`, whose INTO PL/pgSQL takes out before the query is parsed)
 * is looked for in the body's code. Undefined when none is found.
 */
export function callSite(model: Model, f: Func, g: Func): Loc | undefined {
  const body = f.body;
  const text = fileOf(model, f.created.file)?.text;
  if (!body || !text) return undefined;
  const id = (x: string) => `"?${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`;
  // (the name, schema-qualified or not, up to its parenthesis)
  const named = new RegExp(`(?:${id(g.schema)}\\s*\\.\\s*)?${id(g.name)}(?=\\s*\\()`, 'iy');
  const at = (start: number): Loc | undefined => {
    named.lastIndex = start;
    const m = named.exec(text);
    return m ? { file: f.created.file, start, end: start + m[0].length } : undefined;
  };
  const name = g.name.toLowerCase();
  for (const s of body.statements) {
    for (const c of callsIn(s.node)) {
      const written = lowerCallName(c);
      if (written.name !== name || (written.schema !== undefined && written.schema !== g.schema.toLowerCase())) continue;
      const loc = c.location >= body.start && c.location < body.end ? at(c.location) : undefined;
      if (loc) return loc;
    }
  }
  const code = codeOnly(text.slice(body.start, body.end));
  const search = new RegExp(`(?<![\\w$."])${named.source}`, 'gi');
  const m = search.exec(code);
  return m ? at(body.start + m.index) : undefined;
}
