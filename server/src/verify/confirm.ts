// Which lint findings the engine showed. A rule says how its claim shows (RuleMeta.shownBy):
// the statement the finding is on fails in verify's replay with one of its SQLSTATEs
// (policy-already-exists: 42710), or a probe of a table the finding is about does
// (policy-recursion: 42P17 or 54001). Pure: it reads findings, the lint's model and verify's
// result; it runs nothing.
import { callsIn } from '../analysis/ast.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { appliesToRole } from '../analysis/policies.js';
import { policyExprs, resolvedCalls } from '../analysis/policy-exprs.js';
import type { Loc, Node } from '../analysis/types.js';
import { settingCallOf } from '../analysis/unset-context.js';
import type { ExposureResult } from './exposures.js';
import { quoteIdent, type ProbeResult, type VerifyResult, type VerifyStatementError } from './pglite.js';

/** What confirm() needs of a finding (the engine's Finding has it). */
export interface FindingRef {
  rule: string;
  file: string;
  start: number;
  end: number;
  message: string;
  related?: ReadonlyArray<{ file: string; start: number }>;
}

/** A rule's RuleMeta.shownBy. */
export interface ShownBy {
  statement?: readonly string[];
  /** the statement's error message must match too (policy-type-mismatch: an operator missing, not a function) */
  statementMessage?: RegExp;
  probe?: readonly string[];
  /**
   * the probe's error message must match too, and the probe must evaluate a policy at the finding
   * (made as a role it applies to, with a command that evaluates it): policy-type-mismatch's
   * 22P02 of a uuid cast to a number, not a setting read as '' cast to uuid (T15b)
   */
  probeMessage?: RegExp;
  /**
   * the probe must be made as a role of the policy the finding is on, with its command (any for
   * FOR ALL), and a 42501 must be a privilege error ("permission denied for …"), not a row
   * the policies refuse
   */
  asPolicyRole?: boolean;
  /** an exposure of this kind (or of one of these) of what the finding is on (its view, table or function) shows (ExposureResult.shown) */
  exposure?: ExposureResult['kind'] | ReadonlyArray<ExposureResult['kind']>;
  /** the exposure may be of what a related place of the finding is on too (a statement that is about objects made elsewhere) */
  exposureOfRelated?: boolean;
  /**
   * a read probe of a table the finding is about passed with 0 rows, the table holding the row
   * verify seeded (with asPolicyRole: as a role of the policy, whose command reads)
   */
  emptyRead?: boolean;
}

export interface Confirmation<F extends FindingRef> {
  finding: F;
  /** the SQLSTATE PostgreSQL raised (none for an exposure) */
  code?: string;
  /** what raised it: a statement of the replay, or a probe; or the exposure that showed it */
  statement?: VerifyStatementError;
  probe?: ProbeResult;
  exposure?: ExposureResult;
}

/** A probe's SQLSTATE: PGlite dies where a real server raises 54001. */
const codeOf = (p: ProbeResult): string | undefined => (p.outcome === 'dead' ? '54001' : p.outcome === 'error' ? p.code : undefined);

const within = (loc: Loc | undefined, file: string, at: number) => !!loc && loc.file === file && loc.start <= at && at < Math.max(loc.end, loc.start + 1);

/**
 * The findings the engine showed, each with what showed it (a statement error before a probe).
 * `shownBy` gives a rule's RuleMeta.shownBy; a finding of a rule without one is not looked at.
 */
