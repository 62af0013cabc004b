import { callSpan, memoStmt } from '../analysis/ast.js';
import type { Func, Model } from '../analysis/model.js';
import { settingRead, walk } from '../analysis/parse.js';
import { activeRowsWith, FLAG_UNSAFE_SETTING, callParts, dollarQuotedBody, functionsCalledByPolicies, bodyFlags, BODY_CURRENT_SETTING, textOfFile, unsafeSettingCalls, type PolicyExpr, type PolicyRow, type SettingCall } from '../analysis/policy-exprs.js';
import type { Node, Span, Statement } from '../analysis/types.js';
import { failsOpen, raisesIn, rowUses, settingCallOf, settingDefaults, type CallRewrite } from '../analysis/unset-context.js';
import { defineRule, type Edit, type Fix } from './types.js';

/** A call as reported: `addOk`, a 42704 never reached (not reported) whose rewrite still adds missing_ok. */
type Checked = SettingCall & { addOk?: boolean };

interface Located extends Checked {
  file: string;
  span: Span;
  /** the call's text as written */
  text: string;
  /** its replacement */
  replacement?: string;
  /** the call is already the first argument of `nullif(…, '')`: the replacement only adds missing_ok, the advice shows the whole */
  inNullif?: boolean;
}

/** The calls of settings the migrations give every session a default for (ALTER DATABASE … SET: never unset, settingDefaults) left out. */
function withoutDefaults(model: Model, calls: SettingCall[]): SettingCall[] {
  if (calls.length === 0) return calls;
  const defaults = settingDefaults(model);
  return defaults.size ? calls.filter((c) => !defaults.has(c.setting)) : calls;
}

function locate(model: Model, file: string, calls: Checked[]): Located[] {
  const text = textOfFile(model, file);
  const out: Located[] = [];
  for (const c of calls) {
    const span = callSpan(text, c.location);
    if (!span) continue;
    const src = text.slice(span.start, span.end);
    const parts = callParts(text, span);
    let replacement: string | undefined;
    if (parts && parts.args.length >= 1) {
      const withOk = c.missing || c.addOk ? `${parts.name}(${parts.args[0]}, true)` : src;
      // (nullif with or without a cast: once a transaction-local set has ended the setting reads
      // '', not NULL, and a text comparison with '' may still admit rows whose column is '')
      replacement = `nullif(${withOk}, '')`;
      // (already `NULLIF(current_setting('x'), '')`, kufu's tenant_level_security: only missing_ok is missing)
      if (withOk !== src && !c.undotted && c.emptyDefault === undefined && /\bnullif\s*\(\s*$/i.test(text.slice(Math.max(0, span.start - 40), span.start)) && /^\s*,\s*''\s*\)/.test(text.slice(span.end, span.end + 40))) {
        out.push({ ...c, file, span, text: src, replacement: withOk, inNullif: true });
        continue;
      }
    }
    // (a name without a prefix can never be set: no rewrite of this call alone makes it work)
    if (c.undotted) replacement = undefined;
    // (in `coalesce(<call>, '')`: the whole coalesce is replaced, which would give '' back to the cast)
    const outer = c.emptyDefault !== undefined && c.emptyDefault >= 0 ? callSpan(text, c.emptyDefault) : undefined;
    if (c.emptyDefault !== undefined) {
      if (!outer) replacement = undefined;
      else {
        out.push({ ...c, file, span: outer, text: text.slice(outer.start, outer.end), replacement });
        continue;
      }
    }
    out.push({ ...c, file, span, text: src, replacement });
  }
  return out;
}

/**
 * Whether the statement runs only in the branch of an IF whose condition reads the same setting,
 * itself or through a function of the workspace that does: that condition meets an empty or
 * malformed setting first (and is reported itself if it fails on it), so the statement's cast
 * is not reached then (openweights' is_organization_member, `IF auth.check_if_service_account()
 * THEN … current_setting('request.jwt.claims', true)::json …`).
 */
function guardedBy(model: Model, s: Statement, setting: string): boolean {
  const g = s.guard;
  if (!g) return false;
  const name = setting.toLowerCase();
  if (g.settings.includes(name)) return true;
  for (const c of g.calls) {
    const f = model.findFunction(c.parts, c.args);
    if (f && settingsReadBy(f).includes(name)) return true;
  }
  return false;
}

