import { callsIn, callSpan, constValue, stringConst, type CallRef } from '../analysis/ast.js';
import type { ContextWrite, Func, Model } from '../analysis/model.js';
import { skipTrivia, stripComments } from '../analysis/parse.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Fix, type Report } from './types.js';
import { definingFunction, fileOf, inputParams, namesIdentity, onSupabasePlatform, usesSchema } from './lib/util.js';
import { contextKeys } from '../analysis/unset-context.js';
import { roleList } from '../analysis/policies.js';
import { listOr } from '../analysis/words.js';
import { walk } from '../analysis/parse.js';
import { settingSwitches, switchCommands } from './policy-setting-bypass.js';

/** Prefixes of settings that belong to extensions or tools, not to an application's request context. */
const EXTENSION_PREFIXES = new Set([
  'plpgsql', 'pg_stat_statements', 'auto_explain', 'pgaudit', 'pg_trgm', 'pgrst', 'cron', 'pg_cron', 'pg_net', 'pgsodium',
  'timescaledb', 'citus', 'pg_hint_plan', 'anon', 'pglogical', 'plv8', 'postgis', 'pg_partman_bgw', 'supautils', 'pljava',
  'plperl', 'pltcl', 'plpython', 'plpython3', 'pg_prewarm', 'pgstattuple', 'pg_stat_monitor', 'pg_qualstats', 'pg_wait_sampling',
  'pg_squeeze', 'pg_repack', 'pg_graphql', 'graphql', 'vault', 'pgmq', 'wal2json', 'session_preload', 'pg_walinspect',
  // (the platform's own knobs: supabase.ignore_dup_table_warning, set before ALTER PUBLICATION supabase_realtime)
  'supabase',
]);

function contextSetting(name: string): boolean {
  const dot = name.indexOf('.');
  return dot > 0 && !EXTENSION_PREFIXES.has(name.slice(0, dot));
}

const TRUE_WORDS = new Set(['t', 'tr', 'tru', 'true', 'y', 'ye', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'of', 'off', '0']);

/** The is_local argument of set_config as a constant boolean, if it is one. */
function localArg(n: Node): boolean | undefined {
  const inner = n?.TypeCast ? n.TypeCast.arg : n;
  const v = constValue(inner);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return undefined;
}

/**
 * Whether a value set clears the setting rather than carrying a request's: '', NULL, the nil
 * uuid (`'00000000-0000-0000-0000-000000000000'`, a logout's "no user"), or an empty JSON object
 * or array (`'{}'`, `'[]'`: the attributes or claims of no one, ADAM's `SET
 * adam.user_attributes = '{}'`), cast or not. Made transaction-local, such a clear would end with
 * its transaction and bring back the value a session-level set left before it: the leak this
 * rule is about.
 */
function clears(n: Node): boolean {
  const v = constValue(n?.TypeCast ? n.TypeCast.arg : n);
  return v === '' || v === null || (typeof v === 'string' && /^(?:0{8}-?0{4}-?0{4}-?0{4}-?0{12}|\{\s*\}|\[\s*\])$/.test(v.trim()));
}

interface Finding {
  w: ContextWrite;
  span: Span;
  what: string;
  fix?: Fix;
}

const FIX_NOTE = ' (callers must then set it in the same transaction as the queries that use it)';

