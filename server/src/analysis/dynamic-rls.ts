// Tables that dynamic SQL may enable or force row-level security on, put policies on, or grant
// privileges on (and views it may make security_invoker or drop), where the replay cannot see it: a DO block looping `EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL
// SECURITY', t)` over a list of names or over pg_tables, a helper function doing it for the
// table its caller names (`SELECT admin.add_rls('public.activity'::regclass)`), an event trigger
// enabling RLS on every new table. The rules that would say RLS is never enabled (or forced, or
// that a table has no policy) leave such tables alone: sound, not complete. Pure: reads the model.
import { census, memoStmt } from './ast.js';
import { literalLoopRls } from './catalog-loops.js';
import { enumValuesOf } from './enum-values.js';
import type { Model, Table } from './model.js';
import { nameParts } from './parse.js';
import { policyCallWraps } from './unseen.js';
import { memoModel, orderOf } from './policy-exprs.js';
import type { FunctionBody, Loc, Node, ParsedFile, Statement } from './types.js';

/**
 * What dynamic SQL may do to which tables: every table (`all`), every table made before a loop
 * over the catalog runs (`allUntil`: a DO block's replay position, or where a function doing it
 * last runs, catalogLoopReach; -1 for none), every
 * table made after an event trigger's function (`allFrom`), or those of these bare names or name
 * prefixes (lower-case).
 */
export interface DynamicTargets {
  all: boolean;
  allUntil: number;
  /** every table made after this replay position (an event trigger's function: Infinity for none) */
  allFrom: number;
  names: Set<string>;
  /** the tables (keys) a constant EXECUTE string names as its target (`EXECUTE 'CREATE POLICY … ON realtime.messages …'`) */
  keys: Set<string>;
  prefixes: string[];
  /**
   * every table that has policies and was made before this replay position: a loop over
   * pg_policies that creates policies (ft's consolidation of duplicate policies into new
   * `mp_<table>_…` ones) reaches the tables that have some (-1 for none)
   */
  withPoliciesUntil: number;
}

/** What dynamic SQL may do: enable or force RLS, create policies, make views security_invoker, drop views or tables, or grant privileges on tables. */
export type DynamicWhat = 'enable' | 'force' | 'policy' | 'invoker' | 'dropView' | 'dropTable' | 'grant';

export interface DynamicRls {
  /**
   * The functions whose loop over the catalog enables RLS but which run only up to a point of the
   * migrations (last called there, or dropped there): the tables made after it are not reached
   */
  enableLoops: CatalogLoopReach[];
  enable: DynamicTargets;
  force: DynamicTargets;
  policy: DynamicTargets;
  invoker: DynamicTargets;
  dropView: DynamicTargets;
  /** (`EXECUTE 'DROP TABLE public.work_order_files CASCADE'` in a DO block: property-manager's legacy tables, then views of that name) */
  dropTable: DynamicTargets;
  grant: DynamicTargets;
}

const WHAT = {
  enable: /\benable\s+row\s+level\s+security\b/i,
  force: /(?<!\bno\s+)\bforce\s+row\s+level\s+security\b/i,
  policy: /\bcreate\s+policy\b/i,
  invoker: /\bsecurity_invoker\s*=\s*'?(?:true|on|yes|1)\b/i,
  dropView: /\bdrop\s+view\b/i,
  dropTable: /\bdrop\s+table\b/i,
  // (`GRANT SELECT, INSERT ON TABLE public.%I TO merchant`, `GRANT ALL ON %s TO …`: privileges, not a role's membership)
  grant: /\bgrant\s+(?:all|select|insert|update|delete|truncate|references|trigger)\b[\s\S]{0,200}?\bon\b/i,
} as const;