/** The settings a function's body reads with current_setting (lower-case; kept per statement). */
function settingsReadBy(f: Func): readonly string[] {
  if (!f.body) return [];
  return memoStmt(f.stmt, 'settingsReadBy', () => {
    const out = new Set<string>();
    for (const b of f.body!.statements) {
      walk(b.node, (k, v) => {
        const setting = k === 'FuncCall' ? settingRead(v) : null;
        if (setting) out.add(setting);
      });
    }
    return [...out];
  });
}

/** SQLSTATEs of the errors a call may raise, by condition names that catch them (PL/pgSQL: a class name or a code ending in 000 catches its class). */
const CATCHERS: Record<string, string[]> = {
  '22P02': ['others', 'invalid_text_representation', '22p02', 'data_exception', '22000'],
  '42704': ['others', 'undefined_object', '42704', 'syntax_error_or_access_rule_violation', '42000'],
};
const catches = (caught: readonly string[] | undefined, code: string) => !!caught?.some((c) => CATCHERS[code]!.includes(c));

/**
 * The call as an error can still escape the statement: a PL/pgSQL EXCEPTION clause around it
 * that catches 22P02 (the cast) or 42704 (no missing_ok) handles that error instead.
 */
function uncaught(c: SettingCall, caught: readonly string[] | undefined): SettingCall | undefined {
  if (!caught?.length) return c;
  const missing = c.missing && !catches(caught, '42704');
  const castType = c.castType && !catches(caught, '22P02') ? c.castType : undefined;
  if (!missing && !castType) return undefined;
  return { ...c, missing, castType };
}

/**
 * The message PostgreSQL raises casting '' to `type`: an array's input function reports a malformed
 * array literal; jsonb's shares json's parser, whose error names json.
 */
const emptyCastError = (type: string) => (type.endsWith(']') ? 'malformed array literal: ""' : `invalid input syntax for type ${type === 'jsonb' ? 'json' : type}`);

/** One sentence per problem of a call. */
function problems(c: Located): string {
  if (c.undotted) {
    return `"${c.setting}" has no prefix and is no parameter of PostgreSQL's: SET ${c.setting} and set_config('${c.setting}', …) fail with 42704 unrecognized configuration parameter, so it is never set and the call always raises 42704 unrecognized configuration parameter "${c.setting}" (T15)`;
  }
  const out: string[] = [];
  if (c.missing) out.push(`without missing_ok it raises 42704 unrecognized configuration parameter "${c.setting}" when the setting was never set in the session (T15)`);
  if (c.castType && c.emptyDefault !== undefined) {
    out.push(
      `coalesce(…, '') makes an unset setting '' — never set in the session, or after a transaction-local set (set_config(…, true) or SET LOCAL) has ended — so the cast to ${c.castType} fails with 22P02 ${emptyCastError(c.castType)} whenever the setting is unset (T15, T15b)`,
    );
  } else if (c.castType) {
    out.push(
      `${c.missing ? 'and once' : 'once'} a transaction-local set (set_config(…, true) or SET LOCAL) has ended, the setting reads '' rather than NULL${c.keptNullif !== undefined ? `, which nullif(…, ${keptNullifText(c.keptNullif)}) passes on unchanged (it makes only ${c.keptNullif === null ? 'that value' : keptNullifText(c.keptNullif)} NULL)` : ''}, so the cast to ${c.castType} fails with 22P02 ${emptyCastError(c.castType)} (T15b)`,
    );
  }
  return out.join(', ');
}

/** The second argument of the nullif a call passes through, as SQL writes it (`'[]'`), or `…` when it is no constant. */
const keptNullifText = (v: string | null) => (v === null ? '…' : `'${v.replace(/'/g, "''")}'`);