export function confirm<F extends FindingRef>(findings: readonly F[], model: Model, result: VerifyResult, shownBy: (rule: string) => ShownBy | undefined): Array<Confirmation<F>> {
  const failing = result.probes.filter((p) => codeOf(p) !== undefined);
  let tables: ReturnType<typeof tablesAbout> | undefined;
  let objects: ReturnType<typeof objectsAt> | undefined;
  let seeded: Set<string> | undefined;
  const out: Array<Confirmation<F>> = [];
  for (const f of findings) {
    const how = shownBy(f.rule);
    if (!how) continue;
    const statement = how.statement?.length
      ? result.statementErrors.find((e) => e.file === f.file && how.statement!.includes(e.code) && (!how.statementMessage || how.statementMessage.test(e.message)) && (e.statementStart ?? e.offset) <= f.start && f.start < (e.statementEnd ?? e.offset + 1))
      : undefined;
    if (statement) {
      out.push({ finding: f, code: statement.code, statement });
      continue;
    }
    if (how.exposure) {
      objects ??= objectsAt(model);
      const kinds: ReadonlyArray<ExposureResult['kind']> = typeof how.exposure === 'string' ? [how.exposure] : how.exposure;
      const places = how.exposureOfRelated ? [{ file: f.file, start: f.start }, ...(f.related ?? [])] : [{ file: f.file, start: f.start }];
      const about = places.flatMap((at) => objects!(at.file, at.start));
      // (a `filter` look is as one role and for one command: a finding about several policies' OR
      // is shown by a look whose Filter ORs only policies of the finding, as a role every one of
      // them applies to; one policy may be in findings for other roles or commands)
      let mine: Policy[] | undefined;
      const fits = (e: ExposureResult) => {
        if (e.kind !== 'filter') return true;
        mine ??= policiesAtFinding(model, f);
        return mine.every((p) => appliesToRole(model, p, e.role)) && (e.policies ?? []).every((n) => mine!.some((p) => p.name === n));
      };
      const exposure = (result.exposures ?? []).find((e) => kinds.includes(e.kind) && e.shown && about.some((o) => o(e)) && fits(e));
      if (exposure) out.push({ finding: f, exposure });
      continue;
    }
    if (how.emptyRead) {
      tables ??= tablesAbout(model);
      const about: Subject[] = tables(f.file, f.start);
      const holding = (seeded ??= new Set((result.seeded ?? []).filter((x) => x.outcome === 'seeded').map((x) => x.table)));
      const probe = result.probes.find(
        (p) =>
          p.command === 'select' && p.outcome === 'ok' && p.rows === 0 && !p.settingsEnded && !p.recursionOnly && holding.has(p.table) &&
          about.some((a) => a.table === p.table && (!how.asPolicyRole || readsAsPolicy(a, p))),
      );
      if (probe) out.push({ finding: f, probe });
      continue;
    }
    const codes = how.probe ?? [];
    const candidates = failing.filter((p) => codes.includes(codeOf(p)!));
    if (candidates.length === 0) continue;
    // (a finding on policies the replay rejected when it created them shows nothing: what a probe of
    // their table met is other policies' doing — team9projectgrowth/fms: a probe's 42P17 was
    // taken as showing recursion in policies PostgreSQL had refused with 42P01)
    const own = model.policies.filter((q) => within(q.loc, f.file, f.start));
    if (own.length !== 0 && own.every((q) => failedAt(result, q.loc))) continue;
    tables ??= tablesAbout(model);
    const about: Subject[] = [];
    for (const at of [{ file: f.file, start: f.start }, ...(f.related ?? [])]) about.push(...tables(at.file, at.start));
    // (42P17 names the relation met again: one of the finding's policies' tables, not another
    // cycle's the probe ran into first: madmono's projects probe met team_members')
    let cycle: Set<string> | undefined;
    const ownCycle = (p: ProbeResult) => {
      const rel = p.code === '42P17' ? /relation "((?:[^"]|"")+)"/.exec(p.message ?? '')?.[1] : undefined;
      if (rel === undefined) return true;
      cycle ??= new Set([...about.map((a) => a.table), ...policiesAtFinding(model, f).map((q) => q.table)].map((t) => t.slice(t.lastIndexOf('.') + 1)));
      return cycle.has(rel);
    };
    // (42704 names the setting never set: a finding whose policy, or function, reads it, and
    // whose policy the probe evaluates, not another policy's of the same table)
    const ownSetting = (p: ProbeResult) => p.code !== '42704' || readsSettingOf(model, f, p);
    // (a message the rule names, from a probe that evaluates the finding's policy)
    const ownMessage = (p: ProbeResult) => !how.probeMessage || (how.probeMessage.test(p.message ?? '') && evaluatesPolicyAt(model, f, p));
    const probe = candidates.find(
      (p) => about.some((a) => a.table === p.table && (!how.asPolicyRole || (asPolicy(a, p) && (a.command !== 'all' || everyCommandDenied(result, p))))) && ownCycle(p) && ownSetting(p) && ownMessage(p),
    );
    if (probe) out.push({ finding: f, code: codeOf(probe)!, probe });
  }
  return out;
}

/** Whether the replay's statement at `loc` failed (its CREATE or ALTER POLICY, there). */
function failedAt(result: VerifyResult, loc: Loc): boolean {
  return result.statementErrors.some((e) => e.file === loc.file && (e.statementStart ?? e.offset) <= loc.start && loc.start < (e.statementEnd ?? e.offset + 1));
}

/** The policies at a finding's place and at its related places (named where each is created or altered). */
function policiesAtFinding(model: Model, f: FindingRef): Policy[] {
  const places = [{ file: f.file, start: f.start }, ...(f.related ?? [])];
  return model.policies.filter((p) => places.some((at) => within(p.loc, at.file, at.start)));
}