/** The views a constant `DROP VIEW` names (`EXECUTE 'DROP VIEW users_admin'`): their last part, lower-case. */
const DROP_VIEW_NAMES = /\bdrop\s+view\s+(?:if\s+exists\s+)?((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?(?:\s*,\s*(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?)*)/gi;

function droppedViewNames(text: string, into: Set<string>): void {
  for (const m of text.matchAll(DROP_VIEW_NAMES)) {
    for (const name of m[1]!.split(',')) {
      const last = name.split('.').pop()!.trim();
      into.add((last.startsWith('"') ? last.slice(1, -1) : last).toLowerCase()); // (compared lower-case, as quotedNames' are)
    }
  }
}

/** An event trigger's new tables: every table made after it too. */
const EVENT_TRIGGER = /\bpg_event_trigger_ddl_commands\b/i;
/** A loop over the catalog's tables (its query in group 1): the names are not written. */
const CATALOG = /\bfor\s+\w+\s+in\s+\(?\s*((?:select|with)\b(?:'(?:[^']|'')*'|[^;'])*?\b(?:pg_tables|pg_views|pg_matviews|pg_class|information_schema\s*\.\s*(?:tables|views|columns))\b[\s\S]*?)\bloop\b/i;
/** A loop's query leaving tables out by name (`NOT (tablename = ANY(excluded))`, `relname <> 'x'`, `NOT IN`): it still reaches every other table. */
const NAME_EXCLUSION = /\bnot\s*\(\s*[\w.]*\b(?:relname|table_name|tablename)\b[^()]*(?:\([^()]*\)[^()]*)*\)|\b(?:relname|table_name|tablename)\b\s*(?:<>|!=|not\s+(?:in|like|ilike)\b)/gi;
/** A loop's query keeping tables by name (`relname = any(list)`, `IN (…)`, `LIKE 'x%'`, `left(relname, 3) = 'fa_'`). */
const NAME_FILTER = /\b(?:relname|table_name|tablename)\b\s*(?:=|~|like\b|ilike\b|in\b)|\bleft\s*\(\s*[\w.]*\b(?:relname|table_name|tablename)\b/i;
/** A join of two catalog relations on the table's name (`t.table_name = c.table_name`): no filter by name. */
const NAME_JOIN = /[\w.]*\b(?:relname|table_name|tablename)\s*=\s*[A-Za-z_][\w$]*\s*\.\s*(?:relname|table_name|tablename)\b/gi;
/** What a loop over the catalog's tables may do beside WHAT's: drop policies (its tables' policies are not known), revoke privileges. */
const CATALOG_WHAT: Array<{ what: DynamicWhat; re: RegExp }> = [
  { what: 'policy', re: /\bdrop\s+policy\b/i },
  { what: 'grant', re: /\brevoke\s+(?:all|select|insert|update|delete|truncate|references|trigger)\b[\s\S]{0,200}?\bon\b/i },
];
/** The prefixes such a query keeps: `LIKE 'fa\_%'`, `left(relname, 3) = 'fa_'`. */
const PREFIX = /\blike\s+'((?:[^'%_\\]|\\.)+)[%_]|\bleft\s*\([^)]*\)\s*=\s*'([^']+)'/gi;

/** A loop over an enum type's values (the type's name in group 1). */
const ENUM_LOOP = /\bforeach\s+\w+\s+in\s+array\s+enum_range\s*\(\s*null\s*::\s*((?:[A-Za-z_][\w$]*\s*\.\s*)?[A-Za-z_][\w$]*)\s*\)/i;
/**
 * A table name built from a prefix and a value, as the target of ALTER TABLE or CREATE POLICY …
 * ON: `format('alter table preuve_%I enable row level security', name)`, `'alter table
 * reponse_' || name || ' enable …'` (territoires-en-transitions' loop over an enum's values,
 * `foreach name in array enum_range(NULL::preuve_type)`): the prefix (group 1).
 */
const TEMPLATE_PREFIX = /\b(?:alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?|create\s+policy\s+(?:"[^"]*"|[\w$%]+)\s+on\s+(?:table\s+)?)(?:[A-Za-z_][\w$]*\s*\.\s*)?([A-Za-z_][\w$]{2,})(?:%[Is]|'\s*\|\|)/gi;

/** A loop over the catalog's policies (pg_policies, pg_policy). */
const POLICY_CATALOG = /\bfor\s+\w+\s+in\s+\(?\s*(?:select|with)\b(?:'(?:[^']|'')*'|[^;'])*?\bpg_polic(?:ies|y)\b[\s\S]*?\bloop\b/i;

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const CONSTANT_TARGET: Array<{ what: DynamicWhat; re: RegExp }> = [
  { what: 'policy', re: new RegExp(String.raw`^\s*create\s+policy\s+${NAME}\s+on\s+(${NAME}(?:\s*\.\s*${NAME})?)\s`, 'i') },
  { what: 'enable', re: new RegExp(String.raw`^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${NAME}(?:\s*\.\s*${NAME})?)\s+enable\s+row\s+level\s+security\s*;?\s*$`, 'i') },
  { what: 'force', re: new RegExp(String.raw`^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${NAME}(?:\s*\.\s*${NAME})?)\s+force\s+row\s+level\s+security\s*;?\s*$`, 'i') },
  { what: 'dropTable', re: new RegExp(String.raw`^\s*drop\s+table\s+(?:if\s+exists\s+)?(${NAME}(?:\s*\.\s*${NAME})?)(?:\s+(?:cascade|restrict))?\s*;?\s*$`, 'i') },
];