function suggestion(c: Located): string {
  if (c.undotted) return `a prefixed name where it is set and here (custom parameters need one, e.g. app.${c.setting}), read as nullif(current_setting('app.${c.setting}', true), '')${c.castType ? `::${c.castType}` : ''}`;
  if (c.defaulted && c.replacement) return `coalesce(${c.replacement}, …)${c.castType ? `::${c.castType}` : ''}`;
  if (c.keptNullif !== undefined && c.replacement) return `nullif(${c.replacement}, ${keptNullifText(c.keptNullif)})${c.castType ? `::${c.castType}` : ''}`;
  if (c.inNullif && c.replacement) return `nullif(${c.replacement}, '')${c.castType ? `::${c.castType}` : ''}`;
  return c.replacement ? `${c.replacement}${c.castType ? `::${c.castType}` : ''}` : `nullif(current_setting('${c.setting}', true), '')`;
}

function fixFor(calls: Located[], kind: 'safe' | 'unsafe', note: string): Fix | undefined {
  if (!calls.every((c) => c.replacement)) return undefined;
  const edits: Edit[] = calls.map((c) => ({ file: c.file, start: c.span.start, end: c.span.end, newText: c.replacement! }));
  const what = calls.length === 1 ? `${calls[0]!.text} with ${calls[0]!.replacement}` : `${calls.length} current_setting() calls with forms that give NULL instead of an error`;
  return { title: `Replace ${what}${note}`, kind, edits };
}

const settingKey = (c: SettingCall) => `setting:${c.setting.toLowerCase()}`;

/**
 * What fails when a function a policy calls raises: the statements that evaluate the policy for a
 * row; and where the planner calls it while estimating the filter — a STABLE function with
 * constant arguments compared with a column, `tenant = current_tenant()`, SECURITY DEFINER or not —
 * every statement, a SELECT of an empty table too. A call compared with no column
 * (`USING (has_permission('read'))`, armand1m/golinks), with a column among its arguments, or of
 * a VOLATILE function is not estimated: an empty table's SELECT runs (PGlite).
 */
const FUNCTION_FAILS =
  'then statements that evaluate that policy for a row fail, and where the planner calls the function while estimating the filter (a STABLE function with constant arguments compared with a column, `tenant_id = current_tenant()`), every statement it applies to, a SELECT of an empty table too';

/**
 * A check (WITH CHECK) is executed left to right: where a branch that is true once the setting
 * reads '' comes first (`current_setting(x, true) = '' OR tenant_id = current_setting(x,
 * true)::uuid`), the cast is never reached then and nothing fails (measured) — the clause admits
 * every row instead, which policy-context-fails-open reports. A filter (USING) is planned, and
 * the planner's estimates evaluate the cast whatever the order: there it fails — except in a
 * CASE branch that a WHEN on the setting guards (`CASE WHEN current_setting(x, true) = '' THEN
 * false ELSE …::uuid END`), which planning and execution alike reach only in order (measured).
 */
function castReached(e: PolicyExpr, c: SettingCall, model: Parameters<typeof failsOpen>[0]): boolean {
  if (e.clause !== 'check') return raisesIn(model, e.node, settingKey(c), 'ended', { mode: 'filter' });
  return !failsOpen(model, e.node, settingKey(c), { mode: 'check' }).some((s) => s.state === 'ended');
}

/**
 * The same for a call without missing_ok while the setting was never set (42704): a sub-select
 * is computed only when reached (an InitPlan, a hashed SubPlan), so in `coalesce(current_setting(x,
 * true), '') = '' OR tenant_id IN (SELECT current_setting(x)::uuid)` the call never runs then and
 * the policy admits every row instead (measured).
 */
function missingReached(e: PolicyExpr, c: SettingCall, model: Parameters<typeof failsOpen>[0]): boolean {
  if (!settingCallOf(c.node)) return true; // not a call the evaluator reads
  if (e.clause !== 'check') return raisesIn(model, e.node, settingKey(c), 'never', { mode: 'filter' });
  return !failsOpen(model, e.node, settingKey(c), { mode: 'check' }).some((s) => s.state === 'never');
}

/**
 * Unset states in which the clause, with the calls rewritten, admits every row where it did not
 * before (with `nonNull`, the columns those rows must have non-NULL: a column compared with itself).
 */