function examine(model: Model, w: ContextWrite): Finding | undefined {
  if (!contextSetting(w.name)) return undefined;
  const text = fileOf(model, w.loc.file)?.text ?? '';
  if (w.via === 'set_config') {
    const args: Node[] = w.node?.args ?? [];
    if (args.length !== 3) return undefined;
    if (localArg(args[2]) !== false) return undefined;
    if (clears(args[1])) return undefined; // clearing the setting leaks nothing
    const span = callSpan(text, w.loc.start) ?? { start: w.loc.start, end: w.loc.end };
    const at: unknown = (args[2]?.TypeCast ? args[2].TypeCast.arg : args[2])?.A_Const?.location;
    let fix: Fix | undefined;
    if (typeof at === 'number' && at >= span.start && at < span.end) {
      const tok = /^('(?:[^']|'')*'|[A-Za-z0-9_]+)(::\s*(boolean|bool))?/.exec(text.slice(at, span.end));
      if (tok) fix = { title: `Make it transaction-local: set_config('${w.name}', …, true)${FIX_NOTE}`, kind: 'unsafe', edits: [{ file: w.loc.file, start: at, end: at + tok[0].length, newText: 'true' }] };
    }
    return { w, span, what: `set_config('${w.name}', …, false)`, fix };
  }
  const n = w.node;
  if (w.local || n?.is_local || n?.kind !== 'VAR_SET_VALUE') return undefined;
  const values: Node[] = n.args ?? [];
  if (values.length === 1 && clears(values[0])) return undefined;
  const start = skipTrivia(text, w.loc.start, w.loc.end);
  const span = { start, end: w.loc.end };
  const kw = /^SET(\s+SESSION\b)?/i.exec(text.slice(start, w.loc.end));
  const fix: Fix | undefined = kw
    ? { title: `Make it transaction-local: SET LOCAL ${w.name}${FIX_NOTE}`, kind: 'unsafe', edits: [{ file: w.loc.file, start, end: start + kw[0].length, newText: 'SET LOCAL' }] }
    : undefined;
  return { w, span, what: `SET ${w.name} = …`, fix };
}

/** Whether a write clears the setting for the session: RESET, SET … TO DEFAULT or '', set_config(…, '', false). */
function clearsForSession(v: ContextWrite): boolean {
  const n = v.node;
  if (v.via === 'set_config') {
    const args: Node[] = n?.args ?? [];
    return args.length === 3 && clears(args[1]) && localArg(args[2]) === false;
  }
  if (v.local || n?.is_local) return false;
  return n?.kind === 'VAR_RESET' || n?.kind === 'VAR_SET_DEFAULT' || (n?.kind === 'VAR_SET_VALUE' && n.args?.length === 1 && clears(n.args[0]));
}

/**
 * Whether PL/pgSQL text between two statements lets control reach the second whenever it leaves
 * the first: no RETURN, EXIT, CONTINUE, no other branch (ELSE, ELSIF, WHEN, EXCEPTION), and the
 * second statement in no block opened after the first (IF, LOOP, CASE, BEGIN). An error in
 * between needs nothing: it rolls the transaction (or the subtransaction of an EXCEPTION block)
 * back, and a SET with it.
 */
function reachedAfter(between: string): boolean {
  const code = stripComments(between).replace(/'(?:[^']|'')*'/g, "''").toLowerCase();
  if (/\b(?:return|exit|continue|else|elsif|elseif|when|exception)\b/.test(code)) return false;
  let depth = 0;
  let min = 0;
  for (const m of code.matchAll(/\bend\s+(?:if|loop|case)\b|\b(?:end|if|loop|case|begin)\b/g)) {
    depth += m[0].startsWith('end') ? -1 : 1;
    min = Math.min(min, depth);
  }
  return depth === min;
}

/**
 * Whether a later statement of the same function clears the setting for the session wherever the
 * write is left (`SET x TO 'admin'; SELECT …; SET x TO ''`): only '' outlives the call, as SET
 * LOCAL would leave it (Delibrium's check_login).
 */
function clearedLater(model: Model, w: ContextWrite): boolean {
  if (!w.inFunction) return false;
  const text = fileOf(model, w.loc.file)?.text ?? '';
  return model.contextWrites.some(
    (v) => v !== w && v.inFunction === w.inFunction && v.name === w.name && v.loc.file === w.loc.file && v.loc.start >= w.loc.end && clearsForSession(v) && reachedAfter(text.slice(w.loc.end, v.loc.start)),
  );
}

/** Whether an expression reads one of the function's input parameters (by name, or as $n). */
function readsParameter(f: Func, n: Node): boolean {
  const names = new Set<string>();
  for (const p of inputParams(f)) if (p.FunctionParameter.name) names.add(String(p.FunctionParameter.name).toLowerCase());
  let found = false;
  walk(n, (k, v) => {
    if (k === 'ParamRef') found = true;
    else if (k === 'ColumnRef') {
      const fields = (v.fields ?? []) as Node[];
      const last = fields[fields.length - 1]?.String?.sval;
      if (typeof last === 'string' && names.has(last.toLowerCase()) && fields.length <= 2) found = true;
    }
    return !found;
  });
  return found;
}