/** What a constant EXECUTE string (`'CREATE POLICY … ON "realtime"."messages" …'`, one statement) does, and to which table (its name's parts). */
function constantTarget(expr: string): { what: DynamicWhat; parts: Array<string | undefined> } | undefined {
  const m = /^\s*'((?:[^']|'')*)'\s*$/.exec(expr);
  if (!m) return undefined;
  const sql = m[1]!.replace(/''/g, "'");
  for (const { what, re } of CONSTANT_TARGET) {
    const t = re.exec(sql);
    if (!t) continue;
    const parts = [...t[1]!.matchAll(new RegExp(NAME, 'g'))].map((x) => (x[0].startsWith('"') ? x[0].slice(1, -1).replace(/""/g, '"') : x[0].toLowerCase()));
    return { what, parts: parts.length === 2 ? parts : [undefined, parts[0]] };
  }
  return undefined;
}

/** Quoted names in a text: 'name' or 'schema.name' (their last part, lower-case). */
function quotedNames(text: string, into: Set<string>): void {
  for (const m of text.matchAll(/'([A-Za-z_][\w$]*)(?:\.([A-Za-z_][\w$]*))?'/g)) into.add((m[2] ?? m[1]!).toLowerCase());
}

/** The literal string arguments of a call (plain or cast, e.g. 'public.t'::regclass). */
function literalArgs(call: Node, into: Set<string>): void {
  for (const a of call.args ?? []) {
    const c = a?.A_Const ?? a?.TypeCast?.arg?.A_Const;
    const s: unknown = c?.sval?.sval;
    if (typeof s === 'string') {
      const parts = s.split('.');
      into.add(parts[parts.length - 1]!.replace(/^"|"$/g, '').toLowerCase());
    }
  }
}

function empty(): DynamicRls {
  const none = (): DynamicTargets => ({ all: false, allUntil: -1, allFrom: Infinity, names: new Set(), keys: new Set(), prefixes: [], withPoliciesUntil: -1 });
  return { enableLoops: [], enable: none(), force: none(), policy: none(), invoker: none(), dropView: none(), dropTable: none(), grant: none() };
}

/** A CREATE FUNCTION whose body loops over the catalog's tables doing `what` to each (not an event trigger's new tables). */
interface CatalogLoopFunction {
  stmt: Statement;
  at: number;
  what: DynamicWhat[];
}

/**
 * How far such a function reaches: the tables made before replay position `until` (Infinity:
 * every table). `last`: the statement there, `called` whether the migrations run it there (else
 * the function is dropped or replaced there); `uncalled`: nothing in the migrations runs it.
 */
export interface CatalogLoopReach {
  name: string;
  defined: Loc;
  what: DynamicWhat[];
  until: number;
  last?: Loc;
  called: boolean;
  uncalled: boolean;
}

/** Statements that run their calls where they stand (a top-level SELECT, a DO block's PERFORM, CALL, DML). */
const RUNS_HERE = new Set(['SelectStmt', 'DoStmt', 'CallStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CreateTableAsStmt', 'ExplainStmt']);
const FUNCTION_DROPS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE']);

