// The rule API. A rule is one file `server/src/rules/<id>.ts` exporting `defineRule({...})`,
// listed once in `index.ts`. Rules are pure: they read the workspace model and report.
import type { Config } from '../analysis/config.js';
import type { Model } from '../analysis/model.js';
import type { Severity, Span } from '../analysis/types.js';

export type Category = 'syntax' | 'security' | 'correctness' | 'performance';

/** safe: applied by `--fix` and "fix all"; unsafe: only offered in the editor. */
export type FixKind = 'safe' | 'unsafe';

export interface RuleMeta {
  /** kebab-case, stable: file name, doc slug, diagnostic code, suppression token. */
  id: string;
  /** One line: what the rule finds. */
  description: string;
  severity: Severity;
  category: Category;
  /** The kind of fix the rule offers, or 'none'. */
  fixKind: FixKind | 'none';
  /** The PostgreSQL behaviour the rule guards against, one sentence (README rule table). */
  guards: string;
  /** TRUTHS.md rows that ground the claim (e.g. ['T13']). */
  truths?: string[];
  /** Prior art: ids in other tools (e.g. 'splinter 0013 rls_disabled_in_public'). */
  sources?: string[];
  /**
   * How `pg-rls-lint verify` shows a finding's claim on the engine: the SQLSTATEs with which the
   * replayed statement the finding is on fails (`statement`), or a probe of a table the finding
   * is about (its policy's, or that of a policy calling its function) fails (`probe`).
   */
  shownBy?: {
    statement?: readonly string[];
    /** the statement's error message must match too: a 42883 `function … does not exist` does not show an operator missing */
    statementMessage?: RegExp;
    probe?: readonly string[];
    /** the probe's error message must match too, and the probe must evaluate a policy at the finding (as a role it applies to, with a command that evaluates it): a 22P02 of a uuid cast to a number, not of a setting read as '' */
    probeMessage?: RegExp;
    /** the probe must be made as a role of the policy the finding is on, with its command; a 42501 must be a privilege error */
    asPolicyRole?: boolean;
    /** an exposure of this kind of the view, table or function the finding is on shows (a role read through the view what it reads no longer when security_invoker; read a table without RLS; its owner read what it reads no longer when forced; PUBLIC may execute it; a role made a write the policy alone admits; a call left a setting set after its transaction committed; run by an ordinary owner, the function with row_security = off failed with 42501, or its trigger's insert into a FORCE'd table did; a call as another user got more than the same call as SECURITY INVOKER; the plan of a command as a role of the policy calls its function in the Filter of the table's scan; a role no policy names got rows through the policy for PUBLIC; the plan's Filter ORs the policies; an INSERT the policy refuses passes with WITH CHECK (true)) */
    exposure?: ExposureKind | readonly ExposureKind[];
    /** the exposure may be of what one of the finding's related places is on (a statement about objects made elsewhere) */
    exposureOfRelated?: boolean;
    /** a read probe of the finding's table (as the policy's role, with asPolicyRole) passed with 0 rows, the table holding verify's seeded row */
    emptyRead?: boolean;
  };
}

/** The kinds of verify's exposures (verify/exposures.ts ExposureResult), by which a rule's claim may be shown. */
export type ExposureKind =
  | 'view'
  | 'no-rls'
  | 'owner'
  | 'execute'
  | 'policy'
  | 'anon-write'
  | 'companion'
  | 'search-path'
  | 'session'
  | 'row-security'
  | 'trigger-force'
  | 'definer-call'
  | 'auth-users'
  | 'auth-signup'
  | 'auth-signup-rights'
  | 'plan'
  | 'filter'
  | 'public'
  | 'anonymous'
  | 'insert-check'
  | 'setting-switch'
  | 'injection';

export interface Edit extends Span {
  file: string;
  newText: string;
}

export interface Fix {
  title: string;
  kind: FixKind;
  edits: Edit[];
}

export interface Related extends Span {
  file: string;
  message: string;
}

export interface Report extends Span {
  file: string;
  message: string;
  /** Below the rule's severity, for a finding that says less than the rule's (used unless the rule's severity is set). */
  severity?: Severity;
  fixes?: Fix[];
  /** Other places that explain the finding (e.g. each step of a recursion chain). */
  related?: Related[];
  /** Set on a report kept across lints (lib/util.ts reportKeeper), which is never mutated: what the engine keeps of the finding it made from it. */
  kept?: KeptFinding;
}

/** The engine's record on a kept report: the finding it made (with its rule and severity), and what else that finding was made of. */
export interface KeptFinding {
  finding?: unknown;
  /** the files the finding's ranges were computed in, each name followed by its parsed file (idOf) */
  files?: Array<string | number>;
}

export interface RuleContext {
  model: Model;
  config: Config;
  report(report: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): void;
}

export const DOCS_BASE = 'https://github.com/pg-rls-lint/pg-rls-lint/blob/main/docs/rules/';

export function docsUrl(id: string): string {
  return `${DOCS_BASE}${id}.md`;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