/**
 * Who may call the function a session-level set_config of one of its arguments is in, and so
 * choose the value the connection keeps ('every role' while PUBLIC holds EXECUTE; the roles
 * subject to RLS granted it, else); undefined when the value is no argument, or no such role may.
 */
function chosenBy(model: Model, w: ContextWrite): string | undefined {
  if (w.via !== 'set_config') return undefined;
  const f = definingFunction(model, w);
  const value: Node | undefined = w.node?.args?.[1];
  if (!f || f.returnsTrigger || !value || !readsParameter(f, value)) return undefined;
  if (f.publicExecute) return 'every role: PUBLIC holds EXECUTE on a function unless it is revoked';
  const roles = [...f.executeGrants].filter((r) => r !== 'public' && r !== f.owner?.role && model.roleBypassesRls(r) !== true);
  return roles.length ? roleList(roles) : undefined;
}

/** Statements that run once, as the migrations run (a DO block, a top-level query), not each time a request's query does. */
const RUN_ONCE = new Set(['DoStmt', 'SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'VariableSetStmt']);

/**
 * Whether the setting a top-level write sets is a variable of the scripts that run the migrations:
 * the workspace reads it (`current_setting('ores.cur_user')`), and only in statements that run
 * once as the migrations run — DO blocks and top-level queries — never in a policy, view, function,
 * default or trigger a later request's query would run (OreStudio's setup scripts pass a psql
 * variable into the next DO block: `select set_config('ores.cur_user', :'iam_service_user', false);`
 * then `do $$ … execute format('create user %I', current_setting('ores.cur_user')) … $$`). What the
 * next client of the connection runs reads nothing of it, and set_config(…, true) would end with
 * that SELECT's own transaction, before the DO block reads it. A setting the workspace never reads
 * (the application's queries may) is not such a variable. `names` caches the answer per setting.
 */
function scriptVariable(model: Model, w: ContextWrite, names: Map<string, boolean>): boolean {
  if (w.inFunction) return false;
  const name = w.name.toLowerCase();
  let answer = names.get(name);
  if (answer === undefined) {
    // (a dynamic statement's text is its string's: quotes doubled, `current_setting(''x'')`)
    const escaped = name.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
    const reads = new RegExp(`current_setting\\s*\\(\\s*'+${escaped}'+`, 'i');
    let read = false;
    let later = false;
    for (const { file, stmt } of model.statements) {
      if (!reads.test(file.text.slice(stmt.start, stmt.end))) continue;
      read = true;
      // (a DO block's EXECUTE of a CREATE POLICY or FUNCTION that reads it is a statement of its own, of that kind)
      if (!RUN_ONCE.has(stmt.kind)) {
        later = true;
        break;
      }
    }
    answer = read && !later;
    names.set(name, answer);
  }
  return answer;
}

/**
 * What a session-level value of the setting opens: the policies that read it as a switch
 * (policy-setting-bypass), for the commands they are for, or ''.
 */
function switchOpened(model: Model, name: string): string {
  const opened = settingSwitches(model).flatMap((sw) => {
    const s = [...sw.switches.values()].find((v) => v.setting.toLowerCase() === name.toLowerCase());
    return s ? [{ sw, s }] : [];
  });
  if (opened.length === 0) return '';
  const { sw, s } = opened[0]!;
  const p = sw.row.policy;
  const more = opened.length > 1 ? ` and ${opened.length - 1} more polic${opened.length > 2 ? 'ies' : 'y'}` : '';
  const where = more ? 'those tables' : p.table;
  // (a policy for a write only does not let the client read: it reaches every row with that write)
  const cmds = opened.map((o) => switchCommands(o.sw));
  const reach = cmds.every((c) => c.includes('SELECT'))
    ? `that client then reads every row of ${where}`
    : more
      ? `that client's statements those policies are for then reach every row of ${where}`
      : `that client's ${listOr(cmds[0]!, 'and')} then reach${cmds[0]!.length > 1 ? '' : 'es'} every row of ${where}`;
  return ` — and while it holds '${s.value.replace(/'/g, "''")}', policy "${p.name}" on ${p.table}${more} admit${more ? '' : 's'} every row (policy-setting-bypass): ${reach}`;
}

/** The name of the function's input parameter an expression is, if it is one (by name, or $n). */
function paramNamed(f: Func, n: Node): string | undefined {
  const params = inputParams(f);
  const inner = n?.TypeCast ? n.TypeCast.arg : n;
  if (inner?.ParamRef) {
    const p = params[(inner.ParamRef.number ?? 0) - 1];
    return p ? String(p.FunctionParameter.name ?? `$${inner.ParamRef.number}`) : undefined;
  }
  const fields = (inner?.ColumnRef?.fields ?? []) as Node[];
  const last = fields[fields.length - 1]?.String?.sval;
  if (typeof last !== 'string' || fields.length > 2) return undefined;
  return params.some((p) => String(p.FunctionParameter.name ?? '').toLowerCase() === last.toLowerCase()) ? last : undefined;
}

/**
 * A set_config() in a function's body that takes the setting's name from the function's argument
 * and is not made transaction-local by a constant (AleoJob's public.set_config(setting_name,
 * setting_value), `PERFORM set_config(setting_name, setting_value, false)`, written so that its
 * clients set the setting its policies read), where the argument is used for nothing else (no
 * check of the name the caller passes): the call, and the parameter.
 */
function anySettingCall(f: Func): { call: CallRef; param: string } | undefined {
  const body = f.body;
  if (!body || f.returnsTrigger) return undefined;
  let found: { call: CallRef; param: string } | undefined;
  for (const st of body.statements) {
    for (const c of callsIn(st.node)) {
      if (c.name[c.name.length - 1] !== 'set_config' || c.args.length !== 3 || stringConst(c.args[0]) !== undefined) continue;
      const param = paramNamed(f, c.args[0]!);
      if (!param || localArg(c.args[2]!) === true) continue;
      found ??= { call: c, param };
    }
  }
  if (!found) return undefined;
  // (the name checked or used anywhere else: an allow-list of names, say; left alone)
  const text = body.statements.map((st) => JSON.stringify(st.node)).join('\n').toLowerCase();
  const uses = text.split(`"sval":"${found.param.toLowerCase()}"`).length - 1;
  return uses === 1 ? found : undefined;
}

/** The custom settings the policies read (directly or through SQL helpers), each with the first policy that reads it. */
function policySettings(model: Model): Map<string, { policy: string; table: string }> {
  const out = new Map<string, { policy: string; table: string }>();
  for (const p of model.policies) {
    for (const e of [p.using, p.withCheck]) {
      if (!e) continue;
      for (const k of contextKeys(model, e as Node)) {
        if (!k.startsWith('setting:')) continue;
        const name = k.slice('setting:'.length);
        if (contextSetting(name) && !out.has(name)) out.set(name, { policy: p.name, table: p.table });
      }
    }
  }
  return out;
}

/**
 * Functions that set whichever setting their caller names (anySettingCall) for the session, that
 * a role subject to RLS may call, where the policies read custom settings: the caller sets one of
 * those to the value of its choice.
 */
function reportAnySetting(model: Model, report: (r: Report) => void): void {
  let read: Map<string, { policy: string; table: string }> | undefined;
  for (const list of model.functions.values()) {
    for (const f of list) {
      const any = anySettingCall(f);
      if (!any) continue;
      // (a role that may use the function's schema, as a call needs: PUBLIC has USAGE on public only, unless granted)
      const roles = [...f.executeGrants].filter((r) => r !== 'public' && r !== f.owner?.role && model.roleBypassesRls(r) !== true && usesSchema(model, f.schema, r));
      const everyone = f.publicExecute && usesSchema(model, f.schema, 'public');
      const who = everyone ? 'every role: PUBLIC holds EXECUTE on a function unless it is revoked' : roles.length ? roleList(roles) : undefined;
      if (!who) continue;
      read ??= policySettings(model);
      if (read.size === 0) continue;
      const names = [...read.keys()];
      const [first] = names;
      const by = read.get(first!)!;
      const local = localArg(any.call.args[2]!);
      const text = fileOf(model, f.created.file)?.text ?? '';
      const span = callSpan(text, any.call.location) ?? { start: any.call.location, end: any.call.location + 10 };
      const revokeFrom = everyone ? ['PUBLIC', ...(onSupabasePlatform(model) ? ['anon', 'authenticated'] : []), ...roles] : roles;
      report({
        file: f.created.file,
        start: span.start,
        end: span.end,
        message:
          `set_config(${any.param}, …) in function ${f.signature} sets whichever setting its caller names, ` +
          (local === false ? 'for the rest of the session' : `for the session or the transaction as the caller chooses (is_local is an argument too)`) +
          `: whoever may call it (${who}) can set ${names.length > 1 ? `any of the settings the policies read (${listOr(names.slice(0, 3), 'and')}${names.length > 3 ? ` and ${names.length - 3} more` : ''})` : `${first}, which the policies read,`} to any value. ` +
          `Policy "${by.policy}" on ${by.table} reads ${first}: the rows it admits for a value${namesIdentity(first!) ? ' (another user\'s or tenant\'s)' : ''} are then the caller's for the asking; and a session-level value stays on the connection after COMMIT, so on a pooled connection the next client's queries run with it too. ` +
          `A custom setting says what the code that sets it says: set it only where the caller is established (the application's server, in the transaction of its queries, with set_config(…, true)), and revoke EXECUTE on this function from the roles requests run as (REVOKE EXECUTE ON FUNCTION ${f.signature} FROM ${revokeFrom.join(', ')}).`,
      });
    }
  }
}

export const sessionContextNotLocal = defineRule({
  meta: {
    id: 'session-context-not-local',
    description: 'A request setting (tenant context) is set for the whole session: SET without LOCAL, or set_config(…, false).',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A session-level SET or set_config(…, false) outlives COMMIT: on a pooled connection the next client's queries run with the previous request's tenant context.",
    truths: ['T15b'],
    shownBy: { exposure: 'session' },
  },
  check({ model, report }) {
    reportAnySetting(model, report);
    const variables = new Map<string, boolean>();
    for (const w of model.contextWrites) {
      // (a function's write counts while the function is defined by the statement it is in: a
      // later CREATE OR REPLACE that makes it set_config(…, true), or a DROP, leaves nothing of it)
      if (w.inFunction && !definingFunction(model, w)) continue;
      const f = examine(model, w);
      if (!f || clearedLater(model, w) || scriptVariable(model, w, variables)) continue;
      const sig = w.inFunction ? (model.functions.get(w.inFunction)?.[0]?.signature ?? w.inFunction) : '';
      const where = w.inFunction ? ` in function ${sig}` : '';
      // (a value the caller passes: whoever may call the function picks the context the connection keeps)
      const who = chosenBy(model, w);
      report({
        file: w.loc.file,
        start: f.span.start,
        end: f.span.end,
        message:
          `${f.what}${where} sets ${w.name} for the rest of the session, not the transaction: after COMMIT the value is still there, ` +
          `so on a pooled connection the next client's queries run with this request's ${w.name}${namesIdentity(w.name) ? ' (a tenant or user id leaks across requests)' : ''}${switchOpened(model, w.name)}. ` +
          (who
            ? `And the value is the function's argument: whoever may call ${sig} (${who}) chooses it, so one call leaves the connection with the ${w.name} they pass — another tenant's, say — and the next requests it serves, theirs among them, run with it: what takes ${w.name} as the caller's own then admits that tenant's rows. Check in the function that the caller may act for the value they pass before setting it (a transaction-local value still holds for the rest of the caller's transaction). `
            : '') +
          `Make it transaction-local (${w.via === 'set_config' ? 'set_config(…, true)' : 'SET LOCAL'}): it then ends with the transaction and reads '' afterwards (T15b), ` +
          'so callers must set it in the same transaction as the queries that rely on it.',
        fixes: f.fix ? [f.fix] : [],
      });
    }
  },
});