/** The (last, lower-case) names of the functions a statement calls, CALL included (census sees FuncCall nodes only). */
function calledNames(stmt: Statement, into: string[]): void {
  const add = (n: Node | undefined) => {
    if (!n) return;
    for (const c of census(n).funcCalls) into.push(nameParts(c.funcname).pop()?.toLowerCase() ?? '');
    if (n.funccall?.funcname) into.push(nameParts(n.funccall.funcname).pop()?.toLowerCase() ?? '');
  };
  add(stmt.node);
  if (stmt.body) for (const b of stmt.body.statements) add(b.node);
}

/**
 * Where functions that loop over the catalog (`FOR t IN SELECT tablename FROM pg_tables … LOOP
 * EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', …)`) run, hence which tables they
 * reach: such a loop sees the tables that exist when it runs, never one made after. A call the
 * migrations make (a top-level SELECT, a DO block's PERFORM, CALL) runs there; a trigger, an event
 * trigger, a policy, view or default calling it runs at any time later, as long as the function
 * keeps that body; a call from another function's body runs where that function may. A function
 * the migrations never call may be called by the application (an RPC) or by hand at any time
 * while it exists: until a DROP FUNCTION or a CREATE OR REPLACE of that name, every table if none
 * (sound, not complete). incubrain/astrotribe's add_authorize_rls_policies(), never called and
 * dropped in 20240810075031_cleanup.sql, enabled nothing on public.jobs, made months later.
 */
function catalogLoopReach(m: Model, loops: CatalogLoopFunction[]): CatalogLoopReach[] {
  const nameOf = (s: Statement) => nameParts(s.node?.funcname).pop()?.toLowerCase() ?? '';
  const names = new Set(loops.map((l) => nameOf(l.stmt)));
  const loopAt = new Set(loops.map((l) => l.at));
  // the spans of the replay each such function holds its looping body in: [from, to)
  const lives = new Map<string, Array<{ from: number; to: number }>>();
  const argCount = new Map<string, number>();
  // where each function runs, is used at any time from, and is called by which functions (by name)
  const runs = new Map<string, number[]>();
  const anyTime = new Map<string, number[]>();
  const callers = new Map<string, Set<string>>();
  const push = <T>(map: Map<string, T[]>, k: string, v: T) => map.set(k, [...(map.get(k) ?? []), v]);
  const end = (name: string, i: number) => {
    const l = lives.get(name)?.at(-1);
    if (l && l.to === Infinity) l.to = i;
  };
  m.statements.forEach(({ stmt }, i) => {
    const n = stmt.node;
    if (stmt.kind === 'CreateFunctionStmt') {
      const name = nameOf(stmt);
      if (names.has(name)) {
        const args = (n?.parameters ?? []).filter((p: Node) => !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(p?.FunctionParameter?.mode)).length;
        // (a CREATE OR REPLACE gives it the new body; one of other arguments makes another function)
        if (args === argCount.get(name) || loopAt.has(i)) end(name, i);
        if (loopAt.has(i)) {
          push(lives, name, { from: i, to: Infinity });
          argCount.set(name, args);
        }
      }
    } else if (stmt.kind === 'DropStmt' && FUNCTION_DROPS.has(n?.removeType)) {
      for (const o of n.objects ?? []) {
        const name = nameParts(o?.ObjectWithArgs?.objname).pop()?.toLowerCase() ?? '';
        // (a DROP naming other argument types drops another function of that name)
        const args = o?.ObjectWithArgs?.args_unspecified ? undefined : (o?.ObjectWithArgs?.objargs ?? []).length;
        if (names.has(name) && (args === undefined || args === argCount.get(name))) end(name, i);
      }
    }
    if (stmt.kind === 'CreateTrigStmt' || stmt.kind === 'CreateEventTrigStmt') {
      push(anyTime, nameParts(n?.funcname).pop()?.toLowerCase() ?? '', i);
      return;
    }
    const called: string[] = [];
    calledNames(stmt, called);
    for (const c of called) {
      if (stmt.kind === 'CreateFunctionStmt') callers.set(c, (callers.get(c) ?? new Set()).add(nameOf(stmt)));
      else push(RUNS_HERE.has(stmt.kind) ? runs : anyTime, c, i);
    }
  });
  // the last position a function may run at: its last call in the migrations, any time (Infinity)
  // when something runs it later or nothing in the migrations calls it
  const lastRun = new Map<string, number>();
  const runUntil = (name: string): number => {
    const known = lastRun.get(name);
    if (known !== undefined) return known;
    lastRun.set(name, Infinity); // (a cycle of calls: any time)
    const via = [...(callers.get(name) ?? [])].filter((c) => c !== name);
    let r = Math.max(-1, ...(runs.get(name) ?? []));
    if (anyTime.has(name)) r = Infinity;
    for (const c of via) r = Math.max(r, runUntil(c));
    if (r === -1) r = Infinity;
    lastRun.set(name, r);
    return r;
  };
  const out: CatalogLoopReach[] = [];
  for (const [name, spans] of lives) {
    let until = -1;
    let called = false;
    const reach = (from: number, to: number, call: boolean) => {
      for (const l of spans) {
        if (l.from >= to || l.to <= from) continue;
        const u = Math.min(to, l.to);
        if (u > until || (u === until && call)) [until, called] = [u, call && u === to];
      }
    };
    for (const p of runs.get(name) ?? []) reach(p, p, true);
    for (const p of anyTime.get(name) ?? []) reach(p, Infinity, false);
    for (const c of callers.get(name) ?? []) if (c !== name) reach(-1, runUntil(c), true);
    // (never run by the migrations: by the application, or by hand, while it exists)
    const uncalled = !runs.has(name) && !anyTime.has(name) && !callers.has(name);
    if (uncalled) reach(-1, Infinity, false);
    if (until < 0) continue;
    const def = loops.find((l) => l.at === spans.filter((x) => x.from < until).at(-1)!.from)!;
    const lastStmt = until === Infinity ? undefined : m.statements[until];
    out.push({
      name: nameParts(def.stmt.node?.funcname).join('.'),
      defined: { file: m.statements[def.at]!.file.file, start: def.stmt.start, end: def.stmt.end },
      what: [...new Set(loops.filter((l) => nameOf(l.stmt) === name).flatMap((l) => l.what))],
      until,
      last: lastStmt && { file: lastStmt.file.file, start: lastStmt.stmt.start, end: lastStmt.stmt.end },
      called,
      uncalled,
    });
  }
  return out;
}