/**
 * Whether a probe evaluates a policy at the finding's place (or a related one): made as a role
 * the policy applies to, with a command that evaluates it (evaluatedBy; not a SELECT policy for
 * an INSERT: the probes' `INSERT … DEFAULT VALUES` has no RETURNING). True for a finding at no policy.
 */
function evaluatesPolicyAt(model: Model, f: FindingRef, p: ProbeResult): boolean {
  const policies = policiesAtFinding(model, f);
  return policies.length === 0 || policies.some((q) => appliesToRole(model, q, p.role) && evaluatedBy(q, p.command) && !(p.command === 'insert' && q.command === 'select'));
}

/** The setting a 42704 says was never set (PostgreSQL writes the name as the call gave it; custom settings' names are case-insensitive). */
const UNSET_SETTING = /^unrecognized configuration parameter "(.+)"$/;

/**
 * Whether a probe's 42704 is about what the finding is on: the error names a setting that a
 * policy at the finding reads (in its expressions, or in a function they call, directly or
 * not), as a role the policy applies to and with a command that evaluates it; or, for a finding
 * on a function, that the function reads. A 42704 naming no setting shows nothing.
 */
function readsSettingOf(model: Model, f: FindingRef, p: ProbeResult): boolean {
  const m = UNSET_SETTING.exec(p.message ?? '');
  if (!m) return false;
  const setting = m[1]!.toLowerCase();
  const places = [{ file: f.file, start: f.start }, ...(f.related ?? [])];
  const at = (loc: Loc | undefined) => places.some((x) => within(loc, x.file, x.start));
  const policies = model.policies.filter((q) => at(q.loc) || at(q.created));
  if (policies.length) {
    return policies.some(
      (q) =>
        appliesToRole(model, q, p.role) && evaluatedBy(q, p.command) &&
        settingsRead(model, policyExprs(q).map((e) => e.node), policyExprs(q).flatMap((e) => resolvedCalls(model, e.node))).has(setting),
    );
  }
  const funcs = [...model.functions.values()].flat().filter((g) => at(g.created));
  return funcs.some((g) => settingsRead(model, [], [g]).has(setting));
}

/**
 * Whether a probe with `command` evaluates the policy: its own command's (and FOR ALL), and for
 * a write, SELECT policies too (PostgreSQL applies them when the write reads the table's columns).
 */
function evaluatedBy(q: Policy, command: ProbeResult['command']): boolean {
  return q.command === 'all' || q.command === command || (command !== 'select' && q.command === 'select');
}

/** The settings (lower-case) that current_setting() calls read in `nodes`, and in the bodies of `funcs` and the functions they call. */
function settingsRead(model: Model, nodes: readonly Node[], funcs: readonly Func[]): Set<string> {
  const out = new Set<string>();
  const scan = (node: Node) => {
    for (const c of callsIn(node)) {
      const s = settingCallOf(c.node);
      if (s) out.add(s.setting);
    }
  };
  for (const n of nodes) scan(n);
  const seen = new Set<Func>();
  const stack = [...funcs];
  while (stack.length) {
    const g = stack.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    for (const st of g.body?.statements ?? []) scan(st.node);
    for (const k of g.calls) stack.push(...(model.functions.get(k) ?? []));
  }
  return out;
}

/** Whether a probe was made as a role of the subject's policy, with its command, and failed for want of a privilege (not a refused row). */
function asPolicy(a: Subject, p: ProbeResult): boolean {
  if (!a.roles || !a.command) return false;
  if (!a.roles.includes('public') && !a.roles.includes(p.role)) return false;
  if (a.command !== 'all' && a.command !== p.command) return false;
  return p.code !== '42501' || privilegeDenied(p);
}

/** Whether a read probe was made as a role of the subject's policy, whose command reads (SELECT or ALL). */
function readsAsPolicy(a: Subject, p: ProbeResult): boolean {
  return !!a.roles && (a.command === 'select' || a.command === 'all') && (a.roles.includes('public') || a.roles.includes(p.role));
}

/** A 42501 for want of a privilege ("permission denied for table …"), not a row the policies refuse ("new row violates …"). */
const privilegeDenied = (p: ProbeResult) => p.code === '42501' && /^permission denied for /.test(p.message ?? '');

/**
 * For a FOR ALL policy's claim (the role has no privilege for any command): every probe of the
 * table as the role was refused for want of a privilege, the read among them.
 */
function everyCommandDenied(result: VerifyResult, p: ProbeResult): boolean {
  const same = result.probes.filter((q) => q.table === p.table && q.role === p.role && !q.settingsEnded);
  return same.some((q) => q.command === 'select') && same.every(privilegeDenied);
}