function opensAfterRewrite(model: Parameters<typeof failsOpen>[0], row: PolicyRow, e: PolicyExpr, calls: Checked[]): Set<string> & { nonNull?: string[]; nullAdmitted?: string[] } {
  const rewritten = new Map<Node, CallRewrite>(calls.map((c) => [c.node, c.castType ? 'nullif' : 'missing-ok']));
  const out: Set<string> & { nonNull?: string[]; nullAdmitted?: string[] } = new Set<string>();
  const cols = new Set<string>();
  const nulls = new Set<string>();
  for (const u of rowUses(row).filter((x) => x.expr === e)) {
    for (const key of new Set(calls.map(settingKey))) {
      const before = new Set(failsOpen(model, e.node, key, { mode: u.mode }).map((s) => s.state));
      for (const s of failsOpen(model, e.node, key, { mode: u.mode, rewritten })) {
        if (before.has(s.state)) continue;
        out.add(s.state);
        for (const c of s.nonNull ?? []) cols.add(c);
        for (const c of s.nullAdmitted ?? []) nulls.add(c);
      }
    }
  }
  if (cols.size) out.nonNull = [...cols];
  if (nulls.size) out.nullAdmitted = [...nulls];
  return out;
}

/** ` whose tenant_id is not NULL` for the fallback columns whose NULL rows no other branch admits, or ''. */
function limitedText(cols: readonly string[], nullAdmitted: readonly string[] = []): string {
  const limited = cols.filter((c) => !nullAdmitted.includes(c));
  return limited.length ? ` whose ${limited.join(' and ')} ${limited.length > 1 ? 'are' : 'is'} not NULL` : '';
}