/**
 * What a body's dynamic SQL does as its text says, apart from where it runs (kept per statement:
 * the same body says the same in every model). `constants`: the tables constant EXECUTE strings
 * name as their target; the rest is read from the body's text without them.
 */
interface BodyDynamic {
  constants: Array<{ what: DynamicWhat; parts: Array<string | undefined> }>;
  what: DynamicWhat[];
  /** a loop over the catalog's tables that does not keep them by name */
  loop: boolean;
  eventTrigger: boolean;
  /** quoted names (and for dropView, the views a constant DROP VIEW names) */
  names: string[];
  viewNames: string[];
  prefixes: string[];
  /** table names made of these prefixes and each value of an enum type the body loops over (`preuve_%I`, `enum_range(NULL::preuve_type)`) */
  enumTemplates?: { prefixes: string[]; type: string[] };
  /** a loop over the policies creating policies (not one rewriting each in place: policyCallWraps) */
  policyLoop: boolean;
}

function bodyDynamic(file: ParsedFile, s: Statement, body: FunctionBody): BodyDynamic {
  return memoStmt(s, 'dynamic-rls:body', () => {
    let text = file.text.slice(body.start, body.end);
    const constants: BodyDynamic['constants'] = [];
    // (a constant string names its table: that table, schema and all, and not the names the
    // rest of the body quotes — helper's `IF EXISTS (… schemaname = 'realtime' AND tablename =
    // 'messages') THEN EXECUTE 'CREATE POLICY … ON "realtime"."messages" …'` is not about public.messages)
    for (const d of body.dynamicExecutes) {
      // (one whose policy DDL the replay makes, for every value of its literal loop: the
      // policies are the model's — finvy's loop over its tables — nothing here is unknown; so
      // for a literal loop's ALTER TABLE … ROW LEVEL SECURITY, which model.ts replays for each)
      if (d.materialized || literalLoopRls(d)?.complete) {
        text = text.replace(d.text, ' ');
        continue;
      }
      const c = constantTarget(d.text);
      if (!c) continue;
      constants.push(c);
      text = text.replace(d.text, ' ');
    }
    const what = (Object.keys(WHAT) as Array<DynamicWhat>).filter((k) => WHAT[k].test(text));
    // (a loop over the catalog's tables that drops policies or revokes privileges the replay does
    // not run: those of the tables it may reach are not known — tutur3u's loop, before it was replayed)
    const catalog = what.length !== 0 || CATALOG_WHAT.some((c) => c.re.test(text)) ? CATALOG.exec(text) : null;
    if (catalog) for (const c of CATALOG_WHAT) if (!what.includes(c.what) && c.re.test(text)) what.push(c.what);
    if (what.length === 0) return { constants, what, loop: false, eventTrigger: false, names: [], viewNames: [], prefixes: [], policyLoop: false };
    const names = new Set<string>();
    quotedNames(text, names);
    const viewNames = new Set<string>();
    if (what.includes('dropView')) droppedViewNames(text, viewNames);
    const prefixes: string[] = [];
    if (catalog?.[1]) for (const p of catalog[1].matchAll(PREFIX)) prefixes.push((p[1] ?? p[2]!).replace(/\\(.)/g, '$1').toLowerCase());
    // (a loop over an enum's values, `FOREACH name IN ARRAY enum_range(NULL::preuve_type)`: the
    // prefix with each of its values, where the migrations make the enum. Not the prefix alone for
    // other loops: `preuve_%I` over `(values ('complementaire'), …)` does not reach preuve_action)
    const enumLoop = ENUM_LOOP.exec(text);
    const templates: string[] = [];
    if (enumLoop) for (const p of text.matchAll(TEMPLATE_PREFIX)) templates.push(p[1]!.toLowerCase());
    return {
      constants,
      what,
      // (a loop over the catalog that keeps tables by name: those names, and the prefixes it keeps)
      loop: catalog !== null && !NAME_FILTER.test(catalog[1]!.replace(NAME_JOIN, ' ').replace(NAME_EXCLUSION, ' ')),
      eventTrigger: EVENT_TRIGGER.test(text),
      names: [...names],
      viewNames: [...viewNames],
      prefixes,
      enumTemplates: enumLoop && templates.length ? { prefixes: templates, type: enumLoop[1]!.split('.').map((x) => x.trim().toLowerCase()) } : undefined,
      policyLoop: what.includes('policy') && POLICY_CATALOG.test(text) && !policyCallWraps(body),
    };
  });
}