/**
 * The views, tables and functions created at a place in a file, each as a test of whether an
 * exposure is about it (verify names relations `schema.name`, quoted where needed, and
 * functions by schema, name and number of arguments).
 */
function objectsAt(model: Model): (file: string, at: number) => Array<(e: ExposureResult) => boolean> {
  const name = (o: { schema: string; name: string }) => `${quoteIdent(o.schema)}.${quoteIdent(o.name)}`;
  return (file, at) => {
    const out: Array<(e: ExposureResult) => boolean> = [];
    for (const v of model.views.values()) if (within(v.created, file, at)) out.push((e) => e.object === name(v));
    for (const p of model.policies) {
      const t = model.tables.get(p.table);
      // (the policy's own exposures; and its table's, which name no policy: a policy on a table
      // without RLS is about what roles get from the table)
      if (t && within(p.loc, file, at)) out.push((e) => (e.policy === undefined || e.policy === p.name) && e.object === name(t) && ((e.kind !== 'plan' && e.kind !== 'filter') || planCalls(p, e)));
    }
    for (const t of model.tables.values()) {
      // (or made a partition or child there: ATTACH PARTITION, INHERIT)
      if (within(t.created, file, at) || t.parents.some((x) => within(x.loc, file, at))) out.push((e) => e.object === name(t));
      // (a statement enabling, disabling or forcing its row-level security: the table's looks, and what a look owning it as an
      // ordinary role wrote into it)
      else if (t.rlsEvents.some((x) => within(x.loc, file, at))) out.push((e) => e.object === name(t) || !!e.written?.includes(name(t)));
    }
    const fn = (g: Func) => (e: ExposureResult) => e.function?.schema === g.schema && e.function.name === g.name && e.function.args === g.argTypes.length;
    for (const list of model.functions.values()) {
      // (its CREATE, or an ALTER FUNCTION setting one of its options)
      for (const g of list) if (within(g.created, file, at) || g.settings.some((x) => within(x.loc, file, at))) out.push(fn(g));
    }
    // (a trigger: its function's)
    for (const t of model.triggers) if (within(t.loc, file, at)) for (const g of model.functions.get(t.func) ?? []) out.push(fn(g));
    return out;
  };
}

/** Whether a `plan` look, of a command the policy is for (FOR ALL: any), found calls of the policy's USING in the Filter of the table's scan (a `filter` look: the policy's USING, ORed with others'). */
function planCalls(p: Policy, e: ExposureResult): boolean {
  return !!p.using && (p.command === 'all' || p.command === e.command) && !!e.policies?.includes(p.name);
}

/** A table a finding is about, named as verify names it (`schema.name`, quoted where needed), and its policy there. */
interface Subject {
  table: string;
  roles?: readonly string[];
  /** the command of its policy there */
  command?: string;
}

/**
 * The tables a place in a file is about: the policy there (with its roles); else the policies
 * calling the function there (directly or through other functions); else the table created
 * there.
 */
function tablesAbout(model: Model): (file: string, at: number) => Subject[] {
  const name = (key: string) => {
    const t = model.tables.get(key);
    return t ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : key;
  };
  let callers: Map<Func, Set<string>> | undefined;
  /** for each function, the tables of the policies that reach it */
  const policiesReaching = () => {
    const map = new Map<Func, Set<string>>();
    for (const p of model.policies) {
      const seen = new Set<Func>();
      const visit = (g: Func | undefined) => {
        if (!g || seen.has(g)) return;
        seen.add(g);
        let s = map.get(g);
        if (!s) map.set(g, (s = new Set()));
        s.add(p.table);
        for (const k of g.calls) for (const h of model.functions.get(k) ?? []) visit(h);
      };
      for (const e of policyExprs(p)) for (const c of callsIn(e.node)) visit(model.findFunction(c.name, c.args.length));
    }
    return map;
  };
  return (file, at) => {
    const policies = model.policies.filter((p) => within(p.loc, file, at) || within(p.created, file, at));
    if (policies.length) return policies.map((p) => ({ table: name(p.table), roles: p.roles, command: p.command }));
    const funcs = [...model.functions.values()].flat().filter((g) => within(g.created, file, at));
    if (funcs.length) {
      callers ??= policiesReaching();
      return funcs.flatMap((g) => [...(callers!.get(g) ?? [])].map((k) => ({ table: name(k) })));
    }
    // (a table created there, or whose row-level security a statement there enables, forces…)
    return [...model.tables.values()].filter((t) => within(t.created, file, at) || t.rlsEvents.some((e) => within(e.loc, file, at))).map((t) => ({ table: name(t.key) }));
  };
}