export const policyCurrentSettingUnsafe = defineRule({
  meta: {
    id: 'policy-current-setting-unsafe',
    description: "A policy (or a function it calls) reads current_setting() in a form that raises an error when the setting is unset or ''.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'safe',
    guards:
      "current_setting('x') raises 42704 when x was never set; current_setting('x', true)::uuid raises 22P02 once a transaction-local set has ended, because the setting then reads ''.",
    truths: ['T15', 'T15b'],
    shownBy: { probe: ['42704', '22P02'] },
  },
  check({ model, report }) {
    for (const row of activeRowsWith(model, FLAG_UNSAFE_SETTING)) {
      const p = row.policy;
      for (const e of row.exprs) {
        const unsafe = withoutDefaults(model, unsafeSettingCalls(e.node));
        if (unsafe.length === 0) continue;
        const found = unsafe
          .map((c) => (c.castType && !castReached(e, c, model) ? { ...c, castType: undefined } : c))
          // (its rewrite still passes missing_ok: with nullif the call may be reached then)
          .map((c): Checked => (c.missing && !missingReached(e, c, model) ? { ...c, missing: false, addOk: true } : c))
          .filter((c) => c.missing || c.castType);
        const calls = locate(model, e.file, found);
        if (calls.length === 0) continue;
        const first = calls[0]!;
        const clause = e.clause === 'using' ? 'USING' : 'WITH CHECK';
        // The rewrite must not turn "error" into "every row": e.g. `tenant_id = …::uuid OR
        // current_setting(…) = ''` fails today once the setting reads '', and admits every row
        // with nullif().
        const opens = opensAfterRewrite(model, row, e, found);
        const safe = calls.every((c) => c.strictPath) && opens.size === 0;
        const fix = safe
          ? fixFor(calls, 'safe', '')
          : opens.size > 0
            ? fixFor(calls, 'unsafe', opens.nonNull ? ` (check the policy: it then falls back to the row's own ${opens.nonNull.join(' and ')} when the setting is unset; see policy-context-fails-open)` : ' (check the policy: another branch then admits every row when the setting is unset; see policy-context-fails-open)')
            : fixFor(calls, 'unsafe', ' (check the policy: the value becomes NULL where it used to be an error, and this expression does not simply compare it)');
        // FOR ALL without WITH CHECK: an INSERT checks USING left to right and may never reach the cast
        const insertOk = e.clause === 'using' && p.command === 'all' && !p.withCheck && first.castType && !castReached({ ...e, clause: 'check' }, first, model);
        // (an argument of a PL/pgSQL (or SECURITY DEFINER, or SET) function: the planner does not
        // inline it, so it does not evaluate the argument while estimating; only a statement that
        // evaluates the policy for a row fails: PGlite, an empty table's SELECT runs)
        const callee = first.inCall ? model.findFunction(first.inCall) : undefined;
        const opaque = callee && (callee.language !== 'sql' || callee.securityDefiner || callee.settings.length > 0) ? callee : undefined;
        const fails = opaque && !insertOk
          ? `then every statement that evaluates the policy for a row fails (the value is an argument of ${opaque.signature}, which PostgreSQL does not inline, so the planner does not evaluate it: a statement that reaches no row, such as a SELECT of an empty table, still runs)`
          : insertOk
          ? 'then every SELECT, UPDATE and DELETE the policy applies to fails (an INSERT, which checks USING branch by branch, never reaches the cast: see policy-context-fails-open)'
          : first.conditional
            ? 'then statements the policy applies to fail (as the planner or the scan evaluates the call: a row the rest of the condition decides first, through AND, OR, CASE or COALESCE, may escape)'
            : first.planned
              ? 'then every statement the policy applies to fails'
              : `then every statement that evaluates the policy for a row fails (${first.inSubSelect ? 'the value is computed in a sub-select, which PostgreSQL runs only when a row reaches it' : 'the value is compared with no column of the row, so the planner does not compute it while estimating the filter'}: a statement that reaches no row, such as a SELECT of an empty table, still runs)`;
        const when = opens.has('never') ? (opens.has('ended') ? "when the setting is unset or ''" : 'while the setting was never set') : "once the setting reads ''";
        const self = opens.nonNull?.join(' and ');
        const after = opens.size > 0
          ? self
            ? `but then the policy admits every row${limitedText(opens.nonNull!, opens.nullAdmitted)} ${when}, as it falls back to the row's own ${self} (policy-context-fails-open): drop that fallback too, so that an unset setting admits no row.`
            : `but then another branch of the policy admits every row ${when} (policy-context-fails-open): remove that branch too, so that an unset setting admits no row.`
          : safe
            ? 'so the comparison admits no row instead of failing.'
            : 'and you should check that a NULL there admits no row.';
        report({
          file: first.file,
          start: first.span.start,
          end: first.span.end,
          message:
            `Policy "${p.name}" on ${p.table} reads ${first.text} in its ${clause}: ${problems(first)}; ${fails}` +
            `${calls.length > 1 ? ` (${calls.length - 1} more such call${calls.length > 2 ? 's' : ''} in this expression)` : ''}. ` +
            `Write ${suggestion(first)}: ${first.defaulted ? "an empty setting then takes the coalesce's default, as an unset one does." : `an unset or empty setting then gives NULL, ${after}`}`,
          fixes: fix ? [fix] : [],
        });
      }
    }
    // (no function body of the workspace has the kind of content looked for: none to follow)
    if (!(bodyFlags(model) & BODY_CURRENT_SETTING)) return;
    for (const { func: f, policy: p } of functionsCalledByPolicies(model)) {
      if (!f.body) continue;
      const calls = locate(
        model,
        f.created.file,
        f.body.statements.flatMap((s) => withoutDefaults(model, unsafeSettingCalls(s.node)).flatMap((c) => (guardedBy(model, s, c.setting) ? [] : (uncaught(c, s.caught) ?? [])))),
      );
      if (calls.length === 0) continue;
      const first = calls[0]!;
      const fix = dollarQuotedBody(model, f) ? fixFor(calls, 'unsafe', ` in ${f.name}() (check its callers: it returns NULL where it used to raise an error)`) : undefined;
      report({
        file: first.file,
        start: first.span.start,
        end: first.span.end,
        message:
          `Function ${f.signature}, called by policy "${p.name}" on ${p.table}, reads ${first.text}: ${problems(first)}; ${FUNCTION_FAILS}` +
          `${calls.length > 1 ? ` (${calls.length - 1} more such call${calls.length > 2 ? 's' : ''} in this function)` : ''}. ` +
          `Write ${suggestion(first)}, and check that a NULL result admits no row in the policies that call it.`,
        fixes: fix ? [fix] : [],
      });
    }
  },
});