/** Per parsed file: its statements whose bodies run dynamic SQL (most files have none). */
const dynamicStatements = new WeakMap<ParsedFile, Statement[]>();
function dynamicStatementsOf(file: ParsedFile): Statement[] {
  let list = dynamicStatements.get(file);
  if (list === undefined) dynamicStatements.set(file, (list = file.statements.filter((s) => s.body !== undefined && s.body.dynamicExecutes.length !== 0)));
  return list;
}

/** Per parsed file: the calls of its statements and of the bodies in them, by the function's last name (lower-case). */
const callsByName = new WeakMap<ParsedFile, Map<string, Node[]>>();
function callsByNameOf(file: ParsedFile): Map<string, Node[]> {
  let map = callsByName.get(file);
  if (map !== undefined) return map;
  map = new Map();
  const add = (n: Node) => {
    const calls = census(n).funcCalls;
    for (let i = 0; i < calls.length; i++) {
      const name = nameParts(calls[i]!.funcname).pop()?.toLowerCase() ?? '';
      const l = map!.get(name);
      if (l) l.push(calls[i]!);
      else map!.set(name, [calls[i]!]);
    }
  };
  for (const s of file.statements) {
    add(s.node);
    if (s.body) for (const b of s.body.statements) add(b.node);
  }
  callsByName.set(file, map);
  return map;
}

/**
 * What dynamic SQL in the workspace may do (see above), once per model: what each body says is
 * kept per statement (bodyDynamic), the calls per file (callsByNameOf); a model only places them.
 */
