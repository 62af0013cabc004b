// CREATE OR REPLACE FUNCTION over a function of the same argument types that PostgreSQL refuses
// to replace (ProcedureCreate, measured on PGlite): it keeps the function as it was, its body,
// SECURITY DEFINER and SET clauses included, and the migration stops there.
// - another routine kind (a PROCEDURE over a FUNCTION): 42809 cannot change routine kind;
// - another return type (`RETURNS text` over `RETURNS boolean`, SETOF or not, another row type of
//   OUT / TABLE parameters when there are several: their names count): 42P13 cannot change return
//   type of existing function;
// - an input parameter renamed, or its name removed: 42P13 cannot change name of input parameter;
// - fewer parameter defaults: 42P13 cannot remove parameter defaults from existing function.
// Renaming the one OUT / TABLE column, or writing a type by another of its names (int4, integer),
// is accepted.
import { bodiesUncheckedBefore, identEnd, typeName } from './ast.js';
import { nameParts } from './parse.js';
import type { Loc, Node, ParsedFile, Statement } from './types.js';

export interface ReplaceRejection {
  code: '42P13' | '42809';
  /** PostgreSQL's message */
  message: string;
  /** what changed, said for a message: `the name of input parameter p_org (now org)` */
  change: string;
}

const INPUT = new Set(['FUNC_PARAM_DEFAULT', 'FUNC_PARAM_IN', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_VARIADIC']);
const OUTPUT = new Set(['FUNC_PARAM_OUT', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_TABLE']);

interface Param {
  name: string;
  mode: string;
  type: Node;
  hasDefault: boolean;
}

function paramsOf(n: Node): Param[] {
  const out: Param[] = [];
  for (const x of n?.parameters ?? []) {
    const p = x?.FunctionParameter;
    if (!p) continue;
    out.push({ name: typeof p.name === 'string' ? p.name : '', mode: String(p.mode ?? 'FUNC_PARAM_DEFAULT'), type: p.argType, hasDefault: !!p.defexpr });
  }
  return out;
}

/** A type as PostgreSQL compares it: by its name with aliases resolved, the default schema left out; undefined when not told. */
function typeKey(t: Node, defaultSchema: string): string | undefined {
  const name = typeName(t);
  if (!name) return undefined;
  return name.startsWith(`${defaultSchema}.`) ? name.slice(defaultSchema.length + 1) : name;
}

/** The return type (and whether a set), and the row type of several OUT parameters (names and types). */
function returnOf(n: Node, params: Param[], defaultSchema: string): { type: string | undefined; set: boolean; row: string | undefined } {
  const outs = params.filter((p) => OUTPUT.has(p.mode));
  const set = !!n?.returnType?.setof;
  if (outs.length > 1) {
    const cols = outs.map((p) => `${p.name} ${typeKey(p.type, defaultSchema) ?? '?'}`);
    return { type: 'record', set, row: cols.some((c) => c.endsWith(' ?')) ? undefined : cols.join(', ') };
  }
  if (outs.length === 1) return { type: typeKey(outs[0]!.type, defaultSchema), set, row: undefined };
  return { type: n?.returnType ? typeKey(n.returnType, defaultSchema) : 'void', set, row: undefined };
}

/**
 * Why PostgreSQL rejects `next` (a CREATE OR REPLACE FUNCTION / PROCEDURE node) over the routine
 * `old` made (its CreateFunctionStmt node), both of the same name and argument types; undefined
 * when it replaces it (or when what decides is not told by the text).
 */
export function replaceRejection(old: Node, next: Node, defaultSchema: string): ReplaceRejection | undefined {
  if (!!old?.is_procedure !== !!next?.is_procedure) {
    return { code: '42809', message: 'cannot change routine kind', change: `the kind of routine (a ${next?.is_procedure ? 'procedure' : 'function'} over a ${old?.is_procedure ? 'procedure' : 'function'})` };
  }
  const before = paramsOf(old);
  const after = paramsOf(next);
  if (!next?.is_procedure) {
    const a = returnOf(old, before, defaultSchema);
    const b = returnOf(next, after, defaultSchema);
    const returns = (r: typeof a) => (r.row !== undefined ? `TABLE (${r.row})` : `${r.set ? 'SETOF ' : ''}${r.type}`);
    if (a.type !== undefined && b.type !== undefined && (a.type !== b.type || a.set !== b.set || (a.type === 'record' && a.row !== undefined && b.row !== undefined && a.row !== b.row))) {
      return { code: '42P13', message: 'cannot change return type of existing function', change: `the return type (${returns(b)}, where the function returns ${returns(a)})` };
    }
  }
  const ins = before.filter((p) => INPUT.has(p.mode));
  const newIns = after.filter((p) => INPUT.has(p.mode));
  for (let i = 0; i < ins.length && i < newIns.length; i++) {
    const was = ins[i]!.name;
    const now = newIns[i]!.name;
    if (was !== '' && was !== now) {
      return { code: '42P13', message: `cannot change name of input parameter "${was}"`, change: now ? `the name of input parameter ${was} (now ${now})` : `the name of input parameter ${was} (now none)` };
    }
  }
  const defaults = (ps: Param[]) => ps.filter((p) => p.hasDefault).length;
  if (defaults(newIns) < defaults(ins)) {
    return { code: '42P13', message: 'cannot remove parameter defaults from existing function', change: `the parameter defaults (${defaults(newIns)}, where the function has ${defaults(ins)})` };
  }
  return undefined;
}

// ---- a SQL function whose body returns text for another declared type (42P13) ----

/**
 * Declared return types text does not become by assignment: PostgreSQL converts a string type to
 * them only by an explicit cast (an I/O conversion from a string type is explicit-only), so a
 * LANGUAGE sql body returning text for one of them is refused (measured on PGlite for each). Not
 * a string type (varchar, name) nor a reg* type (regclass): text becomes those, and the function is made.
 */
const NO_TEXT_ASSIGNMENT: ReadonlySet<string> = new Set([
  'uuid',
  'integer',
  'bigint',
  'smallint',
  'boolean',
  'numeric',
  'real',
  'double precision',
  'json',
  'jsonb',
  'date',
  'timestamp',
  'timestamp with time zone',
  'inet',
]);

/** A SQL function PostgreSQL refuses to create because its body returns text (bodyReturnMismatch). */
export interface BodyReturnMismatch {
  /** the declared return type, as PostgreSQL names it in its message (`uuid`, `timestamp with time zone`) */
  declared: string;
  /** the function's name as written, where the statement writes it */
  name: string;
  nameLoc: Loc;
  /** the expression the body's last statement returns */
  result: Loc;
}

/**
 * Whether an expression is certainly of type text, whatever the schema holds: a string constant
 * (`SELECT 'x'` returns text), a cast to text, current_setting(), `->>` and `#>>` (json's and jsonb's
 * text), and nullif() or coalesce() of such (measured on PGlite: each is "Actual return type is text").
 */
function certainlyText(n: Node): boolean {
  if (typeof n?.A_Const?.sval?.sval === 'string') return true;
  if (n?.TypeCast) return typeName(n.TypeCast.typeName) === 'text';
  const call = n?.FuncCall;
  if (call) {
    const parts = nameParts(call.funcname);
    const args = (call.args ?? []) as Node[];
    return parts[parts.length - 1] === 'current_setting' && (parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog')) && (args.length === 1 || args.length === 2) && !call.agg_star && !call.over;
  }
  const e = n?.A_Expr;
  if (e?.kind === 'AEXPR_OP') {
    const op = nameParts(e.name);
    return op.length === 1 && (op[0] === '->>' || op[0] === '#>>') && !!e.lexpr && !!e.rexpr;
  }
  if (e?.kind === 'AEXPR_NULLIF') return certainlyText(e.lexpr) && certainlyText(e.rexpr);
  const c = n?.CoalesceExpr;
  if (c) return ((c.args ?? []) as Node[]).length > 0 && (c.args as Node[]).every(certainlyText);
  return false;
}

const CREATE_FUNCTION_HEAD = /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+/iy;

/**
 * A top-level CREATE [OR REPLACE] FUNCTION … LANGUAGE sql declared to return a type text does not
 * become by assignment (uuid, integer, boolean, jsonb, a date or timestamp…: NO_TEXT_ASSIGNMENT),
 * SETOF or not, whose body's last statement is a SELECT of one expression that is certainly text
 * (certainlyText): with check_function_bodies on (the default) PostgreSQL analyses the body as it
 * creates the function and rejects it with 42P13 return type mismatch in function declared to
 * return uuid (DETAIL: Actual return type is text); a CREATE OR REPLACE then keeps the function it
 * had, its body unchanged (measured on PGlite). MarcoFranca/ContemplaHub's auth.org_id(), `returns
 * uuid … select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id'`.
 * Undefined otherwise (OUT or TABLE parameters, another type, a body not certainly text).
 */
export function bodyReturnMismatch(file: ParsedFile, stmt: Statement): BodyReturnMismatch | undefined {
  if (stmt.kind !== 'CreateFunctionStmt' || stmt.origin !== 'file' || stmt.body?.language !== 'sql' || stmt.body.errors.length) return undefined;
  const n = stmt.node;
  if (n?.is_procedure || !n?.returnType) return undefined;
  for (const x of n.parameters ?? []) {
    const mode = x?.FunctionParameter?.mode;
    if (mode === 'FUNC_PARAM_OUT' || mode === 'FUNC_PARAM_INOUT' || mode === 'FUNC_PARAM_TABLE') return undefined;
  }
  const declared = typeName(n.returnType);
  if (!NO_TEXT_ASSIGNMENT.has(declared)) return undefined;
  const body = stmt.body.statements;
  const last = body[body.length - 1];
  const sel = last?.kind === 'SelectStmt' ? last.node : undefined;
  if (!sel || (sel.op && sel.op !== 'SETOP_NONE') || sel.valuesLists || (sel.targetList ?? []).length !== 1) return undefined;
  const target = sel.targetList[0]?.ResTarget;
  if (!certainlyText(target?.val) || bodiesUncheckedBefore(file, stmt)) return undefined;
  CREATE_FUNCTION_HEAD.lastIndex = stmt.start;
  const head = CREATE_FUNCTION_HEAD.exec(file.text);
  const start = head ? CREATE_FUNCTION_HEAD.lastIndex : stmt.start;
  const end = head ? identEnd(file.text, start) : stmt.end;
  const at = typeof target.location === 'number' && target.location >= 0 ? target.location : last!.start;
  return { declared, name: nameParts(n.funcname).join('.'), nameLoc: { file: file.file, start, end }, result: { file: file.file, start: at, end: last!.end } };
}

/** A CREATE FUNCTION PostgreSQL refuses for its parameter list (parameterRejection). */
export interface ParameterRejection {
  /** PostgreSQL's message: `parameter name "email" used more than once`, `input parameters after one with a default value must also have defaults` */
  message: string;
  /** what the list does, for a message: `input parameter email and RETURNS TABLE column email`, `a default for input parameter p_is_group but none for p_participants after it` */
  what: string;
  /** the parameter the refusal falls on (the second of two names alike, the one without a default) */
  param: string;
  /** a default missing after one given, not two names alike */
  defaults: boolean;
  /** whether it is PL/pgSQL's refusal (an input parameter and an OUT or RETURNS TABLE column of one name), not the parameter list's */
  plpgsql: boolean;
  /** the function's name as written, where the statement writes it */
  name: string;
  nameLoc: Loc;
}

const PURE_IN = new Set(['FUNC_PARAM_DEFAULT', 'FUNC_PARAM_IN', 'FUNC_PARAM_VARIADIC']);
const PURE_OUT = new Set(['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE']);
const KIND: Record<string, string> = { FUNC_PARAM_OUT: 'OUT parameter', FUNC_PARAM_TABLE: 'RETURNS TABLE column', FUNC_PARAM_INOUT: 'INOUT parameter', FUNC_PARAM_VARIADIC: 'VARIADIC parameter' };
const kindOf = (mode: string) => KIND[mode] ?? 'input parameter';

/**
 * A top-level CREATE [OR REPLACE] FUNCTION / PROCEDURE whose parameter list PostgreSQL refuses
 * with 42P13, making no function (a CREATE OR REPLACE keeps the one it had); measured on PGlite.
 * The list is read in order, as interpret_function_parameter_list reads it:
 * - two parameters of one name, but for an input parameter beside an OUT or RETURNS TABLE column:
 *   parameter name "email" used more than once;
 * - an input parameter without a default after one with a default: input parameters after one with
 *   a default value must also have defaults — Nahtral/100IN's rpc_create_chat(p_title text DEFAULT
 *   NULL, p_is_group boolean DEFAULT false, p_participants uuid[]).
 * Then PL/pgSQL's validator, where check_function_bodies is on (the default), refuses an input
 * parameter and an OUT or RETURNS TABLE column of one name too, both being variables of the body:
 * cdos' and evently's verify_password(email text, password text) RETURNS TABLE (id uuid, …, email
 * text) … LANGUAGE plpgsql (a LANGUAGE sql function with that pair is made; with
 * check_function_bodies off the PL/pgSQL one is made too, and each call fails with 42P13).
 */
export function parameterRejection(file: ParsedFile, stmt: Statement): ParameterRejection | undefined {
  if (stmt.kind !== 'CreateFunctionStmt' || stmt.origin !== 'file') return undefined;
  const n = stmt.node;
  const params = paramsOf(n).map((p) => ({ ...p, mode: p.mode === 'FUNC_PARAM_DEFAULT' ? 'FUNC_PARAM_IN' : p.mode }));
  const at = (r: Omit<ParameterRejection, 'name' | 'nameLoc'>): ParameterRejection => {
    CREATE_FUNCTION_HEAD.lastIndex = stmt.start;
    const head = CREATE_FUNCTION_HEAD.exec(file.text);
    const start = head ? CREATE_FUNCTION_HEAD.lastIndex : stmt.start;
    const end = head ? identEnd(file.text, start) : stmt.end;
    return { ...r, name: nameParts(n.funcname).join('.'), nameLoc: { file: file.file, start, end } };
  };
  const duplicate = (p: (typeof params)[number], q: (typeof params)[number], plpgsql: boolean) =>
    at({
      message: `parameter name "${p.name}" used more than once`,
      what: q.mode === p.mode ? `two ${kindOf(p.mode)}s named ${p.name}` : `${kindOf(q.mode)} ${p.name} and ${kindOf(p.mode)} ${p.name}`,
      param: p.name,
      defaults: false,
      plpgsql,
    });
  const inOut = (a: string, b: string) => (PURE_IN.has(a) && PURE_OUT.has(b)) || (PURE_IN.has(b) && PURE_OUT.has(a));
  let defaulted: (typeof params)[number] | undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p.name) for (let j = 0; j < i; j++) if (params[j]!.name === p.name && !inOut(p.mode, params[j]!.mode)) return duplicate(p, params[j]!, false);
    if (p.mode === 'FUNC_PARAM_OUT' || p.mode === 'FUNC_PARAM_TABLE') continue;
    if (p.hasDefault) defaulted ??= p;
    else if (defaulted) {
      const name = (x: typeof p, i: number) => x.name || `$${i + 1}`;
      return at({
        message: 'input parameters after one with a default value must also have defaults',
        what: `a default for ${kindOf(defaulted.mode)} ${name(defaulted, params.indexOf(defaulted))} but none for ${kindOf(p.mode)} ${name(p, i)} after it`,
        param: name(p, i),
        defaults: true,
        plpgsql: false,
      });
    }
  }
  if (stmt.body?.language !== 'plpgsql' || bodiesUncheckedBefore(file, stmt)) return undefined;
  for (let i = 1; i < params.length; i++) {
    const p = params[i]!;
    if (p.name) for (let j = 0; j < i; j++) if (params[j]!.name === p.name && inOut(p.mode, params[j]!.mode)) return duplicate(p, params[j]!, true);
  }
  return undefined;
}