export function dynamicRls(model: Model): DynamicRls {
  return memoModel(model, 'dynamic-rls', (m) => {
    const out = empty();
    // the bodies whose dynamic SQL enables, forces or makes policies; a function's by its name
    const byFunction = new Map<string, Array<DynamicWhat>>();
    const catalogLoops: CatalogLoopFunction[] = [];
    let any = false;
    for (const file of m.files) {
      const list = dynamicStatementsOf(file);
      for (let j = 0; j < list.length; j++) {
        const s = list[j]!;
        const d = bodyDynamic(file, s, s.body!);
        for (const c of d.constants) {
          out[c.what].keys.add(m.key(c.parts));
          any = true;
        }
        const what = d.what;
        if (what.length === 0) continue;
        any = true;
        // (a loop over the catalog: one in a DO block sees the tables made before it, one in a
        // function those made before it runs: catalogLoopReach below)
        const { loop, eventTrigger } = d;
        let until = -1;
        const at = orderOf(m, { file: file.file, start: s.start, end: s.end });
        if (loop && s.kind === 'DoStmt' && !eventTrigger) until = at < 0 ? Infinity : at;
        const fnLoop = loop && !eventTrigger && s.kind === 'CreateFunctionStmt' && at >= 0;
        if (fnLoop) catalogLoops.push({ stmt: s, at, what });
        // (an event trigger acts on the tables made after it: after its function, at the earliest; skaleclub)
        const from = eventTrigger ? at : -1;
        for (const k of what) {
          if (eventTrigger && from >= 0) out[k].allFrom = Math.min(out[k].allFrom, from);
          else if (eventTrigger || (loop && until === -1 && !fnLoop)) out[k].all = true;
          else if (loop && !fnLoop) out[k].allUntil = Math.max(out[k].allUntil, until);
          for (const n of d.names) out[k].names.add(n);
          if (k === 'dropView') for (const n of d.viewNames) out[k].names.add(n);
          for (const p of d.prefixes) out[k].prefixes.push(p);
          if (d.enumTemplates) {
            const values = enumValuesOf(m, d.enumTemplates.type);
            for (const p of d.enumTemplates.prefixes) {
              if (values) for (const v of values) out[k].names.add(p + v.toLowerCase());
            }
          }
        }
        if (d.policyLoop) {
          const at = s.kind === 'DoStmt' ? orderOf(m, { file: file.file, start: s.start, end: s.end }) : Infinity;
          out.policy.withPoliciesUntil = Math.max(out.policy.withPoliciesUntil, at < 0 ? Infinity : at);
        }
        if (s.kind === 'CreateFunctionStmt') {
          const name = nameParts(s.node?.funcname).pop()?.toLowerCase();
          if (name) byFunction.set(name, [...(byFunction.get(name) ?? []), ...what]);
        }
      }
    }
    if (catalogLoops.length) {
      for (const r of catalogLoopReach(m, catalogLoops)) {
        for (const k of r.what) {
          if (r.until === Infinity) out[k].all = true;
          else out[k].allUntil = Math.max(out[k].allUntil, r.until);
        }
        if (r.until !== Infinity && r.what.includes('enable')) out.enableLoops.push(r);
      }
    }
    if (!any || byFunction.size === 0) return out;
    // the tables callers name to such functions (the names they pass: its parameters fill the SQL),
    // but in the calls the replay ran (model.ts replayCall): what they did is known
    const replayed = replayedCalls(m);
    for (const file of m.files) {
      const calls = callsByNameOf(file);
      byFunction.forEach((what, name) => {
        const list = calls.get(name);
        if (list) for (const c of list) if (!replayed.has(c)) for (const k of what) literalArgs(c, out[k].names);
      });
    }
    return out;
  });
}

/**
 * The calls whose statements the replay ran (model.ts replayCall), their FuncCall nodes; and the
 * spans they stand at, by file (what a fix may not edit: engine/workspace.ts). Per model; a pass
 * over the model's statements only where a function has call templates.
 */
export function replayedCalls(model: Model): ReadonlySet<Node> {
  return callsReplayed(model).nodes;
}
export function replayedCallSpans(model: Model): ReadonlyMap<string, Array<{ start: number; end: number }>> {
  return callsReplayed(model).spans;
}
const NO_CALLS = { nodes: new Set<Node>(), spans: new Map<string, Array<{ start: number; end: number }>>() };
function callsReplayed(model: Model): typeof NO_CALLS {
  return memoModel(model, 'dynamic-rls:calls', (m) => {
    if (!m.files.some(hasCallTemplates)) return NO_CALLS;
    const out: typeof NO_CALLS = { nodes: new Set(), spans: new Map() };
    for (const { file, stmt } of m.statements) {
      if (stmt.madeByCall === undefined || out.nodes.has(stmt.madeByCall)) continue;
      out.nodes.add(stmt.madeByCall);
      const list = out.spans.get(file.file);
      if (list) list.push({ start: stmt.start, end: stmt.end });
      else out.spans.set(file.file, [{ start: stmt.start, end: stmt.end }]);
    }
    return out;
  });
}
const withTemplates = new WeakMap<ParsedFile, boolean>();
function hasCallTemplates(file: ParsedFile): boolean {
  let v = withTemplates.get(file);
  if (v === undefined) withTemplates.set(file, (v = file.statements.some((s) => s.callTemplates !== undefined)));
  return v;
}

/**
 * The roles dynamic SQL may grant table privileges to, and which privileges: from the text of
 * each `EXECUTE` that grants (`'GRANT SELECT, INSERT ON public.%I TO merchant'`: merchant;
 * select, insert), or 'any' where a grantee or the privileges are built when it runs (`TO %I`,
 * `TO ' || r`). Lower-case; PUBLIC as 'public', ALL [PRIVILEGES] as 'all'.
 */
export function dynamicGrants(model: Model): { roles: ReadonlySet<string>; privileges: ReadonlySet<string> } | 'any' {
  return memoModel(model, 'dynamic-rls:grants', (m) => {
    const roles = new Set<string>();
    const privileges = new Set<string>();
    for (const file of m.files) {
      for (const s of file.statements) {
        for (const x of s.body?.dynamicExecutes ?? []) {
          const at = x.text.search(WHAT.grant);
          if (at < 0) continue;
          const grant = /^grant\s+([\s\S]*?)\bon\b[\s\S]*?\bto\s+([\s\S]*?)(?:\bwith\s+grant\b|\bgranted\s+by\b|'\s*[,)]|$)/i.exec(x.text.slice(at));
          if (!grant || /%|\|\||\bconcat\b/i.test(grant[1]!) || /%|\|\||\bconcat\b/i.test(grant[2]!)) return 'any' as const;
          for (const p of grant[1]!.split(',')) {
            const word = p.trim().toLowerCase().split(/\s+/)[0];
            if (word) privileges.add(word);
          }
          for (const r of grant[2]!.split(',')) {
            const name = r.trim().replace(/^"|"$|'$/g, '').toLowerCase();
            if (name) roles.add(name);
          }
        }
      }
    }
    return { roles, privileges };
  });
}

/** The functions whose loop over the catalog would enable RLS on the table had they run after its CREATE TABLE (see enableLoops). */
export function enableLoopsBefore(model: Model, table: Pick<Table, 'created'>): CatalogLoopReach[] {
  const made = orderOf(model, table.created);
  return made < 0 ? [] : dynamicRls(model).enableLoops.filter((l) => l.until <= made);
}

/** Whether a loop over pg_policies that creates policies (see withPoliciesUntil) may reach the table's policies. */
export function policyLoopReaches(model: Model, table: Pick<Table, 'created' | 'policies'>): boolean {
  const until = dynamicRls(model).policy.withPoliciesUntil;
  return until >= 0 && table.policies.length !== 0 && orderOf(model, table.created) < until;
}

/** Whether dynamic SQL may do `what` to the table (or view). */
export function mayBeDynamic(model: Model, what: DynamicWhat, table: Pick<Table, 'name' | 'created'> & { policies?: Table['policies']; key?: string }): boolean {
  const t = dynamicRls(model)[what];
  if (t.all) return true;
  if (table.key !== undefined && t.keys.has(table.key)) return true;
  if (what === 'policy' && table.policies && policyLoopReaches(model, table as Pick<Table, 'created' | 'policies'>)) return true;
  // (a table the model holds no CREATE statement of counts as made before)
  if (t.allUntil >= 0 && orderOf(model, table.created) < t.allUntil) return true;
  if (t.allFrom !== Infinity && orderOf(model, table.created) > t.allFrom) return true;
  const lower = table.name.toLowerCase();
  return (t.names.size !== 0 && t.names.has(lower)) || t.prefixes.some((p) => lower.startsWith(p));
}
